"""Container restarts as the kubelet runs them: crash-loop back-off and API container statuses.

Mirrors ``pkg/kubelet/kuberuntime/kuberuntime_manager.go doBackOff``, client-go
``util/flowcontrol/backoff.go`` (``Backoff.Next``, ``IsInBackOffSince``) with the kubelet's
``HasExpiredFunc``, ``pkg/kubelet/kubelet.go`` (back-off constants and gates),
``pkg/kubelet/container/helpers.go ShouldContainerBeRestarted`` and
``pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses`` (master after v1.35).
``k8s-semantics.md`` sections 1.5 and 3 hold the rules.

Times are logical seconds (``int`` or :class:`~fractions.Fraction`): the model has no wall clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final, Literal, TypedDict

from kmodel.errors import InputError
from kmodel.internal.gofmt import go_duration
from kmodel.objects.fields import mapping_at, read_path
from kmodel.objects.types import Manifest
from kmodel.semantics.pods import container_should_restart, is_restartable_init_container

__all__ = [
    "BACKOFF_RESET_SECONDS",
    "CRASH_LOOP_BACK_OFF",
    "BackOffDecision",
    "BackOffEntry",
    "BackOffPolicy",
    "RuntimeContainer",
    "backoff_key",
    "container_hash",
    "convert_container_statuses",
    "restart_backoff",
    "should_container_be_restarted",
]

Seconds = int | Fraction

#: ``waiting.reason`` of a container held back by the crash-loop back-off.
CRASH_LOOP_BACK_OFF: Final = "CrashLoopBackOff"
#: The kubelet's ``HasExpiredFunc``: an entry older than this (strictly) starts over.
BACKOFF_RESET_SECONDS: Final = 600
_CONTAINER_CREATING: Final = "ContainerCreating"
_POD_INITIALIZING: Final = "PodInitializing"
_STATUS_UNKNOWN: Final = "ContainerStatusUnknown"


@dataclass(frozen=True)
class BackOffPolicy:
    """The crash-loop back-off bounds, from ``pkg/kubelet/kubelet.go``.

    The default is 10 s doubling to 300 s. :meth:`from_config` applies the feature gates
    ``ReduceDefaultCrashLoopBackOffDecay`` (1 s to 60 s) and ``KubeletCrashLoopBackOffMax``
    (``crashLoopBackOff.maxContainerRestartPeriod``, 1 s to 300 s; a maximum below the initial
    delay lowers the initial delay to it).
    """

    initial: Seconds = 10
    maximum: Seconds = 300

    @classmethod
    def from_config(
        cls,
        *,
        reduce_default_decay: bool = False,
        max_container_restart_period: Seconds | None = None,
    ) -> BackOffPolicy:
        """Build the policy the kubelet would use for these settings."""
        initial: Seconds = 1 if reduce_default_decay else 10
        maximum: Seconds = 60 if reduce_default_decay else 300
        if max_container_restart_period is not None:
            if not 1 <= max_container_restart_period <= 300:
                raise InputError(
                    "must be between 1s and 300s",
                    path="crashLoopBackOff.maxContainerRestartPeriod",
                )
            maximum = max_container_restart_period
            initial = min(initial, maximum)
        return cls(initial=initial, maximum=maximum)


@dataclass(frozen=True)
class BackOffEntry:
    """One ``flowcontrol.backoffEntry``: the current delay and when it was last updated."""

    backoff: Seconds
    last_update: Seconds


@dataclass(frozen=True)
class BackOffDecision:
    """What ``doBackOff`` decides for a container that is due to (re)start.

    Attributes:
        start: the container is started now.
        entry: the back-off entry after the decision (``None`` when no entry exists).
        reason: ``CrashLoopBackOff`` while held back, else empty.
        message: the waiting message while held back, else empty.
    """

    start: bool
    entry: BackOffEntry | None
    reason: str = ""
    message: str = ""


def _expired(event_time: Seconds, entry: BackOffEntry) -> bool:
    """The kubelet's ``HasExpiredFunc``: strictly more than 600 s since the last update."""
    return event_time - entry.last_update > BACKOFF_RESET_SECONDS


def container_hash(container: Manifest) -> str:
    """A stable hash of the container fields the kubelet keys back-off on.

    ``kubecontainer.HashContainer`` hashes the fields ``pickFieldsToHash`` picks (name and image)
    with FNV-32a; kmodel hashes the same fields the same way over their JSON, so a changed image
    gets a fresh back-off. The value is not bit-identical to the kubelet's.
    """
    data = json.dumps(
        {"image": container.get("image", ""), "name": container.get("name", "")},
        sort_keys=True,
    ).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return format(value, "x")


def backoff_key(pod: Manifest, container: Manifest) -> str:
    """Mirrors ``kuberuntime getStableKey``: ``name_namespace_uid_container_hash``."""
    metadata = mapping_at(pod, "metadata")
    return "_".join(
        [
            str(metadata.get("name", "")),
            str(metadata.get("namespace", "")),
            str(metadata.get("uid", "")),
            str(container.get("name", "")),
            container_hash(container),
        ]
    )


def restart_backoff(
    entry: BackOffEntry | None,
    *,
    finished_at: Seconds | None,
    now: Seconds,
    policy: BackOffPolicy | None = None,
    container_name: str = "",
    pod_label: str = "",
) -> BackOffDecision:
    """Decide whether a container that is due to (re)start is held back by the back-off.

    Mirrors ``kuberuntime_manager.go doBackOff`` with ``flowcontrol.Backoff``:

    1. no exited run of the container (``finished_at`` is None): start, no back-off;
    2. held back iff an entry exists, has not expired, and ``now - finished_at < backoff``;
    3. otherwise ``Next``: a missing or expired entry starts at the initial delay, else the
       delay doubles up to the maximum; ``last_update = now``; the container starts.

    Args:
        entry: the container's back-off entry (key it with :func:`backoff_key`).
        finished_at: when the container's most recent exited run finished.
        now: the logical time of the decision.
        policy: back-off bounds; the kubelet default when None.
        container_name: for the waiting message.
        pod_label: for the waiting message, as ``format.Pod`` prints it (``name_namespace(uid)``).
    """
    policy = policy or BackOffPolicy()
    if finished_at is None:
        return BackOffDecision(start=True, entry=entry)
    if entry is not None and not _expired(finished_at, entry) and now - finished_at < entry.backoff:
        message = (
            f"back-off {go_duration(entry.backoff)} restarting failed "
            f"container={container_name} pod={pod_label}"
        )
        return BackOffDecision(
            start=False, entry=entry, reason=CRASH_LOOP_BACK_OFF, message=message
        )
    if entry is None or _expired(finished_at, entry):
        backoff: Seconds = policy.initial
    else:
        backoff = min(entry.backoff * 2, policy.maximum)
    return BackOffDecision(start=True, entry=BackOffEntry(backoff=backoff, last_update=now))


# ----------------------------------------------------------------------------- runtime -> API


class RuntimeContainer(TypedDict, total=False):
    """One container record as the runtime reports it (``kubecontainer.Status``).

    ``state`` is ``running``, ``created``, ``exited`` or ``unknown``; times are logical seconds.
    """

    name: str
    state: Literal["running", "created", "exited", "unknown"]
    exitCode: int
    reason: str
    message: str
    startedAt: Seconds
    finishedAt: Seconds
    restartCount: int
    image: str
    #: ``LivenessProbe`` or ``StartupProbe`` when the kubelet killed this run after a failed
    #: probe (``containerKillReason``); the runtime itself reports only the exit.
    killedFor: str


def should_container_be_restarted(
    container: Manifest,
    pod: Manifest,
    latest: RuntimeContainer | None,
    *,
    feature_gates: Mapping[str, bool] | None = None,
) -> bool:
    """Whether the kubelet (re)starts this container on the next sync.

    Mirrors ``pkg/kubelet/container/helpers.go ShouldContainerBeRestarted``: never for a pod
    being deleted; always when it never ran, or its latest record is created or unknown; never
    while running; otherwise by restart policy (``ContainerShouldRestart`` with
    ContainerRestartRules and for sidecars, the pod policy classically).
    """
    metadata = mapping_at(pod, "metadata")
    spec = mapping_at(pod, "spec")
    if metadata.get("deletionTimestamp") is not None:
        return False
    if latest is None:
        return True
    state = latest.get("state")
    if state == "running":
        return False
    if state in {"unknown", "created"}:
        return True
    exit_code = latest.get("exitCode", 0)
    gates = dict(feature_gates or {})
    if gates.get("ContainerRestartRules") or is_restartable_init_container(container):
        return container_should_restart(container, spec, exit_code, feature_gates=gates)
    policy = spec.get("restartPolicy")
    if policy == "Never":
        return False
    return not (policy == "OnFailure" and exit_code == 0)


def _api_state(
    record: RuntimeContainer, old: Mapping[str, Any] | None
) -> tuple[dict[str, Any], int | None]:
    """``convertContainerStatus``: a record's API state, and a restart-count override."""
    state = record.get("state")
    if state == "running":
        return {"running": {"startedAt": record.get("startedAt", 0)}}, None
    if state == "created":
        return {"waiting": {}}, None
    if state == "exited":
        terminated: dict[str, Any] = {"exitCode": record.get("exitCode", 0)}
        for key in ("reason", "message", "startedAt", "finishedAt"):
            if record.get(key) not in (None, ""):
                terminated[key] = record.get(key)
        return {"terminated": terminated}, None
    old_state = (old or {}).get("state") or {}
    if state == "unknown" and old is not None and old_state.get("running") is not None:
        unknown = {
            "exitCode": 137,
            "reason": _STATUS_UNKNOWN,
            "message": "The container could not be located when the pod was terminated",
        }
        return {"terminated": unknown}, int(old.get("restartCount", 0)) + 1
    return {"waiting": {}}, None


def convert_container_statuses(
    pod: Manifest,
    containers: Sequence[Manifest],
    runtime: Sequence[RuntimeContainer],
    old_statuses: Sequence[Mapping[str, Any]] | None,
    *,
    is_init: bool = False,
    start_failures: Mapping[str, tuple[str, str]] | None = None,
    regular_containers_created: bool = False,
    feature_gates: Mapping[str, bool] | None = None,
) -> list[dict[str, Any]] | None:
    """Build API container statuses from runtime records, as the kubelet does.

    Mirrors ``pkg/kubelet/kubelet_pods.go convertToAPIContainerStatuses`` (section 1.5):

    * a container with no runtime record is ``waiting{ContainerCreating}``, or
      ``waiting{PodInitializing}`` when the pod has init containers; an old terminated status is
      kept as it is; otherwise the old restart count and last state carry over;
    * a container that was running and vanished stays waiting with
      ``lastState.terminated{ContainerStatusUnknown, 137}`` and one more restart, unless the pod
      is being deleted;
    * the newest runtime record becomes ``state``, the second newest ``lastState``;
    * a container due to restart that has a cached start failure (``start_failures[name] =
      (reason, message)``, e.g. ``CrashLoopBackOff``) shows ``waiting{reason, message}``, its
      terminated state moving to ``lastState``;
    * a regular init container still waiting with no runtime record, in a pod whose regular
      containers were already created, shows ``terminated{Completed, 0}``.

    Args:
        pod: the Pod manifest (``spec``, ``metadata.deletionTimestamp``).
        containers: the spec containers this list is for (``initContainers`` or ``containers``).
        runtime: runtime records, newest first (several per container after restarts).
        old_statuses: the previous API statuses of these containers, or None.
        is_init: the list is for init containers (spec order kept; regular statuses sort by name).
        start_failures: the kubelet's reason cache, by container name.
        regular_containers_created: the pod's regular containers already have runtime records.
        feature_gates: passed to :func:`should_container_be_restarted`.

    Returns:
        The statuses, or None (Go nil) when there are no containers.
    """
    spec = mapping_at(pod, "spec")
    metadata = mapping_at(pod, "metadata")
    has_init = bool(spec.get("initContainers"))
    default_reason = _POD_INITIALIZING if has_init else _CONTAINER_CREATING
    old_by_name = {str(s.get("name")): s for s in old_statuses or ()}
    statuses: dict[str, dict[str, Any]] = {}
    for container in containers:
        name = str(container.get("name", ""))
        status: dict[str, Any] = {
            "name": name,
            "image": container.get("image", ""),
            "state": {"waiting": {"reason": default_reason}},
            "ready": False,
            "restartCount": 0,
        }
        old = old_by_name.get(name)
        if old is not None:
            if read_path(old, "state.terminated") is not None:
                status = dict(old)
            else:
                status["restartCount"] = old.get("restartCount", 0)
                if old.get("lastState"):
                    status["lastState"] = old["lastState"]
        statuses[name] = status

    names_with_records = {r.get("name") for r in runtime}
    for name, status in statuses.items():
        old = old_by_name.get(name)
        if name in names_with_records or old is None:
            continue
        old_state = mapping_at(old, "state")
        if old_state.get("terminated") is not None or old_state.get("running") is None:
            continue
        waiting = read_path(status, "state.waiting")
        if waiting is None or waiting.get("reason") != default_reason:
            continue
        if (read_path(status, "lastState.terminated")) is not None:
            continue
        status["lastState"] = {
            "terminated": {
                "exitCode": 137,
                "reason": _STATUS_UNKNOWN,
                "message": "The container could not be located when the pod was deleted.  "
                "The container used to be Running",
            }
        }
        if metadata.get("deletionTimestamp") is None:
            status["restartCount"] = int(status.get("restartCount", 0)) + 1

    seen: dict[str, int] = {}
    for record in runtime:
        name = str(record.get("name", ""))
        if name not in statuses or seen.get(name, 0) >= 2:
            continue
        state, restart_override = _api_state(record, old_by_name.get(name))
        if seen.get(name, 0) == 0:
            restart_count = record.get("restartCount", 0)
            converted: dict[str, Any] = {
                "name": name,
                "image": record.get("image", statuses[name].get("image", "")),
                "state": state,
                "ready": False,
                "restartCount": restart_count if restart_override is None else restart_override,
            }
            statuses[name] = converted
        else:
            statuses[name]["lastState"] = state
        seen[name] = seen.get(name, 0) + 1

    latest: dict[str, RuntimeContainer] = {}
    for record in runtime:
        latest.setdefault(str(record.get("name", "")), record)
    for container in containers:
        name = str(container.get("name", ""))
        newest = latest.get(name)
        if (
            is_init
            and newest is not None
            and newest.get("state") == "exited"
            and newest.get("exitCode", 0) == 0
        ):
            continue
        if not should_container_be_restarted(container, pod, newest, feature_gates=feature_gates):
            continue
        failure = (start_failures or {}).get(name)
        if failure is None:
            continue
        status = statuses[name]
        if read_path(status, "state.terminated") is not None:
            status["lastState"] = status["state"]
        status["state"] = {"waiting": {"reason": failure[0], "message": failure[1]}}

    if is_init and regular_containers_created:
        for container in containers:
            name = str(container.get("name", ""))
            status = statuses[name]
            if (
                not is_restartable_init_container(container)
                and name not in names_with_records
                and read_path(status, "state.waiting") is not None
            ):
                status["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}

    if not statuses:
        return None
    if is_init:
        return [statuses[str(c.get("name", ""))] for c in containers]
    return [statuses[name] for name in sorted(statuses)]
