"""kube-scheduler: binds pending pods, one scheduling cycle per action.

Filters and scores are :mod:`kmodel.semantics.scheduling` (the default profile's Filter plugins
in order; NodeResourcesFit LeastAllocated, BalancedAllocation, TaintToleration and NodeAffinity
scores with the default plugin weights). Upstream breaks ties between equal top scores at random
(``selectHost``'s reservoir sampling); here every top-scored node is a separate
:class:`SchedulePod` action, so exploration covers each choice. A pod that fits nowhere gets
``PodScheduled=False``, reason ``Unschedulable``, with the upstream "0/N nodes are available"
message. A pod with scheduling gates is never considered (the SchedulingGates PreEnqueue
plugin): it keeps the ``SchedulingGated`` condition the API server gave it until its gates go.

The scheduler's cache assumes every pod it binds (``pkg/scheduler/backend/cache``
``AssumePod``, then ``FinishBinding``): until its informer delivers the pod bound, or deleted,
later cycles count the pod on its node and never schedule it again, so a stalled watch cannot
make it overcommit a node. Assumed pods never expire (``durationToExpireAssumedPod`` is 0,
kubernetes#106361); a refused bind is never assumed (``ForgetPod``); a restart loses them with
the rest of the cache and relists.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.informer import Informer
from kmodel.cluster.model import Cluster
from kmodel.errors import InputError
from kmodel.objects.fields import list_at, mapping_at, str_at
from kmodel.semantics.resources import NodeUsage, node_allocatable, node_usage, pod_is_terminal
from kmodel.semantics.scheduling import (
    DEFAULT_SCORE_PLUGIN_WEIGHTS,
    SchedulingCycle,
    fit_error_message,
    node_affinity_scores,
    scheduling_gates,
    taint_toleration_scores,
)

__all__ = [
    "MarkUnschedulable",
    "SchedulePod",
    "schedule_choices",
    "scheduler_actions",
]


def _volumes(view: Informer, namespace: str) -> list[Mapping[str, Any]]:
    return [
        *view.list_objects("PersistentVolumeClaim", namespace=namespace),
        *view.list_objects("PersistentVolume"),
        *view.list_objects("StorageClass"),
    ]


def schedule_choices(
    pod: Mapping[str, Any],
    nodes: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    volumes: Sequence[Mapping[str, Any]],
    *,
    allocatable_of: Callable[[Mapping[str, Any]], Mapping[str, int]] | None = None,
    usage_of: Callable[[Sequence[Mapping[str, Any]]], NodeUsage] | None = None,
) -> tuple[list[str], dict[str, int]]:
    """The top-scored feasible nodes for a pod, and the failure reasons counted over nodes.

    Mirrors ``schedule_one.go schedulePod``: filter every node (PreFilter state computed once,
    see :class:`~kmodel.semantics.scheduling.SchedulingCycle`, which ``allocatable_of`` and
    ``usage_of`` are passed to); a single feasible node is chosen without scoring; otherwise
    the weighted sum of the score plugins decides, and all nodes sharing the top score are
    returned (sorted by name).
    """
    cycle = SchedulingCycle(
        pod, nodes, pods=pods, volumes=volumes, allocatable_of=allocatable_of, usage_of=usage_of
    )
    feasible: list[Mapping[str, Any]] = []
    reasons: Counter[str] = Counter()
    for node in nodes:
        failures = cycle.filter_failures(node)
        if failures:
            for reason in dict.fromkeys(failures):
                reasons[reason] += 1
        else:
            feasible.append(node)
    names = [str(n["metadata"]["name"]) for n in feasible]
    if len(feasible) <= 1:
        return names, dict(reasons)
    totals = dict.fromkeys(names, 0)
    weights = DEFAULT_SCORE_PLUGIN_WEIGHTS
    plugin_scores = {
        "NodeResourcesFit": cycle.node_scores(feasible),
        "NodeResourcesBalancedAllocation": cycle.balanced_allocation_scores(feasible),
        "TaintToleration": taint_toleration_scores(pod, feasible),
        "NodeAffinity": node_affinity_scores(pod, feasible),
    }
    for plugin, scores in plugin_scores.items():
        for name, score in scores.items():
            totals[name] += score * weights[plugin]
    best = max(totals.values())
    return sorted(n for n, s in totals.items() if s == best), dict(reasons)


def _pending(cluster: Cluster, view: Informer) -> list[Mapping[str, Any]]:
    """Pods in the scheduling queue: unbound, not assumed, not deleted, not terminal, not gated."""
    assumed = {(namespace, name) for namespace, name, _, _ in _assumed(cluster)}
    return [
        p
        for p in view.list_objects("Pod")
        if not str_at(p, "spec.nodeName")
        and (p["metadata"]["namespace"], p["metadata"]["name"]) not in assumed
        and p["metadata"].get("deletionTimestamp") is None
        and str_at(p, "status.phase") not in {"Succeeded", "Failed"}
        and not scheduling_gates(p)
    ]


def _assumed(cluster: Cluster) -> tuple[tuple[str, str, str, str], ...]:
    """Pods bound by this scheduler that its informer has not confirmed yet.

    ``(namespace, name, uid, node)`` of each pod the cache holds as assumed
    (``cacheImpl.AssumePod``): the informer still shows it unbound. Once the informer shows it
    bound (``AddPod`` confirms it) or gone (``RemovePod``), the entry no longer counts.
    """
    entries: Mapping[tuple[str, str], tuple[str, str]] = cluster.memory["scheduler"].get(
        "assumed", {}
    )
    if not entries:
        return ()
    view = cluster.view("scheduler")
    live = []
    for (namespace, name), (uid, node) in sorted(entries.items()):
        pod = view.get(("Pod", namespace, name))
        if (
            pod is not None
            and pod["metadata"].get("uid") == uid
            and not str_at(pod, "spec.nodeName")
        ):
            live.append((namespace, name, uid, node))
    return tuple(live)


def _assumed_pods(cluster: Cluster) -> list[Mapping[str, Any]]:
    """The assumed pods as the cache holds them: the informer's pod bound to its node."""
    view = cluster.view("scheduler")
    pods = []
    for namespace, name, _, node in _assumed(cluster):
        pod = view.get(("Pod", namespace, name))
        if pod is not None:
            # Derived per stored object, so the same assumed pod keeps its identity (caches).
            pods.append(cluster.derive(f"assumed-on:{node}", pod, partial(_bound_to, node=node)))
    return pods


def _bound_to(pod: Mapping[str, Any], *, node: str) -> Mapping[str, Any]:
    """``pod`` as bound to ``node`` (the scheduler's ``assumedPod.Spec.NodeName = host``)."""
    return {**pod, "spec": {**mapping_at(pod, "spec"), "nodeName": node}}


def _cycle(cluster: Cluster, pod: Mapping[str, Any]) -> tuple[list[str], dict[str, int], int]:
    """One scheduling cycle for ``pod``, cached: enabled() and the step that binds share it."""
    key = (
        "cycle",
        cluster.derive("cycle-shape", pod, _cycle_shape),
        _world(cluster, bound_only=True),
    )
    choices, reasons, total = cluster.memo(key, lambda: _cycle_now(cluster, pod))
    return list(choices), dict(reasons), total


def _cycle_now(cluster: Cluster, pod: Mapping[str, Any]) -> tuple[list[str], dict[str, int], int]:
    view = cluster.view("scheduler")
    nodes = list(view.list_objects("Node"))
    pods = [p for p in view.list_objects("Pod") if str_at(p, "spec.nodeName")]
    pods.extend(_assumed_pods(cluster))
    choices, reasons = schedule_choices(
        pod,
        nodes,
        pods,
        _volumes(view, pod["metadata"]["namespace"]),
        # Stored objects never change: a node's allocatable and the totals of a set of pods
        # carry over from one cycle to the next (NodeInfo is updated, not rebuilt, upstream).
        allocatable_of=lambda node: cluster.derive("allocatable", node, node_allocatable),
        usage_of=lambda pods_here: _node_usage(cluster, pods_here),
    )
    return choices, reasons, len(nodes)


def _node_usage(cluster: Cluster, pods_here: Sequence[Mapping[str, Any]]) -> NodeUsage:
    """``node_usage`` of stored (never mutated) pods, cached by their identities."""
    return cluster.memo_on("node-usage", tuple(pods_here), lambda: node_usage(pods_here))


@register
@dataclass(frozen=True)
class SchedulePod(Action):
    """The scheduler binds a pod to one of its top-scored nodes."""

    name: ClassVar[str] = "schedule"
    namespace: str
    pod: str
    node: str

    def describe(self) -> str:
        """In words."""
        return f"scheduler binds {self.namespace}/{self.pod} to {self.node}"

    def apply(self, cluster: Cluster) -> None:
        """Run the scheduling cycle and bind to ``node`` if it is still a top-scored choice."""
        current = cluster.view("scheduler").get(("Pod", self.namespace, self.pod))
        if current is None or str_at(current, "spec.nodeName"):
            return
        if scheduling_gates(current):
            return
        choices, _, _ = _cycle(cluster, current)
        if self.node not in choices:
            return
        current = cluster.store.get(("Pod", self.namespace, self.pod))
        if current is None or str_at(current, "spec.nodeName"):
            return
        body = copy.deepcopy(dict(current))
        body["spec"]["nodeName"] = self.node
        _set_pod_scheduled(
            body.setdefault("status", {}),
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": cluster.now},
        )
        if cluster.update(body) is not None:
            # AssumePod: counted on its node until the informer confirms the binding.
            memory = cluster.memory["scheduler"]
            assumed = {
                (namespace, name): (uid, node) for namespace, name, uid, node in _assumed(cluster)
            }
            assumed[(self.namespace, self.pod)] = (str(body["metadata"]["uid"]), self.node)
            memory["assumed"] = assumed


@register
@dataclass(frozen=True)
class MarkUnschedulable(Action):
    """The scheduler finds no node for a pod and records why."""

    name: ClassVar[str] = "unschedulable"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"scheduler finds no node for {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Write ``PodScheduled=False`` with reason Unschedulable."""
        current = cluster.store.get(("Pod", self.namespace, self.pod))
        if current is None or str_at(current, "spec.nodeName"):
            return
        if scheduling_gates(current):
            return
        _, reasons, total = _cycle(cluster, current)
        body = copy.deepcopy(dict(current))
        status = body.setdefault("status", {})
        status.setdefault("phase", "Pending")
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": fit_error_message(total, reasons),
            "lastTransitionTime": cluster.now,
        }
        _set_pod_scheduled(status, condition)
        if body != current:
            cluster.update(body)


def _set_pod_scheduled(status: dict[str, Any], condition: dict[str, Any]) -> None:
    """Put ``condition`` last in ``status.conditions``, in place of any PodScheduled one."""
    kept = [c for c in list_at(status, "conditions") if c.get("type") != "PodScheduled"]
    status["conditions"] = [*kept, condition]


def _scheduling_shape(pod: Mapping[str, Any]) -> tuple[str, ...]:
    """What scheduling reads of a pod: metadata (but its resourceVersion), spec, terminal phase.

    Of a bound pod's status, filters and scores read only whether its phase is terminal
    (``pod_is_terminal``: such pods free their resources); the rest (conditions, IPs, container
    states, the Pending to Running change: what kubelets write on almost every step) never
    reaches them. A pending pod's whole status does (its PodScheduled condition decides
    whether MarkUnschedulable has anything to say).
    """
    metadata = {k: v for k, v in pod["metadata"].items() if k != "resourceVersion"}
    spec = mapping_at(pod, "spec")
    status = mapping_at(pod, "status")
    seen = status if not spec.get("nodeName") else _terminal(pod)
    return tuple(json.dumps(part, sort_keys=True, default=repr) for part in (metadata, spec, seen))


#: Metadata a scheduling cycle never reads of the pod it schedules (they only name it in error
#: messages, which are raised, never cached): replicas of one ReplicaSet share a cycle.
_IDENTITY_FIELDS: Final = frozenset(
    {"name", "generateName", "uid", "resourceVersion", "creationTimestamp", "ownerReferences"}
)


def _cycle_shape(pod: Mapping[str, Any]) -> str:
    """What a scheduling cycle reads of the pod it schedules: all but its identity."""
    metadata = {k: v for k, v in pod["metadata"].items() if k not in _IDENTITY_FIELDS}
    rest = {k: v for k, v in pod.items() if k != "metadata"}
    return json.dumps([metadata, rest], sort_keys=True, default=repr)


def _terminal(pod: Mapping[str, Any]) -> object:
    """Whether a bound pod is terminal; a malformed status is kept as it is (the key only)."""
    try:
        return pod_is_terminal(pod)
    except InputError:
        return ("malformed", repr(pod.get("status")))


def _node_shape(node: Mapping[str, Any]) -> str:
    """What scheduling reads of a node: all but its resourceVersion and status conditions.

    Filters and scores read labels, taints, ``unschedulable`` and ``status.allocatable``; the
    conditions change with every kubelet heartbeat and matter only through the taints the node
    lifecycle controller derives from them.
    """
    metadata = {k: v for k, v in node["metadata"].items() if k != "resourceVersion"}
    status = {k: v for k, v in mapping_at(node, "status").items() if k != "conditions"}
    rest = {k: v for k, v in node.items() if k not in {"metadata", "status"}}
    return json.dumps([metadata, status, rest], sort_keys=True, default=repr)


#: Of a node's parts, the fields :func:`_node_shape` leaves out.
_SHAPELESS: Final = {"metadata": "resourceVersion", "status": "conditions"}


def _heartbeat_node_shape(cluster: Cluster, node: Mapping[str, Any]) -> str:
    """:func:`_node_shape`, reused from the node's previous version when only a heartbeat differs.

    A heartbeat writes a new node that shares every part with the previous version (stored
    objects are never mutated) but the resourceVersion and the conditions, which the shape
    leaves out: when each other part is the very same object, so is the shape's text.
    """
    last_key = ("scheduling-node-last", node["metadata"].get("name"))
    last = cluster.cache.get(last_key)
    if last is not None and _differs_in_shapeless_only(last[0], node):
        shape: str = last[1]
    else:
        shape = _node_shape(node)
    cluster.cache[last_key] = (node, shape)
    return shape


def _differs_in_shapeless_only(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether every part of ``new`` but the fields :func:`_node_shape` leaves out is ``old``'s."""
    if old.keys() != new.keys():
        return False
    for part, value in new.items():
        previous = old[part]
        if value is previous:
            continue
        skipped = _SHAPELESS.get(part)
        if (
            skipped is None
            or not isinstance(value, dict)
            or not isinstance(previous, dict)
            or value.keys() != previous.keys()
            or any(value[k] is not previous[k] for k in value if k != skipped)
        ):
            return False
    return True


def _world(cluster: Cluster, *, bound_only: bool = False) -> tuple[Any, ...]:
    """A cache key for what scheduling reads besides the pod it schedules.

    A scheduling cycle reads the nodes, the volumes and the bound pods only (``_cycle_now``);
    listing the actions reads the pending pods too. The node and pod parts are computed once
    per version of their kind in the scheduler's cache: node heartbeats leave the pod part be,
    and writes of other kinds (most of them) leave both.
    """
    view = cluster.view("scheduler")
    node_version, pod_version = view.versions("Node", "Pod")
    nodes = cluster.memo(
        ("scheduler-world-nodes", node_version),
        lambda: tuple(
            cluster.derive("scheduling-node", n, lambda n: _heartbeat_node_shape(cluster, n))
            for n in view.list_objects("Node")
        ),
    )
    pods = cluster.memo(
        ("scheduler-world-pods", bound_only, pod_version),
        lambda: tuple(
            cluster.derive("scheduling-shape", p, _scheduling_shape)
            for p in view.list_objects("Pod")
            if not bound_only or str_at(p, "spec.nodeName")
        ),
    )
    return (
        view.versions("PersistentVolumeClaim", "PersistentVolume", "StorageClass"),
        nodes,
        pods,
        _assumed(cluster),
    )


def scheduler_actions(cluster: Cluster) -> list[Action]:
    """One action per (pending pod, top-scored node), or MarkUnschedulable when none fits."""
    # Keyed on shapes rather than revisions: pod status updates and node heartbeats are most
    # of the writes and cannot change a scheduling decision.
    key = ("scheduler", _world(cluster))
    return list(cluster.memo(key, lambda: _scheduler_actions(cluster)))


def _scheduler_actions(cluster: Cluster) -> list[Action]:
    actions: list[Action] = []
    view = cluster.view("scheduler")
    for pod in _pending(cluster, view):
        namespace = pod["metadata"]["namespace"]
        name = pod["metadata"]["name"]
        choices, reasons, total = _cycle(cluster, pod)
        if choices:
            actions.extend(SchedulePod(namespace, name, node) for node in choices)
            continue
        scheduled = next(
            (c for c in list_at(pod, "status.conditions") if c.get("type") == "PodScheduled"),
            None,
        )
        message = fit_error_message(total, reasons)
        if scheduled is None or scheduled.get("message") != message:
            actions.append(MarkUnschedulable(namespace, name))
    return actions
