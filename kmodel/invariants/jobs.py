"""Invariants guarding Jobs and CronJobs: parallelism, completion, indexes, overlap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import (
    History,
    Invariant,
    Problem,
    Violation,
    _acted_by,
    _controller_of,
    _live,
    _name,
    _pods,
)

#: The finalizer the Job controller puts on each pod it creates and removes once the pod is
#: counted in the Job's status.
_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
#: The annotation holding an Indexed Job pod's completion index.
_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"


def _job_pods(cluster: Cluster) -> dict[str, list[Mapping[str, Any]]]:
    """Job UID -> the pods it controls (by owner reference)."""
    by_job: dict[str, list[Mapping[str, Any]]] = {}
    for pod in _pods(cluster):
        ref = _controller_of(pod)
        if ref is not None and ref.get("kind") == "Job":
            by_job.setdefault(str(ref.get("uid")), []).append(pod)
    return by_job


def _job_active(pod: Mapping[str, Any]) -> bool:
    """Counted in a Job's ``status.active``: not terminal and not being deleted."""
    return _live(pod) and pod["metadata"].get("deletionTimestamp") is None


class JobParallelism(Invariant):
    """A Job never has more active pods than its ``parallelism`` (``manageJob``'s wantActive)."""

    name = "job_parallelism"
    description = "a Job never has more than parallelism active pods"
    precondition = "a Job had an active pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each Job's active pods."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            parallelism = (job.get("spec") or {}).get("parallelism")
            parallelism = 1 if parallelism is None else int(parallelism)
            active = [p for p in pods.get(job["metadata"]["uid"], []) if _job_active(p)]
            if len(active) <= parallelism:
                return [], bool(active)
            counts = {"active": len(active), "parallelism": parallelism}
            return [(f"{len(active)} active pods, parallelism is {parallelism}", counts)], True

        return self.judge_each(history, cluster.store.list_objects("Job"), judge, noun="job")


class JobFinishedNoNewPods(Invariant):
    """A Job with a Complete or Failed condition never gets a new pod."""

    name = "job_finished_no_new_pods"
    description = "a finished Job never gets new pods"
    precondition = "a Job finished"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each finished Job's pods with those it had when it finished."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)
        violations = []
        for job in cluster.store.list_objects("Job"):
            uid = job["metadata"]["uid"]
            uids = frozenset(p["metadata"]["uid"] for p in pods.get(uid, []))
            seen = history.finished_jobs.get(uid)
            if seen is None:
                finished = any(
                    c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
                    for c in (job.get("status") or {}).get("conditions") or []
                )
                if finished:
                    history.finished_jobs[uid] = uids
                    history.met.add(self.name)
                continue
            new = sorted(_name(p) for p in pods.get(uid, []) if p["metadata"]["uid"] not in seen)
            if new:
                violations.append(
                    self.violation(
                        f"finished job {_name(job)} got new pods: {', '.join(new)}",
                        job=_name(job),
                        pods=new,
                    )
                )
        return violations


class IndexedJobOnePodPerIndex(Invariant):
    """An Indexed Job never runs two pods of one index at once.

    With ``podReplacementPolicy: Failed`` (the default with a ``podFailurePolicy``) a pod
    counts until it reaches a terminal phase, terminating or not; with
    ``TerminatingOrFailed`` a terminating pod may overlap its replacement, so only active pods
    count.
    """

    name = "indexed_job_one_pod_per_index"
    description = "an Indexed Job never runs two pods of one index at once"
    precondition = "an Indexed Job had a running pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each index's running pods."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            spec = job.get("spec") or {}
            replacement = spec.get("podReplacementPolicy") or (
                "Failed" if spec.get("podFailurePolicy") is not None else "TerminatingOrFailed"
            )
            counts: Counter[str] = Counter()
            for pod in pods.get(job["metadata"]["uid"], []):
                running = _live(pod) if replacement == "Failed" else _job_active(pod)
                index = (pod["metadata"].get("annotations") or {}).get(_COMPLETION_INDEX)
                if running and index is not None:
                    counts[str(index)] += 1
            problems: list[Problem] = [
                (f"indexed, runs {n} pods of index {index}", {"index": index, "pods": n})
                for index, n in sorted(counts.items())
                if n > 1
            ]
            return problems, bool(counts)

        indexed = (
            job
            for job in cluster.store.list_objects("Job")
            if (job.get("spec") or {}).get("completionMode") == "Indexed"
        )
        return self.judge_each(history, indexed, judge, noun="job")


class JobNotFailed(Invariant):
    """No Job fails: none gets a ``FailureTarget`` or ``Failed`` condition.

    Not an upstream guarantee but what a batch pipeline wants: the violation carries the
    Job controller's reason and message (BackoffLimitExceeded, PodFailurePolicy,
    DeadlineExceeded, FailedIndexes, MaxFailedIndexesExceeded).
    """

    name = "job_not_failed"
    description = "no Job fails"
    precondition = "a Job had a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for failure conditions."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            status = job.get("status") or {}
            condition = next(
                (
                    c
                    for c in status.get("conditions") or []
                    if c.get("type") in {"FailureTarget", "Failed"} and c.get("status") == "True"
                ),
                None,
            )
            exercised = bool(pods.get(job["metadata"]["uid"]))
            if condition is None:
                return [], exercised
            text = f"failed: {condition.get('reason')}: {condition.get('message')}"
            values = {"reason": condition.get("reason"), "failed": status.get("failed", 0)}
            return [(text, values)], exercised

        return self.judge_each(history, cluster.store.list_objects("Job"), judge, noun="job")


class JobCompleteConsistent(Invariant):
    """A Job is Complete only once enough of its pods succeeded, and its count never shrinks.

    Upstream's ``job_controller.go syncJob``: with ``completions`` set a Job completes when
    ``succeeded >= completions``; without, when a pod succeeded and none is active (the
    work-queue pattern). A finished Job is Complete or Failed, never both, and
    ``status.succeeded`` only grows (it counts pods tracked through their finalizers).
    Stated from the Job's own status.
    """

    name = "job_complete_consistent"
    description = "a Job is Complete only after completions pods succeeded; succeeded never drops"
    precondition = "a Job completed"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each Job's conditions against its counts, and its count against the last one."""
        if "Job" not in cluster.store.kind_revision:
            return []

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            status = job.get("status") or {}
            true = {
                c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"
            }
            succeeded = int(status.get("succeeded") or 0)
            uid = job["metadata"]["uid"]
            before = history.job_succeeded.get(uid, 0)
            history.job_succeeded[uid] = succeeded
            problems: list[Problem] = []
            if succeeded < before:
                problems.append(f"status.succeeded dropped from {before} to {succeeded}")
            if "Complete" in true:
                completions = (job.get("spec") or {}).get("completions")
                if completions is not None and succeeded < int(completions):
                    problems.append(f"Complete with {succeeded} of {completions} succeeded")
                if completions is None and succeeded == 0:
                    problems.append("Complete without a succeeded pod")
                if int(status.get("active") or 0):
                    problems.append(f"Complete with {status.get('active')} active pods")
                if "Failed" in true:
                    problems.append("both Complete and Failed")
            return problems, "Complete" in true

        return self.judge_each(history, cluster.store.list_objects("Job"), judge, noun="job")


def _index_set(text: str) -> set[int]:
    """The indexes an interval list such as ``1,3-5`` names (``status.completedIndexes``)."""
    indexes: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        indexes.update(range(int(first), int(last or first) + 1))
    return indexes


class JobSuccessesCounted(Invariant):
    """Every pod of a Job that succeeded and lost its tracking finalizer is counted.

    Upstream's Job tracking (``job_controller.go trackJobStatusAndRemoveFinalizers``, KEP-2307)
    counts each finished pod exactly once, however the controller crashes: it writes the pod's
    UID into ``status.uncountedTerminatedPods`` before removing the pod's finalizer, and moves it
    into the counters after. So at every moment a NonIndexed Job's ``status.succeeded`` plus the
    UIDs listed as uncounted succeeded are at least its Succeeded pods without the finalizer,
    and an Indexed Job's ``status.completedIndexes`` holds the index of each such pod. Stated
    from the Job's status and its pods.
    """

    name = "job_successes_counted"
    description = "each succeeded Job pod whose tracking finalizer came off is counted"
    precondition = "a Job pod succeeded and its tracking finalizer came off"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each Job's counts with its released Succeeded pods."""
        if "Job" not in cluster.store.kind_revision:
            return []
        pods = _job_pods(cluster)

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            released = [
                pod
                for pod in pods.get(job["metadata"]["uid"], [])
                if (pod.get("status") or {}).get("phase") == "Succeeded"
                and _TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or [])
            ]
            status = job.get("status") or {}
            spec = job.get("spec") or {}
            problems: list[Problem] = []
            if spec.get("completionMode") == "Indexed":
                completed = _index_set(str(status.get("completedIndexes") or ""))
                shown = status.get("completedIndexes") or "empty"
                for pod in released:
                    index = (pod["metadata"].get("annotations") or {}).get(_COMPLETION_INDEX)
                    if (
                        index is not None
                        and int(index) < int(spec.get("completions") or 0)
                        and int(index) not in completed
                    ):
                        text = (
                            f"pod {_name(pod)} of index {index} succeeded and was released, "
                            f"but completedIndexes is {shown}"
                        )
                        problems.append((text, {"pod": _name(pod), "index": int(index)}))
            else:
                uncounted = (status.get("uncountedTerminatedPods") or {}).get("succeeded") or []
                counted = int(status.get("succeeded") or 0) + len(uncounted)
                if counted < len(released):
                    text = (
                        f"{len(released)} pods succeeded and were released (no tracking "
                        f"finalizer), but status counts {counted} (succeeded "
                        f"{status.get('succeeded') or 0}, {len(uncounted)} uncounted)"
                    )
                    problems.append((text, {"released": len(released), "counted": counted}))
            return problems, bool(released)

        return self.judge_each(history, cluster.store.list_objects("Job"), judge, noun="job")


class CronJobForbidNoOverlap(Invariant):
    """A CronJob with ``concurrencyPolicy: Forbid`` never has two unfinished Jobs at once.

    A Job counts from its creation until it has a Complete or Failed condition or is deleted.
    """

    name = "cronjob_forbid_no_overlap"
    description = "a Forbid CronJob never runs two Jobs at once"
    precondition = "a Forbid CronJob had a running Job"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each Forbid CronJob's unfinished Jobs."""
        if "CronJob" not in cluster.store.kind_revision:
            return []
        running: dict[str, list[str]] = {}
        for job in cluster.store.list_objects("Job"):
            ref = _controller_of(job)
            finished = any(
                c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
                for c in (job.get("status") or {}).get("conditions") or []
            )
            deleting = job["metadata"].get("deletionTimestamp") is not None
            if ref is not None and ref.get("kind") == "CronJob" and not finished and not deleting:
                running.setdefault(str(ref.get("uid")), []).append(job["metadata"]["name"])
        violations: list[Violation] = []
        for cronjob in cluster.store.list_objects("CronJob"):
            if (cronjob.get("spec") or {}).get("concurrencyPolicy") != "Forbid":
                continue
            jobs = sorted(running.get(cronjob["metadata"]["uid"], []))
            if jobs:
                history.met.add(self.name)
            if len(jobs) > 1:
                violations.append(
                    self.violation(
                        f"cronjob {_name(cronjob)} with concurrencyPolicy Forbid runs "
                        f"{len(jobs)} jobs at once: {', '.join(jobs)}",
                        cronjob=_name(cronjob),
                        jobs=jobs,
                    )
                )
        return violations


class CronJobActiveRefs(Invariant):
    """A CronJob's ``status.active`` refers to its Jobs as the API names them.

    Upstream promises it (``cronjob_controllerv2.go syncCronJob`` adds ``ref.GetReference`` of
    the Job it created; ``status.active`` is a list of ``ObjectReference``): each entry of
    ``status.active`` that names a stored Job carries that Job's ``apiVersion``, ``kind``,
    ``namespace`` (checked while the uid names it: a reference to a Job deleted since is
    dropped at the next sync), and the Job's controller is the CronJob.
    """

    name = "cronjob_active_refs"
    description = "a CronJob's active list refers to its own Jobs as the API names them"
    precondition = "a CronJob listed an active Job"
    reads = frozenset({"CronJob", "Job"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each active reference with the Job it names."""
        if "CronJob" not in cluster.store.kind_revision:
            return []

        def judge(cronjob: Mapping[str, Any]) -> tuple[list[str], bool]:
            active = (cronjob.get("status") or {}).get("active") or []
            problems = []
            for ref in active:
                namespace = cronjob["metadata"]["namespace"]
                job = cluster.store.get(("Job", namespace, str(ref.get("name"))))
                if job is None or ref.get("uid") != job["metadata"]["uid"]:
                    continue  # deleted (or re-created) since: the next sync drops it
                expected = {
                    "apiVersion": job.get("apiVersion"),
                    "kind": job.get("kind"),
                    "namespace": namespace,
                }
                wrong = sorted(k for k, v in expected.items() if ref.get(k) != v)
                if wrong:
                    problems.append(
                        f"active reference to job {ref.get('name')} has a wrong "
                        f"{', '.join(wrong)}: {', '.join(repr(ref.get(k)) for k in wrong)}"
                    )
                if (_controller_of(job) or {}).get("uid") != cronjob["metadata"]["uid"]:
                    problems.append(f"lists job {ref.get('name')}, which it does not control")
            return problems, bool(active)

        return self.judge_each(
            history, cluster.store.list_objects("CronJob"), judge, noun="cronjob"
        )


class FinishedJobsExpire(Invariant):
    """At rest, no finished Job whose ``ttlSecondsAfterFinished`` ran out is left.

    Upstream's TTL-after-finished controller (``pkg/controller/ttlafterfinished/
    ttlafterfinished_controller.go processJob``, ``getFinishAndExpireTime``) deletes a Job
    that sets ``ttlSecondsAfterFinished`` once that long has passed since it finished: since
    the ``lastTransitionTime`` of its Complete or Failed condition (status True). Judged on
    the Jobs whose TTL ran out before the last clock tick of settling.
    """

    name = "finished_jobs_expire"
    kind = "eventual"
    description = "a finished Job is deleted once its ttlSecondsAfterFinished ran out"
    precondition = "a Job that sets ttlSecondsAfterFinished finished"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for finished Jobs past their TTL that are not being deleted."""
        if "Job" not in cluster.store.kind_revision:
            return []
        # Exercised once a Job with a TTL was written finished (deleted since, or not).
        if any(e.key[0] == "Job" and _expiry(e.object) is not None for e in cluster.store.log):
            history.met.add(self.name)

        def judge(job: Mapping[str, Any]) -> tuple[list[Problem], bool]:
            expired = _expiry(job)
            if (
                expired is None
                or expired > _acted_by(cluster)
                or job["metadata"].get("deletionTimestamp") is not None
            ):
                return [], False
            ttl = job["spec"]["ttlSecondsAfterFinished"]
            text = (
                f"finished with ttlSecondsAfterFinished {ttl}, which ran out at {expired} s, "
                f"still there at {cluster.now} s"
            )
            return [(text, {"expired_at": expired, "now": cluster.now})], True

        return self.judge_each(history, cluster.store.list_objects("Job"), judge, noun="job")


def _expiry(job: Mapping[str, Any]) -> int | None:
    """When a finished Job's ``ttlSecondsAfterFinished`` runs out (None: none, or not finished).

    The ``lastTransitionTime`` of its Complete or Failed condition plus the TTL.
    """
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return None
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in {"Complete", "Failed"} and condition.get("status") == "True":
            return int(condition.get("lastTransitionTime") or 0) + int(ttl)
    return None


class JobOrphansReleased(Invariant):
    """At rest, no pod keeps the Job tracking finalizer once no Job controls it.

    Upstream's Job controller releases such a pod (``job_controller.go`` ``addPod`` /
    ``updatePod`` / ``deleteJob`` enqueue it, ``syncOrphanPod`` removes the finalizer): a pod
    with ``batch.kubernetes.io/job-tracking`` and no controller reference, or whose controller
    reference names a ``batch/v1`` Job that is gone (no Job of that name with that UID), loses
    the finalizer; otherwise it would stay in the API for good once deleted. A pod another
    controller controls keeps it (``syncOrphanPod`` leaves it be).
    """

    name = "job_orphans_released"
    kind = "eventual"
    description = "a pod no Job controls never keeps the Job tracking finalizer"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for pods with the finalizer whose Job is gone."""
        violations: list[Violation] = []
        for pod in _pods(cluster):
            if _TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or []):
                continue
            ref = _controller_of(pod)
            if ref is not None:
                if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                    continue  # another controller's pod: upstream leaves its finalizer be
                job = cluster.store.get(("Job", pod["metadata"]["namespace"], str(ref.get("name"))))
                if job is not None and job["metadata"]["uid"] == ref.get("uid"):
                    continue
            history.met.add(self.name)
            violations.append(
                self.violation(
                    f"pod {_name(pod)} keeps the Job tracking finalizer, but no Job controls it",
                    pod=_name(pod),
                )
            )
        return violations
