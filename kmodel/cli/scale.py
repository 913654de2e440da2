"""Running ``kmodel check``'s units past one process: shards, recorded durations, Dask.

A unit of work is one spec. Finer units would change what is found: a spec's searches run one
after another, each for the invariants not violated yet, so which counterexample a search
reports for an invariant depends on what the searches before it found; and a seed range is a
different search from the spec's one seed. One spec per unit keeps every result exactly the one
a single process gives.

Dask (``distributed``) is imported only here, and only when a run needs it: ``--jobs N`` (N > 1)
starts a ``LocalCluster`` of N worker processes inside the command, ``--scheduler ADDRESS`` joins
any Dask cluster. A worker that dies has its unit rerun elsewhere (Dask's own rescheduling); a
scheduler that goes away ends the run with what was finished.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from kmodel.cli.progress import ProgressDisplay
from kmodel.errors import InputError
from kmodel.report.output import write_output

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

__all__ = [
    "SCHEDULER_ENV",
    "Progress",
    "SchedulerLostError",
    "parse_shard",
    "read_durations",
    "run_on_dask",
    "shard",
    "write_durations",
]

#: The environment variable naming the Dask scheduler when ``--scheduler`` does not.
SCHEDULER_ENV: Final = "KMODEL_DASK_SCHEDULER"
#: How long to wait for a scheduler to answer before giving up on it (seconds).
_CONNECT_TIMEOUT: Final = 10

T = TypeVar("T")
R = TypeVar("R")


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` (1 <= K <= N) as (K, N).

    Raises:
        InputError: not of that form.
    """
    index, sep, count = text.partition("/")
    if not sep or not index.isdigit() or not count.isdigit() or not 1 <= int(index) <= int(count):
        raise InputError(f"expected K/N with 1 <= K <= N, got {text!r}", path="--shard")
    return int(index), int(count)


def shard(
    units: Sequence[str], index: int, count: int, *, durations: dict[str, float] | None = None
) -> list[str]:
    """Shard ``index`` of ``count``: a deterministic, balanced share of ``units``, in their order.

    Longest first, each unit goes to the shard with the least cost so far (ties: the lower
    shard), costs being the recorded ``durations`` (a unit without one costs their median) or
    1 each without any. Every shard computes the same split from the same inputs, so the shards
    cover every unit exactly once.
    """
    known = sorted(v for k, v in (durations or {}).items() if k in units)
    default = known[len(known) // 2] if known else 1.0
    cost = {u: (durations or {}).get(u, default) for u in units}
    loads = [0.0] * count
    owner: dict[str, int] = {}
    for unit in sorted(units, key=lambda u: (-cost[u], u)):
        target = min(range(count), key=lambda s: (loads[s], s))
        owner[unit] = target
        loads[target] += cost[unit]
    return [u for u in units if owner[u] == index - 1]


def read_durations(path: str) -> dict[str, float]:
    """Seconds per spec recorded by an earlier ``--durations`` run ({} when there is none yet).

    Raises:
        InputError: the file exists but is not a durations file.
    """
    file = Path(path)
    if not file.exists():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        specs = data["specs"]
        return {str(k): float(v) for k, v in specs.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise InputError(
            f"not a kmodel durations file (specs: path -> seconds): {error}", file=path
        ) from None


def write_durations(path: str, measured: dict[str, float]) -> None:
    """Record ``measured`` seconds per spec in ``path``, keeping the other specs' entries."""
    merged = {**read_durations(path), **{k: round(v, 3) for k, v in measured.items()}}
    write_output(json.dumps({"specs": dict(sorted(merged.items()))}, indent=2) + "\n", path)


class SchedulerLostError(Exception):
    """The Dask scheduler went away before every unit finished (``done`` holds what did)."""

    def __init__(self, reason: str, done: dict[int, Any]) -> None:
        super().__init__(reason)
        self.done = done


@dataclass
class Progress:
    """Units done, examples and steps per second across workers, on stderr when a terminal."""

    total: int
    enabled: bool
    units: int = 0
    examples: int = 0
    steps: int = 0
    _started: float = 0.0
    _display: ProgressDisplay | None = None

    @contextmanager
    def shown(self) -> Iterator[Progress]:
        """Show the progress while the block runs (nothing when not enabled)."""
        self._started = time.perf_counter()
        if not self.enabled:
            yield self
            return
        with ProgressDisplay("check: units", total=self.total) as display:
            self._display = display
            yield self
            self._display = None

    def update(self, *, units: int = 0, examples: int = 0, steps: int = 0) -> None:
        """Add finished units, examples and steps."""
        self.units += units
        self.examples += examples
        self.steps += steps
        if self._display is not None:
            rate = self.steps / max(time.perf_counter() - self._started, 1e-9)
            detail = f"{self.examples} examples, {self.steps} steps ({rate:,.0f} steps/s)"
            self._display.update(completed=self.units, detail=detail)


def run_on_dask(
    work: Callable[[T], R],
    units: Sequence[T],
    *,
    jobs: int,
    scheduler: str | None,
    on_done: Callable[[R], None],
) -> list[R]:
    """``work`` applied to every unit on Dask; results in the order of ``units``.

    Without ``scheduler`` a ``LocalCluster`` of ``jobs`` single-threaded worker processes runs
    them; with one, the cluster it schedules for. ``on_done`` sees each result as it arrives.

    Raises:
        InputError: the scheduler cannot be reached.
        SchedulerLostError: the scheduler went away before every unit finished.
    """
    # Dask logs its reconnection attempts with tracebacks, from its own thread and until it
    # gives up (after this returns); what failed is told once, by the command.
    import distributed  # noqa: F401, PLC0415  # configures its loggers, quietened here

    for name in [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    return _run(work, units, jobs=jobs, scheduler=scheduler, on_done=on_done)


def _run(
    work: Callable[[T], R],
    units: Sequence[T],
    *,
    jobs: int,
    scheduler: str | None,
    on_done: Callable[[R], None],
) -> list[R]:
    """:func:`run_on_dask`, its logging quietened."""
    from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415  # see module

    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: never "8787 in use" warnings
                silence_logs=50,
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as error:
        if cluster is not None:
            cluster.close()
        raise InputError(
            f"cannot reach the Dask scheduler at {scheduler}: {error}", path="--scheduler"
        ) from None
    done: dict[int, Any] = {}
    try:
        futures = {
            client.submit(
                work, unit, key=f"kmodel-unit-{position}-{os.getpid()}-{time.time_ns()}", pure=False
            ): position
            for position, unit in enumerate(units)
        }
        for future in as_completed(futures):
            if future.status != "finished":
                if future.status == "error":
                    future.result()  # the unit's own error (a bad spec, a bug): raise it
                raise SchedulerLostError(f"unit {future.status}", done)
            result = future.result()
            done[futures[future]] = result
            on_done(result)
    except (OSError, TimeoutError) as error:
        raise SchedulerLostError(str(error) or type(error).__name__, done) from None
    finally:
        _close(client, cluster)
    return [done[i] for i in range(len(units))]


def _close(client: Client, cluster: LocalCluster | None) -> None:
    """Close the client (and the local cluster) without letting a dead scheduler hang us."""
    with suppress(OSError, TimeoutError):  # a scheduler that went away has nothing to close
        client.close(timeout=5)
    if cluster is not None:
        cluster.close(timeout=10)
