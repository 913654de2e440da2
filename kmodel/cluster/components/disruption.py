"""PodDisruptionBudgets, the eviction API and node drains.

* Disruption controller (``pkg/controller/disruption/disruption.go``), one sync per PDB as
  upstream's ``trySync``: the PDB covers every pod of its namespace its selector matches,
  terminal ones included (``getPodsForPdb``). An integer ``minAvailable`` is the desired
  healthy count and the covered pods the expected count; ``maxUnavailable`` (an integer or a
  percentage) and a percentage ``minAvailable`` scale against the summed ``spec.replicas`` of
  the distinct controllers of the covered pods (``getExpectedScale``: a ReplicationController,
  a ReplicaSet's Deployment, a ReplicaSet no Deployment controls, a StatefulSet, read from the
  controller's informer, then the scale subresource of the API; a pod without a controller is
  unmanaged and left out). Healthy pods are the Ready ones neither being deleted nor listed in
  ``status.disruptedPods`` within the 120 s ``DeletionTimeout`` (``countHealthyPods``);
  ``disruptionsAllowed = currentHealthy - desiredHealthy``, 0 when negative or when no pod is
  expected, with the ``DisruptionAllowed`` condition (``SufficientPods`` /
  ``InsufficientPods``; ``updatePdbStatus``). A sync that fails (a pod whose controller kind
  has no scale subresource, such as a DaemonSet or a Job, under ``maxUnavailable`` or a
  percentage; a controller that is not found) writes ``disruptionsAllowed: 0`` and
  ``DisruptionAllowed`` False, reason ``SyncFailed``, with the error, keeping the other fields
  (``failSafe``). The status is written as an update of the cached budget, so a stale cache
  gets a conflict (``writePdbStatus``). Timestamps are the model's logical seconds. Not
  mirrored: the events the controller records, the clean-up of stale ``DisruptionTarget`` pod
  conditions.
* Eviction API (``pkg/registry/core/pod/storage/eviction.go EvictionREST.Create``): a
  Succeeded, Failed or Pending pod, or one already being deleted, is deleted without looking
  at any PDB (``canIgnorePDB``). Otherwise a pod covered by more than one PDB is refused with
  500 ("This pod has more than one PodDisruptionBudget, which the eviction subresource does
  not support."), and writes nothing; a pod no PDB covers is deleted. A pod that is not Ready
  is deleted without touching its PDB when the PDB's ``spec.unhealthyPodEvictionPolicy`` is
  AlwaysAllow, or (IfHealthyBudget, the default) when its status has ``currentHealthy >=
  desiredHealthy > 0``. Else ``checkAndDecrement``: 429 ("Cannot evict pod as it would violate
  the pod's disruption budget.", with upstream's cause: the budget "is still being processed
  by the server" while its status has not observed its generation, or "needs N healthy pods
  and has M currently" when it allows no disruption), 403 for a negative allowance or more
  than 2000 ``disruptedPods``; admitted, the allowance is decremented (the condition updated
  when it reaches 0) and the pod listed in ``status.disruptedPods``. Every admitted pod gets
  the ``DisruptionTarget`` condition and is deleted (``addConditionAndDeletePod``). A request
  is one atomic step here, so upstream's resourceVersion preconditions (a pod that turned
  Ready meanwhile, ``shouldEnforceResourceVersion``) always hold and its conflict retries
  never run. Not mirrored: dry runs and client delete options.
* ``kubectl drain --ignore-daemonsets``: cordon the node, then evict its pods but DaemonSet
  and mirror pods, retrying a 429 (``kubectl/pkg/drain/drain.go evictPods``: after 5 s) for
  ever; any other refusal (the 500 of a pod two PDBs cover) fails the drain for that pod,
  which it does not evict again. The pods are listed once, when the drain starts
  (``GetPodsForDeletion``), and each is evicted until the eviction API admits it (a pod
  already being deleted included: the API only sets its ``DisruptionTarget`` condition); a
  pod that comes to the node later (pinned by ``nodeName``) is left be, as upstream's drain
  does. A listed pod replaced under its name by a new one (another UID) counts as gone
  (``waitForDelete`` compares UIDs); kubectl's re-read after a 429, which would evict the new
  one by name, is not mirrored.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.informer import ObjectView
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import int_at, list_at, mapping_at, read_path, str_at
from kmodel.objects.labels import labels_of, selector_matches
from kmodel.semantics.deployment import get_scaled_value_from_int_or_percent
from kmodel.semantics.pods import update_pod_condition
from kmodel.semantics.replicaset import controller_ref, is_pod_ready

__all__ = [
    "DELETION_TIMEOUT",
    "EvictPod",
    "SyncDisruptionBudget",
    "disruption_actions",
    "pdb_status",
]

#: ``DeletionTimeout``: how long a pod the eviction API listed in ``status.disruptedPods`` is
#: taken as about to be deleted (not healthy) before the controller drops the entry.
DELETION_TIMEOUT: Final = 120

#: Resources the API serves, by (group, version, kind), and whether each has a scale
#: subresource (the RESTMapper and discovery ``getScaleController`` consults).
_RESOURCES: Final[Mapping[tuple[str, str, str], tuple[str, bool]]] = {
    ("", "v1", "ReplicationController"): ("replicationcontrollers", True),
    ("", "v1", "Pod"): ("pods", False),
    ("", "v1", "Node"): ("nodes", False),
    ("apps", "v1", "Deployment"): ("deployments", True),
    ("apps", "v1", "ReplicaSet"): ("replicasets", True),
    ("apps", "v1", "StatefulSet"): ("statefulsets", True),
    ("apps", "v1", "DaemonSet"): ("daemonsets", False),
    ("batch", "v1", "Job"): ("jobs", False),
    ("batch", "v1", "CronJob"): ("cronjobs", False),
}


class SyncFailedError(Exception):
    """A PDB sync failed: upstream's ``trySync`` returned this error (see ``failSafe``)."""


def _group_version(api_version: str) -> tuple[str, str]:
    """Mirrors ``schema.ParseGroupVersion``: ``"apps/v1"`` is (apps, v1), ``"v1"`` ("", v1)."""
    if api_version in {"", "/"}:
        return "", ""
    parts = api_version.split("/")
    if len(parts) == 1:
        return "", parts[0]
    if len(parts) == 2:  # group/version
        return parts[0], parts[1]
    raise SyncFailedError(f"unexpected GroupVersion string: {api_version}")


def _verify_group_kind(ref: Mapping[str, Any], kind: str, groups: tuple[str, ...]) -> bool:
    """Mirrors ``disruption.go verifyGroupKind``."""
    group, _ = _group_version(str(ref.get("apiVersion") or ""))
    return ref.get("kind") == kind and group in groups


def _listed(
    view: ObjectView, kind: str, namespace: str, ref: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The cached ``kind`` the reference names, if its UID is the reference's (a lister Get)."""
    obj = view.get((kind, namespace, str(ref.get("name") or "")))
    if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
        return None
    return obj


def _replicas(obj: Mapping[str, Any]) -> int:
    return int_at(obj, "spec.replicas", default=1)


def _find_controller(
    ref: Mapping[str, Any], namespace: str, view: ObjectView, api: ObjectView
) -> tuple[str, int] | None:
    """The (UID, scale) of the controller a pod's controller reference leads to, or None.

    Mirrors ``disruption.go finders`` in order: ``getPodReplicationController``,
    ``getPodDeployment`` (the ReplicaSet's controlling Deployment), ``getPodReplicaSet`` (a
    ReplicaSet no Deployment controls), ``getPodStatefulSet`` (each from the informer, the UID
    checked), then ``getScaleController``: the scale subresource read from the API server, an
    error for a kind the API does not serve or one without a scale subresource.
    """
    if _verify_group_kind(ref, "ReplicationController", ("",)):
        rc = _listed(view, "ReplicationController", namespace, ref)
        if rc is not None:
            return rc["metadata"]["uid"], _replicas(rc)
    if _verify_group_kind(ref, "ReplicaSet", ("apps", "extensions")):
        rs = _listed(view, "ReplicaSet", namespace, ref)
        if rs is not None:
            owner = controller_ref(rs)
            if owner is not None and _verify_group_kind(
                owner, "Deployment", ("apps", "extensions")
            ):
                d = _listed(view, "Deployment", namespace, owner)
                if d is not None:
                    return d["metadata"]["uid"], _replicas(d)
            if owner is None or owner.get("kind") != "Deployment":
                return rs["metadata"]["uid"], _replicas(rs)
    if _verify_group_kind(ref, "StatefulSet", ("apps",)):
        ss = _listed(view, "StatefulSet", namespace, ref)
        if ss is not None:
            return ss["metadata"]["uid"], _replicas(ss)
    return _scale_controller(ref, namespace, api)


def _scale_controller(
    ref: Mapping[str, Any], namespace: str, api: ObjectView
) -> tuple[str, int] | None:
    """Mirrors ``disruption.go getScaleController`` (with ``implementsScale``).

    Raises:
        SyncFailedError: the API serves no such kind (the RESTMapper's ``no matches for
            kind``), or the kind has no scale subresource (``... does not implement the scale
            subresource``).
    """
    group, version = _group_version(str(ref.get("apiVersion") or ""))
    kind = str(ref.get("kind") or "")
    resource = _RESOURCES.get((group, version, kind))
    if resource is None:
        searched = f"{group}/{version}" if group else version
        raise SyncFailedError(f'no matches for kind "{kind}" in version "{searched}"')
    plural, scalable = resource
    if not scalable:
        name = f"{plural}.{group}" if group else plural
        raise SyncFailedError(f"{name} does not implement the scale subresource")
    obj = api.get((kind, namespace, str(ref.get("name") or "")))
    if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
        return None
    return obj["metadata"]["uid"], _replicas(obj)


def pods_for_pdb(pdb: Mapping[str, Any], view: ObjectView) -> list[Mapping[str, Any]]:
    """Every pod of the PDB's namespace its selector matches, terminal ones included.

    Mirrors ``disruption.go getPodsForPdb`` (``podLister.Pods(ns).List(selector)``).
    """
    selector = read_path(pdb, "spec.selector")
    return [
        p
        for p in view.list_objects("Pod", namespace=pdb["metadata"]["namespace"])
        if selector_matches(selector, labels_of(p))
    ]


def expected_scale(
    pods: list[Mapping[str, Any]], view: ObjectView, api: ObjectView
) -> tuple[int, list[str]]:
    """The summed scale of the pods' distinct controllers, and the unmanaged pods' names.

    Mirrors ``disruption.go getExpectedScale``.

    Raises:
        SyncFailedError: a finder failed, or no finder found a pod's controller (``found no
            controllers for pod``).
    """
    scales: dict[str, int] = {}
    unmanaged: list[str] = []
    for pod in pods:
        ref = controller_ref(pod)
        if ref is None:
            unmanaged.append(pod["metadata"]["name"])
            continue
        if ref.get("uid") in scales:
            continue
        found = _find_controller(ref, pod["metadata"]["namespace"], view, api)
        if found is None:
            raise SyncFailedError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
        scales[found[0]] = found[1]
    return sum(scales.values()), unmanaged


def expected_pod_count(
    pdb: Mapping[str, Any], pods: list[Mapping[str, Any]], view: ObjectView, api: ObjectView
) -> tuple[int, int]:
    """(expectedCount, desiredHealthy) of a PDB over its pods.

    Mirrors ``disruption.go getExpectedPodCount``: ``maxUnavailable`` (percentages round up)
    against the controllers' scale, desired at least 0; an integer ``minAvailable`` against
    the pods; a percentage one (rounded up) against the scale; neither set: both 0.

    Raises:
        SyncFailedError: as :func:`expected_scale`.
    """
    spec = mapping_at(pdb, "spec")
    if spec.get("maxUnavailable") is not None:
        expected, _ = expected_scale(pods, view, api)
        unavailable = get_scaled_value_from_int_or_percent(
            spec["maxUnavailable"], expected, round_up=True, path="spec.maxUnavailable"
        )
        return expected, max(0, expected - unavailable)
    min_available = spec.get("minAvailable")
    if min_available is None:
        return 0, 0
    if isinstance(min_available, int):
        return len(pods), min_available
    expected, _ = expected_scale(pods, view, api)
    return expected, get_scaled_value_from_int_or_percent(
        min_available, expected, round_up=True, path="spec.minAvailable"
    )


def _seconds(value: object) -> int:
    """A timestamp as logical seconds: the model writes ints; a manifest RFC 3339 text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(dt.datetime.fromisoformat(str(value)).timestamp())


def disrupted_pod_map(
    pdb: Mapping[str, Any], pods: list[Mapping[str, Any]], now: int
) -> dict[str, int]:
    """The ``disruptedPods`` entries still in force.

    Mirrors ``disruption.go buildDisruptedPodMap``: an entry stays for a covered pod not being
    deleted, while ``now`` is not past its time plus :data:`DELETION_TIMEOUT`.
    """
    recorded = mapping_at(pdb, "status.disruptedPods")
    kept: dict[str, int] = {}
    for pod in pods:
        name = pod["metadata"]["name"]
        if pod["metadata"].get("deletionTimestamp") is not None or name not in recorded:
            continue
        if not _seconds(recorded[name]) + DELETION_TIMEOUT < now:
            kept[name] = recorded[name]
    return kept


def count_healthy_pods(
    pods: list[Mapping[str, Any]], disrupted: Mapping[str, Any], now: int
) -> int:
    """Mirrors ``disruption.go countHealthyPods``: Ready, not being deleted, not disrupted."""
    healthy = 0
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp") is not None:
            continue
        since = disrupted.get(pod["metadata"]["name"])
        if since is not None and _seconds(since) + DELETION_TIMEOUT > now:
            continue
        if is_pod_ready(pod):
            healthy += 1
    return healthy


def _set_condition(
    conditions: list[Mapping[str, Any]], condition: dict[str, Any], now: int
) -> list[Mapping[str, Any]]:
    """Mirrors ``apimeta.SetStatusCondition``: a changed status moves ``lastTransitionTime``."""
    result: list[Mapping[str, Any]] = []
    found = False
    for existing in conditions:
        if existing.get("type") != condition["type"]:
            result.append(existing)
            continue
        found = True
        since = (
            existing.get("lastTransitionTime", now)
            if existing.get("status") == condition["status"]
            else now
        )
        result.append({**existing, **condition, "lastTransitionTime": since})
    if not found:
        result.append({**condition, "lastTransitionTime": now})
    return result


def disruption_allowed_condition(status: Mapping[str, Any], now: int) -> dict[str, Any]:
    """The status with its ``DisruptionAllowed`` condition set from ``disruptionsAllowed``.

    Mirrors ``component-helpers/apps/poddisruptionbudget/helpers.go
    UpdateDisruptionAllowedCondition``: True, SufficientPods while disruptions are allowed,
    else False, InsufficientPods (message empty).
    """
    allowed = int_at(status, "disruptionsAllowed") > 0
    condition = {
        "type": "DisruptionAllowed",
        "status": "True" if allowed else "False",
        "reason": "SufficientPods" if allowed else "InsufficientPods",
        "message": "",
        "observedGeneration": int_at(status, "observedGeneration"),
    }
    conditions = _set_condition(list_at(status, "conditions"), condition, now)
    return {**status, "conditions": conditions}


def _conditions_up_to_date(pdb: Mapping[str, Any]) -> bool:
    """Mirrors ``helpers.go ConditionsAreUpToDate``."""
    conditions = list_at(pdb, "status.conditions")
    condition = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
    if condition is None:
        return False
    if int_at(pdb, "status.observedGeneration") != pdb["metadata"].get("generation", 1):
        return False
    if int_at(pdb, "status.disruptionsAllowed") > 0:
        want = ("True", "SufficientPods")
    else:
        want = ("False", "InsufficientPods")
    return (condition.get("status"), condition.get("reason")) == want


def fail_safe(pdb: Mapping[str, Any], error: str, now: int) -> dict[str, Any]:
    """The status a failed sync writes.

    Mirrors ``disruption.go failSafe``: ``disruptionsAllowed`` 0 and ``DisruptionAllowed``
    False, reason SyncFailed, the error as message; every other field as it was.
    """
    status = dict(mapping_at(pdb, "status"))
    status["disruptionsAllowed"] = 0
    condition = {
        "type": "DisruptionAllowed",
        "status": "False",
        "reason": "SyncFailed",
        "message": error,
        "observedGeneration": int_at(status, "observedGeneration"),
    }
    status["conditions"] = _set_condition(list_at(status, "conditions"), condition, now)
    return status


def pdb_status(
    pdb: Mapping[str, Any], view: ObjectView, now: int, *, api: ObjectView | None = None
) -> dict[str, Any]:
    """The status one disruption-controller sync of ``pdb`` leaves (its own when unchanged).

    Mirrors ``disruption.go trySync`` (``getPodsForPdb``, ``getExpectedPodCount``,
    ``buildDisruptedPodMap``, ``countHealthyPods``) and ``updatePdbStatus``:
    ``disruptionsAllowed`` is ``currentHealthy - desiredHealthy``, 0 when that is negative or
    ``expectedCount <= 0``; nothing is written when every field, ``observedGeneration`` and the
    condition are already current. A failed sync gives :func:`fail_safe`'s status.

    Args:
        pdb: the budget as the controller's cache holds it.
        view: the controller's informer (pods and the controllers of ``getExpectedScale``).
        now: the logical clock.
        api: what the scale subresource reads (the API server); ``view`` when None.
    """
    pods = pods_for_pdb(pdb, view)
    try:
        expected, desired = expected_pod_count(pdb, pods, view, view if api is None else api)
    except SyncFailedError as error:
        return fail_safe(pdb, str(error), now)
    disrupted = disrupted_pod_map(pdb, pods, now)
    healthy = count_healthy_pods(pods, disrupted, now)
    allowed = healthy - desired
    if expected <= 0 or allowed <= 0:
        allowed = 0
    status = mapping_at(pdb, "status")
    generation = pdb["metadata"].get("generation", 1)
    if (
        status.get("currentHealthy", 0) == healthy
        and status.get("desiredHealthy", 0) == desired
        and status.get("expectedPods", 0) == expected
        and status.get("disruptionsAllowed", 0) == allowed
        and dict(mapping_at(status, "disruptedPods")) == disrupted
        and status.get("observedGeneration", 0) == generation
        and _conditions_up_to_date(pdb)
    ):
        return dict(status)
    fresh = {
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "expectedPods": expected,
        "disruptionsAllowed": allowed,
        "observedGeneration": generation,
        "conditions": list_at(status, "conditions"),
    }
    if disrupted:
        fresh["disruptedPods"] = disrupted
    return disruption_allowed_condition(fresh, now)


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
        """Write the status one sync computes from the controller's cache.

        Written as ``writePdbStatus`` writes it: an update of the cached budget, which a
        stale cache gets refused (a conflict: upstream requeues the budget).
        """
        view = cluster.view("disruption")
        pdb = view.get(("PodDisruptionBudget", self.namespace, self.pdb))
        if pdb is None:
            return
        status = pdb_status(pdb, view, cluster.now, api=cluster.store)
        if pdb.get("status") != status:
            cluster.update({**pdb, "status": status})


@register
@dataclass(frozen=True)
class EvictPod(Action):
    """``kubectl drain`` asks the eviction API to evict one pod from a draining node.

    Mirrors ``kubectl/pkg/drain/drain.go evictPods``'s loop for one pod: a 429 is retried
    (offered again), a NotFound ends it, any other refusal fails the drain for the pod; once
    admitted, the drain only waits for the pod to be gone.
    """

    name: ClassVar[str] = "evict"
    category: ClassVar[str] = "user"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"drain evicts {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Ask the eviction API to evict the pod; ``kubectl drain`` gives up on a hard refusal.

        Mirrors ``pkg/registry/core/pod/storage/eviction.go EvictionREST.Create`` (see
        :func:`evict`); a refusal other than 429 (the 500 of a pod covered by two budgets, the
        403 of a negative allowance) ends drain's eviction loop for the pod, as
        ``kubectl/pkg/drain/drain.go evictPods`` returns it as the drain's error: the pod is
        remembered and not evicted again by this drain.
        """
        pod = cluster.store.get(("Pod", self.namespace, self.pod))
        if pod is None:
            return  # NotFound: drain is done with it
        key = (self.namespace, self.pod, pod["metadata"]["uid"])
        refusal = evict(cluster, self.namespace, self.pod)
        drain = cluster.memory.setdefault("drain", {})
        if refusal is None:
            drain.setdefault("evicted", set()).add(key)  # drain now waits for its deletion
        elif not refusal.startswith(_TOO_MANY_REQUESTS):  # a 429 is retried after 5 s
            drain.setdefault("failed", {})[key] = refusal


#: The reason a 429 refusal is recorded with; ``kubectl drain`` retries those after 5 s.
_TOO_MANY_REQUESTS: Final = "TooManyRequests: "
_VIOLATES_BUDGET: Final = "Cannot evict pod as it would violate the pod's disruption budget."
#: The status the eviction API answers for a pod more than one budget covers (code 500).
MULTIPLE_PDBS: Final = (
    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not "
    "support."
)


def can_ignore_pdb(pod: Mapping[str, Any]) -> bool:
    """Whether the eviction API deletes the pod without consulting any budget.

    Mirrors ``eviction.go canIgnorePDB``: a Succeeded, Failed or Pending pod, or one already
    being deleted.
    """
    return (
        str_at(pod, "status.phase") in {"Succeeded", "Failed", "Pending"}
        or pod["metadata"].get("deletionTimestamp") is not None
    )


def pod_disruption_budgets(cluster: Cluster, pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The budgets of the pod's namespace whose selector matches its labels.

    Mirrors ``eviction.go getPodDisruptionBudgets`` (an empty selector matches every pod, a
    missing one none).
    """
    return [
        b
        for b in cluster.store.list_objects(
            "PodDisruptionBudget", namespace=pod["metadata"]["namespace"]
        )
        if selector_matches(read_path(b, "spec.selector"), labels_of(pod))
    ]


def check_and_decrement(budget: Mapping[str, Any], pod: str, now: int) -> str | dict[str, Any]:
    """The refusal of one budget, or the budget an admitted eviction of ``pod`` writes.

    Mirrors ``eviction.go checkAndDecrement``: 429 while the status has not observed the
    budget's generation (``createTooManyRequestsError``), 403 for a negative allowance or a
    ``disruptedPods`` map past ``MaxDisruptedPodSize`` (2000), 429 when no disruption is
    allowed; else :func:`_decremented`.
    """
    name = budget["metadata"]["name"]
    if int_at(budget, "status.observedGeneration") < budget["metadata"].get("generation", 1):
        return (
            f"{_TOO_MANY_REQUESTS}{_VIOLATES_BUDGET} (The disruption budget {name} is still "
            "being processed by the server.)"
        )
    allowed = int_at(budget, "status.disruptionsAllowed")
    forbidden = f'Forbidden: poddisruptionbudget.policy "{name}" is forbidden: '
    if allowed < 0:
        return forbidden + "pdb disruptions allowed is negative"
    if len(mapping_at(budget, "status.disruptedPods")) > _MAX_DISRUPTED_POD_SIZE:
        return (
            forbidden + "DisruptedPods map too big - too many evictions not confirmed by PDB "
            "controller"
        )
    if allowed == 0:
        return (
            f"{_TOO_MANY_REQUESTS}{_VIOLATES_BUDGET} (The disruption budget {name} needs "
            f"{int_at(budget, 'status.desiredHealthy')} healthy pods and has "
            f"{int_at(budget, 'status.currentHealthy')} currently)"
        )
    return _decremented(budget, pod, now)


#: ``MaxDisruptedPodSize``: past this many ``disruptedPods`` entries a budget refuses evictions.
_MAX_DISRUPTED_POD_SIZE: Final = 2000


def evict(cluster: Cluster, namespace: str, name: str) -> str | None:
    """One eviction request; the refusal recorded on the step (None: evicted or not found).

    Mirrors ``eviction.go EvictionREST.Create``: a pod :func:`can_ignore_pdb` admits is
    deleted at once (``addConditionAndDeletePod``); otherwise the covering budgets are listed
    (:func:`pod_disruption_budgets`): more than one refuses with 500 (:data:`MULTIPLE_PDBS`);
    none admits; a pod that is not Ready is deleted without touching the budget when its
    ``spec.unhealthyPodEvictionPolicy`` is AlwaysAllow, or (IfHealthyBudget, the default) when
    the budget's status has ``currentHealthy >= desiredHealthy > 0``; else the budget is
    checked and decremented (:func:`check_and_decrement`). Admitted, the pod gets the
    ``DisruptionTarget`` condition and is deleted. The request is atomic here, so the
    resourceVersion preconditions upstream sets to catch a pod that turned Ready meanwhile
    (``shouldEnforceResourceVersion``, ``updateDeletionOptions``) always hold, and the
    conflict retries (``EvictionsRetry``) never run. Not mirrored: dry runs and client
    delete options.
    """
    pod = cluster.store.get(("Pod", namespace, name))
    if pod is None:
        return None
    if not can_ignore_pdb(pod):
        budgets = pod_disruption_budgets(cluster, pod)
        if len(budgets) > 1:
            return _refuse(cluster, f"InternalError: {MULTIPLE_PDBS}")
        if budgets and not _unhealthy_pod_may_go(budgets[0], pod):
            decided = check_and_decrement(budgets[0], name, cluster.now)
            if isinstance(decided, str):
                return _refuse(cluster, decided)
            if cluster.update(decided) is None:
                return None
    # addConditionAndDeletePod: the eviction marks the pod before deleting it.
    marked = cluster.update(_with_disruption_target(pod, cluster.now))
    if marked is None:
        return None
    if (
        delete_pod(cluster, marked) is not None
        or cluster.store.get(("Pod", namespace, name)) is None
    ):
        cluster.evictions.append((cluster.now, ("Pod", namespace, name)))
    return None


def _unhealthy_pod_may_go(budget: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether an unhealthy (not Ready) pod is evicted without decrementing the budget.

    Mirrors the ``unhealthyPodEvictionPolicy`` branch of ``EvictionREST.Create``: AlwaysAllow
    admits it; IfHealthyBudget (also when unset) while the status has ``currentHealthy >=
    desiredHealthy`` and ``desiredHealthy > 0``. A Ready pod is always guarded.
    """
    if is_pod_ready(pod):
        return False
    if str_at(budget, "spec.unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    desired = int_at(budget, "status.desiredHealthy")
    return int_at(budget, "status.currentHealthy") >= desired > 0


def _refuse(cluster: Cluster, refusal: str) -> str:
    cluster._errors().append(refusal)  # noqa: SLF001  # the API's refusal of the request
    return refusal


def _decremented(budget: Mapping[str, Any], pod: str, now: int) -> dict[str, Any]:
    """The budget an admitted eviction of ``pod`` writes.

    Mirrors ``eviction.go checkAndDecrement``: one disruption fewer (the ``DisruptionAllowed``
    condition updated when none is left), and the pod listed in ``disruptedPods`` at ``now``,
    so that the controller counts it as unhealthy until it sees the pod being deleted.
    """
    status = copy.deepcopy(dict(mapping_at(budget, "status")))
    status["disruptionsAllowed"] -= 1
    if status["disruptionsAllowed"] == 0:
        status = disruption_allowed_condition(status, now)
    status["disruptedPods"] = {**mapping_at(status, "disruptedPods"), pod: now}
    return {**budget, "status": status}


#: The condition ``addConditionAndDeletePod`` sets (its ``lastTransitionTime`` aside).
_EVICTION_CONDITION: Final = {
    "type": "DisruptionTarget",
    "status": "True",
    "reason": "EvictionByEvictionAPI",
    "message": "Eviction API: evicting",
}


def _with_disruption_target(pod: Mapping[str, Any], now: int) -> dict[str, Any]:
    """The pod with the eviction API's ``DisruptionTarget`` condition.

    Mirrors ``pkg/registry/core/pod/storage/eviction.go addConditionAndDeletePod``: type
    DisruptionTarget, status True, reason EvictionByEvictionAPI, message "Eviction API:
    evicting", set by ``UpdatePodCondition``.
    """
    status = dict(mapping_at(pod, "status"))
    condition = {**_EVICTION_CONDITION, "lastTransitionTime": now}
    status["conditions"] = update_pod_condition(list_at(status, "conditions"), condition)
    return {**pod, "status": status}


def drain_pods(cluster: Cluster, node: str) -> set[tuple[str, str, str]]:
    """The pods ``kubectl drain --ignore-daemonsets --force`` evicts from ``node``.

    Mirrors ``kubectl/pkg/drain/drain.go GetPodsForDeletion``: one list of the pods bound to
    the node (from the API, not a cache), without mirror pods (``mirrorPodFilter``) and pods a
    DaemonSet controls (``daemonSetFilter``); finished pods are listed too. As
    ``(namespace, name, uid)``.
    """
    return {
        (pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"])
        for pod in cluster.store.list_objects("Pod")
        if str_at(pod, "spec.nodeName") == node
        and not mapping_at(pod, "metadata.annotations").get("kubernetes.io/config.mirror")
        and not is_daemon_pod(pod)
    }


#: The kinds a PDB sync reads from the controller's cache and, for the scale subresource,
#: from the API (``getExpectedScale``).
_CONTROLLER_KINDS: Final = ("ReplicationController", "Deployment", "ReplicaSet", "StatefulSet")


def disruption_actions(cluster: Cluster) -> list[Action]:
    """PDB syncs that would change a status, and pending evictions of draining nodes."""
    view = cluster.view("disruption")
    drain = cluster.memory.setdefault("drain", {})
    # A disruptedPods entry expires with time (buildDisruptedPodMap's recheck).
    timed = any(
        mapping_at(pdb, "status.disruptedPods") for pdb in view.list_objects("PodDisruptionBudget")
    )
    key = (
        "disruption",
        view.versions("PodDisruptionBudget", "Pod", *_CONTROLLER_KINDS),
        tuple(cluster.store.kind_revision.get(kind, 0) for kind in ("Pod", *_CONTROLLER_KINDS)),
        frozenset(pending_evictions(drain)),
        cluster.now if timed else None,
    )
    return list(cluster.memo(key, lambda: _disruption_actions(cluster)))


def pending_evictions(drain: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    """The pods the drains listed that are neither admitted for eviction nor given up on."""
    listed: set[tuple[str, str, str]] = set().union(*drain.get("listed", {}).values())
    done: set[tuple[str, str, str]] = drain.get("evicted", set()) | drain.get("failed", {}).keys()
    return listed - done


def _disruption_actions(cluster: Cluster) -> list[Action]:
    view = cluster.view("disruption")
    actions: list[Action] = [
        SyncDisruptionBudget(pdb["metadata"]["namespace"], pdb["metadata"]["name"])
        for pdb in view.list_objects("PodDisruptionBudget")
        if pdb.get("status") != pdb_status(pdb, view, cluster.now, api=cluster.store)
    ]
    pending = pending_evictions(cluster.memory.setdefault("drain", {}))
    actions.extend(
        EvictPod(pod["metadata"]["namespace"], pod["metadata"]["name"])
        for pod in cluster.store.list_objects("Pod")
        if (pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"])
        in pending
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
