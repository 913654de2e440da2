"""Price and branch: integer solutions over the generated patterns (HiGHS).

:func:`pattern_milp` solves the master over a fixed set of patterns as an integer program (the
restricted master heuristic; exact over a complete list of patterns, as the reduced-cost
enumeration hands it); :func:`dive` is the diving heuristic (residual rounding with column
generation between the fixings).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint

from kmodel.placement.engine.column_generation import generate
from kmodel.placement.engine.isolated import milp_until
from kmodel.placement.engine.master import (
    Pattern,
    RestrictedMaster,
    column_cost,
    column_entries,
    fixed_value,
    master_matrix,
    master_rhs,
    master_rows,
    unplaced_weights,
)
from kmodel.placement.engine.problem import Objective, PackingProblem

__all__ = ["PatternSolution", "dive", "pattern_milp"]


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
    rows = master_rows(problem)
    fixed = fixed_value(problem)
    usable = [p for p in patterns if any(p.counts)]
    if not usable:
        return PatternSolution(None, (), proven=False)
    a = master_matrix(rows, usable)
    b_ub = master_rhs(problem, rows)
    c_list = [float(column_cost(problem, p.node_type)) for p in usable]
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
    # and the patterns to fix must cover the pods themselves (with them, the dives end worse).
    master = RestrictedMaster(problem, patterns)
    n_cover = len(master.rows.cover)
    chosen: dict[Pattern, int] = {}
    while time.perf_counter() < deadline:
        if all(master.rhs[:n_cover] >= 0):
            value = master.fixed + sum(
                column_cost(problem, p.node_type) * n for p, n in chosen.items()
            )
            return PatternSolution(value, tuple(chosen.items()), proven=False)
        _, _, x, _ = generate(master, deadline, None)
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
            for r, v in column_entries(master.rows, p):
                # Cover rows are stored negated: a covering pattern raises them towards 0.
                master.rhs[r] -= v * n
        # Residual covering rows above 0 are already covered; type and cap rows must stay >= 0.
        master.rhs[:n_cover] = np.minimum(master.rhs[:n_cover], 0.0)
        if (master.rhs[n_cover:] < -1e-9).any():
            break
    return PatternSolution(None, (), proven=False)
