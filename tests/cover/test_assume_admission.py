"""The scheduler's assume cache and the kubelet's admission (issue 19 §3)."""

from __future__ import annotations

import copy

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.kubelet import KubeletCleanupPods, KubeletSyncPod
from kmodel.cluster.components.scheduler import SchedulePod
from kmodel.cluster.faults import (
    ControlPlaneCrash,
    ControlPlaneRecover,
    KubeletHeal,
    KubeletPartition,
    NodeCrash,
    NodeRecover,
    WatchDelay,
    WatchDeliver,
)
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import deployment, node, pods


def _stalled_scheduler_sees_two_pending_pods():
    """Two 600m pods pending, two 1-cpu nodes, then the scheduler's watch stalls."""
    body = deployment(replicas=2)
    body["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "600m"
    c = build_cluster([node("n1", cpu="1"), node("n2", cpu="1"), body])
    while len(pods(c)) < 2:
        c.step(next(a for a in c.enabled_actions() if not isinstance(a, SchedulePod)))
    c.step(WatchDeliver("scheduler"))
    c.step(WatchDelay("scheduler"))
    return c


def _bind_all(c, monitor):
    violations = []
    for _ in range(5):
        schedule = [
            a
            for a in c.enabled_actions()
            if isinstance(a, SchedulePod)
            and not c.store.get(("Pod", a.namespace, a.pod))["spec"].get("nodeName")
        ]
        if not schedule:
            break
        violations.extend(monitor.observe(c, step=c.step(schedule[0])))
    return violations


def test_a_stalled_scheduler_counts_the_pods_it_bound_and_never_overcommits():
    c = _stalled_scheduler_sees_two_pending_pods()
    assert _bind_all(c, Monitor([make_invariant("no_overcommit")])) == []
    # The stale view still shows both nodes empty; the assumed pod fills the first one.
    assert sorted(p["spec"].get("nodeName", "") for p in pods(c)) == ["n1", "n2"]
    assert len(c.memory["scheduler"]["assumed"]) == 2
    c.step(WatchDeliver("scheduler"))  # the informer confirms both bindings
    assert [a for a in c.enabled_actions() if isinstance(a, SchedulePod)] == []
    c.settle()
    assert all(p["status"]["phase"] == "Running" for p in pods(c))


def test_without_the_assume_cache_the_same_stall_overcommits(monkeypatch):
    from kmodel.cluster.components import scheduler  # noqa: PLC0415

    monkeypatch.setattr(scheduler, "_assumed", lambda cluster: ())
    c = _stalled_scheduler_sees_two_pending_pods()
    violations = _bind_all(c, Monitor([make_invariant("no_overcommit")]))
    assert [v.values["resource"] for v in violations] == ["cpu"]


def _bound_by_hand(name: str, cpu: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "nodeName": "n1",
            "containers": [
                {"name": "app", "image": "app:1", "resources": {"requests": {"cpu": cpu}}}
            ],
        },
    }


def test_the_kubelet_rejects_a_pod_bound_by_hand_that_does_not_fit():
    pod = _bound_by_hand("extra", "700m")
    body = deployment(replicas=1)
    body["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "600m"
    c = build_cluster([node("n1", cpu="1"), body])
    c.settle()
    c.create(copy.deepcopy(pod))
    c.step(KubeletSyncPod("n1", "default", "extra"))
    status = c.store.get(("Pod", "default", "extra"))["status"]
    assert (status["phase"], status["reason"]) == ("Failed", "OutOfcpu")
    assert status["message"] == (
        "Pod was rejected: Node didn't have enough resource: cpu, requested: 700, used: 600, "
        "capacity: 1000"
    )
    uid = c.store.get(("Pod", "default", "extra"))["metadata"]["uid"]
    assert c.machines["n1"].pods[uid].records == {}  # no container ever started
    c.settle()
    assert c.store.get(("Pod", "default", "extra"))["status"]["phase"] == "Failed"
    assert all(p["status"]["phase"] == "Running" for p in pods(c))


def test_a_rejection_refused_by_the_api_is_written_once_it_answers():
    c = build_cluster([node("n1", cpu="1")], control_plane_members=3)
    c.settle()
    c.create(_bound_by_hand("big", "2"))
    c.step(ControlPlaneCrash(0))
    c.step(ControlPlaneCrash(1))
    step = c.step(KubeletSyncPod("n1", "default", "big"))
    assert step.errors  # no quorum: the Failed status is not written
    assert (c.store.get(("Pod", "default", "big")).get("status") or {}).get("phase") != "Failed"
    assert KubeletSyncPod("n1", "default", "big") in c.enabled_actions()
    c.step(ControlPlaneRecover(0))
    c.step(KubeletSyncPod("n1", "default", "big"))
    status = c.store.get(("Pod", "default", "big"))["status"]
    assert (status["phase"], status["reason"]) == ("Failed", "OutOfcpu")
    assert KubeletSyncPod("n1", "default", "big") not in c.enabled_actions()


def test_the_kubelet_stops_a_force_deleted_pod_once_its_partition_heals():
    c = build_cluster([node("n1"), deployment(replicas=1)])
    c.settle()
    (pod,) = pods(c)
    uid = pod["metadata"]["uid"]
    c.step(KubeletPartition("n1"))
    c.delete(("Pod", "default", pod["metadata"]["name"]), uid=uid)  # --force --grace-period=0
    c.step(Tick(30))
    c.settle(idle_ticks=2, horizon=20)
    # Partitioned: the kubelet never heard of the deletion, the containers keep running.
    assert c.machines["n1"].pods[uid].running() == ["app"]
    assert not any(isinstance(a, KubeletCleanupPods) for a in c.enabled_actions())
    c.step(KubeletHeal("n1"))
    assert KubeletCleanupPods("n1") in c.enabled_actions()
    c.step(KubeletCleanupPods("n1"))
    assert uid not in c.machines["n1"].pods
    c.settle()
    assert [p["status"]["phase"] for p in pods(c)] == ["Running"]  # the replacement
    assert all(r.uid != uid for r in c.machines["n1"].pods.values())


def test_a_rebooted_kubelet_never_runs_a_pod_that_already_succeeded():
    config = ClusterConfig(programs={"job:1": Program(run_for=5)})
    job = _bound_by_hand("job", "100m")
    job["spec"]["restartPolicy"] = "Never"
    job["spec"]["containers"][0]["image"] = "job:1"
    c = build_cluster([node("n1"), job], config=config)
    c.settle()
    before = c.store.get(("Pod", "default", "job"))
    assert before["status"]["phase"] == "Succeeded"
    c.step(NodeCrash("n1"))
    c.step(NodeRecover("n1"))
    c.settle()
    after = c.store.get(("Pod", "default", "job"))
    assert after["status"]["containerStatuses"] == before["status"]["containerStatuses"]
    assert not any(r.running() for r in c.machines["n1"].pods.values())
    assert Monitor([make_invariant("pod_phase_consistent")]).observe(c) == []


def test_a_node_with_capacity_only_runs_pods_as_the_api_server_defaults_it():
    bare = node("n1", cpu="1")
    bare["status"] = {"capacity": bare["status"]["capacity"]}
    c = build_cluster([bare, deployment(replicas=1)])
    assert c.store.get(("Node", "", "n1"))["status"]["allocatable"]["cpu"] == "1"
    c.settle()
    assert [p["spec"].get("nodeName") for p in pods(c)] == ["n1"]
