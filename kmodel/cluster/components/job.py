"""The Job controller, one ``syncJob`` of one Job per action.

The decisions are :func:`kmodel.semantics.job.sync_job`; this module runs it against the
controller's informer cache and writes through the API, as
``pkg/controller/job/job_controller.go syncJob`` does: pods are created with the Job's tracking
finalizer and owner reference, a finished pod is counted in the Job's status when its finalizer
is removed, and the back-off record and pod expectations live in the controller's memory (a
restart loses them, as upstream's in-memory stores).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.expectations import expectations_satisfied
from kmodel.cluster.components.ownership import (
    cached_controller_uid,
    delete_pod,
    pod_from_template,
)
from kmodel.cluster.model import Cluster
from kmodel.objects.defaults import set_defaults_job
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.semantics import job as jobsem
from kmodel.semantics.replicaset import controller_ref

__all__ = [
    "COMPONENT",
    "DeleteExpiredJob",
    "ReleaseOrphanPod",
    "SyncJob",
    "job_actions",
    "job_pod",
]

#: The component name: its informer and memory.
COMPONENT: Final = "job"
#: ``controller.ExpectationsTimeout`` (5 minutes).


def job_pod(job: Mapping[str, Any], index: int | None, counts: tuple[int, int]) -> dict[str, Any]:
    """A new pod for the Job (``manageJob``'s pod template, ``addCompletionIndexAnnotation``).

    The labels the API server adds to a Job's template on create (``batch.kubernetes.io/
    controller-uid``, ``batch.kubernetes.io/job-name`` and their legacy forms) are set here;
    an Indexed pod gets its index as annotation and label, the hostname ``<job>-<index>`` and
    the name prefix ``<job>-<index>-``; with ``backoffLimitPerIndex`` its failure counts.
    """
    pod = pod_from_template(mapping_at(job, "spec.template"), job, api_version="batch/v1")
    metadata, spec = pod["metadata"], pod["spec"]
    name = job["metadata"]["name"]
    uid = job["metadata"]["uid"]
    labels, annotations = metadata["labels"], metadata["annotations"]
    labels.update(
        {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": name,
            "controller-uid": uid,
            "job-name": name,
        }
    )
    if index is not None:
        annotations[jobsem.COMPLETION_INDEX_ANNOTATION] = str(index)
        labels[jobsem.COMPLETION_INDEX_ANNOTATION] = str(index)
        spec.setdefault("hostname", f"{name}-{index}")
        metadata["generateName"] = f"{name}-{index}-"
        if read_path(job, "spec.backoffLimitPerIndex") is not None:
            annotations[jobsem.INDEX_FAILURE_COUNT_ANNOTATION] = str(counts[0])
            if counts[1]:
                annotations["batch.kubernetes.io/job-index-ignored-failure-count"] = str(counts[1])
    # appendJobCompletionFinalizerIfNotFound: after the template's own finalizers.
    finalizers = metadata.setdefault("finalizers", [])
    if jobsem.TRACKING_FINALIZER not in finalizers:
        finalizers.append(jobsem.TRACKING_FINALIZER)
    return pod


def _job_pods(cluster: Cluster, job: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    uid = job["metadata"]["uid"]
    return [
        p
        for p in cluster.view(COMPONENT).list_objects("Pod", namespace=job["metadata"]["namespace"])
        if cached_controller_uid(cluster, p) == uid
    ]


def _expectations_satisfied(cluster: Cluster, job: Mapping[str, Any]) -> bool:
    """``SatisfiedExpectations`` for this Job's record."""
    return expectations_satisfied(
        cluster, COMPONENT, f"expect/{job['metadata']['uid']}", job["metadata"]["namespace"]
    )


@register
@dataclass(frozen=True)
class SyncJob(Action):
    """The Job controller syncs one Job."""

    name: ClassVar[str] = "job-sync"
    namespace: str
    job: str

    def describe(self) -> str:
        """In words."""
        return f"job controller syncs {self.namespace}/{self.job}"

    def apply(self, cluster: Cluster) -> None:
        """One ``syncJob``."""
        memory = cluster.memory.setdefault(COMPONENT, {})
        cached = cluster.view(COMPONENT).get(("Job", self.namespace, self.job))
        if cached is None:
            return
        job = set_defaults_job(cached)
        uid = job["metadata"]["uid"]
        pods = _job_pods(cluster, job)
        plan = jobsem.sync_job(
            job,
            pods,
            now=cluster.now,
            backoff=memory.get(f"backoff/{uid}", jobsem.BackoffRecord()),
            expectations_satisfied=_expectations_satisfied(cluster, job),
        )
        if plan is None:
            memory.pop(f"backoff/{uid}", None)
            return
        record: dict[str, Any] = {"at": cluster.now, "adds": [], "dels": []}
        for pod in plan.delete:
            record["dels"].append(pod["metadata"]["uid"])
            delete_pod(cluster, pod)
        counts = plan.failure_counts or [(0, 0)] * len(plan.create)
        for index, failure_counts in zip(plan.create, counts, strict=True):
            created = cluster.create(job_pod(job, index, failure_counts))
            if created is None:
                break
            record["adds"].append(created["metadata"]["name"])
        if record["adds"] or record["dels"]:
            memory[f"expect/{uid}"] = record
        # trackJobStatusAndRemoveFinalizers: the pods counted now are listed in the status's
        # uncountedTerminatedPods before their finalizers go, and counted once they are gone
        # (see kmodel.semantics.job): a crash in between loses no count.
        if plan.flush is not None and plan.flush != mapping_at(cached, "status"):
            fresh_job = cluster.store.get(("Job", self.namespace, self.job))
            if fresh_job is None or fresh_job["metadata"]["uid"] != uid:
                return
            if cluster.update({**fresh_job, "status": plan.flush}) is None:
                return
        all_removed = True
        for pod in plan.count:
            fresh = cluster.store.get(("Pod", self.namespace, pod["metadata"]["name"]))
            if fresh is None or fresh["metadata"]["uid"] != pod["metadata"]["uid"]:
                continue
            written = cluster.update(_without_tracking_finalizer(fresh))
            all_removed = written is not None and all_removed
        if not all_removed:
            return
        memory[f"backoff/{uid}"] = plan.backoff
        if plan.status != mapping_at(cached, "status"):
            fresh_job = cluster.store.get(("Job", self.namespace, self.job))
            if fresh_job is not None and fresh_job["metadata"]["uid"] == uid:
                cluster.update({**fresh_job, "status": plan.status})


@register
@dataclass(frozen=True)
class DeleteExpiredJob(Action):
    """The TTL-after-finished controller deletes a Job whose ``ttlSecondsAfterFinished`` ran out.

    Upstream deletes with foreground propagation, so the garbage collector removes the pods
    first; the model has no garbage collector, so this step deletes them, then the Job.
    """

    name: ClassVar[str] = "ttl-after-finished"
    namespace: str
    job: str

    def describe(self) -> str:
        """In words."""
        return f"ttl-after-finished controller deletes {self.namespace}/{self.job}"

    def apply(self, cluster: Cluster) -> None:
        """``processJob``: re-check the expiry on the live object, then delete."""
        job = cluster.store.get(("Job", self.namespace, self.job))
        if job is None or job["metadata"].get("deletionTimestamp") is not None:
            return
        expiry = jobsem.ttl_expiry(job)
        if expiry is None or expiry > cluster.now:
            return
        for pod in _job_pods(cluster, job):
            delete_pod(cluster, pod)
        cluster.delete(("Job", self.namespace, self.job), uid=job["metadata"]["uid"])


@register
@dataclass(frozen=True)
class ReleaseOrphanPod(Action):
    """The Job controller removes the tracking finalizer of a pod whose Job is gone.

    Mirrors ``job_controller.go handlePodWithoutJob`` (``enqueueOrphanPod``): a pod with the
    finalizer and no Job controller left would otherwise stay forever.
    """

    name: ClassVar[str] = "job-release-orphan"
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"job controller releases orphan pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Remove the finalizer if the pod's Job is still gone from the cache."""
        pod = cluster.view(COMPONENT).get(("Pod", self.namespace, self.pod))
        if pod is None or not _orphaned(cluster, pod):
            return
        fresh = cluster.store.get(("Pod", self.namespace, self.pod))
        if fresh is None or fresh["metadata"]["uid"] != pod["metadata"]["uid"]:
            return
        cluster.update(_without_tracking_finalizer(fresh))


def _without_tracking_finalizer(pod: Mapping[str, Any]) -> dict[str, Any]:
    """The pod with the Job tracking finalizer removed (what the controller writes once counted)."""
    finalizers = [f for f in list_at(pod, "metadata.finalizers") if f != jobsem.TRACKING_FINALIZER]
    return {**pod, "metadata": {**pod["metadata"], "finalizers": finalizers}}


def _orphaned(cluster: Cluster, pod: Mapping[str, Any]) -> bool:
    """The pod has the tracking finalizer and no Job controls it: the controller releases it.

    Mirrors ``job_controller.go syncOrphanPod``: a pod without a controller is released; one
    whose controller is not a ``batch/v1`` Job keeps its finalizer (not the Job controller's
    business); one whose Job (by name and UID, in the cache) is there keeps it too.
    """
    if jobsem.TRACKING_FINALIZER not in list_at(pod, "metadata.finalizers"):
        return False
    ref = controller_ref(pod)
    if ref is None:
        return True
    if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
        return False
    key = ("Job", str(pod["metadata"]["namespace"]), str(ref.get("name")))
    job = cluster.view(COMPONENT).get(key)
    return job is None or job["metadata"]["uid"] != ref.get("uid")


def job_actions(cluster: Cluster) -> list[Action]:
    """Job syncs that would change something now, and deletions of Jobs whose TTL ran out.

    Whether a sync would change something is a dry run, cached on what it reads.
    """
    if "Job" not in cluster.store.kind_revision:
        return []  # no Job was ever written: the controller has nothing to read
    view = cluster.view(COMPONENT)
    actions: list[Action] = []
    for job in view.list_objects("Job"):
        expiry = jobsem.ttl_expiry(job)
        if expiry is not None and expiry <= cluster.now:
            actions.append(DeleteExpiredJob(job["metadata"]["namespace"], job["metadata"]["name"]))
        action = SyncJob(job["metadata"]["namespace"], job["metadata"]["name"])
        key = (
            "job-needs-sync",
            action,
            view.versions("Job", "Pod"),
            cluster.store.kind_revision.get("Pod", 0),
            cluster.store.has_quorum,
            cluster.now,
            repr(sorted(cluster.memory.get(COMPONENT, {}).items())),
        )
        if cluster.memo(key, partial(cluster.would_change, action, components=(COMPONENT,))):
            actions.append(action)
    orphans = cluster.memo(
        ("job-orphans", view.versions("Job", "Pod")),
        lambda: tuple(
            (p["metadata"]["namespace"], p["metadata"]["name"])
            for p in view.list_objects("Pod")
            if _orphaned(cluster, p)
        ),
    )
    actions.extend(ReleaseOrphanPod(namespace, name) for namespace, name in orphans)
    return actions
