"""``unique_uids``: no two live pods, in the API or on a machine, share a UID."""

from __future__ import annotations

from kmodel.cluster.build import build_cluster
from kmodel.cluster.model import Cluster
from kmodel.invariants import History
from kmodel.invariants.cluster import UniqueUids
from tests.helpers.cluster import node
from tests.helpers.scheduling import make_deployment


def _cluster() -> Cluster:
    web = make_deployment("web", 2, [{"name": "app", "image": "nginx:1"}])
    cluster = build_cluster([node("n1"), web])
    cluster.settle()
    return cluster


def _found(cluster: Cluster) -> list[str]:
    return [v.message for v in UniqueUids().check(cluster, None, History())]


def test_a_uid_two_stored_pods_hold_is_found_and_its_fix_seen() -> None:
    cluster = _cluster()
    first, second = list(cluster.store.list_objects("Pod"))
    assert _found(cluster) == []

    uid = first["metadata"]["uid"]
    twin = {**second, "metadata": {**second["metadata"], "uid": uid}}
    cluster.store._commit("MODIFIED", twin)  # no API write changes a UID
    (found,) = _found(cluster)
    assert found.startswith(f"UID {uid} is used by ")

    cluster.store._commit("MODIFIED", dict(second))
    assert _found(cluster) == []


def test_a_runtime_pod_claiming_another_pods_uid_is_found() -> None:
    cluster = _cluster()
    first, second = list(cluster.store.list_objects("Pod"))
    machine = cluster.machines["n1"]
    runtime = machine.pods[next(iter(machine.pods))].copy()
    runtime.uid = first["metadata"]["uid"]
    runtime.name = second["metadata"]["name"]
    machine.pods["impostor"] = runtime

    assert _found(cluster) == [f"UID {first['metadata']['uid']} is used by 2 live pods"]
