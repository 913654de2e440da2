"""The disruption controller's PDB status, case by case as upstream's ``disruption_test.go``.

Each case is computed by hand from ``pkg/controller/disruption/disruption.go``: the expected
count (``getExpectedPodCount``, ``getExpectedScale``), the healthy count (``countHealthyPods``
with ``disruptedPods``), ``disruptionsAllowed`` and the ``DisruptionAllowed`` condition
(``updatePdbStatus``), and ``failSafe`` on a failed sync.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.disruption import EvictPod, SyncDisruptionBudget, pdb_status
from kmodel.cluster.faults import WatchDrop
from kmodel.cluster.model import Cluster
from kmodel.cluster.user_actions import DrainNode
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import daemonset, deployment, node, pods

NS = "default"


class View:
    """A controller's cache: objects by kind, namespace and name."""

    def __init__(self, *objects: Mapping[str, Any]) -> None:
        self.objects = {
            (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects
        }

    def get(self, key: tuple[str, str, str]) -> Mapping[str, Any] | None:
        return self.objects.get(key)

    def list_objects(
        self, kind: str, *, namespace: str | None = None
    ) -> Iterator[Mapping[str, Any]]:
        for key in sorted(self.objects):
            if key[0] == kind and namespace in {None, key[1]}:
                yield self.objects[key]


def owner(obj: Mapping[str, Any]) -> dict[str, Any]:
    api = {"Job": "batch/v1"}.get(obj["kind"], "apps/v1")
    meta = obj["metadata"]
    return {
        "apiVersion": api,
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
    }


def workload(kind: str, name: str, replicas: int | None = None, by: Any = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS, "uid": f"uid-{kind}-{name}"}
    if by is not None:
        meta["ownerReferences"] = [owner(by)]
    spec = {} if replicas is None else {"replicas": replicas}
    return {"kind": kind, "metadata": meta, "spec": spec}


def pod(
    name: str,
    by: Mapping[str, Any] | None = None,
    *,
    ready: bool = True,
    phase: str = "Running",
    labels: Mapping[str, str] | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS, "uid": f"uid-{name}"}
    meta["labels"] = dict(labels or {"foo": "bar"})
    if by is not None:
        meta["ownerReferences"] = [owner(by)]
    if deleting:
        meta["deletionTimestamp"] = 5
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"kind": "Pod", "metadata": meta, "status": {"phase": phase, "conditions": conditions}}


def budget(status: Mapping[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "foobar", "namespace": NS, "generation": 1},
        "spec": {"selector": {"matchLabels": {"foo": "bar"}}, **spec},
    }
    if status is not None:
        body["status"] = dict(status)
    return body


def counts(status: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods), as VerifyPdbStatus."""
    return (
        status["disruptionsAllowed"],
        status["currentHealthy"],
        status["desiredHealthy"],
        status["expectedPods"],
    )


def condition(status: Mapping[str, Any]) -> dict[str, Any]:
    (found,) = [c for c in status["conditions"] if c["type"] == "DisruptionAllowed"]
    return found


def sync(pdb: Mapping[str, Any], *objects: Mapping[str, Any], now: int = 10) -> dict[str, Any]:
    view = View(pdb, *objects)
    return pdb_status(pdb, view, now)


def settled_web(*, replicas: int) -> Cluster:
    """Two nodes, the web Deployment and a ``maxUnavailable: 1`` budget over it, settled."""
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=replicas), pdb])
    c.settle()
    return c


def test_no_selector_matches_every_pod():  # TestNoSelector
    pdb = budget(minAvailable=3)
    pdb["spec"]["selector"] = {}
    assert counts(sync(pdb)) == (0, 0, 3, 0)
    assert counts(sync(pdb, pod("yo-yo-yo", labels={"other": "x"}))) == (0, 1, 3, 1)


def test_integer_min_available_counts_the_pods_and_their_readiness():  # TestUnavailable
    pdb = budget(minAvailable=3)
    four = [pod(f"p{i}") for i in range(4)]
    assert counts(sync(pdb, *four)) == (1, 4, 3, 4)
    assert counts(sync(pdb, pod("p0", ready=False), *four[1:])) == (0, 3, 3, 4)


def test_integer_min_available_counts_terminal_pods_as_expected():
    # getPodsForPdb lists every matching pod; a Succeeded pod is expected but not healthy.
    pdb = budget(minAvailable=1)
    done = pod("done", phase="Succeeded", ready=False)
    assert counts(sync(pdb, pod("a"), pod("b"), done)) == (1, 2, 1, 3)


def test_max_unavailable_with_only_an_unmanaged_pod_allows_nothing():  # TestIntegerMaxUnavailable
    pdb = budget(maxUnavailable=1)
    assert counts(sync(pdb)) == (0, 0, 0, 0)
    status = sync(pdb, pod("naked"))
    assert counts(status) == (0, 1, 0, 0)  # expected 0: no disruption, whatever is healthy
    assert (condition(status)["status"], condition(status)["reason"]) == (
        "False",
        "InsufficientPods",
    )


@pytest.mark.parametrize(
    ("max_unavailable", "replicas", "want"),
    [
        (2, 7, (0, 1, 5, 7)),  # TestIntegerMaxUnavailableWithScaling
        (2, 5, (0, 1, 3, 5)),
        ("30%", 7, (0, 1, 4, 7)),  # TestPercentageMaxUnavailableWithScaling: ceil(2.1) = 3
        ("30%", 3, (0, 1, 2, 3)),  # ceil(0.9) = 1
    ],
)
def test_max_unavailable_scales_with_the_replica_set(max_unavailable, replicas, want):
    rs = workload("ReplicaSet", "foobar", replicas)
    assert counts(sync(budget(maxUnavailable=max_unavailable), rs, pod("pod", rs))) == want


def test_percentage_min_available_uses_a_lone_replica_set_scale():  # TestReplicaSet
    rs = workload("ReplicaSet", "foobar", 10)
    assert counts(sync(budget(minAvailable="20%"), rs, pod("pod", rs))) == (0, 1, 2, 10)


def test_max_unavailable_counts_a_deployment_replicas_not_its_pods():
    # Three replicas wanted, two pods exist (the third cannot be placed): expected 3,
    # desired 3 - 1 = 2, healthy 2, so nothing may be disrupted. Counting pods would allow 1.
    d = workload("Deployment", "web", 3)
    rs = workload("ReplicaSet", "web-abc", 3, by=d)
    status = sync(budget(maxUnavailable=1), d, rs, pod("a", rs), pod("b", rs))
    assert counts(status) == (0, 2, 2, 3)


def test_deployment_scale_is_counted_once_over_its_replica_sets():
    # A rollout: pods of two ReplicaSets of one Deployment count its replicas once.
    d = workload("Deployment", "web", 4)
    old = workload("ReplicaSet", "web-old", 2, by=d)
    new = workload("ReplicaSet", "web-new", 3, by=d)
    pods_ = [pod("o1", old), pod("o2", old), pod("n1", new), pod("n2", new), pod("n3", new)]
    assert counts(sync(budget(maxUnavailable="25%"), d, old, new, *pods_)) == (2, 5, 3, 4)


def test_stateful_set_percentage_and_an_unmanaged_pod():  # TestStatefulSetController, rogue
    ss = workload("StatefulSet", "foobar", 3)
    pdb = budget(minAvailable="34%")  # ceil(1.02) = 2
    assert counts(sync(pdb, ss)) == (0, 0, 0, 0)
    members = [pod(f"foobar-{i}", ss) for i in range(3)]
    assert counts(sync(pdb, ss, *members)) == (1, 3, 2, 3)
    # An unmanaged pod is left out of the expected count but is healthy (no error).
    status = sync(pdb, ss, *members, pod("rogue"))
    assert counts(status) == (2, 4, 2, 3)
    assert condition(status)["reason"] == "SufficientPods"


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        ("DaemonSet", {"maxUnavailable": 1}, "daemonsets.apps does not implement the scale"),
        ("Job", {"minAvailable": "50%"}, "jobs.batch does not implement the scale"),
    ],
)
def test_a_controller_without_scale_fails_the_sync_safe(kind, spec, message):
    # failSafe: disruptionsAllowed 0, DisruptionAllowed False / SyncFailed with the error, the
    # other fields as they were.
    before = {
        "currentHealthy": 2,
        "desiredHealthy": 1,
        "expectedPods": 2,
        "disruptionsAllowed": 1,
        "observedGeneration": 1,
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": "True",
                "reason": "SufficientPods",
                "message": "",
                "observedGeneration": 1,
                "lastTransitionTime": 3,
            }
        ],
    }
    owner_ = workload(kind, "agent")
    status = sync(budget(before, **spec), owner_, pod("a", owner_), pod("b", owner_), now=40)
    assert counts(status) == (0, 2, 1, 2)
    assert status["observedGeneration"] == 1
    got = condition(status)
    assert (got["status"], got["reason"], got["lastTransitionTime"]) == ("False", "SyncFailed", 40)
    assert got["message"] == f"{message} subresource"


def test_integer_min_available_does_not_look_for_controllers():
    ds = workload("DaemonSet", "agent")
    assert counts(sync(budget(minAvailable=1), ds, pod("a", ds), pod("b", ds))) == (1, 2, 1, 2)


def test_a_controller_not_found_fails_the_sync():
    gone = workload("ReplicaSet", "gone", 2)  # in no cache and not in the API
    status = sync(budget(maxUnavailable=1), pod("a", gone))
    assert status["disruptionsAllowed"] == 0
    assert condition(status)["message"] == 'found no controllers for pod "a"'
    # A UID mismatch (a ReplicaSet of the same name, recreated) is not the controller either.
    other = {**gone, "metadata": {**gone["metadata"], "uid": "uid-other"}}
    status = sync(budget(maxUnavailable=1), other, pod("a", gone))
    assert condition(status)["reason"] == "SyncFailed"


def test_the_scale_subresource_answers_for_what_the_cache_misses():
    # getScaleController reads the API: a ReplicaSet the informer has not seen yet, and a
    # ReplicaSet whose Deployment is gone (getPodDeployment and getPodReplicaSet both skip it).
    rs = workload("ReplicaSet", "fresh", 4)
    pdb = budget(maxUnavailable=1)
    assert counts(pdb_status(pdb, View(pdb, pod("a", rs)), 10, api=View(rs))) == (0, 1, 3, 4)
    d = workload("Deployment", "web", 9)
    orphan_rs = workload("ReplicaSet", "web-abc", 2, by=d)
    view = View(pdb, orphan_rs, pod("a", orphan_rs))
    assert counts(pdb_status(pdb, view, 10, api=View(orphan_rs))) == (0, 1, 1, 2)


def test_neither_min_available_nor_max_unavailable_allows_nothing():
    assert counts(sync(budget(), pod("a"), pod("b"))) == (0, 2, 0, 0)


def test_disrupted_pods_are_unhealthy_until_deleted_or_timed_out():
    # The eviction API listed "a" at 100; DeletionTimeout is 120 s.
    pdb = budget({"disruptedPods": {"a": 100}}, minAvailable=1)
    assert counts(sync(pdb, pod("a"), pod("b"), now=150)) == (0, 1, 1, 2)
    assert sync(pdb, pod("a"), pod("b"), now=150)["disruptedPods"] == {"a": 100}
    # At 220 exactly the entry is kept (220 is not before 220) but no longer makes "a"
    # unhealthy (100 + 120 is not after 220); past it, the entry is dropped.
    at_timeout = sync(pdb, pod("a"), pod("b"), now=220)
    assert (counts(at_timeout), at_timeout["disruptedPods"]) == ((1, 2, 1, 2), {"a": 100})
    assert "disruptedPods" not in sync(pdb, pod("a"), pod("b"), now=221)
    # A pod being deleted is dropped from the map and is not healthy either.
    status = sync(pdb, pod("a", deleting=True), pod("b"), now=150)
    assert (counts(status), "disruptedPods" in status) == ((0, 1, 1, 2), False)


def test_an_up_to_date_status_is_left_as_it_is_and_conditions_keep_their_time():
    pdb = budget(minAvailable=1)
    first = sync(pdb, pod("a"), pod("b"), now=10)
    assert condition(first) == {
        "type": "DisruptionAllowed",
        "status": "True",
        "reason": "SufficientPods",
        "message": "",
        "observedGeneration": 1,
        "lastTransitionTime": 10,
    }
    synced = budget(first, minAvailable=1)
    assert sync(synced, pod("a"), pod("b"), now=50) == first  # nothing to write
    # One pod unready: the count changes and the condition flips, at 60.
    second = sync(synced, pod("a"), pod("b", ready=False), now=60)
    assert counts(second) == (0, 1, 1, 2)
    assert (condition(second)["reason"], condition(second)["lastTransitionTime"]) == (
        "InsufficientPods",
        60,
    )
    # A new generation is observed even when the counts stay.
    bumped = budget(first, minAvailable=1)
    bumped["metadata"]["generation"] = 2
    third = sync(bumped, pod("a"), pod("b"), now=70)
    assert (third["observedGeneration"], condition(third)["observedGeneration"]) == (2, 2)
    assert condition(third)["lastTransitionTime"] == 10  # the status did not change


def test_an_admitted_eviction_lists_the_pod_and_updates_the_condition():
    # eviction.go checkAndDecrement: the allowance goes 1 -> 0 (the condition says so), the pod
    # is listed in disruptedPods; the controller drops it once it sees the pod being deleted.
    c = settled_web(replicas=2)
    status = c.store.get(("PodDisruptionBudget", "default", "web"))["status"]
    assert counts(status) == (1, 2, 1, 2)
    victim = pods(c)[0]
    name = victim["metadata"]["name"]
    c.step(DrainNode(victim["spec"]["nodeName"]))
    c.step(EvictPod("default", name))
    status = c.store.get(("PodDisruptionBudget", "default", "web"))["status"]
    assert status["disruptionsAllowed"] == 0
    assert status["disruptedPods"] == {name: c.now}
    assert (condition(status)["status"], condition(status)["reason"]) == (
        "False",
        "InsufficientPods",
    )
    c.step(SyncDisruptionBudget("default", "web"))
    status = c.store.get(("PodDisruptionBudget", "default", "web"))["status"]
    assert "disruptedPods" not in status  # the pod is being deleted
    assert counts(status) == (0, 1, 1, 2)


def test_an_eviction_waits_for_the_budget_to_observe_its_generation():
    c = settled_web(replicas=2)
    stored = c.store.get(("PodDisruptionBudget", "default", "web"))
    c.update({**stored, "spec": {**stored["spec"], "maxUnavailable": 2}})  # generation 2
    victim = pods(c)[0]
    c.step(DrainNode(victim["spec"]["nodeName"]))
    step = c.step(EvictPod("default", victim["metadata"]["name"]))
    assert any("disruption budget" in e for e in step.errors)
    assert (
        c.store.get(("Pod", "default", victim["metadata"]["name"]))["metadata"].get(
            "deletionTimestamp"
        )
        is None
    )


def test_a_daemon_set_budget_fails_safe_at_rest_and_the_invariant_agrees():
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "agent"}}},
    }
    c = build_cluster([node("n1"), node("n2"), daemonset(), pdb])
    c.settle()
    status = c.store.get(("PodDisruptionBudget", "default", "agent"))["status"]
    assert status["disruptionsAllowed"] == 0
    assert (condition(status)["reason"], condition(status)["message"]) == (
        "SyncFailed",
        "daemonsets.apps does not implement the scale subresource",
    )
    monitor = Monitor([make_invariant("pdb_status_current")])
    assert monitor.at_fixpoint(c) == []
    # A status that allows a disruption there is what the invariant refuses.
    stored = c.store.get(("PodDisruptionBudget", "default", "agent"))
    c.store.update({**stored, "status": {**status, "disruptionsAllowed": 1}})
    (found,) = monitor.at_fixpoint(c)
    assert "allows 1 disruptions (condition SyncFailed) at rest" in found.message


def test_pdb_status_current_names_each_wrong_field():
    c = settled_web(replicas=3)
    monitor = Monitor([make_invariant("pdb_status_current")])
    assert monitor.at_fixpoint(c) == []
    stored = c.store.get(("PodDisruptionBudget", "default", "web"))
    assert counts(stored["status"]) == (1, 3, 2, 3)
    c.store.update({**stored, "status": {**stored["status"], "expectedPods": 2}})
    (found,) = monitor.at_fixpoint(c)
    assert found.message == "PDB default/web at rest records expectedPods 2 (want 3)"


def test_a_sync_from_a_stale_cache_conflicts_and_writes_nothing():
    # writePdbStatus updates the cached budget: when the controller's watch lost the eviction's
    # write of the budget (but saw the pod go), the write is refused (upstream requeues).
    c = settled_web(replicas=2)
    victim = pods(c)[0]
    c.step(DrainNode(victim["spec"]["nodeName"]))
    c.step(WatchDrop("disruption"))
    c.step(EvictPod("default", victim["metadata"]["name"]))  # its first write: the budget
    evicted = c.store.get(("PodDisruptionBudget", "default", "web"))
    assert SyncDisruptionBudget("default", "web") in c.enabled_actions()
    step = c.step(SyncDisruptionBudget("default", "web"))
    assert c.store.get(("PodDisruptionBudget", "default", "web")) is evicted
    assert any(e.startswith("Conflict:") for e in step.errors)
