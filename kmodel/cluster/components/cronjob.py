"""The CronJob controller, one ``syncCronJob`` of one CronJob per action.

The decisions are :func:`kmodel.semantics.cronjob.sync_cronjob`; this module runs them against
the controller's informer cache and writes through the API, as
``pkg/controller/cronjob/cronjob_controllerv2.go sync`` does. A Job it deletes (``Replace``,
history limits) goes with its pods: the model has no garbage collector, so the controller
deletes the pods the Job controls first (what background propagation ends with).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import cached_controller_uid, delete_pod
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import mapping_at
from kmodel.semantics import cronjob as cronsem

__all__ = ["COMPONENT", "SyncCronJob", "cronjob_actions"]

#: The component name: its informer and memory.
COMPONENT: Final = "cronjob"


def _owned(cluster: Cluster, kind: str, namespace: str, uid: str) -> list[Any]:
    return [
        o
        for o in cluster.view(COMPONENT).list_objects(kind, namespace=namespace)
        if cached_controller_uid(cluster, o) == uid
    ]


@register
@dataclass(frozen=True)
class SyncCronJob(Action):
    """The CronJob controller syncs one CronJob."""

    name: ClassVar[str] = "cronjob-sync"
    namespace: str
    cronjob: str

    def describe(self) -> str:
        """In words."""
        return f"cronjob controller syncs {self.namespace}/{self.cronjob}"

    def apply(self, cluster: Cluster) -> None:
        """One ``syncCronJob`` and ``cleanupFinishedJobs``."""
        cached = cluster.view(COMPONENT).get(("CronJob", self.namespace, self.cronjob))
        if cached is None:
            return
        uid = cached["metadata"]["uid"]
        jobs = _owned(cluster, "Job", self.namespace, uid)
        plan = cronsem.sync_cronjob(cached, jobs, now=cluster.now)
        for job in plan.delete:
            for pod in _owned(cluster, "Pod", self.namespace, job["metadata"]["uid"]):
                delete_pod(cluster, pod)
            key = ("Job", self.namespace, job["metadata"]["name"])
            cluster.delete(key, uid=job["metadata"]["uid"])
        status = plan.status
        if plan.create is not None:
            created = cluster.create(plan.create)
            if created is None:
                return  # upstream returns the error; the status is not written
            status = {
                **status,
                "active": [*status.get("active", []), _active_ref(created)],
            }
        if status != mapping_at(cached, "status"):
            fresh = cluster.store.get(("CronJob", self.namespace, self.cronjob))
            if fresh is not None and fresh["metadata"]["uid"] == uid:
                cluster.update({**fresh, "status": status})


def _active_ref(job: Any) -> dict[str, Any]:  # noqa: ANN401  # a stored Job
    """``ref.GetReference`` of a created Job, as the active list holds it."""
    metadata = job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": metadata["name"],
        "namespace": metadata["namespace"],
        "uid": metadata["uid"],
    }


def cronjob_actions(cluster: Cluster) -> list[Action]:
    """CronJob syncs that would change something now (a dry run, cached on what it reads)."""
    if "CronJob" not in cluster.store.kind_revision:
        return []
    view = cluster.view(COMPONENT)
    actions: list[Action] = []
    for cronjob in view.list_objects("CronJob"):
        action = SyncCronJob(cronjob["metadata"]["namespace"], cronjob["metadata"]["name"])
        key = (
            "cronjob-needs-sync",
            action,
            view.versions("CronJob", "Job", "Pod"),
            cluster.store.kind_revision.get("Job", 0),
            cluster.store.has_quorum,
            cluster.now,
        )
        if cluster.memo(key, partial(cluster.would_change, action, components=(COMPONENT,))):
            actions.append(action)
    return actions
