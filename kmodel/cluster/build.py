"""Building a cluster from manifests: Nodes become machines, everything else API objects."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from kmodel.cluster.components import COMPONENTS
from kmodel.cluster.model import Cluster, ClusterConfig, Machine
from kmodel.cluster.store import APIStore
from kmodel.objects.defaults import set_defaults_node

__all__ = ["build_cluster"]

#: Creation order: what controllers need first (as ``kubectl apply`` of a folder would).
_ORDER = {
    "Namespace": 0,
    "Node": 1,
    "StorageClass": 2,
    "PersistentVolume": 3,
    "PersistentVolumeClaim": 4,
    "ConfigMap": 5,
    "Secret": 5,
    "Service": 6,
    "PodDisruptionBudget": 7,
    "Deployment": 8,
    "DaemonSet": 8,
    "ReplicaSet": 9,
    "StatefulSet": 9,
    "Pod": 10,
}

_SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation")


def _clean(body: Mapping[str, Any]) -> dict[str, Any]:
    """Drop server-populated metadata so the model's store assigns its own."""
    obj = copy.deepcopy(dict(body))
    metadata = obj.setdefault("metadata", {})
    for name in _SERVER_FIELDS:
        metadata.pop(name, None)
    if obj.get("kind") not in {"Pod", "Node", "PersistentVolume", "PersistentVolumeClaim"}:
        obj.pop("status", None)
    return obj


def build_cluster(
    objects: Iterable[Mapping[str, Any]],
    *,
    config: ClusterConfig | None = None,
    control_plane_members: int = 1,
    static_pods: Mapping[str, list[Mapping[str, Any]]] | None = None,
) -> Cluster:
    """A cluster whose store holds ``objects`` and whose machines are the Nodes among them.

    Args:
        objects: manifest bodies (Nodes, workloads, Services, ...), in any order.
        config: timings and container programs.
        control_plane_members: etcd members (odd).
        static_pods: static pod manifests per node name.
    """
    store = APIStore(members=control_plane_members)
    config = config or ClusterConfig()
    table = COMPONENTS if config.components is None else config.components
    cluster = Cluster(store=store, components=table, config=config)
    bodies = sorted((_clean(o) for o in objects), key=lambda o: _ORDER.get(str(o.get("kind")), 50))
    for body in bodies:
        kind = body.get("kind")
        if kind == "Node":
            body = set_defaults_node(body)  # noqa: PLW2901  # stored as the API server defaults it
            name = body["metadata"]["name"]
            cluster.machines[name] = Machine(name=name, index=len(cluster.machines) + 1)
            body.setdefault("status", {})["conditions"] = []
        if kind == "Service":
            spec = body.setdefault("spec", {})
            if spec.get("clusterIP") in {None, ""}:
                spec["clusterIP"] = cluster.allocate_service_ip()
        if kind == "Pod":
            cluster.create(body)
        else:
            store.create(body)
    for node, pods in (static_pods or {}).items():
        cluster.machines[node].static_pods = [copy.deepcopy(dict(p)) for p in pods]
    for informer in cluster.informers.values():
        informer.deliver(store)
    return cluster
