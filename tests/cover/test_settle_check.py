"""Settling steps are checked as they happen: a violation the settling repairs is still seen.

``Run.finish`` lets the components settle; each settling step must be checked against the
state that step left, as a chosen step is. Checked only after the settling (against the final
state), a violation that a later settling step repairs went unseen.
"""

from __future__ import annotations

from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.cluster.user_actions import ScaleDeployment
from kmodel.explore.run import Run, Scenario, UserAction
from kmodel.explore.search import ExploreOptions, explore, run_actions
from kmodel.invariants import History, Invariant, Violation
from tests.helpers.scheduling import make_deployment


class EveryPodBound(Invariant):
    """Every live pod has a node: broken for a moment whenever a controller creates a pod."""

    name = "every_pod_bound"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """One violation per unbound pod, naming the step after which it was seen."""
        return [
            self.violation(
                f"pod {pod['metadata']['name']} is not bound",
                step=None if step is None else step.index,
                action=None if step is None else step.action.describe(),
            )
            for pod in cluster.store.list_objects("Pod")
            if not (pod.get("spec") or {}).get("nodeName")
            and pod["metadata"].get("deletionTimestamp") is None
        ]


def _scenario() -> Scenario:
    capacity = {"cpu": "2", "memory": "4Gi", "pods": "20"}
    node: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "n1"},
        "status": {"allocatable": dict(capacity), "capacity": dict(capacity)},
    }
    container = {"name": "app", "image": "web:1", "resources": {"requests": {"cpu": "100m"}}}
    return Scenario(
        objects=[node, make_deployment("web", 1, [container])],
        user_actions=[UserAction("scale", {"deployment": "web", "replicas": [2]})],
        invariants=(EveryPodBound(),),
    )


def test_a_violation_the_settling_repairs_is_reported_at_its_step() -> None:
    # The scale-up writes only the Deployment; the new pod is created while settling (unbound
    # until the scheduler's next step) and bound by the end, so only a per-step check sees it.
    run, violation, at_fixpoint = run_actions(_scenario(), [ScaleDeployment("default", "web", 2)])
    assert violation is not None
    assert violation.invariant == "every_pod_bound"
    assert at_fixpoint
    # Settled to the end, the state is fine: checking it alone (the old way) finds nothing.
    rest = run.cluster.copy()
    rest.settle()
    assert EveryPodBound().check(rest, None, History()) == []
    # Reported at the settling step that created the pod, with that step's action.
    creating = next(
        s for s in run.settle_steps if any(c.kind == "Pod" and c.type == "ADDED" for c in s.changes)
    )
    assert violation.values["step"] == creating.index
    assert violation.values["action"] == creating.action.describe()
    assert creating.action.name == "replicaset-sync"
    # The recorded settling ends there, as a run of chosen steps ends at its violation.
    assert run.settle_steps[-1] is creating


def test_exploration_finds_a_violation_only_the_settling_shows() -> None:
    findings = explore(_scenario(), options=ExploreOptions(examples=20, max_steps=3, seed=0))
    assert [f.invariant for f in findings] == ["every_pod_bound"]
    assert findings[0].at_fixpoint
    assert [a.describe() for a in findings[0].actions] == [
        ScaleDeployment("default", "web", 2).describe()
    ]


def test_settle_calls_back_after_each_step_on_the_state_it_left() -> None:
    run = Run(_scenario())
    run.do(ScaleDeployment("default", "web", 2))
    seen: list[tuple[int, int]] = []
    rest = run.cluster.copy()

    def note(step: Step) -> bool:
        seen.append((step.index, run.cluster.store.revision))
        return False

    steps = run.cluster.settle(on_step=note)
    assert [index for index, _ in seen] == [s.index for s in steps]
    revisions = [revision for _, revision in seen]
    assert revisions == sorted(revisions)
    assert len(set(revisions)) > 1  # called as the state changed, not once at the end
    # Without a stop it settles exactly as without a callback; True stops after that step.
    assert [(s.action, s.changes) for s in rest.copy().settle()] == [
        (s.action, s.changes) for s in steps
    ]
    stopped = rest.settle(on_step=lambda step: step.index == steps[2].index)
    assert [(s.action, s.changes) for s in stopped] == [(s.action, s.changes) for s in steps[:3]]
