"""The kubelet reads its node's pods through an informer: lag, dropped events, restarts, cleanup."""

from __future__ import annotations

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.kubelet import (
    KubeletCleanupPods,
    KubeletRestart,
    KubeletSyncPod,
    runtime_key,
)
from kmodel.cluster.faults import (
    ContainerCrash,
    KubeletHeal,
    KubeletPartition,
    KubeletWatchDelay,
    KubeletWatchDeliver,
    KubeletWatchDrop,
    KubeletWatchRelist,
    NodeCrash,
    NodeRecover,
    transient_endings,
)
from kmodel.cluster.informer import kubelet_informer_name
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.cluster.store import key_of
from kmodel.cluster.user_actions import DeletePod
from tests.helpers.cluster import deployment, node, pods


def _one_pod(**config):
    cluster = build_cluster(
        [node("n1"), deployment(replicas=1)], config=ClusterConfig(**config) if config else None
    )
    cluster.settle()
    (pod,) = pods(cluster)
    return cluster, pod


def _force_delete(cluster, pod) -> None:
    """Remove the pod from the API at once, as pod GC or ``--force`` does."""
    assert cluster.delete(key_of(pod), uid=pod["metadata"]["uid"]) is None
    assert cluster.store.get(key_of(pod)) is None


def _runs(cluster, pod) -> bool:
    runtime = cluster.machines["n1"].pods.get(runtime_key(pod))
    return runtime is not None and bool(runtime.running())


def test_a_kubelet_informer_holds_only_the_pods_bound_to_its_node():
    cluster = build_cluster([node("n1"), node("n2"), deployment(replicas=4)])
    cluster.settle()
    for name in ("n1", "n2"):
        cache = cluster.informers[kubelet_informer_name(name)].cache
        assert set(cache) == {"Pod"}
        assert {p["spec"]["nodeName"] for p in cache["Pod"].values()} == {name}
    assert (
        sum(len(cluster.informers[kubelet_informer_name(n)].cache["Pod"]) for n in ["n1", "n2"])
        == 4
    )


def test_a_lagging_kubelet_keeps_a_force_deleted_pod_running_until_its_watch_delivers():
    cluster, pod = _one_pod()
    cluster.step(KubeletWatchDelay("n1"))
    _force_delete(cluster, pod)
    assert KubeletCleanupPods("n1") not in cluster.enabled_actions()
    cluster.step(Tick(60))
    assert _runs(cluster, pod)
    cluster.step(KubeletWatchDeliver("n1"))
    assert KubeletCleanupPods("n1") in cluster.enabled_actions()
    cluster.step(KubeletCleanupPods("n1"))
    assert runtime_key(pod) not in cluster.machines["n1"].pods


def test_cleanup_follows_a_healed_partition_at_once_as_its_reflector_lists_afresh():
    for lost in (None, KubeletWatchDelay("n1"), KubeletWatchDrop("n1")):
        cluster, pod = _one_pod()
        if lost is not None:
            cluster.step(lost)  # the watch was stalled or lost the delete: the list repairs it
        cluster.step(KubeletPartition("n1"))
        _force_delete(cluster, pod)
        cluster.step(Tick(60))
        assert KubeletCleanupPods("n1") not in cluster.enabled_actions()
        assert _runs(cluster, pod)
        cluster.step(KubeletHeal("n1"))
        assert KubeletCleanupPods("n1") in cluster.enabled_actions()
        cluster.step(KubeletCleanupPods("n1"))
        assert not _runs(cluster, pod)


def test_a_dropped_delete_keeps_the_containers_running_until_a_relist():
    for relist in (KubeletRestart("n1"), KubeletWatchRelist("n1")):
        cluster, pod = _one_pod()
        cluster.step(KubeletWatchDrop("n1"))
        _force_delete(cluster, pod)
        cluster.settle(idle_ticks=3)
        assert _runs(cluster, pod)  # the kubelet never heard of the deletion
        (replacement,) = pods(cluster)
        assert replacement["status"]["phase"] == "Running"  # later events arrive
        assert transient_endings(cluster) == [KubeletWatchRelist("n1")]
        cluster.step(relist)
        assert KubeletCleanupPods("n1") in cluster.enabled_actions()
        cluster.settle(idle_ticks=3)
        assert not _runs(cluster, pod)
        assert _runs(cluster, replacement)


def test_a_lagging_kubelet_writes_status_to_the_pod_in_the_api():
    cluster, pod = _one_pod()
    cluster.step(KubeletWatchDelay("n1"))
    for restarts in (1, 2):
        cluster.step(ContainerCrash("n1", "default", pod["metadata"]["name"], "app"))
        cluster.step(Tick(60))  # past the back-off
        step = cluster.step(KubeletSyncPod("n1", "default", pod["metadata"]["name"]))
        assert step.errors == ()  # written to the API's version, not the informer's
        status = cluster.store.get(key_of(pod))["status"]["containerStatuses"][0]
        assert status["restartCount"] == restarts
    # The informer still shows the pod before the crashes.
    cached = cluster.informers[kubelet_informer_name("n1")].get(key_of(pod))
    assert cached["status"]["containerStatuses"][0]["restartCount"] == 0


def test_a_restart_loses_the_back_off_and_keeps_the_containers():
    cluster, pod = _one_pod(programs={"app:1": Program(run_for=5, exit_code=1)})
    cluster.settle(horizon=120, idle_ticks=3)
    runtime = cluster.machines["n1"].pods[runtime_key(pod)]
    sync = KubeletSyncPod("n1", "default", pod["metadata"]["name"])
    # Find a moment when the back-off holds the crashed container.
    for _ in range(60):
        if not runtime.running() and runtime.backoff and sync not in cluster.enabled_actions():
            break
        cluster.step(Tick(1))
        cluster.settle(advance=False)
    else:
        raise AssertionError("the container never waited in back-off")
    before = runtime.latest("app")["restartCount"]
    cluster.step(KubeletRestart("n1"))
    assert runtime.backoff == {}
    assert runtime.probe_origin == cluster.now  # the probe workers start again
    assert runtime.latest("app")["restartCount"] == before  # the runtime kept its records
    assert sync in cluster.enabled_actions()
    cluster.step(sync)
    assert runtime.running() == ["app"]
    assert runtime.latest("app")["restartCount"] == before + 1


def test_a_rebooted_kubelet_lists_its_pods_afresh():
    cluster, pod = _one_pod()
    cluster.step(KubeletWatchDelay("n1"))
    cluster.step(KubeletWatchDrop("n1"))
    cluster.step(NodeCrash("n1"))
    cluster.step(NodeRecover("n1"))
    informer = cluster.informers[kubelet_informer_name("n1")]
    assert not informer.lagging
    assert not informer.drop_next
    assert informer.get(key_of(pod)) is cluster.store.get(key_of(pod))


def test_a_lagging_kubelet_leaves_a_pod_it_removed_alone_when_its_name_is_reused():
    cluster = build_cluster([node("n1")])
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [{"name": "app", "image": "app:1"}]},
    }
    cluster.create(body)
    cluster.settle(idle_ticks=2)
    cluster.step(DeletePod("default", "p"))  # graceful: the kubelet stops it, then removes it
    cluster.step(KubeletSyncPod("n1", "default", "p"))
    assert cluster.store.get(("Pod", "default", "p")) is None
    cluster.step(KubeletWatchDelay("n1"))  # its cache still shows the old pod, terminating
    cluster.create(body)  # the same name again, another UID
    machine = cluster.machines["n1"]
    next_ip = machine.next_ip
    assert KubeletSyncPod("n1", "default", "p") not in cluster.enabled_actions()
    cluster.step(KubeletWatchDeliver("n1"))
    cluster.settle(idle_ticks=2)
    assert machine.next_ip == next_ip + 1  # one IP: the new pod's
    assert cluster.store.get(("Pod", "default", "p"))["status"]["phase"] == "Running"
