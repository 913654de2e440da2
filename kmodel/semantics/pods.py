"""Pod phase and pod conditions, exactly as the kubelet computes them.

Mirrors ``pkg/kubelet/kubelet_pods.go`` (``getPhase``, the phase part of
``generateAPIPodStatus``), ``pkg/kubelet/status/generate.go`` (the condition generators),
``pkg/kubelet/status/status_manager.go`` (``mergePodStatus``,
``checkContainerStateTransition``) and ``pkg/api/v1/pod/util.go`` (``ContainerShouldRestart``),
at kubernetes master after v1.35 (commit ``001a80e9`` for the phase code).
``k8s-semantics.md`` sections 1 and 2 hold the decision tables.

Pods are manifests as dicts with the API's camelCase keys. A status list that is absent (or
``null``) means "no statuses known" (Go ``nil``); an empty list is empty, as in Go.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.internal.gofmt import go_quote, go_string_list
from kmodel.objects.fields import list_at
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.types import Manifest, PodCondition, PodPhase

__all__ = [
    "ALL_CONTAINERS_RESTARTING",
    "CONTAINERS_NOT_INITIALIZED",
    "CONTAINERS_NOT_READY",
    "FEATURE_GATES",
    "KUBELET_OWNED_CONDITIONS",
    "POD_COMPLETED",
    "POD_FAILED",
    "READINESS_GATES_NOT_READY",
    "RESTARTING_ALL_CONTAINERS",
    "UNKNOWN_CONTAINER_STATUSES",
    "api_pod_phase",
    "container_should_restart",
    "container_state_transition_allowed",
    "has_any_regular_container_started",
    "is_restartable_init_container",
    "is_static_pod",
    "merge_pod_status",
    "pod_conditions",
    "pod_phase",
    "update_pod_condition",
]

# Reason constants, pkg/kubelet/status/generate.go.
UNKNOWN_CONTAINER_STATUSES: Final = "UnknownContainerStatuses"
POD_COMPLETED: Final = "PodCompleted"
POD_FAILED: Final = "PodFailed"
CONTAINERS_NOT_READY: Final = "ContainersNotReady"
CONTAINERS_NOT_INITIALIZED: Final = "ContainersNotInitialized"
READINESS_GATES_NOT_READY: Final = "ReadinessGatesNotReady"
RESTART_ALL_CONTAINERS_STARTED: Final = "RestartAllContainersStarted"
#: The termination reason of containers stopped by a RestartAllContainers rule.
RESTARTING_ALL_CONTAINERS: Final = "RestartingAllContainers"
#: The condition type of the RestartAllContainersOnContainerExits feature.
ALL_CONTAINERS_RESTARTING: Final = "AllContainersRestarting"

#: Feature gates that change these functions, and their default (all off here; see README).
FEATURE_GATES: Final[Mapping[str, bool]] = {
    "ContainerRestartRules": False,
    "RestartAllContainersOnContainerExits": False,
    "PodReadyToStartContainersCondition": False,
}

#: ``kubetypes.PodConditionByKubelet`` (PodReadyToStartContainers only when its gate is on).
KUBELET_OWNED_CONDITIONS: Final = frozenset(
    {
        "PodScheduled",
        "Ready",
        "Initialized",
        "ContainersReady",
        "PodResizePending",
        "PodResizeInProgress",
    }
)

_TERMINAL: Final = frozenset({"Succeeded", "Failed"})
_CONFIG_SOURCE_ANNOTATION: Final = "kubernetes.io/config.source"


# ----------------------------------------------------------------------------- input access


def _gates(feature_gates: Mapping[str, bool] | None) -> dict[str, bool]:
    gates = dict(FEATURE_GATES)
    for name, enabled in (feature_gates or {}).items():
        if name not in FEATURE_GATES:
            known = ", ".join(sorted(FEATURE_GATES))
            raise InputError(f"unknown feature gate {name!r} (known: {known})", path="featureGates")
        if not isinstance(enabled, bool):
            raise InputError("must be true or false", path=f"featureGates.{name}")
        gates[name] = enabled
    return gates


def _containers(pod: Manifest, key: str) -> list[Mapping[str, Any]]:
    spec = _mapping(pod.get("spec"), "spec")
    items = spec.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise InputError(f"must be a list, not {type(items).__name__}", path=f"spec.{key}")
    return [_mapping(item, f"spec.{key}[{i}]") for i, item in enumerate(items)]


def _statuses(pod: Manifest, key: str) -> list[Mapping[str, Any]] | None:
    """A status list of the pod, or None when absent (Go nil)."""
    status = _mapping(pod.get("status"), "status")
    items = status.get(key)
    if items is None:
        return None
    if not isinstance(items, list):
        raise InputError(f"must be a list, not {type(items).__name__}", path=f"status.{key}")
    return [_mapping(item, f"status.{key}[{i}]") for i, item in enumerate(items)]


def _all_statuses(pod: Manifest) -> list[Mapping[str, Any]] | None:
    """``allContainerStatuses``: init container statuses followed by regular ones.

    ``None`` (Go nil, "no statuses known") only when the pod has neither list; an empty list given
    in the manifest is an empty, known list.
    """
    init = _statuses(pod, "initContainerStatuses")
    regular = _statuses(pod, "containerStatuses")
    if init is None and regular is None:
        return None
    return [*(init or []), *(regular or [])]


def _find_status(
    statuses: Sequence[Mapping[str, Any]] | None, name: object
) -> Mapping[str, Any] | None:
    """``podutil.GetContainerStatus``: the first status with that name."""
    for status in statuses or ():
        if status.get("name") == name:
            return status
    return None


def _state(status: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]]:
    """Which ``ContainerState`` member is set, in Go's order: running, terminated, waiting."""
    state = _mapping(status.get("state"), "state")
    for kind in ("running", "terminated", "waiting"):
        if state.get(kind) is not None:
            return kind, _mapping(state[kind], f"state.{kind}")
    return None, {}


def _last_terminated(status: Mapping[str, Any]) -> Mapping[str, Any] | None:
    last = _mapping(status.get("lastState"), "lastState")
    terminated = last.get("terminated")
    return None if terminated is None else _mapping(terminated, "lastState.terminated")


def _exit_code(terminated: Mapping[str, Any]) -> int:
    code = terminated.get("exitCode", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise InputError("must be an integer", path="state.terminated.exitCode")
    return code


def _is_true(value: object) -> bool:
    """A Go ``*bool`` or ``bool`` read from a manifest: only a real ``true`` counts."""
    return value is True


# ----------------------------------------------------------------------------- helpers


def is_restartable_init_container(container: Manifest) -> bool:
    """An init container with ``restartPolicy: Always`` is a sidecar.

    Mirrors ``pkg/api/v1/pod/util.go IsRestartableInitContainer``.
    """
    return container.get("restartPolicy") == "Always"


def is_static_pod(pod: Manifest) -> bool:
    """A pod whose config source is not the API server (a static pod or its mirror).

    Mirrors ``pkg/kubelet/types/pod_update.go IsStaticPod``: the
    ``kubernetes.io/config.source`` annotation is present and is not ``api``.
    """
    metadata = _mapping(pod.get("metadata"), "metadata")
    annotations = _mapping(metadata.get("annotations"), "metadata.annotations")
    source = annotations.get(_CONFIG_SOURCE_ANNOTATION)
    return source is not None and source != "api"


def _matching_restart_rule(container: Manifest, exit_code: int) -> Mapping[str, Any] | None:
    """Mirrors ``pkg/api/v1/pod/util.go FindMatchingContainerRestartRule``."""
    rules = list_at(container, "restartPolicyRules")
    for rule in rules:
        exit_codes = rule.get("exitCodes")
        if exit_codes is None:
            continue
        matched = exit_code in list_at(exit_codes, "values")
        operator = exit_codes.get("operator")
        if (operator == "In" and matched) or (operator == "NotIn" and not matched):
            return dict(rule)
    return None


def container_should_restart(
    container: Manifest,
    pod_spec: Manifest,
    exit_code: int,
    *,
    feature_gates: Mapping[str, bool] | None = None,
) -> bool:
    """Whether a container that exited with ``exit_code`` is restarted.

    Mirrors ``pkg/api/v1/pod/util.go ContainerShouldRestart``: a container-level
    ``restartPolicy`` with its ``restartPolicyRules`` (first matching rule wins: ``Restart``
    restarts; ``RestartAllContainers`` restarts when the RestartAllContainersOnContainerExits gate
    is on; otherwise the container policy decides), else the pod ``restartPolicy`` (unset
    restarts).
    """
    gates = _gates(feature_gates)
    policy = container.get("restartPolicy")
    if policy is not None:
        rule = _matching_restart_rule(container, exit_code)
        if rule is not None:
            action = rule.get("action")
            if action == "Restart":
                return True
            if action == "RestartAllContainers" and gates["RestartAllContainersOnContainerExits"]:
                return True
        if policy == "Always":
            return True
        if policy == "OnFailure":
            return exit_code != 0
        if policy == "Never":
            return False
    pod_policy = pod_spec.get("restartPolicy")
    if pod_policy == "OnFailure":
        return exit_code != 0
    return pod_policy != "Never"


def has_any_regular_container_started(
    pod: Manifest, statuses: Sequence[Mapping[str, Any]] | None
) -> bool:
    """Some regular container's status is running or terminated.

    Mirrors ``pkg/kubelet/container/helpers.go HasAnyRegularContainerStarted``.
    """
    names = {c.get("name") for c in _containers(pod, "containers")}
    for status in statuses or ():
        if status.get("name") in names and _state(status)[0] in {"running", "terminated"}:
            return True
    return False


# ----------------------------------------------------------------------------- getPhase


def pod_phase(
    pod: Manifest,
    *,
    pod_is_terminal: bool = False,
    pod_has_initialized: bool | None = None,
    feature_gates: Mapping[str, bool] | None = None,
) -> PodPhase:
    """The phase the kubelet computes for a pod from its container statuses.

    Mirrors ``pkg/kubelet/kubelet_pods.go getPhase`` (master after v1.35, ``001a80e9``). The
    statuses are ``status.containerStatuses`` followed by ``status.initContainerStatuses``, the
    first status with a container's name being its status.

    Args:
        pod: a Pod manifest with ``spec`` and ``status``.
        pod_is_terminal: the kubelet's ``podIsTerminal`` (the pod worker has finished the pod).
        pod_has_initialized: the kubelet's ``podHasInitialized``
            (``HasAnyActiveRegularContainerStarted``); ``None`` derives it from the statuses as
            "some regular container is running or terminated".
        feature_gates: ``ContainerRestartRules`` and ``RestartAllContainersOnContainerExits``
            (both off by default).

    Returns:
        ``Pending``, ``Running``, ``Succeeded`` or ``Failed`` (the kubelet never computes
        ``Unknown``).
    """
    gates = _gates(feature_gates)
    crr = gates["ContainerRestartRules"]
    rac = gates["RestartAllContainersOnContainerExits"]
    spec = _mapping(pod.get("spec"), "spec")
    regular = _containers(pod, "containers")
    init = _containers(pod, "initContainers")
    info = [
        *(_statuses(pod, "containerStatuses") or []),
        *(_statuses(pod, "initContainerStatuses") or []),
    ]
    if pod_has_initialized is None:
        pod_has_initialized = has_any_regular_container_started(pod, info)

    def restartable(container: Manifest, terminated: Mapping[str, Any]) -> bool:
        if container_should_restart(container, spec, _exit_code(terminated), feature_gates=gates):
            return True
        return rac and terminated.get("reason") == RESTARTING_ALL_CONTAINERS

    pending_init = failed_init = failed_init_not_restartable = 0
    pending_sidecars = 0
    unknown = running = waiting = stopped = succeeded = stopped_not_restartable = 0

    for container in init:
        if is_restartable_init_container(container):
            continue
        status = _find_status(info, container.get("name"))
        if status is None:
            pending_init += 1
            continue
        kind, detail = _state(status)
        last = _last_terminated(status)
        if kind == "running":
            pending_init += 1
        elif kind == "terminated":
            if _exit_code(detail) != 0:
                failed_init += 1
                if crr and not restartable(container, detail):
                    failed_init_not_restartable += 1
        elif kind == "waiting":
            if last is None:
                pending_init += 1
            elif _exit_code(last) != 0:
                failed_init += 1
                if not restartable(container, last):
                    failed_init_not_restartable += 1
        else:
            pending_init += 1

    for container in init:
        if not is_restartable_init_container(container):
            continue
        status = _find_status(info, container.get("name"))
        if status is None:
            unknown += 1
            continue
        kind, _ = _state(status)
        if kind == "running":
            running += 1
            if not _is_true(status.get("started")):
                pending_sidecars += 1
        elif kind == "waiting" and _last_terminated(status) is None:
            waiting += 1
            pending_sidecars += 1
        elif kind is None:
            unknown += 1
            pending_sidecars += 1
        # A terminated sidecar, or a waiting one that ran before, is ignored.

    for container in regular:
        status = _find_status(info, container.get("name"))
        if status is None:
            unknown += 1
            continue
        kind, detail = _state(status)
        last = _last_terminated(status)
        if kind == "running":
            running += 1
        elif kind == "terminated":
            stopped += 1
            if _exit_code(detail) == 0:
                succeeded += 1
            if crr and not restartable(container, detail):
                stopped_not_restartable += 1
        elif kind == "waiting":
            if last is None:
                waiting += 1
            else:
                stopped += 1
                if crr and not restartable(container, last):
                    stopped_not_restartable += 1
        else:
            unknown += 1

    restart_policy = spec.get("restartPolicy")
    if crr:
        if failed_init_not_restartable > 0:
            return "Failed"
    elif failed_init > 0 and restart_policy == "Never":
        return "Failed"
    if pending_init > 0 or (pending_sidecars > 0 and not pod_has_initialized) or waiting > 0:
        return "Pending"
    if running > 0 and unknown == 0:
        return "Running"
    if running == 0 and stopped > 0 and unknown == 0:
        if pod_is_terminal and not is_static_pod(pod):
            return "Succeeded" if stopped == succeeded else "Failed"
        if crr:
            if stopped != stopped_not_restartable:
                return "Running"
            return "Succeeded" if stopped == succeeded else "Failed"
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def api_pod_phase(
    pod: Manifest,
    *,
    old_status: Manifest | None = None,
    pod_is_terminal: bool = False,
    pod_has_initialized: bool | None = None,
    feature_gates: Mapping[str, bool] | None = None,
) -> PodPhase:
    """The phase the kubelet reports, after the terminal-phase guards of ``generateAPIPodStatus``.

    Mirrors the phase steps of ``pkg/kubelet/kubelet_pods.go generateAPIPodStatus``: compute
    :func:`pod_phase`; a non-terminal result gives way to a terminal phase in the status manager's
    cache (``old_status``, which defaults to the pod's own ``status`` as when the cache has no
    entry) or in the API; and an API phase that is terminal is never changed.
    """
    api_status = _mapping(pod.get("status"), "status")
    old = api_status if old_status is None else _mapping(old_status, "oldStatus")
    api_phase = api_status.get("phase")
    phase: str = pod_phase(
        pod,
        pod_is_terminal=pod_is_terminal,
        pod_has_initialized=pod_has_initialized,
        feature_gates=feature_gates,
    )
    if phase not in _TERMINAL:
        if old.get("phase") in _TERMINAL:
            phase = old["phase"]
        elif api_phase in _TERMINAL:
            phase = api_phase
    if api_phase in _TERMINAL and phase != api_phase:
        phase = api_phase  # "illegal phase transition" is refused
    return phase  # type: ignore[return-value]  # every branch yields a PodPhase


# ----------------------------------------------------------------------------- conditions


def _condition(type_: str, status: str, reason: str = "", message: str = "") -> PodCondition:
    return {"type": type_, "status": status, "reason": reason, "message": message}  # type: ignore[typeddict-item]


def _join_lists(parts: Iterable[tuple[str, list[str]]]) -> str:
    return ", ".join(f"{label}: {go_string_list(names)}" for label, names in parts if names)


def _containers_ready(
    pod: Manifest, statuses: Sequence[Mapping[str, Any]] | None, phase: str
) -> PodCondition:
    """Mirrors ``pkg/kubelet/status/generate.go GenerateContainersReadyCondition``."""
    if statuses is None:
        return _condition("ContainersReady", "False", UNKNOWN_CONTAINER_STATUSES)
    unknown: list[str] = []
    unready: list[str] = []
    sidecars = [c for c in _containers(pod, "initContainers") if is_restartable_init_container(c)]
    for container in [*sidecars, *_containers(pod, "containers")]:
        name = str(container.get("name", ""))
        status = _find_status(statuses, container.get("name"))
        if status is None:
            unknown.append(name)
        elif not _is_true(status.get("ready")):
            unready.append(name)
    if phase == "Succeeded" and not unknown:
        return _condition("ContainersReady", "False", POD_COMPLETED)
    if phase == "Failed":
        return _condition("ContainersReady", "False", POD_FAILED)
    message = _join_lists(
        [
            ("containers with unknown status", unknown),
            ("containers with unready status", unready),
        ]
    )
    if message:
        return _condition("ContainersReady", "False", CONTAINERS_NOT_READY, message)
    return _condition("ContainersReady", "True")


def _find_condition(
    conditions: Iterable[Mapping[str, Any]], type_: object
) -> Mapping[str, Any] | None:
    """Mirrors ``podutil.GetPodConditionFromList``: the first condition of that type."""
    for condition in conditions:
        if condition.get("type") == type_:
            return condition
    return None


def _pod_ready(
    pod: Manifest,
    conditions: Sequence[Mapping[str, Any]],
    statuses: Sequence[Mapping[str, Any]] | None,
    phase: str,
) -> PodCondition:
    """Mirrors ``pkg/kubelet/status/generate.go GeneratePodReadyCondition``."""
    containers_ready = _containers_ready(pod, statuses, phase)
    if containers_ready["status"] != "True":
        return _condition(
            "Ready",
            containers_ready["status"],
            containers_ready["reason"],
            containers_ready["message"],
        )
    spec = _mapping(pod.get("spec"), "spec")
    messages: list[str] = []
    for gate in list_at(spec, "readinessGates"):
        gate_type = str(_mapping(gate, "spec.readinessGates[]").get("conditionType", ""))
        found = _find_condition(conditions, gate_type)
        if found is None:
            messages.append(
                f"corresponding condition of pod readiness gate {go_quote(gate_type)} "
                "does not exist."
            )
        elif found.get("status") != "True":
            messages.append(
                f"the status of pod readiness gate {go_quote(gate_type)} is not "
                f'"True", but {found.get("status", "")}'
            )
    if messages:
        return _condition("Ready", "False", READINESS_GATES_NOT_READY, ", ".join(messages))
    return _condition("Ready", "True")


def _initialized(
    pod: Manifest,
    old_conditions: Sequence[Mapping[str, Any]],
    statuses: Sequence[Mapping[str, Any]] | None,
    phase: str,
    *,
    rac: bool,
) -> PodCondition:
    """Mirrors ``pkg/kubelet/status/generate.go GeneratePodInitializedCondition``."""
    init = _containers(pod, "initContainers")
    if statuses is None and init:
        return _condition("Initialized", "False", UNKNOWN_CONTAINER_STATUSES)
    unknown: list[str] = []
    incomplete: list[str] = []
    for container in init:
        name = str(container.get("name", ""))
        status = _find_status(statuses, container.get("name"))
        if status is None:
            unknown.append(name)
        elif is_restartable_init_container(container):
            if not _is_true(status.get("started")):
                incomplete.append(name)
        elif not _is_true(status.get("ready")):
            incomplete.append(name)
    if phase == "Succeeded" and not unknown:
        return _condition("Initialized", "True", POD_COMPLETED)
    if has_any_regular_container_started(pod, statuses):
        return _condition("Initialized", "True")
    message = _join_lists(
        [
            ("containers with unknown status", unknown),
            ("containers with incomplete status", incomplete),
        ]
    )
    if message:
        old = _find_condition(old_conditions, "Initialized")
        if rac and old is not None and old.get("status") == "True":
            return _condition("Initialized", "True")
        return _condition("Initialized", "False", CONTAINERS_NOT_INITIALIZED, message)
    return _condition("Initialized", "True")


def _has_restart_all_rule(pod: Manifest) -> bool:
    containers = [*_containers(pod, "initContainers"), *_containers(pod, "containers")]
    return any(
        rule.get("action") == "RestartAllContainers"
        for container in containers
        for rule in list_at(container, "restartPolicyRules")
    )


def _all_containers_restarting(
    pod: Manifest, statuses: Sequence[Mapping[str, Any]] | None, phase: str
) -> PodCondition:
    """Mirrors ``GenerateAllContainersRestartingCondition`` (alpha, RAC), from API statuses.

    ``ShouldAllContainersRestart`` is read as "some container's current termination matches a
    RestartAllContainers rule"; ``AllContainersRestartCleanedUp`` as "no container is running".
    Both stand in for runtime state the API does not show.
    """
    if phase == "Succeeded":
        return _condition(ALL_CONTAINERS_RESTARTING, "False", POD_COMPLETED)
    if phase == "Failed":
        return _condition(ALL_CONTAINERS_RESTARTING, "False", POD_FAILED)
    containers = [*_containers(pod, "initContainers"), *_containers(pod, "containers")]
    should_restart = False
    for container in containers:
        status = _find_status(statuses, container.get("name"))
        if status is None:
            continue
        kind, detail = _state(status)
        if kind == "terminated" and container.get("restartPolicy") is not None:
            rule = _matching_restart_rule(container, _exit_code(detail))
            should_restart = should_restart or (
                rule is not None and rule.get("action") == "RestartAllContainers"
            )
    if not should_restart:
        return _condition(ALL_CONTAINERS_RESTARTING, "False")
    if not any(_state(s)[0] == "running" for s in statuses or ()):
        return _condition(ALL_CONTAINERS_RESTARTING, "False")
    return _condition(
        ALL_CONTAINERS_RESTARTING,
        "True",
        RESTART_ALL_CONTAINERS_STARTED,
        "container exited with restart policy rule",
    )


def _ready_to_start_containers(pod: Manifest) -> PodCondition:
    """Mirrors ``GeneratePodReadyToStartContainersCondition`` from what the API shows.

    The kubelet asks ``PodSandboxChanged`` whether a new sandbox is needed; without runtime state
    the model reads the API: a pod network sandbox is ready when the pod has an IP, a host-network
    one when the pod has a host IP. The False reason strings are not confirmed upstream (U2), so
    the condition carries none.
    """
    spec = _mapping(pod.get("spec"), "spec")
    status = _mapping(pod.get("status"), "status")
    ready = bool(status.get("hostIP")) if spec.get("hostNetwork") else bool(status.get("podIP"))
    return _condition("PodReadyToStartContainers", "True" if ready else "False")


def pod_conditions(
    pod: Manifest,
    *,
    phase: str | None = None,
    feature_gates: Mapping[str, bool] | None = None,
) -> list[PodCondition]:
    """The kubelet-owned conditions of a pod, in the order the kubelet appends them.

    Mirrors the condition part of ``pkg/kubelet/kubelet_pods.go generateAPIPodStatus`` and the
    generators of ``pkg/kubelet/status/generate.go``: ``PodReadyToStartContainers`` (only with
    the ``PodReadyToStartContainersCondition`` gate), ``Initialized``, ``Ready``,
    ``ContainersReady``, ``PodScheduled`` (always ``True`` from the kubelet), and
    ``AllContainersRestarting`` (only with ``RestartAllContainersOnContainerExits`` and a
    container that has a RestartAllContainers rule). The statuses are
    ``initContainerStatuses`` followed by ``containerStatuses``; readiness gates are read from the
    pod's other (not kubelet-owned) conditions.

    Args:
        pod: a Pod manifest with ``spec`` and ``status``.
        phase: the pod's phase; ``None`` computes it with :func:`api_pod_phase`.
        feature_gates: see :data:`FEATURE_GATES`.

    Returns:
        Conditions as ``{type, status, reason, message}`` (empty strings where upstream leaves
        the field empty).
    """
    gates = _gates(feature_gates)
    if phase is None:
        phase = api_pod_phase(pod, feature_gates=gates)
    status = _mapping(pod.get("status"), "status")
    old_conditions = [
        _mapping(c, f"status.conditions[{i}]") for i, c in enumerate(list_at(status, "conditions"))
    ]
    owned = KUBELET_OWNED_CONDITIONS | (
        {"PodReadyToStartContainers"} if gates["PodReadyToStartContainersCondition"] else set()
    )
    # Conditions the kubelet does not own are kept; readiness gates are looked up among them.
    seen: list[Mapping[str, Any]] = [c for c in old_conditions if c.get("type") not in owned]
    result: list[PodCondition] = []
    if gates["PodReadyToStartContainersCondition"]:
        result.append(_ready_to_start_containers(pod))
    statuses = _all_statuses(pod)
    rac = gates["RestartAllContainersOnContainerExits"]
    result.append(_initialized(pod, old_conditions, statuses, phase, rac=rac))
    result.append(_pod_ready(pod, [*seen, *result], statuses, phase))
    result.append(_containers_ready(pod, statuses, phase))
    result.append(_condition("PodScheduled", "True"))
    if rac and _has_restart_all_rule(pod):
        result.append(_all_containers_restarting(pod, statuses, phase))
    return result


# ----------------------------------------------------------------------------- status manager


def merge_pod_status(
    old_status: Manifest,
    new_status: Manifest,
    *,
    could_have_running_containers: bool,
    feature_gates: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """Merge the kubelet's new status into the API status.

    Mirrors ``pkg/kubelet/status/status_manager.go mergePodStatus``: conditions the kubelet does
    not own are kept from ``old_status``; ``DisruptionTarget`` is taken from the new status only
    when the phase turns terminal and no container can still run; a terminal transition is held
    back (old phase, reason and message kept) while containers could still run; a terminal result
    has ``Ready`` and ``ContainersReady`` forced to False with reason PodFailed or PodCompleted.
    """
    gates = _gates(feature_gates)
    owned = KUBELET_OWNED_CONDITIONS | (
        {"PodReadyToStartContainers"} if gates["PodReadyToStartContainersCondition"] else set()
    )
    transitioning = (
        old_status.get("phase") not in _TERMINAL and new_status.get("phase") in _TERMINAL
    )
    conditions = [dict(c) for c in list_at(old_status, "conditions") if c.get("type") not in owned]
    for condition in list_at(new_status, "conditions"):
        kind = condition.get("type")
        if kind in owned:
            conditions.append(dict(condition))
        elif kind == "DisruptionTarget" and transitioning and not could_have_running_containers:
            _replace_or_append(conditions, dict(condition))
    merged = dict(new_status)
    merged["conditions"] = conditions
    merged.pop("resourceClaimStatuses", None)
    if old_status.get("resourceClaimStatuses") is not None:
        merged["resourceClaimStatuses"] = old_status["resourceClaimStatuses"]
    if transitioning and could_have_running_containers:
        for key in ("phase", "reason", "message"):
            merged.pop(key, None)
            if old_status.get(key) is not None:
                merged[key] = old_status[key]
    phase = merged.get("phase")
    if phase in _TERMINAL and any(
        c.get("type") in {"Ready", "ContainersReady"} and c.get("status") == "True"
        for c in conditions
    ):
        reason = POD_FAILED if phase == "Failed" else POD_COMPLETED
        _replace_or_append(conditions, dict(_condition("ContainersReady", "False", reason)))
        _replace_or_append(conditions, dict(_condition("Ready", "False", reason)))
    return merged


def update_pod_condition(
    conditions: Iterable[Mapping[str, Any]], condition: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The conditions with ``condition`` set.

    Mirrors ``podutil.UpdatePodCondition``: a condition of a new type is appended; one of a
    type the pod has replaces it in place, keeping its ``lastTransitionTime`` when the status
    is unchanged. (Upstream also returns whether anything changed; no caller here needs it.)
    """
    updated = [dict(c) for c in conditions]
    new = dict(condition)
    for index, old in enumerate(updated):
        if old.get("type") == new.get("type"):
            if new.get("status") == old.get("status"):
                new["lastTransitionTime"] = old.get("lastTransitionTime")
            updated[index] = new
            return updated
    updated.append(new)
    return updated


def _replace_or_append(conditions: list[dict[str, Any]], condition: dict[str, Any]) -> None:
    """Mirrors ``ReplaceOrAppendPodCondition``: replace the one of the same type, or append."""
    for i, existing in enumerate(conditions):
        if existing.get("type") == condition.get("type"):
            conditions[i] = condition
            return
    conditions.append(condition)


def container_state_transition_allowed(
    pod_spec: Manifest,
    container: Manifest,
    old_status: Manifest,
    new_status: Manifest,
    *,
    is_init_container: bool = False,
    feature_gates: Mapping[str, bool] | None = None,
) -> bool:
    """Whether the status manager accepts a container's new state.

    Mirrors ``pkg/kubelet/status/status_manager.go checkContainerStateTransition`` (classic form,
    U9): unless the pod's restartPolicy is Always, a container that terminated may not become
    non-terminated, except under OnFailure after a non-zero exit, for sidecars, and (with
    ContainerRestartRules) when ``ContainerShouldRestart`` says the container restarts.
    """
    gates = _gates(feature_gates)
    if pod_spec.get("restartPolicy") == "Always":
        return True
    if is_init_container and is_restartable_init_container(container):
        return True
    old_kind, old_detail = _state(old_status)
    if old_kind != "terminated":
        return True
    new_kind, _ = _state(new_status)
    if new_kind == "terminated":
        return True
    exit_code = _exit_code(old_detail)
    if exit_code != 0 and pod_spec.get("restartPolicy") == "OnFailure":
        return True
    return gates["ContainerRestartRules"] and container_should_restart(
        container, pod_spec, exit_code, feature_gates=gates
    )
