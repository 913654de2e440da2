"""PodDisruptionBudgets, the eviction API and node drains.

* Disruption controller (``pkg/controller/disruption/disruption.go``): a PDB's status counts the
  healthy (Ready) pods it selects and allows ``currentHealthy - desiredHealthy`` disruptions,
  where ``desiredHealthy`` is ``minAvailable`` (a percentage of the expected pods, rounded up) or
  ``expected - maxUnavailable`` (a percentage rounded up), expected being the pods counted.
* Eviction API (``pkg/registry/core/pod/storage/eviction.go``): an eviction is refused with 429
  ("Cannot evict pod as it would violate the pod's disruption budget.") while a covering PDB
  allows no disruption; otherwise the PDB's allowance is decremented and the pod is deleted.
* ``kubectl drain --ignore-daemonsets``: cordon the node, then evict its pods but DaemonSet
  pods (retrying refused evictions forever).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import int_at, list_at, mapping_at, read_path, str_at
from kmodel.objects.labels import labels_of, selector_matches
from kmodel.semantics.deployment import get_scaled_value_from_int_or_percent
from kmodel.semantics.replicaset import controller_ref, is_pod_ready

__all__ = ["EvictPod", "SyncDisruptionBudget", "disruption_actions", "pdb_status"]


def _covered(pdb: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    selector = read_path(pdb, "spec.selector")
    return [
        p
        for p in pods
        if p["metadata"]["namespace"] == pdb["metadata"]["namespace"]
        and selector_matches(selector, labels_of(p))
        and str_at(p, "status.phase") not in {"Succeeded", "Failed"}
    ]


def pdb_status(pdb: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The status the disruption controller computes for a PDB over ``pods``.

    Mirrors ``pkg/controller/disruption/disruption.go getExpectedPodCount`` (percentages round
    up) and ``countHealthyPods``, counting the covered pods that are not terminal as expected.
    Not mirrored: ``getExpectedScale`` (the owning controllers' replicas) as the expected count
    for ``maxUnavailable`` and percentages.
    """
    covered = _covered(pdb, pods)
    expected = len(covered)
    healthy = sum(
        1 for p in covered if is_pod_ready(p) and p["metadata"].get("deletionTimestamp") is None
    )
    spec = mapping_at(pdb, "spec")
    if spec.get("maxUnavailable") is not None:
        unavailable = get_scaled_value_from_int_or_percent(
            spec["maxUnavailable"], expected, round_up=True, path="spec.maxUnavailable"
        )
        desired = max(0, expected - unavailable)
    else:
        desired = get_scaled_value_from_int_or_percent(
            spec.get("minAvailable", 1), expected, round_up=True, path="spec.minAvailable"
        )
    return {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "disruptionsAllowed": max(0, healthy - desired),
        "observedGeneration": pdb["metadata"].get("generation", 1),
    }


@register
@dataclass(frozen=True)
class SyncDisruptionBudget(Action):
    """The disruption controller recomputes one PDB's status."""

    name: ClassVar[str] = "pdb-sync"
    namespace: str
    pdb: str

    def describe(self) -> str:
        """In words."""
        return f"disruption controller syncs PDB {self.namespace}/{self.pdb}"

    def apply(self, cluster: Cluster) -> None:
        """Write the status."""
        view = cluster.view("disruption")
        pdb = view.get(("PodDisruptionBudget", self.namespace, self.pdb))
        if pdb is None:
            return
        status = pdb_status(pdb, list(view.list_objects("Pod", namespace=self.namespace)))
        current = cluster.store.get(("PodDisruptionBudget", self.namespace, self.pdb))
        if current is not None and current.get("status") != status:
            cluster.update({**current, "status": status})


@register
@dataclass(frozen=True)
class EvictPod(Action):
    """``kubectl drain`` asks the eviction API to evict one pod from a draining node."""

    name: ClassVar[str] = "evict"
    category: ClassVar[str] = "user"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"drain evicts {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Admit the eviction if every covering PDB allows a disruption, then delete the pod."""
        pod = cluster.store.get(("Pod", self.namespace, self.pod))
        if pod is None or pod["metadata"].get("deletionTimestamp") is not None:
            return
        budgets = [
            b
            for b in cluster.store.list_objects("PodDisruptionBudget", namespace=self.namespace)
            if selector_matches(read_path(b, "spec.selector"), labels_of(pod))
        ]
        for budget in budgets:
            if int_at(budget, "status.disruptionsAllowed") <= 0:
                cluster._errors().append(  # noqa: SLF001  # the API's 429 is a refused write
                    "TooManyRequests: Cannot evict pod as it would violate the pod's "
                    "disruption budget."
                )
                return
        for budget in budgets:
            body = copy.deepcopy(dict(budget))
            body["status"]["disruptionsAllowed"] -= 1
            if cluster.update(body) is None:
                return
        if str_at(pod, "status.phase") not in {"Succeeded", "Failed"}:
            # addConditionAndDeletePod: the eviction marks the pod before deleting it.
            pod = cluster.update(_with_disruption_target(pod, cluster.now))
            if pod is None:
                return
        if (
            delete_pod(cluster, pod) is not None
            or cluster.store.get(("Pod", self.namespace, self.pod)) is None
        ):
            cluster.evictions.append((cluster.now, ("Pod", self.namespace, self.pod)))


def _with_disruption_target(pod: Mapping[str, Any], now: int) -> dict[str, Any]:
    """The pod with the eviction API's ``DisruptionTarget`` condition.

    Mirrors ``pkg/registry/core/pod/storage/eviction.go addConditionAndDeletePod``: type
    DisruptionTarget, status True, reason EvictionByEvictionAPI, message "Eviction API:
    evicting", replacing one the pod has.
    """
    status = dict(mapping_at(pod, "status"))
    condition = {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
        "lastTransitionTime": now,
    }
    others = [c for c in list_at(status, "conditions") if c.get("type") != "DisruptionTarget"]
    status["conditions"] = [*others, condition]
    return {**pod, "status": status}


def disruption_actions(cluster: Cluster) -> list[Action]:
    """PDB syncs that would change a status, and pending evictions of draining nodes."""
    view = cluster.view("disruption")
    draining = frozenset(cluster.memory.setdefault("drain", {}).get("nodes", set()))
    key = (
        "disruption",
        view.versions("PodDisruptionBudget", "Pod"),
        cluster.store.kind_revision.get("Pod", 0),
        draining,
    )
    return list(cluster.memo(key, lambda: _disruption_actions(cluster)))


def _disruption_actions(cluster: Cluster) -> list[Action]:
    view = cluster.view("disruption")
    pods = list(view.list_objects("Pod"))
    actions: list[Action] = [
        SyncDisruptionBudget(pdb["metadata"]["namespace"], pdb["metadata"]["name"])
        for pdb in view.list_objects("PodDisruptionBudget")
        if pdb.get("status") != pdb_status(pdb, pods)
    ]
    draining = cluster.memory.setdefault("drain", {}).get("nodes", set())
    actions.extend(
        EvictPod(pod["metadata"]["namespace"], pod["metadata"]["name"])
        for pod in cluster.store.list_objects("Pod")
        if str_at(pod, "spec.nodeName") in draining
        and pod["metadata"].get("deletionTimestamp") is None
        and not mapping_at(pod, "metadata.annotations").get("kubernetes.io/config.mirror")
        and not is_daemon_pod(pod)
    )
    return actions


def is_daemon_pod(pod: Mapping[str, Any]) -> bool:
    """Whether ``kubectl drain --ignore-daemonsets`` leaves the pod be.

    Mirrors ``kubectl/pkg/drain/filters.go daemonSetFilter``: a pod whose controller is a
    DaemonSet is skipped (its controller would recreate it on the cordoned node, which daemon
    pods tolerate). Not mirrored: the check that the DaemonSet still exists.
    """
    ref = controller_ref(pod)
    return ref is not None and ref.get("kind") == "DaemonSet"
