"""The vectorised kube-scheduler simulation: same choices as kube_scheduler() on manifests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.placement.engine.problem import (
    DomainCap,
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    check_placement,
)
from kmodel.placement.kube_scheduler import kube_scheduler
from kmodel.placement.scheduler_sim import (
    MEBIBYTE,
    simulate_kube_scheduler,
    simulates_scoring_strategy,
)
from tests.helpers.placement import (
    HOST,
    ZONE,
    anti_affinity,
    build,
    deployment,
    make_pod,
    node,
    requests,
)

RTCR = "RequestedToCapacityRatio"


def _shape(*points: tuple[int, int]) -> dict[str, Any]:
    return {"shape": [{"utilization": u, "score": s} for u, s in points]}


STRATEGY_CONFIG: dict[str, dict[str, Any]] = {
    "LeastAllocated": {"type": "LeastAllocated"},
    "MostAllocated": {"type": "MostAllocated"},
    RTCR: {"type": RTCR},
    # A valley-and-peak shape starting above 0% (flat 7 below 20%), cpu weighted 3 to 1:
    # zero scores, truncating interpolation and rounding of the weighted mean all matter.
    "rtcr-shaped": {
        "type": RTCR,
        "resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}],
        "requestedToCapacityRatio": _shape((20, 7), (45, 0), (70, 3), (85, 10), (100, 1)),
    },
    # Memory alone, spreading (high score when empty).
    "rtcr-memory": {
        "type": RTCR,
        "resources": [{"name": "memory", "weight": 5}],
        "requestedToCapacityRatio": _shape((0, 10), (100, 0)),
    },
    "least-weighted": {
        "type": "LeastAllocated",
        "resources": [{"name": "memory", "weight": 7}, {"name": "cpu", "weight": 2}],
    },
}


# ----------------------------------------------------------------------- hand-computed cases


def _nodes(*capacities: tuple[int, int], pods: int = 110) -> tuple[NodeType, ...]:
    return tuple(
        NodeType(name=f"n{k}", capacity=(cpu, mem, pods)) for k, (cpu, mem) in enumerate(capacities)
    )


def _problem(groups: tuple[ItemGroup, ...], nodes: tuple[NodeType, ...]) -> PackingProblem:
    return PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=groups,
        node_types=nodes,
        objective=Objective.PLACED,
    )


def test_least_allocated_spreads_and_most_allocated_packs():
    # Second pod: n0 holds 1 cpu / 1Gi already. LeastAllocated on n0: cpu 50, memory 75 -> 62,
    # balanced |0.5 - 0.25| / 2 -> 87; total 149. On n1: cpu 75, memory 87 -> 81, balanced
    # 93; total 174: n1. MostAllocated prefers the fuller n0.
    problem = _problem(
        (ItemGroup("web", (1000, 1024, 1), count=2),), _nodes((4000, 8192), (4000, 8192))
    )
    least = simulate_kube_scheduler(problem)
    most = simulate_kube_scheduler(problem, strategy="MostAllocated")
    assert least.placement == {0: 0, 1: 1}
    assert most.placement == {0: 0, 1: 0}
    assert (least.nodes_used, most.nodes_used) == (2, 1)
    assert least.name == "kube-scheduler"
    assert most.name == "kube-scheduler-most-allocated"


def test_a_pod_without_requests_is_scored_with_100m_cpu_and_200mi_memory():
    # n0 (1000m, 400Mi): cpu 90, memory 50 -> 70. n1 (500m, 4000Mi): cpu 80, memory 95 -> 87.
    # Scored as zero requests both nodes would tie at 100 and n0 would win.
    best_effort = (ItemGroup("be", (0, 0, 1)),)
    in_mib = _problem(best_effort, _nodes((1000, 400), (500, 4000)))
    assert simulate_kube_scheduler(in_mib).placement == {0: 1}
    in_bytes = _problem(best_effort, _nodes((1000, 400 * MEBIBYTE), (500, 4000 * MEBIBYTE)))
    assert simulate_kube_scheduler(in_bytes, memory_unit=1).placement == {0: 1}


def test_the_balanced_score_truncates():
    # n0 (2000m, 3072Mi): fit (50 + 66) // 2 = 58; balanced |0.5 - 1/3| / 2 = 0.0833.. ->
    # int(91.67) = 91; total 149. n1 (2000m, 2048Mi): fit 50, balanced 100; total 150.
    # Rounding 91.67 up would tie at 150 and hand the pod to n0.
    problem = _problem((ItemGroup("web", (1000, 1024, 1)),), _nodes((2000, 3072), (2000, 2048)))
    assert simulate_kube_scheduler(problem).placement == {0: 1}


def test_balanced_allocation_skips_a_pod_without_requests():
    # Both nodes (1000m, 1000Mi) carry load. With the defaults (100m, 200Mi) the best-effort
    # pod scores the same fit on both: n0 (load 500m, 0): cpu 40, memory 80 -> 60; n1 (load
    # 250m, 250Mi): cpu 65, memory 55 -> 60. The tie goes to n0. Were BalancedAllocation run,
    # it would add 75 on n0 (|0.5 - 0| / 2) and 100 on n1, and n1 would win.
    nodes = (
        NodeType("n0", (1000, 1000, 110), load=(500, 0, 1)),
        NodeType("n1", (1000, 1000, 110), load=(250, 250, 1)),
    )
    best_effort = _problem((ItemGroup("be", (0, 0, 1)),), nodes)
    assert simulate_kube_scheduler(best_effort).placement == {0: 0}
    # A pod requesting 1m cpu is scored by BalancedAllocation and goes to the balanced n1.
    tiny = _problem((ItemGroup("tiny", (1, 0, 1)),), nodes)
    assert simulate_kube_scheduler(tiny).placement == {0: 1}


def test_a_tie_goes_to_the_node_listed_first():
    problem = _problem((ItemGroup("web", (100, 100, 1)),), _nodes((4000, 8192), (4000, 8192)))
    assert simulate_kube_scheduler(problem).placement == {0: 0}
    assert simulate_kube_scheduler(problem, node_order=[1, 0]).placement == {0: 1}


def test_higher_priority_goes_first_and_the_rest_stays_unplaced():
    problem = _problem(
        (ItemGroup("low", (1000, 10, 1), priority=0), ItemGroup("high", (1000, 10, 1), priority=9)),
        _nodes((1000, 8192)),
    )
    run = simulate_kube_scheduler(problem)
    assert run.placement == {1: 0}
    assert run.unplaced == (0,)


def test_filter_respects_eligibility_anti_affinity_and_domain_caps():
    nodes = (
        NodeType("a", (4000, 8192, 110), count=2),
        NodeType("b", (4000, 8192, 110), count=1),
    )
    groups = (
        ItemGroup("only-b", (100, 10, 1), count=2, allowed_node_types=frozenset({"b"})),
        ItemGroup("one-per-node", (100, 10, 1), count=4, max_per_node=1),
        ItemGroup(
            "one-per-zone",
            (100, 10, 1),
            count=3,
            domain_caps=(DomainCap((frozenset({"a"}), frozenset({"b"})), limit=1),),
        ),
    )
    run = simulate_kube_scheduler(_problem(groups, nodes))
    assert {run.placement[0], run.placement[1]} == {2}
    assert len({run.placement[i] for i in range(2, 6) if i in run.placement}) == 3
    assert sum(1 for i in range(2, 6) if i not in run.placement) == 1
    zones = {0 if run.placement[i] < 2 else 1 for i in range(6, 9) if i in run.placement}
    assert zones == {0, 1}
    assert run.unplaced == (5, 8)
    assert check_placement(_problem(groups, nodes), run.placement) == []


def test_requested_to_capacity_ratio_rounds_the_mean_half_away_from_zero():
    # Default shape {0: 0, 100: 10} scaled to 0..100: the score is the utilisation. Pod 1000m,
    # 1024Mi. n0 (4000m, 2048Mi): utilisation 25 and 50, mean 37.5 -> 38; balanced
    # |0.25 - 0.5| / 2 = 0.125 -> 87; total 125. n1 (1900m, 3904Mi): 100000 // 1900 = 52 and
    # 102400 // 3904 = 26, mean 39; balanced |0.5263 - 0.2623| / 2 = 0.132 -> int(86.8) = 86;
    # total 125. The tie goes to the node listed first; truncating 37.5 would hand it to n1.
    problem = _problem((ItemGroup("web", (1000, 1024, 1)),), _nodes((4000, 2048), (1900, 3904)))
    assert simulate_kube_scheduler(problem, strategy=RTCR).placement == {0: 0}
    assert simulate_kube_scheduler(problem, strategy=RTCR, node_order=[1, 0]).placement == {0: 1}
    run = simulate_kube_scheduler(problem, strategy={"type": RTCR})
    assert run.name == "kube-scheduler-requested-to-capacity-ratio"


def test_requested_to_capacity_ratio_leaves_zero_scores_out_of_the_mean():
    # Shape {0: 0, 50: 0, 100: 10} scaled: 0 up to 50%, then 2 points per percent. Pod 1000m,
    # 1024Mi. n0 (4000m, 1536Mi): cpu 25% -> 0 (left out), memory 102400 // 1536 = 66% -> 32;
    # mean over the kept resources 32; balanced |0.25 - 0.667| / 2 = 0.208 -> 79; total 111.
    # n1 (2000m, 2048Mi): 50% and 50% -> 0 and 0, score 0; balanced 100; total 100. Counting
    # n0's zero would give 16 + 79 = 95 and send the pod to n1.
    problem = _problem((ItemGroup("web", (1000, 1024, 1)),), _nodes((4000, 1536), (2000, 2048)))
    config = {"type": RTCR, "requestedToCapacityRatio": _shape((0, 0), (50, 0), (100, 10))}
    assert simulate_kube_scheduler(problem, strategy=config).placement == {0: 0}


def test_simulates_scoring_strategy_only_for_cpu_and_memory():
    assert simulates_scoring_strategy(None)
    assert all(simulates_scoring_strategy(c) for c in STRATEGY_CONFIG.values())
    gpu = {"type": RTCR, "resources": [{"name": "cpu"}, {"name": "nvidia.com/gpu"}]}
    assert not simulates_scoring_strategy(gpu)
    with pytest.raises(InputError) as err:
        simulates_scoring_strategy({"type": RTCR, "requestedToCapacityRatio": _shape((0, 11))})
    assert err.value.path == "scoringStrategy.shape[0].score"


def test_scoring_requests_replace_the_defaults():
    # A pod with no request scores as 100m / 200Mi by default: n1 (see the test above). Told
    # that it is scored as an explicit zero (0, 0), both nodes score 100 and n0 wins the tie.
    best_effort = _problem((ItemGroup("be", (0, 0, 1)),), _nodes((1000, 400), (500, 4000)))
    assert simulate_kube_scheduler(best_effort).placement == {0: 1}
    zero = simulate_kube_scheduler(best_effort, scoring_requests=[(0, 0)])
    assert zero.placement == {0: 0}


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"problem": "nope"}, "problem"),
        ({"strategy": "Balanced"}, "strategy"),
        ({"strategy": 3}, "strategy"),
        ({"strategy": {"type": "Balanced"}}, "scoringStrategy.type"),
        (
            {"strategy": {"type": RTCR, "requestedToCapacityRatio": _shape((50, 1), (40, 2))}},
            "scoringStrategy.shape[1].utilization",
        ),
        (
            {"strategy": {"type": RTCR, "resources": [{"name": "nvidia.com/gpu", "weight": 1}]}},
            "scoringStrategy.resources[0].name",
        ),
        ({"memory_unit": 0}, "memory_unit"),
        ({"memory_unit": True}, "memory_unit"),
        ({"node_order": [0, 0]}, "node_order"),
        ({"node_order": ["0", 1]}, "node_order[0]"),
        ({"node_order": "01"}, "node_order"),
        ({"name": 3}, "name"),
        ({"scoring_requests": [(1, 1), (2, 2)]}, "scoring_requests"),
        ({"scoring_requests": [(1, -1)]}, "scoring_requests[0]"),
        ({"scoring_requests": [(1,)]}, "scoring_requests[0]"),
    ],
)
def test_bad_arguments_raise_input_error_with_the_path(kwargs: dict[str, Any], path: str):
    problem = _problem((ItemGroup("web", (100, 100, 1)),), _nodes((4000, 8192), (4000, 8192)))
    arguments: dict[str, Any] = {"problem": problem, **kwargs}
    with pytest.raises(InputError) as err:
        simulate_kube_scheduler(**arguments)
    assert err.value.path == path


# ----------------------------------------------------------------------- against kube_scheduler()


@dataclass(frozen=True)
class _Pods:
    """A pod shape: cpu millicores and memory MiB (None: no request), count, priority, rule."""

    cpu: int | None
    memory: int | None
    count: int
    priority: int
    anti: str | None  # None, "host" or "zone"


_cpu_request = st.one_of(st.none(), st.sampled_from([50, 100, 250, 333, 500, 1000, 1500, 2500]))
_memory_request = st.one_of(st.none(), st.sampled_from([64, 128, 200, 300, 512, 1000, 2048]))
_pods = st.builds(
    _Pods,
    cpu=_cpu_request,
    memory=_memory_request,
    count=st.integers(1, 4),
    priority=st.sampled_from([0, 0, 5]),
    anti=st.sampled_from([None, None, "host", "zone"]),
)
# A node: cpu millicores, memory MiB (None: no allocatable of it), pods, zone, bound pod or not.
_node = st.tuples(
    st.one_of(st.none(), st.sampled_from([1000, 2000, 3500, 4000])),
    st.one_of(st.none(), st.sampled_from([1024, 1536, 4096, 8192])),
    st.sampled_from([2, 3, 110]),
    st.sampled_from(["a", "b"]),
    st.booleans(),
)


def _resources(shape: _Pods) -> dict[str, Any]:
    wanted = {}
    if shape.cpu is not None:
        wanted["cpu"] = f"{shape.cpu}m"
    if shape.memory is not None:
        wanted["memory"] = f"{shape.memory}Mi"
    return requests(**wanted)


def _manifests(
    nodes: list[tuple[int | None, int | None, int, str, bool]], shapes: list[_Pods]
) -> list[dict[str, Any]]:
    """Deployments for groups of more than one pod, Pods otherwise, nodes n0, n1, ..."""
    objects: list[dict[str, Any]] = []
    for k, (cpu, memory, pods, zone, loaded) in enumerate(nodes):
        objects.append(
            node(
                f"n{k}",
                zone=zone,
                cpu=None if cpu is None else f"{cpu}m",
                memory=None if memory is None else f"{memory}Mi",
                pods=pods,
            )
        )
        if loaded:  # requests both resources, so its NonZeroRequested is its request
            bound = make_pod(f"bound-{k}", node=f"n{k}", resources=requests(cpu="100m"))
            bound["spec"]["containers"][0]["resources"]["requests"]["memory"] = "256Mi"
            objects.append(bound)
    for g, shape in enumerate(shapes):
        spec: dict[str, Any] = {"priority": shape.priority}
        if shape.anti is not None:
            spec["affinity"] = anti_affinity(f"g{g}", HOST if shape.anti == "host" else ZONE)
        if shape.count > 1:
            body = deployment(f"g{g}", shape.count, **spec)
            body["spec"]["template"]["spec"]["containers"][0]["resources"] = _resources(shape)
        else:
            body = make_pod(f"g{g}", labels={"app": f"g{g}"}, resources=_resources(shape), **spec)
        objects.append(body)
    return objects


def _equivalent_problem(
    nodes: list[tuple[int | None, int | None, int, str, bool]], shapes: list[_Pods]
) -> tuple[PackingProblem, list[str], list[str]]:
    """The same pods and nodes built directly: one node type per node, memory in MiB."""
    types = []
    for k, (cpu, memory, pods, _, loaded) in enumerate(nodes):
        capacity = (cpu or 0, memory or 0, pods)
        load = (100, 256, 1) if loaded else None
        types.append(NodeType(name=f"n{k}", capacity=capacity, load=load))
    zone_domains = tuple(
        frozenset(f"n{k}" for k, n in enumerate(nodes) if n[3] == zone)
        for zone in sorted({n[3] for n in nodes})
    )
    # Deployments come first in the placement input's item order, then the standalone Pods.
    ordered = [g for g, s in enumerate(shapes) if s.count > 1]
    ordered += [g for g, s in enumerate(shapes) if s.count == 1]
    groups = []
    pod_names: list[str] = []
    for g in ordered:
        shape = shapes[g]
        groups.append(
            ItemGroup(
                name=f"g{g}",
                demand=(shape.cpu or 0, shape.memory or 0, 1),
                count=shape.count,
                priority=shape.priority,
                max_per_node=1 if shape.anti is not None else None,
                domain_caps=(DomainCap(zone_domains, 1),) if shape.anti == "zone" else (),
            )
        )
        pod_names += [f"g{g}-{j}" for j in range(shape.count)] if shape.count > 1 else [f"g{g}"]
    problem = PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=tuple(groups),
        node_types=tuple(types),
        objective=Objective.PLACED,
    )
    return problem, pod_names, [f"n{k}" for k in range(len(nodes))]


def _bound_pod_fits(node_shape: tuple[int | None, int | None, int, str, bool]) -> bool:
    # A bound pod is only added where it fits, so the node's load is its actual request.
    cpu, memory, pods, _, _ = node_shape
    return (cpu or 0) >= 100 and (memory or 0) >= 256 and pods >= 1


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    nodes=st.lists(_node, min_size=1, max_size=5),
    shapes=st.lists(_pods, min_size=1, max_size=4),
    strategy=st.sampled_from(sorted(STRATEGY_CONFIG)),
)
def test_every_pod_lands_where_kube_scheduler_puts_it(
    nodes: list[tuple[int | None, int | None, int, str, bool]],
    shapes: list[_Pods],
    strategy: str,
):
    nodes = [
        (c, m, p, z, loaded and _bound_pod_fits((c, m, p, z, loaded)))
        for c, m, p, z, loaded in nodes
    ]
    inp = build(*_manifests(nodes, shapes), objective="placed")
    reference = kube_scheduler(inp, scoring_strategy=STRATEGY_CONFIG[strategy])

    # The placement input's own problem (memory in bytes), ties by node name.
    problem = inp.problem()
    by_name = sorted(range(problem.n_nodes), key=lambda b: inp.node_order()[b])
    config = STRATEGY_CONFIG[strategy]
    fast = simulate_kube_scheduler(problem, strategy=config, memory_unit=1, node_order=by_name)
    assert inp.decode(fast.placement) == reference.placement
    assert [inp.pod_names[i] for i in fast.unplaced] == list(reference.unplaced)
    assert fast.nodes_used == reference.nodes_used

    # The same cluster built by hand, memory in MiB, one node type per node in name order.
    direct, pod_names, node_names = _equivalent_problem(nodes, shapes)
    by_hand = simulate_kube_scheduler(direct, strategy=config)
    decoded = {pod_names[i]: node_names[b] for i, b in by_hand.placement.items()}
    assert decoded == reference.placement
    assert check_placement(direct, by_hand.placement) == []


@settings(max_examples=30, deadline=None)
@given(
    demands=st.lists(
        st.tuples(st.integers(0, 3000), st.integers(0, 4096), st.integers(0, 2000)),
        min_size=1,
        max_size=6,
    ),
    capacities=st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 8192), st.sampled_from([0, 1000, 4000])),
        min_size=1,
        max_size=4,
    ),
    strategy=st.sampled_from(sorted(STRATEGY_CONFIG)),
)
def test_the_placement_is_feasible_and_unplaced_pods_fit_nowhere_at_the_end(
    demands: list[tuple[int, int, int]], capacities: list[tuple[int, int, int]], strategy: str
):
    problem = PackingProblem(
        dimensions=("cpu", "memory", "gpu"),
        groups=tuple(ItemGroup(f"g{k}", d, count=2) for k, d in enumerate(demands)),
        node_types=tuple(NodeType(f"t{k}", c, count=2) for k, c in enumerate(capacities)),
        objective=Objective.PLACED,
    )
    run = simulate_kube_scheduler(problem, strategy=STRATEGY_CONFIG[strategy])
    assert check_placement(problem, run.placement) == []
    assert sorted([*run.placement, *run.unplaced]) == list(range(problem.n_items))
    # Pods only ever land, so a pod no node could take at its turn fits no node at the end.
    for item in run.unplaced:
        for b in range(problem.n_nodes):
            plus = {**run.placement, item: b}
            assert check_placement(problem, plus) != []
