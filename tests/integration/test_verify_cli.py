"""``kmodel verify`` end to end: the bundled examples, output formats, bad and unmodelled input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from kmodel.objects.manifests import load_manifests
from tests.helpers.paths import ROOT
from tests.helpers.placement import HOST, ZONE, deployment, node


def _kmodel(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kmodel", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_bundled_examples_give_the_outcomes_their_comments_state(tmp_path):
    cx = tmp_path / "cx"
    outcomes = {"proven.yaml": 0, "spread-counterexample.yaml": 1, "zone-loss.yaml": 1}
    for name, code in outcomes.items():
        run = _kmodel("verify", f"specs/verify/{name}", "--counterexamples", str(cx), "-o", "json")
        assert run.returncode == code, run.stderr
        document = json.loads(run.stdout)
        assert document["targets"][0]["outcome"] == ("proven" if code == 0 else "disproved")
        assert document["targets"][0]["as_expected"] is True
    run = _kmodel("verify", "specs/verify/", "--check-expectations", "--counterexamples", str(cx))
    assert run.returncode == 0, run.stdout + run.stderr
    # The spread counterexample, read by pack as bound pods: nothing left to place for web.
    saved = sorted(cx.glob("verify-spread-counterexample.spread-default-web*.yaml"))
    assert len(saved) == 1
    pods = [o for o in load_manifests([saved[0]]) if o.name.startswith("web-")]
    assert len({o.body["spec"]["nodeName"] for o in pods}) == 1
    manifests = tmp_path / "web.yaml"
    spec = yaml.safe_load((ROOT / "specs/verify/spread-counterexample.yaml").read_text())
    nodes = [
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": f"worker-{i}", "labels": {HOST: f"worker-{i}", ZONE: z}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
        }
        for i, z in ((1, "a"), (2, "b"), (3, "c"))
    ]
    manifests.write_text(yaml.safe_dump_all([*nodes, *spec["workloads"]]))
    packed = _kmodel("pack", str(manifests), str(saved[0]), "-o", "json")
    assert packed.returncode == 0, packed.stderr
    assert not [p for p in json.loads(packed.stdout)["placement"] if p.startswith("web-")]


def test_output_formats_and_bad_input(tmp_path):
    spec = "specs/verify/spread-counterexample.yaml"
    junit = _kmodel("verify", spec, "-o", "junit", "--counterexamples", str(tmp_path))
    assert junit.stdout.count("<testcase ") == 2
    assert junit.stdout.count("<failure ") == 1
    github = _kmodel("verify", spec, "-o", "github", "--counterexamples", str(tmp_path))
    # The spec expects the finding, so it is a notice (an error when unexpected).
    assert github.stdout.startswith("::notice file=specs/verify/spread-counterexample.yaml")
    report = tmp_path / "verify.md"
    markdown = _kmodel(
        "verify", spec, "-o", "markdown", "--out", str(report), "--counterexamples", str(tmp_path)
    )
    assert markdown.returncode == 1
    assert "![failure domains" in report.read_text()
    assert (tmp_path / "verify.verify-spread-counterexample.png").stat().st_size > 0
    bad = _kmodel("verify", spec, "--property", "spread: {deployment: web, across: zone}")
    assert bad.returncode == 2
    assert "spread.min: required field missing" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unmodelled_objects_are_named(tmp_path):
    manifests = tmp_path / "m.yaml"
    manifests.write_text(
        yaml.safe_dump_all(
            [
                node("a1"),
                deployment("web", 1),
                {"apiVersion": "v1", "kind": "Foo", "metadata": {"name": "x"}},
            ]
        )
    )
    run = _kmodel("verify", str(manifests), "-o", "json", "--counterexamples", str(tmp_path))
    assert run.returncode == 0, run.stderr
    target = json.loads(run.stdout)["targets"][0]
    assert [line.split(": ")[-1] for line in target["not_modelled"]] == [
        "kind Foo (v1) is not modelled"
    ]
    assert target["properties"][0]["property"] == "schedulable"
