"""``kmodel verify FILES|SPEC...``: prove scheduling properties over every admissible placement.

PATHS are manifest files or folders (Nodes, Deployments, ReplicaSets, Pods, Services, PDBs,
PVs, PVCs), verify files (a YAML mapping with a ``verify:`` list of properties, applied to the
manifests), and specs (``cluster:``, ``workloads:`` and ``verify:``; each verified on its own
cluster). ``--property`` adds a property (YAML text) for the manifests.

Exit codes: 0 every property proven; 1 one disproved (or none can hold: no admissible placement),
or with ``--check-expectations`` a spec whose outcome is not its ``expect:``; 2 bad input; 3 the
time limit hit (the message says what was proven).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import click
import yaml

from kmodel.cli.options import output_options
from kmodel.cli.progress import ProgressDisplay
from kmodel.errors import FindingError, IncompleteError, InputError
from kmodel.explore.spec import read_cluster, read_spec_file, read_workloads
from kmodel.explore.spec_format import PlacementTarget
from kmodel.objects.fields import mapping_at
from kmodel.objects.manifests import (
    LoadedObject,
    SkippedObject,
    Source,
    load_manifests,
    manifest_files,
)
from kmodel.objects.validate import MODELLED_KINDS
from kmodel.report.output import write_output
from kmodel.report.verify import TargetResult, outcome, plot_graph, render_verify
from kmodel.verify import Property, parse_property, verify
from kmodel.verify.prove import VerifyResult

_SPEC_KEYS: Final = frozenset({"name", "description", "expect", "cluster", "workloads", "verify"})


@dataclass
class _Target:
    name: str
    source: str
    objects: list[LoadedObject]
    properties: list[Property] = field(default_factory=list)
    expect: str | None = None
    not_modelled: list[str] = field(default_factory=list)


def _warn(message: str) -> None:
    click.echo(f"kmodel: warning: {message}", err=True)


def _is_verify_file(path: Path) -> bool:
    """A YAML file whose first document is a mapping with ``verify:`` and no ``kind``."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
        first = next(yaml.safe_load_all(text), None)
    except (OSError, yaml.YAMLError):
        return False  # the manifest loader reports it precisely
    return isinstance(first, Mapping) and "verify" in first and "kind" not in first


def _files(paths: Sequence[str], counterexamples: Path) -> list[Path]:
    """The files of the arguments, folders read as every command reads them (recursively).

    A folder's files under ``counterexamples`` are left out: an earlier run's counterexample
    placements would otherwise come back as bound pods (a file named itself is read).
    """
    found: list[Path] = []
    written = counterexamples.resolve()
    for raw in paths:
        if raw == "-":
            found.append(Path(raw))
        elif Path(raw).is_dir():
            found.extend(f for f in manifest_files(raw) if not f.resolve().is_relative_to(written))
        else:
            found.extend(manifest_files(raw))
    return found


def _loaded(bodies: Sequence[Mapping[str, Any]], file: str) -> list[LoadedObject]:
    objects = []
    for i, body in enumerate(bodies):
        kind = str(body.get("kind"))
        metadata = mapping_at(body, "metadata")
        spec = MODELLED_KINDS.get(kind)
        namespace = (metadata.get("namespace") or "default") if spec and spec.namespaced else None
        objects.append(
            LoadedObject(
                kind, str(metadata.get("name", "")), namespace, dict(body), Source(file, i)
            )
        )
    return objects


def _properties(raw: object, file: str, path: str) -> list[Property]:
    if not isinstance(raw, list) or not raw:
        raise InputError("must be a non-empty list of properties", file=file, path=path)
    return [parse_property(p, file=file, path=f"{path}[{i}]") for i, p in enumerate(raw)]


def _spec_target(path: Path) -> tuple[_Target | None, list[Property]]:
    """A spec with a cluster is its own target; a verify file only adds properties."""
    reader, body, base, _ = read_spec_file(path, allowed=_SPEC_KEYS)
    properties = _properties(body.get("verify"), str(path), "verify")
    expect = body.get("expect")
    if expect is not None and expect not in {"proven", "disproved"}:
        raise InputError(
            f"must be proven or disproved, got {expect!r}", file=str(path), path="expect"
        )
    if "cluster" not in body:
        if "workloads" in body:
            raise InputError("workloads need a cluster: section", file=str(path), path="workloads")
        return None, properties
    target = reader.parse(
        PlacementTarget, {key: body[key] for key in ("cluster", "workloads") if key in body}
    )
    cluster = read_cluster(reader, target.cluster, base, on_warning=_warn)
    bodies = [*cluster.nodes, *read_workloads(reader, target.workloads, base, on_warning=_warn)]
    name = str(body.get("name") or path.stem)
    return _Target(name, str(path), _loaded(bodies, str(path)), properties, expect), []


def _targets(paths: Sequence[str], texts: Sequence[str], counterexamples: Path) -> list[_Target]:
    targets: list[_Target] = []
    manifest_files: list[Path] = []
    extra: list[Property] = []
    for file in _files(paths, counterexamples):
        if file.suffix in {".yaml", ".yml"} and _is_verify_file(file):
            target, properties = _spec_target(file)
            if target is not None:
                targets.append(target)
            extra.extend(properties)
        else:
            manifest_files.append(file)
    for i, text in enumerate(texts):
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise InputError(f"invalid YAML: {error}", path=f"--property[{i}]") from None
        extra.append(parse_property(raw, file="--property", path=f"[{i}]"))
    if manifest_files:
        skipped: list[str] = []

        def skip(obj: SkippedObject) -> None:
            _warn(str(obj))
            skipped.append(str(obj))

        objects = load_manifests(manifest_files, on_warning=_warn, on_skip=skip)
        source = ", ".join(str(f) for f in manifest_files)
        targets.insert(
            0,
            _Target(
                "manifests",
                source,
                objects,
                extra or [Property("schedulable", where="default")],
                not_modelled=skipped,
            ),
        )
    elif extra:
        raise InputError(
            "properties were given (--property or a verify file) but no manifests to check them on"
        )
    if not targets:
        raise InputError("nothing to verify: give manifests, a verify file or a spec")
    return targets


def _save_counterexamples(target: _Target, result: VerifyResult, folder: Path) -> dict[str, str]:
    saved: dict[str, str] = {}
    for r in result.results:
        if not r.counterexample:
            continue
        pods = []
        for pod, node in r.counterexample.items():
            manifest = dict(result.pods[pod])
            manifest["spec"] = {**dict(mapping_at(manifest, "spec")), "nodeName": node}
            pods.append(manifest)
        header = (
            f"# kmodel verify: counterexample to `{r.prop.name}` on {target.source}\n"
            f"# {r.message}\n"
            "# The placement as Pods bound to their nodes (spec.nodeName): pass this file to\n"
            "# kmodel pack / kmodel explain beside the manifests to read it as bound pods.\n"
        )
        text = header + yaml.safe_dump_all(pods, sort_keys=False)
        file = folder / f"{target.name}.{r.prop.slug}.yaml"
        write_output(text, file)
        saved[r.prop.name] = str(file)
    return saved


@click.command("verify")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--property",
    "properties",
    multiple=True,
    help="A property as YAML, e.g. 'spread: {deployment: web, across: zone, min: 2}' "
    "(repeatable; default for manifests without one: schedulable).",
)
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds Z3 may take per check."
)
@click.option(
    "--counterexamples",
    "counterexample_dir",
    type=click.Path(file_okay=False),
    default="reports/counterexamples",
    show_default=True,
    help="Folder for counterexample placements (Pod manifests with spec.nodeName).",
)
@click.option(
    "--check-expectations",
    is_flag=True,
    help="Judge each spec by its `expect:` (proven or disproved).",
)
@output_options(["text", "json", "junit", "github", "markdown"])
def verify_command(
    paths: tuple[str, ...],
    *,
    properties: tuple[str, ...],
    timeout: float,
    counterexample_dir: str,
    check_expectations: bool,
    output: str,
    out: str | None,
) -> None:
    """Prove scheduling properties over every placement the scheduler's filters admit.

    Properties: schedulable; spread: {deployment, across: node|zone|<label>, min}; survives:
    {lose: node|zone|<label>, count, keep: pdb|all}; capacity_headroom: {deployment, extra}.
    A disproved property comes with a counterexample: an admissible placement saved as Pod
    manifests bound to their nodes, or the domain whose loss strands which pods and why.
    """
    if not timeout > 0:
        raise InputError(f"must be a positive number of seconds, got {timeout}", path="--timeout")
    targets = _targets(paths, properties, Path(counterexample_dir))
    done: list[TargetResult] = []
    with ProgressDisplay("verify", total=len(targets)) as display:
        for target in targets:
            display.update(detail=target.name)
            result = verify(target.objects, target.properties, timeout=timeout, on_warning=_warn)
            saved = _save_counterexamples(target, result, Path(counterexample_dir))
            done.append(
                TargetResult(
                    target.name,
                    target.source,
                    target.expect,
                    result,
                    saved,
                    tuple(target.not_modelled),
                )
            )
            display.update(advance=1)
    images: dict[str, str] = {}
    if output == "markdown" and out not in {None, "-"}:
        base = Path(str(out))
        for t in done:
            image = base.with_name(f"{base.stem}.{t.name}.png")
            plot_graph(t.result, image)
            images[t.name] = image.name
    write_output(render_verify(done, output, images=images), out)
    _exit(done, check_expectations=check_expectations)


def _exit(done: Sequence[TargetResult], *, check_expectations: bool) -> None:
    results = [r for t in done for r in t.result.results]
    proven = sum(r.status == "proven" for r in results)
    if check_expectations:
        wrong = [t.name for t in done if t.expect is not None and outcome(t) != t.expect]
        if wrong:
            raise FindingError(
                f"{len(wrong)} target(s) did not give their expected outcome: {', '.join(wrong)}"
            )
        judged = [t for t in done if t.expect is None]
        results = [r for t in judged for r in t.result.results]
    bad = [r for r in results if r.status in {"disproved", "vacuous"}]
    if bad:
        raise FindingError(
            f"{len(bad)} propert{'y' if len(bad) == 1 else 'ies'} disproved: "
            + "; ".join(r.prop.name for r in bad)
        )
    unknown = [r for r in results if r.status == "unknown"]
    if unknown:
        raise IncompleteError(
            f"{len(unknown)} propert{'y' if len(unknown) == 1 else 'ies'} undecided in time "
            f"({', '.join(r.prop.name for r in unknown)}); proven: {proven} of {len(results)}"
        )
