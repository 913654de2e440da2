"""ReplicaSet controller arithmetic, as pure functions over manifests.

Mirrors ``pkg/controller/replicaset/replica_set.go`` (``manageReplicas``, ``slowStartBatch``,
``getPodsToDelete``, ``getPodsRankedByRelatedPodsOnSameNode``),
``pkg/controller/replicaset/replica_set_utils.go`` (``calculateStatus``),
``pkg/controller/controller_utils.go`` (``FilterActivePods``, ``IsPodActive``,
``ActivePodsWithRanks.Less``), ``pkg/controller/controller_ref_manager.go``
(``BaseControllerRefManager.ClaimObject``), ``pkg/api/v1/pod/util.go`` (``IsPodReady``,
``IsPodAvailable``) and ``pkg/apis/core/helper/helpers.go``
(``GetDeletionCostFromPodAnnotations``); ``k8s-semantics.md`` section 4.

Times. Every timestamp the model reads (``now``, ``creationTimestamp``, a condition's
``lastTransitionTime``) may be given as a number of seconds on the model's logical clock (an
``int`` or a ``float``) or as an RFC 3339 string as real manifests carry it (read as seconds since
the Unix epoch). Internally a time is an exact integer number of nanoseconds
(:func:`time_ns`), because ``LogarithmicScaleDown`` buckets ages by ``log2`` of nanoseconds. A
missing or ``null`` time, or Go's zero time ``0001-01-01T00:00:00Z``, is the zero time
(``None``), which upstream treats specially (``afterOrZero``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final, Literal

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_log2_int, go_parse_int
from kmodel.objects.fields import as_list, int_at, str_at
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _field
from kmodel.objects.labels import LabelSelector, label_selector_as_selector, labels_of
from kmodel.objects.types import Manifest

__all__ = [
    "BURST_REPLICAS",
    "POD_DELETION_COST_ANNOTATION",
    "SLOW_START_INITIAL_BATCH_SIZE",
    "ClaimDecision",
    "ManageReplicasPlan",
    "SlowStartOutcome",
    "TimeValue",
    "active_pods_less",
    "calculate_status",
    "claim_decision",
    "controller_ref",
    "controller_uid",
    "filter_active_pods",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "manage_replicas_plan",
    "pod_deletion_cost",
    "pod_ranks",
    "pods_to_delete",
    "rs_selector",
    "slow_start_batches",
    "slow_start_outcome",
    "time_ns",
]

#: ``BurstReplicas``: at most this many creations or deletions per sync (replica_set.go).
BURST_REPLICAS: Final = 500
#: ``controller.SlowStartInitialBatchSize``.
SLOW_START_INITIAL_BATCH_SIZE: Final = 1
#: ``core.PodDeletionCost``.
POD_DELETION_COST_ANNOTATION: Final = "controller.kubernetes.io/pod-deletion-cost"

_NS_PER_SECOND: Final = 10**9
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_GO_ZERO_TIME_NS: Final = (
    int((dt.datetime(1, 1, 1, tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).days)
    * 86400
    * _NS_PER_SECOND
)

#: A time as the model accepts it: logical seconds (int or float), an RFC 3339 string, or None.
TimeValue = int | float | str | None


# ---------------------------------------------------------------- small readers


def time_ns(value: object, *, path: str = "time") -> int | None:
    """Convert a time to exact integer nanoseconds; ``None`` for the zero time.

    Numbers are seconds (a float is read by its shortest decimal form, so ``0.1`` is exactly
    100 ms). Strings are RFC 3339 with an optional fraction and a ``Z`` or ``±hh:mm`` offset.

    Raises:
        InputError: for anything else (booleans included), with ``path``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(
            f"invalid time {value!r}: expected seconds or an RFC 3339 string", path=path
        )
    if isinstance(value, int):
        return value * _NS_PER_SECOND
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"invalid time {value!r}", path=path)
        return math.floor(Fraction(repr(value)) * _NS_PER_SECOND)
    if isinstance(value, str):
        match = _RFC3339.match(value)
        if match is None:
            raise InputError(f"invalid time {value!r}: expected RFC 3339", path=path)
        year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
        try:
            moment = dt.datetime(year, month, day, hour, minute, min(second, 59), tzinfo=dt.UTC)
        except ValueError as error:
            raise InputError(f"invalid time {value!r}: {error}", path=path) from None
        offset = match.group(8)
        offset_seconds = 0
        if offset not in {"Z", "z"}:
            sign = -1 if offset[0] == "-" else 1
            offset_seconds = sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        delta = moment - epoch
        seconds = delta.days * 86400 + delta.seconds + (second - min(second, 59)) - offset_seconds
        fraction = match.group(7)
        nanos = int((fraction[1:] + "000000000")[:9]) if fraction else 0
        total = seconds * _NS_PER_SECOND + nanos
        return None if total == _GO_ZERO_TIME_NS else total
    raise InputError(f"invalid time {value!r}: expected seconds or an RFC 3339 string", path=path)


def _annotations(obj: Manifest) -> Mapping[str, Any]:
    return _mapping(_field(obj, "metadata.annotations"), "metadata.annotations")


def _conditions(obj: Manifest) -> list[Mapping[str, Any]]:
    conditions = as_list(_field(obj, "status.conditions"), "status.conditions")
    # Plain dicts as they are; the element's path is only spelled out for anything else.
    return [
        c if type(c) is dict else _mapping(c, f"status.conditions[{i}]")
        for i, c in enumerate(conditions)
    ]


# ---------------------------------------------------------------- pods


def is_pod_active(pod: Manifest) -> bool:
    """Whether a pod is active: not Succeeded, not Failed, not being deleted.

    Mirrors ``pkg/controller/controller_utils.go IsPodActive``.
    """
    phase = str_at(pod, "status.phase")
    return (
        phase not in {"Succeeded", "Failed"} and _field(pod, "metadata.deletionTimestamp") is None
    )


def filter_active_pods(pods: Sequence[Manifest]) -> list[Manifest]:
    """Keep the active pods, in order. Mirrors controller_utils.go ``FilterActivePods``."""
    return [pod for pod in pods if is_pod_active(pod)]


def _ready_condition(pod: Manifest) -> Mapping[str, Any] | None:
    """Mirrors pkg/api/v1/pod/util.go ``GetPodReadyCondition`` (the first Ready condition)."""
    for condition in _conditions(pod):
        if condition.get("type") == "Ready":
            return condition
    return None


def is_pod_ready(pod: Manifest) -> bool:
    """Whether the pod's Ready condition is True. Mirrors pkg/api/v1/pod/util.go ``IsPodReady``."""
    condition = _ready_condition(pod)
    return condition is not None and condition.get("status") == "True"


def is_pod_available(pod: Manifest, min_ready_seconds: int, now: TimeValue) -> bool:
    """Whether a pod has been Ready for more than ``min_ready_seconds`` at ``now``.

    Mirrors ``pkg/api/v1/pod/util.go IsPodAvailable``: with ``minReadySeconds == 0`` a Ready pod
    is available; otherwise ``lastTransitionTime + minReadySeconds`` must be strictly before
    ``now``, and a zero transition time never qualifies.

    Raises:
        InputError: for a negative ``min_ready_seconds`` or a malformed time.
    """
    if isinstance(min_ready_seconds, bool) or not isinstance(min_ready_seconds, int):
        raise InputError("must be an integer", path="spec.minReadySeconds")
    if min_ready_seconds < 0:
        raise InputError("must be greater than or equal to 0", path="spec.minReadySeconds")
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    condition = _ready_condition(pod)
    assert condition is not None  # noqa: S101 - is_pod_ready found it
    since = time_ns(
        condition.get("lastTransitionTime"), path="status.conditions.lastTransitionTime"
    )
    now_ns = time_ns(now, path="now")
    if since is None or now_ns is None:
        # Go: a zero transition time is refused; a zero now is before every real time.
        return False
    return since + min_ready_seconds * _NS_PER_SECOND < now_ns


def pod_deletion_cost(pod: Manifest) -> int:
    """The pod-deletion-cost annotation as int32; missing or invalid reads as 0.

    Mirrors ``pkg/apis/core/helper/helpers.go GetDeletionCostFromPodAnnotations`` (a leading
    ``+`` or leading zeros are invalid; ``strconv.ParseInt(v, 10, 32)``), with the error
    dropped as ``ActivePodsWithRanks.Less`` drops it.
    """
    value = _annotations(pod).get(POD_DELETION_COST_ANNOTATION)
    if not isinstance(value, str) or not value:
        return 0
    first = value[0]
    if not (first == "-" or value == "0" or "1" <= first <= "9"):
        return 0
    parsed = go_parse_int(value, 32)
    return 0 if parsed is None else parsed


def _ready_time(pod: Manifest) -> int | None:
    """Mirrors controller_utils.go ``podReadyTime`` (zero unless Ready)."""
    if is_pod_ready(pod):
        for condition in _conditions(pod):
            if condition.get("type") == "Ready" and condition.get("status") == "True":
                return time_ns(condition.get("lastTransitionTime"), path="lastTransitionTime")
    return None


def _max_container_restarts(pod: Manifest) -> tuple[int, int]:
    """Mirrors controller_utils.go ``maxContainerRestarts``: (regular, sidecar) maxima."""
    regular = 0
    for status in as_list(_field(pod, "status.containerStatuses"), "status.containerStatuses"):
        regular = max(regular, int_at(_mapping(status, "status.containerStatuses"), "restartCount"))
    sidecars: set[object] = set()
    for container in as_list(_field(pod, "spec.initContainers"), "spec.initContainers"):
        if _mapping(container, "spec.initContainers").get("restartPolicy") == "Always":
            sidecars.add(container.get("name"))
    sidecar = 0
    for status in as_list(_field(pod, "status.initContainerStatuses"), "status"):
        if _mapping(status, "status.initContainerStatuses").get("name") in sidecars:
            sidecar = max(sidecar, int_at(status, "restartCount"))
    return regular, sidecar


def _after_or_zero(t1: int | None, t2: int | None) -> bool:
    """Mirrors controller_utils.go ``afterOrZero``: a zero time counts as after any other."""
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _logarithmic_rank_diff(t1: int, t2: int, now: int) -> int:
    """Mirrors controller_utils.go ``logarithmicRankDiff``."""
    d1 = now - t1
    d2 = now - t2
    r1 = go_log2_int(d1) if d1 > 0 else -1
    r2 = go_log2_int(d2) if d2 > 0 else -1
    return r1 - r2


def _uid(pod: Manifest) -> str:
    return str_at(pod, "metadata.uid")


def active_pods_less(
    pod_i: Manifest, pod_j: Manifest, rank_i: int, rank_j: int, now: TimeValue
) -> bool:
    """Whether ``pod_i`` should be deleted before ``pod_j``.

    Mirrors ``pkg/controller/controller_utils.go ActivePodsWithRanks.Less`` with the
    PodDeletionCost and LogarithmicScaleDown gates on (their defaults); the first rule that
    differs decides (k8s-semantics.md 4.3): unassigned first; Pending < Unknown < Running (other
    phases rank as Pending); not Ready first; lower deletion cost first; higher rank first;
    both Ready: shorter Ready time first (log2 buckets of nanoseconds, equal bucket -> smaller
    UID); higher max restart count first (regular containers, then sidecars); newer
    creationTimestamp first (same bucketing). A zero ``now`` falls back to plain time order.
    """
    node_i = str_at(pod_i, "spec.nodeName")
    node_j = str_at(pod_j, "spec.nodeName")
    # 1. Unassigned < assigned.
    if node_i != node_j and (not node_i or not node_j):
        return not node_i
    # 2. PodPending < PodUnknown < PodRunning.
    ordinal = {"Pending": 0, "Unknown": 1, "Running": 2}
    phase_i = ordinal.get(str_at(pod_i, "status.phase"), 0)
    phase_j = ordinal.get(str_at(pod_j, "status.phase"), 0)
    if phase_i != phase_j:
        return phase_i < phase_j
    # 3. Not ready < ready.
    ready_i = is_pod_ready(pod_i)
    ready_j = is_pod_ready(pod_j)
    if ready_i != ready_j:
        return not ready_i
    # 4. Lower pod-deletion-cost < higher pod-deletion-cost.
    cost_i = pod_deletion_cost(pod_i)
    cost_j = pod_deletion_cost(pod_j)
    if cost_i != cost_j:
        return cost_i < cost_j
    # 5. Doubled up < not doubled up.
    if rank_i != rank_j:
        return rank_i > rank_j
    now_ns = time_ns(now, path="now")
    # 6. Been ready for empty time < less time < more time.
    if ready_i and ready_j:
        ready_time_i = _ready_time(pod_i)
        ready_time_j = _ready_time(pod_j)
        if ready_time_i != ready_time_j:
            if now_ns is None or ready_time_i is None or ready_time_j is None:
                return _after_or_zero(ready_time_i, ready_time_j)
            diff = _logarithmic_rank_diff(ready_time_i, ready_time_j, now_ns)
            if diff == 0:
                return _uid(pod_i) < _uid(pod_j)
            return diff < 0
    # 7. Higher restart counts < lower restart counts.
    restarts_i = _max_container_restarts(pod_i)
    restarts_j = _max_container_restarts(pod_j)
    if restarts_i[0] != restarts_j[0]:
        return restarts_i[0] > restarts_j[0]
    if restarts_i[1] != restarts_j[1]:
        return restarts_i[1] > restarts_j[1]
    # 8. Empty creation time < newer < older.
    created_i = time_ns(
        _field(pod_i, "metadata.creationTimestamp"), path="metadata.creationTimestamp"
    )
    created_j = time_ns(
        _field(pod_j, "metadata.creationTimestamp"), path="metadata.creationTimestamp"
    )
    if created_i != created_j:
        if now_ns is None or created_i is None or created_j is None:
            return _after_or_zero(created_i, created_j)
        diff = _logarithmic_rank_diff(created_i, created_j, now_ns)
        if diff == 0:
            return _uid(pod_i) < _uid(pod_j)
        return diff < 0
    return False


def pod_ranks(pods_to_rank: Sequence[Manifest], related_pods: Sequence[Manifest]) -> list[int]:
    """Rank of each pod: the number of active related pods on its node.

    Mirrors ``replica_set.go getPodsRankedByRelatedPodsOnSameNode`` (keyed by ``spec.nodeName``,
    so unscheduled pods share the key ``""``).
    """
    on_node: dict[str, int] = {}
    for pod in related_pods:
        if is_pod_active(pod):
            node = str_at(pod, "spec.nodeName")
            on_node[node] = on_node.get(node, 0) + 1
    return [on_node.get(str_at(pod, "spec.nodeName"), 0) for pod in pods_to_rank]


def pods_to_delete(
    active: Sequence[Manifest], related: Sequence[Manifest], n: int, now: TimeValue
) -> list[Manifest]:
    """The ``n`` pods to delete, first-to-delete first.

    Mirrors ``replica_set.go getPodsToDelete``: the pods are ranked and sorted by
    :func:`active_pods_less` only when ``n < len(active)``; otherwise the first ``n`` in input
    order are taken.

    Divergence: Go's ``sort.Sort`` is not stable, so pods that compare equal come out in an
    order that depends on pdqsort internals; the model uses a stable sort, so equal pods keep
    their input order.

    Raises:
        InputError: if ``n`` is negative or larger than ``len(active)``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= len(active):
        raise InputError(f"must be between 0 and {len(active)}, got {n!r}", path="n")
    pods = list(active)
    if n < len(pods):
        ranks = pod_ranks(pods, related)
        ranked = list(zip(pods, ranks, strict=True))

        def compare(a: tuple[Manifest, int], b: tuple[Manifest, int]) -> int:
            if active_pods_less(a[0], b[0], a[1], b[1], now):
                return -1
            if active_pods_less(b[0], a[0], b[1], a[1], now):
                return 1
            return 0

        ranked.sort(key=functools.cmp_to_key(compare))
        pods = [pod for pod, _ in ranked]
    return pods[:n]


# ---------------------------------------------------------------- manageReplicas


def slow_start_batches(count: int, *, initial: int = SLOW_START_INITIAL_BATCH_SIZE) -> list[int]:
    """Batch sizes ``slowStartBatch`` uses for ``count`` calls: 1, 2, 4, ..., capped remainder.

    Mirrors ``replica_set.go slowStartBatch`` (the loop
    ``batchSize = min(remaining, initial); batchSize > 0; batchSize = min(2*batchSize,
    remaining)``).

    Raises:
        InputError: for a negative count or a non-positive initial batch size.
    """
    for name, value in (("count", count), ("initial", initial)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError("must be an integer", path=name)
    if count < 0:
        raise InputError("must be greater than or equal to 0", path="count")
    if initial < 1:
        raise InputError("must be greater than 0", path="initial")
    batches: list[int] = []
    remaining = count
    batch = min(remaining, initial)
    while batch > 0:
        batches.append(batch)
        remaining -= batch
        batch = min(2 * batch, remaining)
    return batches


@dataclass(frozen=True)
class SlowStartOutcome:
    """What ``slowStartBatch`` did.

    Attributes:
        successes: calls that succeeded.
        attempted: calls made (the batches up to and including the first that had an error).
        skipped: ``count - successes``: creations ``manageReplicas`` un-expects with
            ``CreationObserved`` (failed and never attempted alike).
    """

    successes: int
    attempted: int
    skipped: int


def slow_start_outcome(
    count: int, *, failing: Collection[int] = (), initial: int = SLOW_START_INITIAL_BATCH_SIZE
) -> SlowStartOutcome:
    """Run ``slowStartBatch`` where the calls numbered in ``failing`` (0-based) fail.

    Mirrors ``replica_set.go slowStartBatch``: it stops after the first batch that has any
    error; a batch runs all its calls (in parallel upstream) before the check.
    """
    successes = 0
    attempted = 0
    for batch in slow_start_batches(count, initial=initial):
        errors = sum(1 for call in range(attempted, attempted + batch) if call in failing)
        successes += batch - errors
        attempted += batch
        if errors:
            break
    return SlowStartOutcome(successes, attempted, count - successes)


@dataclass(frozen=True)
class ManageReplicasPlan:
    """What ``manageReplicas`` will do.

    Attributes:
        diff: ``len(active) - spec.replicas``.
        create: pods to create (``min(-diff, BurstReplicas)`` when ``diff < 0``).
        create_batches: the slow-start batch sizes for those creations.
        delete: the pods to delete, first-to-delete first (``diff > 0``).
    """

    diff: int
    create: int
    create_batches: list[int] = field(default_factory=list)
    delete: list[Manifest] = field(default_factory=list)


def manage_replicas_plan(
    rs: Manifest,
    active_pods: Sequence[Manifest],
    related_pods: Sequence[Manifest],
    now: TimeValue,
    *,
    burst_replicas: int = BURST_REPLICAS,
) -> ManageReplicasPlan:
    """Plan one ``manageReplicas`` call: how many pods to create, or which to delete.

    Mirrors ``pkg/controller/replicaset/replica_set.go manageReplicas`` (``diff``, the burst
    cap, ``slowStartBatch`` batch sizes, ``getPodsToDelete``). ``spec.replicas`` defaults to 1.

    Raises:
        InputError: for a negative ``spec.replicas`` or malformed pods.
    """
    replicas = int_at(rs, "spec.replicas", default=1)
    if replicas < 0:
        raise InputError("must be greater than or equal to 0", path="spec.replicas")
    diff = len(active_pods) - replicas
    if diff < 0:
        create = min(-diff, burst_replicas)
        return ManageReplicasPlan(diff, create, slow_start_batches(create))
    if diff > 0:
        return ManageReplicasPlan(
            diff, 0, [], pods_to_delete(active_pods, related_pods, min(diff, burst_replicas), now)
        )
    return ManageReplicasPlan(0, 0)


# ---------------------------------------------------------------- ownership


def controller_ref(obj: Manifest) -> Mapping[str, Any] | None:
    """The owner reference with ``controller: true``, if any.

    Mirrors ``metav1.GetControllerOfNoCopy`` (the first such reference).
    """
    refs = as_list(_field(obj, "metadata.ownerReferences"), "metadata.ownerReferences")
    for index, ref in enumerate(refs):
        owner = _mapping(ref, f"metadata.ownerReferences[{index}]")
        if owner.get("controller") is True:
            return owner
    return None


def controller_uid(obj: Manifest) -> str | None:
    """The UID its controller reference (:func:`controller_ref`) names; None without one.

    Mirrors ``metav1.GetControllerOf(obj)`` (``apimachinery/pkg/apis/meta/v1/controller_ref.go``)
    followed by ``.UID``, as upstream's controllers compare owners.
    """
    ref = controller_ref(obj)
    return None if ref is None else ref.get("uid")


@dataclass(frozen=True)
class ClaimDecision:
    """The outcome of ``ClaimObject`` for one pod.

    Attributes:
        action: ``claim`` (already ours and matching), ``release`` (ours, no longer matching:
            patch the ownerRef away), ``adopt`` (orphan that matches: patch in an ownerRef with
            ``controller`` and ``blockOwnerDeletion`` true) or ``ignore``.
        claimed: whether the pod counts as the controller's after this step.
        error: why an adoption was refused by ``RecheckDeletionTimestamp``, else ``None``.
    """

    action: Literal["claim", "release", "adopt", "ignore"]
    claimed: bool
    error: str | None = None


def rs_selector(rs: Manifest) -> LabelSelector:
    """A ReplicaSet's ``spec.selector``, compiled (``metav1.LabelSelectorAsSelector``).

    Raises:
        InputError: for a malformed selector.
    """
    raw_selector = _field(rs, "spec.selector")
    return label_selector_as_selector(
        None if raw_selector is None else _mapping(raw_selector, "spec.selector"),
        path="spec.selector",
    )


def claim_decision(
    rs: Manifest,
    pod: Manifest,
    *,
    fresh_rs: Manifest | None = None,
    fresh_rs_found: bool = True,
    selector: LabelSelector | None = None,
) -> ClaimDecision:
    """Decide whether the ReplicaSet claims, releases, adopts or ignores a pod.

    Mirrors ``pkg/controller/controller_ref_manager.go BaseControllerRefManager.ClaimObject``
    with the ``ClaimPods`` match (``selector.Matches(pod.labels)``) and, for adoption,
    ``RecheckDeletionTimestamp`` (``controller_ref_manager.go``) on an uncached GET.

    Args:
        rs: the ReplicaSet (from the informer cache).
        pod: the pod.
        fresh_rs: the ReplicaSet as a fresh GET returns it, consulted only before adopting.
            When not given, the cached ``rs`` stands for it.
        fresh_rs_found: false when that GET found nothing (the adoption is refused).
        selector: ``rs``'s selector as :func:`rs_selector` compiles it, when the caller has it
            already (claiming many pods); compiled here otherwise.

    Raises:
        InputError: for a malformed selector or metadata.
    """
    if selector is None:
        selector = rs_selector(rs)
    matches = selector.matches(labels_of(pod))
    rs_deleting = _field(rs, "metadata.deletionTimestamp") is not None
    ref = controller_ref(pod)
    if ref is not None:
        if ref.get("uid") != str_at(rs, "metadata.uid"):
            return ClaimDecision("ignore", claimed=False)
        if matches:
            return ClaimDecision("claim", claimed=True)
        if rs_deleting:
            return ClaimDecision("ignore", claimed=False)
        return ClaimDecision("release", claimed=False)
    if rs_deleting or not matches:
        return ClaimDecision("ignore", claimed=False)
    if _field(pod, "metadata.deletionTimestamp") is not None:
        return ClaimDecision("ignore", claimed=False)
    namespace = str_at(rs, "metadata.namespace")
    if namespace and namespace != str_at(pod, "metadata.namespace"):
        return ClaimDecision("ignore", claimed=False)
    name = f"{namespace}/{str_at(rs, 'metadata.name')}"
    if not fresh_rs_found:
        return ClaimDecision("ignore", claimed=False, error=f"{name} could not be fetched")
    fresh = rs if fresh_rs is None else fresh_rs
    if str_at(fresh, "metadata.uid") != str_at(rs, "metadata.uid"):
        return ClaimDecision(
            "ignore",
            claimed=False,
            error=(
                f"original {name} is gone: got uid {str_at(fresh, 'metadata.uid')}, "
                f"wanted {str_at(rs, 'metadata.uid')}"
            ),
        )
    deleted_at = _field(fresh, "metadata.deletionTimestamp")
    if deleted_at is not None:
        return ClaimDecision(
            "ignore", claimed=False, error=f"{name} has just been deleted at {deleted_at}"
        )
    return ClaimDecision("adopt", claimed=True)


# ---------------------------------------------------------------- status


def calculate_status(
    rs: Manifest,
    active_pods: Sequence[Manifest],
    now: TimeValue,
    *,
    manage_replicas_error: str | None = None,
) -> dict[str, Any]:
    """The ReplicaSet status after a sync.

    Mirrors ``pkg/controller/replicaset/replica_set_utils.go calculateStatus`` (the
    DeploymentReplicaSetTerminatingReplicas gate is off, its default, so
    ``terminatingReplicas`` is not set): ``replicas`` counts the active claimed pods,
    ``fullyLabeledReplicas`` those whose labels include every template label,
    ``readyReplicas`` the Ready ones and ``availableReplicas`` those also available per
    :func:`is_pod_available` with ``spec.minReadySeconds``. A ``manage_replicas_error`` adds a
    ``ReplicaFailure`` condition (reason FailedCreate when pods were missing, FailedDelete when
    in excess) unless one exists; no error removes it. The condition's ``lastTransitionTime`` is
    ``now`` as given.

    Args:
        rs: the ReplicaSet.
        active_pods: the active pods it claimed.
        now: the logical time.
        manage_replicas_error: the error message of ``manageReplicas``, if it failed.

    Raises:
        InputError: for malformed fields.
    """
    template_labels = _mapping(
        _field(rs, "spec.template.metadata.labels"), "spec.template.metadata.labels"
    )
    min_ready = int_at(rs, "spec.minReadySeconds")
    fully_labeled = ready = available = 0
    for pod in active_pods:
        labels = labels_of(pod)
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully_labeled += 1
        if is_pod_ready(pod):
            ready += 1
            if is_pod_available(pod, min_ready, now):
                available += 1
    status = dict(_mapping(_field(rs, "status"), "status"))
    conditions = [dict(c) for c in _conditions(rs)]
    failure = next((c for c in conditions if c.get("type") == "ReplicaFailure"), None)
    if manage_replicas_error is not None and failure is None:
        diff = len(active_pods) - int_at(rs, "spec.replicas", default=1)
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conditions.append(
            {
                "type": "ReplicaFailure",
                "status": "True",
                "lastTransitionTime": now,
                "reason": reason,
                "message": manage_replicas_error,
            }
        )
    elif manage_replicas_error is None and failure is not None:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    if conditions or "conditions" in status:
        status["conditions"] = conditions
    status["replicas"] = len(active_pods)
    status["fullyLabeledReplicas"] = fully_labeled
    status["readyReplicas"] = ready
    status["availableReplicas"] = available
    return status
