"""The master problem of the pattern (Gilmore-Gomory) model: patterns, rows, the restricted LP.

A *pattern* is the content of one node: how many pods of each group it holds, on one node type.
The master problem chooses how many nodes run each pattern:

    minimise   sum_p cost(p) x_p
    subject to sum_p a_gp x_p >= count_g                  every group is covered
               sum_{p on type t} x_p <= count_t            no more nodes than the type has
               sum_{p on a type of domain D} a_gp x_p <= k  per-domain caps of a group
               x_p >= 0 integer

Covering (``>=``) is exact: removing pods from a node never breaks capacity, anti-affinity or a
per-domain cap, so an over-covering solution is trimmed into a packing of the same value.

:mod:`~kmodel.placement.engine.column_generation` solves the linear relaxation (Gilmore and Gomory,
Oper. Res. 1961): the restricted master is an LP solved by HiGHS (``scipy.optimize.linprog``),
and new patterns come from a knapsack per node type, priced with the LP duals (an exact dynamic
program when the priced groups use one dimension, a HiGHS MILP otherwise). Its lower bound is
the Lagrangian bound of the duals, valid at every iteration (it meets the LP value at
convergence): ``sum_g pi_g count_g - sum_t mu_t count_t - sum nu k
+ sum_t count_t min(0, rc*_t)``, where ``rc*_t`` is the smallest reduced cost of a pattern on
type ``t``. On classic bin packing, ``ceil(LP)`` is the optimum on nearly every instance (the
integer round-up property). :mod:`~kmodel.placement.engine.price_and_branch` then solves the
master over the generated patterns as an integer program (HiGHS ``scipy.optimize.milp``); when
its value meets the bound, the packing is proven optimal.

HiGHS works in floating point: bounds are rounded up only past a tolerance of 1e-6 (integer
objectives) and every packing is checked exactly by
:func:`kmodel.placement.engine.problem.check_placement`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from kmodel.errors import InputError
from kmodel.placement.engine.heuristics import Packing
from kmodel.placement.engine.pricing import RC_TOLERANCE, price_pattern, upper_counts
from kmodel.placement.engine.problem import Objective, PackingProblem

__all__ = [
    "DualPrices",
    "MasterRows",
    "Pattern",
    "RestrictedMaster",
    "TypePrices",
    "column_cost",
    "column_entries",
    "fixed_value",
    "initial_patterns",
    "master_matrix",
    "master_rhs",
    "master_rows",
    "patterns_of_placement",
    "placement_of_patterns",
    "unplaced_weights",
]


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
    their type's ``least`` is at most ``V - bound`` (see
    :mod:`~kmodel.placement.engine.enumeration`).

    Attributes:
        bound: the Lagrangian bound (fixed part included), not rounded.
        per_type: node type index -> its prices.
    """

    bound: float
    per_type: dict[int, TypePrices]


@dataclass(frozen=True)
class MasterRows:
    """Row layout of the master: cover rows, type rows, domain-cap rows."""

    cover: tuple[int, ...]  # group index per cover row
    types: tuple[int, ...]  # node type index per type row
    caps: tuple[tuple[int, frozenset[int], int], ...]  # (group, node types, limit) per cap row

    @property
    def size(self) -> int:
        """The number of rows."""
        return len(self.cover) + len(self.types) + len(self.caps)


def master_rows(problem: PackingProblem) -> MasterRows:
    """The master's rows for ``problem``."""
    names = {t.name: k for k, t in enumerate(problem.node_types)}
    caps: list[tuple[int, frozenset[int], int]] = []
    for g, grp in enumerate(problem.groups):
        if not grp.count:
            continue
        for cap in grp.domain_caps:
            for domain in cap.domains:
                types = frozenset(names[n] for n in domain)
                caps.append((g, types, cap.limit))
    return MasterRows(
        cover=tuple(g for g, grp in enumerate(problem.groups) if grp.count),
        types=tuple(t for t, typ in enumerate(problem.node_types) if typ.count),
        caps=tuple(caps),
    )


def column_cost(problem: PackingProblem, node_type: int) -> int:
    """The objective coefficient of a pattern on ``node_type``."""
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


def column_entries(rows: MasterRows, pattern: Pattern) -> list[tuple[int, float]]:
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


def master_rhs(problem: PackingProblem, rows: MasterRows) -> np.ndarray:
    """The right-hand side of the master's rows in ``A_ub x <= b_ub`` form."""
    return np.array(
        [-float(problem.groups[g].count) for g in rows.cover]
        + [float(problem.node_types[t].count) for t in rows.types]
        + [float(limit) for _, _, limit in rows.caps]
    )


def master_matrix(rows: MasterRows, patterns: Sequence[Pattern]) -> sparse.csc_array:
    """The columns of ``patterns`` as a sparse matrix."""
    data: list[float] = []
    row_index: list[int] = []
    col_index: list[int] = []
    for j, p in enumerate(patterns):
        for r, v in column_entries(rows, p):
            row_index.append(r)
            col_index.append(j)
            data.append(v)
    return sparse.csc_array((data, (row_index, col_index)), shape=(rows.size, len(patterns)))


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


class RestrictedMaster:
    """The restricted master LP: its columns (cached), right-hand side and pricing.

    Args:
        problem: the problem.
        initial: the patterns to start from.
        exchanges: (small, large) cover rows of dual-optimal inequalities
            (:func:`kmodel.placement.engine.stabilisation.dual_optimal_inequalities`).
    """

    def __init__(
        self,
        problem: PackingProblem,
        initial: Sequence[Pattern],
        *,
        exchanges: Sequence[tuple[int, int]] = (),
    ) -> None:
        self.problem = problem
        self.rows = master_rows(problem)
        self.rhs = master_rhs(problem, self.rows)
        self.fixed = fixed_value(problem)
        self.costs = [float(column_cost(problem, t)) for t in range(len(problem.node_types))]
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
        # far quicker than a solve from scratch.
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
        for small, large in exchanges:
            self.row_index += [small, large]
            self.data += [-1.0, 1.0]
            self.col_cost.append(0.0)
            self.col_start.append(len(self.data))
            self.lead += 1
        self.add(initial)

    def add(self, patterns: Sequence[Pattern]) -> int:
        """Add the new, non-empty ``patterns`` as columns; return how many were new."""
        added = 0
        for p in patterns:
            if p in self.seen or not any(p.counts):
                continue
            self.seen.add(p)
            self.patterns.append(p)
            self.col_cost.append(self.costs[p.node_type])
            for r, v in column_entries(self.rows, p):
                self.row_index.append(r)
                self.data.append(v)
            self.col_start.append(len(self.data))
            added += 1
        return added

    def sync(self) -> None:
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
        self.sync()
        self.lp.run()
        if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        solution = self.lp.getSolution()
        value = float(self.lp.getInfo().objective_function_value)
        # HiGHS's row duals of "<=" rows are <= 0 in a minimisation: the prices are their negation.
        return value + self.fixed, -np.asarray(solution.row_dual), np.asarray(solution.col_value)

    def reduced_cost(self, pattern: Pattern, duals: np.ndarray) -> float:
        """The reduced cost of ``pattern``'s column under the row prices ``duals`` (>= 0)."""
        entries = column_entries(self.rows, pattern)
        return self.costs[pattern.node_type] + float(
            sum(v * max(0.0, float(duals[r])) for r, v in entries)
        )

    def _on_other_types(self, patterns: Sequence[Pattern], duals: np.ndarray) -> list[Pattern]:
        """The contents of ``patterns`` on the other node types they fit and price out on."""
        problem = self.problem
        demand = np.array([g.demand for g in problem.groups], dtype=float).reshape(
            len(problem.groups), -1
        )
        out: list[Pattern] = []
        for p in patterns:
            counts = np.array(p.counts)
            used = counts @ demand
            for t in self.rows.types:
                if t == p.node_type or (used > np.array(problem.node_types[t].free)).any():
                    continue
                if (counts > np.array(self.upper[t])).any():
                    continue
                moved = Pattern(t, p.counts)
                if self.reduced_cost(moved, duals) < -RC_TOLERANCE:
                    out.append(moved)
        return out

    def price(
        self,
        duals: np.ndarray,
        deadline: float,
        *,
        exact: bool = False,
        seconds: float | None = None,
    ) -> tuple[float, list[Pattern], bool]:
        """Lagrangian bound of ``duals`` (fixed part included), improving patterns, exactness.

        ``exact``: every vector pricing problem is solved to optimality (HiGHS), not only
        those where no greedy pattern prices out; the bound is then as tight as ``duals``
        allow (:class:`kmodel.placement.engine.stabilisation.DualSmoothing`), and every
        improving pattern also comes back on each other node type it fits and prices out on
        (node types of similar shapes share their best contents: fewer rounds). ``seconds``
        caps each of those solves (:func:`~kmodel.placement.engine.pricing.price_pattern`).
        """
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
                found, proven, counts, others = price_pattern(
                    problem,
                    t,
                    chosen,
                    value,
                    upper,
                    deadline,
                    self.costs[t] + mu[k],
                    exact=exact,
                    seconds=seconds,
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
                if self.costs[t] + mu[k] - worth < -RC_TOLERANCE:
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
        if exact:
            new += self._on_other_types(new, duals)
        # Ties go to the later prices: nearer convergence, fewer patterns look cheap.
        if exact and (self.prices is None or bound + self.fixed >= self.prices.bound):
            self.prices = DualPrices(float(bound + self.fixed), per_type)
        return bound + self.fixed, new, exact


def initial_patterns(problem: PackingProblem, packings: Sequence[Packing]) -> list[Pattern]:
    """Patterns of the few best heuristic packings: the master starts feasible and near."""
    patterns: list[Pattern] = []
    for packing in packings[:4]:
        patterns.extend(patterns_of_placement(problem, packing.placement))
    return patterns


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
