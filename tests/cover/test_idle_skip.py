"""Settling takes idle ticks as one longer tick only where ticking one at a time does the same.

``Cluster.settle`` with ``quiet`` (as ``Run.finish`` calls it) probes the next idle tick with a
watched clock (``Cluster.idle_window``) and merges the ticks whose states are idle into one.
Each test settles the same runs both ways (the probe switched off for the second) and compares
everything but the number of tick steps: the non-tick steps with their times and changes, the
violations, the final store, clock and invariant history.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from kmodel.cluster.clock import Tick
from kmodel.cluster.model import Cluster, ClusterConfig, Program, Step
from kmodel.explore.run import Run, Scenario, UserAction
from kmodel.invariants import History, Invariant, Monitor, Violation
from tests.helpers.cluster import node
from tests.helpers.scheduling import make_deployment


def _scenario(invariants: list[Invariant]) -> Scenario:
    # Time-driven work inside the idle phase: a slow start, a crashing container (back-off),
    # and a node crash (grace period, taints, eviction after 300 s).
    containers = {
        "web": [{"name": "app", "image": "slow:1"}],
        "job": [{"name": "app", "image": "crash:1"}],
    }
    return Scenario(
        objects=[
            node("n1"),
            node("n2", zone="b"),
            *(make_deployment(name, 2, spec) for name, spec in containers.items()),
        ],
        faults={"node_crash": 1},
        user_actions=[
            UserAction("scale", {"deployment": "web", "replicas": [1, 3]}),
            UserAction(
                "rollout",
                {"deployment": "web", "container": "app", "images": ["slow:1", "slow:2"]},
                budget=None,
            ),
        ],
        invariants=tuple(invariants),
        config=ClusterConfig(
            programs={
                "slow:1": Program(ready_after=35),
                "slow:2": Program(ready_after=75, starts_after=20),
                "crash:1": Program(run_for=95, exit_code=1),
            }
        ),
        ticks=(1, 10),
    )


def _merged(steps: list[Step]) -> list[tuple[Any, ...]]:
    """The steps with runs of ticks merged into one (at the time the last one ends)."""
    merged: list[tuple[Any, ...]] = []
    for step in steps:
        changes = tuple(step.changes)
        if isinstance(step.action, Tick) and merged and merged[-1][0] == "tick":
            merged[-1] = ("tick", step.time, merged[-1][2] + changes, merged[-1][3] + step.errors)
        else:
            label = "tick" if isinstance(step.action, Tick) else step.action
            merged.append((label, step.time, changes, step.errors))
    return merged


def _settled_both_ways(run: Run, monkeypatch: pytest.MonkeyPatch) -> tuple[Run, Run]:
    skipping, ticking = run.copy(), run.copy()
    skipping.finish()
    with monkeypatch.context() as patched:
        patched.setattr(Cluster, "idle_window", lambda _cluster, _quiet: None)
        ticking.finish()
    return skipping, ticking


def _assert_same(skipping: Run, ticking: Run) -> None:
    assert _merged(skipping.settle_steps) == _merged(ticking.settle_steps)
    assert skipping.violations == ticking.violations
    assert skipping.cluster.now == ticking.cluster.now
    assert skipping.cluster.store.objects == ticking.cluster.store.objects
    assert skipping.monitor.history == ticking.monitor.history


def test_skipped_and_ticked_settling_agree_on_random_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = _scenario(Monitor.default().invariants)
    started = Run(scenario)
    rng = random.Random(3)  # noqa: S311 - seeded choices, not cryptography
    merged_ticks = 0
    for _ in range(8):
        run = started.copy()
        for _ in range(rng.randint(0, 12)):
            choices = run.choices()
            if run.do(choices[rng.randrange(len(choices))]):
                break
        skipping, ticking = _settled_both_ways(run, monkeypatch)
        _assert_same(skipping, ticking)
        interval = run.cluster.config.heartbeat_interval
        merged_ticks += sum(
            isinstance(s.action, Tick) and s.action.seconds > interval
            for s in skipping.settle_steps
        )
    # Not vacuous: settling did take several idle ticks as one.
    assert merged_ticks > 0


class ClockAlarm(Invariant):
    """Fires once the clock reaches ``at``: only a probe that watches the clock can tell."""

    name = "clock_alarm"
    reads = frozenset({"@clock"})

    def __init__(self, at: int) -> None:
        self.at = at

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """A violation from ``at`` on."""
        return [self.violation("the alarm went off")] if cluster.now >= self.at else []


def test_a_violation_inside_the_idle_phase_is_reported_at_its_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = Run(_scenario([]))
    alarm = ClockAlarm(run.cluster.now + 233)
    run.monitor.invariants.append(alarm)
    skipping, ticking = _settled_both_ways(run, monkeypatch)
    _assert_same(skipping, ticking)
    assert [v.invariant for v in skipping.violations] == ["clock_alarm"]
    # The first tick at or after the alarm: ticks before it were merged, none after it.
    assert skipping.cluster.now == alarm.at + (-alarm.at) % 10
    assert len(skipping.settle_steps) < len(ticking.settle_steps)
