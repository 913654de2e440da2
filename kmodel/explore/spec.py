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
      - rollout: {daemonset: agent, images: [registry/agent:2]}   # a DaemonSet's rollout
      - scale: {deployment: web, replicas: [1, 5]}
      - rollout: {statefulset: db, images: [registry/db:2]}   # scale: {statefulset: db, ...}
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
    ignoreUnmodelled: [DaemonSet]     # or true: check the rest, and say what was left out

The format is declared once, in :mod:`kmodel.explore.spec_format` (validation, defaults, key
documentation, ``schemas/check-spec.schema.json``); this module reads a validated spec into the
objects exploration runs. Every error names the file, the field path and what is wrong (exit
code 2 on the command line).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

from kmodel.cluster.model import ClusterConfig, Program
from kmodel.cluster.user_actions import USER_ACTION_KINDS
from kmodel.errors import InputError
from kmodel.explore.load import hpa_names, milli_of, read_loads
from kmodel.explore.run import Scenario, UserAction
from kmodel.explore.search import ExploreOptions
from kmodel.explore.spec_format import (
    Action,
    CheckSpecFormat,
    ExploreSection,
    Manifest,
    NodePool,
    NodesCluster,
    ProgramFormat,
)
from kmodel.internal.formats import FormatModel, parse_format
from kmodel.invariants import make_invariant
from kmodel.objects.field_check import closest_field
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
    "container_images",
    "fault_budgets",
    "inline_objects",
    "kubelet_node_labels",
    "load_spec",
    "parse_program",
    "pool_nodes",
    "read_cluster",
    "read_explore",
    "read_spec_file",
    "read_workloads",
    "refuse_unmodelled",
    "refuse_unused_programs",
    "spec_paths",
]


def _keys(model: type[FormatModel]) -> dict[str, str]:
    """A format model's keys as written in files, each with its attribute's name."""
    return {info.alias or name: name for name, info in model.model_fields.items()}


#: The keys of a check spec (declared by :class:`CheckSpecFormat`).
SPEC_KEYS: Final = frozenset(_keys(CheckSpecFormat))


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
    #: What loading its manifests warned of: input the check does not use (unknown fields
    #: under ``--validate=warn``, files that are no manifests, empty files).
    warnings: tuple[str, ...] = ()


Format = TypeVar("Format", bound=FormatModel)


class SpecReader:
    """Typed access to a spec's fields, with errors that carry the file and field path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, path: str, message: str) -> InputError:
        """An :class:`InputError` at ``path`` in this file."""
        return InputError(message, file=self.file, path=path)

    def parse(self, model: type[Format], value: object, *, path: str = "") -> Format:
        """``value`` (at ``path`` in this file) validated as ``model``: every problem at once."""
        return parse_format(model, value, file=self.file, prefix=path)

    def mapping(self, value: object, path: str) -> Mapping[str, Any]:
        """``value`` if it is a mapping."""
        if not isinstance(value, Mapping):
            raise self.error(path, f"must be a mapping, not {_type(value)}")
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
POOL_KEYS: Final = frozenset(_keys(NodePool))


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


def pool_nodes(reader: SpecReader, pool: NodePool, path: str) -> list[dict[str, Any]]:
    """Node manifests for a node pool (``count`` nodes named ``<pool>-<n>``, zones round-robin).

    Each node carries the labels its kubelet would register it with
    (:func:`kubelet_node_labels`; ``os`` and ``arch`` default to linux and amd64), then the
    pool's ``labels`` (which win, as ``--node-labels`` does); ``resources`` adds extended
    resources (``nvidia.com/gpu: 8``) to capacity and allocatable. The nodes are validated as
    Node manifests.
    """
    count, zones, region = pool.count, pool.zones or [""], pool.region
    amounts = {"cpu": pool.cpu, "memory": pool.memory, "pods": pool.pods}
    resources: dict[str, str] = {}
    for key, raw in [*amounts.items(), *pool.resources.items()]:
        where = f"{path}.{key}" if key in amounts else f"{path}.resources.{key}"
        if key not in amounts and not is_extended_resource_name(key):
            raise reader.error(where, "must be an extended resource name, e.g. nvidia.com/gpu")
        try:
            amount = parse_quantity(raw)
        except InputError as error:
            raise reader.error(where, error.message) from None
        if amount <= 0 and key in amounts:
            raise reader.error(where, "must be greater than 0")
        resources[key] = str(raw)
    labels, taints, name = dict(pool.labels), list(pool.taints), pool.pool
    node_os, arch = pool.os, pool.arch
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
PROGRAM_KEYS: Final = _keys(ProgramFormat)


def parse_program(program: ProgramFormat) -> Program:
    """A container :class:`Program` from a spec's ``programs.<image>`` mapping.

    The keys are :class:`ProgramFormat`'s (seconds after each start); what is not given keeps
    :class:`Program`'s default.
    """
    fields: dict[str, Any] = {name: getattr(program, name) for name in program.model_fields_set}
    if "exit_codes" in fields:
        fields["exit_codes"] = tuple(fields["exit_codes"])
    return Program(**fields)


def _referenced_file(reader: SpecReader, base: Path, entry: str, path: str) -> Path:
    """A manifest file the spec names, relative to the spec's folder; it must exist."""
    target = base / entry
    if target.is_dir():
        raise reader.error(path, f"{target} is a folder: a spec names manifest files, one each")
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
    path: str | Path, *, allowed: frozenset[str] | None = None
) -> tuple[SpecReader, Mapping[str, Any], Path, str]:
    """Read a spec-like YAML file: size limit, YAML, a mapping (with only ``allowed`` keys).

    Returns the reader, the body, the folder relative paths start from, and the text. A format
    declared as a model leaves ``allowed`` out: its model refuses unknown keys.
    """
    file = str(path)
    source = Path(path)
    reader = SpecReader(file)
    # The manifests' hardened loader: size and depth limits, no alias bombs, no repeated key.
    text = read_text_file(source)
    documents = parse_yaml(text, file=file)
    kinds = [str(d["kind"]) for _, d in documents if isinstance(d, Mapping) and "kind" in d]
    if kinds:
        # `kmodel check deploy.yaml`: say what the file is, not each field a spec lacks.
        raise InputError(
            f"holds Kubernetes manifests ({', '.join(dict.fromkeys(kinds))}), not a spec: "
            "a spec names such files in its `workloads:` (Nodes in `cluster.manifests:`)",
            file=file,
        )
    if len(documents) > 1:
        raise InputError(f"a spec is one YAML document, found {len(documents)}", file=file)
    body = reader.mapping(documents[0][1] if documents else None, "")
    if allowed is not None:
        reader.keys(body, allowed, "")
    return reader, body, source.parent, text


def read_cluster(
    reader: SpecReader,
    cluster: NodesCluster,
    base: Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    on_left_out: Callable[[LeftOut], None] | None = None,
    validate: str = "strict",
) -> ClusterSection:
    """Read a validated ``cluster:`` block (pools, inline Nodes, Node files, etcd, static pods).

    The sections a format's cluster model does not declare are empty. Objects of kinds the
    model does not know go to ``on_left_out`` (else ``on_warning``). ``validate`` is the
    manifests' ``--validate`` mode. A Node defined twice (by a pool, inline or in a file) is
    refused with both places.
    """
    options = LoadOptions(validate=validate)
    nodes: list[Mapping[str, Any]] = []
    places = _Places(reader)
    for i, item in enumerate(cluster.nodes):
        path = f"cluster.nodes[{i}]"
        if isinstance(item, NodePool):
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
    for i, entry in enumerate(getattr(cluster, "manifests", ())):
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
    control_plane = getattr(cluster, "control_plane", None)
    members = control_plane.members if control_plane is not None else 1
    node_names = {o["metadata"]["name"] for o in nodes if o.get("kind") == "Node"}
    static: dict[str, list[Mapping[str, Any]]] = {}
    static_pods: Mapping[str, list[Manifest]] = getattr(cluster, "static_pods", {})
    for node, pods in static_pods.items():
        if node not in node_names:
            raise reader.error(f"cluster.staticPods.{node}", "no such node in the cluster")
        static[node] = []
        for i, pod in enumerate(pods):
            path = f"cluster.staticPods.{node}[{i}]"
            skip = _left_out_sink(reader, path, on_left_out)
            for obj in inline_objects(
                reader, pod, path, on_skip=skip, validate=validate, on_warning=on_warning
            ):
                if obj.kind != "Pod":  # the kubelet reads only Pods from its folder
                    raise reader.error(
                        f"{path}.kind", f"a static pod must be a Pod, not {obj.kind}"
                    )
                static[node].append(obj.body)
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
    workloads: Sequence[str | Manifest],
    base: Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    on_left_out: Callable[[LeftOut], None] | None = None,
    validate: str = "strict",
) -> list[Mapping[str, Any]]:
    """Read a validated ``workloads:`` list: manifest files relative to the spec, or manifests.

    What the model does not run (objects of kinds it does not know, a file with no objects)
    goes to ``on_left_out``; without it, to ``on_warning`` as before. ``validate`` is the
    manifests' ``--validate`` mode. An object defined twice (same kind, namespace and name, in
    files or inline) is refused with both places, as the API server refuses a second create.
    """
    objects: list[Mapping[str, Any]] = []
    places = _Places(reader)
    options = LoadOptions(validate=validate)
    for i, entry in enumerate(workloads):
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
                entry,
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


def container_images(objects: Iterable[object]) -> set[str]:
    """The images of every container (init ones too) in manifests, pod templates included."""
    images: set[str] = set()
    pending: list[object] = list(objects)
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            for key in ("containers", "initContainers", "ephemeralContainers"):
                for container in value.get(key) or []:
                    if isinstance(container, Mapping) and isinstance(container.get("image"), str):
                        images.add(container["image"])
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return images


def refuse_unused_programs(
    reader: SpecReader, programs: Iterable[str], images: Iterable[str]
) -> None:
    """Refuse a program keyed by an image no container runs.

    Programs apply by exact image: a typo (or another tag) would leave the behaviour the spec
    describes unused, and the check would pass on containers that simply run.
    """
    known = sorted(set(images))
    for image in programs:
        if image not in known:
            suggestion = closest_field(image, set(known))
            hint = f'; did you mean "{suggestion}"?' if suggestion else ""
            raise reader.error(
                f"programs.{image}",
                f"no container runs this image (the workloads and rollouts run: "
                f"{', '.join(known) or 'none'}){hint}",
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


def fault_budgets(faults: Mapping[str, int | str]) -> dict[str, int | None]:
    """A validated ``faults:`` block as kind -> budget (``any`` is None: no limit)."""
    return {kind: None if budget == "any" else int(budget) for kind, budget in faults.items()}


def read_explore(explore: ExploreSection) -> tuple[ExploreOptions, tuple[int, ...]]:
    """A validated ``explore:`` block: the options, and the clock steps offered (``ticks``)."""
    options = ExploreOptions(
        examples=explore.examples, max_steps=explore.max_steps, seed=explore.seed
    )
    return options, tuple(explore.ticks) or (10,)


def load_spec(
    path: str | Path,
    *,
    on_warning: Callable[[str], None] | None = None,
    validate: str = "strict",
) -> Spec:
    """Load and validate a spec file (``validate``: the manifests' ``--validate`` mode).

    The file is validated as :class:`CheckSpecFormat` (every problem at once); then what needs
    more than the file: the manifests, and the Deployments and nodes actions name.

    Raises:
        InputError: the file, the field path and what is wrong.
    """
    reader, body, base, raw_text = read_spec_file(path)
    spec = reader.parse(CheckSpecFormat, body)
    file = reader.file
    source = Path(path)
    left_out: list[LeftOut] = []
    warned: list[str] = []

    def warn(message: str) -> None:
        warned.append(message)
        if on_warning is not None:
            on_warning(message)

    cluster = read_cluster(
        reader,
        spec.cluster,
        base,
        on_warning=warn,
        on_left_out=left_out.append,
        validate=validate,
    )
    members, static = cluster.members, cluster.static_pods
    node_names = {o["metadata"]["name"] for o in cluster.nodes if o.get("kind") == "Node"}
    workloads = read_workloads(
        reader,
        spec.workloads,
        base,
        on_warning=warn,
        on_left_out=left_out.append,
        validate=validate,
    )
    ignore = spec.ignore_unmodelled
    refuse_unmodelled(reader, left_out, ignore if isinstance(ignore, bool) else frozenset(ignore))
    objects = [*cluster.nodes, *workloads]
    programs = {image: parse_program(program) for image, program in spec.programs.items()}
    hpas = hpa_names(objects)
    loads = read_loads(reader, spec.load, hpas)
    context = _SpecContext(reader, objects, frozenset(node_names))
    users = [
        _user_action(action, f"actions[{i}].{action.kind}", context)
        for i, action in enumerate(spec.actions)
    ]

    rollout_images = [
        str(image) for user in users if user.kind == "rollout" for image in user.params["images"]
    ]
    static_bodies = [pod for pods in static.values() for pod in pods]
    refuse_unused_programs(
        reader, programs, [*container_images([*objects, *static_bodies]), *rollout_images]
    )

    invariants = []
    names: list[str] = []
    for i, entry in enumerate(spec.invariants):
        path = f"invariants[{i}]"
        name, invariant_params = (
            (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
        )
        try:
            invariant = make_invariant(
                name, params=None if isinstance(entry, str) else invariant_params or {}, path=path
            )
        except InputError as error:  # the catalogue knows the field path, not the file
            raise error.located(file=file) from None
        if hasattr(invariant, "deployment") and invariant.deployment:
            invariant.deployment = context.reference(
                "Deployment", str(invariant.deployment), f"{path}.{name}.deployment"
            )
        invariants.append(invariant)
        names.append(name)
    if not invariants:
        raise reader.error("invariants", "name at least one invariant to check")

    options, ticks = read_explore(spec.explore)
    scenario = Scenario(
        objects=objects,
        faults=fault_budgets(spec.faults),
        user_actions=tuple(users),
        invariants=tuple(invariants),
        config=ClusterConfig(programs=programs, loads=loads),
        control_plane_members=members,
        static_pods=static,
        ticks=ticks,
    )
    return Spec(
        path=file,
        name=spec.name or source.stem,
        description=spec.description,
        expect=spec.expect,
        scenario=scenario,
        options=options,
        digest=_digest(raw_text, objects, static),
        invariant_names=tuple(names),
        left_out=tuple(left_out),
        warnings=tuple(warned),
    )


class _SpecContext:
    """What a spec's action entries are checked against: its workloads and nodes."""

    def __init__(
        self, reader: SpecReader, objects: Sequence[Mapping[str, Any]], nodes: frozenset[str]
    ) -> None:
        self._reader = reader
        self._objects = {(o.get("kind"), _key(o)): o for o in objects if o.get("kind") != "Node"}
        self._nodes = nodes

    @property
    def node_names(self) -> frozenset[str]:
        """The names of the cluster's nodes."""
        return self._nodes

    def reference(self, kind: str, name: str, path: str) -> str:
        """``namespace/name`` of a workload of ``kind``; an error at ``path`` if there is none."""
        key = name if "/" in name else f"default/{name}"
        if (kind, key) not in self._objects:
            raise self._reader.error(path, f"no {kind} {name!r} among the workloads")
        return key

    def workload(self, kind: str, key: str) -> Mapping[str, Any]:
        """The workload of ``kind`` at ``key`` (from :meth:`reference`)."""
        return self._objects[kind, key]

    def milli(self, value: object, path: str) -> int:
        """A quantity as a milli-value, not negative."""
        return milli_of(self._reader, value, path)

    def error(self, path: str, message: str) -> Exception:
        """The spec's error at ``path``."""
        return self._reader.error(path, message)


def _key(obj: Mapping[str, Any]) -> str:
    """``namespace/name`` of a namespaced object (``default`` when none is given)."""
    return f"{obj['metadata'].get('namespace', 'default')}/{obj['metadata']['name']}"


#: The workload kinds an action entry names by these keys.
_WORKLOAD_KEYS: Final = {
    "deployment": "Deployment",
    "statefulset": "StatefulSet",
    "daemonset": "DaemonSet",
}


def _user_action(action: Action, where: str, context: _SpecContext) -> UserAction:
    """A validated action resolved against the spec's workloads and nodes (``where``: its path).

    The parameters keep the keys the spec gave (less ``times``), with each workload reference
    made ``namespace/name``; then the kind's own ``resolve`` (``USER_ACTIONS``) defaults and
    checks the rest (a rollout's container, ``drain: any``, a load's levels).
    """
    params_model = action.params
    params: dict[str, Any] = {
        key: value
        for key, value in params_model.model_dump(by_alias=True, exclude_unset=True).items()
        if key != "times"
    }
    times = params_model.times
    budget = None if times == "any" else times
    for key, kind in _WORKLOAD_KEYS.items():
        if params.get(key) is not None:
            params[key] = context.reference(kind, params[key], f"{where}.{key}")
    declared = USER_ACTION_KINDS[action.kind]
    if declared.resolve is not None:
        declared.resolve(params, context, where)
    return UserAction(action.kind, params, budget)


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
