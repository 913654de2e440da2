"""Conformance without an engine: command mapping, scenario files, the model side, comparison."""

from __future__ import annotations

import itertools
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from kmodel.cli.main import main
from kmodel.cluster.model import Program
from kmodel.conformance.compare import (
    Disagreement,
    Observation,
    compare,
    expectation_from_history,
    match_sequence,
    outcome_from_history,
)
from kmodel.conformance.model_side import model_expectation, model_history
from kmodel.conformance.run import ScenarioResult, render
from kmodel.conformance.scenarios import (
    load_scenario,
    load_scenarios,
    program_for,
    scenario_from_text,
    text_with_expectation,
)
from kmodel.errors import InputError
from tests.helpers.paths import ROOT

READY = "/tmp/ready"  # noqa: S108  # a path inside the container, not on this machine
SPECS = ROOT / "specs" / "conformance"


def sh(script: str, **extra: object) -> dict[str, object]:
    return {"name": "c", "image": "busybox", "command": ["sh", "-c", script], **extra}


def probe(path: str, **fields: object) -> dict[str, object]:
    return {"exec": {"command": ["cat", path]}, "periodSeconds": 1, **fields}


# ----------------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("script", "program"),
    [
        ("exit 3", Program(run_for=0, exit_code=3)),
        ("sleep 2; exit 1", Program(run_for=2, exit_code=1)),
        ("sleep 1\nsleep 2", Program(run_for=3, exit_code=0)),
        ("sleep 3600", Program(run_for=None)),
        ("sleep infinity", Program(run_for=None)),
        ("while true; do sleep 1; done", Program(run_for=None)),
        ("echo hi > /data/msg", Program(run_for=0)),
        ("until grep -q hi /data/msg; do sleep 0.2; done; exit 4", Program(run_for=0, exit_code=4)),
        ("mkdir -p /w; httpd -f -p 8080 -h /w", Program(run_for=None)),
        ("exit 1; sleep 5", Program(run_for=0, exit_code=1)),
    ],
)
def test_scripts_map_to_programs(script: str, program: Program) -> None:
    assert program_for(sh(script)) == program


def test_a_plain_argument_list_is_one_statement() -> None:
    assert program_for({"name": "c", "command": ["sleep", "3600"]}) == Program(run_for=None)
    assert program_for({"name": "c", "command": ["sleep"], "args": ["4"]}) == Program(run_for=4)


def test_run_counter_fails_the_first_runs_then_continues() -> None:
    script = "echo run >> /s/runs; [ $(wc -l < /s/runs) -gt 2 ] || exit 1; sleep 3600"
    program = program_for(sh(script))
    assert program.exit_codes == (1, 1)
    assert [program.run_for_of_run(n) for n in range(4)] == [0, 0, None, None]
    assert [program.exit_code_of_run(n) for n in range(3)] == [1, 1, 0]


def test_readiness_follows_the_probed_file() -> None:
    container = sh(f"touch {READY}; sleep 3; rm {READY}; sleep 3600", readinessProbe=probe(READY))
    program = program_for(container)
    assert (program.ready_after, program.unready_after, program.run_for) == (0, 3, None)
    late = program_for(sh(f"sleep 2; touch {READY}; sleep 3600", readinessProbe=probe(READY)))
    assert late.ready_after == 2
    never = program_for(sh("sleep 3600", readinessProbe=probe(READY)))
    assert never.ready_after is None


@pytest.mark.parametrize(
    ("container", "message"),
    [
        (sh("curl http://x"), "cannot read 'curl http://x'"),
        (sh("sleep 0.5; exit 1"), "whole seconds"),
        (sh("sleep soon"), "not a number"),
        (sh("exit x"), "not an exit code"),
        (sh("echo 'open"), "unbalanced"),
        (sh("while true; do sleep 1"), "no matching done"),
        (sh("[ $(wc -l < /s/runs) -gt 1 ]"), "must be followed by"),
        ({"name": "c"}, "needs a command"),
    ],
)
def test_unreadable_commands_are_input_errors(container: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match="command") as caught:
        program_for(container)
    assert message in caught.value.message


# ----------------------------------------------------------------------------- scenario files

POD = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "sleep 1; exit 2"]
"""


def scenario_text(spec: str = "window: 4") -> str:
    return (
        f"{POD}---\napiVersion: kmodel.dev/v1alpha1\nkind: ConformanceScenario\n"
        f"metadata:\n  name: s\nspec:\n  {spec}\n"
    )


def test_scenario_file_is_parsed_with_defaults() -> None:
    scenario = scenario_from_text(scenario_text("window: 4\n  replace: [{pod: p, at: 2}]"))
    assert scenario.name == "s"
    assert scenario.window == 4
    assert scenario.pods[0]["spec"]["restartPolicy"] == "Always"
    assert scenario.replacements[0].pod == "p"
    assert scenario.programs() == {("p", "c"): Program(run_for=1, exit_code=2)}


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (POD, None, "exactly one ConformanceScenario"),
        (scenario_text("window: 0"), "spec.window", "must be at least 1, not 0"),
        (scenario_text("window: 500"), "spec.window", "must be at most 120, not 500"),
        (scenario_text("window: 4\n  windows: 5"), "spec.windows", 'did you mean "window"'),
        (scenario_text("window: 4\n  replace: [{pod: q, at: 2}]"), "spec.replace[0].pod", "one of"),
        (scenario_text("window: 4\n  replace: [{pod: p, at: 9}]"), "spec.replace[0].at", "inside"),
        (
            scenario_text().replace("kmodel.dev/v1alpha1", "v9"),
            "apiVersion",
            'must be kmodel.dev/v1alpha1, not string "v9"',
        ),
        (
            scenario_text().replace("sleep 1; exit 2", "curl x"),
            "pods[0].spec.containers[0].command",
            "cannot read",
        ),
    ],
)
def test_bad_scenarios_name_the_field(text: str, path: str | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        scenario_from_text(text, file="bad.yaml")
    assert caught.value.file == "bad.yaml"
    assert caught.value.path == path
    assert message in caught.value.message


def test_the_bundled_scenarios_cover_the_issue() -> None:
    scenarios = load_scenarios([SPECS])
    assert len(scenarios) >= 15
    policies = {p["spec"]["restartPolicy"] for s in scenarios for p in s.pods}
    assert policies == {"Always", "OnFailure", "Never"}
    assert any(s.replacements for s in scenarios)
    assert any(len(s.pods) > 1 for s in scenarios)
    assert any(
        c.get("restartPolicy") == "Always"
        for s in scenarios
        for p in s.pods
        for c in p["spec"].get("initContainers") or []
    )


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.yaml")), ids=lambda p: p.stem)
def test_committed_expectations_are_what_the_model_computes(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.expect == model_expectation(scenario), "run kmodel conform --update-expect"


def test_expect_block_is_rewritten_and_the_rest_kept() -> None:
    scenario = scenario_from_text(scenario_text(), file="s.yaml")
    first = text_with_expectation(scenario, {"window": 4, "pods": {}, "facts": {}})
    assert first.startswith(scenario_text())
    again = scenario_from_text(first, file="s.yaml")
    second = text_with_expectation(again, model_expectation(again))
    assert second.startswith(scenario_text())
    assert scenario_from_text(second).expect == model_expectation(again)


# ----------------------------------------------------------------------------- the model side


def by_pod(scenario_name: str) -> dict[str, list[Observation]]:
    history = model_history(load_scenario(SPECS / f"{scenario_name}.yaml"))
    pods: dict[str, list[Observation]] = {}
    for observation in history:
        pods.setdefault(observation.pod, []).append(observation)
    return pods


def test_model_crash_loop_restarts_with_growing_back_off() -> None:
    history = by_pod("crash-loop")["crash-loop"]
    starts = [
        (o.time, o.status["containerStatuses"][0]["restartCount"])
        for o in history
        if "running" in (o.status.get("containerStatuses") or [{}])[0].get("state", {})
    ]
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(starts)]
    assert [count for _, count in starts] == list(range(len(starts)))
    # each run lasts 1 s; the back-off after the 2nd, 3rd... exit is 1 s, 2 s, ...
    assert gaps == sorted(gaps)
    assert gaps[-1] > gaps[0]


def test_model_init_container_fails_twice_then_app_starts() -> None:
    history = by_pod("init-fails-twice")["init-fails-twice"]
    final = history[-1].status
    assert final["initContainerStatuses"][0]["restartCount"] == 2
    assert final["phase"] == "Running"
    app_started = min(
        o.time
        for o in history
        if "running" in (o.status.get("containerStatuses") or [{}])[0].get("state", {})
    )
    init_done = min(
        o.time
        for o in history
        for init in o.status.get("initContainerStatuses") or []
        if (init["state"].get("terminated") or {}).get("exitCode") == 0
    )
    assert app_started >= init_done


def test_model_replacement_gets_a_new_uid_and_the_old_pod_fails() -> None:
    pods = by_pod("replacement")
    assert set(pods) == {"web", "web#2"}
    assert pods["web"][-1].status["phase"] == "Failed"
    assert pods["web"][0].uid != pods["web#2"][0].uid


def test_model_is_deterministic() -> None:
    scenario = load_scenario(SPECS / "readiness-flip.yaml")
    assert model_history(scenario) == model_history(scenario)


# ----------------------------------------------------------------------------- comparison


def status(
    phase: str, ready: str = "False", restarts: int = 0, **more: object
) -> dict[str, object]:
    return {
        "phase": phase,
        "podIP": "10.0.0.2",
        "conditions": [
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": ready},
            {"type": "ContainersReady", "status": ready},
            {"type": "PodScheduled", "status": "True"},
        ],
        "containerStatuses": [{"name": "c", "restartCount": restarts}],
        **more,
    }


def history(*entries: tuple[float, dict[str, object]], pod: str = "p") -> list[Observation]:
    return [Observation(i, t, pod, "u1", s) for i, (t, s) in enumerate(entries)]


def test_match_sequence_allows_skipping_transient_entries_only() -> None:
    pattern = ["Pending?", "Running?", "Failed"]
    assert match_sequence(pattern, ["Failed"]) is None
    assert match_sequence(pattern, ["Pending", "Running", "Failed"]) is None
    assert match_sequence(pattern, ["Pending", "Succeeded"]) == 1
    assert match_sequence(pattern, ["Pending"]) == 1
    assert match_sequence(["Pending", "Running"], ["Running"]) == 0
    assert match_sequence(["Running"], ["Running", "Running"]) == 1


def test_expectation_marks_zero_length_runs_transient_and_restart_ranges() -> None:
    model = history(
        (0, {"phase": "Pending"}),
        (0, status("Running", "True")),
        (3, status("Running", "True", restarts=1)),
        (7, status("Running", "True", restarts=2)),
    )
    expect = expectation_from_history(model, window=8)
    pod = expect["pods"]["p"]
    assert pod["phases"] == ["Pending?", "Running"]
    assert pod["ready"] == ["absent?", "True"]
    assert pod["restarts"] == {"c": [1, 2]}
    assert pod["conditions"]["Ready"] == "True"


def test_timing_dependent_ready_is_not_a_sequence_but_a_set() -> None:
    model = history(
        (0, status("Running", "True")),
        (5, status("Running", "False")),
        (7, status("Running", "True")),
    )
    pod = expectation_from_history(model, window=8)["pods"]["p"]
    assert pod["ready"] is None
    assert pod["conditions"]["Ready"] == ["False", "True"]


def test_agreement_gives_no_disagreements() -> None:
    # "exit 1" at once: Running lasts no logical time in the model, the engine may skip it.
    model = history((0, {"phase": "Pending"}), (0, status("Running")), (0, status("Failed")))
    engine = history((0, {"phase": "Pending"}), (0.3, status("Failed")))
    expect = expectation_from_history(model, window=4)
    assert compare("s", expect, outcome_from_history(engine, end=4)) == []


def test_final_phase_disagreement_is_reported_sieve_style() -> None:
    model = history((0, {"phase": "Pending"}), (0, status("Running")))
    engine = history(
        (0, {"phase": "Pending"}),
        (0.2, status("Running")),
        (1.1, status("Running")),
        (1.5, status("Running", restarts=0, reason="x")),
        (3.0, status("Failed")),
        pod="crash-once",
    )
    expect = expectation_from_history(
        [Observation(o.step, o.time, "crash-once", o.uid, o.status) for o in model], window=4
    )
    found = compare("s", expect, outcome_from_history(engine, end=4))
    messages = [d.message for d in found]
    assert (
        "pod/crash-once status.phase is Running in the model but Failed on the engine (step 4)"
        in (messages)
    )
    sequence = next(d for d in found if d.quantity == "status.phase sequence")
    assert sequence.step == 4
    assert sequence.engine == "Pending -> Running -> Failed"


def test_restart_counts_outside_the_range_disagree() -> None:
    expect = {
        "pods": {
            "p": {"phases": None, "ready": None, "phase": "Running", "restarts": {"c": [1, 2]}}
        }
    }
    for count, ok in ((0, False), (1, True), (2, True), (3, False)):
        engine = outcome_from_history(history((0, status("Running", restarts=count))), end=4)
        found = compare("s", expect, engine)
        assert (found == []) is ok
        if not ok:
            assert found[0].message == (
                f"pod/p restartCount of c is 1..2 in the model but {count} on the engine (step 0)"
            )


def test_init_order_and_missing_pods_disagree() -> None:
    init = [
        {"name": "second", "state": {"running": {}}, "restartCount": 0},
        {"name": "first", "state": {"terminated": {"exitCode": 0}}, "restartCount": 0},
    ]
    engine = outcome_from_history(
        history(
            (0, status("Pending", initContainerStatuses=init[:1])),
            (1, status("Pending", initContainerStatuses=init)),
        ),
        end=2,
    )
    assert engine["p"].init_order == ["second", "first"]
    expect = {"pods": {"p": {"phase": "Pending", "initOrder": ["first", "second"]}, "q": {}}}
    quantities = {(d.pod, d.quantity) for d in compare("s", expect, engine)}
    assert quantities == {("p", "init order"), ("q", "existence")}


def test_shared_pod_ips_disagree_with_the_model() -> None:
    left = history((0, status("Running")), pod="left")
    right = history((0, status("Running")), pod="right")  # same podIP 10.0.0.2
    expect = {"pods": {}, "facts": {"distinctPodIPs": True}}
    found = [
        d
        for d in compare("two", expect, outcome_from_history([*left, *right], end=1))
        if d.quantity == "pod IPs"
    ]
    assert found[0].message == (
        "scenario/two pod IPs is distinct in the model but shared: 10.0.0.2, 10.0.0.2 "
        "on the engine (step 0)"
    )


def test_expectation_must_have_pods() -> None:
    with pytest.raises(InputError, match="no pods"):
        compare("s", {}, {})


# ----------------------------------------------------------------------------- rendering and CLI


def result(agrees: bool) -> ScenarioResult:
    problems = [] if agrees else [Disagreement("b", "p", "status.phase", "Running", "Failed", 3)]
    return ScenarioResult(scenario="a" if agrees else "b", file="f.yaml", disagreements=problems)


def test_json_and_junit_outputs() -> None:
    results = [result(agrees=True), result(agrees=False)]
    document = json.loads(render(results, "json"))
    assert list(document) == ["command", "summary", "scenarios"]
    assert document["summary"] == {"scenarios": 2, "agree": 1, "disagree": 1}
    assert document["scenarios"][1]["disagreements"][0]["message"] == (
        "pod/p status.phase is Running in the model but Failed on the engine (step 3)"
    )
    suite = ET.fromstring(render(results, "junit"))  # noqa: S314  # our own output
    assert suite.get("failures") == "1"
    assert [c.find("failure") is None for c in suite] == [True, False]
    assert "1 of 2 scenarios agree" in render(results, "text")


def test_cli_update_expect_writes_the_model_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "crash-loop.yaml"
    text = (SPECS / "crash-loop.yaml").read_text()
    target.write_text(text[: text.index("# expect:")])
    with pytest.raises(SystemExit) as done:
        main(["conform", "--update-expect", str(target)])
    assert done.value.code == 0
    written = yaml.safe_load_all(target.read_text())
    expect = next(d for d in written if d and d.get("kind") == "ConformanceScenario")["expect"]
    assert expect == model_expectation(load_scenario(SPECS / "crash-loop.yaml"))
    assert "updated" in capsys.readouterr().err


def test_cli_bad_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    shutil.copy(SPECS / "exit-one.yaml", bad)
    bad.write_text(bad.read_text().replace("window: 4", "window: -1"))
    with pytest.raises(SystemExit) as done:
        main(["conform", str(bad)])
    assert done.value.code == 2
    assert "spec.window" in capsys.readouterr().err


# ----------------------------------------------------------------------------- probes

HEALTHY = "/tmp/healthy"  # noqa: S108  # a path inside the container, not on this machine
STARTED = "/tmp/started"  # noqa: S108


@pytest.mark.parametrize(
    ("script", "probes", "program"),
    [
        (
            "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600",
            {"livenessProbe": probe(HEALTHY)},
            Program(run_for=630, liveness_fails_after=30, stops_after=None),
        ),
        (
            "sleep 3; touch /tmp/started; sleep 3600",
            {"startupProbe": probe(STARTED), "livenessProbe": probe(STARTED)},
            Program(starts_after=3, stops_after=None),
        ),
        (
            "sleep 3600",
            {"startupProbe": probe(STARTED)},
            Program(starts_after=None, stops_after=None),
        ),
        (
            "sleep 3600",
            {"livenessProbe": probe(HEALTHY)},
            Program(liveness_fails_after=0, stops_after=None),
        ),
        (
            "sleep 3600",
            {"livenessProbe": {"exec": {"command": ["true"]}}},
            Program(stops_after=None),
        ),
    ],
)
def test_liveness_and_startup_probe_files_map_to_programs(
    script: str, probes: dict[str, object], program: Program
) -> None:
    assert program_for(sh(script, **probes)) == program


@pytest.mark.parametrize(
    ("script", "probes", "message"),
    [
        (
            "sleep 2; touch /tmp/healthy; sleep 3600",
            {"livenessProbe": probe(HEALTHY)},
            "liveness probe passes from the container's start",
        ),
        (
            "touch /tmp/started; sleep 2; rm /tmp/started; sleep 3600",
            {"startupProbe": probe(STARTED)},
            "passes for good once it passes",
        ),
        (
            "sleep 3600",
            {"livenessProbe": {"exec": {"command": ["wget", "-q", "localhost"]}}},
            "exec probes that check a file",
        ),
    ],
)
def test_probe_behaviour_the_model_cannot_read_is_refused(
    script: str, probes: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        program_for(sh(script, **probes))
