"""The exact packer's entry point: presolve, heuristics and bounds, then the exact search.

Steps of :func:`solve`:

1. Presolve (:mod:`~kmodel.placement.engine.presolve`): pods that fit no node are set aside (the
   NODES and COST problems are then infeasible; the rest is still packed), dominated node types
   and dimensions that cannot bind are dropped. The steps below run on the reduced problem; its
   answer is mapped back and checked against the original.
2. Heuristics (:mod:`~kmodel.placement.engine.heuristics`; perturbed restarts stop at a share
   of the limit) give the upper bound, bounds (:mod:`~kmodel.placement.engine.bounds`) the lower
   bound. Equal: proven optimal.
3. Identical nodes and the NODES objective: bin completion
   (:mod:`~kmodel.placement.engine.completion`) looks for a packing at the simple bound, with a
   short slice: most instances whose volume bound is the optimum fall to it at once.
4. The exact search (:mod:`kmodel.placement.engine.exact_search`): column generation raises
   the bound, then the steps at the bound run in a declared order (compact model, reduced-cost
   enumeration, price and branch, bin completion, arc flow). Every HiGHS integer program runs
   in a child process killed at the deadline (:mod:`kmodel.placement.engine.isolated`): HiGHS
   overruns its own time limit at the root.
5. PLACED (:mod:`kmodel.placement.engine.placed`): the pattern model with lexicographic weights
   (the best heuristic when the priority levels are too many for its integers); with every pod
   placed, the relaxation's bound also bounds the nodes (``nodes_lower_bound``).

Every step gets a share of the time that is left, declared once in
:data:`kmodel.placement.engine.schedule.SCHEDULE`; when it runs out the best packing found is
returned with the bound proven so far (status ``feasible``, or ``unknown`` without a packing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kmodel.errors import InputError
from kmodel.placement.engine.bounds import Bound, lower_bound
from kmodel.placement.engine.completion import (
    BackgroundCompletion,
    complete_bins,
    completion_applies,
)
from kmodel.placement.engine.exact_search import replica_groups, search_at_bound
from kmodel.placement.engine.heuristics import Packing, best_heuristic
from kmodel.placement.engine.placed import solve_placed
from kmodel.placement.engine.presolve import presolve
from kmodel.placement.engine.problem import (
    Objective,
    PackingProblem,
    PackingResult,
    Status,
    check_placement,
    max_objective,
    packing_result,
)
from kmodel.placement.engine.schedule import SCHEDULE, Clock, Progress, tell

__all__ = ["SolveOptions", "solve"]


@dataclass(frozen=True)
class SolveOptions:
    """Knobs of :func:`solve`.

    Attributes:
        time_limit: seconds for the whole solve (presolve, heuristics, bounds and models).
        seed: seed of the randomised restarts and of bin completion.
        restarts: perturbed heuristic restarts (``None``: chosen from the problem size).
        progress: called as ``progress(phase, incumbent, bound)`` when a phase starts or the
            bound rises (``incumbent``: the best value found so far, ``None`` without one);
            for a progress display, never for the answer.
    """

    time_limit: float = 10.0
    seed: int = 0
    restarts: int | None = None
    progress: Progress | None = None


def solve(problem: PackingProblem, *, options: SolveOptions | None = None) -> PackingResult:
    """Find an optimal packing of ``problem``, or the best one within the time limit.

    Identical groups are solved as one (:meth:`PackingProblem.merged`); the placement keeps
    ``problem``'s item numbers. Where bin completion applies, it runs on a second core (a
    forked child) while the relaxation and the exact models run.

    Args:
        problem: the problem (a :class:`PackingProblem`).
        options: time limit, seed and knobs (default :class:`SolveOptions`).

    Returns:
        The result: status, nodes used, cost, the proven lower bound, the placement and the
        unplaced items. ``optimal`` is true only when the bound meets the packing.

    Raises:
        InputError: ``problem`` or ``options`` is not what it should be.
    """
    options = _checked(problem, options)
    started = time.perf_counter()
    merged, origin = problem.merged()
    if merged is not problem:
        # Identical groups (a trace's standalone Pods) solve as one; the pods get their own
        # item numbers back.
        inner = solve(merged, options=options)
        return replace(
            inner,
            placement=dict(sorted((origin[i], node) for i, node in inner.placement.items())),
            unplaced=tuple(sorted(origin[i] for i in inner.unplaced)),
        )
    reduced = presolve(problem)
    if reduced.changed:
        # Bounds and search on the reduced problem; the answer is checked against this one.
        left = max(0.001, options.time_limit - (time.perf_counter() - started))
        return reduced.restore(solve(reduced.problem, options=replace(options, time_limit=left)))
    return _solve_presolved(problem, options)


def _checked(problem: object, options: object) -> SolveOptions:
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    options = SolveOptions() if options is None else options
    if not isinstance(options, SolveOptions):
        raise InputError(f"expected SolveOptions, got {type(options).__name__}", path="options")
    if isinstance(options.time_limit, bool) or not isinstance(options.time_limit, int | float):
        raise InputError("expected a number of seconds", path="options.time_limit")
    if not options.time_limit > 0:
        raise InputError("must be > 0", path="options.time_limit")
    return options


def _result(
    problem: PackingProblem,
    clock: Clock,
    *,
    status: Status,
    bound: int,
    placement: dict[int, int] | None,
    method: str,
) -> PackingResult:
    return packing_result(
        problem,
        status=status,
        bound=bound,
        placement=placement,
        method=method,
        seconds=clock.elapsed(),
    )


def _value(problem: PackingProblem, packing: Packing) -> int:
    if problem.objective is Objective.COST:
        return packing.cost
    if problem.objective is Objective.PLACED:
        return len(packing.unplaced)
    return packing.nodes_used


def _default_restarts(problem: PackingProblem) -> int:
    # Each greedy run costs about items x open nodes; keep the restarts to ~2e6 fit tests.
    work = max(1, problem.n_items) * max(1, min(problem.n_nodes, problem.n_items))
    return max(0, min(30, 2_000_000 // work))


def _heuristics(scaled: PackingProblem, options: SolveOptions, clock: Clock) -> list[Packing]:
    """The heuristic packings, best first, within their share of the limit."""
    restarts = _default_restarts(scaled) if options.restarts is None else options.restarts
    # The bounds and the exact models need the rest. Replica groups on several node types stop
    # sooner: the node-count packing, the pattern master and the compact model find far better
    # packings than perturbed greedy runs, given the time (openb: 864 nodes against 690).
    share = SCHEDULE.heuristics * clock.limit
    if replica_groups(scaled) and scaled.objective is not Objective.PLACED:
        share = min(share, SCHEDULE.heuristics_replica_cost)
    return best_heuristic(
        scaled, restarts=restarts, seed=options.seed, deadline=clock.start + share
    )


def _solve_presolved(problem: PackingProblem, options: SolveOptions) -> PackingResult:
    """Heuristics and bounds; equal, the answer; else the exact search (or PLACED's)."""
    clock = Clock(float(options.time_limit))
    scaled = problem.normalized()
    packings = _heuristics(scaled, options, clock)
    best = packings[0]
    bound = lower_bound(scaled)
    tell(options.progress, "heuristics and bounds", _value(scaled, best), bound.value)
    method = f"{best.name}; bound {bound.name}"
    if scaled.objective is Objective.PLACED:
        placed = solve_placed(problem, scaled, packings, lb=bound.value, clock=clock)
        if placed is not None:
            return placed
        # Priority levels too many for the weighted objective's integers: the best heuristic.
        return _result(
            problem,
            clock,
            status=Status.FEASIBLE,
            bound=bound.value,
            placement=best.placement,
            method=method,
        )
    ub = _value(scaled, best) if not best.unplaced else None
    if ub is not None and ub <= bound.value:
        return _result(
            problem, clock, status=Status.OPTIMAL, bound=ub, placement=best.placement, method=method
        )
    return _exact(problem, scaled, packings, bound=bound, ub=ub, clock=clock, options=options)


def _exact(
    problem: PackingProblem,
    scaled: PackingProblem,
    packings: Sequence[Packing],
    *,
    bound: Bound,
    ub: int | None,
    clock: Clock,
    options: SolveOptions,
) -> PackingResult:
    """Bin completion at the simple bound (then on another core), and the exact search."""
    background: BackgroundCompletion | None = None
    if scaled.objective is Objective.NODES and completion_applies(scaled):
        # Most instances whose simple bound is the optimum fall to bin completion at once; the
        # rest of the time goes to the relaxation and its proofs.
        packed = complete_bins(
            scaled,
            bound.value,
            deadline=clock.deadline(SCHEDULE.first_completion),
            seed=options.seed,
        )
        if packed is not None and not check_placement(scaled, packed):
            return _result(
                problem,
                clock,
                status=Status.OPTIMAL,
                bound=bound.value,
                placement=packed,
                method=f"bin completion; bound {bound.name}",
            )
        # Bin completion goes on on another core while the relaxation runs (at its bound).
        background = BackgroundCompletion(scaled, bound.value, clock=clock, seed=options.seed + 2)
    try:
        return _search(
            problem,
            scaled,
            packings,
            bound=bound,
            ub=ub,
            clock=clock,
            options=options,
            background=background,
        )
    finally:
        if background is not None:
            background.stop()


def _search(
    problem: PackingProblem,
    scaled: PackingProblem,
    packings: Sequence[Packing],
    *,
    bound: Bound,
    ub: int | None,
    clock: Clock,
    options: SolveOptions,
    background: BackgroundCompletion | None,
) -> PackingResult:
    """The exact search, and its answer."""
    best = packings[0]
    lb, bound_name = bound.value, bound.name
    incumbent: dict[int, int] | None = None if best.unplaced else best.placement
    method = best.name
    tell(options.progress, "column generation (HiGHS)", ub, lb)
    outcome = search_at_bound(
        scaled,
        packings,
        progress=options.progress,
        lb=lb,
        ub=ub,
        clock=clock,
        completion_seed=options.seed + 1 if background is not None else None,
        background=background,
    )
    if outcome.lower_bound > lb:
        lb, bound_name = outcome.lower_bound, outcome.bound_method
    if outcome.placement is not None:
        incumbent, ub = outcome.placement, outcome.value
        method = outcome.method
    if ub is not None and ub <= lb:
        return _result(
            problem,
            clock,
            status=Status.OPTIMAL,
            bound=ub,
            placement=incumbent,
            method=f"{method}; bound {bound_name}",
        )
    if ub is None and lb > max_objective(scaled):
        # The relaxation needed its artificial columns (their price is huge): report "more
        # than every node", not the artificial price.
        return _result(
            problem,
            clock,
            status=Status.INFEASIBLE,
            bound=max_objective(scaled) + 1,
            placement=best.placement,
            method=f"{best.name}; bound {bound_name}",
        )
    return _last_chance(problem, clock, background, lb=lb, ub=ub, bound_name=bound_name) or (
        _result(
            problem,
            clock,
            status=Status.FEASIBLE if incumbent is not None else Status.UNKNOWN,
            bound=lb,
            placement=incumbent,
            method=f"{method}; bound {bound_name}",
        )
    )


def _last_chance(
    problem: PackingProblem,
    clock: Clock,
    background: BackgroundCompletion | None,
    *,
    lb: int,
    ub: int | None,
    bound_name: str,
) -> PackingResult | None:
    """Nothing else left to try: the background bin completion gets the rest of the time."""
    if background is None or background.bins != lb or (ub is not None and ub <= lb):
        return None
    packed = background.answer(timeout=clock.remaining_seconds())
    if packed is None:
        return None
    return _result(
        problem,
        clock,
        status=Status.OPTIMAL,
        bound=lb,
        placement=packed,
        method=f"bin completion; bound {bound_name}",
    )
