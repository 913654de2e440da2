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
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kmodel.errors import InputError
from kmodel.placement.problem import Objective, PackingProblem

__all__ = [
    "Bound",
    "anti_affinity_bound",
    "conflict_bound",
    "cost_bound",
    "dff_bound_1d",
    "l2_bound_1d",
    "lower_bound",
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


def dff_bound_1d(weights: Sequence[int], capacity: int, max_k: int = 20) -> int:
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


def conflict_bound(problem: PackingProblem, max_items: int = 1500) -> int:
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


def cost_bound(problem: PackingProblem, min_nodes: int | None = None) -> int:
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


def lower_bound(problem: PackingProblem) -> Bound:
    """The proven lower bound on the problem's objective value.

    NODES: :func:`nodes_bound`. COST: :func:`cost_bound`. PLACED (the number of unplaced
    pods): the pods of groups that fit no eligible node.
    """
    if problem.objective is Objective.NODES:
        return nodes_bound(problem)
    if problem.objective is Objective.COST:
        return Bound(cost_bound(problem, nodes_bound(problem).value), "cost cover")
    return Bound(sum(problem.groups[g].count for g in problem.unplaceable_groups()), "no fit")
