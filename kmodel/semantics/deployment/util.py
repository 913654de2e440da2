"""Deployment helpers shared by the controller's parts.

Mirrors ``pkg/controller/deployment/util/deployment_util.go`` (fence posts, ``MaxSurge``,
``MaxUnavailable``, ``MinAvailable``, ``NewRSNewReplicas``, ``GetProportion``,
``getReplicaSetFraction``, revisions, annotations, conditions, ``DeploymentComplete``,
``DeploymentProgressing``, ``DeploymentTimedOut``), with the readers of the Deployment and
ReplicaSet fields they use and ``intstr.GetScaledValueFromIntOrPercent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.internal.gocompat import GO_DECIMAL, MAX_INT32, go_atoi, go_int32, go_round
from kmodel.internal.gofmt import go_quote
from kmodel.objects.defaults import (
    DEFAULT_MAX_SURGE,
    DEFAULT_MAX_UNAVAILABLE,
    DEFAULT_PROGRESS_DEADLINE_SECONDS,
    DEFAULT_REVISION_HISTORY_LIMIT,
)
from kmodel.objects.fields import int_at, list_at
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _get
from kmodel.objects.types import Manifest
from kmodel.semantics.replicaset import TimeValue, time_ns

__all__ = [
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "MAX_REV_HISTORY_LENGTH_IN_CHARS",
    "REASON_MIN_AVAILABLE",
    "REASON_MIN_UNAVAILABLE",
    "REASON_NEW_RS_AVAILABLE",
    "REASON_PAUSED",
    "REASON_RESUMED",
    "REASON_ROLLBACK_DONE",
    "REASON_ROLLBACK_NOT_FOUND",
    "REASON_ROLLBACK_UNCHANGED",
    "REASON_RS_UPDATED",
    "REASON_TIMED_OUT",
    "REVISION_ANNOTATION",
    "REVISION_HISTORY_ANNOTATION",
    "ROLLBACK_TO_ANNOTATION",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "find_active_or_latest",
    "get_proportion",
    "get_scaled_value_from_int_or_percent",
    "has_progress_deadline",
    "has_revision_history_limit",
    "is_saturated",
    "last_revision",
    "max_revision",
    "max_surge",
    "max_unavailable",
    "min_available",
    "new_deployment_condition",
    "new_rs_new_replicas",
    "replica_set_fraction",
    "resolve_fenceposts",
    "revision",
    "set_deployment_condition",
    "set_new_replica_set_annotations",
]


REVISION_ANNOTATION: Final = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION: Final = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO_ANNOTATION: Final = "deprecated.deployment.rollback.to"
_LAST_APPLIED_ANNOTATION: Final = "kubectl.kubernetes.io/last-applied-configuration"
_POD_TEMPLATE_HASH_LABEL: Final = "pod-template-hash"
#: sync.go ``maxRevHistoryLengthInChars``.
MAX_REV_HISTORY_LENGTH_IN_CHARS: Final = 2000
_NS_PER_SECOND: Final = 10**9
# deployment_util.go annotationsToSkip: never copied between a Deployment and its RSs.
_ANNOTATIONS_TO_SKIP: Final = frozenset(
    {
        _LAST_APPLIED_ANNOTATION,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        ROLLBACK_TO_ANNOTATION,
    }
)
# Condition reasons (deployment_util.go).
REASON_NEW_RS_AVAILABLE: Final = "NewReplicaSetAvailable"
REASON_RS_UPDATED: Final = "ReplicaSetUpdated"
REASON_TIMED_OUT: Final = "ProgressDeadlineExceeded"
REASON_PAUSED: Final = "DeploymentPaused"
REASON_RESUMED: Final = "DeploymentResumed"
REASON_MIN_AVAILABLE: Final = "MinimumReplicasAvailable"
REASON_MIN_UNAVAILABLE: Final = "MinimumReplicasUnavailable"
REASON_ROLLBACK_NOT_FOUND: Final = "DeploymentRollbackRevisionNotFound"
REASON_ROLLBACK_UNCHANGED: Final = "DeploymentRollbackTemplateUnchanged"
REASON_ROLLBACK_DONE: Final = "DeploymentRollback"


def _name(obj: Manifest | None) -> str:
    if obj is None:
        return ""
    value = _get(obj, "metadata.name")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError("must be a string", path="metadata.name")
    return value


def _annotations(obj: Manifest) -> Mapping[str, Any]:
    return _mapping(_get(obj, "metadata.annotations"), "metadata.annotations")


def _replicas(d: Manifest) -> int:
    """``*spec.replicas`` of a Deployment or ReplicaSet (apps/v1 default 1)."""
    # The common case (plain dicts, a non-negative int) without the checked walk.
    spec = d.get("spec") if type(d) is dict else None
    if type(spec) is dict:
        value = spec.get("replicas")
        if type(value) is int and value >= 0:
            return value
    replicas = int_at(d, "spec.replicas", default=1)
    if replicas < 0:
        raise InputError("must be greater than or equal to 0", path="spec.replicas")
    return replicas


def _status_int(obj: Manifest, key: str) -> int:
    # The common case (plain dicts, an int) without the checked walk.
    status = obj.get("status") if type(obj) is dict else None
    if type(status) is dict:
        value = status.get(key)
        if type(value) is int:
            return value
    return int_at(obj, f"status.{key}")


def _strategy_type(d: Manifest) -> str:
    value = _get(d, "spec.strategy.type")
    if value is None or value == "":
        return "RollingUpdate"
    if value not in {"RollingUpdate", "Recreate"}:
        raise InputError(
            f'Unsupported value: {go_quote(str(value))}: supported values: "Recreate", '
            '"RollingUpdate"',
            path="spec.strategy.type",
        )
    return str(value)


def _is_rolling_update(d: Manifest) -> bool:
    """Mirrors deployment_util.go ``IsRollingUpdate``."""
    return _strategy_type(d) == "RollingUpdate"


def _rolling_params(d: Manifest) -> tuple[object, object]:
    """(maxSurge, maxUnavailable) with the apps/v1 defaults for missing values."""
    rolling = _mapping(_get(d, "spec.strategy.rollingUpdate"), "spec.strategy.rollingUpdate")
    surge = rolling.get("maxSurge")
    unavailable = rolling.get("maxUnavailable")
    return (
        DEFAULT_MAX_SURGE if surge is None else surge,
        DEFAULT_MAX_UNAVAILABLE if unavailable is None else unavailable,
    )


def _active(rss: Sequence[Manifest | None]) -> list[Manifest]:
    """Mirrors controller_utils.go ``FilterActiveReplicaSets`` (non-nil, spec > 0)."""
    return [rs for rs in rss if rs is not None and _replicas(rs) > 0]


def _creation_key(rs: Manifest) -> tuple[int, int, str]:
    """Sort key of controller_utils.go ``ReplicaSetsByCreationTimestamp`` (zero time first)."""
    created = time_ns(_get(rs, "metadata.creationTimestamp"), path="metadata.creationTimestamp")
    return (0, 0, _name(rs)) if created is None else (1, created, _name(rs))


def _sum_spec(rss: Sequence[Manifest | None]) -> int:
    """Mirrors deployment_util.go ``GetReplicaCountForReplicaSets``."""
    return sum(_replicas(rs) for rs in rss if rs is not None)


def _sum_status(rss: Sequence[Manifest | None], key: str) -> int:
    """``GetActualReplicaCountForReplicaSets`` and friends: Σ status.<key> of non-nil RSs."""
    return sum(_status_int(rs, key) for rs in rss if rs is not None)


def get_scaled_value_from_int_or_percent(
    value: object, total: int, round_up: bool, *, path: str = "value"
) -> int:
    """Scale an int-or-percent against ``total``.

    Mirrors ``k8s.io/apimachinery/pkg/util/intstr/intstr.go GetScaledValueFromIntOrPercent``:
    an int is returned as is; ``"N%"`` gives ``ceil(N*total/100)`` when rounding up and
    ``floor(N*total/100)`` otherwise (exact integer arithmetic: Go's float64 path gives the same
    result for any int32 inputs).

    Raises:
        InputError: with upstream's message for ``None``, a string that is not a percentage, or
            a percentage whose number does not parse.
    """
    if value is None:
        raise InputError("nil value for IntOrString", path=path)
    if isinstance(value, int) and not isinstance(value, bool):
        if not -(2**31) <= value < 2**31:
            raise InputError(f"{value} does not fit in an int32", path=path)
        return value
    if isinstance(value, str):
        if not value.endswith("%"):
            raise InputError(
                "invalid value for IntOrString: invalid type: string is not a percentage",
                path=path,
            )
        digits = value[:-1]
        number = go_atoi(digits)
        if number is None:
            kind = "invalid syntax" if not GO_DECIMAL.fullmatch(digits) else "value out of range"
            raise InputError(
                f"invalid value for IntOrString: invalid value {go_quote(value)}: "
                f"strconv.Atoi: parsing {go_quote(digits)}: {kind}",
                path=path,
            )
        product = number * total
        return -(-product // 100) if round_up else product // 100
    raise InputError(
        "invalid value for IntOrString: invalid type: neither int nor percentage", path=path
    )


def resolve_fenceposts(
    max_surge_value: object,
    max_unavailable_value: object,
    desired: int,
    *,
    path: str = "spec.strategy.rollingUpdate",
) -> tuple[int, int]:
    """Resolve maxSurge and maxUnavailable against the desired replica count.

    Mirrors ``deployment_util.go ResolveFenceposts``: ``None`` counts as 0, surge rounds up,
    unavailable rounds down, and if both resolve to 0 unavailable becomes 1.

    Raises:
        InputError: for a value ``GetScaledValueFromIntOrPercent`` refuses (the field path
            names maxSurge or maxUnavailable).
    """
    if isinstance(desired, bool) or not isinstance(desired, int):
        raise InputError("must be an integer", path="spec.replicas")
    surge = get_scaled_value_from_int_or_percent(
        0 if max_surge_value is None else max_surge_value,
        desired,
        round_up=True,
        path=f"{path}.maxSurge",
    )
    unavailable = get_scaled_value_from_int_or_percent(
        0 if max_unavailable_value is None else max_unavailable_value,
        desired,
        round_up=False,
        path=f"{path}.maxUnavailable",
    )
    if surge == 0 and unavailable == 0:
        # Rounding maxUnavailable down may give 0 even though validation refuses 0/0; upstream
        # then allows one unavailable pod on the theory that surge might not work due to quota.
        unavailable = 1
    return go_int32(surge), go_int32(unavailable)


def max_surge(d: Manifest) -> int:
    """Mirrors deployment_util.go ``MaxSurge``: 0 unless RollingUpdate."""
    if not _is_rolling_update(d):
        return 0
    surge, _ = resolve_fenceposts(*_rolling_params(d), _replicas(d))
    return surge


def max_unavailable(d: Manifest) -> int:
    """Mirrors deployment_util.go ``MaxUnavailable``.

    0 unless RollingUpdate or when replicas is 0; otherwise the resolved value clamped to
    replicas.
    """
    replicas = _replicas(d)
    if not _is_rolling_update(d) or replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(*_rolling_params(d), replicas)
    return min(unavailable, replicas)


def min_available(d: Manifest) -> int:
    """Mirrors deployment_util.go ``MinAvailable``: ``replicas - MaxUnavailable``.

    0 unless the strategy is RollingUpdate.
    """
    if not _is_rolling_update(d):
        return 0
    return _replicas(d) - max_unavailable(d)


def _revision_or_error(rs: Manifest) -> int | None:
    """``Revision(rs)``: 0 when missing, ``None`` when it does not parse as int64."""
    value = _annotations(rs).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    if not isinstance(value, str) or not GO_DECIMAL.fullmatch(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def revision(rs: Manifest) -> int:
    """The revision annotation of a ReplicaSet (or Deployment); 0 when missing.

    Mirrors deployment_util.go ``Revision``.

    Raises:
        InputError: when the annotation is not an int64 (upstream returns the parse error).
    """
    number = _revision_or_error(rs)
    if number is None:
        raise InputError(
            f"invalid revision {_annotations(rs).get(REVISION_ANNOTATION)!r}",
            path=f"metadata.annotations[{REVISION_ANNOTATION}]",
        )
    return number


def max_revision(all_rss: Sequence[Manifest | None]) -> int:
    """Mirrors deployment_util.go ``MaxRevision`` (unparseable revisions are skipped)."""
    best = 0
    for rs in all_rss:
        if rs is None:
            continue
        number = _revision_or_error(rs)
        if number is not None and number > best:
            best = number
    return best


def last_revision(all_rss: Sequence[Manifest | None]) -> int:
    """The second-highest revision. Mirrors deployment_util.go ``LastRevision``.

    ``v >= max`` shifts the maximum down, so two RSs with the same top revision make it the
    last revision too, as upstream.
    """
    top = second = 0
    for rs in all_rss:
        if rs is None:
            continue
        number = _revision_or_error(rs)
        if number is None:
            continue
        if number >= top:
            second = top
            top = number
        elif number > second:
            second = number
    return second


def set_new_replica_set_annotations(
    d: Manifest,
    new_rs: Manifest,
    new_revision: str,
    exists: bool,
    *,
    rev_history_limit_in_chars: int = MAX_REV_HISTORY_LENGTH_IN_CHARS,
) -> tuple[dict[str, str], bool]:
    """The new RS's annotations after ``getNewReplicaSet`` syncs them, and whether they changed.

    Mirrors deployment_util.go ``SetNewReplicaSetAnnotations`` (with
    ``copyDeploymentAnnotationsToReplicaSet``): the Deployment's annotations are copied except
    the skipped ones; the revision is raised to ``new_revision`` if it is smaller; when an RS
    that already had a revision is reused (a rollback), its old revision is appended to the
    comma-separated revision-history annotation, dropping the oldest entries to stay within
    ``rev_history_limit_in_chars``; an RS about to be created (``exists`` false) also gets the
    desired-replicas and max-replicas annotations.

    Raises:
        InputError: for malformed annotations or an unparseable ``new_revision``.
    """
    annotations = {str(k): str(v) for k, v in _annotations(new_rs).items()}
    changed = False
    for key, value in _annotations(d).items():
        if key in _ANNOTATIONS_TO_SKIP or annotations.get(key) == value:
            continue
        annotations[key] = str(value)
        changed = True
    old_revision = annotations.get(REVISION_ANNOTATION)
    had_revision = old_revision is not None
    old_text = old_revision or ""
    old_number = go_atoi(old_text) if GO_DECIMAL.fullmatch(old_text) else None
    if old_number is None:
        if old_text:
            # Upstream logs "OldRevision not int" and returns without touching the revision.
            return annotations, False
        old_number = 0
    new_number = go_atoi(new_revision)
    if new_number is None:
        raise InputError(f"new revision {new_revision!r} is not an integer", path="newRevision")
    if old_number < new_number:
        annotations[REVISION_ANNOTATION] = new_revision
        changed = True
    if had_revision and old_number < new_number:
        history = annotations.get(REVISION_HISTORY_ANNOTATION, "")
        old_revisions = history.split(",")
        if not old_revisions[0]:
            annotations[REVISION_HISTORY_ANNOTATION] = old_text
        else:
            total = len(history) + len(old_text) + 1
            start = 0
            while total > rev_history_limit_in_chars and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= rev_history_limit_in_chars:
                annotations[REVISION_HISTORY_ANNOTATION] = ",".join(
                    [*old_revisions[start:], old_text]
                )
    if not exists:
        replicas = _replicas(d)
        desired = str(replicas)
        maximum = str(replicas + max_surge(d))
        if annotations.get(DESIRED_REPLICAS_ANNOTATION) != desired:
            annotations[DESIRED_REPLICAS_ANNOTATION] = desired
            changed = True
        if annotations.get(MAX_REPLICAS_ANNOTATION) != maximum:
            annotations[MAX_REPLICAS_ANNOTATION] = maximum
            changed = True
    return annotations, changed


def _int_annotation(rs: Manifest, key: str) -> int | None:
    """Mirrors deployment_util.go ``getIntFromAnnotation`` (Atoi, then int32)."""
    value = _annotations(rs).get(key)
    if not isinstance(value, str):
        return None
    number = go_atoi(value)
    return None if number is None else go_int32(number)


def _replicas_annotations(d: Manifest) -> dict[str, str]:
    """Mirrors deployment_util.go ``SetReplicasAnnotations``' values: desired and max replicas."""
    replicas = _replicas(d)
    return {
        DESIRED_REPLICAS_ANNOTATION: str(replicas),
        MAX_REPLICAS_ANNOTATION: str(replicas + max_surge(d)),
    }


def new_rs_new_replicas(d: Manifest, all_rss: Sequence[Manifest | None], new_rs: Manifest) -> int:
    """The size the new ReplicaSet may scale to now.

    Mirrors deployment_util.go ``NewRSNewReplicas``: under RollingUpdate,
    ``maxTotal = replicas + maxSurge`` (maxSurge scaled with ``GetScaledValueFromIntOrPercent``
    rounding up, without the fence-post both-zero rule); if ``Σ spec(all) >= maxTotal`` the new
    RS keeps its size, else it grows by ``min(maxTotal - Σ spec(all), replicas - newRS.spec)``.
    Under Recreate the result is ``replicas``.

    Raises:
        InputError: for a maxSurge ``GetScaledValueFromIntOrPercent`` refuses.
    """
    replicas = _replicas(d)
    if _strategy_type(d) == "Recreate":
        return replicas
    surge_value, _ = _rolling_params(d)
    surge = get_scaled_value_from_int_or_percent(
        surge_value, replicas, round_up=True, path="spec.strategy.rollingUpdate.maxSurge"
    )
    current = _sum_spec(all_rss)
    max_total = replicas + go_int32(surge)
    new_spec = _replicas(new_rs)
    if current >= max_total:
        return new_spec
    return new_spec + min(max_total - current, replicas - new_spec)


def find_active_or_latest(new_rs: Manifest | None, old_rss: Sequence[Manifest]) -> Manifest | None:
    """The only active RS, or the newest when none is active; ``None`` when several are.

    Mirrors deployment_util.go ``FindActiveOrLatest``.
    """
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=_creation_key, reverse=True)
    active = _active([*newest_first, new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    if len(active) == 1:
        return active[0]
    return None


def is_saturated(d: Manifest, rs: Manifest | None) -> bool:
    """Mirrors deployment_util.go ``IsSaturated``.

    Spec, the desired-replicas annotation and the available count all equal replicas.
    """
    if rs is None:
        return False
    desired = _annotations(rs).get(DESIRED_REPLICAS_ANNOTATION)
    number = go_atoi(desired) if isinstance(desired, str) else None
    if number is None:
        return False
    replicas = _replicas(d)
    return (
        _replicas(rs) == replicas
        and go_int32(number) == replicas
        and _status_int(rs, "availableReplicas") == replicas
    )


def replica_set_fraction(rs: Manifest, d: Manifest) -> int:
    """How many replicas an RS gains (or loses) when the deployment is resized.

    Mirrors deployment_util.go ``getReplicaSetFraction``: ``-spec`` when the deployment scales
    to 0; otherwise ``math.Round(spec * (replicas + MaxSurge) / before) - spec`` where
    ``before`` is the RS's max-replicas annotation, or ``d.status.replicas`` when that is
    missing or 0 (and 0 when both are). ``spec * max`` is an int32 product, as upstream.
    """
    replicas = _replicas(d)
    spec = _replicas(rs)
    if replicas == 0:
        return -spec
    max_now = replicas + max_surge(d)
    before = _int_annotation(rs, MAX_REPLICAS_ANNOTATION)
    if before is None or before == 0:
        before = _status_int(d, "replicas")
        if before == 0:
            return 0
    new_size = Fraction(go_int32(spec * max_now), before)
    return go_int32(go_round(new_size)) - spec


def get_proportion(
    rs: Manifest | None,
    d: Manifest,
    deployment_replicas_to_add: int,
    deployment_replicas_added: int,
) -> int:
    """The share of a resize that goes to one RS.

    Mirrors deployment_util.go ``GetProportion``: 0 for a nil or empty RS or when nothing is
    (left) to add; otherwise the RS fraction, capped by what is left:
    ``min(f, toAdd - added)`` scaling up, ``max(f, toAdd - added)`` scaling down.
    """
    if (
        rs is None
        or _replicas(rs) == 0
        or deployment_replicas_to_add in {0, deployment_replicas_added}
    ):
        return 0
    fraction = replica_set_fraction(rs, d)
    allowed = deployment_replicas_to_add - deployment_replicas_added
    if deployment_replicas_to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def has_revision_history_limit(d: Manifest) -> bool:
    """Mirrors deployment_util.go ``HasRevisionHistoryLimit`` (set, and not MaxInt32)."""
    limit = int_at(d, "spec.revisionHistoryLimit", default=DEFAULT_REVISION_HISTORY_LIMIT)
    return limit != MAX_INT32


def has_progress_deadline(d: Manifest) -> bool:
    """Mirrors deployment_util.go ``HasProgressDeadline`` (set, and not MaxInt32)."""
    deadline = int_at(d, "spec.progressDeadlineSeconds", default=DEFAULT_PROGRESS_DEADLINE_SECONDS)
    return deadline != MAX_INT32


def new_deployment_condition(
    condition_type: str, status: str, reason: str, message: str, now: TimeValue
) -> dict[str, Any]:
    """Mirrors deployment_util.go ``NewDeploymentCondition`` (both times set to ``now``)."""
    return {
        "type": condition_type,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def _find_condition(
    conditions: Sequence[Mapping[str, Any]], condition_type: str
) -> Mapping[str, Any] | None:
    """Mirrors deployment_util.go ``GetDeploymentCondition``: the first of that type, or None."""
    for condition in conditions:
        if condition.get("type") == condition_type:
            return condition
    return None


def set_deployment_condition(
    conditions: Sequence[Mapping[str, Any]], condition: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Return the conditions with ``condition`` set.

    Mirrors deployment_util.go ``SetDeploymentCondition``: no change when a condition of that
    type has the same status and reason; the transition time is kept when the status is the
    same; otherwise the old one is filtered out and the new one appended at the end.
    """
    current = _find_condition(conditions, str(condition.get("type")))
    if (
        current is not None
        and current.get("status") == condition.get("status")
        and current.get("reason") == condition.get("reason")
    ):
        return [dict(c) for c in conditions]
    new = dict(condition)
    if current is not None and current.get("status") == condition.get("status"):
        new["lastTransitionTime"] = current.get("lastTransitionTime")
    kept = [dict(c) for c in conditions if c.get("type") != condition.get("type")]
    return [*kept, new]


def _status_conditions(status: Mapping[str, Any], path: str) -> list[Mapping[str, Any]]:
    conditions = list_at(status, "conditions")
    if not isinstance(conditions, list):
        raise InputError("must be a list", path=f"{path}.conditions")
    # Plain dicts as they are; the element's path is only spelled out for anything else.
    return [
        c if type(c) is dict else _mapping(c, f"{path}.conditions[{i}]")
        for i, c in enumerate(conditions)
    ]


def deployment_complete(d: Manifest, new_status: Mapping[str, Any]) -> bool:
    """Mirrors deployment_util.go ``DeploymentComplete``.

    updated, replicas and available all equal ``spec.replicas`` and
    ``observedGeneration >= generation``.
    """
    replicas = _replicas(d)
    return (
        int_at(new_status, "updatedReplicas") == replicas
        and int_at(new_status, "replicas") == replicas
        and int_at(new_status, "availableReplicas") == replicas
        and int_at(new_status, "observedGeneration") >= int_at(d, "metadata.generation")
    )


def deployment_progressing(d: Manifest, new_status: Mapping[str, Any]) -> bool:
    """Mirrors deployment_util.go ``DeploymentProgressing`` (new status vs ``d.status``).

    Progress: more updated replicas, fewer old replicas (``replicas - updated``), more ready or
    more available replicas.
    """
    old = _mapping(d.get("status"), "status")
    old_old = int_at(old, "replicas") - int_at(old, "updatedReplicas")
    new_old = int_at(new_status, "replicas") - int_at(new_status, "updatedReplicas")
    return (
        int_at(new_status, "updatedReplicas") > int_at(old, "updatedReplicas")
        or new_old < old_old
        or int_at(new_status, "readyReplicas") > int_at(old, "readyReplicas")
        or int_at(new_status, "availableReplicas") > int_at(old, "availableReplicas")
    )


def deployment_timed_out(d: Manifest, new_status: Mapping[str, Any], now: TimeValue) -> bool:
    """Mirrors deployment_util.go ``DeploymentTimedOut``.

    False without a deadline or a Progressing condition in ``new_status``, or when its reason
    is NewReplicaSetAvailable; true when it already is ProgressDeadlineExceeded; otherwise
    ``lastUpdateTime + progressDeadlineSeconds`` strictly before ``now``.
    """
    if not has_progress_deadline(d):
        return False
    condition = _find_condition(_status_conditions(new_status, "status"), "Progressing")
    if condition is None:
        return False
    if condition.get("reason") == REASON_NEW_RS_AVAILABLE:
        return False
    if condition.get("reason") == REASON_TIMED_OUT:
        return True
    deadline = int_at(d, "spec.progressDeadlineSeconds", default=DEFAULT_PROGRESS_DEADLINE_SECONDS)
    since = time_ns(condition.get("lastUpdateTime"), path="status.conditions.lastUpdateTime")
    now_ns = time_ns(now, path="now")
    # A zero lastUpdateTime is year 1 in Go: far in the past, so it has timed out unless now
    # is zero too.
    if since is None:
        return now_ns is not None
    if now_ns is None:
        return False
    return since + deadline * _NS_PER_SECOND < now_ns
