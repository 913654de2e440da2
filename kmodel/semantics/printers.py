"""What ``kubectl get pods`` shows for a Pod, and the API server's status of an unbound Pod.

:func:`print_pod` mirrors the READY, STATUS and RESTARTS columns of
``pkg/printers/internalversion/printers.go printPod`` (kmodel has no wall clock, so there is no
AGE and no "(5m ago)" after the restarts). It reads only the Pod: its spec, its status
(``phase``, ``reason``, ``conditions`` and the container statuses) and
``metadata.deletionTimestamp``.

A Pod that has no ``spec.nodeName`` has not been bound, so no kubelet reports on it: its phase
is the ``Pending`` the API server gives every new Pod, and its only condition is the scheduler's
``PodScheduled`` or, for a Pod with scheduling gates, the one the API server adds on create
(:func:`scheduling_gated_condition`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.types import Manifest, PodCondition
from kmodel.semantics.pods import is_restartable_init_container

__all__ = [
    "NODE_UNREACHABLE_POD_REASON",
    "POD_REASON_SCHEDULING_GATED",
    "SCHEDULING_GATED_MESSAGE",
    "PodRow",
    "print_pod",
    "scheduling_gated_condition",
    "unbound_pod_status",
]

#: ``apiv1.PodReasonSchedulingGated``.
POD_REASON_SCHEDULING_GATED: Final = "SchedulingGated"
#: The message ``applySchedulingGatedCondition`` writes.
SCHEDULING_GATED_MESSAGE: Final = "Scheduling is blocked due to non-empty scheduling gates"
#: ``pkg/util/node NodeUnreachablePodReason``: the reason the node lifecycle controller gives a
#: pod on a node that stopped reporting.
NODE_UNREACHABLE_POD_REASON: Final = "NodeLost"

_TERMINAL: Final = frozenset({"Succeeded", "Failed"})


@dataclass(frozen=True)
class PodRow:
    """The columns of ``kubectl get pods`` that depend on the Pod alone.

    Attributes:
        ready: ready containers over containers (sidecars count), e.g. ``1/2``.
        status: the STATUS column: ``Running``, ``CrashLoopBackOff``, ``Init:0/2``,
            ``Completed``, ``Terminating``, ``SchedulingGated``, ...
        restarts: restarts of the containers the column counts.
    """

    ready: str
    status: str
    restarts: int


def _list(parent: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
    items = parent.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"must be a list, not {type(items).__name__}", path=f"{path}.{key}")
    return [_mapping(item, f"{path}.{key}[{i}]") for i, item in enumerate(items)]


def _condition_is_true(conditions: Sequence[Mapping[str, Any]], type_: str) -> bool:
    """The first condition of ``type_`` is True (``isPodInitializedConditionTrue``)."""
    for condition in conditions:
        if condition.get("type") == type_:
            return condition.get("status") == "True"
    return False


def _has_pod_ready_condition(conditions: Sequence[Mapping[str, Any]]) -> bool:
    """Some Ready condition is True (``hasPodReadyCondition``)."""
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _terminated_reason(terminated: Mapping[str, Any], prefix: str) -> str:
    """``Init:``/empty prefix plus the reason, else the signal, else the exit code."""
    reason = terminated.get("reason") or ""
    if reason:
        return prefix + str(reason)
    signal = int(terminated.get("signal") or 0)
    if signal != 0:
        return f"{prefix}Signal:{signal}"
    return f"{prefix}ExitCode:{int(terminated.get('exitCode') or 0)}"


def print_pod(pod: Manifest) -> PodRow:
    """READY, STATUS and RESTARTS of a Pod as ``kubectl get pods`` prints them.

    Mirrors ``pkg/printers/internalversion/printers.go printPod`` (with ``hasPodReadyCondition``
    and ``isPodInitializedConditionTrue``), step by step: the status starts as the phase, or
    ``status.reason`` when set, or ``SchedulingGated`` when a ``PodScheduled`` condition has that
    reason; the first init container that has not finished (a sidecar that has started counts
    as finished) gives ``Init:<reason>``, ``Init:ExitCode:N``, ``Init:Signal:N`` or ``Init:i/n``;
    once initialized, the regular containers are read from the last to the first, so the first
    one with a waiting or terminated reason wins (``CrashLoopBackOff``, ``Completed``, ``Error``,
    ``ExitCode:N``); ``Completed`` with a container still running and Ready becomes ``Running``
    (``NotReady`` without a Ready condition); a deleted Pod is ``Terminating``, or ``Unknown``
    when its node was lost. Times are not modelled, so RESTARTS is the count alone.

    Raises:
        InputError: a field that is not the type the API defines (with its path).
    """
    spec = _mapping(pod.get("spec"), "spec")
    status = _mapping(pod.get("status"), "status")
    metadata = _mapping(pod.get("metadata"), "metadata")
    conditions = _list(status, "conditions", "status")
    init_specs = _list(spec, "initContainers", "spec")
    restarts = 0
    restartable_init_restarts = 0
    total = len(_list(spec, "containers", "spec"))
    ready = 0

    phase = str(status.get("phase") or "")
    reason = phase
    if status.get("reason"):
        reason = str(status["reason"])
    for condition in conditions:
        if (
            condition.get("type") == "PodScheduled"
            and condition.get("reason") == POD_REASON_SCHEDULING_GATED
        ):
            reason = POD_REASON_SCHEDULING_GATED

    init_by_name: dict[object, Mapping[str, Any]] = {}
    for init_container in init_specs:
        init_by_name[init_container.get("name")] = init_container
        if is_restartable_init_container(init_container):
            total += 1

    initializing = False
    for i, container_status in enumerate(_list(status, "initContainerStatuses", "status")):
        count = int(container_status.get("restartCount") or 0)
        restarts += count
        spec_container = init_by_name.get(container_status.get("name"))
        restartable = spec_container is not None and is_restartable_init_container(spec_container)
        if restartable:
            restartable_init_restarts += count
        path = f"status.initContainerStatuses[{i}].state"
        state = _mapping(container_status.get("state"), path)
        terminated = _mapping(state.get("terminated"), f"{path}.terminated")
        waiting_reason = _mapping(state.get("waiting"), f"{path}.waiting").get("reason")
        if state.get("terminated") is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if restartable and container_status.get("started") is True:
            if container_status.get("ready"):
                ready += 1
            continue
        if state.get("terminated") is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif state.get("waiting") is not None and waiting_reason not in (
            None,
            "",
            "PodInitializing",
        ):
            reason = f"Init:{waiting_reason}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_is_true(conditions, "Initialized"):
        restarts = restartable_init_restarts
        has_running = False
        statuses = _list(status, "containerStatuses", "status")
        for i in range(len(statuses) - 1, -1, -1):
            container_status = statuses[i]
            restarts += int(container_status.get("restartCount") or 0)
            path = f"status.containerStatuses[{i}].state"
            state = _mapping(container_status.get("state"), path)
            waiting_reason = _mapping(state.get("waiting"), f"{path}.waiting").get("reason")
            if state.get("waiting") is not None and waiting_reason:
                reason = str(waiting_reason)
            elif state.get("terminated") is not None:
                reason = _terminated_reason(_mapping(state["terminated"], f"{path}.terminated"), "")
            elif container_status.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # A pod whose containers completed but one still runs is Running (NotReady unless the
        # pod is Ready).
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(conditions) else "NotReady"

    if metadata.get("deletionTimestamp") is not None:
        if status.get("reason") == NODE_UNREACHABLE_POD_REASON:
            reason = "Unknown"
        elif phase not in _TERMINAL:
            reason = "Terminating"

    return PodRow(ready=f"{ready}/{total}", status=reason, restarts=restarts)


def scheduling_gated_condition(pod: Manifest) -> PodCondition | None:
    """The ``PodScheduled`` condition the API server adds to a gated Pod on create, if any.

    Mirrors ``pkg/registry/core/pod/strategy.go applySchedulingGatedCondition``: a Pod with
    ``spec.schedulingGates`` and no ``PodScheduled`` condition gets ``PodScheduled=False``,
    reason ``SchedulingGated``, message "Scheduling is blocked due to non-empty scheduling
    gates"; otherwise nothing is added (None).
    """
    spec = _mapping(pod.get("spec"), "spec")
    if not _list(spec, "schedulingGates", "spec"):
        return None
    status = _mapping(pod.get("status"), "status")
    if any(c.get("type") == "PodScheduled" for c in _list(status, "conditions", "status")):
        return None
    return {
        "type": "PodScheduled",
        "status": "False",
        "reason": POD_REASON_SCHEDULING_GATED,
        "message": SCHEDULING_GATED_MESSAGE,
    }


def unbound_pod_status(pod: Manifest) -> tuple[str, list[PodCondition]]:
    """Phase and conditions of a Pod no node has been given (no ``spec.nodeName``).

    No kubelet reports on such a Pod. The API server creates every Pod ``Pending``
    (``pkg/registry/core/pod/strategy.go PrepareForCreate``) and adds the scheduling-gated
    condition (:func:`scheduling_gated_condition`); the scheduler writes ``PodScheduled=False``
    (``Unschedulable``) when it tries and fails. So the phase is the status's own (``Pending``
    when absent) and the conditions are the status's own, plus the gated one when it applies.
    """
    status = _mapping(pod.get("status"), "status")
    conditions: list[PodCondition] = [
        {
            "type": str(c.get("type") or ""),
            "status": c.get("status") or "Unknown",
            "reason": str(c.get("reason") or ""),
            "message": str(c.get("message") or ""),
        }
        for c in _list(status, "conditions", "status")
    ]
    gated = scheduling_gated_condition(pod)
    if gated is not None:
        conditions.append(gated)
    return str(status.get("phase") or "Pending"), conditions
