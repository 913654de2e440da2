"""The pricing knapsacks: branch and bound against brute force, greedy and LP bounds."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.placement.engine.pricing import (
    MAX_SEARCH_DEPTH,
    fractional_bound,
    greedy_knapsack,
    knapsack_branch_and_bound,
)

items = st.lists(
    st.tuples(
        st.floats(-1.0, 5.0, allow_nan=False),
        st.tuples(st.integers(0, 7), st.integers(0, 7)),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=6,
)


def _brute_force(values, demands, bounds, capacity) -> float:
    best = 0.0
    for counts in itertools.product(*(range(b + 1) for b in bounds)):
        if all(
            sum(c * w[d] for c, w in zip(counts, demands, strict=True)) <= capacity[d]
            for d in range(len(capacity))
        ):
            best = max(best, sum(c * v for c, v in zip(counts, values, strict=True)))
    return best


def _fits(counts, demands, capacity) -> bool:
    return all(
        sum(c * w[d] for c, w in zip(counts, demands, strict=True)) <= capacity[d]
        for d in range(len(capacity))
    )


@settings(max_examples=80, deadline=None)
@given(items=items, capacity=st.tuples(st.integers(1, 15), st.integers(1, 15)))
def test_branch_and_bound_is_optimal_and_bounds_hold(items, capacity):
    values = [v for v, _, _ in items]
    demands = [w for _, w, _ in items]
    bounds = [b for _, _, b in items]
    result = knapsack_branch_and_bound(values, demands, bounds, capacity)
    optimum = _brute_force(values, demands, bounds, capacity)
    assert result.exact
    assert result.value == pytest.approx(optimum)
    assert _fits(result.counts, demands, capacity)
    assert all(0 <= c <= b for c, b in zip(result.counts, bounds, strict=True))
    assert sum(c * v for c, v in zip(result.counts, values, strict=True)) == pytest.approx(
        result.value
    )
    # Every other solution handed back is feasible and no better than the best.
    for value, counts in result.others:
        assert _fits(counts, demands, capacity)
        assert value <= result.value + 1e-9
    assert fractional_bound(values, demands, bounds, capacity) >= optimum - 1e-9
    for value, counts in greedy_knapsack(values, demands, bounds, capacity):
        assert _fits(counts, demands, capacity)
        assert value <= optimum + 1e-9


@settings(max_examples=80, deadline=None)
@given(
    items=items,
    capacity=st.tuples(st.integers(1, 15), st.integers(1, 15)),
    worth_over=st.floats(0.0, 12.0, allow_nan=False),
)
@example(items=[(1e-9, (0, 0), 1)], capacity=(1, 1), worth_over=0.0)  # an optimum within 1e-9
def test_a_search_for_more_than_a_value_finds_the_optimum_above_it_or_proves_none(
    items, capacity, worth_over
):
    values = [v for v, _, _ in items]
    demands = [w for _, w, _ in items]
    bounds = [b for _, _, b in items]
    result = knapsack_branch_and_bound(values, demands, bounds, capacity, worth_over=worth_over)
    optimum = _brute_force(values, demands, bounds, capacity)
    assert result.exact
    assert _fits(result.counts, demands, capacity)
    assert result.upper_bound >= optimum - 1e-9
    if optimum > worth_over + 1e-9:
        assert result.value == pytest.approx(optimum)
        assert result.upper_bound == pytest.approx(optimum)
    else:  # nothing worth more (within the search's 1e-9): the bound proven is worth_over
        assert result.upper_bound == pytest.approx(worth_over, abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(
    items=items,
    capacity=st.tuples(st.integers(1, 15), st.integers(1, 15)),
    stop_above=st.floats(0.0, 8.0, allow_nan=False),
    stop_after=st.integers(1, 4),
)
def test_a_search_stopping_above_a_value_hands_back_up_to_that_many_better_solutions(
    items, capacity, stop_above, stop_after
):
    values = [v for v, _, _ in items]
    demands = [w for _, w, _ in items]
    bounds = [b for _, _, b in items]
    result = knapsack_branch_and_bound(
        values, demands, bounds, capacity, stop_above=stop_above, stop_after=stop_after
    )
    optimum = _brute_force(values, demands, bounds, capacity)
    solutions = [(result.value, result.counts), *result.others]
    for value, counts in solutions:
        assert _fits(counts, demands, capacity)
        assert all(0 <= c <= b for c, b in zip(counts, bounds, strict=True))
        assert sum(c * v for c, v in zip(counts, values, strict=True)) == pytest.approx(value)
    better = [value for value, _ in solutions if value > stop_above]
    assert len(better) <= stop_after
    if optimum > stop_above + 1e-9:
        assert better  # the search never stops short of the first one
    elif optimum <= stop_above:
        assert result.exact
        assert result.value == pytest.approx(optimum)
    # Within 1e-9 above stop_above (a zero-demand item worth 1e-12) stopping on it and searching
    # on are both right.


def test_node_limit_gives_a_valid_bound_and_says_so():
    values = [1.0 + 0.01 * k for k in range(25)]
    demands = [(7 + k % 5, 9 - k % 4) for k in range(25)]
    result = knapsack_branch_and_bound(values, demands, [1] * 25, (40, 40), node_limit=10)
    assert not result.exact
    assert result.upper_bound >= result.value
    assert _fits(result.counts, demands, (40, 40))


def test_greedy_takes_the_densest_items_first():
    # Value per unit 3, 2, 1: two of the first (4 units), one of the second, nothing left.
    found = greedy_knapsack([6.0, 2.0, 1.0], [(2,), (1,), (1,)], [2, 1, 5], (5,))
    assert found == [(14.0, [2, 1, 0])]


def test_bad_shapes_are_input_errors():
    with pytest.raises(InputError, match="one entry per item"):
        knapsack_branch_and_bound([1.0], [(1,), (2,)], [1], (3,))
    with pytest.raises(InputError, match="one entry per dimension"):
        knapsack_branch_and_bound([1.0], [(1, 2)], [1], (3,))
    with pytest.raises(InputError, match=">= 0"):
        knapsack_branch_and_bound([1.0], [(1,)], [-1], (3,))


def test_more_items_than_the_search_depth_give_an_inexact_valid_bound():
    # One recursion level per item: beyond the depth limit the search steps aside instead of
    # exhausting Python's recursion limit.
    n = MAX_SEARCH_DEPTH + 600
    values = [1.0] * n
    result = knapsack_branch_and_bound(values, [(1, 1)] * n, [1] * n, (50, 40))
    assert not result.exact
    assert result.upper_bound >= 40  # the LP bound: 40 items fit the second dimension
