"""``kmodel strategies`` end to end: JSON, Markdown and a report with traces that replay."""

from __future__ import annotations

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
