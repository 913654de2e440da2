"""The RollingUpdate strategy.

Mirrors ``pkg/controller/deployment/rolling.go`` (``reconcileNewReplicaSet``,
``reconcileOldReplicaSets``, ``cleanupUnhealthyReplicas``,
``scaleDownOldReplicaSetsForRollingUpdate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kmodel.objects.fields import read_path as _get
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.sync import ScaleAction, _scale_and_record, _with_replicas
from kmodel.semantics.deployment.util import (
    _active,
    _creation_key,
    _name,
    _replicas,
    _status_int,
    _sum_spec,
    _sum_status,
    max_unavailable,
    new_rs_new_replicas,
)

__all__ = [
    "CleanupResult",
    "ReconcileOldPlan",
    "cleanup_unhealthy_replicas",
    "max_scaled_down",
    "reconcile_new_replica_set",
    "reconcile_old_replica_sets",
    "scale_down_old_replica_sets_for_rolling_update",
]


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
