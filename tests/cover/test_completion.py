"""Bin completion (kmodel.placement.engine.completion): packings at a given number of nodes."""

from __future__ import annotations

import math
import random
import time
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import placement as benchmark_instances
from kmodel.errors import InputError
from kmodel.placement.engine.completion import complete_bins, completion_applies
from kmodel.placement.engine.problem import (
    DomainCap,
    ItemGroup,
    NodeType,
    PackingProblem,
    bin_packing_problem,
    check_placement,
)
from tests.helpers.paths import BPPLIB
from tests.helpers.placement import brute_force_value


def far() -> float:
    """A deadline no test reaches: the search ends by finding a packing or refuting all."""
    return time.perf_counter() + 60.0


def assert_packs(problem: PackingProblem, placement: dict[int, int] | None, bins: int) -> None:
    assert placement is not None
    assert check_placement(problem, placement) == []
    assert sorted(placement) == list(range(problem.n_items))
    assert len(set(placement.values())) <= bins


def volume_bound(problem: PackingProblem) -> int:
    free = problem.node_types[0].free
    return max(
        math.ceil(sum(g.demand[d] * g.count for g in problem.groups) / c)
        for d, c in enumerate(free)
        if c
    )


# ------------------------------------------------------------------ small exact answers


def small_problem(rng: random.Random, dims: int, *, anti_affinity: bool = False) -> PackingProblem:
    capacity = tuple(rng.randint(6, 12) for _ in range(dims))
    n_groups = rng.randint(1, 3)
    groups = []
    left = 6
    for g in range(n_groups):
        count = rng.randint(1, max(1, left - (n_groups - g - 1)))
        left -= count
        demand = tuple(rng.randint(0 if dims > 1 else 1, c) for c in capacity)
        limit = rng.choice([None, 1, 2]) if anti_affinity else None
        groups.append(ItemGroup(name=f"g{g}", demand=demand, count=count, max_per_node=limit))
        if left <= 0:
            break
    n_items = sum(g.count for g in groups)
    return PackingProblem(
        dimensions=tuple(f"d{d}" for d in range(dims)),
        groups=tuple(groups),
        node_types=(NodeType(name="n", capacity=capacity, count=min(n_items, 4)),),
    )


@pytest.mark.parametrize(("dims", "anti_affinity"), [(1, False), (2, False), (2, True), (1, True)])
def test_finds_the_brute_force_optimum_and_refutes_one_less(dims: int, anti_affinity: bool) -> None:
    rng = random.Random(dims * 10 + anti_affinity)  # noqa: S311 - seeded instance generator
    checked = 0
    for _ in range(25):
        problem = small_problem(rng, dims, anti_affinity=anti_affinity)
        optimum = brute_force_value(problem)
        if optimum is None:
            assert complete_bins(problem, problem.n_nodes, deadline=far()) is None
            continue
        assert_packs(problem, complete_bins(problem, optimum, deadline=far()), optimum)
        # The search is exhaustive when it has time: one node fewer than the optimum fails.
        assert complete_bins(problem, optimum - 1, deadline=far()) is None
        checked += 1
    assert checked >= 10


@settings(max_examples=30, deadline=None)
@given(
    capacity=st.integers(10, 40),
    weights=st.lists(st.integers(1, 40), min_size=1, max_size=6),
)
def test_one_dimension_agrees_with_brute_force(capacity: int, weights: list[int]) -> None:
    weights = [min(w, capacity) for w in weights]
    counts = Counter(weights)
    problem = bin_packing_problem(
        [capacity], [((w,), c) for w, c in counts.items()], n_nodes=min(len(weights), 3)
    )
    optimum = brute_force_value(problem)
    if optimum is None:
        return
    assert_packs(problem, complete_bins(problem, optimum, deadline=far()), optimum)
    assert complete_bins(problem, optimum - 1, deadline=far()) is None


def test_refutes_known_infeasible_tight_instance() -> None:
    # Five pods of 6 need five nodes of capacity 10 (no two share), though the volume is 3.
    problem = bin_packing_problem([10], [((6,), 5)])
    assert complete_bins(problem, 4, deadline=far()) is None
    assert_packs(problem, complete_bins(problem, 5, deadline=far()), 5)


# ------------------------------------------------------------------ constructed instances


def cut_bins_3d(seed: int, bins: int, capacity: int) -> PackingProblem:
    """``bins`` bins full in all three dimensions, each cut into vector pieces."""
    return benchmark_instances.cut_bins_3d(seed, bins, capacity).problem


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_dimensional_cut_instance_with_zero_waste(seed: int) -> None:
    problem = cut_bins_3d(seed, 15, 100)
    assert volume_bound(problem) == 15
    placement = complete_bins(problem, 15, deadline=far(), seed=seed)
    assert_packs(problem, placement, 15)
    assert placement is not None
    # Zero waste: every node used is exactly full in every dimension.
    loads: dict[int, list[int]] = {}
    for item, node in placement.items():
        demand = problem.groups[problem.group_of(item)].demand
        load = loads.setdefault(node, [0, 0, 0])
        for d in range(3):
            load[d] += demand[d]
    assert all(load == [100, 100, 100] for load in loads.values())


def test_none_below_the_volume_bound() -> None:
    problem = cut_bins_3d(5, 10, 100)
    assert complete_bins(problem, 9, deadline=far()) is None
    assert complete_bins(problem, 0, deadline=far()) is None


def test_more_bins_than_pods_and_more_than_nodes() -> None:
    problem = bin_packing_problem([10], [((7,), 3)], n_nodes=3)
    assert_packs(problem, complete_bins(problem, 50, deadline=far()), 3)
    assert complete_bins(problem, 2, deadline=far()) is None


def test_anti_affinity_is_respected() -> None:
    # Six small pods, at most two per node: three nodes though one would hold them all.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup(name="web", demand=(1,), count=6, max_per_node=2),),
        node_types=(NodeType(name="n", capacity=(100,), count=6),),
    )
    assert complete_bins(problem, 2, deadline=far()) is None
    assert_packs(problem, complete_bins(problem, 3, deadline=far()), 3)


def test_pods_that_demand_nothing_are_placed_and_spread() -> None:
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(
            ItemGroup(name="big", demand=(6, 6), count=2),
            ItemGroup(name="free", demand=(0, 0), count=3),
            ItemGroup(name="spread", demand=(0, 0), count=4, max_per_node=2),
        ),
        node_types=(NodeType(name="n", capacity=(10, 10), count=4),),
    )
    assert_packs(problem, complete_bins(problem, 2, deadline=far()), 2)
    assert complete_bins(problem, 1, deadline=far()) is None


def test_uses_the_cheapest_nodes() -> None:
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup(name="a", demand=(5,), count=4),),
        node_types=(
            NodeType(name="dear", capacity=(10,), count=2, cost=9),
            NodeType(name="cheap", capacity=(10,), count=2, cost=1),
        ),
    )
    placement = complete_bins(problem, 2, deadline=far())
    assert_packs(problem, placement, 2)
    assert placement is not None
    cheap = {problem.first_node(1), problem.first_node(1) + 1}
    assert set(placement.values()) == cheap


def test_deterministic_for_a_seed() -> None:
    problem = cut_bins_3d(7, 12, 60)
    runs = [complete_bins(problem, 12, deadline=far(), seed=3) for _ in range(2)]
    assert runs[0] is not None
    assert runs[0] == runs[1]


def test_past_deadline_returns_promptly() -> None:
    problem = cut_bins_3d(8, 40, 1000)
    placement = complete_bins(problem, 40, deadline=time.perf_counter() - 1.0)
    # Either nothing (the deadline was noticed) or a correct packing found before it was read.
    if placement is not None:
        assert_packs(problem, placement, 40)


# ------------------------------------------------------------------ shapes it does not search


def test_unsupported_shapes_give_none() -> None:
    groups = (ItemGroup(name="a", demand=(3,), count=2),)
    mixed = PackingProblem(
        dimensions=("cpu",),
        groups=groups,
        node_types=(
            NodeType(name="s", capacity=(4,), count=2),
            NodeType(name="l", capacity=(8,), count=2),
        ),
    )
    preloaded = PackingProblem(
        dimensions=("cpu",),
        groups=groups,
        node_types=(NodeType(name="s", capacity=(10,), count=2, load=(1,)),),
    )
    capped = PackingProblem(
        dimensions=("cpu",),
        groups=(
            ItemGroup(
                name="a",
                demand=(3,),
                count=2,
                domain_caps=(DomainCap(domains=(frozenset({"s"}),), limit=1),),
            ),
        ),
        node_types=(NodeType(name="s", capacity=(10,), count=2),),
    )
    pinned = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup(name="a", demand=(3,), count=2, allowed_node_types=frozenset({"s"})),),
        node_types=(
            NodeType(name="s", capacity=(10,), count=2),
            NodeType(name="t", capacity=(10,), count=2),
        ),
    )
    too_big = bin_packing_problem([10], [((11,), 1)])
    for problem in (mixed, preloaded, capped, pinned, too_big):
        assert not completion_applies(problem)
        assert complete_bins(problem, 4, deadline=far()) is None
    # A type without nodes does not count; a load of zeros is no load.
    fine = PackingProblem(
        dimensions=("cpu",),
        groups=groups,
        node_types=(
            NodeType(name="none", capacity=(1,), count=0),
            NodeType(name="s", capacity=(10,), count=2, load=(0,)),
        ),
    )
    assert completion_applies(fine)
    assert_packs(fine, complete_bins(fine, 1, deadline=far()), 1)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"problem": "not a problem"}, "problem"),
        ({"bins": -1}, "bins"),
        ({"bins": 2.0}, "bins"),
        ({"bins": True}, "bins"),
        ({"deadline": "soon"}, "deadline"),
        ({"deadline": float("nan")}, "deadline"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_arguments_raise_input_error(kwargs: dict[str, object], path: str) -> None:
    args: dict[str, object] = {
        "problem": bin_packing_problem([10], [((5,), 2)]),
        "bins": 1,
        "deadline": far(),
        "seed": 0,
    }
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        complete_bins(
            args["problem"],  # type: ignore[arg-type]
            args["bins"],  # type: ignore[arg-type]
            deadline=args["deadline"],  # type: ignore[arg-type]
            seed=args["seed"],  # type: ignore[arg-type]
        )
    assert err.value.path == path
    with pytest.raises(InputError):
        completion_applies("not a problem")  # type: ignore[arg-type]


# ------------------------------------------------------------------ a classic hard instance


@pytest.mark.skipif(not BPPLIB.is_dir(), reason="shared benchmark data not present")
def test_waescher_test0005_at_its_optimum() -> None:
    tokens = (BPPLIB / "Waescher_TEST0005.txt").read_text().split()
    n, capacity = int(tokens[0]), int(tokens[1])
    weights = Counter(int(t) for t in tokens[2 : 2 + n])
    problem = bin_packing_problem([capacity], [((w,), c) for w, c in weights.items()])
    waste = 28 * capacity - sum(w * c for w, c in weights.items())
    assert 0 <= waste < capacity  # 28 is the volume bound: every node nearly full
    placement = complete_bins(problem, 28, deadline=far())
    assert_packs(problem, placement, 28)
