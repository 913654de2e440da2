"""The kubelet: runs the pods bound to its node and reports their status.

One :class:`KubeletSyncPod` is one pod-worker sync (``pkg/kubelet/kubelet.go SyncPod`` and
``kuberuntime_manager.go SyncPod``): observe container exits (PLEG) and kill containers whose
liveness or startup probe failed (:mod:`kmodel.semantics.probes`), start the next init
container or (re)start regular containers under the restart policy and the crash-loop back-off,
probe readiness, then compute the API status with :mod:`kmodel.semantics` (``getPhase``, the
condition generators, ``mergePodStatus``) and write it. A pod being deleted has its containers
stopped, reaches a terminal phase, and is removed (``podIsTerminal``). :class:`KubeletHeartbeat`
renews the node's Ready condition. Static pods run from the kubelet's own manifests, with a
mirror pod in the API that the kubelet recreates if it is deleted.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from kmodel.cluster.actions import Action, register
from kmodel.cluster.informer import Informer, kubelet_informer
from kmodel.cluster.model import UNREAD_CLOCK, ClockRead, Cluster, Machine, Program
from kmodel.cluster.store import key_of
from kmodel.objects.types import Manifest
from kmodel.semantics.containers import (
    BackOffEntry,
    RuntimeContainer,
    backoff_key,
    convert_container_statuses,
    restart_backoff,
    should_container_be_restarted,
)
from kmodel.semantics.pods import (
    api_pod_phase,
    is_restartable_init_container,
    merge_pod_status,
    pod_conditions,
)
from kmodel.semantics.probes import (
    ProbeAnswers,
    ProbeType,
    kill_grace_seconds,
    probe_results,
    probe_timings,
    readiness_result,
)
from kmodel.semantics.scheduling import kubelet_admission_failure

__all__ = [
    "KubeletCleanupPods",
    "KubeletHeartbeat",
    "KubeletRestart",
    "KubeletSyncPod",
    "PodRuntime",
    "SyncStaticPods",
    "exit_running",
    "kubelet_actions",
    "kubelet_view",
    "post_due_heartbeats",
    "runtime_key",
]

#: Exit code of a container stopped by the kubelet (SIGTERM: 128 + 15).
_TERMINATED_BY_KUBELET = 143
#: Exit code of a container killed at the end of its grace period (SIGKILL: 128 + 9).
_KILLED_BY_KUBELET = 137
#: ``containerKillReason`` of a probe kill, by probe (``kuberuntime_container.go``).
_KILL_REASONS: Final = {"livenessProbe": "LivenessProbe", "startupProbe": "StartupProbe"}
_MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
_SOURCE_ANNOTATION = "kubernetes.io/config.source"


@dataclass
class PodRuntime:
    """What the container runtime and the pod worker hold for one pod."""

    uid: str
    name: str
    namespace: str
    ip: str
    records: dict[str, list[RuntimeContainer]] = field(default_factory=dict)
    backoff: dict[str, BackOffEntry] = field(default_factory=dict)
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
    terminal: bool = False
    static: bool = False
    #: Volume contents as mounted: "ConfigMap/name" -> resourceVersion seen.
    mounted: dict[str, str] = field(default_factory=dict)
    #: What each container read when it started (environment and subPath mounts):
    #: container -> "ConfigMap/name" -> resourceVersion. Never refreshed while it runs.
    started_with: dict[str, dict[str, str]] = field(default_factory=dict)
    #: When the pod's probe workers started (``prober_manager.AddPod``): their tickers' phase.
    probe_origin: int = 0
    #: Admission rejected the pod: the reason and message its Failed status carries.
    rejected: tuple[str, str] | None = None
    #: The pod's sandbox runs. False for a pod whose containers the runtime kept across a
    #: reboot: its sandbox died with the machine (``PodSandboxChanged``), see
    #: :func:`_recreate_sandbox`.
    sandbox_ready: bool = True

    def latest(self, name: str) -> RuntimeContainer | None:
        """The newest runtime record of a container."""
        records = self.records.get(name)
        return records[0] if records else None

    def running(self) -> list[str]:
        """Names of containers running now."""
        return [n for n, r in self.records.items() if r and r[0].get("state") == "running"]

    def copy(self) -> PodRuntime:
        """An independent copy, as ``copy.deepcopy`` gives, at a fraction of its cost.

        Records hold scalars only and back-off entries are frozen, so copying the containers
        (dicts, lists and each record) leaves nothing shared that a sync could change. Fields
        not listed in ``_COPIED_SHALLOW`` (added later, say) are deep-copied, to stay exact.
        """
        clone = copy.copy(self)
        clone.records = {name: [r.copy() for r in rs] for name, rs in self.records.items()}
        clone.backoff = dict(self.backoff)
        clone.reasons = dict(self.reasons)
        clone.mounted = dict(self.mounted)
        for spec in dataclasses.fields(self):
            if spec.name not in _COPIED_SHALLOW:
                setattr(clone, spec.name, copy.deepcopy(getattr(self, spec.name)))
        return clone


#: PodRuntime fields that :meth:`PodRuntime.copy` copies by hand: immutable values, and
#: containers of immutable values (records are flat dicts of scalars).
_COPIED_SHALLOW: Final = frozenset(
    {
        "uid",
        "name",
        "namespace",
        "ip",
        "terminal",
        "static",
        "records",
        "backoff",
        "reasons",
        "mounted",
        "probe_origin",
        "rejected",
        "sandbox_ready",
    }
)


def _pod_label(pod: Manifest) -> str:
    metadata = pod.get("metadata") or {}
    return f"{metadata.get('name')}_{metadata.get('namespace')}({metadata.get('uid', '')})"


def _containers_by_name(pod: Manifest) -> dict[str, Manifest]:
    spec = pod.get("spec") or {}
    return {
        str(c.get("name")): c
        for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    }


def _answers(program: Program, probe: str) -> ProbeAnswers:
    """What a run of ``program`` answers to the probe in field ``probe`` of its container.

    A program answers no probe before ``starts_after`` (it is still starting up); its liveness
    probe stops passing at ``liveness_fails_after``, its readiness probe passes from
    ``ready_after`` until ``unready_after``.
    """
    starts = program.starts_after
    if probe == "livenessProbe":
        passes_from = starts
        fails_from = program.liveness_fails_after
    elif probe == "startupProbe":
        passes_from, fails_from = starts, None
    else:
        ready = program.ready_after
        passes_from = None if ready is None or starts is None else max(ready, starts)
        fails_from = program.unready_after
    return ProbeAnswers(
        passes_from=passes_from, fails_from=fails_from, latency=program.probe_seconds
    )


def _started_since(
    cluster: Cluster, runtime: PodRuntime, container: Manifest, record: RuntimeContainer
) -> int | None:
    """When a running container counts as started (``isContainerStarted``); None: not yet.

    Without a startup probe, from its start; with one, from its startup probe's first success.
    """
    started_at = int(record.get("startedAt", 0))
    probe = container.get("startupProbe")
    if not probe:
        return started_at
    program = cluster.config.program(container.get("image", ""))
    changes = probe_results(
        "startup",
        probe_timings(probe),
        _answers(program, "startupProbe"),
        origin=runtime.probe_origin,
        started_at=started_at,
    )
    return next((c.at for c in changes if c.result == "Success"), None)


def _probe_failure(
    cluster: Cluster, runtime: PodRuntime, container: Manifest, record: RuntimeContainer
) -> tuple[int, str] | None:
    """When the run's liveness (else startup) probe first fails, and which; None: never.

    ``computePodActions`` kills a running container whose liveness (else startup) result is
    Failure (see :func:`_probe_kill`).
    """
    if not container.get("livenessProbe") and not container.get("startupProbe"):
        return None
    program = cluster.config.program(container.get("image", ""))
    started_at = int(record.get("startedAt", 0))
    failures: list[tuple[int, str]] = []
    started = _started_since(cluster, runtime, container, record)
    kinds: tuple[tuple[str, ProbeType], ...] = (
        ("livenessProbe", "liveness"),
        ("startupProbe", "startup"),
    )
    for probe_field, probe_type in kinds:
        probe = container.get(probe_field)
        if not probe:
            continue
        changes = probe_results(
            probe_type,
            probe_timings(probe),
            _answers(program, probe_field),
            origin=runtime.probe_origin,
            started_at=started_at,
            probing_from=started,
        )
        failures.extend((c.at, probe_field) for c in changes if c.result == "Failure")
    return min(failures) if failures else None


def _probe_kill(
    cluster: Cluster,
    runtime: PodRuntime,
    pod: Manifest,
    container: Manifest,
    record: RuntimeContainer,
) -> RuntimeContainer | None:
    """The exited record of a run the kubelet kills after a failed liveness or startup probe.

    ``computePodActions`` kills a running container whose liveness (else startup) result is
    Failure; the kill sends SIGTERM and waits the grace period (``setTerminationGracePeriod``)
    before SIGKILL. The program exits ``stops_after`` seconds after SIGTERM (143), or at the
    end of the grace period if it ignores SIGTERM or is slower (137). None: no such kill.
    """
    failure = _probe_failure(cluster, runtime, container, record)
    if failure is None:
        return None
    failed_at, probe_field = failure
    program = cluster.config.program(container.get("image", ""))
    grace = kill_grace_seconds(pod, container.get(probe_field))
    stops = program.stops_after
    graceful = stops is not None and stops < grace
    return {
        **record,
        "state": "exited",
        "exitCode": _TERMINATED_BY_KUBELET if graceful else _KILLED_BY_KUBELET,
        "reason": "Error",
        "finishedAt": failed_at + (stops if graceful and stops is not None else grace),
        "killedFor": _KILL_REASONS[probe_field],
    }


def _observe_exits(cluster: Cluster, runtime: PodRuntime, pod: Manifest) -> None:
    """PLEG: containers whose program ended, or that a failed probe killed, by now are exited."""
    containers = _containers_by_name(pod)
    deleting = (pod.get("metadata") or {}).get("deletionTimestamp") is not None
    for name, records in runtime.records.items():
        latest = records[0]
        if latest.get("state") != "running":
            continue
        container = containers.get(name) or {}
        program = cluster.config.program(container.get("image", ""))
        run = int(latest.get("restartCount", 0))
        run_for = program.run_for_of_run(run)
        exited: RuntimeContainer | None = None
        if run_for is not None:
            exit_code = program.exit_code_of_run(run)
            exited = {
                **latest,
                "state": "exited",
                "exitCode": exit_code,
                "reason": "Completed" if exit_code == 0 else "Error",
                "finishedAt": int(latest.get("startedAt", 0)) + run_for,
            }
        # A pod being deleted has its probes report Success (``doProbe``): no probe kills.
        killed = None if deleting else _probe_kill(cluster, runtime, pod, container, latest)
        if killed is not None and (exited is None or killed["finishedAt"] < exited["finishedAt"]):
            exited = killed
        if exited is not None and exited["finishedAt"] <= cluster.now:
            records[0] = exited


def _kill_all(cluster: Cluster, runtime: PodRuntime) -> None:
    exit_running(runtime.records, exit_code=_TERMINATED_BY_KUBELET, reason="Error", now=cluster.now)


def exit_running(
    records: Mapping[str, list[RuntimeContainer]], *, exit_code: int, reason: str, now: int
) -> None:
    """Each container whose newest record runs: exited now, with ``exit_code`` and ``reason``."""
    for history in records.values():
        if history and history[0].get("state") == "running":
            history[0] = {
                **history[0],
                "state": "exited",
                "exitCode": exit_code,
                "reason": reason,
                "finishedAt": now,
            }


def _start(
    cluster: Cluster, runtime: PodRuntime, pod: Manifest, container: Manifest, *, restart: bool
) -> bool:
    """Start a container unless the back-off holds it; returns whether it started."""
    name = str(container.get("name"))
    records = runtime.records.setdefault(name, [])
    latest = records[0] if records else None
    key = backoff_key(pod, container)
    if restart and latest is not None and latest.get("state") == "exited":
        # After a probe kill, ``SyncPod`` starts the container again in the same sync, and
        # ``doBackOff`` judges by the runtime status read before the kill: the run before.
        judged: RuntimeContainer | None = latest
        if latest.get("killedFor"):
            previous = records[1] if len(records) > 1 else None
            judged = (
                previous if previous is not None and previous.get("state") == "exited" else None
            )
        decision = restart_backoff(
            runtime.backoff.get(key),
            finished_at=None if judged is None else judged.get("finishedAt", cluster.now),
            now=cluster.now,
            policy=cluster.config.crash_loop_backoff,
            container_name=name,
            pod_label=_pod_label(pod),
        )
        if decision.entry is not None:
            runtime.backoff[key] = decision.entry
        if not decision.start:
            runtime.reasons[name] = (decision.reason, decision.message)
            return False
    runtime.reasons.pop(name, None)
    records.insert(
        0,
        {
            "name": name,
            "state": "running",
            "startedAt": cluster.now,
            # ``startContainer``: the newest record's count + 1. Without a record (never ran,
            # or an init container purged with its logs when the sandbox was recreated)
            # ``calcRestartCountByLogDir`` finds no log file left: 0.
            "restartCount": int(latest.get("restartCount", 0)) + 1 if latest is not None else 0,
            "image": container.get("image", ""),
        },
    )
    del records[2:]  # the runtime keeps the newest two; the count lives on the record
    # Environment and subPath mounts are read once, when the container starts.
    started_with: dict[str, str] = {}
    for ref in sorted(_config_refs(pod, container)):
        kind, _, ref_name = ref.partition("/")
        obj = cluster.store.get((kind, runtime.namespace, ref_name))
        if obj is not None:
            started_with[ref] = obj["metadata"]["resourceVersion"]
    runtime.started_with[name] = started_with
    return True


def _recreate_sandbox(cluster: Cluster, runtime: PodRuntime, pod: Manifest) -> None:
    """``computePodActions`` for a pod whose sandbox died (a reboot), and ``SyncPod``'s start.

    Mirrors ``kuberuntime_manager.go computePodActions`` (its ``createPodSandbox`` branch) and
    ``SyncPod``: a ``restartPolicy: Never`` pod that has container records gets no new sandbox
    and nothing runs again; neither does a pod with no regular container to start (OnFailure
    ones that succeeded are not) once a regular container was created
    (``hasAnyRegularContainerCreated``). Otherwise a new sandbox (a new IP) starts:
    ``purgeInitContainers`` removes every init container's records (and their logs), then the
    first init container starts, or without init containers every regular container to
    start. Regular containers keep their records, so their restart counts carry on.
    """
    spec = pod.get("spec") or {}
    if spec.get("restartPolicy", "Always") == "Never" and any(runtime.records.values()):
        return
    regular = spec.get("containers") or []
    to_start = [
        c
        for c in regular
        if not (
            spec.get("restartPolicy") == "OnFailure"
            and (latest := runtime.latest(c.get("name"))) is not None
            and latest.get("state") == "exited"
            and latest.get("exitCode") == 0
        )
    ]
    if not to_start and any(runtime.records.get(c.get("name")) for c in regular):
        return
    runtime.sandbox_ready = True
    runtime.ip = cluster.allocate_pod_ip(str(spec.get("nodeName", "")))
    runtime.probe_origin = cluster.now
    init = spec.get("initContainers") or []
    for container in init:
        runtime.records.pop(container.get("name"), None)
    for container in init[:1] or to_start:
        restart = runtime.latest(container.get("name")) is not None
        _start(cluster, runtime, pod, container, restart=restart)


def _run_containers(cluster: Cluster, runtime: PodRuntime, pod: Manifest) -> None:
    """``computePodActions``: init containers in order, sidecars, then regular containers."""
    if not runtime.sandbox_ready:
        _recreate_sandbox(cluster, runtime, pod)
        return
    spec = pod.get("spec") or {}
    for container in spec.get("initContainers") or []:
        name = container.get("name")
        latest = runtime.latest(name)
        if is_restartable_init_container(container):
            if (
                latest is None
                or (
                    latest.get("state") != "running"
                    and should_container_be_restarted(container, pod, latest)
                )
            ) and not _start(cluster, runtime, pod, container, restart=latest is not None):
                return
            continue
        if latest is None:
            _start(cluster, runtime, pod, container, restart=False)
            return
        state = latest.get("state")
        if state == "exited" and latest.get("exitCode", 0) == 0:
            continue
        if state == "exited" and should_container_be_restarted(container, pod, latest):
            _start(cluster, runtime, pod, container, restart=True)
        return
    for container in spec.get("containers") or []:
        latest = runtime.latest(container.get("name"))
        if latest is None:
            _start(cluster, runtime, pod, container, restart=False)
        elif latest.get("state") == "exited" and should_container_be_restarted(
            container, pod, latest
        ):
            _start(cluster, runtime, pod, container, restart=True)


def _ready(
    cluster: Cluster, runtime: PodRuntime, container: Manifest, record: RuntimeContainer
) -> bool:
    """``UpdatePodStatus``: a started container is ready when its readiness probe passes."""
    probe = container.get("readinessProbe")
    if not probe:
        return True
    program = cluster.config.program(container.get("image", ""))
    return readiness_result(
        probe_timings(probe),
        _answers(program, "readinessProbe"),
        origin=runtime.probe_origin,
        started_at=int(record.get("startedAt", 0)),
        probing_from=_started_since(cluster, runtime, container, record),
        now=cluster.now,
    )


def _is_started(
    cluster: Cluster, runtime: PodRuntime, container: Manifest, record: RuntimeContainer | None
) -> bool:
    """``isContainerStarted``: running, and its startup probe (if any) has succeeded."""
    if record is None or record.get("state") != "running":
        return False
    started = _started_since(cluster, runtime, container, record)
    # Without a startup probe a running container is started: no need to read the clock.
    return started is not None and (started == record.get("startedAt") or started <= cluster.now)


def _with_conditions_times(
    cluster: Cluster, old: list[Any], new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Keep ``lastTransitionTime`` while a condition's status is unchanged, else now."""
    previous = {c.get("type"): c for c in old}
    result = []
    for condition in new:
        before = previous.get(condition.get("type"))
        stamped = dict(condition)
        if before is not None and before.get("status") == condition.get("status"):
            stamped["lastTransitionTime"] = before.get("lastTransitionTime", cluster.now)
        else:
            stamped["lastTransitionTime"] = cluster.now
        result.append(stamped)
    return result


def build_status(
    cluster: Cluster, machine: Machine, runtime: PodRuntime, pod: Manifest
) -> dict[str, Any]:
    """The status the kubelet would write for a pod now."""
    spec = pod.get("spec") or {}
    old_status = pod.get("status") or {}
    init = spec.get("initContainers") or []
    regular = spec.get("containers") or []

    def flat(containers: list[Any]) -> list[RuntimeContainer]:
        return [r for c in containers for r in runtime.records.get(c.get("name"), [])]

    regular_created = any(runtime.records.get(c.get("name")) for c in regular)
    init_statuses = convert_container_statuses(
        pod,
        init,
        flat(init),
        old_status.get("initContainerStatuses"),
        is_init=True,
        start_failures=runtime.reasons,
        regular_containers_created=regular_created,
    )
    statuses = convert_container_statuses(
        pod,
        regular,
        flat(regular),
        old_status.get("containerStatuses"),
        start_failures=runtime.reasons,
    )
    by_name = {c.get("name"): c for c in [*init, *regular]}
    for status in [*(init_statuses or []), *(statuses or [])]:
        container = by_name[status["name"]]
        latest = runtime.latest(status["name"])
        if is_restartable_init_container(container) or container in regular:
            started = _is_started(cluster, runtime, container, latest)
            status["started"] = started
            status["ready"] = (
                started and latest is not None and _ready(cluster, runtime, container, latest)
            )
        else:
            # A regular init container has no probes: started while it runs.
            status["started"] = _is_started(cluster, runtime, container, latest)
            status["ready"] = bool(
                latest is not None
                and latest.get("state") == "exited"
                and latest.get("exitCode") == 0
            )
    status_body: dict[str, Any] = {
        k: v
        for k, v in old_status.items()
        if k not in {"containerStatuses", "initContainerStatuses", "phase"}
    }
    if init_statuses is not None:
        status_body["initContainerStatuses"] = init_statuses
    if statuses is not None:
        status_body["containerStatuses"] = statuses
    status_body["hostIP"] = f"192.168.0.{machine.index}"
    status_body["podIP"] = runtime.ip
    status_body["podIPs"] = [{"ip": runtime.ip}]
    status_body.setdefault("startTime", cluster.now)
    probe = {**pod, "status": status_body}
    phase = api_pod_phase(probe, old_status=old_status, pod_is_terminal=runtime.terminal)
    status_body["phase"] = phase
    conditions = pod_conditions({**probe, "status": status_body}, phase=phase)
    status_body["conditions"] = [
        *[c for c in old_status.get("conditions") or [] if c.get("type") not in _OWNED],
        *conditions,
    ]
    merged = merge_pod_status(
        old_status,
        status_body,
        could_have_running_containers=bool(runtime.running()),
    )
    merged["conditions"] = _with_conditions_times(
        cluster, old_status.get("conditions") or [], merged["conditions"]
    )
    return merged


_OWNED = frozenset({"PodScheduled", "Ready", "Initialized", "ContainersReady"})


def runtime_key(pod: Manifest) -> str:
    """The runtime's key for a pod: its UID, or for a mirror pod the static pod it mirrors.

    A static pod runs from the kubelet's own manifest: a new mirror (with a new UID) is the same
    static pod, so its containers keep running.
    """
    metadata = pod["metadata"]
    mirror = (metadata.get("annotations") or {}).get(_MIRROR_ANNOTATION)
    return f"static:{mirror}" if mirror else str(metadata["uid"])


def _runtime_for(cluster: Cluster, machine: Machine, pod: Manifest) -> PodRuntime:
    """The pod's runtime state; a new one for a pod this kubelet does not run yet.

    A pod whose containers the runtime kept across a reboot gets them back, with its sandbox
    dead (``PodSandboxChanged``: the sandbox is not ready) and its IP as the API last showed.
    """
    metadata = pod["metadata"]
    key = runtime_key(pod)
    runtime: PodRuntime | None = machine.pods.get(key)
    if runtime is None:
        kept = machine.kept_containers.pop(key, None)
        runtime = PodRuntime(
            uid=metadata["uid"],
            name=metadata["name"],
            namespace=metadata.get("namespace", "default"),
            ip=(
                cluster.allocate_pod_ip(machine.name)
                if kept is None
                else str((pod.get("status") or {}).get("podIP", ""))
            ),
            records={} if kept is None else kept,
            static=key.startswith("static:"),
            probe_origin=cluster.now,
            sandbox_ready=kept is None,
        )
        machine.pods[key] = runtime
    runtime.uid = metadata["uid"]
    return runtime


def _config_refs(pod: Manifest, container: Manifest) -> set[str]:
    """ConfigMaps and Secrets a container reads at start: env, envFrom and subPath mounts."""
    refs: set[str] = set()
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        if source.get("configMapKeyRef"):
            refs.add(f"ConfigMap/{source['configMapKeyRef'].get('name')}")
        if source.get("secretKeyRef"):
            refs.add(f"Secret/{source['secretKeyRef'].get('name')}")
    for env_from in container.get("envFrom") or []:
        if env_from.get("configMapRef"):
            refs.add(f"ConfigMap/{env_from['configMapRef'].get('name')}")
        if env_from.get("secretRef"):
            refs.add(f"Secret/{env_from['secretRef'].get('name')}")
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount.get("name")) or {}
        if not mount.get("subPath"):
            continue
        if volume.get("configMap"):
            refs.add(f"ConfigMap/{volume['configMap'].get('name')}")
        if volume.get("secret"):
            refs.add(f"Secret/{volume['secret'].get('secretName')}")
    return refs


def _sync_volumes(cluster: Cluster, runtime: PodRuntime, pod: Manifest) -> None:
    """ConfigMap and Secret volumes pick up changes after the kubelet's sync delay."""
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        for kind, ref_key, name_key in (
            ("ConfigMap", "configMap", "name"),
            ("Secret", "secret", "secretName"),
        ):
            ref = volume.get(ref_key)
            if not ref:
                continue
            name = ref.get(name_key)
            obj = cluster.store.get((kind, runtime.namespace, str(name)))
            if obj is None:
                continue
            version = obj["metadata"]["resourceVersion"]
            seen = runtime.mounted.get(f"{kind}/{name}")
            changed_at = cluster.store.modified_at.get((kind, runtime.namespace, str(name)), 0)
            if seen is None or cluster.now - changed_at >= cluster.config.configmap_sync_delay:
                runtime.mounted[f"{kind}/{name}"] = version


@register
@dataclass(frozen=True)
class KubeletSyncPod(Action):
    """The kubelet on ``node`` syncs pod ``namespace/pod``."""

    name: ClassVar[str] = "kubelet-sync"
    node: str
    namespace: str
    pod: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} syncs pod {self.namespace}/{self.pod}"

    def apply(self, cluster: Cluster) -> None:
        """Run one pod-worker sync of the pod as the kubelet's informer shows it."""
        machine = cluster.machines[self.node]
        if not machine.up:
            return
        machine.epoch += 1
        if machine.partitioned:
            return
        cached = kubelet_view(cluster, machine).get(("Pod", self.namespace, self.pod))
        if cached is None:
            return
        pod, fresh = _with_api_status(cluster, cached)
        deleting = pod["metadata"].get("deletionTimestamp") is not None
        if deleting and runtime_key(pod).startswith("static:"):
            # Deleting a mirror pod through the API does not stop the static pod: the kubelet
            # lets the mirror go (and recreates it) while the containers keep running.
            if fresh is not None:
                cluster.delete(key_of(pod), uid=pod["metadata"]["uid"])
            return
        known = machine.pods.get(runtime_key(pod))
        if deleting and known is None and fresh is None:
            return  # gone from the API, never run here: nothing to stop, nothing to confirm
        if known is not None and known.rejected is not None and not deleting:
            _write_rejection(cluster, fresh, known.rejected)  # again, if the first write failed
            return
        if known is None and not deleting and _reject(cluster, machine, pod, fresh):
            return
        if known is None and not deleting and _terminal_phase(pod):
            # A rebooted kubelet never runs a pod the API already shows terminal (``SyncPod``
            # skips terminal pods): it only remembers it, containers and status untouched.
            _remember_terminal(cluster, machine, pod)
            return
        runtime = _runtime_for(cluster, machine, pod)
        _observe_exits(cluster, runtime, pod)
        if deleting:
            _kill_all(cluster, runtime)
            runtime.terminal = True
        elif not runtime.terminal:
            _sync_volumes(cluster, runtime, pod)
            _run_containers(cluster, runtime, pod)
        status = build_status(cluster, machine, runtime, pod)
        if fresh is not None and status != pod.get("status"):
            written = cluster.update({**fresh, "status": status})
            if written is not None:
                pod = fresh = written
        if deleting and not runtime.running():
            # The pod worker is done: remove the API object (grace period over). A pod already
            # gone from the API is forgotten by the cleanup once the informer shows it gone.
            uid = pod["metadata"]["uid"]
            if fresh is not None and cluster.delete(key_of(pod), uid=uid) is None:
                machine.pods.pop(runtime_key(pod), None)
        elif pod.get("status", {}).get("phase") in {"Succeeded", "Failed"}:
            runtime.terminal = True


def _with_api_status(
    cluster: Cluster, cached: Manifest
) -> tuple[Manifest, Mapping[str, Any] | None]:
    """The pod a sync works on, and the API's pod its status is written to (None: none).

    The pod worker syncs the pod its informer holds (``podManager``: spec, deletion), while
    the status manager reads the pod from the API server before it writes
    (``status_manager.go syncPod``) and merges with the status stored there
    (``mergePodStatus``), so the sync's old status is the API's. A pod gone from the API, or
    replaced there by another of the same name (another UID), gets no status written.
    """
    fresh = cluster.store.get(key_of(cached))
    if fresh is cached:
        return cached, fresh
    if fresh is None or fresh["metadata"]["uid"] != cached["metadata"]["uid"]:
        return cached, None
    pod = {k: v for k, v in cached.items() if k != "status"}
    if "status" in fresh:
        pod["status"] = fresh["status"]
    return pod, fresh


def _terminal_phase(pod: Manifest) -> bool:
    return (pod.get("status") or {}).get("phase") in {"Succeeded", "Failed"}


def _admitted(cluster: Cluster, machine: Machine, pod: Manifest) -> list[Manifest]:
    """The other pods the kubelet admitted and that still use the node (``GetActivePods``).

    Read from the kubelet's informer (its pod manager), as upstream.
    """
    uid = pod["metadata"]["uid"]
    others = []
    for other in kubelet_view(cluster, machine).list_objects("Pod"):
        if other["metadata"]["uid"] == uid:
            continue
        runtime = machine.pods.get(runtime_key(other))
        if runtime is not None and (not runtime.terminal or runtime.running()):
            others.append(other)
    return others


def _reject(
    cluster: Cluster, machine: Machine, pod: Manifest, fresh: Mapping[str, Any] | None
) -> bool:
    """Admit a pod new to this kubelet, or reject it (phase Failed); returns whether rejected.

    Mirrors ``kubelet.go HandlePodAdditions`` → ``canAdmitPod`` → ``predicate.go Admit`` (see
    :func:`~kmodel.semantics.scheduling.kubelet_admission_failure`) and ``rejectPod``: the pod
    becomes Failed with the reason and "Pod was rejected: <message>", and no container starts.
    A scheduler with a faithful cache never binds a pod that does not fit; pods bound by
    hand (``spec.nodeName`` set at creation) reach this. Static pods are admitted without a
    check: upstream's admission failure handler preempts other pods for them (critical pods),
    which the model does not do.
    """
    if runtime_key(pod).startswith("static:") or _terminal_phase(pod):
        return False
    node = cluster.store.get(("Node", "", machine.name))
    if node is None:
        return False
    failure = kubelet_admission_failure(pod, node, _admitted(cluster, machine, pod))
    if failure is None:
        return False
    rejected = (failure[0], f"Pod was rejected: {failure[1]}")
    # The pod worker never runs it.
    _remember_terminal(cluster, machine, pod, rejected=rejected)
    _write_rejection(cluster, fresh, rejected)
    return True


def _remember_terminal(
    cluster: Cluster, machine: Machine, pod: Manifest, *, rejected: tuple[str, str] | None = None
) -> None:
    """A terminal runtime entry for a pod this kubelet will not run: no containers, no IP.

    What the runtime kept of the pod across a reboot is the container GC's: gone.
    """
    metadata = pod["metadata"]
    machine.kept_containers.pop(runtime_key(pod), None)
    machine.pods[runtime_key(pod)] = PodRuntime(
        uid=metadata["uid"],
        name=metadata["name"],
        namespace=metadata.get("namespace", "default"),
        ip="",
        terminal=True,
        probe_origin=cluster.now,
        rejected=rejected,
    )


def _write_rejection(
    cluster: Cluster, pod: Mapping[str, Any] | None, rejection: tuple[str, str]
) -> None:
    """``statusManager.SetPodStatus`` of a rejected pod: Failed with the reason and message.

    ``pod`` is the pod in the API (None: gone, so nothing is written).
    """
    if pod is None:
        return
    old_status = pod.get("status") or {}
    if old_status.get("phase") == "Failed":
        return
    reason, message = rejection
    status = merge_pod_status(
        old_status,
        {"phase": "Failed", "reason": reason, "message": message},
        could_have_running_containers=False,
    )
    status["conditions"] = _with_conditions_times(
        cluster, old_status.get("conditions") or [], status["conditions"]
    )
    cluster.update({**pod, "status": status})


@register
@dataclass(frozen=True)
class KubeletHeartbeat(Action):
    """The kubelet on ``node`` renews its lease and posts Ready."""

    name: ClassVar[str] = "kubelet-heartbeat"
    maintenance: ClassVar[bool] = True
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} posts node status"

    def apply(self, cluster: Cluster) -> None:
        """Post node status Ready=True with the heartbeat time."""
        machine = cluster.machines[self.node]
        node = cluster.store.get(("Node", "", self.node))
        if node is None or not machine.up or machine.partitioned:
            return
        # Only status.conditions changes, to a new list: two levels of copy are enough (stored
        # objects are never mutated, so the rest may be shared with the stored version).
        body = dict(node)
        if isinstance(body.get("status"), dict):
            body["status"] = dict(body["status"])
        status = body.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "Ready"]
        before: Mapping[str, Any] = next(
            (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {}
        )
        ready = {
            "type": "Ready",
            "status": "True",
            "reason": "KubeletReady",
            "message": "kubelet is posting ready status",
            "lastHeartbeatTime": cluster.now,
            "lastTransitionTime": before.get("lastTransitionTime", cluster.now)
            if before.get("status") == "True"
            else cluster.now,
        }
        status["conditions"] = [*conditions, ready]
        if cluster.update(body) is not None:
            machine.last_heartbeat = cluster.now


def _orphans(machine: Machine, bound: list[Manifest]) -> list[str]:
    """Runtime keys of pods this kubelet runs that are no longer bound to it in the API.

    Static pods run from the kubelet's own manifests and are never orphaned.
    """
    wanted = {runtime_key(pod) for pod in bound} | {str(pod["metadata"]["uid"]) for pod in bound}
    return [
        key
        for key in sorted({*machine.pods, *machine.kept_containers})
        if not key.startswith("static:") and key not in wanted
    ]


@register
@dataclass(frozen=True)
class KubeletCleanupPods(Action):
    """The kubelet stops the containers of pods gone from its informer and forgets them.

    Mirrors ``kubelet_pods.go HandlePodCleanups`` (with ``HandlePodRemoves`` for the pods its
    config source reports removed): a pod the kubelet still runs but its informer no longer
    holds (force-deleted, or deleted by pod GC or the node lifecycle controller) is killed and
    its runtime state removed. The kubelet learns of a removal through its watch: a partitioned
    kubelet sees none, so its pods keep running until the partition heals and its watch
    delivers the removal (later, while its watch lags; never, for a dropped delete, until a
    restart relists).
    """

    name: ClassVar[str] = "kubelet-cleanup"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} stops the pods gone from the API"

    def apply(self, cluster: Cluster) -> None:
        """Kill and forget every orphaned pod."""
        machine = cluster.machines[self.node]
        if not machine.up or machine.partitioned:
            return
        orphans = _orphans(machine, list(kubelet_view(cluster, machine).list_objects("Pod")))
        if orphans:
            machine.epoch += 1
        for key in orphans:
            # Containers the runtime kept across a reboot go with them (the container GC's
            # ``evictContainers`` removes every container of a deleted pod).
            machine.kept_containers.pop(key, None)
            if key in machine.pods:
                _kill_all(cluster, machine.pods[key])
                del machine.pods[key]


@register
@dataclass(frozen=True)
class KubeletRestart(Action):
    """The kubelet on ``node`` restarts: its informer relists and its in-memory state is lost.

    Upstream (``kubelet.go NewMainKubelet``) the crash-loop back-off (``backOff``), the probe
    workers with their results (``prober_manager.go``, ``results_manager.go``) and the status
    manager's cache live in the kubelet's memory; the containers with their restart counts and
    exit codes, the pod sandboxes (IPs) and the volumes live in the container runtime and on
    disk, and survive. After the restart each pod's probe workers start again (``AddPod``):
    results are back to their initial values and the tickers start from the restart, and a
    container in back-off restarts at its next sync. What the old kubelet saw happen before it
    died (exits, a probe kill under way, which the runtime finishes) stays as it was: a pod
    with a kill under way keeps its workers' timing. Pods are not admitted again (the ones
    that ran fit before). A kubelet cut off from the API server does not restart here: until
    its first list it would clean up nothing (``sourcesReady``), as if it had not restarted.
    """

    name: ClassVar[str] = "kubelet-restart"
    category: ClassVar[str] = "fault"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} restarts"

    def apply(self, cluster: Cluster) -> None:
        """Record what the old kubelet saw, forget its memory, relist."""
        machine = cluster.machines[self.node]
        if not machine.up or machine.partitioned:
            return
        informer = kubelet_informer(cluster.informers, cluster.store, self.node)
        known = {runtime_key(pod): pod for pod in informer.list_objects("Pod")}
        for key, runtime in machine.pods.items():
            pod = known.get(key)
            if pod is not None:
                _observe_exits(cluster, runtime, pod)
            if pod is None or not _kill_under_way(cluster, runtime, pod):
                runtime.probe_origin = cluster.now
            runtime.backoff.clear()
            runtime.reasons.clear()
        informer.relist(cluster.store)
        machine.epoch += 1
        cluster.faults.append(self.name)


def _kill_under_way(cluster: Cluster, runtime: PodRuntime, pod: Manifest) -> bool:
    """Whether a running container of the pod failed its probe by now (its kill is under way)."""
    containers = _containers_by_name(pod)
    for name in runtime.running():
        record = runtime.records[name][0]
        failure = _probe_failure(cluster, runtime, containers.get(name) or {}, record)
        if failure is not None and failure[0] <= cluster.now:
            return True
    return False


def _sync_static_pods(machine: Machine, view: Informer) -> list[Action]:
    """The mirror-pod sync, when the kubelet's informer lacks a mirror (``podManager``)."""
    return [
        SyncStaticPods(machine.name)
        for _ in [0]
        if machine.static_pods
        and any(
            view.get(("Pod", p["metadata"].get("namespace", "default"), _static_name(p, machine)))
            is None
            for p in machine.static_pods
        )
    ]


def _static_name(pod: Manifest, machine: Machine) -> str:
    """Static pods are named ``<name>-<node>``."""
    return f"{pod['metadata']['name']}-{machine.name}"


@register
@dataclass(frozen=True)
class SyncStaticPods(Action):
    """The kubelet creates the mirror pods of its static pods that are missing from the API."""

    name: ClassVar[str] = "kubelet-static-pods"
    node: str

    def describe(self) -> str:
        """In words."""
        return f"kubelet on {self.node} (re)creates mirror pods of its static pods"

    def apply(self, cluster: Cluster) -> None:
        """Create the mirror pods missing from the kubelet's informer, bound to this node."""
        machine = cluster.machines[self.node]
        if not machine.up or machine.partitioned:
            return
        view = kubelet_view(cluster, machine)
        for manifest in machine.static_pods:
            body = copy.deepcopy(dict(manifest))
            metadata = body.setdefault("metadata", {})
            name = _static_name(body, machine)
            namespace = metadata.get("namespace", "default")
            if view.get(("Pod", namespace, name)) is not None:
                continue
            metadata["name"] = name
            metadata["namespace"] = namespace
            annotations = dict(metadata.get("annotations") or {})
            annotations[_SOURCE_ANNOTATION] = "file"
            annotations[_MIRROR_ANNOTATION] = (
                f"static-{machine.name}-{manifest['metadata']['name']}"
            )
            metadata["annotations"] = annotations
            body.setdefault("spec", {})["nodeName"] = machine.name
            body["kind"] = "Pod"
            body["apiVersion"] = "v1"
            cluster.create(body)


def kubelet_view(cluster: Cluster, machine: Machine) -> Informer:
    """The kubelet's informer over the pods bound to its node (its pod manager's source).

    Caught up unless the machine is down, the kubelet is cut off from the API server, or its
    watch lags (a fault).
    """
    informer = kubelet_informer(cluster.informers, cluster.store, machine.name)
    if machine.up and not machine.partitioned:
        informer.catch_up(cluster.store)
    return informer


def kubelet_actions(cluster: Cluster) -> list[Action]:
    """Kubelet steps that would do something now, each from its kubelet's informer."""
    actions: list[Action] = []
    for name in sorted(cluster.machines):
        machine = cluster.machines[name]
        if not machine.up or machine.partitioned:
            continue
        if cluster.store.get(("Node", "", name)) is not None and (
            machine.last_heartbeat + cluster.config.heartbeat_interval <= cluster.now
            or machine.last_heartbeat == 0
        ):
            node = cluster.store.get(("Node", "", name))
            ready = next(
                (
                    c
                    for c in (node or {}).get("status", {}).get("conditions") or []
                    if c.get("type") == "Ready"
                ),
                None,
            )
            if ready is None or ready.get("lastHeartbeatTime") != cluster.now:
                actions.append(KubeletHeartbeat(name))
        view = kubelet_view(cluster, machine)
        actions.extend(_sync_static_pods(machine, view))
        pods = _cached_pods(cluster, view)
        if (machine.pods or machine.kept_containers) and _orphans(machine, pods):
            actions.append(KubeletCleanupPods(name))
        for pod in pods:
            if _needs_sync(cluster, machine, pod):
                metadata = pod["metadata"]
                actions.append(
                    KubeletSyncPod(name, metadata.get("namespace", "default"), metadata["name"])
                )
    return actions


def _cached_pods(cluster: Cluster, view: Informer) -> list[Manifest]:
    """The kubelet's pods in key order, listed once per change of its cache."""
    return cluster.memo(
        ("kubelet-pods", view.versions("Pod")), lambda: list(view.list_objects("Pod"))
    )


def _needs_sync(cluster: Cluster, machine: Machine, cached: Manifest) -> bool:
    """Whether a sync of this pod would change anything (cached on what it reads).

    ``cached`` is the pod as the kubelet's informer holds it; the sync also reads the API's
    status (see :func:`_with_api_status`). A pod at rest (running forever, no probe delay
    pending) never looks at the clock: that answer is cached without the time, so clock ticks
    leave it be.
    """
    pod, fresh = _with_api_status(cluster, cached)
    key = (
        "kubelet-needs-sync",
        pod["metadata"]["uid"],
        pod["metadata"]["resourceVersion"],
        None if fresh is None else fresh["metadata"]["resourceVersion"],
        machine.epoch,
        cluster.store.kind_revision.get("ConfigMap", 0),
        cluster.store.kind_revision.get("Secret", 0),
    )
    writable = fresh is not None
    anytime = cluster.memo(
        ("anytime", key), lambda: _needs_sync_at_any_time(cluster, machine, pod, writable=writable)
    )
    if anytime is not None:
        return anytime
    return bool(
        cluster.memo(
            (key, cluster.now),
            lambda: _needs_sync_now(cluster, machine, pod, writable=writable),
        )
    )


def _needs_sync_at_any_time(
    cluster: Cluster, machine: Machine, pod: Manifest, *, writable: bool
) -> bool | None:
    """:func:`_needs_sync_now` under a clock that raises on use; None if it looked at it.

    See :data:`~kmodel.cluster.model.UNREAD_CLOCK`; the dry run only touches copies, so the
    real clock is swapped out and back.
    """
    now = cluster.store.now
    cluster.store.now = UNREAD_CLOCK  # type: ignore[assignment]
    try:
        return _needs_sync_now(cluster, machine, pod, writable=writable)
    except (ClockRead, Exception):  # noqa: BLE001  # any failure: let the real dry run tell
        return None
    finally:
        cluster.store.now = now


def _needs_sync_now(cluster: Cluster, machine: Machine, pod: Manifest, *, writable: bool) -> bool:
    """A dry run of a pod sync on copies of the runtime.

    Without a pod in the API to write to (``writable`` false: the kubelet's informer is behind
    a deletion) only a change of the runtime counts.
    """
    runtime = machine.pods.get(runtime_key(pod))
    if pod["metadata"].get("deletionTimestamp") is not None:
        if writable:
            return True
        if runtime is None or runtime_key(pod).startswith("static:"):
            return False  # gone from the API: nothing to confirm; a static pod keeps running
        return bool(runtime.running()) or not runtime.terminal  # containers still to stop
    if runtime is None:
        return True
    if runtime.terminal and (pod.get("status") or {}).get("phase") in {"Succeeded", "Failed"}:
        return False
    if runtime.rejected is not None:
        return writable  # its Failed status is still to be written
    trial = runtime.copy()
    saved = (machine.next_ip,)
    try:
        _observe_exits(cluster, trial, pod)
        if not trial.terminal:
            _run_containers(cluster, trial, pod)
        status = build_status(cluster, machine, trial, pod)
    finally:
        machine.next_ip = saved[0]
    if writable and status != pod.get("status"):
        return True
    return bool(trial.records != runtime.records or trial.backoff != runtime.backoff)


def post_due_heartbeats(cluster: Cluster) -> None:
    """The kubelets' heartbeats while time passes (their own schedule, not a decision).

    Every running kubelet that reaches the API and whose heartbeat interval has passed posts
    its node status.
    """
    interval = cluster.config.heartbeat_interval
    for name in sorted(cluster.machines):
        machine = cluster.machines[name]
        due = cluster.now - machine.last_heartbeat >= interval
        if machine.up and not machine.partitioned and due:
            KubeletHeartbeat(name).apply(cluster)
