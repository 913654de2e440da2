"""Startup benchmark: wall time of short commands, each in a fresh interpreter.

A command imports what it needs when it runs (``kmodel.cli.main.COMMANDS``), so ``--version``
and ``status`` do not pay for the placement engine (scipy, HiGHS, Z3) or Hypothesis. The
baseline is the interpreter starting and exiting. Times include process start-up and vary with
the machine's load: the minimum over the runs is the figure to compare.

``python -m benchmarks startup [--runs N]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]

#: (label, arguments to ``python``).
CASES = (
    ("python -c pass (baseline)", ["-c", "pass"]),
    ("kmodel --version", ["-m", "kmodel", "--version"]),
    ("kmodel status specs/pods", ["-m", "kmodel", "status", "specs/pods"]),
    ("kmodel replay --help (loads Hypothesis)", ["-m", "kmodel", "replay", "--help"]),
    ("kmodel pack --help (loads the placement engine)", ["-m", "kmodel", "pack", "--help"]),
)


def wall_times(args: list[str], runs: int) -> list[float]:
    """Seconds each of ``runs`` fresh ``python ARGS`` processes took."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, check=True)  # noqa: S603  # our own interpreter and arguments
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks startup")
    parser.add_argument("--runs", type=int, default=7, help="processes per command")
    options = parser.parse_args(argv)
    table = Table(title=f"startup, {options.runs} runs each")
    table.add_column("command")
    table.add_column("min s", justify="right")
    table.add_column("median s", justify="right")
    for label, args in CASES:
        times = wall_times(args, options.runs)
        table.add_row(label, f"{min(times):.2f}", f"{statistics.median(times):.2f}")
    Console().print(table)
    return 0
