"""SchedulingCycle: PreFilter state shared by every node's Filter and Score in one cycle."""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.semantics.scheduling import (
    SchedulingCycle,
    balanced_allocation_scores,
    filter_failures,
    framework,
    node_scores,
)
from tests.helpers.scheduling import make_node, make_pod, requests

ZONE = "topology.kubernetes.io/zone"
SPREAD_REASON = "node(s) didn't match pod topology spread constraints"
ANTI_REASON = "node(s) didn't match pod anti-affinity rules"
AFFINITY_REASON = "node(s) didn't match pod affinity rules"
EXISTING_ANTI_REASON = "node(s) didn't satisfy existing pods anti-affinity rules"


def zone_term(labels: dict[str, str]) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": labels}, "topologyKey": ZONE}


def spread_web() -> dict[str, Any]:
    return {
        "maxSkew": 1,
        "topologyKey": ZONE,
        "whenUnsatisfiable": "DoNotSchedule",
        "labelSelector": {"matchLabels": {"app": "web"}},
    }


def cluster() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Zones a (a1, a2), b (b1), c (c1, small); web pods 2 in a, 1 in b; a db pod in b."""
    nodes = [
        make_node("a1", labels={ZONE: "a"}),
        make_node("a2", labels={ZONE: "a"}),
        make_node("b1", labels={ZONE: "b"}),
        make_node("c1", cpu="1", labels={ZONE: "c"}),
    ]
    web = {"app": "web"}
    pods = [
        make_pod("w1", node="a1", labels=web, resources=requests(cpu="1")),
        make_pod("w2", node="a2", labels=web, resources=requests(cpu="2")),
        make_pod("w3", node="b1", labels=web, resources=requests(cpu="1", memory="1Gi")),
        make_pod(
            "db",
            node="b1",
            labels={"app": "db"},
            affinity={
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [zone_term({"tier": "x"})]
                }
            },
        ),
    ]
    return nodes, pods


def incoming(**spec: Any) -> dict[str, Any]:
    return make_pod("p", labels={"app": "web"}, resources=requests(cpu="500m"), **spec)


PODS_TO_SCHEDULE = {
    "spread": incoming(topologySpreadConstraints=[spread_web()]),
    "anti-web": incoming(
        affinity={
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [zone_term({"app": "web"})]
            }
        }
    ),
    "with-db": incoming(
        affinity={
            "podAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [zone_term({"app": "db"})]
            }
        }
    ),
    "tier-x": make_pod("p", labels={"tier": "x"}),
    "too-big": incoming(containers=[{"name": "c", "resources": requests(cpu="3500m")}]),
}


def test_one_cycle_gives_each_node_its_reasons():
    nodes, pods = cluster()
    cycle = SchedulingCycle(PODS_TO_SCHEDULE["spread"], nodes, pods=pods)
    # Web pods per zone: a=2, b=1, c=0 (min 0): a -> 2+1-0 > 1, b -> 1+1-0 > 1, c -> 0+1-0 fits.
    assert [cycle.filter_failures(n) for n in nodes] == [
        [SPREAD_REASON],
        [SPREAD_REASON],
        [SPREAD_REASON],
        [],
    ]
    anti = SchedulingCycle(PODS_TO_SCHEDULE["anti-web"], nodes, pods=pods)
    assert [anti.filter_failures(n) for n in nodes] == [[ANTI_REASON]] * 3 + [[]]
    near_db = SchedulingCycle(PODS_TO_SCHEDULE["with-db"], nodes, pods=pods)
    assert [near_db.filter_failures(n) for n in nodes] == [
        [AFFINITY_REASON],
        [AFFINITY_REASON],
        [],
        [AFFINITY_REASON],
    ]
    # The db pod's anti-affinity keeps tier=x pods out of zone b only.
    tier_x = SchedulingCycle(PODS_TO_SCHEDULE["tier-x"], nodes, pods=pods)
    assert [tier_x.filter_failures(n) for n in nodes] == [[], [], [EXISTING_ANTI_REASON], []]
    # 4 CPUs each: a1 has 3 free, a2 2, b1 3, c1 (1 CPU) 1; NodeResourcesFit runs first.
    big = SchedulingCycle(PODS_TO_SCHEDULE["too-big"], nodes, pods=pods)
    assert [big.filter_failures(n) for n in nodes] == [["Insufficient cpu"]] * 4


@pytest.mark.parametrize("which", sorted(PODS_TO_SCHEDULE))
def test_a_shared_cycle_agrees_with_one_call_per_node(which):
    nodes, pods = cluster()
    pod = PODS_TO_SCHEDULE[which]
    cycle = SchedulingCycle(pod, nodes, pods=pods)
    for node in nodes:
        # filter_failures builds its own state for the one node: nothing is shared between them.
        assert cycle.filter_failures(node) == filter_failures(pod, node, pods=pods, nodes=nodes)
    scored = cycle.node_scores(nodes)
    balanced = cycle.balanced_allocation_scores(nodes)
    for node in nodes:
        name = node["metadata"]["name"]
        assert scored[name] == node_scores(pod, [node], pods)[name]
        # {} when the plugin skips the pod (it requests nothing).
        assert balanced.get(name) == balanced_allocation_scores(pod, [node], pods).get(name)


def test_least_allocated_score_from_shared_usage():
    nodes, pods = cluster()
    cycle = SchedulingCycle(PODS_TO_SCHEDULE["tier-x"], nodes, pods=pods)
    for node in nodes:
        cycle.filter_failures(node)
    # Missing requests count as 100m and 200Mi. b1 holds w3 (1000m, 1Gi) and db (100m, 200Mi);
    # with tier-x's own 100m, 200Mi: cpu (4000-1200)*100//4000 = 70, memory in Mi
    # (10240-1424)*100//10240 = 86; LeastAllocated averages them.
    assert cycle.node_scores(nodes)["b1"] == (70 + 86) // 2


def test_node_usage_is_computed_once_per_node(monkeypatch):
    nodes, pods = cluster()
    calls: list[int] = []
    real = framework.node_usage

    def counting(pods_on_node):
        calls.append(len(pods_on_node))
        return real(pods_on_node)

    monkeypatch.setattr(framework, "node_usage", counting)
    cycle = SchedulingCycle(PODS_TO_SCHEDULE["tier-x"], nodes, pods=pods)
    for node in nodes:
        cycle.filter_failures(node)
    cycle.node_scores(nodes)
    cycle.balanced_allocation_scores(nodes)
    # One NodeInfo per node (a1: 1 pod, a2: 1, b1: 2, c1: 0) for the filter and both scores.
    assert sorted(calls) == [0, 1, 1, 2]


def test_errors_are_raised_where_a_call_per_node_raises_them():
    # The inter-pod affinity PreFilter reads every node's labels, so a node with bad labels
    # fails every node that gets that far; a node an earlier filter rejects never gets there.
    cordoned = make_node("cordoned", unschedulable=True)
    good = make_node("good", labels={ZONE: "a"})
    bad = make_node("bad")
    bad["metadata"]["labels"] = {ZONE: 7}
    nodes = [cordoned, good, bad]
    pod = make_pod("p")
    cycle = SchedulingCycle(pod, nodes, pods=[])
    assert cycle.filter_failures(cordoned) == ["node(s) were unschedulable"]
    assert filter_failures(pod, cordoned, pods=[], nodes=nodes) == ["node(s) were unschedulable"]
    for _ in range(2):  # a failure is not kept as a result
        with pytest.raises(InputError, match=r"Node/bad: metadata\.labels"):
            cycle.filter_failures(good)
    with pytest.raises(InputError, match=r"Node/bad: metadata\.labels"):
        filter_failures(pod, good, pods=[], nodes=nodes)


def test_bad_node_list_is_reported_on_the_first_node():
    pod = make_pod("p")
    cycle = SchedulingCycle(pod, "not a list", pods=[])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="nodes must be a list"):
        cycle.filter_failures(make_node("n"))


def test_callers_may_supply_cached_node_aggregates():
    nodes, pods = cluster()
    pod = PODS_TO_SCHEDULE["spread"]
    asked: list[str] = []

    def allocatable_of(node):
        asked.append(node["metadata"]["name"])
        return framework.node_allocatable(node)

    def usage_of(pods_on_node):
        asked.append(f"{len(pods_on_node)} pods")
        return framework.node_usage(pods_on_node)

    plain = SchedulingCycle(pod, nodes, pods=pods)
    supplied = SchedulingCycle(
        pod, nodes, pods=pods, allocatable_of=allocatable_of, usage_of=usage_of
    )
    assert [supplied.filter_failures(n) for n in nodes] == [plain.filter_failures(n) for n in nodes]
    assert supplied.node_scores(nodes) == plain.node_scores(nodes)
    assert supplied.balanced_allocation_scores(nodes) == plain.balanced_allocation_scores(nodes)
    # Once per node, however many plugins read them.
    assert sorted(asked) == sorted(["a1", "a2", "b1", "c1", "1 pods", "1 pods", "2 pods", "0 pods"])
