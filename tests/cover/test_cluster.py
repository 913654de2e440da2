"""The cluster model, component by component: store, informers, kubelet, controllers, faults."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pytest

from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.controllers import SyncDeployment
from kmodel.cluster.components.disruption import pdb_status
from kmodel.cluster.components.kubelet import KubeletSyncPod, runtime_key
from kmodel.cluster.components.network import (
    SendRequests,
    ServeRequest,
    request_choices,
    resolve,
)
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.components.scheduler import SchedulePod
from kmodel.cluster.faults import (
    ControlPlaneCrash,
    ControlPlaneRecover,
    KubeletPartition,
    NodeCrash,
    WatchDelay,
    WatchDeliver,
)
from kmodel.cluster.model import Cluster, ClusterConfig, Program, _WatchedClock
from kmodel.cluster.store import APIStore, Conflict, NotFound, Unavailable
from kmodel.cluster.user_actions import (
    DeletePod,
    DrainNode,
    ScaleDeployment,
    SetImage,
    UpdateConfigMap,
)
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import deployment, node, pods, ready, service

# ---- API store


def test_store_uids_revisions_and_optimistic_concurrency():
    store = APIStore()
    first = store.create({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {}})
    assert first["metadata"]["uid"] == "uid-00001"
    assert first["metadata"]["resourceVersion"] == "1"
    updated = store.update({**first, "data": {"k": "v"}})
    assert updated["metadata"]["resourceVersion"] == "2"
    with pytest.raises(Conflict, match="has been modified"):
        store.update({**first, "data": {"k": "stale"}})
    with pytest.raises(Conflict, match="already exists"):
        store.create({"kind": "ConfigMap", "metadata": {"name": "a"}})
    store.delete(("ConfigMap", "default", "a"))
    again = store.create({"kind": "ConfigMap", "metadata": {"name": "a"}})
    assert again["metadata"]["uid"] != first["metadata"]["uid"]  # same name, new object
    with pytest.raises(NotFound):
        store.delete(("ConfigMap", "default", "a"), uid=first["metadata"]["uid"])
    assert [e.type for e in store.events_since(0)] == ["ADDED", "MODIFIED", "DELETED", "ADDED"]


def test_store_generation_finalizers_and_graceful_deletion():
    store = APIStore()
    d = store.create(deployment())
    assert d["metadata"]["generation"] == 1
    same = store.update({**d, "status": {"replicas": 1}})
    assert same["metadata"]["generation"] == 1  # status is not spec
    changed = store.update({**same, "spec": {**same["spec"], "replicas": 5}})
    assert changed["metadata"]["generation"] == 2
    guarded = store.create(
        {"kind": "ConfigMap", "metadata": {"name": "g", "finalizers": ["example.com/keep"]}}
    )
    marked = store.delete(("ConfigMap", "default", "g"))
    assert marked is not None
    assert marked["metadata"]["deletionTimestamp"] == 0
    released = {**marked, "metadata": {**marked["metadata"], "finalizers": []}}
    store.update(released)
    assert store.get(("ConfigMap", "default", "g")) is None
    assert guarded["metadata"]["uid"] == "uid-00002"


@pytest.mark.parametrize(
    ("grace", "node_name", "phase", "recorded"),
    [
        (None, "n1", "Running", 30),  # SetDefaults_PodSpec's 30 s
        (5, "n1", "Running", 5),
        (-3, "n1", "Running", 1),  # negative: 1
        (0, "n1", "Running", None),  # no grace: removed at once
        (5, "", "Pending", None),  # no node runs it
        (5, "n1", "Succeeded", None),  # already terminal
        (5, "n1", "Failed", None),
    ],
)
def test_a_pod_deletion_records_the_grace_period_deletion_grace_period_decides(
    grace, node_name, phase, recorded
):
    """The store records the period ownership.deletion_grace_period decided, or removes the pod."""
    spec = {"nodeName": node_name, "containers": [{"name": "c", "image": "app:1"}]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    c = build_cluster([node("n1", "a")])
    created = c.store.create({"kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    pod = c.store.update({**created, "status": {"phase": phase}})
    after = delete_pod(c, pod)
    if recorded is None:
        assert after is None
        assert c.store.get(("Pod", "default", "p")) is None
    else:
        assert after is not None
        assert after["metadata"]["deletionGracePeriodSeconds"] == recorded
        assert c.store.get(("Pod", "default", "p")) == after


def test_store_needs_quorum_for_writes():
    store = APIStore(members=3)
    store.create({"kind": "ConfigMap", "metadata": {"name": "a"}})
    store.down.add(0)
    store.create({"kind": "ConfigMap", "metadata": {"name": "b"}})  # 2 of 3 up: a majority
    store.down.add(1)
    assert not store.has_quorum
    with pytest.raises(Unavailable):
        store.create({"kind": "ConfigMap", "metadata": {"name": "c"}})


# ---- a whole cluster


@pytest.fixture
def cluster():
    c = build_cluster([node("n1", "a"), node("n2", "b"), node("n3", "c"), deployment(), service()])
    c.settle()
    return c


def test_a_deployment_comes_up_spread_and_served(cluster):
    running = pods(cluster)
    assert len(running) == 3
    assert sorted(p["spec"]["nodeName"] for p in running) == ["n1", "n2", "n3"]  # LeastAllocated
    assert all(p["status"]["phase"] == "Running" and ready(p) for p in running)
    assert len({p["status"]["podIP"] for p in running}) == 3
    endpoints = cluster.store.get(("Endpoints", "default", "web"))
    assert len(endpoints["subsets"][0]["addresses"]) == 3
    status = cluster.store.get(("Deployment", "default", "web"))["status"]
    assert (status["availableReplicas"], status["updatedReplicas"]) == (3, 3)
    assert resolve(cluster, "web.default.svc.cluster.local") == resolve(cluster, "web")
    assert resolve(cluster, "nope") is None


def test_requests_go_to_ready_endpoints(cluster):
    choices = request_choices(cluster, "default", "web")
    assert len(choices) == 3
    cluster.step(ServeRequest("default", "web", choices[0]["ip"]))
    assert cluster.requests[-1][2] == choices[0]["targetRef"]["name"]
    cluster.step(ServeRequest("default", "web", "10.9.9.9"))
    assert cluster.requests[-1][2] == ""  # refused


def test_clients_send_a_request_through_each_endpoint_kube_proxy_knows(cluster):
    addresses = request_choices(cluster, "default", "web")
    cluster.step(SendRequests("default", "web"))
    assert [(r[2], r[3]) for r in cluster.requests] == [
        (a["targetRef"]["name"], a["ip"]) for a in addresses
    ]
    cluster.step(SendRequests("default", "nope"))
    assert cluster.requests[-1][2:] == ("", "")  # no endpoints: refused


def test_rolling_update_replaces_every_pod(cluster):
    old = {p["metadata"]["uid"] for p in pods(cluster)}
    cluster.step(SetImage("default", "web", "app", "app:2"))
    cluster.settle()
    new = pods(cluster)
    assert len(new) == 3
    assert not old & {p["metadata"]["uid"] for p in new}
    assert {p["spec"]["containers"][0]["image"] for p in new} == {"app:2"}
    replicasets = list(cluster.store.list_objects("ReplicaSet"))
    assert sorted(rs["spec"]["replicas"] for rs in replicasets) == [0, 3]
    revisions = sorted(
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] for rs in replicasets
    )
    assert revisions == ["1", "2"]


def test_scaling_deletes_the_doubled_up_pods_first():
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=3), service()])
    c.settle()
    placed = sorted(p["spec"]["nodeName"] for p in pods(c))
    assert sorted(placed.count(n) for n in ("n1", "n2")) == [1, 2]  # one node doubled up
    c.step(ScaleDeployment("default", "web", 2))
    c.settle()
    # The ReplicaSet deletes from the doubled-up node first (rank rule).
    assert sorted(p["spec"]["nodeName"] for p in pods(c)) == ["n1", "n2"]


def test_node_crash_marks_pods_not_ready_then_replaces_them():
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=2), service()])
    c.settle()
    victim = next(p for p in pods(c) if p["spec"]["nodeName"] == "n1")
    c.step(NodeCrash("n1"))
    c.step(Tick(60))
    c.settle(idle_ticks=2, horizon=40)
    stale = c.store.get(("Pod", "default", victim["metadata"]["name"]))
    assert not ready(stale)  # node lifecycle: MarkPodsNotReady
    node_ready = next(
        x for x in c.store.get(("Node", "", "n1"))["status"]["conditions"] if x["type"] == "Ready"
    )
    assert node_ready["status"] == "Unknown"
    c.settle()  # past the 300 s toleration: evicted and replaced on n2
    live = [p for p in pods(c) if p["metadata"].get("deletionTimestamp") is None]
    assert [p["spec"]["nodeName"] for p in live] == ["n2", "n2"]
    assert all(ready(p) for p in live)


def test_kubelet_partition_keeps_containers_running():
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=2), service()])
    c.settle()
    c.step(KubeletPartition("n1"))
    c.step(Tick(60))
    c.settle(idle_ticks=2, horizon=30)
    machine = c.machines["n1"]
    assert any(r.running() for r in machine.pods.values())


def test_crash_loop_backs_off_and_the_rollout_stalls():
    # The bad image crashes 5 s after each start, before its readiness probe (10 s) passes.
    config = ClusterConfig(programs={"app:bad": Program(run_for=5, exit_code=1, ready_after=10)})
    surge_only = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    d = deployment(replicas=2, strategy=surge_only)
    d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["true"]}
    }
    c = build_cluster([node("n1"), node("n2"), d, service()], config=config)
    c.settle()
    c.step(SetImage("default", "web", "app", "app:bad"))
    c.settle(horizon=600)
    bad = [p for p in pods(c) if p["spec"]["containers"][0]["image"] == "app:bad"]
    assert len(bad) == 1  # maxSurge 1, and it never becomes available
    status = bad[0]["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 3
    assert bad[0]["status"]["phase"] == "Running"
    waiting = status["state"].get("waiting") or {}
    if waiting:
        assert waiting["reason"] == "CrashLoopBackOff"
    assert sum(1 for p in pods(c) if ready(p)) == 2  # the old pods keep serving


def test_scheduler_offers_every_tied_node_and_reports_unschedulable():
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=1)])
    ties = [a for a in c.enabled_actions() if isinstance(a, SchedulePod)]
    assert ties == []  # the pod does not exist yet: the controllers act first
    for _ in range(3):
        for action in c.enabled_actions():
            if not isinstance(action, SchedulePod):
                c.step(action)
    ties = [a for a in c.enabled_actions() if isinstance(a, SchedulePod)]
    assert sorted(a.node for a in ties) == ["n1", "n2"]
    big = build_cluster([node("n1", cpu="1"), deployment("big", replicas=1)])
    big.step(ScaleDeployment("default", "big", 1))
    body = copy.deepcopy(deployment("big", replicas=1))
    body["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "8"
    huge = build_cluster([node("n1", cpu="1"), body])
    huge.settle()
    (pod,) = pods(huge, "big")
    scheduled = next(x for x in pod["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (scheduled["status"], scheduled["reason"]) == ("False", "Unschedulable")
    assert scheduled["message"] == "0/1 nodes are available: 1 Insufficient cpu."


def test_quorum_loss_stops_progress_and_recovery_resumes_it():
    c = build_cluster([node("n1"), deployment(replicas=1)], control_plane_members=3)
    c.settle()
    c.step(ControlPlaneCrash(0))
    c.step(ControlPlaneCrash(1))
    c.step(ScaleDeployment("default", "web", 3))  # refused: no quorum
    assert c.store.get(("Deployment", "default", "web"))["spec"]["replicas"] == 1
    c.step(ControlPlaneRecover(0))
    c.step(ScaleDeployment("default", "web", 3))
    c.settle()
    assert len(pods(c)) == 3


def test_stale_watch_and_catch_up():
    c = build_cluster([node("n1"), deployment(replicas=1)])
    c.settle()
    c.step(WatchDelay("replicaset"))
    c.step(ScaleDeployment("default", "web", 2))
    c.settle(idle_ticks=1, horizon=20)
    assert len(pods(c)) == 1  # the ReplicaSet controller never saw the scale-up
    c.step(WatchDeliver("replicaset"))
    c.settle()
    assert len(pods(c)) == 2


def test_a_deployment_sync_whose_scaling_conflicts_writes_no_status():
    # sync() returns the scaling error before syncDeploymentStatus: a stale ReplicaSet in the
    # controller's cache (its watch stalled after a user scaled) ends the sync with no write.
    c = build_cluster([node("n1"), deployment(replicas=2)])
    c.settle()
    c.step(ScaleDeployment("default", "web", 0))
    c.view("deployment")  # the controller has seen the scale
    c.step(WatchDelay("deployment"))
    (rs,) = c.store.list_objects("ReplicaSet")
    c.store.update({**rs, "metadata": {**rs["metadata"], "labels": {**rs["metadata"]["labels"]}}})
    before = c.store.get(("Deployment", "default", "web"))
    step = c.step(SyncDeployment("default", "web"))
    assert step.changes == ()
    assert step.errors[0].startswith("Conflict: ReplicaSet")
    assert c.store.get(("Deployment", "default", "web")) == before
    assert SyncDeployment("default", "web") not in c.enabled_actions()


def test_a_deployment_status_write_from_a_stale_cache_conflicts():
    # UpdateStatus carries the cached resourceVersion: a Deployment changed since refuses it.
    c = build_cluster([node("n1"), deployment(replicas=2)])
    c.settle()
    c.step(WatchDelay("deployment"))
    c.step(ScaleDeployment("default", "web", 3))
    stale = c.view("deployment").get(("Deployment", "default", "web"))
    assert stale["spec"]["replicas"] == 2
    sync = SyncDeployment("default", "web")
    sync._write_status(c, dict(stale), {**stale["status"], "replicas": 7})
    assert c.store.get(("Deployment", "default", "web"))["status"]["replicas"] == 2
    assert "Conflict: Deployment" in c.memory["_step"]["errors"][0]


def test_pdb_blocks_a_drain_and_the_monitor_says_so():
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    c = build_cluster([node("n1"), node("n2"), deployment(replicas=1), pdb])
    c.settle()
    (pod,) = pods(c)
    c.step(DrainNode(pod["spec"]["nodeName"]))
    steps = c.settle(idle_ticks=2, horizon=60)
    assert any("disruption budget" in e for s in steps for e in s.errors)
    assert (
        c.store.get(("Pod", "default", pod["metadata"]["name"]))["metadata"].get(
            "deletionTimestamp"
        )
        is None
    )
    monitor = Monitor([make_invariant("drains_complete")])
    assert [v.invariant for v in monitor.at_fixpoint(c)] == ["drains_complete"]


@pytest.mark.parametrize(
    ("spec", "desired"),
    [
        ({"maxUnavailable": "50%"}, 1),  # 3 - ceil(1.5)
        ({"minAvailable": "50%"}, 2),  # ceil(1.5)
        ({"minAvailable": 2}, 2),
        ({}, 0),  # neither set: nothing expected, nothing desired
    ],
)
def test_pdb_status_rounds_percentages_up(spec, desired):
    store = APIStore()
    rs = store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 3},
        }
    )
    ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "controller": True}
    for name in "abc":
        store.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": "default",
                    "labels": {"app": "web"},
                    "ownerReferences": [{**ref, "uid": rs["metadata"]["uid"]}],
                },
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
            }
        )
    pdb = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {**spec, "selector": {"matchLabels": {"app": "web"}}},
    }
    status = pdb_status(pdb, store, store.now)
    expected = 3 if spec else 0
    allowed = 3 - desired if spec else 0
    assert (status["expectedPods"], status["currentHealthy"]) == (expected, 3)
    assert (status["desiredHealthy"], status["disruptionsAllowed"]) == (desired, allowed)


def test_zonal_volume_pins_the_pod_to_its_zone():
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "disk-b"},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "ssd",
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {
                                    "key": "topology.kubernetes.io/zone",
                                    "operator": "In",
                                    "values": ["b"],
                                }
                            ]
                        }
                    ]
                }
            },
        },
    }
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "default"},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "ssd",
            "resources": {"requests": {"storage": "5Gi"}},
        },
    }
    d = deployment(replicas=1)
    d["spec"]["template"]["spec"]["volumes"] = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    ]
    c = build_cluster([node("n1", "a"), node("n2", "b"), node("n3", "c"), pv, pvc, d])
    c.settle()
    assert (
        c.store.get(("PersistentVolumeClaim", "default", "data"))["spec"]["volumeName"] == "disk-b"
    )
    assert [p["spec"]["nodeName"] for p in pods(c)] == ["n2"]


def test_static_pod_survives_the_deletion_of_its_mirror():
    static = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "etcd", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "etcd", "image": "etcd:3"}]},
    }
    c = build_cluster([node("n1")], static_pods={"n1": [static]})
    c.settle()
    mirror = c.store.get(("Pod", "kube-system", "etcd-n1"))
    assert mirror["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
    started = next(iter(c.machines["n1"].pods.values())).records["etcd"][0]["startedAt"]
    c.step(DeletePod("kube-system", "etcd-n1"))
    c.settle()
    again = c.store.get(("Pod", "kube-system", "etcd-n1"))
    assert again is not None
    assert again["metadata"]["uid"] != mirror["metadata"]["uid"]
    runtime = c.machines["n1"].pods[runtime_key(again)]
    assert runtime.records["etcd"][0]["startedAt"] == started  # never restarted
    assert runtime.running() == ["etcd"]


def test_configmap_reaches_volumes_after_the_sync_delay_never_env():
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"mode": "a"},
    }
    d = deployment(replicas=1)
    spec = d["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "cfg", "configMap": {"name": "settings"}}]
    spec["containers"][0]["envFrom"] = [{"configMapRef": {"name": "settings"}}]
    spec["containers"][0]["volumeMounts"] = [{"name": "cfg", "mountPath": "/etc/app"}]
    c = build_cluster([node("n1"), cm, d], config=ClusterConfig(configmap_sync_delay=60))
    c.settle()
    (pod,) = pods(c)
    runtime = c.machines["n1"].pods[runtime_key(pod)]
    first = c.store.get(("ConfigMap", "default", "settings"))["metadata"]["resourceVersion"]
    assert runtime.mounted == {"ConfigMap/settings": first}
    assert runtime.started_with["app"] == {"ConfigMap/settings": first}
    c.step(UpdateConfigMap("default", "settings", "mode", "b"))
    second = c.store.get(("ConfigMap", "default", "settings"))["metadata"]["resourceVersion"]
    c.step(Tick(30))
    c.step(KubeletSyncPod("n1", "default", pod["metadata"]["name"]))
    assert runtime.mounted["ConfigMap/settings"] == first  # not yet: within the sync delay
    c.step(Tick(40))
    c.step(KubeletSyncPod("n1", "default", pod["metadata"]["name"]))
    assert runtime.mounted["ConfigMap/settings"] == second
    assert runtime.started_with["app"] == {"ConfigMap/settings": first}  # env never changes


def test_same_actions_give_the_same_cluster():
    def run():
        c = build_cluster([node("n1"), node("n2"), deployment(), service()])
        c.settle()
        c.step(SetImage("default", "web", "app", "app:2"))
        c.step(NodeCrash("n2"))
        c.settle()
        return [(e.revision, e.type, e.key) for e in c.store.log], sorted(c.store.objects)

    assert run() == run()


def test_scaling_mid_rollout_can_stall_a_max_surge_zero_rollout():
    """Upstream behaviour the model reproduces (found by properties/test_cluster_model.py).

    maxSurge 0: the rollout first scales the old ReplicaSet from 3 to 2 (its desired-replicas
    annotation stays 3, the Deployment's size then). Scaling the Deployment to 2 makes every sync a
    scaling event (``isScalingEvent``) whose ``scale`` returns at once (``FindActiveOrLatest``: the
    only active ReplicaSet is already at 2) without touching the annotation, so the new
    ReplicaSet never gets a replica.
    """
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    c = build_cluster([node("n1"), node("n2"), node("n3"), deployment(strategy=strategy)])
    c.settle()
    c.step(SetImage("default", "web", "app", "app:2"))
    c.step(SyncDeployment("default", "web"))
    c.step(ScaleDeployment("default", "web", 2))
    c.settle()
    by_image = sorted(
        (rs["spec"]["template"]["spec"]["containers"][0]["image"], rs["spec"]["replicas"])
        for rs in c.store.list_objects("ReplicaSet")
    )
    assert by_image == [("app:1", 2), ("app:2", 0)]
    old = next(rs for rs in c.store.list_objects("ReplicaSet") if rs["spec"]["replicas"] == 2)
    assert old["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "3"
    # Scaling with surge room (or without the mid-rollout scale) completes the same rollout.
    c.step(ScaleDeployment("default", "web", 3))
    c.settle()
    assert sorted(rs["spec"]["replicas"] for rs in c.store.list_objects("ReplicaSet")) == [0, 3]


def test_dry_runs_with_a_watched_clock_agree_with_real_ones_and_leave_no_clock_behind():
    # Cluster.would_change_within answers with the times its answer holds for, unless the dry
    # run used the clock otherwise; when it answers, it must agree with the dry run at the real
    # time, all along a rollout.
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    c = build_cluster([node("n1"), node("n2"), deployment(strategy=strategy), service()])
    c.settle()
    c.step(SetImage("default", "web", "app", "app:2"))
    answered = 0
    for _ in range(60):
        actions = c.enabled_actions()
        if not actions:
            break
        # Controllers only: forks share the machines, so kubelet steps never run on one.
        action = SyncDeployment("default", "web")
        within = c.would_change_within(action, components=("deployment",))
        if within is not None:
            answered += 1
            assert c.now in within[1]
            assert within[0] == c.would_change(action, components=("deployment",))
        c.step(actions[0])
    assert answered > 0
    assert not _holds_watched_clock([c.cache, c.derived])  # no stand-in clock left in caches
    twin = copy.deepcopy(c)
    twin.settle()
    c.settle()
    assert sorted(twin.store.objects) == sorted(c.store.objects)


def _holds_watched_clock(value: object) -> bool:
    if type(value) is _WatchedClock:
        return True
    if isinstance(value, dict):
        return any(_holds_watched_clock(k) or _holds_watched_clock(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_watched_clock(v) for v in value)
    return False


@dataclass(frozen=True)
class _WritesTwiceThenReadsTheClock(Action):
    """Creates two ConfigMaps, then compares the clock: how far a dry run gets shows."""

    reached: list[str]

    def apply(self, cluster: Cluster) -> None:
        for name in ("first", "second"):
            cluster.create({"kind": "ConfigMap", "metadata": {"name": name}})
            self.reached.append(name)
        self.reached.append(f"late={cluster.now > 100}")


def test_dry_runs_stop_at_their_first_write():
    # Whether an action writes is known at its first write: the dry run ends there, and its
    # window holds none of the comparisons made after it (they cannot change the answer).
    c = build_cluster([node("n1")])
    reached: list[str] = []
    action = _WritesTwiceThenReadsTheClock(reached)
    assert c.would_change(action, components=())
    assert reached == []  # it stopped in the first create
    within = c.would_change_within(action, components=())
    assert within is not None
    assert within[0]
    assert (within[1].low, within[1].high) == (None, None)
    assert reached == []
    assert not list(c.store.list_objects("ConfigMap"))  # the fork's writes stay in the fork
    c.step(action)
    assert reached == ["first", "second", "late=False"]
