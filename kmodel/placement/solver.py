"""The exact packer: presolve, heuristics and bounds first, then HiGHS models between them.

Steps of :func:`solve`:

1. Presolve (:mod:`kmodel.placement.presolve`): pods that fit no node are set aside (the NODES
   and COST problems are then infeasible; the rest is still packed), dominated node types and
   dimensions that cannot bind are dropped. The steps below run on the reduced problem; its
   answer is mapped back and checked against the original.
2. Heuristics (:mod:`kmodel.placement.heuristics`; perturbed restarts stop at a quarter of the
   limit) give the upper bound, bounds (:mod:`kmodel.placement.bounds`) the lower bound. Equal:
   proven optimal.
3. Identical nodes and the NODES objective: bin completion (:mod:`kmodel.placement.completion`)
   looks for a packing at the simple bound, with a short slice: most instances whose volume
   bound is the optimum fall to it at once.
4. The pattern model (:mod:`kmodel.placement.patterns`): column generation raises the bound
   (its Lagrangian bound is valid at every iteration; one persistent HiGHS model, warm-started).
   Then, for a packing at the bound: grouped problems with several dimensions or constraints
   (Kubernetes-shaped: few replica groups, many pods) ask the compact assignment model
   (:mod:`kmodel.placement.compact`) for a packing within the bound, guided by the
   relaxation's nodes per type. Otherwise the reduced-cost enumeration
   (:mod:`kmodel.placement.enumeration`) lists every pattern a packing at the bound could use
   and an integer program over exactly those answers exactly: a packing found is optimal,
   "infeasible" raises the bound by one (this proves the instances without the integer
   round-up property). When the list is too long (tiny waste allowed, many near-full
   patterns), bin completion searches at the relaxation's bound with most of the time left.
   The integer master over the generated patterns, diving, a compact search between the
   bounds and the arc-flow integer program (HiGHS) use what is left. Every HiGHS integer
   program runs in a child process killed at the deadline (:mod:`kmodel.placement.isolated`):
   HiGHS overruns its own time limit at the root.
5. PLACED: the pattern model with lexicographic weights (the best heuristic when the
   priority levels are too many for its integers); with every pod
   placed, the relaxation's bound also bounds the nodes (``nodes_lower_bound``).

Every step gets a share of the time that is left; when it runs out the best packing found is
returned with the bound proven so far (status ``feasible``, or ``unknown`` without a packing).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from kmodel.errors import InputError
from kmodel.placement.arcflow import ArcFlowGraph, arcflow_milp, build_arcflow
from kmodel.placement.bounds import Bound, lower_bound, node_count_bound, nodes_bound
from kmodel.placement.compact import compact_feasible, compact_size, pack_node_counts
from kmodel.placement.completion import complete_bins, completion_applies
from kmodel.placement.enumeration import enumerate_patterns
from kmodel.placement.heuristics import Packing, best_heuristic
from kmodel.placement.isolated import BackgroundCall
from kmodel.placement.patterns import (
    ColumnGeneration,
    Pattern,
    PatternSolution,
    column_generation,
    dive,
    pattern_milp,
    patterns_of_placement,
    placement_of_patterns,
    unplaced_weights,
)
from kmodel.placement.presolve import presolve
from kmodel.placement.problem import (
    Objective,
    PackingProblem,
    PackingResult,
    Status,
    check_placement,
    nodes_and_cost,
)

__all__ = ["SolveOptions", "solve"]


#: ``progress(phase, incumbent, bound)``: see :class:`SolveOptions`.
Progress = Callable[[str, int | None, int], None]


def _tell(progress: Progress | None, phase: str, incumbent: int | None, bound: int) -> None:
    if progress is not None:
        progress(phase, incumbent, bound)


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


class _Clock:
    """Remaining time; the only wall-clock use, for limits and reporting."""

    def __init__(self, limit: float) -> None:
        self.start = time.perf_counter()
        self.limit = limit

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining_ms(self) -> int:
        return max(0, int((self.limit - self.elapsed()) * 1000))

    def remaining_seconds(self) -> float:
        return max(0.0, self.limit - self.elapsed())


def _result(
    problem: PackingProblem,
    clock: _Clock,
    *,
    status: Status,
    bound: int,
    placement: dict[int, int] | None,
    method: str,
) -> PackingResult:
    if placement is None:
        return PackingResult(
            status=status,
            objective=problem.objective,
            nodes_used=None,
            cost=None,
            lower_bound=bound,
            optimal=False,
            solve_seconds=clock.elapsed(),
            placement={},
            unplaced=tuple(range(problem.n_items)),
            method=method,
        )
    used, cost = nodes_and_cost(problem, placement)
    unplaced = tuple(i for i in range(problem.n_items) if i not in placement)
    return PackingResult(
        status=status,
        objective=problem.objective,
        nodes_used=used,
        cost=cost,
        lower_bound=bound,
        optimal=status is Status.OPTIMAL,
        solve_seconds=clock.elapsed(),
        placement=placement,
        unplaced=unplaced,
        method=method,
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
    if not isinstance(problem, PackingProblem):
        raise InputError(f"expected a PackingProblem, got {type(problem).__name__}", path="problem")
    options = SolveOptions() if options is None else options
    if not isinstance(options, SolveOptions):
        raise InputError(f"expected SolveOptions, got {type(options).__name__}", path="options")
    if isinstance(options.time_limit, bool) or not isinstance(options.time_limit, int | float):
        raise InputError("expected a number of seconds", path="options.time_limit")
    if not options.time_limit > 0:
        raise InputError("must be > 0", path="options.time_limit")
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
    clock = _Clock(float(options.time_limit))
    scaled = problem.normalized()

    restarts = _default_restarts(scaled) if options.restarts is None else options.restarts
    # Restarts stop at a quarter of the limit: the bounds and the exact models need the rest.
    # Replica groups on several node types stop sooner: the node-count packing and the compact
    # model find far better packings than perturbed greedy runs, given the time.
    share = 0.25 * clock.limit
    if _replica_groups(scaled) and scaled.objective is Objective.COST:
        share = min(share, 1.0)
    packings = best_heuristic(
        scaled, restarts=restarts, seed=options.seed, deadline=clock.start + share
    )
    best = packings[0]
    bound = lower_bound(scaled)
    lb = bound.value
    _tell(options.progress, "heuristics and bounds", _value(scaled, best), lb)
    if scaled.objective is Objective.PLACED:
        placed = _solve_placed_patterns(problem, scaled, packings, lb=lb, clock=clock)
        if placed is not None:
            return placed
        # Priority levels too many for the weighted objective's integers: the best heuristic.
        return _result(
            problem,
            clock,
            status=Status.FEASIBLE,
            bound=lb,
            placement=best.placement,
            method=f"{best.name}; bound {bound.name}",
        )
    ub = _value(scaled, best) if not best.unplaced else None
    if ub is not None and ub <= lb:
        return _result(
            problem,
            clock,
            status=Status.OPTIMAL,
            bound=ub,
            placement=best.placement,
            method=f"{best.name}; bound {bound.name}",
        )

    background: _BackgroundCompletion | None = None
    if scaled.objective is Objective.NODES and completion_applies(scaled):
        # Most instances whose simple bound is the optimum fall to bin completion in well
        # under a second; the rest of the time goes to the relaxation and its proofs.
        packed = complete_bins(
            scaled,
            lb,
            deadline=time.perf_counter() + 0.06 * clock.remaining_seconds(),
            seed=options.seed,
        )
        if packed is not None and not check_placement(scaled, packed):
            return _result(
                problem,
                clock,
                status=Status.OPTIMAL,
                bound=lb,
                placement=packed,
                method=f"bin completion; bound {bound.name}",
            )
        # Bin completion goes on on another core while the relaxation runs (at its bound).
        background = _BackgroundCompletion(scaled, lb, clock=clock, seed=options.seed + 2)
    try:
        return _solve_exactly(
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


def _solve_exactly(
    problem: PackingProblem,
    scaled: PackingProblem,
    packings: Sequence[Packing],
    *,
    bound: Bound,
    ub: int | None,
    clock: _Clock,
    options: SolveOptions,
    background: _BackgroundCompletion | None,
) -> PackingResult:
    """The exact part of :func:`solve`: the pattern, compact and arc-flow models (HiGHS)."""
    best = packings[0]
    lb, bound_name = bound.value, bound.name
    incumbent: dict[int, int] | None = None if best.unplaced else best.placement
    method = best.name
    _tell(options.progress, "column generation (HiGHS)", ub, lb)
    outcome = _solve_patterns(
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
    if ub is None and lb > _max_objective(scaled):
        # The relaxation needed its artificial columns (their price is huge): report "more
        # than every node", not the artificial price.
        return _result(
            problem,
            clock,
            status=Status.INFEASIBLE,
            bound=_max_objective(scaled) + 1,
            placement=best.placement,
            method=f"{best.name}; bound {bound_name}",
        )
    if background is not None and background.bins == lb and (ub is None or ub > lb):
        # Nothing else left to try: the background bin completion gets the rest of the time.
        packed = background.answer(clock.remaining_seconds())
        if packed is not None:
            return _result(
                problem,
                clock,
                status=Status.OPTIMAL,
                bound=lb,
                placement=packed,
                method=f"bin completion; bound {bound_name}",
            )
    return _result(
        problem,
        clock,
        status=Status.FEASIBLE if incumbent is not None else Status.UNKNOWN,
        bound=lb,
        placement=incumbent,
        method=f"{method}; bound {bound_name}",
    )


class _BackgroundCompletion:
    """Bin completion at ``bins`` nodes in a child process, until the solve's time is up."""

    def __init__(self, problem: PackingProblem, bins: int, *, clock: _Clock, seed: int) -> None:
        self.problem, self.clock = problem, clock
        self.bins = bins
        self.call = self._start(bins, seed)

    def _start(self, bins: int, seed: int) -> BackgroundCall[dict[int, int]]:
        # It stops a little before the limit, so that its answer is in before the solve ends.
        deadline = self.clock.start + self.clock.limit - _BACKGROUND_MARGIN
        return BackgroundCall(complete_bins, self.problem, bins, deadline=deadline, seed=seed)

    def restart(self, bins: int, *, seed: int) -> None:
        """Search at ``bins`` nodes instead (the bound rose: none exists at the old count)."""
        self.call.stop()
        self.bins = bins
        self.call = self._start(bins, seed)

    def answer(self, timeout: float = 0.0) -> dict[int, int] | None:
        """The packing found, if one is in within ``timeout`` seconds (checked)."""
        _, packed = self.call.poll(timeout=timeout)
        if packed is None or check_placement(self.problem, packed):
            return None
        return packed

    def stop(self) -> None:
        self.call.stop()


#: Seconds before the time limit at which the background bin completion gives up.
_BACKGROUND_MARGIN = 0.3


# ---------------------------------------------------------------------------- patterns


@dataclass(frozen=True)
class _PatternOutcome:
    lower_bound: int
    value: int | None
    placement: dict[int, int] | None
    method: str = ""
    #: What proved ``lower_bound`` (when it is above the bound the step started from).
    bound_method: str = "pattern LP (HiGHS)"


def _initial_patterns(problem: PackingProblem, packings: Sequence[Packing]) -> list[Pattern]:
    """Patterns of the few best heuristic packings: the master starts feasible and near."""
    patterns: list[Pattern] = []
    for packing in packings[:4]:
        patterns.extend(patterns_of_placement(problem, packing.placement))
    return patterns


def _solve_patterns(
    problem: PackingProblem,
    packings: Sequence[Packing],
    *,
    lb: int,
    ub: int | None,
    clock: _Clock,
    completion_seed: int | None = None,
    background: _BackgroundCompletion | None = None,
    progress: Progress | None = None,
) -> _PatternOutcome:
    """Column generation for the bound, then the integer master for a packing (HiGHS).

    With ``completion_seed``, bin completion searches at the relaxation's bound too; with
    ``background``, the bin completion already running on another core is asked between the
    steps (and moved to the relaxation's bound when that rises).
    """
    # The relaxation gets up to half of the time left, the integer master the next part.
    start = time.perf_counter()
    grouped = problem.n_items >= 2 * len(problem.groups)
    arcflow = _arcflow_applicable(problem)
    if grouped and not arcflow:
        # Before the relaxation: on replica groups its bound is below the node-count cover's,
        # and the packing on the cover's counts needs most of the time (measured 6-7 s).
        counted = _node_counts_at_bound(problem, lb=lb, clock=clock, share=0.7)
        if counted is not None:
            return _PatternOutcome(
                lb, lb, counted, "node-count packing (HiGHS)", "node-count cover"
            )
    start = time.perf_counter()
    left = clock.remaining_seconds()
    cg = column_generation(
        problem,
        _initial_patterns(problem, packings),
        deadline=start + 0.5 * left,
        upper_bound=ub,
        lower_bound=lb,
        # The enumeration wants the LP optimum's duals; Kubernetes-shaped problems (replica
        # groups on several node types) go to the compact model, which wants the time instead.
        converge=not grouped or arcflow,
    )
    lb = max(lb, cg.lower_bound)
    _tell(progress, "exact models at the bound (HiGHS)", ub, lb)
    if (ub is not None and ub <= lb) or lb > _max_objective(problem):
        return _PatternOutcome(lb, None, None)
    bound_by = "pattern LP (HiGHS)"
    best_value, best_placement, method = ub, None, ""

    def harvest(timeout: float = 0.0) -> None:
        nonlocal best_value, best_placement, method
        if background is None:
            return
        if background.bins < lb and completion_seed is not None:
            background.restart(lb, seed=completion_seed + lb)  # none exists at the old bound
        if background.bins != lb:
            return
        packed = background.answer(timeout)
        if packed is not None and (best_value is None or lb < best_value):
            best_value, best_placement, method = lb, packed, "bin completion"

    def consider(solution: PatternSolution, name: str) -> None:
        nonlocal best_value, best_placement, method
        if solution.value is None:
            return
        placement = placement_of_patterns(problem, solution.chosen)
        if check_placement(problem, placement):  # pragma: no cover - a bug, never a packing
            return
        value = _objective_of(problem, placement)
        if best_value is None or value < best_value:
            best_value, best_placement, method = value, placement, name

    def gap() -> bool:
        harvest()
        return best_value is None or best_value > lb

    harvest()  # the relaxation may have raised the bound: the background search follows

    # The compact model pays where pods are grouped (a few shapes, many replicas): it settles
    # Kubernetes-shaped problems, where diving wanders, so it goes first there. Elsewhere the
    # integer master over the generated patterns and diving (residual rounding) go first, each
    # with a short slice: they settle most one-dimensional instances in milliseconds, and on
    # mostly distinct sizes the arc-flow model is a better use of the time than the compact one.
    if grouped and not arcflow:
        raised, found = _compact_at_bound(problem, cg.usage, lb=lb, clock=clock)
        if raised > lb:
            lb, bound_by = raised, "compact MILP (HiGHS)"
        if found is not None:
            value = _objective_of(problem, found)
            return _PatternOutcome(lb, value, found, "compact MILP (HiGHS)", bound_by)
        if best_value is not None and best_value - lb >= 2:
            # Most of the time left: on these problems the compact model finds packings within
            # a fraction of a percent of the bound, the pattern master rarely does.
            better = _compact_search(
                problem, cg.usage, lb=lb, ub=best_value, clock=clock, share=0.85
            )
            if better is not None:
                best_value, best_placement = _objective_of(problem, better), better
                method = "compact MILP (HiGHS)"
    listed = True
    if gap() and not (grouped and not arcflow):  # replica groups: far too many patterns
        raised, enumerated, listed = _enumerated_search(
            problem, cg, lb=lb, ub=best_value, clock=clock
        )
        if raised > lb:
            lb, bound_by = raised, "reduced-cost enumeration (HiGHS)"
        if enumerated is not None:
            best_value, best_placement = _objective_of(problem, enumerated), enumerated
            method = "reduced-cost enumeration (HiGHS)"
        if not gap() or lb > _max_objective(problem):
            return _PatternOutcome(lb, best_value, best_placement, method, bound_by)
    consider(
        pattern_milp(
            problem,
            cg.patterns,
            deadline=time.perf_counter() + 0.1 * clock.remaining_seconds(),
            lower_bound=lb,
            cutoff=None if best_value is None else best_value - 1,
        ),
        "pattern MILP (HiGHS)",
    )
    if gap() and not (grouped and not arcflow):  # diving wanders on grouped problems
        consider(
            dive(
                problem,
                cg.patterns,
                deadline=time.perf_counter() + 0.1 * clock.remaining_seconds(),
            ),
            "pattern dive (HiGHS)",
        )
    if gap() and completion_seed is not None:
        # Too many patterns near the bound to list means packings with little waste abound
        # (Waescher, Schwerin): bin completion finds one, with most of the time left.
        share = 0.3 if listed else 0.7
        if background is not None and background.bins == lb:
            harvest(share * clock.remaining_seconds())  # it has been searching all along
        else:
            packed = complete_bins(
                problem,
                lb,
                deadline=time.perf_counter() + share * clock.remaining_seconds(),
                seed=completion_seed,
            )
            if packed is not None and not check_placement(problem, packed):
                best_value, best_placement = _objective_of(problem, packed), packed
                method = "bin completion"
    if gap() and grouped and arcflow:
        raised, found = _compact_at_bound(problem, cg.usage, lb=lb, clock=clock)
        if raised > lb:
            lb, bound_by = raised, "compact MILP (HiGHS)"
        if found is not None:
            best_value, best_placement = _objective_of(problem, found), found
            method = "compact MILP (HiGHS)"
    if grouped and arcflow and best_value is not None and best_value - lb >= 2:
        better = _compact_search(problem, cg.usage, lb=lb, ub=best_value, clock=clock)
        if better is not None:
            best_value, best_placement = _objective_of(problem, better), better
            method = "compact MILP (HiGHS)"
    if gap() and lb <= _max_objective(problem) and arcflow:
        raised, flows = _arcflow_highs(problem, lb=lb, ub=best_value, clock=clock)
        if raised > lb:
            lb, bound_by = raised, "arc-flow MILP (HiGHS)"
        if flows is not None:
            (best_value, best_placement), method = flows, "arc-flow MILP (HiGHS)"
    if gap() and not (grouped and not arcflow) and clock.remaining_seconds() > 0.5:
        # Time is left and nothing closed the gap: a longer dive than the first slice.
        consider(
            dive(
                problem,
                cg.patterns,
                deadline=time.perf_counter() + 0.7 * clock.remaining_seconds(),
            ),
            "pattern dive (HiGHS)",
        )
    if best_placement is None:
        return _PatternOutcome(lb, None, None, bound_method=bound_by)
    return _PatternOutcome(lb, best_value, best_placement, method, bound_by)


#: The most patterns the reduced-cost enumeration lists before giving up on a proof.
MAX_ENUMERATED = 30_000


def _enumerated_search(
    problem: PackingProblem,
    cg: ColumnGeneration,
    *,
    lb: int,
    ub: int | None,
    clock: _Clock,
) -> tuple[int, dict[int, int] | None, bool]:
    """Exact search at the bound over the patterns a better packing could use.

    For ``k`` from the bound up to below the best known value: list every pattern a packing
    of value ``k`` could use (:mod:`kmodel.placement.enumeration`), then ask HiGHS for such a
    packing over exactly those patterns. A packing found has value ``k`` and is optimal;
    "infeasible" proves the bound ``k + 1``. Stops when the list is too long to be complete or
    the time share runs out.

    Returns:
        (bound, packing or ``None``, whether every list asked for was complete).
    """
    prices = cg.prices
    if prices is None or problem.objective is Objective.PLACED:
        return lb, None, False
    # Listing gives up early (a long list would not solve in time anyway); the integer
    # programs get most of the time.
    deadline = time.perf_counter() + 0.9 * clock.remaining_seconds()
    k = lb
    while (ub is None or k < ub) and k <= _max_objective(problem):
        # Every pattern (a partition: the tighter model) while the list stays short, else the
        # maximal ones only (a covering).
        for maximal, share in ((False, 0.1), (True, 0.2)):
            listed = enumerate_patterns(
                problem,
                prices,
                k,
                limit=MAX_ENUMERATED,
                deadline=time.perf_counter() + share * clock.remaining_seconds(),
                maximal=maximal,
            )
            if listed.complete:
                break
        else:
            return lb, None, False
        exact = not maximal
        if not listed.patterns:
            lb = k = _next_value(problem, k)
            continue
        solution = pattern_milp(
            problem,
            listed.patterns,
            deadline=deadline,
            lower_bound=k,
            cutoff=k,
            exact_cover=exact,
        )
        if solution.value is not None:
            placement = placement_of_patterns(problem, solution.chosen)
            if check_placement(problem, placement):  # pragma: no cover - a bug, never a packing
                return lb, None, True
            return k, placement, True
        if not solution.infeasible:
            return lb, None, True  # out of time
        lb = k = _next_value(problem, k)
    return lb, None, True


#: The largest compact model (integer variables) handed to HiGHS at the bound.
MAX_COMPACT_VARIABLES = 30_000


def _compact_at_bound(
    problem: PackingProblem, usage: dict[int, float], *, lb: int, clock: _Clock
) -> tuple[int, dict[int, int] | None]:
    """Ask the compact model (HiGHS) for a packing at the lower bound: (bound, packing).

    The slots per type are the relaxation's nodes of the type rounded up, plus one; a packing
    found is optimal. When the slots cover every usable node, "infeasible" raises the bound.
    """
    slots = {
        t: math.ceil(usage.get(t, 0.0) - 1e-6) + 1
        for t, typ in enumerate(problem.node_types)
        if typ.count
    }
    if compact_size(problem, lb, slots) > MAX_COMPACT_VARIABLES:
        return lb, None
    # A third of the time left: the integer master and the rest still get their turn.
    deadline = time.perf_counter() + 0.4 * clock.remaining_seconds() - 0.1
    solution = compact_feasible(problem, lb, slots, deadline=deadline)
    if solution.placement is not None:
        placement = solution.placement
        if check_placement(problem, placement) or len(placement) != problem.n_items:
            return lb, None  # pragma: no cover - a bug, never a packing
        if _objective_of(problem, placement) <= lb:
            return lb, placement
        return lb, None  # pragma: no cover - the budget row makes this impossible
    if solution.infeasible and solution.exhaustive:
        return _next_value(problem, lb), None
    return lb, None


def _node_counts_at_bound(
    problem: PackingProblem, *, lb: int, clock: _Clock, share: float
) -> dict[int, int] | None:
    """A packing at the bound on the node counts of the cheapest integer cover, if one is found.

    The node-count cover (:func:`kmodel.placement.bounds.node_count_bound`) gives the cheapest
    whole numbers of nodes per type whose capacity holds the pods; when its value is the bound,
    a packing on exactly those nodes is optimal. On replica groups the cover's nodes have only a
    few hundred millicores to spare, which the compact model rarely finds in time and
    :func:`kmodel.placement.compact.pack_node_counts` does. COST only: for NODES the compact
    model at the volume bound is already fast on replica groups (on the openb trace's counts,
    pack_node_counts overran its deadline by minutes).
    """
    if problem.objective is not Objective.COST or len(problem.node_types) < 2:
        return None
    cover = node_count_bound(problem, time_limit=max(0.05, 0.05 * clock.remaining_seconds()))
    if cover.value > lb or not cover.counts or cover.value < lb:
        return None
    deadline = time.perf_counter() + share * clock.remaining_seconds()
    placement = pack_node_counts(problem, cover.counts, deadline=deadline)
    if placement is None or check_placement(problem, placement):
        return None
    if len(placement) != problem.n_items or _objective_of(problem, placement) > lb:
        return None  # pragma: no cover - the counts' cost is the bound
    return placement


def _compact_search(
    problem: PackingProblem,
    usage: dict[int, float],
    *,
    lb: int,
    ub: int,
    clock: _Clock,
    share: float = 0.6,
) -> dict[int, int] | None:
    """Better packings from the compact model, searching the budget between the bounds.

    A primal search only: the slots follow the relaxation (its nodes per type rounded up, plus
    two), so "infeasible" proves nothing and just moves the search up. The first budget is an
    eighth of the gap above the bound (a packing near the bound is what a proof needs), then
    bisection. Gets ``share`` of the time left. Returns the best packing found below ``ub``.
    """
    slots = {
        t: math.ceil(usage.get(t, 0.0) - 1e-6) + 2
        for t, typ in enumerate(problem.node_types)
        if typ.count
    }
    if compact_size(problem, ub, slots) > MAX_COMPACT_VARIABLES:
        return None
    deadline = time.perf_counter() + share * clock.remaining_seconds() - 0.1
    low, best, found = lb + 1, ub, None
    target = min(ub - 1, lb + max(1, -(-(ub - lb) // 8)))
    while low < best and time.perf_counter() < deadline - 0.2:
        solution = compact_feasible(problem, target, slots, deadline=deadline)
        placement = solution.placement
        if placement is not None:
            if check_placement(problem, placement) or len(placement) != problem.n_items:
                return found  # pragma: no cover - a bug, never a packing
            found, best = placement, _objective_of(problem, placement)
        elif solution.infeasible:
            low = target + 1
        else:
            break  # out of time
        target = (low + best - 1) // 2
    return found


def _arcflow_highs(
    problem: PackingProblem, *, lb: int, ub: int | None, clock: _Clock
) -> tuple[int, tuple[int, dict[int, int]] | None]:
    """The arc-flow integer program (HiGHS) between the bounds: (bound, (value, placement))."""
    weights, demands, group_type = _arc_types(problem)
    cap = next(t for t in problem.node_types if t.count).capacity
    graph = build_arcflow(
        weights,
        demands,
        cap,
        max_arcs=MAX_HIGHS_ARCS,
        deadline=time.perf_counter() + 0.3 * clock.remaining_seconds(),
    )
    # HiGHS's presolve is not interrupted by its time limit: leave it a margin.
    left = 0.8 * clock.remaining_seconds() - 0.2
    if graph is None or left <= 0:
        return lb, None
    cutoff = problem.n_nodes if ub is None else ub - 1
    solution = arcflow_milp(graph, demands, time_limit=left, lower_bound=lb, cutoff=cutoff)
    lb = max(lb, solution.lower_bound)
    if solution.flows is None:
        return lb, None
    placement = _decode_arcflow(problem, graph, solution.flows, group_type)
    if check_placement(problem, placement) or len(placement) != problem.n_items:
        return lb, None  # pragma: no cover - a bug, never a packing
    return lb, (_objective_of(problem, placement), placement)


#: The largest arc-flow graph handed to HiGHS (beyond it the LP alone takes seconds).
MAX_HIGHS_ARCS = 20_000


def _solve_placed_patterns(
    original: PackingProblem,
    problem: PackingProblem,
    packings: Sequence[Packing],
    *,
    lb: int,
    clock: _Clock,
) -> PackingResult | None:
    """PLACED by the pattern model: most pods by priority, then fewest nodes (HiGHS)."""
    weights = unplaced_weights(problem)
    if weights is None:
        return None
    best = packings[0]

    def weighted(placement: dict[int, int]) -> int:
        unplaced = Counter(
            problem.group_of(i) for i in range(problem.n_items) if i not in placement
        )
        nodes, _ = nodes_and_cost(problem, placement)
        return nodes + sum(weights[g] * n for g, n in unplaced.items())

    incumbent = best.placement
    value = weighted(incumbent)
    start = time.perf_counter()
    left = clock.remaining_seconds()
    cg = column_generation(
        problem,
        _initial_patterns(problem, packings),
        deadline=start + 0.5 * left,
        upper_bound=value,
    )
    method = best.name
    if cg.lower_bound < value:
        solution = pattern_milp(
            problem,
            cg.patterns,
            # Decoding, checking and placing leftovers take a moment on thousands of pods.
            deadline=time.perf_counter() + 0.97 * clock.remaining_seconds(),
            lower_bound=cg.lower_bound,
            cutoff=value - 1,
        )
        if solution.value is not None:
            placement = placement_of_patterns(problem, solution.chosen, partial=True)
            if not check_placement(problem, placement) and weighted(placement) < value:
                incumbent, value = placement, weighted(placement)
                method = "pattern MILP (HiGHS)"
    repaired = _place_leftovers(problem, incumbent)
    if repaired is not None and weighted(repaired) < value:
        incumbent, value = repaired, weighted(repaired)
        method += " + leftovers placed"
    optimal = cg.lower_bound >= value
    # A bound on the unplaced pods: one level only, the nodes term is below one pod's weight.
    unplaced_lb = lb
    if len({g.priority for g in problem.groups}) <= 1 and weights:
        unplaced_lb = max(lb, -(-(cg.lower_bound - problem.n_nodes) // weights[0]))
    n_unplaced = problem.n_items - len(incumbent)
    result = _result(
        original,
        clock,
        status=Status.OPTIMAL if optimal else Status.FEASIBLE,
        bound=n_unplaced if optimal else min(unplaced_lb, n_unplaced),
        placement=incumbent,
        method=f"{method}; bound pattern LP (HiGHS)",
    )
    if n_unplaced == 0:
        # Everything placed (the first criterion is met): the weighted bound bounds the nodes.
        proven = max(cg.lower_bound, nodes_bound(problem).value)
        return replace(result, nodes_lower_bound=proven)
    return result


def _place_leftovers(problem: PackingProblem, placement: dict[int, int]) -> dict[int, int] | None:
    """Unplaced pods put where they still fit, used nodes first: a better PLACED packing.

    The integer master can stop at the time limit with pods out that fit somewhere (an empty
    node, room left on a used one). Higher priorities first; capacity, eligibility and the
    per-node limit are checked here, everything at the end by :func:`check_placement` (``None``
    when nothing changes or the result breaks a rule, e.g. a per-domain cap).
    """
    left = [i for i in range(problem.n_items) if i not in placement]
    if not left:
        return None
    free = {b: list(problem.node_types[problem.type_of(b)].free) for b in range(problem.n_nodes)}
    per_node: Counter[tuple[int, int]] = Counter()
    for item, node in placement.items():
        g = problem.group_of(item)
        per_node[g, node] += 1
        for d, w in enumerate(problem.groups[g].demand):
            free[node][d] -= w
    used = set(placement.values())
    order = sorted(used) + [b for b in range(problem.n_nodes) if b not in used]
    out = dict(placement)
    for item in sorted(left, key=lambda i: -problem.groups[problem.group_of(i)].priority):
        g = problem.group_of(item)
        grp = problem.groups[g]
        for node in order:
            if not problem.eligible(g, problem.type_of(node)):
                continue
            if grp.max_per_node is not None and per_node[g, node] >= grp.max_per_node:
                continue
            if all(w <= f for w, f in zip(grp.demand, free[node], strict=True)):
                out[item] = node
                per_node[g, node] += 1
                for d, w in enumerate(grp.demand):
                    free[node][d] -= w
                break
    if len(out) == len(placement) or check_placement(problem, out):
        return None
    return out


# ---------------------------------------------------------------------------- arc-flow


def _replica_groups(problem: PackingProblem) -> bool:
    """Kubernetes-shaped: many pods per group on several node types (the compact model's turf)."""
    return problem.n_items >= 2 * len(problem.groups) and not _arcflow_applicable(problem)


def _arcflow_applicable(problem: PackingProblem) -> bool:
    types = [t for t in problem.node_types if t.count]
    if len(types) != 1 or types[0].preloaded or problem.objective is not Objective.NODES:
        return False
    return all(
        g.allowed_node_types is None
        and not g.domain_caps
        and (g.max_per_node is None or g.max_per_node >= g.count)
        for g in problem.groups
    )


def _arc_types(problem: PackingProblem) -> tuple[list[tuple[int, ...]], list[int], list[int]]:
    """Distinct non-zero demand vectors (largest first), their counts, and each group's type."""
    cap = next(t for t in problem.node_types if t.count).capacity
    demand_count: dict[tuple[int, ...], int] = {}
    for g in problem.groups:
        if any(g.demand) and g.count:
            demand_count[g.demand] = demand_count.get(g.demand, 0) + g.count
    weights = sorted(
        demand_count,
        key=lambda w: (-sum(x / c if c else 0 for x, c in zip(w, cap, strict=True)), w),
    )
    index = {w: k for k, w in enumerate(weights)}
    group_type = [index.get(g.demand, -1) for g in problem.groups]
    return weights, [demand_count[w] for w in weights], group_type


def _decode_arcflow(
    problem: PackingProblem,
    graph: ArcFlowGraph,
    flow_values: Sequence[int],
    group_type: Sequence[int],
) -> dict[int, int]:
    remaining = list(flow_values)
    out: dict[tuple[int, ...], list[int]] = {}
    for k, (tail, _, _) in enumerate(graph.arcs):
        out.setdefault(tail, []).append(k)
    # Items waiting for a place, per arc type (zero-demand pods go to the first bin).
    waiting: dict[int, list[int]] = {}
    zero_items: list[int] = []
    for i in range(problem.n_items):
        t = group_type[problem.group_of(i)]
        (zero_items if t < 0 else waiting.setdefault(t, [])).append(i)
    for items in waiting.values():
        items.reverse()  # pop() hands out the lowest index first
    node_base = problem.first_node(next(t for t, typ in enumerate(problem.node_types) if typ.count))
    placement: dict[int, int] = {}
    bin_index = 0
    while True:
        start = next((k for k in out.get(graph.source, ()) if remaining[k] > 0), None)
        if start is None:
            break
        position = graph.source
        content: list[int] = []
        while position != graph.sink:
            k = next(k for k in out[position] if remaining[k] > 0)
            remaining[k] -= 1
            _, position, t = graph.arcs[k]
            if t >= 0 and waiting.get(t):
                content.append(waiting[t].pop())
        if content:
            for i in content:
                placement[i] = node_base + bin_index
            bin_index += 1
    for i in zero_items:
        placement[i] = node_base
    return placement


def _objective_of(problem: PackingProblem, placement: dict[int, int]) -> int:
    used, cost = nodes_and_cost(problem, placement)
    return cost if problem.objective is Objective.COST else used


def _max_objective(problem: PackingProblem) -> int:
    if problem.objective is Objective.COST:
        return sum(t.cost * t.count for t in problem.node_types)
    return problem.n_nodes


def _next_value(problem: PackingProblem, k: int) -> int:
    """The next objective value worth asking for after ``k`` was refuted."""
    if problem.objective is not Objective.COST:
        return k + 1
    # Costs are sums of node costs: skip values no set of nodes can add up to only when the
    # gcd of the costs says so (cheap and exact).
    g = 0
    for t in problem.node_types:
        g = math.gcd(g, t.cost)
    if g <= 1:
        return k + 1
    return (k // g + 1) * g
