"""Rendering of ``kmodel pack`` and ``kmodel explain`` results: text, JSON, Markdown, reports.

JSON of ``kmodel pack`` (one object, stable keys):

* ``status``: ``optimal``, ``feasible`` (a packing, optimality not proven in time),
  ``infeasible`` (some pod cannot be placed) or ``unknown`` (no packing, or one the verifier
  rejected);
* ``nodes_used``: nodes running at least one pod, bound pods included (null without a packing);
* ``cost``: their total price (``kmodel.dev/price``; null without a packing);
* ``lower_bound``: the proven lower bound of the objective (nodes, cost, or unplaced pods);
* ``nodes_lower_bound``: objective ``placed`` with every pod placed: a proven lower bound on
  the nodes any placement of every pod needs (null otherwise);
* ``optimal``: true only when optimality is proven;
* ``solve_seconds``: wall time of the solve;
* ``phase_seconds``: wall seconds of the command's phases: ``reading`` (from the command's
  start: the manifests, validation and the placement input), ``solve`` (presolve, solve, Z3
  for the rules beyond the engine, waiting for the heuristics) and ``verification`` (checking
  the placement reported; the report's writing follows);
* ``method``: what presolve did, what found the packing and what proved the bound (e.g.
  ``presolve: memory, pods cannot bind (dropped); bin completion; bound volume``);
* ``placement``: {pod: node} for the pods kmodel placed (bound pods are not repeated);
* ``heuristics``: {name: {``nodes_used``, ``unplaced``: [pod...]}};
* ``unplaced``: the pods left without a node.
* ``not_placed``: {pod: reason} for pods the scheduler would not consider (scheduling gates):
  not placed, and no failure;
* ``not_modelled``: the objects of FILES the model does not know, one line each (skipped).
* ``daemonset_overhead``: per DaemonSet, ``{name, nodes, requests}``: the nodes whose
  allocatable its pod was taken off before packing, and what one pod takes (cpu in
  millicores, memory in bytes, ``pods`` 1).

``kmodel explain`` JSON: ``status`` (``placeable``, ``conflict``, ``unknown``),
``constraints`` (sentences), ``groups`` (the pod groups in the conflict), ``not_placed``,
``not_modelled`` and ``daemonset_overhead`` (as for ``pack``).

:func:`write_report` writes ``placement.md``, ``placement.html`` and
``placement-utilisation.png`` (per-node cpu and memory utilisation of the optimum and of each
heuristic; matplotlib, Agg backend).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmodel.placement.explain import Explanation
from kmodel.placement.kube_scheduler import HeuristicRun
from kmodel.placement.manifests import DaemonOverhead, PlacementInput
from kmodel.placement.verify import describe_amount
from kmodel.report.output import write_output
from kmodel.semantics.resources import CPU, MEMORY

__all__ = [
    "PackReport",
    "render_explain",
    "render_pack",
    "write_report",
]


@dataclass(frozen=True)
class PackReport:
    """Everything ``kmodel pack`` reports.

    Attributes:
        objective: ``nodes``, ``cost`` or ``placed``.
        status: see the module docstring.
        nodes_used: nodes in use by the optimum (None without a packing).
        cost: their total price.
        lower_bound: the proven bound of the objective.
        nodes_lower_bound: see the module docstring (``placed`` with every pod placed).
        optimal: proven optimal.
        solve_seconds: solve time.
        placement: pod -> node.
        unplaced: pods without a node, with the reason.
        heuristics: each heuristic's run.
        violations: what the verifier found wrong with the optimum (normally nothing).
        not_placed: pods the scheduler would not consider (gated), with the reason.
        not_modelled: objects skipped because the model does not know their kind.
        method: see the module docstring.
        overhead: per DaemonSet, the nodes its pod was taken off and its requests.
        phase_seconds: wall seconds per phase of the command (see the module docstring).
    """

    objective: str
    status: str
    nodes_used: int | None
    cost: int | None
    lower_bound: int
    optimal: bool
    solve_seconds: float
    placement: Mapping[str, str]
    unplaced: Mapping[str, str]
    heuristics: Sequence[HeuristicRun]
    violations: Sequence[str] = field(default_factory=tuple)
    nodes_lower_bound: int | None = None
    not_placed: Mapping[str, str] = field(default_factory=dict)
    not_modelled: Sequence[str] = field(default_factory=tuple)
    method: str = ""
    overhead: Sequence[DaemonOverhead] = field(default_factory=tuple)
    phase_seconds: Mapping[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The documented JSON object."""
        return {
            "status": self.status,
            "nodes_used": self.nodes_used,
            "cost": self.cost,
            "lower_bound": self.lower_bound,
            "nodes_lower_bound": self.nodes_lower_bound,
            "optimal": self.optimal,
            "solve_seconds": round(self.solve_seconds, 3),
            "phase_seconds": dict(self.phase_seconds),
            "method": self.method,
            "placement": dict(self.placement),
            "heuristics": {
                run.name: {"nodes_used": run.nodes_used, "unplaced": list(run.unplaced)}
                for run in self.heuristics
            },
            "unplaced": list(self.unplaced),
            "not_placed": dict(self.not_placed),
            "not_modelled": list(self.not_modelled),
            "daemonset_overhead": [o.as_json() for o in self.overhead],
        }


def _value(report: PackReport, nodes: int | None, cost: int | None, unplaced: int) -> int | None:
    if report.objective == "cost":
        return cost
    if report.objective == "placed":
        return unplaced
    return nodes


def _gap(report: PackReport, run: HeuristicRun) -> str:
    best = _value(report, report.nodes_used, report.cost, len(report.unplaced))
    mine = _value(report, run.nodes_used, run.cost, len(run.unplaced))
    if best is None or mine is None:
        return ""
    diff = mine - best
    if diff == 0:
        return "0"
    percent = f" ({diff / best:+.0%})" if best else ""
    return f"{diff:+d}{percent}"


def _rows(report: PackReport) -> list[tuple[str, str, str, str, str]]:
    rows = [
        (
            "optimum" if report.optimal else "kmodel (best found)",
            "-" if report.nodes_used is None else str(report.nodes_used),
            "-" if report.cost is None else str(report.cost),
            str(len(report.unplaced)),
            "",
        )
    ]
    rows.extend(
        (run.name, str(run.nodes_used), str(run.cost), str(len(run.unplaced)), _gap(report, run))
        for run in report.heuristics
    )
    return rows


def _headline(report: PackReport) -> str:
    if report.nodes_used is None:
        return f"{report.status}: no packing found, proven lower bound {report.lower_bound}"
    proof = "proven optimal" if report.optimal else f"proven lower bound {report.lower_bound}"
    if report.nodes_lower_bound is not None and not report.optimal:
        proof = f"every pod placed; proven lower bound {report.nodes_lower_bound} nodes"
    return (
        f"{report.status}: {report.nodes_used} nodes, cost {report.cost}, "
        f"{len(report.unplaced)} unplaced ({proof}; objective {report.objective}; "
        f"{report.solve_seconds:.2f} s)"
    )


def _text(report: PackReport) -> str:
    lines = [_headline(report), ""]
    header = ("placement", "nodes", "cost", "unplaced", f"gap ({report.objective})")
    rows = [header, *_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines.extend(
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r)
        ).rstrip()
        for r in rows
    )
    if report.violations:
        lines += ["", "the verifier rejects this placement:"]
        lines += [f"  {v}" for v in report.violations]
    lines += ["", "placement:"]
    width = max((len(p) for p in report.placement), default=0)
    lines += [f"  {pod.ljust(width)}  {node}" for pod, node in report.placement.items()]
    if report.unplaced:
        lines += ["", "unplaced:"]
        lines += [f"  {pod}: {reason}" for pod, reason in report.unplaced.items()]
    if report.not_placed:
        lines += ["", "not placed (the scheduler would not consider them; not a failure):"]
        lines += [f"  {pod}: {reason}" for pod, reason in report.not_placed.items()]
    if report.not_modelled:
        lines += ["", "not modelled (skipped):"]
        lines += [f"  {line}" for line in report.not_modelled]
    if report.overhead:
        lines += ["", "daemonset overhead (taken off each node's allocatable before packing):"]
        lines += [f"  {line}" for line in overhead_lines(report.overhead)]
    return "\n".join(lines) + "\n"


def _markdown(report: PackReport, image: str | None = None) -> str:
    lines = ["# kmodel pack", "", _headline(report), ""]
    lines += [
        f"| placement | nodes | cost | unplaced | gap ({report.objective}) |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {' | '.join(r)} |" for r in _rows(report)]
    if image:
        lines += ["", f"![per-node utilisation]({image})"]
    if report.violations:
        lines += ["", "## The verifier rejects this placement", ""]
        lines += [f"- {v}" for v in report.violations]
    lines += ["", "## Placement", "", "| pod | node |", "|---|---|"]
    lines += [f"| {pod} | {node} |" for pod, node in report.placement.items()]
    if report.unplaced:
        lines += ["", "## Unplaced", ""]
        lines += [f"- `{pod}`: {reason}" for pod, reason in report.unplaced.items()]
    if report.not_placed:
        lines += ["", "## Not placed (the scheduler would not consider them)", ""]
        lines += [f"- `{pod}`: {reason}" for pod, reason in report.not_placed.items()]
    if report.not_modelled:
        lines += ["", "## Not modelled (skipped)", ""]
        lines += [f"- {html.escape(line)}" for line in report.not_modelled]
    if report.overhead:
        lines += ["", "## DaemonSet overhead (taken off each node's allocatable)", ""]
        lines += [f"- {line}" for line in overhead_lines(report.overhead)]
    return "\n".join(lines) + "\n"


def overhead_lines(overhead: Sequence[DaemonOverhead]) -> list[str]:
    """One line per DaemonSet: what its pod takes and the nodes it is taken off."""
    lines = []
    for item in overhead:
        taken = ", ".join(
            describe_amount(resource, amount) for resource, amount in item.requests.items()
        )
        where = f"{len(item.nodes)} node(s): {', '.join(item.nodes)}" if item.nodes else "no node"
        lines.append(f"{item.name}: {taken} on {where}")
    return lines


def render_pack(report: PackReport, output: str) -> str:
    """Render a pack report as ``text``, ``json`` or ``markdown``."""
    if output == "json":
        return json.dumps(report.as_json(), indent=2, sort_keys=False) + "\n"
    if output == "markdown":
        return _markdown(report)
    return _text(report)


def render_explain(
    explanation: Explanation,
    output: str,
    *,
    not_placed: Mapping[str, str] | None = None,
    not_modelled: Sequence[str] = (),
    overhead: Sequence[DaemonOverhead] = (),
) -> str:
    """Render an explanation as ``text``, ``json`` or ``markdown``.

    ``not_placed`` (gated pods, with the reason) and ``not_modelled`` (skipped objects) name
    what the explanation does not cover.
    """
    not_placed = dict(not_placed or {})
    if output == "json":
        return (
            json.dumps(
                {
                    "status": explanation.status,
                    "constraints": list(explanation.constraints),
                    "groups": list(explanation.groups),
                    "not_placed": not_placed,
                    "not_modelled": list(not_modelled),
                    "daemonset_overhead": [o.as_json() for o in overhead],
                },
                indent=2,
            )
            + "\n"
        )
    uncovered = [f"{pod}: {reason}" for pod, reason in not_placed.items()] + list(not_modelled)
    if explanation.status == "placeable":
        head = "every pod can be placed: there is nothing to explain"
    elif explanation.status == "unknown":
        head = "unknown: Z3 could not decide within the time limit"
    else:
        head = (
            f"cannot place {', '.join(explanation.groups) or 'every pod'}: "
            "these constraints conflict (drop any one and the rest can hold)"
        )
    if output == "markdown":
        lines = ["# kmodel explain", "", head, ""]
        lines += [f"- {c}" for c in explanation.constraints]
        if uncovered:
            lines += ["", "## Not considered", ""] + [f"- {html.escape(u)}" for u in uncovered]
        if overhead:
            lines += ["", "## DaemonSet overhead", ""]
            lines += [f"- {line}" for line in overhead_lines(overhead)]
        return "\n".join(lines) + "\n"
    lines = [head] + [f"  - {c}" for c in explanation.constraints]
    if uncovered:
        lines += ["not considered:"] + [f"  {u}" for u in uncovered]
    if overhead:
        lines += ["daemonset overhead (taken off each node's allocatable):"]
        lines += [f"  {line}" for line in overhead_lines(overhead)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- report folder


def _utilisation(inp: PlacementInput, placement: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """Per node, the share of allocatable cpu and memory used (bound pods included)."""
    group_of = inp.group_of_pod()
    used = {node.name: list(node.load) for node in inp.nodes}
    for pod, where in placement.items():
        if where in used:
            demand = inp.groups[group_of[pod]].demand
            used[where] = [u + d for u, d in zip(used[where], demand, strict=True)]
    return {
        node.name: {
            dim: (used[node.name][k] / node.capacity[k] if node.capacity[k] else 0.0)
            for k, dim in enumerate(inp.dimensions)
            if dim in {CPU, MEMORY}
        }
        for node in inp.nodes
    }


#: Up to this many nodes the plot has a bar pair and a label per node; beyond, each run is drawn
#: as a utilisation profile (nodes sorted by cpu use, fullest first) in a figure of fixed size.
LABELLED_NODES = 40


def _plot(inp: PlacementInput, report: PackReport, path: Path) -> None:
    import matplotlib as mpl  # noqa: PLC0415 - optional and slow to import: only for reports

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    runs: list[tuple[str, Mapping[str, str]]] = [("optimum", report.placement)]
    runs += [(run.name, run.placement) for run in report.heuristics]
    names = [n.name for n in inp.nodes]
    labelled = len(names) <= LABELLED_NODES
    width = max(6.0, 0.5 * len(names) + 2) if labelled else 12.0
    figure, axes = plt.subplots(len(runs), 1, figsize=(width, 2.2 * len(runs)), squeeze=False)
    positions = list(range(len(names)))
    for ax, (title, placement) in zip(axes[:, 0], runs, strict=True):
        shares = _utilisation(inp, placement)
        order = names if labelled else sorted(names, key=lambda n: -shares[n].get(CPU, 0.0))
        cpu = [100 * shares[n].get(CPU, 0.0) for n in order]
        memory = [100 * shares[n].get(MEMORY, 0.0) for n in order]
        used = sum(1 for n in names if shares[n].get(CPU) or shares[n].get(MEMORY))
        ax.set_title(f"{title}: {used} nodes in use", fontsize=9)
        if labelled:
            ax.bar([p - 0.2 for p in positions], cpu, width=0.4, label="cpu")
            ax.bar([p + 0.2 for p in positions], memory, width=0.4, label="memory")
            ax.set_xticks(positions, names, rotation=90 if len(names) > 12 else 0, fontsize=7)
        else:
            ax.step(positions, cpu, where="mid", linewidth=1, label="cpu")
            ax.step(positions, memory, where="mid", linewidth=1, label="memory")
            ax.set_xlim(-0.5, len(names) - 0.5)
            ax.set_xlabel(f"the {len(names)} nodes, by cpu use (fullest first)", fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("% allocatable", fontsize=8)
        ax.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def write_report(report: PackReport, inp: PlacementInput, directory: str | Path) -> list[Path]:
    """Write the Markdown and HTML reports and the utilisation plot into ``directory``.

    Returns:
        The files written.

    Raises:
        InputError: a file cannot be written.
    """
    folder = Path(directory)
    image = folder / "placement-utilisation.png"
    folder.mkdir(parents=True, exist_ok=True)
    _plot(inp, report, image)
    markdown = _markdown(report, image.name)
    write_output(markdown, folder / "placement.md")
    body = [f"<h1>kmodel pack</h1><p>{html.escape(_headline(report))}</p>", "<table>"]
    header = ("placement", "nodes", "cost", "unplaced", f"gap ({report.objective})")
    body.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
    body.extend(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
        for row in _rows(report)
    )
    body.append(f'</table><p><img src="{image.name}" alt="per-node utilisation"></p>')
    body.append("<h2>Placement</h2><table><tr><th>pod</th><th>node</th></tr>")
    body.extend(
        f"<tr><td>{html.escape(p)}</td><td>{html.escape(n)}</td></tr>"
        for p, n in report.placement.items()
    )
    body.append("</table>")
    if report.unplaced:
        body.append("<h2>Unplaced</h2><ul>")
        body.extend(
            f"<li><code>{html.escape(p)}</code>: {html.escape(r)}</li>"
            for p, r in report.unplaced.items()
        )
        body.append("</ul>")
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>kmodel pack</title></head>'
        f"<body>{''.join(body)}</body></html>"
    )
    write_output(page, folder / "placement.html")
    return [folder / "placement.md", folder / "placement.html", image]
