"""The DaemonSet controller's decisions, as pure functions of the objects it reads.

Mirrors ``pkg/controller/daemon`` (``daemon_controller.go``, ``update.go``) and
``pkg/controller/daemon/util/daemonset_util.go``; each function names the upstream function it
mirrors. The controller component (:mod:`kmodel.cluster.components.daemonset`) lists the
objects through its informer and carries out what these functions decide.

Where upstream iterates a Go map (``rollingUpdate`` over ``nodeToDaemonPods``), the order is
random; here it is node-name order, one of upstream's possible orders.

Not mirrored: the deprecated ``pod-template-generation`` label and
``deprecated.daemonset.template.generation`` annotation (pods are matched by the
``controller-revision-hash`` label alone), the back-off's periodic ``GC`` (an expired entry
acts as a missing one), and events.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.objects.types import Manifest
from kmodel.semantics.containers import BackOffEntry, Seconds
from kmodel.semantics.deployment import get_scaled_value_from_int_or_percent
from kmodel.semantics.replicaset import TimeValue, is_pod_available, is_pod_ready, time_ns
from kmodel.semantics.scheduling import (
    Taint,
    find_matching_untolerated_taint,
    node_taints,
    pod_matches_required_node_affinity,
    pod_tolerations,
)

__all__ = [
    "DAEMON_POD_TOLERATIONS",
    "HASH_LABEL",
    "NETWORK_UNAVAILABLE_TOLERATION",
    "Eligibility",
    "ManagePlan",
    "NodePlan",
    "RollingUpdatePlan",
    "add_or_update_daemon_pod_tolerations",
    "add_or_update_toleration",
    "allows_surge",
    "calculate_status",
    "daemon_pod_template",
    "failed_pod_deletion",
    "failed_pods_backoff_key",
    "find_updated_pods_on_node",
    "get_target_node_name",
    "is_pod_updated",
    "manage",
    "new_pod",
    "node_eligibility",
    "node_should_run_daemon_pod",
    "nodes_to_daemon_pods",
    "pod_order_key",
    "pods_should_be_on_node",
    "replace_node_name_node_affinity",
    "rolling_update",
    "surge_count",
    "unavailable_count",
    "updated_desired_node_counts",
]

#: ``apps.DefaultDaemonSetUniqueLabelKey`` (= ``ControllerRevisionHashLabelKey``).
HASH_LABEL: Final = "controller-revision-hash"

#: What ``AddOrUpdateDaemonPodTolerations`` adds to every daemon pod, in its order.
DAEMON_POD_TOLERATIONS: Final = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
#: Added as well when the pod uses the host network.
NETWORK_UNAVAILABLE_TOLERATION: Final = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": "NoSchedule",
}

_NODE_NAME_FIELD: Final = "metadata.name"


# ----------------------------------------------------------------------------- defaults


def _rolling(ds: Manifest) -> Mapping[str, Any] | None:
    strategy = mapping_at(ds, "spec.updateStrategy")
    if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
        return None
    rolling = strategy.get("rollingUpdate")
    return rolling if isinstance(rolling, Mapping) else None


def unavailable_count(ds: Manifest, number_to_schedule: int) -> int:
    """``maxUnavailable`` scaled against the nodes that should run the pod, rounded up.

    Mirrors ``daemonset_util.go UnavailableCount``: 0 unless the strategy is RollingUpdate with
    ``rollingUpdate`` set; a percentage is scaled with ``GetScaledValueFromIntOrPercent``
    rounding up (unlike a Deployment's maxUnavailable, which rounds down).
    """
    rolling = _rolling(ds)
    if rolling is None:
        return 0
    path = "spec.updateStrategy.rollingUpdate.maxUnavailable"
    return get_scaled_value_from_int_or_percent(
        rolling.get("maxUnavailable"), number_to_schedule, round_up=True, path=path
    )


def surge_count(ds: Manifest, number_to_schedule: int) -> int:
    """``maxSurge`` scaled against the nodes that should run the pod, rounded up.

    Mirrors ``daemonset_util.go SurgeCount``: 0 unless RollingUpdate with ``maxSurge`` set.
    """
    rolling = _rolling(ds)
    if rolling is None or rolling.get("maxSurge") is None:
        return 0
    path = "spec.updateStrategy.rollingUpdate.maxSurge"
    return get_scaled_value_from_int_or_percent(
        rolling.get("maxSurge"), number_to_schedule, round_up=True, path=path
    )


def allows_surge(ds: Manifest) -> bool:
    """Mirrors ``daemonset_util.go AllowsSurge``: ``SurgeCount(ds, 1)`` is not 0."""
    try:
        return surge_count(ds, 1) != 0
    except InputError:
        return False


# ----------------------------------------------------------------------------- pods


def add_or_update_toleration(
    tolerations: Sequence[Mapping[str, Any]], toleration: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The tolerations with ``toleration`` added, or replacing one that matches it.

    Mirrors ``pkg/apis/core/v1/helper AddOrUpdateTolerationInPodSpec``: a toleration matches
    when key, operator, value and effect are equal (``Toleration.MatchToleration``); a match is
    replaced (so a ``tolerationSeconds`` on it goes), otherwise the new one is appended.
    """

    def identity(t: Mapping[str, Any]) -> tuple[str, str, str, str]:
        return (
            str(t.get("key") or ""),
            str(t.get("operator") or ""),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
        )

    result: list[dict[str, Any]] = []
    replaced = False
    for old in tolerations:
        if identity(old) == identity(toleration):
            result.append(dict(toleration))
            replaced = True
        else:
            result.append(dict(old))
    if not replaced:
        result.append(dict(toleration))
    return result


def add_or_update_daemon_pod_tolerations(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the pod spec with the tolerations every daemon pod gets.

    Mirrors ``daemonset_util.go AddOrUpdateDaemonPodTolerations``: not-ready and unreachable
    NoExecute (without ``tolerationSeconds``, so node failure never evicts them), disk-, memory-
    and pid-pressure and unschedulable NoSchedule, and network-unavailable NoSchedule when
    ``hostNetwork`` is set.
    The copy is shallow (only ``tolerations`` is new): callers that edit it copy it first.
    """
    result: dict[str, Any] = dict(spec)
    tolerations: list[dict[str, Any]] = list(list_at(result, "tolerations"))
    added = list(DAEMON_POD_TOLERATIONS)
    if result.get("hostNetwork"):
        added.append(NETWORK_UNAVAILABLE_TOLERATION)
    for toleration in added:
        tolerations = add_or_update_toleration(tolerations, toleration)
    result["tolerations"] = tolerations
    return result


def new_pod(ds: Manifest, node_name: str) -> dict[str, Any]:
    """The pod the controller judges a node with. Mirrors ``daemon_controller.go NewPod``."""
    spec = mapping_at(ds, "spec.template")
    metadata = dict(mapping_at(spec, "metadata"))  # shallow: only read
    metadata["namespace"] = read_path(ds, "metadata.namespace") or "default"
    pod_spec = add_or_update_daemon_pod_tolerations(mapping_at(spec, "spec"))
    pod_spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}


def node_should_run_daemon_pod(node: Manifest, ds: Manifest) -> tuple[bool, bool]:
    """(should run, should continue running) a daemon pod of ``ds`` on ``node``.

    Mirrors ``daemon_controller.go NodeShouldRunDaemonPod`` and ``predicates``: a template
    ``nodeName`` other than the node's rules it out; so does the pod's ``nodeSelector`` or
    required node affinity (``GetRequiredNodeAffinity(pod).Match``); an untolerated NoSchedule
    or NoExecute taint means it should not run, and it may continue running only if no
    NoExecute taint is untolerated. The pod is judged with the daemon tolerations added
    (``NewPod``).
    """
    name = str(read_path(node, "metadata.name") or "")
    template_node = mapping_at(ds, "spec.template.spec")
    wanted = template_node.get("nodeName") or ""
    if wanted not in {"", name}:
        return False, False
    pod = new_pod(ds, name)
    if not pod_matches_required_node_affinity(pod, node):
        return False, False
    taints = node_taints(node)
    tolerations = pod_tolerations(pod)

    def schedule_or_execute(taint: Taint) -> bool:
        return taint.effect in {"NoSchedule", "NoExecute"}

    if (
        find_matching_untolerated_taint(taints, tolerations, taint_filter=schedule_or_execute)
        is None
    ):
        return True, True

    def execute(taint: Taint) -> bool:
        return taint.effect == "NoExecute"

    return False, find_matching_untolerated_taint(taints, tolerations, taint_filter=execute) is None


#: node name -> :func:`node_should_run_daemon_pod` for one DaemonSet, when the caller has it.
Eligibility = Mapping[str, tuple[bool, bool]]


def node_eligibility(nodes: Sequence[Manifest], ds: Manifest) -> dict[str, tuple[bool, bool]]:
    """:func:`node_should_run_daemon_pod` for every node, by node name."""
    return {str(n["metadata"]["name"]): node_should_run_daemon_pod(n, ds) for n in nodes}


def _should_run(node: Manifest, ds: Manifest, known: Eligibility | None) -> tuple[bool, bool]:
    name = str(read_path(node, "metadata.name") or "")
    if known is not None and name in known:
        return known[name]
    return node_should_run_daemon_pod(node, ds)


def replace_node_name_node_affinity(
    affinity: Mapping[str, Any] | None, node_name: str
) -> dict[str, Any]:
    """The affinity with its required node selector replaced by one naming the node.

    Mirrors ``daemonset_util.go ReplaceDaemonSetPodNodeNameNodeAffinity``: one term with
    ``matchFields: metadata.name In [node]``; preferred terms and pod (anti-)affinity stay.
    """
    result: dict[str, Any] = copy.deepcopy(dict(affinity or {}))
    term = {"matchFields": [{"key": _NODE_NAME_FIELD, "operator": "In", "values": [node_name]}]}
    node_affinity = dict(mapping_at(result, "nodeAffinity"))
    required = dict(mapping_at(node_affinity, "requiredDuringSchedulingIgnoredDuringExecution"))
    required["nodeSelectorTerms"] = [term]
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    result["nodeAffinity"] = node_affinity
    return result


def daemon_pod_template(ds: Manifest, revision_hash: str) -> dict[str, Any]:
    """The template daemon pods are created from.

    Mirrors ``daemonset_util.go CreatePodTemplate``: the DaemonSet's template with the
    ``controller-revision-hash`` label and the daemon tolerations.
    """
    template: dict[str, Any] = copy.deepcopy(dict(mapping_at(ds, "spec.template")))
    metadata = template.setdefault("metadata", {})
    labels = dict(mapping_at(metadata, "labels"))
    if revision_hash:
        labels[HASH_LABEL] = revision_hash
    metadata["labels"] = labels
    template["spec"] = copy.deepcopy(
        add_or_update_daemon_pod_tolerations(mapping_at(template, "spec"))
    )
    return template


def get_target_node_name(pod: Manifest) -> str | None:
    """The node a daemon pod is for: ``spec.nodeName``, else its ``matchFields`` node.

    Mirrors ``daemonset_util.go GetTargetNodeName``: the first required node-selector term's
    ``metadata.name In [node]`` field requirement; None when there is neither.
    """
    spec = mapping_at(pod, "spec")
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = (
        mapping_at(spec, "affinity.nodeAffinity").get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    )
    for term in list_at(required, "nodeSelectorTerms"):
        for field in (term or {}).get("matchFields") or []:
            values = list_at(field, "values")
            if field.get("key") == _NODE_NAME_FIELD and field.get("operator") == "In" and values:
                if len(values) == 1:
                    return str(values[0])
                return None
    return None


def _terminal(pod: Manifest) -> bool:
    return read_path(pod, "status.phase") in {"Succeeded", "Failed"}


def _deleting(pod: Manifest) -> bool:
    return read_path(pod, "metadata.deletionTimestamp") is not None


def nodes_to_daemon_pods(
    pods: Sequence[Manifest], *, include_deleted_terminal: bool = False
) -> dict[str, list[Manifest]]:
    """The DaemonSet's pods by the node they are for.

    Mirrors ``daemon_controller.go getNodesToDaemonPods`` after claiming: pods with no target
    node are left out, and terminal pods being deleted too unless ``include_deleted_terminal``.
    """
    result: dict[str, list[Manifest]] = {}
    for pod in pods:
        if not include_deleted_terminal and _terminal(pod) and _deleting(pod):
            continue
        node = get_target_node_name(pod)
        if node is None:
            continue
        result.setdefault(node, []).append(pod)
    return result


def pod_order_key(pod: Manifest) -> tuple[bool, int, str]:
    """Sort key: bound pods first, then oldest first, then by name.

    Mirrors ``daemon_controller.go podByCreationTimestampAndPhase.Less``.
    """
    metadata = mapping_at(pod, "metadata")
    created = time_ns(metadata.get("creationTimestamp"), path="metadata.creationTimestamp") or 0
    return (not read_path(pod, "spec.nodeName"), created, str(metadata.get("name") or ""))


def is_pod_updated(pod: Manifest, revision_hash: str) -> bool:
    """Whether the pod has the current revision's hash label.

    Mirrors ``daemonset_util.go IsPodUpdated`` without the deprecated template generation.
    """
    labels = mapping_at(pod, "metadata.labels")
    return bool(revision_hash) and labels.get(HASH_LABEL) == revision_hash


# ----------------------------------------------------------------------------- manage


#: ``failedPodsBackoff``: ``flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)``, no jitter.
FAILED_PODS_BACKOFF_INITIAL: Final = 1
FAILED_PODS_BACKOFF_MAX: Final = 15 * 60


def failed_pods_backoff_key(ds: Manifest, node_name: str) -> str:
    """Mirrors ``daemon_controller.go failedPodsBackoffKey``: ``<uid>/<observedGeneration>/<node>``.

    A new generation of the DaemonSet starts a fresh back-off.
    """
    generation = int(read_path(ds, "status.observedGeneration") or 0)
    return f"{ds['metadata'].get('uid', '')}/{generation}/{node_name}"


def failed_pod_deletion(entry: BackOffEntry | None, now: Seconds) -> BackOffEntry | None:
    """The node's back-off entry once a Failed daemon pod is deleted now; None: not yet.

    Mirrors ``podsShouldBeOnNode``'s use of ``failedPodsBackoff`` (so a kubelet that rejects
    the pod is not fought in a hot loop): ``IsInBackOffSinceUpdate(key, now)`` holds the
    deletion back while less than the entry's delay has passed since its last update, unless
    the entry expired (more than twice the 15 min maximum since then, ``hasExpired``); else
    ``Next(key, now)``: a missing or expired entry starts at 1 s, any other doubles, up to
    15 min, updated now.
    """
    expired = entry is not None and now - entry.last_update > 2 * FAILED_PODS_BACKOFF_MAX
    if entry is not None and not expired and now - entry.last_update < entry.backoff:
        return None
    if entry is None or expired:
        return BackOffEntry(backoff=FAILED_PODS_BACKOFF_INITIAL, last_update=now)
    return BackOffEntry(backoff=min(entry.backoff * 2, FAILED_PODS_BACKOFF_MAX), last_update=now)


@dataclass(frozen=True)
class NodePlan:
    """What ``podsShouldBeOnNode`` decides for one node.

    Attributes:
        create: the node needs a daemon pod.
        delete: names of pods to delete.
        backoff: the node's failed-pod back-off entry after the decision (None: unchanged).
    """

    create: bool
    delete: tuple[str, ...]
    backoff: BackOffEntry | None = None


def _min_ready(ds: Manifest) -> int:
    value = read_path(ds, "spec.minReadySeconds") or 0
    return int(value)


def pods_should_be_on_node(
    node: Manifest,
    daemon_pods: Sequence[Manifest] | None,
    ds: Manifest,
    revision_hash: str,
    now: int,
    *,
    eligibility: Eligibility | None = None,
    backoff: BackOffEntry | None = None,
) -> NodePlan:
    """Whether a node needs a daemon pod, and which of its daemon pods go.

    Mirrors ``daemon_controller.go podsShouldBeOnNode``: a node that should run the pod and has
    none gets one; where pods may continue running, Succeeded pods go and Failed ones go
    unless the node's failed-pod back-off (``backoff``: see :func:`failed_pod_deletion`) holds
    them back, one back-off step per Failed pod; without
    surge all running pods but the first (``podByCreationTimestampAndPhase``) go; with surge
    the oldest new-hash and oldest old-hash pods may stay together (the old one goes once it
    is not ready or the new one is available), others go; where pods may not continue, all
    not being deleted go. ``daemon_pods`` None: the node has no entry at all.
    """
    should_run, should_continue = _should_run(node, ds, eligibility)
    pods = list(daemon_pods or [])
    exists = daemon_pods is not None
    if should_run and not exists:
        return NodePlan(create=True, delete=())
    delete: list[str] = []
    backed_off: BackOffEntry | None = None
    if should_continue:
        running: list[Manifest] = []
        for pod in pods:
            if _deleting(pod):
                continue
            phase = read_path(pod, "status.phase")
            if phase == "Failed":
                stepped = failed_pod_deletion(backoff, now)
                if stepped is None:
                    continue  # held back: upstream requeues the DaemonSet after the delay
                backoff = backed_off = stepped
                delete.append(pod["metadata"]["name"])
            elif phase == "Succeeded":
                delete.append(pod["metadata"]["name"])
            else:
                running.append(pod)
        running.sort(key=pod_order_key)
        if not allows_surge(ds):
            delete.extend(p["metadata"]["name"] for p in running[1:])
            return NodePlan(create=False, delete=tuple(delete), backoff=backed_off)
        if len(running) <= 1:
            return NodePlan(
                create=not running and should_run, delete=tuple(delete), backoff=backed_off
            )
        oldest_new: Manifest | None = None
        oldest_old: Manifest | None = None
        for pod in running:
            if is_pod_updated(pod, revision_hash):
                if oldest_new is None:
                    oldest_new = pod
                    continue
            elif oldest_old is None:
                oldest_old = pod
                continue
            delete.append(pod["metadata"]["name"])
        if oldest_new is None or oldest_old is None:
            return NodePlan(create=False, delete=tuple(delete), backoff=backed_off)
        if not is_pod_ready(oldest_old) or is_pod_available(oldest_new, _min_ready(ds), now):
            delete.append(oldest_old["metadata"]["name"])
        return NodePlan(create=False, delete=tuple(delete), backoff=backed_off)
    if exists:
        delete.extend(p["metadata"]["name"] for p in pods if not _deleting(p))
    return NodePlan(create=False, delete=tuple(delete))


@dataclass(frozen=True)
class ManagePlan:
    """What ``manage`` decides for a DaemonSet.

    Attributes:
        needing: the nodes that need a daemon pod, in node order.
        delete: names of pods to delete, in node order.
        backoff: the failed-pod back-off entries it stepped, by
            :func:`failed_pods_backoff_key`.
    """

    needing: tuple[str, ...]
    delete: tuple[str, ...]
    backoff: Mapping[str, BackOffEntry]


def manage(
    ds: Manifest,
    nodes: Sequence[Manifest],
    node_to_pods: Mapping[str, Sequence[Manifest]],
    revision_hash: str,
    now: int,
    *,
    eligibility: Eligibility | None = None,
    backoff: Mapping[str, BackOffEntry] | None = None,
) -> ManagePlan:
    """The nodes needing a daemon pod and the pods to delete.

    Mirrors ``daemon_controller.go manage``: :func:`pods_should_be_on_node` for every node
    (with the controller's failed-pod back-off entries, ``backoff``), then
    ``getUnscheduledPodsWithoutNode``: unbound pods for nodes that no longer exist go (bound
    ones are the pod garbage collector's).
    """
    needing: list[str] = []
    delete: list[str] = []
    stepped: dict[str, BackOffEntry] = {}
    names = set()
    for node in nodes:
        name = str(node["metadata"]["name"])
        names.add(name)
        key = failed_pods_backoff_key(ds, name)
        plan = pods_should_be_on_node(
            node,
            node_to_pods.get(name),
            ds,
            revision_hash,
            now,
            eligibility=eligibility,
            backoff=(backoff or {}).get(key),
        )
        if plan.create:
            needing.append(name)
        delete.extend(plan.delete)
        if plan.backoff is not None:
            stepped[key] = plan.backoff
    for node_name in sorted(node_to_pods):
        if node_name in names:
            continue
        delete.extend(
            p["metadata"]["name"]
            for p in node_to_pods[node_name]
            if not read_path(p, "spec.nodeName")
        )
    return ManagePlan(needing=tuple(needing), delete=tuple(delete), backoff=stepped)


# ----------------------------------------------------------------------------- rolling update


def updated_desired_node_counts(
    ds: Manifest,
    nodes: Sequence[Manifest],
    node_to_pods: Mapping[str, Sequence[Manifest]],
    *,
    eligibility: Eligibility | None = None,
) -> tuple[int, int, int, dict[str, list[Manifest]]]:
    """(maxSurge, maxUnavailable, desiredNumberScheduled, pods by node with every wanted node).

    Mirrors ``update.go updatedDesiredNodeCounts``: nodes that should run the pod are counted
    (and get an empty entry when they have no pod); both limits are scaled against that count;
    when both come out 0 with a node wanting the pod, maxUnavailable is taken as 1.
    """
    by_node = {name: list(pods) for name, pods in node_to_pods.items()}
    desired = 0
    for node in nodes:
        should_run, _ = _should_run(node, ds, eligibility)
        if not should_run:
            continue
        desired += 1
        by_node.setdefault(str(node["metadata"]["name"]), [])
    max_unavailable = unavailable_count(ds, desired)
    max_surge = surge_count(ds, desired)
    if desired > 0 and max_unavailable == 0 and max_surge == 0:
        max_unavailable = 1
    return max_surge, max_unavailable, desired, by_node


def find_updated_pods_on_node(
    pods: Sequence[Manifest], revision_hash: str
) -> tuple[Manifest | None, Manifest | None, bool]:
    """(new pod, old pod, ok) among a node's pods not being deleted.

    Mirrors ``update.go findUpdatedPodsOnNode``: ok is False when there are two of either.
    """
    new: Manifest | None = None
    old: Manifest | None = None
    for pod in pods:
        if _deleting(pod):
            continue
        if is_pod_updated(pod, revision_hash):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


@dataclass(frozen=True)
class RollingUpdatePlan:
    """What one ``rollingUpdate`` does: pods to delete and nodes to create new pods on."""

    delete: tuple[str, ...]
    create: tuple[str, ...]


def rolling_update(
    ds: Manifest,
    nodes: Sequence[Manifest],
    node_to_pods: Mapping[str, Sequence[Manifest]],
    revision_hash: str,
    now: TimeValue,
    *,
    eligibility: Eligibility | None = None,
) -> RollingUpdatePlan:
    """One step of a RollingUpdate.

    Mirrors ``update.go rollingUpdate``. Without surge: nodes with excess pods, with no pod or
    with an old and a new pod, and nodes whose new pod is not available count as unavailable;
    old pods that are not available are replaced at once (and count); available old pods are
    candidates, deleted while the unavailable count stays within maxUnavailable. With surge: a
    node whose old pod is unavailable gets a new pod at once (or loses the old pod if it should
    no longer run one), up to maxSurge nodes with available old pods get a new pod beside it,
    an old pod goes once the new pod on its node is available, and old pods on nodes that
    should no longer run one go only while more pods are available than desired.
    """
    max_surge, max_unavailable, desired, by_node = updated_desired_node_counts(
        ds, nodes, node_to_pods, eligibility=eligibility
    )
    min_ready = _min_ready(ds)
    node_by_name = {str(n["metadata"]["name"]): n for n in nodes}

    def should_run(node_name: str) -> bool:
        node = node_by_name.get(node_name)
        return node is not None and _should_run(node, ds, eligibility)[0]

    if max_surge == 0:
        unavailable = 0
        replacements: list[str] = []
        candidates: list[str] = []
        for node_name in sorted(by_node):
            new, old, ok = find_updated_pods_on_node(by_node[node_name], revision_hash)
            if not ok or (old is None) == (new is None):
                unavailable += 1
            elif new is not None:
                if not is_pod_available(new, min_ready, now):
                    unavailable += 1
            elif old is not None:
                if not is_pod_available(old, min_ready, now):
                    replacements.append(old["metadata"]["name"])
                    unavailable += 1
                elif unavailable < max_unavailable:
                    candidates.append(old["metadata"]["name"])
        remaining = min(max(max_unavailable - unavailable, 0), len(candidates))
        return RollingUpdatePlan(delete=(*replacements, *candidates[:remaining]), create=())

    delete: list[str] = []
    should_not_run: list[str] = []
    candidate_nodes: list[str] = []
    allowed_nodes: list[str] = []
    surge = 0
    available = 0
    for node_name in sorted(by_node):
        new, old, ok = find_updated_pods_on_node(by_node[node_name], revision_hash)
        if not ok:
            surge += 1
            continue
        counted = old if old is not None else new
        if counted is not None and is_pod_available(counted, min_ready, now):
            available += 1
        if old is None:
            continue
        if new is None:
            if not is_pod_available(old, min_ready, now):
                if not should_run(node_name):
                    delete.append(old["metadata"]["name"])
                    continue
                allowed_nodes.append(node_name)
            else:
                if not should_run(node_name):
                    should_not_run.append(old["metadata"]["name"])
                    continue
                if surge >= max_surge:
                    continue
                candidate_nodes.append(node_name)
        elif not is_pod_available(new, min_ready, now):
            surge += 1
        else:
            delete.append(old["metadata"]["name"])
    deletable = min(available - desired, len(should_not_run))
    if deletable > 0:
        delete.extend(should_not_run[:deletable])
    remaining = min(max(max_surge - surge, 0), len(candidate_nodes))
    return RollingUpdatePlan(
        delete=tuple(delete), create=(*allowed_nodes, *candidate_nodes[:remaining])
    )


# ----------------------------------------------------------------------------- status


def calculate_status(
    ds: Manifest,
    nodes: Sequence[Manifest],
    node_to_pods: Mapping[str, Sequence[Manifest]],
    revision_hash: str,
    now: TimeValue,
    *,
    eligibility: Eligibility | None = None,
) -> dict[str, int]:
    """The status counts.

    Mirrors ``daemon_controller.go updateDaemonSetStatus``: over nodes that should run the pod,
    ``desiredNumberScheduled``; those with a pod, ``currentNumberScheduled``; of their first pod
    (``podByCreationTimestampAndPhase``), Ready ones ``numberReady``, available ones
    ``numberAvailable``, current-revision ones ``updatedNumberScheduled``; nodes that should
    not run it but have a pod, ``numberMisscheduled``; ``numberUnavailable`` is desired minus
    available. Zero counts are left out, as the JSON encoding of ``omitempty`` fields does.
    """
    desired = current = misscheduled = ready = updated = available = 0
    min_ready = _min_ready(ds)
    for node in nodes:
        should_run, _ = _should_run(node, ds, eligibility)
        pods = sorted(node_to_pods.get(str(node["metadata"]["name"])) or [], key=pod_order_key)
        if not should_run:
            misscheduled += bool(pods)
            continue
        desired += 1
        if not pods:
            continue
        current += 1
        pod = pods[0]
        if is_pod_ready(pod):
            ready += 1
            available += is_pod_available(pod, min_ready, now)
        updated += is_pod_updated(pod, revision_hash)
    counts = {
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
    }
    # currentNumberScheduled, numberMisscheduled, desiredNumberScheduled and numberReady are
    # required fields (always written); the others are omitempty.
    required = {"currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled"}
    return {k: v for k, v in counts.items() if v or k in required | {"numberReady"}}
