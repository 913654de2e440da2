"""Faults, user requests and the clock: everything that is not a component's reconcile step."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.model import COMPONENTS, Change, Cluster
from kmodel.cluster.topology import ZONE_LABEL, cluster_graph, domains

__all__ = [
    "ContainerCrash",
    "ControlPlaneCrash",
    "ControlPlaneRecover",
    "ControllerRestart",
    "DeletePod",
    "DrainNode",
    "KubeletHeal",
    "KubeletPartition",
    "MachineGone",
    "NodeCrash",
    "NodeRecover",
    "PauseDeployment",
    "RollbackDeployment",
    "ScaleDeployment",
    "SetImage",
    "Tick",
    "UpdateConfigMap",
    "WatchDelay",
    "WatchDeliver",
    "WatchDrop",
    "ZoneOutage",
]


def _fault(cluster: Cluster, kind: str, node: str | None = None) -> None:
    cluster.faults.append(kind)
    if node is not None:
        cluster.machines[node].epoch += 1


# ----------------------------------------------------------------------------- clock


@register
@dataclass(frozen=True)
class Tick(Action):
    """Time passes."""

    name: ClassVar[str] = "tick"
    category: ClassVar[str] = "clock"
    seconds: int

    def describe(self) -> str:
        """In words."""
        return f"{self.seconds}s pass"

    def apply(self, cluster: Cluster) -> None:
        """Advance the clock; healthy kubelets keep posting status on their own schedule.

        Heartbeats are the kubelet's own periodic work, not a reconcile decision: a node stops
        heartbeating only through a fault (crash, partition), never because time jumped.
        """
        from kmodel.cluster.components.kubelet import KubeletHeartbeat  # noqa: PLC0415

        remaining = self.seconds
        interval = cluster.config.heartbeat_interval
        while remaining > 0:
            advance = min(remaining, interval)
            cluster.store.now += advance
            remaining -= advance
            for name in sorted(cluster.machines):
                machine = cluster.machines[name]
                if (
                    machine.up
                    and not machine.partitioned
                    and cluster.now - machine.last_heartbeat >= interval
                ):
                    KubeletHeartbeat(name).apply(cluster)

    def hides(self, change: Change) -> bool:
        """Heartbeats posted while time passes are not worth a line in a trace."""
        return change.kind == "Node" and change.summary == "ready=True"


# ----------------------------------------------------------------------------- faults


@register
@dataclass(frozen=True)
class ContainerCrash(Action):
    """A running container exits on its own with ``exit_code``."""

    name: ClassVar[str] = "container-crash"
    category: ClassVar[str] = "fault"
    node: str
    namespace: str
    pod: str
    container: str
    exit_code: int = 1

    def describe(self) -> str:
        """In words."""
        return (
            f"container {self.container} of {self.namespace}/{self.pod} on {self.node} "
            f"exits with code {self.exit_code}"
        )

    def apply(self, cluster: Cluster) -> None:
        """Mark the runtime record exited now."""
        machine = cluster.machines[self.node]
        for runtime in machine.pods.values():
            if runtime.name == self.pod and runtime.namespace == self.namespace:
                records = runtime.records.get(self.container)
                if records and records[0].get("state") == "running":
                    records[0] = {
                        **records[0],
                        "state": "exited",
                        "exitCode": self.exit_code,
                        "reason": "Error" if self.exit_code else "Completed",
                        "finishedAt": cluster.now,
                    }
                    _fault(cluster, self.name, self.node)


@register
@dataclass(frozen=True)
class NodeCrash(Action):
    """A machine stops: its kubelet and every container on it."""

    name: ClassVar[str] = "node-crash"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"node {self.node} crashes"

    def apply(self, cluster: Cluster) -> None:
        """Stop the machine; the runtime state is lost."""
        machine = cluster.machines[self.node]
        if machine.up:
            machine.up = False
            machine.pods.clear()
            _fault(cluster, self.name, self.node)


@register
@dataclass(frozen=True)
class NodeRecover(Action):
    """A crashed machine boots again; its kubelet starts with an empty runtime."""

    name: ClassVar[str] = "node-recover"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"node {self.node} recovers"

    def apply(self, cluster: Cluster) -> None:
        """Start the machine."""
        machine = cluster.machines[self.node]
        if not machine.up and machine.exists:
            machine.up = True
            machine.last_heartbeat = 0
            machine.epoch += 1


@register
@dataclass(frozen=True)
class ZoneOutage(Action):
    """Every machine in a zone stops."""

    name: ClassVar[str] = "zone-outage"
    category: ClassVar[str] = "fault"
    zone: str

    def describe(self) -> str:
        """In words."""
        return f"zone {self.zone} goes down"

    def apply(self, cluster: Cluster) -> None:
        """Crash each node of the zone."""
        graph = cluster_graph(cluster.store.list_objects("Node"))
        for name in domains(graph, ZONE_LABEL).get(self.zone, ()):
            NodeCrash(name).apply(cluster)


@register
@dataclass(frozen=True)
class MachineGone(Action):
    """The cloud deletes a node's instance."""

    name: ClassVar[str] = "machine-gone"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"the cloud instance of node {self.node} is gone"

    def apply(self, cluster: Cluster) -> None:
        """Stop the machine for good."""
        machine = cluster.machines[self.node]
        machine.up = False
        machine.exists = False
        machine.pods.clear()
        _fault(cluster, self.name, self.node)


@register
@dataclass(frozen=True)
class KubeletPartition(Action):
    """A kubelet loses its connection to the API server; its containers keep running."""

    name: ClassVar[str] = "kubelet-partition"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} is cut off from the API server"

    def apply(self, cluster: Cluster) -> None:
        """Partition."""
        cluster.machines[self.node].partitioned = True
        _fault(cluster, self.name, self.node)


@register
@dataclass(frozen=True)
class KubeletHeal(Action):
    """A partitioned kubelet reaches the API server again."""

    name: ClassVar[str] = "kubelet-heal"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} reaches the API server again"

    def apply(self, cluster: Cluster) -> None:
        """Heal."""
        cluster.machines[self.node].partitioned = False
        cluster.machines[self.node].epoch += 1


@register
@dataclass(frozen=True)
class ControlPlaneCrash(Action):
    """A control-plane (etcd) member crashes."""

    name: ClassVar[str] = "control-plane-crash"
    category: ClassVar[str] = "fault"
    member: int

    def describe(self) -> str:
        """In words."""
        return f"control-plane member {self.member} crashes"

    def apply(self, cluster: Cluster) -> None:
        """Take the member down."""
        if self.member not in cluster.store.down:
            cluster.store.down.add(self.member)
            _fault(cluster, self.name)


@register
@dataclass(frozen=True)
class ControlPlaneRecover(Action):
    """A crashed control-plane member recovers."""

    name: ClassVar[str] = "control-plane-recover"
    category: ClassVar[str] = "fault"
    member: int

    def describe(self) -> str:
        """In words."""
        return f"control-plane member {self.member} recovers"

    def apply(self, cluster: Cluster) -> None:
        """Bring the member back."""
        cluster.store.down.discard(self.member)


@register
@dataclass(frozen=True)
class ControllerRestart(Action):
    """A controller process restarts: in-memory state lost, caches rebuilt by a fresh list."""

    name: ClassVar[str] = "controller-restart"
    category: ClassVar[str] = "fault"
    component: str

    def describe(self) -> str:
        """In words."""
        return f"{self.component} restarts"

    def apply(self, cluster: Cluster) -> None:
        """Forget memory; relist."""
        cluster.memory[self.component] = {}
        cluster.informers[self.component].relist(cluster.store)
        _fault(cluster, self.name)


@register
@dataclass(frozen=True)
class WatchDelay(Action):
    """A component's watch stalls: it keeps acting on what it has seen so far."""

    name: ClassVar[str] = "watch-delay"
    category: ClassVar[str] = "fault"
    component: str

    def describe(self) -> str:
        """In words."""
        return f"{self.component}'s watch stalls (stale reads)"

    def apply(self, cluster: Cluster) -> None:
        """Stop automatic delivery."""
        cluster.informers[self.component].lagging = True
        _fault(cluster, self.name)


@register
@dataclass(frozen=True)
class WatchDeliver(Action):
    """A stalled watch delivers everything pending and resumes."""

    name: ClassVar[str] = "watch-deliver"
    category: ClassVar[str] = "fault"
    component: str

    def describe(self) -> str:
        """In words."""
        return f"{self.component}'s watch catches up"

    def apply(self, cluster: Cluster) -> None:
        """Deliver and resume."""
        informer = cluster.informers[self.component]
        informer.lagging = False
        informer.deliver(cluster.store)


@register
@dataclass(frozen=True)
class WatchDrop(Action):
    """A component's watch loses its next event (until a relist repairs the cache)."""

    name: ClassVar[str] = "watch-drop"
    category: ClassVar[str] = "fault"
    component: str

    def describe(self) -> str:
        """In words."""
        return f"{self.component}'s watch drops its next event"

    def apply(self, cluster: Cluster) -> None:
        """Drop the next event."""
        informer = cluster.informers[self.component]
        informer.deliver(cluster.store)
        informer.drop_next += 1
        _fault(cluster, self.name)


# ----------------------------------------------------------------------------- user requests


def _deployment(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    current = cluster.store.get(("Deployment", namespace, name))
    return None if current is None else copy.deepcopy(dict(current))


@register
@dataclass(frozen=True)
class SetImage(Action):
    """``kubectl set image``: a new image for one container of a Deployment (a rollout)."""

    name: ClassVar[str] = "set-image"
    category: ClassVar[str] = "user"
    namespace: str
    deployment: str
    container: str
    image: str

    def describe(self) -> str:
        """In words."""
        return f"user rolls out image {self.image} to {self.namespace}/{self.deployment}"

    def apply(self, cluster: Cluster) -> None:
        """Change the template."""
        body = _deployment(cluster, self.namespace, self.deployment)
        if body is None:
            return
        for container in body["spec"]["template"]["spec"].get("containers") or []:
            if container.get("name") == self.container:
                container["image"] = self.image
        cluster.update(body)


@register
@dataclass(frozen=True)
class ScaleDeployment(Action):
    """``kubectl scale``: set a Deployment's replicas."""

    name: ClassVar[str] = "scale"
    category: ClassVar[str] = "user"
    namespace: str
    deployment: str
    replicas: int

    def describe(self) -> str:
        """In words."""
        return f"user scales {self.namespace}/{self.deployment} to {self.replicas}"

    def apply(self, cluster: Cluster) -> None:
        """Change spec.replicas."""
        body = _deployment(cluster, self.namespace, self.deployment)
        if body is None:
            return
        body["spec"]["replicas"] = self.replicas
        cluster.update(body)


@register
@dataclass(frozen=True)
class RollbackDeployment(Action):
    """``kubectl rollout undo``: copy the previous revision's template into the Deployment.

    For apps/v1 kubectl does this on the client side: it finds the ReplicaSet of the previous
    revision and patches its template (without the pod-template-hash label) into the Deployment.
    """

    name: ClassVar[str] = "rollback"
    category: ClassVar[str] = "user"
    namespace: str
    deployment: str

    def describe(self) -> str:
        """In words."""
        return f"user rolls back {self.namespace}/{self.deployment}"

    def apply(self, cluster: Cluster) -> None:
        """Patch the template from the previous revision."""
        from kmodel.semantics.deployment import last_revision, revision  # noqa: PLC0415

        body = _deployment(cluster, self.namespace, self.deployment)
        if body is None:
            return
        owned = [
            rs
            for rs in cluster.store.list_objects("ReplicaSet", self.namespace)
            if any(
                r.get("uid") == body["metadata"]["uid"]
                for r in rs["metadata"].get("ownerReferences") or []
            )
        ]
        target = last_revision(owned)
        previous = next((rs for rs in owned if revision(rs) == target), None)
        if previous is None or target == 0:
            return
        template = copy.deepcopy(previous["spec"]["template"])
        template.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
        body["spec"]["template"] = template
        cluster.update(body)


@register
@dataclass(frozen=True)
class DrainNode(Action):
    """``kubectl drain``: cordon a node, then evict its pods (see :mod:`.disruption`)."""

    name: ClassVar[str] = "drain"
    category: ClassVar[str] = "user"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"user drains node {self.node}"

    def apply(self, cluster: Cluster) -> None:
        """Cordon and mark as draining."""
        node = cluster.store.get(("Node", "", self.node))
        if node is None:
            return
        body = copy.deepcopy(dict(node))
        body.setdefault("spec", {})["unschedulable"] = True
        if cluster.update(body) is not None:
            cluster.memory.setdefault("drain", {}).setdefault("nodes", set()).add(self.node)


@register
@dataclass(frozen=True)
class UpdateConfigMap(Action):
    """``kubectl apply`` of a ConfigMap with a new value for one key."""

    name: ClassVar[str] = "update-configmap"
    category: ClassVar[str] = "user"
    namespace: str
    configmap: str
    key: str
    value: str

    def describe(self) -> str:
        """In words."""
        return f"user sets {self.key}={self.value!r} in ConfigMap {self.namespace}/{self.configmap}"

    def apply(self, cluster: Cluster) -> None:
        """Update the data."""
        current = cluster.store.get(("ConfigMap", self.namespace, self.configmap))
        if current is None:
            return
        body = copy.deepcopy(dict(current))
        body.setdefault("data", {})[self.key] = self.value
        cluster.update(body)


assert set(COMPONENTS) >= {"replicaset", "deployment"}  # noqa: S101  # names used by faults


@register
@dataclass(frozen=True)
class DeletePod(Action):
    """``kubectl delete pod``: a graceful deletion through the API."""

    name: ClassVar[str] = "delete-pod"
    category: ClassVar[str] = "user"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"user deletes pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Delete (gracefully when the pod is bound to a node)."""
        current = cluster.store.get(("Pod", self.namespace, self.pod))
        if current is None:
            return
        graceful = bool((current.get("spec") or {}).get("nodeName"))
        cluster.delete(
            ("Pod", self.namespace, self.pod), uid=current["metadata"]["uid"], graceful=graceful
        )


@register
@dataclass(frozen=True)
class PauseDeployment(Action):
    """``kubectl rollout pause`` (``paused: true``) or ``resume`` (``paused: false``)."""

    name: ClassVar[str] = "pause"
    category: ClassVar[str] = "user"
    namespace: str
    deployment: str
    paused: bool = True

    def describe(self) -> str:
        """In words."""
        verb = "pauses" if self.paused else "resumes"
        return f"user {verb} the rollout of {self.namespace}/{self.deployment}"

    def apply(self, cluster: Cluster) -> None:
        """Set ``spec.paused``."""
        body = _deployment(cluster, self.namespace, self.deployment)
        if body is None:
            return
        body["spec"]["paused"] = self.paused
        cluster.update(body)
