"""Faults, declared once: each kind a spec may allow, what it does and when it can happen.

A fault kind is one :class:`Fault` in :data:`FAULTS`: its spec name (``faults: {kind: budget}``),
the :class:`Action` that happens (a registered class, so traces name and replay it), the
choices it offers on the cluster as it is now, and a line for the README. What ends a transient
fault is one :class:`Recovery` in :data:`RECOVERIES`: offered while the fault lasts, and applied
before the eventual invariants are judged when ``at_finish``. Exploration (``Run``), spec
validation and the README's fault table read these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.kubelet import KubeletRestart, exit_running
from kmodel.cluster.informer import Informer, kubelet_informer, kubelet_informer_name
from kmodel.cluster.store import Written
from kmodel.cluster.topology import ZONE_LABEL, cluster_graph, domains, zones

if TYPE_CHECKING:
    from kmodel.cluster.model import Cluster

__all__ = [
    "FAULTS",
    "FAULT_KINDS",
    "RECOVERIES",
    "ContainerCrash",
    "ControlPlaneCrash",
    "ControlPlaneRecover",
    "ControllerRestart",
    "Fault",
    "KubeletHeal",
    "KubeletPartition",
    "KubeletWatchDelay",
    "KubeletWatchDeliver",
    "KubeletWatchDrop",
    "KubeletWatchRelist",
    "MachineGone",
    "NodeCrash",
    "NodeRecover",
    "Recovery",
    "WatchDelay",
    "WatchDeliver",
    "WatchDrop",
    "WatchRelist",
    "ZoneOutage",
    "fault_kind",
    "transient_endings",
]


#: containerd's exit code for a container whose task vanished (``unknownExitCode``).
_UNKNOWN_EXIT_CODE: Final = 255


def _fault(cluster: Cluster, kind: str, node: str | None = None) -> None:
    cluster.faults.append(kind)
    if node is not None:
        cluster.machines[node].epoch += 1


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
        """Stop the machine: the kubelet's memory is lost, the runtime's container records kept.

        containerd checkpoints its containers on disk, so their records (restart counts, exit
        codes) outlive the machine; see :class:`NodeRecover` for what it makes of them.
        """
        machine = cluster.machines[self.node]
        if machine.up:
            machine.up = False
            for key, runtime in machine.pods.items():
                if any(runtime.records.values()):
                    machine.kept_containers[key] = runtime.records
            machine.pods.clear()
            _fault(cluster, self.name, self.node)


@register
@dataclass(frozen=True)
class NodeRecover(Action):
    """A crashed machine boots again: its kubelet starts afresh, its runtime with what it kept."""

    name: ClassVar[str] = "node-recover"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"node {self.node} recovers"

    def apply(self, cluster: Cluster) -> None:
        """Start the machine; its kubelet starts with a fresh list of its pods.

        The runtime recovers its checkpointed containers (containerd
        ``internal/cri/server/restart.go loadContainer``): one that was running has lost its
        task and is exited now with code 255 and reason ``Unknown``.
        """
        machine = cluster.machines[self.node]
        if not machine.up and machine.exists:
            machine.up = True
            for by_name in machine.kept_containers.values():
                exit_running(
                    by_name, exit_code=_UNKNOWN_EXIT_CODE, reason="Unknown", now=cluster.now
                )
            machine.last_heartbeat = 0
            machine.epoch += 1
            _kubelet_informer(cluster, self.node).relist(cluster.store)


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
        machine.kept_containers.clear()
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
    """A partitioned kubelet reaches the API server again.

    Its pod watch broke while it was cut off, so its reflector lists afresh
    (``Reflector.ListAndWatch`` starts over with a list): deletions it missed reach it at once.
    """

    name: ClassVar[str] = "kubelet-heal"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} reaches the API server again"

    def apply(self, cluster: Cluster) -> None:
        """Heal: the kubelet's reflector, whose watch broke, lists its pods afresh."""
        cluster.machines[self.node].partitioned = False
        cluster.machines[self.node].epoch += 1
        if cluster.machines[self.node].up:
            _kubelet_informer(cluster, self.node).relist(cluster.store)


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
        _restart(cluster, self.component)
        _fault(cluster, self.name)


def _restart(cluster: Cluster, component: str) -> None:
    cluster.memory[component] = {}
    cluster.informers[component].relist(cluster.store)


@register
@dataclass(frozen=True)
class MidSyncCrash(Action):
    """A component crashes part way through one of its steps, then restarts.

    The step's first ``writes`` writes commit and the rest never happen: a reconcile that
    writes several objects (a Deployment sync creating a ReplicaSet then writing its status, a
    ReplicaSet creating a batch of pods, the node lifecycle controller marking pods and tainting
    a node) leaves the intermediate state a process crash between two API calls leaves upstream
    (the fault Sieve injects into real controllers). The component then restarts as after
    ``controller-restart``.
    """

    name: ClassVar[str] = "mid-sync-crash"
    category: ClassVar[str] = "fault"
    component: str
    step: Action
    writes: int

    def describe(self) -> str:
        """In words."""
        return (
            f"{self.component} crashes after {self.writes} write(s) of "
            f"'{self.step.describe()}', then restarts"
        )

    def apply(self, cluster: Cluster) -> None:
        """The step, stopped after its first ``writes`` writes; then the restart."""
        cluster.store.stop_after = self.writes
        try:
            self.step.apply(cluster)
        except Written:
            pass  # the crash: what the step would have written next is never written
        finally:
            cluster.store.stop_after = None
        _restart(cluster, self.component)
        _fault(cluster, self.name)


def _mid_sync_crashes(cluster: Cluster) -> list[Action]:
    """Each step of an informer-reading component that writes n >= 2 objects, cut after 1..n-1."""
    crashes: list[Action] = []
    for name in cluster.components.informer_names:
        steps = cluster.components[name].steps
        for step in steps(cluster) if steps is not None else ():
            writes = cluster.writes_of(step, component=name)
            crashes.extend(MidSyncCrash(name, step, k) for k in range(1, writes))
    return crashes


# Watch faults, one family for every informer: a control-plane component's (named by its
# ``component``) and a kubelet's pod watch (named by its ``node``). What differs between them
# the informer knows: whether it reaches the API server, and what to invalidate when it changes
# (:meth:`Informer.reaches_api`, :meth:`Informer.invalidate`). The action names stay apart, as
# traces and specs' fault kinds spell them.


@dataclass(frozen=True)
class _ComponentWatch(Action):
    """A watch fault on a control-plane component's informer."""

    component: str

    def informer(self, cluster: Cluster) -> Informer:
        """The component's informer."""
        return cluster.informers[self.component]

    def owner(self) -> str:
        """Whose watch, in words ("<owner>watch ...")."""
        return f"{self.component}'s "


@dataclass(frozen=True)
class _KubeletWatch(Action):
    """A watch fault on the pod informer of the kubelet on ``node``."""

    node: str

    def informer(self, cluster: Cluster) -> Informer:
        """The kubelet's pod informer (made by a first list when first needed)."""
        return _kubelet_informer(cluster, self.node)

    def owner(self) -> str:
        """Whose watch, in words ("<owner>watch ...")."""
        return f"kubelet on {self.node}: its pod "


class _WatchFault(Action):
    """The behaviour of a watch fault, on whichever informer its target names.

    A concrete fault lists its target first (``class WatchDelay(_ComponentWatch, _Stall)``),
    so the target's :meth:`informer` and :meth:`owner` are the ones used.
    """

    def informer(self, cluster: Cluster) -> Informer:  # pragma: no cover - the targets define it
        """The informer the fault acts on."""
        raise NotImplementedError

    def owner(self) -> str:  # pragma: no cover - the targets define it
        """Whose watch, in words."""
        raise NotImplementedError

    def _record(self, cluster: Cluster, informer: Informer) -> None:
        _fault(cluster, self.name)
        informer.invalidate(cluster.machines)


class _Stall(_WatchFault):
    """The watch stalls: its owner keeps acting on what it has seen so far."""

    def describe(self) -> str:
        """In words."""
        return f"{self.owner()}watch stalls (stale reads)"

    def apply(self, cluster: Cluster) -> None:
        """Stop automatic delivery."""
        informer = self.informer(cluster)
        informer.lagging = True
        self._record(cluster, informer)


class _Deliver(_WatchFault):
    """A stalled watch delivers everything pending and resumes."""

    def describe(self) -> str:
        """In words."""
        return f"{self.owner()}watch catches up"

    def apply(self, cluster: Cluster) -> None:
        """Resume; deliver now unless the owner cannot reach the API server."""
        informer = self.informer(cluster)
        informer.lagging = False
        if informer.reaches_api(cluster.machines):
            informer.deliver(cluster.store)
        informer.invalidate(cluster.machines)


class _Drop(_WatchFault):
    """The watch loses its next event, until a relist repairs the cache.

    What is pending is delivered first unless the watch stalls (then the event lost is the
    first the stalled watch would have delivered).
    """

    def describe(self) -> str:
        """In words."""
        return f"{self.owner()}watch drops its next event"

    def apply(self, cluster: Cluster) -> None:
        """Drop the next event the watch sends."""
        informer = self.informer(cluster)
        if informer.reaches_api(cluster.machines):
            informer.catch_up(cluster.store)
        informer.drop_next += 1
        self._record(cluster, informer)


class _Relist(_WatchFault):
    """A broken watch ends and its reflector lists afresh (``Reflector.ListAndWatch``).

    What the watch lost is back; the owner's memory stays (it did not restart).
    """

    def describe(self) -> str:
        """In words."""
        return f"{self.owner()}reflector lists afresh"

    def apply(self, cluster: Cluster) -> None:
        """Relist, when the owner reaches the API server."""
        informer = self.informer(cluster)
        if informer.reaches_api(cluster.machines):
            informer.relist(cluster.store)
            informer.invalidate(cluster.machines)


@register
@dataclass(frozen=True)
class WatchDelay(_ComponentWatch, _Stall):
    """A component's watch stalls: it keeps acting on what it has seen so far."""

    name: ClassVar[str] = "watch-delay"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class WatchDeliver(_ComponentWatch, _Deliver):
    """A component's stalled watch delivers everything pending and resumes."""

    name: ClassVar[str] = "watch-deliver"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class WatchDrop(_ComponentWatch, _Drop):
    """A component's watch loses its next event (until a relist repairs the cache)."""

    name: ClassVar[str] = "watch-drop"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class WatchRelist(_ComponentWatch, _Relist):
    """A component's broken watch ends and its reflector lists afresh: what it lost is back."""

    name: ClassVar[str] = "watch-relist"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class KubeletWatchDelay(_KubeletWatch, _Stall):
    """A kubelet's pod watch stalls: it keeps running and cleaning up pods from stale reads."""

    name: ClassVar[str] = "kubelet-watch-delay"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class KubeletWatchDeliver(_KubeletWatch, _Deliver):
    """A kubelet's stalled pod watch delivers everything pending and resumes."""

    name: ClassVar[str] = "kubelet-watch-deliver"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class KubeletWatchDrop(_KubeletWatch, _Drop):
    """A kubelet's pod watch loses its next event (until a restart or a relist)."""

    name: ClassVar[str] = "kubelet-watch-drop"
    category: ClassVar[str] = "fault"


@register
@dataclass(frozen=True)
class KubeletWatchRelist(_KubeletWatch, _Relist):
    """A kubelet's broken pod watch ends and its reflector lists afresh."""

    name: ClassVar[str] = "kubelet-watch-relist"
    category: ClassVar[str] = "fault"


def _kubelet_informer(cluster: Cluster, node: str) -> Informer:
    return kubelet_informer(cluster.informers, cluster.store, node)


# ----------------------------------------------------------------------------- the tables


@dataclass(frozen=True)
class Fault:
    """One fault kind a spec may allow.

    Attributes:
        kind: its name in a spec's ``faults:`` block.
        action: the action that happens (its ``name`` is what traces show).
        choices: the faults of this kind possible on the cluster now, in a fixed order.
        summary: what happens, for the README's fault table.
    """

    kind: str
    action: type[Action]
    choices: Callable[[Cluster], list[Action]]
    summary: str


@dataclass(frozen=True)
class Recovery:
    """What ends a transient fault: offered while it lasts.

    Attributes:
        action: the recovery.
        choices: the recoveries possible now (none while nothing is to recover).
        at_finish: the fault is transient: it ends before the eventual invariants are judged
            (crashed machines stay down: the cluster must heal around them).
    """

    action: type[Action]
    choices: Callable[[Cluster], list[Action]]
    at_finish: bool


#: Exit codes a crashing container may exit with.
_CRASH_CODES: Final = (1, 137)


def _up(cluster: Cluster) -> list[str]:
    return [n for n in sorted(cluster.machines) if cluster.machines[n].up]


def _reaching_api(cluster: Cluster) -> list[str]:
    return [n for n in _up(cluster) if not cluster.machines[n].partitioned]


def _container_crashes(cluster: Cluster) -> list[Action]:
    return [
        ContainerCrash(name, runtime.namespace, runtime.name, container, code)
        for name in _up(cluster)
        for runtime in cluster.machines[name].pods.values()
        for container in runtime.running()
        for code in _CRASH_CODES
    ]


def _zone_outages(cluster: Cluster) -> list[Action]:
    return [ZoneOutage(z) for z in zones(cluster_graph(cluster.store.list_objects("Node")))]


FAULTS: Final[tuple[Fault, ...]] = (
    Fault(
        "container_crash",
        ContainerCrash,
        _container_crashes,
        "a running container exits on its own (code 1 or 137)",
    ),
    Fault(
        "node_crash",
        NodeCrash,
        lambda cluster: [NodeCrash(n) for n in _up(cluster)],
        "a machine stops, with its kubelet and containers; the runtime keeps their records "
        "(recovers: `node-recover`, the kubelet recreates the sandboxes)",
    ),
    Fault(
        "zone_outage",
        ZoneOutage,
        _zone_outages,
        "every machine of a zone stops (each recovers: `node-recover`)",
    ),
    Fault(
        "machine_gone",
        MachineGone,
        lambda cluster: [
            MachineGone(n) for n in sorted(cluster.machines) if cluster.machines[n].exists
        ],
        "the cloud deletes a node's instance, for good",
    ),
    Fault(
        "kubelet_partition",
        KubeletPartition,
        lambda cluster: [
            KubeletPartition(n) for n in _up(cluster) if not cluster.machines[n].partitioned
        ],
        "a kubelet is cut off from the API server; its containers keep running (heals)",
    ),
    Fault(
        "control_plane_crash",
        ControlPlaneCrash,
        lambda cluster: [
            ControlPlaneCrash(m)
            for m in range(cluster.store.members)
            if m not in cluster.store.down
        ],
        "an etcd member crashes; without quorum nothing is written (recovers)",
    ),
    Fault(
        "controller_restart",
        ControllerRestart,
        lambda cluster: [ControllerRestart(c) for c in cluster.components.informer_names],
        "a component that reads through an informer restarts: memory lost, cache relisted",
    ),
    Fault(
        "mid_sync_crash",
        MidSyncCrash,
        _mid_sync_crashes,
        "a component that reads through an informer crashes between two writes of one step "
        "(a reconcile writing several objects): the writes before land, the rest never "
        "happen; it restarts as after `controller_restart`",
    ),
    Fault(
        "watch_delay",
        WatchDelay,
        lambda cluster: [
            WatchDelay(c)
            for c in cluster.components.informer_names
            if not cluster.informers[c].lagging
        ],
        "an informer-reading component's watch stalls: it acts on stale reads (catches up)",
    ),
    Fault(
        "watch_drop",
        WatchDrop,
        lambda cluster: [WatchDrop(c) for c in cluster.components.informer_names],
        "an informer-reading component's watch loses its next event (a relist repairs it: "
        "`watch-relist`)",
    ),
    Fault(
        "kubelet_restart",
        KubeletRestart,
        lambda cluster: [KubeletRestart(n) for n in _reaching_api(cluster)],
        "a kubelet restarts: its pod informer relists, its back-off and probe results are lost, "
        "its containers keep running",
    ),
    Fault(
        "kubelet_watch_delay",
        KubeletWatchDelay,
        lambda cluster: [
            KubeletWatchDelay(n)
            for n in _reaching_api(cluster)
            if not _kubelet_informer(cluster, n).lagging
        ],
        "a kubelet's pod watch stalls: it syncs and cleans up pods from stale reads "
        "(catches up: `kubelet-watch-deliver`)",
    ),
    Fault(
        "kubelet_watch_drop",
        KubeletWatchDrop,
        lambda cluster: [KubeletWatchDrop(n) for n in _reaching_api(cluster)],
        "a kubelet's pod watch loses its next event (a relist repairs it: "
        "`kubelet-watch-relist`, a healed partition, a restart)",
    ),
)

#: The fault kinds a spec may allow, in :data:`FAULTS` order.
FAULT_KINDS: Final = tuple(f.kind for f in FAULTS)

#: Recoveries, in the order they are offered (and, the transient ones, applied at the end).
RECOVERIES: Final[tuple[Recovery, ...]] = (
    Recovery(
        NodeRecover,
        lambda cluster: [
            NodeRecover(n)
            for n in sorted(cluster.machines)
            if not cluster.machines[n].up and cluster.machines[n].exists
        ],
        at_finish=False,
    ),
    Recovery(
        KubeletHeal,
        lambda cluster: [
            KubeletHeal(n) for n in sorted(cluster.machines) if cluster.machines[n].partitioned
        ],
        at_finish=True,
    ),
    Recovery(
        ControlPlaneRecover,
        lambda cluster: [ControlPlaneRecover(m) for m in sorted(cluster.store.down)],
        at_finish=True,
    ),
    Recovery(
        KubeletWatchDeliver,
        lambda cluster: [
            KubeletWatchDeliver(n) for n in sorted(cluster.machines) if _kubelet_lagging(cluster, n)
        ],
        at_finish=True,
    ),
    Recovery(
        WatchDeliver,
        lambda cluster: [
            WatchDeliver(c)
            for c in cluster.components.informer_names
            if cluster.informers[c].lagging
        ],
        at_finish=True,
    ),
    Recovery(
        KubeletWatchRelist,
        lambda cluster: [
            KubeletWatchRelist(n) for n in _reaching_api(cluster) if _kubelet_dropped(cluster, n)
        ],
        at_finish=True,
    ),
    Recovery(
        WatchRelist,
        lambda cluster: [
            WatchRelist(c)
            for c in cluster.components.informer_names
            if cluster.informers[c].dropped or cluster.informers[c].drop_next
        ],
        at_finish=True,
    ),
)


def _kubelet_lagging(cluster: Cluster, node: str) -> bool:
    """Whether the kubelet's pod watch lags (without making its informer)."""
    informer = cluster.informers.get(kubelet_informer_name(node))
    return informer is not None and informer.lagging


def _kubelet_dropped(cluster: Cluster, node: str) -> bool:
    """Whether the kubelet's pod watch lost an event since its last list, or is to lose one."""
    informer = cluster.informers.get(kubelet_informer_name(node))
    return informer is not None and bool(informer.dropped or informer.drop_next)


_KIND_BY_ACTION: Final = {f.action.name: f.kind for f in FAULTS}


def fault_kind(action: Action) -> str | None:
    """The fault kind whose budget ``action`` uses (None: not a fault a spec allows)."""
    return _KIND_BY_ACTION.get(action.name)


def transient_endings(cluster: Cluster) -> list[Action]:
    """What ends every transient fault now: applied before the eventual invariants are judged."""
    return [action for r in RECOVERIES if r.at_finish for action in r.choices(cluster)]
