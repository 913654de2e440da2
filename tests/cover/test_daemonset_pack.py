"""``kmodel pack`` and ``explain`` count DaemonSet pods as per-node overhead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kmodel.cli.main import main
from tests.helpers.paths import ROOT

SPEC = ROOT / "specs" / "placement" / "daemonset-overhead.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    out = capsys.readouterr().out
    return int(done.value.code or 0), json.loads(out)


def _write(tmp_path: Path, docs: list[dict]) -> str:
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


def test_overhead_changes_the_answer(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, with_daemons = run(capsys, "pack", str(SPEC), "--output", "json")
    assert code == 0
    assert with_daemons["nodes_used"] == 4
    assert with_daemons["daemonset_overhead"] == [
        {"name": "DaemonSet/gpu-agent", "nodes": [], "requests": {"cpu": 1000, "pods": 1}},
        {
            "name": "DaemonSet/log-agent",
            # a-5 is cordoned: daemon pods tolerate node.kubernetes.io/unschedulable.
            "nodes": ["a-1", "a-2", "a-3", "a-4", "a-5"],
            "requests": {"cpu": 500, "memory": 256 * 2**20, "pods": 1},
        },
    ]
    docs = [d for d in yaml.safe_load_all(SPEC.read_text()) if d["kind"] != "DaemonSet"]
    code, without = run(capsys, "pack", _write(tmp_path, docs), "--output", "json")
    assert code == 0
    assert without["nodes_used"] == 2
    assert without["daemonset_overhead"] == []


def test_a_bound_daemon_pod_is_load_not_overhead(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    docs = list(yaml.safe_load_all(SPEC.read_text()))
    agent = next(d for d in docs if d["metadata"]["name"] == "log-agent")
    template = agent["spec"]["template"]
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "log-agent-a1", "labels": dict(template["metadata"]["labels"])},
            "spec": {**template["spec"], "nodeName": "a-1"},
        }
    )
    _, result = run(capsys, "pack", _write(tmp_path, docs), "--output", "json")
    log_agent = next(o for o in result["daemonset_overhead"] if o["name"] == "DaemonSet/log-agent")
    assert log_agent["nodes"] == ["a-2", "a-3", "a-4", "a-5"]
    assert result["nodes_used"] == 4


def test_overhead_can_make_a_pod_unplaceable_and_explain_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    docs = list(yaml.safe_load_all(SPEC.read_text()))
    web = next(d for d in docs if d["kind"] == "Deployment")
    web["spec"]["replicas"] = 1
    web["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "3800m"
    path = _write(tmp_path, docs)
    code, result = run(capsys, "pack", path, "--output", "json")
    assert code == 1
    assert result["unplaced"] == ["web-0"]
    code, explained = run(capsys, "explain", path, "--output", "json")
    assert code == 1
    assert explained["status"] == "conflict"
    assert [o["name"] for o in explained["daemonset_overhead"]] == [
        "DaemonSet/gpu-agent",
        "DaemonSet/log-agent",
    ]
    with pytest.raises(SystemExit):
        main(["explain", path])
    text = capsys.readouterr().out
    assert "DaemonSet/log-agent: 0.5 cpu, 256Mi memory, 1 pod on 5 node(s)" in text


def test_verify_counts_the_overhead_and_reports_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    headroom = "capacity_headroom: {deployment: web, extra: 4}"
    argv = ["--property", headroom, "--output", "json", "--counterexamples", str(tmp_path / "c")]
    _, with_daemons = run(capsys, "verify", str(SPEC), *argv)
    (target,) = with_daemons["targets"]
    assert [p["status"] for p in target["properties"]] == ["disproved"]
    assert [o["name"] for o in target["daemonset_overhead"]] == [
        "DaemonSet/gpu-agent",
        "DaemonSet/log-agent",
    ]
    docs = [d for d in yaml.safe_load_all(SPEC.read_text()) if d["kind"] != "DaemonSet"]
    _, without = run(capsys, "verify", _write(tmp_path, docs), *argv)
    (target,) = without["targets"]
    # Four 4-cpu nodes hold eight 1.8-cpu pods without the agents: four more always fit.
    assert [p["status"] for p in target["properties"]] == ["proven"]
    assert target["daemonset_overhead"] == []
