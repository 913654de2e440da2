"""``kmodel conform``: run pod scenarios on a Docker engine and compare with the model."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from kmodel.cli.options import echo_warning, output_options, validate_option
from kmodel.cli.progress import ProgressDisplay
from kmodel.errors import EXIT_FINDING
from kmodel.report.output import write_output

if TYPE_CHECKING:
    from kmodel.conformance.run import ScenarioResult

#: Where the bundled scenarios live (used when no SCENARIO is given).
DEFAULT_SCENARIOS = "specs/conformance"


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so a killed run still cleans up after itself."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command()
@click.argument("scenarios", nargs=-1, type=click.Path())
@output_options(["text", "json", "junit"])
@click.option("--image", default=None, help="Image to run instead of the local static busybox.")
@click.option("--keep", is_flag=True, help="Keep containers, networks and volumes (debugging).")
@click.option("--jobs", "-j", default=4, show_default=True, type=click.IntRange(1, 16))
@click.option(
    "--history",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write both sides' status histories to FILE as JSON lines.",
)
@click.option(
    "--update-expect",
    is_flag=True,
    help="Rewrite each scenario's expect: block from the model (no engine needed) and exit.",
)
@click.option("--run-id", default=None, hidden=True, help="Label value for this run (tests).")
@validate_option
def conform(  # noqa: PLR0917  # click passes every option as an argument
    scenarios: tuple[str, ...],
    output: str,
    out: str | None,
    image: str | None,
    keep: bool,
    jobs: int,
    history: str | None,
    update_expect: bool,
    run_id: str | None,
    validate: str,
) -> None:
    """Run pod SCENARIOS on the Docker engine and compare them with the model.

    SCENARIOS are scenario files or folders of them (default: specs/conformance). Each runs on
    the engine and in the model's kubelet; phases, conditions, restart counts, last
    terminations, init order and shared-network facts are compared. Exit code 1 when any
    scenario disagrees.
    """
    # Imported here so that `kmodel --help` works without the conformance extra.
    from kmodel.conformance.driver import DEFAULT_IMAGE  # noqa: PLC0415
    from kmodel.conformance.model_side import model_expectation  # noqa: PLC0415
    from kmodel.conformance.run import render, run_conformance, write_history  # noqa: PLC0415
    from kmodel.conformance.scenarios import load_scenarios, text_with_expectation  # noqa: PLC0415

    loaded = load_scenarios(
        list(scenarios) or [DEFAULT_SCENARIOS], validate=validate, on_warning=echo_warning
    )
    if update_expect:
        for scenario in loaded:
            text = text_with_expectation(scenario, model_expectation(scenario))
            if text != scenario.text:
                write_output(text, scenario.file)
                click.echo(f"updated {scenario.file}", err=True)
        return
    with _sigterm_as_interrupt(), ProgressDisplay("conform", total=len(loaded)) as display:

        def report(result: ScenarioResult) -> None:
            display.update(advance=1, detail=f"{result.scenario} done")

        results = run_conformance(
            loaded,
            jobs=jobs,
            image=image or DEFAULT_IMAGE,
            keep=keep,
            run_id=run_id,
            on_result=report,
        )
    if history:
        Path(history).parent.mkdir(parents=True, exist_ok=True)
        write_history(results, history)
    write_output(render(results, output), out)
    if not all(r.agrees for r in results):
        raise click.exceptions.Exit(EXIT_FINDING)
