"""Container probes as the kubelet's prober runs them: when a probe's result changes.

Mirrors ``pkg/kubelet/prober/worker.go`` (``newWorker``, ``run``, ``doProbe``),
``pkg/kubelet/prober/prober_manager.go`` (``UpdatePodStatus``, ``isContainerStarted``),
``pkg/apis/core/v1/defaults.go SetDefaults_Probe`` and the kill decision of
``pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions`` with
``kuberuntime_container.go setTerminationGracePeriod``/``killContainer``.

The model has no wall clock and no real process: what a container *answers* over a run is a
:class:`ProbeAnswers` (a step function of the seconds since it started), and
:func:`probe_results` returns, in closed form, every change of the worker's result over that
run, so the kubelet knows on any logical time what the prober would have written by then.

Times are logical seconds; the worker ticks at ``origin + k * periodSeconds`` (``k >= 0``: the
first probe runs when the worker starts, then the ticker fires), as ``run`` does after its
start-up jitter, which the model leaves out (the kubelet in the model never "just started").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from kmodel.objects.fields import mapping_at

__all__ = [
    "DEFAULT_TERMINATION_GRACE_SECONDS",
    "MINIMUM_GRACE_SECONDS",
    "ProbeAnswers",
    "ProbeChange",
    "ProbeTimings",
    "ProbeType",
    "ProbeWorker",
    "do_probe",
    "kill_grace_seconds",
    "probe_results",
    "probe_timings",
    "readiness_result",
]

ProbeType = Literal["liveness", "startup"]
Result = Literal["Success", "Failure", "Unknown"]

#: ``kuberuntime_container.go minimumGracePeriodInSeconds``.
MINIMUM_GRACE_SECONDS: Final = 2
#: ``v1.DefaultTerminationGracePeriodSeconds`` (the API server defaults the pod field to it).
DEFAULT_TERMINATION_GRACE_SECONDS: Final = 30
#: ``newWorker``: the result a worker reports before its first decisive probe.
INITIAL_RESULT: Final[Mapping[str, Result]] = {"liveness": "Success", "startup": "Unknown"}


@dataclass(frozen=True)
class ProbeTimings:
    """A probe's timing fields after ``SetDefaults_Probe`` (zero or absent -> the default)."""

    initial_delay: int = 0
    period: int = 10
    timeout: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3


def probe_timings(probe: Mapping[str, Any]) -> ProbeTimings:
    """The timings of a probe manifest, defaulted as ``SetDefaults_Probe`` does."""

    def field(name: str, default: int) -> int:
        value = int(probe.get(name) or 0)
        return value if value > 0 else default

    return ProbeTimings(
        initial_delay=max(int(probe.get("initialDelaySeconds") or 0), 0),
        period=field("periodSeconds", 10),
        timeout=field("timeoutSeconds", 1),
        success_threshold=field("successThreshold", 1),
        failure_threshold=field("failureThreshold", 3),
    )


@dataclass(frozen=True)
class ProbeAnswers:
    """What a container run answers to a probe, by seconds since the run started.

    The probe passes from ``passes_from`` (None: never) until ``fails_from`` (None: for good);
    each probe takes ``latency`` seconds, and one that takes ``timeoutSeconds`` or more fails
    (the exec prober's context deadline) with its result known at the deadline.
    """

    passes_from: int | None = 0
    fails_from: int | None = None
    latency: int = 0


@dataclass(frozen=True)
class ProbeChange:
    """The worker's result becomes ``result`` at logical time ``at`` (``resultsManager.Set``)."""

    at: int
    result: Result


@dataclass
class ProbeWorker:
    """One probe worker's state (``prober/worker.go worker``), for a driver that probes for real.

    :func:`do_probe` runs one probe on it; :func:`probe_results` gives the same results in
    closed form for the model's programs.
    """

    probe_type: ProbeType
    timings: ProbeTimings
    #: The result the worker reports (``resultsManager``); the initial value until a decision.
    result: Result = "Unknown"
    container_id: str = ""
    last_result: Result | None = None
    result_run: int = 0
    on_hold: bool = False

    def __post_init__(self) -> None:
        self.result = INITIAL_RESULT[self.probe_type]


def do_probe(  # one return per early exit of doProbe
    worker: ProbeWorker,
    *,
    container_id: str,
    running: bool,
    running_for: float,
    started: bool,
    deleting: bool,
    probe: Callable[[], bool],
) -> None:
    """Probe a container once and record the result, as ``worker.doProbe`` does.

    A new container ID resets the result to the worker's initial value and lifts the hold; a
    container that is not running makes the result Failure; a pod being deleted makes liveness
    and startup Success; no probe runs before ``initialDelaySeconds`` (whole seconds), nor for
    the startup probe once the container started, nor for the others before it started. A
    result is recorded after ``successThreshold``/``failureThreshold`` equal results in a row;
    a liveness or startup failure holds the worker until the next container.

    Args:
        worker: the worker's state, updated in place.
        container_id: the container's runtime ID (``status.containerID``).
        running: the container is running.
        running_for: seconds since it started.
        started: ``status.started`` as the status manager holds it.
        deleting: the pod has a ``deletionTimestamp``.
        probe: runs the probe handler and says whether it succeeded.
    """
    if container_id != worker.container_id:
        worker.container_id = container_id
        worker.result = INITIAL_RESULT[worker.probe_type]
        worker.on_hold = False
    if worker.on_hold:
        return
    if not running:
        worker.result = "Failure"
        return
    if deleting:
        worker.result = "Success"
        return
    if int(running_for) < worker.timings.initial_delay:
        return
    if started == (worker.probe_type == "startup"):
        return  # startup probes stop once started; the others wait for it
    result: Result = "Success" if probe() else "Failure"
    if worker.last_result == result:
        worker.result_run += 1
    else:
        worker.last_result, worker.result_run = result, 1
    threshold = (
        worker.timings.failure_threshold
        if result == "Failure"
        else worker.timings.success_threshold
    )
    if worker.result_run < threshold:
        return
    worker.result = result
    if result == "Failure":
        worker.on_hold, worker.result_run = True, 0


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def probe_results(
    probe_type: ProbeType,
    timings: ProbeTimings,
    answers: ProbeAnswers,
    *,
    origin: int,
    started_at: int,
    probing_from: int | None = None,
) -> list[ProbeChange]:
    """Every change of a probe worker's result over one container run, in time order.

    Mirrors ``worker.doProbe`` tick by tick, in closed form: a tick ``T`` (``origin + k *
    period``) probes the run only when ``T - started_at >= initialDelaySeconds`` (the seconds
    truncated, as ``int32(time.Since(...).Seconds())``) and, for liveness, once the container
    counts as started (``probing_from``: when ``c.Started`` became true; liveness probes from
    the next tick on, the startup worker stops probing then). A result is written after
    ``successThreshold`` (``failureThreshold``) equal results in a row (``resultRun``); a
    failure puts the worker on hold until the next container (``onHold``), so nothing follows
    it. The initial value (``newWorker``: liveness Success, startup Unknown) is written when the
    worker sees the container (not listed). Upstream's ``resultRun`` carries over to a new
    container when the old one exited by itself; here each run counts from zero.

    Args:
        probe_type: ``liveness`` or ``startup``.
        timings: the defaulted probe fields.
        answers: what the run answers.
        origin: when the pod's probe workers started (``AddPod``), the ticker's phase.
        started_at: when the container run started (``State.Running.StartedAt``).
        probing_from: for liveness, when the container became started
            (``isContainerStarted``); None: not yet, so no probe runs.

    Returns:
        The changes.
    """
    gate = started_at if probe_type == "startup" else probing_from
    if gate is None:
        return []
    # First tick that probes: T >= started_at + initial delay, T >= gate; liveness probes only
    # after the container counts as started in the status (strictly later than that).
    earliest = max(started_at + timings.initial_delay, gate + (0 if probe_type == "startup" else 1))
    first = max(0, _ceil_div(earliest - origin, timings.period))
    timed_out = answers.latency >= timings.timeout
    delay = timings.timeout if timed_out else answers.latency

    def tick(index: int) -> int:
        return origin + index * timings.period

    def first_tick_at_offset(offset: int | None) -> int | None:
        """Index of the first probing tick at or after ``started_at + offset``."""
        if offset is None:
            return None
        return max(first, _ceil_div(started_at + offset - origin, timings.period))

    # Segments of ticks with one answer: [first, pass) fail, [pass, stop) pass, [stop, inf) fail.
    passes = None if timed_out else first_tick_at_offset(answers.passes_from)
    stops = first_tick_at_offset(answers.fails_from)
    if passes is not None and stops is not None and stops <= passes:
        passes = None
    segments: list[tuple[int, int | None, Result]] = []
    if passes is None:
        segments.append((first, None, "Failure"))
    else:
        if passes > first:
            segments.append((first, passes, "Failure"))
        segments.append((passes, stops, "Success"))
        if stops is not None:
            segments.append((stops, None, "Failure"))
    changes: list[ProbeChange] = []
    current = INITIAL_RESULT[probe_type]
    for start, end, result in segments:
        threshold = timings.success_threshold if result == "Success" else timings.failure_threshold
        decisive = start + threshold - 1
        if end is not None and decisive >= end:
            continue
        if result != current:
            changes.append(ProbeChange(tick(decisive) + delay, result))
            current = result
        if result == "Failure" or probe_type == "startup":
            # A failure: on hold until a new container. A startup success: the container has
            # started and the startup worker stops probing it.
            break
    return changes


def readiness_result(
    timings: ProbeTimings,
    answers: ProbeAnswers,
    *,
    origin: int,
    started_at: int,
    probing_from: int | None,
    now: int,
) -> bool:
    """Whether a running container's readiness result is Success at ``now``.

    Mirrors ``prober_manager.go UpdatePodStatus`` with the readiness worker's ``doProbe``: a
    container that is not started is not ready (``probing_from`` None or later). Once it is
    started, a result that is not Success triggers an immediate probe (``manualTriggerCh``) at
    each status update, so it turns ready as soon as the probe can pass: ``initialDelaySeconds``
    elapsed and the container answering within ``timeoutSeconds``. A container whose answers
    already fail by then (its startup probe passed too late) is never ready. Once ready, it
    turns unready only on the ticker (``origin + k * periodSeconds``): at the
    ``failureThreshold``-th failed probe in a row.
    """
    if probing_from is None or now < probing_from:
        return False
    if answers.passes_from is None or answers.latency >= timings.timeout:
        return False
    ready_from = max(timings.initial_delay, answers.passes_from)
    if now - started_at < ready_from:
        return False
    if answers.fails_from is None:
        return True
    failing_from = started_at + answers.fails_from
    if failing_from <= max(started_at + ready_from, probing_from):
        # Every probe that may run (from its start, past the delay) fails: the worker's
        # initial Failure stands, as doProbe never sets a Success.
        return False
    first = max(0, _ceil_div(failing_from - origin, timings.period))
    unready_at = origin + (first + timings.failure_threshold - 1) * timings.period + answers.latency
    return now < unready_at


def kill_grace_seconds(pod: Mapping[str, Any], probe: Mapping[str, Any] | None) -> int:
    """How long the kubelet waits between SIGTERM and SIGKILL for a probe failure.

    Mirrors ``setTerminationGracePeriod`` for the reasons ``LivenessProbe``/``StartupProbe``:
    the pod's ``deletionGracePeriodSeconds`` if set, else the probe's
    ``terminationGracePeriodSeconds`` if set, else the pod's ``terminationGracePeriodSeconds``;
    then ``killContainer`` raises it to at least ``minimumGracePeriodInSeconds`` (2).
    """
    metadata = mapping_at(pod, "metadata")
    spec = mapping_at(pod, "spec")
    if metadata.get("deletionGracePeriodSeconds") is not None:
        grace = int(metadata["deletionGracePeriodSeconds"])
    elif (probe or {}).get("terminationGracePeriodSeconds") is not None:
        grace = int((probe or {})["terminationGracePeriodSeconds"])
    elif spec.get("terminationGracePeriodSeconds") is not None:
        grace = int(spec["terminationGracePeriodSeconds"])
    else:
        grace = DEFAULT_TERMINATION_GRACE_SECONDS
    return max(grace, MINIMUM_GRACE_SECONDS)
