"""Watch faults and restarts on the components that gained them, the kubelets included."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kmodel.cluster.faults import WatchDrop, WatchRelist
from kmodel.cluster.user_actions import SetImage
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.explore.run import Run
from kmodel.invariants import make_invariant
from tests.helpers.cli import cli
from tests.helpers.cluster import daemonset, deployment, node
from tests.helpers.specs import PASSING_SPEC


def test_the_daemonset_controller_recovers_from_every_watch_fault_and_restart() -> None:
    rollout = UserAction(
        "rollout",
        {"daemonset": "default/agent", "container": "a", "images": ["agent:2"]},
    )
    scenario = Scenario(
        objects=[node("n1"), node("n2"), daemonset()],
        faults={"watch_delay": 1, "watch_drop": 1, "controller_restart": 1},
        user_actions=(rollout,),
        invariants=(
            make_invariant("daemonset_one_pod_per_node"),
            make_invariant("eventually_stable"),
        ),
    )
    assert explore(scenario, options=ExploreOptions(examples=25, max_steps=12, seed=1)) == []


def test_a_dropped_controller_event_is_repaired_by_a_relist_before_the_end_is_judged() -> None:
    # A ReplicaSet watch that loses an event anywhere in a rollout: the reflector's relist
    # (watch-relist, a transient ending) lets the rollout finish; without it, 5 of these 12
    # drop points left a ReplicaSet short or a rollout unfinished for good.
    scenario = Scenario(
        objects=[node("n1"), node("n2"), deployment(replicas=3)],
        faults={"watch_drop": 1},
        invariants=(make_invariant("eventually_stable"),),
    )
    for position in range(12):
        run = Run(scenario)
        run.do(SetImage("default", "web", "app", "app:2"))
        for _ in range(position):
            enabled = run.cluster.enabled_actions()
            if enabled:
                run.do(enabled[0])
        run.do(WatchDrop("replicaset"))
        assert WatchRelist("replicaset") in run.fault_choices()
        assert run.finish() == [], position


def test_kmodel_check_explores_the_kubelet_faults_and_a_force_delete(tmp_path: Path) -> None:
    spec = {
        **PASSING_SPEC,
        "name": "kubelet-watch",
        "workloads": [
            *PASSING_SPEC["workloads"],
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "batch"},
                "spec": {"containers": [{"name": "app", "image": "example/batch:1"}]},
            },
        ],
        "faults": {
            "kubelet_partition": 1,
            "kubelet_watch_delay": 1,
            "kubelet_watch_drop": 1,
            "kubelet_restart": 1,
        },
        "actions": [{"delete": {"pods": ["batch"], "force": True}}],
        "invariants": ["orphans_stopped", "eventually_stable"],
        "explore": {"examples": 30, "maxSteps": 12, "seed": 0},
    }
    path = tmp_path / "kubelet-watch.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = tmp_path / "out.json"
    assert cli("check", path, "--database", tmp_path / "db", "-o", "json", "--out", out) == 0
    (result,) = json.loads(out.read_text(encoding="utf-8"))["specs"]
    coverage = result["coverage"]
    used = {kind for kind, count in coverage["faults"].items() if count}
    assert used >= {"kubelet_watch_delay", "kubelet_watch_drop", "kubelet_restart"}
    assert coverage["user_actions"]["delete"] > 0
    assert {i["name"]: i["exercised"] for i in result["invariants"]}["orphans_stopped"]
