"""The components of the cluster, declared once: :data:`COMPONENTS`.

Each :class:`~kmodel.cluster.registry.Component` names a component, lists the steps it would
take now and says whether it reads through an informer (then watch faults and restarts reach
it). The table's order is the order their steps are offered: kubelets, the scheduler, the
volume, Deployment, ReplicaSet, StatefulSet (with the claim garbage collector), DaemonSet, Job
(with TTL-after-finished) and CronJob controllers, the endpoints controller, kube-proxy, the
disruption controller, the node lifecycle, taint-eviction, pod-GC and cloud controllers, and
the HorizontalPodAutoscaler controller.
"""

from __future__ import annotations

from typing import Final

from kmodel.cluster.actions import Action
from kmodel.cluster.components.controllers import deployment_actions, replicaset_actions
from kmodel.cluster.components.cronjob import cronjob_actions
from kmodel.cluster.components.daemonset import daemonset_actions
from kmodel.cluster.components.disruption import disruption_actions
from kmodel.cluster.components.hpa import hpa_actions
from kmodel.cluster.components.job import job_actions
from kmodel.cluster.components.kubelet import kubelet_actions, post_due_heartbeats
from kmodel.cluster.components.network import endpoint_actions
from kmodel.cluster.components.nodes import node_actions
from kmodel.cluster.components.scheduler import SchedulePod, scheduler_actions
from kmodel.cluster.components.statefulset import statefulset_actions
from kmodel.cluster.components.storage import storage_actions
from kmodel.cluster.registry import Component, ComponentTable

__all__ = ["COMPONENTS"]


def _first_node_per_pod(actions: list[Action]) -> list[Action]:
    """Ties between top-scored nodes are explorable; settling takes the first of each pod."""
    seen: set[tuple[str, str]] = set()
    chosen: list[Action] = []
    for action in actions:
        if isinstance(action, SchedulePod):
            if (action.namespace, action.pod) in seen:
                continue
            seen.add((action.namespace, action.pod))
        chosen.append(action)
    return chosen


#: The built-in components, in the order their steps are offered.
COMPONENTS: Final = ComponentTable(
    (
        Component(
            "kubelet",
            kubelet_actions,
            informer=False,
            # Each kubelet reads its node's pods through an informer of its own, which the
            # kubelet_* faults reach (kmodel.cluster.faults), not the shared watch faults.
            summary="pod sync, static pods, cleanup of pods gone from its informer, heartbeats; "
            "each reads its node's pods through its own informer (the `kubelet_*` faults)",
            on_tick=post_due_heartbeats,
        ),
        Component(
            "scheduler",
            scheduler_actions,
            informer=True,
            summary="one binding per pending pod and top-scored node (assume cache)",
            settle_steps=_first_node_per_pod,
        ),
        Component("volume", storage_actions, informer=True, summary="PV binding"),
        Component("deployment", deployment_actions, informer=True, summary="Deployment syncs"),
        Component("replicaset", replicaset_actions, informer=True, summary="ReplicaSet syncs"),
        Component(
            "statefulset",
            statefulset_actions,
            informer=True,
            summary="StatefulSet syncs, claim garbage collection",
        ),
        Component("daemonset", daemonset_actions, informer=True, summary="DaemonSet syncs"),
        Component(
            "job", job_actions, informer=True, summary="Job syncs, orphan release, TTL deletion"
        ),
        Component("cronjob", cronjob_actions, informer=True, summary="CronJob syncs"),
        Component("endpoints", endpoint_actions, informer=True, summary="Endpoints syncs"),
        Component(
            "proxy", None, informer=True, summary="kube-proxy: routes requests (ServeRequest)"
        ),
        Component(
            "disruption",
            disruption_actions,
            informer=True,
            summary="PDB status, drain evictions through the eviction API",
        ),
        # It reads the store directly (no informer yet), so watch faults cannot reach it.
        Component(
            "nodelifecycle",
            node_actions,
            informer=False,
            summary="node health and taints, taint eviction, pod GC, cloud node removal",
        ),
        Component("hpa", hpa_actions, informer=True, summary="HorizontalPodAutoscaler syncs"),
    )
)
