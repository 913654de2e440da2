"""Small builders for Pod manifests in API shape, shared by the pod semantics tests."""

from __future__ import annotations

from typing import Any


def container(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox", **fields}


def sidecar(name: str, **fields: Any) -> dict[str, Any]:
    return container(name, restartPolicy="Always", **fields)


def running(name: str, *, ready: bool = False, started: bool | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
        "ready": ready,
        "restartCount": 0,
    }
    if started is not None:
        status["started"] = started
    return status


def terminated(name: str, exit_code: int = 0, *, reason: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"exitCode": exit_code}
    if reason is not None:
        detail["reason"] = reason
    return {"name": name, "state": {"terminated": detail}, "ready": False, "restartCount": 0}


def waiting(
    name: str,
    *,
    last_exit: int | None = None,
    last_reason: str | None = None,
    reason: str = "ContainerCreating",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "state": {"waiting": {"reason": reason}},
        "ready": False,
        "restartCount": 0,
    }
    if last_exit is not None:
        last: dict[str, Any] = {"exitCode": last_exit}
        if last_reason is not None:
            last["reason"] = last_reason
        status["lastState"] = {"terminated": last}
        status["restartCount"] = 1
    return status


def no_state(name: str) -> dict[str, Any]:
    return {"name": name, "state": {}, "ready": False, "restartCount": 0}


def pod(
    containers: list[dict[str, Any]] | None = None,
    *,
    init: list[dict[str, Any]] | None = None,
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    restart_policy: str | None = "Always",
    readiness_gates: list[str] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    phase: str | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": containers or []}
    if init is not None:
        spec["initContainers"] = init
    if restart_policy is not None:
        spec["restartPolicy"] = restart_policy
    if readiness_gates is not None:
        spec["readinessGates"] = [{"conditionType": g} for g in readiness_gates]
    status: dict[str, Any] = {}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = conditions
    if phase is not None:
        status["phase"] = phase
    metadata: dict[str, Any] = {"name": "p", "namespace": "default"}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}
