"""Jobs and CronJobs end to end: ``kmodel check`` on the bundled specs, API validation, pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from kmodel.cli.main import main
from kmodel.errors import EXIT_FINDING, EXIT_INPUT, EXIT_OK
from tests.helpers.paths import ROOT

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "n1"},
    "status": {
        "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
        "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
    },
}


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return int(done.value.code or 0), captured.out, captured.err


def test_backoff_limit_spec_reports_the_controllers_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ROOT / "specs" / "job-backoff-limit.yaml"
    code, out, _ = run(capsys, "check", spec, "--examples", "3", "-o", "json", "--traces", tmp_path)
    assert code == EXIT_FINDING
    (result,) = json.loads(out)["specs"]
    assert result["as_expected"]
    (finding,) = result["findings"]
    assert finding["invariant"] == "job_not_failed"
    assert finding["message"] == (
        "job default/report: failed: BackoffLimitExceeded: "
        "Job has reached the specified backoff limit"
    )
    assert finding["values"]["failed"] == 3 + 1  # two rounds of parallelism 2
    assert result["coverage"]["workloads"] == ["Job/default/report"]


def _job(**spec: object) -> dict[str, object]:
    template = {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": template, **spec},
    }


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        (_job(), "spec.template.spec.restartPolicy", 'Unsupported value: "Always"'),
        (
            _job(completionMode="Indexed", restartPolicy="Never"),
            "spec.completions",
            "when completion mode is Indexed",
        ),
        (
            {
                **_job(),
                "kind": "CronJob",
                "spec": {"schedule": "61 * * * *", "jobTemplate": {"spec": {}}},
            },
            "spec.schedule",
            "above maximum (59)",
        ),
        (
            {
                **_job(),
                "kind": "CronJob",
                "spec": {"schedule": "@daily", "timeZone": "Mars/Base", "jobTemplate": {}},
            },
            "spec.timeZone",
            "unknown time zone Mars/Base",
        ),
    ],
)
def test_the_api_servers_validation_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: dict, path: str, message: str
) -> None:
    if body["kind"] == "CronJob":
        job = _job()
        job["spec"]["template"]["spec"]["restartPolicy"] = "Never"  # type: ignore[index]
        body["spec"]["jobTemplate"] = {"spec": job["spec"]}
    if body["kind"] == "Job" and "restartPolicy" in body["spec"]:
        body["spec"].pop("restartPolicy")
        body["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    spec = {
        "cluster": {"nodes": [{"pool": "n", "count": 1}]},
        "workloads": ["w.yaml"],
        "invariants": ["no_overcommit"],
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, out, err = run(capsys, "check", tmp_path / "s.yaml", "--traces", tmp_path / "t")
    assert code == EXIT_INPUT
    assert out == ""
    assert str(tmp_path / "w.yaml") in err
    assert path in err
    assert message in err


def test_pack_places_a_jobs_parallel_pods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(parallelism=3, completions=2)
    job["spec"]["template"]["spec"]["restartPolicy"] = "Never"  # type: ignore[index]
    job["spec"]["template"]["spec"]["containers"][0]["resources"] = {  # type: ignore[index]
        "requests": {"cpu": "1"}
    }
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all([NODE, job]), encoding="utf-8")
    code, out, _ = run(capsys, "pack", tmp_path / "all.yaml", "-o", "json")
    assert code == EXIT_OK
    assert sorted(json.loads(out)["placement"]) == ["j-0", "j-1"]  # min(parallelism, completions)
