"""The compact (assignment) integer model, solved by HiGHS as a feasibility problem.

``x[g, s]``: pods of group ``g`` on node slot ``s``; ``u[s]``: slot ``s`` is used. Slots are
the first nodes of each type (identical nodes are interchangeable, so the first ``n`` stand for
any ``n``). Constraints: every group placed exactly, capacity per slot and dimension (only on a
used slot), anti-affinity (``x <= max_per_node * u``), per-domain caps, and the objective as a
budget ``sum cost(s) u[s] <= target``; identical slots are used in order (symmetry).

By default there is no objective: HiGHS stops at the first packing within the budget (with
``optimize`` it minimises the objective within the budget instead). The column generation bound
tells which ``target`` to ask for (its rounded-up LP value) and how many nodes of each type the
relaxation uses, so a few slots per type suffice: on replica groups this model finds a packing
at the bound, which proves it optimal, where the pattern MILP over the generated columns often
finds none (benchmarks/README.md).

When every node that could be used has a slot (:attr:`CompactSolution.exhaustive`), HiGHS's
"infeasible" is a proof that no packing meets the budget.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from kmodel.errors import InputError
from kmodel.placement.engine.bounds import node_count_bound
from kmodel.placement.engine.isolated import milp_until, quiet_highs
from kmodel.placement.engine.master import fixed_value
from kmodel.placement.engine.problem import (
    Objective,
    PackingProblem,
    check_placement,
    next_objective_value,
    objective_of,
)
from kmodel.placement.engine.rows import SparseRows
from kmodel.placement.engine.schedule import SCHEDULE, Clock, Share

__all__ = [
    "MAX_COMPACT_VARIABLES",
    "CompactSolution",
    "compact_at_bound",
    "compact_feasible",
    "compact_out_of_reach",
    "compact_search",
    "compact_size",
    "node_counts_at_bound",
    "pack_node_counts",
]


@dataclass(frozen=True)
class CompactSolution:
    """Outcome of :func:`compact_feasible`.

    Attributes:
        placement: item -> node, within the budget (``None``: none found).
        infeasible: HiGHS proved that no packing on the given slots meets the budget.
        exhaustive: the slots cover every node that a packing within the budget could use, so
            ``infeasible`` proves that no packing at all meets it.
        bound: with ``optimize``, HiGHS's proven lower bound on the objective over the slots
            (fixed value included); a bound on every packing when ``exhaustive``.
    """

    placement: dict[int, int] | None
    infeasible: bool
    exhaustive: bool
    bound: int | None = None


def _slot_cost(problem: PackingProblem, node_type: int) -> int:
    typ = problem.node_types[node_type]
    if typ.preloaded:
        return 0  # in use whatever the packing: part of the fixed value
    return typ.cost if problem.objective is Objective.COST else 1


def _slots(
    problem: PackingProblem, target: int, slots_per_type: Mapping[int, int]
) -> tuple[list[int], bool]:
    """Slot node indices and whether they cover every node usable within the budget."""
    budget = target - fixed_value(problem)
    nodes: list[int] = []
    exhaustive = True
    for t, typ in enumerate(problem.node_types):
        cost = _slot_cost(problem, t)
        # The most nodes of the type a packing within the budget can use.
        most = typ.count if typ.preloaded or cost == 0 else min(typ.count, max(0, budget) // cost)
        most = min(most, problem.n_items) if not typ.preloaded else most
        keep = min(most, max(0, slots_per_type.get(t, 0))) if not typ.preloaded else most
        exhaustive &= keep >= most
        first = problem.first_node(t)
        nodes.extend(range(first, first + keep))
    return nodes, exhaustive


def compact_size(problem: PackingProblem, target: int, slots_per_type: Mapping[int, int]) -> int:
    """Integer variables the model of :func:`compact_feasible` would have (to budget its use)."""
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    nodes, _ = _slots(problem, target, slots_per_type)
    return len(nodes) * (len(problem.groups) + 1)


def compact_feasible(
    problem: PackingProblem,
    target: int,
    slots_per_type: Mapping[int, int],
    *,
    deadline: float,
    optimize: bool = False,
) -> CompactSolution:
    """Find a packing whose objective value is at most ``target`` (NODES or COST), by HiGHS.

    Args:
        problem: a NODES or COST problem (normalised units keep the coefficients small).
        target: the largest objective value accepted (the fixed value of preloaded nodes
            included, as in :class:`~kmodel.placement.engine.problem.PackingResult`).
        slots_per_type: node type index -> how many of its nodes the model may use (capped by
            the type's count and by the budget; preloaded types always get every node).
        deadline: ``time.perf_counter()`` value at which to give up.
        optimize: minimise the objective within the budget (the best found when the time runs
            out, with HiGHS's bound) instead of stopping at the first packing.

    Returns:
        The packing found, or whether the model was proven infeasible.

    Raises:
        InputError: the objective is PLACED, or an argument is malformed.
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    if problem.objective is Objective.PLACED:
        raise InputError(
            "the compact model handles the nodes and cost objectives", path="objective"
        )
    if isinstance(target, bool) or not isinstance(target, int):
        raise InputError(f"expected an integer, got {target!r}", path="target")
    if not isinstance(slots_per_type, Mapping):
        raise InputError("expected a mapping of node type index to count", path="slots_per_type")
    nodes, exhaustive = _slots(problem, target, slots_per_type)
    budget = target - fixed_value(problem)
    if budget < 0:
        return CompactSolution(None, infeasible=True, exhaustive=True)

    n_groups = len(problem.groups)
    x_index: dict[tuple[int, int], int] = {}
    u_index: dict[int, int] = {}
    upper: list[float] = []
    for s, b in enumerate(nodes):
        t = problem.type_of(b)
        if not problem.node_types[t].preloaded:
            u_index[s] = len(upper)
            upper.append(1.0)
        for g in range(n_groups):
            limit = problem.most_per_node(g, t)
            if limit > 0:
                x_index[g, s] = len(upper)
                upper.append(float(limit))
    n_vars = len(upper)
    rows = SparseRows(n_vars)
    row = rows.add
    by_group: dict[int, list[int]] = {}
    for (g, _), j in x_index.items():
        by_group.setdefault(g, []).append(j)
    for g, grp in enumerate(problem.groups):
        if not grp.count:
            continue
        js = by_group.get(g)
        if not js:
            return CompactSolution(None, infeasible=True, exhaustive=exhaustive)
        row([(j, 1.0) for j in js], float(grp.count), float(grp.count))
    n_dims = len(problem.dimensions)
    for s, b in enumerate(nodes):
        typ = problem.node_types[problem.type_of(b)]
        u = u_index.get(s)
        for d in range(n_dims):
            entries = [
                (x_index[g, s], float(problem.groups[g].demand[d]))
                for g in range(n_groups)
                if (g, s) in x_index and problem.groups[g].demand[d]
            ]
            if not entries:
                continue
            if u is None:
                row(entries, -np.inf, float(typ.free[d]))
            else:
                row([*entries, (u, -float(typ.free[d]))], -np.inf, 0.0)
        if u is not None:
            # Anti-affinity and zero-demand pods: a pod on a slot makes the slot used.
            for g in range(n_groups):
                col = x_index.get((g, s))
                grp = problem.groups[g]
                if col is not None and (grp.max_per_node is not None or not any(grp.demand)):
                    row([(col, 1.0), (u, -upper[col])], -np.inf, 0.0)
    names = {typ.name: t for t, typ in enumerate(problem.node_types)}
    for g, grp in enumerate(problem.groups):
        for cap in grp.domain_caps:
            for domain in cap.domains:
                types = {names[n] for n in domain}
                inside = [
                    (j, 1.0)
                    for (gg, s), j in x_index.items()
                    if gg == g and problem.type_of(nodes[s]) in types
                ]
                if inside:
                    row(inside, -np.inf, float(cap.limit))
    spend = [(j, float(_slot_cost(problem, problem.type_of(nodes[s])))) for s, j in u_index.items()]
    spend = [(j, c) for j, c in spend if c]
    if spend:
        row(spend, -np.inf, float(budget))
    # Symmetry: identical empty slots are used in order, the first ones first.
    for s in range(len(nodes) - 1):
        if problem.type_of(nodes[s]) == problem.type_of(nodes[s + 1]):
            here, there = u_index.get(s), u_index.get(s + 1)
            if here is not None and there is not None:
                row([(here, 1.0), (there, -1.0)], 0.0, np.inf)

    left = deadline - time.perf_counter()
    if left <= 0.05 or n_vars == 0:
        return CompactSolution(None, infeasible=False, exhaustive=exhaustive)
    objective = np.zeros(n_vars)
    if optimize:
        for j, c in spend:
            objective[j] = c
    fixed = fixed_value(problem)
    # In a child process: HiGHS overruns its time limit at the root of large models.
    res = milp_until(
        deadline,
        c=objective,
        constraints=rows.constraints(),
        integrality=np.ones(n_vars),
        bounds=Bounds(np.zeros(n_vars), np.array(upper)),
        options={"time_limit": left},
    )
    bound = None
    if optimize and res.mip_dual_bound is not None:
        dual = float(res.mip_dual_bound)
        if np.isfinite(dual):
            bound = fixed + math.ceil(dual - 1e-6)
    if res.x is None:
        # scipy: status 2 is "infeasible" (proven); 1 is the time or iteration limit.
        infeasible = res.status == 2
        return CompactSolution(None, infeasible=infeasible, exhaustive=exhaustive, bound=bound)
    placement: dict[int, int] = {}
    next_item = [problem.first_item(g) for g in range(n_groups)]
    for (g, s), j in sorted(x_index.items()):
        for _ in range(round(res.x[j])):
            placement[next_item[g]] = nodes[s]
            next_item[g] += 1
    return CompactSolution(placement, infeasible=False, exhaustive=exhaustive, bound=bound)


# ---------------------------------------------------------------------------- fixed node counts


def _allocate(
    problem: PackingProblem, counts: Mapping[int, int], deadline: float
) -> np.ndarray | None:
    """Pods of each group per node type (integers) within the types' summed free capacity."""
    n_groups, n_types = len(problem.groups), len(problem.node_types)
    n_vars = n_groups * n_types
    upper = np.zeros(n_vars)
    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    for g, grp in enumerate(problem.groups):
        for t in range(n_types):
            upper[g * n_types + t] = counts.get(t, 0) * problem.most_per_node(g, t)
        entry = np.zeros(n_vars)
        entry[g * n_types : (g + 1) * n_types] = 1.0
        rows.append(entry)
        lo.append(float(grp.count))
        hi.append(float(grp.count))
    for t, typ in enumerate(problem.node_types):
        for d in range(len(problem.dimensions)):
            entry = np.zeros(n_vars)
            entry[t::n_types] = [float(grp.demand[d]) for grp in problem.groups]
            rows.append(entry)
            lo.append(-np.inf)
            hi.append(float(counts.get(t, 0) * typ.free[d]))
    left = deadline - time.perf_counter()
    if left <= 0:
        return None
    res = milp(
        np.zeros(n_vars),
        constraints=[LinearConstraint(np.array(rows), np.array(lo), np.array(hi))],
        integrality=np.ones(n_vars),
        bounds=Bounds(np.zeros(n_vars), upper),
        options={"time_limit": min(1.0, left)},
    )
    if res.x is None:
        return None
    split: np.ndarray = np.rint(res.x).astype(np.int64).reshape(n_groups, n_types)
    return split


def _fill_nodes(  # noqa: PLR0917 - private, called from one place
    problem: PackingProblem,
    demand: np.ndarray,
    weight: np.ndarray,
    limits: np.ndarray,
    free: np.ndarray,
    pods: np.ndarray,
    n_nodes: int,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Fill ``n_nodes`` identical nodes one at a time, each as full as a knapsack can make it.

    Each node takes at most its fair share (plus one) of what is left of every group, so the
    last nodes are not left with only the small pods (which run into the pod-count limit).
    Returns the nodes' contents and the pods that did not fit.
    """
    remaining = pods.copy()
    contents: list[np.ndarray] = []
    for k in range(n_nodes):
        share = remaining if k == n_nodes - 1 else np.ceil(remaining / (n_nodes - k)) + 1
        upper = np.minimum(np.minimum(remaining, share), limits).astype(float)
        res = milp(
            -weight,
            constraints=[LinearConstraint(demand, -np.inf, free)],
            integrality=np.ones(len(problem.groups)),
            bounds=Bounds(np.zeros(len(upper)), upper),
            options={"time_limit": 1.0},
        )
        taken = np.zeros(len(upper), dtype=np.int64) if res.x is None else np.rint(res.x)
        taken = taken.astype(np.int64)
        remaining -= taken
        contents.append(taken)
    return contents, remaining


def _repair(
    problem: PackingProblem,
    node_type: list[int],
    contents: list[np.ndarray],
    leftover: np.ndarray,
    weight: np.ndarray,
    *,
    deadline: float,
    rng: random.Random,
) -> np.ndarray:
    """Large-neighbourhood search: re-pack a few nodes together with the pods left over.

    Each round frees the nodes with the most room (and a few at random), then HiGHS packs their
    pods and the leftovers back into them, maximising the weight placed; the round is kept when
    the leftover weight does not grow. Small neighbourhoods solve in milliseconds, and the pods
    that did not fit drift towards the nodes that have room. Returns the pods still left over.
    """
    n_groups = len(problem.groups)
    n_dims = len(problem.dimensions)
    demand = np.array([[grp.demand[d] for grp in problem.groups] for d in range(n_dims)], float)
    free = [np.array(problem.node_types[t].free, float) for t in range(len(problem.node_types))]
    limits = [
        np.array([problem.most_per_node(g, t) for g in range(n_groups)], float)
        for t in range(len(problem.node_types))
    ]
    size = min(len(contents), NEIGHBOURHOOD_NODES)
    while leftover.any() and time.perf_counter() < deadline - 0.02:
        room = [
            float(np.min((free[t] - demand @ c) / np.maximum(free[t], 1)))
            for t, c in zip(node_type, contents, strict=True)
        ]
        order = sorted(range(len(contents)), key=lambda b: -room[b] - 0.05 * rng.random())
        chosen = order[: size // 2] + rng.sample(order[size // 2 :], size - size // 2)
        pool = leftover + sum(contents[b] for b in chosen)
        n_vars = n_groups * len(chosen)
        matrix = np.zeros((n_dims * len(chosen) + n_groups, n_vars))
        hi = np.zeros(n_dims * len(chosen) + n_groups)
        upper = np.zeros(n_vars)
        for j, b in enumerate(chosen):
            block = slice(j * n_groups, (j + 1) * n_groups)
            matrix[j * n_dims : (j + 1) * n_dims, block] = demand
            hi[j * n_dims : (j + 1) * n_dims] = free[node_type[b]]
            upper[block] = np.minimum(pool, limits[node_type[b]])
        for g in range(n_groups):
            matrix[n_dims * len(chosen) + g, g::n_groups] = 1.0
        hi[n_dims * len(chosen) :] = pool
        left = deadline - time.perf_counter()
        res = milp(
            -np.tile(weight, len(chosen)),
            constraints=[LinearConstraint(matrix, -np.inf, hi)],
            integrality=np.ones(n_vars),
            bounds=Bounds(np.zeros(n_vars), upper),
            options={"time_limit": min(NEIGHBOURHOOD_SECONDS, max(0.01, left))},
        )
        if res.x is None:
            continue
        packed = np.rint(res.x).astype(np.int64).reshape(len(chosen), n_groups)
        rest = pool - packed.sum(axis=0)
        if float(weight @ rest) <= float(weight @ leftover) + 1e-9:
            for j, b in enumerate(chosen):
                contents[b] = packed[j]
            leftover = rest
    return leftover


#: Nodes re-packed together in one round of :func:`pack_node_counts`'s repair (fewer stall, more
#: solve too slowly; see benchmarks/README.md).
NEIGHBOURHOOD_NODES = 8
#: HiGHS's time limit for one repair round.
NEIGHBOURHOOD_SECONDS = 0.2


def pack_node_counts(
    problem: PackingProblem,
    counts: Mapping[int, int],
    *,
    deadline: float,
    seed: int = 0,
) -> dict[int, int] | None:
    """Pack every pod on exactly the first ``counts[t]`` nodes of each type ``t`` (a heuristic).

    Where the node counts of a cheapest packing are known (e.g. from
    :func:`kmodel.placement.engine.bounds.node_count_bound`) but the packing itself is tight -- the
    nodes' summed cpu a few hundred millicores above the pods' -- HiGHS on the whole compact
    model wanders. This builds one instead: HiGHS splits each group's pods between the types
    within their summed capacity, each node is filled by a small knapsack (its fair share of
    every group at most), and a large-neighbourhood search re-packs a few nodes at a time with
    the pods left over until none is left or the deadline passes.

    Args:
        problem: a problem without per-domain caps (zone spreading is not modelled here).
        counts: node type index -> how many of its nodes to use (capped by the type's count).
        deadline: ``time.perf_counter()`` value at which to give up.
        seed: seed of the neighbourhood choice.

    Returns:
        A placement of every pod on those nodes, or ``None`` when none was found in time.

    Raises:
        InputError: ``counts`` is malformed.
    """
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    if not isinstance(counts, Mapping):
        raise InputError("expected a mapping of node type index to count", path="counts")
    capped: dict[int, int] = {}
    for t, n in counts.items():
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < len(problem.node_types):
            raise InputError(f"no node type {t!r}", path=f"counts[{t!r}]")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InputError(f"expected a non-negative integer, got {n!r}", path=f"counts[{t}]")
        capped[t] = min(n, problem.node_types[t].count)
    if any(grp.domain_caps for grp in problem.groups):
        return None
    with quiet_highs():
        return _pack_node_counts(problem, capped, deadline=deadline, seed=seed)


def _pack_node_counts(
    problem: PackingProblem, capped: dict[int, int], *, deadline: float, seed: int
) -> dict[int, int] | None:
    allocation = _allocate(problem, capped, deadline)
    if allocation is None:
        return None
    n_dims = len(problem.dimensions)
    demand = np.array([[grp.demand[d] for grp in problem.groups] for d in range(n_dims)], float)
    # A pod's weight: its share of the chosen nodes' capacity, summed over the dimensions (and
    # a little per pod, so pods that need nothing still count as left over).
    total = np.array(
        [
            sum(capped.get(t, 0) * typ.free[d] for t, typ in enumerate(problem.node_types))
            for d in range(n_dims)
        ],
        float,
    )
    # Tight dimensions count most: a dimension with room to spare hardly constrains anything.
    tightness = (demand @ allocation.sum(axis=1)) / np.maximum(total, 1)
    weight = ((demand / np.maximum(total, 1)[:, None]) * tightness[:, None] ** 8).sum(axis=0)
    weight = weight / max(float(weight.max()), 1e-12) + 1e-6
    node_type: list[int] = []
    contents: list[np.ndarray] = []
    leftover = np.zeros(len(problem.groups), dtype=np.int64)
    for t, n in sorted(capped.items()):
        if not n:
            continue
        typ = problem.node_types[t]
        limits = np.array([problem.most_per_node(g, t) for g in range(len(problem.groups))], float)
        filled, rest = _fill_nodes(
            problem, demand, weight, limits, np.array(typ.free, float), allocation[:, t], n
        )
        node_type.extend([t] * n)
        contents.extend(filled)
        leftover += rest
    if time.perf_counter() >= deadline:
        return None
    leftover = _repair(
        problem,
        node_type,
        contents,
        leftover,
        weight,
        deadline=deadline,
        rng=random.Random(seed),  # noqa: S311 - seeded search, not secrets
    )
    if leftover.any():
        return None
    placement: dict[int, int] = {}
    next_item = [problem.first_item(g) for g in range(len(problem.groups))]
    position = dict.fromkeys(capped, 0)
    for t, content in zip(node_type, contents, strict=True):
        node = problem.first_node(t) + position[t]
        position[t] += 1
        for g, k in enumerate(content):
            for _ in range(int(k)):
                placement[next_item[g]] = node
                next_item[g] += 1
    return placement


# ---------------------------------------------------------------------------- steps of the solve


#: The largest compact model (integer variables) handed to HiGHS at the bound.
MAX_COMPACT_VARIABLES = 30_000


def compact_out_of_reach(problem: PackingProblem, lb: int) -> bool:
    """Whether the compact model is too large for HiGHS even at the bound ``lb`` (NODES).

    Every packing uses at least ``lb`` nodes, each a slot of ``groups + 1`` variables, so no
    call of :func:`compact_at_bound` or :func:`compact_search` would run.
    """
    return (
        problem.objective is Objective.NODES
        and lb * (len(problem.groups) + 1) > MAX_COMPACT_VARIABLES
    )


def compact_at_bound(
    problem: PackingProblem,
    usage: dict[int, float],
    *,
    lb: int,
    clock: Clock,
    share: Share = SCHEDULE.compact_at_bound,
) -> tuple[int, dict[int, int] | None]:
    """Ask the compact model (HiGHS) for a packing at the lower bound: (bound, packing).

    The slots per type are the relaxation's nodes of the type rounded up, plus one; a packing
    found is optimal. When the slots cover every usable node, "infeasible" raises the bound.
    ``share``: its slice of the time left.
    """
    slots = {
        t: math.ceil(usage.get(t, 0.0) - 1e-6) + 1
        for t, typ in enumerate(problem.node_types)
        if typ.count
    }
    if compact_size(problem, lb, slots) > MAX_COMPACT_VARIABLES:
        return lb, None
    solution = compact_feasible(problem, lb, slots, deadline=clock.deadline(share))
    if solution.placement is not None:
        placement = solution.placement
        if check_placement(problem, placement) or len(placement) != problem.n_items:
            return lb, None  # pragma: no cover - a bug, never a packing
        if objective_of(problem, placement) <= lb:
            return lb, placement
        return lb, None  # pragma: no cover - the budget row makes this impossible
    if solution.infeasible and solution.exhaustive:
        return next_objective_value(problem, lb), None
    return lb, None


def node_counts_at_bound(
    problem: PackingProblem, *, lb: int, clock: Clock
) -> dict[int, int] | None:
    """A packing at the bound on the node counts of the cheapest integer cover, if one is found.

    The node-count cover (:func:`kmodel.placement.engine.bounds.node_count_bound`) gives the
    cheapest whole numbers of nodes per type whose capacity holds the pods; when its value is
    the bound, a packing on exactly those nodes is optimal. On replica groups the cover's nodes
    have only a few hundred millicores to spare, which the compact model rarely finds in time
    and :func:`pack_node_counts` does. COST only: for NODES the compact model at the volume
    bound is already fast on replica groups (:func:`pack_node_counts` can overrun its deadline
    on large traces' counts).
    """
    if problem.objective is not Objective.COST or len(problem.node_types) < 2:
        return None
    cover_seconds = max(SCHEDULE.node_count_cover_min, clock.seconds(SCHEDULE.node_count_cover))
    cover = node_count_bound(problem, time_limit=cover_seconds)
    if cover.value > lb or not cover.counts or cover.value < lb:
        return None
    deadline = clock.deadline(SCHEDULE.node_count_packing)
    placement = pack_node_counts(problem, cover.counts, deadline=deadline)
    if placement is None or check_placement(problem, placement):
        return None
    if len(placement) != problem.n_items or objective_of(problem, placement) > lb:
        return None  # pragma: no cover - the counts' cost is the bound
    return placement


def compact_search(
    problem: PackingProblem,
    usage: dict[int, float],
    *,
    lb: int,
    ub: int,
    clock: Clock,
    share: Share = SCHEDULE.compact_search,
) -> dict[int, int] | None:
    """Better packings from the compact model, searching the budget between the bounds.

    A primal search only: the slots follow the relaxation (its nodes per type rounded up, plus
    two), so "infeasible" proves nothing and just moves the search up. The first budget is an
    eighth of the gap above the bound (a packing near the bound is what a proof needs), then
    bisection. Gets ``share`` of the time left. Returns the best packing found below ``ub``.
    """
    slots = {
        t: math.ceil(usage.get(t, 0.0) - 1e-6) + 2
        for t, typ in enumerate(problem.node_types)
        if typ.count
    }
    if compact_size(problem, ub, slots) > MAX_COMPACT_VARIABLES:
        return None
    deadline = clock.deadline(share)
    low, best, found = lb + 1, ub, None
    target = min(ub - 1, lb + max(1, -(-(ub - lb) // 8)))
    while low < best and time.perf_counter() < deadline - SCHEDULE.compact_search_stop:
        solution = compact_feasible(problem, target, slots, deadline=deadline)
        placement = solution.placement
        if placement is not None:
            if check_placement(problem, placement) or len(placement) != problem.n_items:
                return found  # pragma: no cover - a bug, never a packing
            found, best = placement, objective_of(problem, placement)
        elif solution.infeasible:
            low = target + 1
        else:
            break  # out of time
        target = (low + best - 1) // 2
    return found
