"""From Kubernetes manifests to the packing engine's :class:`PackingProblem`, and back.

What is placed:

* every Pod without ``spec.nodeName`` (and not in a terminal phase);
* the missing replicas of every Deployment and ReplicaSet, as pods made from its template:
  ``spec.replicas`` (default 1) minus the non-terminal Pods in FILES that its selector matches
  in its namespace (the ReplicaSet controller's ``manageReplicas`` diff). A ReplicaSet owned by
  a Deployment that is also in FILES is left to that Deployment. Replica ``k`` of ``web`` is
  named ``web-k``; a pod outside the ``default`` namespace is named ``namespace/name``;
* the members of every StatefulSet not in FILES (``db-0``, ``db-1``, ...), each mounting its
  per-ordinal claim when that claim is in FILES (so a zonal volume pins it to its zone).

Pods with ``spec.nodeName`` stay where they are: their requests are the node's bound load.

DaemonSets are per-node overhead, as cluster-autoscaler's estimator counts them: on every node
whose daemon pod the DaemonSet controller would run (:func:`kmodel.semantics.daemonset.
node_should_run_daemon_pod`), the daemon pod's requests and one pod are taken off the node's
allocatable before packing, unless a bound pod of that DaemonSet (its selector, its namespace)
is on the node already (its requests are then bound load). :attr:`PlacementInput.overhead`
lists every DaemonSet with the nodes targeted (maybe none) and the requests taken off each.
Pods with ``spec.schedulingGates`` (or made from such a template) are not placed: the scheduler
does not consider them until the gates go. They are listed in :attr:`PlacementInput.held`
with the reason, and are no failure to place.

Dimensions are ``cpu`` (millicores), ``memory`` (bytes), ``pods`` (one per pod), then
``ephemeral-storage`` and each extended resource a placed pod requests. Demands are the
Filter's requests (``PodRequests``, no scoring defaults); capacities are
``status.allocatable`` (capacity where a Node leaves it out, as the API server defaults it).
The engine divides each dimension by its gcd, so coefficients stay small without rounding
anything.

Eligibility of a pod group for a node is what kube-scheduler's Filter plugins say about one pod
of the group on that node with the bound pods around it
(:func:`kmodel.semantics.scheduling.filter_failures`), with the resource and spreading parts
left to the packer: the pod's requests and topology spread constraints are removed and the
node's pod count is not limited for that call. Rules that depend on where the other placed pods
go become counting constraints instead:

* required pod anti-affinity whose selector matches the group itself: at most one pod of the
  group per topology domain (per node when the key is ``kubernetes.io/hostname``);
* a ``DoNotSchedule`` topology spread constraint: per domain, pods of the group plus the
  bound pods its selector matches, within ``maxSkew`` of the least-loaded domain; nodes
  without the topology key are not eligible;
* a required pod affinity term (same namespace or listed ``namespaces``) that selects pods
  being placed: left out of the Filter call and counted instead (a domain receiving a pod
  holds a selected pod); nodes without its topology key are not eligible.

The packer handles the per-node limits and per-domain anti-affinity (at most one pod of the
group per zone, as :class:`~kmodel.placement.engine.problem.DomainCap`) itself; topology spread
across domains is checked by :mod:`kmodel.placement.verify`.

Node price, for ``--objective cost``: the annotation ``kmodel.dev/price`` on the Node, a
non-negative integer (e.g. cents per hour); a node without it costs 1. Pod priority, for
``--objective placed``: ``spec.priority``, else the priority of the built-in classes
``system-node-critical`` (2000001000) and ``system-cluster-critical`` (2000000000), else 0
(PriorityClass objects are not loaded from FILES).

Not modelled: required pod anti-affinity towards other groups' pods being placed (checked
against the bound pods only), affinity terms with a ``namespaceSelector`` (likewise), preferred
(soft) rules, PodTopologySpread's cluster default constraints.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.defaults import set_defaults_node, set_defaults_stateful_set
from kmodel.objects.labels import LabelSelector, labels_of
from kmodel.objects.manifests import LoadedObject
from kmodel.objects.types import Manifest
from kmodel.placement.engine.problem import (
    DomainCap,
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
)
from kmodel.semantics import statefulset as sts_sem
from kmodel.semantics.daemonset import new_pod, node_should_run_daemon_pod
from kmodel.semantics.printers import POD_REASON_SCHEDULING_GATED, SCHEDULING_GATED_MESSAGE
from kmodel.semantics.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    node_allocatable,
    node_usage,
    pod_is_terminal,
    pod_requests,
)
from kmodel.semantics.scheduling import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    SchedulingCycle,
    label_selector,
    scheduling_gates,
)

__all__ = [
    "HOSTNAME_KEY",
    "PRICE_ANNOTATION",
    "ZONE_KEY",
    "ClusterNode",
    "DomainLimit",
    "PlacementInput",
    "PodGroup",
    "placement_input",
]

#: The node annotation holding the node's price (an integer) for ``--objective cost``.
PRICE_ANNOTATION: Final = "kmodel.dev/price"
#: The well-known per-node topology key.
HOSTNAME_KEY: Final = "kubernetes.io/hostname"
#: The well-known zone topology key.
ZONE_KEY: Final = "topology.kubernetes.io/zone"

#: ``scheduling.SystemCriticalPriority`` classes (pkg/apis/scheduling/types.go).
_SYSTEM_PRIORITIES: Final[Mapping[str, int]] = {
    "system-node-critical": 2_000_001_000,
    "system-cluster-critical": 2_000_000_000,
}
_LOTS_OF_PODS: Final = "1000000000"

Warn = Callable[[str], None]


@dataclass(frozen=True)
class DomainLimit:
    """A counting rule over the topology domains of one key, for one pod group.

    Attributes:
        kind: ``anti-affinity`` (at most ``limit`` pods of the group per domain), ``spread``
            (per domain, within ``limit`` = maxSkew of the least-loaded domain) or ``affinity``
            (required pod affinity to pods being placed: a domain receiving a pod of the group
            holds a pod the term selects; see :mod:`kmodel.placement.verify`).
        topology_key: the node label that defines the domains.
        limit: 1 for anti-affinity and affinity, ``maxSkew`` for spread.
        domains: domain value -> the eligible node names in it (for affinity, every node with
            the key: the selected pods may be anywhere).
        existing: domain value -> bound pods the rule counts there.
        counted_groups: indexes of the groups whose pods the rule counts (spread selectors may
            match other groups); for anti-affinity just the group itself.
        min_domains: spread's ``minDomains`` (below it the global minimum is 0).
    """

    kind: str
    topology_key: str
    limit: int
    domains: Mapping[str, tuple[str, ...]]
    existing: Mapping[str, int]
    counted_groups: tuple[int, ...]
    min_domains: int = 1

    def describe(self, group: str) -> str:
        """The rule in words."""
        where = "node" if self.topology_key == HOSTNAME_KEY else f"{self.topology_key} value"
        if self.kind == "anti-affinity":
            return f"{group}: at most {self.limit} per {where} (required pod anti-affinity)"
        if self.kind == "affinity":
            return f"{group}: only on a {where} holding a pod it selects (required pod affinity)"
        return (
            f"{group}: spread over {self.topology_key} with maxSkew {self.limit} "
            "(topology spread, DoNotSchedule)"
        )


@dataclass(frozen=True)
class PodGroup:
    """Identical pods to place: the replicas of one controller, or one standalone Pod.

    Attributes:
        name: ``Deployment/web``, ``ReplicaSet/ns/api``, ``Pod/batch-1``...
        pods: the names the pods get in the placement.
        template: a Pod manifest standing for every pod of the group.
        demand: one integer per dimension.
        priority: the pods' priority.
        eligible: names of the nodes the Filter plugins accept.
        reasons: node name -> the Filter's reasons, for every node not eligible.
        max_per_node: at most this many pods of the group per node (None: no limit).
        limits: per-domain rules (the per-node ones are in ``max_per_node`` as well).
        source: ``file`` and ``document`` of the object, for messages.
    """

    name: str
    pods: tuple[str, ...]
    template: Manifest
    demand: tuple[int, ...]
    priority: int
    eligible: frozenset[str]
    reasons: Mapping[str, tuple[str, ...]]
    max_per_node: int | None
    limits: tuple[DomainLimit, ...]
    source: str


@dataclass(frozen=True)
class ClusterNode:
    """A node as the packer sees it.

    Attributes:
        name: ``metadata.name``.
        labels: its labels.
        capacity: allocatable, one integer per dimension.
        load: what the bound pods use, one integer per dimension (capped at capacity: a node
            already over-committed has nothing free, as ``fitsRequest`` sees it).
        price: from the ``kmodel.dev/price`` annotation (1 without it).
        bound: names of the pods bound to it.
        manifest: the Node manifest.
    """

    name: str
    labels: Mapping[str, str]
    capacity: tuple[int, ...]
    load: tuple[int, ...]
    price: int
    bound: tuple[str, ...]
    manifest: Manifest


@dataclass(frozen=True)
class DaemonOverhead:
    """A DaemonSet's per-node overhead.

    Attributes:
        name: ``DaemonSet/agent`` (``DaemonSet/ns/agent`` outside ``default``).
        nodes: the nodes its pod is taken off, in name order.
        requests: what one daemon pod takes off each, in model units (cpu in millicores,
            memory in bytes, ``pods`` 1).
    """

    name: str
    nodes: tuple[str, ...]
    requests: Mapping[str, int]

    def as_json(self) -> dict[str, Any]:
        """JSON form: name, nodes, requests."""
        return {"name": self.name, "nodes": list(self.nodes), "requests": dict(self.requests)}


@dataclass(frozen=True)
class PlacementInput:
    """Everything the packer, the heuristics, the verifier and the explainer need.

    Attributes:
        dimensions: resource names, in order.
        nodes: the cluster's nodes, in name order.
        groups: the pods to place, grouped.
        objective: what to optimise.
        bound_pods: the Pod manifests that stay where they are.
        volumes: PersistentVolumeClaim and PersistentVolume manifests.
        namespaces: Namespace manifests (none are loaded today; kept for the filters).
        held: pods the scheduler would not consider, with the reason (scheduling gates): not
            placed, and not a failure to place them.
        overhead: per DaemonSet, the nodes whose allocatable its pod was taken off.
    """

    dimensions: tuple[str, ...]
    nodes: tuple[ClusterNode, ...]
    groups: tuple[PodGroup, ...]
    objective: Objective
    bound_pods: tuple[Manifest, ...]
    volumes: tuple[Manifest, ...] = ()
    namespaces: tuple[Manifest, ...] = ()
    held: tuple[tuple[str, str], ...] = ()
    overhead: tuple[DaemonOverhead, ...] = ()
    _types: tuple[tuple[str, tuple[int, ...]], ...] = field(default=(), repr=False)

    @property
    def pod_names(self) -> list[str]:
        """Every pod to place, in item order (group by group)."""
        return [name for group in self.groups for name in group.pods]

    def node_type_members(self) -> list[tuple[str, tuple[int, ...]]]:
        """Node types of :meth:`problem`: (type name, indexes into :attr:`nodes`)."""
        return list(self._types)

    def problem(self) -> PackingProblem:
        """The packing problem; item ``i`` is ``pod_names[i]``, node ``b`` is :meth:`node_of`."""
        types: list[NodeType] = []
        for type_name, members in self._types:
            first = self.nodes[members[0]]
            types.append(
                NodeType(
                    name=type_name,
                    capacity=first.capacity,
                    count=len(members),
                    cost=first.price,
                    load=first.load if any(first.load) else None,
                )
            )
        type_of_node = {
            self.nodes[i].name: type_name for type_name, members in self._types for i in members
        }
        groups: list[ItemGroup] = []
        for group in self.groups:
            # Anti-affinity on a topology key other than the hostname: at most one pod of the
            # group per domain (types never straddle such domains, see _node_types).
            caps = tuple(
                DomainCap(
                    domains=tuple(
                        frozenset(type_of_node[n] for n in members)
                        for members in limit.domains.values()
                    ),
                    limit=limit.limit,
                )
                for limit in group.limits
                if limit.kind == "anti-affinity" and limit.topology_key != HOSTNAME_KEY
            )
            allowed = frozenset(
                type_name
                for type_name, members in self._types
                if self.nodes[members[0]].name in group.eligible
            )
            groups.append(
                ItemGroup(
                    name=group.name,
                    demand=group.demand,
                    count=len(group.pods),
                    priority=group.priority,
                    allowed_node_types=allowed,
                    max_per_node=group.max_per_node,
                    domain_caps=caps,
                )
            )
        return PackingProblem(
            dimensions=self.dimensions,
            groups=tuple(groups),
            node_types=tuple(types),
            objective=self.objective,
        )

    def node_order(self) -> list[str]:
        """Node names in the engine's node index order (type by type)."""
        return [self.nodes[i].name for _, members in self._types for i in members]

    def decode(self, placement: Mapping[int, int]) -> dict[str, str]:
        """Turn an engine placement (item -> node index) into {pod name: node name}."""
        pods = self.pod_names
        nodes = self.node_order()
        return {pods[item]: nodes[node] for item, node in sorted(placement.items())}

    def group_of_pod(self) -> dict[str, int]:
        """Pod name -> index of its group."""
        return {name: g for g, group in enumerate(self.groups) for name in group.pods}


# ---------------------------------------------------------------------------- reading


def _where(obj: LoadedObject) -> str:
    return f"{obj.source.file}: document {obj.source.document}"


def _pod_key(namespace: str | None, name: str) -> str:
    return name if namespace in {None, "default"} else f"{namespace}/{name}"


def _price(obj: LoadedObject) -> int:
    annotations = (obj.body.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(PRICE_ANNOTATION) if isinstance(annotations, Mapping) else None
    if raw is None:
        return 1
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit():
        raise InputError(
            f"annotation {PRICE_ANNOTATION} must be a non-negative integer, got {raw!r}",
            file=obj.source.file,
            document=obj.source.document,
            obj=obj.label,
            path=f"metadata.annotations[{PRICE_ANNOTATION}]",
        )
    return int(text)


def _priority(pod: Manifest, warn: Warn, label: str) -> int:
    spec = pod.get("spec") or {}
    priority = spec.get("priority")
    if isinstance(priority, int) and not isinstance(priority, bool):
        return priority
    class_name = spec.get("priorityClassName")
    if not class_name:
        return 0
    if class_name in _SYSTEM_PRIORITIES:
        return _SYSTEM_PRIORITIES[class_name]
    warn(f"{label}: priorityClassName {class_name!r} is not a built-in class; priority 0 assumed")
    return 0


def _job_pods_wanted(spec: Manifest) -> int:
    """The pods a Job runs at once when it starts: ``manageJob``'s wantActive with none done.

    ``parallelism`` (default 1), at most ``completions`` when set; none while suspended.
    """
    if spec.get("suspend") is True:
        return 0
    parallelism = spec.get("parallelism")
    wanted = 1 if parallelism is None else parallelism
    completions = spec.get("completions")
    if isinstance(completions, int) and isinstance(wanted, int):
        wanted = min(wanted, completions)
    return wanted if isinstance(wanted, int) else 1


def _template_pod(obj: LoadedObject) -> tuple[Manifest, int, LabelSelector]:
    """The pod a controller creates, its wanted replica count, and its selector."""
    spec = obj.body.get("spec") or {}
    template = spec.get("template") or {}
    metadata = template.get("metadata") or {}
    replicas = spec.get("replicas", 1) if obj.kind != "Job" else _job_pods_wanted(spec)
    if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
        raise InputError(
            "must be a non-negative integer",
            file=obj.source.file,
            document=obj.source.document,
            obj=obj.label,
            path="spec.replicas",
        )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": obj.name,
            "namespace": obj.namespace or "default",
            "labels": dict(metadata.get("labels") or {}),
        },
        "spec": copy.deepcopy(dict(template.get("spec") or {})),
    }
    if obj.kind == "Job":
        # The Job controller's pods carry the job-name label the API server adds.
        selector_body = {"matchLabels": {"batch.kubernetes.io/job-name": obj.name}}
        return pod, replicas, label_selector(selector_body, "spec.selector", obj=obj.body)
    try:
        selector = label_selector(spec.get("selector"), "spec.selector", obj=obj.body)
    except InputError as exc:
        raise exc.located(file=obj.source.file, document=obj.source.document) from None
    return pod, replicas, selector


def _stateful_set_groups(
    obj: LoadedObject, taken: set[str], claim_names: Collection[str], warn: Warn
) -> list[tuple[str, Manifest, list[str], str, str]]:
    """The missing members of a StatefulSet, each named and mounting its claims.

    Member ``n`` is ``<set>-<n>`` (``newStatefulSetPod``); a member already in FILES is kept.
    A member's claim that is in FILES pins it where its volume is (the VolumeBinding and
    VolumeZone filters); a claim that is not yet there would be created and bound when the
    pod is, so the member is placed without it (and a warning says so).
    """
    template, replicas, _ = _template_pod(obj)
    body = set_defaults_stateful_set(
        {**obj.body, "metadata": {**obj.body.get("metadata", {}), "uid": ""}}
    )
    body["spec"]["replicas"] = replicas
    namespace = obj.namespace or "default"
    groups = []
    unknown: list[str] = []
    start = sts_sem.get_start_ordinal(body)
    for ordinal in range(start, start + replicas):
        pod = sts_sem.new_stateful_set_pod(body, ordinal)
        key = _pod_key(obj.namespace, pod["metadata"]["name"])
        if key in taken:
            continue
        taken.add(key)
        claims = set(sts_sem.get_persistent_volume_claims(body, ordinal))
        volumes = []
        for volume in pod["spec"].get("volumes") or []:
            source = volume.get("persistentVolumeClaim") if volume.get("name") in claims else None
            if (
                source is not None
                and _pod_key(obj.namespace, source["claimName"]) not in claim_names
            ):
                unknown.append(source["claimName"])
                continue
            volumes.append(volume)
        member = copy.deepcopy(template)
        member["metadata"]["name"] = pod["metadata"]["name"]
        member["metadata"]["labels"] = pod["metadata"]["labels"]
        member["spec"]["volumes"] = volumes
        group = f"{obj.kind}/{_pod_key(namespace, obj.name)} ({pod['metadata']['name']})"
        groups.append((group, member, [key], _where(obj), obj.label))
    if unknown:
        warn(
            f"{obj.label}: claims {', '.join(unknown)} are not in the input; "
            "their members are placed without a volume zone"
        )
    return groups


def _owned_by_deployment(obj: LoadedObject, deployments: set[tuple[str, str]]) -> bool:
    owners = (obj.body.get("metadata") or {}).get("ownerReferences") or []
    return any(
        isinstance(o, Mapping)
        and o.get("kind") == "Deployment"
        and (obj.namespace or "default", o.get("name")) in deployments
        for o in owners
    )


def _stripped(pod: Manifest) -> dict[str, Any]:
    """The pod without requests and spreading: what eligibility is computed on."""
    bare = copy.deepcopy(dict(pod))
    spec = bare.setdefault("spec", {})
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                container.pop("resources", None)
    for key in ("overhead", "resources", "topologySpreadConstraints"):
        spec.pop(key, None)
    return bare


def _unlimited_pods(node: Manifest) -> dict[str, Any]:
    """The node with room for any number of pods, so the Filter judges everything else."""
    roomy = copy.deepcopy(dict(node))
    status = roomy.setdefault("status", {})
    allocatable = dict(status.get("allocatable") or {})
    allocatable[PODS] = _LOTS_OF_PODS
    status["allocatable"] = allocatable
    return roomy


def _self_terms(pod: Manifest) -> tuple[list[tuple[str, int]], list[Mapping[str, Any]]]:
    """Required anti-affinity keys that match the pod itself, and its DoNotSchedule spreads."""
    spec = pod.get("spec") or {}
    labels = labels_of(pod)
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    anti: list[tuple[str, int]] = []
    affinity = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
    for i, term in enumerate(affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or []):
        path = f"spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[{i}]"
        selector = label_selector(term.get("labelSelector"), f"{path}.labelSelector", obj=pod)
        names = term.get("namespaces") or []
        same_namespace = (not names and term.get("namespaceSelector") is None) or (
            namespace in names
        )
        if same_namespace and selector.matches(labels):
            anti.append((str(term.get("topologyKey") or ""), i))
    spreads = [
        c
        for c in spec.get("topologySpreadConstraints") or []
        if isinstance(c, Mapping) and c.get("whenUnsatisfiable") == "DoNotSchedule"
    ]
    return anti, spreads


@dataclass(frozen=True)
class _AffinityTerm:
    """A required pod affinity term that selects pods being placed."""

    index: int
    topology_key: str
    selector: LabelSelector
    namespaces: frozenset[str]
    counted: tuple[int, ...]


def _placed_affinity_terms(pod: Manifest, templates: Sequence[Manifest]) -> list[_AffinityTerm]:
    """The pod's required affinity terms that select some group's template (in ``templates``).

    A term with a ``namespaceSelector`` stays with the Filter (checked against bound pods).
    """
    spec = pod.get("spec") or {}
    namespace = (pod.get("metadata") or {}).get("namespace") or "default"
    affinity = (spec.get("affinity") or {}).get("podAffinity") or {}
    found: list[_AffinityTerm] = []
    for i, term in enumerate(affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or []):
        if term.get("namespaceSelector") is not None:
            continue
        path = f"spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[{i}]"
        selector = label_selector(term.get("labelSelector"), f"{path}.labelSelector", obj=pod)
        namespaces = frozenset(term.get("namespaces") or [namespace])
        counted = tuple(
            g
            for g, other in enumerate(templates)
            if ((other.get("metadata") or {}).get("namespace") or "default") in namespaces
            and selector.matches(labels_of(other))
        )
        if counted:
            found.append(
                _AffinityTerm(i, str(term.get("topologyKey") or ""), selector, namespaces, counted)
            )
    return found


def _without_affinity_terms(bare: Manifest, terms: Sequence[_AffinityTerm]) -> Manifest:
    """``bare`` without the given required pod affinity terms (they become counting rules)."""
    if not terms:
        return bare
    drop = {t.index for t in terms}
    affinity = bare["spec"]["affinity"]["podAffinity"]
    key = "requiredDuringSchedulingIgnoredDuringExecution"
    affinity[key] = [t for i, t in enumerate(affinity[key]) if i not in drop]
    return bare


def _load_vector(
    node_pods: Sequence[Manifest], dims: Sequence[str], cap: Sequence[int]
) -> tuple[int, ...]:
    usage = node_usage(node_pods)
    raw = [usage.pod_count if d == PODS else usage.requested.get(d, 0) for d in dims]
    return tuple(min(r, c) for r, c in zip(raw, cap, strict=True))


def _gated_reason(pod: Manifest) -> str:
    """Why a gated pod is not placed: the condition the API server gives it, and its gates."""
    return (
        f"{POD_REASON_SCHEDULING_GATED}: {SCHEDULING_GATED_MESSAGE} "
        f"({', '.join(scheduling_gates(pod))})"
    )


def _daemon_requests(pod: Manifest) -> dict[str, int]:
    requests = {name: amount for name, amount in pod_requests(pod).items() if amount > 0}
    requests[PODS] = 1
    return requests


def _allocatable_text(name: str, amount: int) -> str:
    return f"{amount}m" if name == CPU else str(amount)


def _take_daemon_overhead(
    node_objs: list[LoadedObject], objects: Sequence[LoadedObject], bound: Sequence[LoadedObject]
) -> tuple[list[LoadedObject], tuple[DaemonOverhead, ...]]:
    """The nodes with each DaemonSet's pod taken off their allocatable, and what was taken.

    A node keeps its manifest where nothing is taken; otherwise it gets a copy whose
    ``status.allocatable`` is lower (never below 0), so the filters, the packer, the heuristics
    and the verifier all see the same room.
    """
    bodies = {o.name: o.body for o in node_objs}
    overheads: list[DaemonOverhead] = []
    for ds in sorted((o for o in objects if o.kind == "DaemonSet"), key=lambda o: o.label):
        namespace = ds.namespace or "default"
        spec = ds.body.get("spec") or {}
        try:
            selector = label_selector(spec.get("selector"), "spec.selector", obj=ds.body)
            targeted: list[str] = []
            requests = _daemon_requests(new_pod(ds.body, ""))
            for name, body in bodies.items():
                if not node_should_run_daemon_pod(body, ds.body)[0]:
                    continue
                running = any(
                    (p.namespace or "default") == namespace
                    and p.body["spec"]["nodeName"] == name
                    and selector.matches(labels_of(p.body))
                    for p in bound
                )
                if not running:
                    targeted.append(name)
        except InputError as exc:
            raise exc.located(
                file=ds.source.file, document=ds.source.document, obj=ds.label
            ) from None
        for name in targeted:
            allocatable = node_allocatable(bodies[name])
            reduced = copy.deepcopy(dict(bodies[name]))
            raw = dict(reduced["status"]["allocatable"])
            for resource, amount in requests.items():
                if resource in allocatable:
                    left = max(0, allocatable[resource] - amount)
                    raw[resource] = _allocatable_text(resource, left)
            reduced["status"]["allocatable"] = raw
            bodies[name] = reduced
        label = f"DaemonSet/{_pod_key(namespace, ds.name)}"
        overheads.append(DaemonOverhead(label, tuple(targeted), requests))
    nodes = [
        o if bodies[o.name] is o.body else dataclasses.replace(o, body=bodies[o.name])
        for o in node_objs
    ]
    return nodes, tuple(overheads)


def placement_input(
    objects: Sequence[LoadedObject],
    *,
    objective: Objective | str = Objective.NODES,
    on_warning: Warn | None = None,
) -> PlacementInput:
    """Build the placement input from loaded manifests.

    Args:
        objects: what :func:`kmodel.objects.manifests.load_manifests` returned.
        objective: ``nodes``, ``cost`` or ``placed``.
        on_warning: called with one line per assumption made (unknown priority class...).

    Returns:
        The placement input (see the module docstring for every rule).

    Raises:
        InputError: no Node in the input, a bad price annotation, a malformed pod.
    """
    warn = on_warning or (lambda _msg: None)
    try:
        objective = Objective(objective)
    except ValueError:
        raise InputError(
            f"unknown objective {objective!r}; expected nodes, cost or placed", path="--objective"
        ) from None
    # Nodes as the API server stores them (allocatable defaulted from capacity).
    node_objs = sorted(
        (
            dataclasses.replace(o, body=set_defaults_node(o.body))
            for o in objects
            if o.kind == "Node"
        ),
        key=lambda o: o.name,
    )
    if not node_objs:
        raise InputError("no Node in the input: nothing to place pods on")
    names = [o.name for o in node_objs]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f'duplicate Node "{dup}"')
    volumes = tuple(
        o.body for o in objects if o.kind in {"PersistentVolumeClaim", "PersistentVolume"}
    )
    pods = [o for o in objects if o.kind == "Pod" and not pod_is_terminal(o.body)]
    bound = [o for o in pods if (o.body.get("spec") or {}).get("nodeName")]
    node_objs, overhead = _take_daemon_overhead(node_objs, objects, bound)
    unbound = [o for o in pods if not (o.body.get("spec") or {}).get("nodeName")]
    for o in bound:
        if o.body["spec"]["nodeName"] not in names:
            warn(f"{o.label} is bound to node {o.body['spec']['nodeName']!r}, not in the input")

    raw_groups = _groups_to_place(objects, pods, unbound, warn)

    # Gated pods never reach the scheduler (SchedulingGates PreEnqueue): not placed, not failed.
    held = tuple(
        (pod, _gated_reason(template))
        for _, template, pod_names, _, _ in raw_groups
        if scheduling_gates(template)
        for pod in pod_names
    )
    raw_groups = [g for g in raw_groups if not scheduling_gates(g[1])]

    # Dimensions: cpu, memory, pods, then what the placed pods request.
    requests = [pod_requests(template) for _, template, _, _, _ in raw_groups]
    extra = sorted({r for req in requests for r, v in req.items() if v > 0} - {CPU, MEMORY, PODS})
    if EPHEMERAL_STORAGE in extra:
        extra.remove(EPHEMERAL_STORAGE)
        extra.insert(0, EPHEMERAL_STORAGE)
    dims = (CPU, MEMORY, PODS, *extra)

    nodes = _cluster_nodes(node_objs, bound, dims)
    bound_bodies = [o.body for o in bound]
    groups = _pod_groups(raw_groups, requests, dims, nodes, bound_bodies, volumes, warn)
    return PlacementInput(
        dimensions=dims,
        nodes=tuple(nodes),
        groups=tuple(groups),
        objective=objective,
        bound_pods=tuple(bound_bodies),
        volumes=volumes,
        held=held,
        overhead=overhead,
        _types=_node_types(nodes, groups),
    )


#: A pod group to place: (name, template, pod names, where it was read, object label).
_RawGroup = tuple[str, Manifest, list[str], str, str]


def _groups_to_place(
    objects: Sequence[LoadedObject],
    pods: Sequence[LoadedObject],
    unbound: Sequence[LoadedObject],
    warn: Warn,
) -> list[_RawGroup]:
    """The pods to place, each group with its template and the names its pods get.

    The missing replicas of Deployments, ReplicaSets (not owned by a Deployment in the input),
    Jobs and StatefulSets, then each unbound Pod as a group of its own.
    """
    # The pods to place, each with its template and the names it gets.
    raw_groups: list[_RawGroup] = []
    taken = {_pod_key(o.namespace, o.name) for o in pods}
    deployments = {(o.namespace or "default", o.name) for o in objects if o.kind == "Deployment"}
    claim_names = {
        _pod_key(o.namespace, o.name) for o in objects if o.kind == "PersistentVolumeClaim"
    }
    for o in objects:
        if o.kind == "StatefulSet":
            raw_groups.extend(_stateful_set_groups(o, taken, claim_names, warn))
            continue
        if o.kind not in {"Deployment", "ReplicaSet", "Job"}:
            continue
        if o.kind == "ReplicaSet" and _owned_by_deployment(o, deployments):
            continue
        template, replicas, selector = _template_pod(o)
        namespace = o.namespace or "default"
        have = sum(
            1
            for p in pods
            if (p.namespace or "default") == namespace and selector.matches(labels_of(p.body))
        )
        missing = max(0, replicas - have)
        pod_names: list[str] = []
        k = 0
        while len(pod_names) < missing:
            key = _pod_key(o.namespace, f"{o.name}-{k}")
            k += 1
            if key not in taken:
                taken.add(key)
                pod_names.append(key)
        if pod_names:
            raw_groups.append(
                (f"{o.kind}/{_pod_key(namespace, o.name)}", template, pod_names, _where(o), o.label)
            )
    raw_groups.extend(
        (
            f"Pod/{_pod_key(o.namespace, o.name)}",
            o.body,
            [_pod_key(o.namespace, o.name)],
            _where(o),
            o.label,
        )
        for o in unbound
    )
    return raw_groups


def _pod_groups(  # noqa: PLR0917 - private, called from one place
    raw_groups: Sequence[_RawGroup],
    requests: Sequence[Mapping[str, int]],
    dims: Sequence[str],
    nodes: Sequence[ClusterNode],
    bound_bodies: Sequence[Manifest],
    volumes: Sequence[Manifest],
    warn: Warn,
) -> list[PodGroup]:
    """Each group's demand, eligibility (the Filter plugins) and counting rules."""
    node_bodies = [node.manifest for node in nodes]
    roomy_nodes = [_unlimited_pods(body) for body in node_bodies]
    groups: list[PodGroup] = []
    templates = [t for _, t, _, _, _ in raw_groups]
    class_breakers = _class_breakers(node_bodies)
    if any(_strings(volume) & class_breakers for volume in volumes):
        # A volume's node affinity may name a node or its hostname: every node on its own.
        node_class = list(range(len(node_bodies)))
    else:
        node_class = _node_classes(node_bodies, bound_bodies)
    context = _Context(
        node_bodies,
        roomy_nodes,
        node_class,
        class_breakers,
        bound_bodies,
        templates,
        volumes,
        warn,
        {},
        {},
        [len(group[2]) for group in raw_groups],
    )
    for g, (name, template, pod_names, where, label) in enumerate(raw_groups):
        try:
            groups.append(
                _group(
                    _GroupInput(g, name, template, tuple(pod_names), where, label, requests[g]),
                    dims,
                    nodes,
                    context,
                )
            )
        except InputError as exc:
            file, _, doc = where.rpartition(": document ")
            raise exc.located(file=file, document=int(doc), obj=label) from None
    return groups


def _cluster_nodes(
    node_objs: Sequence[LoadedObject], bound: Sequence[LoadedObject], dims: Sequence[str]
) -> list[ClusterNode]:
    """The Nodes with their capacity in ``dims``, the load of their bound pods and price."""
    by_node: dict[str, list[LoadedObject]] = {}
    for o in bound:
        by_node.setdefault(o.body["spec"]["nodeName"], []).append(o)
    nodes: list[ClusterNode] = []
    for o in node_objs:
        allocatable = node_allocatable(o.body)
        cap = tuple(allocatable.get(d, 0) for d in dims)
        here = by_node.get(o.name, [])
        nodes.append(
            ClusterNode(
                name=o.name,
                labels=labels_of(o.body),
                capacity=cap,
                load=_load_vector([p.body for p in here], dims, cap),
                price=_price(o),
                bound=tuple(_pod_key(p.namespace, p.name) for p in here),
                manifest=o.body,
            )
        )
    return nodes


@dataclass(frozen=True)
class _GroupInput:
    index: int
    name: str
    template: Manifest
    pods: tuple[str, ...]
    where: str
    label: str
    request: Mapping[str, int]


#: A pod's Filter verdict on every node: the eligible node names, the others' reasons.
_Eligibility = tuple[frozenset[str], Mapping[str, tuple[str, ...]]]


@dataclass(frozen=True)
class _Context:
    node_bodies: Sequence[Manifest]
    roomy_nodes: Sequence[Manifest]  # node_bodies with room for any number of pods
    #: Per node, the first node of its class (see :func:`_node_classes`).
    node_class: Sequence[int]
    #: A pod whose stripped manifest holds one of these strings may tell a class's nodes apart.
    class_breakers: frozenset[str]
    bound_bodies: Sequence[Manifest]
    templates: Sequence[Manifest]
    volumes: Sequence[Manifest]
    warn: Warn
    eligibility: dict[str, _Eligibility]  # by _filter_key
    domains: dict[str, Mapping[str, tuple[str, ...]]]  # by topology key, from the cluster graph
    group_sizes: Sequence[int]  # pods to place per group, by group index


def _filter_key(bare: Manifest, spread_keys: Sequence[str]) -> str | None:
    """What the Filter verdict of a stripped pod depends on: all of it but its name.

    No Filter plugin reads the incoming pod's ``metadata.name`` (labels and namespace matter,
    for inter-pod affinity), so pods that differ only in name and requests (a trace of
    thousands of standalone Pods) share one verdict. None when the pod cannot be serialised
    (then the verdict is computed for it alone).
    """
    metadata = {k: v for k, v in (bare.get("metadata") or {}).items() if k != "name"}
    try:
        return json.dumps(
            [{**bare, "metadata": metadata}, list(spread_keys)], sort_keys=True, default=repr
        )
    except (TypeError, ValueError):
        return None


def _node_classes(node_bodies: Sequence[Manifest], bound_bodies: Sequence[Manifest]) -> list[int]:
    """Per node, the first node whose Filter verdicts it shares: its class's representative.

    The default profile's Filters read of a node its name, labels, taints, ``unschedulable``,
    allocatable resources and the pods bound to it (NodeName, NodeAffinity's fields and labels,
    TaintToleration, NodeUnschedulable, NodeResourcesFit, NodePorts, VolumeBinding, VolumeZone,
    PodTopologySpread, InterPodAffinity). Nodes without bound pods whose labels (but the
    hostname), taints, ``unschedulable``, allocatable and capacity agree, each labelled with
    its own name as hostname, get the same verdict for a pod that names neither the hostname
    label nor a node (:func:`_eligibility` checks that): a cluster's nodes of one shape are
    evaluated once. Any other node is a class of its own.
    """
    occupied = {(p.get("spec") or {}).get("nodeName") for p in bound_bodies}
    hostnames = [labels_of(body).get(HOSTNAME_KEY) for body in node_bodies]
    repeated = {h for h in hostnames if h is not None and hostnames.count(h) > 1}
    first: dict[str, int] = {}
    out: list[int] = []
    for i, body in enumerate(node_bodies):
        name = (body.get("metadata") or {}).get("name")
        if name in occupied or hostnames[i] != name or hostnames[i] in repeated:
            out.append(i)
            continue
        labels = {k: v for k, v in labels_of(body).items() if k != HOSTNAME_KEY}
        spec = body.get("spec") or {}
        shape = [
            labels,
            spec.get("taints"),
            spec.get("unschedulable"),
            (body.get("status") or {}).get("allocatable"),
            (body.get("status") or {}).get("capacity"),
        ]
        try:
            key = json.dumps(shape, sort_keys=True)
        except (TypeError, ValueError):
            out.append(i)
            continue
        out.append(first.setdefault(key, i))
    return out


def _class_breakers(node_bodies: Sequence[Manifest]) -> frozenset[str]:
    """What in a pod may tell nodes of one class apart: the hostname key, names, ``metadata.name``.

    A pod (or volume) none of whose strings is one of them selects and avoids nodes only by
    what the class key holds.
    """
    names = {str((body.get("metadata") or {}).get("name")) for body in node_bodies}
    return frozenset({HOSTNAME_KEY, "metadata.name", *names})


def _strings(value: object) -> set[str]:
    """Every string in a JSON-like value, keys and values."""
    out: set[str] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, Mapping):
            out.update(k for k in item if isinstance(k, str))
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return out


def _eligibility(
    bare: Manifest,
    spread_keys: Sequence[str],
    nodes: Sequence[ClusterNode],
    ctx: _Context,
    *,
    affinity_keys: Sequence[str] = (),
) -> _Eligibility:
    """The Filter plugins' verdict on every node (memoised in ``ctx`` by :func:`_filter_key`).

    One :class:`~kmodel.semantics.scheduling.SchedulingCycle` per pod: what upstream's
    PreFilter computes once per cycle (pods by node, topology counts) is shared by the nodes.
    Nodes of one class (:func:`_node_classes`) share their representative's verdict, unless
    the pod or a volume names a node or the hostname label.
    """
    key = _filter_key(bare, [*spread_keys, *(f"affinity:{k}" for k in affinity_keys)])
    if key is not None and key in ctx.eligibility:
        return ctx.eligibility[key]
    cycle = SchedulingCycle(bare, ctx.node_bodies, pods=ctx.bound_bodies, volumes=ctx.volumes)
    by_class = not _strings(bare) & ctx.class_breakers
    verdicts: dict[int, list[str]] = {}
    eligible: set[str] = set()
    reasons: dict[str, tuple[str, ...]] = {}
    for i, node in enumerate(nodes):
        representative = ctx.node_class[i] if by_class else i
        if representative not in verdicts:
            verdicts[representative] = cycle.filter_failures(ctx.roomy_nodes[representative])
        failures = list(verdicts[representative])
        missing = [k for k in spread_keys if k not in node.labels]
        if not failures and missing:
            failures = [
                "node(s) didn't match pod topology spread constraints (missing required label)"
            ]
        if not failures and any(k not in node.labels for k in affinity_keys):
            failures = [ERR_REASON_AFFINITY_RULES_NOT_MATCH]
        if failures:
            reasons[node.name] = tuple(failures)
        else:
            eligible.add(node.name)
    verdict = (frozenset(eligible), reasons)
    if key is not None:
        ctx.eligibility[key] = verdict
    return verdict


def _group(
    entry: _GroupInput, dims: Sequence[str], nodes: Sequence[ClusterNode], ctx: _Context
) -> PodGroup:
    """One pod group: demand, eligibility per node (Filter plugins), counting rules."""
    index, template, request = entry.index, entry.template, entry.request
    bound_bodies = ctx.bound_bodies
    demand = tuple(1 if d == PODS else request.get(d, 0) for d in dims)
    anti, spreads = _self_terms(template)
    affinity = _placed_affinity_terms(template, ctx.templates)
    spread_keys = [str(c.get("topologyKey") or "") for c in spreads]
    bare = _without_affinity_terms(_stripped(template), affinity)
    affinity_keys = [t.topology_key for t in affinity]
    eligible, reasons = _eligibility(bare, spread_keys, nodes, ctx, affinity_keys=affinity_keys)
    namespace = (template.get("metadata") or {}).get("namespace") or "default"
    limits: list[DomainLimit] = [
        _affinity_limit(term, ctx, [n.name for n in nodes]) for term in affinity
    ]
    max_per_node: int | None = None
    for key, _ in anti:
        if key == HOSTNAME_KEY:
            max_per_node = 1
        domains = _domains(ctx, eligible, key)
        limits.append(DomainLimit("anti-affinity", key, 1, domains, {}, (index,)))
    for i, constraint in enumerate(spreads):
        path = f"spec.topologySpreadConstraints[{i}]"
        key = spread_keys[i]
        selector = label_selector(
            constraint.get("labelSelector"), f"{path}.labelSelector", obj=template
        )
        max_skew = constraint.get("maxSkew")
        if isinstance(max_skew, bool) or not isinstance(max_skew, int) or max_skew <= 0:
            raise InputError("must be greater than zero", path=f"{path}.maxSkew")
        min_domains = constraint.get("minDomains") or 1
        counted = tuple(
            g
            for g, other in enumerate(ctx.templates)
            if ((other.get("metadata") or {}).get("namespace") or "default") == namespace
            and selector.matches(labels_of(other))
        )
        domains = _domains(ctx, eligible, key)
        node_domain = {n: d for d, members in domains.items() for n in members}
        existing: dict[str, int] = dict.fromkeys(domains, 0)
        for pod in bound_bodies:
            meta = pod.get("metadata") or {}
            node_name = (pod.get("spec") or {}).get("nodeName")
            if (
                (meta.get("namespace") or "default") == namespace
                and selector.matches(labels_of(pod))
                and node_name in node_domain
            ):
                existing[node_domain[node_name]] += 1
        if key == HOSTNAME_KEY and not any(existing.values()) and index in counted and domains:
            # A node holds at most maxSkew above the least-loaded node, and the least-loaded
            # node holds at most the average of the pods the selector counts.
            counted_pods = sum(ctx.group_sizes[g] for g in counted)
            limit = max_skew + counted_pods // len(domains)
            max_per_node = limit if max_per_node is None else min(max_per_node, limit)
        limits.append(
            DomainLimit("spread", key, max_skew, domains, existing, counted, int(min_domains))
        )
    return PodGroup(
        name=entry.name,
        pods=entry.pods,
        template=template,
        demand=demand,
        priority=_priority(template, ctx.warn, entry.label),
        eligible=eligible,
        reasons=reasons,
        max_per_node=max_per_node,
        limits=tuple(limits),
        source=entry.where,
    )


def _affinity_limit(term: _AffinityTerm, ctx: _Context, node_names: Sequence[str]) -> DomainLimit:
    """The counting rule of a required pod affinity term over every node with its key."""
    domains = _domains(ctx, node_names, term.topology_key)
    node_domain = {n: d for d, members in domains.items() for n in members}
    existing: dict[str, int] = dict.fromkeys(domains, 0)
    for pod in ctx.bound_bodies:
        meta = pod.get("metadata") or {}
        node_name = (pod.get("spec") or {}).get("nodeName")
        if (
            (meta.get("namespace") or "default") in term.namespaces
            and term.selector.matches(labels_of(pod))
            and node_name in node_domain
        ):
            existing[node_domain[node_name]] += 1
    return DomainLimit("affinity", term.topology_key, 1, domains, existing, term.counted)


def _domains(ctx: _Context, eligible: Collection[str], key: str) -> dict[str, tuple[str, ...]]:
    """The eligible nodes of each domain of ``key``, as the cluster graph draws the domains."""
    if key not in ctx.domains:
        # networkx loads only when a rule needs domains: most packs never pay its import.
        from kmodel.cluster.topology import cluster_graph, domains  # noqa: PLC0415

        ctx.domains[key] = domains(cluster_graph(ctx.node_bodies, keys=[key]), key)
    found = {
        d: tuple(n for n in members if n in eligible) for d, members in ctx.domains[key].items()
    }
    return {d: members for d, members in found.items() if members}


def _node_types(
    nodes: Sequence[ClusterNode], groups: Sequence[PodGroup]
) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Nodes the packer may treat as interchangeable: same capacity, load, price, eligibility.

    The topology keys of per-domain anti-affinity split types, so that every node of a type is
    in one domain and the packer can cap the pods per domain; topology spread stays with the
    verifier (it constrains differences between domains, not a count per domain).
    """
    keys = sorted(
        {
            limit.topology_key
            for group in groups
            for limit in group.limits
            if limit.kind == "anti-affinity" and limit.topology_key != HOSTNAME_KEY
        }
    )
    # Groups with equal eligible sets split the nodes alike: test each distinct set once
    # (groups whose pods differ only in name and requests share one set).
    eligible_sets = list(dict.fromkeys(group.eligible for group in groups))
    signatures: dict[tuple[object, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        signature = (
            node.capacity,
            node.load,
            node.price,
            tuple(node.name in eligible for eligible in eligible_sets),
            tuple(node.labels.get(k) for k in keys),
        )
        signatures.setdefault(signature, []).append(i)
    return tuple((nodes[members[0]].name, tuple(members)) for members in signatures.values())
