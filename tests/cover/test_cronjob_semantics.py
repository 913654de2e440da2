"""CronJob schedules (kmodel.objects.cron) and syncCronJob decisions (kmodel.semantics.cronjob).

Cases from robfig/cron's ``parser_test.go`` / ``spec_test.go`` and upstream's
``pkg/controller/cronjob/utils_test.go`` and ``cronjob_controllerv2_test.go``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.objects.cron import parse_schedule
from kmodel.semantics import cronjob as cs

UTC = dt.UTC


def at(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


@pytest.mark.parametrize(
    ("schedule", "zone", "after", "want"),
    [
        ("*/5 * * * *", None, "2024-03-01T10:02:00+00:00", "2024-03-01T10:05:00+00:00"),
        ("0 9 * * mon-fri", None, "2024-03-01T10:00:00+00:00", "2024-03-04T09:00:00+00:00"),
        ("@hourly", None, "2024-03-01T10:00:00+00:00", "2024-03-01T11:00:00+00:00"),
        ("@monthly", None, "2024-02-15T00:00:00+00:00", "2024-03-01T00:00:00+00:00"),
        ("30 2 29 feb *", None, "2024-03-01T00:00:00+00:00", "2028-02-29T02:30:00+00:00"),
        ("0 0 1 * sun", None, "2024-03-01T12:00:00+00:00", "2024-03-03T00:00:00+00:00"),
        ("0 0 ? * 7", None, "2024-03-01T12:00:00+00:00", "2024-03-03T00:00:00+00:00"),
        ("5/20 * * * *", None, "2024-03-01T10:46:00+00:00", "2024-03-01T11:05:00+00:00"),
        ("0 9 * * *", "Europe/Berlin", "2024-07-01T00:00:00+00:00", "2024-07-01T07:00:00+00:00"),
        ("0 9 * * *", "Europe/Berlin", "2024-01-01T00:00:00+00:00", "2024-01-01T08:00:00+00:00"),
        ("0 0 1 1 *", None, "1970-01-01T00:00:00+00:00", "1971-01-01T00:00:00+00:00"),
    ],
)
def test_next(schedule: str, zone: str | None, after: str, want: str) -> None:
    assert parse_schedule(schedule, zone=zone).next(at(after)) == at(want)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("* * * *", "expected exactly 5 fields, found 4"),
        ("60 * * * *", "end of range (60) above maximum (59)"),
        ("* * 0 * *", "beginning of range (0) below minimum (1)"),
        ("5-1 * * * *", "beyond end of range"),
        ("*/0 * * * *", "invalid step"),
        ("@fortnightly", "unrecognized descriptor"),
        ("@every 5m", "not modelled"),
    ],
)
def test_bad_schedules(schedule: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_schedule(schedule)
    with pytest.raises(InputError, match="unknown time zone"):
        parse_schedule("* * * * *", zone="Mars/Olympus")


def cronjob(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "cj", "namespace": "ns", "uid": "cj-uid", "creationTimestamp": 0},
        "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"parallelism": 1}}, **spec},
        "status": status or {},
    }


def job(name: str, *, finished: str | None = None, start: int = 0) -> dict[str, Any]:
    conditions = [] if finished is None else [{"type": finished, "status": "True"}]
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": name},
        "status": {"conditions": conditions, "startTime": start, "completionTime": start + 60},
    }


def test_most_recent_schedule_time_counts_missed_starts() -> None:
    schedule = parse_schedule("*/5 * * * *")
    assert cs.most_recent_schedule_time(cronjob(), 200, schedule, include_deadline=True) == (
        0,
        None,
        0,
    )
    assert cs.most_recent_schedule_time(cronjob(), 400, schedule, include_deadline=True) == (
        0,
        300,
        0,
    )
    assert cs.most_recent_schedule_time(cronjob(), 1000, schedule, include_deadline=True) == (
        0,
        900,
        3,
    )
    with_deadline = cronjob(startingDeadlineSeconds=200)
    assert cs.most_recent_schedule_time(with_deadline, 1000, schedule, include_deadline=True) == (
        800,
        900,
        0,
    )


def test_too_many_missed_start_times_still_starts_the_latest() -> None:
    schedule = parse_schedule("* * * * *")
    scheduled, too_many = cs.next_schedule_time(cronjob(), 102 * 60, schedule)
    assert (scheduled, too_many) == (102 * 60, True)
    result = cs.sync_cronjob(cronjob(schedule="* * * * *"), [], now=102 * 60)
    assert result.events[0][0] == "TooManyMissedTimes"
    assert result.create is not None
    assert result.create["metadata"]["name"] == "cj-102"


def test_creates_job_named_by_minutes_with_scheduled_annotation() -> None:
    result = cs.sync_cronjob(cronjob(timeZone="Europe/Berlin"), [], now=310)
    assert result.create is not None
    assert result.create["metadata"]["name"] == "cj-5"
    annotation = result.create["metadata"]["annotations"][cs.SCHEDULED_TIMESTAMP_ANNOTATION]
    assert annotation == "1970-01-01T01:05:00+01:00"
    assert result.status["lastScheduleTime"] == 300


def test_starting_deadline_passed_start_is_skipped() -> None:
    # The slot at 300 s is more than 10 s ago: nextScheduleTime looks only from now - 10 s on.
    late = cronjob({"lastScheduleTime": 0}, startingDeadlineSeconds=10)
    result = cs.sync_cronjob(late, [], now=320)
    assert result.create is None
    assert result.events == []
    in_time = cs.sync_cronjob(
        cronjob({"lastScheduleTime": 0}, startingDeadlineSeconds=30), [], now=320
    )
    assert in_time.create is not None


def test_forbid_skips_while_a_run_is_active_and_replace_deletes_it() -> None:
    running = job("cj-5")
    status = {"active": [{"name": "cj-5", "uid": "cj-5"}], "lastScheduleTime": 300}
    forbid = cs.sync_cronjob(cronjob(status, concurrencyPolicy="Forbid"), [running], now=610)
    assert forbid.create is None
    assert forbid.events[0][0] == "JobAlreadyActive"
    replace = cs.sync_cronjob(cronjob(status, concurrencyPolicy="Replace"), [running], now=610)
    assert [j["metadata"]["name"] for j in replace.delete] == ["cj-5"]
    assert replace.create is not None
    allow = cs.sync_cronjob(cronjob(status), [running], now=610)
    assert allow.create is not None
    assert allow.delete == []


def test_finished_job_leaves_active_list_and_history_limits_apply() -> None:
    jobs = [job(f"cj-{i}", finished="Complete", start=i * 60) for i in (5, 10, 15, 20)]
    jobs += [
        job("cj-25", finished="Failed", start=1500),
        job("cj-30", finished="Failed", start=1800),
    ]
    status = {"active": [{"name": "cj-20", "uid": "cj-20"}], "lastScheduleTime": 1800}
    result = cs.sync_cronjob(cronjob(status, suspend=True), jobs, now=1810)
    assert result.status["active"] == []
    assert result.status["lastSuccessfulTime"] == 1260
    assert [j["metadata"]["name"] for j in result.delete] == ["cj-5", "cj-25"]
    assert result.create is None  # suspended
