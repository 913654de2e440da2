"""The solve's time schedule: which share of the time each step gets, declared in one table.

:func:`kmodel.placement.engine.solve.solve` gets one time limit. Every step after the
heuristics gets a :class:`Share` of the time *left when it starts* (less a reserve, for HiGHS's
presolve, which ignores its time limit, and for decoding): a step that finishes early leaves
its time to the next ones. :data:`SCHEDULE` is the only place these figures live; the
benchmark (``python -m benchmarks placement``) is where a change to them is judged.

:class:`Clock` is the solve's only use of the wall clock: for limits and reporting, never for
the answer's content.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["SCHEDULE", "Clock", "Progress", "Share", "TimeSchedule", "tell"]


@dataclass(frozen=True)
class Share:
    """A step's slice: ``fraction`` of the time left when it starts, less ``reserve`` seconds."""

    fraction: float
    reserve: float = 0.0


@dataclass(frozen=True)
class TimeSchedule:
    """The time shares of the solve's steps, in the order the steps run.

    Attributes:
        heuristics: fraction of the *whole* limit the perturbed heuristic restarts may use.
        heuristics_replica_cost: seconds at most for the restarts on replica groups with the
            NODES or COST objective (the node-count packing, the pattern master and the
            compact model do better there).
        first_completion: bin completion at the simple bound, before the relaxation.
        background_margin: seconds before the limit at which the background bin completion
            stops, so that its answer is in before the solve ends.
        node_count_cover: the node-count cover (an integer program) on replica groups.
        node_count_cover_min: seconds the cover gets at the least.
        node_count_packing: packing on the cover's node counts.
        relaxation: column generation for the pattern model's bound.
        relaxation_alone: the same on replica groups the compact model is too large for
            (the integer master over its columns is then the only search: it wants columns).
        compact_at_bound: the compact model asked for a packing at the bound.
        compact_at_bound_again: replica groups, the gap still open after the integer master:
            the compact model at the bound again, with the time left.
        compact_search_grouped: the compact model's search between the bounds, on replica
            groups on several node types.
        compact_search: the same search elsewhere.
        compact_search_stop: seconds before its deadline at which that search starts no more
            integer programs.
        enumeration: the reduced-cost enumeration's integer programs, in all.
        enumeration_partition: listing every pattern (the partition model).
        enumeration_maximal: listing the maximal patterns (the covering model).
        integer_master: the integer master over the generated patterns.
        integer_master_last: the same when no step runs after it (replica groups without
            bin completion).
        first_dive: the first, short dive.
        completion_listed: bin completion at the relaxation's bound when the enumeration's
            lists were complete.
        completion_unlisted: the same when they were too long (packings with little waste
            abound).
        arcflow_graph: building the arc-flow graph.
        arcflow_milp: the arc-flow integer program.
        last_dive_min_left: seconds that must be left for the last, longer dive.
        last_dive: the last dive.
        placed_relaxation: PLACED: column generation for the weighted bound.
        placed_master: PLACED: the integer master (the rest is decoding and checking).
    """

    heuristics: float = 0.25
    heuristics_replica_cost: float = 1.0
    first_completion: Share = Share(0.06)
    background_margin: float = 0.3
    node_count_cover: Share = Share(0.05)
    node_count_cover_min: float = 0.05
    node_count_packing: Share = Share(0.7)
    relaxation: Share = Share(0.5)
    relaxation_alone: Share = Share(0.75)
    compact_at_bound: Share = Share(0.4, reserve=0.1)
    compact_at_bound_again: Share = Share(0.95, reserve=0.1)
    compact_search_grouped: Share = Share(0.85, reserve=0.1)
    compact_search: Share = Share(0.6, reserve=0.1)
    compact_search_stop: float = 0.2
    enumeration: Share = Share(0.9)
    enumeration_partition: Share = Share(0.1)
    enumeration_maximal: Share = Share(0.2)
    integer_master: Share = Share(0.1)
    integer_master_last: Share = Share(0.95)
    first_dive: Share = Share(0.1)
    completion_listed: Share = Share(0.3)
    completion_unlisted: Share = Share(0.7)
    arcflow_graph: Share = Share(0.3)
    arcflow_milp: Share = Share(0.8, reserve=0.2)
    last_dive_min_left: float = 0.5
    last_dive: Share = Share(0.7)
    placed_relaxation: Share = Share(0.5)
    placed_master: Share = Share(0.97)


#: The schedule every solve follows.
SCHEDULE = TimeSchedule()


class Clock:
    """The time left of one solve; the only wall-clock use, for limits and reporting.

    Args:
        limit: seconds from now.
    """

    def __init__(self, limit: float) -> None:
        self.start = time.perf_counter()
        self.limit = limit

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.start

    def remaining_seconds(self) -> float:
        """Seconds left (0 once the limit has passed)."""
        return max(0.0, self.limit - self.elapsed())

    def seconds(self, share: Share) -> float:
        """The seconds ``share`` grants now (may be negative when the reserve exceeds it)."""
        return share.fraction * self.remaining_seconds() - share.reserve

    def deadline(self, share: Share) -> float:
        """The ``time.perf_counter()`` value at which a step given ``share`` now must stop."""
        return time.perf_counter() + self.seconds(share)

    @property
    def end(self) -> float:
        """The ``time.perf_counter()`` value at which the limit passes."""
        return self.start + self.limit


#: ``progress(phase, incumbent, bound)``: see :class:`kmodel.placement.engine.solve.SolveOptions`.
Progress = Callable[[str, int | None, int], None]


def tell(progress: Progress | None, phase: str, incumbent: int | None, bound: int) -> None:
    """Report a phase, the best value so far and the bound to ``progress``, if there is one."""
    if progress is not None:
        progress(phase, incumbent, bound)
