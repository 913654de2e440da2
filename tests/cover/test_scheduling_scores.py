"""NodeResourcesFit and BalancedAllocation scores, defaults and validation (k8s-semantics 6.3-6.5).

Expected values are computed by hand in the comments from the formulas of section 6.4.
"""

from __future__ import annotations

import pytest

from kmodel.errors import InputError
from kmodel.semantics.scheduling import (
    DEFAULT_RESOURCES,
    DEFAULT_SCORE_PLUGIN_WEIGHTS,
    ResourceSpec,
    balanced_allocation_scores,
    balanced_allocation_skips,
    broken_linear_function,
    default_normalize_score,
    node_affinity_scores,
    node_scores,
    parse_scoring_strategy,
    taint_toleration_scores,
)
from tests.helpers.scheduling import ctr, make_node, make_pod, requests

LEAST = {"type": "LeastAllocated"}
MOST = {"type": "MostAllocated"}
RATIO = {"type": "RequestedToCapacityRatio"}


def shaped(*points: tuple[int, int]) -> dict:
    return {
        "type": "RequestedToCapacityRatio",
        "requestedToCapacityRatio": {"shape": [{"utilization": u, "score": s} for u, s in points]},
    }


@pytest.fixture
def cluster():
    """Node a: 4 cpu, 10Gi, with 1 cpu / 2Gi used; incoming pod 500m / 1Gi.

    cpu: 1500m of 4000m (37.5%); memory: 3Gi of 10Gi (30%).
    """
    node = make_node("a", cpu="4", memory="10Gi")
    used = [make_pod("u", node="a", resources=requests(cpu="1", memory="2Gi"))]
    pod = make_pod("p", resources=requests(cpu="500m", memory="1Gi"))
    return pod, node, used


# ----------------------------------------------------------------- LeastAllocated / MostAllocated


def test_least_allocated_is_the_default(cluster):
    pod, node, used = cluster
    # cpu (4000-1500)*100/4000 = 62 (62.5 truncated); memory (10-3)*100/10 = 70; (62+70)/2 = 66.
    assert node_scores(pod, [node], used) == {"a": 66}
    assert node_scores(pod, [node], used, scoring_strategy=LEAST) == {"a": 66}


def test_most_allocated(cluster):
    pod, node, used = cluster
    # cpu 1500*100/4000 = 37; memory 30; (37+30)/2 = 33 (33.5 truncated).
    assert node_scores(pod, [node], used, scoring_strategy=MOST) == {"a": 33}


def test_weights_divide_by_the_weight_sum(cluster):
    pod, node, used = cluster
    strategy = {**LEAST, "resources": [{"name": "cpu", "weight": 3}, {"name": "memory"}]}
    # (62*3 + 70*1) / 4 = 256/4 = 64.
    assert node_scores(pod, [node], used, scoring_strategy=strategy) == {"a": 64}


def test_missing_requests_count_as_100m_and_200mi_for_both_pod_and_node():
    node = make_node("a", cpu="1", memory="1000Mi")
    # incoming: cpu 100/1000 -> least 90; memory 200/1000 -> 80; (90+80)/2 = 85.
    assert node_scores(make_pod("p"), [node], []) == {"a": 85}
    # with a request-less pod already there: cpu 200/1000 -> 80; memory 400/1000 -> 60; 70.
    assert node_scores(make_pod("p"), [node], [make_pod("e", node="a")]) == {"a": 70}


def test_an_explicit_zero_request_is_kept():
    node = make_node("a", cpu="1", memory="1000Mi")
    zero = make_pod("p", resources=requests(cpu="0", memory="0"))
    assert node_scores(zero, [node], []) == {"a": 100}


def test_over_capacity_scores_zero_least_and_full_most():
    node = make_node("a", cpu="1", memory="1Gi")
    big = make_pod("p", resources=requests(cpu="2", memory="2Gi"))
    assert node_scores(big, [node], []) == {"a": 0}
    assert node_scores(big, [node], [], scoring_strategy=MOST) == {"a": 100}


def test_scalar_resources_the_pod_does_not_request_are_skipped():
    node = make_node("a", cpu="4", extra={"example.com/gpu": "4"})
    strategy = {**LEAST, "resources": [{"name": "cpu"}, {"name": "example.com/gpu"}]}
    cpu_only = make_pod("p", resources=requests(cpu="1"))
    # gpu skipped: cpu (4000-1000)*100/4000 = 75 alone.
    assert node_scores(cpu_only, [node], [], scoring_strategy=strategy) == {"a": 75}
    used = [make_pod("u", node="a", resources=requests(**{"example.com/gpu": "1"}))]
    gpu = make_pod("p", resources=requests(cpu="1", **{"example.com/gpu": "1"}))
    # gpu: (4-2)*100/4 = 50; cpu: 3000 free + default 100m of the gpu pod -> (4000-1100)*100/4000
    # = 72; (72+50)/2 = 61.
    assert node_scores(gpu, [node], used, scoring_strategy=strategy) == {"a": 61}


def test_a_resource_the_node_lacks_is_skipped_and_no_resource_left_scores_zero():
    node = make_node("a", cpu="4")
    gpu = make_pod("p", resources=requests(cpu="1", **{"example.com/gpu": "1"}))
    strategy = {**LEAST, "resources": [{"name": "cpu"}, {"name": "example.com/gpu"}]}
    assert node_scores(gpu, [node], [], scoring_strategy=strategy) == {"a": 75}
    only_gpu = {**LEAST, "resources": [{"name": "example.com/gpu"}]}
    assert node_scores(gpu, [node], [], scoring_strategy=only_gpu) == {"a": 0}


def test_ephemeral_storage_uses_actual_requests():
    node = make_node("a", extra={"ephemeral-storage": "10Gi"})
    used = [make_pod("u", node="a", resources=requests(ephemeral_storage="4Gi"))]
    pod = make_pod("p", resources=requests(ephemeral_storage="1Gi"))
    strategy = {**LEAST, "resources": [{"name": "ephemeral-storage"}]}
    # (10-5)*100/10 = 50.
    assert node_scores(pod, [node], used, scoring_strategy=strategy) == {"a": 50}


def test_scores_per_node_use_only_that_nodes_pods():
    nodes = [make_node("a", cpu="2", memory="2Gi"), make_node("b", cpu="2", memory="2Gi")]
    used = [make_pod("u", node="a", resources=requests(cpu="1", memory="1Gi"))]
    pod = make_pod("p", resources=requests(cpu="1", memory="1Gi"))
    assert node_scores(pod, nodes, used) == {"a": 0, "b": 50}
    assert node_scores(pod, nodes, used, scoring_strategy=MOST) == {"a": 100, "b": 50}


# ----------------------------------------------------------------- RequestedToCapacityRatio


def test_requested_to_capacity_ratio_rounds_half_away_from_zero(cluster):
    pod, node, used = cluster
    # default shape {0:0, 100:10} scaled to {0:0, 100:100}: cpu util 37 -> 37, memory 30 -> 30;
    # round((37+30)/2 = 33.5) = 34 (MostAllocated truncates the same sum to 33).
    assert node_scores(pod, [node], used, scoring_strategy=RATIO) == {"a": 34}


def test_only_positive_resource_scores_enter_the_weighted_mean(cluster):
    pod, node, used = cluster
    # shape {0:0, 40:0, 100:10}: cpu util 37 -> 0 (left out of both sums);
    # memory util 30 -> 0 as well -> no resource -> 0.
    assert node_scores(pod, [node], used, scoring_strategy=shaped((0, 0), (40, 0), (100, 10))) == {
        "a": 0
    }
    # shape {0:0, 35:0, 100:10}: cpu 37 -> 0 + 100*(37-35)/65 = 3; memory 30 -> 0, left out.
    # Score = 3*1/1 = 3, not (3+0)/2.
    assert node_scores(pod, [node], used, scoring_strategy=shaped((0, 0), (35, 0), (100, 10))) == {
        "a": 3
    }


def test_broken_linear_function_truncates_toward_zero():
    # Decreasing shape {0:100, 30:0} at 10: 100 + (-100*10)/30 = 100 + trunc(-33.3) = 67.
    # (Floor division would give 66.)
    assert broken_linear_function([(0, 100), (30, 0)], 10) == 67
    # Increasing: {0:0, 30:100} at 10: 1000/30 = 33.
    assert broken_linear_function([(0, 0), (30, 100)], 10) == 33


def test_broken_linear_function_ends():
    shape = [(20, 30), (80, 90)]
    assert broken_linear_function(shape, 0) == 30
    assert broken_linear_function(shape, 20) == 30
    assert broken_linear_function(shape, 80) == 90
    assert broken_linear_function(shape, 100) == 90
    assert broken_linear_function(shape, 50) == 60


def test_ratio_uses_full_utilization_when_over_capacity():
    node = make_node("a", cpu="1", memory="1Gi")
    big = make_pod("p", resources=requests(cpu="3", memory="3Gi"))
    # util 100 -> f(100) on the shape {0:10, 100:2} scaled: 20 for both resources.
    assert node_scores(big, [node], [], scoring_strategy=shaped((0, 10), (100, 2))) == {"a": 20}


def test_ratio_least_allocated_like_shape(cluster):
    pod, node, used = cluster
    # shape {0:10, 100:0}: cpu 37 -> 100 - 37 = 63; memory 30 -> 70; round(66.5) = 67.
    assert node_scores(pod, [node], used, scoring_strategy=shaped((0, 10), (100, 0))) == {"a": 67}


# ----------------------------------------------------------------- BalancedAllocation


def test_balanced_with_two_resources(cluster):
    pod, node, used = cluster
    # fractions 0.375 and 0.3: std = |0.075|/2 = 0.0375; (1-0.0375)*100 = 96.25 -> 96.
    assert balanced_allocation_scores(pod, [node], used) == {"a": 96}


def test_balanced_with_three_resources():
    node = make_node("a", cpu="4", memory="8Gi", extra={"ephemeral-storage": "4Gi"})
    pod = make_pod("p", resources=requests(cpu="2", memory="2Gi", ephemeral_storage="3Gi"))
    resources = [{"name": "cpu"}, {"name": "memory"}, {"name": "ephemeral-storage"}]
    # fractions 0.5, 0.25, 0.75: mean 0.5, variance (0 + 0.0625 + 0.0625)/3 = 0.041667,
    # std 0.20412; (1 - 0.20412)*100 = 79.59 -> 79.
    assert balanced_allocation_scores(pod, [node], [], resources=resources) == {"a": 79}


def test_balanced_uses_actual_requests_and_caps_fractions_at_one():
    node = make_node("a", cpu="1", memory="1Gi")
    used = [make_pod("e", node="a")]  # no requests: adds nothing to Requested
    pod = make_pod("p", resources=requests(cpu="500m", memory="256Mi"))
    # 0.5 and 0.25: std 0.125 -> 87.5 -> 87.
    assert balanced_allocation_scores(pod, [node], used) == {"a": 87}
    huge = make_pod("p", resources=requests(cpu="5", memory="512Mi"))
    # cpu fraction capped at 1; memory 0.5: std 0.25 -> 75.
    assert balanced_allocation_scores(huge, [node], []) == {"a": 75}


def test_balanced_with_one_resource_is_always_100():
    node = make_node("a", cpu="4")
    pod = make_pod("p", resources=requests(cpu="3"))
    assert balanced_allocation_scores(pod, [node], [], resources=[{"name": "cpu"}]) == {"a": 100}


def test_balanced_skips_best_effort_pods():
    node = make_node("a")
    best_effort = make_pod("p")
    assert balanced_allocation_skips(best_effort)
    assert balanced_allocation_scores(best_effort, [node], []) == {}
    # Only the configured resources matter: a pod requesting only ephemeral-storage is skipped.
    disk_only = make_pod("p", resources=requests(ephemeral_storage="1Gi"))
    assert balanced_allocation_skips(disk_only)
    cpu_pod = make_pod("p", resources=requests(cpu="1"))
    assert not balanced_allocation_skips(cpu_pod)
    assert balanced_allocation_scores(cpu_pod, [node], []) != {}


def test_balanced_resources_validation():
    pod = make_pod("p", resources=requests(cpu="1"))
    with pytest.raises(InputError) as caught:
        balanced_allocation_scores(pod, [], [], resources=[{"name": "cpu", "weight": 2}])
    assert caught.value.path == "resources[0].weight"
    assert caught.value.message == "Invalid value: 2: must be 1"
    with pytest.raises(InputError) as caught:
        balanced_allocation_scores(pod, [], [], resources=[{"name": "cpu"}, {"name": "cpu"}])
    assert caught.value.path == "resources[1].name"
    assert caught.value.message == 'Duplicate value: "cpu"'


# ----------------------------------------------------------------- 6.5 defaults and validation


def test_defaults():
    assert parse_scoring_strategy(None).type == "LeastAllocated"
    assert parse_scoring_strategy(None).resources == DEFAULT_RESOURCES
    assert (ResourceSpec("cpu", 1), ResourceSpec("memory", 1)) == DEFAULT_RESOURCES
    # Resources omitted -> cpu and memory; weight omitted or 0 -> 1 (v1 defaulting).
    assert parse_scoring_strategy(MOST).resources == DEFAULT_RESOURCES
    defaulted = parse_scoring_strategy({**MOST, "resources": [{"name": "cpu", "weight": 0}]})
    assert defaulted.resources == (ResourceSpec("cpu", 1),)
    assert parse_scoring_strategy(RATIO).shape == ((0, 0), (100, 10))


def test_default_score_plugin_weights():
    assert DEFAULT_SCORE_PLUGIN_WEIGHTS == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesFit": 1,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }


@pytest.mark.parametrize(
    ("strategy", "path", "message"),
    [
        (
            {**LEAST, "resources": [{"name": "cpu", "weight": 101}]},
            "scoringStrategy.resources[0].weight",
            "Invalid value: 101: resource weight of cpu not in valid range (0, 100]",
        ),
        (
            {**LEAST, "resources": [{"name": "cpu"}, {"name": "memory", "weight": -1}]},
            "scoringStrategy.resources[1].weight",
            "Invalid value: -1: resource weight of memory not in valid range (0, 100]",
        ),
        (
            {"type": "Fancy"},
            "scoringStrategy.type",
            (
                'Unsupported value: "Fancy": supported values: "LeastAllocated", "MostAllocated", '
                '"RequestedToCapacityRatio"'
            ),
        ),
        (
            shaped((0, 0), (0, 10)),
            "scoringStrategy.shape[1].utilization",
            "Invalid value: 0: should be increasing",
        ),
        (
            shaped((0, 0), (101, 10)),
            "scoringStrategy.shape[1].utilization",
            "Invalid value: 101: not in valid range [0, 100]",
        ),
        (
            shaped((0, 11)),
            "scoringStrategy.shape[0].score",
            "Invalid value: 11: not in valid range [0, 10]",
        ),
        (
            shaped(),
            "scoringStrategy.shape",
            "Required value: at least one point must be specified",
        ),
        ({**LEAST, "colour": "blue"}, "scoringStrategy", 'unknown field "colour"'),
    ],
)
def test_invalid_strategies(strategy, path, message):
    with pytest.raises(InputError) as caught:
        node_scores(make_pod("p"), [make_node("a")], [], scoring_strategy=strategy)
    assert caught.value.path == path
    assert caught.value.message.startswith(message)


def test_all_validation_errors_are_reported():
    strategy = {"type": "X", "resources": [{"name": "cpu", "weight": 200}]}
    with pytest.raises(InputError) as caught:
        parse_scoring_strategy(strategy)
    assert caught.value.path == "scoringStrategy.type"
    assert "scoringStrategy.resources[0].weight: Invalid value: 200" in caught.value.message


def test_duplicate_node_names_are_rejected():
    with pytest.raises(InputError, match="duplicate node name"):
        node_scores(make_pod("p"), [make_node("a"), make_node("a")], [])


# ----------------------------------------------------------------- taint / node-affinity scores


def test_default_normalize_score():
    assert default_normalize_score({"a": 0, "b": 0}, reverse=False) == {"a": 0, "b": 0}
    assert default_normalize_score({"a": 0, "b": 0}, reverse=True) == {"a": 100, "b": 100}
    # max 3: 100*1/3 = 33, 100*3/3 = 100; reversed 67 and 0.
    assert default_normalize_score({"a": 1, "b": 3}, reverse=False) == {"a": 33, "b": 100}
    assert default_normalize_score({"a": 1, "b": 3}, reverse=True) == {"a": 67, "b": 0}


def test_taint_toleration_score_counts_untolerated_prefer_no_schedule():
    prefer = {"effect": "PreferNoSchedule"}
    nodes = [
        make_node("clean"),
        make_node("one", taints=[{"key": "a", "value": "1", **prefer}]),
        make_node(
            "two",
            taints=[
                {"key": "a", "value": "1", **prefer},
                {"key": "b", "value": "2", **prefer},
                {"key": "c", "value": "3", "effect": "NoSchedule"},
            ],
        ),
    ]
    # raw counts 0, 1, 2 -> reversed normalisation 100, 50, 0.
    assert taint_toleration_scores(make_pod("p"), nodes) == {"clean": 100, "one": 50, "two": 0}
    # A toleration of a (empty effect matches PreferNoSchedule): counts 0, 0, 1.
    tolerant = make_pod("p", tolerations=[{"key": "a", "operator": "Exists"}])
    assert taint_toleration_scores(tolerant, nodes) == {"clean": 100, "one": 100, "two": 0}
    # A NoSchedule toleration is not used by the score.
    no_schedule = make_pod(
        "p", tolerations=[{"key": "a", "operator": "Exists", "effect": "NoSchedule"}]
    )
    assert taint_toleration_scores(no_schedule, nodes) == {"clean": 100, "one": 50, "two": 0}


def test_node_affinity_score_sums_matching_preferred_weights():
    def preferred(weight, key, value):
        return {
            "weight": weight,
            "preference": {"matchExpressions": [{"key": key, "operator": "In", "values": [value]}]},
        }

    pod = make_pod(
        "p",
        affinity={
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    preferred(80, "zone", "a"),
                    preferred(20, "disk", "ssd"),
                ]
            }
        },
    )
    nodes = [
        make_node("both", labels={"zone": "a", "disk": "ssd"}),
        make_node("zone", labels={"zone": "a"}),
        make_node("disk", labels={"disk": "ssd"}),
        make_node("none"),
    ]
    # raw 100, 80, 20, 0; max 100.
    assert node_affinity_scores(pod, nodes) == {"both": 100, "zone": 80, "disk": 20, "none": 0}
    assert node_affinity_scores(make_pod("q"), nodes) == {}


def test_sidecar_counts_in_scores():
    node = make_node("a", cpu="1", memory="1Gi")
    pod = make_pod(
        "p",
        containers=[ctr("app", requests(cpu="250m", memory="256Mi"))],
        initContainers=[ctr("side", requests(cpu="250m", memory="256Mi"), restartPolicy="Always")],
    )
    # 500m of 1000m and 512Mi of 1Gi: least 50 and 50.
    assert node_scores(pod, [node], []) == {"a": 50}
