"""``kmodel check`` and ``kmodel replay`` end to end: outcomes, output formats, traces, replay."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import yaml

from kmodel.cluster.user_actions import SetImage
from kmodel.errors import EXIT_FINDING, EXIT_INPUT, EXIT_OK
from kmodel.explore.spec import load_spec
from kmodel.explore.trace import Trace, TraceStep, load_trace
from kmodel.invariants import Violation
from kmodel.report.check import SpecResult, render_check
from tests.helpers.cli import cli
from tests.helpers.paths import ROOT
from tests.helpers.specs import PASSING_SPEC

BUNDLED = sorted((ROOT / "specs").glob("*.yaml"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SPEC_KEYS = {
    "spec",
    "name",
    "expect",
    "outcome",
    "as_expected",
    "examples",
    "steps",
    "seed",
    "invariants",
    "findings",
    "coverage",
    "not_modelled",
    "warnings",
}
COVERAGE_KEYS = {
    "runs",
    "steps",
    "distinct_states",
    "workloads",
    "unscheduled",
    "faults",
    "user_actions",
    "actions",
    "invariants",
}
FINDING_KEYS = {"invariant", "message", "values", "at_fixpoint", "steps", "trace"}

#: A small spec that holds: two replicas spread over two nodes, a surge-only rollout.


def kmodel_process(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m kmodel`` in a fresh process."""
    return subprocess.run(  # our own interpreter and module
        [sys.executable, "-m", "kmodel", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def documented_outcome(spec: Path) -> tuple[str, str | None]:
    """What a bundled spec's header comment promises: ``pass``, or ``violation`` of an invariant."""
    lines = spec.read_text(encoding="utf-8").splitlines()
    header = " ".join(line.lstrip("#").strip() for line in lines if line.startswith("#"))
    text = header
    failing = re.search(r"Meant to FAIL\s*\((\w+)\)", text)
    if failing:
        return "violation", failing.group(1)
    assert "Meant to PASS" in text, f"{spec.name} does not document its outcome"
    return "pass", None


@pytest.fixture(scope="module")
def small_specs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two quick specs: the PDB that blocks a drain (a violation) and a tiny one that passes."""
    folder = tmp_path_factory.mktemp("small")
    drain = folder / "pdb-blocks-drain.yaml"
    drain.write_text((ROOT / "specs" / "pdb-blocks-drain.yaml").read_text(encoding="utf-8"))
    passing = folder / "tiny-pass.yaml"
    passing.write_text(yaml.safe_dump(PASSING_SPEC), encoding="utf-8")
    return [drain, passing]


@pytest.fixture(scope="module")
def small_outputs(
    small_specs: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """Every output format of one ``kmodel check`` over the small specs (exit code 1 each)."""
    folder = tmp_path_factory.mktemp("outputs")
    outputs = {}
    for output in ("json", "junit", "github", "text"):
        target = folder / f"out.{output}"
        code = cli(
            "check",
            *small_specs,
            "--examples",
            "10",
            "-o",
            output,
            "--out",
            target,
            "--traces",
            folder / "traces",
            "--database",
            folder / "examples",
        )
        assert code == EXIT_FINDING
        outputs[output] = target.read_text(encoding="utf-8")
    return outputs


# ----------------------------------------------------------------- bundled specs (integration)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One ``kmodel check specs/ --check-expectations`` run with JSON, traces and a report."""
    folder = tmp_path_factory.mktemp("bundled")
    done = kmodel_process(
        "check",
        "specs",
        "--check-expectations",
        "-o",
        "json",
        "--out",
        folder / "check.json",
        "--traces",
        folder / "traces",
        "--report",
        folder / "report",
    )
    return {
        "code": done.returncode,
        "stderr": done.stderr,
        "json": json.loads((folder / "check.json").read_text(encoding="utf-8")),
        "folder": folder,
    }


def test_bundled_specs_all_give_their_expected_outcome(bundled: dict[str, Any]) -> None:
    assert bundled["code"] == EXIT_OK, bundled["stderr"]
    summary = bundled["json"]["summary"]
    expected_violations = sum(documented_outcome(s)[0] == "violation" for s in BUNDLED)
    assert summary == {
        "specs": len(BUNDLED),
        "violations": expected_violations,
        "unexpected": 0,
    }


@pytest.mark.parametrize("spec", BUNDLED, ids=lambda p: p.stem)
def test_bundled_spec_outcome(bundled: dict[str, Any], spec: Path) -> None:
    outcome, invariant = documented_outcome(spec)
    assert yaml.safe_load(spec.read_text(encoding="utf-8"))["expect"] == outcome
    (result,) = [r for r in bundled["json"]["specs"] if Path(r["spec"]).name == spec.name]
    assert result["outcome"] == outcome
    assert result["as_expected"] is True
    violated = {f["invariant"] for f in result["findings"]}
    if invariant is None:
        assert violated == set()
    else:
        assert invariant in violated
    statuses = {i["name"]: i["status"] for i in result["invariants"]}
    assert {n for n, s in statuses.items() if s == "violation"} == violated


def test_bundled_json_keys_are_the_documented_ones(bundled: dict[str, Any]) -> None:
    data = bundled["json"]
    assert set(data) == {"specs", "summary"}
    for result in data["specs"]:
        assert set(result) == SPEC_KEYS
        assert result["examples"] > 0
        assert result["steps"] > 0
        assert set(result["coverage"]) == COVERAGE_KEYS
        for invariant in result["invariants"]:
            assert set(invariant) == {"name", "status", "exercised"}
            assert invariant["status"] in {"pass", "violation"}
        for finding in result["findings"]:
            assert set(finding) == FINDING_KEYS
            assert finding["message"]


def test_bundled_findings_have_trace_files_that_load(bundled: dict[str, Any]) -> None:
    findings = [f for r in bundled["json"]["specs"] for f in r["findings"]]
    assert findings
    for finding in findings:
        trace = load_trace(Path(finding["trace"]))
        assert trace.invariant == finding["invariant"]
        assert trace.violation.message == finding["message"]
        assert len(trace.steps) == finding["steps"]
        assert [s.index for s in trace.steps] == list(range(1, len(trace.steps) + 1))


def test_bundled_report_has_timelines_and_plots(bundled: dict[str, Any]) -> None:
    report = bundled["folder"] / "report"
    text = (report / "check.md").read_text(encoding="utf-8")
    for result in bundled["json"]["specs"]:
        assert f"`{result['spec']}`" in text
        for finding in result["findings"]:
            assert f"## {result['name']}: {finding['invariant']}" in text
    assert text.count("| # | time | what happened | changes |") == sum(
        len(r["findings"]) for r in bundled["json"]["specs"]
    )
    plots = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert plots
    for plot in plots:
        assert (report / plot).read_bytes().startswith(PNG_MAGIC)


def test_replay_shows_the_same_violation(bundled: dict[str, Any]) -> None:
    result = next(r for r in bundled["json"]["specs"] if r["name"] == "rollout-max-unavailable")
    (finding,) = result["findings"]
    done = kmodel_process("replay", finding["trace"])
    assert done.returncode == EXIT_FINDING
    assert f"=> {finding['invariant']} violated: {finding['message']}" in done.stdout
    assert "Traceback" not in done.stderr


def test_emitted_pytest_reproduces_and_fails_once_the_spec_is_safe(
    bundled: dict[str, Any], tmp_path: Path
) -> None:
    result = next(r for r in bundled["json"]["specs"] if r["name"] == "rollout-max-unavailable")
    (finding,) = result["findings"]
    emitted = tmp_path / "test_regression.py"
    done = kmodel_process("replay", finding["trace"], "--emit-pytest", emitted)
    assert done.returncode == EXIT_FINDING
    source = emitted.read_text(encoding="utf-8")
    assert "hypothesis" not in source

    def run_pytest(test_file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # our own interpreter
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    reproduced = run_pytest(emitted)
    assert reproduced.returncode == 0, reproduced.stdout + reproduced.stderr

    # The same steps against the spec made safe (no pod may be unavailable during a rollout):
    # the emitted test must now fail, so it guards against the violation coming back.
    safe = yaml.safe_load((ROOT / result["spec"]).read_text(encoding="utf-8"))
    for workload in safe["workloads"]:
        if isinstance(workload, dict) and workload["kind"] == "Deployment":
            workload["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": 0, "maxSurge": 1}
        elif isinstance(workload, str):
            safe["workloads"][safe["workloads"].index(workload)] = str(
                (ROOT / "specs" / workload).resolve()
            )
    safe_spec = tmp_path / "safe.yaml"
    safe_spec.write_text(yaml.safe_dump(safe), encoding="utf-8")
    guarded = tmp_path / "test_guard.py"
    guarded.write_text(
        re.sub(r"^SPEC = .*$", f"SPEC = {str(safe_spec)!r}", source, count=1, flags=re.MULTILINE),
        encoding="utf-8",
    )
    # The trace is the rollout alone (the violation shows while the components settle), which
    # the safe spec allows too: its steps apply and violate nothing.
    broken = run_pytest(guarded)
    assert broken.returncode == 1
    assert "the recorded steps no longer violate any invariant" in broken.stdout

    # Never "fixed": the safe spec is not the spec the trace was recorded on.
    replay_safe = kmodel_process("replay", finding["trace"], "--spec", safe_spec)
    assert replay_safe.returncode == EXIT_INPUT
    assert "is not the spec the trace was recorded on" in replay_safe.stderr
    assert "fixed" not in replay_safe.stdout


# ----------------------------------------------------------------- replay outcomes (fast)


@pytest.fixture
def drain_trace(small_outputs: dict[str, str], small_specs: list[Path]) -> tuple[Path, Path]:
    """The pdb-blocks-drain spec and the trace of its drains_complete violation."""
    finding = json.loads(small_outputs["json"])["specs"][0]["findings"][0]
    return small_specs[0], Path(finding["trace"])


def test_replay_of_an_unrelated_spec_is_stale_not_fixed(
    drain_trace: tuple[Path, Path], small_specs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, trace = drain_trace
    emitted = trace.parent / "test_never_written.py"
    code = cli("replay", trace, "--spec", small_specs[1], "--emit-pytest", emitted)
    captured = capsys.readouterr()
    assert code == EXIT_INPUT
    assert f"kmodel: error: {trace}: step 1 no longer applies: user drains node node-1" in (
        captured.err
    )
    assert "(the spec allows no such user action)" in captured.err
    assert "violated" not in captured.out
    assert "fixed" not in captured.out
    assert not emitted.exists()


def test_replay_of_a_changed_spec_that_still_violates_is_a_finding(
    drain_trace: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, trace = drain_trace
    edited = tmp_path / "edited.yaml"
    edited.write_text(spec.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    code = cli("replay", trace, "--spec", edited)
    out = capsys.readouterr().out
    assert code == EXIT_FINDING
    assert "=> drains_complete violated: drain of node node-1 never finishes" in out
    assert f"note: {edited} is not the spec the trace was recorded on" in out


def test_replay_of_a_changed_spec_without_violation_is_not_fixed(
    drain_trace: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, trace = drain_trace
    body = yaml.safe_load(spec.read_text(encoding="utf-8"))
    body["invariants"] = ["pdb_respected"]  # every step still applies; nothing is violated
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(body), encoding="utf-8")
    code = cli("replay", trace, "--spec", changed)
    captured = capsys.readouterr()
    assert code == EXIT_INPUT
    assert f"{changed} is not the spec the trace was recorded on" in captured.err
    assert "all 1 recorded steps apply and no invariant is violated" in captured.err
    assert "which is not a fix of the recorded spec" in captured.err
    assert "violated:" not in captured.out
    assert "fixed" not in captured.out


def test_replay_says_fixed_only_when_every_step_applies_to_the_recorded_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A trace of the recorded spec whose steps all apply but no longer violate anything (as
    # after a fix in the model): the one case replay calls fixed.
    spec_file = tmp_path / "tiny-pass.yaml"
    spec_file.write_text(yaml.safe_dump(PASSING_SPEC), encoding="utf-8")
    spec = load_spec(spec_file)
    rollout = SetImage("default", "web", "app", "example/web:2")
    trace = Trace(
        spec=str(spec_file), spec_digest=spec.digest, seed=0, invariant="min_available",
        violation=Violation("min_available", "recorded before the fix", {"available": 0}),
        at_fixpoint=False, steps=(TraceStep(1, 0, rollout, rollout.describe(), ()),),
    )  # fmt: skip
    trace_file = tmp_path / "trace.json"
    trace_file.write_text(trace.dumps(), encoding="utf-8")
    code = cli("replay", trace_file)
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert out.rstrip().endswith(
        "fixed: all 1 recorded steps still apply and no invariant is violated "
        "(min_available now holds)"
    )
    assert "violated:" not in out


def test_traces_outputs_and_emitted_tests_are_0644(small_specs: list[Path], tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        code = cli(
            "check", small_specs[0], "--examples", "10", "-o", "json",
            "--out", tmp_path / "out.json", "--traces", tmp_path / "traces",
        )  # fmt: skip
        assert code == EXIT_FINDING
        (trace,) = (tmp_path / "traces").iterdir()
        emitted = tmp_path / "test_regression.py"
        assert cli("replay", trace, "--emit-pytest", emitted) == EXIT_FINDING
    finally:
        os.umask(previous)
    for written in (tmp_path / "out.json", trace, emitted):
        assert oct(written.stat().st_mode & 0o777) == oct(0o644), written


# ----------------------------------------------------------------- output formats (fast)


def test_json_output_of_small_specs(small_outputs: dict[str, str], small_specs: list[Path]) -> None:
    data = json.loads(small_outputs["json"])
    assert set(data) == {"specs", "summary"}
    assert data["summary"] == {"specs": 2, "violations": 1, "unexpected": 0}
    drain, passing = data["specs"]
    assert set(drain) == SPEC_KEYS
    assert (drain["spec"], passing["spec"]) == tuple(map(str, small_specs))
    assert drain["outcome"] == "violation"
    assert drain["as_expected"] is True
    assert [f["invariant"] for f in drain["findings"]] == ["drains_complete"]
    assert set(drain["findings"][0]) == FINDING_KEYS
    assert passing["outcome"] == "pass"
    assert passing["findings"] == []
    assert passing["invariants"] == [
        {"name": "no_overcommit", "status": "pass", "exercised": True},
        {"name": "min_available", "status": "pass", "exercised": True},
        {"name": "no_replacement_loop", "status": "pass", "exercised": True},
    ]


def test_junit_one_suite_per_spec_one_case_per_invariant(
    small_outputs: dict[str, str],
) -> None:
    data = json.loads(small_outputs["json"])
    root = ET.fromstring(small_outputs["junit"])  # noqa: S314  # our own output
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [r["name"] for r in data["specs"]]
    for suite, result in zip(suites, data["specs"], strict=True):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [i["name"] for i in result["invariants"]]
        failed = {c.get("name") for c in cases if c.find("failure") is not None}
        assert failed == {i["name"] for i in result["invariants"] if i["status"] == "violation"}
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(len(failed))
        for case in cases:
            failure = case.find("failure")
            if failure is not None:
                finding = next(f for f in result["findings"] if f["invariant"] == case.get("name"))
                assert failure.get("message") == finding["message"]
                assert f"violated: {finding['message']}" in (failure.text or "")


def test_github_annotations_are_well_formed(small_outputs: dict[str, str]) -> None:
    data = json.loads(small_outputs["json"])
    every = small_outputs["github"].splitlines()
    annotation = re.compile(r"^::(error|warning|notice) file=([^,:]+),title=([^,:]+)::(.+)$")
    # A passing invariant no run exercised is a warning (the drain spec's pdb_respected).
    untested = [
        f"kmodel {i['name']} never exercised"
        for r in data["specs"]
        for i in r["invariants"]
        if not i["exercised"]
    ]
    assert untested == ["kmodel pdb_respected never exercised"]
    assert [m.group(3) for m in map(annotation.match, every) if m and m.group(1) == "warning"] == (
        untested
    )
    lines = [line for line in every if not line.startswith("::warning")]
    assert len(lines) == sum(len(r["findings"]) for r in data["specs"])
    for line in lines:
        match = annotation.match(line)
        assert match, line
        assert match.group(2) == data["specs"][0]["spec"]
        # Without --check-expectations every violation fails the run (exit 1): an error, even
        # though the spec expects it.
        assert match.group(1) == "error"
        assert data["specs"][0]["findings"][0]["message"] in match.group(4)


@pytest.mark.parametrize(
    ("expect", "violated", "check_expectations", "level"),
    [
        # A violation: an error exactly when it fails the run.
        (None, True, False, "error"),
        (None, True, True, "error"),
        ("pass", True, True, "error"),
        ("violation", True, False, "error"),
        ("violation", True, True, "notice"),
        # No violation where the spec expects one: fails only when judged by expectations.
        ("violation", False, True, "error"),
        ("violation", False, False, "notice"),
        # A pass the spec expects (or does not contradict): no annotation.
        (None, False, True, None),
        ("pass", False, False, None),
    ],
)
def test_github_level_follows_whether_the_outcome_fails_the_run(
    small_outputs: dict[str, str],
    expect: str | None,
    violated: bool,
    check_expectations: bool,
    level: str | None,
) -> None:
    finding = json.loads(small_outputs["json"])["specs"][0]["findings"][0]
    trace = load_trace(finding["trace"])
    result = SpecResult(
        path="specs/x.yaml", name="x", description="", expect=expect,
        invariants=[trace.invariant], seed=0,
        traces=[trace] if violated else [], trace_files=[finding["trace"]] if violated else [],
    )  # fmt: skip
    lines = render_check([result], "github", check_expectations=check_expectations).splitlines()
    assert result.fails(check_expectations=check_expectations) == (level == "error")
    if level is None:
        assert lines == []
        return
    (line,) = lines
    assert line.startswith(f"::{level} file=specs/x.yaml,title=kmodel ")
    if violated:
        assert f"kmodel {trace.invariant}::{trace.violation.message}" in line
    else:
        assert "expected a violation::no invariant was violated" in line


def test_text_tells_the_story(small_outputs: dict[str, str]) -> None:
    data = json.loads(small_outputs["json"])
    finding = data["specs"][0]["findings"][0]
    text = small_outputs["text"]
    assert text.startswith(f"VIOLATION {data['specs'][0]['spec']}")
    assert f"PASS {data['specs'][1]['spec']}" in text
    assert f"=> drains_complete violated: {finding['message']}" in text


def test_same_spec_and_seed_give_byte_identical_traces(
    small_specs: list[Path], tmp_path: Path
) -> None:
    for folder in ("one", "two"):
        code = cli(
            "check", small_specs[0], "--examples", "10", "-o", "json", "--out",
            tmp_path / f"{folder}.json", "--traces", tmp_path / folder,
        )  # fmt: skip
        assert code == EXIT_FINDING
    first = sorted((tmp_path / "one").iterdir())
    second = sorted((tmp_path / "two").iterdir())
    assert (
        [p.name for p in first]
        == [p.name for p in second]
        == ["pdb-blocks-drain.drains_complete.json"]
    )
    assert first[0].read_bytes() == second[0].read_bytes()


def test_jobs_2_gives_the_same_json_as_jobs_1(
    small_specs: list[Path], small_outputs: dict[str, str], tmp_path: Path
) -> None:
    # Same traces folder as small_outputs, so the trace paths in the JSON are the same too.
    traces = Path(json.loads(small_outputs["json"])["specs"][0]["findings"][0]["trace"]).parent
    target = tmp_path / "jobs2.json"
    # A database of its own: small_outputs' JSON run, the first, started from an empty one.
    code = cli(
        "check", *small_specs, "--examples", "10", "--jobs", "2", "-o", "json",
        "--out", target, "--traces", traces, "--database", tmp_path / "examples",
    )  # fmt: skip
    assert code == EXIT_FINDING
    assert target.read_text(encoding="utf-8") == small_outputs["json"]


def test_check_expectations_turns_expected_violation_into_success(
    small_specs: list[Path], tmp_path: Path
) -> None:
    code = cli(
        "check", small_specs[0], "--examples", "10", "--check-expectations",
        "--out", tmp_path / "out.txt", "--traces", tmp_path / "traces",
    )  # fmt: skip
    assert code == EXIT_OK


def test_check_expectations_fails_a_spec_whose_expectation_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "wrong.yaml"
    spec.write_text(yaml.safe_dump({**PASSING_SPEC, "expect": "violation"}), encoding="utf-8")
    code = cli("check", spec, "--check-expectations", "-o", "github", "--traces", tmp_path)
    assert code == EXIT_FINDING
    out = capsys.readouterr().out
    assert out.startswith(f"::error file={spec},title=kmodel expected a violation::")


def test_check_expectations_fails_a_violation_in_a_spec_without_expect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A spec without `expect:` is expected to pass: its violation fails the run, also when
    # judged by expectations (as the pytest plugin fails it).
    body = yaml.safe_load((ROOT / "specs" / "pdb-blocks-drain.yaml").read_text(encoding="utf-8"))
    del body["expect"]
    spec = tmp_path / "no-expect.yaml"
    spec.write_text(yaml.safe_dump(body), encoding="utf-8")
    code = cli("check", spec, "--examples", "10", "--check-expectations", "--traces", tmp_path)
    assert code == EXIT_FINDING
    captured = capsys.readouterr()
    assert "(UNEXPECTED: a spec without `expect:` is expected to pass)" in captured.out
    assert "did not give their expected outcome" in captured.err
    assert "violation (a spec without `expect:` is expected to pass)" in captured.err
    target = tmp_path / "out.json"
    code = cli(
        "check", spec, "--examples", "10", "--check-expectations", "-o", "json",
        "--out", target, "--traces", tmp_path,
    )  # fmt: skip
    assert code == EXIT_FINDING
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["specs"][0]["expect"] is None
    assert data["specs"][0]["as_expected"] is False
    assert data["summary"]["unexpected"] == 1


def _passing_json(tmp_path: Path, *extra: str) -> dict[str, Any]:
    spec = tmp_path / "tiny-pass.yaml"
    spec.write_text(yaml.safe_dump(PASSING_SPEC), encoding="utf-8")
    target = tmp_path / f"out{len(list(tmp_path.iterdir()))}.json"
    code = cli("check", spec, "-o", "json", "--out", target, "--traces", tmp_path / "t", *extra)
    assert code == EXIT_OK
    result: dict[str, Any] = json.loads(target.read_text(encoding="utf-8"))["specs"][0]
    return result


def test_seed_changes_nothing_in_a_passing_spec(tmp_path: Path) -> None:
    results = [_passing_json(tmp_path, "--seed", seed) for seed in ("0", "1", "99")]
    assert [r["seed"] for r in results] == [0, 1, 99]
    for result in results:
        assert result["outcome"] == "pass"
        assert result["findings"] == []
        assert {i["status"] for i in result["invariants"]} == {"pass"}
    assert not (tmp_path / "t").exists()  # no trace written for a pass


def test_profile_dev_runs_more_than_the_spec_asks(tmp_path: Path) -> None:
    plain = _passing_json(tmp_path)
    dev = _passing_json(tmp_path, "--profile", "dev")
    assert dev["outcome"] == "pass"
    # The dev profile's examples (kmodel.profiles) override the spec's 8.
    assert dev["examples"] > plain["examples"]


USER_INVARIANT = '''
def at_most_two_web_pods(cluster):
    """Never more than two live `web` pods (a surge during a rollout breaks it)."""
    live = [
        p["metadata"]["name"]
        for p in cluster.store.list_objects("Pod")
        if (p["metadata"].get("labels") or {}).get("app") == "web"
        and p["metadata"].get("deletionTimestamp") is None
    ]
    return [f"{len(live)} web pods: {', '.join(sorted(live))}"] if len(live) > 2 else []
'''


def test_user_invariant_module_function_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kmodel_test_user_checks.py").write_text(USER_INVARIANT, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    reference = "kmodel_test_user_checks:at_most_two_web_pods"
    spec = tmp_path / "user.yaml"
    spec.write_text(
        yaml.safe_dump({**PASSING_SPEC, "expect": "violation", "invariants": [reference]}),
        encoding="utf-8",
    )
    target = tmp_path / "out.json"
    code = cli(
        "check", spec, "--examples", "30", "-o", "json", "--out", target,
        "--traces", tmp_path / "traces",
    )  # fmt: skip
    assert code == EXIT_FINDING
    (result,) = json.loads(target.read_text(encoding="utf-8"))["specs"]
    assert result["invariants"] == [
        {"name": reference, "status": "violation", "exercised": True},
        {"name": "no_replacement_loop", "status": "pass", "exercised": True},
    ]
    (finding,) = result["findings"]
    assert finding["invariant"] == reference
    assert finding["message"].startswith("3 web pods: ")
    # The surge needs the rollout: the shrunk story starts with it.
    trace = load_trace(finding["trace"])
    assert trace.steps[0].action.name == "set-image"

    # In a GitHub annotation the ":" of `module:function` is escaped inside the title property.
    result_of_run = SpecResult(
        path=str(spec), name="user", description="", expect="violation",
        invariants=[reference], seed=0, traces=[trace], trace_files=[finding["trace"]],
    )  # fmt: skip
    (line,) = render_check([result_of_run], "github", check_expectations=True).splitlines()
    assert line.startswith(
        f"::notice file={spec},title=kmodel kmodel_test_user_checks%3Aat_most_two_web_pods::3 web"
    )


def test_a_pass_names_the_input_it_did_not_use(tmp_path: Path, capsys: Any) -> None:
    # --validate=warn drops an unknown field with a warning on stderr; the result says so too,
    # so a PASS does not rest silently on a container whose requests were never read.
    body = json.loads(json.dumps(PASSING_SPEC))
    container = body["workloads"][0]["spec"]["template"]["spec"]["containers"][0]
    container["resource"] = container.pop("resources")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    options = ("--validate", "warn", "--database", str(tmp_path / "db"))
    assert cli("check", str(path), "-o", "json", *options) == EXIT_OK
    (result,) = json.loads(capsys.readouterr().out)["specs"]
    assert result["outcome"] == "pass"
    (warning,) = result["warnings"]
    assert 'containers[0].resource: unknown field "resource"' in warning
    assert cli("check", str(path), *options) == EXIT_OK
    assert "not used (warned on loading): " + warning in capsys.readouterr().out
    assert cli("check", str(path), "-o", "github", *options) == EXIT_OK
    assert "title=kmodel input not used::" in capsys.readouterr().out
    # Strict (the default) refuses the field instead.
    assert cli("check", str(path), "--database", str(tmp_path / "db2")) == EXIT_INPUT
