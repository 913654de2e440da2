"""Column generation internals: the pricing dynamic program, Farley's bound, exchange columns."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.placement import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    bin_packing_problem,
)
from kmodel.placement.engine.column_generation import column_generation
from kmodel.placement.engine.master import RestrictedMaster, master_rows
from kmodel.placement.engine.pricing import knapsack_dp
from kmodel.placement.engine.stabilisation import dual_optimal_inequalities
from tests.helpers.placement import brute_force_value

knapsacks = st.lists(
    st.tuples(st.floats(0.0, 3.0, allow_nan=False), st.integers(0, 9), st.integers(0, 3)),
    min_size=1,
    max_size=6,
)


def _best_by_brute_force(values, weights, bounds, capacity) -> float:
    best = 0.0
    for counts in itertools.product(*(range(b + 1) for b in bounds)):
        if sum(w * n for w, n in zip(weights, counts, strict=True)) <= capacity:
            best = max(best, sum(v * n for v, n in zip(values, counts, strict=True)))
    return best


@settings(max_examples=150, deadline=None)
@given(knapsacks, st.integers(0, 15), st.integers(0, 4))
def test_knapsack_dp_is_exact_and_its_packings_fit(items, capacity, extra):
    values, weights, bounds = (list(column) for column in zip(*items, strict=True))
    found, proven, counts, others = knapsack_dp(values, weights, bounds, capacity, extra=extra)
    # Taking a piece must win by a hair (1e-12): what the margins lose, the proven value covers.
    best = _best_by_brute_force(values, weights, bounds, capacity)
    assert best - 1e-9 <= found <= best + 1e-12
    # Sums of the same values in another order may differ in the last bit (1e-12 covers it).
    assert best - 1e-12 <= proven <= found + 1e-9
    assert len(others) <= extra
    for worth, taken in [(found, counts), *others]:
        assert all(0 <= n <= b for n, b in zip(taken, bounds, strict=True))
        assert sum(w * n for w, n in zip(weights, taken, strict=True)) <= capacity
        assert worth == pytest.approx(sum(v * n for v, n in zip(values, taken, strict=True)))
    assert len({tuple(counts), *(tuple(t) for _, t in others)}) == 1 + len(others)


def test_farley_bound_divides_the_dual_value_by_the_best_pattern():
    # Six pods of 3 on nodes of 10, a hundred nodes: with a price of 1 per pod the best pattern
    # (three pods) is worth 3, so the Lagrangian bound is 6 - 100 * (3 - 1) < 0 while the
    # duals scaled by 1/3 are feasible and prove 6 / 3 = 2.
    problem = bin_packing_problem([10], [((3,), 6)], n_nodes=100)
    master = RestrictedMaster(problem, [])
    bound, new, exact = master.price(np.array([1.0, 0.0]), time.perf_counter() + 10)
    assert exact
    assert bound == pytest.approx(2.0)
    assert new  # a pattern of three pods prices out at these duals
    assert master.prices is not None
    assert master.prices.bound == pytest.approx(2.0)
    (prices,) = master.prices.per_type.values()
    assert prices.values == pytest.approx((1 / 3,))
    assert prices.least == 0.0


def _problem(groups: list[ItemGroup], *, types: int = 1) -> PackingProblem:
    node_types = tuple(NodeType(f"t{k}", (10, 10), 5) for k in range(types))
    return PackingProblem(("cpu", "memory"), tuple(groups), node_types, Objective.NODES)


def test_exchanges_chain_the_sizes_in_one_dimension():
    problem = bin_packing_problem([100], [((30,), 1), ((50,), 2), ((20,), 1), ((40,), 1)])
    rows = master_rows(problem)
    demand = {r: problem.groups[g].demand[0] for r, g in enumerate(rows.cover)}
    edges = dual_optimal_inequalities(problem, rows)
    assert sorted((demand[s], demand[b]) for s, b in edges) == [(20, 30), (30, 40), (40, 50)]


def test_exchanges_need_domination_in_every_dimension_and_no_limit_of_their_own():
    problem = _problem(
        [
            ItemGroup("big", (5, 5), 1),
            ItemGroup("wide", (4, 1), 1),  # dominated by big
            ItemGroup("tall", (1, 6), 1),  # dominated by nobody
            ItemGroup("solo", (1, 1), 1, max_per_node=1),  # a limit of its own: no exchange
        ]
    )
    rows = master_rows(problem)
    names = [problem.groups[g].name for g in rows.cover]
    assert [(names[s], names[b]) for s, b in dual_optimal_inequalities(problem, rows)] == [
        ("wide", "big")
    ]


def test_exchanges_keep_a_smaller_pod_off_node_types_it_may_not_use():
    small = ItemGroup("small", (1, 1), 1, allowed_node_types=frozenset({"t0"}))
    problem = _problem([ItemGroup("big", (5, 5), 1), small], types=2)
    assert dual_optimal_inequalities(problem, master_rows(problem)) == []


def test_no_exchanges_for_the_placed_objective():
    problem = bin_packing_problem([10], [((3,), 2), ((5,), 1)])
    placed = PackingProblem(
        problem.dimensions, problem.groups, problem.node_types, Objective.PLACED
    )
    assert dual_optimal_inequalities(placed, master_rows(placed)) == []


shapes = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 2)), min_size=1, max_size=2
)


@settings(max_examples=60, deadline=None)
@given(
    shapes,
    st.integers(0, 3),
    st.sampled_from([Objective.NODES, Objective.COST]),
    st.booleans(),
)
def test_column_generation_bound_never_exceeds_the_optimum(groups, stop_after, objective, loaded):
    pods = tuple(ItemGroup(f"g{k}", (a, b), c) for k, (a, b, c) in enumerate(groups))
    n_pods = sum(g.count for g in pods)
    # Two node types at different prices (one with load already bound to it), with room for
    # every pod on the cheap one alone: always feasible, and the prices weigh in.
    types = (
        NodeType("cheap", (8, 8), n_pods, cost=2),
        NodeType("dear", (12, 12), 2, cost=5, load=(3, 2) if loaded else None),
    )
    problem = PackingProblem(("cpu", "memory"), pods, types, objective)
    optimum = brute_force_value(problem)
    assert optimum is not None
    # Cut short or run to the end: every bound along the way is a proven one.
    deadline = time.perf_counter() + (1e-4 if stop_after == 0 else 10)
    cg = column_generation(problem, [], deadline=deadline, converge=stop_after > 1)
    assert cg.lower_bound <= optimum
    if cg.prices is not None:
        assert cg.prices.bound <= optimum + 1e-6
