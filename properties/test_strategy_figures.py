"""Every figure of the ``kmodel strategies`` table is what the trace it links shows.

A small comparison is explored and its traces written as ``kmodel strategies`` does; for every
strategy, failure mode and figure, the figure is recomputed from the samples in the linked
trace file alone (an implementation of its own, here) and must equal the value in the JSON
output, and each cell of the Markdown table must be what the recomputed figures render to.
A bad version left deployed must show a bad share above zero. Checked over two seeds.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from kmodel.explore.search import ExploreOptions
from kmodel.report.strategies import (
    COLUMNS,
    StrategiesReport,
    render_strategies,
    write_strategy_traces,
)
from kmodel.strategies.compare import compare
from kmodel.strategies.spec import load_strategies_spec
from kmodel.strategies.trace import format_value
from tests.helpers.specs import STRATEGIES_SPEC as SPEC

SMALL = {
    **SPEC,
    "strategies": [s for s in SPEC["strategies"] if s["name"] in {"surge", "recreate", "split"}],
    "faults": {"container_crash": 1},
    "window": 300,
}


def recompute(block: dict[str, Any], figure: str) -> object:
    """A figure from a trace's ``strategy`` block: its samples, start, window and capacity."""
    samples = block["samples"]
    start = block["start"]
    during = []
    for sample in samples:
        during.append(sample)
        if sample["outcome"] != "Incomplete":
            break
    ended = during[-1]["outcome"] != "Incomplete"
    if figure == "min_capacity":
        return min([block["capacity"]] + [s["capacity"] for s in during])
    if figure == "min_good_capacity":
        return min([block["capacity"]] + [s["good_capacity"] for s in during])
    if figure == "peak_extra":
        return max([0] + [s["extra"] for s in during])
    if figure == "steps":
        return during[-1]["step"] - start["step"] if ended else None
    if figure == "seconds":
        return during[-1]["time"] - start["time"] if ended else None
    if figure == "outcome":
        return during[-1]["outcome"]
    if figure == "new_before_healthy":
        new = block["new_image"]
        return int(
            any(
                Fraction(s["routes"].get(new, "0")) > 0 and not s["new_group_healthy"]
                for s in during
            )
        )
    end = start["time"] + block["window"]
    traffic: dict[str, Fraction] = {}
    for before, after in itertools.pairwise(samples):
        elapsed = max(0, min(after["time"], end) - before["time"])
        for image, share in before["routes"].items():
            traffic[image] = traffic.get(image, Fraction(0)) + Fraction(share) * elapsed
    total = sum(traffic.values(), Fraction(0))
    image = "" if figure == "failed_share" else block["bad_image"]
    if image is None or not total:
        return Fraction(0)
    return traffic.get(image, Fraction(0)) / total


@pytest.mark.parametrize("seed", [0, 1])
def test_every_figure_is_what_its_trace_shows(tmp_path: Path, seed: int):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    spec = load_strategies_spec(path)
    options = ExploreOptions(examples=2, max_steps=4, seed=seed)
    results = compare(spec, options=options)
    files = write_strategy_traces(spec, results, tmp_path / "traces")
    report = StrategiesReport(spec, results, files, examples=2, max_steps=4, seed=seed)
    data = json.loads(render_strategies(report, "json"))
    markdown = render_strategies(report, "markdown")
    table = [line for line in markdown.splitlines() if line.startswith("| ")][1:]
    capacity = SMALL["workloads"][1]["spec"]["replicas"]
    for strategy, line in zip(data["strategies"], table, strict=True):
        cells = [strategy["name"]]
        for case in strategy["cases"]:
            worst: dict[str, object] = {}
            for figure, shown in case["worst"].items():
                trace = json.loads(Path(shown["trace"]).read_text(encoding="utf-8"))
                block = trace["strategy"]
                where = (strategy["name"], case["failure"], figure)
                assert (block["name"], block["failure"], block["figure"]) == where
                value = recompute(block, figure)
                assert format_value(value) == shown["value"] == block["value"], where
                worst[figure] = value
            # The consistency the table promises: a bad version left deployed served traffic.
            if case["failure"] != "none" and worst["outcome"] == "Succeeded":
                assert worst["bad_share"], strategy["name"]
            result = SimpleNamespace(worst=worst)
            columns = [c for c in COLUMNS if c.failure_mode == (case["failure"] != "none")]
            cells += [c.cell(result, capacity) for c in columns]  # type: ignore[arg-type]
        assert line == "| " + " | ".join(cells) + " |"
