"""One execution of a scenario: the cluster, its monitor, and the steps taken so far.

A :class:`Scenario` says what may happen (the cluster and workloads, which faults and user
actions, with budgets, and which invariants to check). A :class:`Run` builds the cluster, offers
the actions possible now (:meth:`Run.choices`), applies the chosen one and checks the safety
invariants, and at the end stops the transient faults, lets the components settle and checks
the eventual invariants. The explorer (Hypothesis) and replay drive runs the same way.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import FAULT_KINDS, FAULTS, RECOVERIES, fault_kind, transient_endings
from kmodel.cluster.model import Cluster, ClusterConfig, Step
from kmodel.cluster.replacement import LOOP_INVARIANT
from kmodel.cluster.user_actions import USER_ACTION_KINDS
from kmodel.invariants import Invariant, Monitor, Violation

__all__ = [
    "FAULT_KINDS",
    "LOOP_INVARIANT",
    "Run",
    "Scenario",
    "UserAction",
    "ready_pods",
    "replacement_loop_found",
    "serving_capacity",
]

#: The faults by kind (:data:`FAULT_KINDS` lists them).
_FAULTS_BY_KIND: Final = {fault.kind: fault for fault in FAULTS}


def serving_capacity(cluster: Cluster) -> int:
    """Ready endpoints over all Services: how many pods can take traffic now."""
    return sum(
        len(subset.get("addresses") or [])
        for endpoints in cluster.store.list_objects("Endpoints")
        for subset in endpoints.get("subsets") or []
    )


def ready_pods(cluster: Cluster) -> int:
    """Pods that are Ready and not terminating: capacity before the endpoints catch up."""
    return sum(
        1
        for pod in cluster.store.list_objects("Pod")
        if pod["metadata"].get("deletionTimestamp") is None
        and any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )
    )


@dataclass(frozen=True)
class UserAction:
    """A user action a scenario allows: its kind and the concrete choices it offers.

    ``kind`` is the spec name of one of :data:`kmodel.cluster.user_actions.USER_ACTIONS`
    (``rollout``, ``scale``, ``rollback``, ``pause``, ``resume``, ``drain``, ``delete``,
    ``configmap``, ``ungate``, ``load``, ``requests``); ``params`` are its resolved parameters
    (workloads as ``namespace/name``); ``budget`` caps how often it happens (None: any number
    of times).
    """

    kind: str
    params: Mapping[str, Any]
    budget: int | None = 1

    def actions(self, *, namespace_default: str = "default") -> list[Action]:
        """The concrete actions this allows (none for a kind kmodel does not know)."""
        declared = USER_ACTION_KINDS.get(self.kind)
        return [] if declared is None else declared.actions(self.params, namespace_default)


@dataclass(frozen=True)
class Scenario:
    """What may happen: cluster and workloads, faults, user actions, invariants, bounds.

    Attributes:
        objects: manifests of the cluster (Nodes) and its workloads.
        faults: fault kind -> budget (None: any number); kinds from :data:`FAULT_KINDS`.
        user_actions: allowed user actions.
        invariants: the invariants to check.
        config: timings and container programs.
        control_plane_members: etcd members.
        ticks: the clock steps offered, in seconds.
    """

    objects: Sequence[Mapping[str, Any]]
    faults: Mapping[str, int | None] = field(default_factory=dict)
    user_actions: Sequence[UserAction] = ()
    invariants: Sequence[Invariant] = ()
    config: ClusterConfig = field(default_factory=ClusterConfig)
    control_plane_members: int = 1
    ticks: tuple[int, ...] = (1, 10)
    static_pods: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)

    def build(self) -> Cluster:
        """A fresh cluster in its initial, settled state."""
        cluster = build_cluster(
            copy.deepcopy(list(self.objects)),
            config=self.config,
            control_plane_members=self.control_plane_members,
            static_pods={k: list(v) for k, v in self.static_pods.items()},
        )
        # Long enough for every container program's timers to play out once.
        longest = max(
            [0, *(p.run_for or 0 for p in self.config.programs.values())]
            + [p.ready_after or 0 for p in self.config.programs.values()]
            + [p.starts_after or 0 for p in self.config.programs.values()]
        )
        cluster.settle(idle_ticks=longest // self.config.heartbeat_interval + 2)
        return cluster


@dataclass
class Run:
    """One execution of a scenario."""

    scenario: Scenario
    cluster: Cluster = field(init=False)
    monitor: Monitor = field(init=False)
    steps: list[Step] = field(default_factory=list)
    #: Steps :meth:`finish` took to settle (kept apart: they are not choices).
    settle_steps: list[Step] = field(default_factory=list)
    used: Counter[str] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    #: (step index, serving capacity) after each chosen step; see :func:`serving_capacity`.
    availability: list[tuple[int, int]] = field(default_factory=list)
    #: (step index, Ready pods not terminating) after each chosen step; see :func:`ready_pods`.
    ready: list[tuple[int, int]] = field(default_factory=list)
    #: The scenario's cluster as :meth:`Scenario.build` gives it, to start from a copy of
    #: (it is never changed, so many runs can share it); None builds a fresh one.
    initial: Cluster | None = field(default=None, kw_only=True, repr=False, compare=False)

    #: Each user action of the scenario with the concrete actions it allows (computed once).
    _user_actions: tuple[tuple[UserAction, tuple[Action, ...]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._user_actions = tuple(
            (user, tuple(user.actions())) for user in self.scenario.user_actions
        )
        self.cluster = self.initial.copy() if self.initial is not None else self.scenario.build()
        self.monitor = Monitor(list(self.scenario.invariants))
        self.violations = self.monitor.observe(self.cluster, step=None)
        self.violations.extend(replacement_loop_found(self.cluster))
        self.availability.append((0, serving_capacity(self.cluster)))
        self.ready.append((0, ready_pods(self.cluster)))

    def copy(self) -> Run:
        """An independent copy of this run: stepping either never affects the other.

        The cluster is copied (see :meth:`Cluster.copy`) and so is the monitor's history, so a
        copy of a run that has only started goes on exactly as a new run would, without
        building, settling or checking the initial state again. The invariants themselves are
        shared: they keep what they remember in the history. Fields not listed in
        ``_RUN_COPIED_BY_HAND`` (a subclass's, say) are deep-copied.
        """
        clone = copy.copy(self)
        clone.cluster = self.cluster.copy()
        clone.monitor = replace(
            self.monitor,
            invariants=list(self.monitor.invariants),
            history=self.monitor.history.copy(),
        )
        # The copied history is the one the answers were checked with: they carry over.
        clone.monitor.checks = self.monitor.checks.copy(source=self.cluster, target=clone.cluster)
        clone.steps = list(self.steps)
        clone.settle_steps = list(self.settle_steps)
        clone.used = Counter(self.used)
        clone.violations = list(self.violations)
        clone.availability = list(self.availability)
        clone.ready = list(self.ready)
        for spec in fields(self):
            if spec.name not in _RUN_COPIED_BY_HAND:
                setattr(clone, spec.name, copy.deepcopy(getattr(self, spec.name)))
        return clone

    # ----------------------------------------------------------------- choices

    def _budget_left(self, kind: str, budget: int | None) -> bool:
        return budget is None or self.used[kind] < budget

    def fault_choices(self) -> list[Action]:
        """Faults allowed now (within budget), then their recoveries."""
        faults = [
            action
            for kind, budget in self.scenario.faults.items()
            if self._budget_left(kind, budget)
            for action in _FAULTS_BY_KIND[kind].choices(self.cluster)
        ]
        recoveries = [action for r in RECOVERIES for action in r.choices(self.cluster)]
        return faults + recoveries

    def user_choices(self) -> list[Action]:
        """User actions allowed now (within budget)."""
        return [
            action
            for user, actions in self._user_actions
            if self._budget_left(f"user:{user.kind}", user.budget)
            for action in actions
        ]

    def choices(self) -> list[Action]:
        """Everything that may happen next: component steps first, then time, users, faults.

        The order matters for shrinking: a minimal counterexample prefers earlier choices.
        """
        return [
            *self.cluster.enabled_actions(),
            *(Tick(s) for s in self.scenario.ticks),
            *self.user_choices(),
            *self.fault_choices(),
        ]

    def why_not_possible(self, action: Action) -> str:
        """Why ``action`` is not among :meth:`choices` now, in words (for stale traces)."""
        if action.category == "user":
            if not any(action in actions for _, actions in self._user_actions):
                return "the spec allows no such user action"
            return "the spec's budget for this user action is used up"
        if action.category == "clock":
            ticks = list(self.scenario.ticks)
            return f"the spec offers no such clock step (explore.ticks: {ticks})"
        if action.category == "fault":
            return "the spec's faults do not allow it at that point (kind, budget or target)"
        return "the cluster has no such step to take at that point"

    # ----------------------------------------------------------------- stepping

    def _account(self, action: Action) -> None:
        for user, actions in self._user_actions:
            if action in actions:
                self.used[f"user:{user.kind}"] += 1
                return
        kind = fault_kind(action)
        if kind is not None:
            self.used[kind] += 1

    def do(self, action: Action) -> list[Violation]:
        """Apply one action and check the safety invariants; returns new violations."""
        self._account(action)
        step = self.cluster.step(action)
        self.steps.append(step)
        found = self.monitor.observe(self.cluster, step=step)
        self.violations.extend(found)
        self.availability.append((len(self.steps), serving_capacity(self.cluster)))
        self.ready.append((len(self.steps), ready_pods(self.cluster)))
        return found

    def finish(self) -> list[Violation]:
        """Stop transient faults, settle, and check the eventual invariants.

        Control-plane members recover, partitions heal and stalled watches catch up; crashed
        machines stay down (the cluster must heal around them). Steps taken here are recorded.
        Each settling step is checked as it happens; settling stops at the first that violates
        a safety invariant (the eventual ones are then not judged: the cluster is not at rest).
        """
        cluster = self.cluster
        found: list[Violation] = []
        for action in transient_endings(cluster):
            found.extend(self.do(action))

        def check(step: Step) -> bool:
            self.settle_steps.append(step)
            violated = self.monitor.observe(cluster, step=step)
            found.extend(violated)
            return bool(violated)

        # Each settling step is checked on the state it left, as a chosen step is, and the run
        # ends at the first that violates an invariant: a violation the settling would repair
        # later is still seen, and the recorded settling ends at the step that caused it.
        before_settling = len(found)
        cluster.settle(on_step=check, quiet=self.monitor.quiet)
        found.extend(replacement_loop_found(cluster))
        if len(found) == before_settling:  # settled to the end: judge the state at rest
            found.extend(self.monitor.at_fixpoint(cluster))
        self.violations.extend(found)
        return found


def replacement_loop_found(cluster: Cluster) -> list[Violation]:
    """The replacement loop the cluster's last settling stopped at, as a violation.

    Checked in every spec: settling cannot go on past one, so no invariant could be judged after.
    """
    loop = cluster.replacement_loop
    if loop is None:
        return []
    values = {"owner": loop.owner, "time": loop.time, "failed": loop.failed, "kept": loop.kept}
    return [Violation(LOOP_INVARIANT, loop.describe(), values)]


#: Run fields :meth:`Run.copy` copies by hand (the scenario is frozen and the initial cluster is
#: never changed, so both are shared, as are the user actions, a tuple of frozen values).
_RUN_COPIED_BY_HAND: Final = frozenset(
    {"scenario", "initial", "cluster", "monitor", "steps", "settle_steps", "used"}
    | {"violations", "availability", "ready", "_user_actions"}
)
