"""Scale-out benchmark: ``kmodel check``'s units on 1, 2 and 4 local workers; Redis cold and warm.

Two tables, each run as ``kmodel check`` runs (one worker is the command's in-process loop,
more are a Dask ``LocalCluster`` of that many processes), reporting examples per second over
the whole run, the time until the first finding came back and the whole run's time:

- ``deep``: one deep spec whose budget splits into seed ranges (``--deep-examples`` examples in
  units of ``--unit-examples``), so its units spread over the workers; every worker count gives
  the same findings (checked: the run fails otherwise). The cluster is started before the
  clock runs (its start-up has a column of its own), so the times are the units'.
- ``specs``: the bundled specs (their own budgets, each one unit), from an empty folder database;
  then with 2 workers on a ``redis-server`` started on a free port (skipped when there is none),
  cold from an empty database and warm replaying what the cold run stored.

Times vary with the machine's load.

``python -m benchmarks scale [--tables deep,specs] [--workers 1,2,4] [--deep SPEC]
[--deep-examples N] [--unit-examples N] [--examples N] [SPEC...]`` (default: specs/)
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kmodel.cli.check import UNIT_EXAMPLES, Collector, plan_units, run_units
from kmodel.cli.scale import WORKER_CONFIG, Progress
from kmodel.explore.spec import load_spec, spec_paths
from kmodel.report.check import SpecResult, UnitResult

ROOT = Path(__file__).resolve().parents[1]
#: The bundled spec whose finding takes the longest search.
DEEP = ROOT / "specs" / "no-anti-affinity-node-crash.yaml"


def timed(
    specs: Sequence[str | Path],
    overrides: dict[str, int | None],
    database: str,
    workers: int,
    size: int,
    *,
    scheduler: str | None = None,
) -> tuple[float, float | None, list[SpecResult], int, int]:
    """Seconds for the whole run and to the first finding, the results, units, examples run.

    With ``scheduler`` the units run on that (already started) cluster.
    """
    loaded = [load_spec(p) for p in specs]
    units = plan_units(loaded, overrides, database, unit_examples=size)
    started = time.perf_counter()
    first: list[float] = []

    def arrived(result: UnitResult) -> None:
        if result.traces and not first:
            first.append(time.perf_counter() - started)

    collector = Collector(units, listener=arrived)
    progress = Progress(total=len(units), enabled=False)
    with progress.shown():
        run_units(collector, jobs=workers, scheduler=scheduler, progress=progress)
    seconds = time.perf_counter() - started
    ran = sum(r.examples for r in collector.done.values())  # dropped ranges' too
    results = collector.results(shard=False)
    return seconds, (first[0] if first else None), results, len(units), ran


def row(
    table: Table,
    label: tuple[str, ...],
    measured: tuple[float, float | None, list[SpecResult], int, int],
    workers: int,
) -> list[tuple[str, ...]]:
    seconds, first, results, units, examples = measured
    table.add_row(
        *label,
        str(workers),
        str(units),
        str(examples),
        f"{examples / seconds:,.1f}",
        "-" if first is None else f"{first:.1f}",
        f"{seconds:.1f}",
        str(sum(len(r.traces) for r in results)),
    )
    return [tuple(t.dumps() for t in r.traces) for r in results]


def new_table(title: str, *labels: str) -> Table:
    table = Table(title=title)
    for label in labels:
        table.add_column(label)
    for column in ("workers", "units", "examples run", "examples/s", "first finding s", "total s"):
        table.add_column(column, justify="right")
    table.add_column("findings", justify="right")
    return table


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def local_cluster(workers: int) -> Iterator[tuple[str | None, float]]:
    """A started ``LocalCluster`` of ``workers`` processes (address, seconds to start it).

    One worker is the command's in-process loop: no cluster (None, 0).
    """
    if workers == 1:
        yield None, 0.0
        return
    import dask  # noqa: PLC0415  # only the cluster rows need it
    from distributed import LocalCluster  # noqa: PLC0415

    started = time.perf_counter()
    with (
        dask.config.set(WORKER_CONFIG),  # as `kmodel check --jobs N` starts its workers
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
    ):
        yield cluster.scheduler_address, time.perf_counter() - started


def deep_table(options: argparse.Namespace, counts: list[int], folder: str) -> Table:
    """One deep spec split into seed ranges, on each worker count (same findings each time)."""
    table = new_table(
        f"kmodel check {Path(options.deep).name}: {options.deep_examples} examples in units of "
        f"{options.unit_examples}, folder database (cold); Dask's start-up apart",
        "cluster start s",
    )
    overrides: dict[str, int | None] = {"examples": options.deep_examples}
    seen = None
    for workers in counts:
        database = str(Path(folder) / f"deep-{workers}")
        with local_cluster(workers) as (address, start):
            measured = timed(
                [options.deep],
                overrides,
                database,
                workers,
                options.unit_examples,
                scheduler=address,
            )
        traces = row(table, (f"{start:.1f}",), measured, workers)
        if seen is not None and traces != seen:
            message = f"{workers} workers found other traces than {counts[0]}"
            raise SystemExit(message)
        seen = traces
    return table


def specs_table(options: argparse.Namespace, counts: list[int], folder: str) -> Table:
    """The bundled specs on each worker count; Redis cold and warm with 2 workers."""
    table = new_table("kmodel check, the specs", "database", "state")
    specs = spec_paths(options.specs)
    overrides: dict[str, int | None] = {"examples": options.examples}
    size = options.unit_examples
    for workers in counts:
        database = str(Path(folder) / f"examples-{workers}")
        row(table, ("folder", "cold"), timed(specs, overrides, database, workers, size), workers)
    server = shutil.which("redis-server")
    if server is None:
        Console(stderr=True).print("redis-server not installed: no Redis rows")
        return table
    port = free_port()
    redis = subprocess.Popen(  # noqa: S603  # Debian's redis-server, on a free port
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.5)
        address = f"redis://127.0.0.1:{port}/0"
        workers = max(c for c in counts if c <= 2)  # the Redis rows' workers
        for state in ("cold", "warm"):
            measured = timed(specs, overrides, address, workers, size)
            row(table, ("Redis", state), measured, workers)
    finally:
        redis.terminate()
        redis.wait()
    return table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale")
    parser.add_argument("--tables", default="deep,specs", help="deep, specs (comma-separated)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--deep", default=str(DEEP), help="the deep spec")
    parser.add_argument("--deep-examples", type=int, default=400, help="the deep spec's budget")
    parser.add_argument("--unit-examples", type=int, default=UNIT_EXAMPLES, help="per unit")
    parser.add_argument("--examples", type=int, default=None, help="the specs' budget")
    parser.add_argument("specs", nargs="*", default=[str(ROOT / "specs")], help="spec files")
    options = parser.parse_args(argv)
    counts = [int(w) for w in options.workers.split(",")]
    tables = options.tables.split(",")
    console = Console(width=120)
    with tempfile.TemporaryDirectory(prefix="kmodel-bench-") as folder:
        if "deep" in tables:
            console.print(deep_table(options, counts, folder))
        if "specs" in tables:
            console.print(specs_table(options, counts, folder))
    return 0
