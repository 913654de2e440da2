"""Recreate Deployments as upstream rolls them out (``pkg/controller/deployment/recreate.go``).

The semantics tests carry the cases of upstream's ``recreate_test.go`` (``TestOldPodsRunning``,
``TestScaleDownOldReplicaSets``) and the plan of one ``rolloutRecreate``; the cluster tests run
a Recreate rollout sync by sync and check the ``recreate_no_overlap`` invariant on the way.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components.controllers import SyncDeployment, SyncReplicaSet
from kmodel.cluster.model import Cluster, Step
from kmodel.cluster.user_actions import SetImage
from kmodel.errors import EXIT_OK
from kmodel.invariants import Monitor, make_invariant
from kmodel.semantics import deployment as dep
from tests.helpers.cli import cli
from tests.helpers.cluster import deployment, node, pods, service
from tests.helpers.specs import PASSING_SPEC


def recreate(replicas: int = 3, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "foo", "namespace": "default", "uid": "d-uid", "generation": 1},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"foo": "bar"}},
            **spec,
        },
    }


def rs(uid: str, spec: int = 0, status_replicas: int = 0, **extra: Any) -> dict[str, Any]:
    metadata = {"name": f"foo-{uid}", "namespace": "default", "uid": uid, **extra}
    return {
        "metadata": metadata,
        "spec": {"replicas": spec},
        "status": {"replicas": status_replicas},
    }


def pod(phase: str | None = None, owner: str | None = None, **labels: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": f"p-{phase}", "labels": labels or {"foo": "bar"}}
    if owner is not None:
        metadata["ownerReferences"] = [{"uid": owner, "controller": True, "kind": "ReplicaSet"}]
    return {"metadata": metadata, "status": {} if phase is None else {"phase": phase}}


# ---------------------------------------------------------------- oldPodsRunning


@pytest.mark.parametrize(
    ("new_rs", "old_rss", "pod_map", "running"),
    [
        pytest.param(None, [], {}, False, id="no old RSs"),
        pytest.param(
            None,
            [rs("some-uid"), rs("other-uid")],
            {"some-uid": [pod(), pod()], "other-uid": [pod(), pod()]},
            True,
            id="old RSs with running pods",
        ),
        pytest.param(
            None,
            [rs("rs-1", status_replicas=1)],
            {},
            True,
            id="old RSs without pods but with non-zero status replicas",
        ),
        pytest.param(
            None, [rs("rs-1")], {}, False, id="old RSs without pods or non-zero status replicas"
        ),
        pytest.param(
            None,
            [rs("rs-1")],
            {"uid-1": [pod("Failed"), pod("Succeeded")]},
            False,
            id="old RSs with zero status replicas but pods in terminal state are present",
        ),
        pytest.param(
            None,
            [rs("rs-1")],
            {"uid-1": [pod("Unknown")]},
            True,
            id="old RSs with zero status replicas but pod in unknown phase present",
        ),
        pytest.param(
            None,
            [rs("rs-1")],
            {"uid-1": [pod("Pending")]},
            True,
            id="old RSs with zero status replicas with pending pod present",
        ),
        pytest.param(
            None,
            [rs("rs-1")],
            {"uid-1": [pod("Running")]},
            True,
            id="old RSs with zero status replicas with running pod present",
        ),
        pytest.param(
            None,
            [rs("rs-1")],
            {"uid-1": [pod("Failed"), pod("Succeeded")], "uid-2": [], "uid-3": [pod("Pending")]},
            True,
            id="old RSs with zero status replicas but pods in terminal state and pending "
            "are present",
        ),
        # Not upstream's table: the new ReplicaSet's own pods never hold it back.
        pytest.param(
            rs("new"),
            [rs("old")],
            {"new": [pod("Running"), pod("Pending")], "old": [pod("Failed")]},
            False,
            id="pods of the new RS are ignored",
        ),
    ],
)
def test_old_pods_running(new_rs, old_rss, pod_map, running):
    assert dep.old_pods_running(new_rs, old_rss, pod_map) is running


# ------------------------------------------------- scaleDownOldReplicaSetsForRecreate


def test_scale_down_old_replica_sets():
    # Upstream's TestScaleDownOldReplicaSets: one old RS of 3 goes to 0.
    d = recreate(3)
    actions = dep.scale_down_old_replica_sets_for_recreate([rs("foo-0", spec=3)], d)
    assert [(a.name, a.from_replicas, a.to_replicas) for a in actions] == [("foo-foo-0", 3, 0)]
    assert actions[0].event == "Scaled down replica set foo-foo-0 from 3 to 0"
    assert actions[0].annotations == {
        dep.DESIRED_REPLICAS_ANNOTATION: "3",
        dep.MAX_REPLICAS_ANNOTATION: "3",
    }


def test_scale_down_skips_replica_sets_already_at_zero():
    d = recreate(2)
    actions = dep.scale_down_old_replica_sets_for_recreate(
        [rs("a", spec=0, status_replicas=2), rs("b", spec=1), rs("c", spec=2)], d
    )
    assert [(a.name, a.to_replicas) for a in actions] == [("foo-b", 0), ("foo-c", 0)]


# ---------------------------------------------------------------- getPodMapForDeployment


def test_pod_map_groups_selected_pods_by_their_replica_set():
    d = recreate()
    old, new = rs("old"), rs("new")
    mine = pod("Running", owner="old")
    other_labels = pod("Running", owner="old", foo="baz")
    orphan = pod("Running")
    foreign = pod("Running", owner="someone-else")
    terminal = pod("Failed", owner="new")
    pod_map = dep.get_pod_map_for_deployment(
        d, [old, new], [mine, other_labels, orphan, foreign, terminal]
    )
    assert pod_map == {"old": [mine], "new": [terminal]}
    # Every ReplicaSet has an entry, even without pods.
    assert dep.get_pod_map_for_deployment(d, [old, new], []) == {"old": [], "new": []}


# ---------------------------------------------------------------- rolloutRecreate


def test_rollout_recreate_scales_old_down_first_and_creates_nothing():
    d = recreate(3)
    plan = dep.rollout_recreate(d, None, [rs("old", spec=3, status_replicas=3)], {"old": []})
    assert [(a.name, a.to_replicas) for a in plan.scale_down] == [("foo-old", 0)]
    assert not plan.create_new_replica_set
    assert plan.scale_up is None


@pytest.mark.parametrize(
    ("old", "pod_map"),
    [
        (rs("old", status_replicas=1), {"old": []}),
        (rs("old"), {"old": [pod("Running")]}),
        (rs("old"), {"old": [pod("Unknown")]}),
    ],
)
def test_rollout_recreate_waits_while_old_pods_may_run(old, pod_map):
    plan = dep.rollout_recreate(recreate(3), None, [old], pod_map)
    assert plan == dep.RecreatePlan(old_pods_running=True)


def test_rollout_recreate_creates_the_new_replica_set_once_old_pods_stopped():
    plan = dep.rollout_recreate(recreate(3), None, [rs("old")], {"old": [pod("Succeeded")]})
    assert plan == dep.RecreatePlan(create_new_replica_set=True)


def test_rollout_recreate_scales_up_an_existing_new_replica_set():
    plan = dep.rollout_recreate(recreate(3), rs("new"), [rs("old")], {"old": [], "new": []})
    assert plan.scale_up is not None
    assert (plan.scale_up.name, plan.scale_up.from_replicas, plan.scale_up.to_replicas) == (
        "foo-new",
        0,
        3,
    )
    assert not plan.create_new_replica_set


def test_rollout_recreate_cleans_up_only_when_the_current_status_is_complete():
    old = rs("old", annotations={dep.REVISION_ANNOTATION: "1"})
    old["metadata"]["generation"] = 1
    old["status"]["observedGeneration"] = 1
    new = rs("new", spec=3, status_replicas=3)
    d = recreate(3, revisionHistoryLimit=0)
    assert dep.rollout_recreate(d, new, [old], {}).cleanup == []
    d["status"] = {
        "observedGeneration": 1,
        "replicas": 3,
        "updatedReplicas": 3,
        "availableReplicas": 3,
    }
    plan = dep.rollout_recreate(d, new, [old], {})
    assert plan == dep.RecreatePlan(cleanup=["foo-old"])


# ---------------------------------------------------------------- in the cluster


def overlap(cluster: Cluster) -> list[str]:
    return [
        v.message
        for v in make_invariant("recreate_no_overlap").check(cluster, None, Monitor([]).history)
    ]


def replica_sets(cluster: Cluster) -> dict[str, int]:
    return {
        r["spec"]["template"]["spec"]["containers"][0]["image"]: r["spec"]["replicas"]
        for r in cluster.store.list_objects("ReplicaSet")
    }


@pytest.fixture
def rolled() -> Cluster:
    """A settled Recreate Deployment of three app:1 pods whose template just became app:2."""
    cluster = build_cluster(
        [node("n1"), node("n2"), deployment(strategy={"type": "Recreate"}), service()]
    )
    cluster.settle()
    cluster.step(SetImage("default", "web", "app", "app:2"))
    return cluster


def test_a_sync_scales_the_old_replica_set_down_without_creating_the_new_one(rolled):
    rolled.step(SyncDeployment("default", "web"))
    assert replica_sets(rolled) == {"app:1": 0}
    assert len(pods(rolled)) == 3  # the old pods are still there, stopping


def run_to_rest(cluster: Cluster, after_step: Callable[[Step], None]) -> None:
    """Settle as :meth:`Cluster.settle` does, calling ``after_step`` after every step."""
    idle = 0
    while idle < 40:
        progressed = False
        for action in cluster.components.enabled(cluster):
            step = cluster.step(action)
            after_step(step)
            progressed = progressed or (step.changed and not action.maintenance)
        if progressed:
            idle = 0
            continue
        idle += 1
        after_step(cluster.step(Tick(cluster.config.heartbeat_interval)))


def test_the_new_replica_set_waits_for_the_last_old_pod(rolled):
    monitor = Monitor([make_invariant("recreate_no_overlap")])
    old_pods_when_created: list[int] = []

    def after_step(step: Step) -> None:
        assert monitor.observe(rolled, step=step) == []
        if "app:2" in replica_sets(rolled) and not old_pods_when_created:
            old = [p for p in pods(rolled) if p["spec"]["containers"][0]["image"] == "app:1"]
            old_pods_when_created.append(len(old))

    run_to_rest(rolled, after_step)
    assert old_pods_when_created == [0]
    assert replica_sets(rolled) == {"app:1": 0, "app:2": 3}
    assert [p["spec"]["containers"][0]["image"] for p in pods(rolled)] == ["app:2"] * 3


def test_a_terminating_old_pod_holds_the_new_replica_set_back(rolled):
    rolled.step(SyncDeployment("default", "web"))
    # The ReplicaSet controller deletes the old pods: they are terminating, still Running.
    run_to_rest_until = [
        a for a in rolled.components.enabled(rolled) if isinstance(a, SyncReplicaSet)
    ]
    for action in run_to_rest_until:
        rolled.step(action)
    terminating = [p for p in pods(rolled) if p["metadata"].get("deletionTimestamp") is not None]
    assert terminating
    assert {p["status"]["phase"] for p in terminating} == {"Running"}
    rolled.step(SyncDeployment("default", "web"))
    assert replica_sets(rolled) == {"app:1": 0}


def new_replica_set_pod(cluster: Cluster, phase: str) -> None:
    """The template moves to app:2 and a pod of its ReplicaSet appears, whatever made it."""
    d = cluster.store.get(("Deployment", "default", "web"))
    template = copy.deepcopy(d["spec"]["template"])
    template["spec"]["containers"][0]["image"] = "app:2"
    cluster.update({**d, "spec": {**d["spec"], "template": template}})
    owner = cluster.store.get(("Deployment", "default", "web"))
    labels = {**template["metadata"]["labels"], "pod-template-hash": "new"}
    new_rs = cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": "web-new",
                "namespace": "default",
                "labels": labels,
                "ownerReferences": [
                    {"kind": "Deployment", "uid": owner["metadata"]["uid"], "controller": True}
                ],
            },
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {**template, "metadata": {"labels": labels}},
            },
        }
    )
    assert new_rs is not None
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "web-new-1",
                "namespace": "default",
                "labels": labels,
                "ownerReferences": [
                    {"kind": "ReplicaSet", "uid": new_rs["metadata"]["uid"], "controller": True}
                ],
            },
            "spec": template["spec"],
            "status": {"phase": phase},
        }
    )


@pytest.mark.parametrize(
    ("phase", "found"), [("Pending", True), ("Running", True), ("Failed", False)]
)
def test_the_invariant_sees_old_and_new_pods_together(phase, found):
    cluster = build_cluster(
        [node("n1"), node("n2"), deployment(strategy={"type": "Recreate"}), service()]
    )
    cluster.settle()
    assert overlap(cluster) == []
    new_replica_set_pod(cluster, phase)
    messages = overlap(cluster)
    if not found:
        assert messages == []
        return
    (message,) = messages
    old = ", ".join(
        sorted(p["metadata"]["name"] for p in pods(cluster) if p["metadata"]["name"] != "web-new-1")
    )
    assert message == (
        f"recreate deployment default/web has pods of an old replicaset ({old}) "
        "and of the new one (web-new-1) at once"
    )


def test_the_invariant_ignores_rolling_update_deployments():
    cluster = build_cluster([node("n1"), node("n2"), deployment(), service()])
    cluster.settle()
    new_replica_set_pod(cluster, "Running")
    assert overlap(cluster) == []


def test_a_spec_selects_the_invariant_and_a_recreate_rollout_keeps_it(tmp_path, capsys):
    spec = copy.deepcopy(PASSING_SPEC)
    spec["workloads"][0]["spec"]["strategy"] = {"type": "Recreate"}
    spec["actions"] = [{"rollout": {"deployment": "web", "images": ["example/web:2"]}}]
    spec["invariants"] = ["recreate_no_overlap"]
    spec["explore"] = {"examples": 30, "maxSteps": 8, "seed": 0, "ticks": [5]}
    path = tmp_path / "recreate.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code = cli("check", path, "-o", "json", "--traces", tmp_path / "traces")
    result = json.loads(capsys.readouterr().out)["specs"][0]
    assert result["invariants"] == [
        {"name": "recreate_no_overlap", "status": "pass", "exercised": True},
        {"name": "no_replacement_loop", "status": "pass", "exercised": True},
    ]
    assert code == EXIT_OK
    # Without a rollout no old pod ever faces a new template: the pass is flagged.
    spec["actions"] = [{"scale": {"deployment": "web", "replicas": [1, 3]}}]
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    cli("check", path, "-o", "json", "--traces", tmp_path / "traces")
    result = json.loads(capsys.readouterr().out)["specs"][0]
    assert result["invariants"] == [
        {"name": "recreate_no_overlap", "status": "pass", "exercised": False},
        {"name": "no_replacement_loop", "status": "pass", "exercised": True},
    ]
