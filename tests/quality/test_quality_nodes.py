"""Quality: a taint eviction controller that never evicts, a pod GC that never collects
orphans and a kubelet that starts a running container again, injected from the test side, must
be caught by the invariants stating what upstream guarantees (``taint_evictions_done``,
``orphaned_pods_collected``, ``restarts_after_exit``), with no false alarm on the faithful
model.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.cluster.components import kubelet, nodes
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, explore
from kmodel.invariants import make_invariant
from tests.helpers.zones import node

OPTIONS = ExploreOptions(examples=60, max_steps=12, seed=0)


def web(replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "app:1"}]},
            },
        },
    }


def found(scenario: Scenario) -> list[str]:
    return [f.invariant for f in explore(scenario, options=OPTIONS)]


def test_taint_eviction_that_never_evicts_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # A crashed node stays down at rest: its pods' 300 s unreachable tolerations run out.
    scenario = Scenario(
        objects=[node("n1", "a"), node("n2", "b"), web(2)],
        faults={"node_crash": 1},
        invariants=(make_invariant("taint_evictions_done"),),
        ticks=(10, 60),
    )
    assert found(scenario) == []
    monkeypatch.setattr(nodes, "_eviction_due", lambda *_: False)
    findings = explore(scenario, options=OPTIONS)
    assert [f.invariant for f in findings] == ["taint_evictions_done"]
    assert "node.kubernetes.io/unreachable it tolerates until" in findings[0].violation.message


def test_pod_gc_that_never_collects_orphans_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = Scenario(
        objects=[node("n1", "a"), node("n2", "b"), web(2)],
        faults={"machine_gone": 1},
        invariants=(make_invariant("orphaned_pods_collected"),),
        ticks=(10, 60),
    )
    assert found(scenario) == []
    monkeypatch.setattr(nodes.GarbageCollectPod, "apply", lambda _self, _cluster: None)
    findings = explore(scenario, options=OPTIONS)
    assert [f.invariant for f in findings] == ["orphaned_pods_collected"]
    assert "which is gone" in findings[0].violation.message


def test_a_kubelet_that_starts_a_running_init_container_again_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The init container runs for 10 s; a kubelet that cannot find its record starts it again
    # while it runs, and the regular container never starts.
    init_pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "initContainers": [{"name": "setup", "image": "init:1"}],
            "containers": [{"name": "app", "image": "app:1"}],
        },
    }
    scenario = Scenario(
        objects=[node("n1", "a"), init_pod],
        invariants=(make_invariant("restarts_after_exit"),),
        config=ClusterConfig(programs={"init:1": Program(run_for=10)}),
        ticks=(5,),
    )
    assert found(scenario) == []
    faithful = kubelet.PodRuntime.latest

    def loses_init_records(runtime: kubelet.PodRuntime, name: str) -> Any:
        return None if name == "setup" else faithful(runtime, name)

    monkeypatch.setattr(kubelet.PodRuntime, "latest", loses_init_records)
    findings = explore(scenario, options=OPTIONS)
    assert [f.invariant for f in findings] == ["restarts_after_exit"]
    assert "container setup was started again" in findings[0].violation.message
