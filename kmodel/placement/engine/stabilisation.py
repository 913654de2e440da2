"""Dual stabilisation of column generation: dual-optimal inequalities and central prices.

The pattern master's duals are degenerate: many dual solutions are optimal, and a simplex
vertex picks an extreme one. Two remedies (see Ben Amor, Desrosiers and Valerio de Carvalho,
2006): :func:`dual_optimal_inequalities` adds exchange columns that keep the duals ordered by
size (fewer rounds of generation), and :func:`interior_point_prices` prices the duals of an
interior point of the optimal face (fewer patterns look free to the reduced-cost enumeration).
:class:`DualSmoothing` is Wentges' smoothing (Wentges, 1997; Pessoa, Sadykov, Uchoa and
Vanderbeck, 2018): the pricing runs at a point between the best duals so far and the
master's, so the Lagrangian bound climbs instead of oscillating.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import highspy
import numpy as np

from kmodel.placement.engine.problem import Objective, PackingProblem

if TYPE_CHECKING:
    from kmodel.placement.engine.master import DualPrices, MasterRows, RestrictedMaster

__all__ = [
    "SMOOTHING_ALPHA",
    "DualSmoothing",
    "dual_optimal_inequalities",
    "dual_smoothing",
    "interior_point_prices",
    "smoothing_applies",
]

#: The centre's weight in the separation point (benchmarks/README.md: openb, 0.3 to 0.8).
SMOOTHING_ALPHA = 0.5
#: Seconds each vector pricing problem gets before the last rounds (HiGHS finds the best
#: pattern within a small fraction of the time it takes to prove it; see DualSmoothing).
PRICING_SECONDS = 0.15


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


class DualSmoothing:
    """Wentges' dual smoothing with the mis-pricing fallback, and time-capped exact pricing.

    The restricted master's duals jump from one extreme point to another between rounds,
    and the Lagrangian bound they prove jumps with them, far below the LP value until the
    very end. The pricing runs at the *separation point*
    ``alpha * centre + (1 - alpha) * duals``, where the centre is the dual vector with the
    best Lagrangian bound so far. Every vector of prices >= 0 gives a valid Lagrangian
    bound (:meth:`RestrictedMaster.price`: each node type's pricing term is a proven upper
    bound on its best pattern's value, whatever the prices), so pricing elsewhere than at
    the master's duals never makes a bound wrong; it only changes which bound and which
    columns come out.

    A *mis-pricing* is a round whose columns do not price out at the master's own duals:
    the master would not change. Then ``alpha`` falls step by step
    (``1 - k * (1 - alpha)`` after ``k`` mis-pricings in a row) until the pricing runs at
    the master's duals. Each vector pricing problem gets ``seconds`` at most until a round
    at the master's duals finds no column; then they are solved to the end, so that "no
    column" proves the LP optimum, exactly as the unsmoothed generation ends.

    Args:
        alpha: the weight of the centre (0: no smoothing).
        seconds: the cap on each pricing problem before the last rounds (``None``: none).
    """

    def __init__(self, alpha: float, *, seconds: float | None = None) -> None:
        self.alpha = alpha
        self.seconds = seconds
        self.centre: np.ndarray | None = None
        self.centre_bound = -np.inf
        self.mispricings = 0

    def weight(self) -> float:
        """The centre's weight this round (0 after enough mis-pricings in a row)."""
        return max(0.0, 1.0 - (self.mispricings + 1) * (1.0 - self.alpha))

    def at_master(self) -> bool:
        """Whether this round prices at the master's own duals (no smoothing)."""
        return self.centre is None or self.weight() <= 0.0

    def point(self, duals: np.ndarray) -> np.ndarray:
        """The separation point for the master's ``duals``."""
        if self.centre is None or self.at_master():
            return duals
        weight = self.weight()
        smoothed: np.ndarray = weight * self.centre + (1.0 - weight) * np.maximum(duals, 0.0)
        return smoothed

    def observe(self, point: np.ndarray, bound: float) -> None:
        """The Lagrangian bound proven at ``point``: the centre moves there if it is better."""
        if bound > self.centre_bound:
            self.centre, self.centre_bound = np.maximum(point, 0.0), bound

    def price_again(self, *, priced_out: bool, at_master: bool, exact: bool) -> bool:
        """After a round: whether to price again before touching the master.

        Args:
            priced_out: some column found prices out at the master's own duals.
            at_master: the round priced at the master's duals.
            exact: every pricing problem of the round was solved to the end.
        """
        if priced_out:
            self.mispricings = 0
            return False
        if not at_master:
            self.mispricings += 1
            return True
        if not exact and self.seconds is not None:
            self.seconds = None  # the last rounds: no cap, so that "no column" is a proof
            return True
        return False


def smoothing_applies(problem: PackingProblem) -> bool:
    """Whether the generation is smoothed: vector pricing over several node types.

    There the duals oscillate most (each node type's best pattern jumps between very
    different contents) and the Lagrangian bound's penalty, summed over the types, is the
    largest. One node type (the classic bin-packing and vector instances) keeps the plain
    generation, whose greedy and dynamic-programming pricing is cheapest.
    """
    return len(problem.node_types) > 1 and len(problem.dimensions) > 1


def dual_smoothing() -> DualSmoothing:
    """A fresh :class:`DualSmoothing` with the project's settings."""
    return DualSmoothing(SMOOTHING_ALPHA, seconds=PRICING_SECONDS)
