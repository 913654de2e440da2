"""The cluster graph: the one place kmodel computes topology and failure domains.

A ``networkx`` directed graph built from Node manifests (spec node pools are Node manifests by
the time they get here):

* ``("region", r) -> ("zone", z) -> (key, v) ... -> ("node", n)``: the regions and zones of the
  ``topology.kubernetes.io/region`` and ``/zone`` labels, then one level per further topology key
  the workloads name (a rack label, say), then the nodes, each carrying ``labels``, ``taints``,
  ``allocatable`` and ``capacity``. A node without a key's label has no vertex at that level (it
  hangs under the level above): in Kubernetes such a node belongs to no domain of that key.
* ``("service", ns/name) -> ("pod", ns/name)`` for the Pods a Service selects, and
  ``("node", n) -> ("pod", ns/name)`` for the Pods bound to a node;
* ``("volume", name) -> ("zone", z)`` for each zone a PersistentVolume pins (its node affinity or
  its zone labels).

Failure domains (:func:`domains`) are read from the graph's node vertices: the nodes carrying
each value of a key (a value shared by two zones is one domain, as Kubernetes counts it). The
hostname level is the nodes themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import networkx as nx

from kmodel.objects.labels import labels_of

__all__ = [
    "HOSTNAME_LABEL",
    "REGION_LABEL",
    "ZONE_LABEL",
    "cluster_graph",
    "domain_key",
    "domains",
    "nodes_of",
    "pods_selected",
    "volume_zones",
    "zones",
]

HOSTNAME_LABEL: Final = "kubernetes.io/hostname"
REGION_LABEL: Final = "topology.kubernetes.io/region"
ZONE_LABEL: Final = "topology.kubernetes.io/zone"
#: Short names users may write for the well-known keys (``across: zone``, ``lose: node``).
_SHORT_KEYS: Final[Mapping[str, str]] = {
    "node": HOSTNAME_LABEL,
    "hostname": HOSTNAME_LABEL,
    "zone": ZONE_LABEL,
    "region": REGION_LABEL,
}
_PV_ZONE_LABELS: Final = (ZONE_LABEL, "failure-domain.beta.kubernetes.io/zone")


def domain_key(name: str) -> str:
    """The node label a failure-domain name stands for (``zone`` -> ``topology.../zone``)."""
    return _SHORT_KEYS.get(name, name)


def _namespace(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "default")


def _pod_vertex(pod: Mapping[str, Any]) -> tuple[str, str]:
    return ("pod", f"{_namespace(pod)}/{(pod.get('metadata') or {}).get('name', '')}")


def cluster_graph(
    nodes: Iterable[Mapping[str, Any]],
    *,
    keys: Sequence[str] = (),
    pods: Iterable[Mapping[str, Any]] = (),
    services: Iterable[Mapping[str, Any]] = (),
    volumes: Iterable[Mapping[str, Any]] = (),
) -> nx.DiGraph:
    """Build the cluster graph (see the module docstring).

    Args:
        nodes: Node manifests (other kinds are skipped).
        keys: further topology keys, below the zone, in order (region, zone and hostname are
            always there and are skipped here).
        pods: Pod manifests; bound ones get an edge from their node.
        services: Service manifests; each gets an edge to every Pod its selector matches.
        volumes: PersistentVolume manifests (others skipped); each gets an edge to its zones.
    """
    levels = [domain_key(k) for k in keys]
    levels = [
        k for k in dict.fromkeys(levels) if k not in {REGION_LABEL, ZONE_LABEL, HOSTNAME_LABEL}
    ]
    graph = nx.DiGraph(keys=(REGION_LABEL, ZONE_LABEL, *levels))
    for node in nodes:
        if node.get("kind", "Node") != "Node":
            continue
        metadata = node.get("metadata") or {}
        labels = dict(labels_of(node))
        status = node.get("status") or {}
        name = str(metadata.get("name", ""))
        parent: tuple[str, str] | None = None
        for key in (REGION_LABEL, ZONE_LABEL, *levels):
            if key not in labels:
                continue
            level = {REGION_LABEL: "region", ZONE_LABEL: "zone"}.get(key, key)
            vertex = (level, labels[key])
            graph.add_node(vertex, kind=level)
            if parent is not None:
                graph.add_edge(parent, vertex)
            parent = vertex
        vertex = ("node", name)
        graph.add_node(
            vertex,
            kind="node",
            labels=labels,
            taints=list((node.get("spec") or {}).get("taints") or []),
            allocatable=dict(status.get("allocatable") or {}),
            capacity=dict(status.get("capacity") or {}),
        )
        if parent is not None:
            graph.add_edge(parent, vertex)
    pod_list = list(pods)
    for pod in pod_list:
        vertex = _pod_vertex(pod)
        graph.add_node(vertex, kind="pod", labels=dict(labels_of(pod)))
        node_name = (pod.get("spec") or {}).get("nodeName")
        if node_name and ("node", node_name) in graph:
            graph.add_edge(("node", node_name), vertex)
    for service in services:
        if service.get("kind", "Service") != "Service":
            continue
        name = f"{_namespace(service)}/{(service.get('metadata') or {}).get('name', '')}"
        graph.add_node(("service", name), kind="service")
        for pod in pods_selected(service, pod_list):
            graph.add_edge(("service", name), _pod_vertex(pod))
    for volume in volumes:
        if volume.get("kind") != "PersistentVolume":
            continue
        name = str((volume.get("metadata") or {}).get("name", ""))
        graph.add_node(("volume", name), kind="volume")
        for zone in volume_zones(volume):
            graph.add_node(("zone", zone), kind="zone")
            graph.add_edge(("volume", name), ("zone", zone))
    return graph


def pods_selected(
    service: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The Pods of the Service's namespace its ``spec.selector`` matches (none for no selector).

    Mirrors the endpoints controller's ``labels.Set(service.Spec.Selector).AsSelectorPreValidated``
    (``pkg/controller/endpoint/endpoints_controller.go syncService``): a Service without a
    selector selects nothing.
    """
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return []
    namespace = _namespace(service)
    return [
        pod
        for pod in pods
        if _namespace(pod) == namespace
        and all(labels_of(pod).get(k) == v for k, v in selector.items())
    ]


def volume_zones(volume: Mapping[str, Any]) -> list[str]:
    """The zones a PersistentVolume pins: its zone labels, else its required node affinity.

    Label values may list several zones separated by ``__`` (``volumehelpers.LabelZonesToSet``).
    """
    labels = labels_of(volume)
    for key in _PV_ZONE_LABELS:
        if key in labels:
            return sorted(z for z in labels[key].split("__") if z)
    affinity = ((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}
    found: set[str] = set()
    for term in affinity.get("nodeSelectorTerms") or []:
        for expression in (term or {}).get("matchExpressions") or []:
            if expression.get("key") in _PV_ZONE_LABELS and expression.get("operator") == "In":
                found.update(str(v) for v in expression.get("values") or [])
    return sorted(found)


def nodes_of(graph: nx.DiGraph) -> list[str]:
    """Every node name, sorted."""
    return sorted(str(name) for kind, name in graph.nodes if kind == "node")


def domains(graph: nx.DiGraph, key: str) -> dict[str, tuple[str, ...]]:
    """The failure domains of a topology key: domain value -> the nodes in it, both sorted.

    ``key`` may be a label or a short name (``node``, ``zone``, ``region``). For the hostname
    key each node is its own domain (named by its hostname label, else its name). Nodes without
    the label belong to no domain.
    """
    key = domain_key(key)
    found: dict[str, list[str]] = {}
    if key == HOSTNAME_LABEL:
        for kind, name in graph.nodes:
            if kind == "node":
                labels = graph.nodes["node", name]["labels"]
                found.setdefault(str(labels.get(key, name)), []).append(str(name))
        return {d: tuple(sorted(m)) for d, m in sorted(found.items())}
    # A domain is a label value, wherever it hangs in the tree (Kubernetes counts a rack
    # label value shared by two zones as one domain), so read the nodes' labels.
    for kind, name in graph.nodes:
        if kind == "node" and key in graph.nodes["node", name]["labels"]:
            value = graph.nodes["node", name]["labels"][key]
            found.setdefault(str(value), []).append(str(name))
    return {d: tuple(sorted(m)) for d, m in sorted(found.items())}


def zones(graph: nx.DiGraph) -> list[str]:
    """The zones that hold at least one node, sorted."""
    return list(domains(graph, ZONE_LABEL))
