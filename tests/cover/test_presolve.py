"""Presolve on Kubernetes-shaped input: what it drops, what it keeps, and that answers hold."""

from __future__ import annotations

from kmodel.placement import ItemGroup, NodeType, PackingProblem, SolveOptions, Status, solve
from kmodel.placement.engine.presolve import presolve
from kmodel.placement.engine.problem import check_placement
from tests.helpers.placement import build, make_pod, node, requests

#: Falkenauer-style weights on capacity 150 (optimum 3 nodes, a perfect fit; FFD needs 4).
WEIGHTS = (74, 76, 40, 50, 60, 49, 51, 50)


def cpu_only_pods(weights):
    return [make_pod(f"pod-{i}", resources=requests(cpu=f"{w}m")) for i, w in enumerate(weights)]


def test_memory_and_the_pod_count_that_cannot_bind_are_dropped_and_the_optimum_proven():
    nodes = [node(f"n{k}", cpu="150m", memory="4Ti", pods="10000") for k in range(5)]
    problem = build(*nodes, *cpu_only_pods(WEIGHTS)).problem()
    assert problem.dimensions == ("cpu", "memory", "pods")
    reduced = presolve(problem)
    assert reduced.problem.dimensions == ("cpu",)
    assert reduced.dropped_dimensions == ("memory", "pods")
    result = solve(problem, options=SolveOptions(time_limit=5))
    assert result.optimal
    assert result.nodes_used == 3
    assert result.method.startswith("presolve: memory, pods cannot bind (dropped)")
    assert not check_placement(problem, result.placement)


def test_a_pod_count_that_binds_is_kept_and_the_packing_stays_exact():
    # Ten 10m pods on 4-cpu nodes that hold three pods each: the pod count decides (4 nodes).
    nodes = [node(f"n{k}", cpu="4", memory="8Gi", pods=3) for k in range(5)]
    pods = [make_pod(f"p{i}", resources=requests(cpu="10m", memory="1Mi")) for i in range(10)]
    problem = build(*nodes, *pods).problem()
    reduced = presolve(problem)
    assert "pods" in reduced.problem.dimensions
    assert "memory" in reduced.dropped_dimensions
    result = solve(problem)
    assert result.optimal
    assert result.nodes_used == 4


def test_memory_that_binds_with_cpu_is_kept():
    # Two nodes full in cpu and in memory: a perfect cpu+memory packing.
    nodes = [node(f"n{k}", cpu="4", memory="4Gi", pods=110) for k in range(3)]
    shapes = [("3", "1Gi"), ("1", "3Gi"), ("2", "2Gi"), ("2", "2Gi")]
    pods = [
        make_pod(f"p{i}", resources=requests(cpu=c, memory=m)) for i, (c, m) in enumerate(shapes)
    ]
    problem = build(*nodes, *pods).problem()
    reduced = presolve(problem)
    assert reduced.problem.dimensions == ("cpu", "memory")
    result = solve(problem)
    assert result.optimal
    assert result.nodes_used == 2


def test_pods_that_fit_nowhere_are_unplaced_and_the_rest_is_packed():
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(
            ItemGroup(name="huge", demand=(100, 1), count=2),
            ItemGroup(name="small", demand=(3, 1), count=4),
        ),
        node_types=(NodeType(name="n", capacity=(6, 100), count=4),),
    )
    result = solve(problem)
    assert result.status is Status.INFEASIBLE
    assert result.unplaced == (0, 1)
    assert result.nodes_used == 2
    assert "2 pod(s) fit no node" in result.method


def test_a_dominated_node_type_is_dropped_only_when_the_larger_one_can_take_its_place():
    small = NodeType(name="small", capacity=(2, 4), count=2)
    groups = (ItemGroup(name="g", demand=(1, 1), count=3),)
    many = NodeType(name="big", capacity=(4, 8), count=3)
    few = NodeType(name="big", capacity=(4, 8), count=2)
    roomy = presolve(
        PackingProblem(dimensions=("cpu", "memory"), groups=groups, node_types=(small, many))
    )
    assert roomy.dropped_types == ("small",)
    tight = presolve(
        PackingProblem(dimensions=("cpu", "memory"), groups=groups, node_types=(small, few))
    )
    assert tight.dropped_types == ()


def test_progress_reports_phases_with_a_bound_never_above_the_incumbent():
    nodes = [node(f"n{k}", cpu="150m", memory="4Ti", pods="10000") for k in range(5)]
    problem = build(*nodes, *cpu_only_pods(WEIGHTS)).problem()
    seen = []
    result = solve(
        problem, options=SolveOptions(time_limit=5, progress=lambda *call: seen.append(call))
    )
    assert seen[0][0] == "heuristics and bounds"
    for _, incumbent, bound in seen:
        assert bound <= result.nodes_used
        assert incumbent is None or bound <= incumbent
