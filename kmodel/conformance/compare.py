"""Histories of pod statuses, the model's expectation, and the comparison with the engine.

Both sides of a conformance run produce the same thing: a history of :class:`Observation`
(one per change of a pod's API status, with a step number and a time). The model's history
becomes an *expectation* (:func:`expectation_from_history`, the ``expect:`` block of a scenario);
the engine's history becomes an *outcome* (:func:`outcome_from_history`); :func:`compare` lists
their disagreements, Sieve-style::

    pod/crash-once status.phase is Running in the model but Failed on the engine (step 4)

What is compared, per pod instance (``web``, then ``web#2`` after a replacement):

* the sequence of phases and of the Ready condition's status. An entry that lasted no logical
  time in the model is *transient* (written ``Running?``): the engine, which polls, may show it or
  skip it. Everything else must appear, in order, and nothing else may;
* the final phase and every final condition (``status`` or ``status/reason``);
* restart counts, as ranges ``[min, max]``: the engine starts containers more slowly than the
  model's instant starts, so ``min`` is the model's count at half the window and ``max`` its
  count at the end;
* the last termination of each container that has one at the end (``lastState.terminated``
  as ``exitCode/reason``: a crash's code, 137/Error for a container a failed probe killed),
  any value it took in the model's second half-window;
* the order in which init containers started;
* facts across pods: pods have distinct IPs; a replaced pod has a new UID.

A quantity that still changes in the model's second half-window depends on timing (a crash loop's
Ready flag); its sequence is not compared and its final value may be any value it took there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.fields import list_at, mapping_at, read_path

__all__ = [
    "CONDITION_TYPES",
    "Disagreement",
    "Observation",
    "PodOutcome",
    "compare",
    "expectation_from_history",
    "match_sequence",
    "outcome_from_history",
]

#: The conditions the kubelet owns, compared at the end of a run.
CONDITION_TYPES: Final = ("Initialized", "Ready", "ContainersReady", "PodScheduled")
_TRANSIENT: Final = "?"


@dataclass(frozen=True)
class Observation:
    """One observed pod status.

    Attributes:
        step: the observation's number in its history (the model's step, the engine's poll).
        time: seconds since the run started (logical in the model, wall on the engine).
        pod: the pod instance: its name, ``name#2`` for its first replacement, ...
        uid: the pod instance's UID.
        status: the API ``status`` (phase, conditions, container statuses, podIP).
    """

    step: int
    time: float
    pod: str
    uid: str
    status: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The JSON-lines form of the history."""
        return {
            "step": self.step,
            "time": round(self.time, 3),
            "pod": self.pod,
            "uid": self.uid,
            "status": self.status,
        }


@dataclass(frozen=True)
class Disagreement:
    """One quantity on which the model and the engine disagree."""

    scenario: str
    pod: str
    quantity: str
    model: str
    engine: str
    step: int

    @property
    def message(self) -> str:
        """The Sieve-style sentence."""
        subject = f"pod/{self.pod}" if self.pod else f"scenario/{self.scenario}"
        return (
            f"{subject} {self.quantity} is {self.model} in the model "
            f"but {self.engine} on the engine (step {self.step})"
        )

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scenario": self.scenario,
            "pod": self.pod,
            "quantity": self.quantity,
            "model": self.model,
            "engine": self.engine,
            "step": self.step,
            "message": self.message,
        }


@dataclass
class PodOutcome:
    """What one pod instance did, summarised from its history.

    Attributes:
        phases: (value, first step, first time, last time) for each run of equal phases.
        ready: the same for the Ready condition's status.
        final_phase: the last phase.
        final_conditions: condition type -> ``status`` or ``status/reason``.
        restarts: container -> restart count, at the end.
        last_terminations: container -> ``exitCode/reason`` of its last termination, at the end.
        init_order: init containers in the order they first started.
        uid: the instance's UID.
        ip: the pod IP (empty until one is known).
        last_step: the step of the last observation.
    """

    phases: list[tuple[str, int, float, float]]
    ready: list[tuple[str, int, float, float]]
    final_phase: str
    final_conditions: dict[str, str]
    restarts: dict[str, int]
    last_terminations: dict[str, str]
    init_order: list[str]
    uid: str
    ip: str
    last_step: int


def _condition(status: Mapping[str, Any], kind: str) -> str:
    for condition in list_at(status, "conditions"):
        if condition.get("type") == kind:
            reason = condition.get("reason") or ""
            return f"{condition.get('status')}/{reason}" if reason else str(condition.get("status"))
    return "absent"


def _ready(status: Mapping[str, Any]) -> str:
    return _condition(status, "Ready").split("/", 1)[0]


def _last_terminations(status: Mapping[str, Any]) -> dict[str, str]:
    """``exitCode/reason`` of each container's ``lastState.terminated``, where it has one."""
    found: dict[str, str] = {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(key) or []:
            terminated = read_path(entry, "lastState.terminated")
            if terminated is not None:
                found[str(entry.get("name"))] = (
                    f"{terminated.get('exitCode')}/{terminated.get('reason') or ''}"
                )
    return found


def _restarts(status: Mapping[str, Any]) -> dict[str, int]:
    return {
        str(s.get("name")): int(s.get("restartCount", 0))
        for key in ("initContainerStatuses", "containerStatuses")
        for s in status.get(key) or []
    }


def _runs(
    points: Sequence[tuple[int, float, str]], end: float
) -> list[tuple[str, int, float, float]]:
    """Collapse (step, time, value) points into runs of equal values with their time spans."""
    runs: list[tuple[str, int, float, float]] = []
    for step, time, value in points:
        if runs and runs[-1][0] == value:
            continue
        if runs:
            value0, step0, start0, _ = runs[-1]
            runs[-1] = (value0, step0, start0, time)
        runs.append((value, step, time, end))
    return runs


def _by_pod(history: Iterable[Observation]) -> dict[str, list[Observation]]:
    pods: dict[str, list[Observation]] = {}
    for observation in history:
        pods.setdefault(observation.pod, []).append(observation)
    return pods


def outcome_from_history(history: Iterable[Observation], *, end: float) -> dict[str, PodOutcome]:
    """Summarise a history per pod instance (``end`` closes the last run of each sequence)."""
    outcomes: dict[str, PodOutcome] = {}
    grouped = _by_pod(history)
    for pod, observations in grouped.items():
        started: list[str] = []
        for observation in observations:
            for status in list_at(observation.status, "initContainerStatuses"):
                state = mapping_at(status, "state")
                begun = state.get("running") is not None or state.get("terminated") is not None
                if begun and status.get("name") not in started:
                    started.append(str(status.get("name")))
        last = observations[-1]
        phase_points = [
            (o.step, o.time, str(o.status.get("phase", "Pending"))) for o in observations
        ]
        ready_points = [(o.step, o.time, _ready(o.status)) for o in observations]
        # A pod instance ends when it is replaced: its runs close at its last observation.
        instance_end = last.time if pod_replaced(pod, outcomes_names=grouped) else end
        outcomes[pod] = PodOutcome(
            phases=_runs(phase_points, instance_end),
            ready=_runs(ready_points, instance_end),
            final_phase=str(last.status.get("phase", "Pending")),
            final_conditions={kind: _condition(last.status, kind) for kind in CONDITION_TYPES},
            restarts=_restarts(last.status),
            last_terminations=_last_terminations(last.status),
            init_order=started,
            uid=last.uid,
            ip=str(last.status.get("podIP") or ""),
            last_step=last.step,
        )
    return outcomes


def pod_replaced(pod: str, *, outcomes_names: Mapping[str, object]) -> bool:
    """Whether a later instance of this pod exists (``web`` is replaced by ``web#2``)."""
    name, _, number = pod.partition("#")
    return f"{name}#{int(number or 1) + 1}" in outcomes_names


def _value_at(observations: Sequence[Observation], time: float) -> Observation | None:
    current = None
    for observation in observations:
        if observation.time > time:
            break
        current = observation
    return current


def _values_between(
    observations: Sequence[Observation],
    start: float,
    read: Any,  # noqa: ANN401  # a getter
) -> list[Any]:
    """Every value ``read`` gives from ``start`` to the end, in order, without repeats."""
    first = _value_at(observations, start)
    values = [read(first.status)] if first is not None else []
    for observation in observations:
        if observation.time > start:
            value = read(observation.status)
            if value not in values:
                values.append(value)
    return values


def _sequence(runs: Sequence[tuple[str, int, float, float]]) -> list[str]:
    """Model runs as expectation entries: a run that lasted no time is transient."""
    entries = []
    for index, (value, _, start, stop) in enumerate(runs):
        last = index == len(runs) - 1
        entries.append(value if last or stop > start else value + _TRANSIENT)
    return entries


def expectation_from_history(history: Sequence[Observation], *, window: int) -> dict[str, Any]:
    """The ``expect:`` block for a model history observed over ``window`` seconds."""
    outcomes = outcome_from_history(history, end=window)
    by_pod = _by_pod(history)
    half = window / 2
    pods: dict[str, Any] = {}
    for pod, outcome in outcomes.items():
        observations = by_pod[pod]
        replaced = pod_replaced(pod, outcomes_names=outcomes)
        settle_from: float = half if not replaced else observations[-1].time
        ready_values = _values_between(observations, settle_from, _ready)
        conditions: dict[str, Any] = {}
        for kind in CONDITION_TYPES:
            values = _values_between(observations, settle_from, lambda s, k=kind: _condition(s, k))
            conditions[kind] = values[0] if len(values) == 1 else sorted(values)
        at_half = _value_at(observations, settle_from)
        early = _restarts(at_half.status) if at_half is not None else {}
        restarts = {
            name: [early.get(name, 0), count] for name, count in sorted(outcome.restarts.items())
        }
        entry: dict[str, Any] = {
            "phases": _sequence(outcome.phases),
            "ready": _sequence(outcome.ready) if len(ready_values) == 1 else None,
            "phase": outcome.final_phase,
            "conditions": conditions,
            "restarts": restarts,
            "initOrder": outcome.init_order,
        }
        terminations: dict[str, Any] = {}
        for name in sorted(outcome.last_terminations):
            values = [
                v
                for v in _values_between(
                    observations, settle_from, lambda s, n=name: _last_terminations(s).get(n)
                )
                if v is not None
            ]
            terminations[name] = values[0] if len(values) == 1 else sorted(values)
        if terminations:
            entry["lastTerminations"] = terminations
        pods[pod] = entry
    first_instances = [o for p, o in outcomes.items() if "#" not in p]
    ips = [o.ip for o in first_instances]
    facts: dict[str, Any] = {}
    if len(first_instances) > 1:
        facts["distinctPodIPs"] = len(set(ips)) == len(ips) and all(ips)
    replaced_names = {p.partition("#")[0] for p in outcomes if "#" in p}
    if replaced_names:
        facts["newUIDOnReplace"] = all(
            len({o.uid for p, o in outcomes.items() if p.partition("#")[0] == name})
            == sum(1 for p in outcomes if p.partition("#")[0] == name)
            for name in replaced_names
        )
    return {"window": window, "pods": pods, "facts": facts}


def match_sequence(pattern: Sequence[str], observed: Sequence[str]) -> int | None:
    """Match an observed sequence against an expected one with transient (``?``) entries.

    Returns None when they match, else the index in ``observed`` where matching fails
    (``len(observed)`` when ``observed`` stops short of a required entry).
    """
    entries = [(p.removesuffix(_TRANSIENT), p.endswith(_TRANSIENT)) for p in pattern]

    def closure(positions: set[int]) -> set[int]:
        result = set(positions)
        for position in sorted(positions):
            cursor = position
            while cursor < len(entries) and entries[cursor][1]:
                cursor += 1
                result.add(cursor)
        return result

    positions = closure({0})
    for index, value in enumerate(observed):
        positions = closure(
            {p + 1 for p in positions if p < len(entries) and entries[p][0] == value}
        )
        if not positions:
            return index
    if len(entries) not in positions:
        return len(observed)
    return None


def _show(sequence: Sequence[str]) -> str:
    return " -> ".join(sequence) if sequence else "(nothing)"


def _check_expectation(expect: Mapping[str, Any]) -> Mapping[str, Any]:
    pods = expect.get("pods")
    if not isinstance(pods, Mapping):
        raise InputError("the expectation has no pods", path="expect.pods")
    return pods


def compare(
    scenario: str, expect: Mapping[str, Any], engine: Mapping[str, PodOutcome]
) -> list[Disagreement]:
    """Every disagreement between the model's expectation and the engine's outcome."""
    pods = _check_expectation(expect)
    found: list[Disagreement] = []

    def disagree(pod: str, quantity: str, model: object, observed: object, step: int) -> None:
        found.append(Disagreement(scenario, pod, quantity, str(model), str(observed), step))

    for pod, wanted in pods.items():
        outcome = engine.get(pod)
        if outcome is None:
            disagree(pod, "existence", "present", "absent", 0)
            continue
        for quantity, runs, pattern in (
            ("status.phase sequence", outcome.phases, wanted.get("phases")),
            ("Ready sequence", outcome.ready, wanted.get("ready")),
        ):
            if pattern is None:
                continue
            observed = [run[0] for run in runs]
            failed = match_sequence(pattern, observed)
            if failed is not None:
                step = runs[failed][1] if failed < len(runs) else outcome.last_step
                disagree(pod, quantity, _show(pattern), _show(observed), step)
        if outcome.final_phase != wanted.get("phase"):
            disagree(
                pod, "status.phase", wanted.get("phase"), outcome.final_phase, outcome.last_step
            )
        for kind, allowed in mapping_at(wanted, "conditions").items():
            options = allowed if isinstance(allowed, list) else [allowed]
            actual = outcome.final_conditions.get(kind, "absent")
            if actual not in options:
                shown = " or ".join(options)
                disagree(pod, f"condition {kind}", shown, actual, outcome.last_step)
        for name, bounds in mapping_at(wanted, "restarts").items():
            low, high = bounds
            actual_count = outcome.restarts.get(name, 0)
            if not low <= actual_count <= high:
                shown = str(low) if low == high else f"{low}..{high}"
                disagree(pod, f"restartCount of {name}", shown, actual_count, outcome.last_step)
        for name, allowed in mapping_at(wanted, "lastTerminations").items():
            options = allowed if isinstance(allowed, list) else [allowed]
            actual = outcome.last_terminations.get(name, "none")
            if actual not in options:
                shown = " or ".join(options)
                disagree(pod, f"last termination of {name}", shown, actual, outcome.last_step)
        if list(list_at(wanted, "initOrder")) != outcome.init_order:
            disagree(
                pod,
                "init order",
                _show(list_at(wanted, "initOrder")),
                _show(outcome.init_order),
                outcome.last_step,
            )
    for pod, outcome in engine.items():
        if pod not in pods:
            disagree(pod, "existence", "absent", "present", outcome.last_step)
    last_step = max((o.last_step for o in engine.values()), default=0)
    facts = mapping_at(expect, "facts")
    first = [o for p, o in engine.items() if "#" not in p]
    if "distinctPodIPs" in facts:
        ips = [o.ip for o in first]
        distinct = len(set(ips)) == len(ips) and all(ips)
        if distinct != facts["distinctPodIPs"]:
            shown = "distinct" if distinct else "shared: " + ", ".join(ips)
            model = "distinct" if facts["distinctPodIPs"] else "shared"
            disagree("", "pod IPs", model, shown, last_step)
    if "newUIDOnReplace" in facts:
        uids = [o.uid for o in engine.values()]
        fresh = len(set(uids)) == len(uids)
        if fresh != facts["newUIDOnReplace"]:
            disagree(
                "", "UIDs of replaced pods", "new", "reused" if not fresh else "new", last_step
            )
    return found
