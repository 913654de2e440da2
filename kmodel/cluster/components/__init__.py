"""The components of the cluster and their reconcile steps.

:func:`enabled` lists, in a fixed order, every component step that would change something now:
kubelets, the scheduler, the volume, ReplicaSet, Deployment, StatefulSet (with the claim
garbage collector), DaemonSet, Job and CronJob controllers, the endpoints and disruption
controllers, the node lifecycle, taint-eviction, pod-GC and cloud controllers, and the
HorizontalPodAutoscaler controller.
"""

from __future__ import annotations

from typing import Final

from kmodel.cluster.actions import Action
from kmodel.cluster.components.controllers import SyncDeployment, SyncReplicaSet, controller_actions
from kmodel.cluster.components.cronjob import SyncCronJob, cronjob_actions
from kmodel.cluster.components.daemonset import (
    SetDaemonSetImage,
    SyncDaemonSet,
    daemonset_actions,
)
from kmodel.cluster.components.disruption import EvictPod, SyncDisruptionBudget, disruption_actions
from kmodel.cluster.components.events import (
    ContainerCrash,
    ControllerRestart,
    ControlPlaneCrash,
    ControlPlaneRecover,
    DeletePod,
    DrainNode,
    KubeletHeal,
    KubeletPartition,
    MachineGone,
    NodeCrash,
    NodeRecover,
    PauseDeployment,
    RollbackDeployment,
    ScaleDeployment,
    SetImage,
    Tick,
    UpdateConfigMap,
    WatchDelay,
    WatchDeliver,
    WatchDrop,
    ZoneOutage,
)
from kmodel.cluster.components.hpa import SetLoad, SyncHorizontalPodAutoscaler, hpa_actions
from kmodel.cluster.components.job import (
    DeleteExpiredJob,
    ReleaseOrphanPod,
    SyncJob,
    job_actions,
)
from kmodel.cluster.components.kubelet import (
    KubeletCleanupPods,
    KubeletHeartbeat,
    KubeletSyncPod,
    kubelet_actions,
)
from kmodel.cluster.components.network import ServeRequest, SyncEndpoints, endpoint_actions
from kmodel.cluster.components.nodes import (
    CloudNodeSync,
    GarbageCollectPod,
    MonitorNodeHealth,
    TaintEvict,
    node_actions,
)
from kmodel.cluster.components.scheduler import (
    MarkUnschedulable,
    RemoveSchedulingGates,
    SchedulePod,
    scheduler_actions,
)
from kmodel.cluster.components.statefulset import (
    CollectClaim,
    ScaleStatefulSet,
    SetStatefulSetImage,
    SyncStatefulSet,
    statefulset_actions,
)
from kmodel.cluster.components.storage import BindVolume, storage_actions
from kmodel.cluster.model import Cluster

__all__ = [
    "SETTLE_IDLE_TICKS",
    "BindVolume",
    "CloudNodeSync",
    "CollectClaim",
    "ContainerCrash",
    "ControlPlaneCrash",
    "ControlPlaneRecover",
    "ControllerRestart",
    "DeleteExpiredJob",
    "DeletePod",
    "DrainNode",
    "EvictPod",
    "GarbageCollectPod",
    "KubeletCleanupPods",
    "KubeletHeal",
    "KubeletHeartbeat",
    "KubeletPartition",
    "KubeletSyncPod",
    "MachineGone",
    "MarkUnschedulable",
    "MonitorNodeHealth",
    "NodeCrash",
    "NodeRecover",
    "PauseDeployment",
    "ReleaseOrphanPod",
    "RemoveSchedulingGates",
    "RollbackDeployment",
    "ScaleDeployment",
    "ScaleStatefulSet",
    "SchedulePod",
    "ServeRequest",
    "SetDaemonSetImage",
    "SetImage",
    "SetLoad",
    "SetStatefulSetImage",
    "SyncCronJob",
    "SyncDaemonSet",
    "SyncDeployment",
    "SyncDisruptionBudget",
    "SyncEndpoints",
    "SyncHorizontalPodAutoscaler",
    "SyncJob",
    "SyncReplicaSet",
    "SyncStatefulSet",
    "TaintEvict",
    "Tick",
    "UpdateConfigMap",
    "WatchDelay",
    "WatchDeliver",
    "WatchDrop",
    "ZoneOutage",
    "enabled",
]

#: How many idle clock ticks :meth:`Cluster.settle` allows before it calls the cluster stable.
SETTLE_IDLE_TICKS: Final = 40


def enabled(cluster: Cluster, *, all_choices: bool = False) -> list[Action]:
    """Every component step that would change something now, in a fixed order.

    The scheduler offers one action per top-scored node of a pending pod; unless
    ``all_choices``, only the first (by node name) is listed, as :meth:`Cluster.settle` needs.
    """
    actions: list[Action] = []
    actions.extend(kubelet_actions(cluster))
    scheduling = scheduler_actions(cluster)
    # Ties between top-scored nodes are explorable, but settling takes the first of each pod.
    seen: set[tuple[str, str]] = set()
    for action in scheduling:
        if isinstance(action, SchedulePod) and not all_choices:
            if (action.namespace, action.pod) in seen:
                continue
            seen.add((action.namespace, action.pod))
        actions.append(action)
    actions.extend(storage_actions(cluster))
    actions.extend(controller_actions(cluster))
    actions.extend(statefulset_actions(cluster))
    actions.extend(daemonset_actions(cluster))
    actions.extend(job_actions(cluster))
    actions.extend(cronjob_actions(cluster))
    actions.extend(endpoint_actions(cluster))
    actions.extend(disruption_actions(cluster))
    actions.extend(node_actions(cluster))
    actions.extend(hpa_actions(cluster))
    for controller in cluster.config.controllers:
        actions.extend(controller(cluster))
    return actions
