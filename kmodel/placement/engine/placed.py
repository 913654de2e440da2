"""The PLACED objective by the pattern model: most pods by priority, then fewest nodes.

The master's unplaced columns carry lexicographic weights
(:func:`kmodel.placement.engine.master.unplaced_weights`); column generation bounds the
weighted objective and the integer master over its patterns gives the packing, whose leftover
pods are then put wherever they still fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from kmodel.placement.engine.bounds import nodes_bound
from kmodel.placement.engine.column_generation import column_generation
from kmodel.placement.engine.heuristics import Packing
from kmodel.placement.engine.master import (
    initial_patterns,
    placement_of_patterns,
    unplaced_weights,
)
from kmodel.placement.engine.price_and_branch import pattern_milp
from kmodel.placement.engine.problem import (
    PackingProblem,
    PackingResult,
    Status,
    check_placement,
    nodes_and_cost,
    packing_result,
)
from kmodel.placement.engine.schedule import SCHEDULE, Clock

__all__ = ["place_leftovers", "solve_placed"]


def solve_placed(
    original: PackingProblem,
    problem: PackingProblem,
    packings: Sequence[Packing],
    *,
    lb: int,
    clock: Clock,
) -> PackingResult | None:
    """PLACED by the pattern model: most pods by priority, then fewest nodes (HiGHS)."""
    weights = unplaced_weights(problem)
    if weights is None:
        return None
    best = packings[0]

    def weighted(placement: dict[int, int]) -> int:
        unplaced = Counter(
            problem.group_of(i) for i in range(problem.n_items) if i not in placement
        )
        nodes, _ = nodes_and_cost(problem, placement)
        return nodes + sum(weights[g] * n for g, n in unplaced.items())

    incumbent = best.placement
    value = weighted(incumbent)
    cg = column_generation(
        problem,
        initial_patterns(problem, packings),
        deadline=clock.deadline(SCHEDULE.placed_relaxation),
        upper_bound=value,
    )
    method = best.name
    if cg.lower_bound < value:
        solution = pattern_milp(
            problem,
            cg.patterns,
            # Decoding, checking and placing leftovers take a moment on thousands of pods.
            deadline=clock.deadline(SCHEDULE.placed_master),
            lower_bound=cg.lower_bound,
            cutoff=value - 1,
        )
        if solution.value is not None:
            placement = placement_of_patterns(problem, solution.chosen, partial=True)
            if not check_placement(problem, placement) and weighted(placement) < value:
                incumbent, value = placement, weighted(placement)
                method = "pattern MILP (HiGHS)"
    repaired = place_leftovers(problem, incumbent)
    if repaired is not None and weighted(repaired) < value:
        incumbent, value = repaired, weighted(repaired)
        method += " + leftovers placed"
    optimal = cg.lower_bound >= value
    # A bound on the unplaced pods: one level only, the nodes term is below one pod's weight.
    unplaced_lb = lb
    if len({g.priority for g in problem.groups}) <= 1 and weights:
        unplaced_lb = max(lb, -(-(cg.lower_bound - problem.n_nodes) // weights[0]))
    n_unplaced = problem.n_items - len(incumbent)
    result = packing_result(
        original,
        seconds=clock.elapsed(),
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        bound=n_unplaced if optimal else min(unplaced_lb, n_unplaced),
        placement=incumbent,
        method=f"{method}; bound pattern LP (HiGHS)",
    )
    if n_unplaced == 0:
        # Everything placed (the first criterion is met): the weighted bound bounds the nodes.
        proven = max(cg.lower_bound, nodes_bound(problem).value)
        return replace(result, nodes_lower_bound=proven)
    return result


def place_leftovers(problem: PackingProblem, placement: dict[int, int]) -> dict[int, int] | None:
    """Unplaced pods put where they still fit, used nodes first: a better PLACED packing.

    The integer master can stop at the time limit with pods out that fit somewhere (an empty
    node, room left on a used one). Higher priorities first; capacity, eligibility and the
    per-node limit are checked here, everything at the end by :func:`check_placement` (``None``
    when nothing changes or the result breaks a rule, e.g. a per-domain cap).
    """
    left = [i for i in range(problem.n_items) if i not in placement]
    if not left:
        return None
    free = {b: list(problem.node_types[problem.type_of(b)].free) for b in range(problem.n_nodes)}
    per_node: Counter[tuple[int, int]] = Counter()
    for item, node in placement.items():
        g = problem.group_of(item)
        per_node[g, node] += 1
        for d, w in enumerate(problem.groups[g].demand):
            free[node][d] -= w
    used = set(placement.values())
    order = sorted(used) + [b for b in range(problem.n_nodes) if b not in used]
    out = dict(placement)
    for item in sorted(left, key=lambda i: -problem.groups[problem.group_of(i)].priority):
        g = problem.group_of(item)
        grp = problem.groups[g]
        for node in order:
            if not problem.eligible(g, problem.type_of(node)):
                continue
            if grp.max_per_node is not None and per_node[g, node] >= grp.max_per_node:
                continue
            if all(w <= f for w, f in zip(grp.demand, free[node], strict=True)):
                out[item] = node
                per_node[g, node] += 1
                for d, w in enumerate(grp.demand):
                    free[node][d] -= w
                break
    if len(out) == len(placement) or check_placement(problem, out):
        return None
    return out
