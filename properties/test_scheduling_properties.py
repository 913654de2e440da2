"""Properties of the kube-scheduler resource semantics (k8s-semantics.md section 6)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.semantics.resources import pod_requests
from kmodel.semantics.scheduling import (
    balanced_allocation_scores,
    node_fit_failures,
    node_scores,
)
from tests.helpers.scheduling import make_node, make_pod

EXAMPLES = settings(max_examples=40, deadline=None)

milli = st.integers(min_value=0, max_value=8000)
mebi = st.integers(min_value=0, max_value=16 * 1024)


@st.composite
def pods_requesting(draw, *, allow_missing: bool = True):
    """A pod with 1-3 containers, each requesting cpu (millis) and memory (Mi), or omitting them."""
    containers = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        reqs = {}
        if not allow_missing or draw(st.booleans()):
            reqs["cpu"] = f"{draw(milli)}m"
        if not allow_missing or draw(st.booleans()):
            reqs["memory"] = f"{draw(mebi)}Mi"
        containers.append({"name": f"c{i}", "resources": {"requests": reqs}})
    return make_pod("p", containers=containers)


@st.composite
def nodes_with_usage(draw):
    cpu = draw(st.integers(min_value=1, max_value=16000))
    mem = draw(st.integers(min_value=1, max_value=32 * 1024))
    node = make_node("n", cpu=f"{cpu}m", memory=f"{mem}Mi")
    used = [
        make_pod(
            f"u{i}",
            node="n",
            resources={"requests": {"cpu": f"{draw(milli)}m", "memory": f"{draw(mebi)}Mi"}},
        )
        for i in range(draw(st.integers(min_value=0, max_value=3)))
    ]
    return node, used


STRATEGIES = st.sampled_from(
    [
        None,
        {"type": "MostAllocated"},
        {"type": "RequestedToCapacityRatio"},
        {
            "type": "RequestedToCapacityRatio",
            "requestedToCapacityRatio": {
                "shape": [
                    {"utilization": 0, "score": 10},
                    {"utilization": 30, "score": 3},
                    {"utilization": 100, "score": 0},
                ]
            },
        },
    ]
)


@EXAMPLES
@given(pods_requesting(), nodes_with_usage(), STRATEGIES)
def test_scores_are_always_between_0_and_100(pod, node_and_used, strategy):
    node, used = node_and_used
    for score in node_scores(pod, [node], used, scoring_strategy=strategy).values():
        assert 0 <= score <= 100
    for score in balanced_allocation_scores(pod, [node], used).values():
        assert 0 <= score <= 100


@EXAMPLES
@given(pods_requesting(), nodes_with_usage())
def test_a_pod_that_fits_stays_fitting_on_the_emptied_node(pod, node_and_used):
    node, used = node_and_used
    if node_fit_failures(pod, node, used) == []:
        assert node_fit_failures(pod, node, []) == []


@EXAMPLES
@given(pods_requesting(allow_missing=False), nodes_with_usage(), milli, mebi)
def test_least_and_most_allocated_move_in_opposite_directions(pod, node_and_used, cpu, mem):
    node, used = node_and_used
    more = [
        *used,
        make_pod(
            "extra", node="n", resources={"requests": {"cpu": f"{cpu}m", "memory": f"{mem}Mi"}}
        ),
    ]
    least_before = node_scores(pod, [node], used)["n"]
    least_after = node_scores(pod, [node], more)["n"]
    most_before = node_scores(pod, [node], used, scoring_strategy={"type": "MostAllocated"})["n"]
    most_after = node_scores(pod, [node], more, scoring_strategy={"type": "MostAllocated"})["n"]
    assert least_after <= least_before
    assert most_after >= most_before


@EXAMPLES
@given(pods_requesting(), nodes_with_usage())
def test_fit_failures_are_empty_iff_requests_fit_componentwise(pod, node_and_used):
    node, used = node_and_used
    alloc_cpu = int(node["status"]["allocatable"]["cpu"].removesuffix("m"))
    alloc_mem = int(node["status"]["allocatable"]["memory"].removesuffix("Mi")) * 1024 * 1024
    used_cpu = sum(pod_requests(u).get("cpu", 0) for u in used)
    used_mem = sum(pod_requests(u).get("memory", 0) for u in used)
    wanted = pod_requests(pod)
    cpu, mem = wanted.get("cpu", 0), wanted.get("memory", 0)
    fits = (cpu == 0 or cpu <= alloc_cpu - used_cpu) and (mem == 0 or mem <= alloc_mem - used_mem)
    assert (node_fit_failures(pod, node, used) == []) is fits
