"""A machine reboot: the runtime keeps its containers, the kubelet recreates the sandbox.

Upstream containerd checkpoints its containers, so after a reboot the kubelet finds them exited
(255/Unknown) and its ``computePodActions`` recreates the sandbox: regular containers count on
from their records, init containers are purged and run again from the first, and a
``restartPolicy: Never`` pod is not run again.
"""

from __future__ import annotations

from typing import Any

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import ContainerCrash, NodeCrash, NodeRecover
from kmodel.cluster.model import Cluster, ClusterConfig, Program
from tests.helpers.cluster import node


def _pod(policy: str, *, init: bool = False, image: str = "app:1") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "nodeName": "n1",
        "restartPolicy": policy,
        "containers": [{"name": "app", "image": image}],
    }
    if init:
        spec["initContainers"] = [{"name": "setup", "image": "setup:1"}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": spec,
    }


def _cluster(pod: dict[str, Any], programs: dict[str, Program] | None = None) -> Cluster:
    cluster = build_cluster([node("n1"), pod], config=ClusterConfig(programs=programs or {}))
    cluster.settle()
    return cluster


def _reboot(cluster: Cluster) -> None:
    cluster.step(NodeCrash("n1"))
    cluster.step(Tick(10))
    cluster.step(NodeRecover("n1"))
    cluster.settle(idle_ticks=2, horizon=30)


def _status(cluster: Cluster, name: str, key: str = "containerStatuses") -> dict[str, Any]:
    pod = cluster.store.get(("Pod", "default", "p"))
    return next(s for s in pod["status"][key] if s["name"] == name)


def test_a_regular_container_counts_on_across_a_reboot():
    cluster = _cluster(_pod("Always"))
    cluster.step(ContainerCrash("n1", "default", "p", "app"))
    cluster.settle(idle_ticks=2, horizon=30)
    before = cluster.store.get(("Pod", "default", "p"))["status"]["podIP"]
    assert _status(cluster, "app")["restartCount"] == 1
    _reboot(cluster)
    status = _status(cluster, "app")
    assert status["restartCount"] == 2
    assert "running" in status["state"]
    assert status["lastState"]["terminated"]["exitCode"] == 255
    assert status["lastState"]["terminated"]["reason"] == "Unknown"
    assert cluster.store.get(("Pod", "default", "p"))["status"]["podIP"] != before  # new sandbox


def test_a_never_pod_is_not_run_again_after_a_reboot():
    cluster = _cluster(_pod("Never"))
    _reboot(cluster)
    pod = cluster.store.get(("Pod", "default", "p"))
    status = _status(cluster, "app")
    assert pod["status"]["phase"] == "Failed"
    assert status["restartCount"] == 0
    assert status["state"]["terminated"]["exitCode"] == 255
    assert all(not r.running() for r in cluster.machines["n1"].pods.values())


def test_init_containers_run_again_from_zero_and_regular_ones_count_on():
    cluster = _cluster(_pod("Always", init=True), {"setup:1": Program(run_for=1)})
    assert _status(cluster, "setup", "initContainerStatuses")["restartCount"] == 0
    _reboot(cluster)
    runtime = next(iter(cluster.machines["n1"].pods.values()))
    # purgeInitContainers: the init container's old record (and its logs) are gone, so it ran
    # again with a count from an empty log directory.
    assert [r["state"] for r in runtime.records["setup"]] == ["exited"]
    assert runtime.records["setup"][0]["startedAt"] > 10
    assert _status(cluster, "setup", "initContainerStatuses")["restartCount"] == 0
    assert _status(cluster, "app")["restartCount"] == 1
    assert "running" in _status(cluster, "app")["state"]


def test_an_onfailure_pod_whose_containers_succeeded_stays_done():
    cluster = _cluster(_pod("OnFailure", image="job:1"), {"job:1": Program(run_for=5)})
    cluster.settle(idle_ticks=2, horizon=30)
    assert cluster.store.get(("Pod", "default", "p"))["status"]["phase"] == "Succeeded"
    _reboot(cluster)
    assert cluster.store.get(("Pod", "default", "p"))["status"]["phase"] == "Succeeded"
    assert _status(cluster, "app")["restartCount"] == 0


def test_kept_containers_of_a_pod_deleted_meanwhile_are_cleaned_up():
    cluster = _cluster(_pod("Always"))
    cluster.step(NodeCrash("n1"))
    assert cluster.machines["n1"].kept_containers
    cluster.store.delete(("Pod", "default", "p"))
    cluster.step(NodeRecover("n1"))
    cluster.settle(idle_ticks=2, horizon=30)
    assert not cluster.machines["n1"].kept_containers
    assert not cluster.machines["n1"].pods
