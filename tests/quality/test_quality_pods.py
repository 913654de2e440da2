"""Quality: broken kubelets, schedulers and pod GC, injected from the test side, must be caught.

Each broken variant is a plausible one-line departure from upstream, patched in with
``monkeypatch``; the exploration that finds nothing wrong in the faithful model must find it
through the invariant that states the guarantee the component breaks (issue 19 §1, §3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kmodel.cluster.components import kubelet, nodes, scheduler
from kmodel.cluster.components.nodes import GarbageCollectPod
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from kmodel.semantics import replicaset
from kmodel.semantics.scheduling import framework
from tests.helpers.cluster import web_deployment
from tests.helpers.zones import claim, node, zonal_volume

OPTIONS = ExploreOptions(examples=60, max_steps=12, seed=0)


def small_node(name: str, zone: str) -> dict[str, Any]:
    body = node(name, zone)
    resources = {"cpu": "1", "memory": "4Gi", "pods": "110"}
    body["status"] = {"allocatable": resources, "capacity": dict(resources)}
    return body


def pod(name: str, containers: list[dict], *, policy: str = "Always", **spec: Any) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"restartPolicy": policy, "containers": containers, **spec},
    }


def caught(
    scenario: Scenario,
    invariant: str,
    monkeypatch: pytest.MonkeyPatch,
    breaks: Callable[[pytest.MonkeyPatch], None],
    options: ExploreOptions = OPTIONS,
) -> str:
    """Faithful: nothing found; broken: ``invariant`` found. Returns the violation's message."""
    assert explore(scenario, options=options) == []
    breaks(monkeypatch)
    findings = explore(scenario, options=options)
    assert [f.invariant for f in findings] == [invariant]
    return findings[0].violation.message


def test_a_kubelet_that_restarts_against_the_policy_is_caught(monkeypatch):
    config = ClusterConfig(programs={"job:1": Program(run_for=10, exit_code=2)})
    scenario = Scenario(
        objects=[node("n1", "a"), pod("job", [{"name": "job", "image": "job:1"}], policy="Never")],
        invariants=(make_invariant("pod_phase_consistent"),),
        config=config,
        ticks=(10,),
    )

    def always_restart(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(kubelet, "should_container_be_restarted", lambda *_: True)

    assert "restartPolicy Never" in caught(
        scenario, "pod_phase_consistent", monkeypatch, always_restart
    )


def test_a_kubelet_that_starts_containers_before_init_completes_is_caught(monkeypatch):
    config = ClusterConfig(programs={"init:1": Program(run_for=20)})
    # Scaled up from zero: the pod starts under whichever kubelet the test runs.
    scenario = Scenario(
        objects=[
            node("n1", "a"),
            web_deployment(
                0,
                {"name": "app", "image": "app:1"},
                initContainers=[{"name": "setup", "image": "init:1"}],
            ),
        ],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [1]}),),
        invariants=(make_invariant("init_containers_first"),),
        config=config,
        ticks=(10,),
    )

    def init_as_sidecar(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(kubelet, "is_restartable_init_container", lambda _container: True)

    message = caught(scenario, "init_containers_first", monkeypatch, init_as_sidecar)
    assert "before init container setup completed" in message


def test_a_kubelet_that_reports_ready_before_its_containers_are_is_caught(monkeypatch):
    config = ClusterConfig(programs={"app:1": Program(ready_after=30)})
    probed = {
        "name": "app",
        "image": "app:1",
        "readinessProbe": {"httpGet": {"path": "/", "port": 80}},
    }
    scenario = Scenario(
        objects=[node("n1", "a"), web_deployment(0, probed)],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [1]}),),
        invariants=(make_invariant("pod_ready_consistent"),),
        config=config,
        ticks=(10,),
    )

    def ready_when_running(patch: pytest.MonkeyPatch) -> None:
        faithful = kubelet.pod_conditions

        def conditions(pod_body, *, phase=None, **kwargs):
            result = faithful(pod_body, phase=phase, **kwargs)
            if phase != "Running":
                return result
            return [
                {**c, "status": "True"} if c.get("type") in {"Ready", "ContainersReady"} else c
                for c in result
            ]

        patch.setattr(kubelet, "pod_conditions", conditions)

    message = caught(scenario, "pod_ready_consistent", monkeypatch, ready_when_running)
    assert "container app is not ready" in message


def test_pod_gc_that_collects_pods_of_unready_nodes_is_caught(monkeypatch):
    scenario = Scenario(
        objects=[
            node("n1", "a"),
            node("n2", "b"),
            web_deployment(2, {"name": "app", "image": "app:1"}),
        ],
        faults={"kubelet_partition": 1},
        invariants=(make_invariant("pod_gc_safe"),),
        ticks=(10, 60),
    )

    def collect_unready(patch: pytest.MonkeyPatch) -> None:
        faithful = nodes._node_pod_actions

        def actions(cluster):
            found = faithful(cluster)
            for body in cluster.store.list_objects("Node"):
                ready = [
                    c
                    for c in body.get("status", {}).get("conditions") or []
                    if c["type"] == "Ready"
                ]
                if ready and ready[0]["status"] == "True":
                    continue
                found.extend(
                    GarbageCollectPod(p["metadata"]["namespace"], p["metadata"]["name"])
                    for p in cluster.store.list_objects("Pod")
                    if p["spec"].get("nodeName") == body["metadata"]["name"]
                )
            return found

        patch.setattr(nodes, "_node_pod_actions", actions)

    message = caught(scenario, "pod_gc_safe", monkeypatch, collect_unready)
    assert "live on existing node" in message


def test_a_scheduler_that_ignores_volume_topology_is_caught(monkeypatch):
    volume = zonal_volume("data-c", "c")
    volume_claim = claim("data")
    db = web_deployment(
        0,
        {"name": "db", "image": "db:1"},
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    )
    scenario = Scenario(
        objects=[node("n1", "a"), node("n2", "b"), node("n3", "c"), volume, volume_claim, db],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [1]}),),
        invariants=(make_invariant("volume_zone_matches"),),
    )

    def ignore_volumes(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(framework, "volume_binding_failures", lambda *_: [])
        patch.setattr(framework, "volume_zone_failures", lambda *_: [])

    message = caught(scenario, "volume_zone_matches", monkeypatch, ignore_volumes)
    assert "no nodeAffinity term selects the node" in message


def test_a_scheduler_without_its_assume_cache_is_caught(monkeypatch):
    container = {"name": "app", "image": "app:1", "resources": {"requests": {"cpu": "600m"}}}
    # Two pods wait behind a scheduling gate: once it goes, a stalled scheduler sees both
    # pending and, without its assumed pods, both nodes free.
    gated = web_deployment(2, container, schedulingGates=[{"name": "example.com/quota"}])
    scenario = Scenario(
        objects=[small_node("n1", "a"), small_node("n2", "b"), gated],
        faults={"watch_delay": None},
        user_actions=(UserAction("ungate", {"deployment": "web"}),),
        invariants=(make_invariant("no_overcommit"),),
    )

    def forget_assumed(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(scheduler, "_assumed", lambda _cluster: ())

    # The stall must fall between the release and both bindings, among one stall choice per
    # informer-backed component: four ci budgets (found within 2 s on every seed tried).
    options = ExploreOptions(examples=400, max_steps=40, seed=0)
    message = caught(scenario, "no_overcommit", monkeypatch, forget_assumed, options)
    assert "over its allocatable cpu" in message


PARTITIONED = {
    "objects": [
        node("n1", "a"),
        node("n2", "b"),
        web_deployment(2, {"name": "app", "image": "app:1"}),
    ],
    "faults": {"kubelet_partition": 1},
    "ticks": (10, 60),
}


def test_node_lifecycle_that_leaves_pods_ready_is_caught(monkeypatch):
    scenario = Scenario(**PARTITIONED, invariants=(make_invariant("lost_node_pods_not_ready"),))

    def node_only(patch: pytest.MonkeyPatch) -> None:
        def apply(self, cluster):
            body = nodes._node_update(cluster, cluster.store.get(("Node", "", self.node)))
            if body is not None:
                cluster.update(body)

        patch.setattr(nodes.MonitorNodeHealth, "apply", apply)

    message = caught(scenario, "lost_node_pods_not_ready", monkeypatch, node_only)
    assert "(no heartbeat) is still Ready" in message


def test_taint_eviction_that_ignores_toleration_seconds_is_caught(monkeypatch):
    scenario = Scenario(**PARTITIONED, invariants=(make_invariant("taint_eviction_timing"),))

    def evict_at_once(patch: pytest.MonkeyPatch) -> None:
        def due(_cluster, pod_body, node_body):
            return pod_body["metadata"].get("deletionTimestamp") is None and any(
                t.get("effect") == "NoExecute" for t in node_body["spec"].get("taints") or []
            )

        patch.setattr(nodes, "_eviction_due", due)

    message = caught(scenario, "taint_eviction_timing", monkeypatch, evict_at_once)
    assert "before any NoExecute taint's tolerationSeconds ran out" in message


def test_a_replicaset_that_deletes_its_best_pods_first_is_caught(monkeypatch):
    # Three replicas on two nodes: one node is doubled up, and scaling down should empty it.
    scenario = Scenario(
        objects=[
            node("n1", "a"),
            node("n2", "b"),
            web_deployment(3, {"name": "app", "image": "app:1"}),
        ],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [2]}),),
        invariants=(make_invariant("replicaset_scale_safe"),),
    )

    def best_first(patch: pytest.MonkeyPatch) -> None:
        faithful = replicaset.pods_to_delete

        def reversed_ranking(active, related, n, now):
            if len(active) < 2:
                return faithful(active, related, n, now)
            # Upstream sorts only when some pods stay: rank all but one, the best one last.
            ranked = faithful(active, related, len(active) - 1, now)
            ranked += [p for p in active if all(p is not r for r in ranked)]
            return list(reversed(ranked))[:n]

        patch.setattr(replicaset, "pods_to_delete", reversed_ranking)

    message = caught(scenario, "replicaset_scale_safe", monkeypatch, best_first)
    assert "which ranks for deletion before it" in message


def test_a_scheduler_that_ignores_taints_is_caught(monkeypatch):
    tainted = node("n1", "a")
    tainted["spec"] = {"taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}
    scenario = Scenario(
        objects=[tainted, node("n2", "b"), web_deployment(0, {"name": "app", "image": "app:1"})],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [2]}),),
        invariants=(make_invariant("binding_passes_filters"),),
    )

    def ignore_taints(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(framework, "taint_toleration_failures", lambda *_: [])

    message = caught(scenario, "binding_passes_filters", monkeypatch, ignore_taints)
    assert "fails TaintToleration (dedicated:NoSchedule)" in message


def test_a_scheduler_that_ignores_pod_anti_affinity_is_caught(monkeypatch):
    apart = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {
                    "labelSelector": {"matchLabels": {"app": "web"}},
                    "topologyKey": "topology.kubernetes.io/zone",
                }
            ]
        }
    }
    scenario = Scenario(
        objects=[
            node("n1", "a"),
            node("n2", "b"),
            web_deployment(0, {"name": "app", "image": "app:1"}, affinity=apart),
        ],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [3]}),),
        invariants=(make_invariant("binding_passes_filters"),),
    )

    def ignore_anti_affinity(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(framework, "inter_pod_affinity_check", lambda *_: [])

    message = caught(scenario, "binding_passes_filters", monkeypatch, ignore_anti_affinity)
    assert "InterPodAffinity" in message


def test_a_scheduler_that_ignores_topology_spread_is_caught(monkeypatch):
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "web"}},
        }
    ]
    scenario = Scenario(
        objects=[
            small_node("n1", "a"),
            node("n2", "b"),
            web_deployment(
                0,
                {"name": "app", "image": "app:1", "resources": {"requests": {"cpu": "400m"}}},
                topologySpreadConstraints=spread,
            ),
        ],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [4]}),),
        invariants=(make_invariant("binding_passes_filters"),),
    )

    def ignore_spread(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(framework, "topology_spread_check", lambda *_: [])

    message = caught(scenario, "binding_passes_filters", monkeypatch, ignore_spread)
    assert "PodTopologySpread" in message


def test_a_scheduler_that_binds_gated_pods_is_caught(monkeypatch):
    gates = [{"name": "example.com/quota"}]
    scenario = Scenario(
        objects=[
            node("n1", "a"),
            web_deployment(0, {"name": "app", "image": "app:1"}, schedulingGates=gates),
        ],
        user_actions=(UserAction("scale", {"deployment": "web", "replicas": [1]}),),
        invariants=(make_invariant("binding_passes_filters"),),
    )

    def ignore_gates(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(scheduler, "scheduling_gates", lambda *_: [])

    message = caught(scenario, "binding_passes_filters", monkeypatch, ignore_gates)
    assert "SchedulingGates" in message


def test_a_kubelet_that_computes_the_phase_from_the_previous_status_is_caught(monkeypatch):
    # The pod runs until a crash fault ends its container (the start state is settled).
    scenario = Scenario(
        objects=[node("n1", "a"), pod("job", [{"name": "job", "image": "job:1"}], policy="Never")],
        invariants=(make_invariant("pod_phase_consistent"),),
        faults={"container_crash": 1},
    )

    def previous_status(patch: pytest.MonkeyPatch) -> None:
        faithful = kubelet.api_pod_phase

        def lagging(probe: dict, *, old_status: Any = None, **kwargs: Any) -> str:
            stale = {**probe, "status": old_status or probe["status"]}
            return faithful(stale, old_status=old_status, **kwargs)

        patch.setattr(kubelet, "api_pod_phase", lagging)

    message = caught(scenario, "pod_phase_consistent", monkeypatch, previous_status)
    assert "every container has exited for good" in message


def test_a_kubelet_that_forgets_the_last_run_of_a_crash_looping_container_is_caught(monkeypatch):
    # The container exits 1 after 5 s, again and again: it waits in CrashLoopBackOff, and its
    # status must show how the run before ended (lastState).
    config = ClusterConfig(programs={"crash:1": Program(run_for=5, exit_code=1)})
    scenario = Scenario(
        objects=[node("n1", "a"), pod("app", [{"name": "app", "image": "crash:1"}], nodeName="n1")],
        invariants=(make_invariant("container_exit_recorded"),),
        config=config,
        ticks=(5, 10),
    )

    def forget_last_run(patch: pytest.MonkeyPatch) -> None:
        # The terminated state is replaced by the back-off's waiting state, not moved to
        # lastState.
        real = kubelet.convert_container_statuses

        def convert(pod, containers, runtime, old_statuses, **options):
            statuses = real(pod, containers, runtime, old_statuses, **options)
            for status in statuses or []:
                if "waiting" in status["state"]:
                    status.pop("lastState", None)
            return statuses

        patch.setattr(kubelet, "convert_container_statuses", convert)

    message = caught(scenario, "container_exit_recorded", monkeypatch, forget_last_run)
    assert "app went from running to waiting without lastState.terminated" in message
