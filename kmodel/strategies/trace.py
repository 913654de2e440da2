"""Traces of worst cases: a kmodel trace (schema version 1) plus what rebuilds the scenario.

A strategy trace is a ``kmodel_trace: 1`` file (see :mod:`kmodel.explore.trace`) whose
``invariant`` is the figure (``min_capacity``, ``bad_share``, ...) and whose ``violation`` says
the worst value reached, with one more key that readers of version 1 ignore::

    "strategy": {"spec": "specs/strategies/web-release.yaml", "name": "eb-rolling",
                 "failure": "crash", "figure": "min_capacity", "value": "1",
                 "capacity": 3, "window": 600, "start": {"step": 1, "time": 20},
                 "new_image": str, "bad_image": str|null,
                 "samples": [{"step", "time", "capacity", "good_capacity", "extra",
                              "routes": {image: "p/q"}, "outcome", "new_group_healthy"}]}

``steps`` are the chosen actions (the first starts the deployment); ``settle`` counts the steps
the components took afterwards to end the deployment and close the traffic window;
``availability`` is the serving capacity after each step from the start to the end of the
deployment. ``samples`` are what the meter saw after each step (``routes``: the share of the
traffic each image serves from then on, failed requests under ``""``): every figure is a fold
over them, so a reader can recompute the figure from the trace alone.
:func:`replay_strategy_trace` rebuilds the scenario from the spec, re-runs the actions and
reproduces the figure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from kmodel.errors import InputError
from kmodel.explore.trace import Trace, load_trace, settle_changes, trace_steps
from kmodel.invariants import Violation
from kmodel.objects.manifests import read_json_file
from kmodel.strategies.compare import Value, Witness, figure_values
from kmodel.strategies.run import StrategyRun, run_strategy
from kmodel.strategies.spec import StrategiesSpec, load_strategies_spec

__all__ = [
    "StrategyTrace",
    "format_value",
    "is_strategy_trace",
    "load_strategy_trace",
    "make_strategy_trace",
    "replay_strategy_trace",
]


def format_value(value: Value) -> str:
    """A figure as text: an integer, a fraction rounded to four decimals, or ``never``."""
    if value is None:
        return "never"
    if isinstance(value, Fraction):
        return f"{float(value):.4f}"
    return str(value)


def _figure_violation(run: StrategyRun, strategy: str, failure: str, figure: str) -> Violation:
    """A figure's worst value as a violation; naming the replacement loop the run stopped at."""
    value = format_value(figure_values(run)[figure])
    release = "a good release" if failure == "none" else f"the {failure} release"
    message = f"{figure} reaches {value} under {strategy} with {release}"
    if run.replacement_loop is not None:
        message += f" (the run stopped at a replacement loop: {run.replacement_loop})"
    return Violation(figure, message, {"strategy": strategy, "failure": failure, "value": value})


@dataclass(frozen=True)
class StrategyTrace:
    """A worst-case trace and the scenario it belongs to."""

    trace: Trace
    spec: str
    strategy: str
    failure: str
    figure: str
    value: str
    #: The rest of the ``strategy`` block (capacity, window, start, images, samples).
    measured: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The trace's JSON, with the ``strategy`` block."""
        data = self.trace.as_json()
        data["strategy"] = {
            **self.measured,
            "spec": self.spec,
            "name": self.strategy,
            "failure": self.failure,
            "figure": self.figure,
            "value": self.value,
        }
        return data

    def dumps(self) -> str:
        """Canonical JSON text (sorted keys, newline at the end)."""
        return json.dumps(self.as_json(), indent=2, sort_keys=True) + "\n"


def _trace_of(run: StrategyRun, spec: StrategiesSpec, violation: Violation) -> Trace:
    return Trace(
        spec=spec.path,
        spec_digest=spec.digest,
        seed=spec.options.seed,
        invariant=violation.invariant,
        violation=violation,
        at_fixpoint=True,
        steps=trace_steps(run.steps),
        settle_steps=len(run.settle_steps),
        settle_changes=settle_changes(run.settle_steps),
        availability=tuple(run.meter.figures.capacity_series),
    )


def make_strategy_trace(
    spec: StrategiesSpec,
    strategy: str,
    failure: str,
    witness: Witness,
    *,
    run: StrategyRun | None = None,
) -> StrategyTrace:
    """Re-run a witness on a fresh scenario and record it as a trace.

    ``run``: the witness's actions already run on a fresh scenario (runs are deterministic, so
    witnesses with the same actions share one).
    """
    if run is None:
        run = run_strategy(spec.scenario(strategy, failure), witness.actions)
    violation = _figure_violation(run, strategy, failure, witness.figure)
    meter = run.meter
    started = meter.started or (0, 0)
    measured = {
        "capacity": meter.capacity_wanted,
        "window": meter.window,
        "start": {"step": started[0], "time": started[1]},
        "new_image": meter.new_image,
        "bad_image": meter.bad_image,
        "samples": [sample.as_json() for sample in meter.figures.samples],
    }
    return StrategyTrace(
        _trace_of(run, spec, violation),
        spec.path,
        strategy,
        failure,
        witness.figure,
        violation.values["value"],
        measured,
    )


def is_strategy_trace(path: str | Path) -> bool:
    """Whether a file is a strategy trace (a kmodel trace with a ``strategy`` block)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, Mapping) and "kmodel_trace" in data and "strategy" in data


def load_strategy_trace(path: str | Path) -> StrategyTrace:
    """Read a strategy trace.

    Raises:
        InputError: not a kmodel trace, not a strategy trace, or malformed.
    """
    file = str(path)
    trace = load_trace(path)
    data = read_json_file(path)
    block = data.get("strategy")
    if not isinstance(block, Mapping):
        raise InputError("not a strategy trace (no strategy block)", file=file, path="strategy")
    named = {"spec", "name", "failure", "figure", "value"}
    try:
        return StrategyTrace(
            trace,
            str(block["spec"]),
            str(block["name"]),
            str(block["failure"]),
            str(block["figure"]),
            str(block["value"]),
            {k: v for k, v in block.items() if k not in named},
        )
    except KeyError as error:
        raise InputError(
            f"malformed strategy block: no {error}", file=file, path="strategy"
        ) from None


def replay_strategy_trace(
    trace: StrategyTrace, *, spec_path: str | Path | None = None, validate: str = "strict"
) -> tuple[StrategyRun, Violation | None, bool]:
    """Re-run a strategy trace against a fresh scenario built from its spec.

    Returns the run, the figure's violation if the run reaches the recorded value again
    (None if it no longer does), and True (figures are judged when the deployment has ended).
    The same signature as :func:`kmodel.explore.trace.replay`, so ``kmodel replay`` can use it.
    """
    spec = load_strategies_spec(spec_path or trace.spec, validate=validate)
    run = run_strategy(spec.scenario(trace.strategy, trace.failure), trace.trace.actions)
    values = figure_values(run)
    if trace.figure not in values:
        raise InputError(f"unknown figure {trace.figure!r}", path="strategy.figure")
    if format_value(values[trace.figure]) != trace.value:
        return run, None, True
    return run, _figure_violation(run, trace.strategy, trace.failure, trace.figure), True
