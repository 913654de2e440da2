"""CronJob controller decisions, as pure functions.

Mirrors ``pkg/controller/cronjob``: ``utils.go`` (``mostRecentScheduleTime``,
``nextScheduleTime``, ``getJobFromTemplate2``, ``getTimeHashInMinutes``, ``byJobStartTime``)
and ``cronjob_controllerv2.go`` (``syncCronJob``: the active list, suspension, the starting
deadline, ``concurrencyPolicy``, ``cleanupFinishedJobs``), over schedules parsed by
:mod:`kmodel.objects.cron`.

The clock. The model's logical second ``t`` is the instant ``t`` seconds after
1970-01-01T00:00:00Z, as everywhere in kmodel (timestamps in manifests are read that way), so
logical time 0 is Thursday 1 January 1970, 00:00 UTC, and schedules are deterministic. A
``timeZone`` is an IANA name read through :mod:`zoneinfo`; without one schedules are in UTC
(the controller manager's local time zone, which kmodel fixes to UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from kmodel.objects.cron import Schedule, parse_schedule, to_datetime
from kmodel.objects.fields import list_at, mapping_at, read_path

__all__ = [
    "MANY_MISSED",
    "SCHEDULED_TIMESTAMP_ANNOTATION",
    "CronJobSync",
    "job_name",
    "most_recent_schedule_time",
    "next_schedule_time",
    "sync_cronjob",
]

#: ``batchv1.CronJobScheduledTimestampAnnotation``.
SCHEDULED_TIMESTAMP_ANNOTATION: Final = "batch.kubernetes.io/cronjob-scheduled-timestamp"
#: More missed start times than this is "too many" (``manyMissed``).
MANY_MISSED: Final = 100


def most_recent_schedule_time(
    cronjob: Mapping[str, Any], now: int, schedule: Schedule, *, include_deadline: bool
) -> tuple[int, int | None, int]:
    """``mostRecentScheduleTime``: (earliest time, most recent missed time or None, missed count).

    From the last schedule time (or the creation time), moved up to ``now -
    startingDeadlineSeconds`` when asked; the count is upstream's approximation (time since the
    first missed time over the interval between the first two, plus one). A schedule whose two
    next times coincide (or that never fires) gives no time.
    """
    metadata = mapping_at(cronjob, "metadata")
    status = mapping_at(cronjob, "status")
    earliest = int(metadata.get("creationTimestamp") or 0)
    if status.get("lastScheduleTime") is not None:
        earliest = int(status["lastScheduleTime"])
    deadline = read_path(cronjob, "spec.startingDeadlineSeconds")
    if include_deadline and deadline is not None:
        earliest = max(earliest, now - int(deadline))
    t1 = schedule.next(earliest)
    t2 = None if t1 is None else schedule.next(t1)
    if t1 is None or now < t1:
        return earliest, None, 0
    if t2 is None or now < t2:
        return earliest, t1, 0
    between = t2 - t1
    missed = (now - t1) // between + 1
    most_recent: int | None = None
    candidate = schedule.next(t1 + (missed - 2) * between)
    while candidate is not None and candidate <= now:
        most_recent = candidate
        candidate = schedule.next(candidate)
    return earliest, most_recent, missed


def next_schedule_time(
    cronjob: Mapping[str, Any], now: int, schedule: Schedule
) -> tuple[int | None, bool]:
    """``nextScheduleTime``: the time to start a Job for now (or None), and "too many missed".

    More than 100 missed start times give the ``TooManyMissedTimes`` warning ("too many missed
    start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"); the
    most recent one is still started.
    """
    _, most_recent, missed = most_recent_schedule_time(
        cronjob, now, schedule, include_deadline=True
    )
    if most_recent is None or most_recent > now:
        return None, False
    return most_recent, missed > MANY_MISSED


def job_name(cronjob: Mapping[str, Any], scheduled: int) -> str:
    """``getJobName``: the CronJob's name and the scheduled time in minutes since the epoch."""
    return f"{cronjob['metadata']['name']}-{scheduled // 60}"


def _finished(job: Mapping[str, Any]) -> str | None:
    """``IsJobFinished`` / ``getFinishedStatus``: "Complete", "Failed" or None."""
    for condition in list_at(job, "status.conditions"):
        if condition.get("type") in {"Complete", "Failed"} and condition.get("status") == "True":
            return str(condition["type"])
    return None


@dataclass
class CronJobSync:
    """What one ``syncCronJob`` does.

    Attributes:
        create: the Job to create, if any.
        delete: Jobs to delete (``Replace``, history limits), oldest first.
        status: the CronJob's new status.
        events: (reason, message) of the warnings and notes it records.
    """

    create: dict[str, Any] | None = None
    delete: list[Mapping[str, Any]] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str]] = field(default_factory=list)


def _ref(job: Mapping[str, Any]) -> dict[str, Any]:
    metadata = job["metadata"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "name": metadata["name"],
        "namespace": metadata["namespace"],
        "uid": metadata.get("uid", ""),
    }


def _start_key(job: Mapping[str, Any]) -> tuple[int, int, str]:
    """``byJobStartTime``: started ones first, by start time, then by name."""
    start = read_path(job, "status.startTime")
    return (1 if start is None else 0, int(start or 0), str(job["metadata"]["name"]))


def sync_cronjob(  # syncCronJob is one long decision
    cronjob: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], *, now: int
) -> CronJobSync:
    """One ``syncCronJob`` (with ``cleanupFinishedJobs``) over the Jobs the CronJob controls.

    Args:
        cronjob: the CronJob (with ``status``), defaults not needed.
        jobs: the Jobs whose controller is the CronJob.
        now: the logical clock.
    """
    spec = mapping_at(cronjob, "spec")
    result = CronJobSync()
    status = dict(mapping_at(cronjob, "status"))
    by_uid = {j["metadata"].get("uid"): j for j in jobs}
    active = [dict(r) for r in list_at(status, "active")]
    active_names = {r.get("name") for r in active}
    for job in jobs:
        finished = _finished(job)
        name = job["metadata"]["name"]
        if finished is None and name not in active_names:
            # An unfinished Job it controls that the active list lacks (an adopted orphan).
            active.append(_ref(job))
            active_names.add(name)
        elif finished is not None and name in active_names:
            active = [r for r in active if r.get("name") != name]
            active_names.discard(name)
            result.events.append(
                ("SawCompletedJob", f"Saw completed job: {name}, condition: {finished}")
            )
            completion = read_path(job, "status.completionTime")
            if finished == "Complete" and completion is not None:
                last = status.get("lastSuccessfulTime")
                if last is None or int(completion) > int(last):
                    status["lastSuccessfulTime"] = completion
    # Active references to Jobs that are gone are dropped.
    active = [r for r in active if r.get("uid") in by_uid or r.get("uid") in {"", None}]
    status["active"] = active
    _cleanup_finished(spec, jobs, result)
    result.status = status
    if cronjob["metadata"].get("deletionTimestamp") is not None or spec.get("suspend"):
        return result
    schedule = parse_schedule(str(spec.get("schedule", "")), zone=spec.get("timeZone"))
    scheduled, too_many = next_schedule_time({**cronjob, "status": status}, now, schedule)
    if too_many:
        result.events.append(
            (
                "TooManyMissedTimes",
                (
                    "too many missed start times. Set or decrease "
                    ".spec.startingDeadlineSeconds or check clock skew"
                ),
            )
        )
    if scheduled is None:
        return result
    # Upstream's MissSchedule check (a start later than startingDeadlineSeconds) cannot fire
    # here: with whole seconds, nextScheduleTime already looked only from now - deadline on.
    name = job_name(cronjob, scheduled)
    if name in active_names or any(j["metadata"]["name"] == name for j in jobs):
        return result
    policy = spec.get("concurrencyPolicy") or "Allow"
    if policy == "Forbid" and active:
        result.events.append(
            (
                "JobAlreadyActive",
                (
                    "Not starting job because prior execution is running and concurrency "
                    "policy is Forbid"
                ),
            )
        )
        return result
    if policy == "Replace":
        for ref in active:
            replaced = by_uid.get(ref.get("uid"))
            if replaced is not None:
                result.delete.append(replaced)
        status["active"] = active = []
    template = mapping_at(spec, "jobTemplate")
    template_metadata = mapping_at(template, "metadata")
    annotations = dict(mapping_at(template_metadata, "annotations"))
    annotations[SCHEDULED_TIMESTAMP_ANNOTATION] = _rfc3339(scheduled, schedule.zone)
    result.create = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": cronjob["metadata"]["namespace"],
            "labels": dict(mapping_at(template_metadata, "labels")),
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob["metadata"]["name"],
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": dict(mapping_at(template, "spec")),
    }
    status["lastScheduleTime"] = scheduled
    return result


def _rfc3339(seconds: int, zone: str) -> str:
    """``time.Format(time.RFC3339)`` of the instant in ``zone``."""
    text = to_datetime(seconds, zone=zone).isoformat()
    return text.replace("+00:00", "Z")


def _cleanup_finished(
    spec: Mapping[str, Any], jobs: Sequence[Mapping[str, Any]], result: CronJobSync
) -> None:
    """``cleanupFinishedJobs``: delete finished Jobs beyond the history limits, oldest first.

    Keeps the newest ``successfulJobsHistoryLimit`` (default 3) Complete Jobs and
    ``failedJobsHistoryLimit`` (default 1) Failed ones.
    """
    for kind, key, default in (
        ("Complete", "successfulJobsHistoryLimit", 3),
        ("Failed", "failedJobsHistoryLimit", 1),
    ):
        limit = spec.get(key)
        limit = default if limit is None else int(limit)
        done = sorted((j for j in jobs if _finished(j) == kind), key=_start_key)
        result.delete.extend(done[: max(0, len(done) - limit)])
