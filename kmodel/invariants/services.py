"""Invariants guarding Services: what the requests clients send through kube-proxy saw."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import History, Invariant, Violation, _conditions, _live, _pods


def _serving(pod: Mapping[str, Any]) -> bool:
    """Ready, not terminating and not terminal: a pod a Service's ready endpoints may list."""
    return (
        _live(pod)
        and pod["metadata"].get("deletionTimestamp") is None
        and _conditions(pod).get("Ready") == "True"
    )


class RequestsReachReadyPods(Invariant):
    """No request reaches a pod that is not Ready or is gone, once that change propagated.

    Upstream promises it (``endpoints_controller.go syncService``: a pod that is not Ready or
    is terminating is not among a Service's ready addresses; kube-proxy routes only to the
    ready endpoints it watched; the Service documentation): a client request goes to a Ready
    pod. The change of a pod reaches clients through two watches, so for a while after it a
    request may still go to the pod (upstream's propagation window): until the endpoints
    controller, with a cache that holds the change, wrote the Service's Endpoints, and until
    kube-proxy received that version. Judged on every request kmodel records (the
    ``requests`` user action): when kube-proxy routed by an Endpoints version written by an
    up-to-date endpoints controller (its watch neither stalled nor missing events), the
    address the request went to must have been a Ready, non-terminating pod's then, and the
    pod must not be gone, terminating or unready now. Services that publish not-ready
    addresses promise nothing of the kind and are left out.
    """

    name = "requests_reach_ready_pods"
    description = "no request reaches a pod that is not Ready or is gone, once that propagated"
    precondition = (
        "a request went to a Service whose Endpoints kube-proxy had from an up-to-date controller"
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Note the Endpoints an up-to-date controller wrote; judge the requests sent since."""
        self._note_endpoints(cluster, step, history)
        sent = cluster.requests[history.requests_judged :]
        history.requests_judged = len(cluster.requests)
        if not sent:
            return []
        pods_by_ip = {
            str((p.get("status") or {}).get("podIP")): p
            for p in _pods(cluster)
            if (p.get("status") or {}).get("podIP")
        }
        proxy = cluster.informers.get("proxy")
        violations = []
        for _, service, served, ip in sent:
            namespace, _, name = service.partition("/")
            known = history.endpoints_written.get(service)
            routed_by = proxy.get(("Endpoints", namespace, name)) if proxy is not None else None
            if not ip or known is None or routed_by is None:
                continue
            if routed_by["metadata"].get("resourceVersion") != known[0]:
                continue  # kube-proxy routes by another version: the change may not be there yet
            history.met.add(self.name)
            pod = pods_by_ip.get(ip)
            if ip in known[1] or (pod is not None and _serving(pod)):
                continue
            state = "gone" if pod is None else "not Ready or terminating"
            violations.append(
                self.violation(
                    f"a request to service {service} went to {ip} "
                    f"(served by {served or 'nobody: refused'}), whose pod is {state} and was "
                    "not Ready when an up-to-date endpoints controller wrote the Endpoints "
                    "kube-proxy routes by",
                    service=service,
                    address=ip,
                    pod=served,
                )
            )
        return violations

    def _note_endpoints(self, cluster: Cluster, step: Step | None, history: History) -> None:
        """Remember each Endpoints version an up-to-date controller wrote, with the Ready IPs."""
        informer = cluster.informers.get("endpoints")
        if informer is None or informer.lagging or informer.dropped:
            return
        if step is None:
            written = [
                (e["metadata"]["namespace"], e["metadata"]["name"])
                for e in cluster.store.list_objects("Endpoints")
            ]
        elif step.action.name == "endpoints-sync":
            written = [
                (c.namespace, c.name)
                for c in step.changes
                if c.kind == "Endpoints" and c.type != "DELETED"
            ]
        else:
            return
        for namespace, name in written:
            endpoints = cluster.store.get(("Endpoints", namespace, name))
            service = cluster.store.get(("Service", namespace, name))
            if endpoints is None or service is None:
                continue
            if (service.get("spec") or {}).get("publishNotReadyAddresses"):
                history.endpoints_written.pop(f"{namespace}/{name}", None)
                continue
            ready = frozenset(
                str((p.get("status") or {}).get("podIP"))
                for p in cluster.store.list_objects("Pod", namespace=namespace)
                if _serving(p) and (p.get("status") or {}).get("podIP")
            )
            history.endpoints_written[f"{namespace}/{name}"] = (
                str(endpoints["metadata"].get("resourceVersion")),
                ready,
            )
