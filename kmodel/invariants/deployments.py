"""The invariant catalogue: named, documented predicates over the cluster.

Safety invariants are checked after every step; eventual ones (Anvil's "eventually stable
reconciliation") after faults stop and the components have run to a fixpoint. Each invariant
returns :class:`Violation` s that carry the values that break it. A :class:`Monitor` keeps the
history some invariants need (terminal phases seen, rollout state) and checks a chosen set.

Build invariants by name with :func:`make_invariant` (``no_overcommit``,
``min_available: {deployment: web, count: 2}``, ...); user-written ones are a
``module:function`` reference to a function ``(cluster) -> list[str]``.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from kmodel.cluster.components.controllers import SyncDeployment, _equal_ignore_hash, defaulted
from kmodel.cluster.components.daemonset import daemonset_revision_hash, eligibility
from kmodel.cluster.components.disruption import pdb_status
from kmodel.cluster.components.network import endpoints_for
from kmodel.cluster.model import Cluster, Step
from kmodel.errors import InputError
from kmodel.objects.labels import labels_of, selector_matches
from kmodel.semantics import deployment as dep
from kmodel.semantics.daemonset import (
    HASH_LABEL,
    apply_daemonset_defaults,
    get_target_node_name,
)
from kmodel.semantics.deployment import get_scaled_value_from_int_or_percent
from kmodel.semantics.replicaset import controller_ref, is_pod_available, is_pod_ready
from kmodel.semantics.resources import node_allocatable, pod_requests

__all__ = [
    "CATALOGUE",
    "Invariant",
    "Monitor",
    "Violation",
    "make_invariant",
]


@dataclass(frozen=True)
class Violation:
    """One broken invariant: which, in words, and the values that break it."""

    invariant: str
    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"invariant": self.invariant, "message": self.message, "values": dict(self.values)}


@dataclass
class History:
    """What invariants remember across steps."""

    terminal: dict[str, str] = field(default_factory=dict)
    #: Deployment key -> whether it had reached min availability since its last template change.
    rollout_ready: dict[str, tuple[int, bool]] = field(default_factory=dict)
    static_uids: dict[str, str] = field(default_factory=dict)
    evictions_seen: int = 0
    #: invariant:HPA key -> the rescales its status recorded: (lastScaleTime, from, to).
    hpa_scales: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)
    #: Invariants whose precondition held at some step (see :attr:`Invariant.precondition`).
    met: set[str] = field(default_factory=set)
    #: Job UID -> UIDs of its pods when it was first seen finished (``job_finished_no_new_pods``).
    finished_jobs: dict[str, frozenset[str]] = field(default_factory=dict)
    #: Pod UID -> the claims it mounts, remembered from the API (a pod may run on after its
    #: object is gone).
    claims_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: DaemonSet key -> whether it had at most maxUnavailable nodes without an available pod.
    daemon_rollout_ready: dict[str, bool] = field(default_factory=dict)
    #: Job UID -> its ``status.succeeded`` when last seen (``job_complete_consistent``).
    job_succeeded: dict[str, int] = field(default_factory=dict)


class Invariant:
    """Base class: a named predicate, ``safety`` (every step) or ``eventual`` (at a fixpoint)."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "safety"
    description: ClassVar[str] = ""
    #: What must happen before the invariant says anything ("" when it always does); a check
    #: records in ``history.met`` when it did, so a pass that never tested it can be told.
    precondition: ClassVar[str] = ""

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """The violations in the cluster's current state."""
        raise NotImplementedError

    def violation(self, message: str, **values: object) -> Violation:
        """Build a violation of this invariant."""
        return Violation(self.name, message, values)


def _pods(cluster: Cluster) -> list[Mapping[str, Any]]:
    return list(cluster.store.list_objects("Pod"))


def _live(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") not in {"Succeeded", "Failed"}


def _name(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


class NoOvercommit(Invariant):
    """No node's bound, non-terminal pods request more than its allocatable (cpu, memory, pods)."""

    name = "no_overcommit"
    description = "no node is over its allocatable"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Sum requests per node (once per revision of the stored pods and nodes)."""
        revisions = cluster.store.kind_revision
        key = ("no-overcommit", type(self), revisions.get("Pod", 0), revisions.get("Node", 0))
        return list(cluster.memo(key, lambda: tuple(self._check(cluster))))

    def _check(self, cluster: Cluster) -> list[Violation]:
        violations: list[Violation] = []
        by_node: dict[str, list[Mapping[str, Any]]] = {}
        for pod in _pods(cluster):
            node = (pod.get("spec") or {}).get("nodeName")
            if node and _live(pod):
                by_node.setdefault(str(node), []).append(pod)
        for node in cluster.store.list_objects("Node"):
            name = node["metadata"]["name"]
            pods = by_node.get(name, [])
            allocatable = cluster.derive("allocatable", node, node_allocatable)
            used: dict[str, int] = {"cpu": 0, "memory": 0}
            for pod in pods:
                # A pod's requests never change (no in-place resize in the model): cache by UID.
                uid = pod["metadata"]["uid"]
                requests = cluster.memo(("requests", uid), partial(pod_requests, pod))
                # Only these are compared (a Counter summing every resource cost more).
                used["cpu"] += requests.get("cpu", 0)
                used["memory"] += requests.get("memory", 0)
            used["pods"] = len(pods)
            violations.extend(
                self.violation(
                    f"node {name} is over its allocatable {resource}: "
                    f"{used[resource]} requested, {allocatable[resource]} allocatable",
                    node=name,
                    resource=resource,
                    requested=used[resource],
                    allocatable=allocatable[resource],
                )
                for resource in ("cpu", "memory", "pods")
                if resource in allocatable and used[resource] > allocatable[resource]
            )
        return violations


class UniqueUids(Invariant):
    """No two live pods (in the API or on a machine) share a UID."""

    name = "unique_uids"
    description = "no two live pods have the same UID"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count UIDs in the store, and runtime pods that claim another pod's UID."""
        counts = Counter(p["metadata"]["uid"] for p in _pods(cluster))
        names: dict[str, str] = {p["metadata"]["uid"]: _name(p) for p in _pods(cluster)}
        for machine in cluster.machines.values():
            for runtime in machine.pods.values():
                uid = runtime.uid
                if uid in names and names[uid] != f"{runtime.namespace}/{runtime.name}":
                    counts[uid] += 1
        return [
            self.violation(f"UID {uid} is used by {n} live pods", uid=uid, count=n)
            for uid, n in sorted(counts.items())
            if n > 1
        ]


class TerminalPhaseStable(Invariant):
    """A pod that reached Succeeded or Failed never changes phase again."""

    name = "terminal_phase_stable"
    description = "a terminal phase never changes"
    precondition = "a pod reached Succeeded or Failed"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare with the terminal phases seen before."""
        violations = []
        for pod in _pods(cluster):
            uid = pod["metadata"]["uid"]
            phase = (pod.get("status") or {}).get("phase")
            seen = history.terminal.get(uid)
            if seen is not None and phase != seen:
                violations.append(
                    self.violation(
                        f"pod {_name(pod)} went from {seen} to {phase}",
                        pod=_name(pod),
                        before=seen,
                        after=phase,
                    )
                )
            elif phase in {"Succeeded", "Failed"}:
                history.terminal[uid] = str(phase)
                history.met.add(self.name)
        return violations


class EndpointsReadyOnly(Invariant):
    """Endpoints written in a step list only pods that are Ready and not terminating then."""

    name = "endpoints_ready_only"
    description = "endpoints only contain Ready, non-terminating pods"
    precondition = "Endpoints listing a pod were written"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check the Endpoints objects this step wrote against the pods as they are now."""
        if step is None:
            written = [
                (e["metadata"]["namespace"], e["metadata"]["name"])
                for e in cluster.store.list_objects("Endpoints")
            ]
        else:
            written = [
                (c.namespace, c.name)
                for c in step.changes
                if c.kind == "Endpoints" and c.type != "DELETED"
            ]
        pods = {p["metadata"]["uid"]: p for p in _pods(cluster)}
        violations = []
        for namespace, name in written:
            endpoints = cluster.store.get(("Endpoints", namespace, name))
            for subset in (endpoints or {}).get("subsets") or []:
                for address in subset.get("addresses") or []:
                    history.met.add(self.name)
                    ref = address.get("targetRef") or {}
                    pod = pods.get(str(ref.get("uid")))
                    if (
                        pod is None
                        or not is_pod_ready(pod)
                        or pod["metadata"].get("deletionTimestamp") is not None
                    ):
                        violations.append(
                            self.violation(
                                f"service {namespace}/{name} routes to pod {ref.get('name')}, "
                                "which is not Ready" + (" (gone)" if pod is None else ""),
                                service=f"{namespace}/{name}",
                                pod=ref.get("name"),
                            )
                        )
        return violations


def _deployment_pods(
    cluster: Cluster, d: Mapping[str, Any]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The Deployment's ReplicaSets and their active pods.

    Listed once per revision of the stored ReplicaSets (and pods): every invariant and every
    step asks again.
    """
    namespace, uid = d["metadata"]["namespace"], d["metadata"]["uid"]
    rs_revision = cluster.store.kind_revision.get("ReplicaSet", 0)
    rss: tuple[Mapping[str, Any], ...] = cluster.memo(
        ("deployment-replicasets", namespace, uid, rs_revision),
        lambda: tuple(
            rs
            for rs in cluster.store.list_objects("ReplicaSet", namespace)
            if (_controller_ref(cluster, rs) or {}).get("uid") == uid
        ),
    )

    def active_pods() -> tuple[Mapping[str, Any], ...]:
        uids = {rs["metadata"]["uid"] for rs in rss}
        return tuple(
            p
            for p in cluster.store.list_objects("Pod", namespace)
            if (_controller_ref(cluster, p) or {}).get("uid") in uids
            and _live(p)
            and p["metadata"].get("deletionTimestamp") is None
        )

    pod_revision = cluster.store.kind_revision.get("Pod", 0)
    pods: tuple[Mapping[str, Any], ...] = cluster.memo(
        ("deployment-pods", namespace, uid, rs_revision, pod_revision), active_pods
    )
    return list(rss), list(pods)


def _controller_ref(cluster: Cluster, obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``controller_ref``, computed once per stored object version."""
    return cluster.derive("controller-ref", obj, controller_ref)


def _rolling_out_of(d: Mapping[str, Any], rss: list[Mapping[str, Any]]) -> bool:
    """Whether a ReplicaSet (of ``rss``, the Deployment's) of an older template has replicas."""
    template = (d.get("spec") or {}).get("template") or {}
    return any(
        not _equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template)
        and (
            (rs.get("spec") or {}).get("replicas", 0) > 0
            or (rs.get("status") or {}).get("replicas", 0) > 0
        )
        for rs in rss
    )


def available_pods(cluster: Cluster, d: Mapping[str, Any]) -> int:
    """Pods of a Deployment that are available (Ready for minReadySeconds) and not terminating."""
    _, pods = _deployment_pods(cluster, d)
    return _available_of(cluster, d, pods)


def _min_available(cluster: Cluster, raw: Mapping[str, Any]) -> int:
    """``MinAvailable`` of a stored Deployment (with its defaults)."""
    return dep.min_available(defaulted(cluster, raw))


def _available_of(cluster: Cluster, d: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> int:
    min_ready = int((d.get("spec") or {}).get("minReadySeconds", 0) or 0)
    return sum(1 for p in pods if is_pod_available(p, min_ready, cluster.now))


class RollingUpdateBounds(Invariant):
    """During a RollingUpdate without faults, availability and surge stay within the strategy.

    The guarantees upstream's rolling update gives (``rolling.go``), checked as it gives them:

    * after each Deployment controller step, its ReplicaSets' replicas sum to at most
      ``replicas + maxSurge``;
    * while a template change rolls out (an old ReplicaSet still has replicas), once the
      Deployment has ``replicas - maxUnavailable`` available pods at its current size, it never
      has fewer while nothing involuntary happens (no fault has occurred: crashes, unreachable
      nodes and the like take pods away regardless of the strategy). Scaling is not a rollout:
      scaling down and up again may briefly leave fewer pods, upstream as here.
    """

    name = "rolling_update_bounds"
    description = "rollouts stay within maxUnavailable and maxSurge (absent faults)"
    precondition = (
        "a RollingUpdate rolled out, without faults, after reaching replicas - maxUnavailable "
        "available pods"
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare live counts with the Deployment's fence posts."""
        violations = []
        for raw in cluster.store.list_objects("Deployment"):
            d = defaulted(cluster, raw)
            if d["spec"]["strategy"].get("type") != "RollingUpdate":
                continue
            key = _name(d)
            replicas = d["spec"]["replicas"]
            acted = step is None or (
                isinstance(step.action, SyncDeployment)
                and f"{step.action.namespace}/{step.action.deployment}" == key
            )
            # What the checks below read, listed once (they used to list it up to three times).
            rss, pods = _deployment_pods(cluster, d)
            if acted:
                total = sum((rs.get("spec") or {}).get("replicas", 0) for rs in rss)
                surge_limit = replicas + dep.max_surge(d)
                if total > surge_limit:
                    violations.append(
                        self.violation(
                            f"deployment {key} has {total} replicas across its ReplicaSets, "
                            f"more than replicas + maxSurge = {surge_limit}",
                            deployment=key,
                            total=total,
                            limit=surge_limit,
                        )
                    )
            # Each a pure function of what its key holds: computed once per version of the
            # Deployment (of its ReplicaSets, of the pods, of the time).
            minimum = cluster.derive("min-available", raw, partial(_min_available, cluster))
            revisions = cluster.store.kind_revision
            version = (
                d["metadata"]["uid"],
                d["metadata"]["resourceVersion"],
                revisions.get("ReplicaSet", 0),
            )
            available = cluster.memo(
                ("deployment-available", *version, revisions.get("Pod", 0), cluster.now),
                partial(_available_of, cluster, d, pods),
            )
            size, reached = history.rollout_ready.get(key, (replicas, False))
            rolling = cluster.memo(("rolling-out", *version), partial(_rolling_out_of, d, rss))
            reached = reached and size == replicas and not cluster.faults and rolling
            if reached:
                history.met.add(self.name)
            if reached and available < minimum:
                violations.append(
                    self.violation(
                        f"deployment {key} has {available} available pods, fewer than "
                        f"replicas - maxUnavailable = {minimum}",
                        deployment=key,
                        available=available,
                        minimum=minimum,
                    )
                )
            history.rollout_ready[key] = (replicas, reached or available >= minimum)
        return violations


class RecreateNoOverlap(Invariant):
    """A Recreate Deployment never has a pod of an old ReplicaSet and one of the new at once.

    Upstream's guarantee for ``strategy.type: Recreate`` (``recreate.go``): the new ReplicaSet
    gets no replica while any pod of an older one may still run. Stated from the stored objects:
    the new ReplicaSet is the Deployment's (by controller reference) whose pod template equals
    the Deployment's apart from the ``pod-template-hash`` label, the others are old; a pod
    belongs to the ReplicaSet its controller reference names and may run while its phase is
    not Succeeded or Failed (Pending, Running, Unknown, terminating or not). A violation is a
    Recreate Deployment with such a pod of an old ReplicaSet and one of the new ReplicaSet.
    """

    name = "recreate_no_overlap"
    description = "a Recreate Deployment never runs old and new pods at once"
    precondition = "a Recreate Deployment's template changed while its pods could run"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for old and new pods that may run together (once per version of the objects)."""
        revisions = cluster.store.kind_revision
        key = (
            "recreate-no-overlap",
            revisions.get("Deployment", 0),
            revisions.get("ReplicaSet", 0),
            revisions.get("Pod", 0),
        )
        violations, rolling = cluster.memo(key, lambda: self._check(cluster))
        if rolling:
            history.met.add(self.name)
        return list(violations)

    def _check(self, cluster: Cluster) -> tuple[tuple[Violation, ...], bool]:
        """The violations, and whether some Recreate Deployment had old pods that may run."""
        violations = []
        rolling = False
        for raw in cluster.store.list_objects("Deployment"):
            d = defaulted(cluster, raw)
            if d["spec"]["strategy"].get("type") != "Recreate":
                continue
            namespace, uid = d["metadata"]["namespace"], d["metadata"]["uid"]
            template = d["spec"]["template"]
            new_uids: set[str] = set()
            old_uids: set[str] = set()
            for rs in cluster.store.list_objects("ReplicaSet", namespace):
                if (_controller_ref(cluster, rs) or {}).get("uid") != uid:
                    continue
                same = _equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template)
                (new_uids if same else old_uids).add(rs["metadata"]["uid"])
            old_pods: list[str] = []
            new_pods: list[str] = []
            for pod in cluster.store.list_objects("Pod", namespace):
                if not _live(pod):
                    continue
                owner = (_controller_ref(cluster, pod) or {}).get("uid")
                if owner in new_uids:
                    new_pods.append(pod["metadata"]["name"])
                elif owner in old_uids:
                    old_pods.append(pod["metadata"]["name"])
            rolling = rolling or bool(old_pods)
            if old_pods and new_pods:
                violations.append(
                    self.violation(
                        f"recreate deployment {_name(d)} has pods of an old replicaset "
                        f"({', '.join(sorted(old_pods))}) and of the new one "
                        f"({', '.join(sorted(new_pods))}) at once",
                        deployment=_name(d),
                        old_pods=sorted(old_pods),
                        new_pods=sorted(new_pods),
                    )
                )
        return tuple(violations), rolling


def _daemon_pods_by_node(
    cluster: Cluster, ds: Mapping[str, Any], *, deleting: bool = False
) -> dict[str, list[Mapping[str, Any]]]:
    """The DaemonSet's pods not terminal (nor marked for deletion, unless ``deleting``) by node.

    A pod is the DaemonSet's when its controller reference names the DaemonSet's UID; its node is
    ``spec.nodeName``, or before binding the ``metadata.name`` its required node affinity names.
    """
    uid = ds["metadata"]["uid"]
    result: dict[str, list[Mapping[str, Any]]] = {}
    for pod in cluster.store.list_objects("Pod", ds["metadata"]["namespace"]):
        if (_controller_ref(cluster, pod) or {}).get("uid") != uid or not _live(pod):
            continue
        if pod["metadata"].get("deletionTimestamp") is not None and not deleting:
            continue
        node = get_target_node_name(pod)
        if node is not None:
            result.setdefault(node, []).append(pod)
    return result


class DaemonSetOnePodPerNode(Invariant):
    """At most one pod of a DaemonSet per node, two while it may surge.

    Upstream's guarantee (``podsShouldBeOnNode``): a DaemonSet keeps one pod per node; with a
    RollingUpdate ``maxSurge`` other than 0 a node may briefly run an old and a new one. Stated
    from the stored objects: per DaemonSet and node, its pods (by controller reference) that are
    not marked for deletion and not Succeeded or Failed, bound to the node or with required node
    affinity to it, number at most 1 (2 with ``maxSurge`` set).
    """

    name = "daemonset_one_pod_per_node"
    description = "a DaemonSet runs at most one pod per node (two during a surge)"
    precondition = "a DaemonSet pod was created for a node"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each DaemonSet's pods per node."""
        violations = []
        for ds in cluster.store.list_objects("DaemonSet"):
            by_node = _daemon_pods_by_node(cluster, ds)
            if by_node:
                history.met.add(self.name)
            rolling = (
                ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate")
            ) or {}
            surge = rolling.get("maxSurge") not in {None, 0, "0%"}
            limit = 2 if surge else 1
            for node, pods in sorted(by_node.items()):
                if len(pods) > limit:
                    names = sorted(p["metadata"]["name"] for p in pods)
                    violations.append(
                        self.violation(
                            f"daemonset {_name(ds)} has {len(pods)} pods for node {node} "
                            f"({', '.join(names)}), more than {limit}",
                            daemonset=_name(ds),
                            node=node,
                            pods=names,
                        )
                    )
        return violations


class DaemonSetNodesEligible(Invariant):
    """A DaemonSet creates a pod only for a node that should run it.

    Upstream's ``daemon_controller.go nodeShouldRunDaemonPod``: the node passes the pod's
    ``nodeSelector`` and required node affinity, and every NoSchedule and NoExecute taint on
    it is tolerated (the controller adds its own tolerations to the pod, so the created pod's
    tolerations are judged). Stated from the created pod and its target node, read from the
    objects (the node a pod targets is its ``nodeName`` or the ``metadata.name`` field its
    node affinity names), on the steps where the controller created pods with its cache in
    sync.
    """

    name = "daemonset_nodes_eligible"
    description = "a DaemonSet creates pods only for nodes that should run them"
    precondition = "the DaemonSet controller created a pod with its cache in sync"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each pod the step created for a DaemonSet against its target node."""
        if step is None or not any(c.kind == "Pod" and c.type == "ADDED" for c in step.changes):
            return []
        informer = cluster.informers.get("daemonset")
        if informer is not None and (informer.lagging or informer.dropped):
            return []
        violations: list[Violation] = []
        for change in step.changes:
            pod = cluster.store.get(("Pod", change.namespace, change.name))
            if change.type != "ADDED" or pod is None:
                continue
            ref = next(
                (r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")),
                None,
            )
            target = _target_node(pod)
            node = cluster.store.get(("Node", "", target)) if target else None
            if ref is None or ref.get("kind") != "DaemonSet" or node is None:
                continue
            history.met.add(self.name)
            spec = pod.get("spec") or {}
            labels = labels_of(node)
            problems = [
                f"untolerated taint {taint.get('key')}:{taint.get('effect')}"
                for taint in (node.get("spec") or {}).get("taints") or []
                if taint.get("effect") in {"NoSchedule", "NoExecute"}
                and not any(_tolerates(t, taint) for t in spec.get("tolerations") or [])
            ]
            required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            ) or {}
            terms = required.get("nodeSelectorTerms") or []
            if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()) or (
                terms and not any(_term_matches(term, labels) for term in terms)
            ):
                problems.append("node selector or affinity")
            violations.extend(
                self.violation(
                    f"daemonset {ref.get('name')} created {_name(pod)} for node {target}, "
                    f"which fails {problem}",
                    pod=_name(pod),
                    node=target,
                )
                for problem in problems
            )
        return violations


def _target_node(pod: Mapping[str, Any]) -> str | None:
    """``spec.nodeName``, else the node a ``metadata.name`` matchFields term names."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for field_requirement in term.get("matchFields") or []:
            values = field_requirement.get("values") or []
            if field_requirement.get("key") == "metadata.name" and len(values) == 1:
                return str(values[0])
    return None


class DaemonSetRolloutBounds(Invariant):
    """During a DaemonSet rollout without faults, unavailable pods stay within maxUnavailable.

    Upstream's guarantee for a RollingUpdate DaemonSet (``update.go rollingUpdate``): old pods
    are deleted only while the nodes that should run the pod but have no available one (pods
    marked for deletion do not count) number at most ``maxUnavailable`` (a percentage of those
    nodes, rounded up; 0 with ``maxSurge`` set, 1 when both come out 0). Stated from the
    objects: while a template change rolls out (some pod of the DaemonSet that may still run,
    terminating or not, has another ``controller-revision-hash`` than the template's), once
    that many nodes or fewer lack an available pod, they never number more while no fault has
    happened.
    """

    name = "daemonset_rollout_bounds"
    description = "DaemonSet rollouts stay within maxUnavailable (absent faults)"
    precondition = (
        "a RollingUpdate DaemonSet rolled out, without faults, after reaching desired - "
        "maxUnavailable available pods"
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare nodes without an available pod with maxUnavailable."""
        violations = []
        nodes = list(cluster.store.list_objects("Node"))
        for raw in cluster.store.list_objects("DaemonSet"):
            ds = apply_daemonset_defaults(raw)
            strategy = ds["spec"]["updateStrategy"]
            if strategy["type"] != "RollingUpdate":
                continue
            key = _name(ds)
            revision = daemonset_revision_hash(ds)
            by_node = _daemon_pods_by_node(cluster, ds)
            should_run = eligibility(cluster, raw, nodes)
            wanted = [n for n in nodes if should_run[n["metadata"]["name"]][0]]
            min_ready = int(ds["spec"].get("minReadySeconds") or 0)
            unavailable = sum(
                1
                for n in wanted
                if not any(
                    is_pod_available(p, min_ready, cluster.now)
                    for p in by_node.get(n["metadata"]["name"], [])
                )
            )
            rolling = strategy["rollingUpdate"]
            limit = get_scaled_value_from_int_or_percent(
                rolling["maxUnavailable"], len(wanted), round_up=True
            )
            surge = get_scaled_value_from_int_or_percent(
                rolling["maxSurge"], len(wanted), round_up=True
            )
            if wanted and limit == 0 and surge == 0:
                limit = 1
            # A pod of an old revision may still run (terminating ones too).
            rolling_out = any(
                (p["metadata"].get("labels") or {}).get(HASH_LABEL) != revision
                for pods in _daemon_pods_by_node(cluster, ds, deleting=True).values()
                for p in pods
            )
            reached = history.daemon_rollout_ready.get(key, False)
            reached = reached and not cluster.faults and rolling_out
            if reached:
                history.met.add(self.name)
                if unavailable > limit:
                    violations.append(
                        self.violation(
                            f"daemonset {key} has {unavailable} nodes without an available pod, "
                            f"more than maxUnavailable = {limit}",
                            daemonset=key,
                            unavailable=unavailable,
                            limit=limit,
                        )
                    )
            history.daemon_rollout_ready[key] = reached or unavailable <= limit
        return violations


@dataclass
class MinAvailable(Invariant):
    """A Deployment keeps at least ``count`` available pods at every step (once it had them)."""

    deployment: str = ""
    count: int = 1
    name: ClassVar[str] = "min_available"
    description: ClassVar[str] = "a deployment never has fewer than `count` available pods"
    precondition: ClassVar[str] = "the deployment had `count` available pods"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count available pods."""
        namespace, _, name = self.deployment.rpartition("/")
        d = cluster.store.get(("Deployment", namespace or "default", name))
        if d is None:
            return []
        available = available_pods(cluster, d)
        key = f"min_available:{self.deployment}"
        _, reached = history.rollout_ready.get(key, (0, False))
        history.rollout_ready[key] = (0, reached or available >= self.count)
        if reached or available >= self.count:
            history.met.add(self.name)
        if reached and available < self.count:
            return [
                self.violation(
                    f"deployment {self.deployment} has {available} available pods, "
                    f"fewer than {self.count}",
                    deployment=self.deployment,
                    available=available,
                    minimum=self.count,
                )
            ]
        return []


class StaticPodsSurvive(Invariant):
    """Deleting a static pod's mirror through the API never stops the static pod."""

    name = "static_pods_survive"
    description = "a static pod's mirror cannot be deleted through the API"
    precondition = "a static pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Each up machine's static pods keep running once started."""
        violations = []
        for machine in cluster.machines.values():
            if not machine.up:
                continue
            for manifest in machine.static_pods:
                name = f"{manifest['metadata']['name']}-{machine.name}"
                running = any(r.name == name and r.running() for r in machine.pods.values())
                key = f"{machine.name}/{name}"
                if running:
                    history.static_uids[key] = "running"
                    history.met.add(self.name)
                elif history.static_uids.get(key) == "running":
                    violations.append(
                        self.violation(
                            f"static pod {name} on {machine.name} stopped",
                            node=machine.name,
                            pod=name,
                        )
                    )
        return violations


class PdbRespected(Invariant):
    """An admitted eviction never takes a PodDisruptionBudget below its desired healthy pods.

    Judged per evicted pod and per budget that covers it, as the eviction API promises it: when
    the budget's status was current (its ``currentHealthy`` matched the healthy pods just before),
    evicting a healthy pod must leave at least ``desiredHealthy`` healthy pods. (With a stale
    status, e.g. pods added or gone unready since the disruption controller last synced, the
    eviction API over-evicts upstream too: that race is the controller's lag, not the budget.)
    """

    name = "pdb_respected"
    description = "voluntary evictions respect PodDisruptionBudgets"
    precondition = "an eviction of a Ready pod was admitted under a current budget status"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """After each admitted eviction, count the healthy pods each covering PDB selects."""
        new = cluster.evictions[history.evictions_seen :]
        history.evictions_seen = len(cluster.evictions)
        violations = []
        pods = _pods(cluster)
        for _, (_, namespace, pod_name) in new:
            victim = cluster.store.get(("Pod", namespace, pod_name))
            if victim is None or not is_pod_ready(victim):
                continue
            for pdb in cluster.store.list_objects("PodDisruptionBudget", namespace):
                if not selector_matches((pdb.get("spec") or {}).get("selector"), labels_of(victim)):
                    continue
                fresh = pdb_status(pdb, pods)
                recorded = pdb.get("status") or {}
                current = (
                    recorded.get("currentHealthy") == fresh["currentHealthy"] + 1
                    and recorded.get("desiredHealthy") == fresh["desiredHealthy"]
                    and recorded.get("expectedPods") == fresh["expectedPods"]
                )
                if current:
                    history.met.add(self.name)
                if current and fresh["currentHealthy"] < fresh["desiredHealthy"]:
                    violations.append(
                        self.violation(
                            f"evicting {namespace}/{pod_name} left PDB {_name(pdb)} with "
                            f"{fresh['currentHealthy']} healthy pods, fewer than "
                            f"{fresh['desiredHealthy']}",
                            pdb=_name(pdb),
                            healthy=fresh["currentHealthy"],
                            desired=fresh["desiredHealthy"],
                        )
                    )
        return violations


class QuorumWrites(Invariant):
    """Nothing is written while etcd has no quorum."""

    name = "quorum_writes"
    description = "nothing writes without quorum"
    precondition = "etcd lost quorum"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """A step that changed objects while a majority was down broke quorum."""
        if not cluster.store.has_quorum:
            history.met.add(self.name)
        if step is not None and step.changes and not cluster.store.has_quorum:
            return [
                self.violation(
                    f"{len(step.changes)} writes committed without quorum "
                    f"({len(cluster.store.down)} of {cluster.store.members} members down)",
                    writes=len(step.changes),
                )
            ]
        return []


class EventuallyStable(Invariant):
    """At a fixpoint: every ReplicaSet has its replicas, rollouts finished, endpoints exact.

    Checked after faults stop and the components ran to a fixpoint (``Cluster.settle``):
    matching active pods equal ``spec.replicas`` for every ReplicaSet; the newest ReplicaSet of a
    Deployment owns all of its replicas; and each Service's ready endpoints are exactly its Ready
    pods.
    """

    name = "eventually_stable"
    kind = "eventual"
    description = "the cluster reconciles to the desired state once faults stop"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare desired and actual state."""
        violations = []
        pods = _pods(cluster)
        schedulable = [n["metadata"]["name"] for n in cluster.store.list_objects("Node")]
        for rs in cluster.store.list_objects("ReplicaSet"):
            want = (rs.get("spec") or {}).get("replicas", 1)
            have = [
                p
                for p in pods
                if (controller_ref(p) or {}).get("uid") == rs["metadata"]["uid"]
                and _live(p)
                and p["metadata"].get("deletionTimestamp") is None
            ]
            if len(have) != want:
                violations.append(
                    self.violation(
                        f"replicaset {_name(rs)} has {len(have)} pods, wants {want}",
                        replicaset=_name(rs),
                        pods=len(have),
                        replicas=want,
                    )
                )
        for raw in cluster.store.list_objects("Deployment"):
            d = defaulted(cluster, raw)
            rss, dpods = _deployment_pods(cluster, d)
            replicas = d["spec"]["replicas"]
            template = d["spec"]["template"]
            new = [rs for rs in rss if _equal_ignore_hash(rs["spec"]["template"], template)]
            stragglers = [
                rs for rs in rss if rs not in new and (rs.get("spec") or {}).get("replicas", 0) > 0
            ]
            if not d["spec"].get("paused") and (
                not new or new[0]["spec"].get("replicas") != replicas or stragglers
            ):
                violations.append(
                    self.violation(
                        f"deployment {_name(d)} did not finish its rollout: "
                        f"new replicaset has {new[0]['spec'].get('replicas') if new else 0} "
                        f"of {replicas} replicas, {len(stragglers)} old replicasets still scaled",
                        deployment=_name(d),
                    )
                )
            unscheduled = [p for p in dpods if not (p.get("spec") or {}).get("nodeName")]
            if unscheduled and schedulable:
                # What the scheduler (or the API server, for a gated pod) wrote on the pod.
                scheduled: Mapping[str, Any] = next(
                    (
                        c
                        for c in (unscheduled[0].get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled"
                    ),
                    {},
                )
                reason, why = scheduled.get("reason") or "", scheduled.get("message") or ""
                violations.append(
                    self.violation(
                        f"deployment {_name(d)} has {len(unscheduled)} pods that never got a node"
                        + (f" ({reason}: {why})" if why else ""),
                        deployment=_name(d),
                        pending=len(unscheduled),
                        reason=reason,
                        scheduler_message=why,
                    )
                )
        violations.extend(self._stateful_sets(cluster))
        for service in cluster.store.list_objects("Service"):
            namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
            current = cluster.store.get(("Endpoints", namespace, name))

            desired = endpoints_for(service, cluster.store)
            if (current or {}).get("subsets") != desired["subsets"]:
                violations.append(
                    self.violation(
                        f"service {namespace}/{name} endpoints differ from its Ready pods",
                        service=f"{namespace}/{name}",
                    )
                )
        return violations

    def _stateful_sets(self, cluster: Cluster) -> list[Violation]:
        """Every StatefulSet has a Running, Ready pod for each ordinal in its range."""
        violations = []
        for sts in cluster.store.list_objects("StatefulSet"):
            spec = sts.get("spec") or {}
            namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
            start = int((spec.get("ordinals") or {}).get("start") or 0)
            want = int(spec.get("replicas", 1))
            missing = []
            why = ""
            for ordinal in range(start, start + want):
                pod = cluster.store.get(("Pod", namespace, f"{name}-{ordinal}"))
                scheduled: Mapping[str, Any] = next(
                    (
                        c
                        for c in ((pod or {}).get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled" and c.get("status") == "False"
                    ),
                    {},
                )
                if scheduled.get("message") and not why:
                    # What the scheduler wrote on the first member that never got a node.
                    why = f"; {name}-{ordinal}: {scheduled.get('reason')}: {scheduled['message']}"
                if not (
                    pod is not None
                    and (pod.get("status") or {}).get("phase") == "Running"
                    and is_pod_ready(pod)
                    and pod["metadata"].get("deletionTimestamp") is None
                ):
                    missing.append(f"{name}-{ordinal}")
            if missing:
                violations.append(
                    self.violation(
                        f"statefulset {namespace}/{name} has {want - len(missing)} of {want} "
                        f"pods Running and Ready (not: {', '.join(missing)}){why}",
                        statefulset=f"{namespace}/{name}",
                        missing=missing,
                    )
                )
        return violations


class DrainsComplete(Invariant):
    """At a fixpoint, every node being drained has no pods left that drain would evict.

    Drain leaves mirror pods and pods a DaemonSet controls be (``--ignore-daemonsets``).

    A drain that can never finish (a PodDisruptionBudget that allows no disruption, a pod that
    cannot be rescheduled) leaves the node cordoned with its pods forever.
    """

    name = "drains_complete"
    kind = "eventual"
    description = "every drain finishes once faults stop"
    precondition = "a drain started"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for live, non-mirror pods on draining nodes."""
        draining = sorted(cluster.memory.get("drain", {}).get("nodes", set()))
        if draining:
            history.met.add(self.name)
        violations = []
        for node in draining:
            stuck = [
                _name(p)
                for p in _pods(cluster)
                if (p.get("spec") or {}).get("nodeName") == node
                and _live(p)
                and not (p["metadata"].get("annotations") or {}).get("kubernetes.io/config.mirror")
                and (controller_ref(p) or {}).get("kind") != "DaemonSet"
            ]
            if stuck:
                violations.append(
                    self.violation(
                        f"drain of node {node} never finishes: "
                        f"{', '.join(stuck)} cannot be evicted",
                        node=node,
                        pods=stuck,
                    )
                )
        return violations


# ----------------------------------------------------------------------------- Jobs


def _job_pods(cluster: Cluster) -> dict[str, list[Mapping[str, Any]]]:
    """Job UID -> the pods it controls (by owner reference)."""
    by_job: dict[str, list[Mapping[str, Any]]] = {}
    for pod in _pods(cluster):
        ref = controller_ref(pod)
        if ref is not None and ref.get("kind") == "Job":
            by_job.setdefault(str(ref.get("uid")), []).append(pod)
    return by_job


def _job_active(pod: Mapping[str, Any]) -> bool:
    """Counted in a Job's ``status.active``: not terminal and not being deleted."""
    return _live(pod) and pod["metadata"].get("deletionTimestamp") is None


class JobParallelism(Invariant):
    """A Job never has more active pods than its ``parallelism`` (``manageJob``'s wantActive)."""

    name = "job_parallelism"
    description = "a Job never has more than parallelism active pods"
    precondition = "a Job had an active pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each Job's active pods."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)
        violations = []
        for job in cluster.store.list_objects("Job"):
            spec = job.get("spec") or {}
            parallelism = spec.get("parallelism")
            parallelism = 1 if parallelism is None else int(parallelism)
            active = [p for p in pods.get(job["metadata"]["uid"], []) if _job_active(p)]
            if active:
                history.met.add(self.name)
            if len(active) > parallelism:
                violations.append(
                    self.violation(
                        f"job {_name(job)} has {len(active)} active pods, "
                        f"parallelism is {parallelism}",
                        job=_name(job),
                        active=len(active),
                        parallelism=parallelism,
                    )
                )
        return violations


class JobFinishedNoNewPods(Invariant):
    """A Job with a Complete or Failed condition never gets a new pod."""

    name = "job_finished_no_new_pods"
    description = "a finished Job never gets new pods"
    precondition = "a Job finished"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each finished Job's pods with those it had when it finished."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)
        violations = []
        for job in cluster.store.list_objects("Job"):
            uid = job["metadata"]["uid"]
            uids = frozenset(p["metadata"]["uid"] for p in pods.get(uid, []))
            seen = history.finished_jobs.get(uid)
            if seen is None:
                finished = any(
                    c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
                    for c in (job.get("status") or {}).get("conditions") or []
                )
                if finished:
                    history.finished_jobs[uid] = uids
                    history.met.add(self.name)
                continue
            new = sorted(_name(p) for p in pods.get(uid, []) if p["metadata"]["uid"] not in seen)
            if new:
                violations.append(
                    self.violation(
                        f"finished job {_name(job)} got new pods: {', '.join(new)}",
                        job=_name(job),
                        pods=new,
                    )
                )
        return violations


class IndexedJobOnePodPerIndex(Invariant):
    """An Indexed Job never runs two pods of one index at once.

    With ``podReplacementPolicy: Failed`` (the default with a ``podFailurePolicy``) a pod
    counts until it reaches a terminal phase, terminating or not; with
    ``TerminatingOrFailed`` a terminating pod may overlap its replacement, so only active pods
    count.
    """

    name = "indexed_job_one_pod_per_index"
    description = "an Indexed Job never runs two pods of one index at once"
    precondition = "an Indexed Job had a running pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each index's running pods."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)
        violations: list[Violation] = []
        for job in cluster.store.list_objects("Job"):
            spec = job.get("spec") or {}
            if spec.get("completionMode") != "Indexed":
                continue
            replacement = spec.get("podReplacementPolicy") or (
                "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
            )
            counts: Counter[str] = Counter()
            for pod in pods.get(job["metadata"]["uid"], []):
                running = _live(pod) if replacement == "Failed" else _job_active(pod)
                index = (pod["metadata"].get("annotations") or {}).get(
                    "batch.kubernetes.io/job-completion-index"
                )
                if running and index is not None:
                    counts[str(index)] += 1
            if counts:
                history.met.add(self.name)
            violations.extend(
                self.violation(
                    f"indexed job {_name(job)} runs {n} pods of index {index}",
                    job=_name(job),
                    index=index,
                    pods=n,
                )
                for index, n in sorted(counts.items())
                if n > 1
            )
        return violations


class JobNotFailed(Invariant):
    """No Job fails: none gets a ``FailureTarget`` or ``Failed`` condition.

    Not an upstream guarantee but what a batch pipeline wants: the violation carries the
    Job controller's reason and message (BackoffLimitExceeded, PodFailurePolicy,
    DeadlineExceeded, FailedIndexes, MaxFailedIndexesExceeded).
    """

    name = "job_not_failed"
    description = "no Job fails"
    precondition = "a Job had a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for failure conditions."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)
        violations = []
        for job in cluster.store.list_objects("Job"):
            if pods.get(job["metadata"]["uid"]):
                history.met.add(self.name)
            condition = next(
                (
                    c
                    for c in (job.get("status") or {}).get("conditions") or []
                    if c.get("type") in {"FailureTarget", "Failed"} and c.get("status") == "True"
                ),
                None,
            )
            if condition is not None:
                violations.append(
                    self.violation(
                        f"job {_name(job)} failed: {condition.get('reason')}: "
                        f"{condition.get('message')}",
                        job=_name(job),
                        reason=condition.get("reason"),
                        failed=(job.get("status") or {}).get("failed", 0),
                    )
                )
        return violations


class JobCompleteConsistent(Invariant):
    """A Job is Complete only once enough of its pods succeeded, and its count never shrinks.

    Upstream's ``job_controller.go syncJob``: with ``completions`` set a Job completes when
    ``succeeded >= completions``; without, when a pod succeeded and none is active (the
    work-queue pattern). A finished Job is Complete or Failed, never both, and
    ``status.succeeded`` only grows (it counts pods tracked through their finalizers).
    Stated from the Job's own status.
    """

    name = "job_complete_consistent"
    description = "a Job is Complete only after completions pods succeeded; succeeded never drops"
    precondition = "a Job completed"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each Job's conditions against its counts, and its count against the last one."""
        if "Job" not in cluster.store.kind_revision:
            return []
        violations: list[Violation] = []
        for job in cluster.store.list_objects("Job"):
            status = job.get("status") or {}
            true = {
                c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"
            }
            succeeded = int(status.get("succeeded") or 0)
            uid = job["metadata"]["uid"]
            before = history.job_succeeded.get(uid, 0)
            history.job_succeeded[uid] = succeeded
            problems = []
            if succeeded < before:
                problems.append(f"status.succeeded dropped from {before} to {succeeded}")
            if "Complete" in true:
                history.met.add(self.name)
                completions = (job.get("spec") or {}).get("completions")
                if completions is not None and succeeded < int(completions):
                    problems.append(f"Complete with {succeeded} of {completions} succeeded")
                if completions is None and succeeded == 0:
                    problems.append("Complete without a succeeded pod")
                if int(status.get("active") or 0):
                    problems.append(f"Complete with {status.get('active')} active pods")
                if "Failed" in true:
                    problems.append("both Complete and Failed")
            violations.extend(
                self.violation(f"job {_name(job)}: {problem}", job=_name(job))
                for problem in problems
            )
        return violations


class CronJobForbidNoOverlap(Invariant):
    """A CronJob with ``concurrencyPolicy: Forbid`` never has two unfinished Jobs at once.

    A Job counts from its creation until it has a Complete or Failed condition or is deleted.
    """

    name = "cronjob_forbid_no_overlap"
    description = "a Forbid CronJob never runs two Jobs at once"
    precondition = "a Forbid CronJob had a running Job"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each Forbid CronJob's unfinished Jobs."""
        if "CronJob" not in cluster.store.kind_revision:
            return []
        running: dict[str, list[str]] = {}
        for job in cluster.store.list_objects("Job"):
            ref = controller_ref(job)
            finished = any(
                c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
                for c in (job.get("status") or {}).get("conditions") or []
            )
            deleting = job["metadata"].get("deletionTimestamp") is not None
            if ref is not None and ref.get("kind") == "CronJob" and not finished and not deleting:
                running.setdefault(str(ref.get("uid")), []).append(job["metadata"]["name"])
        violations: list[Violation] = []
        for cronjob in cluster.store.list_objects("CronJob"):
            if (cronjob.get("spec") or {}).get("concurrencyPolicy") != "Forbid":
                continue
            jobs = sorted(running.get(cronjob["metadata"]["uid"], []))
            if jobs:
                history.met.add(self.name)
            if len(jobs) > 1:
                violations.append(
                    self.violation(
                        f"cronjob {_name(cronjob)} with concurrencyPolicy Forbid runs "
                        f"{len(jobs)} jobs at once: {', '.join(jobs)}",
                        cronjob=_name(cronjob),
                        jobs=jobs,
                    )
                )
        return violations


def _hpa_rescales(
    cluster: Cluster, history: History, owner: str
) -> list[tuple[Mapping[str, Any], int, int]]:
    """HPAs whose status says they rescaled their target now: (hpa, from, to), once per owner.

    Each invariant (``owner``) keeps its own record in ``history.hpa_scales``.
    """
    found = []
    for hpa in cluster.store.list_objects("HorizontalPodAutoscaler"):
        status = hpa.get("status") or {}
        at = status.get("lastScaleTime")
        if at is None or at != cluster.now:
            continue
        seen = history.hpa_scales.setdefault(f"{owner}:{_name(hpa)}", [])
        record = (at, int(status.get("currentReplicas", 0)), int(status.get("desiredReplicas", 0)))
        if record not in seen:
            seen.append(record)
            found.append((hpa, record[1], record[2]))
    return found


class HpaWithinBounds(Invariant):
    """Every rescale by a HorizontalPodAutoscaler lands within its min and max replicas.

    ``reconcileAutoscaler`` clamps a target above ``maxReplicas`` or below ``minReplicas`` into
    the range and limits every metric-driven count to it; a target at zero is left alone.
    """

    name = "hpa_within_bounds"
    description = "an HPA never scales its target outside [minReplicas, maxReplicas]"
    precondition = "an HPA rescaled its target"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each new rescale in the HPAs' status with their spec."""
        violations = []
        for hpa, _, to in _hpa_rescales(cluster, history, self.name):
            history.met.add(self.name)
            spec = hpa.get("spec") or {}
            low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 0))
            if not low <= to <= high:
                violations.append(
                    self.violation(
                        f"HPA {_name(hpa)} scaled its target to {to}, outside [{low}, {high}]",
                        hpa=_name(hpa),
                        replicas=to,
                        min=low,
                        max=high,
                    )
                )
        return violations


class HpaNoFlapping(Invariant):
    """No HPA scale-down below a count it scaled up to within its scale-down stabilization window.

    A scale-up to N records a recommendation of at least N; while it is inside the window
    (``behavior.scaleDown.stabilizationWindowSeconds``, 300 s by default and without
    ``behavior``) the stabilized count never drops below N unless the target was already
    below N or above ``maxReplicas``.
    """

    name = "hpa_no_flapping"
    description = "no HPA scale-down within the stabilization window of a higher scale-up"
    precondition = "an HPA scaled its target down"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Each new scale-down against the scale-ups still inside the window."""
        violations = []
        for hpa, start, to in _hpa_rescales(cluster, history, self.name):
            if to >= start:
                continue
            history.met.add(self.name)
            spec = hpa.get("spec") or {}
            window = int(
                ((spec.get("behavior") or {}).get("scaleDown") or {}).get(
                    "stabilizationWindowSeconds", 300
                )
            )
            if start > int(spec.get("maxReplicas", start)):
                continue
            held = [
                (at, up)
                for at, before, up in history.hpa_scales[f"{self.name}:{_name(hpa)}"]
                if up > before and cluster.now - at < window and to < up <= start
            ]
            if held:
                at, up = held[-1]
                violations.append(
                    self.violation(
                        f"HPA {_name(hpa)} scaled down from {start} to {to} "
                        f"{cluster.now - at}s after scaling up to {up} (window {window}s)",
                        hpa=_name(hpa),
                        scaled_up_to=up,
                        scaled_down_to=to,
                        seconds=cluster.now - at,
                        window=window,
                    )
                )
        return violations


# ----------------------------------------------------------------- pods: kubelet, pod GC, volumes
# Stated from the pod's own status fields, never through kmodel.semantics.pods (the kubelet
# derives its status with it: a bug there must not move the check).


def _conditions(pod: Mapping[str, Any]) -> dict[str, str]:
    """A pod's condition statuses by type."""
    return {
        str(c.get("type")): str(c.get("status"))
        for c in (pod.get("status") or {}).get("conditions") or []
    }


def _is_sidecar(container: Mapping[str, Any]) -> bool:
    """An init container with ``restartPolicy: Always`` (a sidecar: it keeps running)."""
    return container.get("restartPolicy") == "Always"


def _statuses(pod: Mapping[str, Any], field_name: str) -> dict[str, Mapping[str, Any]]:
    return {str(s.get("name")): s for s in (pod.get("status") or {}).get(field_name) or []}


def _terminated(status: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return ((status or {}).get("state") or {}).get("terminated")


class PodPhaseConsistent(Invariant):
    """A pod's phase agrees with its containers' exits and its restart policy.

    Upstream promises (``kubelet_pods.go getPhase``, ``kuberuntime_manager.go
    computePodActions`` with ``ShouldContainerBeRestarted``; the pod lifecycle documentation):
    a pod is Succeeded only when every regular container terminated with exit code 0; under
    ``restartPolicy: Never`` no container (regular or regular init) is ever restarted; under
    ``OnFailure`` (and for regular init containers under ``Always``) a container is restarted
    only after it failed, so a restarted one's last termination has a non-zero exit code.
    """

    name = "pod_phase_consistent"
    description = "phase and restarts follow container exits and the restart policy"
    precondition = "a pod Succeeded, or a container of a pod restarting only on failure exited"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every pod (once per stored version)."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            problems, exercised = cluster.derive("pod-phase-consistent", pod, _phase_problems)
            if exercised:
                history.met.add(self.name)
            violations.extend(
                self.violation(f"pod {_name(pod)}: {problem}", pod=_name(pod))
                for problem in problems
            )
        return violations


def _phase_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`PodPhaseConsistent` for one pod, and whether it was exercised."""
    spec = pod.get("spec") or {}
    policy = spec.get("restartPolicy") or "Always"
    phase = (pod.get("status") or {}).get("phase")
    regular = _statuses(pod, "containerStatuses")
    init = _statuses(pod, "initContainerStatuses")
    problems: list[str] = []
    exercised = phase == "Succeeded"
    if phase == "Succeeded":
        for container in spec.get("containers") or []:
            terminated = _terminated(regular.get(container.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"Succeeded but container {container.get('name')} did not exit 0 "
                    f"(state {(regular.get(container.get('name')) or {}).get('state')})"
                )
    # getPhase: with no container left to run (Never, or OnFailure after exits 0) the phase the
    # kubelet writes with these statuses is terminal, in the same status update.
    ended = [_terminated(regular.get(c.get("name"))) for c in spec.get("containers") or []]
    done = bool(ended) and all(
        t is not None and (policy == "Never" or t.get("exitCode") == 0) for t in ended
    )
    if policy != "Always" and done and phase in {"Pending", "Running"}:
        problems.append(
            f"{phase} although every container has exited for good (restartPolicy {policy})"
        )
    checked = [(c, regular.get(c.get("name")), policy) for c in spec.get("containers") or []]
    checked += [
        (c, init.get(c.get("name")), "Never" if policy == "Never" else "OnFailure")
        for c in spec.get("initContainers") or []
        if not _is_sidecar(c)
    ]
    for container, status, effective in checked:
        if effective == "Always" or status is None:
            continue
        if _terminated(status) is not None or status.get("lastState"):
            exercised = True
        restarts = int(status.get("restartCount") or 0)
        if restarts and effective == "Never":
            problems.append(
                f"container {container.get('name')} restarted {restarts} times under "
                "restartPolicy Never"
            )
        last = _terminated(status.get("lastState"))
        if restarts and effective == "OnFailure" and last is not None and last.get("exitCode") == 0:
            problems.append(
                f"container {container.get('name')} restarted after exiting 0 "
                f"(restartPolicy {policy})"
            )
    return tuple(problems), exercised


class InitContainersFirst(Invariant):
    """Regular containers start only after every (non-sidecar) init container completed.

    Upstream promises it (``kuberuntime_manager.go computePodActions`` /
    ``computeInitContainerActions``; the init-containers documentation: "each init container
    must complete successfully before the next one starts", and app containers start after
    all of them): while a regular container runs, each regular init container's status shows
    it terminated with exit code 0; while an init container runs, so do those before it.
    """

    name = "init_containers_first"
    description = "regular containers start only after every init container completed"
    precondition = "a pod with init containers ran a regular container"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every pod with init containers."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            problems, exercised = cluster.derive("init-containers-first", pod, _init_problems)
            if exercised:
                history.met.add(self.name)
            violations.extend(
                self.violation(f"pod {_name(pod)}: {problem}", pod=_name(pod))
                for problem in problems
            )
        return violations


def _init_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`InitContainersFirst` for one pod, and whether it was exercised.

    Only containers running now are judged: after a sandbox is recreated (a rebooted node)
    the init containers run again while the regular ones keep the state of their last run.
    """
    spec = pod.get("spec") or {}
    inits = [c for c in spec.get("initContainers") or [] if not _is_sidecar(c)]
    if not inits:
        return (), False
    statuses = _statuses(pod, "initContainerStatuses")

    def running(status: Mapping[str, Any] | None) -> bool:
        return ((status or {}).get("state") or {}).get("running") is not None

    problems = []
    exercised = False
    for index, container in enumerate(inits):
        if not running(statuses.get(container.get("name"))):
            continue
        for before in inits[:index]:
            terminated = _terminated(statuses.get(before.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"init container {container.get('name')} runs before init container "
                    f"{before.get('name')} completed"
                )
    for name, status in _statuses(pod, "containerStatuses").items():
        if not running(status):
            continue
        exercised = True
        for container in inits:
            terminated = _terminated(statuses.get(container.get("name")))
            if terminated is None or terminated.get("exitCode") != 0:
                problems.append(
                    f"container {name} runs before init container {container.get('name')} completed"
                )
    return tuple(problems), exercised


class PodReadyConsistent(Invariant):
    """A pod is Ready only when every container is ready and every readiness gate holds.

    Upstream promises it (``pkg/kubelet/status/generate.go GeneratePodReadyCondition`` and
    ``GenerateContainersReadyCondition``; the pod readiness-gate documentation): ``Ready=True``
    needs every regular container and every sidecar ready, and each ``readinessGates``
    condition present with status True; a terminal pod is never Ready.
    """

    name = "pod_ready_consistent"
    description = "Ready only when every container is ready and the readiness gates hold"
    precondition = "a pod was Ready"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every Ready pod."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            problems, exercised = cluster.derive("pod-ready-consistent", pod, _ready_problems)
            if exercised:
                history.met.add(self.name)
            violations.extend(
                self.violation(f"pod {_name(pod)} is Ready but {problem}", pod=_name(pod))
                for problem in problems
            )
        return violations


def _ready_problems(pod: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """What breaks :class:`PodReadyConsistent` for one pod, and whether it was exercised."""
    conditions = _conditions(pod)
    if conditions.get("Ready") != "True":
        return (), False
    spec = pod.get("spec") or {}
    problems = []
    phase = (pod.get("status") or {}).get("phase")
    if phase in {"Succeeded", "Failed"}:
        problems.append(f"its phase is {phase}")
    regular = _statuses(pod, "containerStatuses")
    init = _statuses(pod, "initContainerStatuses")
    wanted = [(c, regular) for c in spec.get("containers") or []]
    wanted += [(c, init) for c in spec.get("initContainers") or [] if _is_sidecar(c)]
    for container, statuses in wanted:
        status = statuses.get(container.get("name")) or {}
        if status.get("ready") is not True:
            problems.append(f"container {container.get('name')} is not ready")
    for gate in spec.get("readinessGates") or []:
        kind = gate.get("conditionType")
        if conditions.get(str(kind)) != "True":
            problems.append(f"readiness gate {kind} is {conditions.get(str(kind), 'absent')}")
    return tuple(problems), True


class PodGcSafe(Invariant):
    """Pod GC never deletes a pod that may still run on a live node.

    Upstream promises it (``pkg/controller/podgc/gc_controller.go``): the collector deletes
    terminated pods (``gcTerminated``), pods whose node is gone (``gcOrphaned``, after
    confirming the Node is absent), terminating pods on a node tainted
    ``node.kubernetes.io/out-of-service`` (``gcTerminating``) and unscheduled terminating pods
    (``gcUnscheduledTerminating``). A pod it deletes is one of those: never a live pod bound
    to an existing Node without the out-of-service taint.
    """

    name = "pod_gc_safe"
    description = "pod GC never deletes a pod running on a live node"
    precondition = "pod GC deleted a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each pod the step's pod GC deleted by its last state."""
        if step is None or step.action.name != "podgc":
            return []
        deleted = {
            (c.namespace, c.name) for c in step.changes if c.kind == "Pod" and c.type == "DELETED"
        }
        violations: list[Violation] = []
        # The deleting write is among the step's last few events (podgc deletes one pod).
        for event in reversed(cluster.store.log[-8:]):
            namespace, name = event.key[1], event.key[2]
            if event.type != "DELETED" or event.key[0] != "Pod" or (namespace, name) not in deleted:
                continue
            deleted.discard((namespace, name))
            history.met.add(self.name)
            pod = event.object
            node_name = (pod.get("spec") or {}).get("nodeName")
            node = cluster.store.get(("Node", "", str(node_name))) if node_name else None
            if node is None or not _live(pod):
                continue
            out_of_service = any(
                t.get("key") == "node.kubernetes.io/out-of-service"
                for t in (node.get("spec") or {}).get("taints") or []
            )
            if pod["metadata"].get("deletionTimestamp") is not None and out_of_service:
                continue
            violations.append(
                self.violation(
                    f"pod GC deleted pod {namespace}/{name}, live on existing node {node_name}",
                    pod=f"{namespace}/{name}",
                    node=node_name,
                )
            )
        return violations


_ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


class VolumeZoneMatches(Invariant):
    """A bound PV's zone and node affinity admit the node of every pod that uses it.

    Upstream promises it (``volumebinding`` and ``volumezone`` Filter plugins; the
    persistent-volumes documentation on node affinity): a pod using a claim bound to a volume
    runs only on a node that the volume's ``nodeAffinity`` required terms select and whose
    zone label is among the volume's zone labels (a ``__``-separated set).
    """

    name = "volume_zone_matches"
    description = "every pod using a bound PV runs on a node in the PV's zone"
    precondition = "a pod using a bound volume got a node"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check each bound pod's claims."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            node_name = (pod.get("spec") or {}).get("nodeName")
            if not node_name or not _live(pod):
                continue
            claims = [
                (v.get("persistentVolumeClaim") or {}).get("claimName")
                for v in (pod.get("spec") or {}).get("volumes") or []
                if v.get("persistentVolumeClaim")
            ]
            node = cluster.store.get(("Node", "", str(node_name)))
            if not claims or node is None:
                continue
            labels = labels_of(node)
            for claim_name in claims:
                claim = cluster.store.get(
                    ("PersistentVolumeClaim", pod["metadata"]["namespace"], str(claim_name))
                )
                volume_name = ((claim or {}).get("spec") or {}).get("volumeName")
                volume = cluster.store.get(("PersistentVolume", "", str(volume_name)))
                if volume is None:
                    continue
                history.met.add(self.name)
                problem = _volume_mismatch(volume, labels)
                if problem:
                    violations.append(
                        self.violation(
                            f"pod {_name(pod)} on node {node_name} uses volume "
                            f"{volume['metadata']['name']}: {problem}",
                            pod=_name(pod),
                            node=node_name,
                            volume=volume["metadata"]["name"],
                        )
                    )
        return violations


def _volume_mismatch(volume: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """Why a node's labels are outside a volume's zone or node affinity ("" when inside)."""
    volume_labels = labels_of(volume)
    for key in _ZONE_LABELS:
        if key in volume_labels and labels.get(key) not in volume_labels[key].split("__"):
            return f"{key} {labels.get(key)!r} is not in {volume_labels[key]!r}"
    required = (((volume.get("spec") or {}).get("nodeAffinity") or {}).get("required")) or {}
    terms = required.get("nodeSelectorTerms") or []
    if terms and not any(_term_matches(term, labels) for term in terms):
        return "no nodeAffinity term selects the node"
    return ""


def _term_matches(term: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A node selector term (``matchExpressions`` on labels; ``matchFields`` unsupported here)."""
    for requirement in term.get("matchExpressions") or []:
        key, operator = requirement.get("key"), requirement.get("operator")
        values = [str(v) for v in requirement.get("values") or []]
        value = labels.get(str(key))
        if operator == "In" and value not in values:
            return False
        if operator == "NotIn" and value in values:
            return False
        if operator == "Exists" and value is None:
            return False
        if operator == "DoesNotExist" and value is not None:
            return False
        if operator in {"Gt", "Lt"}:
            try:
                number, bound = int(str(value)), int(values[0])
            except (TypeError, ValueError, IndexError):
                return False
            if (operator == "Gt" and not number > bound) or (
                operator == "Lt" and not number < bound
            ):
                return False
    return True


class LostNodePodsNotReady(Invariant):
    """Once the node lifecycle controller ran, a node without heartbeats and its pods are not Ready.

    Upstream promises it (``node_lifecycle_controller.go monitorNodeHealth`` with
    ``tryUpdateNodeHealth`` and ``MarkPodsNotReady``): a node whose last heartbeat is older
    than ``--node-monitor-grace-period`` gets ``Ready=Unknown``, and every pod bound to it gets
    ``Ready=False``. Judged right after the controller checked the node (later, a healed
    kubelet may report its pods before its node, as upstream).
    """

    name = "lost_node_pods_not_ready"
    description = "pods on a node without heartbeats are not Ready after node lifecycle ran"
    precondition = "the node lifecycle controller checked a node whose heartbeat was too old"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """After each node-health step, judge the node it checked."""
        if step is None or step.action.name != "node-health" or not step.changes:
            return []  # only a check whose writes went through (not one without quorum)
        node_name = str(getattr(step.action, "node", ""))
        node = cluster.store.get(("Node", "", node_name))
        if node is None:
            return []
        ready = next(
            (
                c
                for c in (node.get("status") or {}).get("conditions") or []
                if c.get("type") == "Ready"
            ),
            None,
        )
        if ready is None or ready.get("lastHeartbeatTime") is None:
            return []
        stale = (
            int(ready["lastHeartbeatTime"]) + cluster.config.node_monitor_grace_period < cluster.now
        )
        if not stale and ready.get("status") != "Unknown":
            return []
        history.met.add(self.name)
        violations = []
        if ready.get("status") == "True":
            violations.append(
                self.violation(
                    f"node {node_name} is Ready with its last heartbeat at "
                    f"{ready['lastHeartbeatTime']} (now {cluster.now})",
                    node=node_name,
                )
            )
        for pod in _pods(cluster):
            if (pod.get("spec") or {}).get("nodeName") != node_name or not _live(pod):
                continue
            if _conditions(pod).get("Ready") == "True":
                violations.append(
                    self.violation(
                        f"pod {_name(pod)} on node {node_name} (no heartbeat) is still Ready",
                        pod=_name(pod),
                        node=node_name,
                    )
                )
        return violations


def _tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Whether a toleration matches a taint, restated from ``v1.Toleration.ToleratesTaint``."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return bool(key) and (toleration.get("value") or "") == (taint.get("value") or "")


class TaintEvictionTiming(Invariant):
    """Taint eviction deletes a pod only once a NoExecute taint is no longer tolerated.

    Upstream promises it (``pkg/controller/tainteviction/taint_eviction.go``
    ``processPodOnNode`` and ``getMinTolerationTime``; the taints-and-tolerations
    documentation): a pod is deleted at once for a NoExecute taint it does not tolerate, after
    the smallest ``tolerationSeconds`` of the matching tolerations since the taint's
    ``timeAdded``, and never for a taint a toleration without ``tolerationSeconds`` matches.
    Judged on each eviction (the "never before" half; a pod left past its time shows in
    ``eventually_stable``).
    """

    name = "taint_eviction_timing"
    description = "NoExecute taints evict no pod before its tolerationSeconds"
    precondition = "taint eviction deleted a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the pod each taint-evict step deleted."""
        if step is None or step.action.name != "taint-evict":
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        name = str(getattr(step.action, "pod", ""))
        pod = cluster.store.get(("Pod", namespace, name))
        if pod is None or not any(c.kind == "Pod" and c.name == name for c in step.changes):
            return []
        history.met.add(self.name)
        node = cluster.store.get(("Node", "", str((pod.get("spec") or {}).get("nodeName"))))
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        for taint in ((node or {}).get("spec") or {}).get("taints") or []:
            if taint.get("effect") != "NoExecute":
                continue
            matching = [t for t in tolerations if _tolerates(t, taint)]
            if not matching:
                return []
            seconds = [t.get("tolerationSeconds") for t in matching]
            if all(s is not None for s in seconds) and cluster.now >= int(
                taint.get("timeAdded") or 0
            ) + min(max(int(s), 0) for s in seconds if s is not None):
                return []
        return [
            self.violation(
                f"taint eviction deleted pod {namespace}/{name} before any NoExecute taint's "
                f"tolerationSeconds ran out (now {cluster.now})",
                pod=f"{namespace}/{name}",
            )
        ]


class ReplicaSetScaleSafe(Invariant):
    """A ReplicaSet sync never creates past its replicas, nor deletes a pod it should keep.

    Upstream promises it (``pkg/controller/replicaset/replica_set.go manageReplicas`` with
    its expectations, and ``getPodsToDelete`` with ``controller_utils.go
    ActivePodsWithRanks``): after a sync that created pods, the ReplicaSet owns at most
    ``spec.replicas`` active pods (expectations keep a stale cache from creating twice); a
    sync that scales down deletes the lowest-ranked pods first. The ranking is restated here
    by its leading rules — assigned over unassigned, Running over Unknown over Pending, Ready
    over not Ready, higher ``controller.kubernetes.io/pod-deletion-cost`` first, fewer active
    pods of related ReplicaSets on the same node — and a deleted pod strictly above a kept one
    on these is a violation (ties are broken by rules not restated: never flagged). The
    ranking is judged only while the controller's cache is in sync (a lagging cache ranks by
    what it saw, upstream too).
    """

    name = "replicaset_scale_safe"
    description = (
        "a ReplicaSet never creates past replicas nor deletes a pod ranked above one it keeps"
    )
    precondition = "a ReplicaSet sync created or deleted pods"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the ReplicaSet the step synced."""
        if step is None or step.action.name != "replicaset-sync" or not step.changes:
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        rs = cluster.store.get(
            ("ReplicaSet", namespace, str(getattr(step.action, "replicaset", "")))
        )
        if rs is None:
            return []
        uid = rs["metadata"]["uid"]
        touched = {c.name: c for c in step.changes if c.kind == "Pod" and c.namespace == namespace}
        if not touched:
            return []
        # The step's own writes are the last events of the log (a sync hides none).
        last = {
            e.key[2]: e
            for e in cluster.store.log[-len(step.changes) :]
            if e.key[0] == "Pod" and e.key[1] == namespace
        }
        owned = [
            p
            for p in _pods(cluster)
            if p["metadata"]["namespace"] == namespace
            and any(
                r.get("uid") == uid and r.get("controller")
                for r in p["metadata"].get("ownerReferences") or []
            )
        ]
        deleted = [
            e.object
            for name, e in last.items()
            if name in touched
            and (e.type == "DELETED" or e.object["metadata"].get("deletionTimestamp") is not None)
            and any(r.get("uid") == uid for r in e.object["metadata"].get("ownerReferences") or [])
        ]
        created = [name for name, e in last.items() if e.type == "ADDED" and name in touched]
        history.met.add(self.name)
        violations: list[Violation] = []
        active = [p for p in owned if _live(p) and p["metadata"].get("deletionTimestamp") is None]
        replicas = int((rs.get("spec") or {}).get("replicas", 1))
        if created and len(active) > replicas:
            violations.append(
                self.violation(
                    f"replicaset {_name(rs)} created pods up to {len(active)} active, "
                    f"wants {replicas}",
                    replicaset=_name(rs),
                    active=len(active),
                    replicas=replicas,
                )
            )
        informer = cluster.informers["replicaset"]
        if not deleted or not active or informer.lagging or informer.dropped:
            return violations
        on_node = Counter(
            (p.get("spec") or {}).get("nodeName") or ""
            for p in _related_pods(cluster, rs)
            if _live(p)
            and (p["metadata"].get("deletionTimestamp") is None or p["metadata"]["name"] in touched)
        )
        kept_best = min(active, key=lambda p: _keep_rank(p, on_node))
        violations.extend(
            self.violation(
                f"replicaset {_name(rs)} deleted pod {_name(pod)} but kept "
                f"{_name(kept_best)}, which ranks for deletion before it",
                replicaset=_name(rs),
                deleted=_name(pod),
                kept=_name(kept_best),
            )
            for pod in deleted
            if _keep_rank(pod, on_node) > _keep_rank(kept_best, on_node)
        )
        return violations


def _related_pods(cluster: Cluster, rs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Pods of the ReplicaSets with the same controller as ``rs`` (or of ``rs`` alone)."""
    owner = next(
        (r for r in rs["metadata"].get("ownerReferences") or [] if r.get("controller")), None
    )
    namespace = rs["metadata"]["namespace"]
    if owner is None:
        uids = {rs["metadata"]["uid"]}
    else:
        uids = {
            other["metadata"]["uid"]
            for other in cluster.store.list_objects("ReplicaSet", namespace)
            if any(
                r.get("uid") == owner.get("uid") and r.get("controller")
                for r in other["metadata"].get("ownerReferences") or []
            )
        }
    return [
        p
        for p in cluster.store.list_objects("Pod", namespace)
        if any(
            r.get("uid") in uids and r.get("controller")
            for r in p["metadata"].get("ownerReferences") or []
        )
    ]


def _keep_rank(pod: Mapping[str, Any], on_node: Counter[str]) -> tuple[int, int, int, int, int]:
    """How much a pod should be kept, by the leading rules of ``ActivePodsWithRanks``."""
    spec = pod.get("spec") or {}
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(
        str((pod.get("status") or {}).get("phase")), 0
    )
    ready = 1 if _conditions(pod).get("Ready") == "True" else 0
    raw = (pod["metadata"].get("annotations") or {}).get(
        "controller.kubernetes.io/pod-deletion-cost"
    )
    try:
        cost = int(str(raw)) if raw is not None else 0
    except ValueError:
        cost = 0
    if not -(2**31) <= cost < 2**31:
        cost = 0
    node = spec.get("nodeName") or ""
    return (1 if node else 0, phase, ready, cost, -on_node.get(node, 0))


class BindingPassesFilters(Invariant):
    """Every binding the scheduler makes passes the default profile's node filters.

    Upstream promises it (``schedule_one.go findNodesThatFitPod`` runs every Filter plugin of
    the default profile before a node can be chosen): restated here from the objects for
    NodeUnschedulable (a cordoned node is taken only by a pod tolerating
    ``node.kubernetes.io/unschedulable:NoSchedule``), TaintToleration (every NoSchedule and
    NoExecute taint tolerated), NodeAffinity (``nodeSelector`` and the required node
    affinity terms), NodePorts (no host port in use on the node) and NodeResourcesFit (the
    node's other live pods plus this one within cpu, memory and pods). Volume topology is
    :class:`VolumeZoneMatches`. InterPodAffinity and PodTopologySpread are restated too (see
    :func:`_pod_affinity_failures` and :func:`_spread_failures`).
    A pod with ``schedulingGates`` is never bound (the SchedulingGates PreEnqueue plugin keeps
    it out of the queue). Judged on each scheduler binding while its cache is in sync (a stale
    cache filters what it saw, upstream too).
    """

    name = "binding_passes_filters"
    description = "every binding passes the default profile's node filters at bind time"
    precondition = "the scheduler bound a pod with its cache in sync"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the pod the step bound against its node as the store holds them."""
        if step is None or step.action.name != "schedule" or not step.changes:
            return []
        informer = cluster.informers["scheduler"]
        if informer.lagging or informer.dropped:
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        pod = cluster.store.get(("Pod", namespace, str(getattr(step.action, "pod", ""))))
        node_name = (pod or {}).get("spec", {}).get("nodeName")
        node = cluster.store.get(("Node", "", str(node_name))) if node_name else None
        if pod is None or node is None:
            return []
        history.met.add(self.name)
        others = [
            p
            for p in _pods(cluster)
            if (p.get("spec") or {}).get("nodeName") == node_name
            and _live(p)
            and p["metadata"]["uid"] != pod["metadata"]["uid"]
        ]
        return [
            self.violation(
                f"scheduler bound {_name(pod)} to {node_name}, which fails {problem}",
                pod=_name(pod),
                node=node_name,
            )
            for problem in _filter_failures(cluster, pod, node, others)
        ]


def _filter_failures(
    cluster: Cluster,
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
) -> list[str]:
    """The restated filters of :class:`BindingPassesFilters` that ``node`` fails for ``pod``."""
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    node_spec = node.get("spec") or {}
    failures = []
    if spec.get("schedulingGates"):  # PreEnqueue: a gated pod never enters the active queue
        failures.append("SchedulingGates (the pod is still gated)")
    cordon = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    if node_spec.get("unschedulable") and not any(_tolerates(t, cordon) for t in tolerations):
        failures.append("NodeUnschedulable")
    failures.extend(
        f"TaintToleration ({taint.get('key')}:{taint.get('effect')})"
        for taint in node_spec.get("taints") or []
        if taint.get("effect") in {"NoSchedule", "NoExecute"}
        and not any(_tolerates(t, taint) for t in tolerations)
    )
    labels = labels_of(node)
    selector = spec.get("nodeSelector") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if any(labels.get(k) != v for k, v in selector.items()) or (
        terms and not any(_term_matches(term, labels) for term in terms)
    ):
        failures.append("NodeAffinity")
    in_use = [_host_port(p) for o in others for p in _container_ports(o) if p.get("hostPort")]
    failures.extend(
        f"NodePorts ({port.get('hostPort')})"
        for port in _container_ports(pod)
        if port.get("hostPort") and any(_ports_conflict(_host_port(port), u) for u in in_use)
    )
    placed = _placed_pods(cluster, pod)
    failures.extend(_pod_affinity_failures(pod, node, placed))
    failures.extend(_spread_failures(cluster, pod, node, placed))
    allocatable = cluster.derive("allocatable", node, node_allocatable)
    if "pods" in allocatable and len(others) + 1 > allocatable["pods"]:
        failures.append("NodeResourcesFit (pods)")
    for resource in ("cpu", "memory"):
        wanted = pod_requests(pod).get(resource, 0)
        requested = sum(pod_requests(p).get(resource, 0) for p in others)
        if wanted and requested + wanted > allocatable.get(resource, 0):
            failures.append(f"NodeResourcesFit ({resource})")
    return failures


def _placed_pods(
    cluster: Cluster, pod: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Mapping[str, str], bool]]:
    """Every other pod bound to a node: the pod, its node's labels, and whether it surely counts.

    Upstream's filters see the scheduler's cache, which keeps a deleted pod until its delete
    event and may or may not hold terminal ones: "surely counts" is a live pod not being
    deleted, so a check that needs a pod to exist may use every bound pod and one that needs a
    pod absent only the sure ones (no false alarm on what the cache may hold).
    """
    labels_by_node = {
        n["metadata"]["name"]: labels_of(n) for n in cluster.store.list_objects("Node")
    }
    return [
        (p, labels_by_node[node], _live(p) and not p["metadata"].get("deletionTimestamp"))
        for p in _pods(cluster)
        if (node := (p.get("spec") or {}).get("nodeName")) in labels_by_node
        and p["metadata"]["uid"] != pod["metadata"]["uid"]
    ]


def _required_terms(pod: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or [])


def _term_selects(
    term: Mapping[str, Any], owner: Mapping[str, Any], other: Mapping[str, Any]
) -> bool | None:
    """Whether a pod (anti-)affinity term of ``owner`` selects ``other`` (None: cannot tell).

    Restated from ``framework.AffinityTerm.Matches``: the term's namespaces (the owner's own
    when it names none and has no namespace selector; every namespace for an empty selector)
    and its label selector. A non-empty namespace selector needs the Namespace objects'
    labels, which the model does not keep: such a term is not judged.
    """
    namespaces = set(term.get("namespaces") or [])
    namespace_selector = term.get("namespaceSelector")
    if namespace_selector:
        return None
    other_namespace = other["metadata"].get("namespace")
    if namespace_selector is None and not namespaces:
        namespaces = {owner["metadata"].get("namespace")}
    if namespace_selector is None and other_namespace not in namespaces:
        return False
    return selector_matches(term.get("labelSelector"), labels_of(other))


def _pod_affinity_failures(
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    placed: Sequence[tuple[Mapping[str, Any], Mapping[str, str], bool]],
) -> list[str]:
    """InterPodAffinity, restated from upstream's ``interpodaffinity/filtering.go``.

    Three rules: no sure pod in the node's topology domain of an anti-affinity term of the
    incoming pod matches it; no sure pod's own anti-affinity term selects the incoming pod in
    that pod's domain; and every affinity term has a matching bound pod in the node's domain,
    unless no bound pod matches all the terms and the incoming pod matches them itself (the
    first pod of a group, ``satisfyPodAffinity``).
    """
    labels = labels_of(node)
    failures = []
    for term in _required_terms(pod, "podAntiAffinity"):
        key = term.get("topologyKey")
        if key in labels and any(
            sure and other_labels.get(key) == labels[key] and _term_selects(term, pod, other)
            for other, other_labels, sure in placed
        ):
            failures.append(f"InterPodAffinity (anti-affinity {key})")
    for other, other_labels, sure in placed:
        for term in _required_terms(other, "podAntiAffinity") if sure else []:
            key = term.get("topologyKey")
            if (
                key in labels
                and other_labels.get(key) == labels[key]
                and _term_selects(term, other, pod)
            ):
                failures.append(f"InterPodAffinity (existing pod {_name(other)}'s anti-affinity)")
    terms = _required_terms(pod, "podAffinity")
    if any(_term_selects(term, pod, pod) is None for term in terms):
        return failures
    keys = {term.get("topologyKey") for term in terms}
    matching = [
        (other_labels, sure)
        for other, other_labels, sure in placed
        if keys & other_labels.keys() and all(_term_selects(term, pod, other) for term in terms)
    ]
    first = not any(sure for _, sure in matching) and all(_term_selects(t, pod, pod) for t in terms)
    for term in terms:
        key = term.get("topologyKey")
        if key not in labels:
            failures.append(f"InterPodAffinity (affinity {key}: node has no such label)")
        elif not first and not any(other.get(key) == labels[key] for other, _ in matching):
            failures.append(f"InterPodAffinity (affinity {key})")
    return failures


def _spread_failures(
    cluster: Cluster,
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    placed: Sequence[tuple[Mapping[str, Any], Mapping[str, str], bool]],
) -> list[str]:
    """PodTopologySpread's filter, restated from upstream's ``podtopologyspread/filtering.go``.

    For each ``DoNotSchedule`` constraint: the node has the topology key, and the count of
    matching pods in its domain plus the incoming pod (if it matches) minus the least count
    over the eligible domains is at most ``maxSkew``. Eligible nodes have every constraint's
    key and, by the default policies, pass the pod's node selector and required node
    affinity (``nodeAffinityPolicy: Honor``) with taints ignored (``nodeTaintsPolicy:
    Ignore``; with Honor, untolerated NoSchedule/NoExecute taints exclude a node). Counted:
    pods of the incoming pod's namespace matching the selector (``matchLabelKeys`` added),
    the node's domain counting sure pods only and the least domain every bound pod (so the
    skew judged is never above upstream's). ``minDomains`` only raises upstream's skew, so it
    is left out (no false alarm).
    """
    spec = pod.get("spec") or {}
    constraints = [
        c
        for c in spec.get("topologySpreadConstraints") or []
        if c.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
    ]
    if not constraints:
        return []
    labels = labels_of(node)
    pod_labels = labels_of(pod)
    keys = [c.get("topologyKey") for c in constraints]
    failures = []
    for constraint in constraints:
        key = constraint.get("topologyKey")
        if key not in labels:
            failures.append(f"PodTopologySpread ({key}: node has no such label)")
            continue
        selector = dict(constraint.get("labelSelector") or {})
        extra = {
            k: pod_labels[k] for k in constraint.get("matchLabelKeys") or [] if k in pod_labels
        }
        if extra:
            selector["matchLabels"] = {**(selector.get("matchLabels") or {}), **extra}
        eligible = {
            labels_of(n)[key]
            for n in cluster.store.list_objects("Node")
            if all(k in labels_of(n) for k in keys) and _spread_eligible(constraint, spec, n)
        }
        least = Counter[str](dict.fromkeys(eligible, 0))
        here = 0
        for other, other_labels, sure in placed:
            if other["metadata"].get("namespace") != pod["metadata"].get("namespace"):
                continue
            if not selector_matches(selector, labels_of(other)):
                continue
            if other_labels.get(key) in least:
                least[other_labels[key]] += 1
            if sure and other_labels.get(key) == labels[key]:
                here += 1
        if not least:
            continue
        itself = 1 if selector_matches(selector, pod_labels) else 0
        if here + itself - min(least.values()) > int(constraint.get("maxSkew", 1)):
            failures.append(f"PodTopologySpread ({key}, maxSkew {constraint.get('maxSkew')})")
    return failures


def _spread_eligible(
    constraint: Mapping[str, Any], spec: Mapping[str, Any], node: Mapping[str, Any]
) -> bool:
    """Whether a node's domain counts for a spread constraint (its node policies)."""
    labels = labels_of(node)
    if constraint.get("nodeAffinityPolicy", "Honor") == "Honor":
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or {}
        terms = required.get("nodeSelectorTerms") or []
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()) or (
            terms and not any(_term_matches(term, labels) for term in terms)
        ):
            return False
    if constraint.get("nodeTaintsPolicy", "Ignore") == "Honor":
        tolerations = spec.get("tolerations") or []
        return not any(
            taint.get("effect") in {"NoSchedule", "NoExecute"}
            and not any(_tolerates(t, taint) for t in tolerations)
            for taint in (node.get("spec") or {}).get("taints") or []
        )
    return True


#: A host port bound on every address (``hostIP`` unset).
_ANY_IP = "0.0.0.0"  # noqa: S104


def _container_ports(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        port
        for container in (pod.get("spec") or {}).get("containers") or []
        for port in container.get("ports") or []
    ]


def _host_port(port: Mapping[str, Any]) -> tuple[str, str, object]:
    return (port.get("hostIP") or _ANY_IP, port.get("protocol") or "TCP", port.get("hostPort"))


def _ports_conflict(a: tuple[str, str, object], b: tuple[str, str, object]) -> bool:
    """Same protocol and port, and the addresses overlap (``HostPortInfo.CheckConflict``)."""
    return a[1:] == b[1:] and (a[0] == b[0] or _ANY_IP in {a[0], b[0]})


@dataclass
class UserInvariant(Invariant):
    """A user-written predicate: ``module:function`` taking the cluster, returning messages."""

    reference: str = ""
    function: Callable[[Cluster], Sequence[str]] | None = None
    kind: ClassVar[str] = "safety"

    @property
    def label(self) -> str:
        """The name shown in reports."""
        return self.reference

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Call the function."""
        assert self.function is not None  # noqa: S101  # set by make_invariant
        return [Violation(self.reference, str(m), {}) for m in self.function(cluster)]


def _stateful_identities(cluster: Cluster) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(namespace, set name) -> StatefulSet, for every StatefulSet in the API."""
    return {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s
        for s in cluster.store.list_objects("StatefulSet")
    }


def _running_members(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    """(namespace, set, pod name, UID) of every StatefulSet member whose containers run.

    Read from the machines, not the API: a pod cut off with its kubelet, or gone from the API
    while its machine still runs it, is running all the same.
    """
    sets = _stateful_identities(cluster)
    if not sets:
        return []
    found = []
    for machine in cluster.machines.values():
        if not machine.up:
            continue
        for runtime in machine.pods.values():
            if runtime.static or not runtime.running():
                continue
            parent, _, ordinal = str(runtime.name).rpartition("-")
            if ordinal.isdigit() and (runtime.namespace, parent) in sets:
                found.append((runtime.namespace, parent, runtime.name, runtime.uid))
    return found


class StatefulSetIdentity(Invariant):
    """At most one pod per StatefulSet identity runs at any time.

    Upstream's at-most-one guarantee (the StatefulSet "Pod Management Policies" and "Force
    deletion" documentation): a replacement ``<set>-<n>`` is created only once the old pod is
    gone from the API, which a partitioned kubelet's pod never is until the kubelet confirms.
    Stated from the machines: no two pod UIDs with the same name have running containers.
    """

    name = "statefulset_identity"
    description = "at most one pod per StatefulSet identity runs at any time"
    precondition = "a StatefulSet pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Group running members by name."""
        by_name: dict[tuple[str, str], set[str]] = {}
        for namespace, _, pod, uid in _running_members(cluster):
            by_name.setdefault((namespace, pod), set()).add(uid)
        if by_name:
            history.met.add(self.name)
        return [
            self.violation(
                f"pod {namespace}/{pod} runs {len(uids)} times at once "
                f"(UIDs {', '.join(sorted(uids))})",
                pod=f"{namespace}/{pod}",
                uids=sorted(uids),
            )
            for (namespace, pod), uids in sorted(by_name.items())
            if len(uids) > 1
        ]


class StatefulSetClaimExclusive(Invariant):
    """A StatefulSet's claim is never in use by two running pods at once."""

    name = "statefulset_claim_exclusive"
    description = "no two running pods of a StatefulSet mount the same claim"
    precondition = "a StatefulSet pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Claims of the running members (remembered per UID from the API), by claim."""
        members = _running_members(cluster)
        if not members:
            return []
        history.met.add(self.name)
        for pod in _pods(cluster):
            uid = pod["metadata"]["uid"]
            if uid not in history.claims_of:
                history.claims_of[uid] = tuple(
                    str(v["persistentVolumeClaim"].get("claimName"))
                    for v in (pod.get("spec") or {}).get("volumes") or []
                    if isinstance(v, Mapping)
                    and isinstance(v.get("persistentVolumeClaim"), Mapping)
                )
        users: dict[tuple[str, str], set[str]] = {}
        for namespace, _, _, uid in members:
            for claim in history.claims_of.get(uid, ()):
                users.setdefault((namespace, claim), set()).add(uid)
        return [
            self.violation(
                f"claim {namespace}/{claim} is in use by {len(uids)} running pods "
                f"(UIDs {', '.join(sorted(uids))})",
                claim=f"{namespace}/{claim}",
                uids=sorted(uids),
            )
            for (namespace, claim), uids in sorted(users.items())
            if len(uids) > 1
        ]


class StatefulSetOrdered(Invariant):
    """Under ``OrderedReady``, pods are created in ordinal order and scaled down in reverse.

    Upstream's guarantee ("Deployment and Scaling Guarantees"): before pod ``n`` is created,
    pods ``0..n-1`` are Running and Ready; before a pod is terminated for scale-down, every pod
    with a higher ordinal is gone. Checked on the controller's own writes, against the API as
    it is right after them, while the controller's watch is prompt (a delayed or dropped watch
    leaves its cache behind the API, and upstream's guarantee is only as good as its cache).
    """

    name = "statefulset_ordered"
    description = "OrderedReady StatefulSets create in order and scale down in reverse order"
    precondition = "an OrderedReady StatefulSet created or scaled down a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look at the pods the StatefulSet controller created or deleted in this step.

        Only a step checked right after it happened (the cluster's latest) can be judged
        against the API; steps of a settling run checked afterwards are skipped.
        """
        if step is None or step.index != cluster.steps or step.action.name != "statefulset-sync":
            return []
        informer = cluster.informers.get("statefulset")
        if informer is not None and (informer.lagging or informer.dropped):
            # The controller judged from a cache a watch fault left behind the API.
            return []
        sets = _stateful_identities(cluster)
        violations = []
        for change in step.changes:
            parent, _, ordinal_text = change.name.rpartition("-")
            sts = sets.get((change.namespace, parent))
            if change.kind != "Pod" or sts is None or not ordinal_text.isdigit():
                continue
            spec = sts.get("spec") or {}
            if spec.get("podManagementPolicy", "OrderedReady") != "OrderedReady":
                continue
            ordinal = int(ordinal_text)
            start = int((spec.get("ordinals") or {}).get("start") or 0)
            end = start + int(spec.get("replicas", 1)) - 1
            if change.type == "ADDED":
                history.met.add(self.name)
                for lower in range(start, ordinal):
                    pod = cluster.store.get(("Pod", change.namespace, f"{parent}-{lower}"))
                    ready = pod is not None and (
                        (pod.get("status") or {}).get("phase") == "Running"
                        and is_pod_ready(pod)
                        and pod["metadata"].get("deletionTimestamp") is None
                    )
                    if not ready:
                        violations.append(
                            self.violation(
                                f"pod {change.namespace}/{change.name} was created while "
                                f"{parent}-{lower} was not Running and Ready",
                                pod=f"{change.namespace}/{change.name}",
                                predecessor=f"{change.namespace}/{parent}-{lower}",
                            )
                        )
                        break
            elif ordinal > end and (
                change.type == "DELETED" or "terminating" in change.summary.split()
            ):
                history.met.add(self.name)
                higher = [
                    p["metadata"]["name"]
                    for p in cluster.store.list_objects("Pod", change.namespace)
                    if p["metadata"]["name"].rpartition("-")[0] == parent
                    and p["metadata"]["name"].rpartition("-")[2].isdigit()
                    and int(p["metadata"]["name"].rpartition("-")[2]) > ordinal
                ]
                if higher:
                    violations.append(
                        self.violation(
                            f"pod {change.namespace}/{change.name} was terminated for scale-down "
                            f"while {', '.join(sorted(higher))} still existed",
                            pod=f"{change.namespace}/{change.name}",
                            higher=sorted(higher),
                        )
                    )
        return violations


CATALOGUE: dict[str, type[Invariant]] = {
    cls.name: cls
    for cls in (
        NoOvercommit,
        UniqueUids,
        TerminalPhaseStable,
        EndpointsReadyOnly,
        RollingUpdateBounds,
        RecreateNoOverlap,
        DaemonSetOnePodPerNode,
        DaemonSetNodesEligible,
        DaemonSetRolloutBounds,
        MinAvailable,
        StaticPodsSurvive,
        PdbRespected,
        QuorumWrites,
        EventuallyStable,
        DrainsComplete,
        JobParallelism,
        JobFinishedNoNewPods,
        IndexedJobOnePodPerIndex,
        JobNotFailed,
        JobCompleteConsistent,
        CronJobForbidNoOverlap,
        HpaWithinBounds,
        HpaNoFlapping,
        PodPhaseConsistent,
        InitContainersFirst,
        PodReadyConsistent,
        PodGcSafe,
        VolumeZoneMatches,
        LostNodePodsNotReady,
        TaintEvictionTiming,
        ReplicaSetScaleSafe,
        BindingPassesFilters,
    )
}
CATALOGUE.update(
    {cls.name: cls for cls in (StatefulSetIdentity, StatefulSetClaimExclusive, StatefulSetOrdered)}
)


def make_invariant(
    name: str, *, params: Mapping[str, Any] | None = None, path: str = "invariants"
) -> Invariant:
    """Build an invariant from its catalogue name (or ``module:function``) and parameters.

    Raises:
        InputError: unknown name, bad parameters, or a reference that does not import.
    """
    params = dict(params or {})
    if ":" in name:
        module_name, _, function_name = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise InputError(f"cannot import {module_name!r}: {error}", path=path) from None
        function = getattr(module, function_name, None)
        if not callable(function):
            raise InputError(f"{module_name!r} has no function {function_name!r}", path=path)
        return UserInvariant(reference=name, function=function)
    cls = CATALOGUE.get(name)
    if cls is None:
        known = ", ".join(sorted(CATALOGUE))
        raise InputError(f"unknown invariant {name!r} (known: {known})", path=path)
    if cls is MinAvailable:
        deployment = params.pop("deployment", None)
        count = params.pop("count", None)
        if not isinstance(deployment, str) or not deployment:
            raise InputError("needs `deployment: <name>`", path=f"{path}.min_available.deployment")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(
                "needs `count: <non-negative integer>`", path=f"{path}.min_available.count"
            )
        if params:
            raise InputError(f"unknown parameters {sorted(params)}", path=f"{path}.min_available")
        return MinAvailable(deployment=deployment, count=count)
    if params:
        raise InputError(f"{name} takes no parameters, got {sorted(params)}", path=f"{path}.{name}")
    return cls()


@dataclass
class Monitor:
    """Checks a set of invariants step after step, keeping the history they need."""

    invariants: list[Invariant]
    history: History = field(default_factory=History)

    @classmethod
    def default(cls) -> Monitor:
        """Every safety invariant of the catalogue that takes no parameters."""
        return cls(
            [c() for c in CATALOGUE.values() if c is not MinAvailable and c.kind == "safety"]
        )

    def observe(self, cluster: Cluster, *, step: Step | None = None) -> list[Violation]:
        """Check the safety invariants after a step."""
        found: list[Violation] = []
        for invariant in self.invariants:
            if invariant.kind == "safety":
                found.extend(invariant.check(cluster, step, self.history))
        return found

    def at_fixpoint(self, cluster: Cluster) -> list[Violation]:
        """Check the eventual invariants (call after ``cluster.settle()``)."""
        found: list[Violation] = []
        for invariant in self.invariants:
            if invariant.kind == "eventual":
                found.extend(invariant.check(cluster, None, self.history))
        return found
