"""Dual stabilisation of column generation: dual-optimal inequalities and central prices.

The pattern master's duals are degenerate: many dual solutions are optimal, and a simplex
vertex picks an extreme one. Two remedies (see Ben Amor, Desrosiers and Valerio de Carvalho,
2006): :func:`dual_optimal_inequalities` adds exchange columns that keep the duals ordered by
size (fewer rounds of generation), and :func:`interior_point_prices` prices the duals of an
interior point of the optimal face (fewer patterns look free to the reduced-cost enumeration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import highspy
import numpy as np

from kmodel.placement.engine.problem import Objective, PackingProblem

if TYPE_CHECKING:
    from kmodel.placement.engine.master import DualPrices, MasterRows, RestrictedMaster

__all__ = ["dual_optimal_inequalities", "interior_point_prices"]


def dual_optimal_inequalities(problem: PackingProblem, rows: MasterRows) -> list[tuple[int, int]]:
    """Dual-optimal inequalities ``price(large) >= price(small)`` as (small, large) cover rows.

    Where a pod of ``small`` can take the place of a pod of ``large`` in any pattern (no larger
    in any dimension, eligible wherever ``large`` is, no per-node limit or per-domain cap of
    its own), the column "cover one ``small`` by uncovering one ``large``" at no cost keeps the
    master's duals ordered by size (Ben Amor, Desrosiers and Valerio de Carvalho, 2006). Any
    such column leaves every packing feasible, so the bounds stay valid; on these problems the
    relaxation's value stays the same and column generation needs fewer rounds
    (benchmarks/README.md). Each smaller group gets one edge, to the
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


def interior_point_prices(master: RestrictedMaster, deadline: float) -> DualPrices | None:
    """Price the duals of an interior-point solve of the current master (no crossover).

    The master's optimal duals are highly degenerate: a simplex vertex prices many small
    pods at zero, which makes countless patterns look free to the reduced-cost
    enumeration. An interior point sits in the middle of the optimal face, where every
    pod that can have a positive price has one; the pricing keeps its bound exact.
    """
    master.sync()
    master.lp.setOptionValue("solver", "ipm")
    master.lp.setOptionValue("run_crossover", "off")
    try:
        master.lp.clearSolver()
        master.lp.run()
        ok = master.lp.getModelStatus() == highspy.HighsModelStatus.kOptimal
        duals = -np.asarray(master.lp.getSolution().row_dual) if ok else None
    finally:
        master.lp.setOptionValue("solver", "choose")
        master.lp.setOptionValue("run_crossover", "on")
    if duals is None:
        return None
    previous, master.prices = master.prices, None
    master.price(duals, deadline)
    central, master.prices = master.prices, previous
    return central
