"""`kmodel status` end to end, through the console entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kmodel.cli.main import main
from tests.helpers.paths import ROOT

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


def test_text_output_names_each_pod_its_file_and_kubectl_status(capsys):
    path = PODS / "crashloop.yaml"
    code, out, _ = run(capsys, "status", str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"pod/api-5f7d8c9b4-kq2mz -n shop  ({path}, document 0)"
    assert lines[1] == (
        "  PHASE Running  STATUS CrashLoopBackOff  READY 0/1  RESTARTS 5  NODE node-a2"
    )
    assert "ContainersNotReady" in out


def test_json_has_kubectl_columns_beside_phase(capsys):
    code, out, err = run(capsys, "status", str(PODS), "-o", "json")
    assert code == 0, err
    pods = {p["name"]: p for p in json.loads(out)["pods"]}
    columns = {name: (p["status"], p["ready"], p["restarts"]) for name, p in pods.items()}
    assert columns == {
        "report-1": ("Completed", "0/1", 0),
        "report-2": ("Error", "0/1", 0),
        "api-5f7d8c9b4-kq2mz": ("CrashLoopBackOff", "0/1", 5),
        "orders-0": ("Init:1/3", "0/2", 0),
        "gateway-6b5c7d-abcde": ("Running", "1/1", 0),
        "web-7d9c6b8f5d-x2lqp": ("Running", "2/2", 0),
        "trainer-0": ("SchedulingGated", "0/1", 0),
        "big-0": ("Pending", "0/1", 0),
    }
    assert pods["web-7d9c6b8f5d-x2lqp"]["node"] == "node-a1"
    assert pods["trainer-0"]["node"] is None


def test_an_unbound_pod_is_not_scheduled_and_a_gated_one_says_so(capsys):
    code, out, err = run(capsys, "status", str(PODS / "unscheduled.yaml"), "-o", "json")
    assert code == 0, err
    gated, unschedulable = json.loads(out)["pods"]
    assert gated["phase"] == "Pending"
    assert gated["conditions"] == [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "SchedulingGated",
            "message": "Scheduling is blocked due to non-empty scheduling gates",
        }
    ]
    # What the scheduler wrote is kept; no kubelet condition is made up for an unbound pod.
    assert [(c["type"], c["status"], c["reason"]) for c in unschedulable["conditions"]] == [
        ("PodScheduled", "False", "Unschedulable")
    ]
    code, out, _ = run(capsys, "status", str(PODS / "unscheduled.yaml"))
    assert "PodScheduled  True" not in out
    assert "STATUS SchedulingGated" in out


def test_a_terminating_pod(tmp_path, capsys):
    body = (PODS / "web-running.yaml").read_text(encoding="utf-8")
    deleted = body.replace(
        "metadata:\n", "metadata:\n  deletionTimestamp: '2026-01-01T00:00:00Z'\n", 1
    )
    assert deleted != body
    (tmp_path / "deleted.yaml").write_text(deleted, encoding="utf-8")
    code, out, _ = run(capsys, "status", str(tmp_path / "deleted.yaml"), "-o", "json")
    assert code == 0
    assert json.loads(out)["pods"][0]["status"] == "Terminating"


def test_markdown_written_atomically_to_a_file(tmp_path, capsys):
    target = tmp_path / "deep" / "status.md"
    code, out, _ = run(capsys, "status", str(PODS), "-o", "markdown", "--out", str(target))
    assert code == 0
    assert out == ""
    text = target.read_text()
    assert text.startswith("# Pod status")
    assert "| `shop/orders-0` |" in text
    assert "| STATUS | READY | RESTARTS |" in text
    assert "| Running | CrashLoopBackOff | 0/1 | 5 |" in text
    assert "| <none> | Pending | SchedulingGated | 0/1 | 0 | PodScheduled | False |" in text
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


def test_console_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kmodel", "status", str(PODS / "batch.yaml"), "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert {p["phase"] for p in json.loads(result.stdout)["pods"]} == {"Succeeded", "Failed"}
