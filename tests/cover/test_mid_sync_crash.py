"""``mid_sync_crash``: a component crashes between two writes of one step, then restarts."""

from __future__ import annotations

from kmodel.cluster.actions import action_from_json
from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.controllers import SyncReplicaSet
from kmodel.cluster.faults import FAULTS, MidSyncCrash
from kmodel.cluster.model import Cluster
from tests.helpers.cluster import deployment, node


def _replicaset_creating_pods() -> tuple[Cluster, SyncReplicaSet]:
    """A cluster whose ReplicaSet controller is about to create its 3 pods in one sync.

    A fresh 3-replica Deployment: its ReplicaSet's first sync creates the pods (slow-start
    batches of 1 and 2, within the one sync) and writes its status: 4 writes.
    """
    cluster = build_cluster([node("n1"), deployment("web", replicas=3)])
    for _ in range(10):
        syncs = [
            a
            for a in cluster.components["replicaset"].steps(cluster)  # type: ignore[misc]
            if isinstance(a, SyncReplicaSet)
        ]
        if syncs and cluster.writes_of(syncs[0], component="replicaset") == 4:
            return cluster, syncs[0]
        (first,) = cluster.components.enabled(cluster)[:1]
        cluster.step(first)
    raise AssertionError("no ReplicaSet sync creating three pods")


def _pods(cluster: Cluster) -> list[str]:
    return [p["metadata"]["name"] for p in cluster.store.list_objects("Pod")]


def test_a_crash_after_the_first_write_keeps_it_and_drops_the_rest() -> None:
    cluster, sync = _replicaset_creating_pods()
    assert _pods(cluster) == []
    crash = MidSyncCrash("replicaset", sync, 1)
    assert crash in _choices(cluster)
    step = cluster.step(crash)
    assert [c.kind for c in step.changes] == ["Pod"]
    assert len(_pods(cluster)) == 1  # the batch's other pod and the status never written
    assert cluster.memory["replicaset"] == {}  # restarted: expectations lost
    assert cluster.faults[-1] == "mid-sync-crash"
    assert cluster.store.stop_after is None
    # After the restart the controller relists and makes up the missing pod, and no more.
    cluster.settle()
    assert len(_pods(cluster)) == 3


def test_every_cut_of_a_multi_write_step_is_offered_and_no_single_write_step() -> None:
    cluster, sync = _replicaset_creating_pods()
    crashes = [c for c in _choices(cluster) if c.component == "replicaset"]
    assert MidSyncCrash("replicaset", sync, 1) in crashes
    assert all(1 <= c.writes < cluster.writes_of(c.step, component=c.component) for c in crashes)
    # The scheduler's bindings write once each: nothing to cut.
    assert not [c for c in _choices(cluster) if c.component == "scheduler"]


def test_the_crash_replays_from_its_json_form() -> None:
    _, sync = _replicaset_creating_pods()
    crash = MidSyncCrash("replicaset", sync, 1)
    data = crash.as_json()
    assert data["step"] == sync.as_json()
    assert action_from_json(data) == crash
    assert crash.describe() == (
        f"replicaset crashes after 1 write(s) of '{sync.describe()}', then restarts"
    )


def _choices(cluster: Cluster) -> list[MidSyncCrash]:
    (fault,) = (f for f in FAULTS if f.kind == "mid_sync_crash")
    return [c for c in fault.choices(cluster) if isinstance(c, MidSyncCrash)]
