"""`kmodel status` end to end, through the console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kmodel.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
PODS = ROOT / "specs" / "pods"


def run(capsys, *args):
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return done.value.code, out, err


def test_json_over_the_bundled_pods(capsys):
    code, out, err = run(capsys, "status", str(PODS), "-o", "json")
    assert code == 0, err
    pods = {p["name"]: p for p in json.loads(out)["pods"]}
    assert pods["web-7d9c6b8f5d-x2lqp"]["phase"] == "Running"
    assert [c["type"] for c in pods["web-7d9c6b8f5d-x2lqp"]["conditions"]] == [
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
    ]
    assert pods["api-5f7d8c9b4-kq2mz"]["phase"] == "Running"  # CrashLoopBackOff stays Running
    ready = pods["api-5f7d8c9b4-kq2mz"]["conditions"][1]
    assert (ready["status"], ready["reason"]) == ("False", "ContainersNotReady")
    assert pods["orders-0"]["phase"] == "Pending"
    assert pods["report-1"]["phase"] == "Succeeded"
    assert pods["report-2"]["phase"] == "Failed"
    assert pods["report-2"]["document"] == 0
    gate = pods["gateway-6b5c7d-abcde"]["conditions"][1]
    assert gate["reason"] == "ReadinessGatesNotReady"


def test_text_output_names_each_pod(capsys):
    code, out, _ = run(capsys, "status", str(PODS / "crashloop.yaml"))
    assert code == 0
    assert out.splitlines()[0] == "pod/api-5f7d8c9b4-kq2mz -n shop: Running"
    assert "ContainersNotReady" in out


def test_markdown_written_atomically_to_a_file(tmp_path, capsys):
    target = tmp_path / "deep" / "status.md"
    code, out, _ = run(capsys, "status", str(PODS), "-o", "markdown", "--out", str(target))
    assert code == 0
    assert out == ""
    text = target.read_text()
    assert text.startswith("# Pod status")
    assert "| `shop/orders-0` |" in text
    assert not [p for p in target.parent.iterdir() if p.name != "status.md"]


def test_feature_gates_flag(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "status",
        str(PODS / "web-running.yaml"),
        "-o",
        "json",
        "--feature-gates",
        "PodReadyToStartContainersCondition=true",
    )
    assert code == 0
    assert json.loads(out)["pods"][0]["conditions"][0]["type"] == "PodReadyToStartContainers"
    code, _, err = run(capsys, "status", str(PODS), "--feature-gates", "Bogus")
    assert code == 2
    assert "--feature-gates: invalid feature gate 'Bogus'" in err
    code, _, err = run(capsys, "status", str(PODS), "--feature-gates", "Bogus=true")
    assert code == 2
    assert "unknown feature gate 'Bogus'" in err


def test_bad_manifest_is_exit_2_with_location(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\n"
        "spec: {containers: [{name: a, image: b}]}\n"
        "---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  containers:\n  - {name: a, image: b}\n"
        "  - name: b\n    image: c\n    resources: {requests: {cpu: 1.2.3}}\n"
    )
    out_file = tmp_path / "out.json"
    code, _, err = run(capsys, "status", str(bad), "-o", "json", "--out", str(out_file))
    assert code == 2
    assert "Traceback" not in err
    assert f"{bad}: document 1: Pod/default/web: spec.containers[1].resources.requests.cpu" in err
    assert 'invalid quantity "1.2.3"' in err
    assert not out_file.exists()  # nothing half-written


def test_missing_file_and_usage_errors_exit_2(capsys):
    code, _, err = run(capsys, "status", "no/such/file.yaml")
    assert code == 2
    assert "no/such/file.yaml" in err
    code, _, err = run(capsys, "status")
    assert code == 2
    code, _, err = run(capsys, "status", str(PODS), "-o", "yaml")
    assert code == 2


@pytest.mark.integration
def test_console_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kmodel", "status", str(PODS / "batch.yaml"), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert {p["phase"] for p in json.loads(result.stdout)["pods"]} == {"Succeeded", "Failed"}
