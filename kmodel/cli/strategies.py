"""``kmodel strategies``: compare deployment strategies by their explored worst cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from kmodel.cli.options import echo_warning, output_options, validate_option
from kmodel.cli.progress import ProgressDisplay
from kmodel.report.output import write_output
from kmodel.report.strategies import (
    StrategiesReport,
    render_strategies,
    write_strategies_report,
    write_strategy_traces,
)
from kmodel.strategies.compare import compare
from kmodel.strategies.spec import load_strategies_spec


@click.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path())
@output_options(["text", "json", "markdown"])
@click.option("--seed", type=int, default=None, help="Seed (default: the spec's explore.seed).")
@click.option("--examples", type=click.IntRange(min=1), default=None, help="Runs per case.")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Actions per run.")
@click.option(
    "--traces",
    "traces_dir",
    type=click.Path(file_okay=False),
    default="reports/traces/strategies",
    show_default=True,
    help="Folder for the worst-case traces (JSON).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write a Markdown report with a capacity plot to this folder.",
)
@validate_option
def strategies(  # click passes every option by keyword
    *,
    spec_path: str,
    output: str,
    out: str | None,
    seed: int | None,
    examples: int | None,
    max_steps: int | None,
    traces_dir: str,
    report_dir: str | None,
    validate: str,
) -> None:
    """Explore each strategy of SPEC under the same release, faults and failure modes.

    Reports, per strategy, the worst cases found: minimum serving capacity, peak extra
    instances, steps to complete, the share of traffic a bad version serves and how a failed
    release ends; every worst case is saved as a trace that `kmodel replay` reproduces.
    Exit code 0, or 2 for a bad spec.
    """
    spec = load_strategies_spec(spec_path, validate=validate, on_warning=echo_warning)
    options = replace(
        spec.options,
        seed=spec.options.seed if seed is None else seed,
        examples=spec.options.examples if examples is None else examples,
        max_steps=spec.options.max_steps if max_steps is None else max_steps,
    )
    cases = len(spec.strategies) * len(spec.failure_modes)
    with ProgressDisplay("strategies", total=cases) as display:
        started: set[tuple[str, str]] = set()

        def progress(strategy: str, failure: str, runs: int) -> None:
            started.add((strategy, failure))
            detail = f"{strategy} / {failure}: {runs} runs"
            display.update(completed=len(started) - 1, detail=detail)

        results = compare(spec, options=options, progress=progress)
    files = write_strategy_traces(spec, results, Path(traces_dir))
    report = StrategiesReport(
        spec,
        results,
        files,
        examples=options.examples,
        max_steps=options.max_steps,
        seed=options.seed,
    )
    write_output(render_strategies(report, output), out)
    if report_dir:
        written = write_strategies_report(report, Path(report_dir))
        click.echo(f"kmodel: report written to {written}", err=True)
