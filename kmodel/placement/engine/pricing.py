"""The pricing problem of the pattern model: the best content of one node under dual prices.

:func:`price_pattern` picks the method: an exact dynamic program (:func:`knapsack_dp`) when the
priced groups use one dimension; otherwise a greedy pattern, then branch and bound, then a
HiGHS integer program (:func:`knapsack_milp`).

Bounded multi-dimensional knapsack by branch and bound:

Column generation prices one node type at a time: the most valuable content of one node, under
a capacity vector, with at most ``bounds[i]`` pods of each group. A HiGHS integer program per
call costs tens of milliseconds, whatever the size; vector instances ask thousands of them. A
depth-first branch and bound over the groups, largest value density first, with the smallest
fractional-knapsack bound over the dimensions, settles the usual pricing problem (a few dozen
groups, a few pods per node) in a few milliseconds, and hands back the improving solutions it
met on the way (more columns per round, fewer rounds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from kmodel.errors import InputError
from kmodel.placement.engine.isolated import quiet_highs
from kmodel.placement.engine.problem import PackingProblem

__all__ = [
    "MAX_SEARCH_DEPTH",
    "RC_TOLERANCE",
    "FractionalBound",
    "KnapsackResult",
    "fractional_bound",
    "greedy_knapsack",
    "knapsack_branch_and_bound",
    "knapsack_dp",
    "knapsack_lp_bound",
    "knapsack_milp",
    "price_pattern",
    "upper_counts",
]

#: Reduced costs above this are treated as non-negative (HiGHS's default tolerances are 1e-7).
RC_TOLERANCE = 1e-7
#: What taking a piece must win by in the one-dimensional dynamic program (float noise).
_DP_MARGIN = 1e-12


#: The most levels a depth-first search of the placement engine recurses (one per group here, in
#: the enumeration and in bin completion): Python's recursion limit is 1,000, and a trace with
#: a group per pod has thousands. Beyond it the searches step aside (inexact, incomplete).
MAX_SEARCH_DEPTH = 400


@dataclass(frozen=True)
class KnapsackResult:
    """Outcome of :func:`knapsack_branch_and_bound`.

    Attributes:
        value: the value of ``counts``.
        counts: how many of each item the best solution found takes.
        upper_bound: a proven bound on the optimum (``value`` itself when ``exact``).
        exact: the search finished: ``counts`` is optimal.
        others: further solutions met on the way, as (value, counts), best first.
    """

    value: float
    counts: list[int]
    upper_bound: float
    exact: bool
    others: list[tuple[float, list[int]]] = field(default_factory=list)


def knapsack_branch_and_bound(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
    *,
    node_limit: int = 50_000,
    stop_above: float = math.inf,
    stop_after: int = 1,
    worth_over: float = 0.0,
) -> KnapsackResult:
    """Maximise ``sum values[i] * x[i]`` subject to ``sum demands[i] * x[i] <= capacity``.

    Args:
        values: value per item (items of value <= 0 are never taken).
        demands: one demand vector per item, one entry per dimension of ``capacity``.
        bounds: most copies of each item.
        capacity: the capacity vector.
        node_limit: give up (``exact`` false) after this many search nodes.
        stop_above: stop (``exact`` false) once ``stop_after`` solutions worth more than this
            are found (column generation only needs some improving columns until the last
            rounds). After the first, the search gets as many nodes again as it took to find
            it, then stops with what it has.
        stop_after: how many such solutions to collect (they come back in ``others``).
        worth_over: only solutions worth more than this matter: branches that cannot beat it
            are cut, and a finished search proves the optimum is at most
            ``max(value, worth_over)`` (column generation asks "does any column price out?",
            far quicker to answer than "which is the best?" when none does).

    Returns:
        The best solution found, a proven upper bound and whether the search finished.

    Raises:
        InputError: the sequences disagree in length or hold negative numbers.
    """
    n = len(values)
    if len(demands) != n or len(bounds) != n:
        raise InputError("values, demands and bounds must have one entry per item", path="values")
    dims = len(capacity)
    if any(len(w) != dims for w in demands):
        raise InputError("every demand needs one entry per dimension", path="demands")
    if any(c < 0 for c in capacity) or any(b < 0 for b in bounds):
        raise InputError("capacity and bounds must be >= 0", path="capacity")
    items = []
    for i in range(n):
        w = demands[i]
        most = bounds[i]
        for d in range(dims):
            if w[d]:
                most = min(most, capacity[d] // w[d])
        if values[i] > 0 and most > 0:
            items.append(i)
    size = [sum(demands[i][d] / capacity[d] for d in range(dims) if capacity[d]) for i in items]
    order = sorted(
        range(len(items)), key=lambda k: -values[items[k]] / size[k] if size[k] else -math.inf
    )
    items = [items[k] for k in order]
    m = len(items)
    val = [float(values[i]) for i in items]
    wt = [tuple(demands[i][d] for d in range(dims)) for i in items]
    ub = [bounds[i] for i in items]
    fractional = FractionalBound(val, wt, ub, dims)

    root_bound = fractional(0, capacity)
    if m > MAX_SEARCH_DEPTH:
        return KnapsackResult(0.0, [0] * n, root_bound, exact=False)
    counts = [0] * m
    best_value = 0.0
    best_counts = [0] * m
    found: list[tuple[float, list[int]]] = []
    nodes = 0
    stopped = False
    above = 0
    limit = node_limit

    def search(k: int, rem: list[int], value: float) -> None:
        nonlocal best_value, best_counts, nodes, stopped, above, limit
        nodes += 1
        if nodes > limit:
            stopped = True
            return
        if value > best_value + 1e-12:
            best_value, best_counts = value, list(counts)
            found.append((value, list(counts)))
            if value > stop_above:
                above += 1
                if above == 1:
                    limit = min(node_limit, 2 * nodes + _MORE_NODES)
                if above >= stop_after:
                    stopped = True
                    return
        if k == m or value + fractional(k, rem) <= max(best_value, worth_over) + 1e-12:
            return
        w = wt[k]
        most = ub[k]
        for d in range(dims):
            if w[d]:
                most = min(most, rem[d] // w[d])
        for c in range(most, -1, -1):
            counts[k] = c
            search(k + 1, [rem[d] - c * w[d] for d in range(dims)], value + c * val[k])
            if stopped:
                break
        counts[k] = 0

    search(0, list(capacity), 0.0)

    def expand(local: list[int]) -> list[int]:
        full = [0] * n
        for k, c in enumerate(local):
            full[items[k]] = c
        return full

    others = [(v, expand(c)) for v, c in reversed(found[:-1])]
    exact = not stopped
    return KnapsackResult(
        value=best_value,
        counts=expand(best_counts),
        upper_bound=max(best_value, worth_over) if exact else max(best_value, root_bound),
        exact=exact,
        others=others,
    )


#: Search nodes granted past twice the count at the first improving solution (small searches).
_MORE_NODES = 50


def fractional_bound(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
) -> float:
    """An upper bound on the knapsack optimum: the smallest one-dimension LP bound."""
    return FractionalBound(values, demands, bounds, len(capacity))(0, capacity)


class FractionalBound:
    """The smallest one-dimension LP (fractional knapsack) bound, over the items from an index on.

    For each dimension on its own, the items by value per unit of it (items that take none of it
    first) fill the remaining capacity, the last one fractionally; every such value bounds the
    best the items can add, so the smallest does. Items of value <= 0 are never taken. The
    orders are sorted once; a call costs one pass per dimension (a search's hot path).
    """

    def __init__(
        self,
        values: Sequence[float],
        demands: Sequence[Sequence[int]],
        bounds: Sequence[int],
        dims: int,
    ) -> None:
        self.values = [float(v) for v in values]
        self.demands = demands
        self.bounds = bounds
        self.orders: list[list[int]] = []
        for d in range(dims):
            density = {
                k: (v / demands[k][d] if demands[k][d] else math.inf)
                for k, v in enumerate(self.values)
                if v > 0
            }
            self.orders.append(sorted(density, key=lambda k: -density[k]))

    def __call__(self, start: int, rem: Sequence[int]) -> float:
        """The bound for the items ``start, start + 1, ...`` within capacity ``rem``."""
        values, demands, bounds = self.values, self.demands, self.bounds
        if not self.orders:  # no dimension: every item fits
            return sum(values[k] * bounds[k] for k in range(start, len(values)) if values[k] > 0)
        best = math.inf
        for d, order in enumerate(self.orders):
            total, room = 0.0, rem[d]
            for k in order:
                if k < start:
                    continue
                w = demands[k][d]
                if w * bounds[k] <= room:
                    total += values[k] * bounds[k]
                    room -= w * bounds[k]
                else:
                    total += values[k] * room / w
                    break
            best = min(best, total)
        return 0.0 if best is math.inf else best


def greedy_knapsack(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
) -> list[tuple[float, list[int]]]:
    """Greedy solutions, one per item order, best first, duplicates removed.

    The orders: value per unit of each dimension, of the sum of the demand shares, and of the
    largest share.

    Column generation asks these first: while one of them prices out, no exact search is
    needed; only the last rounds, where none does, pay for :func:`knapsack_branch_and_bound`.
    """
    n, dims = len(values), len(capacity)
    keys = [
        [demands[i][d] / capacity[d] if capacity[d] else 0.0 for i in range(n)] for d in range(dims)
    ]
    keys.append([sum(keys[d][i] for d in range(dims)) for i in range(n)])
    keys.append([max(keys[d][i] for d in range(dims)) for i in range(n)])
    seen: set[tuple[int, ...]] = set()
    out: list[tuple[float, list[int]]] = []
    for key in keys:
        order = sorted(
            (i for i in range(n) if values[i] > 0),
            key=lambda i: -values[i] / key[i] if key[i] else -math.inf,
        )
        rem = list(capacity)
        counts = [0] * n
        value = 0.0
        for i in order:
            w = demands[i]
            most = bounds[i]
            for d in range(dims):
                if w[d]:
                    most = min(most, rem[d] // w[d])
            if most > 0:
                counts[i] = most
                value += most * values[i]
                for d in range(dims):
                    rem[d] -= most * w[d]
        if tuple(counts) not in seen:
            seen.add(tuple(counts))
            out.append((value, counts))
    out.sort(key=lambda vc: -vc[0])
    return out


def upper_counts(problem: PackingProblem, node_type: int) -> list[int]:
    """Most pods of each group one node of the type can hold on its own (0: not eligible)."""
    return [problem.most_per_node(g, node_type) for g in range(len(problem.groups))]


def knapsack_dp(
    values: Sequence[float],
    weights: Sequence[int],
    bounds: Sequence[int],
    capacity: int,
    *,
    extra: int = 0,
) -> tuple[float, float, list[int], list[tuple[float, list[int]]]]:
    """Bounded knapsack in one dimension, exact: the best value, a bound, the counts taken.

    Each bounded item is split into powers of two (binary splitting), then a 0/1 dynamic
    program over the capacity, vectorised with numpy; the choices are kept to walk back.

    Also returns up to ``extra`` further distinct packings, the best ones that fit in a smaller
    capacity (walked back from the other capacities, best first): column generation adds them
    too, which cuts its iterations on one-dimensional instances several times.
    """
    pieces: list[tuple[int, int]] = []  # (item, multiplicity)
    for k, b in enumerate(bounds):
        left, step = b, 1
        while left > 0:
            m = min(step, left)
            pieces.append((k, m))
            left -= m
            step *= 2
    best = np.zeros(capacity + 1)
    # take[c - w] of a piece of weight w: the piece is in the best packing of capacity c.
    taken: list[np.ndarray] = []
    for k, m in pieces:
        w = weights[k] * m
        if w > capacity:
            taken.append(np.zeros(0, dtype=bool))
            continue
        # Three passes over the array, in place: taking a piece must win by _DP_MARGIN (ties
        # keep the lighter packing), and the kept value is short by that margin; the values
        # returned are recomputed from the counts, so the shortfall never reaches a bound.
        shifted = best[: capacity + 1 - w] + (values[k] * m - _DP_MARGIN)
        take = shifted > best[w:]
        np.copyto(best[w:], shifted, where=take)
        taken.append(take)

    def walk_back(c: int) -> tuple[float, list[int]]:
        counts = [0] * len(values)
        for (k, m), take in zip(reversed(pieces), reversed(taken), strict=True):
            w = weights[k] * m
            if c >= w and take[c - w]:
                counts[k] += m
                c -= w
        return float(sum(v * n for v, n in zip(values, counts, strict=True))), counts

    found, top = walk_back(capacity)
    others: list[tuple[float, list[int]]] = []
    if extra > 0:
        seen = {tuple(top)}
        # best[] is non-decreasing in the capacity: the distinct values, best first.
        for c in np.argsort(-best[:capacity], kind="stable")[: 2 * extra]:
            worth, counts = walk_back(int(c))
            if tuple(counts) in seen:
                continue
            seen.add(tuple(counts))
            others.append((worth, counts))
            if len(others) >= extra:
                break
    # No packing is worth more than the best one by more than the margins it may have lost.
    return found, max(found, float(best[capacity]) + len(pieces) * _DP_MARGIN), top, others


def knapsack_lp_bound(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
) -> float:
    """The LP relaxation's value of the bounded knapsack (HiGHS): a bound on its optimum.

    Tighter than :func:`fractional_bound` with several binding dimensions (it takes them all
    at once); ``inf`` when HiGHS fails, which proves nothing.
    """
    n = len(values)
    if not n:
        return 0.0
    a = np.array([[w[d] for w in demands] for d in range(len(capacity))], dtype=float)
    lp = linprog(
        -np.asarray(values, dtype=float),
        A_ub=a,
        b_ub=np.asarray(capacity, dtype=float),
        bounds=list(zip([0.0] * n, [float(b) for b in bounds], strict=True)),
        method="highs",
    )
    if lp.status != 0:
        return math.inf
    # HiGHS's feasibility tolerance: the true LP optimum is at most a hair above its value.
    return float(-lp.fun) * (1 + 1e-7) + 1e-7


def knapsack_milp(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
    time_limit: float,
    *,
    gap: float = 1e-9,
) -> tuple[float, float, list[int]]:
    """Bounded multi-dimensional knapsack by HiGHS: (value found, proven upper bound, counts).

    ``gap``: HiGHS stops once its proven bound is within this fraction of the value found.
    """
    n = len(values)
    dims = [d for d in range(len(capacity)) if any(w[d] for w in demands)]
    constraints = []
    if dims:
        a = np.array([[w[d] for w in demands] for d in dims], dtype=float)
        constraints.append(LinearConstraint(a, -np.inf, np.array([capacity[d] for d in dims])))
    with quiet_highs():
        res = milp(
            c=-np.asarray(values, dtype=float),
            constraints=constraints,
            integrality=np.ones(n),
            bounds=Bounds(np.zeros(n), np.asarray(bounds, dtype=float)),
            options={"time_limit": max(time_limit, 0.01), "mip_rel_gap": gap},
        )
    if res.x is None:
        # No solution at all within the limit: the LP relaxation's value is an upper bound.
        lp = linprog(
            -np.asarray(values, dtype=float),
            A_ub=constraints[0].A if dims else None,
            b_ub=constraints[0].ub if dims else None,
            bounds=list(zip([0.0] * n, [float(b) for b in bounds], strict=True)),
            method="highs",
        )
        return 0.0, float(-lp.fun), [0] * n
    counts = [round(v) for v in res.x]
    found = float(sum(v * c for v, c in zip(values, counts, strict=True)))
    proven = found if res.status == 0 else float(-res.mip_dual_bound)
    return found, max(found, proven), counts


def price_pattern(  # noqa: PLR0917 - the master's one call
    problem: PackingProblem,
    node_type: int,
    chosen: Sequence[int],
    value: Sequence[float],
    upper: Sequence[int],
    deadline: float,
    wanted: float,
    *,
    exact: bool = False,
    seconds: float | None = None,
) -> tuple[float, float, list[int], list[tuple[float, list[int]]]]:
    """Best pattern on one node type for the dual values.

    With several dimensions, a greedy pattern worth more than ``wanted`` (the column cost
    plus the type's dual) is returned at once, with the LP bound as the proven bound; with
    ``exact`` HiGHS solves the knapsack to optimality instead (the proven bound is then its
    value, as the stabilised generation's Lagrangian bound needs), the greedy patterns coming
    back as further columns; ``seconds`` caps that solve (HiGHS's best pattern within it and
    its proven bound, valid but looser: most of HiGHS's time goes to closing the last
    percent of the bound, while the pattern it finds first is nearly always the best).

    Returns:
        (value, proven bound, counts, further good packings as (value, counts)).
    """
    free = problem.node_types[node_type].free
    demands = [problem.groups[g].demand for g in chosen]
    vals = [value[g] for g in chosen]
    bounds = [upper[g] for g in chosen]
    active = [d for d in range(len(free)) if any(w[d] for w in demands)]
    if len(active) <= 1:
        if not active:
            counts = list(bounds)
            total = float(sum(v * b for v, b in zip(vals, bounds, strict=True)))
            return total, total, counts, []
        d = active[0]
        return knapsack_dp(vals, [w[d] for w in demands], bounds, free[d], extra=_EXTRA_COLUMNS)
    sub_demands = [tuple(w[d] for d in active) for w in demands]
    sub_free = [free[d] for d in active]
    greedy = greedy_knapsack(vals, sub_demands, bounds, sub_free)
    if exact:
        relaxed = knapsack_lp_bound(vals, sub_demands, bounds, sub_free)
        if relaxed <= wanted + RC_TOLERANCE:
            # Not even the LP relaxation prices out: no pattern does, and its value is bound
            # enough (the Lagrangian bound takes only the part above ``wanted``).
            best = greedy[0] if greedy else (0.0, [0] * len(vals))
            return best[0], max(best[0], relaxed), best[1], greedy[1:_EXTRA_COLUMNS]
        left = deadline - time.perf_counter()
        found, proven, counts = knapsack_milp(
            vals,
            sub_demands,
            bounds,
            sub_free,
            left if seconds is None else min(left, seconds),
            gap=_BOUND_GAP,
        )
        return found, proven, counts, greedy[:_EXTRA_COLUMNS]
    if greedy and greedy[0][0] > wanted + RC_TOLERANCE:
        # A column prices out: no exact search this round (its bound is the LP bound).
        proven = max(greedy[0][0], fractional_bound(vals, sub_demands, bounds, sub_free))
        return greedy[0][0], proven, greedy[0][1], greedy[1:]
    searched = knapsack_branch_and_bound(
        vals,
        sub_demands,
        bounds,
        sub_free,
        node_limit=_PRICING_NODES,
        stop_above=wanted + RC_TOLERANCE,
        # On one node type this search alone gives the round its columns; with several, each
        # type's search adds one (more per search crowd the master).
        stop_after=_IMPROVING_COLUMNS if len(problem.node_types) == 1 else 1,
        worth_over=wanted,
    )
    others = searched.others[:_EXTRA_COLUMNS]
    if searched.exact:
        return searched.value, searched.upper_bound, searched.counts, others
    if searched.value > wanted + RC_TOLERANCE:  # stopped at an improving column
        return searched.value, searched.upper_bound, searched.counts, others
    found, proven, counts = knapsack_milp(
        vals, demands, bounds, free, deadline - time.perf_counter()
    )
    return found, proven, counts, []


#: The relative optimality gap of the exact pricing (``exact``): its proven bound, not the
#: pattern, feeds the Lagrangian bound, and closing the last fraction of a percent costs
#: HiGHS most of its time.
_BOUND_GAP = 1e-3

#: Improving columns one vector pricing search collects (fewer rounds of column generation on
#: vector instances; benchmarks/README.md).
_IMPROVING_COLUMNS = 4

#: Search nodes the branch and bound may spend on one pricing problem before HiGHS takes it.
_PRICING_NODES = 20_000


#: Further columns added per one-dimensional pricing round (see :func:`knapsack_dp`).
_EXTRA_COLUMNS = 8
