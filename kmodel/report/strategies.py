"""Rendering ``kmodel strategies``: text, JSON and Markdown, and a report with a capacity plot.

JSON output is one object (documented in the README, "kmodel strategies")::

    {"spec": path, "name": str, "seed": int, "examples": int, "maxSteps": int,
     "strategies": [{"name": str, "platform": "kubernetes"|"beanstalk", "policy": str,
                     "description": str,
                     "cases": [{"failure": "none"|<failure mode>, "runs": int,
                                "outcomes": {"Succeeded"|"Failed"|"Incomplete": int},
                                "early_new_traffic": bool,
                                "worst": {<figure>: {"value": str, "trace": path|null}},
                                "nominal": {<figure>: str}}]}]}

Figures: ``min_capacity``, ``min_good_capacity``, ``peak_extra``, ``steps``, ``seconds``,
``bad_share``, ``failed_share``; values are strings (integers, four-decimal shares, ``never``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmodel.strategies.compare import CaseResult
from kmodel.strategies.policies import POLICY_NOTES
from kmodel.strategies.spec import StrategiesSpec
from kmodel.strategies.trace import format_value

__all__ = ["StrategiesReport", "render_strategies", "write_strategies_report"]


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
                            "early_new_traffic": r.early_new_traffic,
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


def _restore(case: CaseResult) -> str:
    """How a failed release ended, and the worst time to get the old version back."""
    if case.outcomes.get("Incomplete"):
        return "never (stuck)"
    if case.outcomes.get("Succeeded"):
        return "not restored: bad version deployed"
    return f"{format_value(case.worst.get('seconds'))}s (rolled back)"


def _rows(report: StrategiesReport) -> list[list[str]]:
    rows = []
    capacity = int(report.spec.deployment["spec"].get("replicas", 1))
    for strategy in report.spec.strategies:
        good = report.case(strategy.name, "none")
        if good is None:
            continue
        row = [
            strategy.name,
            f"{format_value(good.worst['min_capacity'])}/{capacity}",
            format_value(good.worst["peak_extra"]),
            f"{format_value(good.worst['steps'])} ({format_value(good.worst['seconds'])}s)",
            _percent(format_value(good.worst["failed_share"])),
            "yes" if good.early_new_traffic else "no",
        ]
        for failure in report.spec.failures:
            case = report.case(strategy.name, failure)
            if case is None:
                continue
            row += [
                _percent(format_value(case.worst["bad_share"])),
                f"{format_value(case.worst['min_good_capacity'])}/{capacity}",
                _restore(case),
            ]
        rows.append(row)
    return rows


def _header(report: StrategiesReport) -> list[str]:
    header = [
        "strategy",
        "min capacity",
        "peak extra",
        "steps (time) to complete",
        "requests failed",
        "new version serves before all healthy",
    ]
    for failure in report.spec.failures:
        header += [f"{failure}: bad share", f"{failure}: min good capacity", f"{failure}: restore"]
    return header


def _text(report: StrategiesReport) -> str:
    header = _header(report)
    rows = _rows(report)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        (
            f"{report.spec.name}: {len(report.spec.strategies)} strategies, failure modes "
            f"{', '.join(report.spec.failure_modes)}; worst cases over {report.examples} "
            f"explored runs each (seed {report.seed})"
        ),
        "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    traces = sorted(set(report.trace_files.values()))
    if traces:
        lines.append(f"worst-case traces: {len(traces)} files (kmodel replay FILE)")
    return "\n".join(lines) + "\n"


def _markdown(report: StrategiesReport, plot: str | None = None) -> str:
    header = _header(report)
    out = [
        f"# kmodel strategies: {report.spec.name}",
        "",
        report.spec.description,
        "",
        f"Worst cases over the runs explored ({report.examples} per strategy and failure mode, "
        f"up to {report.max_steps} chosen steps, seed {report.seed}); failure modes: "
        + ", ".join(f"`{f}`" for f in report.spec.failures)
        + ". Each worst case links to the trace that reaches it (`kmodel replay FILE`).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    out += ["| " + " | ".join(r) + " |" for r in _rows(report)]
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


def render_strategies(report: StrategiesReport, output: str) -> str:
    """Render a comparison as ``text``, ``json`` or ``markdown``."""
    if output == "json":
        return json.dumps(report.as_json(), indent=2, sort_keys=True) + "\n"
    if output == "markdown":
        return _markdown(report)
    return _text(report)


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


def write_strategies_report(report: StrategiesReport, folder: Path) -> Path:
    """Write ``strategies.md`` and ``strategies.png`` (capacity per strategy) to a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    _plot(report, folder / "strategies.png")
    target = folder / "strategies.md"
    target.write_text(_markdown(report, "strategies.png"), encoding="utf-8")
    return target
