"""Crash-loop back-off (k8s-semantics.md section 3) and container status conversion (1.5)."""

from __future__ import annotations

import itertools

import pytest

from kmodel.errors import InputError
from kmodel.semantics.containers import (
    BackOffEntry,
    BackOffPolicy,
    backoff_key,
    container_hash,
    convert_container_statuses,
    restart_backoff,
    should_container_be_restarted,
)
from kmodel.semantics.pods import pod_phase
from tests.helpers.pods import container, pod, running, terminated


def restart_times(
    crashes: int, *, run_for: int = 0, policy: BackOffPolicy | None = None
) -> list[int]:
    """Start a container that crashes `run_for` seconds after each start; return start times.

    The kubelet retries every second (a pod sync), so a start happens at the first whole second
    the back-off allows.
    """
    entry = None
    starts = [0]
    now = 0
    finished = None
    while len(starts) <= crashes:
        finished = starts[-1] + run_for
        now = max(now, finished)
        while True:
            decision = restart_backoff(entry, finished_at=finished, now=now, policy=policy)
            entry = decision.entry
            if decision.start:
                starts.append(now)
                break
            now += 1
    return starts


def test_crash_loop_waits_10_20_40_80_160_then_300():
    starts = restart_times(9)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == [0, 10, 20, 40, 80, 160, 300, 300, 300]


def test_first_start_never_backs_off():
    decision = restart_backoff(None, finished_at=None, now=5)
    assert decision.start
    assert decision.entry is None


def test_held_back_shows_crash_loop_back_off_with_go_duration():
    entry = BackOffEntry(backoff=300, last_update=100)
    decision = restart_backoff(
        entry, finished_at=100, now=399, container_name="web", pod_label="api_default(uid-1)"
    )
    assert not decision.start
    assert decision.reason == "CrashLoopBackOff"
    assert (
        decision.message == "back-off 5m0s restarting failed container=web pod=api_default(uid-1)"
    )


def test_back_off_is_strict_less_than():
    entry = BackOffEntry(backoff=20, last_update=50)
    assert not restart_backoff(entry, finished_at=50, now=69).start
    decision = restart_backoff(entry, finished_at=50, now=70)
    assert decision.start
    assert decision.entry == BackOffEntry(backoff=40, last_update=70)


def test_reset_after_600_seconds_strictly():
    entry = BackOffEntry(backoff=160, last_update=1000)
    # Finished exactly 600 s after the last update: not expired, the delay doubles.
    assert restart_backoff(entry, finished_at=1600, now=1800).entry == BackOffEntry(
        backoff=300, last_update=1800
    )
    # Finished 601 s after: expired, the container starts at once and the delay starts over.
    decision = restart_backoff(entry, finished_at=1601, now=1601)
    assert decision.start
    assert decision.entry == BackOffEntry(backoff=10, last_update=1601)


def test_long_running_container_resets_the_sequence():
    starts = restart_times(4, run_for=700)
    gaps = [b - a - 700 for a, b in itertools.pairwise(starts)]
    assert gaps == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, (10, 300)),
        ({"reduce_default_decay": True}, (1, 60)),
        ({"max_container_restart_period": 120}, (10, 120)),
        ({"max_container_restart_period": 5}, (5, 5)),
        ({"reduce_default_decay": True, "max_container_restart_period": 30}, (1, 30)),
    ],
)
def test_policy_from_gates(kwargs, expected):
    policy = BackOffPolicy.from_config(**kwargs)
    assert (policy.initial, policy.maximum) == expected


def test_policy_max_out_of_range():
    with pytest.raises(InputError, match="maxContainerRestartPeriod: must be between 1s and 300s"):
        BackOffPolicy.from_config(max_container_restart_period=301)


def test_reduced_decay_sequence():
    starts = restart_times(8, policy=BackOffPolicy.from_config(reduce_default_decay=True))
    assert [b - a for a, b in itertools.pairwise(starts)] == [0, 1, 2, 4, 8, 16, 32, 60]


def test_key_changes_with_image_not_with_other_fields():
    p = {"metadata": {"name": "api", "namespace": "default", "uid": "u1"}}
    a = container("web", image="nginx:1", command=["a"])
    assert backoff_key(p, a) == backoff_key(p, {**a, "command": ["b"]})
    assert backoff_key(p, a) != backoff_key(p, {**a, "image": "nginx:2"})
    assert backoff_key(p, a).startswith("api_default_u1_web_")
    assert container_hash(a) == container_hash(dict(reversed(list(a.items()))))


# ---- ShouldContainerBeRestarted


@pytest.mark.parametrize(
    ("record", "policy", "expected"),
    [
        (None, "Never", True),
        ({"name": "a", "state": "running"}, "Always", False),
        ({"name": "a", "state": "created"}, "Never", True),
        ({"name": "a", "state": "unknown"}, "Never", True),
        ({"name": "a", "state": "exited", "exitCode": 1}, "Never", False),
        ({"name": "a", "state": "exited", "exitCode": 0}, "OnFailure", False),
        ({"name": "a", "state": "exited", "exitCode": 2}, "OnFailure", True),
        ({"name": "a", "state": "exited", "exitCode": 0}, "Always", True),
    ],
)
def test_should_container_be_restarted(record, policy, expected):
    p = pod([container("a")], restart_policy=policy)
    assert should_container_be_restarted(container("a"), p, record) is expected


def test_deleted_pod_is_never_restarted():
    p = pod([container("a")])
    p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert not should_container_be_restarted(container("a"), p, None)


# ---- convertToAPIContainerStatuses


def test_default_waiting_reason_depends_on_init_containers():
    plain = pod([container("a")])
    (status,) = convert_container_statuses(plain, [container("a")], [], None)
    assert status["state"] == {"waiting": {"reason": "ContainerCreating"}}
    with_init = pod([container("a")], init=[container("i")])
    (status,) = convert_container_statuses(with_init, [container("a")], [], None)
    assert status["state"] == {"waiting": {"reason": "PodInitializing"}}


def test_runtime_states_map_to_api_states():
    p = pod([container("a"), container("b"), container("c")])
    runtime = [
        {"name": "a", "state": "running", "startedAt": 5, "restartCount": 0},
        {"name": "b", "state": "created"},
        {
            "name": "c",
            "state": "exited",
            "exitCode": 3,
            "reason": "Error",
            "startedAt": 1,
            "finishedAt": 4,
        },
    ]
    statuses = convert_container_statuses(p, p["spec"]["containers"], runtime, None)
    by_name = {s["name"]: s for s in statuses}
    assert by_name["a"]["state"] == {"running": {"startedAt": 5}}
    assert by_name["b"]["state"] == {"waiting": {}}
    assert by_name["c"]["state"] == {
        "terminated": {"exitCode": 3, "reason": "Error", "startedAt": 1, "finishedAt": 4}
    }


def test_unknown_after_running_becomes_terminated_137_with_one_more_restart():
    p = pod([container("a")])
    old = [{**running("a"), "restartCount": 2}]
    (status,) = convert_container_statuses(
        p, [container("a")], [{"name": "a", "state": "unknown"}], old
    )
    assert status["state"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert status["state"]["terminated"]["exitCode"] == 137
    assert status["restartCount"] == 3
    # Unknown without a running old status collapses to waiting.
    (status,) = convert_container_statuses(
        p, [container("a")], [{"name": "a", "state": "unknown"}], None
    )
    assert status["state"] == {"waiting": {}}


def test_old_terminated_status_is_kept_when_the_runtime_forgot_it():
    p = pod([container("a")], restart_policy="Never")
    old = [terminated("a", 1)]
    (status,) = convert_container_statuses(p, [container("a")], [], old)
    assert status == old[0]


def test_vanished_running_container_gets_status_unknown_last_state():
    p = pod([container("a")])
    old = [{**running("a"), "restartCount": 1}]
    (status,) = convert_container_statuses(p, [container("a")], [], old)
    assert status["state"] == {"waiting": {"reason": "ContainerCreating"}}
    assert status["lastState"]["terminated"]["reason"] == "ContainerStatusUnknown"
    assert status["lastState"]["terminated"]["exitCode"] == 137
    assert status["restartCount"] == 2
    # The phase stays Running: a waiting container with a last termination counts as stopped.
    assert pod_phase({**p, "status": {"containerStatuses": [status]}}) == "Running"
    p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    (status,) = convert_container_statuses(p, [container("a")], [], old)
    assert status["restartCount"] == 1


def test_newest_record_is_state_second_newest_is_last_state():
    p = pod([container("a")])
    runtime = [
        {"name": "a", "state": "running", "startedAt": 30, "restartCount": 2},
        {"name": "a", "state": "exited", "exitCode": 1, "finishedAt": 20},
        {"name": "a", "state": "exited", "exitCode": 2, "finishedAt": 10},
    ]
    (status,) = convert_container_statuses(p, [container("a")], runtime, None)
    assert status["state"] == {"running": {"startedAt": 30}}
    assert status["lastState"] == {"terminated": {"exitCode": 1, "finishedAt": 20}}
    assert status["restartCount"] == 2


def test_cached_start_failure_shows_waiting_and_moves_terminated_to_last_state():
    p = pod([container("a")], restart_policy="Always")
    runtime = [{"name": "a", "state": "exited", "exitCode": 1, "finishedAt": 20, "restartCount": 3}]
    failures = {
        "a": ("CrashLoopBackOff", "back-off 40s restarting failed container=a pod=p_default()")
    }
    (status,) = convert_container_statuses(
        p, [container("a")], runtime, None, start_failures=failures
    )
    assert status["state"] == {
        "waiting": {"reason": "CrashLoopBackOff", "message": failures["a"][1]}
    }
    assert status["lastState"] == {"terminated": {"exitCode": 1, "finishedAt": 20}}
    # Without a cached reason the container stays terminated.
    (status,) = convert_container_statuses(p, [container("a")], runtime, None)
    assert "terminated" in status["state"]
    # A container that will not restart (Never) keeps its terminated state even with a reason.
    never = pod([container("a")], restart_policy="Never")
    (status,) = convert_container_statuses(
        never, [container("a")], runtime, None, start_failures=failures
    )
    assert "terminated" in status["state"]


def test_succeeded_init_container_is_not_turned_into_waiting():
    p = pod([container("a")], init=[container("i")], restart_policy="Always")
    runtime = [{"name": "i", "state": "exited", "exitCode": 0}]
    (status,) = convert_container_statuses(
        p,
        [container("i")],
        runtime,
        None,
        is_init=True,
        start_failures={"i": ("CrashLoopBackOff", "")},
    )
    assert status["state"]["terminated"]["exitCode"] == 0


def test_forgotten_init_container_shows_completed_once_regular_containers_exist():
    p = pod([container("a")], init=[container("i"), {**container("s"), "restartPolicy": "Always"}])
    statuses = convert_container_statuses(
        p, p["spec"]["initContainers"], [], None, is_init=True, regular_containers_created=True
    )
    assert statuses[0]["state"] == {"terminated": {"exitCode": 0, "reason": "Completed"}}
    assert statuses[1]["state"] == {"waiting": {"reason": "PodInitializing"}}  # sidecars excluded


def test_ordering_init_in_spec_order_regular_by_name_and_nil_when_empty():
    p = pod([container("zeta"), container("alpha")], init=[container("z"), container("a")])
    regular = convert_container_statuses(p, p["spec"]["containers"], [], None)
    assert [s["name"] for s in regular] == ["alpha", "zeta"]
    init = convert_container_statuses(p, p["spec"]["initContainers"], [], None, is_init=True)
    assert [s["name"] for s in init] == ["z", "a"]
    assert convert_container_statuses(p, [], [], None) is None
