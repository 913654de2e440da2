"""A thin Docker driver: realise a scenario's pods on a real engine and observe them.

Each pod is a *sandbox* container that owns the network namespace (its IP on the run's bridge
network is the pod IP) plus one Docker container per run of each pod container, joined to the
sandbox's namespace (``network_mode: container:<sandbox>``), so the containers of a pod share
localhost and pods have distinct IPs. An ``emptyDir`` volume is a Docker volume mounted into every
container of the pod that lists it.

The driver plays the kubelet's part, as the model's kubelet does and with the same
:mod:`kmodel.semantics` functions: init containers run one after another to completion; sidecars
(restartable init containers) start before regular containers and keep running; exited
containers restart by the restart policy (``ShouldContainerBeRestarted``) under the crash-loop
back-off (``doBackOff``, with the ``ReduceDefaultCrashLoopBackOffDecay`` bounds the model side
uses); exec readiness probes run through ``exec_run`` with their period and thresholds. Every
poll turns what the engine reports into API container statuses
(``convertToAPIContainerStatuses``), then the phase (``getPhase``) and conditions; each change is
an :class:`~kmodel.conformance.compare.Observation` with its poll number and wall time.

Every container, network and volume carries the label ``kmodel.dev/run=<run id>`` and is removed
at the end, also after Ctrl-C, an exception or a timeout (unless ``keep``). Containers run
unprivileged, with every capability dropped, ``no-new-privileges``, no host mounts, and memory
and pid limits. No shell strings: commands are argument lists.

The ``docker`` package (the ``conformance`` extra) is imported only when a client is made.
"""

from __future__ import annotations

import functools
import io
import os
import socket
import subprocess
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, Self

from kmodel.conformance.compare import Observation
from kmodel.conformance.model_side import CONFORMANCE_BACKOFF
from kmodel.conformance.scenarios import Scenario
from kmodel.errors import EXIT_INTERNAL, KmodelError
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
    ProbeType,
    ProbeWorker,
    do_probe,
    kill_grace_seconds,
    probe_timings,
)

__all__ = [
    "DEFAULT_IMAGE",
    "LABEL_RUN",
    "EngineError",
    "EngineRun",
    "connect",
    "engine_problem",
    "ensure_image",
    "leftovers",
    "remove_run",
]

#: The label every resource of a run carries.
LABEL_RUN: Final = "kmodel.dev/run"
LABEL_SCENARIO: Final = "kmodel.dev/scenario"
LABEL_POD: Final = "kmodel.dev/pod"
#: The local image built from Debian's static busybox (``docker import``).
DEFAULT_IMAGE: Final = "kmodel/busybox:local"
BUSYBOX: Final = Path("/bin/busybox")
#: Seconds between polls of a pod.
POLL_INTERVAL: Final = 0.1
#: Seconds allowed beyond a scenario's window for setting up and tearing down its pods.
SETUP_MARGIN: Final = 60
_MEMORY_LIMIT: Final = "64m"
_PIDS_LIMIT: Final = 64
_SANDBOX_COMMAND: Final = ("sleep", "2147483647")
_STOP_GRACE: Final = 1
#: The probes the kubelet kills a container for, with their ``containerKillReason``.
_KILLING_PROBES: Final[tuple[tuple[str, ProbeType, str], ...]] = (
    ("livenessProbe", "liveness", "LivenessProbe"),
    ("startupProbe", "startup", "StartupProbe"),
)


class EngineError(KmodelError):
    """The engine cannot be reached, refused a request, or a run timed out (exit code 3)."""

    exit_code = EXIT_INTERNAL


class Interrupted(KmodelError):  # noqa: N818  # reads as what happened
    """The run was asked to stop (Ctrl-C or SIGTERM in the main thread)."""

    exit_code = 130


def connect(*, timeout: float = 10) -> Any:  # noqa: ANN401  # docker.DockerClient, imported lazily
    """A Docker client for the engine in the environment (``DOCKER_HOST`` or the local socket).

    Raises:
        EngineError: the ``docker`` package is missing or no engine answers.
    """
    try:
        import docker  # noqa: PLC0415  # optional dependency: the conformance extra
    except ImportError:
        msg = "the docker package is missing: pip install 'kmodel[conformance]'"
        raise EngineError(msg) from None
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://"):
        # docker-py leaks the socket of a refused unix connection: look before it leaps.
        path = host.removeprefix("unix://")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(timeout)
            try:
                probe.connect(path)
            except OSError as error:
                msg = (
                    f"no Docker engine answers at {path} ({error.strerror or error}); start one "
                    "(as root: apt-get install docker.io busybox-static && dockerd &, "
                    "or run .ci/docker-setup)"
                )
                raise EngineError(msg) from None
    client = None
    try:
        # A fixed API version: version negotiation would open a connection inside the
        # constructor, which cannot be closed when the engine refuses it.
        client = docker.from_env(timeout=int(timeout), version="1.41")
        client.ping()
    except docker.errors.DockerException as error:
        if client is not None:
            client.close()  # no socket left open behind a refused connection
        msg = (
            f"no Docker engine answers ({error}); start one (as root: "
            "apt-get install docker.io busybox-static && dockerd &, or run .ci/docker-setup)"
        )
        raise EngineError(msg) from None
    return client


def engine_problem() -> str | None:
    """Why no conformance run is possible here, or None when an engine answers."""
    try:
        connect(timeout=5).close()
    except EngineError as error:
        return str(error)
    return None


def _rootfs_tar(busybox: Path) -> bytes:
    """A root file system holding a static busybox and a link per applet."""
    applets = subprocess.run(  # noqa: S603  # a fixed argument list, no shell
        [str(busybox), "--list"], capture_output=True, text=True, check=True
    ).stdout.split()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for directory, mode in (("bin", 0o755), ("tmp", 0o1777), ("etc", 0o755), ("www", 0o755)):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)
        data = busybox.read_bytes()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        for applet in sorted(set(applets) - {"busybox"}):
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
        passwd = b"root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size, info.mode = len(passwd), 0o644
        tar.addfile(info, io.BytesIO(passwd))
    return buffer.getvalue()


def ensure_image(client: Any, *, image: str = DEFAULT_IMAGE, busybox: Path = BUSYBOX) -> str:  # noqa: ANN401
    """Make sure ``image`` exists; build the default one from a static busybox if needed.

    Raises:
        EngineError: the image is missing and cannot be built (no static busybox).
    """
    import docker  # noqa: PLC0415

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        if image != DEFAULT_IMAGE:
            msg = f"image {image!r} is not on the engine: pull or build it first"
            raise EngineError(msg) from None
    else:
        return image
    if not busybox.is_file():
        msg = f"{busybox} is missing: apt-get install busybox-static (or pass --image)"
        raise EngineError(msg)
    repository, _, tag = image.partition(":")
    client.api.import_image_from_data(
        _rootfs_tar(busybox),
        repository=repository,
        tag=tag,
        changes=['LABEL kmodel.dev/image="busybox-static"', 'CMD ["sh"]'],
    )
    return image


def _selector(run_id: str, scenario: str | None) -> dict[str, list[str]]:
    labels = [f"{LABEL_RUN}={run_id}"]
    if scenario is not None:
        labels.append(f"{LABEL_SCENARIO}={scenario}")
    return {"label": labels}


def leftovers(client: Any, run_id: str) -> dict[str, list[str]]:  # noqa: ANN401
    """Names of the containers, networks and volumes that carry this run's label.

    Uses the engine's list calls only (no per-object inspect), so it is safe while another
    process removes the same objects.
    """
    selector = _selector(run_id, None)
    api = client.api
    return {
        "containers": sorted(
            str(c["Names"][0]).lstrip("/") for c in api.containers(all=True, filters=selector)
        ),
        "networks": sorted(str(n["Name"]) for n in api.networks(filters=selector)),
        "volumes": sorted(
            str(v["Name"]) for v in (api.volumes(filters=selector).get("Volumes") or [])
        ),
    }


def remove_run(client: Any, run_id: str, *, scenario: str | None = None) -> None:  # noqa: ANN401
    """Remove every container, network and volume of a run (or of one scenario of it).

    Containers go first (a network or volume in use cannot be removed); objects that vanish
    meanwhile (removed by another cleanup) are fine.
    """
    import docker  # noqa: PLC0415

    selector = _selector(run_id, scenario)
    api = client.api

    def quietly(remove: Callable[..., object], *args: object, **kwargs: object) -> None:
        try:
            remove(*args, **kwargs)
        except docker.errors.APIError as error:
            # 404: already gone; 409: another cleanup is removing it right now.
            if error.status_code not in {404, 409}:
                raise

    for container in api.containers(all=True, filters=selector):
        quietly(api.remove_container, container["Id"], force=True, v=True)
    for network in api.networks(filters=selector):
        quietly(api.remove_network, network["Id"])
    for volume in api.volumes(filters=selector).get("Volumes") or []:
        quietly(api.remove_volume, volume["Name"], force=True)


def _exec_succeeds(container: Any, command: list[str]) -> bool:  # noqa: ANN401
    """Run an exec probe's command in a container: whether it exited 0."""
    return bool(container.exec_run(command).exit_code == 0)


def _seconds(value: float) -> Fraction:
    """Wall seconds as an exact millisecond count, the time type of the semantics functions."""
    return Fraction(round(value * 1000), 1000)


@dataclass
class _Probe:
    """Readiness probe state of one container run (``pkg/kubelet/prober/worker.go``)."""

    ready: bool = False
    successes: int = 0
    failures: int = 0
    next_at: float = 0.0


@dataclass
class _Pod:
    """One pod instance on the engine: its sandbox, volumes, container runs and kubelet state."""

    manifest: dict[str, Any]
    label: str
    uid: str
    sandbox: Any = None
    ip: str = ""
    volumes: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[RuntimeContainer]] = field(default_factory=dict)
    containers: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, _Probe] = field(default_factory=dict)
    backoff: dict[str, BackOffEntry] = field(default_factory=dict)
    reasons: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: Liveness and startup probe workers by (container, probe field), and their next tick.
    workers: dict[tuple[str, str], ProbeWorker] = field(default_factory=dict)
    next_ticks: dict[tuple[str, str], float] = field(default_factory=dict)
    #: Seconds on the scenario's clock when the pod was created (the workers' ticker phase).
    origin: float = 0.0
    status: dict[str, Any] = field(default_factory=lambda: {"phase": "Pending"})
    terminal: bool = False
    deleting: bool = False
    runs: int = 0
    #: ``time.monotonic()`` when the scenario's clock started.
    started: float = 0.0

    @property
    def spec(self) -> Mapping[str, Any]:
        """The pod spec."""
        return self.manifest.get("spec") or {}

    def latest(self, name: str) -> RuntimeContainer | None:
        """The newest runtime record of a container."""
        records = self.records.get(name)
        return records[0] if records else None


class EngineRun:
    """Run one scenario on the engine, and clean up after it.

    Use as a context manager: leaving it (normally, by an exception or a Ctrl-C) removes every
    resource of this scenario in this run unless ``keep``. Setting ``stopping`` (from a signal
    handler or another thread) stops the run at its next poll.
    """

    def __init__(
        self,
        client: Any,  # noqa: ANN401  # docker.DockerClient
        scenario: Scenario,
        *,
        run_id: str,
        image: str = DEFAULT_IMAGE,
        keep: bool = False,
        stopping: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.scenario = scenario
        self.run_id = run_id
        self.image = image
        self.keep = keep
        self.stopping = stopping or threading.Event()
        self._network: Any = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.keep:
            remove_run(self.client, self.run_id, scenario=self.scenario.name)

    # ------------------------------------------------------------------ resources

    def _labels(self, scenario: str, pod: str = "") -> dict[str, str]:
        labels = {LABEL_RUN: self.run_id, LABEL_SCENARIO: scenario}
        if pod:
            labels[LABEL_POD] = pod
        return labels

    def _network_for_run(self) -> Any:  # noqa: ANN401
        if self._network is None:
            self._network = self.client.networks.create(
                f"kmodel-{self.run_id}-{self.scenario.name}",
                driver="bridge",
                labels=self._labels(self.scenario.name),
            )
        return self._network

    def _common(self) -> dict[str, Any]:
        """Options every container of a run gets: unprivileged and limited."""
        return {
            "detach": True,
            "privileged": False,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "mem_limit": _MEMORY_LIMIT,
            "pids_limit": _PIDS_LIMIT,
        }

    def _create_pod(self, scenario: Scenario, manifest: Mapping[str, Any], number: int) -> _Pod:
        name = manifest["metadata"]["name"]
        label = name if number == 1 else f"{name}#{number}"
        pod = _Pod(manifest=dict(manifest), label=label, uid=str(uuid.uuid4()))
        prefix = f"kmodel-{self.run_id}-{scenario.name}-{name}-{number}"
        network = self._network_for_run()
        pod.sandbox = self.client.containers.run(
            self.image,
            list(_SANDBOX_COMMAND),
            name=f"{prefix}-sandbox",
            hostname=name,
            network=network.name,
            labels=self._labels(scenario.name, label),
            **self._common(),
        )
        pod.sandbox.reload()
        networks = pod.sandbox.attrs["NetworkSettings"]["Networks"]
        pod.ip = str(networks[network.name]["IPAddress"])
        for volume in pod.spec.get("volumes") or []:
            if "emptyDir" in volume:
                created = self.client.volumes.create(
                    name=f"{prefix}-{volume['name']}", labels=self._labels(scenario.name, label)
                )
                pod.volumes[volume["name"]] = created.name
        return pod

    # ------------------------------------------------------------------ the kubelet's part

    def _start(
        self, scenario: Scenario, pod: _Pod, container: Mapping[str, Any], now: float
    ) -> bool:
        """Start a run of a container unless the back-off holds it; whether it started."""
        name = str(container["name"])
        records = pod.records.setdefault(name, [])
        latest = records[0] if records else None
        if latest is not None and latest.get("state") == "exited":
            key = backoff_key(pod.manifest, container)
            # After a probe kill the kubelet restarts in the same sync, judging the back-off by
            # the status read before the kill: the run before the killed one.
            judged: RuntimeContainer | None = latest
            if latest.get("killedFor"):
                previous = records[1] if len(records) > 1 else None
                exited = previous is not None and previous.get("state") == "exited"
                judged = previous if exited else None
            decision = restart_backoff(
                pod.backoff.get(key),
                finished_at=None if judged is None else judged.get("finishedAt", _seconds(now)),
                now=_seconds(now),
                policy=CONFORMANCE_BACKOFF,
                container_name=name,
                pod_label=f"{pod.manifest['metadata']['name']}_default({pod.uid})",
            )
            if decision.entry is not None:
                pod.backoff[key] = decision.entry
            if not decision.start:
                pod.reasons[name] = (decision.reason, decision.message)
                return False
        pod.reasons.pop(name, None)
        command = [str(p) for p in container.get("command") or []]
        command += [str(p) for p in container.get("args") or []]
        mounts = {
            pod.volumes[m["name"]]: {"bind": m["mountPath"], "mode": "rw"}
            for m in container.get("volumeMounts") or []
            if m.get("name") in pod.volumes
        }
        pod.runs += 1
        pod.containers[name] = self.client.containers.run(
            self.image,
            command,
            name=f"{pod.sandbox.name.removesuffix('-sandbox')}-{name}-{pod.runs}",
            network_mode=f"container:{pod.sandbox.id}",
            volumes=mounts,
            labels=self._labels(scenario.name, pod.label),
            **self._common(),
        )
        started = time.monotonic() - pod.started
        records.insert(
            0,
            {
                "name": name,
                "state": "running",
                "startedAt": _seconds(started),
                "restartCount": int(latest.get("restartCount", 0)) + 1 if latest else 0,
                "image": container.get("image", ""),
            },
        )
        del records[2:]
        pod.probes[name] = _Probe(
            next_at=started
            + float((container.get("readinessProbe") or {}).get("initialDelaySeconds", 0) or 0)
        )
        return True

    def _observe_exits(self, pod: _Pod, now: float) -> None:
        """The PLEG: runs the engine reports as exited become exited records."""
        for name, records in pod.records.items():
            if not records or records[0].get("state") != "running":
                continue
            engine = pod.containers[name]
            engine.reload()
            if engine.status not in {"exited", "dead"}:
                continue
            code = int(engine.attrs["State"]["ExitCode"])
            records[0] = {
                **records[0],
                "state": "exited",
                "exitCode": code,
                "reason": "Completed" if code == 0 else "Error",
                "finishedAt": _seconds(now),
            }

    def _run_containers(self, scenario: Scenario, pod: _Pod, now: float) -> None:
        """``computePodActions``: init containers in order, sidecars, then regular containers."""
        for container in pod.spec.get("initContainers") or []:
            latest = pod.latest(container["name"])
            if is_restartable_init_container(container):
                due = latest is None or (
                    latest.get("state") != "running"
                    and should_container_be_restarted(container, pod.manifest, latest)
                )
                if due and not self._start(scenario, pod, container, now):
                    return
                continue
            if latest is None:
                self._start(scenario, pod, container, now)
                return
            if latest.get("state") == "exited" and latest.get("exitCode", 0) == 0:
                continue
            if latest.get("state") == "exited" and should_container_be_restarted(
                container, pod.manifest, latest
            ):
                self._start(scenario, pod, container, now)
            return
        for container in pod.spec.get("containers") or []:
            latest = pod.latest(container["name"])
            if latest is None or (
                latest.get("state") == "exited"
                and should_container_be_restarted(container, pod.manifest, latest)
            ):
                self._start(scenario, pod, container, now)

    def _probe(self, pod: _Pod, now: float) -> None:
        """Run due exec readiness probes (``prober/worker.go doProbe``)."""
        for container in [*(pod.spec.get("initContainers") or []), *pod.spec["containers"]]:
            name = container["name"]
            spec = container.get("readinessProbe")
            latest = pod.latest(name)
            if not spec or latest is None or latest.get("state") != "running":
                continue
            state = pod.probes[name]
            if now < state.next_at or not self._started(pod, name):
                continue
            state.next_at = now + float(spec.get("periodSeconds", 10) or 10)
            command = [str(p) for p in (spec.get("exec") or {}).get("command") or []]
            result = pod.containers[name].exec_run(command)
            if result.exit_code == 0:
                state.successes, state.failures = state.successes + 1, 0
                if state.successes >= int(spec.get("successThreshold", 1) or 1):
                    state.ready = True
            else:
                state.failures, state.successes = state.failures + 1, 0
                if state.failures >= int(spec.get("failureThreshold", 3) or 3):
                    state.ready = False

    def _started(self, pod: _Pod, name: str) -> bool:
        """``status.started`` of a container as the last status said (the status manager)."""
        for key in ("initContainerStatuses", "containerStatuses"):
            for status in pod.status.get(key) or []:
                if status.get("name") == name:
                    return bool(status.get("started"))
        return False

    def _probe_and_kill(self, pod: _Pod, now: float) -> None:
        """Run due liveness and startup probes; stop a container whose probe failed.

        Each worker probes on its ticker (``origin + k * periodSeconds``; ticks missed while
        the driver was busy collapse into one, as a Go ticker's do). A failed probe makes
        ``computePodActions`` kill the container: SIGTERM, then SIGKILL after the grace period.
        """
        deleting = pod.deleting
        for container in [*(pod.spec.get("initContainers") or []), *pod.spec["containers"]]:
            name = container["name"]
            latest = pod.latest(name)
            for probe_field, probe_type, reason in _KILLING_PROBES:
                spec = container.get(probe_field)
                if not spec or latest is None:
                    continue
                key = (name, probe_field)
                timings = probe_timings(spec)
                worker = pod.workers.setdefault(key, ProbeWorker(probe_type, timings))
                due = pod.next_ticks.setdefault(key, pod.origin)
                if now < due:
                    continue
                ticks = int((now - pod.origin) // timings.period) + 1
                pod.next_ticks[key] = pod.origin + ticks * timings.period
                engine = pod.containers[name]
                command = [str(p) for p in (spec.get("exec") or {}).get("command") or []]
                do_probe(
                    worker,
                    container_id=str(engine.id),
                    running=latest.get("state") == "running",
                    running_for=now - float(latest.get("startedAt", 0)),
                    started=self._started(pod, name),
                    deleting=deleting,
                    probe=functools.partial(_exec_succeeds, engine, command),
                )
                if worker.result == "Failure" and latest.get("state") == "running":
                    engine.stop(timeout=kill_grace_seconds(pod.manifest, spec))
                    self._observe_exits(pod, time.monotonic() - pod.started)
                    latest = pod.latest(name)
                    if latest is not None and latest.get("state") == "exited":
                        pod.records[name][0] = {**latest, "killedFor": reason}

    def _kill_all(self, pod: _Pod, now: float) -> None:
        """Stop every running container of a pod being deleted (SIGTERM, then SIGKILL)."""
        for name, records in pod.records.items():
            if records and records[0].get("state") == "running":
                pod.containers[name].stop(timeout=_STOP_GRACE)
        self._observe_exits(pod, now)

    def _status(self, pod: _Pod) -> dict[str, Any]:
        """The API status from the runtime records, as ``generateAPIPodStatus`` builds it."""
        init = list(pod.spec.get("initContainers") or [])
        regular = list(pod.spec.get("containers") or [])
        old = pod.status

        def flat(containers: list[Any]) -> list[RuntimeContainer]:
            return [r for c in containers for r in pod.records.get(c["name"], [])]

        init_statuses = convert_container_statuses(
            pod.manifest,
            init,
            flat(init),
            old.get("initContainerStatuses"),
            is_init=True,
            start_failures=pod.reasons,
            regular_containers_created=any(pod.records.get(c["name"]) for c in regular),
        )
        statuses = convert_container_statuses(
            pod.manifest,
            regular,
            flat(regular),
            old.get("containerStatuses"),
            start_failures=pod.reasons,
        )
        by_name = {c["name"]: c for c in [*init, *regular]}
        for status in [*(init_statuses or []), *(statuses or [])]:
            container = by_name[status["name"]]
            latest = pod.latest(status["name"])
            running = latest is not None and latest.get("state") == "running"
            if is_restartable_init_container(container) or container in regular:
                probe = pod.probes.get(status["name"])
                has_probe = bool(container.get("readinessProbe"))
                startup = pod.workers.get((status["name"], "startupProbe"))
                # isContainerStarted: a startup probe must have succeeded on this container.
                started = running and (
                    not container.get("startupProbe")
                    or (
                        startup is not None
                        and startup.result == "Success"
                        and startup.container_id == str(pod.containers[status["name"]].id)
                    )
                )
                status["started"] = started
                status["ready"] = started and (not has_probe or bool(probe and probe.ready))
            else:
                status["started"] = running  # a regular init container has no startup probe
                status["ready"] = bool(
                    latest is not None
                    and latest.get("state") == "exited"
                    and latest.get("exitCode") == 0
                )
        body: dict[str, Any] = {"podIP": pod.ip, "podIPs": [{"ip": pod.ip}]}
        if init_statuses is not None:
            body["initContainerStatuses"] = init_statuses
        if statuses is not None:
            body["containerStatuses"] = statuses
        probe_pod = {**pod.manifest, "status": body}
        phase = api_pod_phase(probe_pod, old_status=old, pod_is_terminal=pod.terminal)
        body["phase"] = phase
        body["conditions"] = list(pod_conditions({**pod.manifest, "status": body}, phase=phase))
        running = any(r and r[0].get("state") == "running" for r in pod.records.values())
        return merge_pod_status(old, body, could_have_running_containers=running)

    def _sync(self, scenario: Scenario, pod: _Pod, now: float) -> None:
        """One pod-worker sync: observe exits, start what is due, probe, compute the status."""
        self._observe_exits(pod, now)
        if pod.deleting:
            self._kill_all(pod, now)
            pod.terminal = True
        elif not pod.terminal:
            self._probe_and_kill(pod, now)
            self._run_containers(scenario, pod, now)
            self._probe(pod, now)
        pod.status = self._status(pod)
        if pod.status.get("phase") in {"Succeeded", "Failed"}:
            pod.terminal = True

    # ------------------------------------------------------------------ a scenario

    def run(
        self, *, on_observation: Callable[[Observation], None] | None = None
    ) -> list[Observation]:
        """Run the scenario for its window and return the pods' status history.

        Raises:
            EngineError: the engine refused a request or the run overran its window.
            Interrupted: :meth:`stop` was called.
        """
        import docker  # noqa: PLC0415

        scenario = self.scenario
        history: list[Observation] = []
        deadline = time.monotonic() + scenario.window + SETUP_MARGIN
        poll = 0
        last: dict[str, Mapping[str, Any]] = {}

        def observe(pod: _Pod, now: float) -> None:
            if last.get(pod.label) == pod.status:
                return
            last[pod.label] = pod.status
            observation = Observation(poll, now, pod.label, pod.uid, pod.status)
            history.append(observation)
            if on_observation is not None:
                on_observation(observation)

        try:
            numbers = {p["metadata"]["name"]: 1 for p in scenario.pods}
            pods = {p["metadata"]["name"]: self._create_pod(scenario, p, 1) for p in scenario.pods}
            started = time.monotonic()
            for pod in pods.values():
                pod.started = started
                observe(pod, 0.0)
            due = sorted(scenario.replacements, key=lambda r: r.at)
            while True:
                if self.stopping.is_set():
                    raise Interrupted("interrupted")
                now = time.monotonic() - started
                if time.monotonic() > deadline:
                    msg = f"scenario {scenario.name} overran its window by {SETUP_MARGIN}s"
                    raise EngineError(msg)
                poll += 1
                while due and due[0].at <= now:
                    pods[due.pop(0).pod].deleting = True
                for name, pod in list(pods.items()):
                    self._sync(scenario, pod, now)
                    # A probe kill blocks the sync for its grace period: stamp the result then.
                    observe(pod, time.monotonic() - started)
                    if pod.deleting and pod.terminal:
                        numbers[name] += 1
                        pods[name] = self._create_pod(scenario, pod.manifest, numbers[name])
                        pods[name].started = started
                        pods[name].origin = time.monotonic() - started
                        observe(pods[name], time.monotonic() - started)
                if now >= scenario.window:
                    break
                time.sleep(POLL_INTERVAL)
        except docker.errors.DockerException as error:
            msg = f"scenario {scenario.name}: the engine refused a request: {error}"
            raise EngineError(msg) from None
        return history
