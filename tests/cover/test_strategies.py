"""Deployment strategies: each policy's defining guarantee, traces that replay, the CLI."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from kmodel.cli.main import main
from kmodel.errors import InputError
from kmodel.explore.search import ExploreOptions, StaleActionError
from kmodel.explore.trace import load_trace
from kmodel.report.strategies import StrategiesReport, render_strategies
from kmodel.strategies.beanstalk import environment_pods, pod_image
from kmodel.strategies.compare import explore_case, figure_values
from kmodel.strategies.policies import POLICY_NOTES, Strategy, batch_size
from kmodel.strategies.run import run_strategy
from kmodel.strategies.spec import load_strategies_spec
from kmodel.strategies.trace import (
    is_strategy_trace,
    load_strategy_trace,
    make_strategy_trace,
    replay_strategy_trace,
)
from tests.helpers.paths import ROOT
from tests.helpers.specs import NEW, OLD
from tests.helpers.specs import STRATEGIES_SPEC as SPEC


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "tiny.yaml"
    path.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spec(spec_file: Path):
    return load_strategies_spec(spec_file)


def nominal(spec, strategy: str, failure: str = "none"):
    scenario = spec.scenario(strategy, failure)
    return scenario, run_strategy(scenario, [scenario.start])


# --------------------------------------------------------------------- batch arithmetic


@pytest.mark.parametrize(
    ("instances", "kind", "size", "expected"),
    [
        (3, "Fixed", 1, 1),
        (3, "Fixed", 5, 3),
        (3, "Percentage", 34, 2),
        (3, "Percentage", 30, 1),
        (10, "Percentage", 25, 3),
        (4, "Percentage", 100, 4),
    ],
)
def test_batch_size(instances, kind, size, expected):
    assert batch_size(instances, kind, size) == expected


def test_batch_size_rejects_bad_input():
    with pytest.raises(InputError):
        batch_size(3, "Fraction", 1)
    with pytest.raises(InputError):
        Strategy("x", "beanstalk", "Canary")


# --------------------------------------------------------------------- defining guarantees


def test_all_at_once_has_a_window_with_zero_capacity(spec):
    _, run = nominal(spec, "all")
    figures = run.meter.figures
    assert figures.outcome == "Succeeded"
    assert figures.min_capacity == 0
    assert figures.share("") > 0  # requests fail while nothing serves


def test_rolling_keeps_capacity_above_n_minus_batch_in_every_explored_run(spec):
    case = explore_case(spec, "rolling", "none", options=ExploreOptions(examples=4, max_steps=8))
    assert case.worst["min_capacity"] == 3 - 1
    assert case.outcomes == {"Succeeded": case.runs}
    assert case.worst["peak_extra"] == 0


def test_rolling_with_additional_batch_keeps_full_capacity_with_one_extra_batch(spec):
    _, run = nominal(spec, "additional")
    figures = run.meter.figures
    assert figures.min_capacity == 3
    assert figures.peak_extra == 1
    pods = environment_pods(run.cluster, "default", "web")
    live = [p for p in pods if p["metadata"].get("deletionTimestamp") is None]
    assert sorted(pod_image(p) for p in live) == [NEW] * 3


def test_immutable_keeps_old_group_until_new_group_healthy(spec):
    _, run = nominal(spec, "immutable")
    figures = run.meter.figures
    assert figures.min_capacity == 3
    assert figures.peak_extra == 3
    # Documented: the first new instance serves alongside the old ones once healthy.
    assert figures.new_before_group_healthy


def test_immutable_failure_terminates_the_new_group_and_never_serves_it(spec):
    _, run = nominal(spec, "immutable", "never-ready")
    figures = run.meter.figures
    assert figures.outcome == "Failed"
    assert figures.min_good_capacity == 3
    assert figures.traffic.get(spec.image_for("never-ready"), 0) == 0
    pods = environment_pods(run.cluster, "default", "web")
    assert {pod_image(p) for p in pods} == {OLD}


def test_traffic_splitting_bad_share_is_bounded_by_the_canary_percent(spec):
    scenario, run = nominal(spec, "split", "crash")
    figures = run.meter.figures
    assert figures.outcome == "Failed"
    assert 0 < figures.share(scenario.new_image) <= 0.10
    assert not figures.new_before_group_healthy
    assert figures.min_good_capacity == 3


def test_blue_green_never_serves_new_version_before_the_green_group_is_healthy(spec):
    case = explore_case(spec, "bluegreen", "none", options=ExploreOptions(examples=3, max_steps=6))
    assert case.worst["new_before_healthy"] == 0
    assert case.worst["min_capacity"] == 3


def test_kubernetes_surge_only_keeps_capacity_and_recreate_drops_to_zero(spec):
    _, surge = nominal(spec, "surge")
    assert surge.meter.figures.min_capacity == 3
    assert surge.meter.figures.peak_extra == 1
    _, recreate = nominal(spec, "recreate")
    assert recreate.meter.figures.min_capacity == 0
    assert recreate.meter.figures.outcome == "Succeeded"


def test_kubernetes_never_ready_release_is_rolled_back_by_the_operator(spec):
    _, run = nominal(spec, "surge", "never-ready")
    assert run.meter.figures.outcome == "Failed"
    d = run.cluster.store.get(("Deployment", "default", "web"))
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == OLD


# --------------------------------------------------------------------- traces


def test_worst_case_trace_replays_and_loads_as_a_v1_trace(spec, tmp_path):
    case = explore_case(spec, "rolling", "crash", options=ExploreOptions(examples=2, max_steps=5))
    witness = case.witnesses["bad_share"]
    trace = make_strategy_trace(spec, "rolling", "crash", witness)
    file = tmp_path / "t.json"
    file.write_text(trace.dumps(), encoding="utf-8")
    assert is_strategy_trace(file)
    assert load_trace(file).invariant == "bad_share"  # readable as kmodel_trace 1
    loaded = load_strategy_trace(file)
    run, violation, _ = replay_strategy_trace(loaded)
    assert violation is not None
    assert violation.message == trace.trace.violation.message
    assert figure_values(run)["bad_share"] == case.worst["bad_share"]


def test_replay_reports_a_figure_no_longer_reached(spec, tmp_path):
    case = explore_case(spec, "all", "none", options=ExploreOptions(examples=1, max_steps=2))
    trace = make_strategy_trace(spec, "all", "none", case.witnesses["min_capacity"])
    data = trace.as_json()
    data["strategy"]["value"] = "2"
    file = tmp_path / "t.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    _, violation, _ = replay_strategy_trace(load_strategy_trace(file))
    assert violation is None


def test_replay_of_a_strategy_trace_whose_step_no_longer_applies_is_stale(spec, tmp_path, capsys):
    case = explore_case(spec, "all", "none", options=ExploreOptions(examples=1, max_steps=2))
    trace = make_strategy_trace(spec, "all", "none", case.witnesses["min_capacity"])
    data = trace.as_json()
    scale = {"action": "scale", "namespace": "default", "deployment": "nope", "replicas": 9}
    data["steps"].append({**data["steps"][-1], "index": len(data["steps"]) + 1, "action": scale})
    file = tmp_path / "t.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(StaleActionError):
        replay_strategy_trace(load_strategy_trace(file))
    code, out, err = run_cli(["replay", str(file)], capsys)
    assert code == 2
    assert f"step {len(data['steps'])} no longer applies: user scales default/nope to 9" in err
    assert "fixed" not in out


def test_the_cluster_reads_node_files_as_a_check_spec_does(tmp_path):
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "gke-pool-1", "labels": {"kubernetes.io/hostname": "gke-pool-1"}},
        "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
    }
    (tmp_path / "nodes.yaml").write_text(yaml.safe_dump(node), encoding="utf-8")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(dict(SPEC, cluster={"manifests": ["nodes.yaml"]})))
    loaded = load_strategies_spec(path)
    nodes = [o["metadata"]["name"] for o in loaded.objects if o["kind"] == "Node"]
    assert nodes == ["gke-pool-1"]


def test_a_program_for_an_image_nothing_runs_is_refused(tmp_path):
    # The release image runs (SPEC programs it); another tag would be silently unused.
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(dict(SPEC, programs={f"{NEW}-typo": {"readyAfter": 5}})))
    with pytest.raises(InputError) as error:
        load_strategies_spec(path)
    assert error.value.path == f"programs.{NEW}-typo"
    assert "no container runs this image" in error.value.message


# --------------------------------------------------------------------- spec errors


def test_spec_errors_name_the_field(tmp_path):
    bad = dict(SPEC, strategies=[{"name": "x", "beanstalk": "Canary"}])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_strategies_spec(path)
    assert error.value.file == str(path)
    assert error.value.path.startswith("strategies[0]")


@pytest.mark.parametrize(
    ("strategy", "path", "message"),
    [
        (
            {"name": "x", "kubernetes": "Recreate", "maxSurg": 1},
            "strategies[0].maxSurg",
            '"maxSurge"',
        ),
        (
            {"name": "x", "beanstalk": "Rolling", "batchSize": 0},
            "strategies[0].batchSize",
            "at least 1",
        ),
        ({"name": "x"}, "strategies[0]", "exactly one of `kubernetes: <strategy>` or `beanstalk:`"),
    ],
)
def test_strategy_entries_are_validated_by_the_format(tmp_path, strategy, path, message):
    bad = dict(SPEC, strategies=[strategy])
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_strategies_spec(file)
    assert (error.value.file, error.value.path) == (str(file), path)
    assert message in error.value.message


# --------------------------------------------------------------------- command line


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as done:
        main(args)
    out, err = capsys.readouterr()
    return done.value.code, out, err


def test_cli_bad_spec_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    code, _, err = run_cli(["strategies", str(path)], capsys)
    assert code == 2
    assert "cluster" in err


def test_bundled_spec_loads():
    spec = load_strategies_spec(ROOT / "specs" / "strategies" / "web-release.yaml")
    assert {s.policy for s in spec.strategies} >= {
        "AllAtOnce",
        "Rolling",
        "RollingWithAdditionalBatch",
        "Immutable",
        "TrafficSplitting",
        "BlueGreen",
        "RollingUpdate",
        "Recreate",
    }


# --------------------------------------------------------------------- figures agree


def with_changes(tmp_path: Path, **changes: object):
    body = json.loads(json.dumps(SPEC))
    body.update(changes)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_strategies_spec(path)


def test_a_service_of_any_name_that_selects_the_pods_is_measured(tmp_path):
    workloads = json.loads(json.dumps(SPEC["workloads"]))
    workloads[0]["metadata"]["name"] = "frontend"
    spec = with_changes(tmp_path, workloads=workloads)
    assert spec.service == "frontend"
    _, run = nominal(spec, "surge")
    assert run.meter.figures.min_capacity == 3
    assert run.meter.figures.share("") == 0


def test_a_service_in_another_namespace_does_not_count(tmp_path):
    workloads = json.loads(json.dumps(SPEC["workloads"]))
    workloads[0]["metadata"]["namespace"] = "other"
    with pytest.raises(InputError, match="needs a Service that selects the Deployment's pods"):
        with_changes(tmp_path, workloads=workloads)


def test_a_bad_version_ready_without_a_probe_is_serving_and_stays(tmp_path):
    workloads = json.loads(json.dumps(SPEC["workloads"]))
    del workloads[1]["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    spec = with_changes(tmp_path, workloads=workloads)
    for strategy in ("surge", "recreate", "all"):
        _, run = nominal(spec, strategy, "never-ready")
        values = figure_values(run)
        # Ready (no probe to fail), so deployed for good: it serves the traffic from then on.
        assert values["outcome"] == "Succeeded"
        assert values["bad_share"] > Fraction(9, 10), strategy


def test_a_crashing_version_left_deployed_shows_its_share(spec):
    _, run = nominal(spec, "recreate", "crash")
    values = figure_values(run)
    assert values["outcome"] == "Succeeded"
    assert 0 < values["bad_share"] < 1
    assert values["failed_share"] > 0  # between its crashes nothing answers


def test_traffic_is_measured_over_the_window(tmp_path):
    spec = with_changes(tmp_path, window=200)
    _, run = nominal(spec, "surge")
    samples = run.meter.figures.samples
    assert samples[0].time == run.meter.started[1]
    assert samples[-1].time >= run.meter.started[1] + 200
    assert sum(run.meter.figures.traffic.values()) == 200


def test_the_window_must_be_positive(tmp_path):
    with pytest.raises(InputError) as error:
        with_changes(tmp_path, window=0)
    assert error.value.path == "window"


def test_recreate_never_runs_an_extra_pod_as_its_notes_say(spec):
    assert "no extra pod ever runs" in POLICY_NOTES["Recreate"]
    for failure in ("none", "crash", "never-ready"):
        case = explore_case(
            spec, "recreate", failure, options=ExploreOptions(examples=4, max_steps=8)
        )
        assert case.worst["peak_extra"] == 0, failure


def test_the_text_table_fits_the_width_and_markdown_has_every_column(spec, tmp_path):
    results = [
        explore_case(spec, name, failure, options=ExploreOptions(examples=1, max_steps=2))
        for name in ("surge", "recreate")
        for failure in spec.failure_modes
    ]
    report = StrategiesReport(spec, results, examples=1, max_steps=2)
    for width in (60, 80, 120):
        text = render_strategies(report, "text", width=width)
        assert max(len(line) for line in text.splitlines()) <= width
        assert "crash release" in text
        assert "recreate" in text
    header = render_strategies(report, "markdown").split("| strategy |", 1)[1].splitlines()[0]
    assert "new version serves before all healthy" in header
    assert "never-ready: min good capacity" in header
    assert "crash: restore" in header
