"""One deployment under one strategy: a scenario that starts a release, and a measured run.

A :class:`StrategyScenario` is an exploration :class:`~kmodel.explore.run.Scenario` whose cluster
runs the application under one strategy (a Kubernetes Deployment, or a Beanstalk environment)
and whose ``start`` action releases the new version. A :class:`StrategyRun` is a
:class:`~kmodel.explore.run.Run` with a :class:`~kmodel.strategies.meter.Meter` that watches every
step from the start action on, and whose :meth:`StrategyRun.finish` lets the components work
(faults over) until the deployment has ended or the horizon has passed.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kmodel.cluster.actions import Action
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import transient_endings
from kmodel.cluster.model import SETTLE_IDLE_TICKS, Cluster, Step
from kmodel.cluster.replacement import LOOP_INVARIANT
from kmodel.explore.run import Run, Scenario, replacement_loop_found
from kmodel.explore.search import StaleActionError
from kmodel.invariants import Violation
from kmodel.strategies.meter import DEFAULT_WINDOW, Meter, Target

__all__ = ["StrategyRun", "StrategyScenario", "run_strategy"]


@dataclass(frozen=True)
class StrategyScenario(Scenario):
    """A scenario that deploys a new version under one strategy.

    Attributes:
        strategy_name: the strategy's row label.
        failure: the failure mode of the new version (``none`` for a good version).
        start: the action that starts the deployment.
        target: what serves the application.
        capacity: the instance count (replicas).
        old_image: the version running before.
        new_image: the version deployed (a broken one unless ``failure`` is ``none``).
        wait_seconds: the longest a deployment may sit idle while waiting (timeouts,
            evaluation periods), so that settling outlasts it.
        window: seconds of traffic measured from the start (the same for every strategy).
    """

    strategy_name: str = ""
    failure: str = "none"
    start: Action | None = None
    target: Target | None = None
    capacity: int = 1
    old_image: str = ""
    new_image: str = ""
    wait_seconds: int = 0
    window: int = DEFAULT_WINDOW
    _built: list[Cluster] = field(default_factory=list, compare=False, repr=False)

    def build(self) -> Cluster:
        """A fresh cluster running the old version, settled (built once, then copied)."""
        if not self._built:
            self._built.append(super().build())
        return copy.deepcopy(self._built[0])

    @property
    def bad_image(self) -> str | None:
        """The new version if it is a broken one."""
        return None if self.failure == "none" else self.new_image


@dataclass
class StrategyRun(Run):
    """A run that measures the deployment (see :class:`~kmodel.strategies.meter.Meter`)."""

    scenario: StrategyScenario
    meter: Meter = field(init=False)
    #: Safety bound on settling steps (a crash-looping version never lets a cluster rest).
    max_settle_steps: int = 5000

    def __post_init__(self) -> None:
        scenario = self.scenario
        if scenario.target is None or scenario.start is None:
            msg = "a strategy scenario needs a target and a start action"
            raise TypeError(msg)
        self.meter = Meter(
            scenario.target,
            scenario.capacity,
            scenario.old_image,
            scenario.new_image,
            scenario.bad_image,
            scenario.window,
        )
        super().__post_init__()

    def do(self, action: Action) -> list[Violation]:
        """Apply one action; the scenario's start action starts the measurement."""
        found = super().do(action)
        if action == self.scenario.start and self.meter.started is None:
            self.meter.start(self.cluster, len(self.steps))
        else:
            self.meter.observe(self.cluster, len(self.steps))
        return found

    def finish(self) -> list[Violation]:
        """Stop transient faults, then let the components work until nothing is measured.

        :meth:`kmodel.cluster.model.Cluster.settle`, with the meter watching every step and an
        idle allowance that outlasts the strategy's timeouts, until the deployment has ended
        and its traffic window has closed. Once the cluster is at rest (that many idle ticks in
        a row), nothing changes any more: one tick takes it to the window's end. A replacement
        loop ends the run (the deployment stays ``Incomplete``) and is returned as a violation.
        """
        cluster = self.cluster
        for action in transient_endings(cluster):
            self.do(action)
        if not self.meter.measuring(cluster.now):
            return []
        interval = cluster.config.heartbeat_interval
        deadline = max(cluster.now + cluster.config.settle_horizon, self.meter.window_end or 0)
        budget = self.max_settle_steps - len(self.settle_steps)

        def observe(step: Step) -> bool:
            self.settle_steps.append(step)
            self.meter.observe(cluster, len(self.steps) + len(self.settle_steps))
            return not self.meter.measuring(cluster.now)

        cluster.settle(
            max_steps=budget,
            idle_ticks=max(SETTLE_IDLE_TICKS, self.scenario.wait_seconds // interval + 5),
            horizon=deadline - cluster.now,
            on_step=observe,
        )
        found = replacement_loop_found(cluster)
        at_rest = (
            not found
            and self.meter.measuring(cluster.now)
            and cluster.now <= deadline
            and len(self.settle_steps) < self.max_settle_steps
        )
        end = self.meter.window_end
        if at_rest and end is not None and cluster.now < end:
            observe(cluster.step(Tick(end - cluster.now)))
        self.violations.extend(found)
        return found

    @property
    def replacement_loop(self) -> str | None:
        """The replacement loop the run stopped at, described (None: it stopped at none)."""
        return next((v.message for v in self.violations if v.invariant == LOOP_INVARIANT), None)

    @property
    def all_steps(self) -> list[Any]:
        """Chosen steps, then settling steps."""
        return [*self.steps, *self.settle_steps]


def run_strategy(scenario: StrategyScenario, actions: Sequence[Action]) -> StrategyRun:
    """Run ``actions`` (the first is normally the start action) and finish the deployment.

    As the comparison's exploration does (:mod:`kmodel.strategies.compare`): the choices are
    listed before every action after the first, which catches the components' informers up;
    without it a watch delay would freeze an older cache than exploration saw.

    Raises:
        StaleActionError: an action after the first is not among the choices at its step.
    """
    run = StrategyRun(scenario)
    for k, action in enumerate(actions):
        if k and action not in run.choices():
            raise StaleActionError(k + 1, action, run)
        run.do(action)
    run.finish()
    return run
