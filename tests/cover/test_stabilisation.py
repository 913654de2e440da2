"""Stabilised column generation: Wentges' smoothing, exact pricing, and the bounds they prove."""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.placement import ItemGroup, NodeType, Objective, PackingProblem
from kmodel.placement.engine.column_generation import column_generation, generate
from kmodel.placement.engine.master import RestrictedMaster
from kmodel.placement.engine.pricing import knapsack_lp_bound, price_pattern, upper_counts
from kmodel.placement.engine.stabilisation import DualSmoothing, smoothing_applies
from tests.helpers.placement import brute_force_value

shapes = st.lists(
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 2)), min_size=1, max_size=2
)


def _two_types(groups: list[tuple[int, int, int]], objective: Objective) -> PackingProblem:
    pods = tuple(ItemGroup(f"g{k}", (a, b), c) for k, (a, b, c) in enumerate(groups))
    n_pods = sum(g.count for g in pods)
    types = (
        NodeType("small", (8, 8), n_pods, cost=2),
        NodeType("large", (12, 10), 2, cost=3),
    )
    return PackingProblem(("cpu", "memory"), pods, types, objective)


class _Recording(RestrictedMaster):
    """A master that keeps every Lagrangian bound its pricing proves (at any dual point)."""

    def __init__(self, problem: PackingProblem) -> None:
        super().__init__(problem, [])
        self.bounds: list[float] = []
        self.points: list[np.ndarray] = []

    def price(self, duals, deadline, *, exact=False, seconds=None):
        bound, new, priced_exactly = super().price(duals, deadline, exact=exact, seconds=seconds)
        self.bounds.append(bound)
        self.points.append(np.array(duals))
        return bound, new, priced_exactly


@settings(max_examples=40, deadline=None)
@given(shapes, st.sampled_from([Objective.NODES, Objective.COST]), st.sampled_from([0.3, 0.5, 0.9]))
def test_smoothing_never_proves_a_bound_above_the_optimum(groups, objective, alpha):
    problem = _two_types(groups, objective)
    assert smoothing_applies(problem)
    optimum = brute_force_value(problem)
    assert optimum is not None
    master = _Recording(problem)
    bound, lp_value, _, _ = generate(
        master, time.perf_counter() + 10, None, converge=True, smoothing=DualSmoothing(alpha)
    )
    # Every round's bound, at a smoothed point or the master's duals, is a proven one.
    assert master.bounds
    assert max(master.bounds) <= optimum + 1e-6
    assert bound <= optimum
    # Run to the end, the smoothed generation proves the LP optimum (the mis-pricing fallback
    # ends at the master's own duals): the same value as the plain generation.
    plain_bound, plain_lp, _, _ = generate(
        RestrictedMaster(problem, []), time.perf_counter() + 10, None, converge=True
    )
    assert lp_value == pytest.approx(plain_lp, abs=1e-6)
    assert bound == plain_bound


@settings(max_examples=40, deadline=None)
@given(shapes, st.lists(st.floats(0.0, 3.0, allow_nan=False), min_size=8, max_size=8))
def test_any_prices_give_a_valid_lagrangian_bound(groups, prices):
    # The smoothing prices at points that are no LP's duals: the bound must hold for any prices.
    problem = _two_types(groups, Objective.NODES)
    optimum = brute_force_value(problem)
    assert optimum is not None
    master = RestrictedMaster(problem, [])
    duals = np.array(prices[: master.rows.size])
    for seconds in (None, 1e-3):
        bound, new, _ = master.price(duals, time.perf_counter() + 10, exact=True, seconds=seconds)
        assert bound <= optimum + 1e-6
        for pattern in new:
            # Every column handed back fits its node type and prices out at these prices.
            typ = problem.node_types[pattern.node_type]
            used = [
                sum(n * g.demand[d] for n, g in zip(pattern.counts, problem.groups, strict=True))
                for d in range(2)
            ]
            assert all(u <= f for u, f in zip(used, typ.free, strict=True))
            assert all(
                n <= m
                for n, m in zip(
                    pattern.counts, upper_counts(problem, pattern.node_type), strict=True
                )
            )
            assert master.reduced_cost(pattern, duals) < 0


def test_smoothed_bound_converges_to_the_optimum_of_a_perfect_packing():
    # Five full nodes of (20, 20) cut into pieces, and a smaller node type beside them: the
    # volume bound on the large nodes is 5, so 5 is optimal, and the relaxation proves it.
    rng = random.Random(7)  # noqa: S311 - a fixed instance, not secrets
    pieces: list[tuple[int, int]] = []
    for _ in range(5):
        cuts_a = sorted(rng.sample(range(1, 20), 2))
        cuts_b = sorted(rng.sample(range(1, 20), 2))
        pieces += [
            (b - a, d - c)
            for (a, b), (c, d) in zip(
                itertools.pairwise([0, *cuts_a, 20]),
                itertools.pairwise([0, *cuts_b, 20]),
                strict=True,
            )
        ]
    groups = tuple(ItemGroup(f"p{k}", p, 1) for k, p in enumerate(pieces))
    problem = PackingProblem(
        ("cpu", "memory"),
        groups,
        (NodeType("large", (20, 20), 10), NodeType("small", (12, 12), 10)),
        Objective.NODES,
    )
    assert smoothing_applies(problem)
    cg = column_generation(problem, [], deadline=time.perf_counter() + 30, converge=True)
    assert cg.converged
    assert cg.lower_bound == 5


def test_mispricing_moves_towards_the_master_duals_and_then_uncaps_the_pricing():
    smoothing = DualSmoothing(0.5, seconds=0.1)
    assert smoothing.at_master()  # no centre yet
    smoothing.observe(np.array([2.0, 0.0]), 1.0)
    smoothing.observe(np.array([9.0, 9.0]), 0.5)  # a worse bound: the centre stays
    assert smoothing.point(np.array([0.0, 2.0])) == pytest.approx([1.0, 1.0])
    # A mis-pricing: the next round prices at the master's own duals.
    assert smoothing.price_again(priced_out=False, at_master=False, exact=True)
    assert smoothing.at_master()
    assert smoothing.point(np.array([0.0, 2.0])) == pytest.approx([0.0, 2.0])
    # No column there, but the capped pricing proved nothing: once more, to the end.
    assert smoothing.price_again(priced_out=False, at_master=True, exact=False)
    assert smoothing.seconds is None
    assert not smoothing.price_again(priced_out=False, at_master=True, exact=True)
    # A column priced out: smoothing resumes.
    assert not smoothing.price_again(priced_out=True, at_master=True, exact=True)
    assert not smoothing.at_master()


def test_one_node_type_keeps_the_plain_generation():
    pods = (ItemGroup("a", (3, 2), 4),)
    one = PackingProblem(("cpu", "memory"), pods, (NodeType("n", (8, 8), 4),), Objective.NODES)
    assert not smoothing_applies(one)
    one_dimension = PackingProblem(
        ("cpu",),
        (ItemGroup("a", (3,), 4),),
        (NodeType("n", (8,), 4), NodeType("m", (9,), 1)),
        Objective.NODES,
    )
    assert not smoothing_applies(one_dimension)


knapsack_items = st.lists(
    st.tuples(
        st.floats(0.0, 3.0, allow_nan=False),
        st.integers(0, 6),
        st.integers(0, 6),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=5,
)


#: How far a value HiGHS returns may be off (``column_generation.round_up``'s tolerance).
SOLVER_TOLERANCE = 1e-6


def _best_by_brute_force(values, demands, bounds, capacity) -> float:
    best = 0.0
    for counts in itertools.product(*(range(b + 1) for b in bounds)):
        if all(
            sum(w[d] * n for w, n in zip(demands, counts, strict=True)) <= capacity[d]
            for d in range(len(capacity))
        ):
            best = max(best, sum(v * n for v, n in zip(values, counts, strict=True)))
    return best


@settings(max_examples=80, deadline=None)
@given(knapsack_items, st.integers(0, 10), st.integers(0, 10))
def test_exact_vector_pricing_bounds_the_best_pattern(items, cpu, memory):
    values = [v for v, _, _, _ in items]
    demands = [(a, b) for _, a, b, _ in items]
    bounds = [c for _, _, _, c in items]
    best = _best_by_brute_force(values, demands, bounds, (cpu, memory))
    assert knapsack_lp_bound(values, demands, bounds, (cpu, memory)) >= best - SOLVER_TOLERANCE
    problem = PackingProblem(
        ("cpu", "memory"),
        tuple(
            ItemGroup(f"g{k}", d, max(1, c))
            for k, (d, c) in enumerate(zip(demands, bounds, strict=True))
        ),
        (NodeType("n", (cpu, memory), 1),),
        Objective.NODES,
    )
    chosen = [g for g in range(len(values)) if values[g] > 0 and bounds[g] > 0]
    if not chosen:
        return
    for seconds in (None, 1e-3):
        found, proven, counts, _ = price_pattern(
            problem,
            0,
            chosen,
            values,
            bounds,
            time.perf_counter() + 10,
            0.0,
            exact=True,
            seconds=seconds,
        )
        # HiGHS solves the pricing MIP to its feasibility tolerances (a pattern's value can be
        # off by ~1e-7); the engine rounds every bound with the same SOLVER_TOLERANCE.
        assert found <= best + SOLVER_TOLERANCE
        assert proven >= best - SOLVER_TOLERANCE
        # The pattern found fits and is worth what it says.
        for d, room in enumerate((cpu, memory)):
            assert sum(demands[g][d] * n for g, n in zip(chosen, counts, strict=True)) <= room
        assert found == pytest.approx(
            sum(values[g] * n for g, n in zip(chosen, counts, strict=True))
        )
