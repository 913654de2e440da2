"""Rendering ``kmodel verify`` results: text, JSON, JUnit XML, GitHub annotations, Markdown.

The Markdown report draws the cluster graph: each failure domain (zone) as a box holding its
nodes, each node with the replicas a placement puts there (the first counterexample, else the
witness placement).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kmodel.cluster.topology import ZONE_LABEL, domains
from kmodel.report.placement import overhead_lines
from kmodel.verify.prove import PropertyResult, VerifyResult, bound_pods

__all__ = ["TargetResult", "outcome", "plot_graph", "render_verify"]

#: Nodes drawn per domain in the figure (the rest are counted).
_NODES_SHOWN = 8


@dataclass(frozen=True)
class TargetResult:
    """One verified cluster: a spec, or the manifest files given together.

    Attributes:
        name: the spec's name, or ``manifests``.
        source: the file(s) it came from.
        expect: ``proven`` or ``disproved`` as the spec states, else None.
        result: the verdicts.
        counterexamples: property name -> the file its counterexample was saved to.
        not_modelled: objects of kinds the model does not know (skipped by the loader).
    """

    name: str
    source: str
    expect: str | None
    result: VerifyResult
    counterexamples: Mapping[str, str]
    not_modelled: tuple[str, ...] = ()


def outcome(target: TargetResult) -> str:
    """The target's verdict: ``disproved``, else ``unknown``, else ``proven``.

    Disproved when a property is disproved or vacuous; unknown when one is undecided.
    """
    statuses = {r.status for r in target.result.results}
    if statuses & {"disproved", "vacuous"}:
        return "disproved"
    if "unknown" in statuses:
        return "unknown"
    return "proven"


def _as_expected(target: TargetResult) -> bool | None:
    return None if target.expect is None else outcome(target) == target.expect


def _property_json(target: TargetResult, result: PropertyResult) -> dict[str, Any]:
    return {
        "property": result.prop.name,
        "kind": result.prop.kind,
        "status": result.status,
        "message": result.message,
        "reasons": list(result.reasons),
        "domains": list(result.domains),
        "method": result.method,
        "seconds": result.seconds,
        "placement": dict(result.counterexample) if result.counterexample else None,
        "counterexample": target.counterexamples.get(result.prop.name),
    }


def _json(targets: Sequence[TargetResult]) -> str:
    statuses = Counter(r.status for t in targets for r in t.result.results)
    document = {
        "targets": [
            {
                "name": t.name,
                "source": t.source,
                "expect": t.expect,
                "outcome": outcome(t),
                "as_expected": _as_expected(t),
                "nodes": len(t.result.inp.nodes),
                "pods": len(t.result.inp.pod_names) + len(t.result.inp.bound_pods),
                "zones": list(domains(t.result.graph, ZONE_LABEL)),
                "properties": [_property_json(t, r) for r in t.result.results],
                "not_placed": dict(t.result.inp.held),
                "not_modelled": list(t.not_modelled),
                "daemonset_overhead": [o.as_json() for o in t.result.inp.overhead],
            }
            for t in targets
        ],
        "summary": {
            "properties": sum(statuses.values()),
            **{s: statuses.get(s, 0) for s in ("proven", "disproved", "unknown", "vacuous")},
        },
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _text(targets: Sequence[TargetResult]) -> str:
    out: list[str] = []
    for t in targets:
        inp = t.result.inp
        expect = f", expected {t.expect}" if t.expect else ""
        out.append(
            f"{t.name} ({t.source}): {len(inp.nodes)} nodes, {len(inp.pod_names)} pods to place, "
            f"{len(inp.bound_pods)} bound: {outcome(t)}{expect}"
        )
        out.extend(
            f"  not placed (the scheduler would not consider it): {pod}: {why}"
            for pod, why in t.result.inp.held
        )
        out.extend(f"  not modelled: {line}" for line in t.not_modelled)
        out.extend(f"  daemonset overhead: {line}" for line in overhead_lines(inp.overhead))
        for r in t.result.results:
            out.append(f"  {r.status:9} {r.prop.name}: {r.message}")
            out.extend(f"            - {reason}" for reason in r.reasons)
            if r.counterexample:
                shown = ", ".join(f"{p} -> {n}" for p, n in list(r.counterexample.items())[:8])
                more = len(r.counterexample) - 8
                out.append(
                    f"            placement: {shown}{f' and {more} more' if more > 0 else ''}"
                )
            saved = t.counterexamples.get(r.prop.name)
            if saved:
                out.append(
                    f"            saved to {saved} (kmodel pack/explain read it as bound pods)"
                )
    out.append(
        "scope: every placement the default profile's filters admit "
        "(not scores, queue order or preemption)"
    )
    return "\n".join(out) + "\n"


def _junit(targets: Sequence[TargetResult]) -> str:
    suites = ET.Element("testsuites", name="kmodel verify")
    for t in targets:
        results = t.result.results
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=t.name,
            file=t.source,
            tests=str(len(results)),
            failures=str(sum(r.status in {"disproved", "vacuous"} for r in results)),
            errors=str(sum(r.status == "unknown" for r in results)),
            time=f"{sum(r.seconds for r in results):.3f}",
        )
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"kmodel.verify.{t.name}",
                name=r.prop.name,
                file=t.source,
                time=f"{r.seconds:.3f}",
            )
            detail = "\n".join([r.message, *r.reasons])
            if r.status in {"disproved", "vacuous"}:
                failure = ET.SubElement(case, "failure", message=r.message, type="Disproved")
                failure.text = detail
            elif r.status == "unknown":
                error = ET.SubElement(case, "error", message=r.message, type="Unknown")
                error.text = detail
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _github(targets: Sequence[TargetResult]) -> str:
    # @actions/core escapeData / escapeProperty, as kmodel check writes them.
    def escape(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape(text).replace(":", "%3A").replace(",", "%2C")

    lines = []
    for t in targets:
        expected = _as_expected(t)
        for r in t.result.results:
            if r.status == "proven":
                continue
            file = r.prop.where.partition(": ")[0] or t.source
            level = "warning" if r.status == "unknown" else "error"
            if expected:
                level = "notice"
            detail = "; ".join([r.message, *r.reasons[:5]])
            title = escape_property(f"kmodel verify {r.prop.name}")
            lines.append(f"::{level} file={escape_property(file)},title={title}::{escape(detail)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _markdown(targets: Sequence[TargetResult], images: Mapping[str, str]) -> str:
    out = ["# kmodel verify", ""]
    out.append(
        "Each property is proven over every placement the default profile's filters admit "
        "(resources, selectors and affinity, taints, pod (anti-)affinity, topology spread "
        "`DoNotSchedule`, volume zones, host ports); not over scores, queue order or preemption."
    )
    for t in targets:
        out += ["", f"## {t.name}", "", f"`{t.source}`: **{outcome(t)}**", ""]
        out += ["| property | status | what was shown |", "|---|---|---|"]
        for r in t.result.results:
            message = r.message.replace("|", "\\|")
            out.append(f"| `{r.prop.name}` | {r.status} | {message} |")
        for r in t.result.results:
            if r.reasons or r.counterexample:
                out += ["", f"### {r.prop.name}", ""]
                out.extend(f"- {reason}" for reason in r.reasons)
                if r.counterexample:
                    out += ["", "| pod | node |", "|---|---|"]
                    out.extend(f"| {p} | {n} |" for p, n in r.counterexample.items())
        if t.name in images:
            out += ["", f"![failure domains, nodes and replicas]({images[t.name]})"]
    return "\n".join(out) + "\n"


def render_verify(
    targets: Sequence[TargetResult], output: str, *, images: Mapping[str, str] | None = None
) -> str:
    """The results in ``output`` format: text, json, junit, github or markdown."""
    if output == "json":
        return _json(targets)
    if output == "junit":
        return _junit(targets)
    if output == "github":
        return _github(targets)
    if output == "markdown":
        return _markdown(targets, images or {})
    return _text(targets)


def _shown_placement(result: VerifyResult) -> tuple[dict[str, str], str]:
    for r in result.results:
        if r.counterexample:
            return dict(r.counterexample), f"counterexample to {r.prop.name}"
    if result.witness:
        return dict(result.witness), "an admissible placement"
    return {}, "bound pods only"


def plot_graph(result: VerifyResult, path: Path) -> None:
    """Draw the failure domains (zones) with their nodes and the replicas on each node."""
    import matplotlib as mpl  # noqa: PLC0415 - plotting is optional work, imported when asked

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    placement, caption = _shown_placement(result)
    owner = {}
    for group in result.inp.groups:
        short = group.name.split("/", 1)[1]
        owner.update(dict.fromkeys(group.pods, short))
    per_node: dict[str, Counter[str]] = {}
    for pod, node in placement.items():
        per_node.setdefault(node, Counter())[owner.get(pod, pod)] += 1
    for pod, (_manifest, node) in bound_pods(result.inp).items():
        per_node.setdefault(node, Counter())[f"{pod} (bound)"] += 1
    zones = domains(result.graph, ZONE_LABEL)
    zoned = {n for members in zones.values() for n in members}
    rest = tuple(n.name for n in result.inp.nodes if n.name not in zoned)
    columns = {**zones, **({"(no zone)": rest} if rest else {})}
    width = max(1, len(columns))
    fig, ax = plt.subplots(figsize=(min(3.2 * width, 24), 6))
    for i, (zone, members) in enumerate(columns.items()):
        ax.add_patch(Rectangle((i + 0.03, 0.02), 0.94, 0.93, fill=False, linewidth=1.5))
        ax.text(i + 0.5, 0.97, f"zone {zone}", ha="center", va="bottom", fontweight="bold")
        shown = members[:_NODES_SHOWN]
        height = 0.9 / max(1, len(shown))
        for j, node in enumerate(shown):
            y = 0.93 - (j + 1) * height
            ax.add_patch(
                Rectangle((i + 0.08, y + 0.01), 0.84, height - 0.02, alpha=0.15, color="C0")
            )
            pods = per_node.get(node, Counter())
            label = ", ".join(f"{name} x{count}" for name, count in sorted(pods.items()))
            ax.text(i + 0.1, y + height / 2, f"{node}: {label or '-'}", va="center", fontsize=7)
        if len(members) > len(shown):
            extra = sum(sum(per_node.get(n, Counter()).values()) for n in members[len(shown) :])
            ax.text(
                i + 0.5,
                0.0,
                f"+{len(members) - len(shown)} nodes, {extra} pods",
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xlim(0, width)
    ax.set_ylim(-0.02, 1.05)
    ax.axis("off")
    ax.set_title(f"Failure domains, nodes and replicas ({caption})", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
