"""The exact search between the bounds: the relaxation, then the steps at its bound, in order.

Column generation (:mod:`kmodel.placement.engine.column_generation`) raises the bound. Then
the steps of :data:`STEPS` run in turn, each with its share of the time left
(:mod:`kmodel.placement.engine.schedule`), until the best packing meets the bound:

* replica groups on several node types (Kubernetes-shaped: a few shapes, many replicas) go to
  the compact model first (:mod:`kmodel.placement.engine.compact`), which settles them where
  diving wanders; far too many patterns for the enumeration there;
* elsewhere the reduced-cost enumeration (:mod:`kmodel.placement.engine.enumeration`) answers
  at the bound exactly, then the integer master over the generated patterns and a first dive
  (:mod:`kmodel.placement.engine.price_and_branch`), each with a short slice;
* bin completion (:mod:`kmodel.placement.engine.completion`) at the relaxation's bound, with
  most of the time when the enumeration's lists were too long (packings with little waste
  abound), or the one already running on another core is asked;
* on identical nodes the compact model and the arc-flow integer program
  (:mod:`kmodel.placement.engine.arcflow`), then a longer dive with whatever time is left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kmodel.placement.engine.arcflow import arcflow_applies, arcflow_search
from kmodel.placement.engine.column_generation import ColumnGeneration, column_generation
from kmodel.placement.engine.compact import (
    compact_at_bound,
    compact_out_of_reach,
    compact_search,
    node_counts_at_bound,
)
from kmodel.placement.engine.completion import BackgroundCompletion, complete_bins
from kmodel.placement.engine.enumeration import enumerated_search
from kmodel.placement.engine.heuristics import Packing
from kmodel.placement.engine.master import initial_patterns, placement_of_patterns
from kmodel.placement.engine.price_and_branch import PatternSolution, dive, pattern_milp
from kmodel.placement.engine.problem import (
    PackingProblem,
    check_placement,
    max_objective,
    objective_of,
)
from kmodel.placement.engine.schedule import SCHEDULE, Clock, Progress, tell

__all__ = ["STEPS", "SearchOutcome", "replica_groups", "search_at_bound"]

_PATTERN_LP = "pattern LP (HiGHS)"
_COMPACT = "compact MILP (HiGHS)"
_ENUMERATION = "reduced-cost enumeration (HiGHS)"
_DIVE = "pattern dive (HiGHS)"
_ARCFLOW = "arc-flow MILP (HiGHS)"
_COMPLETION = "bin completion"


@dataclass(frozen=True)
class SearchOutcome:
    """What :func:`search_at_bound` found.

    Attributes:
        lower_bound: the bound proven.
        value: the objective value of ``placement``.
        placement: the best packing found (``None``: none better than the one it was given).
        method: what found ``placement``.
        bound_method: what proved ``lower_bound`` (when it is above the bound it started from).
    """

    lower_bound: int
    value: int | None
    placement: dict[int, int] | None
    method: str = ""
    bound_method: str = _PATTERN_LP


def replica_groups(problem: PackingProblem) -> bool:
    """Kubernetes-shaped: many pods per group on several node types (the compact model's turf)."""
    return problem.n_items >= 2 * len(problem.groups) and not arcflow_applies(problem)


@dataclass
class _Search:
    """The state the steps share: the bound, the best packing, the background search."""

    problem: PackingProblem
    cg: ColumnGeneration
    clock: Clock
    lb: int
    value: int | None
    background: BackgroundCompletion | None
    completion_seed: int | None
    grouped: bool
    arcflow: bool
    placement: dict[int, int] | None = None
    method: str = ""
    bound_by: str = _PATTERN_LP
    #: Whether every list the enumeration was asked for was complete.
    listed: bool = True

    @property
    def replica_groups(self) -> bool:
        return self.grouped and not self.arcflow

    def raise_bound(self, bound: int, by: str) -> None:
        if bound > self.lb:
            self.lb, self.bound_by = bound, by

    def take(self, placement: dict[int, int], method: str) -> None:
        """Make ``placement`` (checked, better than the best so far) the best packing."""
        self.value, self.placement = objective_of(self.problem, placement), placement
        self.method = method

    def consider(self, solution: PatternSolution, method: str) -> None:
        """Take the packing of chosen patterns if it is better than the best so far."""
        if solution.value is None:
            return
        placement = placement_of_patterns(self.problem, solution.chosen)
        if check_placement(self.problem, placement):  # pragma: no cover - a bug, never a packing
            return
        if self.value is None or objective_of(self.problem, placement) < self.value:
            self.take(placement, method)

    def harvest(self, timeout: float = 0.0) -> None:
        """Ask the background bin completion for its packing (moving it to a risen bound)."""
        background = self.background
        if background is None:
            return
        if background.bins < self.lb and self.completion_seed is not None:
            # None exists at the old bound.
            background.restart(self.lb, seed=self.completion_seed + self.lb)
        if background.bins != self.lb:
            return
        packed = background.answer(timeout=timeout)
        if packed is not None and (self.value is None or self.lb < self.value):
            self.value, self.placement, self.method = self.lb, packed, _COMPLETION

    def gap(self) -> bool:
        """Whether the best packing (after asking the background search) is above the bound."""
        self.harvest()
        return self.value is None or self.value > self.lb

    def outcome(self) -> SearchOutcome:
        if self.placement is None:
            return SearchOutcome(self.lb, None, None, bound_method=self.bound_by)
        return SearchOutcome(self.lb, self.value, self.placement, self.method, self.bound_by)


def search_at_bound(
    problem: PackingProblem,
    packings: Sequence[Packing],
    *,
    lb: int,
    ub: int | None,
    clock: Clock,
    completion_seed: int | None = None,
    background: BackgroundCompletion | None = None,
    progress: Progress | None = None,
) -> SearchOutcome:
    """Column generation for the bound, then the steps of :data:`STEPS` for a packing at it.

    With ``completion_seed``, bin completion searches at the relaxation's bound too; with
    ``background``, the bin completion already running on another core is asked between the
    steps (and moved to the relaxation's bound when that rises).
    """
    grouped = problem.n_items >= 2 * len(problem.groups)
    arcflow = arcflow_applies(problem)
    if grouped and not arcflow:
        # Before the relaxation: on replica groups its bound is below the node-count cover's,
        # and the packing on the cover's counts needs most of the time.
        counted = node_counts_at_bound(problem, lb=lb, clock=clock)
        if counted is not None:
            return SearchOutcome(lb, lb, counted, "node-count packing (HiGHS)", "node-count cover")
    # Replica groups too many for the compact model: the pattern master over the relaxation's
    # columns finds the packing, and the more columns, the better it is (openb).
    alone = grouped and not arcflow and compact_out_of_reach(problem, lb)
    cg = column_generation(
        problem,
        initial_patterns(problem, packings),
        deadline=clock.deadline(SCHEDULE.relaxation_alone if alone else SCHEDULE.relaxation),
        upper_bound=ub,
        lower_bound=lb,
        # The enumeration wants the LP optimum's duals; Kubernetes-shaped problems (replica
        # groups on several node types) go to the compact model, which wants the time instead.
        converge=not grouped or arcflow,
    )
    lb = max(lb, cg.lower_bound)
    tell(progress, "exact models at the bound (HiGHS)", ub, lb)
    if (ub is not None and ub <= lb) or lb > max_objective(problem):
        return SearchOutcome(lb, None, None)
    search = _Search(problem, cg, clock, lb, ub, background, completion_seed, grouped, arcflow)
    search.harvest()  # the relaxation may have raised the bound: the background search follows
    for step in STEPS:
        if step(search):
            break
    return search.outcome()


def _compact_first(s: _Search) -> bool:
    """Replica groups: the compact model at the bound, then between the bounds."""
    if not s.replica_groups:
        return False
    raised, found = compact_at_bound(s.problem, s.cg.usage, lb=s.lb, clock=s.clock)
    s.raise_bound(raised, _COMPACT)
    if found is not None:
        s.take(found, _COMPACT)
        return True
    if s.value is not None and s.value - s.lb >= 2:
        # Most of the time left: on these problems the compact model finds packings within a
        # fraction of a percent of the bound, the pattern master rarely does.
        better = compact_search(
            s.problem,
            s.cg.usage,
            lb=s.lb,
            ub=s.value,
            clock=s.clock,
            share=SCHEDULE.compact_search_grouped,
        )
        if better is not None:
            s.take(better, _COMPACT)
    return False


def _enumerate(s: _Search) -> bool:
    """The reduced-cost enumeration: exact at the bound (not on replica groups: too many)."""
    if not s.gap() or s.replica_groups:
        return False
    raised, enumerated, s.listed = enumerated_search(
        s.problem, s.cg, lb=s.lb, ub=s.value, clock=s.clock
    )
    s.raise_bound(raised, _ENUMERATION)
    if enumerated is not None:
        s.take(enumerated, _ENUMERATION)
    return not s.gap() or s.lb > max_objective(s.problem)


def _integer_master(s: _Search) -> bool:
    """The integer master over the generated patterns: a short slice, or all the time left.

    On replica groups without bin completion no later step runs: it gets the rest.
    """
    last = s.replica_groups and s.completion_seed is None
    share = SCHEDULE.integer_master_last if last else SCHEDULE.integer_master
    solution = pattern_milp(
        s.problem,
        s.cg.patterns,
        deadline=s.clock.deadline(share),
        lower_bound=s.lb,
        cutoff=None if s.value is None else s.value - 1,
    )
    s.consider(solution, "pattern MILP (HiGHS)")
    return False


def _first_dive(s: _Search) -> bool:
    """A short dive (it wanders on replica groups)."""
    if s.gap() and not s.replica_groups:
        deadline = s.clock.deadline(SCHEDULE.first_dive)
        s.consider(dive(s.problem, s.cg.patterns, deadline=deadline), _DIVE)
    return False


def _complete(s: _Search) -> bool:
    """Bin completion at the relaxation's bound (the background one, if it runs there)."""
    if not s.gap() or s.completion_seed is None:
        return False
    # Too many patterns near the bound to list means packings with little waste abound: bin
    # completion finds one, with most of the time left.
    share = SCHEDULE.completion_listed if s.listed else SCHEDULE.completion_unlisted
    if s.background is not None and s.background.bins == s.lb:
        s.harvest(s.clock.seconds(share))  # it has been searching all along
        return False
    packed = complete_bins(
        s.problem, s.lb, deadline=s.clock.deadline(share), seed=s.completion_seed
    )
    if packed is not None and not check_placement(s.problem, packed):
        s.take(packed, _COMPLETION)
    return False


def _compact_on_identical_nodes(s: _Search) -> bool:
    """Grouped pods on identical nodes: the compact model at the bound, then between them."""
    if s.gap() and s.grouped and s.arcflow:
        raised, found = compact_at_bound(s.problem, s.cg.usage, lb=s.lb, clock=s.clock)
        s.raise_bound(raised, _COMPACT)
        if found is not None:
            s.take(found, _COMPACT)
    if s.grouped and s.arcflow and s.value is not None and s.value - s.lb >= 2:
        better = compact_search(s.problem, s.cg.usage, lb=s.lb, ub=s.value, clock=s.clock)
        if better is not None:
            s.take(better, _COMPACT)
    return False


def _arcflow(s: _Search) -> bool:
    """The arc-flow integer program between the bounds (identical nodes)."""
    if s.gap() and s.lb <= max_objective(s.problem) and s.arcflow:
        raised, flows = arcflow_search(s.problem, lb=s.lb, ub=s.value, clock=s.clock)
        s.raise_bound(raised, _ARCFLOW)
        if flows is not None:
            (s.value, s.placement), s.method = flows, _ARCFLOW
    return False


def _compact_again(s: _Search) -> bool:
    """Replica groups, the gap still open: the compact model at the bound with the time left.

    Its first call had a share of the time; when it ran out there (not proven infeasible) and
    the integer master found nothing better, nothing else would use the rest of the limit.
    """
    if s.replica_groups and s.gap() and s.clock.remaining_seconds() > SCHEDULE.last_dive_min_left:
        raised, found = compact_at_bound(
            s.problem, s.cg.usage, lb=s.lb, clock=s.clock, share=SCHEDULE.compact_at_bound_again
        )
        s.raise_bound(raised, _COMPACT)
        if found is not None:
            s.take(found, _COMPACT)
    return False


def _last_dive(s: _Search) -> bool:
    """Time is left and nothing closed the gap: a longer dive than the first one."""
    left = s.clock.remaining_seconds()
    if s.gap() and not s.replica_groups and left > SCHEDULE.last_dive_min_left:
        deadline = s.clock.deadline(SCHEDULE.last_dive)
        s.consider(dive(s.problem, s.cg.patterns, deadline=deadline), _DIVE)
    return False


#: The steps after the relaxation, in order; one returning true ends the search.
STEPS: tuple[Callable[[_Search], bool], ...] = (
    _compact_first,
    _enumerate,
    _integer_master,
    _first_dive,
    _complete,
    _compact_on_identical_nodes,
    _arcflow,
    _compact_again,
    _last_dive,
)
