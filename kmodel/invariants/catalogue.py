"""The invariant catalogue by name, user-written invariants and the step-by-step monitor."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kmodel.cluster.model import Cluster, Step
from kmodel.cluster.replacement import LOOP_INVARIANT
from kmodel.errors import InputError
from kmodel.invariants.base import Checks, History, Invariant, Violation
from kmodel.invariants.cluster import (
    NoOvercommit,
    QuorumWrites,
    StaticPodsSurvive,
    TerminalPhaseStable,
    UniqueUids,
)
from kmodel.invariants.daemonsets import (
    DaemonSetNodesEligible,
    DaemonSetOnePodPerNode,
    DaemonSetRolledOut,
    DaemonSetRolloutBounds,
)
from kmodel.invariants.deployments import (
    DeploymentConditionsConsistent,
    DrainsComplete,
    EndpointsReadyOnly,
    EventuallyStable,
    MinAvailable,
    OldReplicaSetsOldestFirst,
    PdbRespected,
    PdbStatusCurrent,
    RecreateNoOverlap,
    ReplicaSetScaleSafe,
    RollingUpdateBounds,
)
from kmodel.invariants.hpa import (
    HpaLimitsConsistent,
    HpaNoFlapping,
    HpaUtilizationWhole,
    HpaWithinBounds,
)
from kmodel.invariants.jobs import (
    CronJobActiveRefs,
    CronJobForbidNoOverlap,
    FinishedJobsExpire,
    IndexedJobOnePodPerIndex,
    JobCompleteConsistent,
    JobFinishedNoNewPods,
    JobNotFailed,
    JobOrphansReleased,
    JobParallelism,
    JobSuccessesCounted,
)
from kmodel.invariants.pods import (
    ContainerExitRecorded,
    InitContainersFirst,
    LostNodePodsNotReady,
    OrphanedPodsCollected,
    OrphansStopped,
    PodGcSafe,
    PodMountsResolve,
    PodPhaseConsistent,
    PodReadyConsistent,
    ReadinessKeptUntilFailures,
    RestartCountMonotonic,
    RestartsAfterExit,
    TaintEvictionsDone,
    TaintEvictionTiming,
    VolumeZoneMatches,
)
from kmodel.invariants.scheduling import BindingPassesFilters
from kmodel.invariants.services import RequestsReachReadyPods
from kmodel.invariants.statefulsets import (
    StatefulSetClaimExclusive,
    StatefulSetIdentity,
    StatefulSetOrdered,
)


@dataclass
class UserInvariant(Invariant):
    """A user-written predicate: ``module:function`` taking the cluster, returning messages."""

    reference: str = ""
    function: Callable[[Cluster], Sequence[str]] | None = None
    kind: ClassVar[str] = "safety"

    @property
    def label(self) -> str:
        """The name shown in reports."""
        return self.reference

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Call the function."""
        assert self.function is not None  # noqa: S101  # set by make_invariant
        return [Violation(self.reference, str(m), {}) for m in self.function(cluster)]


CATALOGUE: dict[str, type[Invariant]] = {
    cls.name: cls
    for cls in (
        NoOvercommit,
        UniqueUids,
        TerminalPhaseStable,
        EndpointsReadyOnly,
        RollingUpdateBounds,
        RecreateNoOverlap,
        DeploymentConditionsConsistent,
        OldReplicaSetsOldestFirst,
        DaemonSetOnePodPerNode,
        DaemonSetNodesEligible,
        DaemonSetRolloutBounds,
        DaemonSetRolledOut,
        MinAvailable,
        StaticPodsSurvive,
        PdbRespected,
        PdbStatusCurrent,
        QuorumWrites,
        EventuallyStable,
        DrainsComplete,
        JobParallelism,
        JobFinishedNoNewPods,
        IndexedJobOnePodPerIndex,
        JobNotFailed,
        JobCompleteConsistent,
        JobSuccessesCounted,
        FinishedJobsExpire,
        JobOrphansReleased,
        CronJobForbidNoOverlap,
        CronJobActiveRefs,
        HpaWithinBounds,
        HpaNoFlapping,
        HpaLimitsConsistent,
        HpaUtilizationWhole,
        PodPhaseConsistent,
        InitContainersFirst,
        PodReadyConsistent,
        PodGcSafe,
        OrphansStopped,
        RestartCountMonotonic,
        ReadinessKeptUntilFailures,
        OrphanedPodsCollected,
        VolumeZoneMatches,
        PodMountsResolve,
        LostNodePodsNotReady,
        TaintEvictionTiming,
        TaintEvictionsDone,
        RestartsAfterExit,
        ReplicaSetScaleSafe,
        BindingPassesFilters,
        RequestsReachReadyPods,
        ContainerExitRecorded,
    )
}
CATALOGUE.update(
    {cls.name: cls for cls in (StatefulSetIdentity, StatefulSetClaimExclusive, StatefulSetOrdered)}
)


def make_invariant(
    name: str, *, params: Mapping[str, Any] | None = None, path: str = "invariants"
) -> Invariant:
    """Build an invariant from its catalogue name (or ``module:function``) and parameters.

    Raises:
        InputError: unknown name, bad parameters, or a reference that does not import.
    """
    params = dict(params or {})
    if ":" in name:
        module_name, _, function_name = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise InputError(f"cannot import {module_name!r}: {error}", path=path) from None
        function = getattr(module, function_name, None)
        if not callable(function):
            raise InputError(f"{module_name!r} has no function {function_name!r}", path=path)
        return UserInvariant(reference=name, function=function)
    if name == LOOP_INVARIANT:
        raise InputError(
            f"{name} is checked in every spec (settling stops at a replacement loop); "
            "remove it from the list",
            path=path,
        )
    cls = CATALOGUE.get(name)
    if cls is None:
        known = ", ".join(sorted(CATALOGUE))
        raise InputError(f"unknown invariant {name!r} (known: {known})", path=path)
    if cls is MinAvailable:
        deployment = params.pop("deployment", None)
        count = params.pop("count", None)
        if not isinstance(deployment, str) or not deployment:
            raise InputError("needs `deployment: <name>`", path=f"{path}.min_available.deployment")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InputError(
                "needs `count: <non-negative integer>`", path=f"{path}.min_available.count"
            )
        if params:
            raise InputError(f"unknown parameters {sorted(params)}", path=f"{path}.min_available")
        return MinAvailable(deployment=deployment, count=count)
    if params:
        raise InputError(f"{name} takes no parameters, got {sorted(params)}", path=f"{path}.{name}")
    return cls()


@dataclass
class Monitor:
    """Checks a set of invariants step after step, keeping the history they need."""

    invariants: list[Invariant]
    history: History = field(default_factory=History)
    #: The last answers, reused while nothing an invariant reads changes (see ``Checks``).
    checks: Checks = field(default_factory=Checks, init=False, repr=False, compare=False)

    @classmethod
    def default(cls) -> Monitor:
        """Every safety invariant of the catalogue that takes no parameters."""
        return cls(
            [c() for c in CATALOGUE.values() if c is not MinAvailable and c.kind == "safety"]
        )

    def observe(self, cluster: Cluster, *, step: Step | None = None) -> list[Violation]:
        """Check the safety invariants after a step (those whose inputs changed)."""
        return self.checks.observe(self.invariants, cluster, step, self.history)

    def quiet(self, cluster: Cluster, step: Step) -> bool:
        """Whether every safety invariant finds nothing after ``step`` and leaves the history.

        Checks them all afresh on a copy of the history (for ``Cluster.idle_window``'s probe:
        a state that settling may tick through without checking it on its own).
        """
        history = self.history.copy()
        for invariant in self.invariants:
            if invariant.kind == "safety" and invariant.check(cluster, step, history):
                return False
        return history == self.history

    def at_fixpoint(self, cluster: Cluster) -> list[Violation]:
        """Check the eventual invariants (call after ``cluster.settle()``)."""
        found: list[Violation] = []
        for invariant in self.invariants:
            if invariant.kind == "eventual":
                found.extend(invariant.check(cluster, None, self.history))
        return found
