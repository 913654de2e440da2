"""Scaling, cleanup and status of a Deployment.

Mirrors ``pkg/controller/deployment/sync.go`` (``scale``, ``scaleReplicaSet``,
``cleanupDeployment``, ``calculateStatus``, ``isScalingEvent``, ``checkPausedConditions``).
Controller actions are returned as plans (:class:`ScaleAction` lists, names to delete).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kmodel.objects.defaults import DEFAULT_REVISION_HISTORY_LIMIT
from kmodel.objects.fields import int_at
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _get
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.util import (
    DESIRED_REPLICAS_ANNOTATION,
    REASON_MIN_AVAILABLE,
    REASON_MIN_UNAVAILABLE,
    REASON_PAUSED,
    REASON_RESUMED,
    REASON_TIMED_OUT,
    _active,
    _annotations,
    _creation_key,
    _find_condition,
    _int_annotation,
    _is_rolling_update,
    _name,
    _replicas,
    _replicas_annotations,
    _revision_or_error,
    _status_conditions,
    _status_int,
    _sum_spec,
    _sum_status,
    find_active_or_latest,
    get_proportion,
    has_progress_deadline,
    has_revision_history_limit,
    is_saturated,
    max_surge,
    max_unavailable,
    new_deployment_condition,
    set_deployment_condition,
)
from kmodel.semantics.replicaset import TimeValue

__all__ = [
    "ScaleAction",
    "calculate_status",
    "check_paused_conditions",
    "cleanup_deployment",
    "is_scaling_event",
    "scale",
]


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
    limit = int_at(d, "spec.revisionHistoryLimit", default=DEFAULT_REVISION_HISTORY_LIMIT)
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
            or int_at(rs, "metadata.generation") > _status_int(rs, "observedGeneration")
            or _get(rs, "metadata.deletionTimestamp") is not None
        ):
            continue
        deleted.append(_name(rs))
    return deleted


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
        "observedGeneration": int_at(d, "metadata.generation"),
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
