"""Tests of the node-count cover bound and of packing on given node counts."""

from __future__ import annotations

import random
import time

import pytest

from kmodel.errors import InputError
from kmodel.placement import ItemGroup, NodeType, Objective, PackingProblem, check_placement
from kmodel.placement.engine.bounds import cost_bound, lower_bound, node_count_bound
from kmodel.placement.engine.compact import pack_node_counts
from kmodel.placement.engine.problem import DomainCap
from tests.helpers.placement import brute_force_value


def _two_sizes(objective: Objective = Objective.COST) -> PackingProblem:
    # Five pods of 2 cpu (10 in all). Per cpu the 8-cpu node is cheaper (6/8 < 5/6), so the
    # fractional cover pays 7.5 -> 8; but whole nodes cost 10 at least (two 6-cpu nodes).
    return PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("web", (2,), count=5),),
        node_types=(
            NodeType("small", (6,), count=3, cost=5),
            NodeType("big", (8,), count=3, cost=6),
        ),
        objective=objective,
    )


def test_whole_node_counts_beat_the_fractional_cost_cover():
    problem = _two_sizes()
    assert cost_bound(problem) == 8
    found = node_count_bound(problem)
    assert found.value == 10 == brute_force_value(problem)
    assert found.counts == {0: 2, 1: 0}
    assert lower_bound(problem).value == 10


def test_anti_affinity_spreads_the_cover_over_enough_nodes():
    # Three anti-affine pods of 1 cpu fit one node by volume, but need three nodes.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("db", (1,), count=3, max_per_node=1),),
        node_types=(
            NodeType("small", (4,), count=4, cost=3),
            NodeType("big", (8,), count=4, cost=5),
        ),
        objective=Objective.COST,
    )
    assert node_count_bound(problem).value == 9 == brute_force_value(problem)


def test_eligibility_and_preloaded_nodes_count():
    # "gpu" pods may only run on the expensive type; the preloaded node is paid for anyway.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(
            ItemGroup("gpu", (2,), count=2, allowed_node_types=frozenset({"big"})),
            ItemGroup("web", (3,), count=1),
        ),
        node_types=(
            NodeType("small", (4,), count=2, cost=2, load=(1,)),
            NodeType("big", (4,), count=2, cost=7),
        ),
        objective=Objective.COST,
    )
    # Both small nodes are in use (preloaded, cost 4), the gpu pods need one big node (7).
    assert node_count_bound(problem).value == 11 == brute_force_value(problem)


def test_node_count_bound_never_exceeds_the_optimum_on_random_small_problems():
    rng = random.Random(7)  # noqa: S311 - seeded instance generator
    for _ in range(25):
        problem = PackingProblem(
            dimensions=("cpu", "memory"),
            groups=tuple(
                ItemGroup(
                    f"g{g}",
                    (rng.randint(1, 5), rng.randint(1, 5)),
                    count=rng.randint(1, 2),
                    max_per_node=rng.choice([None, 1]),
                )
                for g in range(2)
            ),
            node_types=(
                NodeType("a", (rng.randint(4, 7), rng.randint(4, 7)), count=2, cost=3),
                NodeType("b", (rng.randint(6, 10), rng.randint(6, 10)), count=2, cost=5),
            ),
            objective=rng.choice([Objective.COST, Objective.NODES]),
        )
        optimum = brute_force_value(problem)
        bound = node_count_bound(problem).value
        if optimum is None:
            continue  # infeasible: any bound is sound
        assert bound <= optimum


def test_node_count_bound_rejects_bad_arguments():
    with pytest.raises(InputError) as err:
        node_count_bound(_two_sizes(Objective.PLACED))
    assert err.value.path == "objective"
    with pytest.raises(InputError) as err:
        node_count_bound(_two_sizes(), time_limit=0)
    assert err.value.path == "time_limit"
    with pytest.raises(InputError) as err:
        node_count_bound("problem")  # type: ignore[arg-type]
    assert err.value.path == "problem"


def test_no_cover_at_all_is_a_bound_above_every_packing():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("web", (4,), count=5),),
        node_types=(NodeType("a", (4,), count=2, cost=3), NodeType("b", (8,), count=1, cost=5)),
        objective=Objective.COST,
    )
    assert node_count_bound(problem).value > 2 * 3 + 5


def _tight_problem() -> PackingProblem:
    # 36 cpu and 36 pods on two 10-cpu/10-pod nodes and two 8-cpu/8-pod nodes: no room to spare.
    return PackingProblem(
        dimensions=("cpu", "pods"),
        groups=(
            ItemGroup("big", (3, 1), count=6),
            ItemGroup("small", (1, 1), count=18),
            ItemGroup("spread", (2, 1), count=4, max_per_node=1),
        ),
        node_types=(
            NodeType("m", (11, 8), count=3, cost=4),
            NodeType("l", (15, 10), count=3, cost=5),
        ),
        objective=Objective.COST,
    )


def test_pack_node_counts_packs_on_exactly_the_given_nodes():
    problem = _tight_problem()
    placement = pack_node_counts(problem, {0: 2, 1: 2}, deadline=time.perf_counter() + 5)
    assert placement is not None
    assert not check_placement(problem, placement)
    assert len(placement) == problem.n_items
    used = {problem.type_of(b) for b in placement.values()}
    assert used <= {0, 1}
    per_type = [sum(1 for b in set(placement.values()) if problem.type_of(b) == t) for t in (0, 1)]
    assert per_type == [2, 2]
    # Too few nodes: no packing, and no exception.
    assert pack_node_counts(problem, {0: 1, 1: 1}, deadline=time.perf_counter() + 1) is None


def test_pack_node_counts_rejects_bad_counts_and_skips_domain_caps():
    problem = _tight_problem()
    with pytest.raises(InputError) as err:
        pack_node_counts(problem, [2, 2], deadline=time.perf_counter() + 1)  # type: ignore[arg-type]
    assert err.value.path == "counts"
    with pytest.raises(InputError) as err:
        pack_node_counts(problem, {5: 1}, deadline=time.perf_counter() + 1)
    assert err.value.path == "counts[5]"
    with pytest.raises(InputError) as err:
        pack_node_counts(problem, {0: -1}, deadline=time.perf_counter() + 1)
    assert err.value.path == "counts[0]"
    capped = PackingProblem(
        dimensions=("cpu",),
        groups=(
            ItemGroup("web", (1,), count=2, domain_caps=(DomainCap((frozenset({"a"}),), limit=1),)),
        ),
        node_types=(NodeType("a", (4,), count=2), NodeType("b", (4,), count=2)),
        objective=Objective.COST,
    )
    assert pack_node_counts(capped, {0: 1, 1: 1}, deadline=time.perf_counter() + 1) is None
