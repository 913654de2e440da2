"""Nothing passes silently: unmodelled workloads, coverage, scheduler reasons, gates, labels."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from kmodel.cli.main import main
from kmodel.cluster.actions import action_from_json
from kmodel.cluster.clock import Tick
from kmodel.cluster.user_actions import RemoveSchedulingGates, ScaleDeployment
from kmodel.conformance.scenarios import scenario_from_text
from kmodel.errors import EXIT_INPUT, InputError
from kmodel.explore.coverage import Coverage, state_fingerprint
from kmodel.explore.run import Run
from kmodel.explore.search import ExploreOptions, explore
from kmodel.explore.spec import load_spec
from kmodel.semantics.scheduling import fit_error_message
from kmodel.strategies.spec import load_strategies_spec
from tests.helpers import placement as placekit
from tests.helpers.paths import ROOT
from tests.helpers.specs import PASSING_SPEC


def _write(folder: Path, body: object, name: str = "spec.yaml") -> Path:
    target = folder / name
    text = body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False)
    target.write_text(text, encoding="utf-8")
    return target


def _spec(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(PASSING_SPEC)
    body.update(changes)
    return body


def _deployment(name: str = "web", **pod_spec: Any) -> dict[str, Any]:
    body = copy.deepcopy(PASSING_SPEC["workloads"][0])
    body["metadata"]["name"] = name
    body["spec"]["selector"]["matchLabels"] = {"app": name}
    body["spec"]["template"]["metadata"]["labels"] = {"app": name}
    body["spec"]["template"]["spec"].update(pod_spec)
    return body


# ---------------------------------------------------------------- kubelet node labels


def test_pool_nodes_carry_the_kubelets_default_labels(tmp_path: Path) -> None:
    pools = [
        {"pool": "cpu", "count": 2, "zones": ["a", "b"], "region": "r1"},
        {"pool": "gpu", "arch": "arm64", "resources": {"nvidia.com/gpu": 4}},
    ]
    spec = load_spec(_write(tmp_path, _spec(cluster={"nodes": pools})))
    nodes = {o["metadata"]["name"]: o for o in spec.scenario.objects if o["kind"] == "Node"}
    assert nodes["cpu-2"]["metadata"]["labels"] == {
        "kubernetes.io/hostname": "cpu-2",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": "b",
        "topology.kubernetes.io/region": "r1",
    }
    assert nodes["gpu-1"]["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"
    assert nodes["gpu-1"]["status"]["allocatable"]["nvidia.com/gpu"] == "4"


def test_a_linux_node_selector_runs_on_pool_nodes(tmp_path: Path) -> None:
    web = _deployment(nodeSelector={"kubernetes.io/os": "linux"})
    spec = load_spec(
        _write(tmp_path, _spec(workloads=[web], actions=[], invariants=["eventually_stable"]))
    )
    assert explore(spec.scenario, options=ExploreOptions(examples=3, max_steps=3)) == []


@pytest.mark.parametrize(
    ("pool", "path"),
    [
        ({"pool": "g", "resources": {"gpu": 1}}, "cluster.nodes[0].resources.gpu"),
        ({"pool": "g", "resources": {"nvidia.com/gpu": "0.5"}}, "cluster.nodes[0].resources"),
        ({"pool": "g", "labels": {"a b": "x"}}, "cluster.nodes[0].labels"),
        ({"pool": "g", "os": ""}, "cluster.nodes[0].os"),
    ],
)
def test_bad_pool_fields_are_named(tmp_path: Path, pool: dict[str, Any], path: str) -> None:
    target = _write(tmp_path, _spec(cluster={"nodes": [pool]}))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.file == str(target)
    assert (caught.value.path or "").startswith(path)


# ---------------------------------------------------------------- unmodelled workloads

INGRESS = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: agent}
spec:
  defaultBackend: {service: {name: agent, port: {number: 80}}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: agent-pdb}
spec: {selector: {matchLabels: {app: agent}}, maxUnavailable: 1}
"""

_UNMODELLED = {
    "Ingress": INGRESS,
    "ReplicationController": (
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: once, namespace: ops}\n"
    ),
    "Widget": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
}


@pytest.mark.parametrize("kind", sorted(_UNMODELLED))
def test_check_refuses_an_unmodelled_workload_naming_file_object_and_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    (tmp_path / "app.yaml").write_text(_UNMODELLED[kind], encoding="utf-8")
    target = _write(tmp_path, _spec(workloads=["app.yaml"]))
    with pytest.raises(SystemExit) as done:
        main(["check", str(target), "--traces", str(tmp_path / "traces")])
    assert done.value.code == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert str(tmp_path / "app.yaml") in line
    assert f"{kind}/" in line
    assert f"kind {kind} " in line
    assert f"ignoreUnmodelled: [{kind}]" in line
    assert not (tmp_path / "traces").exists()


def test_check_refuses_an_inline_unmodelled_workload_and_an_empty_file(tmp_path: Path) -> None:
    inline = next(yaml.safe_load_all(_UNMODELLED["Ingress"]))
    target = _write(tmp_path, _spec(workloads=[PASSING_SPEC["workloads"][0], inline]))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert (caught.value.file, caught.value.path) == (str(target), "workloads[1]")
    assert caught.value.obj == "Ingress/agent"
    (tmp_path / "empty.yaml").write_text("---\n", encoding="utf-8")
    target = _write(tmp_path, _spec(workloads=["empty.yaml"]))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.file == str(tmp_path / "empty.yaml")
    assert "holds no objects" in caught.value.message


def test_a_list_of_kinds_allows_only_those(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text(INGRESS, encoding="utf-8")
    (tmp_path / "job.yaml").write_text(_UNMODELLED["ReplicationController"], encoding="utf-8")
    body = _spec(
        workloads=["agent.yaml", "job.yaml"],
        actions=[],
        invariants=["no_overcommit"],
        ignoreUnmodelled=["Ingress"],
    )
    with pytest.raises(InputError) as caught:
        load_spec(_write(tmp_path, body))
    assert caught.value.obj == "ReplicationController/ops/once"
    body["ignoreUnmodelled"] = ["Ingress", "ReplicationController"]
    spec = load_spec(_write(tmp_path, body))
    assert [(i.object, i.kind, i.path) for i in spec.left_out] == [
        ("Ingress/agent", "Ingress", "workloads[0]"),
        ("ReplicationController/ops/once", "ReplicationController", "workloads[1]"),
    ]


@pytest.mark.parametrize("output", ["text", "json", "junit", "github", "markdown"])
def test_an_opted_in_pass_names_what_was_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    (tmp_path / "agent.yaml").write_text(INGRESS, encoding="utf-8")
    body = _spec(
        workloads=[PASSING_SPEC["workloads"][0], "agent.yaml"],
        ignoreUnmodelled=True,
        explore={"examples": 2, "maxSteps": 2},
    )
    target = _write(tmp_path, body)
    with pytest.raises(SystemExit) as done:
        main(["check", str(target), "-o", output, "--traces", str(tmp_path / "traces")])
    assert done.value.code == 0
    out = capsys.readouterr().out
    if output == "json":
        (result,) = json.loads(out)["specs"]
        assert result["outcome"] == "pass"
        assert result["not_modelled"] == [
            {
                "file": str(tmp_path / "agent.yaml"),
                "document": 0,
                "path": "workloads[1]",
                "object": "Ingress/agent",
                "kind": "Ingress",
                "reason": "kind Ingress (networking.k8s.io/v1) is not modelled",
            }
        ]
    else:
        assert "Ingress/agent" in out
        assert "kind Ingress (networking.k8s.io/v1) is not modelled" in out


# ---------------------------------------------------------------- coverage


def _coverage(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    spec = load_spec(_write(tmp_path, _spec(**changes)))
    coverage = Coverage()
    explore(spec.scenario, options=spec.options, coverage=coverage)
    return coverage.summary(spec.scenario)


def test_coverage_counts_runs_states_faults_and_user_actions(tmp_path: Path) -> None:
    summary = _coverage(
        tmp_path,
        faults={"node_crash": 1, "zone_outage": 1},
        explore={"examples": 20, "maxSteps": 8, "seed": 1},
    )
    assert summary["runs"] >= 20  # searches after a finding, and shrinking, add runs
    assert summary["steps"] == sum(summary["actions"].values()) > 0
    assert 1 < summary["distinct_states"] <= summary["steps"] + summary["runs"]
    assert summary["workloads"] == ["Deployment/default/web"]
    assert set(summary["faults"]) == {"node_crash", "zone_outage"}
    assert summary["faults"]["node_crash"] == summary["actions"].get("node-crash", 0) > 0
    assert summary["user_actions"] == {"rollout": summary["actions"].get("set-image", 0)}


def test_an_invariant_whose_precondition_never_held_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two replicas never reach 5 available pods; no eviction ever happens.
    invariants = [{"min_available": {"deployment": "web", "count": 5}}, "pdb_respected"]
    summary = _coverage(tmp_path, invariants=invariants)
    assert [(i["name"], i["met_runs"], i["exercised"]) for i in summary["invariants"]] == [
        ("min_available", 0, False),
        ("pdb_respected", 0, False),
    ]
    with pytest.raises(SystemExit) as done:
        main(["check", str(tmp_path / "spec.yaml"), "--traces", str(tmp_path / "t")])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "(2 invariant(s) never exercised)" in out
    assert "pass      min_available  (never exercised: no run met its precondition" in out


def test_a_reached_precondition_counts_the_runs(tmp_path: Path) -> None:
    summary = _coverage(tmp_path)
    (entry,) = [i for i in summary["invariants"] if i["name"] == "min_available"]
    assert entry["exercised"] is True
    assert entry["met_runs"] == entry["checked_runs"] == summary["runs"]
    (plain,) = [i for i in summary["invariants"] if i["name"] == "no_overcommit"]
    assert plain == {
        "name": "no_overcommit",
        "precondition": None,
        "checked_runs": summary["runs"],
        "met_runs": None,
        "exercised": True,
    }


def test_runs_after_a_finding_do_not_count_for_the_violated_invariant(tmp_path: Path) -> None:
    # Two replicas on two nodes: a crash breaks min_available 2; the search goes on for the rest.
    summary = _coverage(
        tmp_path,
        faults={"node_crash": 1},
        invariants=[{"min_available": {"deployment": "web", "count": 2}}, "no_overcommit"],
        actions=[],
        explore={"examples": 40, "maxSteps": 10, "seed": 0},
    )
    checked = {i["name"]: i["checked_runs"] for i in summary["invariants"]}
    assert checked["no_overcommit"] == summary["runs"] > checked["min_available"] > 0


def test_state_fingerprint_ignores_time_and_uids(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, _spec()))
    cluster = spec.scenario.build()
    before = state_fingerprint(cluster)
    later = cluster.copy()
    later.step(Tick(10))
    assert state_fingerprint(later) == before
    renamed = cluster.copy()
    for pod in list(renamed.store.list_objects("Pod")):
        body = copy.deepcopy(dict(pod))
        body["metadata"]["uid"] = "other-" + body["metadata"]["uid"]
        renamed.store.objects[("Pod", body["metadata"]["namespace"], body["metadata"]["name"])] = (
            body
        )
    assert state_fingerprint(renamed) == before
    scaled = cluster.copy()
    scaled.step(ScaleDeployment("default", "web", 3))
    assert state_fingerprint(scaled) != before


# ---------------------------------------------------------------- the scheduler's own words


def test_fit_error_message_counts_and_sorts_as_upstream() -> None:
    reasons = {"Insufficient cpu": 2, "node(s) had untolerated taint {a: b}": 1}
    assert fit_error_message(3, reasons) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 Insufficient cpu."
    )
    assert fit_error_message(0, {}) == "0/0 nodes are available:"


def test_a_pod_that_never_gets_a_node_is_reported_with_the_schedulers_message(
    tmp_path: Path,
) -> None:
    web = _deployment(nodeSelector={"disktype": "ssd"})
    spec = load_spec(
        _write(tmp_path, _spec(workloads=[web], actions=[], invariants=["eventually_stable"]))
    )
    (finding,) = explore(spec.scenario, options=ExploreOptions(examples=2, max_steps=2))
    message = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    assert finding.violation.message == (
        f"deployment default/web has 2 pods that never got a node (Unschedulable: {message})"
    )
    assert finding.violation.values["scheduler_message"] == message


# ---------------------------------------------------------------- scheduling gates

GATES = [{"name": "example.com/quota"}]


def test_a_gated_pod_stays_pending_with_the_api_servers_condition(tmp_path: Path) -> None:
    gated = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "gated"},
        "spec": {"schedulingGates": GATES, "containers": [{"name": "c", "image": "x:1"}]},
    }
    body = _spec(workloads=[gated], actions=[], invariants=["no_overcommit"])
    spec = load_spec(_write(tmp_path, body))
    cluster = spec.scenario.build()
    pod = cluster.store.get(("Pod", "default", "gated"))
    assert pod is not None
    assert "nodeName" not in pod["spec"]
    assert pod["status"]["phase"] == "Pending"
    assert [c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled"] == [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
        }
    ]
    assert not [a for a in cluster.enabled_actions() if a.name in {"schedule", "unschedulable"}]
    coverage = Coverage()
    explore(spec.scenario, options=ExploreOptions(examples=2, max_steps=3), coverage=coverage)
    assert coverage.summary(spec.scenario)["unscheduled"] == [
        {
            "pod": "default/gated",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
        }
    ]


def test_a_gated_deployment_never_gets_a_node_and_says_why(tmp_path: Path) -> None:
    web = _deployment(schedulingGates=GATES)
    spec = load_spec(
        _write(tmp_path, _spec(workloads=[web], actions=[], invariants=["eventually_stable"]))
    )
    (finding,) = explore(spec.scenario, options=ExploreOptions(examples=2, max_steps=4))
    assert finding.violation.values["reason"] == "SchedulingGated"
    assert "never got a node (SchedulingGated: Scheduling is blocked" in finding.violation.message


def test_pack_leaves_gated_pods_out_without_failing_and_names_skipped_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gated = placekit.deployment("batch", 2, schedulingGates=GATES)
    bare = yaml.safe_load(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: held}\n"
        "spec: {schedulingGates: [{name: a}, {name: b}], containers: [{name: c, image: x}]}"
    )
    web = placekit.deployment("web", 2)
    files = tmp_path / "all.yaml"
    files.write_text(
        placekit.as_yaml(placekit.node("n1"), gated, bare, web) + "---\n" + INGRESS,
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as done:
        main(["pack", str(files), "-o", "json"])
    assert done.value.code == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert sorted(result["placement"]) == ["web-0", "web-1"]
    assert result["unplaced"] == []
    why = "SchedulingGated: Scheduling is blocked due to non-empty scheduling gates"
    assert result["not_placed"] == {
        "batch-0": f"{why} (example.com/quota)",
        "batch-1": f"{why} (example.com/quota)",
        "held": f"{why} (a, b)",
    }
    assert result["not_modelled"] == [
        (
            f"{files}: document 4: skipping Ingress/agent: "
            "kind Ingress (networking.k8s.io/v1) is not modelled"
        )
    ]
    assert "Ingress/agent" in captured.err
    with pytest.raises(SystemExit) as done:
        main(["pack", str(files)])
    text = capsys.readouterr().out
    assert "not placed (the scheduler would not consider them; not a failure):" in text
    assert "  held: SchedulingGated" in text
    assert "not modelled (skipped):" in text


def test_strategies_refuse_an_unmodelled_workload(tmp_path: Path) -> None:
    source = ROOT / "specs" / "strategies" / "web-release.yaml"
    body = yaml.safe_load(source.read_text(encoding="utf-8"))
    body["workloads"] = [w for w in body["workloads"] if isinstance(w, dict)]
    body["workloads"].append(next(yaml.safe_load_all(_UNMODELLED["Ingress"])))
    target = _write(tmp_path, body)
    with pytest.raises(InputError) as caught:
        load_strategies_spec(target)
    assert (caught.value.obj, caught.value.path) == ("Ingress/agent", "workloads[1]")
    assert "remove it from the workloads" in caught.value.message


def test_status_names_every_object_it_does_not_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tmp_path / "mixed.yaml"
    pod = yaml.safe_load(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}"
    )
    text = placekit.as_yaml(placekit.deployment("web", 1), pod) + "---\n" + INGRESS
    files.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["status", str(files), "-o", "json"])
    assert done.value.code == 0
    result = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in result["pods"]] == ["p"]
    only_pods = "kmodel status reports Pods only"
    assert result["not_modelled"] == [
        (
            f"{files}: document 2: skipping Ingress/agent: "
            "kind Ingress (networking.k8s.io/v1) is not modelled"
        ),
        f"{files}: document 0: skipping Deployment/default/web: {only_pods}",
        f"{files}: document 3: skipping PodDisruptionBudget/default/agent-pdb: {only_pods}",
    ]


@pytest.mark.parametrize("ungate", [{"deployment": "web"}, {"pods": ["default/held"]}])
def test_removing_the_gates_lets_the_scheduler_place_the_pods(
    tmp_path: Path, ungate: dict[str, Any]
) -> None:
    held = yaml.safe_load(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: held}\n"
        "spec: {schedulingGates: [{name: a}], containers: [{name: c, image: x}]}"
    )
    web = _deployment(schedulingGates=GATES)
    body = _spec(workloads=[web, held], actions=[{"ungate": ungate}], invariants=["no_overcommit"])
    spec = load_spec(_write(tmp_path, body))
    run = Run(spec.scenario)
    pods = list(run.cluster.store.list_objects("Pod"))
    assert len(pods) == 3
    assert not any(p["spec"].get("nodeName") for p in pods)
    (action,) = run.user_choices()
    run.do(action)
    run.finish()
    bound = {
        p["metadata"]["name"]
        for p in run.cluster.store.list_objects("Pod")
        if p["spec"].get("nodeName")
        and next(c for c in p["status"]["conditions"] if c["type"] == "PodScheduled")["status"]
        == "True"
    }
    if "deployment" in ungate:
        assert len(bound) == 2
        assert "held" not in bound
    else:
        assert bound == {"held"}
    assert run.user_choices() == []  # the budget (once) is spent


def test_ungate_needs_pods_or_a_deployment(tmp_path: Path) -> None:
    target = _write(tmp_path, _spec(actions=[{"ungate": {}}]))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.path == "actions[0].ungate"


def test_explain_names_gated_pods_and_skipped_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tmp_path / "all.yaml"
    gated = placekit.deployment("batch", 1, schedulingGates=GATES)
    files.write_text(
        placekit.as_yaml(placekit.node("n1"), gated)
        + "---\n"
        + _UNMODELLED["ReplicationController"],
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as done:
        main(["explain", str(files), "-o", "json"])
    assert done.value.code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "placeable"
    assert list(result["not_placed"]) == ["batch-0"]
    assert result["not_modelled"] == [
        (
            f"{files}: document 2: skipping ReplicationController/ops/once: "
            "kind ReplicationController (v1) is not modelled"
        )
    ]


@pytest.mark.parametrize(
    "action",
    [RemoveSchedulingGates("default", "held"), RemoveSchedulingGates("ops", deployment="web")],
)
def test_ungate_round_trips_through_a_trace(action: RemoveSchedulingGates) -> None:
    assert action_from_json(json.loads(json.dumps(action.as_json()))) == action


def test_an_unmodelled_object_among_the_cluster_manifests_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "nodes.yaml").write_text(
        placekit.as_yaml(placekit.node("n1")) + "---\n" + _UNMODELLED["Widget"],
        encoding="utf-8",
    )
    body = _spec(cluster={"manifests": ["nodes.yaml"]})
    with pytest.raises(InputError) as caught:
        load_spec(_write(tmp_path, body))
    assert (caught.value.file, caught.value.document) == (str(tmp_path / "nodes.yaml"), 1)
    assert caught.value.obj == "Widget/w"
    body["ignoreUnmodelled"] = ["Widget"]
    (item,) = load_spec(_write(tmp_path, body)).left_out
    assert item.path == "cluster.manifests[0]"


def test_a_static_pod_must_be_a_pod(tmp_path: Path) -> None:
    cluster = {"nodes": [{"pool": "n", "count": 1}], "staticPods": {"n-1": [_deployment()]}}
    with pytest.raises(InputError) as caught:
        load_spec(_write(tmp_path, _spec(cluster=cluster)))
    assert caught.value.path == "cluster.staticPods.n-1[0].kind"


def test_junit_marks_a_never_exercised_invariant_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _spec(invariants=["no_overcommit", "pdb_respected"], explore={"examples": 3})
    target = _write(tmp_path, body)
    with pytest.raises(SystemExit) as done:
        main(["check", str(target), "-o", "junit", "--traces", str(tmp_path / "t")])
    assert done.value.code == 0
    suite = ET.fromstring(capsys.readouterr().out).find("testsuite")  # noqa: S314  # our own
    assert suite is not None
    assert suite.get("skipped") == "1"
    skipped = {c.get("name"): c.find("skipped") for c in suite.findall("testcase")}
    assert skipped["no_overcommit"] is None
    assert skipped["pdb_respected"] is not None
    assert "precondition never met" in (skipped["pdb_respected"].get("message") or "")
    assert "coverage: " in (suite.findtext("system-out") or "")


@pytest.mark.parametrize(
    ("extra", "kind"),
    [(_UNMODELLED["ReplicationController"], "ReplicationController"), ("deployment", "Deployment")],
)
def test_a_conformance_scenario_refuses_what_the_engine_would_not_run(
    extra: str, kind: str
) -> None:
    text = (ROOT / "specs" / "conformance" / "exit-zero.yaml").read_text(encoding="utf-8")
    if extra == "deployment":
        extra = placekit.as_yaml(placekit.deployment("web", 1))
    with pytest.raises(InputError) as caught:
        scenario_from_text(text + "\n---\n" + extra, file="s.yaml")
    assert (caught.value.file, caught.value.document, caught.value.path) == ("s.yaml", 2, "kind")
    assert (caught.value.obj or "").startswith(f"{kind}/")
    assert scenario_from_text(text, file="s.yaml").name == "exit-zero"


def test_a_misspelt_feature_gate_is_refused_even_when_no_pod_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unbound pod never reaches the kubelet's rules: the gate must be checked anyway.
    files = tmp_path / "pod.yaml"
    files.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as done:
        main(["status", str(files), "--feature-gates", "ContainerRestartRule=true"])
    assert done.value.code == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--feature-gates: unknown feature gate 'ContainerRestartRule'" in captured.err
