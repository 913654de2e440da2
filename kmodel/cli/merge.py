"""``kmodel merge``: the JSON results of ``kmodel check --shard`` runs as one report."""

from __future__ import annotations

import click

from kmodel.cli.options import output_options
from kmodel.errors import InputError
from kmodel.report.check import SpecResult, raise_for_outcome, read_check_results, render_check
from kmodel.report.output import write_output


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@output_options(["text", "json", "junit", "github", "markdown"])
@click.option(
    "--check-expectations",
    is_flag=True,
    help="Judge each spec by its `expect:`, as `kmodel check --check-expectations` does.",
)
def merge(
    *, results: tuple[str, ...], output: str, out: str | None, check_expectations: bool
) -> None:
    """Combine the JSON results (`kmodel check -o json`) of shards into one report.

    Specs are listed by path, as one `kmodel check` of their folder lists them; each finding's
    trace file is read (as written, else beside its results file). Exit code: the one the
    whole run would have had (0, or 1 for a violation or an unexpected outcome); 2 when a
    results file is bad or two of them checked the same spec.
    """
    merged: dict[str, SpecResult] = {}
    origin: dict[str, str] = {}
    for file in results:
        for result in read_check_results(file):
            if result.path in merged:
                raise InputError(
                    f"{result.path} was checked by two shards (also in {origin[result.path]})",
                    file=file,
                )
            merged[result.path] = result
            origin[result.path] = file
    ordered = [merged[path] for path in sorted(merged)]
    write_output(render_check(ordered, output, check_expectations=check_expectations), out)
    raise_for_outcome(ordered, check_expectations=check_expectations)
