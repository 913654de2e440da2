"""Services: the endpoints controller, kube-proxy load balancing and cluster DNS.

The endpoints controller (``pkg/controller/endpoint/endpoints_controller.go syncService``) lists
the pods a Service selects: Ready pods that are not terminating become ``addresses``, the others
``notReadyAddresses`` (unless ``publishNotReadyAddresses``). kube-proxy forwards a request to one
endpoint from its own, possibly stale, view; each endpoint is an explorable choice
(:class:`ServeRequest`; :class:`SendRequests`, the ``requests`` user action, sends one through
each), and a request to an endpoint whose pod is gone is refused. Cluster DNS
resolves ``<service>.<namespace>.svc.cluster.local`` to the Service's ClusterIP.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.kubelet import runtime_key
from kmodel.cluster.informer import ObjectView
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import list_at, mapping_at, read_path, str_at
from kmodel.objects.labels import LabelSelector, label_selector_as_selector, labels_of
from kmodel.semantics.replicaset import is_pod_ready

__all__ = [
    "SendRequests",
    "ServeRequest",
    "SyncEndpoints",
    "endpoint_actions",
    "endpoints_for",
    "request_choices",
    "resolve",
]


def endpoints_for(service: Mapping[str, Any], view: ObjectView) -> dict[str, Any]:
    """The Endpoints object the controller computes for a Service from ``view``."""
    namespace = service["metadata"]["namespace"]
    selector = mapping_at(service, "spec.selector")
    ready: list[dict[str, Any]] = []
    not_ready: list[dict[str, Any]] = []
    publish = bool(read_path(service, "spec.publishNotReadyAddresses"))
    if selector:
        # Compiled once, where it was first compiled (after the first pod's labels: the same
        # errors in the same order), not once per pod.
        compiled: LabelSelector | None = None
        for pod in view.list_objects("Pod", namespace=namespace):
            ip = str_at(pod, "status.podIP")
            if not ip:
                continue
            labels = labels_of(pod)
            if compiled is None:
                compiled = label_selector_as_selector(
                    {"matchLabels": selector}, path="spec.selector"
                )
            if not compiled.matches(labels):
                continue
            if str_at(pod, "status.phase") in {"Succeeded", "Failed"}:
                continue
            terminating = pod["metadata"].get("deletionTimestamp") is not None
            address = {
                "ip": ip,
                "nodeName": str_at(pod, "spec.nodeName"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": namespace,
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            }
            if publish or (is_pod_ready(pod) and not terminating):
                ready.append(address)
            elif not terminating:
                not_ready.append(address)
    subset: dict[str, Any] = {}
    if ready:
        subset["addresses"] = sorted(ready, key=lambda a: a["ip"])
    if not_ready:
        subset["notReadyAddresses"] = sorted(not_ready, key=lambda a: a["ip"])
    if subset:
        subset["ports"] = [
            {"port": p.get("targetPort", p.get("port")), "protocol": p.get("protocol", "TCP")}
            for p in list_at(service, "spec.ports")
        ]
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": service["metadata"]["name"], "namespace": namespace},
        "subsets": [subset] if subset else [],
    }


@register
@dataclass(frozen=True)
class SyncEndpoints(Action):
    """The endpoints controller syncs the Endpoints of one Service."""

    name: ClassVar[str] = "endpoints-sync"
    namespace: str
    service: str

    def describe(self) -> str:
        """In words."""
        return f"endpoints controller syncs service {self.namespace}/{self.service}"

    def desired(self, service: Mapping[str, Any], view: ObjectView) -> dict[str, Any]:
        """The Endpoints the controller computes for the Service (:func:`endpoints_for`)."""
        return endpoints_for(service, view)

    def apply(self, cluster: Cluster) -> None:
        """Create, update or delete the Endpoints object."""
        view = cluster.view("endpoints")
        service = view.get(("Service", self.namespace, self.service))
        current = cluster.store.get(("Endpoints", self.namespace, self.service))
        if service is None:
            if current is not None:
                cluster.delete(("Endpoints", self.namespace, self.service))
            return
        desired = self.desired(service, view)
        if current is None:
            cluster.create(desired)
        elif current.get("subsets") != desired["subsets"]:
            body = copy.deepcopy(dict(current))
            body["subsets"] = desired["subsets"]
            cluster.update(body)


def endpoint_actions(
    cluster: Cluster, *, sync: type[SyncEndpoints] = SyncEndpoints
) -> list[Action]:
    """Endpoints syncs (of class ``sync``) that would change something."""
    view = cluster.view("endpoints")
    key = ("endpoints", sync, view.versions("Service", "Endpoints", "Pod"))
    return list(cluster.memo(key, lambda: _endpoint_actions(cluster, sync)))


def _endpoint_actions(cluster: Cluster, sync: type[SyncEndpoints]) -> list[Action]:
    actions: list[Action] = []
    view = cluster.view("endpoints")
    services = {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s for s in view.list_objects("Service")
    }
    for (namespace, name), service in services.items():
        current = view.get(("Endpoints", namespace, name))
        action = sync(namespace, name)
        desired = action.desired(service, view)
        if current is None or current.get("subsets") != desired["subsets"]:
            actions.append(action)
    for endpoints in view.list_objects("Endpoints"):
        key = (endpoints["metadata"]["namespace"], endpoints["metadata"]["name"])
        if key not in services:
            actions.append(sync(*key))
    return actions


def request_choices(cluster: Cluster, namespace: str, service: str) -> list[dict[str, Any]]:
    """The endpoints kube-proxy would forward a request for a Service to (its view)."""
    view = cluster.view("proxy")
    endpoints = view.get(("Endpoints", namespace, service))
    if endpoints is None:
        return []
    return [a for subset in list_at(endpoints, "subsets") for a in list_at(subset, "addresses")]


@register
@dataclass(frozen=True)
class ServeRequest(Action):
    """A client sends a request to a Service; kube-proxy forwards it to endpoint ``ip``."""

    name: ClassVar[str] = "request"
    category: ClassVar[str] = "user"
    namespace: str
    service: str
    ip: str

    def describe(self) -> str:
        """In words."""
        return f"a request to {self.namespace}/{self.service} goes to {self.ip}"

    def apply(self, cluster: Cluster) -> None:
        """Record which pod served it, or that it was refused (no running pod at that IP)."""
        served = ""
        for pod in cluster.store.list_objects("Pod", namespace=self.namespace):
            status = pod.get("status") or {}
            if status.get("podIP") != self.ip:
                continue
            node = (pod.get("spec") or {}).get("nodeName")
            machine = cluster.machines.get(str(node))
            runtime = machine.pods.get(runtime_key(pod)) if machine and machine.up else None
            if runtime is not None and runtime.running():
                served = pod["metadata"]["name"]
        cluster.requests.append((cluster.now, f"{self.namespace}/{self.service}", served, self.ip))


@register
@dataclass(frozen=True)
class SendRequests(Action):
    """Clients send requests to a Service: one through each endpoint kube-proxy routes to.

    kube-proxy picks one of the ready endpoints it knows (its view of the Service's
    Endpoints, possibly stale) for each connection; a request through every one of them
    covers each choice in one step. A Service kube-proxy knows no endpoint of refuses the
    request (recorded with no pod and no address).
    """

    name: ClassVar[str] = "requests"
    category: ClassVar[str] = "user"
    namespace: str
    service: str

    def describe(self) -> str:
        """In words."""
        return f"clients send requests to service {self.namespace}/{self.service}"

    def apply(self, cluster: Cluster) -> None:
        """Serve one request per endpoint kube-proxy knows (see :class:`ServeRequest`)."""
        addresses = request_choices(cluster, self.namespace, self.service)
        if not addresses:
            cluster.requests.append((cluster.now, f"{self.namespace}/{self.service}", "", ""))
        for address in addresses:
            ServeRequest(self.namespace, self.service, str(address.get("ip"))).apply(cluster)


def resolve(cluster: Cluster, name: str) -> str | None:
    """Cluster DNS: ``svc``, ``svc.ns``, ``svc.ns.svc`` or the full name to a ClusterIP."""
    parts = name.rstrip(".").split(".")
    service = parts[0]
    namespace = parts[1] if len(parts) > 1 else "default"
    obj = cluster.store.get(("Service", namespace, service))
    if obj is None:
        return None
    cluster_ip: str | None = read_path(obj, "spec.clusterIP")
    return cluster_ip
