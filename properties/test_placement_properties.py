"""Properties of the packing core, checked against brute force on tiny instances."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmodel.placement import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    SolveOptions,
    Status,
    best_heuristic,
    bin_packing_problem,
    check_placement,
    solve,
)
from kmodel.placement.engine.bounds import dff_bound_1d, l2_bound_1d, lower_bound, volume_bound_1d
from kmodel.placement.engine.column_generation import column_generation
from kmodel.placement.engine.problem import DomainCap
from tests.helpers.placement import brute_force_value

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


weights_1d = st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=6)


@st.composite
def small_problems(draw):
    """Up to 5 pods in up to 3 groups, 2 dimensions, 1-2 node types, up to 4 nodes."""
    n_types = draw(st.integers(1, 2))
    types = []
    remaining_nodes = 4
    for t in range(n_types):
        count = draw(st.integers(1, remaining_nodes - (n_types - 1 - t)))
        remaining_nodes -= count
        types.append(
            NodeType(
                name=f"t{t}",
                capacity=(draw(st.integers(4, 12)), draw(st.integers(4, 12))),
                count=count,
                cost=draw(st.integers(1, 5)),
            )
        )
    groups = []
    remaining_items = 5
    for g in range(draw(st.integers(1, 3))):
        if remaining_items == 0:
            break
        count = draw(st.integers(1, remaining_items))
        remaining_items -= count
        groups.append(
            ItemGroup(
                name=f"g{g}",
                demand=(draw(st.integers(0, 8)), draw(st.integers(0, 8))),
                count=count,
                max_per_node=draw(st.none() | st.integers(1, 2)),
            )
        )
    objective = draw(st.sampled_from([Objective.NODES, Objective.COST]))
    return PackingProblem(
        dimensions=("cpu", "memory"),
        groups=tuple(groups),
        node_types=tuple(types),
        objective=objective,
    )


@SETTINGS
@given(weights_1d, st.integers(min_value=20, max_value=40))
def test_l2_and_dff_dominate_volume_and_never_exceed_the_optimum(weights, capacity):
    problem = bin_packing_problem([capacity], [((w,), 1) for w in weights])
    optimum = brute_force_value(problem)
    assert optimum is not None
    volume = volume_bound_1d(weights, capacity)
    l2 = l2_bound_1d(weights, capacity)
    dff = dff_bound_1d(weights, capacity)
    assert volume <= l2 <= optimum
    assert volume <= dff <= optimum
    assert lower_bound(problem).value <= optimum


@SETTINGS
@given(weights_1d, st.integers(min_value=20, max_value=40))
def test_exact_solver_matches_brute_force_in_one_dimension(weights, capacity):
    problem = bin_packing_problem([capacity], [((w,), 1) for w in weights])
    result = solve(problem, options=SolveOptions(time_limit=10, restarts=0))
    assert result.status is Status.OPTIMAL
    assert result.nodes_used == brute_force_value(problem)
    assert result.lower_bound == result.nodes_used
    assert not check_placement(problem, result.placement)
    assert result.unplaced == ()


@SETTINGS
@given(small_problems())
def test_exact_solver_matches_brute_force(problem):
    optimum = brute_force_value(problem)
    result = solve(problem, options=SolveOptions(time_limit=10, restarts=1))
    if optimum is None:
        assert result.status is Status.INFEASIBLE
        return
    assert lower_bound(problem.normalized()).value <= optimum
    assert result.status is Status.OPTIMAL, result
    assert result.value == optimum
    assert not check_placement(problem, result.placement)
    assert result.unplaced == ()


@SETTINGS
@given(small_problems())
def test_heuristic_packings_are_feasible(problem):
    for packing in best_heuristic(problem, restarts=2, seed=3):
        assert not check_placement(problem, packing.placement)
        assert set(packing.placement).isdisjoint(packing.unplaced)
        assert len(packing.placement) + len(packing.unplaced) == problem.n_items


@st.composite
def zoned_problems(draw):
    """Up to 5 pods, one dimension, up to 3 zones (one node type each), a per-zone cap."""
    zones = draw(st.integers(1, 3))
    types = tuple(
        NodeType(name=f"z{z}", capacity=(draw(st.integers(4, 10)),), count=draw(st.integers(1, 2)))
        for z in range(zones)
    )
    cap = DomainCap(
        domains=tuple(frozenset({f"z{z}"}) for z in range(zones)), limit=draw(st.integers(1, 3))
    )
    n_groups = draw(st.integers(1, 2))
    groups = tuple(
        ItemGroup(
            name=f"g{g}",
            demand=(draw(st.integers(1, 5)),),
            count=draw(st.integers(1, 3 if g == 0 else 2)),
            domain_caps=(cap,) if g == 0 else (),
        )
        for g in range(n_groups)
    )
    return PackingProblem(dimensions=("cpu",), groups=groups, node_types=types)


@SETTINGS
@given(zoned_problems())
def test_pattern_bound_and_packing_match_brute_force_with_zone_caps(problem):
    optimum = brute_force_value(problem)
    cg = column_generation(problem, [], deadline=time.perf_counter() + 5)
    result = solve(problem, options=SolveOptions(time_limit=5))
    if optimum is None:
        assert result.status is Status.INFEASIBLE
        return
    assert cg.lower_bound <= optimum
    assert result.optimal
    assert result.nodes_used == optimum
    assert not check_placement(problem, result.placement)
