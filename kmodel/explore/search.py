"""Exploration with Hypothesis: random interleavings, shrunk to minimal counterexamples.

Each example is one :class:`~kmodel.explore.run.Run`: Hypothesis draws how many steps to take,
then at each step which of the possible actions happens (an index into
:meth:`Run.choices`, whose order puts component steps first, so shrinking prefers plain
reconciliation over faults and user actions). A violated invariant fails the example; Hypothesis
shrinks it to a minimal sequence, which becomes a :class:`Finding`. The invariant found is then
set aside and exploration goes on for the others, so each invariant is reported once.

An example budget larger than a unit's splits into seed ranges (:func:`seed_ranges`): range 0
is the search of the spec's own seed, range *i* a search of as many examples with a seed derived
from the spec's seed and *i*. Each range is a search of its own, a pure function of the spec,
the options and its index, so ranges can run anywhere and in any order; :func:`first_findings`
combines them into the spec's result by a rule that does not depend on which finished first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase

from kmodel.cluster.actions import Action
from kmodel.cluster.model import Cluster
from kmodel.errors import InputError
from kmodel.explore.coverage import Coverage
from kmodel.explore.database import KeyedDatabase
from kmodel.explore.determinism import seed_only_draws
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import Violation

__all__ = [
    "ExploreOptions",
    "Finding",
    "SeedRange",
    "StaleActionError",
    "explore",
    "explore_range",
    "first_findings",
    "run_actions",
    "seed_ranges",
]


@dataclass(frozen=True)
class ExploreOptions:
    """How hard to look.

    Attributes:
        examples: runs per invariant search (Hypothesis ``max_examples``).
        max_steps: chosen actions per run.
        seed: the seed; the same scenario and seed give the same findings.
        shrink: shrink counterexamples (on by default).
        every_invariant: after a finding, search on for the invariants not found yet (on by
            default); off, the search ends at its first finding (a caller that only asks
            whether anything is violated, such as ``make mutation``'s spec tests).
    """

    examples: int = 100
    max_steps: int = 40
    seed: int = 0
    shrink: bool = True
    every_invariant: bool = True


@dataclass(frozen=True)
class SeedRange:
    """One share of a search's example budget: its index, its seed and its examples."""

    index: int
    seed: int
    examples: int


def seed_ranges(options: ExploreOptions, *, size: int) -> list[SeedRange]:
    """``options.examples`` split into ranges of ``size`` examples (the last one takes the rest).

    Range 0 searches with ``options.seed`` itself, so a budget of at most ``size`` examples is
    exactly the search of one seed; range *i* > 0 with a seed derived from the seed and *i*
    (the first 8 bytes of BLAKE2b of ``"seed:i"``). The split depends only on the options and
    ``size``, never on how many workers there are.
    """
    count = max(1, -(-options.examples // size))
    return [
        SeedRange(
            index=index,
            seed=options.seed if index == 0 else _derived_seed(options.seed, index),
            examples=min(size, options.examples - index * size),
        )
        for index in range(count)
    ]


def _derived_seed(seed: int, index: int) -> int:
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def first_findings(ranges: Sequence[Sequence[str]], invariants: Sequence[str]) -> int | None:
    """The last range a spec's result needs, given the invariants each range found, in order.

    A spec's result is its ranges' merged: for each invariant, the finding of the lowest range
    that found it. Once every invariant has one, later ranges cannot change the result, so the
    result stops at that range (its index is returned; None when some invariant has no finding
    in ``ranges``, then every range counts). The rule looks only at range indices, never at
    which range finished first, so a local run (ranges in order, stopping there) and a cluster
    (ranges anywhere, later ones dropped) give the same result.
    """
    wanted = set(invariants)
    found: set[str] = set()
    for index, names in enumerate(ranges):
        found.update(names)
        if wanted <= found:
            return index
    return None


@dataclass(frozen=True)
class Finding:
    """A violated invariant and the minimal sequence of actions that violates it."""

    invariant: str
    violation: Violation
    actions: tuple[Action, ...]
    at_fixpoint: bool


class _Violated(Exception):  # noqa: N818  # internal signal, never escapes explore()
    def __init__(self, violation: Violation, actions: list[Action], at_fixpoint: bool) -> None:
        super().__init__(violation.message)
        self.violation = violation
        self.actions = actions
        self.at_fixpoint = at_fixpoint


@dataclass
class _Counter:
    examples: int = 0
    steps: int = 0
    callbacks: list[Callable[[int, int], None]] = field(default_factory=list)
    coverage: Coverage | None = None


@dataclass
class _Start:
    """Where every example starts: a copy of the scenario's cluster, built and settled once.

    Building and settling the same cluster in each example was a quarter of an exploration;
    a copy behaves exactly as a fresh build (see :meth:`Cluster.copy`). So does a copy of a run
    whose initial state the invariants have checked (see :meth:`Run.copy`), once per search
    (each search has its own invariants). ``fresh`` builds one per example instead, as before
    (the tests compare the two).
    """

    scenario: Scenario
    fresh: bool = False
    _initial: Cluster | None = None
    #: A run of the current search's scenario that has only started (its initial state
    #: checked): each example steps a copy of it.
    _started: Run | None = None

    def initial(self) -> Cluster:
        """The scenario's settled initial cluster (built on first use; never changed)."""
        if self._initial is None:  # built on first use: a search may run no example at all
            self._initial = self.scenario.build()
        return self._initial

    def run(self, scenario: Scenario) -> Run:
        """A new run of ``scenario`` (the start's scenario, with its own invariants)."""
        if self.fresh:
            return Run(scenario)
        self.initial()
        if self._started is None or self._started.scenario is not scenario:
            self._started = Run(scenario, initial=self._initial)
        return self._started.copy()


class StaleActionError(InputError):
    """A recorded action that is not among the actions possible at its step.

    The actions do not fit the scenario (another spec, a changed one, or a changed model), so
    replaying them proves nothing either way. ``run`` holds the steps taken before it.
    """

    def __init__(self, index: int, action: Action, run: Run) -> None:
        super().__init__(
            f"step {index} no longer applies: {action.describe()} is not possible at that "
            f"point ({run.why_not_possible(action)})"
        )
        self.index = index
        self.action = action
        self.run = run


def run_actions(scenario: Scenario, actions: list[Action]) -> tuple[Run, Violation | None, bool]:
    """Replay actions on a fresh run; returns the run and the first violation (if any).

    Each step lists the choices before it acts, as exploration does: listing reads every
    component's view, which catches its informer up, so skipping it would let a watch delay
    that starts next freeze an older cache than the one exploration saw. An action that is not
    among the choices is never applied.

    Raises:
        StaleActionError: an action is not among the choices at its step (1-based index).
    """
    run = Run(scenario)
    if run.violations:
        return run, run.violations[0], False
    for index, action in enumerate(actions, start=1):
        if action not in run.choices():
            raise StaleActionError(index, action, run)
        found = run.do(action)
        if found:
            return run, found[0], False
    found = run.finish()
    return run, (found[0] if found else None), True


def _steps(run: Run, length: int, data: st.DataObject, counter: _Counter) -> None:
    """Take up to ``length`` drawn actions, then finish; raise :class:`_Violated` on a violation."""
    taken: list[Action] = []
    if run.violations:
        raise _Violated(run.violations[0], taken, at_fixpoint=False)
    for _ in range(length):
        choices = run.choices()
        action = choices[data.draw(st.integers(0, len(choices) - 1), label="choice")]
        taken.append(action)
        counter.steps += 1
        found = run.do(action)
        if counter.coverage is not None:
            counter.coverage.step(run, action)
        if found:
            raise _Violated(found[0], taken, at_fixpoint=False)
    found = run.finish()
    if found:
        raise _Violated(found[0], taken, at_fixpoint=True)


def _search(
    scenario: Scenario,
    options: ExploreOptions,
    counter: _Counter,
    start: _Start,
    database: ExampleDatabase | None,
) -> _Violated | None:
    phases = [Phase.generate, Phase.shrink] if options.shrink else [Phase.generate]
    if database is not None:
        # Stored examples are choices: they mean the same run only for the same invariants
        # searched for and the same number of steps drawn.
        searched = ",".join(_label(i) for i in scenario.invariants)
        database = KeyedDatabase(database, f"{searched}:{options.max_steps}")
        phases = [Phase.reuse, *phases]

    # @settings above @seed: @seed alone turns the database off (so a seed reproduces a run),
    # but replaying what the database holds before the seeded search is the point of it.
    @settings(
        max_examples=options.examples,
        deadline=None,
        database=database,
        phases=phases,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        derandomize=False,
        print_blob=False,
    )
    @seed(options.seed)
    @given(st.data())
    def probe(data: st.DataObject) -> None:
        counter.examples += 1
        length = data.draw(st.integers(0, options.max_steps), label="steps")
        run = start.run(scenario)
        try:
            _steps(run, length, data, counter)
        finally:
            if counter.coverage is not None:
                counter.coverage.run_ended(run)
        for callback in counter.callbacks:
            callback(counter.examples, counter.steps)

    try:
        # The same spec and seed draw the same runs in any process: the CLI, a user's pytest
        # session with its own modules imported, a distributed worker.
        with seed_only_draws():
            probe()
    except _Violated as violated:
        return violated
    return None


def explore(
    scenario: Scenario,
    *,
    options: ExploreOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    coverage: Coverage | None = None,
    database: ExampleDatabase | None = None,
) -> list[Finding]:
    """Search for violations of the scenario's invariants; one minimal finding per invariant.

    Args:
        scenario: what may happen and what must hold.
        options: examples, steps, seed.
        progress: called with (examples run, steps taken) as exploration goes.
        coverage: filled with what the runs did (see :class:`Coverage`), when given.
        database: where examples are kept (see :mod:`kmodel.explore.database`), keyed by the
            caller for this scenario (its spec digest); each search replays what it holds
            before it generates. None keeps nothing.
    """
    return _explore(
        scenario,
        options or ExploreOptions(),
        progress,
        fresh_clusters=False,
        coverage=coverage,
        database=database,
    )


def explore_range(
    scenario: Scenario,
    options: ExploreOptions,
    seed_range: SeedRange,
    *,
    progress: Callable[[int, int], None] | None = None,
    coverage: Coverage | None = None,
    database: ExampleDatabase | None = None,
) -> list[Finding]:
    """:func:`explore` of one seed range of ``options`` (see :func:`seed_ranges`).

    Range 0 is :func:`explore` with ``options`` cut to the range's examples, database keys
    included; range *i* > 0 keeps its examples under keys of its own, so ranges running at once
    never replay each other's examples (which would make a range's result depend on timing),
    while every later run replays what each range found before.
    """
    ranged = replace(options, seed=seed_range.seed, examples=seed_range.examples)
    if database is not None and seed_range.index > 0:
        database = KeyedDatabase(database, f"range{seed_range.index}")
    return explore(
        scenario, options=ranged, progress=progress, coverage=coverage, database=database
    )


def _explore(
    scenario: Scenario,
    options: ExploreOptions,
    progress: Callable[[int, int], None] | None,
    *,
    fresh_clusters: bool,
    coverage: Coverage | None = None,
    database: ExampleDatabase | None = None,
) -> list[Finding]:
    """:func:`explore`; ``fresh_clusters`` builds each example's cluster anew (for tests)."""
    counter = _Counter(callbacks=[progress] if progress else [], coverage=coverage)
    start = _Start(scenario, fresh=fresh_clusters)
    findings: list[Finding] = []
    remaining = list(scenario.invariants)
    while remaining:
        violated = _search(
            replace(scenario, invariants=tuple(remaining)), options, counter, start, database
        )
        if violated is None:
            break
        name = violated.violation.invariant
        findings.append(
            Finding(name, violated.violation, tuple(violated.actions), violated.at_fixpoint)
        )
        kept = [i for i in remaining if _label(i) != name]
        if len(kept) == len(remaining) or not options.every_invariant:
            break  # a violation no listed invariant claims, or the first finding is enough
        remaining = kept
    if coverage is not None:
        coverage.started(start.initial())
    return findings


def _label(invariant: object) -> str:
    return str(getattr(invariant, "label", None) or getattr(invariant, "name", ""))
