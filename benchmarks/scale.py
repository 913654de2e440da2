"""Scale-out benchmark: ``kmodel check``'s units on 1, 2 and 4 local workers; Redis cold and warm.

Each row checks the bundled specs (one unit each) as ``kmodel check`` does: one worker is the
command's in-process loop, more are a Dask ``LocalCluster`` of that many processes. It reports
examples per second over the whole run and the time until the first finding came back. The
Redis rows (2 workers) start a ``redis-server`` on a free port (skipped when there is none):
cold from an empty database, warm replaying what the cold run stored. Every run starts from its
own empty folder database except the warm one. Times vary with the machine's load.

``python -m benchmarks scale [--examples N] [--workers 1,2,4] [SPEC...]`` (default: specs/)
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kmodel.cli.check import _check_unit, _check_unit_on_worker, _Unit
from kmodel.cli.scale import run_on_dask
from kmodel.explore.spec import load_spec, spec_paths
from kmodel.report.check import SpecResult

ROOT = Path(__file__).resolve().parents[1]


def units(folders: list[str], examples: int | None, database: str) -> list[_Unit]:
    specs = [load_spec(p) for p in spec_paths(folders)]
    return [
        _Unit(s, replace(s.options, examples=examples or s.options.examples), database)
        for s in specs
    ]


def timed(work: list[_Unit], workers: int) -> tuple[float, float | None, list[SpecResult]]:
    """Seconds for the whole run, seconds to the first finding, and the results."""
    started = time.perf_counter()
    first: list[float] = []

    def arrived(result: SpecResult) -> None:
        if result.traces and not first:
            first.append(time.perf_counter() - started)

    if workers == 1:
        results = []
        for unit in work:
            results.append(_check_unit(unit))
            arrived(results[-1])
    else:
        results = run_on_dask(
            _check_unit_on_worker, work, jobs=workers, scheduler=None, on_done=arrived
        )
    return time.perf_counter() - started, (first[0] if first else None), results


def row(table: Table, label: tuple[str, str], work: list[_Unit], workers: int) -> None:
    seconds, first, results = timed(work, workers)
    examples = sum(r.examples for r in results)
    findings = sum(len(r.traces) for r in results)
    table.add_row(
        *label,
        str(workers),
        str(examples),
        f"{examples / seconds:,.1f}",
        "-" if first is None else f"{first:.1f}",
        f"{seconds:.1f}",
        str(findings),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale")
    parser.add_argument("--examples", type=int, default=None, help="examples per search")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("specs", nargs="*", default=[str(ROOT / "specs")], help="spec files")
    options = parser.parse_args(argv)
    counts = [int(w) for w in options.workers.split(",")]
    table = Table(title="kmodel check, one unit per spec")
    table.add_column("database")
    table.add_column("state")
    for column in ("workers", "examples", "examples/s", "first finding s"):
        table.add_column(column, justify="right")
    table.add_column("total s", justify="right")
    table.add_column("findings", justify="right")
    with tempfile.TemporaryDirectory(prefix="kmodel-bench-") as folder:
        for workers in counts:
            database = str(Path(folder) / f"examples-{workers}")
            row(
                table, ("folder", "cold"), units(options.specs, options.examples, database), workers
            )
        server = shutil.which("redis-server")
        if server is None:
            Console(stderr=True).print("redis-server not installed: no Redis rows")
        else:
            port = free_port()
            redis = subprocess.Popen(  # noqa: S603  # Debian's redis-server, on a free port
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", folder],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                time.sleep(0.5)
                address = f"redis://127.0.0.1:{port}/0"
                workers = max(c for c in counts if c <= 2)
                work = units(options.specs, options.examples, address)
                row(table, ("Redis", "cold"), work, workers)
                row(table, ("Redis", "warm"), work, workers)
            finally:
                redis.terminate()
                redis.wait()
    Console(width=120).print(table)
    return 0
