"""Counterexample traces: what happened, step by step, saved as JSON and replayed exactly.

Trace files are JSON objects with a versioned schema (``"kmodel_trace": 1``), documented in the
README ("Traces")::

    {"kmodel_trace": 1,
     "spec": "specs/rollout.yaml", "spec_digest": "…", "seed": 0,
     "invariant": "min_available",
     "violation": {"invariant": …, "message": …, "values": {…}},
     "at_fixpoint": false,
     "steps": [{"index": 1, "time": 0, "action": {"action": "set-image", …},
                "description": "user rolls out …",
                "changes": [{"type": "MODIFIED", "kind": "Deployment", …, "summary": …}],
                "errors": []}, …],
     "settle": {"steps": 12, "changes": […]},
     "availability": [[step, ready endpoints], …], "ready_pods": [[step, Ready pods], …]}

Keys are sorted and no wall-clock time is written, so the same spec and seed give a
byte-identical file. :func:`replay` re-runs the actions against a fresh cluster built from the
spec and returns the violation it reproduces.
"""

from __future__ import annotations

import json
import os
import pprint
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from kmodel.cluster.actions import Action, action_from_json
from kmodel.cluster.model import Change, Step
from kmodel.errors import InputError
from kmodel.explore.run import Run
from kmodel.explore.search import Finding, StaleActionError, run_actions
from kmodel.explore.spec import Spec, load_spec
from kmodel.explore.trace_format import TraceFormat
from kmodel.internal.formats import parse_format
from kmodel.invariants import Violation
from kmodel.objects.manifests import read_json_file

__all__ = [
    "TRACE_VERSION",
    "Replay",
    "Trace",
    "emit_pytest",
    "load_trace",
    "make_trace",
    "merge_changes",
    "replay",
    "settle_changes",
    "trace_steps",
]

TRACE_VERSION: Final = 1


@dataclass(frozen=True)
class TraceStep:
    """One step of a trace."""

    index: int
    time: int
    action: Action
    description: str
    changes: tuple[Change, ...]
    errors: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "index": self.index,
            "time": self.time,
            "action": self.action.as_json(),
            "description": self.description,
            "changes": [c.as_json() for c in self.changes],
            "errors": list(self.errors),
        }


@dataclass(frozen=True)
class Trace:
    """A counterexample: the spec, the steps, and the violated invariant at the end."""

    spec: str
    spec_digest: str
    seed: int
    invariant: str
    violation: Violation
    at_fixpoint: bool
    steps: tuple[TraceStep, ...]
    settle_steps: int = 0
    settle_changes: tuple[Change, ...] = field(default_factory=tuple)
    availability: tuple[tuple[int, int], ...] = ()
    ready_pods: tuple[tuple[int, int], ...] = ()

    @property
    def actions(self) -> list[Action]:
        """The chosen actions, in order."""
        return [s.action for s in self.steps]

    def as_json(self) -> dict[str, Any]:
        """The versioned JSON form."""
        return {
            "kmodel_trace": TRACE_VERSION,
            "spec": self.spec,
            "spec_digest": self.spec_digest,
            "seed": self.seed,
            "invariant": self.invariant,
            "violation": self.violation.as_json(),
            "at_fixpoint": self.at_fixpoint,
            "steps": [s.as_json() for s in self.steps],
            "settle": {
                "steps": self.settle_steps,
                "changes": [c.as_json() for c in self.settle_changes],
            },
            "availability": [list(p) for p in self.availability],
            "ready_pods": [list(p) for p in self.ready_pods],
        }

    def dumps(self) -> str:
        """Canonical JSON text (sorted keys, newline at the end)."""
        return json.dumps(self.as_json(), indent=2, sort_keys=True) + "\n"


def merge_changes(changes: Sequence[Change]) -> tuple[Change, ...]:
    """One entry per object: repeated changes of an object within a step merged into one.

    The entry stands where the object first changed and carries its last summary. Its type says
    what the step did to the object overall: ``ADDED`` (created, then perhaps changed),
    ``DELETED`` (deleted at the end; "created and deleted" when both happened in the step) or
    ``MODIFIED``.
    """
    order: list[tuple[str, str, str]] = []
    seen: dict[tuple[str, str, str], list[Change]] = {}
    for change in changes:
        key = (change.kind, change.namespace, change.name)
        if key not in seen:
            order.append(key)
            seen[key] = []
        seen[key].append(change)
    merged = []
    for key in order:
        first, last = seen[key][0], seen[key][-1]
        if len(seen[key]) == 1:
            merged.append(first)
        elif last.type == "DELETED":
            note = "created and deleted" if first.type == "ADDED" else ""
            summary = " ".join(x for x in (note, last.summary) if x)
            merged.append(replace(last, summary=summary))
        else:
            merged.append(replace(last, type="ADDED" if first.type == "ADDED" else "MODIFIED"))
    return tuple(merged)


def trace_steps(steps: Sequence[Step]) -> tuple[TraceStep, ...]:
    """Chosen steps as trace steps, numbered from 1, each object's changes merged.

    The cluster's own set-up steps are not part of a trace.
    """
    return tuple(
        TraceStep(i, s.time, s.action, s.action.describe(), merge_changes(s.changes), s.errors)
        for i, s in enumerate(steps, start=1)
    )


def settle_changes(steps: Sequence[Step]) -> tuple[Change, ...]:
    """What the settling steps changed (upkeep such as heartbeats left out), merged per step."""
    return tuple(c for s in steps if not s.action.maintenance for c in merge_changes(s.changes))


def _availability(run: Run) -> tuple[tuple[int, int], ...]:
    """Serving capacity after each chosen step (for the plot): (step index, ready endpoints)."""
    return tuple(run.availability)


def make_trace(spec: Spec, finding: Finding) -> Trace:
    """Replay a finding on a fresh run and record every step."""
    run, violation, at_fixpoint = run_actions(spec.scenario, list(finding.actions))
    if violation is None:
        violation = finding.violation
    return Trace(
        spec=spec.path,
        spec_digest=spec.digest,
        seed=spec.options.seed,
        invariant=finding.invariant,
        violation=violation,
        at_fixpoint=at_fixpoint,
        steps=trace_steps(run.steps),
        settle_steps=len(run.settle_steps),
        settle_changes=settle_changes(run.settle_steps),
        availability=_availability(run),
        ready_pods=tuple(run.ready),
    )


def load_trace(path: str | Path) -> Trace:
    """Read a trace file.

    Raises:
        InputError: not a kmodel trace, another schema version, or malformed.
    """
    file = str(path)
    data = read_json_file(path)  # the manifests' limits; a repeated key is refused
    if not isinstance(data, Mapping) or "kmodel_trace" not in data:
        raise InputError("not a kmodel trace (no kmodel_trace key)", file=file)
    if data["kmodel_trace"] != TRACE_VERSION:
        raise InputError(
            f"trace schema version {data['kmodel_trace']!r}; "
            f"this kmodel reads version {TRACE_VERSION}",
            file=file,
            path="kmodel_trace",
        )
    trace = parse_format(TraceFormat, data, file=file)
    steps = []
    for i, step in enumerate(trace.steps):
        try:
            action = action_from_json(step.action)
        except (KeyError, TypeError, ValueError) as error:
            message = f"not an action kmodel knows: {error!r}"
            raise InputError(message, file=file, path=f"steps[{i}].action") from None
        steps.append(
            TraceStep(
                step.index,
                step.time,
                action,
                step.description,
                tuple(Change(**change.model_dump()) for change in step.changes),
                tuple(step.errors),
            )
        )
    return Trace(
        spec=trace.spec,
        spec_digest=trace.spec_digest,
        seed=trace.seed,
        invariant=trace.invariant,
        violation=Violation(**trace.violation.model_dump()),
        at_fixpoint=trace.at_fixpoint,
        steps=tuple(steps),
        settle_steps=trace.settle.steps,
    )


@dataclass(frozen=True)
class Replay:
    """What re-running a trace's actions against a spec gave.

    Attributes:
        run: the run (up to the stale step, if any).
        violation: the violation found, None if none (or if a step no longer applies).
        at_fixpoint: whether the violation was found once the components settled.
        spec_digest: the digest of the spec replayed against (compare with the trace's).
        stale: the first recorded step that is not possible at its point, if any: then the
            actions do not fit the spec and the replay proves nothing either way.
    """

    run: Run
    violation: Violation | None
    at_fixpoint: bool
    spec_digest: str
    stale: StaleActionError | None = None


def replay(
    trace: Trace, *, spec_path: str | Path | None = None, validate: str = "strict"
) -> Replay:
    """Re-run a trace's actions against a fresh cluster built from its spec (or ``spec_path``).

    ``validate`` is the spec's manifests' ``--validate`` mode, as ``kmodel check`` took it.

    Each recorded action must be among the actions possible at its step, as it was when
    exploration chose it; the first that is not ends the replay (:attr:`Replay.stale`).
    """
    spec = load_spec(spec_path or trace.spec, validate=validate)
    try:
        run, violation, at_fixpoint = run_actions(spec.scenario, trace.actions)
    except StaleActionError as stale:
        return Replay(stale.run, None, at_fixpoint=False, spec_digest=spec.digest, stale=stale)
    return Replay(run, violation, at_fixpoint, spec.digest)


def emit_pytest(
    trace: Trace, *, spec_path: str | None = None, test_file: str | Path | None = None
) -> str:
    """A plain pytest test that reproduces the trace without Hypothesis.

    Args:
        trace: the trace to reproduce.
        spec_path: the spec to run the actions against (default: the trace's own spec).
        test_file: where the test will be written; the spec is then found relative to the
            test's folder, so the test runs from any working directory and survives moving the
            project. Without it the spec's absolute path is written.
    """
    spec = spec_path or trace.spec
    if test_file is not None:
        relative = os.path.relpath(Path(spec).resolve(), Path(test_file).resolve().parent)
        spec_expression = f"Path(__file__).parent / {Path(relative).as_posix()!r}"
    else:
        spec_expression = repr(str(Path(spec).resolve()))
    actions = ",\n".join(
        f"        {json.dumps(a.as_json(), sort_keys=True)}" for a in trace.actions
    )
    steps = "\n".join(f"#   {s.index}. {s.description}" for s in trace.steps)
    name = "".join(c if c.isalnum() else "_" for c in trace.invariant)
    # The recorded values as JSON gave them (the run's may be tuples where JSON has lists).
    values = pprint.pformat(
        json.loads(json.dumps(dict(trace.violation.values), sort_keys=True)), sort_dicts=True
    )
    return f'''"""Regression test written by `kmodel replay --emit-pytest`.

Spec: {spec}
Invariant: {trace.invariant}
Violation: {trace.violation.message}
"""

# Steps:
{steps}

import json
from pathlib import Path

from kmodel.cluster.actions import action_from_json
from kmodel.explore.search import run_actions
from kmodel.explore.spec import load_spec

SPEC = {spec_expression}
INVARIANT = {trace.invariant!r}
MESSAGE = {trace.violation.message!r}
VALUES = {values}
ACTIONS = [
{actions},
]


def test_{name}_is_violated_as_recorded():
    spec = load_spec(SPEC)
    _, violation, _ = run_actions(spec.scenario, [action_from_json(a) for a in ACTIONS])
    assert violation is not None, "the recorded steps no longer violate any invariant"
    assert violation.invariant == INVARIANT
    assert json.loads(json.dumps(dict(violation.values), sort_keys=True)) == VALUES
    assert violation.message == MESSAGE
'''
