"""The pattern (Gilmore-Gomory) model of a packing problem, solved with HiGHS.

A *pattern* is the content of one node: how many pods of each group it holds, on one node type.
The master problem chooses how many nodes run each pattern:

    minimise   sum_p cost(p) x_p
    subject to sum_p a_gp x_p >= count_g                  every group is covered
               sum_{p on type t} x_p <= count_t            no more nodes than the type has
               sum_{p on a type of domain D} a_gp x_p <= k  per-domain caps of a group
               x_p >= 0 integer

Covering (``>=``) is exact: removing pods from a node never breaks capacity, anti-affinity or a
per-domain cap, so an over-covering solution is trimmed into a packing of the same value.

:func:`column_generation` solves the linear relaxation by column generation (Gilmore and Gomory,
Oper. Res. 1961): the restricted master is an LP solved by HiGHS (``scipy.optimize.linprog``),
and new patterns come from a knapsack per node type, priced with the LP duals (an exact dynamic
program when the priced groups use one dimension, a HiGHS MILP otherwise). Its lower bound is
the Lagrangian bound of the duals, valid at every iteration (it meets the LP value at
convergence): ``sum_g pi_g count_g - sum_t mu_t count_t - sum nu k
+ sum_t count_t min(0, rc*_t)``, where ``rc*_t`` is the smallest reduced cost of a pattern on
type ``t``. On classic bin packing, ``ceil(LP)`` is the optimum on nearly every instance (the
integer round-up property). :func:`pattern_milp` then solves the master over the generated
patterns as an integer program (HiGHS ``scipy.optimize.milp``, "price and branch"); when its
value meets the bound, the packing is proven optimal.

HiGHS works in floating point: bounds are rounded up only past a tolerance of 1e-6 (integer
objectives) and every packing is checked exactly by
:func:`kmodel.placement.problem.check_placement`.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from kmodel.errors import InputError
from kmodel.placement.isolated import milp_until
from kmodel.placement.knapsack import (
    fractional_bound,
    greedy_knapsack,
    knapsack_branch_and_bound,
)
from kmodel.placement.problem import Objective, PackingProblem

__all__ = [
    "ColumnGeneration",
    "DualPrices",
    "Pattern",
    "PatternSolution",
    "TypePrices",
    "column_generation",
    "dive",
    "pattern_milp",
    "patterns_of_placement",
    "placement_of_patterns",
    "quiet_highs",
    "unplaced_weights",
    "upper_counts",
]

#: Reduced costs above this are treated as non-negative (HiGHS's default tolerances are 1e-7).
_RC_TOLERANCE = 1e-7
#: An LP value or bound this close above an integer is rounded down to it.
_ROUND_TOLERANCE = 1e-6
#: What taking a piece must win by in the one-dimensional dynamic program (float noise).
_DP_MARGIN = 1e-12


@dataclass(frozen=True)
class Pattern:
    """The content of one node.

    Attributes:
        node_type: index of the node type.
        counts: pods of each group on the node (one entry per group of the problem).
    """

    node_type: int
    counts: tuple[int, ...]


@dataclass(frozen=True)
class TypePrices:
    """The prices of one node type under a dual solution of the master.

    The reduced cost of a pattern on the type is ``base - sum_g values[g] * counts[g]``.

    Attributes:
        values: the price of one pod of each group on a node of the type.
        base: the column cost plus the dual of the type's row.
        least: ``min(0, smallest reduced cost of a pattern on the type)``, proven by pricing.
    """

    values: tuple[float, ...]
    base: float
    least: float


@dataclass(frozen=True)
class DualPrices:
    """A dual solution of the master whose pricing was exact, with its Lagrangian bound.

    Reduced-cost argument: a packing of value ``V`` uses only patterns whose reduced cost minus
    their type's ``least`` is at most ``V - bound`` (see :mod:`kmodel.placement.enumeration`).

    Attributes:
        bound: the Lagrangian bound (fixed part included), not rounded.
        per_type: node type index -> its prices.
    """

    bound: float
    per_type: dict[int, TypePrices]


@dataclass
class ColumnGeneration:
    """Outcome of :func:`column_generation`.

    Attributes:
        lower_bound: a proven integer lower bound on the objective (including the fixed cost of
            preloaded nodes).
        lp_value: the restricted master's LP value at the last iteration (an upper estimate of
            the relaxation's value until ``converged``).
        converged: no pattern with a negative reduced cost is left: ``lp_value`` is the LP bound.
        patterns: every pattern generated (the initial ones first).
        iterations: master LPs solved.
        usage: node type index -> nodes of the type in the last restricted master's LP solution
            (guides how many slots of each type an integer model needs).
        prices: the exactly priced duals with the best Lagrangian bound (``None``: pricing was
            never exact).
        central: with ``converge``, the priced duals of an interior-point solve of the final
            master (see ``_Master.central_prices``): the best ones to enumerate with.
    """

    lower_bound: int
    lp_value: float
    converged: bool
    patterns: list[Pattern] = field(default_factory=list)
    iterations: int = 0
    usage: dict[int, float] = field(default_factory=dict)
    prices: DualPrices | None = None
    central: DualPrices | None = None


@dataclass(frozen=True)
class PatternSolution:
    """Outcome of :func:`pattern_milp`.

    Attributes:
        value: the objective value of the chosen patterns (fixed cost of preloaded nodes
            included), ``None`` when no solution was found.
        chosen: (pattern, how many nodes run it).
        proven: HiGHS proved the value optimal *over the given patterns* (not a global proof).
        infeasible: HiGHS proved that no choice of the given patterns (within the cutoff)
            covers every pod.
    """

    value: int | None
    chosen: tuple[tuple[Pattern, int], ...]
    proven: bool
    infeasible: bool = False


@contextlib.contextmanager
def quiet_highs() -> Iterator[None]:
    """Silence HiGHS's MIP solver, which prints debug lines to the C-level standard output.

    ``kmodel pack --output json`` writes to standard output: a stray line would corrupt it.
    File descriptor 1 points to ``/dev/null`` while the block runs.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no standard output to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


# ---------------------------------------------------------------------------- the master


@dataclass(frozen=True)
class _Rows:
    """Row layout of the master: cover rows, type rows, domain-cap rows."""

    cover: tuple[int, ...]  # group index per cover row
    types: tuple[int, ...]  # node type index per type row
    caps: tuple[tuple[int, frozenset[int], int], ...]  # (group, node types, limit) per cap row

    @property
    def size(self) -> int:
        return len(self.cover) + len(self.types) + len(self.caps)


def _rows(problem: PackingProblem) -> _Rows:
    names = {t.name: k for k, t in enumerate(problem.node_types)}
    caps: list[tuple[int, frozenset[int], int]] = []
    for g, grp in enumerate(problem.groups):
        if not grp.count:
            continue
        for cap in grp.domain_caps:
            for domain in cap.domains:
                types = frozenset(names[n] for n in domain)
                caps.append((g, types, cap.limit))
    return _Rows(
        cover=tuple(g for g, grp in enumerate(problem.groups) if grp.count),
        types=tuple(t for t, typ in enumerate(problem.node_types) if typ.count),
        caps=tuple(caps),
    )


def _column_cost(problem: PackingProblem, node_type: int) -> int:
    typ = problem.node_types[node_type]
    if typ.preloaded:
        return 0  # in use anyway: paid for in the fixed part
    return typ.cost if problem.objective is Objective.COST else 1


#: Beyond this weight an unplaced pod's cost is too large for HiGHS's floating point.
_MAX_WEIGHT = 2**40


def unplaced_weights(problem: PackingProblem) -> list[int] | None:
    """PLACED: the cost of leaving one pod of each group unplaced (``None``: out of range).

    One pod of a priority level outweighs every node and every pod of the lower levels
    together, so minimising ``sum weight * unplaced + nodes`` is the lexicographic objective:
    most pods by priority, then fewest nodes.
    """
    levels = sorted({g.priority for g in problem.groups})
    weight: dict[int, int] = {}
    below = problem.n_nodes  # the most the lower terms can add up to
    for level in levels:
        weight[level] = below + 1
        below += weight[level] * sum(g.count for g in problem.groups if g.priority == level)
    if below > _MAX_WEIGHT:
        return None
    return [weight[g.priority] for g in problem.groups]


def fixed_value(problem: PackingProblem) -> int:
    """The objective value of the preloaded nodes, in use whatever the packing."""
    pre = [t for t in problem.node_types if t.preloaded]
    if problem.objective is Objective.COST:
        return sum(t.cost * t.count for t in pre)
    return sum(t.count for t in pre)


def _column(rows: _Rows, pattern: Pattern) -> list[tuple[int, float]]:
    """Non-zero entries of a pattern's column in ``A_ub x <= b_ub`` form."""
    entries: list[tuple[int, float]] = []
    for r, g in enumerate(rows.cover):
        if pattern.counts[g]:
            entries.append((r, -float(pattern.counts[g])))
    base = len(rows.cover)
    for r, t in enumerate(rows.types):
        if t == pattern.node_type:
            entries.append((base + r, 1.0))
    base += len(rows.types)
    for r, (g, types, _) in enumerate(rows.caps):
        if pattern.node_type in types and pattern.counts[g]:
            entries.append((base + r, float(pattern.counts[g])))
    return entries


def _rhs(problem: PackingProblem, rows: _Rows) -> np.ndarray:
    return np.array(
        [-float(problem.groups[g].count) for g in rows.cover]
        + [float(problem.node_types[t].count) for t in rows.types]
        + [float(limit) for _, _, limit in rows.caps]
    )


def _matrix(rows: _Rows, patterns: Sequence[Pattern]) -> sparse.csc_array:
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    for j, p in enumerate(patterns):
        for r, v in _column(rows, p):
            row_index.append(r)
            col_index.append(j)
            data.append(v)
    return sparse.csc_array((data, (row_index, col_index)), shape=(rows.size, len(patterns)))


# ---------------------------------------------------------------------------- pricing


def upper_counts(problem: PackingProblem, node_type: int) -> list[int]:
    """Most pods of each group one node of the type can hold on its own (0: not eligible)."""
    return [problem.most_per_node(g, node_type) for g in range(len(problem.groups))]


def _knapsack_dp(
    values: Sequence[float],
    weights: Sequence[int],
    bounds: Sequence[int],
    capacity: int,
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


def _knapsack_milp(
    values: Sequence[float],
    demands: Sequence[Sequence[int]],
    bounds: Sequence[int],
    capacity: Sequence[int],
    time_limit: float,
) -> tuple[float, float, list[int]]:
    """Bounded multi-dimensional knapsack by HiGHS: (value found, proven upper bound, counts)."""
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
            options={"time_limit": max(time_limit, 0.01), "mip_rel_gap": 1e-9},
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


# ---------------------------------------------------------------------------- generation


def patterns_of_placement(problem: PackingProblem, placement: dict[int, int]) -> list[Pattern]:
    """The distinct patterns of a placement (one per node content)."""
    content: dict[int, list[int]] = {}
    for item, node in placement.items():
        content.setdefault(node, [0] * len(problem.groups))[problem.group_of(item)] += 1
    seen: set[Pattern] = set()
    out: list[Pattern] = []
    for node, counts in sorted(content.items()):
        p = Pattern(problem.type_of(node), tuple(counts))
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _exchanges(problem: PackingProblem, rows: _Rows) -> list[tuple[int, int]]:
    """Dual-optimal inequalities ``price(large) >= price(small)`` as (small, large) cover rows.

    Where a pod of ``small`` can take the place of a pod of ``large`` in any pattern (no larger
    in any dimension, eligible wherever ``large`` is, no per-node limit or per-domain cap of
    its own), the column "cover one ``small`` by uncovering one ``large``" at no cost keeps the
    master's duals ordered by size (Ben Amor, Desrosiers and Valerio de Carvalho, 2006). Any
    such column leaves every packing feasible, so the bounds stay valid; on these problems the
    relaxation's value stays the same and column generation needs two to three times fewer
    rounds (measured on Scholl's HARD and Hard28). Each smaller group gets one edge, to the
    smallest group that dominates it (in one dimension: the chain of sizes).
    """
    if problem.objective is Objective.PLACED or rows.caps or len(rows.cover) > _MAX_EXCHANGE_ROWS:
        return []
    groups = [problem.groups[g] for g in rows.cover]
    demand = np.array([grp.demand for grp in groups], dtype=float).reshape(len(groups), -1)
    total = demand.sum(axis=1)
    eligible = [
        frozenset(t for t in range(len(problem.node_types)) if problem.eligible(g, t))
        for g in rows.cover
    ]
    edges: list[tuple[int, int]] = []
    for small, grp in enumerate(groups):
        if grp.max_per_node is not None or grp.domain_caps:
            continue
        dominating = np.flatnonzero(
            (demand >= demand[small]).all(axis=1) & (demand > demand[small]).any(axis=1)
        )
        for large in dominating[np.argsort(total[dominating], kind="stable")]:
            if eligible[large] <= eligible[small]:
                edges.append((small, int(large)))
                break
    return edges


#: Beyond this many pod groups the exchange columns are not worth their quadratic search.
_MAX_EXCHANGE_ROWS = 2_000


class _Master:
    """The restricted master LP: its columns (cached), right-hand side and pricing."""

    def __init__(
        self, problem: PackingProblem, initial: Sequence[Pattern], *, exchanges: bool = False
    ) -> None:
        self.problem = problem
        self.rows = _rows(problem)
        self.rhs = _rhs(problem, self.rows)
        self.fixed = fixed_value(problem)
        self.costs = [float(_column_cost(problem, t)) for t in range(len(problem.node_types))]
        # NODES and COST: artificial columns keep the master feasible before enough patterns
        # exist; they cost more than any packing, so they leave the basis as soon as real
        # patterns can replace them (and the Lagrangian bound does not depend on them).
        # PLACED: they are the unplaced pods, at their lexicographic weight.
        weights = unplaced_weights(problem) if problem.objective is Objective.PLACED else None
        big = float((max(self.costs, default=1.0) + 1.0) * (problem.n_items + 1))
        n_cover = len(self.rows.cover)
        self.slack = [big if weights is None else float(weights[g]) for g in self.rows.cover]
        self.patterns: list[Pattern] = []
        self.seen: set[Pattern] = set()
        self.data: list[float] = [-1.0] * n_cover
        self.row_index: list[int] = list(range(n_cover))
        self.col_cost: list[float] = list(self.slack)
        self.upper = {t: upper_counts(problem, t) for t in self.rows.types}
        # One persistent HiGHS model: each solve after new columns starts from the last basis,
        # which makes a master LP a few hundred microseconds instead of a solve from scratch.
        self.lp = highspy.Highs()
        self.lp.setOptionValue("output_flag", False)  # noqa: FBT003 - HiGHS's option API
        self.lp.setOptionValue("threads", 1)
        self.lp.addRows(
            self.rows.size,
            np.full(self.rows.size, -highspy.kHighsInf),
            self.rhs,
            0,
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.synced_rhs = self.rhs.copy()
        self.synced_cols = 0
        #: The exactly priced duals with the best Lagrangian bound so far.
        self.prices: DualPrices | None = None
        self.col_start: list[int] = [0]
        for j in range(n_cover):
            self.col_start.append(j + 1)
        #: Columns before the patterns: the artificial ones, then the exchanges.
        self.lead = n_cover
        if exchanges:
            for small, large in _exchanges(problem, self.rows):
                self.row_index += [small, large]
                self.data += [-1.0, 1.0]
                self.col_cost.append(0.0)
                self.col_start.append(len(self.data))
                self.lead += 1
        self.add(initial)

    def add(self, patterns: Sequence[Pattern]) -> int:
        added = 0
        for p in patterns:
            if p in self.seen or not any(p.counts):
                continue
            self.seen.add(p)
            self.patterns.append(p)
            self.col_cost.append(self.costs[p.node_type])
            for r, v in _column(self.rows, p):
                self.row_index.append(r)
                self.data.append(v)
            self.col_start.append(len(self.data))
            added += 1
        return added

    def _sync(self) -> None:
        """Hand HiGHS the columns added and the right-hand sides changed since the last solve."""
        first, last = self.synced_cols, len(self.col_cost)
        if last > first:
            begin, end = self.col_start[first], self.col_start[last]
            self.lp.addCols(
                last - first,
                np.array(self.col_cost[first:last]),
                np.zeros(last - first),
                np.full(last - first, highspy.kHighsInf),
                end - begin,
                np.array([k - begin for k in self.col_start[first:last]], dtype=np.int32),
                np.array(self.row_index[begin:end], dtype=np.int32),
                np.array(self.data[begin:end]),
            )
            self.synced_cols = last
        changed = np.flatnonzero(self.rhs != self.synced_rhs)
        if changed.size:
            self.lp.changeRowsBounds(
                changed.size,
                changed.astype(np.int32),
                np.full(changed.size, -highspy.kHighsInf),
                self.rhs[changed],
            )
            self.synced_rhs = self.rhs.copy()

    def solve(self) -> tuple[float, np.ndarray, np.ndarray] | None:
        """LP value (fixed part included), row duals (>= 0), column values (slacks first)."""
        self._sync()
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = self.lp.getSolution()
        value = float(self.lp.getInfo().objective_function_value)
        # HiGHS's row duals of "<=" rows are <= 0 in a minimisation: the prices are their negation.
        return value + self.fixed, -np.asarray(solution.row_dual), np.asarray(solution.col_value)

    def central_prices(self, deadline: float) -> DualPrices | None:
        """Price the duals of an interior-point solve of the current master (no crossover).

        The master's optimal duals are highly degenerate: a simplex vertex prices many small
        pods at zero, which makes countless patterns look free to the reduced-cost
        enumeration. An interior point sits in the middle of the optimal face, where every
        pod that can have a positive price has one; the pricing keeps its bound exact.
        """
        self._sync()
        self.lp.setOptionValue("solver", "ipm")
        self.lp.setOptionValue("run_crossover", "off")
        try:
            self.lp.clearSolver()
            self.lp.run()
            ok = self.lp.getModelStatus() == highspy.HighsModelStatus.kOptimal
            duals = -np.asarray(self.lp.getSolution().row_dual) if ok else None
        finally:
            self.lp.setOptionValue("solver", "choose")
            self.lp.setOptionValue("run_crossover", "on")
        if duals is None:
            return None
        previous, self.prices = self.prices, None
        self.price(duals, deadline)
        central, self.prices = self.prices, previous
        return central

    def price(self, duals: np.ndarray, deadline: float) -> tuple[float, list[Pattern], bool]:
        """Lagrangian bound of ``duals`` (fixed part included), improving patterns, exactness."""
        rows, problem = self.rows, self.problem
        n_cover, n_types = len(rows.cover), len(rows.types)
        # Any prices >= 0 give a valid Lagrangian bound; HiGHS's may be a hair below zero.
        duals = np.maximum(duals, 0.0)
        pi = duals[:n_cover]
        mu = duals[n_cover : n_cover + n_types]
        nu = duals[n_cover + n_types :]
        bound = float(pi @ -self.rhs[:n_cover]) - float(mu @ self.rhs[n_cover : n_cover + n_types])
        bound -= float(nu @ self.rhs[n_cover + n_types :])
        dual_value = bound  # the duals' objective, before the Lagrangian's pricing terms
        # Farley's bound: the duals scaled by ``scale`` price every pattern at or below its
        # cost, so ``scale * dual_value`` is a dual feasible value. Far tighter than the
        # Lagrangian's when many nodes are available (its penalty grows with their number).
        scale = 1.0
        new: list[Pattern] = []
        exact = True
        base = [0.0] * len(problem.groups)
        for r, g in enumerate(rows.cover):
            base[g] += pi[r]
        per_type: dict[int, TypePrices] = {}
        for k, t in enumerate(rows.types):
            value = list(base)
            for r, (g, types, _) in enumerate(rows.caps):
                if t in types:
                    value[g] -= nu[r]
            upper = self.upper[t]
            chosen = [g for g in range(len(value)) if value[g] > 1e-12 and upper[g] > 0]
            found = proven = 0.0
            counts: list[int] = []
            others: list[tuple[float, list[int]]] = []
            if chosen:
                found, proven, counts, others = _price(
                    problem, t, chosen, value, upper, deadline, self.costs[t] + mu[k]
                )
            # Exact: the bound on the best pattern is met, or proves no column prices out.
            exact &= proven <= max(found, self.costs[t] + mu[k]) + 1e-9
            if proven > mu[k]:
                scale = min(scale, self.costs[t] / (proven - mu[k]))
            rc_bound = self.costs[t] + mu[k] - proven
            bound += self.rhs[n_cover + k] * min(0.0, rc_bound)
            per_type[t] = TypePrices(
                tuple(value), float(self.costs[t] + mu[k]), min(0.0, float(rc_bound))
            )
            for worth, take in [(found, counts), *others]:
                if self.costs[t] + mu[k] - worth < -_RC_TOLERANCE:
                    full = [0] * len(problem.groups)
                    for g, n in zip(chosen, take, strict=True):
                        full[g] = n
                    new.append(Pattern(t, tuple(full)))
        if scale * dual_value > bound:
            # The scaled duals: every reduced cost is >= 0, their Lagrangian bound is Farley's.
            bound = scale * dual_value
            per_type = {
                t: TypePrices(
                    tuple(scale * v for v in per_type[t].values),
                    float(self.costs[t] + scale * mu[k]),
                    0.0,
                )
                for k, t in enumerate(rows.types)
            }
        # Ties go to the later prices: nearer convergence, fewer patterns look cheap.
        if exact and (self.prices is None or bound + self.fixed >= self.prices.bound):
            self.prices = DualPrices(float(bound + self.fixed), per_type)
        return bound + self.fixed, new, exact


def _generate(
    master: _Master,
    deadline: float,
    upper_bound: int | None,
    known_bound: int = 0,
    *,
    converge: bool = False,
) -> tuple[int, float, np.ndarray | None, int]:
    """Column generation on ``master``: (bound, LP value, last LP solution, iterations).

    Stops as soon as the rounded-up restricted LP value is at most ``known_bound`` (a bound
    proven otherwise): the relaxation cannot prove more, and on Hard28 the tail of the
    generation would take seconds. ``converge`` goes on to the LP optimum all the same (the
    reduced-cost enumeration wants the best duals).
    """
    best_bound = max(master.fixed, known_bound)
    lp_value = math.inf
    x: np.ndarray | None = None
    iterations = 0
    while time.perf_counter() < deadline:
        solved = master.solve()
        iterations += 1
        if solved is None:
            break
        lp_value, duals, x = solved
        bound, new, exact = master.price(duals, deadline)
        best_bound = max(best_bound, _ceil(bound))
        if upper_bound is not None and best_bound >= upper_bound:
            break
        if best_bound >= _ceil(lp_value) and not converge:
            break  # the rounded LP value is reached: more columns cannot raise the bound
        if not master.add(new):
            if exact:
                best_bound = max(best_bound, _ceil(lp_value))
            break
    return best_bound, lp_value, x, iterations


def column_generation(
    problem: PackingProblem,
    initial: Sequence[Pattern],
    *,
    deadline: float,
    upper_bound: int | None = None,
    lower_bound: int = 0,
    converge: bool = False,
) -> ColumnGeneration:
    """Solve the pattern model's LP relaxation by column generation; return the bound.

    Args:
        problem: the problem (normalised units keep the dynamic program small). PLACED is
            solved as ``sum unplaced_weights * unplaced + nodes`` (see :func:`unplaced_weights`).
        initial: patterns to start from (e.g. those of the best heuristic packing).
        deadline: ``time.perf_counter()`` value at which to stop with the bound so far.
        upper_bound: the best known value; generation stops once the bound reaches it.
        lower_bound: a bound proven otherwise; generation stops once the restricted LP shows
            that the relaxation cannot beat it (``converged`` is then true, although the LP
            value is only an upper estimate).
        converge: go on to the LP optimum even when the rounded bound cannot rise any more
            (the best duals, for :func:`kmodel.placement.enumeration.enumerate_patterns`).

    Returns:
        The proven bound, the LP value, whether it converged, and the patterns generated.

    Raises:
        InputError: PLACED with priority weights too large for floating point.
    """
    if problem.objective is Objective.PLACED and unplaced_weights(problem) is None:
        raise InputError("too many priority levels for the pattern model", path="groups")
    master = _Master(problem, initial, exchanges=True)
    bound, lp_value, x, iterations = _generate(
        master, deadline, upper_bound, lower_bound, converge=converge
    )
    converged = lp_value < math.inf and bound >= _ceil(lp_value)
    usage: dict[int, float] = {}
    if x is not None:
        # The last LP ran before the last columns were added: x covers a prefix of them.
        for p, v in zip(master.patterns, x[master.lead :], strict=False):
            usage[p.node_type] = usage.get(p.node_type, 0.0) + float(v)
    central = None
    if converge and converged and time.perf_counter() < deadline:
        central = master.central_prices(deadline)
    return ColumnGeneration(
        bound,
        lp_value,
        converged,
        list(master.patterns),
        iterations,
        usage,
        master.prices,
        central,
    )


def dive(
    problem: PackingProblem,
    patterns: Sequence[Pattern],
    *,
    deadline: float,
) -> PatternSolution:
    """Diving heuristic: fix the LP's largest pattern values, re-generate on the rest, repeat.

    A classic primal heuristic of column generation (residual rounding): each step solves the
    residual master by column generation, fixes ``floor(x_p)`` nodes of every pattern (or one
    node of the largest ``x_p`` when every value is below one), and lowers the demands, type
    counts and domain caps accordingly. NODES and COST only.

    Returns:
        The patterns fixed (``value`` None when the dive ran out of time or got stuck).
    """
    # No exchange columns: a solution may use one to cover a small pod in a large one's place,
    # and the patterns to fix must cover the pods themselves (measured: with a generation
    # phase that uses them first, the dives end worse, Hard28 BPP360 at 63 instead of 62).
    master = _Master(problem, patterns)
    n_cover = len(master.rows.cover)
    chosen: dict[Pattern, int] = {}
    while time.perf_counter() < deadline:
        if all(master.rhs[:n_cover] >= 0):
            value = master.fixed + sum(
                _column_cost(problem, p.node_type) * n for p, n in chosen.items()
            )
            return PatternSolution(value, tuple(chosen.items()), proven=False)
        _, _, x, _ = _generate(master, deadline, None)
        if x is None:
            break
        values = x[master.lead :]
        if float(x[:n_cover].max(initial=0.0)) > 1e-6:
            break  # the residual needs artificial columns: no packing from here
        fix: list[tuple[int, int]] = [
            (j, int(v + 1e-6)) for j, v in enumerate(values) if v >= 1 - 1e-6
        ]
        if not fix:
            j = int(np.argmax(values))
            if values[j] <= 1e-9:
                break
            fix = [(j, 1)]
        for j, n in fix:
            p = master.patterns[j]
            chosen[p] = chosen.get(p, 0) + n
            for r, v in _column(master.rows, p):
                # Cover rows are stored negated: a covering pattern raises them towards 0.
                master.rhs[r] -= v * n
        # Residual covering rows above 0 are already covered; type and cap rows must stay >= 0.
        master.rhs[:n_cover] = np.minimum(master.rhs[:n_cover], 0.0)
        if (master.rhs[n_cover:] < -1e-9).any():
            break
    return PatternSolution(None, (), proven=False)


def _price(  # noqa: PLR0917 - private, called from one place
    problem: PackingProblem,
    node_type: int,
    chosen: Sequence[int],
    value: Sequence[float],
    upper: Sequence[int],
    deadline: float,
    wanted: float,
) -> tuple[float, float, list[int], list[tuple[float, list[int]]]]:
    """Best pattern on one node type for the dual values.

    With several dimensions, a greedy pattern worth more than ``wanted`` (the column cost
    plus the type's dual) is returned at once, with the LP bound as the proven bound.

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
        return _knapsack_dp(vals, [w[d] for w in demands], bounds, free[d], extra=_EXTRA_COLUMNS)
    sub_demands = [tuple(w[d] for d in active) for w in demands]
    sub_free = [free[d] for d in active]
    greedy = greedy_knapsack(vals, sub_demands, bounds, sub_free)
    if greedy and greedy[0][0] > wanted + _RC_TOLERANCE:
        # A column prices out: no exact search this round (its bound is the LP bound).
        proven = max(greedy[0][0], fractional_bound(vals, sub_demands, bounds, sub_free))
        return greedy[0][0], proven, greedy[0][1], greedy[1:]
    searched = knapsack_branch_and_bound(
        vals,
        sub_demands,
        bounds,
        sub_free,
        node_limit=_PRICING_NODES,
        stop_above=wanted + _RC_TOLERANCE,
        # On one node type this search alone gives the round its columns; with several, each
        # type's search adds one (more per search crowd the master: openb lost a pod with 4).
        stop_after=_IMPROVING_COLUMNS if len(problem.node_types) == 1 else 1,
        worth_over=wanted,
    )
    others = searched.others[:_EXTRA_COLUMNS]
    if searched.exact:
        return searched.value, searched.upper_bound, searched.counts, others
    if searched.value > wanted + _RC_TOLERANCE:  # stopped at an improving column
        return searched.value, searched.upper_bound, searched.counts, others
    found, proven, counts = _knapsack_milp(
        vals, demands, bounds, free, deadline - time.perf_counter()
    )
    return found, proven, counts, []


#: Improving columns one vector pricing search collects (measured on 3-D VBP: 4 halves the
#: rounds of column generation and cuts its time by a third to a half).
_IMPROVING_COLUMNS = 4

#: Search nodes the branch and bound may spend on one pricing problem before HiGHS takes it.
_PRICING_NODES = 20_000


#: Further columns added per one-dimensional pricing round (see :func:`_knapsack_dp`).
_EXTRA_COLUMNS = 8


def _ceil(x: float) -> int:
    return math.ceil(x - _ROUND_TOLERANCE)


# ---------------------------------------------------------------------------- integer master


#: ``scipy.optimize.milp``'s status for a proven infeasible problem.
_MILP_INFEASIBLE = 2


def pattern_milp(
    problem: PackingProblem,
    patterns: Sequence[Pattern],
    *,
    deadline: float,
    lower_bound: int,
    cutoff: int | None = None,
    exact_cover: bool = False,
) -> PatternSolution:
    """Choose patterns for every pod at the least cost, as an integer program (HiGHS).

    Args:
        problem: a NODES or COST problem.
        patterns: the columns to choose from.
        deadline: ``time.perf_counter()`` value at which to stop with the best found.
        lower_bound: a proven bound (the search stops as soon as it is met).
        cutoff: only solutions of value at most this are of interest (``None``: any).
        exact_cover: every pod is covered exactly once (a partition). Only right when
            ``patterns`` holds every pattern a wanted solution may use, maximal or not; a
            tighter model for HiGHS (its presolve refutes some instances at once).

    Returns:
        The best solution found (``value`` None when none was found).
    """
    rows = _rows(problem)
    fixed = fixed_value(problem)
    usable = [p for p in patterns if any(p.counts)]
    if not usable:
        return PatternSolution(None, (), proven=False)
    a = _matrix(rows, usable)
    b_ub = _rhs(problem, rows)
    c_list = [float(_column_cost(problem, p.node_type)) for p in usable]
    upper = [np.inf] * len(usable)
    weights = unplaced_weights(problem) if problem.objective is Objective.PLACED else None
    if weights is not None:
        # PLACED: one integer "unplaced" column per group, at most its count.
        slack = sparse.csc_array(
            (
                [-1.0] * len(rows.cover),
                (list(range(len(rows.cover))), list(range(len(rows.cover)))),
            ),
            shape=(rows.size, len(rows.cover)),
        )
        a = sparse.hstack([a, slack], format="csc")
        c_list += [float(weights[g]) for g in rows.cover]
        upper += [float(problem.groups[g].count) for g in rows.cover]
    c = np.array(c_list)
    b_lb = np.full(len(b_ub), -np.inf)
    if exact_cover and weights is None:
        b_lb[: len(rows.cover)] = b_ub[: len(rows.cover)]
    constraints = [LinearConstraint(a, b_lb, b_ub)]
    if cutoff is not None:
        constraints.append(LinearConstraint(c.reshape(1, -1), -np.inf, float(cutoff - fixed)))
    target = max(1, lower_bound - fixed)
    left = deadline - time.perf_counter()
    if left <= 0:
        return PatternSolution(None, (), proven=False)
    # In a child process: HiGHS overruns its time limit at the root of large models.
    res = milp_until(
        deadline,
        c=c,
        constraints=constraints,
        integrality=np.ones(len(c_list)),
        bounds=Bounds(0, np.array(upper)),
        # A relative gap below 1 / target stops HiGHS once the bound is met.
        options={"time_limit": left, "mip_rel_gap": 0.5 / (target + 1)},
    )
    if res.x is None:
        return PatternSolution(None, (), proven=False, infeasible=res.status == _MILP_INFEASIBLE)
    values = [round(v) for v in res.x]
    chosen = tuple((p, n) for p, n in zip(usable, values, strict=False) if n)
    value = fixed + round(float(c @ np.array(values, dtype=float)))
    return PatternSolution(value, chosen, proven=res.status == 0)


def placement_of_patterns(
    problem: PackingProblem, chosen: Sequence[tuple[Pattern, int]], *, partial: bool = False
) -> dict[int, int]:
    """Turn chosen patterns into a placement: item -> node, over-covered pods trimmed.

    Nodes of each type are handed out in index order; pods of each group in index order.

    Args:
        problem: the problem.
        chosen: (pattern, number of nodes running it).
        partial: pods may be left without a node (the PLACED objective).

    Raises:
        InputError: the patterns need more nodes of a type than it has, or leave pods uncovered.
    """
    next_item = [problem.first_item(g) for g in range(len(problem.groups))]
    end_item = [next_item[g] + grp.count for g, grp in enumerate(problem.groups)]
    next_node = [problem.first_node(t) for t in range(len(problem.node_types))]
    placement: dict[int, int] = {}
    for pattern, n in chosen:
        t = pattern.node_type
        for _ in range(n):
            if next_node[t] >= problem.first_node(t) + problem.node_types[t].count:
                raise InputError(
                    f"the patterns use more than {problem.node_types[t].count} nodes",
                    path=f"node_types[{t}]",
                )
            node = next_node[t]
            used = False
            for g, k in enumerate(pattern.counts):
                take = min(k, end_item[g] - next_item[g])
                for item in range(next_item[g], next_item[g] + take):
                    placement[item] = node
                next_item[g] += take
                used |= take > 0
            if used:
                next_node[t] += 1
    for g in range(len(problem.groups)):
        if next_item[g] < end_item[g] and not partial:
            raise InputError("the patterns leave pods without a node", path=f"groups[{g}]")
    return placement
