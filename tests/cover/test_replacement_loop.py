"""Replacement loops: settling stops at one and every run reports it (cluster.replacement)."""

from __future__ import annotations

import json

import pytest

from kmodel.cli.main import main
from kmodel.cluster.build import build_cluster
from kmodel.cluster.replacement import LOOP_INVARIANT, InstantFailures
from kmodel.cluster.store import APIStore
from kmodel.errors import InputError
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.cluster import deployment, node, pods


def _pinned(replicas: int, cpu: str, node_cpu: str) -> list[dict]:
    """A Deployment whose pods ask for ``cpu`` each, pinned by nodeName to one node."""
    body = deployment(replicas=replicas)
    template = body["spec"]["template"]["spec"]
    template["nodeName"] = "n1"
    template["containers"][0]["resources"]["requests"]["cpu"] = cpu
    return [node("n1", cpu=node_cpu), body]


def _failed(c) -> list[dict]:
    return [p for p in pods(c) if p["status"].get("phase") == "Failed"]


def test_settling_stops_at_a_replicaset_replacing_rejected_pods():
    c = build_cluster(_pinned(replicas=1, cpu="2", node_cpu="1"))
    steps = c.settle(max_steps=200)  # without the loop check: 200 steps, no loop
    loop = c.replacement_loop
    assert loop is not None
    assert loop.owner.startswith("ReplicaSet default/web-")
    assert (loop.time, loop.kept, loop.reasons) == (0, 0, ("OutOfcpu on n1",))
    # Ten rejected pods may be a stale scheduler's doing; the eleventh, with none kept, is not.
    assert loop.failed == len(_failed(c)) == 11
    assert len(steps) < 30
    assert c.now == 0


def test_a_controller_that_keeps_pods_may_see_twice_as_many_rejected_first():
    # Two pods fit and run; the third is rejected and replaced without end.
    c = build_cluster(_pinned(replicas=3, cpu="1", node_cpu="2"))
    c.settle(max_steps=200)
    loop = c.replacement_loop
    assert loop is not None
    assert loop.kept == 2  # the running pods (the replacement is not made yet)
    assert loop.failed == len(_failed(c)) == 10 + 2 * loop.kept + 1


def _failed_pod(store: APIStore, name: str, owner: str) -> tuple[str, str, str]:
    store.create(
        {
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": "default",
                "ownerReferences": [
                    {"kind": "ReplicaSet", "name": owner, "uid": owner, "controller": True}
                ],
            },
            "spec": {"nodeName": "n1"},
            "status": {"phase": "Failed", "reason": "OutOfmemory"},
        }
    )
    return ("Pod", "default", name)


def test_failures_count_per_controller_and_only_at_one_instant():
    store = APIStore()
    failures = InstantFailures()
    keys = [_failed_pod(store, f"a{i}", "rs-a") for i in range(10)]
    keys += [_failed_pod(store, f"b{i}", "rs-b") for i in range(10)]
    assert failures.observe(store, keys) is None  # ten each: within the slack
    store.now = 10
    late = [_failed_pod(store, f"a{i}", "rs-a") for i in range(10, 15)]
    # The clock moved: the pods of 0s are forgotten, and those made at 0s never count at 10s.
    assert failures.observe(store, [*keys, *late]) is None
    assert failures.failed == {"rs-a": {p["metadata"]["uid"] for p in map(store.get, late)}}
    loop = failures.observe(store, [_failed_pod(store, f"a{i}", "rs-a") for i in range(15, 21)])
    assert loop is not None
    assert (loop.owner, loop.time, loop.failed, loop.reasons) == (
        "ReplicaSet default/rs-a",
        10,
        11,
        ("OutOfmemory on n1",),
    )


def test_a_run_reports_the_loop_whatever_the_spec_checks():
    scenario = Scenario(
        objects=_pinned(replicas=1, cpu="2", node_cpu="1"),
        invariants=(make_invariant("no_overcommit"),),
    )
    run = Run(scenario)
    assert [v.invariant for v in run.violations] == [LOOP_INVARIANT]
    assert run.violations[0].values["failed"] == 11


def test_no_overcommit_counts_a_pinned_pod_once_its_kubelet_accepts_it():
    # The pinned pod does not fit: while it waits for the kubelet nothing promised it room,
    # and the kubelet rejects it; a scheduler's binding or a kubelet's start time count.
    c = build_cluster(_pinned(replicas=1, cpu="2", node_cpu="1"))
    monitor = Monitor([make_invariant("no_overcommit")])
    while not pods(c):
        c.step(c.enabled_actions()[0])
    assert monitor.observe(c) == []
    pod = pods(c)[0]
    for status in (
        {"startTime": 0},
        {"conditions": [{"type": "PodScheduled", "status": "True"}]},
    ):
        c.store.update({**pod, "status": {**pod.get("status", {}), **status}})
        found = monitor.observe(c)
        assert [v.values["resource"] for v in found] == ["cpu"], status
        pod = c.store.get(("Pod", "default", pod["metadata"]["name"]))
        c.store.update({**pod, "status": {}})
        pod = c.store.get(("Pod", "default", pod["metadata"]["name"]))


def _check(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    return int(done.value.code or 0), capsys.readouterr().out


def test_check_reports_a_loop_at_the_start_in_every_format(tmp_path, capsys):
    spec = tmp_path / "pinned.yaml"
    spec.write_text(
        json.dumps(
            {
                "name": "pinned",
                "cluster": {"nodes": [{"pool": "w", "count": 1, "cpu": "1", "memory": "4Gi"}]},
                "workloads": [_pinned(replicas=1, cpu="2", node_cpu="1")[1]],
                "invariants": ["no_overcommit"],
                "explore": {"examples": 5, "maxSteps": 5, "seed": 0},
            }
        ).replace('"n1"', '"w-1"')
    )
    args = ["check", str(spec), "--database", str(tmp_path / "db"), "--traces", str(tmp_path)]
    code, out = _check([*args, "-o", "json"], capsys)
    assert code == 1, out
    body = json.loads(out)["specs"][0]
    assert [f["invariant"] for f in body["findings"]] == [LOOP_INVARIANT]
    assert {"name": LOOP_INVARIANT, "status": "violation", "exercised": True} in body["invariants"]
    code, junit = _check([*args, "-o", "junit"], capsys)
    assert code == 1
    assert f'name="{LOOP_INVARIANT}"' in junit
    assert "OutOfcpu on w-1" in junit


def test_a_spec_cannot_list_the_loop_check_it_always_gets():
    with pytest.raises(InputError, match="checked in every spec") as raised:
        make_invariant(LOOP_INVARIANT, path="invariants[1]")
    assert raised.value.path == "invariants[1]"
