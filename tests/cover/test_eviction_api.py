"""The eviction API, case by case as upstream's ``eviction_test.go``.

Each case is computed by hand from ``pkg/registry/core/pod/storage/eviction.go``
(``EvictionREST.Create``, ``canIgnorePDB``, ``checkAndDecrement``, the
``unhealthyPodEvictionPolicy`` branch): the pod ``t*`` is labelled ``a=true``, runs on ``n1``
and is covered by the budget ``foo`` whose status the case sets, as ``TestEviction`` and
``TestEvictionIgnorePDB`` set it, under each policy the upstream case runs with (unset,
IfHealthyBudget, AlwaysAllow).
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.disruption import MULTIPLE_PDBS, EvictPod
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.model import Cluster
from kmodel.cluster.user_actions import DrainNode
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import node

NS = "default"
POLICIES = (None, "IfHealthyBudget", "AlwaysAllow")
GUARDED = (None, "IfHealthyBudget")
VIOLATES = "TooManyRequests: Cannot evict pod as it would violate the pod's disruption budget."


def budget(name: str = "foo", selector: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"selector": {"matchLabels": {"a": "true"} if selector is None else selector}},
    }


def bare_pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"a": "true"}},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "c", "image": "registry.example.com/app:1"}],
        },
    }


def setup(
    name: str,
    *,
    phase: str = "Running",
    ready: bool | None = None,
    deleting: bool = False,
    budgets: tuple[tuple[dict[str, Any], dict[str, int]], ...] = (),
    policy: str | None = None,
) -> Cluster:
    """A cluster holding the pod and the budgets with the statuses given (no controller ran)."""
    c = build_cluster([node("n1"), bare_pod(name), *(b for b, _ in budgets)])
    stored = c.store.get(("Pod", NS, name))
    status: dict[str, Any] = {"phase": phase}
    if ready is not None:
        status["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    updated = c.store.update({**stored, "status": status})
    if deleting:
        delete_pod(c, updated)
    for body, pdb_status in budgets:
        key = ("PodDisruptionBudget", NS, body["metadata"]["name"])
        stored = c.store.get(key)
        spec = dict(stored["spec"])
        if policy is not None:
            spec["unhealthyPodEvictionPolicy"] = policy
            stored = c.store.update({**stored, "spec": spec})
        generation = stored["metadata"]["generation"]
        c.store.update({**stored, "status": {"observedGeneration": generation, **pdb_status}})
    return c


def foo(**status: int) -> tuple[tuple[dict[str, Any], dict[str, int]], ...]:
    return ((budget(), status),)


def evicted(c: Cluster, name: str) -> bool:
    pod = c.store.get(("Pod", NS, name))
    return pod is None or pod["metadata"].get("deletionTimestamp") is not None


def disruption_target(c: Cluster, name: str) -> dict[str, Any] | None:
    # The pod as last written: a terminal or unbound pod is removed at once (CheckGracefulDelete),
    # its DELETED event holds it as it was.
    key = ("Pod", NS, name)
    pod = next(e.object for e in reversed(c.store.log) if e.key == key)
    found = [x for x in pod["status"].get("conditions", []) if x["type"] == "DisruptionTarget"]
    return found[0] if found else None


def foo_status(c: Cluster) -> dict[str, Any]:
    status: dict[str, Any] = c.store.get(("PodDisruptionBudget", NS, "foo"))["status"]
    return status


# ------------------------------------------------------------------- TestEviction


@pytest.mark.parametrize("policy", GUARDED)
def test_a_running_unready_pod_under_an_empty_budget_is_refused(policy: str | None) -> None:
    # "matching pdbs with no disruptions allowed, pod running" (nil, IfHealthyBudget): the pod
    # is not Ready but desiredHealthy is 0, so checkAndDecrement refuses with its cause.
    c = setup("t1", policy=policy, budgets=foo(disruptionsAllowed=0))
    step = c.step(EvictPod(NS, "t1"))
    assert step.errors == (
        f"{VIOLATES} (The disruption budget foo needs 0 healthy pods and has 0 currently)",
    )
    assert not evicted(c, "t1")
    assert disruption_target(c, "t1") is None
    assert c.evictions == []


def test_always_allow_evicts_a_running_unready_pod_without_a_budget_write() -> None:
    # The same case with AlwaysAllow: "Running pods are not guarded by this policy" when not
    # Ready; the budget is not decremented and does not list the pod.
    c = setup("t1", policy="AlwaysAllow", budgets=foo(disruptionsAllowed=0))
    before = c.store.get(("PodDisruptionBudget", NS, "foo"))
    step = c.step(EvictPod(NS, "t1"))
    assert step.errors == ()
    assert evicted(c, "t1")
    assert c.store.get(("PodDisruptionBudget", NS, "foo")) == before
    assert c.evictions == [(c.now, ("Pod", NS, "t1"))]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("name", "phase"), [("t2", "Pending"), ("t3", "Succeeded"), ("t4", "Failed")]
)
def test_pending_and_terminal_pods_ignore_the_budget(
    policy: str | None, name: str, phase: str
) -> None:
    # canIgnorePDB: the budget allows nothing, the pod goes anyway, the budget is not touched;
    # addConditionAndDeletePod marks it DisruptionTarget first (terminal pods too), and a terminal
    # pod is then removed at once (CheckGracefulDelete).
    c = setup(name, phase=phase, policy=policy, budgets=foo(disruptionsAllowed=0))
    before = c.store.get(("PodDisruptionBudget", NS, "foo"))
    step = c.step(EvictPod(NS, name))
    assert step.errors == ()
    assert evicted(c, name)
    if phase != "Pending":
        assert c.store.get(("Pod", NS, name)) is None
    assert c.store.get(("PodDisruptionBudget", NS, "foo")) == before
    target = disruption_target(c, name)
    assert target is not None
    assert (target["reason"], target["message"]) == (
        "EvictionByEvictionAPI",
        "Eviction API: evicting",
    )


@pytest.mark.parametrize("policy", POLICIES)
def test_a_budget_that_allows_a_disruption_is_decremented(policy: str | None) -> None:
    # "matching pdbs with disruptions allowed": 1 -> 0, the pod listed in disruptedPods.
    c = setup("t5", ready=True, policy=policy, budgets=foo(disruptionsAllowed=1))
    step = c.step(EvictPod(NS, "t5"))
    assert step.errors == ()
    assert evicted(c, "t5")
    status = foo_status(c)
    assert status["disruptionsAllowed"] == 0
    assert status["disruptedPods"] == {"t5": c.now}


@pytest.mark.parametrize("policy", POLICIES)
def test_a_budget_that_does_not_select_the_pod_is_ignored(policy: str | None) -> None:
    # "non-matching pdbs"
    c = setup(
        "t6",
        ready=True,
        policy=policy,
        budgets=((budget(selector={"b": "true"}), {"disruptionsAllowed": 0}),),
    )
    assert c.step(EvictPod(NS, "t6")).errors == ()
    assert evicted(c, "t6")


@pytest.mark.parametrize("policy", GUARDED)
def test_an_empty_selector_covers_every_pod_of_the_namespace(policy: str | None) -> None:
    # "matching pdbs with no disruptions allowed, pod running, empty selector" (policy/v1).
    empty = budget()
    empty["spec"]["selector"] = {}
    c = setup("t8", policy=policy, budgets=((empty, {"disruptionsAllowed": 0}),))
    step = c.step(EvictPod(NS, "t8"))
    assert step.errors == (
        f"{VIOLATES} (The disruption budget foo needs 0 healthy pods and has 0 currently)",
    )
    assert not evicted(c, "t8")


# ------------------------------------------------------------ TestEvictionIgnorePDB


@pytest.mark.parametrize("policy", POLICIES)
def test_a_terminating_pod_ignores_the_budget(policy: str | None) -> None:
    # "matching pdbs with no disruptions allowed, pod terminating": deleted once more.
    c = setup("t6", deleting=True, policy=policy, budgets=foo(disruptionsAllowed=0))
    before = c.store.get(("PodDisruptionBudget", NS, "foo"))
    assert c.step(EvictPod(NS, "t6")).errors == ()
    assert c.store.get(("PodDisruptionBudget", NS, "foo")) == before
    assert disruption_target(c, "t6") is not None


@pytest.mark.parametrize("policy", POLICIES)
def test_a_ready_pod_is_guarded_whatever_the_policy(policy: str | None) -> None:
    # "pod running, pod healthy, unhealthy pod not ours": 0 allowed, 2 of 2 healthy.
    budgets = foo(disruptionsAllowed=0, currentHealthy=2, desiredHealthy=2)
    c = setup("t7", ready=True, policy=policy, budgets=budgets)
    step = c.step(EvictPod(NS, "t7"))
    assert step.errors == (
        f"{VIOLATES} (The disruption budget foo needs 2 healthy pods and has 2 currently)",
    )
    assert not evicted(c, "t7")


@pytest.mark.parametrize("policy", POLICIES)
def test_a_ready_pod_honours_a_budget_that_allows_it(policy: str | None) -> None:
    # "pod running, pod healthy, healthy pod ours, deletes pod by honoring the PDB".
    budgets = foo(disruptionsAllowed=1, currentHealthy=3, desiredHealthy=3)
    c = setup("t8", ready=True, policy=policy, budgets=budgets)
    assert c.step(EvictPod(NS, "t8")).errors == ()
    assert evicted(c, "t8")
    assert foo_status(c)["disruptionsAllowed"] == 0


@pytest.mark.parametrize("policy", POLICIES)
def test_an_unready_pod_goes_without_a_decrement_while_the_budget_is_healthy(
    policy: str | None,
) -> None:
    # "pod running, pod unhealthy, unhealthy pod ours": 0 allowed, currentHealthy 2 >=
    # desiredHealthy 2 > 0: IfHealthyBudget (and AlwaysAllow) delete it, no budget write.
    budgets = foo(disruptionsAllowed=0, currentHealthy=2, desiredHealthy=2)
    c = setup("t8", ready=False, policy=policy, budgets=budgets)
    before = c.store.get(("PodDisruptionBudget", NS, "foo"))
    assert c.step(EvictPod(NS, "t8")).errors == ()
    assert evicted(c, "t8")
    assert c.store.get(("PodDisruptionBudget", NS, "foo")) == before


@pytest.mark.parametrize("policy", GUARDED)
def test_an_unready_pod_of_an_unhealthy_budget_is_guarded(policy: str | None) -> None:
    # currentHealthy 1 < desiredHealthy 2: IfHealthyBudget goes on to checkAndDecrement.
    budgets = foo(disruptionsAllowed=0, currentHealthy=1, desiredHealthy=2)
    c = setup("t9", ready=False, policy=policy, budgets=budgets)
    step = c.step(EvictPod(NS, "t9"))
    assert step.errors == (
        f"{VIOLATES} (The disruption budget foo needs 2 healthy pods and has 1 currently)",
    )
    assert not evicted(c, "t9")


def test_always_allow_evicts_an_unready_pod_of_an_unhealthy_budget() -> None:
    # "pod running, pod unhealthy, unhealthy pod ours, skips the PDB check and deletes".
    budgets = foo(disruptionsAllowed=0, currentHealthy=1, desiredHealthy=2)
    c = setup("t9", ready=False, policy="AlwaysAllow", budgets=budgets)
    assert c.step(EvictPod(NS, "t9")).errors == ()
    assert evicted(c, "t9")
    assert "disruptedPods" not in foo_status(c)


# ---------------------------------------------------------------- checkAndDecrement


def test_a_budget_behind_its_generation_is_still_being_processed() -> None:
    c = setup("t1", ready=True, budgets=foo(disruptionsAllowed=1))
    stored = c.store.get(("PodDisruptionBudget", NS, "foo"))
    c.store.update({**stored, "spec": {**stored["spec"], "maxUnavailable": 1}})  # generation 2
    step = c.step(EvictPod(NS, "t1"))
    assert step.errors == (
        f"{VIOLATES} (The disruption budget foo is still being processed by the server.)",
    )
    assert not evicted(c, "t1")


def test_a_negative_allowance_is_forbidden() -> None:
    c = setup("t1", ready=True, budgets=foo(disruptionsAllowed=-1))
    step = c.step(EvictPod(NS, "t1"))
    forbidden = 'Forbidden: poddisruptionbudget.policy "foo" is forbidden: '
    assert step.errors == (forbidden + "pdb disruptions allowed is negative",)
    assert not evicted(c, "t1")


# --------------------------------------------------- two budgets, and kubectl drain


def two_budgets(c_name: str = "t1", **pod: Any) -> Cluster:
    budgets = (
        (budget("foo"), {"disruptionsAllowed": 1}),
        (budget("bar", {"a": "true"}), {"disruptionsAllowed": 1}),
    )
    return setup(c_name, budgets=budgets, **pod)


def test_a_pod_covered_by_two_budgets_is_refused_with_500() -> None:
    c = two_budgets(ready=True)
    before = {b["metadata"]["name"]: b for b in c.store.list_objects("PodDisruptionBudget")}
    step = c.step(EvictPod(NS, "t1"))
    assert step.errors == (f"InternalError: {MULTIPLE_PDBS}",)
    assert not evicted(c, "t1")
    after = {b["metadata"]["name"]: b for b in c.store.list_objects("PodDisruptionBudget")}
    assert after == before  # neither budget is decremented
    assert disruption_target(c, "t1") is None


def test_two_budgets_do_not_stop_a_pending_pod() -> None:
    # canIgnorePDB comes before the budgets are listed.
    c = two_budgets(phase="Pending")
    assert c.step(EvictPod(NS, "t1")).errors == ()
    assert evicted(c, "t1")


def test_drain_gives_up_on_a_500_and_drains_complete_says_why() -> None:
    # kubectl/pkg/drain/drain.go evictPods retries only 429; the 500 ends the pod's loop
    # and the drain fails: the pod is not offered again, the node keeps it.
    c = two_budgets(ready=True)
    c.step(DrainNode("n1"))
    assert EvictPod(NS, "t1") in c.enabled_actions()
    c.step(EvictPod(NS, "t1"))
    assert EvictPod(NS, "t1") not in c.enabled_actions()
    monitor = Monitor([make_invariant("drains_complete")])
    (found,) = monitor.at_fixpoint(c)
    assert found.message == (
        "drain of node n1 never finishes: default/t1 cannot be evicted; the drain gave up on "
        f"default/t1 (InternalError: {MULTIPLE_PDBS})"
    )


def test_drain_retries_a_429() -> None:
    c = setup("t1", ready=True, budgets=foo(disruptionsAllowed=0))
    c.step(DrainNode("n1"))
    assert c.step(EvictPod(NS, "t1")).errors
    assert EvictPod(NS, "t1") in c.enabled_actions()


def test_drain_evicts_a_pod_already_being_deleted_once() -> None:
    # drain.go lists the terminating pod and evicts it: canIgnorePDB, so the eviction API only
    # sets DisruptionTarget (the delete changes nothing); it is not evicted again.
    c = setup("t1", ready=True, deleting=True, budgets=foo(disruptionsAllowed=0))
    deleted_at = c.store.get(("Pod", NS, "t1"))["metadata"]["deletionTimestamp"]
    c.step(DrainNode("n1"))
    assert EvictPod(NS, "t1") in c.enabled_actions()
    assert c.step(EvictPod(NS, "t1")).errors == ()
    pod = c.store.get(("Pod", NS, "t1"))
    assert pod["metadata"]["deletionTimestamp"] == deleted_at
    assert disruption_target(c, "t1") == {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
        "lastTransitionTime": c.now,
    }
    assert EvictPod(NS, "t1") not in c.enabled_actions()


def test_drain_leaves_a_pod_that_came_to_the_node_after_it_listed() -> None:
    # GetPodsForDeletion lists once: a pod pinned to the cordoned node later is not evicted,
    # and the drain finishes once the pods it listed are gone.
    c = setup("t1", ready=True)
    c.step(DrainNode("n1"))
    c.store.create(bare_pod("late"))
    assert [a for a in c.enabled_actions() if isinstance(a, EvictPod)] == [EvictPod(NS, "t1")]
    c.step(EvictPod(NS, "t1"))
    assert [a for a in c.enabled_actions() if isinstance(a, EvictPod)] == []
    monitor = Monitor([make_invariant("drains_complete")])
    assert [v.message for v in monitor.at_fixpoint(c)] == [
        "drain of node n1 never finishes: default/t1 cannot be evicted"
    ]  # t1 is evicted but still terminating: the drain waits for it
    c.delete(("Pod", NS, "t1"), grace_period_seconds=0)
    assert c.store.get(("Pod", NS, "t1")) is None
    assert monitor.at_fixpoint(c) == []
    assert c.store.get(("Pod", NS, "late")) is not None


def test_a_listed_pod_replaced_under_its_name_counts_as_gone() -> None:
    # waitForDelete compares UIDs: a new pod under the listed name is another pod.
    c = setup("t1", ready=True, budgets=foo(disruptionsAllowed=0))
    c.step(DrainNode("n1"))
    c.delete(("Pod", NS, "t1"), grace_period_seconds=0)
    c.store.create(bare_pod("t1"))
    assert EvictPod(NS, "t1") not in c.enabled_actions()
    assert Monitor([make_invariant("drains_complete")]).at_fixpoint(c) == []


def test_an_eviction_updates_a_disruption_target_condition_in_place() -> None:
    # UpdatePodCondition: same status, so the transition time stays; reason and message change.
    c = setup("t1", phase="Pending")
    pod = c.store.get(("Pod", NS, "t1"))
    earlier = {"type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler"}
    ready = {"type": "Ready", "status": "False"}
    conditions = [{**earlier, "lastTransitionTime": -5}, ready]
    c.store.update({**pod, "status": {**pod["status"], "conditions": conditions}})
    c.step(EvictPod(NS, "t1"))
    assert [x["type"] for x in c.store.log[-1].object["status"]["conditions"]] == [
        "DisruptionTarget",
        "Ready",
    ]
    assert disruption_target(c, "t1") == {
        "type": "DisruptionTarget",
        "status": "True",
        "reason": "EvictionByEvictionAPI",
        "message": "Eviction API: evicting",
        "lastTransitionTime": -5,
    }


# ------------------------------------------------------------------ pdb_respected


def test_pdb_respected_leaves_an_unready_victim_out() -> None:
    # AlwaysAllow evicts the budget's only pod, not Ready, leaving 0 healthy pods of the 1
    # desired: upstream allows it (the pod was not healthy), so the invariant says nothing.
    guarded = budget()
    guarded["spec"]["minAvailable"] = 1
    status = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 1}
    c = setup("t9", ready=False, policy="AlwaysAllow", budgets=((guarded, status),))
    c.store.update(
        {
            **c.store.get(("PodDisruptionBudget", NS, "foo")),
            "status": {**foo_status(c), "expectedPods": 1},
        }
    )
    monitor = Monitor([make_invariant("pdb_respected")])
    step = c.step(EvictPod(NS, "t9"))
    assert evicted(c, "t9")
    assert monitor.observe(c, step=step) == []
    assert "pdb_respected" not in monitor.history.met
    # A Ready victim is judged: counts current, but an allowance the counts do not give.
    c = setup("t9", ready=True, policy="AlwaysAllow", budgets=((guarded, status),))
    current = {**foo_status(c), "expectedPods": 1, "currentHealthy": 1, "disruptionsAllowed": 1}
    c.store.update({**c.store.get(("PodDisruptionBudget", NS, "foo")), "status": current})
    monitor = Monitor([make_invariant("pdb_respected")])
    (found,) = monitor.observe(c, step=c.step(EvictPod(NS, "t9")))
    assert (
        found.message
        == "evicting default/t9 left PDB default/foo with 0 healthy pods, fewer than 1"
    )
