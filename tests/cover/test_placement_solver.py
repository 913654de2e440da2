"""Tests of the packing core: problem validation, bounds, heuristics and the Z3 packer."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace

import pytest

from kmodel.errors import InputError
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
    greedy_pack,
    solve,
)
from kmodel.placement.engine.arcflow import arcflow_milp, build_arcflow
from kmodel.placement.engine.bounds import (
    anti_affinity_bound,
    dff_bound_1d,
    l2_bound_1d,
    lower_bound,
    volume_bound_1d,
)
from kmodel.placement.engine.column_generation import column_generation
from kmodel.placement.engine.compact import compact_feasible, compact_size
from kmodel.placement.engine.heuristics import subset_sum_fill
from kmodel.placement.engine.master import placement_of_patterns, unplaced_weights
from kmodel.placement.engine.placed import place_leftovers
from kmodel.placement.engine.price_and_branch import dive, pattern_milp
from kmodel.placement.engine.problem import DomainCap

# ------------------------------------------------------------------ problem validation


def test_demand_of_wrong_length_names_the_field():
    with pytest.raises(InputError) as err:
        PackingProblem(
            dimensions=("cpu", "memory"),
            groups=(ItemGroup(name="web", demand=(100,)),),
            node_types=(NodeType(name="n", capacity=(1000, 1000)),),
        )
    assert err.value.path == "groups[0].demand"


@pytest.mark.parametrize(
    ("group", "path"),
    [
        (ItemGroup(name="web", demand=(True, 1)), "groups[0].demand[0]"),
        (ItemGroup(name="web", demand=(-1, 1)), "groups[0].demand[0]"),
        (ItemGroup(name="web", demand=(1, 1), count=-2), "groups[0].count"),
        (ItemGroup(name="web", demand=(1, 1), max_per_node=0), "groups[0].max_per_node"),
        (
            ItemGroup(name="web", demand=(1, 1), allowed_node_types=frozenset({"gpu"})),
            "groups[0].allowed_node_types",
        ),
        (ItemGroup(name="", demand=(1, 1)), "groups[0].name"),
    ],
)
def test_bad_groups_are_input_errors_with_paths(group, path):
    with pytest.raises(InputError) as err:
        PackingProblem(
            dimensions=("cpu", "memory"),
            groups=(group,),
            node_types=(NodeType(name="n", capacity=(10, 10)),),
        )
    assert err.value.path == path


def test_load_above_capacity_is_rejected():
    with pytest.raises(InputError) as err:
        PackingProblem(
            dimensions=("cpu",),
            groups=(),
            node_types=(NodeType(name="n", capacity=(10,), load=(11,)),),
        )
    assert err.value.path == "node_types[0].load[0]"


def test_unknown_objective_is_rejected():
    with pytest.raises(InputError) as err:
        PackingProblem(dimensions=("cpu",), groups=(), node_types=(), objective="fastest")  # type: ignore[arg-type]
    assert err.value.path == "objective"


def test_solve_rejects_bad_arguments():
    problem = bin_packing_problem([10], [((5,), 2)])
    with pytest.raises(InputError):
        solve("not a problem")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        solve(problem, options=SolveOptions(time_limit=0))


def test_normalized_divides_each_dimension_by_its_gcd():
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(ItemGroup(name="a", demand=(250, 1024), count=2), ItemGroup("b", (500, 2048))),
        node_types=(NodeType(name="n", capacity=(1100, 4096)),),
    )
    scaled = problem.normalized()
    assert scaled.groups[0].demand == (1, 1)
    assert scaled.groups[1].demand == (2, 2)
    # 1100 // 250: the remainder 100 can never hold a 250 multiple, so it is dropped exactly.
    assert scaled.node_types[0].capacity == (4, 4)


# ------------------------------------------------------------------ bounds


def test_l2_counts_items_above_half_one_per_bin():
    # Three items of 60 in bins of 100: volume says 2, no two of them share a bin.
    weights = [60, 60, 60]
    assert volume_bound_1d(weights, 100) == 2
    assert l2_bound_1d(weights, 100) == 3
    assert dff_bound_1d(weights, 100) == 3


def test_l2_fills_room_left_by_big_items():
    # 70 + 70 leave 30 + 30; the four 40s need two more bins even though volume says 3.
    weights = [70, 70, 40, 40, 40, 40]
    assert volume_bound_1d(weights, 100) == 3
    assert l2_bound_1d(weights, 100) == 4


def test_dff_beats_l2_on_thirds():
    # Four items of 34: three never fit a bin of 100 (102 > 100), so two bins are needed;
    # L2's alpha only sees items above half; the dual feasible function u_2 sees thirds.
    weights = [34] * 4
    assert l2_bound_1d(weights, 100) == 2
    weights = [34] * 7  # at most 2 per bin: 4 bins; volume says 3
    assert volume_bound_1d(weights, 100) == 3
    assert dff_bound_1d(weights, 100) == 4


def test_bound_helpers_validate_their_input():
    with pytest.raises(InputError):
        l2_bound_1d([120], 100)
    with pytest.raises(InputError):
        volume_bound_1d([1], 0)


def test_anti_affinity_bound_is_count_over_limit():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup(name="db", demand=(1,), count=7, max_per_node=2),),
        node_types=(NodeType(name="n", capacity=(100,), count=10),),
    )
    assert anti_affinity_bound(problem) == 4
    assert lower_bound(problem).value == 4


# ------------------------------------------------------------------ heuristics


def test_ffd_packs_decreasing_first_fit():
    problem = bin_packing_problem([10], [((6,), 1), ((5,), 1), ((4,), 1), ((3,), 1), ((2,), 1)])
    packing = greedy_pack(problem, name="ffd")
    assert not check_placement(problem, packing.placement)
    # FFD: 6 -> bin0, 5 -> bin1, 4 -> bin0 (10), 3 -> bin1 (8), 2 -> bin1 (10): two bins.
    assert packing.nodes_used == 2
    assert packing.unplaced == ()


def test_every_heuristic_packing_is_feasible():
    problem = PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=(
            *(
                ItemGroup(f"g{k}", demand=(100 * (k % 5 + 1), 64 * (k % 3 + 1), 1), count=k + 3)
                for k in range(8)
            ),
            ItemGroup(name="anti", demand=(200, 64, 1), count=5, max_per_node=1),
        ),
        node_types=(
            NodeType(name="small", capacity=(1000, 512, 10), count=20, cost=2),
            NodeType(name="big", capacity=(2000, 1024, 20), count=5, cost=3),
        ),
    )
    for packing in best_heuristic(problem, restarts=4, seed=1):
        assert not check_placement(problem, packing.placement), packing.name
        assert packing.unplaced == ()


def test_subset_sum_fill_packs_perfect_triplets():
    # Bins of 100 cut into triplets; FFD mixes them up, the fill finds the perfect bins.
    triplets = [(50, 26, 24), (49, 27, 24), (48, 28, 24), (47, 29, 24)]
    items = [((w,), 1) for t in triplets for w in t]
    problem = bin_packing_problem([100], items)
    fill = subset_sum_fill(problem)
    assert fill is not None
    assert fill.nodes_used == 4
    assert not check_placement(problem, fill.placement)


# ------------------------------------------------------------------ the packer


def test_item_larger_than_every_node_is_infeasible():
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(ItemGroup("ok", (100, 100), count=2), ItemGroup("huge", (100, 5000))),
        node_types=(NodeType("a", (1000, 1000), count=3), NodeType("b", (2000, 2000), count=1)),
    )
    result = solve(problem)
    assert result.status is Status.INFEASIBLE
    assert not result.optimal
    assert result.unplaced == (2,)
    assert set(result.placement) == {0, 1}


def test_not_enough_nodes_is_infeasible():
    problem = bin_packing_problem([10], [((6,), 3)], n_nodes=2)
    result = solve(problem, options=SolveOptions(time_limit=5))
    assert result.status is Status.INFEASIBLE


def test_arcflow_proves_optimum_ffd_misses():
    # Perfect triplets (each bin of 100 holds exactly three items); volume bound = 4.
    triplets = [(50, 26, 24), (49, 27, 24), (48, 28, 24), (47, 29, 24)]
    items = [((w,), 1) for t in triplets for w in t]
    problem = bin_packing_problem([100], items)
    result = solve(problem, options=SolveOptions(time_limit=10, restarts=0))
    assert result.status is Status.OPTIMAL
    assert result.optimal
    assert result.nodes_used == 4
    assert result.lower_bound == 4
    assert not check_placement(problem, result.placement)
    assert result.unplaced == ()


def test_anti_affinity_forces_one_pod_per_node():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("etcd", (1,), count=3, max_per_node=1), ItemGroup("web", (1,), count=3)),
        node_types=(NodeType("n", (100,), count=5),),
    )
    result = solve(problem)
    assert result.optimal
    assert result.nodes_used == 3
    assert len({result.placement[i] for i in range(3)}) == 3
    assert not check_placement(problem, result.placement)


def test_cost_objective_prefers_one_big_node():
    # Three pods of 3 cpu: three small nodes (4 cpu, cost 3 each) cost 9; one big (10 cpu,
    # cost 5) holds all three for 5.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("w", (3,), count=3),),
        node_types=(NodeType("small", (4,), count=3, cost=3), NodeType("big", (10,), cost=5)),
        objective=Objective.COST,
    )
    result = solve(problem)
    assert result.optimal
    assert result.cost == 5
    assert set(result.placement.values()) == {3}


def test_preloaded_nodes_count_and_their_free_room_is_used():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("w", (4,), count=2),),
        node_types=(NodeType("busy", (10,), count=1, load=(6,)), NodeType("idle", (10,), count=2)),
    )
    result = solve(problem)
    assert result.optimal
    # One pod fits the busy node's 4 free cpu; the other needs one idle node: 2 nodes in use.
    assert result.nodes_used == 2
    assert not check_placement(problem, result.placement)


def test_eligibility_keeps_pods_off_other_types():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("gpu-job", (1,), count=2, allowed_node_types=frozenset({"gpu"})),),
        node_types=(NodeType("cpu", (100,), count=2), NodeType("gpu", (1,), count=2)),
    )
    result = solve(problem)
    assert result.optimal
    assert result.nodes_used == 2
    assert set(result.placement.values()) == {2, 3}


def test_placed_objective_places_higher_priority_first():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("low", (5,), count=2, priority=0), ItemGroup("high", (6,), priority=10)),
        node_types=(NodeType("n", (10,), count=1),),
        objective=Objective.PLACED,
    )
    result = solve(problem)
    assert result.optimal
    assert result.placement == {2: 0}
    assert result.unplaced == (0, 1)


def test_time_limit_is_respected_and_the_bound_reported():
    # 3-D cut bins: the optimum is 12 by construction; the heuristics need more, and a
    # 10 ms limit leaves no time to search.
    import random  # noqa: PLC0415

    rng = random.Random(7)  # noqa: S311 - seeded instance generator
    items = []
    for _ in range(12):
        parts = []
        for _ in range(3):
            cuts = sorted(rng.sample(range(1, 100), 2))
            edges = [0, *cuts, 100]
            part = [b - a for a, b in itertools.pairwise(edges)]
            rng.shuffle(part)
            parts.append(part)
        items.extend((tuple(p[j] for p in parts), 1) for j in range(3))
    problem = bin_packing_problem([100, 100, 100], items)
    heuristic = best_heuristic(problem.normalized(), restarts=0)[0].nodes_used
    assert heuristic > 12  # precondition: the search would be needed
    result = solve(problem, options=SolveOptions(time_limit=0.01, restarts=0))
    assert result.status is Status.FEASIBLE
    assert not result.optimal
    assert result.lower_bound == 12
    assert result.nodes_used == heuristic
    assert result.solve_seconds < 2.0
    assert not check_placement(problem, result.placement)


def test_build_arcflow_paths_fit_the_capacity():
    graph = build_arcflow([(5,), (3,), (2,)], [2, 2, 3], (10,))
    assert graph is not None
    # Every arc advances at least by its item's weight, so every path fits.
    weights = [5, 3, 2]
    for tail, head, t in graph.arcs:
        assert head[0] - tail[0] >= (weights[t] if t >= 0 else 1)
    assert graph.sink == (10,)
    assert 0 <= graph.source[0] <= 10


# ------------------------------------------------------------------ pattern model (HiGHS)
def _zones(zones: int, per_zone: int) -> tuple[NodeType, ...]:
    return tuple(NodeType(f"zone-{z}", (10,), count=per_zone) for z in range(zones))


def _zone_cap(zones: int) -> DomainCap:
    return DomainCap(domains=tuple(frozenset({f"zone-{z}"}) for z in range(zones)), limit=1)


def test_domain_cap_spreads_pods_over_zones():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("db", (1,), count=3, domain_caps=(_zone_cap(3),)),),
        node_types=_zones(3, 2),
    )
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.optimal
    assert result.nodes_used == 3  # one per zone, although one node could hold all three
    zones = {problem.type_of(b) for b in result.placement.values()}
    assert zones == {0, 1, 2}
    assert not check_placement(problem, result.placement)


def test_domain_cap_with_too_few_zones_is_infeasible():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("db", (1,), count=3, domain_caps=(_zone_cap(2),)),),
        node_types=_zones(2, 3),
    )
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.status is Status.INFEASIBLE
    assert not result.optimal


def test_check_placement_and_greedy_respect_domain_caps():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("db", (1,), count=2, domain_caps=(_zone_cap(2),)),),
        node_types=_zones(2, 2),
    )
    assert any("more than 1" in p for p in check_placement(problem, {0: 0, 1: 1}))
    assert not check_placement(problem, {0: 0, 1: 2})
    packing = greedy_pack(problem)
    assert not packing.unplaced
    assert not check_placement(problem, packing.placement)


def test_domain_caps_are_validated_with_paths():
    with pytest.raises(InputError) as err:
        PackingProblem(
            dimensions=("cpu",),
            groups=(
                ItemGroup(
                    "db",
                    (1,),
                    domain_caps=(DomainCap((frozenset({"zone-0"}), frozenset({"zone-0"})), 1),),
                ),
            ),
            node_types=_zones(1, 1),
        )
    assert err.value.path == "groups[0].domain_caps[0].domains[1]"
    with pytest.raises(InputError) as err:
        PackingProblem(
            dimensions=("cpu",),
            groups=(ItemGroup("db", (1,), domain_caps=(DomainCap((frozenset({"x"}),), 1),)),),
            node_types=_zones(1, 1),
        )
    assert err.value.path == "groups[0].domain_caps[0].domains[0]"


def test_column_generation_bound_meets_the_optimum_where_volume_falls_short():
    # Capacity 10: a 7 shares a bin with no 4 (11 > 10), 4s pair up. Three 7s need three bins,
    # three 4s need two more: optimum 5, while the volume bound is ceil(33 / 10) = 4.
    problem = bin_packing_problem([10], [((7,), 3), ((4,), 3)])
    assert volume_bound_1d([7, 7, 7, 4, 4, 4], 10) == 4
    cg = column_generation(problem, [], deadline=time.perf_counter() + 10)
    assert cg.converged
    assert cg.lower_bound == 5
    assert cg.lp_value == pytest.approx(4.5)
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.optimal
    assert result.nodes_used == 5


def test_pattern_milp_decodes_into_a_valid_placement():
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=(ItemGroup("a", (3, 1), count=4), ItemGroup("b", (1, 3), count=4)),
        node_types=(
            NodeType("small", (4, 4), count=4, cost=3),
            NodeType("big", (8, 8), count=2, cost=5),
        ),
        objective=Objective.COST,
    )
    cg = column_generation(problem, [], deadline=time.perf_counter() + 10)
    solution = pattern_milp(
        problem, cg.patterns, deadline=time.perf_counter() + 10, lower_bound=cg.lower_bound
    )
    assert solution.value is not None
    placement = placement_of_patterns(problem, solution.chosen)
    assert len(placement) == problem.n_items
    assert not check_placement(problem, placement)
    # Two big nodes (cost 10) hold everything; four small ones would cost 12.
    assert solution.value == 10 == cg.lower_bound


def test_dive_covers_every_pod():
    problem = bin_packing_problem([100], [((50,), 2), ((26,), 4), ((24,), 4), ((47,), 2)])
    solution = dive(problem, [], deadline=time.perf_counter() + 10)
    assert solution.value is not None
    placement = placement_of_patterns(problem, solution.chosen)
    assert len(placement) == problem.n_items
    assert not check_placement(problem, placement)


def test_unplaced_weights_are_lexicographic():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("low", (1,), count=5), ItemGroup("high", (1,), count=2, priority=10)),
        node_types=(NodeType("n", (1,), count=3),),
        objective=Objective.PLACED,
    )
    weights = unplaced_weights(problem)
    assert weights is not None
    low, high = weights
    assert low > problem.n_nodes  # one pod outweighs every node
    assert high > low * 5 + problem.n_nodes  # one high pod outweighs every low pod and node


def test_placed_objective_by_patterns_places_high_priority_and_bounds_the_rest():
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(ItemGroup("low", (4,), count=3), ItemGroup("high", (6,), count=2, priority=5)),
        node_types=(NodeType("n", (10,), count=2),),
        objective=Objective.PLACED,
    )
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.optimal
    placed_groups = sorted(problem.group_of(i) for i in result.placement)
    assert placed_groups == [0, 0, 1, 1]  # both high pods, each beside one low pod
    assert result.unplaced == (2,)
    assert result.lower_bound == 1
    assert not check_placement(problem, result.placement)


def test_arcflow_milp_finds_perfect_triplets():
    weights = [(50,), (49,), (48,), (27,), (26,), (25,), (24,), (23,), (22,)]
    demands = [1] * len(weights)
    # 50+27+23, 49+26+25, 48+... : 9 items, total 294 -> 3 bins of 100 only if they fit exactly.
    graph = build_arcflow(weights, demands, (100,))
    assert graph is not None
    solution = arcflow_milp(graph, demands, time_limit=10)
    assert solution.value == 3
    assert solution.optimal
    assert solution.flows is not None


# ---------------------------------------------------------------------------- compact model


def _two_type_problem(objective: Objective = Objective.NODES) -> PackingProblem:
    # Four pods of 3 cpu, two anti-affine pods of 2 cpu, on nodes of 6 (cost 5) or 8 (cost 6).
    # Volume 16: two 8-cpu nodes would hold it (3+3+2 twice), one anti-affine pod per node.
    return PackingProblem(
        dimensions=("cpu",),
        groups=(
            ItemGroup("web", (3,), count=4),
            ItemGroup("db", (2,), count=2, max_per_node=1),
        ),
        node_types=(
            NodeType("small", (6,), count=4, cost=5),
            NodeType("big", (8,), count=4, cost=6),
        ),
        objective=objective,
    )


def test_compact_model_finds_a_packing_within_the_budget():
    problem = _two_type_problem()
    found = compact_feasible(problem, 2, {0: 4, 1: 4}, deadline=time.perf_counter() + 5)
    assert found.placement is not None
    assert not check_placement(problem, found.placement)
    assert len(found.placement) == problem.n_items
    nodes = set(found.placement.values())
    assert len(nodes) == 2
    assert all(problem.type_of(b) == 1 for b in nodes)  # only 8-cpu nodes hold 3+3+2
    db_nodes = [found.placement[i] for i in range(4, 6)]
    assert len(set(db_nodes)) == 2  # anti-affinity


def test_compact_model_proves_a_budget_too_small_when_every_node_has_a_slot():
    problem = _two_type_problem()
    # One node cannot hold 16 cpu: with every usable node modelled, that is a proof.
    refuted = compact_feasible(problem, 1, {0: 4, 1: 4}, deadline=time.perf_counter() + 5)
    assert refuted.placement is None
    assert refuted.infeasible
    assert refuted.exhaustive
    # Without slots for the 8-cpu type the model is no proof, even when it is infeasible.
    partial = compact_feasible(problem, 2, {0: 4}, deadline=time.perf_counter() + 5)
    assert partial.placement is None
    assert partial.infeasible
    assert not partial.exhaustive


def test_compact_model_respects_the_cost_budget():
    problem = _two_type_problem(Objective.COST)
    # Two big nodes cost 12; three small ones (3+3, 3+2, 3+2) cost 15.
    found = compact_feasible(problem, 12, {0: 4, 1: 4}, deadline=time.perf_counter() + 5)
    assert found.placement is not None
    assert not check_placement(problem, found.placement)
    used = {found.placement[i] for i in found.placement}
    assert sum(problem.node_types[problem.type_of(b)].cost for b in used) <= 12
    refuted = compact_feasible(problem, 11, {0: 4, 1: 4}, deadline=time.perf_counter() + 5)
    assert refuted.infeasible
    assert refuted.exhaustive


def test_compact_model_rejects_bad_arguments():
    problem = _two_type_problem()
    with pytest.raises(InputError) as err:
        compact_feasible(problem, 2.5, {0: 1}, deadline=time.perf_counter() + 1)  # type: ignore[arg-type]
    assert err.value.path == "target"
    with pytest.raises(InputError) as err:
        compact_feasible(problem, 2, [1, 2], deadline=time.perf_counter() + 1)  # type: ignore[arg-type]
    assert err.value.path == "slots_per_type"
    placed = _two_type_problem(Objective.PLACED)
    with pytest.raises(InputError) as err:
        compact_feasible(placed, 2, {0: 1}, deadline=time.perf_counter() + 1)
    assert err.value.path == "objective"
    # Two slots of each type, one slot variable plus one per group each.
    assert compact_size(problem, 2, {0: 2, 1: 2}) == 4 * 3


def test_kubernetes_shaped_problem_is_proven_optimal_at_the_column_generation_bound():
    # 12 replica groups of mixed cpu/memory shapes, two of them anti-affine, on two node types.
    # The heuristics need one node more than the volume bound; the compact model meets it.
    import random  # noqa: PLC0415

    rng = random.Random(0)  # noqa: S311 - seeded instance generator
    groups = tuple(
        ItemGroup(
            f"deploy-{g}",
            (rng.choice([250, 500, 1000, 1500, 2000]), rng.choice([256, 512, 1024, 2048, 4096]), 1),
            count=4 if g < 2 else rng.randint(10, 40),
            max_per_node=1 if g < 2 else None,
        )
        for g in range(12)
    )
    problem = PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=groups,
        node_types=(
            NodeType("4xlarge", (15_890, 61_000, 234), count=20, cost=77),
            NodeType("8xlarge", (31_850, 124_000, 234), count=20, cost=154),
        ),
    )
    heuristic = best_heuristic(problem.normalized(), restarts=0)[0].nodes_used
    result = solve(problem, options=SolveOptions(time_limit=8.0, restarts=0))
    assert not check_placement(problem, result.placement)
    assert len(result.placement) == problem.n_items
    assert result.optimal
    assert result.nodes_used == result.lower_bound
    assert result.nodes_used < heuristic  # the search, not a heuristic, found it
    assert result.lower_bound >= lower_bound(problem.normalized()).value


def test_heuristic_restarts_stop_at_the_deadline():
    problem = bin_packing_problem([100], [((37,), 40), ((21,), 30)])
    runs = best_heuristic(problem, restarts=50, deadline=time.perf_counter() - 1)
    assert not any("-r" in p.name for p in runs)  # only the deterministic runs
    assert runs[0].nodes_used >= 1
    assert len(best_heuristic(problem, restarts=5)) > len(runs)


def test_milp_in_a_child_process_returns_the_solution_and_honours_a_past_deadline():
    import numpy as np  # noqa: PLC0415
    from scipy.optimize import Bounds, LinearConstraint  # noqa: PLC0415

    from kmodel.placement.engine.isolated import milp_until  # noqa: PLC0415

    # max 5a + 4b  s.t.  6a + 4b <= 24, a + 2b <= 6, a, b integers: (4, 0) gives 20, and
    # every other feasible point less (e.g. (3, 1) gives 19, (2, 2) 18).
    problem = {
        "c": np.array([-5.0, -4.0]),
        "constraints": [LinearConstraint(np.array([[6.0, 4.0], [1.0, 2.0]]), -np.inf, [24, 6])],
        "integrality": np.ones(2),
        "bounds": Bounds(0, 10),
    }
    solved = milp_until(time.perf_counter() + 10, **problem)
    assert solved.status == 0
    assert solved.x is not None
    assert [round(v) for v in solved.x] == [4, 0]
    assert solved.fun == pytest.approx(-20.0)
    late = milp_until(time.perf_counter() - 1, **problem)
    assert late.x is None
    assert late.status == 1
    with pytest.raises(InputError):
        milp_until("soon", **problem)  # type: ignore[arg-type]


def test_placed_objective_with_every_pod_placed_bounds_the_nodes():
    # Ten pods of 3 on nodes of 10: all fit (the first criterion is met), and at least
    # ceil(30 / 10) = 3 nodes... but three 3s per node leave room for no fourth: 4 nodes.
    problem = replace(bin_packing_problem([10], [((3,), 10)]), objective=Objective.PLACED)
    result = solve(problem, options=SolveOptions(time_limit=10))
    assert result.unplaced == ()
    assert result.nodes_used == 4
    assert result.nodes_lower_bound is not None
    assert 3 <= result.nodes_lower_bound <= result.nodes_used
    # The other objectives leave it empty.
    nodes = solve(bin_packing_problem([10], [((3,), 10)]), options=SolveOptions(time_limit=10))
    assert nodes.nodes_lower_bound is None


def test_leftover_pods_go_where_they_still_fit():
    # Nodes of 10; two pods of 5 (low priority), two of 6 (high). The placement given leaves
    # the second 6 out although node 2 is empty.
    problem = PackingProblem(
        dimensions=("cpu",),
        groups=(
            ItemGroup("low", (5,), count=2, priority=0),
            ItemGroup("high", (6,), count=2, priority=10),
        ),
        node_types=(NodeType("n", (10,), count=3),),
        objective=Objective.PLACED,
    )
    # items 0, 1: low; 2, 3: high. Node 0 holds 0 and 1 (full); node 1 holds 2.
    placement = {0: 0, 1: 0, 2: 1}
    repaired = place_leftovers(problem, placement)
    assert repaired is not None
    assert repaired[3] == 2  # the high-priority pod takes the empty node
    assert not check_placement(problem, repaired)
    # Nothing left that fits: no change.
    assert place_leftovers(problem, repaired) is None
    full = {0: 0, 1: 0, 2: 1, 3: 2}
    assert place_leftovers(problem, full) is None


def test_a_group_per_pod_solves_to_a_valid_packing_within_the_limit():
    # A trace with a group per pod (1,200 groups): every step copes with the size (the depth
    # limit of the recursive searches is tested on each search directly).
    rng = random.Random(7)  # noqa: S311 - seeded instance
    groups = tuple(
        ItemGroup(f"p{i}", (rng.randint(100, 4000), rng.randint(100, 16000)), count=1)
        for i in range(1200)
    )
    problem = PackingProblem(
        dimensions=("cpu", "memory"),
        groups=groups,
        node_types=(
            NodeType("a", (8000, 32000), count=400, cost=3),
            NodeType("b", (16000, 64000), count=300, cost=5),
        ),
        objective=Objective.COST,
    )
    result = solve(problem, options=SolveOptions(time_limit=3))
    assert result.nodes_used is not None
    assert not result.unplaced
    assert not check_placement(problem, result.placement)
    assert result.lower_bound <= result.cost
