"""Rendering of ``kmodel status`` results as text, JSON and Markdown.

JSON output is one object (documented in the README, "kmodel status")::

    {"pods": [{"namespace", "name", "file", "document", "node", "phase",
               "ready", "status", "restarts",
               "conditions": [{"type", "status", "reason", "message"}]}],
     "not_modelled": [str]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kmodel.objects.types import PodCondition

__all__ = ["PodStatusReport", "render_status"]


@dataclass(frozen=True)
class PodStatusReport:
    """What the kubelet would report for one Pod, what kubectl would show, and its source.

    Attributes:
        node: ``spec.nodeName``; None for a Pod not bound to a node (no kubelet reports on it).
        ready: kubectl's READY column (ready containers over containers).
        status: kubectl's STATUS column (``CrashLoopBackOff``, ``Init:0/2``, ``Completed``, ...).
        restarts: kubectl's RESTARTS column, without the time since the last restart.
    """

    namespace: str
    name: str
    file: str
    document: int
    phase: str
    node: str | None = None
    ready: str = ""
    status: str = ""
    restarts: int = 0
    conditions: list[PodCondition] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON shape documented in the README (stable keys)."""
        return {
            "namespace": self.namespace,
            "name": self.name,
            "file": self.file,
            "document": self.document,
            "node": self.node,
            "phase": self.phase,
            "ready": self.ready,
            "status": self.status,
            "restarts": self.restarts,
            "conditions": [dict(c) for c in self.conditions],
        }


def _text(reports: list[PodStatusReport]) -> str:
    lines: list[str] = []
    for report in reports:
        lines.append(
            f"pod/{report.name} -n {report.namespace}  ({report.file}, document {report.document})"
        )
        lines.append(
            f"  PHASE {report.phase}  STATUS {report.status}  READY {report.ready}  "
            f"RESTARTS {report.restarts}  NODE {report.node or '<none>'}"
        )
        width = max((len(c["type"]) for c in report.conditions), default=0)
        for condition in report.conditions:
            detail = "  ".join(x for x in (condition["reason"], condition["message"]) if x)
            line = f"  {condition['type']:<{width}}  {condition['status']:<5}  {detail}"
            lines.append(line.rstrip())
        if report.node is None and not report.conditions:
            lines.append("  not bound to a node: no kubelet reports on it, no scheduler has tried")
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
            "Phase and kubelet-owned conditions that the kubelet would report for each Pod, and "
            "READY, STATUS and RESTARTS as `kubectl get pods` shows them (`kmodel status`)."
        ),
        "",
        (
            "| Pod | Source | Node | Phase | STATUS | READY | RESTARTS "
            "| Condition | Status | Reason | Message |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for report in reports:
        first = [
            f"`{report.namespace}/{report.name}`",
            _markdown_cell(f"{report.file}#{report.document}"),
            _markdown_cell(report.node or "<none>"),
            report.phase,
            _markdown_cell(report.status),
            report.ready,
            str(report.restarts),
        ]
        rows = [
            [condition["type"], condition["status"], condition["reason"], condition["message"]]
            for condition in report.conditions
        ] or [["", "", "", ""]]
        for i, condition_cells in enumerate(rows):
            cells = (first if i == 0 else [""] * len(first)) + [
                _markdown_cell(c) for c in condition_cells
            ]
            lines.append("| " + " | ".join(cells) + " |")
    if not reports:
        lines.append("| no Pods found |" + " |" * 10)
    return "\n".join(lines) + "\n"


def render_status(
    reports: list[PodStatusReport], output: str, *, not_modelled: Sequence[str] = ()
) -> str:
    """Render status reports in ``output`` format (``text``, ``json`` or ``markdown``).

    ``not_modelled`` lists, one line per object, what the input held that no report covers.
    """
    if output == "json":
        body = {"pods": [r.as_json() for r in reports], "not_modelled": list(not_modelled)}
        return json.dumps(body, indent=2) + "\n"
    if not not_modelled:
        return _markdown(reports) if output == "markdown" else _text(reports)
    if output == "markdown":
        skipped = [f"- {_markdown_cell(line)}" for line in not_modelled]
        return _markdown(reports) + "\n## Not covered\n\n" + "\n".join(skipped) + "\n"
    return _text(reports) + "not covered:\n" + "".join(f"  {line}\n" for line in not_modelled)
