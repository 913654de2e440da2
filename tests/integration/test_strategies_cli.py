"""``kmodel strategies`` end to end: JSON, Markdown and a report with traces that replay."""

from __future__ import annotations

import copy
import json

import yaml

from kmodel.strategies.trace import load_strategy_trace, replay_strategy_trace
from tests.helpers.cli import cli
from tests.helpers.specs import STRATEGIES_SPEC as SPEC


def test_cli_json_markdown_and_report(tmp_path, capsys):
    small = dict(
        SPEC, strategies=SPEC["strategies"][:3:2], failures={"never-ready": {"readyAfter": None}}
    )
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small), encoding="utf-8")
    traces = tmp_path / "traces"
    code = cli(
        "strategies",
        str(path),
        "--output",
        "json",
        "--examples",
        "1",
        "--max-steps",
        "3",
        "--traces",
        str(traces),
        "--report",
        str(tmp_path / "report"),
    )
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert [s["name"] for s in data["strategies"]] == ["surge", "all"]
    all_at_once = data["strategies"][1]["cases"][0]
    assert all_at_once["failure"] == "none"
    assert all_at_once["worst"]["min_capacity"]["value"] == "0"
    trace_file = all_at_once["worst"]["min_capacity"]["trace"]
    _, violation, _ = replay_strategy_trace(load_strategy_trace(trace_file))
    assert violation is not None
    assert (tmp_path / "report" / "strategies.png").stat().st_size > 0
    assert "| strategy |" in (tmp_path / "report" / "strategies.md").read_text(encoding="utf-8")
    code = cli(
        "strategies",
        str(path),
        "--output",
        "markdown",
        "--examples",
        "1",
        "--max-steps",
        "2",
        "--traces",
        str(traces),
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("# kmodel strategies: tiny")


def _pinned_spec(tmp_path):
    """The tiny spec with web pinned by ``nodeName`` to one node that fits its 3 pods, not 4."""
    pinned = copy.deepcopy(SPEC)
    pinned["cluster"] = {"nodes": [{"pool": "worker", "count": 1, "cpu": "1", "memory": "8Gi"}]}
    template = pinned["workloads"][1]["spec"]["template"]["spec"]
    template["nodeName"] = "worker-1"
    template["containers"][0]["resources"] = {"requests": {"cpu": "300m"}}
    pinned["strategies"] = SPEC["strategies"][:2]  # surge, recreate
    pinned["failures"] = {"crash": SPEC["failures"]["crash"]}
    path = tmp_path / "pinned.yaml"
    path.write_text(yaml.safe_dump(pinned), encoding="utf-8")
    return path


def test_a_surge_onto_a_pinned_full_node_is_reported_as_a_replacement_loop(tmp_path, capsys):
    """The surge pod is rejected (OutOfcpu) and replaced at once, forever: the run stops there.

    Before the strategies' settling shared the replacement-loop check it ran its 5,000-step
    budget per run, minutes; now the case ends Incomplete, names the loop, and its trace replays
    with the loop named. Recreate never surges, so it completes.
    """
    path = _pinned_spec(tmp_path)
    traces = tmp_path / "traces"
    options = ("--examples", "1", "--max-steps", "2", "--traces", str(traces))
    assert cli("strategies", str(path), "--output", "json", *options) == 0
    cases = {
        (s["name"], c["failure"]): c
        for s in json.loads(capsys.readouterr().out)["strategies"]
        for c in s["cases"]
    }
    surge = cases["surge", "none"]
    assert surge["worst"]["outcome"]["value"] == "Incomplete"
    assert surge["replacementLoop"].startswith("11 pods of ReplicaSet default/web-")
    assert "(OutOfcpu on worker-1)" in surge["replacementLoop"]
    assert cases["recreate", "none"]["replacementLoop"] is None
    assert cases["recreate", "none"]["worst"]["outcome"]["value"] == "Succeeded"

    _, violation, _ = replay_strategy_trace(load_strategy_trace(surge["worst"]["outcome"]["trace"]))
    assert violation is not None
    assert "the run stopped at a replacement loop: 11 pods of ReplicaSet" in violation.message

    assert cli("strategies", str(path), *options) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "replacement loop, surge (good release): 11 pods of ReplicaSet default/web-" in text
    assert "replacement loop, surge (crash release): 11 pods" in text
    assert "never (never" not in text  # a run that never completed shows "never", once
