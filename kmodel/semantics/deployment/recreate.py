"""The Recreate strategy.

Mirrors ``pkg/controller/deployment/recreate.go`` (``rolloutRecreate``,
``scaleDownOldReplicaSetsForRecreate``, ``oldPodsRunning``,
``scaleUpNewReplicaSetForRecreate``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _get
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.sync import ScaleAction, _scale_and_record, cleanup_deployment
from kmodel.semantics.deployment.util import _active, _replicas, _sum_status, deployment_complete

__all__ = [
    "RecreatePlan",
    "old_pods_running",
    "rollout_recreate",
    "scale_down_old_replica_sets_for_recreate",
    "scale_up_new_replica_set_for_recreate",
]


def scale_down_old_replica_sets_for_recreate(
    old_rss: Sequence[Manifest | None], d: Manifest
) -> list[ScaleAction]:
    """Every active old ReplicaSet scaled to 0, in the order given.

    Mirrors recreate.go ``scaleDownOldReplicaSetsForRecreate`` on
    ``FilterActiveReplicaSets(oldRSs)``, as ``rolloutRecreate`` calls it: an RS already at 0 is
    skipped, each other one gets ``scaleReplicaSetAndRecordEvent(rs, 0)`` (its size and the
    replica annotations). Upstream reports "scaled" once one update went through and returns at
    the first update that fails: the caller writes the actions in order and stops likewise.
    """
    actions = []
    for rs in _active(old_rss):
        if _replicas(rs) == 0:
            continue
        action = _scale_and_record(rs, 0, d)
        if action is not None:
            actions.append(action)
    return actions


def old_pods_running(
    new_rs: Manifest | None,
    old_rss: Sequence[Manifest | None],
    pod_map: Mapping[str, Sequence[Manifest]],
) -> bool:
    """Whether old pods may still run: Recreate creates no new pod until this is false.

    Mirrors recreate.go ``oldPodsRunning``: true when the old ReplicaSets' ``status.replicas``
    sum above 0 (``GetActualReplicaCountForReplicaSets``); otherwise true when ``pod_map`` (see
    :func:`get_pod_map_for_deployment`) holds, under any UID but the new ReplicaSet's, a pod
    whose phase is not Failed or Succeeded. Unknown counts (the pod may still run on a node
    that cannot report), as do Pending, Running and an empty phase.
    """
    if _sum_status(old_rss, "replicas") > 0:
        return True
    new_uid = None if new_rs is None else _get(new_rs, "metadata.uid")
    for uid, pods in pod_map.items():
        if new_rs is not None and uid == new_uid:
            continue
        for pod in pods:
            if _get(pod, "status.phase") in {"Failed", "Succeeded"}:
                continue
            return True
    return False


def scale_up_new_replica_set_for_recreate(new_rs: Manifest, d: Manifest) -> ScaleAction | None:
    """The new ReplicaSet scaled to ``spec.replicas`` (``None`` when it is at that size).

    Mirrors recreate.go ``scaleUpNewReplicaSetForRecreate`` with the
    ``DeploymentPodReplacementPolicy`` feature gate off (its default; the model does not know
    ``spec.podReplacementPolicy``): ``scaleReplicaSetAndRecordEvent(newRS, replicas)``.
    """
    return _scale_and_record(new_rs, _replicas(d), d)


@dataclass(frozen=True)
class RecreatePlan:
    """What one ``rolloutRecreate`` does, step by step; the status is synced after every one.

    Attributes:
        scale_down: the old ReplicaSets scaled to 0; when there are any the sync ends after
            writing them.
        old_pods_running: old pods may still run (:func:`old_pods_running`); the sync ends.
        create_new_replica_set: no new ReplicaSet exists: it is created now (at
            ``spec.replicas``, :func:`new_rs_new_replicas`), and only now.
        scale_up: the scale-up of an existing new ReplicaSet (``None``: at size, or created).
        cleanup: old ReplicaSets the history limit deletes (only when the Deployment's current
            status is complete).
    """

    scale_down: list[ScaleAction] = field(default_factory=list)
    old_pods_running: bool = False
    create_new_replica_set: bool = False
    scale_up: ScaleAction | None = None
    cleanup: list[str] = field(default_factory=list)


def rollout_recreate(
    d: Manifest,
    new_rs: Manifest | None,
    old_rss: Sequence[Manifest],
    pod_map: Mapping[str, Sequence[Manifest]],
) -> RecreatePlan:
    """Plan one sync of a Recreate Deployment.

    Mirrors recreate.go ``rolloutRecreate`` (the ``DeploymentPodReplacementPolicy`` gate off):
    the new ReplicaSet is not created up front (``getAllReplicaSetsAndSyncRevision`` with
    ``createIfNotExisted`` false); the active old ReplicaSets are scaled to 0 and the sync
    returns if any was; it returns while :func:`old_pods_running`; then the new ReplicaSet is
    created if missing and scaled to ``spec.replicas``; when ``DeploymentComplete(d,
    &d.Status)`` (the status before this sync) the history is cleaned up
    (:func:`cleanup_deployment`). Each return syncs the rollout status
    (:func:`sync_rollout_status` over the ReplicaSets as listed, the created one included).
    """
    scale_down = scale_down_old_replica_sets_for_recreate(old_rss, d)
    if scale_down:
        return RecreatePlan(scale_down=scale_down)
    if old_pods_running(new_rs, old_rss, pod_map):
        return RecreatePlan(old_pods_running=True)
    scale_up = None if new_rs is None else scale_up_new_replica_set_for_recreate(new_rs, d)
    complete = deployment_complete(d, _mapping(d.get("status"), "status"))
    return RecreatePlan(
        create_new_replica_set=new_rs is None,
        scale_up=scale_up,
        cleanup=cleanup_deployment(d, old_rss) if complete else [],
    )
