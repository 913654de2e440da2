"""The benchmarks run end to end (tiny sizes): they print their tables and exit 0."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import main

pytestmark = pytest.mark.integration


def test_model_benchmark_prints_its_table(capsys):
    assert main(["model", "--steps", "150", "--examples", "2", "--max-steps", "10"]) == 0
    out = capsys.readouterr().out
    assert "steps/s" in out
    for row in ("model (choose + apply)", "model + safety invariants", "Hypothesis explore()"):
        assert row in out


def test_startup_benchmark_prints_its_table(capsys):
    assert main(["startup", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "kmodel --version" in out
    assert "kmodel status specs/pods" in out


def test_unknown_benchmark_is_a_usage_error(capsys):
    assert main(["nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err
