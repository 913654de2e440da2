"""``kmodel check`` and ``kmodel replay``: explore specs, report and replay counterexamples."""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import click
from hypothesis.database import ExampleDatabase
from hypothesis.errors import HypothesisDeprecationWarning

from kmodel.cli.options import echo_warning, output_options, validate_option
from kmodel.cli.scale import (
    SCHEDULER_ENV,
    Progress,
    SchedulerLostError,
    parse_shard,
    read_durations,
    run_on_dask,
    shard,
    write_durations,
)
from kmodel.errors import FindingError, IncompleteError, InputError
from kmodel.explore.coverage import Coverage
from kmodel.explore.database import (
    DATABASE_ENV,
    DEFAULT_DIRECTORY,
    KeyedDatabase,
    database_address,
    open_database,
)
from kmodel.explore.run import LOOP_INVARIANT, Scenario
from kmodel.explore.search import (
    ExploreOptions,
    SeedRange,
    StaleActionError,
    explore_range,
    first_findings,
    seed_ranges,
)
from kmodel.explore.spec import Spec, load_spec, spec_paths
from kmodel.explore.trace import Replay, Trace, emit_pytest, load_trace, make_trace, merge_changes
from kmodel.explore.trace import replay as replay_trace
from kmodel.profiles import PROFILES
from kmodel.report.check import (
    SpecResult,
    UnitResult,
    combine_units,
    raise_for_outcome,
    render_check,
    render_trace_text,
    write_check_report,
)
from kmodel.report.output import write_output
from kmodel.strategies.spec import load_strategies_spec
from kmodel.strategies.trace import (
    StrategyTrace,
    is_strategy_trace,
    load_strategy_trace,
    replay_strategy_trace,
)

#: Examples per unit of work unless ``--unit-examples`` says otherwise (see :func:`seed_ranges`).
UNIT_EXAMPLES = 100


@dataclass(frozen=True)
class _Unit:
    """One unit of work (see :mod:`kmodel.cli.scale`): one seed range of a loaded spec.

    The spec travels loaded, so a worker on another machine needs kmodel but not the files.
    """

    spec: Spec
    options: ExploreOptions
    seed_range: SeedRange
    ranges: int
    database: str
    #: The one invariant searched for (``--split-invariants``); None: all of the spec's.
    invariant: str | None = None

    @property
    def name(self) -> str:
        """The unit's name in durations files and shards.

        The spec's path, then ``#invariant`` for a unit of one invariant and ``#index`` for a
        range of a split budget.
        """
        name = self.spec.path if self.invariant is None else f"{self.spec.path}#{self.invariant}"
        return name if self.ranges == 1 else f"{name}#{self.seed_range.index}"

    @property
    def group(self) -> tuple[str, str | None]:
        """The spec and invariant whose ranges this unit is one of."""
        return self.spec.path, self.invariant

    @property
    def scenario(self) -> Scenario:
        """The spec's scenario, with only the unit's invariant when it has one."""
        scenario = self.spec.scenario
        if self.invariant is None:
            return scenario
        position = self.spec.invariant_names.index(self.invariant)
        return replace(scenario, invariants=(scenario.invariants[position],))

    @property
    def invariants(self) -> tuple[str, ...]:
        """The names of the invariants the unit searches for."""
        return self.spec.invariant_names if self.invariant is None else (self.invariant,)


#: Each process's open example databases, by address (a worker runs many units).
_DATABASES: dict[str, ExampleDatabase] = {}


def _check_unit(unit: _Unit, progress: Callable[[int, int], None] | None = None) -> UnitResult:
    """Explore one seed range of a spec; the result carries its traces (written by the caller)."""
    spec, options = unit.spec, unit.options
    result = UnitResult(
        path=spec.path, index=unit.seed_range.index, ranges=unit.ranges, invariant=unit.invariant
    )
    started = time.perf_counter()

    def counted(examples: int, steps: int) -> None:
        result.examples, result.steps = examples, steps
        if progress is not None:
            progress(examples, steps)

    if unit.database not in _DATABASES:
        _DATABASES[unit.database] = open_database(unit.database)
    database = KeyedDatabase(_DATABASES[unit.database], spec.digest)
    coverage = Coverage()
    findings = explore_range(
        unit.scenario,
        options,
        unit.seed_range,
        progress=counted,
        coverage=coverage,
        database=database,
    )
    result.coverage = coverage.summary(spec.scenario)
    result.states = coverage.states
    result.traces = [make_trace(replace(spec, options=options), f) for f in findings]
    result.seconds = time.perf_counter() - started
    return result


def _check_unit_on_worker(unit: _Unit) -> UnitResult:
    """:func:`_check_unit` in a Dask worker, whose own threads draw from ``random`` meanwhile.

    Hypothesis notices the global random state moving during a draw and warns that the test
    uses ``random``; here another thread moved it (the model draws nothing from it), so that
    one warning is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="Do not use the `random` module",
            category=HypothesisDeprecationWarning,
        )
        return _check_unit(unit)


def plan_units(
    specs: list[Spec],
    overrides: dict[str, int | None],
    database: str,
    *,
    unit_examples: int,
    split_invariants: bool = False,
) -> list[_Unit]:
    """Every spec's seed ranges as units, in order: spec by spec, range by range.

    With ``split_invariants`` each invariant's ranges are units of their own (in the spec's
    order of invariants), each searching for that invariant alone.
    """
    units = []
    for spec in specs:
        options = _options(spec, overrides)
        ranges = seed_ranges(options, size=unit_examples)
        groups = list(spec.invariant_names) if split_invariants else [None]
        units += [
            _Unit(spec, options, r, len(ranges), database, invariant)
            for invariant in groups
            for r in ranges
        ]
    return units


class Collector:
    """The units' results as they arrive, and which units the specs' results no longer need.

    A spec's result needs the ranges of each group of its units (all its invariants, or one
    with ``--split-invariants``) up to the first one by which each invariant of the group has
    a finding (:func:`~kmodel.report.check.combine_units`); the ranges after it are dropped,
    whether they ran or not.
    """

    Group = tuple[str, str | None]

    def __init__(
        self, units: list[_Unit], *, listener: Callable[[UnitResult], None] | None = None
    ) -> None:
        self.units = units
        #: Told of each finished unit (the benchmark times the first finding with it).
        self.listener = listener
        self.done: dict[int, UnitResult] = {}
        self.groups: dict[Collector.Group, list[int]] = {}
        for position, unit in enumerate(units):
            self.groups.setdefault(unit.group, []).append(position)

    def add(self, position: int, result: UnitResult) -> list[int]:
        """Record a finished unit; returns the positions of its group's units no longer needed."""
        self.done[position] = result
        if self.listener is not None:
            self.listener(result)
        return self.unneeded(self.units[position].group)

    def needed(self, group: Collector.Group) -> list[int]:
        """The positions of the units of ``group`` its spec's result needs, as known now."""
        positions = self.groups[group]
        found: list[list[str]] = []
        for count, position in enumerate(positions, start=1):
            if position not in self.done:
                break
            found.append(self.done[position].found)
            if first_findings(found, self.units[position].invariants) is not None:
                return positions[:count]
        return positions

    def unneeded(self, group: Collector.Group) -> list[int]:
        """The positions of the units of ``group`` its spec's result does not need."""
        needed = set(self.needed(group))
        return [p for p in self.groups[group] if p not in needed]

    def skipped(self) -> int:
        """How many units are not needed and have not finished (they run no more)."""
        return sum(1 for g in self.groups for p in self.unneeded(g) if p not in self.done)

    def seconds(self) -> dict[str, float]:
        """Seconds per finished unit, by unit name (for ``--record-durations``)."""
        return {self.units[p].name: r.seconds for p, r in self.done.items()}

    def results(self, *, shard: bool) -> list[SpecResult]:
        """The result of each spec whose needed units all finished, in the specs' order."""
        needed: dict[str, list[int]] = {}
        unfinished: set[str] = set()
        for group in self.groups:
            positions = self.needed(group)
            needed.setdefault(group[0], []).extend(positions)
            if any(p not in self.done for p in positions):
                unfinished.add(group[0])
        results = []
        for path, positions in needed.items():
            if path in unfinished:
                continue
            unit = self.units[positions[0]]
            results.append(
                combine_units(
                    _spec_result(unit.spec, unit.options),
                    [self.done[p] for p in positions],
                    complete=not shard,
                    record_units=shard,
                )
            )
        return results


def unit_durations(recorded: dict[str, float], units: list[_Unit]) -> dict[str, float]:
    """Each unit's recorded seconds: its own, else its spec's share of the spec's (by examples)."""
    durations = {}
    for unit in units:
        if unit.name in recorded:
            durations[unit.name] = recorded[unit.name]
        elif unit.spec.path in recorded:
            share = unit.seed_range.examples / unit.options.examples
            durations[unit.name] = recorded[unit.spec.path] * share
    return durations


def _spec_result(spec: Spec, options: ExploreOptions) -> SpecResult:
    """A spec's result before any unit is combined into it."""
    return SpecResult(
        path=spec.path,
        name=spec.name,
        description=spec.description,
        expect=spec.expect,
        # Settling checks for a replacement loop in every spec (see kmodel.cluster.replacement).
        invariants=[*spec.invariant_names, LOOP_INVARIANT],
        seed=options.seed,
        not_modelled=[item.as_json() for item in spec.left_out],
        warnings=list(spec.warnings),
    )


def save_traces(result: SpecResult, traces_dir: Path | None) -> None:
    """Write each trace of ``result`` to ``traces_dir`` (where the command runs, not a worker).

    A trace is named by its spec and invariant; in a shard's result of a split spec, also by
    the seed range that found it, so shards writing to one folder never overwrite each other's
    (``kmodel merge --traces`` writes the chosen ones under the plain names).
    """
    result.trace_files = []
    for trace in result.traces:
        file = None
        if traces_dir is not None:
            traces_dir.mkdir(parents=True, exist_ok=True)
            suffix = _range_suffix(result, trace)
            target = traces_dir / trace_file_name(result.path, trace.invariant, suffix=suffix)
            write_output(trace.dumps(), target)
            file = str(target)
        result.trace_files.append(file)


def trace_file_name(spec_path: str, invariant: str, *, suffix: str = "") -> str:
    """The file name of a spec's trace for ``invariant`` (``suffix`` before ``.json``)."""
    safe = invariant.replace(":", "_").replace("/", "_")
    return f"{Path(spec_path).stem}.{safe}{suffix}.json"


def _range_suffix(result: SpecResult, trace: Trace) -> str:
    """``.rangeN`` for a trace of a split spec in a shard's result (N: the range that found it)."""
    if not result.units or result.units[0].ranges == 1:
        return ""
    index = next(u.index for u in result.units if trace.invariant in u.found)
    return f".range{index}"


def _options(spec: Spec, overrides: dict[str, int | None]) -> ExploreOptions:
    options = spec.options
    seed, examples, max_steps = (overrides.get(k) for k in ("seed", "examples", "max_steps"))
    shrink = overrides.get("shrink")
    return replace(
        options,
        seed=options.seed if seed is None else seed,
        examples=options.examples if examples is None else examples,
        max_steps=options.max_steps if max_steps is None else max_steps,
        shrink=options.shrink if shrink is None else bool(shrink),
    )


def run_units(
    collector: Collector, *, jobs: int, scheduler: str | None, progress: Progress
) -> None:
    """Run the collector's units: in this process, or on Dask (see :mod:`kmodel.cli.scale`).

    In this process units run in order and a spec's unneeded ranges are skipped; on Dask they
    run anywhere at once and unneeded ones are cancelled (or dropped when they finished first).
    Either way each spec's result combines the same ranges (see :class:`Collector`).

    Raises:
        SchedulerLostError: the scheduler went away (the collector holds what finished).
    """
    units = collector.units

    def finished(position: int, result: UnitResult) -> list[int]:
        unneeded = collector.add(position, result)
        progress.update(
            units=1, examples=result.examples, steps=result.steps, skipped=collector.skipped()
        )
        return unneeded

    if scheduler is None and (jobs == 1 or len(units) <= 1):
        for position, unit in enumerate(units):
            if position in collector.unneeded(unit.group):
                continue
            before = progress.examples, progress.steps

            def running(examples: int, steps: int, before: tuple[int, int] = before) -> None:
                progress.examples, progress.steps = before[0] + examples, before[1] + steps
                progress.update()

            result = _check_unit(unit, running)
            progress.examples, progress.steps = before
            finished(position, result)
        return
    run_on_dask(_check_unit_on_worker, units, jobs=jobs, scheduler=scheduler, on_done=finished)


@click.command()
@click.argument("specs", nargs=-1, type=click.Path())
@output_options(["text", "json", "junit", "github", "markdown"])
@click.option("--seed", type=int, default=None, help="Seed (default: the spec's explore.seed).")
@click.option("--examples", type=click.IntRange(min=1), default=None, help="Runs per search.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Actions per run.")
@click.option(
    "--profile",
    type=click.Choice(list(PROFILES)),
    default=None,
    help="Effort preset (kmodel.profiles): "
    + ", ".join(f"{name} ({p.summary})" for name, p in PROFILES.items())
    + ". Overrides the specs' explore block.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Units checked in parallel: worker processes of a local Dask cluster.",
)
@click.option(
    "--unit-examples",
    type=click.IntRange(min=1),
    default=UNIT_EXAMPLES,
    show_default=True,
    help="Examples per unit of work: a larger budget splits into seed ranges, each a unit "
    "that any worker may run (the same for every run that is to give the same result).",
)
@click.option(
    "--split-invariants",
    is_flag=True,
    help="Search for each invariant on its own: a unit per invariant and seed range, more "
    "to spread, but each search steps the model for one invariant (N invariants, N times "
    "the steps).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help=f"Run on this Dask cluster (tcp://HOST:8786) instead (default: ${SCHEDULER_ENV}).",
)
@click.option(
    "--database",
    default=None,
    metavar="ADDRESS",
    help=f"Example database: redis://HOST:6379/0 or a folder (default: ${DATABASE_ENV}, "
    f"else {DEFAULT_DIRECTORY}). Known counterexamples are replayed first.",
)
@click.option(
    "--shard",
    "shard_spec",
    default=None,
    metavar="K/N",
    help="Check only shard K of N: a deterministic, balanced share of the units.",
)
@click.option(
    "--durations",
    "durations_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Balance --shard by the seconds per unit recorded in FILE (by count without it).",
)
@click.option(
    "--record-durations",
    "record_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record each checked unit's seconds in FILE (other units' entries are kept).",
)
@click.option(
    "--traces",
    "traces_dir",
    type=click.Path(file_okay=False),
    default="reports/traces",
    show_default=True,
    help="Folder for counterexample traces (JSON).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write a Markdown report with plots to this folder.",
)
@click.option(
    "--check-expectations",
    is_flag=True,
    help="Judge each spec by its `expect:` (a violation a spec expects is not a failure; "
    "a spec without `expect:` is expected to pass).",
)
@validate_option
def check(  # click passes every option by keyword
    *,
    specs: tuple[str, ...],
    output: str,
    out: str | None,
    seed: int | None,
    examples: int | None,
    max_steps: int | None,
    profile: str | None,
    jobs: int,
    unit_examples: int,
    split_invariants: bool,
    scheduler: str | None,
    database: str | None,
    shard_spec: str | None,
    durations_file: str | None,
    record_file: str | None,
    traces_dir: str,
    report_dir: str | None,
    check_expectations: bool,
    validate: str,
) -> None:
    """Explore each spec and report either a pass or minimal counterexample traces.

    SPECS are spec files or folders of them (default: specs/). Exit code 0 when every
    invariant holds (or, with --check-expectations, every spec gives its expected outcome; a
    spec without `expect:` is expected to pass), 1 when a counterexample is found (or an
    outcome is not the expected one), 2 for a bad spec.
    """
    paths = spec_paths(list(specs) or ["specs"])
    if not paths:
        raise InputError("no spec files (*.yaml) found", file=" ".join(specs) or "specs")
    overrides: dict[str, int | None] = {"seed": seed, "examples": examples, "max_steps": max_steps}
    if profile is not None:
        overrides["examples"] = examples or PROFILES[profile].examples
        overrides["max_steps"] = max_steps or PROFILES[profile].max_steps
        overrides["shrink"] = PROFILES[profile].shrink
    loaded = [
        load_spec(p, validate=validate, on_warning=echo_warning) for p in paths
    ]  # every spec is validated before any exploring (workers get them loaded)
    database = database_address(database)
    _DATABASES[database] = open_database(database)  # a bad address fails here, before any work
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    units = plan_units(
        loaded,
        overrides,
        database,
        unit_examples=unit_examples,
        split_invariants=split_invariants,
    )
    if shard_spec is not None:
        index, count = parse_shard(shard_spec)
        durations = unit_durations(read_durations(durations_file) if durations_file else {}, units)
        mine = set(shard([u.name for u in units], index, count, durations=durations))
        units = [u for u in units if u.name in mine]
    traces = Path(traces_dir) if traces_dir else None
    progress = Progress(total=len(units), enabled=sys.stderr.isatty())
    collector = Collector(units)
    with progress.shown():
        try:
            run_units(collector, jobs=jobs, scheduler=scheduler, progress=progress)
            lost = None
        except SchedulerLostError as error:
            lost = error
    results = collector.results(shard=shard_spec is not None)
    for result in results:
        save_traces(result, traces)
    if record_file:
        write_durations(record_file, collector.seconds())
    write_output(render_check(results, output, check_expectations=check_expectations), out)
    if report_dir:
        target = write_check_report(results, Path(report_dir))
        click.echo(f"kmodel: report written to {target}", err=True)
    if lost is not None:
        raise IncompleteError(
            f"the Dask scheduler went away ({lost}); {len(results)} of "
            f"{len({u.spec.path for u in units})} specs were checked and are reported above"
        )
    raise_for_outcome(results, check_expectations=check_expectations)


@click.command()
@click.argument("trace_file", type=click.Path())
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(),
    default=None,
    help="Use this spec file instead of the one the trace names.",
)
@click.option(
    "--emit-pytest",
    "pytest_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write a plain pytest test that reproduces the trace (when it does).",
)
@validate_option
def replay(
    *, trace_file: str, spec_path: str | None, pytest_file: str | None, validate: str
) -> None:
    """Re-run a saved trace step by step and show the violation it reproduces.

    Exit code 1 when the violation reproduces (a finding); 0 ("fixed") only when every recorded
    step still applies to the spec the trace was recorded on and no invariant is violated; 2
    when a step no longer applies or the spec differs from the recorded one (the replay then
    proves nothing either way), or for a bad trace or spec.
    """
    if is_strategy_trace(trace_file):
        if pytest_file:
            raise InputError(
                "--emit-pytest writes tests for `kmodel check` traces; "
                "this trace comes from `kmodel strategies`",
                file=trace_file,
            )
        strategy_trace = load_strategy_trace(trace_file)
        trace = strategy_trace.trace
        result = _replay_strategy_trace(strategy_trace, spec_path=spec_path, validate=validate)
    else:
        trace = load_trace(trace_file)
        result = replay_trace(trace, spec_path=spec_path, validate=validate)
    run, violation = result.run, result.violation
    spec = spec_path or trace.spec
    replayed = replace(
        trace,
        steps=tuple(
            replace(step, changes=merge_changes(live.changes), errors=live.errors)
            for step, live in zip(trace.steps, run.steps, strict=False)
        ),
        at_fixpoint=result.at_fixpoint,
        settle_steps=len(run.settle_steps),
    )
    if violation is not None:
        replayed = replace(replayed, violation=violation, invariant=violation.invariant)
    click.echo(f"replaying {trace_file} against {spec}")
    click.echo(render_trace_text(replayed, violated=violation is not None))
    if result.stale is not None:
        _not_written(pytest_file)
        raise InputError(
            f"{result.stale.message}; the trace does not fit {spec}, so this replay shows "
            "neither the violation nor a fix",
            file=trace_file,
        )
    changed = result.spec_digest != trace.spec_digest
    spec_note = (
        f"{spec} is not the spec the trace was recorded on (digest {result.spec_digest}, "
        f"recorded {trace.spec_digest or 'none'})"
    )
    if violation is None:
        _not_written(pytest_file)
        if changed:
            raise InputError(
                f"{spec_note}: all {len(trace.steps)} recorded steps apply and no invariant is "
                f"violated, which is not a fix of the recorded spec; explore the changed spec "
                f"with `kmodel check {spec}`",
                file=trace_file,
            )
        click.echo(
            f"fixed: all {len(trace.steps)} recorded steps still apply and no invariant is "
            f"violated ({trace.invariant} now holds)"
        )
        return
    if pytest_file:
        write_output(emit_pytest(replayed, spec_path=spec_path, test_file=pytest_file), pytest_file)
        click.echo(f"kmodel: wrote {pytest_file}", err=True)
    if changed:
        click.echo(f"note: {spec_note}; the violation reproduces all the same")
    if violation.invariant != trace.invariant or violation.message != trace.violation.message:
        click.echo(f"note: the recorded violation was: {trace.violation.message}")
    raise FindingError(f"{violation.invariant} violated: {violation.message}")


def _not_written(pytest_file: str | None) -> None:
    if pytest_file:
        click.echo(f"kmodel: {pytest_file} not written: the trace does not reproduce", err=True)


def _replay_strategy_trace(trace: StrategyTrace, *, spec_path: str | None, validate: str) -> Replay:
    """Replay a strategy trace as :func:`kmodel.explore.trace.replay` replays a check trace."""
    digest = load_strategies_spec(spec_path or trace.spec, validate=validate).digest
    try:
        run, violation, at_fixpoint = replay_strategy_trace(
            trace, spec_path=spec_path, validate=validate
        )
    except StaleActionError as stale:
        return Replay(stale.run, None, at_fixpoint=False, spec_digest=digest, stale=stale)
    return Replay(run, violation, at_fixpoint, digest)
