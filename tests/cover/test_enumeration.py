"""Reduced-cost pattern enumeration: complete against brute force, and what it proves."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.placement import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    SolveOptions,
    bin_packing_problem,
    check_placement,
    greedy_pack,
    solve,
)
from kmodel.placement.engine.column_generation import ColumnGeneration, column_generation
from kmodel.placement.engine.enumeration import enumerate_patterns, enumerated_search
from kmodel.placement.engine.master import DualPrices, Pattern, TypePrices
from kmodel.placement.engine.pricing import MAX_SEARCH_DEPTH, upper_counts
from kmodel.placement.engine.problem import nodes_and_cost
from kmodel.placement.engine.schedule import Clock


def _converged(problem: PackingProblem) -> ColumnGeneration:
    cg = column_generation(problem, [], deadline=time.perf_counter() + 30, converge=True)
    assert cg.converged
    assert cg.prices is not None
    return cg


def _brute_force(
    problem: PackingProblem, prices: DualPrices, target: float, *, maximal: bool = True
) -> set[Pattern]:
    """Every (maximal) pattern within the threshold, by trying every count vector."""
    out: set[Pattern] = set()
    for t, tp in prices.per_type.items():
        free = problem.node_types[t].free
        upper = upper_counts(problem, t)
        threshold = target - prices.bound + tp.least + 1e-7 * max(1.0, abs(target))
        for counts in itertools.product(*(range(u + 1) for u in upper)):
            load = [
                sum(c * grp.demand[d] for c, grp in zip(counts, problem.groups, strict=True))
                for d in range(len(free))
            ]
            if not any(counts) or any(a > b for a, b in zip(load, free, strict=True)):
                continue
            rc = tp.base - sum(v * c for v, c in zip(tp.values, counts, strict=True))
            if rc > threshold:
                continue
            extendable = any(
                tp.values[g] >= 0
                and not grp.domain_caps
                and counts[g] < upper[g]
                and all(load[d] + grp.demand[d] <= free[d] for d in range(len(free)))
                for g, grp in enumerate(problem.groups)
            )
            if not (maximal and extendable):
                out.add(Pattern(t, counts))
    return out


@settings(max_examples=40, deadline=None)
@given(
    capacity=st.integers(6, 30),
    items=st.lists(st.tuples(st.integers(1, 30), st.integers(1, 3)), min_size=1, max_size=5),
    slack=st.sampled_from([0.0, 0.3, 1.0, 2.0]),
    maximal=st.booleans(),
)
def test_one_dimension_lists_exactly_the_patterns_within_the_threshold(
    capacity, items, slack, maximal
):
    weights: dict[int, int] = {}
    for raw, c in items:
        w = min(raw, capacity)
        weights[w] = weights.get(w, 0) + c
    problem = bin_packing_problem([capacity], [((w,), c) for w, c in weights.items()])
    cg = _converged(problem)
    assert cg.prices is not None
    target = cg.prices.bound + slack
    listed = enumerate_patterns(problem, cg.prices, target, maximal=maximal)
    assert listed.complete
    assert len(set(listed.patterns)) == len(listed.patterns)
    assert set(listed.patterns) == _brute_force(problem, cg.prices, target, maximal=maximal)


@settings(max_examples=25, deadline=None)
@given(
    groups=st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3)), min_size=1, max_size=4
    ).filter(lambda gs: all(a or b for a, b, _ in gs)),
    slack=st.sampled_from([0.0, 0.5, 1.5]),
    objective=st.sampled_from([Objective.NODES, Objective.COST]),
    maximal=st.booleans(),
)
def test_vectors_and_node_types_list_exactly_the_patterns(groups, slack, objective, maximal):
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=tuple(
            ItemGroup(f"g{k}", (a, b), count=c, max_per_node=2 if k == 0 else None)
            for k, (a, b, c) in enumerate(groups)
        ),
        node_types=(
            NodeType("small", (6, 6), count=6, cost=3),
            NodeType("big", (10, 9), count=4, cost=5),
        ),
        objective=objective,
    )
    cg = _converged(problem)
    assert cg.prices is not None
    target = cg.prices.bound + slack
    listed = enumerate_patterns(problem, cg.prices, target, maximal=maximal)
    assert listed.complete
    assert set(listed.patterns) == _brute_force(problem, cg.prices, target, maximal=maximal)


def test_a_packing_at_the_target_uses_only_listed_patterns():
    # Capacity 10, 7s and 4s: the optimum (5 nodes) runs {7}, {7}, {7}, {4,4}, {4}; the last
    # is not maximal and its extension {4,4} is listed, so the optimum is reachable.
    problem = bin_packing_problem([10], [((7,), 3), ((4,), 3)])
    cg = _converged(problem)
    assert cg.prices is not None
    listed = enumerate_patterns(problem, cg.prices, 5)
    counts = {p.counts for p in listed.patterns}
    assert (1, 0) in counts
    assert (0, 2) in counts
    # A 7 with a 4 does not fit: never listed.
    assert all(not (c[0] and c[1]) for c in counts)


def test_nothing_is_listed_below_the_bound():
    problem = bin_packing_problem([10], [((7,), 3), ((4,), 3)])
    cg = _converged(problem)
    assert cg.prices is not None
    assert enumerate_patterns(problem, cg.prices, cg.prices.bound - 0.5).patterns == []


def test_limit_and_deadline_make_the_list_incomplete():
    problem = bin_packing_problem([100], [((w,), 2) for w in range(5, 40, 3)])
    cg = _converged(problem)
    assert cg.prices is not None
    target = cg.prices.bound + 3
    assert not enumerate_patterns(problem, cg.prices, target, limit=5).complete
    assert len(enumerate_patterns(problem, cg.prices, target, limit=5).patterns) == 5
    late = enumerate_patterns(problem, cg.prices, target, deadline=time.perf_counter() - 1)
    assert not late.complete


@pytest.mark.parametrize("limit", [0, -3, 2.5, True])
def test_limit_must_be_a_positive_integer(limit):
    problem = bin_packing_problem([10], [((7,), 3)])
    cg = _converged(problem)
    assert cg.prices is not None
    with pytest.raises(InputError, match="positive integer"):
        enumerate_patterns(problem, cg.prices, 3, limit=limit)


def test_search_at_the_bound_finds_the_packing_the_heuristics_miss():
    # Capacity 20: FFD needs 4 nodes; {12, 8}, {9, 5, 4}, {8, 8, 4} is 3, the LP bound.
    problem = bin_packing_problem([20], [((12,), 1), ((9,), 1), ((8,), 3), ((5,), 1), ((4,), 2)])
    assert greedy_pack(problem, name="ffd").nodes_used == 4
    cg = _converged(problem)
    assert cg.lower_bound == 3
    bound, placement, complete = enumerated_search(problem, cg, lb=3, ub=4, clock=Clock(10.0))
    assert complete
    assert bound == 3
    assert placement is not None
    assert len(placement) == problem.n_items
    assert not check_placement(problem, placement)
    assert nodes_and_cost(problem, placement)[0] == 3
    # Asked below the relaxation's value, nothing qualifies: the bound rises to 3 on the way.
    bound, placement, _ = enumerated_search(problem, cg, lb=2, ub=4, clock=Clock(10.0))
    assert bound == 3
    assert placement is not None


def test_more_groups_than_the_search_depth_are_not_listed():
    # The walk recurses once per group: beyond the limit it reports an incomplete list.
    weights = range(1, MAX_SEARCH_DEPTH + 50)
    problem = bin_packing_problem([10_000], [((w,), 1) for w in weights])
    prices = DualPrices(
        bound=1.0,
        per_type={0: TypePrices(values=tuple(w / 10_000 for w in weights), base=1.0, least=0.0)},
    )
    listed = enumerate_patterns(problem, prices, 2)
    assert not listed.complete
    assert listed.patterns == []


def test_no_packing_at_the_rounded_relaxation_raises_the_bound():
    # Three pods of 7; nodes of 10 (cost 3, one pod) and 14 (cost 4, two pods). The relaxation
    # pays 2 per pod on the big nodes: 6. No packing costs 6 (two big nodes cost 8, one big and
    # one small 7): the integer program over the listed patterns is infeasible at 6, which
    # proves 7, and the packing of cost 7 is found at once.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("a", (7,), count=3),),
        node_types=(
            NodeType("small", (10,), count=3, cost=3),
            NodeType("big", (14,), count=3, cost=4),
        ),
        objective=Objective.COST,
    )
    cg = _converged(problem)
    assert cg.lower_bound == 6
    bound, placement, complete = enumerated_search(problem, cg, lb=6, ub=9, clock=Clock(10.0))
    assert complete
    assert bound == 7
    assert placement is not None
    assert not check_placement(problem, placement)
    assert nodes_and_cost(problem, placement)[1] == 7


def test_pods_that_take_nothing_are_listed_and_the_cheaper_node_found():
    # A pod with no requests on two node types: the fractional bound over no dimension once
    # said "nothing to add", the list came out empty and the bound rose past the optimum.
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(ItemGroup(name="g0", demand=(0, 0), count=1),),
        node_types=(
            NodeType(name="t0", capacity=(8, 4), count=1, cost=2),
            NodeType(name="t1", capacity=(4, 4), count=1, cost=1),
        ),
        objective=Objective.COST,
    )
    result = solve(problem, options=SolveOptions(time_limit=10.0, restarts=0))
    assert result.optimal
    assert result.cost == 1
    listed = enumerate_patterns(problem, _converged(problem).prices, 1, maximal=False)
    assert listed.complete
    assert Pattern(1, (1,)) in listed.patterns
