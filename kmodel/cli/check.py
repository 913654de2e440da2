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
from kmodel.explore.search import ExploreOptions, StaleActionError, explore
from kmodel.explore.spec import Spec, load_spec, spec_paths
from kmodel.explore.trace import Replay, emit_pytest, load_trace, make_trace, merge_changes
from kmodel.explore.trace import replay as replay_trace
from kmodel.profiles import PROFILES
from kmodel.report.check import (
    SpecResult,
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


@dataclass(frozen=True)
class _Unit:
    """One unit of work (see :mod:`kmodel.cli.scale`): a loaded spec, its options, the database.

    The spec travels loaded, so a worker on another machine needs kmodel but not the files.
    """

    spec: Spec
    options: ExploreOptions
    database: str


#: Each process's open example databases, by address (a worker runs many units).
_DATABASES: dict[str, ExampleDatabase] = {}


def _check_unit(unit: _Unit, progress: Callable[[int, int], None] | None = None) -> SpecResult:
    """Explore one spec; the result carries its traces (written by the caller, see below)."""
    spec, options = unit.spec, unit.options
    result = SpecResult(
        path=spec.path,
        name=spec.name,
        description=spec.description,
        expect=spec.expect,
        invariants=list(spec.invariant_names),
        seed=options.seed,
        not_modelled=[item.as_json() for item in spec.left_out],
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
    findings = explore(
        spec.scenario, options=options, progress=counted, coverage=coverage, database=database
    )
    result.coverage = coverage.summary(spec.scenario)
    result.seconds = time.perf_counter() - started
    result.traces = [make_trace(replace(spec, options=options), f) for f in findings]
    return result


def _check_unit_on_worker(unit: _Unit) -> SpecResult:
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


def _save_traces(result: SpecResult, traces_dir: Path | None) -> None:
    """Write each trace of ``result`` to ``traces_dir`` (where the command runs, not a worker)."""
    result.trace_files = []
    for trace in result.traces:
        file = None
        if traces_dir is not None:
            traces_dir.mkdir(parents=True, exist_ok=True)
            safe = trace.invariant.replace(":", "_").replace("/", "_")
            target = traces_dir / f"{Path(result.path).stem}.{safe}.json"
            write_output(trace.dumps(), target)
            file = str(target)
        result.trace_files.append(file)


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


def _run_units(
    units: list[_Unit], *, jobs: int, scheduler: str | None, progress: Progress
) -> list[SpecResult]:
    """Every unit's result, in order: in this process, or on Dask (see :mod:`kmodel.cli.scale`)."""

    def finished(result: SpecResult) -> None:
        progress.update(units=1, examples=result.examples, steps=result.steps)

    if scheduler is None and (jobs == 1 or len(units) <= 1):
        results = []
        for unit in units:
            before = progress.examples, progress.steps

            def running(examples: int, steps: int, before: tuple[int, int] = before) -> None:
                progress.examples, progress.steps = before[0] + examples, before[1] + steps
                progress.update()

            result = _check_unit(unit, running)
            progress.examples, progress.steps = before
            finished(result)
            results.append(result)
        return results
    return run_on_dask(
        _check_unit_on_worker, units, jobs=jobs, scheduler=scheduler, on_done=finished
    )


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
    help="Specs checked in parallel: worker processes of a local Dask cluster.",
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
    help="Check only shard K of N: a deterministic, balanced share of the specs.",
)
@click.option(
    "--durations",
    "durations_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Balance --shard by the seconds per spec recorded in FILE (by count without it).",
)
@click.option(
    "--record-durations",
    "record_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Record each checked spec's seconds in FILE (other specs' entries are kept).",
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
    if shard_spec is not None:
        index, count = parse_shard(shard_spec)
        durations = read_durations(durations_file) if durations_file else {}
        mine = set(shard([s.path for s in loaded], index, count, durations=durations))
        loaded = [s for s in loaded if s.path in mine]
    database = database_address(database)
    _DATABASES[database] = open_database(database)  # a bad address fails here, before any work
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    units = [_Unit(s, _options(s, overrides), database) for s in loaded]
    traces = Path(traces_dir) if traces_dir else None
    progress = Progress(total=len(units), enabled=sys.stderr.isatty())
    with progress.shown():
        try:
            results = _run_units(units, jobs=jobs, scheduler=scheduler, progress=progress)
            lost = None
        except SchedulerLostError as error:
            results = [error.done[i] for i in sorted(error.done)]
            lost = error
    for result in results:
        _save_traces(result, traces)
    if record_file:
        write_durations(record_file, {r.path: r.seconds for r in results})
    write_output(render_check(results, output, check_expectations=check_expectations), out)
    if report_dir:
        target = write_check_report(results, Path(report_dir))
        click.echo(f"kmodel: report written to {target}", err=True)
    if lost is not None:
        raise IncompleteError(
            f"the Dask scheduler went away ({lost}); {len(results)} of {len(units)} specs "
            "were checked and are reported above"
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
