"""Rendering ``kmodel check`` results: text, JSON, JUnit XML, GitHub annotations, Markdown.

JSON output is one object (documented in the README, "kmodel check")::

    {"specs": [{"spec": path, "name": str, "expect": "pass"|"violation"|null,
                "outcome": "pass"|"violation", "as_expected": bool,
                "examples": int, "steps": int, "seed": int,
                "invariants": [{"name": str, "status": "pass"|"violation", "exercised": bool}],
                "coverage": {…} (see the README), "not_modelled": [{…}],
                "warnings": [str] (input the check did not use, as loading warned of it),
                "findings": [{"invariant": str, "message": str, "values": {…},
                              "at_fixpoint": bool, "steps": int, "trace": path|null}]}],
     "summary": {"specs": int, "violations": int, "unexpected": int}}

A shard's result (``kmodel check --shard``) adds to each spec the seed ranges it checked,
``"units": [{"range": int, "ranges": int, "invariant": str|null, "examples": int,
"steps": int, "found": [str], "coverage": {…}, "states": [int]}]``, from which
``kmodel merge`` recombines the specs split over shards (see :func:`combine_units`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from kmodel.errors import FindingError, InputError
from kmodel.explore.coverage import merge_summaries
from kmodel.explore.run import LOOP_INVARIANT
from kmodel.explore.search import first_findings
from kmodel.explore.trace import Trace, load_trace

__all__ = [
    "SpecResult",
    "UnitResult",
    "combine_units",
    "find_trace_file",
    "raise_for_outcome",
    "read_check_results",
    "render_check",
    "render_trace_text",
    "write_check_report",
]


@dataclass
class SpecResult:
    """The outcome of checking one spec."""

    path: str
    name: str
    description: str
    expect: str | None
    invariants: list[str]
    seed: int
    examples: int = 0
    steps: int = 0
    seconds: float = 0.0
    traces: list[Trace] = field(default_factory=list)
    trace_files: list[str | None] = field(default_factory=list)
    #: What the runs covered (``Coverage.summary``); None when nothing was explored.
    coverage: dict[str, Any] | None = None
    #: Workloads the spec names that were not run (``LeftOut.as_json``; ``ignoreUnmodelled``).
    not_modelled: list[dict[str, Any]] = field(default_factory=list)
    #: What loading the spec's manifests warned of (``Spec.warnings``): input not used.
    warnings: list[str] = field(default_factory=list)
    #: The seed ranges this result combines, written to JSON for ``kmodel merge`` (shards only).
    units: list[UnitResult] | None = None

    @property
    def outcome(self) -> str:
        """``violation`` if any invariant broke, else ``pass``."""
        return "violation" if self.traces else "pass"

    @property
    def expected_outcome(self) -> str:
        """The outcome the spec expects: its ``expect:``, and ``pass`` for a spec without one."""
        return self.expect or "pass"

    @property
    def as_expected(self) -> bool:
        """Whether the outcome is the one the spec expects (see :attr:`expected_outcome`)."""
        return self.expected_outcome == self.outcome

    def fails(self, *, check_expectations: bool) -> bool:
        """Whether this spec makes ``kmodel check`` exit 1.

        Judged by expectations, a spec fails when its outcome is not the expected one (a spec
        without ``expect:`` is expected to pass); otherwise any violation fails it.
        """
        return not self.as_expected if check_expectations else bool(self.traces)

    def unexpected_reason(self) -> str:
        """Why the outcome is unexpected, in words (empty when it is as expected)."""
        if self.as_expected:
            return ""
        if self.expect is None:
            return "a spec without `expect:` is expected to pass"
        return f"the spec expects {self.expect}"

    def status(self, invariant: str) -> str:
        """``pass`` or ``violation`` for one invariant."""
        return "violation" if any(t.invariant == invariant for t in self.traces) else "pass"

    def never_exercised(self, invariant: str) -> str | None:
        """The precondition of a passing invariant that no run met (None if met or none)."""
        if self.status(invariant) != "pass":
            return None
        for entry in (self.coverage or {}).get("invariants", []):
            if entry["name"] == invariant and not entry["exercised"]:
                return str(entry["precondition"])
        return None

    def as_json(self) -> dict[str, Any]:
        """Stable JSON form (no wall-clock figures, so it is reproducible)."""
        return {
            "spec": self.path,
            "name": self.name,
            "expect": self.expect,
            "outcome": self.outcome,
            "as_expected": self.as_expected,
            "examples": self.examples,
            "steps": self.steps,
            "seed": self.seed,
            "invariants": [
                {
                    "name": n,
                    "status": self.status(n),
                    "exercised": self.never_exercised(n) is None,
                }
                for n in self.invariants
            ],
            "coverage": self.coverage,
            "not_modelled": self.not_modelled,
            "warnings": self.warnings,
            "findings": [
                {
                    "invariant": t.invariant,
                    "message": t.violation.message,
                    "values": dict(t.violation.values),
                    "at_fixpoint": t.at_fixpoint,
                    "steps": len(t.steps),
                    "trace": file,
                }
                for t, file in zip(self.traces, self.trace_files, strict=True)
            ],
        } | ({} if self.units is None else {"units": [u.as_json() for u in self.units]})


@dataclass
class UnitResult:
    """One unit of a spec's check: one seed range (:func:`kmodel.explore.search.seed_ranges`).

    ``traces`` are the range's findings in the order its searches found them (traces are made
    where the range ran, so each finding is shrunk and replayed once); ``states`` are the
    fingerprints of the distinct states its runs reached.
    """

    path: str
    index: int
    ranges: int
    #: The one invariant this unit searched for (``--split-invariants``); None: all of them.
    invariant: str | None = None
    examples: int = 0
    steps: int = 0
    seconds: float = 0.0
    traces: list[Trace] = field(default_factory=list)
    coverage: dict[str, Any] | None = None
    states: set[int] = field(default_factory=set)
    #: The invariants found, in order (read from a shard's JSON, where traces are not at hand).
    found_names: list[str] | None = None

    @property
    def found(self) -> list[str]:
        """The invariants this range found, in the order found."""
        if self.found_names is not None:
            return self.found_names
        return [t.invariant for t in self.traces]

    def as_json(self) -> dict[str, Any]:
        """JSON form for a shard's result (no wall-clock figures)."""
        return {
            "range": self.index,
            "ranges": self.ranges,
            "invariant": self.invariant,
            "examples": self.examples,
            "steps": self.steps,
            "found": self.found,
            "coverage": self.coverage,
            "states": sorted(self.states),
        }


def combine_units(
    result: SpecResult,
    units: Sequence[UnitResult],
    *,
    trace: Callable[[UnitResult, str], Trace] | None = None,
    complete: bool = True,
    record_units: bool = False,
) -> SpecResult:
    """``result`` (a spec's, without findings) with what its seed ranges found and covered.

    The rule (:func:`kmodel.explore.search.first_findings`): for each invariant, the finding of
    the lowest range that found it, findings listed by that range and then in the order found
    there; examples, steps and coverage count the ranges up to the last one the findings need
    (every range when some invariant held). Units that each searched one invariant
    (``--split-invariants``) are combined so per invariant, their findings listed in the spec's
    order of invariants. Which range finished first never matters, so a local run and a
    cluster, or one run and merged shards, give the same result. ``trace``
    looks a finding's trace up (default: the unit's own); ``complete`` checks that no range the
    result needs is missing (a shard's partial result is not complete).

    Raises:
        InputError: a range given twice or from another split, or (``complete``) a needed
            range missing.
    """
    kept: list[UnitResult] = []
    groups = sorted({u.invariant for u in units}, key=lambda g: _group_order(result, g))
    for group in groups:
        kept += _needed_units(result, [u for u in units if u.invariant == group], complete=complete)
    traces: dict[str, Trace] = {}
    for unit in kept:
        for name in unit.found:
            if name not in traces:
                traces[name] = trace(unit, name) if trace else _own_trace(unit, name)
    result.traces = list(traces.values())
    result.examples = sum(u.examples for u in kept)
    result.steps = sum(u.steps for u in kept)
    result.seconds = sum(u.seconds for u in units)
    summaries = [u.coverage for u in kept if u.coverage is not None]
    states = set().union(*(u.states for u in kept))
    result.coverage = merge_summaries(summaries, states) if summaries else None
    result.units = kept if record_units else None
    return result


def _group_order(result: SpecResult, group: str | None) -> int:
    """Units searching every invariant first, then one invariant's units in the spec's order."""
    return -1 if group is None else result.invariants.index(group)


def _needed_units(
    result: SpecResult, units: list[UnitResult], *, complete: bool
) -> list[UnitResult]:
    """The ranges of one group of units (one invariant's, or all invariants') its result needs."""
    ordered = sorted(units, key=lambda u: u.index)
    indices = [u.index for u in ordered]
    group = ordered[0].invariant
    where = result.path if group is None else f"{result.path} ({group})"
    if len(set(indices)) != len(indices):
        raise InputError(f"{where}: a seed range was checked twice ({indices})")
    if len({u.ranges for u in ordered}) > 1:
        raise InputError(f"{where}: ranges of different splits (another --unit-examples)")
    # The spec's invariants: the replacement-loop check listed after them is no search's goal.
    wanted = [n for n in result.invariants if n != LOOP_INVARIANT] if group is None else [group]
    last = first_findings([u.found for u in ordered], wanted)
    kept = ordered if last is None else ordered[: last + 1]
    if complete:
        needed = list(range(len(kept))) if last is not None else list(range(ordered[0].ranges))
        if [u.index for u in kept] != needed:
            missing = sorted(set(needed) - set(indices))
            raise InputError(f"{where}: seed ranges {missing} were not checked by any shard")
    return kept


def _own_trace(unit: UnitResult, name: str) -> Trace:
    return next(t for t in unit.traces if t.invariant == name)


def raise_for_outcome(results: Sequence[SpecResult], *, check_expectations: bool) -> None:
    """End the command with exit 1 when a spec fails (see :meth:`SpecResult.fails`).

    Raises:
        FindingError: a violation, or an outcome that is not the expected one.
    """
    failed = [r for r in results if r.fails(check_expectations=check_expectations)]
    if check_expectations and failed:
        reasons = "; ".join(f"{r.name}: {r.outcome} ({r.unexpected_reason()})" for r in failed)
        raise FindingError(f"{len(failed)} spec(s) did not give their expected outcome: {reasons}")
    if failed:
        count = sum(len(r.traces) for r in results)
        raise FindingError(f"{count} invariant violation(s) found")


def read_check_results(path: str) -> list[SpecResult]:
    """The results in a ``kmodel check -o json`` file, each finding's trace read from its file.

    A trace path is taken as written (relative to the working directory), else relative to the
    results file's folder (where CI artifacts of a shard often land). A spec's description is
    not in the JSON: it is read from the spec file when that is at hand, else left empty.

    Raises:
        InputError: not such a file, or a finding whose trace file cannot be read.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(error.strerror or "cannot read", file=path) from None
    except ValueError as error:
        raise InputError(f"not a `kmodel check -o json` result: {error}", file=path) from None
    if not isinstance(data, dict) or not isinstance(data.get("specs"), list):
        raise InputError(
            "not a `kmodel check -o json` result: no `specs` list in a JSON object", file=path
        )
    specs = data["specs"]
    results = []
    for index, entry in enumerate(specs):
        where = f"specs[{index}]"
        try:
            result = SpecResult(
                path=str(entry["spec"]),
                name=str(entry["name"]),
                description="",
                expect=entry["expect"],
                invariants=[str(i["name"]) for i in entry["invariants"]],
                seed=int(entry["seed"]),
                examples=int(entry["examples"]),
                steps=int(entry["steps"]),
                coverage=entry["coverage"],
                not_modelled=list(entry["not_modelled"]),
                warnings=[str(w) for w in entry["warnings"]],
                units=_read_units(entry, str(entry["spec"])),
            )
            findings = [
                (f["trace"], f"{where}.findings[{n}].trace")
                for n, f in enumerate(entry["findings"])
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"missing or malformed field {error}", file=path, path=where) from None
        for trace_path, field_path in findings:
            if not trace_path:
                raise InputError(
                    "the finding has no trace file (the shard ran with --traces '')",
                    file=path,
                    path=field_path,
                )
            found = find_trace_file(trace_path, path)
            if found is None:
                raise InputError(
                    f"trace file {trace_path} not found (nor beside the results file)",
                    file=path,
                    path=field_path,
                )
            result.traces.append(load_trace(found))
            result.trace_files.append(trace_path)
        result.description = _description(result.path)
        results.append(result)
    return results


def find_trace_file(trace_path: str, results_file: str) -> Path | None:
    """A results file's trace: as written, else beside the results file (None: neither)."""
    candidates = [Path(trace_path), Path(results_file).parent / Path(trace_path).name]
    return next((c for c in candidates if c.is_file()), None)


def _read_units(entry: dict[str, Any], spec_path: str) -> list[UnitResult] | None:
    """A shard's seed ranges of one spec (None for a spec a run checked whole)."""
    if "units" not in entry:
        return None
    return [
        UnitResult(
            path=spec_path,
            index=int(unit["range"]),
            ranges=int(unit["ranges"]),
            invariant=None if unit["invariant"] is None else str(unit["invariant"]),
            examples=int(unit["examples"]),
            steps=int(unit["steps"]),
            coverage=unit["coverage"],
            states={int(s) for s in unit["states"]},
            found_names=[str(n) for n in unit["found"]],
        )
        for unit in entry["units"]
    ]


def _description(spec_path: str) -> str:
    """The description of the spec at ``spec_path`` ("" when the file is not at hand)."""
    from kmodel.explore.spec import load_spec  # noqa: PLC0415  # only merged results need it

    if not Path(spec_path).is_file():
        return ""
    try:
        return load_spec(spec_path).description
    except InputError:
        return ""


def render_trace_text(trace: Trace, *, violated: bool = True) -> str:
    """A trace as a numbered story, ending with the violated invariant and its values.

    With ``violated=False`` (a replay that did not reproduce it) only the steps are told.
    """
    lines = []
    for step in trace.steps:
        lines.append(f"  {step.index:>3}. [t={step.time}s] {step.description}")
        lines.extend(
            f"         {c.type.lower()} {c.kind}/{c.name}" + (f": {c.summary}" if c.summary else "")
            for c in step.changes
        )
        lines.extend(f"         refused: {e}" for e in step.errors)
    if trace.at_fixpoint:
        lines.append(f"  then faults stop and the components settle ({trace.settle_steps} steps)")
    if not violated:
        return "\n".join(lines)
    values = ", ".join(f"{k}={v}" for k, v in sorted(trace.violation.values.items()))
    lines.append(f"  => {trace.invariant} violated: {trace.violation.message}")
    if values:
        lines.append(f"     ({values})")
    return "\n".join(lines)


def _text(results: Sequence[SpecResult]) -> str:
    out = []
    for result in results:
        verdict = "PASS" if result.outcome == "pass" else "VIOLATION"
        expected = ""
        if not result.as_expected:
            expected = f" (UNEXPECTED: {result.unexpected_reason()})"
        elif result.expect is not None:
            expected = " (as expected)"
        untested = [n for n in result.invariants if result.never_exercised(n)]
        caveat = f" ({len(untested)} invariant(s) never exercised)" if untested else ""
        out.append(
            f"{verdict} {result.path} [{result.name}]: {result.examples} examples, "
            f"{result.steps} steps{expected}{caveat}"
        )
        for n in result.invariants:
            unmet = result.never_exercised(n)
            note = f"  (never exercised: no run met its precondition: {unmet})" if unmet else ""
            out.append(f"  {result.status(n):<9} {n}{note}")
        out.extend(_coverage_text(result))
        for trace, file in zip(result.traces, result.trace_files, strict=True):
            out.append(f"  counterexample for {trace.invariant} ({len(trace.steps)} steps):")
            out.append(render_trace_text(trace))
            if file:
                out.append(f"     trace saved to {file} (kmodel replay {file})")
    return "\n".join(out) + "\n"


def _left_out_line(item: dict[str, Any]) -> str:
    where = (
        item["file"] if item["document"] is None else f"{item['file']}: document {item['document']}"
    )
    return (
        f"{where}: {item['object']}: {item['reason']}"
        if item["object"]
        else f"{where}: {item['reason']}"
    )


def _counts(counts: dict[str, int]) -> str:
    """``rollout 12, scale 3 (never: rollback)``: what happened, and what never did."""
    done = [f"{k} {v}" for k, v in counts.items() if v]
    never = [k for k, v in counts.items() if not v]
    text = ", ".join(done) or "none"
    return text + (f" (never: {', '.join(never)})" if never else "")


def _coverage_text(result: SpecResult) -> list[str]:
    """The lines saying what a result rests on: what was left out and what the runs did."""
    lines = [
        f"  not modelled (ignoreUnmodelled): {_left_out_line(item)}" for item in result.not_modelled
    ]
    lines += [f"  not used (warned on loading): {warning}" for warning in result.warnings]
    coverage = result.coverage
    if coverage is None:
        return lines
    lines.append(
        f"  coverage: {coverage['runs']} runs, {coverage['steps']} steps, "
        f"{coverage['distinct_states']} distinct states"
    )
    lines.append(f"    workloads run: {', '.join(coverage['workloads']) or 'none'}")
    if coverage["faults"]:
        lines.append(f"    faults: {_counts(coverage['faults'])}")
    if coverage["user_actions"]:
        lines.append(f"    user actions: {_counts(coverage['user_actions'])}")
    met = [
        f"{entry['name']} in {entry['met_runs']}/{entry['checked_runs']} runs"
        for entry in coverage["invariants"]
        if entry["precondition"] and entry["exercised"]
    ]
    if met:
        lines.append(f"    preconditions met: {', '.join(met)}")
    lines.extend(
        f"    no node once the start settled: {pod['pod']} ({pod['reason']}: {pod['message']})"
        for pod in coverage["unscheduled"]
    )
    return lines


def _junit(results: Sequence[SpecResult]) -> str:
    suites = ET.Element("testsuites", name="kmodel check")
    for result in results:
        failures = sum(1 for n in result.invariants if result.status(n) == "violation")
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=result.name,
            file=result.path,
            tests=str(len(result.invariants)),
            failures=str(failures),
            errors="0",
            skipped=str(sum(1 for n in result.invariants if result.never_exercised(n))),
        )
        for invariant in result.invariants:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"kmodel.{result.name}",
                name=invariant,
                file=result.path,
            )
            trace = next((t for t in result.traces if t.invariant == invariant), None)
            unmet = result.never_exercised(invariant)
            if unmet:
                ET.SubElement(case, "skipped", message=f"precondition never met: {unmet}")
            if trace is not None:
                failure = ET.SubElement(
                    case, "failure", message=trace.violation.message, type="InvariantViolated"
                )
                failure.text = render_trace_text(trace)
        summary = _coverage_text(result)
        if summary:
            ET.SubElement(suite, "system-out").text = "\n".join(summary)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _github(results: Sequence[SpecResult], *, check_expectations: bool) -> str:
    # The level says whether the outcome fails the run (README, "kmodel check"): `::error` for
    # exactly what makes the exit code 1, `::notice` for what is reported but does not.
    # Mirrors @actions/core command.ts escapeData and escapeProperty: a ":" or "," left in a
    # property (a `module:function` invariant, a path with a comma) would end it early.
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    lines = []
    for result in results:
        file_property = escape_property(result.path)
        level = "error" if result.fails(check_expectations=check_expectations) else "notice"
        for trace, file in zip(result.traces, result.trace_files, strict=True):
            detail = f"{trace.violation.message} after {len(trace.steps)} steps"
            if file:
                detail += f"; replay with: kmodel replay {file}"
            title = escape_property(f"kmodel {trace.invariant}")
            lines.append(f"::{level} file={file_property},title={title}::{escape(detail)}")
        for n in result.invariants:
            unmet = result.never_exercised(n)
            if unmet:
                title = escape_property(f"kmodel {n} never exercised")
                lines.append(
                    f"::warning file={file_property},title={title}::"
                    + escape(f"no run met its precondition: {unmet}")
                )
        lines.extend(
            f"::warning file={file_property},title=kmodel not modelled::"
            + escape(_left_out_line(item))
            for item in result.not_modelled
        )
        lines.extend(
            f"::warning file={file_property},title=kmodel input not used::" + escape(warning)
            for warning in result.warnings
        )
        if not result.as_expected and not result.traces:
            lines.append(
                f"::{level} file={file_property},title=kmodel expected a violation::"
                "no invariant was violated, but the spec expects one"
            )
    return "\n".join(lines) + ("\n" if lines else "")


def _markdown(
    results: Sequence[SpecResult], plots: dict[tuple[str, str], str] | None = None
) -> str:
    plots = plots or {}
    out = [
        "# kmodel check",
        "",
        "| spec | outcome | expected | invariants | examples | steps |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        expected = "**no**" if not r.as_expected else ("yes" if r.expect else "")
        invariants = ", ".join(
            f"{n} {'✗' if r.status(n) == 'violation' else '✓'}" for n in r.invariants
        )
        out.append(
            f"| `{r.path}` | {r.outcome} | {expected} | {invariants} | {r.examples} | {r.steps} |"
        )
    for r in results:
        out.extend(_coverage_markdown(r))
    for r in results:
        for trace, file in zip(r.traces, r.trace_files, strict=True):
            out += [
                "",
                f"## {r.name}: {trace.invariant}",
                "",
                r.description,
                "",
                f"**{trace.violation.message}**"
                + (f" — trace `{file}` (`kmodel replay {file}`)" if file else ""),
                "",
                "| # | time | what happened | changes |",
                "|---|---|---|---|",
            ]
            for step in trace.steps:
                changes = "<br>".join(
                    html.escape(f"{c.type.lower()} {c.kind}/{c.name} {c.summary}".strip())
                    for c in step.changes
                )
                out.append(
                    f"| {step.index} | {step.time}s | {html.escape(step.description)} | {changes} |"
                )
            if trace.at_fixpoint:
                out.append(f"| | | faults stop; components settle ({trace.settle_steps} steps) | |")
            plot = plots.get((r.path, trace.invariant))
            if plot:
                out += ["", f"![serving capacity over the steps]({plot})"]
    return "\n".join(out) + "\n"


def _coverage_markdown(result: SpecResult) -> list[str]:
    """A spec's coverage section: what a pass (or the findings) rest on."""
    coverage = result.coverage
    if coverage is None and not result.not_modelled and not result.warnings:
        return []
    out = ["", f"## {result.name}: coverage", ""]
    out.extend(
        f"- **not modelled** (`ignoreUnmodelled`): {html.escape(_left_out_line(item))}"
        for item in result.not_modelled
    )
    out.extend(
        f"- **not used** (warned on loading): {html.escape(warning)}" for warning in result.warnings
    )
    if coverage is None:
        return out
    out += [
        (
            f"- {coverage['runs']} runs, {coverage['steps']} steps, "
            f"{coverage['distinct_states']} distinct states"
        ),
        f"- workloads run: {', '.join(f'`{w}`' for w in coverage['workloads']) or 'none'}",
    ]
    if coverage["faults"]:
        out.append(f"- faults: {_counts(coverage['faults'])}")
    if coverage["user_actions"]:
        out.append(f"- user actions: {_counts(coverage['user_actions'])}")
    out.extend(
        f"- no node once the start settled: `{pod['pod']}` "
        f"({pod['reason']}: {html.escape(pod['message'])})"
        for pod in coverage["unscheduled"]
    )
    out += [
        "",
        "| invariant | precondition | met in runs (of those checking it) |",
        "|---|---|---|",
    ]
    for entry in coverage["invariants"]:
        precondition = html.escape(entry["precondition"] or "none")
        met = "—" if entry["met_runs"] is None else f"{entry['met_runs']}/{entry['checked_runs']}"
        if not entry["exercised"]:
            met = "**never: the pass does not test it**"
        out.append(f"| {entry['name']} | {precondition} | {met} |")
    return out


def render_check(
    results: Sequence[SpecResult], output: str, *, check_expectations: bool = False
) -> str:
    """Render results in one of ``text``, ``json``, ``junit``, ``github``, ``markdown``.

    ``check_expectations`` says how the run is judged (see :meth:`SpecResult.fails`); GitHub
    annotations use it to choose between ``::error`` and ``::notice``.
    """
    if output == "json":
        summary = {
            "specs": len(results),
            "violations": sum(1 for r in results if r.traces),
            "unexpected": sum(1 for r in results if not r.as_expected),
        }
        return (
            json.dumps(
                {"specs": [r.as_json() for r in results], "summary": summary},
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )
    if output == "junit":
        return _junit(results)
    if output == "github":
        return _github(results, check_expectations=check_expectations)
    if output == "markdown":
        return _markdown(results)
    return _text(results)


def _plot(trace: Trace, target: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415  # heavy; only reports need it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    figure, axes = plt.subplots(figsize=(7, 3))
    xs = [p[0] for p in trace.availability]
    ys = [p[1] for p in trace.availability]
    axes.step(xs, ys, where="post", color="#2a6fdb", label="ready endpoints")
    axes.fill_between(xs, ys, step="post", alpha=0.15, color="#2a6fdb")
    if trace.ready_pods:
        axes.step(
            [p[0] for p in trace.ready_pods],
            [p[1] for p in trace.ready_pods],
            where="post",
            color="#d9534f",
            linestyle="--",
            label="Ready pods",
        )
    axes.set_xlabel("step")
    axes.set_ylabel("pods")
    axes.set_title(f"{trace.invariant}: serving capacity over the steps")
    axes.set_ylim(bottom=0)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="lower left")
    axes.grid(visible=True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(target, dpi=110, metadata={"Software": None})
    plt.close(figure)


def write_check_report(results: Sequence[SpecResult], folder: Path) -> Path:
    """Write ``check.md`` (timelines and plots of serving capacity) to a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    plots: dict[tuple[str, str], str] = {}
    for r in results:
        for trace in r.traces:
            if not trace.availability:
                continue
            name = f"{Path(r.path).stem}-{trace.invariant}.png".replace(":", "_").replace("/", "_")
            _plot(trace, folder / name)
            plots[(r.path, trace.invariant)] = name
    target = folder / "check.md"
    target.write_text(_markdown(results, plots), encoding="utf-8")
    return target
