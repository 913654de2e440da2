"""The HorizontalPodAutoscaler's decisions (autoscaling/v2), as pure functions.

Mirrors ``pkg/controller/podautoscaler/replica_calculator.go`` (the replica count a metric asks
for) and ``pkg/controller/podautoscaler/horizontal.go`` (stabilization, scaling policies, min/max
and the conditions); the API defaults are in :mod:`kmodel.objects.defaults`. Quantities are
milli-values (ints), as upstream computes them; ratios are floats as upstream's ``float64``.

The controller's memory (recent recommendations, scale events) is passed in and returned, never
kept here: :class:`Recommendation` and :class:`ScaleEvent` are plain records with logical times.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from kmodel.internal.gocompat import MAX_INT32, MIN_INT32, go_float_div, go_int64_ceil
from kmodel.objects.fields import list_at

__all__ = [
    "CPU_INITIALIZATION_PERIOD",
    "DELAY_OF_INITIAL_READINESS_STATUS",
    "DOWNSCALE_STABILIZATION_WINDOW",
    "METRIC_WINDOW",
    "SYNC_PERIOD",
    "TOLERANCE",
    "Limit",
    "PodSample",
    "Recommendation",
    "ReplicaCalculationError",
    "ScaleEvent",
    "ScalingRules",
    "calc_plain_metric_replicas",
    "calculate_scale_down_limit_with_behaviors",
    "calculate_scale_up_limit_with_scaling_rules",
    "convert_desired_replicas_with_behavior_rate",
    "convert_desired_replicas_with_rules",
    "get_external_per_pod_metric_replicas",
    "get_object_per_pod_metric_replicas",
    "get_resource_replicas",
    "get_usage_ratio_replica_count",
    "group_pods",
    "stabilize_recommendation",
    "stabilize_recommendation_with_behaviors",
    "stabilized_reason",
    "store_scale_event",
]

#: kube-controller-manager ``--horizontal-pod-autoscaler-tolerance``.
TOLERANCE: Final = 0.1
#: ``--horizontal-pod-autoscaler-cpu-initialization-period`` (5 min).
CPU_INITIALIZATION_PERIOD: Final = 300
#: ``--horizontal-pod-autoscaler-initial-readiness-delay`` (30 s).
DELAY_OF_INITIAL_READINESS_STATUS: Final = 30
#: ``--horizontal-pod-autoscaler-downscale-stabilization`` (5 min; used without ``behavior``).
DOWNSCALE_STABILIZATION_WINDOW: Final = 300
#: ``--horizontal-pod-autoscaler-sync-period`` (15 s).
SYNC_PERIOD: Final = 15
#: The window metrics-server reports for a sample (its ``--metric-resolution``, 15 s).
METRIC_WINDOW: Final = 15


class ReplicaCalculationError(Exception):
    """The replica calculator could not produce a count (upstream returns an ``error``)."""


# ----------------------------------------------------------------------------- replica counts


@dataclass(frozen=True)
class PodSample:
    """What the replica calculator knows of one pod the HPA's selector matches.

    Attributes:
        name: the pod's name.
        phase: ``status.phase``.
        deleting: the pod has a deletion timestamp.
        ready: the Ready condition's status (None: no Ready condition).
        ready_transition: the Ready condition's ``lastTransitionTime`` (logical seconds).
        start_time: ``status.startTime`` (None: not started).
        request: the pod's request of the metric's resource in milli-units (None: a container
            has no request); only resource metrics use it.
    """

    name: str
    phase: str
    deleting: bool = False
    ready: bool | None = True
    ready_transition: int = 0
    start_time: int | None = 0
    request: int | None = None


@dataclass(frozen=True)
class _Grouped:
    ready_count: int
    unready: frozenset[str]
    missing: frozenset[str]
    ignored: frozenset[str]


def group_pods(
    pods: Sequence[PodSample],
    metrics: Mapping[str, int],
    *,
    cpu: bool,
    now: int,
    metric_timestamp: int | None = None,
    metric_window: int = METRIC_WINDOW,
) -> _Grouped:
    """``groupPods``: sort pods into ready, unready (left out), missing a metric, and ignored.

    Deleted and Failed pods are ignored; Pending pods count as unready; a pod without a sample
    is missing. For CPU only: a pod without a Ready condition or start time is unready; within
    the CPU initialization period a pod is unready while not Ready or until one metric window
    has passed since its Ready transition; after it, only a pod that is not Ready and never has
    been (its Ready condition last changed within the initial-readiness delay of its start).
    """
    sampled_at = now if metric_timestamp is None else metric_timestamp
    ready_count = 0
    unready: set[str] = set()
    missing: set[str] = set()
    ignored: set[str] = set()
    for pod in pods:
        if pod.deleting or pod.phase == "Failed":
            ignored.add(pod.name)
            continue
        if pod.phase == "Pending":
            unready.add(pod.name)
            continue
        if pod.name not in metrics:
            missing.add(pod.name)
            continue
        if cpu:
            if pod.ready is None or pod.start_time is None:
                not_ready = True
            elif pod.start_time + CPU_INITIALIZATION_PERIOD > now:
                not_ready = not pod.ready or sampled_at < pod.ready_transition + metric_window
            else:
                not_ready = (not pod.ready) and (
                    pod.start_time + DELAY_OF_INITIAL_READINESS_STATUS > pod.ready_transition
                )
            if not_ready:
                unready.add(pod.name)
                continue
        ready_count += 1
    return _Grouped(ready_count, frozenset(unready), frozenset(missing), frozenset(ignored))


def _resource_utilization_ratio(
    metrics: Mapping[str, int], requests: Mapping[str, int], target_utilization: int
) -> tuple[float, int, int]:
    """``metrics.GetResourceUtilizationRatio``: (ratio, utilization %, average raw usage).

    Utilization is truncated to a whole percentage before the ratio, as upstream's int32.
    """
    metrics_total = 0
    requests_total = 0
    entries = 0
    for name, value in metrics.items():
        if name not in requests:
            continue
        metrics_total += value
        requests_total += requests[name]
        entries += 1
    if requests_total == 0:
        message = "no metrics returned matched known pods"
        raise ReplicaCalculationError(message)
    utilization = (metrics_total * 100) // requests_total
    return utilization / target_utilization, utilization, metrics_total // entries


def _metric_utilization_ratio(metrics: Mapping[str, int], target: int) -> tuple[float, int]:
    """``metrics.GetMetricUsageRatio``: (ratio, average value), the average truncated."""
    average = sum(metrics.values()) // len(metrics)
    return average / target, average


def get_resource_replicas(
    current_replicas: int,
    target_utilization: int,
    pods: Sequence[PodSample],
    metrics: Mapping[str, int],
    *,
    cpu: bool,
    now: int,
    tolerance: float = TOLERANCE,
) -> tuple[int, int, int]:
    """``ReplicaCalculator.GetResourceReplicas``: replicas for a Utilization target.

    Returns (replicas, utilization %, average raw usage). Unready pods are left out and, on a
    scale-up, counted at 0%; pods missing a sample count as 100% of their request (or the target,
    if higher) on a scale-down and 0% on a scale-up; a result inside the tolerance, or one whose
    direction those assumptions reverse, keeps ``current_replicas``.

    Raises:
        ReplicaCalculationError: no pods, a missing request, or no usable sample.
    """
    if not pods:
        message = "no pods returned by selector while calculating replica count"
        raise ReplicaCalculationError(message)
    grouped = group_pods(pods, metrics, cpu=cpu, now=now)
    usable = {
        k: v for k, v in metrics.items() if k not in grouped.ignored and k not in grouped.unready
    }
    requests: dict[str, int] = {}
    for pod in pods:
        if pod.request is None:
            message = "missing request for resource"
            raise ReplicaCalculationError(message)
        requests[pod.name] = pod.request
    if not usable:
        message = "did not receive metrics for targeted pods (pods might be unready)"
        raise ReplicaCalculationError(message)
    ratio, utilization, raw = _resource_utilization_ratio(usable, requests, target_utilization)
    scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
    if not scale_up_with_unready and not grouped.missing:
        if abs(1.0 - ratio) <= tolerance:
            return current_replicas, utilization, raw
        return math.ceil(ratio * grouped.ready_count), utilization, raw
    if grouped.missing:
        if ratio < 1.0:
            fallback = max(100, target_utilization)
            for name in grouped.missing:
                usable[name] = requests[name] * fallback // 100
        elif ratio > 1.0:
            for name in grouped.missing:
                usable[name] = 0
    if scale_up_with_unready:
        for name in grouped.unready:
            usable[name] = 0
    new_ratio, _, _ = _resource_utilization_ratio(usable, requests, target_utilization)
    if _keeps_current(ratio, new_ratio, tolerance):
        return current_replicas, utilization, raw
    new_replicas = math.ceil(new_ratio * len(usable))
    if (new_ratio < 1.0 and new_replicas > current_replicas) or (
        new_ratio > 1.0 and new_replicas < current_replicas
    ):
        return current_replicas, utilization, raw
    return new_replicas, utilization, raw


def _keeps_current(ratio: float, new_ratio: float, tolerance: float) -> bool:
    return (
        abs(1.0 - new_ratio) <= tolerance or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio)
    )


def calc_plain_metric_replicas(
    current_replicas: int,
    target_average: int,
    pods: Sequence[PodSample],
    metrics: Mapping[str, int],
    *,
    cpu: bool,
    now: int,
    tolerance: float = TOLERANCE,
) -> tuple[int, int]:
    """``ReplicaCalculator.calcPlainMetricReplicas``: replicas for an average value per pod.

    Used for Pods metrics and resource AverageValue targets. Returns (replicas, average).
    Missing pods count as the target on a scale-down and 0 on a scale-up.

    Raises:
        ReplicaCalculationError: no pods, or no usable sample.
    """
    if not pods:
        message = "no pods returned by selector while calculating replica count"
        raise ReplicaCalculationError(message)
    grouped = group_pods(pods, metrics, cpu=cpu, now=now)
    usable = {
        k: v for k, v in metrics.items() if k not in grouped.ignored and k not in grouped.unready
    }
    if not usable:
        message = "did not receive metrics for targeted pods (pods might be unready)"
        raise ReplicaCalculationError(message)
    ratio, average = _metric_utilization_ratio(usable, target_average)
    scale_up_with_unready = bool(grouped.unready) and ratio > 1.0
    if not scale_up_with_unready and not grouped.missing:
        if abs(1.0 - ratio) <= tolerance:
            return current_replicas, average
        return math.ceil(ratio * grouped.ready_count), average
    if grouped.missing:
        for name in grouped.missing:
            usable[name] = target_average if ratio < 1.0 else 0
    if scale_up_with_unready:
        for name in grouped.unready:
            usable[name] = 0
    new_ratio, _ = _metric_utilization_ratio(usable, target_average)
    if _keeps_current(ratio, new_ratio, tolerance):
        return current_replicas, average
    return math.ceil(new_ratio * len(usable)), average


def get_usage_ratio_replica_count(
    current_replicas: int, usage_ratio: float, ready_pods: int, *, tolerance: float = TOLERANCE
) -> int:
    """``getUsageRatioReplicaCount``: Object and External Value targets.

    With replicas, a ratio inside the tolerance keeps them, else ``ceil(ratio * ready pods)``;
    at zero replicas (scale to zero), ``ceil(ratio)`` whatever the tolerance.
    """
    if current_replicas != 0:
        if abs(1.0 - usage_ratio) <= tolerance:
            return current_replicas
        return math.ceil(usage_ratio * ready_pods)
    return math.ceil(usage_ratio)


def get_object_per_pod_metric_replicas(
    status_replicas: int, target_average: int, value: int, *, tolerance: float = TOLERANCE
) -> tuple[int, int]:
    """``GetObjectPerPodMetricReplicas``: an Object metric with an AverageValue target.

    Returns (replicas, value per current replica, rounded up). Go divides in ``float64``: with
    no replica in the target's status (a Deployment whose pods are not created yet) the ratio is
    +Inf (or NaN for a value of 0, which compares false) and the value per replica is
    ``int64(+Inf)``, as upstream computes them.
    """
    replicas = status_replicas
    ratio = go_float_div(value, target_average * replicas)
    if abs(1.0 - ratio) > tolerance:
        replicas = math.ceil(value / target_average)
    return replicas, go_int64_ceil(go_float_div(value, status_replicas))


def get_external_per_pod_metric_replicas(
    status_replicas: int,
    target_average: int,
    values: Sequence[int],
    *,
    tolerance: float = TOLERANCE,
) -> tuple[int, int]:
    """``GetExternalPerPodMetricReplicas``: the sum of the external series per current replica."""
    return get_object_per_pod_metric_replicas(
        status_replicas, target_average, sum(values), tolerance=tolerance
    )


# ----------------------------------------------------------------------------- normalization


@dataclass(frozen=True)
class Recommendation:
    """``timestampedRecommendation``: an unstabilized recommendation and when it was made."""

    replicas: int
    at: int


@dataclass(frozen=True)
class ScaleEvent:
    """``timestampedScaleEvent``: how many replicas one rescale added or removed, and when."""

    change: int
    at: int
    outdated: bool = False


@dataclass(frozen=True)
class ScalingRules:
    """One direction of a defaulted ``behavior`` (``HPAScalingRules``)."""

    stabilization_window: int
    select_policy: str
    policies: tuple[tuple[str, int, int], ...]

    @classmethod
    def of(cls, rules: Mapping[str, Any]) -> ScalingRules:
        """From a defaulted ``scaleUp``/``scaleDown`` body."""
        return cls(
            int(rules["stabilizationWindowSeconds"]),
            str(rules["selectPolicy"]),
            tuple(
                (str(p["type"]), int(p["value"]), int(p["periodSeconds"]))
                for p in list_at(rules, "policies")
            ),
        )


@dataclass(frozen=True)
class Limit:
    """A normalized count and why (a condition's reason and message)."""

    replicas: int
    reason: str
    message: str


_STABILIZED = Limit(
    0,
    "ScaleDownStabilized",
    "recent recommendations were higher than current one, applying the highest recent "
    "recommendation",
)


def _record(
    recommendations: Sequence[Recommendation], index: int | None, new: Recommendation
) -> tuple[Recommendation, ...]:
    """Replace the first outdated sample in place, else append (as upstream reuses slots)."""
    if index is None:
        return (*recommendations, new)
    return tuple(new if i == index else r for i, r in enumerate(recommendations))


def stabilize_recommendation(
    recommendations: Sequence[Recommendation],
    desired: int,
    *,
    now: int,
    window: int = DOWNSCALE_STABILIZATION_WINDOW,
) -> tuple[int, tuple[Recommendation, ...]]:
    """``stabilizeRecommendation`` (no ``behavior``): the highest recommendation in the window.

    Returns the stabilized count and the recommendations with ``desired`` recorded.
    """
    cutoff = now - window
    highest = desired
    old: int | None = None
    for i, rec in enumerate(recommendations):
        if rec.at < cutoff:
            if old is None:
                old = i
        elif rec.replicas > highest:
            highest = rec.replicas
    return highest, _record(recommendations, old, Recommendation(desired, now))


def stabilize_recommendation_with_behaviors(
    recommendations: Sequence[Recommendation],
    *,
    current: int,
    desired: int,
    up: ScalingRules,
    down: ScalingRules,
    now: int,
) -> tuple[int, tuple[Recommendation, ...]]:
    """``stabilizeRecommendationWithBehaviors``: hold the count within both windows.

    A scale-up goes no higher than the lowest recommendation of the scale-up window, a
    scale-down no lower than the highest of the scale-down window (each including ``desired``).
    """
    up_cutoff = now - up.stabilization_window
    down_cutoff = now - down.stabilization_window
    up_recommendation = desired
    down_recommendation = desired
    old: int | None = None
    for i, rec in enumerate(recommendations):
        if rec.at > up_cutoff:
            up_recommendation = min(rec.replicas, up_recommendation)
        if rec.at > down_cutoff:
            down_recommendation = max(rec.replicas, down_recommendation)
        if rec.at < up_cutoff and rec.at < down_cutoff:
            old = i
    recommendation = current
    recommendation = max(recommendation, up_recommendation)
    recommendation = min(recommendation, down_recommendation)
    return recommendation, _record(recommendations, old, Recommendation(desired, now))


def _replicas_change_per_period(period: int, events: Sequence[ScaleEvent], now: int) -> int:
    """``getReplicasChangePerPeriod``: replicas changed by events within the last period."""
    cutoff = now - period
    return sum(e.change for e in events if e.at > cutoff)


def calculate_scale_up_limit_with_scaling_rules(
    current: int,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules,
    *,
    now: int,
) -> int:
    """``calculateScaleUpLimitWithScalingRules``: the most replicas the policies allow now.

    Each policy proposes from the count at the start of its period (Pods adds its value,
    Percent multiplies, rounding up); ``selectPolicy`` Max takes the largest, Min the smallest,
    Disabled keeps ``current``.
    """
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for kind, value, period in rules.policies:
        start = (
            current
            - _replicas_change_per_period(period, up_events, now)
            + _replicas_change_per_period(period, down_events, now)
        )
        if kind == "Pods":
            proposals.append(start + value)
        else:
            proposals.append(math.ceil(start * (1 + value / 100)))
    if not proposals:
        return MIN_INT32 if rules.select_policy != "Min" else MAX_INT32
    return min(proposals) if rules.select_policy == "Min" else max(proposals)


def calculate_scale_down_limit_with_behaviors(
    current: int,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    rules: ScalingRules,
    *,
    now: int,
) -> int:
    """``calculateScaleDownLimitWithBehaviors``: the fewest replicas the policies allow now.

    Pods subtracts its value from the period's starting count, Percent scales it down
    (truncating); Max selects the policy allowing the biggest change (the lowest count).
    """
    if rules.select_policy == "Disabled":
        return current
    proposals = []
    for kind, value, period in rules.policies:
        start = (
            current
            - _replicas_change_per_period(period, up_events, now)
            + _replicas_change_per_period(period, down_events, now)
        )
        if kind == "Pods":
            proposals.append(start - value)
        else:
            proposals.append(int(start * (1 - value / 100)))
    if not proposals:
        return MAX_INT32 if rules.select_policy != "Min" else MIN_INT32
    return max(proposals) if rules.select_policy == "Min" else min(proposals)


def convert_desired_replicas_with_behavior_rate(
    *,
    current: int,
    desired: int,
    min_replicas: int,
    max_replicas: int,
    up: ScalingRules,
    down: ScalingRules,
    up_events: Sequence[ScaleEvent],
    down_events: Sequence[ScaleEvent],
    now: int,
) -> Limit:
    """``convertDesiredReplicasWithBehaviorRate``: clamp to the policies' rate and min/max."""
    if desired > current:
        limit = max(
            calculate_scale_up_limit_with_scaling_rules(
                current, up_events, down_events, up, now=now
            ),
            current,
        )
        if max_replicas > limit:
            ceiling = Limit(
                limit,
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        else:
            ceiling = Limit(
                max_replicas,
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            )
        if desired > ceiling.replicas:
            return ceiling
    elif desired < current:
        limit = min(
            calculate_scale_down_limit_with_behaviors(
                current, up_events, down_events, down, now=now
            ),
            current,
        )
        if min_replicas < limit:
            floor = Limit(
                limit,
                "ScaleDownLimit",
                "the desired replica count is decreasing faster than the maximum scale rate",
            )
        else:
            floor = Limit(
                min_replicas,
                "TooFewReplicas",
                "the desired replica count is less than the minimum replica count",
            )
        if desired < floor.replicas:
            return floor
    return Limit(desired, "DesiredWithinRange", "the desired count is within the acceptable range")


def convert_desired_replicas_with_rules(
    current: int, desired: int, min_replicas: int, max_replicas: int
) -> Limit:
    """``convertDesiredReplicasWithRules`` (no ``behavior``): min/max, and at most double.

    A scale-up is limited to ``max(2 * current, 4)`` (``calculateScaleUpLimit``).
    """
    scale_up_limit = max(2 * current, 4)
    if max_replicas > scale_up_limit:
        ceiling = Limit(
            scale_up_limit,
            "ScaleUpLimit",
            "the desired replica count is increasing faster than the maximum scale rate",
        )
    else:
        ceiling = Limit(
            max_replicas,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    if desired < min_replicas:
        return Limit(
            min_replicas,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    if desired > ceiling.replicas:
        return ceiling
    return Limit(desired, "DesiredWithinRange", "the desired count is within the acceptable range")


def stabilized_reason(stabilized: int, prenormalized: int) -> Limit:
    """The AbleToScale reason ``normalizeDesiredReplicas*`` set after stabilizing."""
    if stabilized != prenormalized:
        return replace(_STABILIZED, replicas=stabilized)
    return Limit(stabilized, "ReadyForNewScale", "recommended size matches current size")


def store_scale_event(
    events: Sequence[ScaleEvent], *, change: int, longest_period: int, now: int
) -> tuple[ScaleEvent, ...]:
    """``storeScaleEvent`` for one direction: record ``change`` at ``now``.

    Events older than the longest policy period are marked outdated and the first outdated slot
    is reused, else the event is appended.
    """
    cutoff = now - longest_period
    marked = [replace(e, outdated=e.outdated or e.at < cutoff) for e in events]
    new = ScaleEvent(change, now)
    for i, event in enumerate(marked):
        if event.outdated:
            marked[i] = new
            return tuple(marked)
    return (*marked, new)
