"""``kmodel merge``: the JSON results of ``kmodel check --shard`` runs as one report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from kmodel.cli.check import trace_file_name
from kmodel.cli.options import output_options
from kmodel.errors import InputError
from kmodel.explore.trace import Trace
from kmodel.report.check import (
    SpecResult,
    UnitResult,
    combine_units,
    find_trace_file,
    raise_for_outcome,
    read_check_results,
    render_check,
)
from kmodel.report.output import write_output


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@output_options(["text", "json", "junit", "github", "markdown"])
@click.option(
    "--check-expectations",
    is_flag=True,
    help="Judge each spec by its `expect:`, as `kmodel check --check-expectations` does.",
)
@click.option(
    "--traces",
    "traces_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write the merged findings' traces to this folder, named as one `kmodel check` names "
    "them (default: refer to the shards' trace files).",
)
def merge(
    *,
    results: tuple[str, ...],
    output: str,
    out: str | None,
    check_expectations: bool,
    traces_dir: str | None,
) -> None:
    """Combine the JSON results (`kmodel check -o json`) of shards into one report.

    Specs are listed by path, as one `kmodel check` of their folder lists them. A spec split
    into seed ranges over several shards is combined from its ranges as one run combines them;
    each finding's trace file is read (as written, else beside its results file). Exit code:
    the one the whole run would have had (0, or 1 for a violation or an unexpected outcome); 2
    when a results file is bad, two of them checked the same spec or range, or a range a
    spec's result needs is in none of them.
    """
    whole: dict[str, SpecResult] = {}
    sources: dict[str, str] = {}  # each trace file as written -> its results file
    split: dict[str, list[SpecResult]] = {}
    origin: dict[str, str] = {}
    for file in results:
        for result in read_check_results(file):
            sources.update({str(f): file for f in result.trace_files})
            if result.path in whole or (result.units is None and result.path in split):
                raise InputError(
                    f"{result.path} was checked by two shards (also in {origin[result.path]})",
                    file=file,
                )
            if result.units is None:
                whole[result.path] = result
            else:
                split.setdefault(result.path, []).append(result)
            origin[result.path] = file
    for path, parts in split.items():
        whole[path] = _combined(parts)
    ordered = [whole[path] for path in sorted(whole)]
    if traces_dir is not None:
        for result in ordered:
            _copy_traces(result, Path(traces_dir), sources)
    write_output(render_check(ordered, output, check_expectations=check_expectations), out)
    raise_for_outcome(ordered, check_expectations=check_expectations)


def _copy_traces(result: SpecResult, folder: Path, sources: dict[str, str]) -> None:
    """Copy ``result``'s trace files into ``folder`` under the names one run gives them."""
    copies: list[str | None] = []
    for trace, file in zip(result.traces, result.trace_files, strict=True):
        source = find_trace_file(str(file), sources[str(file)])
        if source is None:  # read a moment ago by read_check_results
            raise InputError("trace file vanished while merging", file=str(file))
        target = folder / trace_file_name(result.path, trace.invariant)
        folder.mkdir(parents=True, exist_ok=True)
        write_output(source.read_text(encoding="utf-8"), target)
        copies.append(str(target))
    result.trace_files = copies


def _combined(parts: list[SpecResult]) -> SpecResult:
    """One spec's result from the shards' partial results of it (each with its ranges).

    A shard's findings are those of its own lowest range per invariant, so the lowest range of
    all that found an invariant is in the findings of the shard that ran it.
    """
    owner: dict[tuple[str | None, int], SpecResult] = {}
    for part in parts:
        for unit in part.units or []:
            owner[unit.invariant, unit.index] = part
    units = [u for part in parts for u in part.units or []]
    files: dict[str, str | None] = {}

    def trace(unit: UnitResult, invariant: str) -> Trace:
        part = owner[unit.invariant, unit.index]
        found, file = next(
            (t, f)
            for t, f in zip(part.traces, part.trace_files, strict=True)
            if t.invariant == invariant
        )
        files[invariant] = file
        return found

    result = replace(parts[0], traces=[], trace_files=[], units=None, coverage=None)
    combined = combine_units(result, units, trace=trace)
    combined.trace_files = [files[t.invariant] for t in combined.traces]
    return combined
