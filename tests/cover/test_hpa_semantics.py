"""The HPA's replica calculation and normalization (cases from upstream's tests)."""

from __future__ import annotations

import pytest

from kmodel.objects import defaults
from kmodel.semantics import hpa

NOW = 1000
CPU_REQUEST = 1000  # 1 CPU in millicores


def _pods(count: int, *, ready: list[bool] | None = None, start: int = 0) -> list[hpa.PodSample]:
    flags = ready or [True] * count
    return [
        hpa.PodSample(
            f"p{i}",
            "Running",
            ready=flags[i],
            ready_transition=start,
            start_time=start,
            request=CPU_REQUEST,
        )
        for i in range(count)
    ]


def _samples(values: list[int]) -> dict[str, int]:
    return {f"p{i}": v for i, v in enumerate(values)}


# replica_calculator_test.go TestReplicaCalcScaleUp / ScaleDown / ScaleUpUnreadyLessScale.
@pytest.mark.parametrize(
    ("replicas", "usage", "ready", "target", "expected", "utilization"),
    [
        (3, [300, 500, 700], None, 30, 5, 50),
        (5, [100, 300, 500, 250, 250], None, 50, 3, 28),
        (3, [300, 500, 700], [False, True, True], 30, 4, 60),
        (3, [310, 300, 290], None, 30, 3, 30),  # inside the 10% tolerance
    ],
)
def test_resource_utilization(
    replicas: int,
    usage: list[int],
    ready: list[bool] | None,
    target: int,
    expected: int,
    utilization: int,
) -> None:
    # Pods started long ago, so an unready pod is one that never became ready (initial delay).
    pods = _pods(replicas, ready=ready)
    got = hpa.get_resource_replicas(replicas, target, pods, _samples(usage), cpu=True, now=NOW)
    assert got[:2] == (expected, utilization)


def test_missing_metrics_count_as_full_request_on_scale_down() -> None:
    # Two pods at 10%, one missing: the missing one counts as 100%, 120/300 = 40% of 50%.
    pods = _pods(3)
    got = hpa.get_resource_replicas(3, 50, pods, _samples([100, 100]), cpu=True, now=NOW)
    assert got[0] == 3  # ceil(0.8 * 3) = 3: the missing pod holds the scale-down back
    without_missing = hpa.get_resource_replicas(
        2, 50, pods[:2], _samples([100, 100]), cpu=True, now=NOW
    )
    assert without_missing[0] == 1


def test_missing_metrics_count_as_zero_on_scale_up_and_can_cancel_it() -> None:
    # One pod at 150% of a 100% target, one missing (0%): 75%, direction flips, keep 2.
    pods = _pods(2)
    assert hpa.get_resource_replicas(2, 100, pods, {"p0": 1500}, cpu=True, now=NOW)[0] == 2
    # At 300%: with the missing pod at 0% the ratio is 1.5, ceil(1.5 * 2) = 3.
    assert hpa.get_resource_replicas(2, 100, pods, {"p0": 3000}, cpu=True, now=NOW)[0] == 3


def test_cpu_initialization_period_ignores_recently_ready_pods() -> None:
    # Started 100 s ago, ready 5 s ago: within the initialization period and one metric window.
    fresh = hpa.PodSample(
        "p1",
        "Running",
        ready=True,
        ready_transition=NOW - 5,
        start_time=NOW - 100,
        request=CPU_REQUEST,
    )
    old = hpa.PodSample(
        "p0", "Running", ready=True, ready_transition=0, start_time=0, request=CPU_REQUEST
    )
    grouped = hpa.group_pods([old, fresh], {"p0": 1, "p1": 1}, cpu=True, now=NOW)
    assert grouped.unready == {"p1"}
    assert grouped.ready_count == 1
    # Not CPU: the same pod counts as ready.
    assert hpa.group_pods([old, fresh], {"p0": 1, "p1": 1}, cpu=False, now=NOW).ready_count == 2


def test_pending_deleted_failed_pods() -> None:
    pods = [
        hpa.PodSample("a", "Pending"),
        hpa.PodSample("b", "Failed"),
        hpa.PodSample("c", "Running", deleting=True),
        hpa.PodSample("d", "Running"),
    ]
    grouped = hpa.group_pods(pods, {"d": 5}, cpu=False, now=NOW)
    assert (grouped.unready, grouped.ignored, grouped.ready_count) == ({"a"}, {"b", "c"}, 1)


def test_no_usable_metrics_is_an_error() -> None:
    with pytest.raises(hpa.ReplicaCalculationError, match="did not receive metrics"):
        hpa.get_resource_replicas(1, 50, _pods(1, ready=[False]), {"p0": 5}, cpu=True, now=NOW)
    with pytest.raises(hpa.ReplicaCalculationError, match="no pods returned"):
        hpa.calc_plain_metric_replicas(1, 50, [], {}, cpu=False, now=NOW)


# TestReplicaCalcScaleUpCM / ToleranceCM: a Pods metric with an AverageValue target.
@pytest.mark.parametrize(
    ("values", "target", "expected"),
    [
        ([20000, 10000, 30000], 15000, 4),
        ([20000, 21000, 21000], 20000, 3),
        ([12000, 12000, 12000], 20000, 2),
    ],
)
def test_pods_metric(values: list[int], target: int, expected: int) -> None:
    got = hpa.calc_plain_metric_replicas(3, target, _pods(3), _samples(values), cpu=False, now=NOW)
    assert got[0] == expected


def test_object_and_external_metrics() -> None:
    # Object Value: ratio 2 over 3 ready pods; scale to zero uses the ratio alone.
    assert hpa.get_usage_ratio_replica_count(3, 2.0, 3) == 6
    assert hpa.get_usage_ratio_replica_count(3, 1.05, 3) == 3
    assert hpa.get_usage_ratio_replica_count(0, 1.05, 0) == 2
    # AverageValue: value / target, unless within tolerance of the current replicas.
    assert hpa.get_object_per_pod_metric_replicas(4, 1000, 8500) == (9, 2125)
    assert hpa.get_object_per_pod_metric_replicas(4, 1000, 4100) == (4, 1025)
    assert hpa.get_external_per_pod_metric_replicas(2, 100, [300, 300]) == (6, 300)


def test_defaults() -> None:
    body = defaults.set_defaults_horizontal_pod_autoscaler(
        {"spec": {"maxReplicas": 5, "behavior": {"scaleUp": {}}}}
    )
    spec = body["spec"]
    assert spec["minReplicas"] == 1
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 80
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    assert spec["behavior"]["scaleUp"]["policies"][0] == {
        "type": "Pods",
        "value": 4,
        "periodSeconds": 15,
    }
    assert (
        "behavior"
        not in defaults.set_defaults_horizontal_pod_autoscaler({"spec": {"maxReplicas": 5}})["spec"]
    )


UP = hpa.ScalingRules.of(defaults.generate_scale_up_rules(None))
DOWN = hpa.ScalingRules.of(defaults.generate_scale_down_rules(None))


def test_scale_up_limit_policies() -> None:
    # Default scale-up: max(4 pods, 100%) per 15 s.
    assert hpa.calculate_scale_up_limit_with_scaling_rules(10, [], [], UP, now=NOW) == 20
    assert hpa.calculate_scale_up_limit_with_scaling_rules(1, [], [], UP, now=NOW) == 5
    min_rules = hpa.ScalingRules(0, "Min", (("Pods", 4, 60), ("Percent", 100, 60)))
    assert hpa.calculate_scale_up_limit_with_scaling_rules(10, [], [], min_rules, now=NOW) == 14
    # Events within the period count against it: 6 added 30 s ago, period started at 4.
    events = [hpa.ScaleEvent(6, NOW - 30)]
    assert hpa.calculate_scale_up_limit_with_scaling_rules(10, events, [], min_rules, now=NOW) == 8
    disabled = hpa.ScalingRules(0, "Disabled", (("Pods", 4, 60),))
    assert hpa.calculate_scale_up_limit_with_scaling_rules(10, [], [], disabled, now=NOW) == 10


def test_scale_down_limit_policies() -> None:
    rules = hpa.ScalingRules(0, "Max", (("Pods", 2, 60), ("Percent", 50, 60)))
    assert hpa.calculate_scale_down_limit_with_behaviors(10, [], [], rules, now=NOW) == 5
    assert (
        hpa.calculate_scale_down_limit_with_behaviors(
            10, [], [], hpa.ScalingRules(0, "Min", rules.policies), now=NOW
        )
        == 8
    )
    assert (
        hpa.calculate_scale_down_limit_with_behaviors(
            7, [], [hpa.ScaleEvent(3, NOW - 10)], rules, now=NOW
        )
        == 5
    )


def test_convert_with_behavior_rate_reasons() -> None:
    def convert(current: int, desired: int, *, lo: int = 1, hi: int = 100) -> hpa.Limit:
        return hpa.convert_desired_replicas_with_behavior_rate(
            current=current,
            desired=desired,
            min_replicas=lo,
            max_replicas=hi,
            up=UP,
            down=DOWN,
            up_events=[],
            down_events=[],
            now=NOW,
        )

    assert convert(2, 50) == hpa.Limit(
        6,
        "ScaleUpLimit",
        "the desired replica count is increasing faster than the maximum scale rate",
    )
    assert convert(2, 50, hi=5).reason == "TooManyReplicas"
    assert convert(4, 1, lo=3).reason == "TooFewReplicas"
    assert convert(4, 3).reason == "DesiredWithinRange"
    assert (
        hpa.convert_desired_replicas_with_behavior_rate(
            current=10,
            desired=1,
            min_replicas=1,
            max_replicas=10,
            up=UP,
            down=hpa.ScalingRules(300, "Max", (("Pods", 2, 60),)),
            up_events=[],
            down_events=[],
            now=NOW,
        ).replicas
        == 8
    )


def test_convert_with_rules_without_behavior() -> None:
    assert hpa.convert_desired_replicas_with_rules(1, 10, 1, 20).replicas == 4
    assert hpa.convert_desired_replicas_with_rules(5, 20, 1, 20).replicas == 10
    assert hpa.convert_desired_replicas_with_rules(5, 0, 2, 20).reason == "TooFewReplicas"


def test_stabilization_with_behaviors_holds_scale_down() -> None:
    recs = [hpa.Recommendation(8, NOW - 200), hpa.Recommendation(5, NOW - 100)]
    got, recorded = hpa.stabilize_recommendation_with_behaviors(
        recs, current=8, desired=3, up=UP, down=DOWN, now=NOW
    )
    assert got == 8
    assert recorded[-1] == hpa.Recommendation(3, NOW)
    # Outside the 300 s window the old sample is replaced and no longer holds it.
    got, recorded = hpa.stabilize_recommendation_with_behaviors(
        [hpa.Recommendation(8, NOW - 400)], current=8, desired=3, up=UP, down=DOWN, now=NOW
    )
    assert got == 3
    assert recorded == (hpa.Recommendation(3, NOW),)
    # A scale-up window keeps the lowest recent recommendation.
    up = hpa.ScalingRules(60, "Max", UP.policies)
    got, _ = hpa.stabilize_recommendation_with_behaviors(
        [hpa.Recommendation(4, NOW - 30)], current=3, desired=9, up=up, down=DOWN, now=NOW
    )
    assert got == 4


def test_stabilization_without_behavior() -> None:
    got, _ = hpa.stabilize_recommendation([hpa.Recommendation(6, NOW - 10)], 2, now=NOW)
    assert got == 6
    assert hpa.stabilized_reason(6, 2).reason == "ScaleDownStabilized"
    assert hpa.stabilized_reason(2, 2).reason == "ReadyForNewScale"


def test_store_scale_event_reuses_outdated_slot() -> None:
    events = hpa.store_scale_event(
        [hpa.ScaleEvent(2, NOW - 100), hpa.ScaleEvent(1, NOW - 5)],
        change=3,
        longest_period=60,
        now=NOW,
    )
    assert events == (hpa.ScaleEvent(3, NOW), hpa.ScaleEvent(1, NOW - 5))


def test_an_average_value_metric_of_a_target_with_no_replica_yet_divides_as_go_does():
    # Upstream divides in float64: +Inf ratio, int64(+Inf) per replica (MinInt64 on amd64).
    assert hpa.get_object_per_pod_metric_replicas(0, 1000, 8500) == (9, -(2**63))
    # 0/0 is NaN, which compares false against the tolerance: the count stays.
    assert hpa.get_object_per_pod_metric_replicas(0, 1000, 0) == (0, -(2**63))
    assert hpa.get_external_per_pod_metric_replicas(0, 100, [300, 300]) == (6, -(2**63))
