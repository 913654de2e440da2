"""Column generation: the pattern model's linear relaxation and its Lagrangian bound.

New patterns come from the pricing problem (:mod:`kmodel.placement.engine.pricing`), the
restricted master is :class:`kmodel.placement.engine.master.RestrictedMaster`, stabilised by
:mod:`kmodel.placement.engine.stabilisation` (dual-optimal inequalities; with vector pricing
over several node types, Wentges' smoothing and exact pricing, so the Lagrangian bound climbs
towards the LP value instead of oscillating far below it). The bound is valid at every
iteration, so the generation may stop at any time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kmodel.errors import InputError
from kmodel.placement.engine.master import (
    DualPrices,
    Pattern,
    RestrictedMaster,
    master_rows,
    unplaced_weights,
)
from kmodel.placement.engine.pricing import RC_TOLERANCE
from kmodel.placement.engine.problem import Objective, PackingProblem
from kmodel.placement.engine.stabilisation import (
    DualSmoothing,
    dual_optimal_inequalities,
    dual_smoothing,
    interior_point_prices,
    smoothing_applies,
)

__all__ = ["ColumnGeneration", "column_generation", "generate", "round_up"]

#: An LP value or bound this close above an integer is rounded down to it.
_ROUND_TOLERANCE = 1e-6


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
            master (:func:`~kmodel.placement.engine.stabilisation.interior_point_prices`): the
            best ones to enumerate with.
    """

    lower_bound: int
    lp_value: float
    converged: bool
    patterns: list[Pattern] = field(default_factory=list)
    iterations: int = 0
    usage: dict[int, float] = field(default_factory=dict)
    prices: DualPrices | None = None
    central: DualPrices | None = None


def round_up(x: float) -> int:
    """``x`` rounded up, past the tolerance of HiGHS's floating point."""
    return math.ceil(x - _ROUND_TOLERANCE)


def generate(
    master: RestrictedMaster,
    deadline: float,
    upper_bound: int | None,
    *,
    known_bound: int = 0,
    converge: bool = False,
    smoothing: DualSmoothing | None = None,
) -> tuple[int, float, np.ndarray | None, int]:
    """Column generation on ``master``: (bound, LP value, last LP solution, iterations).

    Stops as soon as the rounded-up restricted LP value is at most ``known_bound`` (a bound
    proven otherwise): the relaxation cannot prove more, and the tail of the generation is
    its slowest part. ``converge`` goes on to the LP optimum all the same (the
    reduced-cost enumeration wants the best duals). With ``smoothing`` every pricing is exact
    and runs at the smoothed duals (:class:`DualSmoothing`); the LP optimum is proven only by
    a round at the master's own duals that finds no column.
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
        at_master = smoothing is None or smoothing.at_master()
        point = duals if smoothing is None else smoothing.point(duals)
        bound, new, exact = master.price(
            point,
            deadline,
            exact=smoothing is not None,
            seconds=None if smoothing is None else smoothing.seconds,
        )
        best_bound = max(best_bound, round_up(bound))
        if upper_bound is not None and best_bound >= upper_bound:
            break
        if best_bound >= round_up(lp_value) and not converge:
            break  # the rounded LP value is reached: more columns cannot raise the bound
        if smoothing is not None:
            smoothing.observe(point, bound)
            priced_out = any(master.reduced_cost(p, duals) < -RC_TOLERANCE for p in new)
            if smoothing.price_again(priced_out=priced_out, at_master=at_master, exact=exact):
                continue  # the master is unchanged: price nearer its duals, or to the end
        if not master.add(new):
            if exact and at_master:
                best_bound = max(best_bound, round_up(lp_value))
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
            (the best duals, for :func:`kmodel.placement.engine.enumeration.enumerate_patterns`).

    Returns:
        The proven bound, the LP value, whether it converged, and the patterns generated.

    Raises:
        InputError: PLACED with priority weights too large for floating point.
    """
    if problem.objective is Objective.PLACED and unplaced_weights(problem) is None:
        raise InputError("too many priority levels for the pattern model", path="groups")
    exchanges = dual_optimal_inequalities(problem, master_rows(problem))
    master = RestrictedMaster(problem, initial, exchanges=exchanges)
    bound, lp_value, x, iterations = generate(
        master,
        deadline,
        upper_bound,
        known_bound=lower_bound,
        converge=converge,
        smoothing=dual_smoothing() if smoothing_applies(problem) else None,
    )
    converged = lp_value < math.inf and bound >= round_up(lp_value)
    usage: dict[int, float] = {}
    if x is not None:
        # The last LP ran before the last columns were added: x covers a prefix of them.
        for p, v in zip(master.patterns, x[master.lead :], strict=False):
            usage[p.node_type] = usage.get(p.node_type, 0.0) + float(v)
    central = None
    if converge and converged and time.perf_counter() < deadline:
        central = interior_point_prices(master, deadline)
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
