"""Reduced-cost enumeration: every pattern that a packing of a given value could use.

Take duals of the pattern master whose pricing was exact (:class:`DualPrices`), with Lagrangian
bound ``L``. For any packing ``x`` of value ``V``::

    V = sum_p rc_p x_p + (dual value of the rows at x)  >=  sum_p (rc_p - least_t(p)) x_p + L

because covering rows are met (``pi >= 0``), type and cap rows are respected (their prices are
``<= 0`` in the objective), and at most ``count_t`` nodes of type ``t`` run a pattern
(``least_t <= 0`` is the smallest reduced cost on the type). Every term on the right is
non-negative, so a packing of value ``V`` uses only patterns with
``rc_p - least_t(p) <= V - L``. When ``V - L`` is small -- on bin packing the LP bound is
within a fraction of a bin of the optimum, and this is where exact solvers spend their time --
few patterns qualify: :func:`enumerate_patterns` lists them all, and the integer master over
that list answers "is there a packing of value at most ``V``?" exactly. A packing found at the
lower bound is optimal; "infeasible" raises the bound (this settles instances without the
integer round-up property, where the rounded LP bound is one below the optimum). The argument
is the reduced-cost variable fixing of integer programming, applied to columns (see e.g.
Irnich, Desaulniers, Desrosiers and Hadjar, INFORMS J. Comput. 2010, "Path-reduced costs for
eliminating arcs in routing and scheduling").

Two lists: every pattern within the threshold (``maximal=False``), which is what a partition
master (every pod covered exactly once) needs and is the tighter model; or only the *maximal*
ones with respect to the groups that have a non-negative price and no per-domain cap (the
default): adding such a pod to a pattern keeps it valid and does not raise its reduced cost,
and a covering master allows over-covering, so some packing of value ``V`` uses maximal
patterns only. A partition over the maximal list alone would be wrong: it can refute a value
that a packing reaches.

The search is a depth-first walk over the groups (largest first) that stops a branch when even
the best completion cannot bring the reduced cost within the threshold: an exact dynamic
program per remaining capacity when the node type has one dimension in use and a small
capacity, else the smallest fractional-knapsack bound over the dimensions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from kmodel.errors import InputError
from kmodel.placement.engine.master import DualPrices, Pattern, placement_of_patterns
from kmodel.placement.engine.price_and_branch import pattern_milp
from kmodel.placement.engine.pricing import MAX_SEARCH_DEPTH, FractionalBound, upper_counts
from kmodel.placement.engine.problem import (
    Objective,
    PackingProblem,
    check_placement,
    max_objective,
    next_objective_value,
)
from kmodel.placement.engine.schedule import SCHEDULE, Clock

if TYPE_CHECKING:
    from kmodel.placement.engine.column_generation import ColumnGeneration

__all__ = ["MAX_ENUMERATED", "Enumeration", "enumerate_patterns", "enumerated_search"]

#: The largest capacity x groups table built for the exact completion bound (one dimension).
_MAX_TABLE = 4_000_000
#: "No group skipped yet" for the one-dimensional walk's maximality test.
_NO_SKIP = 1 << 62
#: Floating-point slack added to every threshold: listing a few patterns too many is harmless.
_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Enumeration:
    """Outcome of :func:`enumerate_patterns`.

    Attributes:
        patterns: the patterns found (the maximal ones unless ``maximal=False`` was asked).
        complete: every pattern within the threshold is in ``patterns``; false when the limit
            or the deadline stopped the search, or the problem has more groups than the walk
            recurses (:data:`kmodel.placement.engine.pricing.MAX_SEARCH_DEPTH`).
    """

    patterns: list[Pattern]
    complete: bool


def enumerate_patterns(
    problem: PackingProblem,
    prices: DualPrices,
    target: float,
    *,
    limit: int = 50_000,
    deadline: float | None = None,
    maximal: bool = True,
) -> Enumeration:
    """List every pattern that a packing of value at most ``target`` could use.

    With ``maximal`` (the default), the maximal ones: see the module docstring.

    Args:
        problem: the (normalised) NODES, COST or PLACED problem the prices belong to.
        prices: duals of its pattern master with exact pricing (``ColumnGeneration.prices``).
        target: the packing value asked about.
        limit: stop (incomplete) after this many patterns.
        deadline: ``time.perf_counter()`` value at which to stop (incomplete).
        maximal: list only the maximal patterns (enough for a covering master); false lists
            every pattern within the threshold (what a partitioning master needs).

    Returns:
        The patterns, and whether the list is complete.

    Raises:
        InputError: ``limit`` is not a positive integer.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise InputError(f"expected a positive integer, got {limit!r}", path="limit")
    if len(problem.groups) > MAX_SEARCH_DEPTH:
        return Enumeration([], complete=False)  # the walk recurses once per group
    out: list[Pattern] = []
    slack = target - prices.bound
    for t, typ_prices in sorted(prices.per_type.items()):
        threshold = slack + typ_prices.least + _TOLERANCE * max(1.0, abs(target))
        walk = _TypeWalk(
            problem, t, typ_prices.values, typ_prices.base - threshold, maximal=maximal
        )
        if not walk.run(out, limit, deadline):
            return Enumeration(out, complete=False)
    return Enumeration(out, complete=True)


class _TypeWalk:
    """Depth-first listing of the patterns on one node type worth at least ``need``."""

    def __init__(
        self,
        problem: PackingProblem,
        node_type: int,
        values: Sequence[float],
        need: float,
        *,
        maximal: bool,
    ) -> None:
        self.node_type = node_type
        self.n_groups = len(problem.groups)
        free = problem.node_types[node_type].free
        upper = upper_counts(problem, node_type)
        groups = [g for g in range(self.n_groups) if upper[g] > 0]
        dims = [d for d in range(len(free)) if any(problem.groups[g].demand[d] for g in groups)]
        # Largest first: the capacity runs out after a few levels.
        groups.sort(key=lambda g: -sum(problem.groups[g].demand[d] / free[d] for d in dims))
        self.groups = groups
        self.weights = [tuple(problem.groups[g].demand[d] for d in dims) for g in groups]
        self.values = [float(values[g]) for g in groups]
        self.upper = [upper[g] for g in groups]
        self.capacity = tuple(free[d] for d in dims)
        # Pods that must not be left out when they still fit: extending a pattern with them is
        # free (price >= 0) and safe (no per-domain cap row to break).
        self.must_fill = [
            maximal and values[g] >= 0 and not problem.groups[g].domain_caps for g in groups
        ]
        self.need = need
        self.completion = self._completion_bound()

    def _completion_bound(self) -> Callable[[int, tuple[int, ...]], float]:
        """The best value groups ``i..`` can add within a remaining capacity (an upper bound)."""
        n = len(self.groups)
        if len(self.capacity) == 1 and (n + 1) * (self.capacity[0] + 1) <= _MAX_TABLE:
            cap = self.capacity[0]
            table = np.zeros((n + 1, cap + 1))
            for i in range(n - 1, -1, -1):
                row = table[i + 1].copy()
                w, v = self.weights[i][0], self.values[i]
                if v > 0 and w > 0:
                    for k in range(1, min(self.upper[i], cap // w) + 1):
                        shifted = np.full(cap + 1, -np.inf)
                        shifted[k * w :] = table[i + 1][: cap + 1 - k * w] + k * v
                        np.maximum(row, shifted, out=row)
                elif v > 0:  # takes no capacity: always all of them
                    row += self.upper[i] * v
                table[i] = row
            rows: list[list[float]] = table.tolist()

            def exact(i: int, rem: tuple[int, ...]) -> float:
                return rows[i][rem[0]]

            return exact
        return FractionalBound(self.values, self.weights, self.upper, len(self.capacity))

    def run(self, out: list[Pattern], limit: int, deadline: float | None) -> bool:
        """Append the patterns to ``out``; false when stopped by ``limit`` or ``deadline``."""
        n = len(self.groups)
        counts = [0] * n
        weights, values, upper, must_fill = self.weights, self.values, self.upper, self.must_fill
        completion, need = self.completion, self.need
        dims = range(len(self.capacity))
        # Groups left below their upper count that a maximal pattern must not have room for.
        skipped: list[int] = []
        visits = 0

        def fits(i: int, rem: tuple[int, ...]) -> bool:
            # A plain loop: a generator per call made the walk ten times slower (the
            # allocator maps and unmaps an arena for each).
            w = weights[i]
            for d in dims:  # noqa: SIM110 - see above
                if w[d] > rem[d]:
                    return False
            return True

        def leaf(rem: tuple[int, ...]) -> bool:
            for i in skipped:
                if fits(i, rem):
                    return True  # not maximal: the extended pattern is listed instead
            full = [0] * self.n_groups
            for i, c in enumerate(counts):
                if c:
                    full[self.groups[i]] = c
            if any(full):
                out.append(Pattern(self.node_type, tuple(full)))
            return len(out) < limit

        def walk(i: int, rem: tuple[int, ...], value: float) -> bool:
            nonlocal visits
            visits += 1
            if deadline is not None and visits % 1024 == 0 and time.perf_counter() > deadline:
                return False
            if i == n:
                return leaf(rem)
            w, v = weights[i], values[i]
            most = upper[i]
            for d in dims:
                if w[d]:
                    most = min(most, rem[d] // w[d])
            for c in range(most, -1, -1):
                after = tuple([rem[d] - c * w[d] for d in dims])
                reached = value + c * v
                # Children that cannot reach the threshold are never entered.
                if reached + completion(i + 1, after) < need:
                    continue
                counts[i] = c
                tracked = must_fill[i] and c < upper[i]
                if tracked:
                    skipped.append(i)
                ok = walk(i + 1, after, reached)
                if tracked:
                    skipped.pop()
                if not ok:
                    counts[i] = 0
                    return False
            counts[i] = 0
            return True

        if self.completion(0, self.capacity) < need:
            return True
        if len(self.capacity) == 1:
            return self._run_1d(out, limit, deadline)
        return walk(0, self.capacity, 0.0)

    def _run_1d(self, out: list[Pattern], limit: int, deadline: float | None) -> bool:
        """:meth:`run` for one dimension in use: plain integers, no tuples (the hot path)."""
        n = len(self.groups)
        counts = [0] * n
        weights = [w[0] for w in self.weights]
        values, upper, must_fill = self.values, self.upper, self.must_fill
        completion, need = self.completion, self.need
        visits = 0

        def walk(i: int, rem: int, value: float, smallest_skipped: int) -> bool:
            nonlocal visits
            visits += 1
            if deadline is not None and visits % 1024 == 0 and time.perf_counter() > deadline:
                return False
            if i == n:
                if smallest_skipped <= rem:
                    return True  # not maximal: the extended pattern is listed instead
                full = [0] * self.n_groups
                for j, c in enumerate(counts):
                    if c:
                        full[self.groups[j]] = c
                if any(full):
                    out.append(Pattern(self.node_type, tuple(full)))
                return len(out) < limit
            w, v = weights[i], values[i]
            most = upper[i] if not w else min(upper[i], rem // w)
            for c in range(most, -1, -1):
                after = rem - c * w
                reached = value + c * v
                if reached + completion(i + 1, (after,)) < need:
                    continue
                counts[i] = c
                skip = smallest_skipped
                if must_fill[i] and c < upper[i] and w < skip:
                    skip = w
                if not walk(i + 1, after, reached, skip):
                    counts[i] = 0
                    return False
            counts[i] = 0
            return True

        return walk(0, self.capacity[0], 0.0, _NO_SKIP)


#: The most patterns the reduced-cost enumeration lists before giving up on a proof.
MAX_ENUMERATED = 30_000


def enumerated_search(
    problem: PackingProblem,
    cg: ColumnGeneration,
    *,
    lb: int,
    ub: int | None,
    clock: Clock,
) -> tuple[int, dict[int, int] | None, bool]:
    """Exact search at the bound over the patterns a better packing could use.

    For ``k`` from the bound up to below the best known value: list every pattern a packing
    of value ``k`` could use (:func:`enumerate_patterns`), then ask HiGHS for such a packing
    over exactly those patterns. A packing found has value ``k`` and is optimal; "infeasible"
    proves the bound ``k + 1``. Stops when the list is too long to be complete or the time
    share runs out.

    Returns:
        (bound, packing or ``None``, whether every list asked for was complete).
    """
    prices = cg.prices
    if prices is None or problem.objective is Objective.PLACED:
        return lb, None, False
    # Listing gives up early (a long list would not solve in time anyway); the integer
    # programs get most of the time.
    deadline = clock.deadline(SCHEDULE.enumeration)
    k = lb
    while (ub is None or k < ub) and k <= max_objective(problem):
        listed = _complete_list(problem, prices, k, clock=clock)
        if listed is None:
            return lb, None, False
        patterns, exact = listed
        if not patterns:
            lb = k = next_objective_value(problem, k)
            continue
        solution = pattern_milp(
            problem, patterns, deadline=deadline, lower_bound=k, cutoff=k, exact_cover=exact
        )
        if solution.value is not None:
            placement = placement_of_patterns(problem, solution.chosen)
            if check_placement(problem, placement):  # pragma: no cover - a bug, never a packing
                return lb, None, True
            return k, placement, True
        if not solution.infeasible:
            return lb, None, True  # out of time
        lb = k = next_objective_value(problem, k)
    return lb, None, True


def _complete_list(
    problem: PackingProblem, prices: DualPrices, k: int, *, clock: Clock
) -> tuple[list[Pattern], bool] | None:
    """Every pattern a packing of value ``k`` could use, and whether the list is a partition's.

    Every pattern (a partition: the tighter model) while the list stays short, else the
    maximal ones only (a covering); ``None`` when neither list is complete in time.
    """
    for maximal, share in (
        (False, SCHEDULE.enumeration_partition),
        (True, SCHEDULE.enumeration_maximal),
    ):
        listed = enumerate_patterns(
            problem,
            prices,
            k,
            limit=MAX_ENUMERATED,
            deadline=clock.deadline(share),
            maximal=maximal,
        )
        if listed.complete:
            return listed.patterns, not maximal
    return None
