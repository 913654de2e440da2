"""One family of watch faults for every informer: what differs is the informer's to know.

A kubelet's pod watch reaches the API server only while its machine runs and is not cut off,
and a change to it invalidates the machine's cached syncs (its epoch); a control-plane
component's watch always reaches the API and invalidates nothing beyond its own versions.
"""

from __future__ import annotations

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.faults import (
    KubeletPartition,
    KubeletWatchDelay,
    KubeletWatchDeliver,
    KubeletWatchDrop,
    KubeletWatchRelist,
    WatchDelay,
    WatchDeliver,
    WatchDrop,
    WatchRelist,
)
from kmodel.cluster.informer import kubelet_informer_name
from kmodel.cluster.user_actions import ScaleDeployment
from tests.helpers.cluster import deployment, node

FAMILIES = {
    "component": (WatchDelay, WatchDeliver, WatchDrop, WatchRelist, "replicaset"),
    "kubelet": (KubeletWatchDelay, KubeletWatchDeliver, KubeletWatchDrop, KubeletWatchRelist, "n1"),
}


def _cluster():
    cluster = build_cluster([node("n1"), deployment(replicas=1)])
    cluster.settle()
    return cluster


def _informer(cluster, family: str):
    name = "replicaset" if family == "component" else kubelet_informer_name("n1")
    return cluster.informers[name]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_drop_on_a_stalled_watch_leaves_the_stall(family):
    delay, deliver, drop, relist, target = FAMILIES[family]
    cluster = _cluster()
    cluster.step(delay(target))
    cluster.step(ScaleDeployment("default", "web", 2))
    informer = _informer(cluster, family)
    behind = informer.pending(cluster.store)
    assert behind > 0
    cluster.step(drop(target))
    assert informer.lagging
    assert informer.pending(cluster.store) == behind  # nothing delivered by the drop
    cluster.step(deliver(target))
    if family == "component":
        assert informer.dropped
    else:  # the kubelet's watch selects pods: the Deployment's change is not its to lose
        assert (informer.dropped, informer.drop_next) == (False, 1)
    cluster.step(relist(target))
    assert not informer.dropped
    assert informer.pending(cluster.store) == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_only_a_kubelets_watch_invalidates_its_machine(family):
    delay, deliver, _, relist, target = FAMILIES[family]
    cluster = _cluster()
    epoch = cluster.machines["n1"].epoch
    cluster.step(delay(target))
    cluster.step(deliver(target))
    cluster.step(relist(target))
    moved = cluster.machines["n1"].epoch - epoch
    assert moved == (3 if family == "kubelet" else 0)


def test_a_cut_off_kubelets_watch_neither_delivers_nor_relists():
    cluster = _cluster()
    cluster.step(KubeletWatchDelay("n1"))
    cluster.step(KubeletPartition("n1"))
    cluster.step(ScaleDeployment("default", "web", 2))
    informer = _informer(cluster, "kubelet")
    behind = informer.pending(cluster.store)
    cluster.step(KubeletWatchDeliver("n1"))
    assert not informer.lagging
    assert informer.pending(cluster.store) == behind
    cluster.step(KubeletWatchRelist("n1"))
    assert informer.pending(cluster.store) == behind
