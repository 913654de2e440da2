"""Deployment controller arithmetic, as pure functions over manifests.

Mirrors ``pkg/controller/deployment/util/deployment_util.go`` (fence posts, ``MaxSurge``,
``MaxUnavailable``, ``MinAvailable``, ``NewRSNewReplicas``, ``GetProportion``,
``getReplicaSetFraction``, revisions, conditions, ``DeploymentComplete``,
``DeploymentProgressing``, ``DeploymentTimedOut``), ``rolling.go`` (``reconcileNewReplicaSet``,
``reconcileOldReplicaSets``, ``cleanupUnhealthyReplicas``,
``scaleDownOldReplicaSetsForRollingUpdate``), ``recreate.go`` (``rolloutRecreate``,
``scaleDownOldReplicaSetsForRecreate``, ``oldPodsRunning``, ``scaleUpNewReplicaSetForRecreate``),
``deployment_controller.go`` (``getPodMapForDeployment``), ``sync.go`` (``scale``,
``scaleReplicaSet``, ``cleanupDeployment``, ``calculateStatus``, ``isScalingEvent``,
``checkPausedConditions``),
``progress.go`` (``syncRolloutStatus``, ``requeueStuckDeployment``), ``rollback.go``
(``rollback``, ``rollbackToTemplate``, ``getRollbackTo``), the apps/v1 defaults
(``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment``) and
``pkg/apis/apps/validation/validation.go ValidateRollingUpdateDeployment``;
``k8s-semantics.md`` section 5. Upstream: kubernetes master after v1.35.

Inputs are Deployment and ReplicaSet manifests (camelCase keys). A field the manifest leaves out
reads as its apps/v1 default (``spec.replicas`` 1, strategy RollingUpdate with 25%/25%,
``revisionHistoryLimit`` 10, ``progressDeadlineSeconds`` 600), as the API server would have
defaulted it. Controller actions are returned as plans (:class:`ScaleAction` lists, names to
delete, decisions) instead of being performed.

Times follow :mod:`kmodel.semantics.replicaset`: logical seconds (int or float) or RFC 3339
strings, compared as exact nanoseconds; a condition this module writes carries ``now`` exactly
as the caller gave it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final, Literal, NoReturn

from kmodel.errors import InputError
from kmodel.internal.fields import mapping as _mapping
from kmodel.internal.fields import read_path as _get
from kmodel.internal.gofmt import go_quote
from kmodel.internal.values import describe_value
from kmodel.objects.labels import label_selector_as_selector, labels_of
from kmodel.objects.quantity import parse_quantity
from kmodel.objects.types import Manifest
from kmodel.semantics.replicaset import TimeValue, controller_ref, get_int, time_ns

__all__ = [
    "DEFAULT_MAX_SURGE",
    "DEFAULT_MAX_UNAVAILABLE",
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "MAX_REV_HISTORY_LENGTH_IN_CHARS",
    "REVISION_ANNOTATION",
    "REVISION_HISTORY_ANNOTATION",
    "ROLLBACK_TO_ANNOTATION",
    "CleanupResult",
    "ReconcileOldPlan",
    "RecreatePlan",
    "RollbackDecision",
    "ScaleAction",
    "apply_deployment_defaults",
    "apply_deployment_defaults_in_place",
    "calculate_status",
    "check_paused_conditions",
    "cleanup_deployment",
    "cleanup_unhealthy_replicas",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "find_active_or_latest",
    "get_pod_map_for_deployment",
    "get_proportion",
    "get_scaled_value_from_int_or_percent",
    "has_progress_deadline",
    "has_revision_history_limit",
    "is_saturated",
    "is_scaling_event",
    "last_revision",
    "max_revision",
    "max_scaled_down",
    "max_surge",
    "max_unavailable",
    "min_available",
    "new_deployment_condition",
    "new_rs_new_replicas",
    "old_pods_running",
    "reconcile_new_replica_set",
    "reconcile_old_replica_sets",
    "replica_set_fraction",
    "requeue_stuck_deployment",
    "resolve_fenceposts",
    "revision",
    "rollback",
    "rollout_recreate",
    "scale",
    "scale_down_old_replica_sets_for_recreate",
    "scale_down_old_replica_sets_for_rolling_update",
    "scale_up_new_replica_set_for_recreate",
    "set_deployment_condition",
    "set_new_replica_set_annotations",
    "sync_rollout_status",
    "validate_deployment_strategy",
    "validate_rolling_update",
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

DEFAULT_MAX_SURGE: Final = "25%"
DEFAULT_MAX_UNAVAILABLE: Final = "25%"
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600

_MAX_INT32: Final = 2**31 - 1
_NS_PER_SECOND: Final = 10**9
_GO_DECIMAL = re.compile(r"^[+-]?[0-9]+$")
_PERCENT = re.compile(r"^[0-9]+%$")
_PERCENT_FMT: Final = "[0-9]+%"
_PERCENT_ERR: Final = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    f"(e.g. '1%',  or '93%', regex used for validation is '{_PERCENT_FMT}')"
)

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


# ---------------------------------------------------------------- small readers


def _int32(value: int) -> int:
    """Wrap to int32 as a Go conversion ``int32(x)`` does."""
    return (value + 2**31) % 2**32 - 2**31


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
    replicas = get_int(d, "spec.replicas", 1)
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
    return get_int(obj, f"status.{key}")


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
    created = time_ns(_get(rs, "metadata.creationTimestamp"), "metadata.creationTimestamp")
    return (0, 0, _name(rs)) if created is None else (1, created, _name(rs))


def _sum_spec(rss: Sequence[Manifest | None]) -> int:
    """Mirrors deployment_util.go ``GetReplicaCountForReplicaSets``."""
    return sum(_replicas(rs) for rs in rss if rs is not None)


def _sum_status(rss: Sequence[Manifest | None], key: str) -> int:
    """``GetActualReplicaCountForReplicaSets`` and friends: Σ status.<key> of non-nil RSs."""
    return sum(_status_int(rs, key) for rs in rss if rs is not None)


# ---------------------------------------------------------------- defaults and validation


def apply_deployment_defaults(d: Manifest) -> dict[str, Any]:
    """Return a copy of a Deployment with the apps/v1 defaults filled in.

    Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment``: replicas 1, strategy type
    RollingUpdate, and for RollingUpdate maxUnavailable and maxSurge 25%;
    revisionHistoryLimit 10; progressDeadlineSeconds 600. (``minReadySeconds`` is a plain int
    whose zero value is 0.) A null ``spec``, ``spec.strategy`` or
    ``spec.strategy.rollingUpdate`` reads as empty, as Go decodes it into a zero value.

    Args:
        d: the Deployment manifest; it is not modified.

    Returns:
        A deep copy of ``d`` (mappings in it become dicts) with the defaults filled in.

    Raises:
        InputError: ``d``, ``spec``, ``spec.strategy`` or ``spec.strategy.rollingUpdate`` is
            not a mapping, or ``spec.strategy.type`` is not a string; the message is the one
            the manifest validator gives at load time.
    """
    if not isinstance(d, Mapping):
        raise InputError(f"a Deployment must be a mapping, not {describe_value(d)}")
    copied: dict[str, Any] = _plain_copy(d)
    return apply_deployment_defaults_in_place(copied)


def apply_deployment_defaults_in_place(result: dict[str, Any]) -> dict[str, Any]:
    """:func:`apply_deployment_defaults` on ``result`` itself, which it returns.

    For a caller that has copied what the defaults touch (``spec``, ``spec.strategy`` and
    ``spec.strategy.rollingUpdate``) and shares the rest. Mirrors ``pkg/apis/apps/v1/defaults.go
    SetDefaults_Deployment``. A mapping on that path that is not a dict is replaced by a dict
    copy of it (it is filled in, so it must be mutable).

    Raises:
        InputError: as :func:`apply_deployment_defaults` does (``result`` not a dict too).
    """
    if not isinstance(result, dict):
        raise InputError(
            f"a Deployment to default in place must be a dict, not {describe_value(result)}"
        )
    spec = _defaultable_mapping(result, "spec", "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _defaultable_mapping(spec, "strategy", "spec.strategy")
    strategy_type = strategy.get("type")
    # Go decodes the type into a string (an empty one is defaulted): anything else is refused,
    # as the validator does, rather than read as falsy or as an unknown strategy.
    if strategy_type is not None and not isinstance(strategy_type, str):
        raise InputError(
            f"must be a string, not {describe_value(strategy_type)}", path="spec.strategy.type"
        )
    if not strategy_type:
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _defaultable_mapping(strategy, "rollingUpdate", "spec.strategy.rollingUpdate")
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = DEFAULT_MAX_UNAVAILABLE
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = DEFAULT_MAX_SURGE
    else:
        # Left as it is, but Go could not have decoded a Deployment with anything but an
        # object (or null) here, and the validator refuses it whatever the type.
        rolling_update = strategy.get("rollingUpdate")
        if rolling_update is not None and not isinstance(rolling_update, Mapping):
            _raise_not_a_mapping(rolling_update, "spec.strategy.rollingUpdate")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEFAULT_PROGRESS_DEADLINE_SECONDS
    return result


def _defaultable_mapping(parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """``parent[key]`` as a dict the defaults may fill in: created when absent or null.

    A mapping that is not a dict is replaced by a dict copy; anything else is refused.
    """
    value = parent.get(key)
    if type(value) is dict:  # the common case, without the ABC isinstance check
        return value
    if value is None:
        value = parent[key] = {}
        return value
    if not isinstance(value, Mapping):
        _raise_not_a_mapping(value, path)
    copied = parent[key] = dict(value)
    return copied


def _raise_not_a_mapping(value: object, path: str) -> NoReturn:
    """The manifest validator's error for a field that must be an object (the same message)."""
    raise InputError(f"must be a mapping, not {describe_value(value)}", path=path)


def _plain_copy(value: Any) -> Any:  # noqa: ANN401  # a manifest value: any YAML type
    """A deep copy in which every mapping is a dict and every list a list (others deep-copied).

    ``copy.deepcopy`` alone keeps mapping types that may be read-only or not copyable.
    """
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return copy.deepcopy(value)


def _shown(value: object) -> str:
    """How a field value appears after ``Invalid value:`` (Go ``%q`` for strings)."""
    return go_quote(value) if isinstance(value, str) else str(value)


def _go_atoi(text: str) -> int | None:
    """``strconv.Atoi``: ``None`` on error (64-bit range)."""
    if not _GO_DECIMAL.match(text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None


def _int_or_string_int_value(value: object) -> int:
    """``IntOrString.IntValue``: an int as is, a string through Atoi (0 on error)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _go_atoi(value) or 0
    return 0


def _percent_value(value: object) -> int | None:
    """Mirrors validation.go ``getPercentValue``: the number of a valid ``N%`` string."""
    if isinstance(value, str) and _PERCENT.match(value):
        return int(value[:-1])
    return None


def validate_rolling_update(
    rolling_update: Mapping[str, Any] | None,
    path: str = "spec.strategy.rollingUpdate",
) -> list[InputError]:
    """Validate rolling-update parameters; return every error in upstream order.

    Mirrors ``pkg/apis/apps/validation/validation.go ValidateRollingUpdateDeployment`` (with
    ``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``), applied after the
    apps/v1 defaults (a missing value is 25%). Messages are upstream's field-error details; the
    value is shown as Go shows a string (``%q``) or an int.
    """
    rolling = _mapping(rolling_update, path)
    unavailable = rolling.get("maxUnavailable")
    surge = rolling.get("maxSurge")
    unavailable = DEFAULT_MAX_UNAVAILABLE if unavailable is None else unavailable
    surge = DEFAULT_MAX_SURGE if surge is None else surge
    errors: list[InputError] = []
    for key, value in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        where = f"{path}.{key}"
        if isinstance(value, str):
            if not _PERCENT.match(value):
                errors.append(
                    InputError(f"Invalid value: {_shown(value)}: {_PERCENT_ERR}", path=where)
                )
        elif isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                errors.append(
                    InputError(
                        f"Invalid value: {value}: must be greater than or equal to 0", path=where
                    )
                )
        else:
            errors.append(
                InputError(
                    f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')",
                    path=where,
                )
            )

    def int_or_percent(value: object) -> int:
        percent = _percent_value(value)
        return percent if percent is not None else _int_or_string_int_value(value)

    if int_or_percent(unavailable) == 0 and int_or_percent(surge) == 0:
        errors.append(
            InputError(
                f"Invalid value: {_shown(unavailable)}: may not be 0 when `maxSurge` is 0",
                path=f"{path}.maxUnavailable",
            )
        )
    percent = _percent_value(unavailable)
    if percent is not None and percent > 100:
        errors.append(
            InputError(
                f"Invalid value: {_shown(unavailable)}: must not be greater than 100%",
                path=f"{path}.maxUnavailable",
            )
        )
    return errors


def validate_deployment_strategy(d: Manifest) -> None:
    """Validate ``spec.strategy`` of a Deployment; raise the first error.

    Mirrors ``pkg/apis/apps/validation/validation.go ValidateDeploymentStrategy`` (after the
    apps/v1 defaults): the type must be Recreate or RollingUpdate, Recreate forbids
    ``rollingUpdate``, and RollingUpdate parameters must pass :func:`validate_rolling_update`.

    Raises:
        InputError: the first error, with its field path.
    """
    strategy_type = _strategy_type(d)
    rolling = _get(d, "spec.strategy.rollingUpdate")
    if strategy_type == "Recreate":
        if rolling is not None:
            raise InputError(
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                path="spec.strategy.rollingUpdate",
            )
        return
    errors = validate_rolling_update(_mapping(rolling, "spec.strategy.rollingUpdate"))
    if errors:
        raise errors[0]


# ---------------------------------------------------------------- fence posts


def get_scaled_value_from_int_or_percent(
    value: object, total: int, round_up: bool, path: str = "value"
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
        number = _go_atoi(digits)
        if number is None:
            kind = "invalid syntax" if not _GO_DECIMAL.match(digits) else "value out of range"
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
    return _int32(surge), _int32(unavailable)


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


# ---------------------------------------------------------------- revisions and annotations


def _revision_or_error(rs: Manifest) -> int | None:
    """``Revision(rs)``: 0 when missing, ``None`` when it does not parse as int64."""
    value = _annotations(rs).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    if not isinstance(value, str) or not _GO_DECIMAL.match(value):
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
    old_number = _go_atoi(old_text) if _GO_DECIMAL.match(old_text) else None
    if old_number is None:
        if old_text:
            # Upstream logs "OldRevision not int" and returns without touching the revision.
            return annotations, False
        old_number = 0
    new_number = _go_atoi(new_revision)
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
    number = _go_atoi(value)
    return None if number is None else _int32(number)


def _replicas_annotations(d: Manifest) -> dict[str, str]:
    replicas = _replicas(d)
    return {
        DESIRED_REPLICAS_ANNOTATION: str(replicas),
        MAX_REPLICAS_ANNOTATION: str(replicas + max_surge(d)),
    }


# ---------------------------------------------------------------- scaling plans


@dataclass(frozen=True)
class ScaleAction:
    """One ReplicaSet update the controller makes.

    Attributes:
        name: the ReplicaSet's name.
        from_replicas: its ``spec.replicas`` before.
        to_replicas: its ``spec.replicas`` after.
        annotations: the desired-replicas and max-replicas annotations written with it.
        event: the Normal ``ScalingReplicaSet`` event message, or ``None`` when only the
            annotations changed.
    """

    name: str
    from_replicas: int
    to_replicas: int
    annotations: dict[str, str] = field(default_factory=dict)
    event: str | None = None


def _scale_replica_set(
    rs: Manifest, new_scale: int, d: Manifest, operation: str
) -> ScaleAction | None:
    """Mirrors sync.go ``scaleReplicaSet``: update size and replica annotations if needed."""
    current = _replicas(rs)
    wanted = _replicas_annotations(d)
    present = _annotations(rs)
    annotations_stale = any(present.get(k) != v for k, v in wanted.items())
    if current == new_scale and not annotations_stale:
        return None
    event = None
    if current != new_scale:
        event = f"Scaled {operation} replica set {_name(rs)} from {current} to {new_scale}"
    return ScaleAction(_name(rs), current, new_scale, wanted, event)


def _scale_and_record(rs: Manifest, new_scale: int, d: Manifest) -> ScaleAction | None:
    """Mirrors sync.go ``scaleReplicaSetAndRecordEvent`` (no call when the size is unchanged)."""
    current = _replicas(rs)
    if current == new_scale:
        return None
    return _scale_replica_set(rs, new_scale, d, "down" if current > new_scale else "up")


def _with_replicas(rs: Manifest, replicas: int) -> dict[str, Any]:
    updated = dict(rs)
    updated["spec"] = {**_mapping(rs.get("spec"), "spec"), "replicas": replicas}
    return updated


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
    max_total = replicas + _int32(surge)
    new_spec = _replicas(new_rs)
    if current >= max_total:
        return new_spec
    return new_spec + min(max_total - current, replicas - new_spec)


def reconcile_new_replica_set(
    all_rss: Sequence[Manifest | None], new_rs: Manifest, d: Manifest
) -> ScaleAction | None:
    """The scale of the new RS in a rolling update, or ``None`` when nothing changes.

    Mirrors rolling.go ``reconcileNewReplicaSet``: equal to replicas: nothing; above: scale
    down to replicas; below: scale to :func:`new_rs_new_replicas`.
    """
    replicas = _replicas(d)
    current = _replicas(new_rs)
    if current == replicas:
        return None
    if current > replicas:
        return _scale_and_record(new_rs, replicas, d)
    return _scale_and_record(new_rs, new_rs_new_replicas(d, all_rss, new_rs), d)


def max_scaled_down(all_rss: Sequence[Manifest | None], new_rs: Manifest, d: Manifest) -> int:
    """How many old pods a rolling update may remove now.

    Mirrors the arithmetic of rolling.go ``reconcileOldReplicaSets``:
    ``Σ spec(all) - (replicas - MaxUnavailable) - (newRS.spec - newRS.status.available)``.
    """
    min_avail = _replicas(d) - max_unavailable(d)
    new_unavailable = _replicas(new_rs) - _status_int(new_rs, "availableReplicas")
    return _sum_spec(all_rss) - min_avail - new_unavailable


@dataclass(frozen=True)
class CleanupResult:
    """What ``cleanupUnhealthyReplicas`` did.

    Attributes:
        actions: the scale-downs made, in order.
        total: the number of replicas removed.
        old_rss: the old RSs sorted oldest first, with their new sizes.
        error: upstream's error when an RS had more available than spec replicas (the
            actions before it were still made), else ``None``.
    """

    actions: list[ScaleAction]
    total: int
    old_rss: list[dict[str, Any]]
    error: str | None = None


def cleanup_unhealthy_replicas(
    old_rss: Sequence[Manifest], d: Manifest, max_cleanup_count: int
) -> CleanupResult:
    """Scale down the unavailable replicas of old RSs, oldest RS first.

    Mirrors rolling.go ``cleanupUnhealthyReplicas``: sort by creation time (name breaks ties),
    skip RSs with spec 0 or spec == available, take
    ``min(maxCleanup - done, spec - available)`` from each, stop once ``done >= maxCleanup``.
    """
    ordered = [dict(rs) for rs in sorted(old_rss, key=_creation_key)]
    actions: list[ScaleAction] = []
    total = 0
    for index, rs in enumerate(ordered):
        if total >= max_cleanup_count:
            break
        spec = _replicas(rs)
        available = _status_int(rs, "availableReplicas")
        if spec in {0, available}:
            continue
        count = min(max_cleanup_count - total, spec - available)
        new_count = spec - count
        if new_count > spec:
            namespace = _get(rs, "metadata.namespace") or ""
            return CleanupResult(
                actions,
                total,
                ordered,
                "when cleaning up unhealthy replicas, got invalid request to scale down "
                f"{namespace}/{_name(rs)} {spec} -> {new_count}",
            )
        action = _scale_and_record(rs, new_count, d)
        if action is not None:
            actions.append(action)
        total += count
        ordered[index] = _with_replicas(rs, new_count)
    return CleanupResult(actions, total, ordered)


def scale_down_old_replica_sets_for_rolling_update(
    all_rss: Sequence[Manifest | None], old_rss: Sequence[Manifest], d: Manifest
) -> tuple[list[ScaleAction], int]:
    """Scale old RSs down as far as availability allows, oldest first.

    Mirrors rolling.go ``scaleDownOldReplicaSetsForRollingUpdate``: with
    ``avail = Σ status.available(all)`` and ``minAvailable = replicas - MaxUnavailable``, nothing
    happens when ``avail <= minAvailable``; otherwise ``avail - minAvailable`` replicas are taken
    from the old RSs sorted by creation time, ``min(spec, left)`` each, skipping empty RSs.

    Returns:
        The scale actions and the total scaled down.
    """
    min_avail = _replicas(d) - max_unavailable(d)
    available = _sum_status(all_rss, "availableReplicas")
    if available <= min_avail:
        return [], 0
    to_scale = available - min_avail
    actions: list[ScaleAction] = []
    total = 0
    for rs in sorted(old_rss, key=_creation_key):
        if total >= to_scale:
            break
        spec = _replicas(rs)
        if spec == 0:
            continue
        count = min(spec, to_scale - total)
        action = _scale_and_record(rs, spec - count, d)
        if action is not None:
            actions.append(action)
        total += count
    return actions, total


@dataclass(frozen=True)
class ReconcileOldPlan:
    """What ``reconcileOldReplicaSets`` does.

    Attributes:
        actions: every scale-down, cleanup first.
        cleanup_count: replicas removed by ``cleanupUnhealthyReplicas``.
        scaled_down_count: replicas removed by ``scaleDownOldReplicaSetsForRollingUpdate``.
        scaled_down: the function's boolean result (the rollout returns after a scale-down).
        max_scaled_down: the budget computed first.
        error: a cleanup error (upstream then returns ``false, nil``), else ``None``.
    """

    actions: list[ScaleAction]
    cleanup_count: int
    scaled_down_count: int
    scaled_down: bool
    max_scaled_down: int
    error: str | None = None


def reconcile_old_replica_sets(
    all_rss: Sequence[Manifest | None],
    old_rss: Sequence[Manifest],
    new_rs: Manifest,
    d: Manifest,
) -> ReconcileOldPlan:
    """Plan the scale-down of old ReplicaSets in one rolling-update step.

    Mirrors rolling.go ``reconcileOldReplicaSets`` as ``rolloutRolling`` calls it:
    ``old_rss`` are filtered to the active ones (``FilterActiveReplicaSets``, a no-op if the
    caller did it); if they hold no replicas, or :func:`max_scaled_down` is <= 0, nothing
    happens; otherwise :func:`cleanup_unhealthy_replicas` runs, then
    :func:`scale_down_old_replica_sets_for_rolling_update` on the cleaned old RSs plus the new
    RS.
    """
    active_old = _active(old_rss)
    budget = max_scaled_down(all_rss, new_rs, d)
    if _sum_spec(active_old) == 0 or budget <= 0:
        return ReconcileOldPlan([], 0, 0, scaled_down=False, max_scaled_down=budget)
    cleanup = cleanup_unhealthy_replicas(active_old, d, budget)
    if cleanup.error is not None:
        return ReconcileOldPlan(
            cleanup.actions,
            cleanup.total,
            0,
            scaled_down=False,
            max_scaled_down=budget,
            error=cleanup.error,
        )
    actions, scaled = scale_down_old_replica_sets_for_rolling_update(
        [*cleanup.old_rss, new_rs], cleanup.old_rss, d
    )
    return ReconcileOldPlan(
        [*cleanup.actions, *actions],
        cleanup.total,
        scaled,
        cleanup.total + scaled > 0,
        budget,
    )


# ---------------------------------------------------------------- Recreate


def get_pod_map_for_deployment(
    d: Manifest, rss: Iterable[Manifest], pods: Iterable[Manifest]
) -> dict[str, list[Manifest]]:
    """The Deployment's pods grouped by the UID of the ReplicaSet that controls them.

    Mirrors deployment_controller.go ``getPodMapForDeployment``: of ``pods`` (the Deployment's
    namespace), those its ``spec.selector`` matches, grouped by their controller reference's UID
    when that UID is one of ``rss``; every ReplicaSet has an entry, empty or not. Pods without
    a controller, or controlled by something else, are left out; inactive pods (terminal,
    terminating) are kept, since Recreate must see them.

    Raises:
        InputError: a malformed selector, labels or owner references.
    """
    selector = label_selector_as_selector(_get(d, "spec.selector"), "spec.selector")
    pod_map: dict[str, list[Manifest]] = {str(_get(rs, "metadata.uid")): [] for rs in rss}
    for pod in pods:
        if not selector.matches(labels_of(pod)):
            continue
        ref = controller_ref(pod)
        if ref is None:
            continue
        group = pod_map.get(str(ref.get("uid")))
        if group is not None:
            group.append(pod)
    return pod_map


def scale_down_old_replica_sets_for_recreate(
    old_rss: Sequence[Manifest | None], d: Manifest
) -> list[ScaleAction]:
    """Every active old ReplicaSet scaled to 0, in the order given.

    Mirrors recreate.go ``scaleDownOldReplicaSetsForRecreate`` on
    ``FilterActiveReplicaSets(oldRSs)``, as ``rolloutRecreate`` calls it: an RS already at 0 is
    skipped, each other one gets ``scaleReplicaSetAndRecordEvent(rs, 0)`` (its size and the
    replica annotations). Upstream reports "scaled" once one update went through and returns at
    the first update that fails: the caller writes the actions in order and stops likewise.
    """
    actions = []
    for rs in _active(old_rss):
        if _replicas(rs) == 0:
            continue
        action = _scale_and_record(rs, 0, d)
        if action is not None:
            actions.append(action)
    return actions


def old_pods_running(
    new_rs: Manifest | None,
    old_rss: Sequence[Manifest | None],
    pod_map: Mapping[str, Sequence[Manifest]],
) -> bool:
    """Whether old pods may still run: Recreate creates no new pod until this is false.

    Mirrors recreate.go ``oldPodsRunning``: true when the old ReplicaSets' ``status.replicas``
    sum above 0 (``GetActualReplicaCountForReplicaSets``); otherwise true when ``pod_map`` (see
    :func:`get_pod_map_for_deployment`) holds, under any UID but the new ReplicaSet's, a pod
    whose phase is not Failed or Succeeded. Unknown counts (the pod may still run on a node
    that cannot report), as do Pending, Running and an empty phase.
    """
    if _sum_status(old_rss, "replicas") > 0:
        return True
    new_uid = None if new_rs is None else _get(new_rs, "metadata.uid")
    for uid, pods in pod_map.items():
        if new_rs is not None and uid == new_uid:
            continue
        for pod in pods:
            if _get(pod, "status.phase") in {"Failed", "Succeeded"}:
                continue
            return True
    return False


def scale_up_new_replica_set_for_recreate(new_rs: Manifest, d: Manifest) -> ScaleAction | None:
    """The new ReplicaSet scaled to ``spec.replicas`` (``None`` when it is at that size).

    Mirrors recreate.go ``scaleUpNewReplicaSetForRecreate`` with the
    ``DeploymentPodReplacementPolicy`` feature gate off (its default; the model does not know
    ``spec.podReplacementPolicy``): ``scaleReplicaSetAndRecordEvent(newRS, replicas)``.
    """
    return _scale_and_record(new_rs, _replicas(d), d)


@dataclass(frozen=True)
class RecreatePlan:
    """What one ``rolloutRecreate`` does, step by step; the status is synced after every one.

    Attributes:
        scale_down: the old ReplicaSets scaled to 0; when there are any the sync ends after
            writing them.
        old_pods_running: old pods may still run (:func:`old_pods_running`); the sync ends.
        create_new_replica_set: no new ReplicaSet exists: it is created now (at
            ``spec.replicas``, :func:`new_rs_new_replicas`), and only now.
        scale_up: the scale-up of an existing new ReplicaSet (``None``: at size, or created).
        cleanup: old ReplicaSets the history limit deletes (only when the Deployment's current
            status is complete).
    """

    scale_down: list[ScaleAction] = field(default_factory=list)
    old_pods_running: bool = False
    create_new_replica_set: bool = False
    scale_up: ScaleAction | None = None
    cleanup: list[str] = field(default_factory=list)


def rollout_recreate(
    d: Manifest,
    new_rs: Manifest | None,
    old_rss: Sequence[Manifest],
    pod_map: Mapping[str, Sequence[Manifest]],
) -> RecreatePlan:
    """Plan one sync of a Recreate Deployment.

    Mirrors recreate.go ``rolloutRecreate`` (the ``DeploymentPodReplacementPolicy`` gate off):
    the new ReplicaSet is not created up front (``getAllReplicaSetsAndSyncRevision`` with
    ``createIfNotExisted`` false); the active old ReplicaSets are scaled to 0 and the sync
    returns if any was; it returns while :func:`old_pods_running`; then the new ReplicaSet is
    created if missing and scaled to ``spec.replicas``; when ``DeploymentComplete(d,
    &d.Status)`` (the status before this sync) the history is cleaned up
    (:func:`cleanup_deployment`). Each return syncs the rollout status
    (:func:`sync_rollout_status` over the ReplicaSets as listed, the created one included).
    """
    scale_down = scale_down_old_replica_sets_for_recreate(old_rss, d)
    if scale_down:
        return RecreatePlan(scale_down=scale_down)
    if old_pods_running(new_rs, old_rss, pod_map):
        return RecreatePlan(old_pods_running=True)
    scale_up = None if new_rs is None else scale_up_new_replica_set_for_recreate(new_rs, d)
    complete = deployment_complete(d, _mapping(d.get("status"), "status"))
    return RecreatePlan(
        create_new_replica_set=new_rs is None,
        scale_up=scale_up,
        cleanup=cleanup_deployment(d, old_rss) if complete else [],
    )


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
    number = _go_atoi(desired) if isinstance(desired, str) else None
    if number is None:
        return False
    replicas = _replicas(d)
    return (
        _replicas(rs) == replicas
        and _int32(number) == replicas
        and _status_int(rs, "availableReplicas") == replicas
    )


def _go_round_half_away(value: Fraction) -> int:
    """``math.Round``: half away from zero (Python's ``round`` rounds half to even)."""
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return magnitude if value >= 0 else -magnitude


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
    new_size = Fraction(_int32(spec * max_now), before)
    return _int32(_go_round_half_away(new_size)) - spec


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


def scale(d: Manifest, new_rs: Manifest | None, old_rss: Sequence[Manifest]) -> list[ScaleAction]:
    """Plan the proportional scaling of a Deployment's ReplicaSets.

    Mirrors sync.go ``scale``: (1) :func:`find_active_or_latest` gets all replicas;
    (2) a saturated new RS (:func:`is_saturated`) scales every active old RS to 0; (3) under
    RollingUpdate, ``toAdd = (replicas + MaxSurge, or 0 when replicas is 0) - Σ spec(active)``
    is shared out with :func:`get_proportion` over the active RSs sorted ``BySizeNewer``
    (toAdd > 0) or ``BySizeOlder`` (toAdd < 0); the leftover goes to the first RS (clamped at
    0); every RS is written with fresh desired/max annotations.

    Returns:
        The RS updates in the order upstream makes them.
    """
    replicas = _replicas(d)
    target = find_active_or_latest(new_rs, old_rss)
    if target is not None:
        if _replicas(target) == replicas:
            return []
        action = _scale_and_record(target, replicas, d)
        return [] if action is None else [action]
    if is_saturated(d, new_rs):
        scaled = [_scale_and_record(old, 0, d) for old in _active(old_rss)]
        return [action for action in scaled if action is not None]
    if not _is_rolling_update(d):
        return []
    newest_first = sorted(old_rss, key=_creation_key, reverse=True)
    all_rss = _active([*newest_first, new_rs])
    allowed = replicas + max_surge(d) if replicas > 0 else 0
    to_add = allowed - _sum_spec(all_rss)
    operation = ""
    if to_add > 0:
        # BySizeNewer: larger first; equal size, newer first (name order reversed on ties).
        all_rss.sort(key=_creation_key, reverse=True)
        all_rss.sort(key=_replicas, reverse=True)
        operation = "up"
    elif to_add < 0:
        # BySizeOlder: larger first; equal size, older first.
        all_rss.sort(key=_creation_key)
        all_rss.sort(key=_replicas, reverse=True)
        operation = "down"
    added = 0
    sizes: list[int] = []
    for rs in all_rss:
        if to_add != 0:
            proportion = get_proportion(rs, d, to_add, added)
            sizes.append(_replicas(rs) + proportion)
            added += proportion
        else:
            sizes.append(_replicas(rs))
    actions: list[ScaleAction] = []
    for index, rs in enumerate(all_rss):
        if index == 0 and to_add != 0:
            sizes[0] = max(0, sizes[0] + to_add - added)
        action = _scale_replica_set(rs, sizes[index], d, operation)
        if action is not None:
            actions.append(action)
    return actions


# ---------------------------------------------------------------- cleanup and rollback


def has_revision_history_limit(d: Manifest) -> bool:
    """Mirrors deployment_util.go ``HasRevisionHistoryLimit`` (set, and not MaxInt32)."""
    limit = get_int(d, "spec.revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    return limit != _MAX_INT32


def has_progress_deadline(d: Manifest) -> bool:
    """Mirrors deployment_util.go ``HasProgressDeadline`` (set, and not MaxInt32)."""
    deadline = get_int(d, "spec.progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    return deadline != _MAX_INT32


def cleanup_deployment(d: Manifest, old_rss: Sequence[Manifest | None]) -> list[str]:
    """Names of the old ReplicaSets the history limit deletes.

    Mirrors sync.go ``cleanupDeployment``: candidates are old RSs without a
    deletionTimestamp; ``diff = len - revisionHistoryLimit``; they are sorted by revision
    (``ReplicaSetsByRevision``: a pair where either revision does not parse, or both are equal,
    is ordered by creation time then name); of the first ``diff``, only RSs with
    ``status.replicas == 0``, ``spec == 0`` and ``observedGeneration >= generation`` are deleted.

    Divergence: with unparseable revisions the upstream comparison is not a total order and Go's
    unstable sort may order such RSs differently from the model's stable sort.
    """
    if not has_revision_history_limit(d):
        return []
    limit = get_int(d, "spec.revisionHistoryLimit", DEFAULT_REVISION_HISTORY_LIMIT)
    candidates = [
        rs for rs in old_rss if rs is not None and _get(rs, "metadata.deletionTimestamp") is None
    ]
    diff = len(candidates) - limit
    if diff <= 0:
        return []

    def less(a: Manifest, b: Manifest) -> int:
        rev_a = _revision_or_error(a)
        rev_b = _revision_or_error(b)
        if rev_a is None or rev_b is None or rev_a == rev_b:
            key_a, key_b = _creation_key(a), _creation_key(b)
            return -1 if key_a < key_b else 1 if key_b < key_a else 0
        return -1 if rev_a < rev_b else 1

    ordered = sorted(candidates, key=functools.cmp_to_key(less))
    deleted: list[str] = []
    for rs in ordered[:diff]:
        if (
            _status_int(rs, "replicas") != 0
            or _replicas(rs) != 0
            or get_int(rs, "metadata.generation") > _status_int(rs, "observedGeneration")
            or _get(rs, "metadata.deletionTimestamp") is not None
        ):
            continue
        deleted.append(_name(rs))
    return deleted


@dataclass(frozen=True)
class RollbackDecision:
    """What ``rollback`` does.

    Attributes:
        revision: the revision rolled back to (0 when no last revision exists).
        event_type: ``Normal`` or ``Warning``.
        reason: the event reason.
        message: the event message.
        template: the Deployment's new pod template when it was rolled back, else ``None``.
        annotations: the Deployment's annotations afterwards (the rollback annotation is
            always cleared).
    """

    revision: int
    event_type: Literal["Normal", "Warning"]
    reason: str
    message: str
    template: dict[str, Any] | None
    annotations: dict[str, Any]


def _semantic(value: object) -> object:
    """Normalise a manifest fragment for ``apiequality.Semantic.DeepEqual``.

    Null, empty maps and empty lists compare equal to absent fields (upstream treats nil and
    empty maps and slices as equal) and resource quantities compare by amount. This is an
    approximation: without the Go schema, a pointer field set to its zero value is not told
    apart from an absent one.
    """
    if isinstance(value, Mapping):
        normal: dict[str, object] = {}
        for key, item in value.items():
            if key in {"requests", "limits"} and isinstance(item, Mapping):
                normal[key] = {k: parse_quantity(v) for k, v in item.items()}
                continue
            inner = _semantic(item)
            if inner is None or inner in ({}, []):
                continue
            normal[key] = inner
        return normal
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


def _template_without_hash(template: object) -> object:
    normal = _semantic(template)
    if isinstance(normal, dict):
        metadata = normal.get("metadata")
        if isinstance(metadata, dict):
            labels = metadata.get("labels")
            if isinstance(labels, dict):
                labels.pop(_POD_TEMPLATE_HASH_LABEL, None)
                if not labels:
                    metadata.pop("labels")
            if not metadata:
                normal.pop("metadata")
    return normal


def _rollback_to(d: Manifest) -> int | None:
    """Mirrors rollback.go ``getRollbackTo``: the annotation as int64, else ``None``."""
    value = _annotations(d).get(ROLLBACK_TO_ANNOTATION)
    if not isinstance(value, str) or not value or not _GO_DECIMAL.match(value):
        return None
    number = int(value)
    return number if -(2**63) <= number < 2**63 else None


def rollback(d: Manifest, all_rss: Sequence[Manifest | None]) -> RollbackDecision | None:
    """Decide a legacy rollback (the ``deprecated.deployment.rollback.to`` annotation).

    Mirrors rollback.go ``rollback`` and ``rollbackToTemplate`` (k8s-semantics.md 5.5):
    revision 0 means :func:`last_revision`, and none gives the Warning
    ``DeploymentRollbackRevisionNotFound`` "Unable to find last revision."; the first RS with
    the revision whose template differs (ignoring pod-template-hash) is copied into the
    Deployment together with its annotations (Normal ``DeploymentRollback``); an equal
    template gives the Warning ``DeploymentRollbackTemplateUnchanged``; no such RS gives the
    Warning ``DeploymentRollbackRevisionNotFound`` "Unable to find the revision to rollback
    to.". The annotation is always cleared.

    ``all_rss`` are the old RSs followed by the new RS, as ``getAllReplicaSetsAndSyncRevision``
    returns them (the caller syncs the new RS's revision first).

    Returns:
        The decision, or ``None`` when the annotation is absent or not an integer (upstream
        then does not roll back and leaves the annotation alone).
    """
    target = _rollback_to(d)
    if target is None:
        return None
    annotations = dict(_annotations(d))
    annotations.pop(ROLLBACK_TO_ANNOTATION, None)
    name = _name(d)
    if target == 0:
        target = last_revision(all_rss)
        if target == 0:
            return RollbackDecision(
                0,
                "Warning",
                REASON_ROLLBACK_NOT_FOUND,
                "Unable to find last revision.",
                None,
                annotations,
            )
    for rs in all_rss:
        if rs is None or _revision_or_error(rs) != target:
            continue
        rs_template = _mapping(_get(rs, "spec.template"), "spec.template")
        if _template_without_hash(_get(d, "spec.template")) == _template_without_hash(rs_template):
            return RollbackDecision(
                target,
                "Warning",
                REASON_ROLLBACK_UNCHANGED,
                "The rollback revision contains the same template as current deployment "
                f"{go_quote(name)}",
                None,
                annotations,
            )
        # SetFromReplicaSetTemplate: the template without the pod-template-hash label.
        template = copy.deepcopy(dict(rs_template))
        metadata = dict(_mapping(template.get("metadata"), "spec.template.metadata"))
        labels = dict(_mapping(metadata.get("labels"), "spec.template.metadata.labels"))
        labels.pop(_POD_TEMPLATE_HASH_LABEL, None)
        metadata["labels"] = labels
        template["metadata"] = metadata
        # SetDeploymentAnnotationsTo: keep the skipped keys, take the RS's others.
        new_annotations = {k: v for k, v in annotations.items() if k in _ANNOTATIONS_TO_SKIP}
        new_annotations.update(
            {k: v for k, v in _annotations(rs).items() if k not in _ANNOTATIONS_TO_SKIP}
        )
        return RollbackDecision(
            target,
            "Normal",
            REASON_ROLLBACK_DONE,
            f"Rolled back deployment {go_quote(name)} to revision {target}",
            template,
            new_annotations,
        )
    return RollbackDecision(
        target,
        "Warning",
        REASON_ROLLBACK_NOT_FOUND,
        "Unable to find the revision to rollback to.",
        None,
        annotations,
    )


def is_scaling_event(d: Manifest, all_rss: Sequence[Manifest | None]) -> bool:
    """Whether some active RS was sized for a different ``spec.replicas``.

    Mirrors sync.go ``isScalingEvent``: an active RS whose desired-replicas annotation parses
    and differs from ``spec.replicas``.
    """
    replicas = _replicas(d)
    for rs in _active(all_rss):
        desired = _int_annotation(rs, DESIRED_REPLICAS_ANNOTATION)
        if desired is not None and desired != replicas:
            return True
    return False


# ---------------------------------------------------------------- status and conditions


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
    conditions = status.get("conditions") or []
    if not isinstance(conditions, list):
        raise InputError("must be a list", path=f"{path}.conditions")
    # Plain dicts as they are; the element's path is only spelled out for anything else.
    return [
        c if type(c) is dict else _mapping(c, f"{path}.conditions[{i}]")
        for i, c in enumerate(conditions)
    ]


def calculate_status(
    d: Manifest, all_rss: Sequence[Manifest | None], new_rs: Manifest | None, now: TimeValue
) -> dict[str, Any]:
    """The Deployment status computed from its ReplicaSets, with the Available condition.

    Mirrors sync.go ``calculateStatus``: ``replicas``, ``readyReplicas`` and
    ``availableReplicas`` sum the RS statuses, ``updatedReplicas`` is the new RS's
    ``status.replicas``, ``unavailableReplicas = max(0, Σ spec - available)``,
    ``observedGeneration`` the Deployment's generation; Available is True
    (MinimumReplicasAvailable) iff ``available >= replicas - MaxUnavailable``.
    """
    available = _sum_status(all_rss, "availableReplicas")
    unavailable = max(0, _sum_spec(all_rss) - available)
    old_status = _mapping(d.get("status"), "status")
    status: dict[str, Any] = {
        "observedGeneration": get_int(d, "metadata.generation"),
        "replicas": _sum_status(all_rss, "replicas"),
        "updatedReplicas": _sum_status([new_rs], "replicas"),
        "readyReplicas": _sum_status(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
    }
    if old_status.get("collisionCount") is not None:
        status["collisionCount"] = old_status["collisionCount"]
    conditions = [dict(c) for c in _status_conditions(old_status, "status")]
    if available >= _replicas(d) - max_unavailable(d):
        condition = new_deployment_condition(
            "Available", "True", REASON_MIN_AVAILABLE, "Deployment has minimum availability.", now
        )
    else:
        condition = new_deployment_condition(
            "Available",
            "False",
            REASON_MIN_UNAVAILABLE,
            "Deployment does not have minimum availability.",
            now,
        )
    status["conditions"] = set_deployment_condition(conditions, condition)
    return status


def deployment_complete(d: Manifest, new_status: Mapping[str, Any]) -> bool:
    """Mirrors deployment_util.go ``DeploymentComplete``.

    updated, replicas and available all equal ``spec.replicas`` and
    ``observedGeneration >= generation``.
    """
    replicas = _replicas(d)
    return (
        get_int(new_status, "updatedReplicas") == replicas
        and get_int(new_status, "replicas") == replicas
        and get_int(new_status, "availableReplicas") == replicas
        and get_int(new_status, "observedGeneration") >= get_int(d, "metadata.generation")
    )


def deployment_progressing(d: Manifest, new_status: Mapping[str, Any]) -> bool:
    """Mirrors deployment_util.go ``DeploymentProgressing`` (new status vs ``d.status``).

    Progress: more updated replicas, fewer old replicas (``replicas - updated``), more ready or
    more available replicas.
    """
    old = _mapping(d.get("status"), "status")
    old_old = get_int(old, "replicas") - get_int(old, "updatedReplicas")
    new_old = get_int(new_status, "replicas") - get_int(new_status, "updatedReplicas")
    return (
        get_int(new_status, "updatedReplicas") > get_int(old, "updatedReplicas")
        or new_old < old_old
        or get_int(new_status, "readyReplicas") > get_int(old, "readyReplicas")
        or get_int(new_status, "availableReplicas") > get_int(old, "availableReplicas")
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
    deadline = get_int(d, "spec.progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    since = time_ns(condition.get("lastUpdateTime"), "status.conditions.lastUpdateTime")
    now_ns = time_ns(now, "now")
    # A zero lastUpdateTime is year 1 in Go: far in the past, so it has timed out unless now
    # is zero too.
    if since is None:
        return now_ns is not None
    if now_ns is None:
        return False
    return since + deadline * _NS_PER_SECOND < now_ns


def _replica_failures(
    all_rss: Sequence[Manifest | None], new_rs: Manifest | None
) -> list[dict[str, Any]]:
    """Mirrors progress.go ``getReplicaFailures`` (new RS first, then all RSs)."""

    def failures(rs: Manifest) -> list[dict[str, Any]]:
        found = []
        status = _mapping(rs.get("status"), "status")
        for condition in _status_conditions(status, "status"):
            if condition.get("type") != "ReplicaFailure":
                continue
            # ReplicaSetToDeploymentCondition: both times from lastTransitionTime.
            found.append(
                {
                    "type": "ReplicaFailure",
                    "status": condition.get("status"),
                    "lastUpdateTime": condition.get("lastTransitionTime"),
                    "lastTransitionTime": condition.get("lastTransitionTime"),
                    "reason": condition.get("reason", ""),
                    "message": condition.get("message", ""),
                }
            )
        return found

    if new_rs is not None:
        from_new = failures(new_rs)
        if from_new:
            return from_new
    result: list[dict[str, Any]] = []
    for rs in all_rss:
        if rs is not None:
            result.extend(failures(rs))
    return result


def sync_rollout_status(
    d: Manifest,
    all_rss: Sequence[Manifest | None],
    new_rs: Manifest | None,
    now: TimeValue,
    *,
    calculated: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Deployment status ``syncRolloutStatus`` writes, conditions included.

    Mirrors progress.go ``syncRolloutStatus`` (k8s-semantics.md 5.6): :func:`calculate_status`;
    without a progress deadline the Progressing condition is removed; unless the rollout is
    already complete (current reason NewReplicaSetAvailable and replicas == updated), the
    first of complete / progressing / timed out sets Progressing; ReplicaFailure is copied from
    the RSs (new RS first) or removed.

    ``calculated`` is :func:`calculate_status` of the same arguments when the caller has it
    already (it is not changed here).
    """
    status = calculate_status(d, all_rss, new_rs, now) if calculated is None else dict(calculated)
    conditions: list[dict[str, Any]] = status["conditions"]
    if not has_progress_deadline(d):
        conditions = [c for c in conditions if c.get("type") != "Progressing"]
    old_status = _mapping(d.get("status"), "status")
    current = _find_condition(_status_conditions(old_status, "status"), "Progressing")
    complete = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == REASON_NEW_RS_AVAILABLE
    )
    name = _name(d)
    new_rs_name = _name(new_rs) if new_rs is not None else None

    def subject() -> str:
        # Quoted only when a Progressing condition is built (most syncs build none).
        if new_rs_name is not None:
            return f"ReplicaSet {go_quote(new_rs_name)}"
        return f"Deployment {go_quote(name)}"

    if has_progress_deadline(d) and not complete:
        status["conditions"] = conditions
        if deployment_complete(d, status):
            conditions = set_deployment_condition(
                conditions,
                new_deployment_condition(
                    "Progressing",
                    "True",
                    REASON_NEW_RS_AVAILABLE,
                    f"{subject()} has successfully progressed.",
                    now,
                ),
            )
        elif deployment_progressing(d, status):
            condition = new_deployment_condition(
                "Progressing", "True", REASON_RS_UPDATED, f"{subject()} is progressing.", now
            )
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                conditions = [c for c in conditions if c.get("type") != "Progressing"]
            conditions = set_deployment_condition(conditions, condition)
        elif deployment_timed_out(d, status, now):
            conditions = set_deployment_condition(
                conditions,
                new_deployment_condition(
                    "Progressing",
                    "False",
                    REASON_TIMED_OUT,
                    f"{subject()} has timed out progressing.",
                    now,
                ),
            )
    failures = _replica_failures(all_rss, new_rs)
    if failures:
        conditions = set_deployment_condition(conditions, failures[0])
    else:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    status["conditions"] = conditions
    return status


def requeue_stuck_deployment(
    d: Manifest, new_status: Mapping[str, Any], now: TimeValue
) -> float | None:
    """Seconds until the progress check is due, 0 for now, ``None`` for no requeue.

    Mirrors progress.go ``requeueStuckDeployment`` (which returns -1 for "no requeue"): none
    without a deadline or a current Progressing condition, or when the rollout is complete or
    already timed out; otherwise ``lastUpdateTime + deadline - now``, and 0 when under a second
    (upstream then adds a second to the delay it enqueues with).
    """
    old_status = _mapping(d.get("status"), "status")
    current = _find_condition(_status_conditions(old_status, "status"), "Progressing")
    if not has_progress_deadline(d) or current is None:
        return None
    if deployment_complete(d, new_status) or current.get("reason") == REASON_TIMED_OUT:
        return None
    deadline = get_int(d, "spec.progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
    since = time_ns(current.get("lastUpdateTime"), "status.conditions.lastUpdateTime")
    now_ns = time_ns(now, "now")
    if since is None or now_ns is None:
        return 0.0
    after = since + deadline * _NS_PER_SECOND - now_ns
    if after < _NS_PER_SECOND:
        return 0.0
    return after / _NS_PER_SECOND


def check_paused_conditions(d: Manifest, now: TimeValue) -> list[dict[str, Any]] | None:
    """The status conditions after ``checkPausedConditions``, or ``None`` when unchanged.

    Mirrors sync.go ``checkPausedConditions``: with a progress deadline, and unless the
    Progressing reason is ProgressDeadlineExceeded, a paused Deployment without a
    DeploymentPaused reason gets Progressing=Unknown "Deployment is paused", and a resumed one
    whose reason is DeploymentPaused gets Progressing=Unknown DeploymentResumed "Deployment is
    resumed".
    """
    if not has_progress_deadline(d):
        return None
    status = _mapping(d.get("status"), "status")
    conditions = _status_conditions(status, "status")
    current = _find_condition(conditions, "Progressing")
    if current is not None and current.get("reason") == REASON_TIMED_OUT:
        return None
    paused_exists = current is not None and current.get("reason") == REASON_PAUSED
    paused = _get(d, "spec.paused") is True
    if paused and not paused_exists:
        condition = new_deployment_condition(
            "Progressing", "Unknown", REASON_PAUSED, "Deployment is paused", now
        )
    elif not paused and paused_exists:
        condition = new_deployment_condition(
            "Progressing", "Unknown", REASON_RESUMED, "Deployment is resumed", now
        )
    else:
        return None
    return set_deployment_condition(conditions, condition)
