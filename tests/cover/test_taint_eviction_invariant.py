"""taint_eviction_timing judges an eviction by the NoExecute taints of the node's current spell."""

from __future__ import annotations

import copy

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.nodes import TaintEvict
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import node

UNREACHABLE = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}


def _setup(added: int):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "app:1"}]},
    }
    cluster = build_cluster([node("n1"), pod])
    monitor = Monitor([make_invariant("taint_eviction_timing")])
    cluster.step(Tick(added))
    _taints(cluster, [{**UNREACHABLE, "timeAdded": added}])
    monitor.observe(cluster)
    return cluster, monitor


def _taints(cluster, taints) -> None:
    body = copy.deepcopy(dict(cluster.store.get(("Node", "", "n1"))))
    body.setdefault("spec", {})["taints"] = taints
    cluster.update(body)


def _evict(cluster, monitor):
    return monitor.observe(cluster, step=cluster.step(TaintEvict("default", "p")))


def test_an_eviction_before_the_default_300_seconds_is_a_violation():
    cluster, monitor = _setup(100)
    cluster.step(Tick(200))
    assert [v.invariant for v in _evict(cluster, monitor)] == ["taint_eviction_timing"]


def test_an_eviction_that_races_with_the_taints_removal_is_not():
    cluster, monitor = _setup(100)
    cluster.step(Tick(300))
    _taints(cluster, [])  # the node came back in the same settling round
    monitor.observe(cluster)
    assert _evict(cluster, monitor) == []


def test_a_swapped_taint_counts_from_the_spell_start():
    cluster, monitor = _setup(100)
    cluster.step(Tick(250))
    _taints(cluster, [{**UNREACHABLE, "key": "node.kubernetes.io/not-ready", "timeAdded": 350}])
    monitor.observe(cluster)
    cluster.step(Tick(50))  # 400: 300 s after the first taint, 50 s after the swap
    assert _evict(cluster, monitor) == []
