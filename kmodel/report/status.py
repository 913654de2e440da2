"""Rendering of ``kmodel status`` results as text, JSON and Markdown."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kmodel.objects.types import PodCondition

__all__ = ["PodStatusReport", "render_status"]


@dataclass(frozen=True)
class PodStatusReport:
    """What the kubelet would report for one Pod, and where the Pod came from."""

    namespace: str
    name: str
    file: str
    document: int
    phase: str
    conditions: list[PodCondition] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON shape documented in the README (stable keys)."""
        return {
            "namespace": self.namespace,
            "name": self.name,
            "file": self.file,
            "document": self.document,
            "phase": self.phase,
            "conditions": [dict(c) for c in self.conditions],
        }


def _text(reports: list[PodStatusReport]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(f"pod/{report.name} -n {report.namespace}: {report.phase}")
        width = max((len(c["type"]) for c in report.conditions), default=0)
        for condition in report.conditions:
            detail = "  ".join(x for x in (condition["reason"], condition["message"]) if x)
            line = f"  {condition['type']:<{width}}  {condition['status']:<5}  {detail}"
            lines.append(line.rstrip())
    if not reports:
        lines.append("no Pods found")
    return "\n".join(lines) + "\n"


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(reports: list[PodStatusReport]) -> str:
    lines = [
        "# Pod status",
        "",
        (
            "Phase and kubelet-owned conditions that the kubelet would report for each Pod "
            "(`kmodel status`)."
        ),
        "",
        "| Pod | Source | Phase | Condition | Status | Reason | Message |",
        "|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        pod = f"`{report.namespace}/{report.name}`"
        source = f"{report.file}#{report.document}"
        for i, condition in enumerate(report.conditions):
            first = i == 0
            cells = [
                pod if first else "",
                _markdown_cell(source) if first else "",
                report.phase if first else "",
                condition["type"],
                condition["status"],
                _markdown_cell(condition["reason"]),
                _markdown_cell(condition["message"]),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if not reports:
        lines.append("| no Pods found | | | | | | |")
    return "\n".join(lines) + "\n"


def render_status(reports: list[PodStatusReport], output: str) -> str:
    """Render status reports in ``output`` format (``text``, ``json`` or ``markdown``)."""
    if output == "json":
        return json.dumps({"pods": [r.as_json() for r in reports]}, indent=2) + "\n"
    if output == "markdown":
        return _markdown(reports)
    return _text(reports)
