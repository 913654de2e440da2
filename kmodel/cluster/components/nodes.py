"""Node health and the controllers that act on it.

* Node lifecycle controller (``pkg/controller/nodelifecycle/node_lifecycle_controller.go
  monitorNodeHealth``): a node whose kubelet has not posted status for longer than the grace
  period gets ``Ready=Unknown`` (``NodeStatusUnknown``, "Kubelet stopped posting node status."),
  its pods ``Ready=False`` (``MarkPodsNotReady``), and the ``node.kubernetes.io/unreachable``
  taints (NoSchedule and NoExecute); they go when the node is Ready again.
* Taint eviction (``pkg/controller/tainteviction``): a pod on a node with a NoExecute taint it
  does not tolerate is deleted; one that tolerates it for ``tolerationSeconds`` is deleted when
  that time has passed since the taint was added.
* Pod garbage collector (``pkg/controller/podgc gcOrphaned``): pods bound to a Node that no longer
  exists are force-deleted.
* Cloud node lifecycle (``cloud-provider/controllers/nodelifecycle``): a Node whose instance is gone
  is deleted.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import list_at, mapping_at, str_at

__all__ = [
    "CloudNodeSync",
    "GarbageCollectPod",
    "MonitorNodeHealth",
    "TaintEvict",
    "node_actions",
]

UNREACHABLE: Final = "node.kubernetes.io/unreachable"


def _ready_condition(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next(
        (c for c in list_at(node, "status.conditions") if c.get("type") == "Ready"),
        None,
    )


def _node_update(cluster: Cluster, node: Mapping[str, Any]) -> dict[str, Any] | None:
    """The node after one health check, or None when nothing changes."""
    ready = _ready_condition(node)
    heartbeat = (ready or {}).get("lastHeartbeatTime", node["metadata"].get("creationTimestamp", 0))
    # An int as it is (a dry run's watched clock passes for one: see Cluster.idle_window).
    heartbeat = heartbeat if isinstance(heartbeat, int) else int(heartbeat)
    stale = cluster.now - heartbeat > cluster.config.node_monitor_grace_period
    # A copy two levels deep is enough: below, only spec.taints and status.conditions change,
    # and they are replaced by new lists, never edited (stored objects are never mutated).
    body = dict(node)
    for part in ("spec", "status"):
        if isinstance(body.get(part), dict):
            body[part] = dict(body[part])
    spec = body.setdefault("spec", {})
    status = body.setdefault("status", {})
    node_taints = list_at(spec, "taints")
    taints = [t for t in node_taints if t.get("key") != UNREACHABLE]
    if stale:
        if ready is None or ready.get("status") != "Unknown":
            conditions = [c for c in list_at(status, "conditions") if c.get("type") != "Ready"]
            conditions.append(
                {
                    "type": "Ready",
                    "status": "Unknown",
                    "reason": "NodeStatusUnknown",
                    "message": "Kubelet stopped posting node status.",
                    "lastHeartbeatTime": heartbeat,
                    "lastTransitionTime": cluster.now,
                }
            )
            status["conditions"] = conditions
        existing = {t.get("effect"): t for t in node_taints if t.get("key") == UNREACHABLE}
        taints.extend(
            existing.get(effect) or {"key": UNREACHABLE, "effect": effect, "timeAdded": cluster.now}
            for effect in ("NoSchedule", "NoExecute")
        )
    if taints:
        spec["taints"] = taints
    else:
        spec.pop("taints", None)
    return None if body == node else body


@register
@dataclass(frozen=True)
class MonitorNodeHealth(Action):
    """The node lifecycle controller checks one node's heartbeat."""

    name: ClassVar[str] = "node-health"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"node lifecycle controller checks node {self.node}"

    def apply(self, cluster: Cluster) -> None:
        """Mark the node Unknown and taint it (or lift the taints), and mark its pods not ready."""
        node = cluster.store.get(("Node", "", self.node))
        if node is None:
            return
        body = _node_update(cluster, node)
        if body is None:
            return
        if cluster.update(body) is None:
            return
        ready = _ready_condition(body)
        if ready is not None and ready.get("status") == "Unknown":
            # From the workloads' point of view this is an involuntary disruption.
            cluster.faults.append("node-unreachable")
            for pod in list(cluster.store.list_objects("Pod")):
                if str_at(pod, "spec.nodeName") != self.node:
                    continue
                if not any(
                    c.get("type") == "Ready" and c.get("status") == "True"
                    for c in list_at(pod, "status.conditions")
                ):
                    continue
                patched = copy.deepcopy(dict(pod))
                for condition in patched["status"]["conditions"]:
                    if condition.get("type") == "Ready":
                        condition["status"] = "False"
                        condition["lastTransitionTime"] = cluster.now
                cluster.update(patched)


def _eviction_due(cluster: Cluster, pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the taint eviction controller deletes this pod now."""
    if pod["metadata"].get("deletionTimestamp") is not None:
        return False
    # Most nodes have no NoExecute taint: the pod's tolerations are read only when one has.
    no_execute = [t for t in list_at(node, "spec.taints") if t.get("effect") == "NoExecute"]
    if not no_execute:
        return False
    tolerations = list_at(pod, "spec.tolerations")
    for taint in no_execute:
        matching = [
            t
            for t in tolerations
            if t.get("effect") in {None, "", "NoExecute"}
            and (
                (
                    t.get("operator") == "Exists"
                    and (not t.get("key") or t.get("key") == taint.get("key"))
                )
                or (
                    t.get("key") == taint.get("key")
                    and t.get("value", "") == taint.get("value", "")
                )
            )
        ]
        if not matching:
            return True
        seconds = [t.get("tolerationSeconds") for t in matching]
        if any(s is None for s in seconds):
            continue
        if cluster.now >= int(taint.get("timeAdded", 0)) + min(
            int(s) for s in seconds if s is not None
        ):
            return True
    return False


@register
@dataclass(frozen=True)
class TaintEvict(Action):
    """The taint eviction controller deletes a pod that no longer tolerates its node's taints."""

    name: ClassVar[str] = "taint-evict"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"taint eviction deletes {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Delete the pod, as any deletion without options (see delete_pod)."""
        pod = cluster.store.get(("Pod", self.namespace, self.pod))
        if pod is None:
            return
        delete_pod(cluster, pod)


@register
@dataclass(frozen=True)
class GarbageCollectPod(Action):
    """The pod garbage collector force-deletes a pod whose node no longer exists."""

    name: ClassVar[str] = "podgc"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"pod garbage collector deletes orphaned pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Force-delete (no grace)."""
        pod = cluster.store.get(("Pod", self.namespace, self.pod))
        if pod is None:
            return
        body = copy.deepcopy(dict(pod))
        if body["metadata"].get("finalizers"):
            body["metadata"]["finalizers"] = []
            if cluster.update(body) is None:
                return
        if cluster.store.get(("Pod", self.namespace, self.pod)) is not None:
            cluster.delete(("Pod", self.namespace, self.pod), uid=pod["metadata"]["uid"])


@register
@dataclass(frozen=True)
class CloudNodeSync(Action):
    """The cloud controller deletes a Node whose cloud instance is gone."""

    name: ClassVar[str] = "cloud-node"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"cloud controller deletes node {self.node} (instance gone)"

    def apply(self, cluster: Cluster) -> None:
        """Delete the Node."""
        if cluster.store.get(("Node", "", self.node)) is not None:
            cluster.delete(("Node", "", self.node))


def node_actions(cluster: Cluster) -> list[Action]:
    """Node-health, eviction, garbage-collection and cloud steps that would do something."""
    nodes = cluster.store.kind_revision.get("Node", 0)
    health_key = (
        "nodes",
        nodes,
        cluster.now,
        tuple(m.exists for m in cluster.machines.values()),
    )
    # Pods matter through their binding, deletion and tolerations only: keyed on those, pod
    # status updates (most writes) leave the cached eviction and garbage-collection checks be.
    pods = cluster.memo(
        ("eviction-shapes", cluster.store.kind_revision.get("Pod", 0)),
        lambda: tuple(
            cluster.derive("eviction-shape", p, _eviction_shape)
            for p in cluster.store.list_objects("Pod")
        ),
    )
    pods_key = ("node-pods", nodes, pods, cluster.now)
    return [
        *cluster.memo(health_key, lambda: _node_health_actions(cluster)),
        *cluster.memo(pods_key, lambda: _node_pod_actions(cluster)),
    ]


def _eviction_shape(pod: Mapping[str, Any]) -> tuple[Any, ...]:
    """What the pod garbage collector and taint eviction read of a pod."""
    metadata = pod["metadata"]
    spec = mapping_at(pod, "spec")
    return (
        metadata["namespace"],
        metadata["name"],
        spec.get("nodeName"),
        metadata.get("deletionTimestamp") is not None,
        json.dumps(spec.get("tolerations"), sort_keys=True, default=repr),
    )


def _node_health_actions(cluster: Cluster) -> list[Action]:
    actions: list[Action] = []
    for node in cluster.store.list_objects("Node"):
        name = node["metadata"]["name"]
        if _node_update(cluster, node) is not None:
            actions.append(MonitorNodeHealth(name))
        machine = cluster.machines.get(name)
        if machine is not None and not machine.exists:
            actions.append(CloudNodeSync(name))
    return actions


def _node_pod_actions(cluster: Cluster) -> list[Action]:
    actions: list[Action] = []
    nodes = {n["metadata"]["name"]: n for n in cluster.store.list_objects("Node")}
    for pod in cluster.store.list_objects("Pod"):
        node_name = str_at(pod, "spec.nodeName")
        if not node_name:
            continue
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        bound_node = nodes.get(node_name)
        if bound_node is None:
            actions.append(GarbageCollectPod(namespace, name))
        elif _eviction_due(cluster, pod, bound_node):
            actions.append(TaintEvict(namespace, name))
    return actions
