"""Rendering ``kmodel strategies``: text, JSON and Markdown, and a report with a capacity plot.

JSON output is one object (documented in the README, "kmodel strategies")::

    {"spec": path, "name": str, "seed": int, "examples": int, "maxSteps": int,
     "window": int, "service": str,
     "strategies": [{"name": str, "platform": "kubernetes"|"beanstalk", "policy": str,
                     "description": str,
                     "cases": [{"failure": "none"|<failure mode>, "runs": int,
                                "outcomes": {"Succeeded"|"Failed"|"Incomplete": int},
                                "worst": {<figure>: {"value": str, "trace": path|null}},
                                "nominal": {<figure>: str},
                                "replacementLoop": str|null}]}]}

Figures: ``min_capacity``, ``min_good_capacity``, ``peak_extra``, ``steps``, ``seconds``,
``bad_share``, ``failed_share`` (shares of the traffic within ``window`` seconds of the
release), ``outcome`` (the worst way a run ended), ``new_before_healthy`` (1 when the new
version served before all its instances were healthy); values are strings (integers,
four-decimal shares, ``never``, an outcome). Every cell of the table is one of these figures,
so each links to the trace that reaches it. ``replacementLoop`` describes the replacement loop
(pods failing as they are made, replaced with no time passing) a run of the case stopped at.

The text table fits the terminal (rich wraps its cells) and shows a narrower set of columns;
``--output markdown`` and ``--report`` show every column.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmodel.cluster.actions import Action
from kmodel.report.output import write_output
from kmodel.strategies.compare import CaseResult
from kmodel.strategies.policies import POLICY_NOTES
from kmodel.strategies.run import StrategyRun, run_strategy
from kmodel.strategies.spec import StrategiesSpec
from kmodel.strategies.trace import format_value, make_strategy_trace

__all__ = [
    "COLUMNS",
    "Column",
    "StrategiesReport",
    "render_strategies",
    "table",
    "write_strategies_report",
    "write_strategy_traces",
]


@dataclass
class StrategiesReport:
    """A comparison: the spec, the explored cases and the trace file of each worst case."""

    spec: StrategiesSpec
    results: Sequence[CaseResult]
    #: (strategy, failure, figure) -> trace file
    trace_files: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    examples: int = 0
    max_steps: int = 0
    seed: int = 0

    def case(self, strategy: str, failure: str) -> CaseResult | None:
        """The result of one strategy in one failure mode."""
        return next(
            (r for r in self.results if r.strategy == strategy and r.failure == failure), None
        )

    def as_json(self) -> dict[str, Any]:
        """Stable JSON form."""
        return {
            "spec": self.spec.path,
            "name": self.spec.name,
            "seed": self.seed,
            "examples": self.examples,
            "maxSteps": self.max_steps,
            "window": self.spec.window,
            "service": self.spec.service,
            "strategies": [
                {
                    "name": s.name,
                    "platform": s.platform,
                    "policy": s.policy,
                    "description": s.describe(),
                    "cases": [
                        {
                            "failure": r.failure,
                            "runs": r.runs,
                            "outcomes": dict(sorted(r.outcomes.items())),
                            "worst": {
                                figure: {
                                    "value": format_value(value),
                                    "trace": self.trace_files.get((s.name, r.failure, figure)),
                                }
                                for figure, value in sorted(r.worst.items())
                            },
                            "nominal": {
                                figure: format_value(value)
                                for figure, value in sorted(r.nominal.items())
                            },
                            "replacementLoop": r.replacement_loop,
                        }
                        for r in self.results
                        if r.strategy == s.name
                    ],
                }
                for s in self.spec.strategies
            ],
        }


def _percent(text: str) -> str:
    return text if text == "never" else f"{float(text) * 100:.1f}%"


def _completion(case: CaseResult) -> str:
    """The worst steps and time to complete, or ``never`` when a run never completed."""
    steps, seconds = case.worst["steps"], case.worst["seconds"]
    if steps is None or seconds is None:
        return "never"
    return f"{format_value(steps)} ({format_value(seconds)}s)"


def _loops(report: StrategiesReport) -> list[str]:
    """One line per case a run of which stopped at a replacement loop."""
    return [
        f"replacement loop, {r.strategy} "
        f"({'good' if r.failure == 'none' else r.failure} release): {r.replacement_loop}"
        for r in report.results
        if r.replacement_loop is not None
    ]


def _restore(case: CaseResult) -> str:
    """How the worst run of a failed release ended, and the worst time to get the old back."""
    outcome = case.worst.get("outcome")
    if outcome == "Incomplete":
        return "never (stuck)"
    if outcome == "Succeeded":
        return "not restored: bad version deployed"
    return f"{format_value(case.worst.get('seconds'))}s (rolled back)"


def _restore_short(case: CaseResult) -> str:
    """:func:`_restore` in a few characters, for the narrow text table."""
    outcome = case.worst.get("outcome")
    if outcome == "Incomplete":
        return "stuck"
    if outcome == "Succeeded":
        return "bad version kept"
    return f"rolled back in {format_value(case.worst.get('seconds'))}s"


@dataclass(frozen=True)
class Column:
    """One column of the table.

    Attributes:
        header: the column's header.
        short: its header in the narrow text table (None: not shown there).
        cell: the cell of one case, given the capacity.
        failure_mode: a column per failure mode (else one for the good release).
        short_cell: the cell in the narrow text table, if it differs.
    """

    header: str
    short: str | None
    cell: Callable[[CaseResult, int], str]
    failure_mode: bool = False
    short_cell: Callable[[CaseResult, int], str] | None = None


COLUMNS: tuple[Column, ...] = (
    Column(
        "min capacity",
        "min capacity",
        lambda case, capacity: f"{format_value(case.worst['min_capacity'])}/{capacity}",
    ),
    Column("peak extra", "peak extra", lambda case, _: format_value(case.worst["peak_extra"])),
    Column(
        "steps (time) to complete",
        "steps (time) to complete",
        lambda case, _: _completion(case),
    ),
    Column(
        "requests failed",
        "requests failed",
        lambda case, _: _percent(format_value(case.worst["failed_share"])),
    ),
    Column(
        "new version serves before all healthy",
        None,
        lambda case, _: "yes" if case.worst["new_before_healthy"] else "no",
    ),
    Column(
        "bad share",
        "bad share",
        lambda case, _: _percent(format_value(case.worst["bad_share"])),
        failure_mode=True,
    ),
    Column(
        "min good capacity",
        "min good capacity",
        lambda case, capacity: f"{format_value(case.worst['min_good_capacity'])}/{capacity}",
        failure_mode=True,
    ),
    Column(
        "restore",
        "restore",
        lambda case, _: _restore(case),
        failure_mode=True,
        short_cell=lambda case, _: _restore_short(case),
    ),
)


def table(report: StrategiesReport, *, narrow: bool = False) -> tuple[list[str], list[list[str]]]:
    """The comparison table: headers and one row per strategy (``narrow``: the text subset)."""
    columns = [c for c in COLUMNS if c.short is not None or not narrow]

    def label(column: Column) -> str:
        return column.short if narrow and column.short else column.header

    header = ["strategy", *(label(c) for c in columns if not c.failure_mode)]
    header += [
        f"{failure}: {label(c)}"
        for failure in report.spec.failures
        for c in columns
        if c.failure_mode
    ]
    capacity = int(report.spec.deployment["spec"].get("replicas", 1))
    rows = []
    for strategy in report.spec.strategies:
        good = report.case(strategy.name, "none")
        if good is None:
            continue

        def cell(column: Column, case: CaseResult) -> str:
            render = column.short_cell if narrow and column.short_cell else column.cell
            return render(case, capacity)

        row = [strategy.name]
        row += [cell(c, good) for c in columns if not c.failure_mode]
        for failure in report.spec.failures:
            case = report.case(strategy.name, failure)
            if case is None:
                continue
            row += [cell(c, case) for c in columns if c.failure_mode]
        rows.append(row)
    return header, rows


def _summary(report: StrategiesReport) -> str:
    return (
        f"{report.spec.name}: {len(report.spec.strategies)} strategies, failure modes "
        f"{', '.join(report.spec.failure_modes)}; worst cases over {report.examples} "
        f"explored runs each (seed {report.seed}); traffic over the first "
        f"{report.spec.window}s after the release, through Service {report.spec.service}"
    )


def _text(report: StrategiesReport, width: int | None = None) -> str:
    """One table for the good release and one per failure mode, each fitting ``width``."""
    from rich import box  # noqa: PLC0415  # only the text table needs rich
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    header, rows = table(report, narrow=True)
    goods = 1 + sum(1 for c in COLUMNS if c.short is not None and not c.failure_mode)
    per_failure = sum(1 for c in COLUMNS if c.short is not None and c.failure_mode)
    parts = [("good release", list(range(goods)))]
    for index, failure in enumerate(report.spec.failures):
        first = goods + index * per_failure
        parts.append((f"{failure} release", [0, *range(first, first + per_failure)]))
    buffer = io.StringIO()
    columns = width if width is not None else shutil.get_terminal_size((100, 24)).columns
    console = Console(
        file=buffer, width=max(columns, 40), color_system=None, highlight=False, soft_wrap=False
    )
    console.print(_summary(report), markup=False)
    for title, picked in parts:
        grid = Table(
            title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, expand=False
        )
        for index in picked:
            label = header[index].split(": ", 1)[-1]
            # Strategy names stay whole; other cells wrap at spaces when the width is short.
            grid.add_column(label, no_wrap=index == 0, overflow="fold")
        for row in rows:
            grid.add_row(*(row[i] for i in picked))
        console.print(grid)
    for line in _loops(report):
        console.print(line, markup=False)
    traces = sorted(set(report.trace_files.values()))
    if traces:
        console.print(
            f"worst-case traces: {len(traces)} files (kmodel replay FILE); every column: "
            "--output markdown or --report DIR",
            markup=False,
        )
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    return "\n".join(lines) + "\n"


def _markdown(report: StrategiesReport, plot: str | None = None) -> str:
    header, rows = table(report)
    out = [
        f"# kmodel strategies: {report.spec.name}",
        "",
        report.spec.description,
        "",
        f"Worst cases over the runs explored ({report.examples} per strategy and failure mode, "
        f"up to {report.max_steps} chosen steps, seed {report.seed}); failure modes: "
        + ", ".join(f"`{f}`" for f in report.spec.failures)
        + f". Traffic shares are over the first {report.spec.window}s after the release, "
        f"through Service `{report.spec.service}`. Each worst case links to the trace that "
        "reaches it (`kmodel replay FILE`).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    if loops := _loops(report):
        out += ["", *(f"- {line}" for line in loops)]
    if plot:
        out += ["", f"![serving capacity over the steps of each strategy]({plot})"]
    out += ["", "## Worst-case traces", ""]
    for (name, failure, figure), file in sorted(report.trace_files.items()):
        out.append(f"- {name}, {failure}, {figure}: `{file}`")
    out += ["", "## The policies", ""]
    for strategy in report.spec.strategies:
        out.append(
            f"- **{strategy.name}** ({strategy.describe()}): {POLICY_NOTES[strategy.policy]}"
        )
    return "\n".join(out) + "\n"


def render_strategies(report: StrategiesReport, output: str, *, width: int | None = None) -> str:
    """Render a comparison as ``text``, ``json`` or ``markdown``.

    ``width``: the text table's width (default: the terminal's, 100 when there is none).
    """
    if output == "json":
        return json.dumps(report.as_json(), indent=2, sort_keys=True) + "\n"
    if output == "markdown":
        return _markdown(report)
    return _text(report, width)


def _plot(report: StrategiesReport, target: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415  # heavy; only reports need it

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    strategies = report.spec.strategies
    figure, axes = plt.subplots(
        len(strategies), 1, figsize=(8, 1.6 * len(strategies)), sharex=True, squeeze=False
    )
    for axis, strategy in zip(axes[:, 0], strategies, strict=True):
        case = report.case(strategy.name, "none")
        series = case.nominal_series if case else []
        xs = [p[0] for p in series]
        ys = [p[1] for p in series]
        axis.step(xs, ys, where="post", color="#2a6fdb")
        axis.fill_between(xs, ys, step="post", alpha=0.15, color="#2a6fdb")
        axis.set_ylabel("capacity", fontsize=7)
        axis.set_title(strategy.name, fontsize=8, loc="left")
        axis.set_ylim(bottom=0)
        axis.grid(visible=True, alpha=0.3)
    axes[-1, 0].set_xlabel("step (nominal run of a good release)")
    figure.tight_layout()
    figure.savefig(target, dpi=100, metadata={"Software": None})
    plt.close(figure)


def write_strategy_traces(
    spec: StrategiesSpec, results: Sequence[CaseResult], folder: Path
) -> dict[tuple[str, str, str], str]:
    """Write the trace of every worst case to ``folder``; (strategy, failure, figure) -> file.

    Figures whose worst case the same run reached share one re-run of it.
    """
    files: dict[tuple[str, str, str], str] = {}
    for result in results:
        runs: dict[tuple[Action, ...], StrategyRun] = {}
        for figure, witness in sorted(result.witnesses.items()):
            run = runs.get(witness.actions)
            if run is None:
                scenario = spec.scenario(result.strategy, result.failure)
                run = runs[witness.actions] = run_strategy(scenario, witness.actions)
            trace = make_strategy_trace(spec, result.strategy, result.failure, witness, run=run)
            name = f"{Path(spec.path).stem}.{result.strategy}.{result.failure}.{figure}.json"
            target = folder / name.replace("/", "_").replace("%", "pct")
            write_output(trace.dumps(), target)
            files[(result.strategy, result.failure, figure)] = str(target)
    return files


def write_strategies_report(report: StrategiesReport, folder: Path) -> Path:
    """Write ``strategies.md`` and ``strategies.png`` (capacity per strategy) to a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    _plot(report, folder / "strategies.png")
    target = folder / "strategies.md"
    target.write_text(_markdown(report, "strategies.png"), encoding="utf-8")
    return target
