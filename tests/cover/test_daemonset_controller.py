"""The DaemonSet controller in the cluster model: pods per node, new and removed nodes, rollouts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.daemonset import SyncDaemonSet, daemonset_actions
from kmodel.cluster.components.ownership import delete_pod
from kmodel.cluster.faults import MachineGone, NodeCrash, NodeRecover
from kmodel.cluster.model import Cluster, Machine
from kmodel.cluster.user_actions import DrainNode, SetDaemonSetImage
from kmodel.errors import InputError
from kmodel.explore.spec import load_spec
from kmodel.invariants import Monitor, make_invariant
from kmodel.semantics.containers import BackOffEntry
from kmodel.semantics.daemonset import HASH_LABEL
from tests.helpers.cluster import daemonset, node
from tests.helpers.paths import ROOT


def pods_by_node(cluster: Cluster) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for pod in cluster.store.list_objects("Pod"):
        if pod["metadata"].get("deletionTimestamp") is None:
            image = pod["spec"]["containers"][0]["image"]
            result.setdefault(pod["spec"].get("nodeName") or "", []).append(image)
    return {k: sorted(v) for k, v in sorted(result.items())}


def status(cluster: Cluster) -> dict[str, Any]:
    ds = cluster.store.get(("DaemonSet", "default", "agent"))
    assert ds is not None
    return dict(ds["status"])


def test_one_pod_per_node_through_the_scheduler() -> None:
    cluster = build_cluster([node("n1"), node("n2"), node("n3"), daemonset()])
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n2": ["agent:1"], "n3": ["agent:1"]}
    for pod in cluster.store.list_objects("Pod"):
        required = pod["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]
        term = required["nodeSelectorTerms"][0]["matchFields"][0]
        assert term == {
            "key": "metadata.name",
            "operator": "In",
            "values": [pod["spec"]["nodeName"]],
        }
        # The daemon tolerations, without tolerationSeconds: node failure never evicts them.
        not_ready = [
            t for t in pod["spec"]["tolerations"] if t["key"] == "node.kubernetes.io/not-ready"
        ]
        assert not_ready == [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
        ]
    assert status(cluster) == {
        "observedGeneration": 1,
        "currentNumberScheduled": 3,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 3,
        "numberReady": 3,
        "updatedNumberScheduled": 3,
        "numberAvailable": 3,
    }
    revisions = list(cluster.store.list_objects("ControllerRevision"))
    assert [r["revision"] for r in revisions] == [1]


def test_a_new_node_gets_its_pod_and_a_removed_node_loses_it() -> None:
    cluster = build_cluster([node("n1"), node("n2"), daemonset()])
    cluster.settle()
    cluster.machines["n3"] = Machine(name="n3", index=3)
    fresh = copy.deepcopy(node("n3"))
    fresh["status"]["conditions"] = []
    cluster.store.create(fresh)
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n2": ["agent:1"], "n3": ["agent:1"]}
    cluster.step(MachineGone("n2"))
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n3": ["agent:1"]}
    assert status(cluster)["desiredNumberScheduled"] == 2


def test_rollout_replaces_one_node_at_a_time_within_max_unavailable() -> None:
    cluster = build_cluster([node("n1"), node("n2"), node("n3"), daemonset()])
    cluster.settle()
    monitor = Monitor(
        [make_invariant("daemonset_rollout_bounds"), make_invariant("daemonset_one_pod_per_node")]
    )
    monitor.observe(cluster)
    cluster.step(SetDaemonSetImage("default", "agent", "a", "agent:2"))
    most_missing = 0
    for _ in range(400):
        actions = cluster.enabled_actions()
        if not actions:
            break
        step = cluster.step(actions[0])
        assert monitor.observe(cluster, step=step) == []
        ready = sum(
            1
            for p in cluster.store.list_objects("Pod")
            if p["metadata"].get("deletionTimestamp") is None
            and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (p.get("status") or {}).get("conditions") or []
            )
        )
        most_missing = max(most_missing, 3 - ready)
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:2"], "n2": ["agent:2"], "n3": ["agent:2"]}
    assert most_missing == 1
    assert "daemonset_rollout_bounds" in monitor.history.met
    assert [r["revision"] for r in cluster.store.list_objects("ControllerRevision")] in (
        [1, 2],
        [2, 1],
    )
    assert status(cluster)["updatedNumberScheduled"] == 3


def test_surge_starts_the_new_pod_before_the_old_one_goes() -> None:
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    cluster = build_cluster([node("n1"), node("n2"), daemonset(strategy=strategy)])
    cluster.settle()
    monitor = Monitor([make_invariant("daemonset_one_pod_per_node")])
    cluster.step(SetDaemonSetImage("default", "agent", "a", "agent:2"))
    peak = 0
    for _ in range(400):
        actions = cluster.enabled_actions()
        if not actions:
            break
        step = cluster.step(actions[0])
        assert monitor.observe(cluster, step=step) == []
        peak = max(peak, *(len(v) for v in pods_by_node(cluster).values()))
    cluster.settle()
    assert peak == 2
    assert pods_by_node(cluster) == {"n1": ["agent:2"], "n2": ["agent:2"]}


def test_on_delete_updates_only_deleted_pods() -> None:
    cluster = build_cluster([node("n1"), node("n2"), daemonset(strategy={"type": "OnDelete"})])
    cluster.settle()
    cluster.step(SetDaemonSetImage("default", "agent", "a", "agent:2"))
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n2": ["agent:1"]}
    victim = next(p for p in cluster.store.list_objects("Pod") if p["spec"]["nodeName"] == "n1")
    delete_pod(cluster, victim)
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:2"], "n2": ["agent:1"]}
    assert status(cluster)["updatedNumberScheduled"] == 1


def test_node_crash_keeps_the_daemon_pod_and_the_rollout_waits_for_it() -> None:
    """maxUnavailable 1 and a node down: the rollout stalls until the node is back (upstream).

    The down node's old pod is unavailable, so it is replaced at once; its deletion cannot
    finish on a dead kubelet, and a node whose only pod is being deleted counts as unavailable:
    that uses up maxUnavailable, so no other old pod goes until the node recovers.
    """
    cluster = build_cluster([node("n1"), node("n2"), node("n3"), daemonset()])
    cluster.settle()
    cluster.step(NodeCrash("n2"))
    cluster.settle(horizon=cluster.now + 400)
    # Daemon pods tolerate unreachable NoExecute: no taint eviction after 300 s.
    assert "n2" in pods_by_node(cluster)
    cluster.step(SetDaemonSetImage("default", "agent", "a", "agent:2"))
    cluster.settle(horizon=cluster.now + 600)
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n3": ["agent:1"]}
    stuck = [p for p in cluster.store.list_objects("Pod") if p["spec"]["nodeName"] == "n2"]
    assert [p["metadata"].get("deletionTimestamp") is not None for p in stuck] == [True]
    cluster.step(NodeRecover("n2"))
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:2"], "n2": ["agent:2"], "n3": ["agent:2"]}
    hashes = {p["metadata"]["labels"][HASH_LABEL] for p in cluster.store.list_objects("Pod")}
    assert len(hashes) == 1


def test_drain_leaves_daemon_pods_and_completes() -> None:
    """``kubectl drain --ignore-daemonsets``: the daemon pod stays on the cordoned node."""
    cluster = build_cluster([node("n1"), node("n2"), daemonset()])
    cluster.settle()
    monitor = Monitor([make_invariant("drains_complete")])
    cluster.step(DrainNode("n1"))
    cluster.settle()
    assert pods_by_node(cluster) == {"n1": ["agent:1"], "n2": ["agent:1"]}
    assert monitor.at_fixpoint(cluster) == []
    assert "drains_complete" in monitor.history.met


def test_spec_rollout_names_a_daemonset(tmp_path: Path) -> None:
    source = ROOT / "specs" / "daemonset-rollout-node-failure.yaml"
    body = yaml.safe_load(source.read_text())
    (action,) = load_spec(source).scenario.user_actions
    assert action.actions() == [
        SetDaemonSetImage("default", "log-agent", "agent", "registry.example.com/log-agent:1.1")
    ]
    body["actions"] = [{"rollout": {"daemonset": "nope", "images": ["x"]}}]
    target = tmp_path / "spec.yaml"
    target.write_text(yaml.safe_dump(body))
    with pytest.raises(InputError, match="no DaemonSet 'nope' among the workloads"):
        load_spec(target)
    body["actions"] = [
        {"rollout": {"daemonset": "log-agent", "deployment": "web", "images": ["x"]}}
    ]
    target.write_text(yaml.safe_dump(body))
    with pytest.raises(
        InputError, match="needs exactly one of deployment, statefulset or daemonset"
    ):
        load_spec(target)


def _reject_daemon_pod(cluster: Cluster) -> str:
    """Bind the DaemonSet's one live pod to n1 as Failed, as a kubelet rejecting it leaves it."""
    live = [
        p
        for p in cluster.store.list_objects("Pod")
        if (p.get("status") or {}).get("phase") != "Failed"
    ]
    (pod,) = live
    cluster.store.update(
        {
            **pod,
            "spec": {**pod["spec"], "nodeName": "n1"},
            "status": {"phase": "Failed", "reason": "OutOfcpu"},
        }
    )
    return str(pod["metadata"]["name"])


def test_failed_daemon_pods_are_deleted_with_a_back_off() -> None:
    """``podsShouldBeOnNode``'s ``failedPodsBackoff``: 1 s, then doubling, per node."""
    cluster = build_cluster([node("n1"), daemonset()])
    sync = SyncDaemonSet("default", "agent")
    ds = cluster.store.get(("DaemonSet", "default", "agent"))
    assert ds is not None
    cluster.step(sync)  # its pod, and a status that observed generation 1
    key = f"{ds['metadata']['uid']}/1/n1"
    first = _reject_daemon_pod(cluster)
    cluster.step(sync)  # deleted at once: the node had no back-off entry
    assert cluster.store.get(("Pod", "default", first)) is None
    assert cluster.memory["daemonset"]["failedPodsBackoff"] == {key: BackOffEntry(1, 0)}
    cluster.step(sync)  # its replacement
    second = _reject_daemon_pod(cluster)
    # The replacement failed at once: held back for 1 s, so the controller has nothing to do.
    assert daemonset_actions(cluster) == []
    cluster.step(Tick(1))
    assert daemonset_actions(cluster) == [sync]
    cluster.step(sync)
    assert cluster.store.get(("Pod", "default", second)) is None
    assert cluster.memory["daemonset"]["failedPodsBackoff"][key] == BackOffEntry(2, 1)
