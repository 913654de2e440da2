"""Counterexample traces: the JSON schema, loading, replay and the emitted pytest test."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis.internal.conjecture import providers

from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import NodeCrash
from kmodel.cluster.model import Change
from kmodel.errors import InputError
from kmodel.explore.run import Run
from kmodel.explore.search import Finding, StaleActionError, explore
from kmodel.explore.spec import load_spec
from kmodel.explore.trace import (
    TRACE_VERSION,
    Trace,
    emit_pytest,
    load_trace,
    make_trace,
    merge_changes,
    replay,
    trace_steps,
)
from kmodel.invariants import Violation
from tests.helpers.cluster import job
from tests.helpers.paths import ROOT

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "100%", "maxSurge": 0},
        },
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "example/web:1",
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    }
                ]
            },
        },
    },
}

#: maxUnavailable 100% lets a rollout take both replicas away at once.
UNSAFE: dict[str, Any] = {
    "name": "unsafe-rollout",
    "cluster": {"nodes": [{"pool": "n", "count": 2, "zones": ["a", "b"], "cpu": "2"}]},
    "workloads": [DEPLOYMENT],
    "actions": [{"rollout": {"deployment": "web", "images": ["example/web:2"]}}],
    "invariants": [{"min_available": {"deployment": "web", "count": 1}}],
    "explore": {"examples": 30, "maxSteps": 8, "seed": 0, "ticks": [5]},
}

DOCUMENTED_KEYS = {
    "kmodel_trace",
    "spec",
    "spec_digest",
    "seed",
    "invariant",
    "violation",
    "at_fixpoint",
    "steps",
    "settle",
    "availability",
}
STEP_KEYS = {"index", "time", "action", "description", "changes", "errors"}


def safe_variant() -> dict[str, Any]:
    """:data:`UNSAFE` with a surge-only rollout: no replica may go before its successor is up."""
    body: dict[str, Any] = json.loads(json.dumps(UNSAFE))
    body["workloads"][0]["spec"]["strategy"]["rollingUpdate"] = {"maxUnavailable": 0, "maxSurge": 1}
    return body


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Trace]:
    """The spec file and the trace of its (one) finding."""
    folder = tmp_path_factory.mktemp("trace")
    path = folder / "unsafe.yaml"
    path.write_text(yaml.safe_dump(UNSAFE), encoding="utf-8")
    spec = load_spec(path)
    (finding,) = explore(spec.scenario, options=spec.options)
    return path, make_trace(spec, finding)


@pytest.fixture(scope="module")
def chosen(found: tuple[Path, Trace]) -> Trace:
    """The finding with the controllers' steps chosen rather than left to the settling.

    The shrunk finding is the rollout alone (the violation shows while the components settle);
    this one takes the rollout, then each time the first step offered, until the violation.
    """
    path, trace = found
    spec = load_spec(path)
    run = Run(spec.scenario)
    actions = [trace.actions[0]]
    run.do(actions[0])
    while not run.violations and len(actions) < 20:
        actions.append(run.choices()[0])
        run.do(actions[-1])
    violation = run.violations[0]
    chosen = make_trace(
        spec, Finding(violation.invariant, violation, tuple(actions), at_fixpoint=False)
    )
    assert not chosen.at_fixpoint
    assert any(a.category == "component" for a in chosen.actions)
    return chosen


def test_trace_json_has_the_documented_schema(found: tuple[Path, Trace]) -> None:
    path, trace = found
    data = json.loads(trace.dumps())
    assert set(data) >= DOCUMENTED_KEYS
    assert data["kmodel_trace"] == TRACE_VERSION
    assert data["spec"] == str(path)
    assert data["invariant"] == "min_available"
    assert set(data["violation"]) == {"invariant", "message", "values"}
    assert data["violation"]["values"]["minimum"] == 1
    assert data["violation"]["values"]["available"] < 1
    assert set(data["settle"]) == {"steps", "changes"}
    assert [s["index"] for s in data["steps"]] == list(range(1, len(data["steps"]) + 1))
    for step in data["steps"]:
        assert set(step) == STEP_KEYS
        assert "action" in step["action"]
    # A rollout is the cause: the shrunk story starts with it.
    assert data["steps"][0]["action"]["action"] == "set-image"
    assert data["steps"][0]["action"]["image"] == "example/web:2"
    # Availability: one point for the start and one after each chosen step.
    assert [p[0] for p in data["availability"]] == list(range(len(data["steps"]) + 1))


def test_dumps_is_canonical(found: tuple[Path, Trace]) -> None:
    text = found[1].dumps()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_same_spec_and_seed_give_the_same_trace(found: tuple[Path, Trace]) -> None:
    path, trace = found
    spec = load_spec(path)
    (again,) = explore(spec.scenario, options=spec.options)
    assert make_trace(spec, again).dumps() == trace.dumps()


def test_load_trace_reads_back_what_was_written(found: tuple[Path, Trace], tmp_path: Path) -> None:
    _, trace = found
    target = tmp_path / "t.json"
    target.write_text(trace.dumps(), encoding="utf-8")
    loaded = load_trace(target)
    assert loaded.actions == trace.actions
    assert loaded.violation == trace.violation
    assert (loaded.spec, loaded.seed, loaded.invariant) == (trace.spec, trace.seed, trace.invariant)
    assert [s.description for s in loaded.steps] == [s.description for s in trace.steps]
    assert [s.changes for s in loaded.steps] == [s.changes for s in trace.steps]
    assert loaded.at_fixpoint == trace.at_fixpoint


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        pytest.param("{not json", None, "line 1, column 2: invalid JSON", id="not-json"),
        pytest.param("[1, 2]", None, "not a kmodel trace", id="not-a-mapping"),
        pytest.param('{"steps": []}', None, "not a kmodel trace", id="no-version"),
        pytest.param('{"kmodel_trace": 99}', "kmodel_trace", "schema version 99", id="version"),
        pytest.param('{"kmodel_trace": 1, "spec": "x"}', None, "3 problems", id="malformed"),
        pytest.param(
            '{"kmodel_trace": 1, "spec": "x", "invariant": "i", "steps": [{"index": 1, '
            '"time": 0, "action": {"action": "tick"}, "description": "d", "chnages": []}], '
            '"violation": {"invariant": "i", "message": "m"}}',
            "steps[0].chnages",
            'unknown field (did you mean "changes"?',
            id="unknown-key",
        ),
        pytest.param(
            '{"kmodel_trace": 1, "spec": "x", "invariant": "i", "steps": [{"index": 1, '
            '"time": 0, "action": {"action": "levitate"}, "description": "d"}], '
            '"violation": {"invariant": "i", "message": "m"}}',
            "steps[0].action",
            "not an action kmodel knows",
            id="unknown-action",
        ),
    ],
)
def test_bad_trace_files_are_input_errors(
    tmp_path: Path, text: str, path: str | None, message: str
) -> None:
    target = tmp_path / "bad.json"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_trace(target)
    assert caught.value.file == str(target)
    assert caught.value.path == path
    assert message in caught.value.message


def test_missing_trace_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_trace(tmp_path / "none.json")
    assert caught.value.file == str(tmp_path / "none.json")


def test_replay_reproduces_the_violation(found: tuple[Path, Trace]) -> None:
    _, trace = found
    result = replay(trace)
    assert result.violation == trace.violation
    assert result.at_fixpoint == trace.at_fixpoint
    assert result.stale is None
    assert result.spec_digest == trace.spec_digest
    assert [s.action for s in result.run.steps] == trace.actions


def test_replay_against_a_safe_spec_stops_at_the_first_step_that_no_longer_applies(
    chosen: Trace, tmp_path: Path
) -> None:
    # The surge-only rollout creates a pod first instead of scaling the old ReplicaSet down:
    # the recorded controller step is not possible, so nothing after it is applied.
    trace = chosen
    safe = tmp_path / "safe.yaml"
    safe.write_text(yaml.safe_dump(safe_variant()), encoding="utf-8")
    result = replay(trace, spec_path=safe)
    assert result.violation is None
    assert result.stale is not None
    index = result.stale.index
    assert 1 < index <= len(trace.steps)
    assert result.stale.action == trace.steps[index - 1].action
    assert [s.action for s in result.run.steps] == trace.actions[: index - 1]
    assert result.spec_digest != trace.spec_digest
    assert f"step {index} no longer applies: " in result.stale.message


def test_a_user_action_the_spec_does_not_allow_is_stale(
    found: tuple[Path, Trace], tmp_path: Path
) -> None:
    _, trace = found
    other = json.loads(json.dumps(UNSAFE))
    other["workloads"][0]["metadata"]["name"] = "api"
    other["actions"] = [{"rollout": {"deployment": "api", "images": ["example/web:2"]}}]
    other["invariants"] = ["no_overcommit"]
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(other), encoding="utf-8")
    result = replay(trace, spec_path=path)
    assert result.stale is not None
    assert result.stale.index == 1
    assert result.run.steps == []
    assert result.stale.message == (
        "step 1 no longer applies: user rolls out image example/web:2 to default/web is not "
        "possible at that point (the spec allows no such user action)"
    )


def test_digest_covers_the_manifests_a_spec_names(tmp_path: Path) -> None:
    # Editing a workload file the spec names changes the digest, the spec's text unchanged.
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(DEPLOYMENT), encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**UNSAFE, "workloads": ["web.yaml"]}), encoding="utf-8")
    before = load_spec(spec).digest
    changed = json.loads(json.dumps(DEPLOYMENT))
    changed["spec"]["replicas"] = 3
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(changed), encoding="utf-8")
    assert load_spec(spec).digest != before


def _run_emitted(source: str, file: Path | None = None) -> None:
    namespace: dict[str, Any] = {"__file__": str(file)} if file else {}
    exec(compile(source, "test_emitted.py", "exec"), namespace)  # noqa: S102  # our own output
    (test,) = [v for k, v in namespace.items() if k.startswith("test_")]
    test()


def test_emitted_test_is_plain_and_reproduces(found: tuple[Path, Trace]) -> None:
    _, trace = found
    source = emit_pytest(trace)
    assert "hypothesis" not in source
    assert f"Violation: {trace.violation.message}" in source
    for step in trace.steps:
        assert f"#   {step.index}. {step.description}" in source
    _run_emitted(source)


def test_emitted_test_fails_once_a_step_no_longer_applies(chosen: Trace, tmp_path: Path) -> None:
    trace = chosen
    safe = tmp_path / "safe.yaml"
    safe.write_text(yaml.safe_dump(safe_variant()), encoding="utf-8")
    with pytest.raises(StaleActionError, match="no longer applies"):
        _run_emitted(emit_pytest(trace, spec_path=str(safe)))


def test_emitted_test_asserts_the_recorded_values(found: tuple[Path, Trace]) -> None:
    # The same steps and invariant, but another recorded value: the emitted test must fail.
    _, trace = found
    values = {**trace.violation.values, "available": 99}
    source = emit_pytest(replace(trace, violation=replace(trace.violation, values=values)))
    assert "'available': 99" in source
    with pytest.raises(AssertionError):
        _run_emitted(source)
    _run_emitted(emit_pytest(trace))


def test_emitted_test_fails_once_the_violation_is_gone(
    found: tuple[Path, Trace], tmp_path: Path
) -> None:
    # The same steps against the spec with a weaker invariant (no pod need stay available):
    # every step applies and nothing is violated.
    _, trace = found
    weaker = json.loads(json.dumps(UNSAFE))
    weaker["invariants"] = [{"min_available": {"deployment": "web", "count": 0}}]
    path = tmp_path / "weaker.yaml"
    path.write_text(yaml.safe_dump(weaker), encoding="utf-8")
    with pytest.raises(AssertionError, match="no longer violate"):
        _run_emitted(emit_pytest(trace, spec_path=str(path)))


def test_emitted_test_finds_its_spec_relative_to_itself(
    found: tuple[Path, Trace], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, trace = found
    test_file = tmp_path / "regressions" / "test_unsafe.py"
    test_file.parent.mkdir()
    source = emit_pytest(trace, test_file=test_file)
    spec_line = next(line for line in source.splitlines() if line.startswith("SPEC = "))
    assert str(path) not in spec_line  # relative, so the test can move with the project
    assert spec_line.startswith("SPEC = Path(__file__).parent / '../")
    monkeypatch.chdir(tmp_path)  # any working directory
    _run_emitted(source, test_file)


def test_emitted_test_without_a_location_names_the_absolute_spec(
    found: tuple[Path, Trace],
) -> None:
    _, trace = found
    relative = os.path.relpath(trace.spec)
    source = emit_pytest(replace(trace, spec=str(relative)))
    assert f"SPEC = {str(Path(trace.spec).resolve())!r}" in source


# ----------------------------------------------------------------- what a trace step shows


def change(type_: str, name: str, summary: str, kind: str = "Pod") -> Change:
    return Change(type_, kind, "default", name, summary)


def test_repeated_changes_of_one_object_merge_into_one_entry() -> None:
    changes = [
        change("ADDED", "rs", "spec.replicas=0", kind="ReplicaSet"),
        change("MODIFIED", "web", "updated=3", kind="Deployment"),
        change("MODIFIED", "rs", "spec.replicas=3", kind="ReplicaSet"),
        change("MODIFIED", "web", "updated=0", kind="Deployment"),
        change("MODIFIED", "a", "phase=Running"),
        change("DELETED", "a", "phase=Running terminating"),
        change("ADDED", "b", "phase=Pending"),
        change("DELETED", "b", "phase=Pending"),
        change("MODIFIED", "c", "phase=Running"),
    ]
    assert merge_changes(changes) == (
        change("ADDED", "rs", "spec.replicas=3", kind="ReplicaSet"),
        change("MODIFIED", "web", "updated=0", kind="Deployment"),
        change("DELETED", "a", "phase=Running terminating"),
        change("DELETED", "b", "created and deleted phase=Pending"),
        change("MODIFIED", "c", "phase=Running"),
    )


def test_trace_steps_show_each_object_once(tmp_path: Path) -> None:
    # A Job sync that counts finished pods writes the Job twice: the UIDs listed as uncounted,
    # then the counts (trackJobStatusAndRemoveFinalizers).
    path = tmp_path / "job.yaml"
    body = {
        "name": "job",
        "cluster": {"nodes": [{"pool": "n", "count": 1, "cpu": "2"}]},
        "workloads": [job("train", "registry.example.com/train:1", completions=2, parallelism=2)],
        "programs": {"registry.example.com/train:1": {"runFor": 1830}},
        "invariants": ["job_complete_consistent"],
        "explore": {"examples": 1, "maxSteps": 40, "seed": 0, "ticks": [10]},
    }
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    spec = load_spec(path)
    run = Run(spec.scenario)
    while not any(s.action.name == "job-sync" and len(s.changes) > 2 for s in run.steps):
        assert len(run.steps) < 40
        run.do(run.choices()[0])
    assert any(
        len({(c.kind, c.namespace, c.name) for c in s.changes}) < len(s.changes) for s in run.steps
    )
    violation = Violation("job_complete_consistent", "none: the steps are what the test reads")
    actions = tuple(s.action for s in run.steps)
    trace = make_trace(spec, Finding(violation.invariant, violation, actions, at_fixpoint=False))
    for step in trace.steps:
        objects = [(c.kind, c.namespace, c.name) for c in step.changes]
        assert len(objects) == len(set(objects)), step.description
    (tmp_path / "t.json").write_text(trace.dumps(), encoding="utf-8")
    assert [s.changes for s in load_trace(tmp_path / "t.json").steps] == [
        s.changes for s in trace.steps
    ]


def test_a_lost_node_shows_each_taint_with_its_effect() -> None:
    spec = load_spec(ROOT / "specs/no-anti-affinity-node-crash.yaml")
    run = Run(spec.scenario)
    run.do(NodeCrash("big-1"))
    run.do(Tick(60))
    check = next(a for a in run.choices() if "node lifecycle" in a.describe())
    run.do(check)
    (node,) = [c for c in trace_steps(run.steps)[-1].changes if c.kind == "Node"]
    assert (
        "taints=node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute"
        in (node.summary)
    )


def test_a_search_draws_no_literal_of_the_imported_modules(tmp_path: Path) -> None:
    # Hypothesis draws literals of the local modules imported so far unless the search stops
    # it (kmodel.explore.determinism, whose own test shows the effect): a user's modules must
    # not change what a spec and seed run.
    path = tmp_path / "safe.yaml"
    body = safe_variant()
    body["explore"] = {**body["explore"], "examples": 3}
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    spec = load_spec(path)
    pools: list[Any] = []

    def look(examples: int, steps: int) -> None:
        del examples, steps
        pool = providers.HypothesisProvider._local_constants
        pools.append(pool)

    explore(spec.scenario, options=spec.options, progress=look)
    assert len(pools) == 3
    assert all(not (p.integers or p.floats or p.strings or p.bytes) for p in pools)
