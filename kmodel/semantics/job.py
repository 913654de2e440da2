"""Job controller decisions, as pure functions over manifests.

Mirrors ``pkg/controller/job``: ``job_controller.go`` (``syncJob``, ``manageJob``,
``getNewFinishedPods``, ``isPodFailed``, ``pastBackoffLimitOnFailure``, ``pastActiveDeadline``,
``trackJobStatusAndRemoveFinalizers``, ``enactJobFinished``, ``newSuccessCondition``,
``newFailureCondition``), ``backoff_utils.go`` (``newBackoffRecord``, ``getFinishedTime``,
``getRemainingTimeForFailuresCount``), ``pod_failure_policy.go`` (``matchPodFailurePolicy``),
``indexed_job_utils.go`` (``calculateSucceededIndexes``, ``calculateFailedIndexes``,
``firstPendingIndexes``, ``orderedIntervals.String``) and ``success_policy.go``
(``matchSuccessPolicy``); defaults from ``pkg/apis/batch/v1/defaults.go SetDefaults_Job``.

Feature gates are at their upstream defaults of Kubernetes 1.34: JobPodReplacementPolicy,
JobBackoffLimitPerIndex, JobSuccessPolicy and JobPodFailurePolicy on, so the terminal
conditions are delayed (``delayTerminalCondition``): a Job first gets ``FailureTarget`` or
``SuccessCriteriaMet`` and only once no pod of it is terminating ``Failed`` or ``Complete``.

Finished pods are counted through ``status.uncountedTerminatedPods``, as
``trackJobStatusAndRemoveFinalizers`` does: their UIDs are written there first, then their
tracking finalizers removed, then moved into ``succeeded`` / ``failed``; a controller that
crashes between two of these writes loses no count (``getStatus`` counts the listed UIDs).
What the model does not carry: ``MaxUncountedPods`` (500 UIDs per flush), ``managedBy``
(every Job is the built-in controller's), the API back-off
of failed syncs, and the delayed deletion of a failed pod until its index's replacement exists
(the replacement's failure count is read from the failed pods of its index, which the model's
pod garbage collector leaves in place).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kmodel.internal.gocompat import MAX_INT32
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.semantics.replicaset import filter_active_pods, is_pod_ready

__all__ = [
    "COMPLETION_INDEX_ANNOTATION",
    "DEFAULT_POD_FAILURE_BACKOFF",
    "INDEX_FAILURE_COUNT_ANNOTATION",
    "MAX_POD_FAILURE_BACKOFF",
    "TRACKING_FINALIZER",
    "BackoffRecord",
    "JobSync",
    "completion_index",
    "finished_time",
    "first_pending_indexes",
    "format_indexes",
    "is_job_finished",
    "is_pod_failed",
    "match_pod_failure_policy",
    "match_success_policy",
    "new_backoff_record",
    "parse_indexes",
    "remaining_backoff",
    "sync_job",
    "ttl_expiry",
]

#: ``batch.JobTrackingFinalizer``: a pod with it has not been counted in the Job's status yet.
TRACKING_FINALIZER: Final = "batch.kubernetes.io/job-tracking"
#: ``batch.JobCompletionIndexAnnotation`` (also the pod label of the same name).
COMPLETION_INDEX_ANNOTATION: Final = "batch.kubernetes.io/job-completion-index"
#: ``batch.JobIndexFailureCountAnnotation``.
INDEX_FAILURE_COUNT_ANNOTATION: Final = "batch.kubernetes.io/job-index-failure-count"
#: ``batch.JobIndexIgnoredFailureCountAnnotation``.
INDEX_IGNORED_FAILURE_COUNT_ANNOTATION: Final = (
    "batch.kubernetes.io/job-index-ignored-failure-count"
)
#: ``DefaultJobPodFailureBackOff`` (seconds).
DEFAULT_POD_FAILURE_BACKOFF: Final = 10
#: ``MaxJobPodFailureBackOff`` (seconds): upstream's cap is 10 minutes (the docs say six).
MAX_POD_FAILURE_BACKOFF: Final = 600
#: ``MaxPodCreateDeletePerSync``.
MAX_POD_CREATE_DELETE_PER_SYNC: Final = 500


# ----------------------------------------------------------------------------- defaults


def is_job_finished(job: Mapping[str, Any]) -> bool:
    """``util.IsJobFinished``: a Complete or Failed condition with status True."""
    return any(
        c.get("type") in {"Complete", "Failed"} and c.get("status") == "True"
        for c in list_at(job, "status.conditions")
    )


# ----------------------------------------------------------------------------- pods


def _phase(pod: Mapping[str, Any]) -> str:
    return str(read_path(pod, "status.phase") or "")


def _has_finalizer(pod: Mapping[str, Any]) -> bool:
    return TRACKING_FINALIZER in list_at(pod, "metadata.finalizers")


def _uid(pod: Mapping[str, Any]) -> str:
    return str(read_path(pod, "metadata.uid"))


def _uncounted_uids(status: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The UIDs a Job's ``status.uncountedTerminatedPods`` lists: (succeeded, failed)."""
    listed = mapping_at(status, "uncountedTerminatedPods")
    succeeded, failed = list_at(listed, "succeeded"), list_at(listed, "failed")
    return [str(u) for u in succeeded], [str(u) for u in failed]


def _deleting(pod: Mapping[str, Any]) -> bool:
    return read_path(pod, "metadata.deletionTimestamp") is not None


def is_pod_failed(pod: Mapping[str, Any], job: Mapping[str, Any]) -> bool:
    """``isPodFailed``: Failed, or (unless pods are replaced only once Failed) being deleted.

    With a ``podFailurePolicy`` or ``podReplacementPolicy: Failed`` only the Failed phase
    counts; otherwise a pod being deleted that did not succeed counts too.
    """
    spec = mapping_at(job, "spec")
    if spec.get("podFailurePolicy") is not None or spec.get("podReplacementPolicy") == "Failed":
        return _phase(pod) == "Failed"
    if _phase(pod) == "Failed":
        return True
    return _deleting(pod) and _phase(pod) != "Succeeded"


def _is_terminating(pod: Mapping[str, Any]) -> bool:
    """``controller.CountTerminatingPods``: being deleted and not in a terminal phase."""
    return _deleting(pod) and _phase(pod) not in {"Succeeded", "Failed"}


def completion_index(pod: Mapping[str, Any]) -> int | None:
    """``getCompletionIndex``: the pod's index annotation, or None (``unknownCompletionIndex``)."""
    raw = mapping_at(pod, "metadata.annotations").get(COMPLETION_INDEX_ANNOTATION)
    if not isinstance(raw, str) or not raw.isdigit():
        return None
    return int(raw)


def _int_annotation(pod: Mapping[str, Any], name: str) -> int:
    raw = mapping_at(pod, "metadata.annotations").get(name)
    return int(raw) if isinstance(raw, str) and raw.isdigit() else 0


def finished_time(pod: Mapping[str, Any]) -> int:
    """``getFinishedTime``: when the pod finished, on the model's clock.

    The latest ``finishedAt`` when every container terminated; else the Ready=False
    condition's transition time; else ``deletionTimestamp`` minus the grace period; else the
    creation time.
    """
    status = mapping_at(pod, "status")
    latest: int | None = None
    statuses = list_at(status, "containerStatuses")
    for container in statuses:
        terminated = read_path(container, "state.terminated")
        if not terminated or terminated.get("finishedAt") is None:
            latest = None
            break
        at = int(terminated["finishedAt"])
        latest = at if latest is None else max(latest, at)
    if latest is not None and statuses:
        return latest
    for condition in list_at(status, "conditions"):
        if condition.get("type") == "Ready" and condition.get("status") == "False":
            at = condition.get("lastTransitionTime")
            if isinstance(at, int):
                return at
    metadata = mapping_at(pod, "metadata")
    deleted = metadata.get("deletionTimestamp")
    if isinstance(deleted, int):
        return deleted - int(metadata.get("deletionGracePeriodSeconds") or 0)
    created = metadata.get("creationTimestamp")
    return created if isinstance(created, int) else 0


# ----------------------------------------------------------------------------- pod failure policy


def _matching_container(
    statuses: Iterable[Mapping[str, Any]], requirement: Mapping[str, Any]
) -> tuple[str, int] | None:
    """``getMatchingContainerFromList``: the first terminated, non-zero exit that matches."""
    name = requirement.get("containerName")
    values = list_at(requirement, "values")
    for status in statuses:
        terminated = read_path(status, "state.terminated")
        if not terminated:
            continue
        if name is not None and name != status.get("name"):
            continue
        code = int(terminated.get("exitCode") or 0)
        if code == 0:
            continue
        operator = requirement.get("operator")
        if (operator == "In" and code in values) or (operator == "NotIn" and code not in values):
            return str(status.get("name")), code
    return None


def match_pod_failure_policy(
    policy: Mapping[str, Any] | None, pod: Mapping[str, Any]
) -> tuple[str | None, bool, str | None]:
    """``matchPodFailurePolicy``: (FailJob message, counts toward backoffLimit, action).

    Rules are tried in order; the first whose ``onExitCodes`` (containers, then init
    containers) or ``onPodConditions`` (type and status) matches decides. ``Ignore`` does not
    count; ``Count``, ``FailJob`` and ``FailIndex`` do.
    """
    if policy is None:
        return None, True, None
    status = mapping_at(pod, "status")
    metadata = mapping_at(pod, "metadata")
    pod_name = f"{metadata.get('namespace')}/{metadata.get('name')}"
    for index, rule in enumerate(list_at(policy, "rules")):
        action = rule.get("action")
        message: str | None = None
        if rule.get("onExitCodes") is not None:
            found = _matching_container(
                list_at(status, "containerStatuses"), rule["onExitCodes"]
            ) or _matching_container(list_at(status, "initContainerStatuses"), rule["onExitCodes"])
            if found is None:
                continue
            message = (
                f"Container {found[0]} for pod {pod_name} failed with exit code {found[1]} "
                f"matching {action} rule at index {index}"
            )
        elif rule.get("onPodConditions") is not None:
            condition = next(
                (
                    c
                    for c in list_at(status, "conditions")
                    for pattern in rule["onPodConditions"]
                    if c.get("type") == pattern.get("type")
                    and c.get("status") == pattern.get("status", "True")
                ),
                None,
            )
            if condition is None:
                continue
            message = (
                f"Pod {pod_name} has condition {condition.get('type')} "
                f"matching {action} rule at index {index}"
            )
        else:
            continue
        if action == "Ignore":
            return None, False, "Ignore"
        if action == "FailJob":
            return message, True, "FailJob"
        if action in {"Count", "FailIndex"}:
            return None, True, str(action)
    return None, True, None


# ----------------------------------------------------------------------------- back-off


@dataclass(frozen=True)
class BackoffRecord:
    """``backoffRecord``: consecutive failures since the last success and the last one's time."""

    failures_after_last_success: int = 0
    last_failure_time: int | None = None


def new_backoff_record(
    old: BackoffRecord,
    new_succeeded: Sequence[Mapping[str, Any]],
    new_failed: Sequence[Mapping[str, Any]],
) -> BackoffRecord:
    """``backoffStore.newBackoffRecord``: the record after this sync's newly finished pods."""
    failed_times = sorted(finished_time(p) for p in new_failed)
    if not new_succeeded:
        if not failed_times:
            return old
        return BackoffRecord(old.failures_after_last_success + len(failed_times), failed_times[-1])
    last_success = max(finished_time(p) for p in new_succeeded)
    after = [t for t in failed_times if t > last_success]
    return BackoffRecord(len(after), after[-1] if after else None)


def remaining_backoff(record: BackoffRecord, now: int) -> int:
    """``getRemainingTimeForFailuresCount``: seconds until a replacement may be created.

    10 s after the first failure, doubling per further failure, capped at 10 minutes,
    counted from the last failure.
    """
    if record.failures_after_last_success == 0 or record.last_failure_time is None:
        return 0
    backoff = DEFAULT_POD_FAILURE_BACKOFF
    for _ in range(1, record.failures_after_last_success):
        backoff *= 2
        if backoff >= MAX_POD_FAILURE_BACKOFF:
            backoff = MAX_POD_FAILURE_BACKOFF
            break
    elapsed = now - record.last_failure_time
    return 0 if backoff < elapsed else backoff - elapsed


# ----------------------------------------------------------------------------- indexes


def parse_indexes(text: str | None, completions: int) -> list[int]:
    """``parseIndexesFromString``: the indexes in ``"1,3-5"`` below ``completions``."""
    result: list[int] = []
    for part in (text or "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            continue
        result.extend(i for i in range(int(low), int(high or low) + 1) if i < completions)
    return sorted(set(result))


def format_indexes(indexes: Iterable[int]) -> str:
    """``orderedIntervals.String``: sorted indexes as intervals, ``0,2-4``."""
    parts: list[str] = []
    ordered = sorted(set(indexes))
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        low, high = ordered[start], ordered[end]
        parts.append(str(low) if low == high else f"{low}-{high}")
        start = end + 1
    return ",".join(parts)


def first_pending_indexes(
    active: Iterable[Mapping[str, Any]], done: Iterable[int], count: int, completions: int
) -> list[int]:
    """``firstPendingIndexes``: the lowest ``count`` indexes with no pod running or done."""
    taken = {completion_index(p) for p in active} | set(done)
    return [i for i in range(completions) if i not in taken][:count]


def match_success_policy(policy: Mapping[str, Any] | None, succeeded: Sequence[int]) -> str | None:
    """``matchSuccessPolicy``: the SuccessCriteriaMet message of the first rule met, or None.

    A rule with ``succeededIndexes`` needs every listed index succeeded (and, with
    ``succeededCount``, at least that many of them); one with only ``succeededCount`` needs
    that many succeeded indexes.
    """
    if policy is None:
        return None
    done = set(succeeded)
    for rule in list_at(policy, "rules"):
        wanted_text = rule.get("succeededIndexes")
        count = rule.get("succeededCount")
        if wanted_text is not None:
            wanted = set(parse_indexes(str(wanted_text), MAX_INT32))
            matched = len(wanted & done)
            if count is None and wanted <= done:
                return "Matched rules at index " + str(policy["rules"].index(rule))
            if count is not None and matched >= count:
                return "Matched rules at index " + str(policy["rules"].index(rule))
        elif count is not None and len(done) >= count:
            return "Matched rules at index " + str(policy["rules"].index(rule))
    return None


# ----------------------------------------------------------------------------- syncJob


@dataclass
class JobSync:
    """What one ``syncJob`` does: pods to create and delete, pods to count, the new status.

    Attributes:
        create: indexes of pods to create (None entries for NonIndexed pods).
        failure_counts: for each created index, its (failure count, ignored count) annotations.
        delete: active pods to delete (scale-down, suspension, a finished Job).
        count: finished pods counted now: their tracking finalizer is removed.
        flush: the status written before the finalizers are removed (``count``'s UIDs in
            ``uncountedTerminatedPods``), or None when nothing is counted.
        status: the Job's new status, once every finalizer of ``count`` is removed.
        backoff: the back-off record after this sync (controller memory).
        requeue_after: seconds until the Job needs another sync (back-off, deadline), if any.
    """

    create: list[int | None] = field(default_factory=list)
    failure_counts: list[tuple[int, int]] = field(default_factory=list)
    delete: list[Mapping[str, Any]] = field(default_factory=list)
    count: list[Mapping[str, Any]] = field(default_factory=list)
    flush: dict[str, Any] | None = None
    status: dict[str, Any] = field(default_factory=dict)
    backoff: BackoffRecord = field(default_factory=BackoffRecord)
    requeue_after: int | None = None


def _condition(kind: str, status: str, reason: str, message: str, now: int) -> dict[str, Any]:
    """``newCondition``."""
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": now,
        "lastTransitionTime": now,
    }


def _find(conditions: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next(
        (c for c in conditions if c.get("type") == kind and c.get("status") == "True"), None
    )


def _ensure_condition(
    conditions: list[dict[str, Any]], kind: str, status: str, *, reason: str, message: str, now: int
) -> bool:
    """``ensureJobConditionStatus``: set the condition's status, appending only a True one."""
    for index, condition in enumerate(conditions):
        if condition.get("type") == kind:
            if condition.get("status") == status:
                return False
            conditions[index] = _condition(kind, status, reason, message, now)
            return True
    if status == "True":
        conditions.append(_condition(kind, status, reason, message, now))
        return True
    return False


def _past_backoff_limit_on_failure(
    spec: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]
) -> bool:
    """``pastBackoffLimitOnFailure``: with OnFailure, restarts of running pods reach the limit."""
    template_spec = mapping_at(spec, "template.spec")
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    restarts = sum(
        int(s.get("restartCount") or 0)
        for p in pods
        if _phase(p) in {"Running", "Pending"}
        for s in [
            *list_at(p, "status.initContainerStatuses"),
            *list_at(p, "status.containerStatuses"),
        ]
    )
    limit = int(spec["backoffLimit"])
    return restarts > 0 if limit == 0 else restarts >= limit


def _failed_indexes(
    job: Mapping[str, Any], new_failed: Sequence[Mapping[str, Any]], completions: int
) -> list[int]:
    """``calculateFailedIndexes``: recorded failed indexes plus those failed for good now."""
    spec = job["spec"]
    failed = set(parse_indexes(read_path(job, "status.failedIndexes"), completions))
    for pod in new_failed:
        index = completion_index(pod)
        if index is None or index >= completions:
            continue
        _, counts, action = match_pod_failure_policy(spec.get("podFailurePolicy"), pod)
        failures = _int_annotation(pod, INDEX_FAILURE_COUNT_ANNOTATION) + 1
        if action == "FailIndex" or (counts and failures > int(spec["backoffLimitPerIndex"])):
            failed.add(index)
    return sorted(failed)


def _replacement_failure_counts(
    job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], index: int
) -> tuple[int, int]:
    """The failure-count annotations of a new pod for ``index`` (``getNewIndexFailureCounts``).

    Taken from the index's latest failed pod: its counts plus one in the one its failure went
    to (ignored by the pod failure policy or not).
    """
    failed = [p for p in pods if completion_index(p) == index and is_pod_failed(p, job)]
    if not failed:
        return 0, 0
    last = max(failed, key=lambda p: (finished_time(p), mapping_at(p, "metadata").get("name", "")))
    counts = _int_annotation(last, INDEX_FAILURE_COUNT_ANNOTATION)
    ignored = _int_annotation(last, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION)
    _, counted, _ = match_pod_failure_policy(job["spec"].get("podFailurePolicy"), last)
    return (counts + 1, ignored) if counted else (counts, ignored + 1)


def sync_job(  # syncJob and manageJob are one long decision
    job: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    *,
    now: int,
    backoff: BackoffRecord,
    expectations_satisfied: bool = True,
) -> JobSync | None:
    """One ``syncJob`` of a defaulted Job over the pods it owns; None for a finished Job.

    Args:
        job: the Job with :func:`~kmodel.objects.defaults.set_defaults_job` applied (and its
            ``status``).
        pods: the pods the Job controls, terminating and finished ones included.
        now: the logical clock.
        backoff: the controller's back-off record for the Job (``podBackoffStore``).
        expectations_satisfied: every pod it created or deleted has been observed.
    """
    if is_job_finished(job):
        return None
    spec = job["spec"]
    old_status = mapping_at(job, "status")
    status: dict[str, Any] = {k: v for k, v in old_status.items() if k != "conditions"}
    conditions: list[dict[str, Any]] = [dict(c) for c in list_at(old_status, "conditions")]
    indexed = spec.get("completionMode") == "Indexed"
    completions: int | None = spec.get("completions")
    suspended = bool(spec.get("suspend"))
    only_failed = spec.get("podReplacementPolicy") == "Failed"
    result = JobSync()

    active_pods = filter_active_pods(list(pods))
    ready = sum(1 for p in active_pods if is_pod_ready(p))
    terminating = sum(1 for p in pods if _is_terminating(p))
    active = len(active_pods)
    uncounted = [p for p in pods if _has_finalizer(p)]
    held = _uncounted_uids(old_status)
    # getNewFinishedPods: tracked pods whose UID is not yet listed as uncounted.
    listed = {*held[0], *held[1]}
    fresh = [p for p in uncounted if _uid(p) not in listed]
    new_succeeded = [p for p in fresh if _phase(p) == "Succeeded"]
    new_failed = [p for p in fresh if _phase(p) != "Succeeded" and is_pod_failed(p, job)]
    policy = spec.get("podFailurePolicy")
    counted_failed = [p for p in new_failed if match_pod_failure_policy(policy, p)[1]]
    # getStatus: the counters, the listed UIDs and the newly finished tracked pods.
    succeeded = int(old_status.get("succeeded") or 0) + len(held[0]) + len(new_succeeded)
    failed = int(old_status.get("failed") or 0) + len(held[1]) + len(counted_failed)

    if status.get("startTime") is None and not suspended:
        status["startTime"] = now
    result.backoff = new_backoff_record(backoff, new_succeeded, new_failed)

    finished = _terminal_condition(
        spec, status, conditions, pods, result, failed=failed, suspended=suspended, now=now
    )

    succeeded_indexes: list[int] = []
    failed_indexes: list[int] | None = None
    if indexed:
        assert completions is not None  # noqa: S101  # validation requires it for Indexed
        succeeded_indexes, failed_indexes, finished = _indexed_outcome(
            job, new_succeeded, new_failed, finished, completions=completions, now=now
        )
        succeeded = len(succeeded_indexes)

    if finished is not None:
        # deleteActivePods: the Job is decided; its running pods go.
        result.delete = list(active_pods)
        if not expectations_satisfied:
            finished = None
        ready -= sum(1 for p in active_pods if is_pod_ready(p))
        terminating += active
        active = 0
    else:
        manage_called = (
            expectations_satisfied and read_path(job, "metadata.deletionTimestamp") is None
        )
        if manage_called:
            active = _manage_job(
                job,
                pods,
                active_pods,
                result,
                succeeded=succeeded,
                succeeded_indexes=succeeded_indexes,
                failed_indexes=failed_indexes or [],
                terminating=terminating if only_failed else 0,
                now=now,
            )
            if result.delete:
                ready -= sum(1 for p in result.delete if is_pod_ready(p))
                terminating += len(result.delete)
        if completions is None:
            complete = succeeded > 0 and active == 0
        else:
            complete = succeeded >= completions and active == 0
        if complete:
            finished = _condition(
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            )
        elif manage_called:
            if suspended:
                _ensure_condition(
                    conditions,
                    "Suspended",
                    "True",
                    reason="JobSuspended",
                    message="Job suspended",
                    now=now,
                )
            elif _ensure_condition(
                conditions,
                "Suspended",
                "False",
                reason="JobResumed",
                message="Job resumed",
                now=now,
            ):
                status["startTime"] = now

    _track_status(
        job,
        uncounted,
        result,
        status=status,
        conditions=conditions,
        finished=finished,
        counts=(active, ready, terminating, succeeded, failed),
        succeeded_indexes=succeeded_indexes if indexed else None,
        failed_indexes=failed_indexes,
        held=held,
        now=now,
    )
    return result


def _track_status(
    job: Mapping[str, Any],
    uncounted: Sequence[Mapping[str, Any]],
    result: JobSync,
    *,
    status: dict[str, Any],
    conditions: list[dict[str, Any]],
    finished: dict[str, Any] | None,
    counts: tuple[int, int, int, int, int],
    succeeded_indexes: list[int] | None,
    failed_indexes: list[int] | None,
    held: tuple[list[str], list[str]],
    now: int,
) -> None:
    """Count the finished pods and write the Job's new status into ``result``.

    Mirrors job_controller.go ``trackJobStatusAndRemoveFinalizers`` (every finished pod counted
    once; a failing Job counts its unfinished pods as failed) and ``enactJobFinished`` (the
    terminal condition waits for terminating pods to be gone). ``counts`` is (active, ready,
    terminating, succeeded, failed); ``succeeded_indexes`` is None for a NonIndexed Job;
    ``held`` the UIDs the old status lists as uncounted (succeeded, failed).
    """
    active, ready, terminating, succeeded, failed = counts
    indexed = succeeded_indexes is not None
    policy = job["spec"].get("podFailurePolicy")
    held_succeeded, held_failed = held
    tracked = {_uid(p) for p in uncounted}
    # trackJobStatusAndRemoveFinalizers: count every finished pod, once, listing its UID as
    # uncounted before its finalizer goes.
    finishing_failed = finished is not None and finished["type"] != "SuccessCriteriaMet"
    listed_succeeded = [u for u in held_succeeded if u in tracked]
    listed_failed = [u for u in held_failed if u in tracked]
    for pod in uncounted:
        if not (_phase(pod) == "Succeeded" or is_pod_failed(pod, job) or finished is not None):
            continue
        result.count.append(pod)
        uid = _uid(pod)
        if uid in held_succeeded or uid in held_failed:
            continue
        if _phase(pod) == "Succeeded":
            if not indexed:  # an Indexed Job counts its completed indexes instead
                listed_succeeded.append(uid)
        elif (
            (is_pod_failed(pod, job) or finishing_failed)
            and (not indexed or completion_index(pod) is not None)
            and match_pod_failure_policy(policy, pod)[1]
        ):
            listed_failed.append(uid)
            # Every non-terminated pod is considered failed once the Job is failing.
            failed += not is_pod_failed(pod, job)
    status["active"] = active
    status["ready"] = ready
    status["terminating"] = terminating
    status["succeeded"] = succeeded
    status["failed"] = failed
    status["uncountedTerminatedPods"] = {}
    if succeeded_indexes is not None:
        status["completedIndexes"] = format_indexes(succeeded_indexes)
        if failed_indexes is not None:
            status["failedIndexes"] = format_indexes(failed_indexes)
    if finished is not None:
        if finished["type"] == "FailureTarget":
            conditions.append(finished)
            finished = _condition("Failed", "True", finished["reason"], finished["message"], now)
        elif finished["type"] == "SuccessCriteriaMet":
            if _find(conditions, "SuccessCriteriaMet") is None:
                conditions.append(finished)
            finished = _condition("Complete", "True", finished["reason"], finished["message"], now)
    if result.count:
        # The first flush, before any finalizer goes: the UIDs listed, the counters holding
        # only what left the list; the terminal condition comes with the last write.
        result.flush = {
            **status,
            "succeeded": succeeded - len(listed_succeeded),
            "failed": failed - len(listed_failed),
            "uncountedTerminatedPods": {
                key: uids
                for key, uids in (("succeeded", listed_succeeded), ("failed", listed_failed))
                if uids
            },
        }
        if conditions:
            result.flush["conditions"] = list(conditions)
    # enactJobFinished: the terminal condition waits for terminating pods to be gone.
    if finished is not None and terminating == 0 and not result.delete:
        conditions.append(finished)
        if finished["type"] == "Complete":
            status["completionTime"] = now
    if conditions:
        status["conditions"] = conditions
    result.status = status


def _terminal_condition(
    spec: Mapping[str, Any],
    status: Mapping[str, Any],
    conditions: Sequence[Mapping[str, Any]],
    pods: Sequence[Mapping[str, Any]],
    result: JobSync,
    *,
    failed: int,
    suspended: bool,
    now: int,
) -> dict[str, Any] | None:
    """The condition that ends the Job before its indexes are looked at, or None.

    The part of job_controller.go ``syncJob`` that reads an earlier ``SuccessCriteriaMet`` or
    ``FailureTarget`` condition, then ``matchPodFailurePolicy`` over the failed pods,
    ``exceedsBackoffLimit`` / ``pastBackoffLimitOnFailure`` and ``pastActiveDeadline``
    (setting ``result.requeue_after`` to the time left before the deadline).
    """
    finished: dict[str, Any] | None = None
    policy = spec.get("podFailurePolicy")
    criteria = _find(conditions, "SuccessCriteriaMet")
    if criteria is not None:
        finished = dict(criteria)
    else:
        target = _find(conditions, "FailureTarget")
        if target is not None:
            finished = _condition("Failed", "True", target["reason"], target["message"], now)
        else:
            message = next(
                (
                    m
                    for p in pods
                    if _phase(p) == "Failed"
                    for m in [match_pod_failure_policy(policy, p)[0]]
                    if m is not None
                ),
                None,
            )
            if message is not None:
                finished = _condition("FailureTarget", "True", "PodFailurePolicy", message, now)
    if finished is None:
        if failed > int(spec["backoffLimit"]) or _past_backoff_limit_on_failure(spec, pods):
            finished = _condition(
                "FailureTarget",
                "True",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            )
        elif spec.get("activeDeadlineSeconds") is not None and not suspended:
            remaining = int(spec["activeDeadlineSeconds"]) - (now - int(status["startTime"]))
            if remaining <= 0:
                finished = _condition(
                    "FailureTarget",
                    "True",
                    "DeadlineExceeded",
                    "Job was active longer than specified deadline",
                    now,
                )
            else:
                result.requeue_after = remaining
    return finished


def _indexed_outcome(
    job: Mapping[str, Any],
    new_succeeded: Sequence[Mapping[str, Any]],
    new_failed: Sequence[Mapping[str, Any]],
    finished: dict[str, Any] | None,
    *,
    completions: int,
    now: int,
) -> tuple[list[int], list[int] | None, dict[str, Any] | None]:
    """An Indexed Job's succeeded and failed indexes, and the condition they end it with.

    The Indexed part of job_controller.go ``syncJob``: ``calculateSucceededIndexes``, with
    ``backoffLimitPerIndex`` ``calculateFailedIndexes`` and the ``maxFailedIndexes`` /
    failed-indexes checks, then ``matchSuccessPolicy``; ``finished`` is kept when already set.
    """
    spec = job["spec"]
    old_status = mapping_at(job, "status")
    per_index = spec.get("backoffLimitPerIndex") is not None
    succeeded_indexes = sorted(
        set(parse_indexes(old_status.get("completedIndexes"), completions))
        | {
            i
            for p in new_succeeded
            for i in [completion_index(p)]
            if i is not None and i < completions
        }
    )
    succeeded = len(succeeded_indexes)
    failed_indexes: list[int] | None = None
    if per_index:
        failed_indexes = _failed_indexes(job, new_failed, completions)
        if finished is None:
            limit = spec.get("maxFailedIndexes")
            if limit is not None and len(failed_indexes) > int(limit):
                finished = _condition(
                    "FailureTarget",
                    "True",
                    "MaxFailedIndexesExceeded",
                    "Job has exceeded the specified maximal number of failed indexes",
                    now,
                )
            elif failed_indexes and len(failed_indexes) + succeeded >= completions:
                finished = _condition(
                    "FailureTarget", "True", "FailedIndexes", "Job has failed indexes", now
                )
    if finished is None:
        message = match_success_policy(spec.get("successPolicy"), succeeded_indexes)
        if message is not None:
            finished = _condition("SuccessCriteriaMet", "True", "SuccessPolicy", message, now)
    return succeeded_indexes, failed_indexes, finished


def _manage_job(  # manageJob's inputs
    job: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    active_pods: Sequence[Mapping[str, Any]],
    result: JobSync,
    *,
    succeeded: int,
    succeeded_indexes: Sequence[int],
    failed_indexes: Sequence[int],
    terminating: int,
    now: int,
) -> int:
    """``manageJob``: create or delete pods toward the wanted active count; the new active.

    ``terminating`` is the number of terminating pods to wait for (only with
    ``podReplacementPolicy: Failed``, ``onlyReplaceFailedPods``).
    """
    spec = job["spec"]
    active = len(active_pods)
    parallelism = int(spec.get("parallelism") or 0)
    completions: int | None = spec.get("completions")
    indexed = spec.get("completionMode") == "Indexed"
    if spec.get("suspend"):
        result.delete = list(active_pods)
        return 0
    if completions is None:
        want = active if succeeded > 0 else parallelism
    else:
        want = max(0, min(completions - succeeded, parallelism))
    removable = _pods_for_removal(job, active_pods, max(0, active - want), succeeded_indexes)
    if removable:
        result.delete = removable[:MAX_POD_CREATE_DELETE_PER_SYNC]
        return active - len(result.delete)
    diff = want - terminating - active
    if diff <= 0:
        return active
    if spec.get("backoffLimitPerIndex") is None:
        wait = remaining_backoff(result.backoff, now)
        if wait > 0:
            result.requeue_after = (
                wait if result.requeue_after is None else min(wait, result.requeue_after)
            )
            return active
    diff = min(diff, MAX_POD_CREATE_DELETE_PER_SYNC)
    if not indexed:
        result.create = [None] * diff
        return active
    assert completions is not None  # noqa: S101  # Indexed Jobs have completions
    busy = list(active_pods)
    if spec.get("podReplacementPolicy") == "Failed":
        busy.extend(p for p in pods if _is_terminating(p))
    indexes = first_pending_indexes(busy, [*succeeded_indexes, *failed_indexes], diff, completions)
    if spec.get("backoffLimitPerIndex") is not None:
        ready_indexes: list[int] = []
        for index in indexes:
            counts = _replacement_failure_counts(job, pods, index)
            last = [p for p in pods if completion_index(p) == index and is_pod_failed(p, job)]
            wait = 0
            if last:
                record = BackoffRecord(counts[0], max(finished_time(p) for p in last))
                wait = remaining_backoff(record, now) if counts[0] else 0
            if wait > 0:
                result.requeue_after = (
                    wait if result.requeue_after is None else min(wait, result.requeue_after)
                )
                continue
            ready_indexes.append(index)
            result.failure_counts.append(counts)
        indexes = ready_indexes
    else:
        result.failure_counts = [(0, 0)] * len(indexes)
    result.create = list(indexes)
    return active


def _pods_for_removal(
    job: Mapping[str, Any],
    active_pods: Sequence[Mapping[str, Any]],
    count: int,
    succeeded_indexes: Sequence[int],
) -> list[Mapping[str, Any]]:
    """``activePodsForRemoval``: for Indexed Jobs, pods of a bad, done or duplicate index first.

    Then, up to ``count``, the active pods in ``controller.ActivePods`` order (not yet bound,
    pending, not ready first; the model orders the rest by name).
    """
    spec = job["spec"]
    chosen: list[Mapping[str, Any]] = []
    rest = list(active_pods)
    if spec.get("completionMode") == "Indexed":
        completions = int(spec["completions"])
        seen: set[int] = set()
        rest = []
        done = set(succeeded_indexes)
        for pod in sorted(active_pods, key=lambda p: mapping_at(p, "metadata").get("name", "")):
            index = completion_index(pod)
            if index is None or index >= completions or index in done or index in seen:
                chosen.append(pod)
            else:
                seen.add(index)
                rest.append(pod)
        count -= len(chosen)
    if count > 0:
        rest.sort(key=_removal_rank)
        chosen.extend(rest[:count])
    return chosen


def _removal_rank(pod: Mapping[str, Any]) -> tuple[int, int, int, str]:
    node = read_path(pod, "spec.nodeName")
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(_phase(pod), 1)
    return (
        0 if not node else 1,
        phase_rank,
        1 if is_pod_ready(pod) else 0,
        str(mapping_at(pod, "metadata").get("name", "")),
    )


def ttl_expiry(job: Mapping[str, Any]) -> int | None:
    """When the TTL-after-finished controller deletes a finished Job, or None (never).

    Mirrors ``pkg/controller/ttlafterfinished/ttlafterfinished_controller.go timeLeft`` /
    ``getFinishAndExpireTime``: the finish time (the Complete or Failed condition's
    ``lastTransitionTime``) plus ``ttlSecondsAfterFinished``; only for a finished Job that sets it.
    """
    ttl = read_path(job, "spec.ttlSecondsAfterFinished")
    if ttl is None:
        return None
    for condition in list_at(job, "status.conditions"):
        if condition.get("type") in {"Complete", "Failed"} and condition.get("status") == "True":
            return int(condition.get("lastTransitionTime") or 0) + int(ttl)
    return None
