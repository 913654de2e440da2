"""kubectl's READY, STATUS and RESTARTS columns (``printPod``) and the status of unbound pods.

The cases follow the branches of upstream ``pkg/printers/internalversion/printers.go printPod``
one by one; the statuses are written here as ``kubectl get -o yaml`` prints them.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.semantics.printers import (
    PodRow,
    print_pod,
    scheduling_gated_condition,
    unbound_pod_status,
)

RUNNING = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}


def pod(
    *,
    containers: int = 1,
    init: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    reason: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    deleted: bool = False,
) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if reason is not None:
        status["reason"] = reason
    if conditions is not None:
        status["conditions"] = conditions
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    metadata: dict[str, Any] = {"name": "p"}
    if deleted:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": metadata,
        "spec": {
            "containers": [{"name": f"c{i}", "image": "x"} for i in range(containers)],
            "initContainers": init or [],
        },
        "status": status,
    }


def cs(name: str, state: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"name": name, "state": state or {}, "ready": False, "restartCount": 0, **fields}


def test_running_and_ready_counts_ready_containers_and_restarts() -> None:
    row = print_pod(
        pod(
            containers=2,
            statuses=[cs("c0", RUNNING, ready=True, restartCount=3), cs("c1", restartCount=3)],
        )
    )
    assert row == PodRow(ready="1/2", status="Running", restarts=6)


def test_a_waiting_reason_is_the_status() -> None:
    waiting = {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}
    row = print_pod(pod(statuses=[cs("c0", waiting, restartCount=5)]))
    assert row == PodRow(ready="0/1", status="CrashLoopBackOff", restarts=5)


def test_containers_are_read_last_to_first_so_the_first_reason_wins() -> None:
    row = print_pod(
        pod(
            containers=2,
            statuses=[
                cs("c0", {"waiting": {"reason": "ImagePullBackOff"}}),
                cs("c1", {"terminated": {"reason": "Error", "exitCode": 1}}),
            ],
        )
    )
    assert row.status == "ImagePullBackOff"


def test_status_reason_replaces_the_phase() -> None:
    row = print_pod(pod(phase="Failed", reason="Evicted", statuses=[]))
    assert row.status == "Evicted"


def test_ready_without_running_is_not_counted() -> None:
    row = print_pod(
        pod(containers=2, statuses=[cs("c0", RUNNING, ready=True), cs("c1", ready=True)])
    )
    assert row == PodRow(ready="1/2", status="Running", restarts=0)


@pytest.mark.parametrize(
    ("terminated", "status"),
    [
        ({"reason": "Completed", "exitCode": 0}, "Completed"),
        ({"reason": "OOMKilled", "exitCode": 137}, "OOMKilled"),
        ({"exitCode": 3}, "ExitCode:3"),
        ({"exitCode": 137, "signal": 9}, "Signal:9"),
    ],
)
def test_a_terminated_container_gives_its_reason_signal_or_exit_code(
    terminated: dict[str, Any], status: str
) -> None:
    row = print_pod(pod(phase="Succeeded", statuses=[cs("c0", {"terminated": terminated})]))
    assert row.status == status


@pytest.mark.parametrize(("ready_condition", "status"), [(False, "NotReady"), (True, "Running")])
def test_completed_with_a_container_still_running(ready_condition: bool, status: str) -> None:
    conditions = [{"type": "Ready", "status": "True"}] if ready_condition else []
    row = print_pod(
        pod(
            containers=2,
            conditions=conditions,
            statuses=[
                cs("c0", {"terminated": {"reason": "Completed", "exitCode": 0}}, ready=True),
                cs("c1", RUNNING, ready=True),
            ],
        )
    )
    assert row == PodRow(ready="1/2", status=status, restarts=0)


INIT_TWO = [{"name": "i0", "image": "x"}, {"name": "i1", "image": "x"}]
DONE = {"terminated": {"reason": "Completed", "exitCode": 0}}
PENDING_MAIN = [cs("c0", {"waiting": {"reason": "PodInitializing"}})]


@pytest.mark.parametrize(
    ("init_statuses", "status", "restarts"),
    [
        ([cs("i0", RUNNING, restartCount=3), cs("i1", {"waiting": {}})], "Init:0/2", 3),
        ([cs("i0", DONE), cs("i1", RUNNING, restartCount=2)], "Init:1/2", 2),
        (
            [cs("i0", {"waiting": {"reason": "PodInitializing"}}), cs("i1", {"waiting": {}})],
            "Init:0/2",
            0,
        ),
        (
            [cs("i0", DONE), cs("i1", {"waiting": {"reason": "CrashLoopBackOff"}}, restartCount=4)],
            "Init:CrashLoopBackOff",
            4,
        ),
        ([cs("i0", {"terminated": {"reason": "Error", "exitCode": 1}})], "Init:Error", 0),
        ([cs("i0", {"terminated": {"exitCode": 2}})], "Init:ExitCode:2", 0),
        ([cs("i0", {"terminated": {"exitCode": 143, "signal": 15}})], "Init:Signal:15", 0),
    ],
)
def test_an_unfinished_init_container_gives_init_status(
    init_statuses: list[dict[str, Any]], status: str, restarts: int
) -> None:
    row = print_pod(
        pod(phase="Pending", init=INIT_TWO, init_statuses=init_statuses, statuses=PENDING_MAIN)
    )
    assert row == PodRow(ready="0/1", status=status, restarts=restarts)


SIDECAR_INIT = [
    {"name": "i0", "image": "x"},
    {"name": "proxy", "image": "x", "restartPolicy": "Always"},
]


def test_once_initialized_only_sidecar_restarts_count_beside_the_containers() -> None:
    row = print_pod(
        pod(
            init=SIDECAR_INIT,
            init_statuses=[
                cs("i0", DONE, restartCount=7),
                cs("proxy", RUNNING, started=True, ready=True, restartCount=2),
            ],
            statuses=[cs("c0", RUNNING, ready=True, restartCount=1)],
        )
    )
    assert row == PodRow(ready="2/2", status="Running", restarts=3)


def test_initialized_pod_with_a_failed_init_container_keeps_the_init_status() -> None:
    # Initialized is True, so the containers are read too; a running, Ready container gives no
    # reason of its own, so the init container's stays, and the restarts are the containers'.
    row = print_pod(
        pod(
            init=SIDECAR_INIT,
            conditions=[{"type": "Initialized", "status": "True"}],
            init_statuses=[
                cs("i0", {"terminated": {"reason": "Error", "exitCode": 1}}, restartCount=7),
                cs("proxy", RUNNING, started=True, ready=True, restartCount=2),
            ],
            statuses=[cs("c0", RUNNING, ready=True, restartCount=1)],
        )
    )
    assert row == PodRow(ready="1/2", status="Init:Error", restarts=1)


def test_a_started_sidecar_counts_as_a_ready_container() -> None:
    init = [{"name": "proxy", "image": "x", "restartPolicy": "Always"}]
    row = print_pod(
        pod(
            init=init,
            init_statuses=[cs("proxy", RUNNING, started=True, ready=True)],
            statuses=[cs("c0", RUNNING, ready=True)],
        )
    )
    assert row == PodRow(ready="2/2", status="Running", restarts=0)


def test_a_sidecar_that_has_not_started_is_initializing() -> None:
    init = [{"name": "proxy", "image": "x", "restartPolicy": "Always"}]
    row = print_pod(
        pod(
            phase="Pending",
            init=init,
            init_statuses=[cs("proxy", RUNNING, started=False)],
            statuses=PENDING_MAIN,
        )
    )
    assert row == PodRow(ready="0/2", status="Init:0/1", restarts=0)


@pytest.mark.parametrize(
    ("phase", "reason", "status"),
    [
        ("Running", None, "Terminating"),
        ("Pending", None, "Terminating"),
        ("Succeeded", None, "Succeeded"),
        ("Failed", None, "Failed"),
        ("Running", "NodeLost", "Unknown"),
    ],
)
def test_a_deleted_pod(phase: str, reason: str | None, status: str) -> None:
    assert print_pod(pod(phase=phase, reason=reason, statuses=[], deleted=True)).status == status


def test_node_lost_without_deletion_shows_the_reason() -> None:
    assert print_pod(pod(reason="NodeLost", statuses=[])).status == "NodeLost"


def test_scheduling_gated_condition_wins_over_the_phase() -> None:
    gated = {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
    row = print_pod(pod(phase="Pending", conditions=[gated]))
    assert row == PodRow(ready="0/1", status="SchedulingGated", restarts=0)


def test_a_field_of_the_wrong_type_is_an_input_error_with_its_path() -> None:
    bad = pod(statuses=[cs("c0", {"waiting": "CrashLoopBackOff"})])
    with pytest.raises(InputError) as caught:
        print_pod(bad)
    assert caught.value.path == "status.containerStatuses[0].state.waiting"


# ----------------------------------------------------------------- unbound pods


def gated_pod(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "g"},
        "spec": {"schedulingGates": [{"name": "example.com/quota"}], "containers": [{"name": "c"}]},
        **({"status": status} if status else {}),
    }


def test_a_gated_pod_gets_the_api_servers_scheduling_gated_condition() -> None:
    assert scheduling_gated_condition(gated_pod()) == {
        "type": "PodScheduled",
        "status": "False",
        "reason": "SchedulingGated",
        "message": "Scheduling is blocked due to non-empty scheduling gates",
    }
    phase, conditions = unbound_pod_status(gated_pod())
    assert phase == "Pending"
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == [
        ("PodScheduled", "False", "SchedulingGated")
    ]


def test_an_existing_pod_scheduled_condition_is_kept_and_not_duplicated() -> None:
    existing = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
    assert scheduling_gated_condition(gated_pod(conditions=[existing])) is None
    _, conditions = unbound_pod_status(gated_pod(conditions=[existing]))
    assert conditions == [{**existing, "message": ""}]


def test_an_ungated_unbound_pod_has_no_conditions_and_is_pending() -> None:
    body = {"metadata": {"name": "u"}, "spec": {"containers": [{"name": "c"}]}}
    assert scheduling_gated_condition(body) is None
    assert unbound_pod_status(body) == ("Pending", [])
