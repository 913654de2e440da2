"""Lower bounds computed directly (the solver is given them; it is not expected to find them).

One-dimensional bounds on the number of bins of capacity ``C`` for weights ``w``:

* volume: ``ceil(sum(w) / C)``;
* Martello and Toth's L2 (Martello, Toth, *Knapsack Problems*, 1990, section 8.3.1);
* the dual-feasible-function bounds of Fekete and Schepers (Math. Prog. 2001), the family
  ``u_k``, alone and composed with the "large item" function ``U_eps`` that gives L2.

For vectors each bound is applied to each dimension's projection with the largest capacity any
node offers in that dimension (a node with the largest capacity in every dimension dominates
every real node, so the relaxation is valid for heterogeneous nodes too). The conflict bound
counts a set of items that pairwise cannot share a node (in some dimension their sum exceeds
every capacity, or anti-affinity forbids it), and each anti-affinity group of ``n`` pods at most
``k`` per node needs ``ceil(n / k)`` nodes.

With several node types and a cost, :func:`node_count_bound` asks HiGHS for the cheapest whole
number of nodes of each type whose summed free capacity holds the pods, dimension by dimension,
with each group's pods spread over the types no denser than one node of the type allows
(anti-affinity, eligibility, capacity). Node counts are integers there, which the fractional
cover of :func:`cost_bound` ignores: on replica groups with costs 19/38/77/154 that is what
separates the cover from the optimum.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, milp

from kmodel.errors import InputError
from kmodel.placement.engine.problem import Objective, PackingProblem
from kmodel.placement.engine.rows import SparseRows

__all__ = [
    "Bound",
    "NodeCountBound",
    "anti_affinity_bound",
    "conflict_bound",
    "cost_bound",
    "dff_bound_1d",
    "l2_bound_1d",
    "lower_bound",
    "node_count_bound",
    "nodes_bound",
    "volume_bound",
    "volume_bound_1d",
]


@dataclass(frozen=True)
class Bound:
    """A proven lower bound and the argument that proves it."""

    value: int
    name: str


def _check_1d(weights: Sequence[int], capacity: int) -> None:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
        raise InputError(f"expected a positive integer, got {capacity!r}", path="capacity")
    for k, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, int) or w < 0:
            raise InputError(f"expected a non-negative integer, got {w!r}", path=f"weights[{k}]")
        if w > capacity:
            raise InputError(f"item {w} exceeds the capacity {capacity}", path=f"weights[{k}]")


def volume_bound_1d(weights: Sequence[int], capacity: int) -> int:
    """``ceil(sum(weights) / capacity)``."""
    _check_1d(weights, capacity)
    return -(-sum(weights) // capacity)


def l2_bound_1d(weights: Sequence[int], capacity: int) -> int:
    """Martello and Toth's L2 bound for one-dimensional bin packing.

    For each ``alpha`` in ``[0, C/2]``: items larger than ``C - alpha`` (J1) and items in
    ``(C/2, C - alpha]`` (J2) each need their own bin; items in ``[alpha, C/2]`` (J3) fill the
    room J2 leaves and then whole bins. Only the distinct weights (and 0) need be tried as
    ``alpha``. Runs in ``O(m log m)`` for ``m`` distinct weights.
    """
    _check_1d(weights, capacity)
    c = capacity
    positive = sorted(w for w in weights if w > 0)
    if not positive:
        return 0
    prefix = [0]
    for w in positive:
        prefix.append(prefix[-1] + w)

    def count_sum(lo_excl: float, hi_incl: float) -> tuple[int, int]:
        lo = bisect.bisect_right(positive, lo_excl)
        hi = bisect.bisect_right(positive, hi_incl)
        return hi - lo, prefix[hi] - prefix[lo]

    best = 0
    alphas = sorted({0, *(w for w in positive if 2 * w <= c)})
    for alpha in alphas:
        n1, _ = count_sum(c - alpha, c)
        n2, s2 = count_sum(c / 2, c - alpha)
        lo3 = bisect.bisect_left(positive, alpha)
        hi3 = bisect.bisect_right(positive, c / 2)
        s3 = prefix[hi3] - prefix[lo3]
        extra = max(0, -(-(s3 - (n2 * c - s2)) // c))
        best = max(best, n1 + n2 + extra)
    return max(best, -(-prefix[-1] // c))


def dff_bound_1d(weights: Sequence[int], capacity: int, *, max_k: int = 20) -> int:
    """Fekete and Schepers' dual-feasible-function bounds, max over ``k`` in ``1..max_k``.

    ``u_k(x) = x`` when ``(k + 1) x / C`` is an integer, else ``floor((k + 1) x / C) C / k``;
    scaled by ``k`` to stay in integers. Each ``u_k`` is also composed with ``U_eps``
    (weights above ``C - eps`` become ``C``, below ``eps`` become 0) for every distinct
    ``eps <= C / 2``, as in their paper; that composition dominates L2's idea.
    """
    _check_1d(weights, capacity)
    c = capacity
    counts = Counter(w for w in weights if w > 0)
    if not counts:
        return 0
    distinct = sorted(counts)
    best = -(-sum(w * n for w, n in counts.items()) // c)
    eps_values = [0, *(w for w in distinct if 2 * w <= c)]
    if len(eps_values) > 60:  # keep it fast on large instances: sample evenly
        step = len(eps_values) / 60
        eps_values = [eps_values[int(j * step)] for j in range(60)]
    for k in range(1, max_k + 1):
        for eps in eps_values:
            total = 0
            for w, n in counts.items():
                if w > c - eps:
                    v = k * c
                elif w < eps:
                    v = 0
                elif ((k + 1) * w) % c == 0:
                    v = k * w
                else:
                    v = ((k + 1) * w // c) * c
                total += v * n
            best = max(best, -(-total // (k * c)))
    return best


def _max_free(problem: PackingProblem) -> list[int]:
    cap = [0] * len(problem.dimensions)
    for t in problem.node_types:
        if t.count:
            cap = [max(a, b) for a, b in zip(cap, t.free, strict=True)]
    return cap


def _preloaded_nodes(problem: PackingProblem) -> int:
    return sum(t.count for t in problem.node_types if t.preloaded)


def volume_bound(problem: PackingProblem) -> int:
    """Fewest nodes whose free capacities, largest first, cover the total demand, per dimension."""
    n_dims = len(problem.dimensions)
    best = _preloaded_nodes(problem)
    for d in range(n_dims):
        total = sum(g.demand[d] * g.count for g in problem.groups)
        if total == 0:
            continue
        caps = sorted((t.free[d] for t in problem.node_types for _ in range(t.count)), reverse=True)
        covered, k = 0, 0
        while covered < total and k < len(caps):
            covered += caps[k]
            k += 1
        best = max(best, k if covered >= total else len(caps) + 1)
    return best


def anti_affinity_bound(problem: PackingProblem) -> int:
    """``ceil(count / max_per_node)`` for the strictest anti-affinity group."""
    return max(
        (-(-g.count // g.max_per_node) for g in problem.groups if g.max_per_node is not None),
        default=0,
    )


def conflict_bound(problem: PackingProblem, *, max_items: int = 1500) -> int:
    """Size of a greedily built set of items that pairwise cannot share any node.

    Two items conflict when, in some dimension, their demands sum past the largest free
    capacity, or when they belong to one anti-affinity group with ``max_per_node == 1``.
    Items are tried largest first. Skipped (0) beyond ``max_items`` items: it is quadratic.
    """
    if problem.n_items > max_items:
        return 0
    cap = _max_free(problem)
    n_dims = len(cap)
    items = sorted(
        range(problem.n_items),
        key=lambda i: (
            -max(
                problem.groups[problem.group_of(i)].demand[d] / cap[d] if cap[d] else 0
                for d in range(n_dims)
            )
        ),
    )
    clique: list[int] = []
    for i in items:
        gi = problem.group_of(i)
        di = problem.groups[gi].demand
        ok = True
        for j in clique:
            gj = problem.group_of(j)
            if gi == gj and problem.groups[gi].max_per_node == 1:
                continue
            dj = problem.groups[gj].demand
            if not any(di[d] + dj[d] > cap[d] for d in range(n_dims)):
                ok = False
                break
        if ok:
            clique.append(i)
    return len(clique)


def nodes_bound(problem: PackingProblem) -> Bound:
    """The best lower bound on the nodes needed to place every pod, with its name."""
    candidates = [
        Bound(volume_bound(problem), "volume"),
        Bound(anti_affinity_bound(problem), "anti-affinity"),
        Bound(conflict_bound(problem), "conflict"),
    ]
    cap = _max_free(problem)
    preloaded = _preloaded_nodes(problem)
    for d in range(len(problem.dimensions)):
        if cap[d] == 0:
            continue
        weights = [g.demand[d] for g in problem.groups for _ in range(g.count)]
        if any(w > cap[d] for w in weights):
            continue  # infeasible anyway; the solver reports it
        candidates.append(Bound(l2_bound_1d(weights, cap[d]), f"L2[{problem.dimensions[d]}]"))
        candidates.append(Bound(dff_bound_1d(weights, cap[d]), f"DFF[{problem.dimensions[d]}]"))
    best = max(candidates, key=lambda b: b.value)  # first maximum: the simplest argument
    if best.value < preloaded:
        return Bound(preloaded, "preloaded nodes")
    return best


def cost_bound(problem: PackingProblem, *, min_nodes: int | None = None) -> int:
    """A lower bound on the total cost of a packing of every pod.

    Preloaded nodes are paid for anyway. Per dimension, the remaining demand is covered
    fractionally by the cheapest capacity first (a continuous knapsack cover, rounded up);
    and every node beyond the preloaded ones costs at least the cheapest type's cost.
    """
    pre_cost = sum(t.cost * t.count for t in problem.node_types if t.preloaded)
    others = [t for t in problem.node_types if not t.preloaded and t.count]
    best = pre_cost
    for d in range(len(problem.dimensions)):
        remaining = sum(g.demand[d] * g.count for g in problem.groups)
        remaining -= sum(t.free[d] * t.count for t in problem.node_types if t.preloaded)
        if remaining <= 0:
            continue
        # Fractional cover: cost per unit ascending; exact arithmetic with Fractions avoided by
        # cross-multiplication in the sort key.
        cost_num, cost_den = 0, 1
        for t in sorted(
            (t for t in others if t.free[d] > 0),
            key=lambda t: t.cost / t.free[d],
        ):
            take = min(remaining, t.free[d] * t.count)
            cost_num = cost_num * t.free[d] + take * t.cost * cost_den
            cost_den *= t.free[d]
            remaining -= take
            if remaining == 0:
                break
        if remaining > 0:
            continue  # cannot be covered: the solver reports infeasibility
        best = max(best, pre_cost + -(-cost_num // cost_den))
    if min_nodes is not None and others:
        extra = max(0, min_nodes - _preloaded_nodes(problem))
        best = max(best, pre_cost + extra * min(t.cost for t in others))
    return best


@dataclass(frozen=True)
class NodeCountBound:
    """Outcome of :func:`node_count_bound`.

    Attributes:
        value: a proven lower bound on the objective (fixed value of preloaded nodes included);
            0 when nothing was proven.
        counts: node type index -> nodes of the type in the cheapest cover found (empty when
            HiGHS found none): where a packing at ``value`` is worth looking for.
    """

    value: int
    counts: dict[int, int] = field(default_factory=dict)


def _check_node_count_arguments(problem: object, time_limit: object) -> None:
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    if problem.objective is Objective.PLACED:
        raise InputError(
            "the node-count bound is for the nodes and cost objectives", path="objective"
        )
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float) or time_limit <= 0:
        raise InputError(
            f"expected a positive number of seconds, got {time_limit!r}", path="time_limit"
        )


def node_count_bound(problem: PackingProblem, *, time_limit: float = 1.0) -> NodeCountBound:
    """The cheapest integer node counts per type that could hold the pods (HiGHS).

    Variables: ``n[t]`` nodes of type ``t`` (integer; every node of a preloaded type), and
    ``x[g, t]`` pods of group ``g`` on type ``t`` (continuous). Rows: each group placed
    exactly; per type and dimension, ``sum_g demand[g] x[g, t] <= free[t] n[t]``; and
    ``x[g, t] <= limit[g, t] n[t]`` with ``limit`` the most pods of the group one node of the
    type holds (anti-affinity, eligibility, capacity). Every packing gives a solution (count
    its nodes and pods per type), so the optimum, or HiGHS's dual bound when the time limit
    hits, rounded up, is a lower bound. NODES counts one per node, COST the node's cost.

    Args:
        problem: a NODES or COST problem.
        time_limit: seconds HiGHS may use (the model is small: ``(groups + 1) * types``
            variables).

    Returns:
        The bound and the counts of the cheapest cover found.

    Raises:
        InputError: the objective is PLACED, or ``time_limit`` is not a positive number.
    """
    _check_node_count_arguments(problem, time_limit)
    types = list(range(len(problem.node_types)))
    groups = [g for g, grp in enumerate(problem.groups) if grp.count]
    n_types = len(types)
    x_col = {(g, t): k * n_types + t for k, g in enumerate(groups) for t in types}
    n_col = len(x_col)
    n_vars = n_col + n_types
    rows = SparseRows(n_vars)
    row = rows.add
    for g in groups:
        row([(x_col[g, t], 1.0) for t in types], float(problem.groups[g].count), np.inf)
    for t in types:
        typ = problem.node_types[t]
        for d in range(len(problem.dimensions)):
            entries = [
                (x_col[g, t], float(problem.groups[g].demand[d]))
                for g in groups
                if problem.groups[g].demand[d]
            ]
            if entries:
                row([*entries, (n_col + t, -float(typ.free[d]))], -np.inf, 0.0)
        for g in groups:
            # Zero-demand pods still need a node of a type they may use.
            limit = problem.most_per_node(g, t)
            row([(x_col[g, t], 1.0), (n_col + t, -float(limit))], -np.inf, 0.0)
    lower = np.zeros(n_vars)
    upper = np.full(n_vars, np.inf)
    cost = np.zeros(n_vars)
    for t in types:
        typ = problem.node_types[t]
        upper[n_col + t] = typ.count
        if typ.preloaded:
            lower[n_col + t] = typ.count
        cost[n_col + t] = typ.cost if problem.objective is Objective.COST else 1
    integrality = np.zeros(n_vars)
    integrality[n_col:] = 1
    res = milp(
        cost,
        constraints=rows.constraints(),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": float(time_limit)},
    )
    if res.status == 2:
        total = sum(t.cost * t.count for t in problem.node_types)
        most = total if problem.objective is Objective.COST else problem.n_nodes
        return NodeCountBound(most + 1)
    dual = getattr(res, "mip_dual_bound", None)
    value = 0
    if dual is not None and np.isfinite(dual):
        value = math.ceil(float(dual) - 1e-6)
    if res.x is None:
        return NodeCountBound(value)
    counts = {t: round(float(res.x[n_col + t])) for t in types}
    return NodeCountBound(value, counts)


def lower_bound(problem: PackingProblem) -> Bound:
    """The proven lower bound on the problem's objective value.

    NODES: :func:`nodes_bound`, and with several node types the better of it and
    :func:`node_count_bound` (which knows which pods may go on which type: GPU pods on GPU
    nodes). COST: the better of :func:`cost_bound` and, with several node types,
    :func:`node_count_bound`. PLACED (the number of unplaced pods): the pods of groups that fit
    no eligible node.
    """
    if problem.objective is Objective.NODES:
        simple = nodes_bound(problem)
        if len(problem.node_types) < 2:
            return simple
        counts = node_count_bound(problem)
        if counts.value > simple.value:
            return Bound(counts.value, "node-count cover (HiGHS)")
        return simple
    if problem.objective is Objective.COST:
        cover = Bound(cost_bound(problem, min_nodes=nodes_bound(problem).value), "cost cover")
        if len(problem.node_types) < 2:
            return cover
        counts = node_count_bound(problem)
        if counts.value > cover.value:
            return Bound(counts.value, "node-count cover (HiGHS)")
        return cover
    return Bound(sum(problem.groups[g].count for g in problem.unplaceable_groups()), "no fit")
