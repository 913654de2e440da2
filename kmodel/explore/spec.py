"""Spec files: the user's description of what to check (documented in README, "Specs").

A spec is one YAML mapping::

    name: web-rollout                 # optional; defaults to the file name
    description: what it demonstrates # optional
    expect: pass | violation          # optional; what the author expects (tests assert it)
    cluster:
      nodes:                          # Node manifests inline, pools, or both
        - pool: workers               # pool: count nodes of one shape
          count: 3
          zones: [a, b, c]            # round-robin over zones
          cpu: "4"
          memory: 8Gi
          pods: 110                   # optional
          labels: {}                  # optional
          taints: []                  # optional
        - {apiVersion: v1, kind: Node, ...}
      manifests: [nodes.yaml]         # Node files, relative to the spec
      controlPlane: {members: 3}      # etcd members (odd), default 1
      staticPods: {node-name: [Pod manifest, ...]}
    workloads:                        # paths relative to the spec, or inline manifests
      - web.yaml
      - {apiVersion: apps/v1, kind: Deployment, ...}
    programs:                         # what containers do, by image (default: run, ready)
      registry/app:2: {runFor: 5, exitCode: 1}
      registry/app:3: {readyAfter: null}
      registry/app:4: {livenessFailsAfter: 60, stopsAfter: null}   # hangs after a minute
    faults: {node_crash: 1, container_crash: any}
    actions:
      - rollout: {deployment: web, container: app, images: [registry/app:2]}
      - scale: {deployment: web, replicas: [1, 5]}
      - rollback: {deployment: web}
      - pause: {deployment: web}      # kubectl rollout pause (resume: likewise)
      - drain: {nodes: [node-1]}      # or nodes: any
      - delete: {pods: [kube-system/etcd-node-1]}  # kubectl delete pod
      - configmap: {name: settings, key: mode, values: [a, b]}
      - ungate: {pods: [batch]}       # remove scheduling gates (or deployment: web)
    invariants:
      - no_overcommit
      - min_available: {deployment: web, count: 2}
      - mypackage.checks:my_invariant
    explore: {examples: 200, maxSteps: 40, seed: 0, ticks: [1, 10]}  # ticks: clock steps offered
    ignoreUnmodelled: [StatefulSet]   # or true: check the rest, and say what was left out

Every error names the file, the field path and what is wrong (exit code 2 on the command line).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from kmodel.cluster.model import ClusterConfig, Program
from kmodel.errors import InputError
from kmodel.explore.run import FAULT_KINDS, Scenario, UserAction
from kmodel.explore.search import ExploreOptions
from kmodel.invariants import make_invariant
from kmodel.objects.manifests import (
    LoadedObject,
    LoadOptions,
    SkippedObject,
    load_manifests,
    load_text,
    parse_yaml,
    read_text_file,
)
from kmodel.objects.quantity import parse_quantity
from kmodel.objects.validate import validate_object
from kmodel.semantics.resources import is_extended_resource_name

__all__ = [
    "POOL_KEYS",
    "PROGRAM_KEYS",
    "SPEC_KEYS",
    "ClusterSection",
    "LeftOut",
    "Spec",
    "SpecReader",
    "inline_objects",
    "kubelet_node_labels",
    "load_spec",
    "parse_program",
    "pool_nodes",
    "read_cluster",
    "read_explore",
    "read_faults",
    "read_ignore_unmodelled",
    "read_spec_file",
    "read_workloads",
    "refuse_unmodelled",
    "spec_paths",
]

SPEC_KEYS: Final = frozenset(
    {
        "name",
        "description",
        "expect",
        "cluster",
        "workloads",
        "programs",
        "faults",
        "actions",
        "invariants",
        "explore",
        "ignoreUnmodelled",
    }
)
_USER_KINDS: Final = (
    "rollout",
    "scale",
    "rollback",
    "pause",
    "resume",
    "drain",
    "delete",
    "configmap",
    "ungate",
)


@dataclass(frozen=True)
class LeftOut:
    """A workload the model does not run: an object of a kind it does not know, an empty file.

    Attributes:
        file: the file it is in (the spec itself for an inline manifest).
        document: the YAML document in that file (None for an inline manifest or a file).
        path: the spec field that names it (``workloads[2]``).
        object: ``Kind/namespace/name`` ("" for an empty file).
        kind: its ``kind`` ("" for an empty file).
        reason: why it is left out, in words.
    """

    file: str
    document: int | None
    path: str
    object: str
    kind: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.document is None else f"{self.file}: document {self.document}"
        return (
            f"{where}: {self.object}: {self.reason}" if self.object else f"{where}: {self.reason}"
        )

    def as_json(self) -> dict[str, Any]:
        """JSON form (the keys the README documents)."""
        return {
            "file": self.file,
            "document": self.document,
            "path": self.path,
            "object": self.object,
            "kind": self.kind,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Spec:
    """A loaded spec: the scenario to explore and how hard to look."""

    path: str
    name: str
    description: str
    expect: str | None
    scenario: Scenario
    options: ExploreOptions
    digest: str = ""
    invariant_names: tuple[str, ...] = field(default_factory=tuple)
    #: Workloads the spec names that the model does not run (allowed by ``ignoreUnmodelled``).
    left_out: tuple[LeftOut, ...] = ()


class SpecReader:
    """Typed access to a spec's fields, with errors that carry the file and field path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, path: str, message: str) -> InputError:
        """An :class:`InputError` at ``path`` in this file."""
        return InputError(message, file=self.file, path=path)

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        """``value`` if it is a mapping."""
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a mapping, not {_type(value)}")
        return value

    def sequence(self, value: object, path: str) -> Sequence[Any]:
        """``value`` if it is a list."""
        if not isinstance(value, list):
            raise self.error(path, f"must be a list, not {_type(value)}")
        return value

    def string(self, value: object, path: str) -> str:
        """``value`` if it is a non-empty string."""
        if not isinstance(value, str) or not value:
            raise self.error(path, f"must be a non-empty string, not {_type(value)}")
        return value

    def integer(self, value: object, path: str, *, minimum: int = 0) -> int:
        """``value`` if it is an integer of at least ``minimum``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(path, f"must be an integer, not {_type(value)}")
        if value < minimum:
            raise self.error(path, f"must be at least {minimum}, not {value}")
        return value

    def keys(self, value: Mapping[str, Any], allowed: frozenset[str] | set[str], path: str) -> None:
        """Refuse fields outside ``allowed`` (a typo is an error, not a silent default)."""
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            where = f"{path}." if path else ""
            raise self.error(
                f"{where}{unknown[0]}",
                f"unknown field (allowed: {', '.join(sorted(allowed))})",
            )


def _type(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


#: What a pool may declare (``resources``: extended resources such as ``nvidia.com/gpu``).
POOL_KEYS: Final = frozenset(
    {"pool", "count", "zones", "region", "cpu", "memory", "pods", "resources", "os", "arch"}
    | {"labels", "taints"}
)


def kubelet_node_labels(
    name: str, *, os: str = "linux", arch: str = "amd64", zone: str = "", region: str = ""
) -> dict[str, str]:
    """The labels a kubelet registers its Node with, by default.

    Mirrors ``pkg/kubelet/kubelet_node_status.go initialNode``: ``kubernetes.io/hostname``,
    ``kubernetes.io/os`` and ``kubernetes.io/arch`` (the kubelet's GOOS and GOARCH; Linux has no
    OS-specific labels), and the zone and region topology labels where the cloud gives them.
    """
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": os, "kubernetes.io/arch": arch}
    if zone:
        labels["topology.kubernetes.io/zone"] = zone
    if region:
        labels["topology.kubernetes.io/region"] = region
    return labels


def _pool_field(path: str, node_path: str) -> str:
    """Where in the pool a generated Node's field comes from (for error messages)."""
    for prefix, field_name in (
        ("metadata.labels", "labels"),
        ("status.capacity", "resources"),
        ("status.allocatable", "resources"),
        ("spec.taints", "taints"),
    ):
        if node_path.startswith(prefix):
            return f"{path}.{field_name}{node_path.removeprefix(prefix)}"
    return path


def pool_nodes(reader: SpecReader, pool: Mapping[str, Any], path: str) -> list[dict[str, Any]]:
    """Node manifests for a node pool (``count`` nodes named ``<pool>-<n>``, zones round-robin).

    Each node carries the labels its kubelet would register it with
    (:func:`kubelet_node_labels`; ``os`` and ``arch`` default to linux and amd64), then the
    pool's ``labels`` (which win, as ``--node-labels`` does); ``resources`` adds extended
    resources (``nvidia.com/gpu: 8``) to capacity and allocatable. The nodes are validated as
    Node manifests.
    """
    reader.keys(pool, POOL_KEYS, path)
    name = reader.string(pool.get("pool"), f"{path}.pool")
    count = reader.integer(pool.get("count", 1), f"{path}.count", minimum=1)
    zones = [
        reader.string(z, f"{path}.zones[{i}]")
        for i, z in enumerate(reader.sequence(pool.get("zones", []), f"{path}.zones"))
    ] or [""]
    region = reader.string(pool["region"], f"{path}.region") if "region" in pool else ""
    node_os = reader.string(pool.get("os", "linux"), f"{path}.os")
    arch = reader.string(pool.get("arch", "amd64"), f"{path}.arch")
    amounts = {
        key: pool.get(key, {"cpu": "4", "memory": "16Gi", "pods": "110"}[key])
        for key in ("cpu", "memory", "pods")
    }
    extended = reader.mapping(pool.get("resources", {}), f"{path}.resources")
    resources: dict[str, str] = {}
    for key, raw in [*amounts.items(), *extended.items()]:
        where = f"{path}.{key}" if key in amounts else f"{path}.resources.{key}"
        if key not in amounts and not is_extended_resource_name(str(key)):
            raise reader.error(where, "must be an extended resource name, e.g. nvidia.com/gpu")
        try:
            amount = parse_quantity(raw)
        except InputError as error:
            raise reader.error(where, error.message) from None
        if amount <= 0 and key in amounts:
            raise reader.error(where, "must be greater than 0")
        resources[str(key)] = str(raw)
    labels = dict(reader.mapping(pool.get("labels", {}), f"{path}.labels"))
    taints = list(reader.sequence(pool.get("taints", []), f"{path}.taints"))
    nodes = []
    for index in range(count):
        node_name = f"{name}-{index + 1}"
        zone = zones[index % len(zones)]
        node_labels = {
            **kubelet_node_labels(node_name, os=node_os, arch=arch, zone=zone, region=region),
            **labels,
        }
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node_name, "labels": node_labels},
            "spec": {"taints": copy.deepcopy(taints)} if taints else {},
            "status": {"allocatable": dict(resources), "capacity": dict(resources)},
        }
        try:
            validate_object("Node", node)
        except InputError as error:
            raise reader.error(_pool_field(path, error.path or ""), error.message) from None
        nodes.append(node)
    return nodes


def inline_objects(
    reader: SpecReader,
    body: Mapping[str, Any],
    path: str,
    *,
    on_skip: Callable[[SkippedObject], None] | None = None,
    validate: str = "strict",
    on_warning: Callable[[str], None] | None = None,
) -> list[LoadedObject]:
    """Validate an inline manifest as the loader does, with the spec's field path in errors.

    ``validate`` is the manifests' ``--validate`` mode; every problem is reported.
    """
    text = yaml.safe_dump(dict(body))
    try:
        return load_text(
            text, file=reader.file, on_skip=on_skip, validate=validate, on_warning=on_warning
        )
    except InputError as error:
        raise InputError.collected(
            [
                reader.error(path + (f".{p.path}" if p.path else ""), p.message)
                for p in error.problems or (error,)
            ]
        ) from None


#: A spec's program keys (README "Specs"), as :class:`Program` fields.
PROGRAM_KEYS: Final = {
    "runFor": "run_for",
    "exitCode": "exit_code",
    "exitCodes": "exit_codes",
    "exitsAfter": "exits_after",
    "readyAfter": "ready_after",
    "unreadyAfter": "unready_after",
    "livenessFailsAfter": "liveness_fails_after",
    "startsAfter": "starts_after",
    "probeSeconds": "probe_seconds",
    "stopsAfter": "stops_after",
}
#: Program keys that may be null (None: never, or until killed).
_NULLABLE_PROGRAM_KEYS: Final = frozenset(
    {
        "runFor",
        "exitsAfter",
        "readyAfter",
        "unreadyAfter",
        "livenessFailsAfter",
        "startsAfter",
        "stopsAfter",
    }
)


def parse_program(reader: SpecReader, raw: object, path: str) -> Program:
    """A container :class:`Program` from a spec's ``programs.<image>`` mapping.

    Keys (:data:`PROGRAM_KEYS`, seconds after each start): ``runFor``/``exitCode`` (exits by
    itself), ``exitCodes`` (the first runs' exit codes, by restart count) with ``exitsAfter``
    (when those runs end), ``readyAfter``/``unreadyAfter`` (readiness probe), ``startsAfter``
    (startup probe), ``livenessFailsAfter`` (stops answering its liveness probe),
    ``probeSeconds`` (how long each probe takes), ``stopsAfter`` (exits that long after SIGTERM;
    null ignores SIGTERM).
    """
    body = reader.mapping(raw, path)
    reader.keys(body, set(PROGRAM_KEYS), path)
    fields: dict[str, Any] = {}
    for key, value in body.items():
        where = f"{path}.{key}"
        if key == "exitCodes":
            fields["exit_codes"] = tuple(
                reader.integer(code, f"{where}[{i}]")
                for i, code in enumerate(reader.sequence(value, where))
            )
        elif value is None and key in _NULLABLE_PROGRAM_KEYS:
            fields[PROGRAM_KEYS[key]] = None
        else:
            fields[PROGRAM_KEYS[key]] = reader.integer(value, where)
    if fields.get("exits_after") is not None and not fields.get("exit_codes"):
        raise reader.error(f"{path}.exitsAfter", "needs exitCodes (the runs it ends)")
    return Program(**fields)


def _referenced_file(reader: SpecReader, base: Path, entry: object, path: str) -> Path:
    """A manifest file the spec names, relative to the spec's folder; it must exist."""
    target = base / reader.string(entry, path)
    if not target.is_file():
        raise reader.error(path, f"no such file: {target}")
    return target


class _Places:
    """Where each object of a spec section was defined, to refuse one defined twice."""

    def __init__(self, reader: SpecReader) -> None:
        self.reader = reader
        self.seen: dict[tuple[str, str | None, str], str] = {}

    def add(self, kind: str, namespace: str | None, name: str, path: str, place: str) -> None:
        """Record an object; a second one of the same kind, namespace and name is refused."""
        identity = (kind, namespace, name)
        if identity in self.seen:
            label = "/".join(part for part in (kind, namespace, name) if part)
            raise self.reader.error(
                path, f"duplicate object: {label} is defined at {self.seen[identity]} and {place}"
            )
        self.seen[identity] = place


@dataclass(frozen=True)
class ClusterSection:
    """The ``cluster:`` block read: Node manifests, etcd members, static pods by node."""

    nodes: list[Mapping[str, Any]]
    members: int
    static_pods: dict[str, list[Mapping[str, Any]]]


def read_spec_file(
    path: str | Path, allowed: frozenset[str]
) -> tuple[SpecReader, Mapping[str, Any], Path, str]:
    """Read a spec-like YAML file: size limit, YAML, a mapping with only ``allowed`` keys.

    Returns the reader, the body, the folder relative paths start from, and the text.
    """
    file = str(path)
    source = Path(path)
    reader = SpecReader(file)
    # The manifests' hardened loader: size and depth limits, no alias bombs, no repeated key.
    text = read_text_file(source)
    documents = parse_yaml(text, file=file)
    if len(documents) > 1:
        raise InputError(f"a spec is one YAML document, found {len(documents)}", file=file)
    body = reader.mapping(documents[0][1] if documents else None, "")
    reader.keys(body, allowed, "")
    return reader, body, source.parent, text


def read_cluster(
    reader: SpecReader,
    body: Mapping[str, Any],
    base: Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    allowed: frozenset[str] = frozenset({"nodes", "manifests", "controlPlane", "staticPods"}),
    on_left_out: Callable[[LeftOut], None] | None = None,
    validate: str = "strict",
) -> ClusterSection:
    """Read the ``cluster:`` block (pools, inline Nodes, Node files, etcd, static pods).

    Objects of kinds the model does not know go to ``on_left_out`` (else ``on_warning``).
    ``validate`` is the manifests' ``--validate`` mode. A Node defined twice (by a pool,
    inline or in a file) is refused with both places.
    """
    options = LoadOptions(validate=validate)
    nodes: list[Mapping[str, Any]] = []
    places = _Places(reader)
    cluster = reader.mapping(body.get("cluster"), "cluster")
    reader.keys(cluster, allowed, "cluster")
    for i, entry in enumerate(reader.sequence(cluster.get("nodes", []), "cluster.nodes")):
        path = f"cluster.nodes[{i}]"
        item = reader.mapping(entry, path)
        if "pool" in item:
            for pool_node in pool_nodes(reader, item, path):
                name = pool_node["metadata"]["name"]
                places.add("Node", None, name, path, f"{reader.file}: {path}")
                nodes.append(pool_node)
        else:
            skip = _left_out_sink(reader, path, on_left_out)
            for obj in inline_objects(
                reader, item, path, on_skip=skip, validate=validate, on_warning=on_warning
            ):
                places.add(obj.kind, obj.namespace, obj.name, path, f"{reader.file}: {path}")
                nodes.append(obj.body)
    for i, entry in enumerate(reader.sequence(cluster.get("manifests", []), "cluster.manifests")):
        path = f"cluster.manifests[{i}]"
        manifest_file = _referenced_file(reader, base, entry, path)
        skip = _left_out_sink(reader, path, on_left_out)
        for obj in load_manifests(
            [manifest_file], on_warning=on_warning, on_skip=skip, options=options
        ):
            places.add(obj.kind, obj.namespace, obj.name, path, str(obj.source))
            nodes.append(obj.body)
    if not any(o.get("kind") == "Node" for o in nodes):
        raise reader.error("cluster.nodes", "the cluster needs at least one Node")
    control = reader.mapping(cluster.get("controlPlane", {}), "cluster.controlPlane")
    reader.keys(control, {"members"}, "cluster.controlPlane")
    members = reader.integer(control.get("members", 1), "cluster.controlPlane.members", minimum=1)
    if members % 2 == 0:
        raise reader.error(
            "cluster.controlPlane.members", f"must be odd (etcd quorum), not {members}"
        )
    node_names = {o["metadata"]["name"] for o in nodes if o.get("kind") == "Node"}
    static: dict[str, list[Mapping[str, Any]]] = {}
    for node, pods in reader.mapping(cluster.get("staticPods", {}), "cluster.staticPods").items():
        if node not in node_names:
            raise reader.error(f"cluster.staticPods.{node}", "no such node in the cluster")
        static[str(node)] = []
        for i, pod in enumerate(reader.sequence(pods, f"cluster.staticPods.{node}")):
            path = f"cluster.staticPods.{node}[{i}]"
            skip = _left_out_sink(reader, path, on_left_out)
            for obj in inline_objects(
                reader,
                reader.mapping(pod, path),
                path,
                on_skip=skip,
                validate=validate,
                on_warning=on_warning,
            ):
                if obj.kind != "Pod":  # the kubelet reads only Pods from its folder
                    raise reader.error(
                        f"{path}.kind", f"a static pod must be a Pod, not {obj.kind}"
                    )
                static[str(node)].append(obj.body)
    return ClusterSection(nodes, members, static)


def _left_out_sink(
    reader: SpecReader, path: str, on_left_out: Callable[[LeftOut], None] | None
) -> Callable[[SkippedObject], None] | None:
    """An ``on_skip`` for the loader that reports each skipped object as a :class:`LeftOut`."""
    if on_left_out is None:
        return None
    sink = on_left_out

    def skipped(obj: SkippedObject) -> None:
        inline = obj.source.file == reader.file
        document = None if inline else obj.source.document
        sink(LeftOut(obj.source.file, document, path, obj.label, obj.kind, obj.reason))

    return skipped


def read_workloads(
    reader: SpecReader,
    body: Mapping[str, Any],
    base: Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    on_left_out: Callable[[LeftOut], None] | None = None,
    validate: str = "strict",
) -> list[Mapping[str, Any]]:
    """Read the ``workloads:`` list: manifest files relative to the spec, or inline manifests.

    What the model does not run (objects of kinds it does not know, a file with no objects)
    goes to ``on_left_out``; without it, to ``on_warning`` as before. ``validate`` is the
    manifests' ``--validate`` mode. An object defined twice (same kind, namespace and name, in
    files or inline) is refused with both places, as the API server refuses a second create.
    """
    objects: list[Mapping[str, Any]] = []
    places = _Places(reader)
    options = LoadOptions(validate=validate)
    for i, entry in enumerate(reader.sequence(body.get("workloads", []), "workloads")):
        path = f"workloads[{i}]"
        left: list[LeftOut] = []
        on_skip = _left_out_sink(reader, path, left.append if on_left_out else None)
        if isinstance(entry, str):
            workload_file = _referenced_file(reader, base, entry, path)
            loaded = load_manifests(
                [workload_file], on_warning=on_warning, on_skip=on_skip, options=options
            )
            where = [str(o.source) for o in loaded]
            if not loaded and not left:
                left.append(
                    LeftOut(
                        str(workload_file),
                        None,
                        path,
                        "",
                        "",
                        "holds no objects: nothing in it would be checked",
                    )
                )
        else:
            loaded = inline_objects(
                reader,
                reader.mapping(entry, path),
                path,
                on_skip=on_skip,
                validate=validate,
                on_warning=on_warning,
            )
            where = [f"{reader.file}: {path}"] * len(loaded)
        for obj, place in zip(loaded, where, strict=True):
            places.add(obj.kind, obj.namespace, obj.name, path, place)
            objects.append(obj.body)
        if on_left_out is not None:
            for item in left:
                on_left_out(item)
    return objects


def read_ignore_unmodelled(reader: SpecReader, body: Mapping[str, Any]) -> bool | frozenset[str]:
    """Read ``ignoreUnmodelled``: true (anything), false (nothing) or a list of kinds."""
    raw = body.get("ignoreUnmodelled", False)
    if isinstance(raw, bool):
        return raw
    return frozenset(
        reader.string(kind, f"ignoreUnmodelled[{i}]")
        for i, kind in enumerate(reader.sequence(raw, "ignoreUnmodelled"))
    )


def refuse_unmodelled(
    reader: SpecReader,
    left_out: Sequence[LeftOut],
    ignore: bool | frozenset[str],
    *,
    can_ignore: bool = True,
) -> None:
    """Stop on a workload the model would not run, unless the spec says to check without it.

    ``can_ignore`` says whether the spec format has ``ignoreUnmodelled`` (the error suggests it).

    Raises:
        InputError: naming the first such object, its file and kind (and how many more).
    """
    refused = [
        item
        for item in left_out
        if not (ignore is True or (isinstance(ignore, frozenset) and item.kind in ignore))
    ]
    if not refused:
        return
    first = refused[0]
    more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    allow = f"ignoreUnmodelled: [{first.kind}]` or `" if first.kind else ""
    consequence = ", so kmodel would not run it and a pass would not cover it"
    remedy = (
        f"set `{allow}ignoreUnmodelled: true` in {reader.file} to check the rest without it"
        if can_ignore
        else f"remove it from the workloads of {reader.file}"
    )
    raise InputError(
        f"{first.reason}{consequence if first.kind else ''}{more}; {remedy}",
        file=first.file,
        document=first.document,
        obj=first.object or None,
        path=None if first.document is not None or first.file != reader.file else first.path,
    )


def read_faults(reader: SpecReader, body: Mapping[str, Any]) -> dict[str, int | None]:
    """Read the ``faults:`` block: kind -> budget (``any`` is None: no limit)."""
    faults: dict[str, int | None] = {}
    for kind, budget in reader.mapping(body.get("faults", {}), "faults").items():
        if kind not in FAULT_KINDS:
            raise reader.error(
                f"faults.{kind}", f"unknown fault kind (known: {', '.join(FAULT_KINDS)})"
            )
        faults[str(kind)] = None if budget == "any" else reader.integer(budget, f"faults.{kind}")
    return faults


def read_explore(
    reader: SpecReader, body: Mapping[str, Any], *, examples: int, max_steps: int
) -> tuple[ExploreOptions, tuple[int, ...]]:
    """Read the ``explore:`` block: the options, and the clock steps offered (``ticks``)."""
    explore = reader.mapping(body.get("explore", {}), "explore")
    reader.keys(explore, {"examples", "maxSteps", "seed", "ticks"}, "explore")
    ticks = tuple(
        reader.integer(t, f"explore.ticks[{i}]", minimum=1)
        for i, t in enumerate(reader.sequence(explore.get("ticks", [1, 10]), "explore.ticks"))
    ) or (10,)
    options = ExploreOptions(
        examples=reader.integer(explore.get("examples", examples), "explore.examples", minimum=1),
        max_steps=reader.integer(explore.get("maxSteps", max_steps), "explore.maxSteps", minimum=1),
        seed=reader.integer(explore.get("seed", 0), "explore.seed"),
    )
    return options, ticks


def load_spec(
    path: str | Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    validate: str = "strict",
) -> Spec:
    """Load and validate a spec file (``validate``: the manifests' ``--validate`` mode).

    Raises:
        InputError: the file, the field path and what is wrong.
    """
    reader, body, base, raw_text = read_spec_file(path, SPEC_KEYS)
    file = reader.file
    source = Path(path)
    left_out: list[LeftOut] = []
    cluster = read_cluster(
        reader,
        body,
        base,
        on_warning=on_warning,
        on_left_out=left_out.append,
        validate=validate,
    )
    members, static = cluster.members, cluster.static_pods
    node_names = {o["metadata"]["name"] for o in cluster.nodes if o.get("kind") == "Node"}
    workloads = read_workloads(
        reader,
        body,
        base,
        on_warning=on_warning,
        on_left_out=left_out.append,
        validate=validate,
    )
    refuse_unmodelled(reader, left_out, read_ignore_unmodelled(reader, body))
    objects = [*cluster.nodes, *workloads]
    deployments = {
        f"{o['metadata'].get('namespace', 'default')}/{o['metadata']['name']}": o
        for o in objects
        if o.get("kind") == "Deployment"
    }

    programs = {
        str(image): parse_program(reader, raw, f"programs.{image}")
        for image, raw in reader.mapping(body.get("programs", {}), "programs").items()
    }

    faults = read_faults(reader, body)

    def deployment_ref(value: object, path: str) -> str:
        name = reader.string(value, path)
        key = name if "/" in name else f"default/{name}"
        if key not in deployments:
            raise reader.error(path, f"no Deployment {name!r} among the workloads")
        return key

    users: list[UserAction] = []
    for i, entry in enumerate(reader.sequence(body.get("actions", []), "actions")):
        path = f"actions[{i}]"
        item = reader.mapping(entry, path)
        if len(item) != 1:
            raise reader.error(path, f"must have exactly one of {', '.join(_USER_KINDS)}")
        kind, params_raw = next(iter(item.items()))
        if kind not in _USER_KINDS:
            raise reader.error(
                f"{path}.{kind}", f"unknown action (known: {', '.join(_USER_KINDS)})"
            )
        params = dict(reader.mapping(params_raw or {}, f"{path}.{kind}"))
        budget = params.pop("times", 1)
        budget = (
            None if budget == "any" else reader.integer(budget, f"{path}.{kind}.times", minimum=1)
        )
        where = f"{path}.{kind}"
        if kind in {"rollout", "scale", "rollback", "pause", "resume"} or (
            kind == "ungate" and "deployment" in params
        ):
            params["deployment"] = deployment_ref(params.get("deployment"), f"{where}.deployment")
        if kind == "rollout":
            reader.keys(params, {"deployment", "container", "images"}, where)
            containers = [
                c["name"]
                for c in deployments[params["deployment"]]["spec"]["template"]["spec"]["containers"]
            ]
            params.setdefault("container", containers[0])
            if params["container"] not in containers:
                raise reader.error(
                    f"{where}.container",
                    f"no container {params['container']!r} in the Deployment "
                    f"(has: {', '.join(containers)})",
                )
            params["images"] = [
                reader.string(v, f"{where}.images[{j}]")
                for j, v in enumerate(reader.sequence(params.get("images"), f"{where}.images"))
            ]
        elif kind == "scale":
            reader.keys(params, {"deployment", "replicas"}, where)
            params["replicas"] = [
                reader.integer(v, f"{where}.replicas[{j}]")
                for j, v in enumerate(reader.sequence(params.get("replicas"), f"{where}.replicas"))
            ]
        elif kind in {"rollback", "pause", "resume"}:
            reader.keys(params, {"deployment"}, where)
        elif kind == "drain":
            reader.keys(params, {"nodes"}, where)
            nodes = params.get("nodes", "any")
            params["nodes"] = (
                sorted(node_names)
                if nodes == "any"
                else [
                    reader.string(n, f"{where}.nodes[{j}]")
                    for j, n in enumerate(reader.sequence(nodes, f"{where}.nodes"))
                ]
            )
            for j, n in enumerate(params["nodes"]):
                if n not in node_names:
                    raise reader.error(f"{where}.nodes[{j}]", f"no node {n!r} in the cluster")
        elif kind == "delete":
            reader.keys(params, {"pods"}, where)
            params["pods"] = [
                reader.string(v, f"{where}.pods[{j}]")
                for j, v in enumerate(reader.sequence(params.get("pods"), f"{where}.pods"))
            ]
        elif kind == "ungate":
            if ("pods" in params) == ("deployment" in params):
                raise reader.error(where, "needs exactly one of pods or deployment")
            reader.keys(params, {"pods", "deployment"}, where)
            if "pods" in params:
                params["pods"] = [
                    reader.string(v, f"{where}.pods[{j}]")
                    for j, v in enumerate(reader.sequence(params["pods"], f"{where}.pods"))
                ]
        elif kind == "configmap":
            reader.keys(params, {"name", "key", "values"}, where)
            reader.string(params.get("name"), f"{where}.name")
            reader.string(params.get("key"), f"{where}.key")
            params["values"] = [
                str(v) for v in reader.sequence(params.get("values"), f"{where}.values")
            ]
        users.append(UserAction(str(kind), params, budget))

    invariants = []
    names: list[str] = []
    for i, entry in enumerate(reader.sequence(body.get("invariants", []), "invariants")):
        path = f"invariants[{i}]"
        invariant_params: Mapping[str, Any] | None = None
        if isinstance(entry, str):
            name = entry
        else:
            item = reader.mapping(entry, path)
            if len(item) != 1:
                raise reader.error(
                    path, "must be a name, or a mapping of one name to its parameters"
                )
            name, raw_params = next(iter(item.items()))
            invariant_params = reader.mapping(raw_params or {}, f"{path}.{name}")
        try:
            invariant = make_invariant(str(name), invariant_params, path=path)
        except InputError as error:  # the catalogue knows the field path, not the file
            raise error.located(file=file) from None
        if hasattr(invariant, "deployment") and invariant.deployment:
            invariant.deployment = deployment_ref(invariant.deployment, f"{path}.{name}.deployment")
        invariants.append(invariant)
        names.append(str(name))
    if not invariants:
        raise reader.error("invariants", "name at least one invariant to check")

    options, ticks = read_explore(reader, body, examples=100, max_steps=30)
    expect = body.get("expect")
    if expect not in {None, "pass", "violation"}:
        raise reader.error("expect", f"must be pass or violation, not {expect!r}")
    scenario = Scenario(
        objects=objects,
        faults=faults,
        user_actions=tuple(users),
        invariants=tuple(invariants),
        config=ClusterConfig(programs=programs),
        control_plane_members=members,
        static_pods=static,
        ticks=ticks,
    )
    return Spec(
        path=file,
        name=str(body.get("name") or source.stem),
        description=str(body.get("description") or ""),
        expect=expect,
        scenario=scenario,
        options=options,
        digest=_digest(raw_text, objects, static),
        invariant_names=tuple(names),
        left_out=tuple(left_out),
    )


def _digest(
    raw_text: str,
    objects: Sequence[Mapping[str, Any]],
    static_pods: Mapping[str, Sequence[Mapping[str, Any]]],
) -> str:
    """A hash of the spec's text and of every manifest it loads, also from other files.

    A trace records it, so ``kmodel replay`` notices a changed spec, and a changed manifest the
    spec names (the spec's own text unchanged) changes it too.
    """
    loaded = json.dumps([objects, static_pods], sort_keys=True, default=str)
    return hashlib.sha256(f"{raw_text}\0{loaded}".encode()).hexdigest()[:16]


def spec_paths(paths: Sequence[str]) -> list[Path]:
    """Spec files named, or found (``*.yaml``, ``*.yml``, not recursive) in folders named."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in {".yaml", ".yml"}))
        elif path.exists():
            found.append(path)
        else:
            raise InputError("no such file or directory", file=str(path))
    return found
