"""StatefulSet controller decisions, as pure functions over manifests.

Mirrors ``pkg/controller/statefulset`` (master after v1.35):

* ``stateful_set_utils.go``: ``getParentNameAndOrdinal``, ``getOrdinal``, ``getPodName``,
  ``getPersistentVolumeClaimName``, ``isMemberOf``, ``identityMatches``, ``storageMatches``,
  ``getPersistentVolumeClaims``, ``newStatefulSetPod``, ``newVersionedStatefulSetPod``,
  ``isRunningAndReady``, ``isRunningAndAvailable``, ``isCreated``, ``isPending``, ``isFailed``,
  ``isSucceeded``, ``isTerminating``, ``isHealthy``, ``isUnavailable``, ``allowsBurst``,
  ``getStartOrdinal``, ``getEndOrdinal``, ``podInOrdinalRange``, ``getPodRevision``,
  ``completeRollingUpdate``, ``inconsistentStatus``, ``getStatefulSetMaxUnavailable``,
  ``getPersistentVolumeClaimRetentionPolicy``, ``claimOwnerMatchesSetAndPod``,
  ``updateClaimOwnerRefForSetAndPod``, ``hasStaleOwnerRef``;
* ``stateful_set_control.go``: ``computeReplicaStatus``, ``updateStatus``, ``processReplica``,
  ``processCondemned``, ``updateStatefulSet``, ``updateStatefulSetAfterInvariantEstablished``,
  ``getStatefulSetRevisions`` and ``truncateHistory``;
* ``pkg/apis/apps/v1/defaults.go SetDefaults_StatefulSet``.

Feature gates at their defaults in that release: ``MaxUnavailableStatefulSet`` is beta and on
(since v1.35), so rolling updates go through ``updateStatefulSetAfterInvariantEstablished``;
``StatefulSetAutoDeletePVC``, ``StatefulSetStartOrdinal`` and ``PodIndexLabel`` are GA.

:func:`update_stateful_set` returns the writes one sync makes, in upstream's order, and the
status it computes; the cluster model carries them out through the API and stops at the first
refused write, as upstream returns on the first error. Where upstream runs a burst
(``Parallel``) in slow-start batches of goroutines, the plan lists the same writes in ordinal
order. Revisions are named by the caller (kmodel's own deterministic hash, see
``kmodel.cluster.components.statefulset``); the functions here only compare names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from kmodel.internal.gocompat import MAX_INT32
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.objects.types import Manifest
from kmodel.semantics.replicaset import is_pod_available, is_pod_ready

__all__ = [
    "POD_INDEX_LABEL",
    "POD_NAME_LABEL",
    "REVISION_LABEL",
    "Operation",
    "RevisionChoice",
    "StatefulSetPlan",
    "allows_burst",
    "claim_owner_refs",
    "complete_rolling_update",
    "compute_replica_status",
    "get_end_ordinal",
    "get_ordinal",
    "get_parent_name_and_ordinal",
    "get_persistent_volume_claim_name",
    "get_persistent_volume_claims",
    "get_pod_name",
    "get_pod_revision",
    "get_start_ordinal",
    "has_stale_owner_ref",
    "identity_matches",
    "inconsistent_status",
    "is_created",
    "is_failed",
    "is_healthy",
    "is_member_of",
    "is_pending",
    "is_running_and_available",
    "is_running_and_ready",
    "is_succeeded",
    "is_terminating",
    "is_unavailable",
    "max_unavailable",
    "new_stateful_set_pod",
    "new_versioned_stateful_set_pod",
    "pod_in_ordinal_range",
    "retention_policy",
    "select_revisions",
    "storage_matches",
    "truncate_history",
    "update_stateful_set",
]

#: ``apps.ControllerRevisionHashLabelKey``: the revision a pod was made from.
REVISION_LABEL: Final = "controller-revision-hash"
#: ``apps.StatefulSetPodNameLabel``.
POD_NAME_LABEL: Final = "statefulset.kubernetes.io/pod-name"
#: ``apps.PodIndexLabel`` (``PodIndexLabel`` GA).
POD_INDEX_LABEL: Final = "apps.kubernetes.io/pod-index"

_STATEFUL_POD = re.compile(r"^(.*)-([0-9]+)$")


# ---------------------------------------------------------------- defaults


# ---------------------------------------------------------------- identity


def get_parent_name_and_ordinal(pod: Manifest) -> tuple[str, int]:
    """``getParentNameAndOrdinal``: the set's name and the ordinal from ``<set>-<ordinal>``.

    A name that does not end in ``-<digits>``, or whose ordinal does not fit an int32, has
    parent ``""`` (no match) or ordinal -1.
    """
    match = _STATEFUL_POD.match(str(pod["metadata"].get("name", "")))
    if match is None:
        return "", -1
    ordinal = int(match.group(2))
    return match.group(1), ordinal if ordinal <= MAX_INT32 else -1


def get_ordinal(pod: Manifest) -> int:
    """``getOrdinal``: the pod's ordinal, -1 when it has none."""
    return get_parent_name_and_ordinal(pod)[1]


def get_pod_name(sts: Manifest, ordinal: int) -> str:
    """``getPodName``: ``<set>-<ordinal>``."""
    return f"{sts['metadata']['name']}-{ordinal}"


def get_persistent_volume_claim_name(sts: Manifest, template: Manifest, ordinal: int) -> str:
    """``getPersistentVolumeClaimName``: ``<template>-<set>-<ordinal>``."""
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"


def is_member_of(sts: Manifest, pod: Manifest) -> bool:
    """``isMemberOf``: the pod's name says it belongs to the set."""
    return bool(get_parent_name_and_ordinal(pod)[0] == sts["metadata"]["name"])


def get_start_ordinal(sts: Manifest) -> int:
    """``getStartOrdinal``: ``spec.ordinals.start`` (0 when unset)."""
    return int(read_path(sts, "spec.ordinals.start") or 0)


def get_end_ordinal(sts: Manifest) -> int:
    """``getEndOrdinal``: the last ordinal in range, start + replicas - 1."""
    return get_start_ordinal(sts) + int(sts["spec"]["replicas"]) - 1


def pod_in_ordinal_range(pod: Manifest, sts: Manifest) -> bool:
    """``podInOrdinalRange``: the ordinal lies in [start, end]."""
    ordinal = get_ordinal(pod)
    return get_start_ordinal(sts) <= ordinal <= get_end_ordinal(sts)


def identity_matches(sts: Manifest, pod: Manifest) -> bool:
    """``identityMatches``: name, namespace and the pod-name label are the set's for the ordinal."""
    parent, ordinal = get_parent_name_and_ordinal(pod)
    labels = mapping_at(pod, "metadata.labels")
    return (
        ordinal >= 0
        and parent == sts["metadata"]["name"]
        and pod["metadata"]["name"] == get_pod_name(sts, ordinal)
        and pod["metadata"].get("namespace") == sts["metadata"].get("namespace")
        and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
    )


def storage_matches(sts: Manifest, pod: Manifest) -> bool:
    """``storageMatches``: the pod mounts each claim template's per-ordinal claim."""
    ordinal = get_ordinal(pod)
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in list_at(pod, "spec.volumes")}
    for template in list_at(sts, "spec.volumeClaimTemplates"):
        volume = volumes.get(template["metadata"]["name"])
        source = (volume or {}).get("persistentVolumeClaim")
        if source is None or source.get("claimName") != get_persistent_volume_claim_name(
            sts, template, ordinal
        ):
            return False
    return True


def get_persistent_volume_claims(sts: Manifest, ordinal: int) -> dict[str, dict[str, Any]]:
    """``getPersistentVolumeClaims``: template name -> the claim for this ordinal.

    Each claim is the template renamed for the ordinal, in the set's namespace, labelled with the
    set's ``matchLabels`` (upstream also copies the template's own labels over them).
    """
    claims: dict[str, dict[str, Any]] = {}
    match_labels = mapping_at(sts, "spec.selector.matchLabels")
    for template in list_at(sts, "spec.volumeClaimTemplates"):
        claim = copy.deepcopy(dict(template))
        metadata = dict(mapping_at(claim, "metadata"))
        metadata["name"] = get_persistent_volume_claim_name(sts, template, ordinal)
        metadata["namespace"] = sts["metadata"].get("namespace")
        metadata["labels"] = {**mapping_at(metadata, "labels"), **match_labels}
        claim["metadata"] = metadata
        claim["apiVersion"] = "v1"
        claim["kind"] = "PersistentVolumeClaim"
        claim.pop("status", None)
        claims[template["metadata"]["name"]] = claim
    return claims


def _owner_ref(obj: Manifest, kind: str, api_version: str) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def new_stateful_set_pod(sts: Manifest, ordinal: int) -> dict[str, Any]:
    """``newStatefulSetPod``: the pod for an ordinal, from the set's template.

    ``GetPodFromTemplate`` with the set as controller, then ``initIdentity`` (the pod-name and
    pod-index labels, ``hostname`` and ``subdomain``) and ``updateStorage`` (one
    ``persistentVolumeClaim`` volume per claim template, replacing a template volume of the same
    name).
    """
    template = mapping_at(sts, "spec.template")
    metadata = mapping_at(template, "metadata")
    name = get_pod_name(sts, ordinal)
    labels = dict(mapping_at(metadata, "labels"))
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    spec = copy.deepcopy(dict(mapping_at(template, "spec")))
    spec["hostname"] = name
    service = sts["spec"].get("serviceName")
    if service:
        spec["subdomain"] = service
    claims = get_persistent_volume_claims(sts, ordinal)
    volumes = [
        {"name": name_, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for name_, claim in claims.items()
    ]
    volumes.extend(v for v in list_at(spec, "volumes") if v.get("name") not in claims)
    if volumes:
        spec["volumes"] = volumes
    pod_metadata: dict[str, Any] = {
        "name": name,
        "namespace": sts["metadata"].get("namespace"),
        "labels": labels,
        "ownerReferences": [_owner_ref(sts, "StatefulSet", "apps/v1")],
    }
    if metadata.get("annotations"):
        pod_metadata["annotations"] = dict(metadata["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_metadata, "spec": spec}


def new_versioned_stateful_set_pod(
    current_set: Manifest,
    update_set: Manifest,
    current_revision: str,
    update_revision: str,
    ordinal: int,
) -> dict[str, Any]:
    """``newVersionedStatefulSetPod``: the pod at the current or the update revision.

    A rolling update keeps ordinals below the partition at the current revision (without a
    ``rollingUpdate`` block, ordinals below ``status.currentReplicas``); every other pod is made
    from the update revision.
    """
    strategy = mapping_at(current_set, "spec.updateStrategy")
    rolling = strategy.get("rollingUpdate")
    start = get_start_ordinal(current_set)
    if strategy.get("type") == "RollingUpdate" and (
        (
            rolling is None
            and ordinal < start + int(mapping_at(current_set, "status").get("currentReplicas", 0))
        )
        or (rolling is not None and ordinal < start + int(rolling.get("partition") or 0))
    ):
        pod = new_stateful_set_pod(current_set, ordinal)
        pod["metadata"]["labels"][REVISION_LABEL] = current_revision
        return pod
    pod = new_stateful_set_pod(update_set, ordinal)
    pod["metadata"]["labels"][REVISION_LABEL] = update_revision
    return pod


# ---------------------------------------------------------------- pod states


def _phase(pod: Manifest) -> str:
    return str(read_path(pod, "status.phase") or "")


def is_created(pod: Manifest) -> bool:
    """``isCreated``: the pod has a phase (it exists in the API)."""
    return _phase(pod) != ""


def is_pending(pod: Manifest) -> bool:
    """``isPending``."""
    return _phase(pod) == "Pending"


def is_failed(pod: Manifest) -> bool:
    """``isFailed``."""
    return _phase(pod) == "Failed"


def is_succeeded(pod: Manifest) -> bool:
    """``isSucceeded``."""
    return _phase(pod) == "Succeeded"


def is_terminating(pod: Manifest) -> bool:
    """``isTerminating``: the pod has a deletionTimestamp."""
    return pod["metadata"].get("deletionTimestamp") is not None


def is_running_and_ready(pod: Manifest) -> bool:
    """``isRunningAndReady``: phase Running and the Ready condition True."""
    return _phase(pod) == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: Manifest, min_ready_seconds: int, now: int) -> bool:
    """``isRunningAndAvailable``: ``podutil.IsPodAvailable`` at ``now``."""
    return is_pod_available(pod, min_ready_seconds, now)


def is_healthy(pod: Manifest) -> bool:
    """``isHealthy``: running and ready, and not terminating."""
    return is_running_and_ready(pod) and not is_terminating(pod)


def is_unavailable(pod: Manifest, min_ready_seconds: int, now: int) -> bool:
    """``isUnavailable``: not healthy, or not available for ``minReadySeconds`` yet."""
    return not is_healthy(pod) or not is_running_and_available(pod, min_ready_seconds, now)


def allows_burst(sts: Manifest) -> bool:
    """``allowsBurst``: ``podManagementPolicy: Parallel``."""
    return bool(sts["spec"].get("podManagementPolicy") == "Parallel")


def get_pod_revision(pod: Manifest) -> str:
    """``getPodRevision``: the ``controller-revision-hash`` label ("" without one)."""
    return str(mapping_at(pod, "metadata.labels").get(REVISION_LABEL, ""))


def max_unavailable(value: int | str | None, replicas: int) -> int:
    """``getStatefulSetMaxUnavailable``: scaled down from a percentage, never below 1."""
    if value is None:
        value = 1
    number = int(value.rstrip("%")) * replicas // 100 if isinstance(value, str) else int(value)
    return max(number, 1)


# ---------------------------------------------------------------- claims and retention


def retention_policy(sts: Manifest) -> tuple[str, str]:
    """``getPersistentVolumeClaimRetentionPolicy``: (whenDeleted, whenScaled), Retain by default."""
    policy = mapping_at(sts, "spec.persistentVolumeClaimRetentionPolicy")
    return str(policy.get("whenDeleted") or "Retain"), str(policy.get("whenScaled") or "Retain")


def claim_owner_refs(sts: Manifest, pod: Manifest, claim: Manifest) -> list[dict[str, Any]] | None:
    """The claim's owner references as the retention policy wants them; None if they already are.

    Mirrors ``updateClaimOwnerRefForSetAndPod`` (and, by returning None,
    ``claimOwnerMatchesSetAndPod``): ``whenDeleted: Delete`` makes the set an owner (the
    garbage collector deletes the claim with the set); ``whenScaled: Delete`` makes a condemned
    pod (one out of the ordinal range) the owner instead (the claim goes with the pod).
    References to other objects are kept. ``pod`` needs a UID (a created pod).
    """
    when_deleted, when_scaled = retention_policy(sts)
    refs = [dict(r) for r in list_at(claim, "metadata.ownerReferences")]
    set_uid, pod_uid = sts["metadata"]["uid"], pod["metadata"]["uid"]
    want_set = when_deleted == "Delete"
    want_pod = False
    if when_scaled == "Delete" and not pod_in_ordinal_range(pod, sts):
        want_pod, want_set = True, False
    kept = [r for r in refs if r.get("uid") not in {set_uid, pod_uid}]
    wanted = list(kept)
    if want_set:
        wanted.append({**_owner_ref(sts, "StatefulSet", "apps/v1"), "controller": True})
    if want_pod:
        wanted.append({**_owner_ref(pod, "Pod", "v1"), "controller": False})

    def uids(items: Sequence[Mapping[str, Any]]) -> set[Any]:
        return {r.get("uid") for r in items}

    return None if uids(refs) == uids(wanted) else wanted


def has_stale_owner_ref(claim: Manifest, pod: Manifest) -> bool:
    """``hasStaleOwnerRef``: the claim is owned by an earlier pod of the same name.

    ``pod`` may be one not created yet (no UID): then any pod reference by name is stale.
    """
    uid = pod["metadata"].get("uid")
    return any(
        r.get("kind") == "Pod" and r.get("name") == pod["metadata"]["name"] and r.get("uid") != uid
        for r in list_at(claim, "metadata.ownerReferences")
    )


def _claim_is_stale(sts: Manifest, pod: Manifest, claims: Mapping[str, Manifest]) -> bool:
    """``PodClaimIsStale``: with ``whenScaled: Delete``, a claim still owned by an old pod."""
    if retention_policy(sts)[1] == "Retain":
        return False
    for wanted in get_persistent_volume_claims(sts, get_ordinal(pod)).values():
        existing = claims.get(wanted["metadata"]["name"])
        if existing is not None and has_stale_owner_ref(existing, pod):
            return True
    return False


# ---------------------------------------------------------------- status


def compute_replica_status(
    pods: Sequence[Manifest],
    min_ready_seconds: int,
    current_revision: str,
    update_revision: str,
    now: int,
) -> dict[str, int]:
    """``computeReplicaStatus``: replicas, ready, available, current and updated counts."""
    status = {
        "replicas": 0,
        "readyReplicas": 0,
        "availableReplicas": 0,
        "currentReplicas": 0,
        "updatedReplicas": 0,
    }
    for pod in pods:
        if is_created(pod):
            status["replicas"] += 1
        if is_running_and_ready(pod):
            status["readyReplicas"] += 1
            if is_running_and_available(pod, min_ready_seconds, now):
                status["availableReplicas"] += 1
        if is_created(pod) and not is_terminating(pod):
            revision = get_pod_revision(pod)
            if revision == current_revision:
                status["currentReplicas"] += 1
            if revision == update_revision:
                status["updatedReplicas"] += 1
    return status


def complete_rolling_update(sts: Manifest, status: dict[str, Any]) -> None:
    """``completeRollingUpdate``: once every replica is updated and ready, current = update."""
    strategy = mapping_at(sts, "spec.updateStrategy")
    if (
        strategy.get("type") == "RollingUpdate"
        and status["updatedReplicas"] == status["replicas"]
        and status["readyReplicas"] == status["replicas"]
    ):
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def inconsistent_status(sts: Manifest, status: Mapping[str, Any]) -> bool:
    """``inconsistentStatus``: the computed status differs from the stored one in a field."""
    stored = mapping_at(sts, "status")
    return any(stored.get(key, _ZERO.get(key)) != status.get(key) for key in _STATUS_FIELDS)


_STATUS_FIELDS: Final = (
    "observedGeneration",
    "replicas",
    "readyReplicas",
    "currentReplicas",
    "updatedReplicas",
    "currentRevision",
    "availableReplicas",
    "updateRevision",
    "collisionCount",
)
_ZERO: Final[Mapping[str, Any]] = {
    "observedGeneration": 0,
    "replicas": 0,
    "readyReplicas": 0,
    "currentReplicas": 0,
    "updatedReplicas": 0,
    "currentRevision": "",
    "availableReplicas": 0,
    "updateRevision": "",
}


# ---------------------------------------------------------------- the sync


@dataclass(frozen=True)
class Operation:
    """One write of a sync.

    Attributes:
        verb: ``create-claim`` (``body``), ``create-pod`` (``body``), ``delete-pod`` (``name``,
            ``uid``), ``update-pod`` (``body``: identity, storage and labels restored) or
            ``update-claim`` (``name``, ``owners``: the claim's owner references).
        why: upstream's reason, for traces and tests.
    """

    verb: Literal["create-claim", "create-pod", "delete-pod", "update-pod", "update-claim"]
    why: str
    name: str = ""
    uid: str = ""
    body: Mapping[str, Any] | None = None
    owners: tuple[Mapping[str, Any], ...] = ()


@dataclass
class StatefulSetPlan:
    """What one ``updateStatefulSet`` does: its writes, in order, and the status it computes."""

    operations: list[Operation] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    #: Whether the sync went on to the rolling update (nothing blocked it before).
    rolling: bool = False


def update_stateful_set(
    sts: Manifest,
    *,
    current_set: Manifest,
    update_set: Manifest,
    current_revision: str,
    update_revision: str,
    collision_count: int,
    pods: Sequence[Manifest],
    claims: Mapping[str, Manifest],
    now: int,
) -> StatefulSetPlan:
    """``updateStatefulSet`` (and ``updateStatusStatus``'s ``completeRollingUpdate``).

    Args:
        sts: the defaulted set (:func:`~kmodel.objects.defaults.set_defaults_stateful_set`).
        current_set: the set with the current revision's template (``ApplyRevision``).
        update_set: the set with the update revision's template.
        current_revision: the current revision's name.
        update_revision: the update revision's name.
        collision_count: ``status.collisionCount`` after ``getStatefulSetRevisions``.
        pods: the set's pods (owned by it and named as its members).
        claims: the namespace's claims by name.
        now: the time (``minReadySeconds``).

    Returns:
        The writes in upstream's order and the status to record (``completeRollingUpdate``
        applied). In ``OrderedReady`` mode processing stops where upstream returns; with
        ``Parallel`` every replica is processed.
    """
    min_ready = int(sts["spec"].get("minReadySeconds") or 0)
    plan = StatefulSetPlan()
    status: dict[str, Any] = {
        "observedGeneration": sts["metadata"].get("generation", 1),
        "currentRevision": current_revision,
        "updateRevision": update_revision,
        "collisionCount": collision_count,
    }
    start, end = get_start_ordinal(sts), get_end_ordinal(sts)
    replicas: list[Manifest | None] = [None] * max(end - start + 1, 0)
    condemned: list[Manifest] = []
    for pod in pods:
        ordinal = get_ordinal(pod)
        if start <= ordinal <= end:
            replicas[ordinal - start] = pod
        elif ordinal >= 0:
            condemned.append(pod)
    for ordinal in range(start, end + 1):
        if replicas[ordinal - start] is None:
            replicas[ordinal - start] = new_versioned_stateful_set_pod(
                current_set, update_set, current_revision, update_revision, ordinal
            )
    members: list[Manifest] = [p for p in replicas if p is not None]
    condemned.sort(key=get_ordinal, reverse=True)

    def record_status() -> None:
        status.update(
            compute_replica_status(
                [*members, *condemned], min_ready, current_revision, update_revision, now
            )
        )

    record_status()
    first_unavailable = next(
        (p for p in [*members, *reversed(condemned)] if is_unavailable(p, min_ready, now)), None
    )
    plan.status = status
    if sts["metadata"].get("deletionTimestamp") is not None:
        complete_rolling_update(sts, status)
        return plan
    _process(
        sts,
        update_set,
        members,
        condemned=condemned,
        first_unavailable=first_unavailable,
        claims=claims,
        now=now,
        plan=plan,
    )
    record_status()
    if plan.rolling:
        _rolling_update(sts, members, update_revision, status=status, now=now, plan=plan)
    complete_rolling_update(sts, status)
    return plan


def _process(
    sts: Manifest,
    update_set: Manifest,
    members: Sequence[Manifest],
    *,
    condemned: Sequence[Manifest],
    first_unavailable: Manifest | None,
    claims: Mapping[str, Manifest],
    now: int,
    plan: StatefulSetPlan,
) -> None:
    """Replicas, condemned claims, condemned pods: stops where upstream returns early."""
    monotonic = not allows_burst(sts)
    for pod in members:
        if _process_replica(sts, update_set, pod, claims=claims, now=now, plan=plan) and monotonic:
            return
    for pod in condemned:
        plan.operations.extend(_claim_updates(update_set, pod, claims))
    for pod in condemned:
        if _process_condemned(sts, first_unavailable, pod, now=now, plan=plan) and monotonic:
            return
    plan.rolling = sts["spec"]["updateStrategy"].get("type") == "RollingUpdate"


def _claim_updates(sts: Manifest, pod: Manifest, claims: Mapping[str, Manifest]) -> list[Operation]:
    """``ClaimsMatchRetentionPolicy`` / ``UpdatePodClaimForRetentionPolicy`` for a created pod."""
    if not pod["metadata"].get("uid"):
        return []
    operations = []
    for wanted in get_persistent_volume_claims(sts, get_ordinal(pod)).values():
        claim = claims.get(wanted["metadata"]["name"])
        if claim is None:
            continue
        owners = claim_owner_refs(sts, pod, claim)
        if owners is not None:
            operations.append(
                Operation(
                    "update-claim",
                    "claim owners follow persistentVolumeClaimRetentionPolicy",
                    name=claim["metadata"]["name"],
                    owners=tuple(owners),
                )
            )
    return operations


def _process_replica(
    sts: Manifest,
    update_set: Manifest,
    pod: Manifest,
    *,
    claims: Mapping[str, Manifest],
    now: int,
    plan: StatefulSetPlan,
) -> bool:
    """``processReplica``: whether processing must stop here (in OrderedReady mode)."""
    monotonic = not allows_burst(sts)
    name = pod["metadata"]["name"]
    if is_failed(pod) or is_succeeded(pod):
        if not is_terminating(pod):
            plan.operations.append(
                Operation("delete-pod", "pod failed or succeeded", name, pod["metadata"]["uid"])
            )
        # The replacement comes on a later sync, once this pod is gone from the API.
        return True
    if not is_created(pod):
        if _claim_is_stale(sts, pod, claims):
            return True
        for claim in get_persistent_volume_claims(sts, get_ordinal(pod)).values():
            if claim["metadata"]["name"] not in claims:
                plan.operations.append(Operation("create-claim", "missing claim", body=claim))
        plan.operations.append(Operation("create-pod", "missing replica", name, body=pod))
        return monotonic
    if is_pending(pod):
        for claim in get_persistent_volume_claims(sts, get_ordinal(pod)).values():
            if claim["metadata"]["name"] not in claims:
                plan.operations.append(
                    Operation("create-claim", "missing claim of a pending pod", body=claim)
                )
    min_ready = int(sts["spec"].get("minReadySeconds") or 0)
    if monotonic and (
        is_terminating(pod)
        or not is_running_and_ready(pod)
        or not is_running_and_available(pod, min_ready, now)
    ):
        return True
    owners = _claim_updates(update_set, pod, claims)
    if identity_matches(sts, pod) and storage_matches(sts, pod) and not owners:
        return False
    if not (identity_matches(sts, pod) and storage_matches(sts, pod)):
        plan.operations.append(
            Operation("update-pod", "identity or storage restored", name, body=_restored(sts, pod))
        )
    plan.operations.extend(owners)
    return False


def _restored(sts: Manifest, pod: Manifest) -> dict[str, Any]:
    """``updateIdentity`` and ``updateStorage`` applied to a copy of ``pod``."""
    body = copy.deepcopy(dict(pod))
    fresh = new_stateful_set_pod(sts, get_ordinal(pod))
    labels = dict(mapping_at(body, "metadata.labels"))
    labels[POD_NAME_LABEL] = fresh["metadata"]["name"]
    labels[POD_INDEX_LABEL] = fresh["metadata"]["labels"][POD_INDEX_LABEL]
    body["metadata"]["labels"] = labels
    claims = {v["name"] for v in list_at(fresh, "spec.volumes") if "persistentVolumeClaim" in v}
    volumes = [v for v in list_at(fresh, "spec.volumes") if v["name"] in claims]
    volumes.extend(v for v in list_at(body, "spec.volumes") if v.get("name") not in claims)
    body["spec"]["volumes"] = volumes
    return body


def _process_condemned(
    sts: Manifest,
    first_unavailable: Manifest | None,
    pod: Manifest,
    *,
    now: int,
    plan: StatefulSetPlan,
) -> bool:
    """``processCondemned``: whether processing must stop here (in OrderedReady mode)."""
    monotonic = not allows_burst(sts)
    if is_terminating(pod):
        return monotonic
    min_ready = int(sts["spec"].get("minReadySeconds") or 0)
    if (
        monotonic
        and pod is not first_unavailable
        and (not is_running_and_ready(pod) or not is_running_and_available(pod, min_ready, now))
    ):
        return True
    plan.operations.append(
        Operation("delete-pod", "scale down", pod["metadata"]["name"], pod["metadata"]["uid"])
    )
    return True


def _rolling_update(  # noqa: PLR0917  # upstream's parameters
    sts: Manifest,
    members: Sequence[Manifest],
    update_revision: str,
    status: dict[str, Any],
    now: int,
    plan: StatefulSetPlan,
) -> None:
    """``updateStatefulSetAfterInvariantEstablished``: delete outdated pods, highest first."""
    rolling = mapping_at(sts, "spec.updateStrategy.rollingUpdate")
    update_min = int(rolling.get("partition") or 0)
    allowed = max_unavailable(rolling.get("maxUnavailable"), int(sts["spec"]["replicas"]))
    min_ready = int(sts["spec"].get("minReadySeconds") or 0)
    unavailable = sum(1 for pod in members if is_unavailable(pod, min_ready, now))
    if unavailable > allowed:
        return
    to_delete = allowed - unavailable
    deleted = 0
    for target in range(len(members) - 1, update_min - 1, -1):
        if deleted >= to_delete:
            break
        pod = members[target]
        if get_pod_revision(pod) != update_revision and not is_terminating(pod):
            plan.operations.append(
                Operation(
                    "delete-pod", "rolling update", pod["metadata"]["name"], pod["metadata"]["uid"]
                )
            )
            deleted += 1
            status["currentReplicas"] -= 1


# ---------------------------------------------------------------- revision history


def truncate_history(
    revisions: Sequence[Manifest],
    pods: Sequence[Manifest],
    current_revision: str,
    update_revision: str,
    limit: int,
) -> list[str]:
    """``truncateHistory``: names of the oldest revisions no pod or status uses, beyond ``limit``.

    ``revisions`` must be sorted by their ``revision`` number.
    """
    live = {current_revision, update_revision, *(get_pod_revision(p) for p in pods)}
    history = [r["metadata"]["name"] for r in revisions if r["metadata"]["name"] not in live]
    if limit < 0 or len(history) <= limit:
        return []
    return history[: len(history) - limit]


@dataclass(frozen=True)
class RevisionChoice:
    """The outcome of ``getStatefulSetRevisions``.

    Attributes:
        action: ``reuse`` (the newest revision is the set's template), ``bump`` (an older
            equal revision becomes the newest: a rollback, ``revision`` is its new number) or
            ``create`` (a new revision numbered ``revision``).
        update: the update revision's name.
        current: the current revision's name (``status.currentRevision`` if that revision
            exists, else the update revision).
        revision: the number the update revision gets (``nextRevision``).
    """

    action: Literal["reuse", "bump", "create"]
    update: str
    current: str
    revision: int


def select_revisions(
    revisions: Sequence[Manifest], name: str, data: Mapping[str, Any], current_name: str
) -> RevisionChoice:
    """``getStatefulSetRevisions`` with ``history.FindEqualRevisions``.

    Args:
        revisions: the set's ControllerRevisions, sorted by ``revision``.
        name: the name a new revision of the set's template would get.
        data: that revision's data (``getPatch``: the template).
        current_name: ``status.currentRevision``.
    """
    next_number = int(revisions[-1].get("revision", 0)) + 1 if revisions else 1
    equal = [r for r in revisions if r.get("data") == data]
    if equal and equal[-1] is revisions[-1]:
        action: Literal["reuse", "bump", "create"] = "reuse"
        update = revisions[-1]["metadata"]["name"]
    elif equal:
        action, update = "bump", equal[-1]["metadata"]["name"]
    else:
        action, update = "create", name
    known = {r["metadata"]["name"] for r in revisions}
    current = current_name if current_name in known else update
    return RevisionChoice(action, update, current, next_number)
