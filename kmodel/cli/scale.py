"""Running ``kmodel check``'s units past one process: shards, recorded durations, Dask.

A unit of work is one seed range of one spec (:func:`kmodel.explore.search.seed_ranges`): a
search that is a pure function of the spec, the options and the range's index, so it gives the
same findings on any worker. A spec's result combines its ranges by a rule that looks only at
range indices (:func:`kmodel.report.check.combine_units`), and ``kmodel check`` in one process
runs the same units, so one process, a cluster and merged shards agree by construction.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    "WORKER_CONFIG",
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
#: Dask settings for the workers ``--jobs N`` starts: Dask's sampling profiler walks each
#: worker's stacks every 10 ms, a cost a CPU-bound unit pays in full (on this loaded machine a
#: 132-example unit took 6.8 s in one process, 10.5-11.6 s on a worker, 7.8 s with it off).
#: Workers started by hand: ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``.
WORKER_CONFIG: Final = {"distributed.worker.profile.enabled": False}
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

    ``units`` are unit names (a spec's path, ``#index`` appended for a split spec's ranges).
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
    """Seconds per unit recorded by an earlier ``--record-durations`` run ({} when none yet).

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
            f"not a kmodel durations file (specs: unit -> seconds): {error}", file=path
        ) from None


def write_durations(path: str, measured: dict[str, float]) -> None:
    """Record ``measured`` seconds per unit in ``path``, keeping the other units' entries."""
    merged = {**read_durations(path), **{k: round(v, 3) for k, v in measured.items()}}
    write_output(json.dumps({"specs": dict(sorted(merged.items()))}, indent=2) + "\n", path)


class SchedulerLostError(Exception):
    """The Dask scheduler went away before every unit finished (``done`` holds what did)."""

    def __init__(self, reason: str, done: dict[int, Any]) -> None:
        super().__init__(reason)
        self.done = done


@dataclass
class Progress:
    """Units done, examples and steps per second across workers, on stderr when a terminal.

    A plain record any display can read: ``units`` finished of ``total`` (``skipped`` ones
    are ranges a spec's result no longer needs), examples and steps of the finished units (and
    of the running one, in one process), :attr:`seconds` since the start.
    """

    total: int
    enabled: bool
    units: int = 0
    skipped: int = 0
    examples: int = 0
    steps: int = 0
    _started: float = 0.0
    _display: ProgressDisplay | None = None

    @property
    def seconds(self) -> float:
        """Seconds since the progress started being shown."""
        return time.perf_counter() - self._started

    @property
    def examples_per_second(self) -> float:
        """Examples per second across workers so far."""
        return self.examples / max(self.seconds, 1e-9)

    @property
    def steps_per_second(self) -> float:
        """Steps per second across workers so far."""
        return self.steps / max(self.seconds, 1e-9)

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

    def update(
        self, *, units: int = 0, examples: int = 0, steps: int = 0, skipped: int | None = None
    ) -> None:
        """Add finished units, examples and steps; ``skipped`` sets the count of skipped units."""
        if skipped is not None:
            self.skipped = skipped
        self.units += units
        self.examples += examples
        self.steps += steps
        if self._display is not None:
            detail = (
                f"{self.examples} examples ({self.examples_per_second:,.1f}/s), "
                f"{self.steps} steps ({self.steps_per_second:,.0f}/s)"
                + (f", {self.skipped} skipped (not needed)" if self.skipped else "")
            )
            # Units a spec's result no longer needs count as done: they will not run.
            self._display.update(completed=self.units + self.skipped, detail=detail)


def run_on_dask(
    work: Callable[[T], R],
    units: Sequence[T],
    *,
    jobs: int,
    scheduler: str | None,
    on_done: Callable[[int, R], Iterable[int]],
) -> dict[int, R]:
    """``work`` applied to the units on Dask; the results by the units' positions.

    Without ``scheduler`` a ``LocalCluster`` of ``jobs`` single-threaded worker processes runs
    them; with one, the cluster it schedules for. ``on_done`` sees each result (with its unit's
    position) as it arrives and returns the positions of units no longer needed: those not
    started are cancelled, those that finish anyway are left out.

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
    on_done: Callable[[int, R], Iterable[int]],
) -> dict[int, R]:
    """:func:`run_on_dask`, its logging quietened."""
    import dask  # noqa: PLC0415  # see module
    from distributed import Client, LocalCluster, as_completed  # noqa: PLC0415  # see module

    cluster = None
    try:
        if scheduler is None:
            with dask.config.set(WORKER_CONFIG):  # the workers' processes get the config
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
    dropped: set[int] = set()
    try:
        futures = {
            client.submit(
                work, unit, key=f"kmodel-unit-{position}-{os.getpid()}-{time.time_ns()}", pure=False
            ): position
            for position, unit in enumerate(units)
        }
        by_position = {position: future for future, position in futures.items()}
        for future in as_completed(futures):
            position = futures[future]
            if position in dropped:
                continue
            if future.status != "finished":
                if future.status == "error":
                    future.result()  # the unit's own error (a bad spec, a bug): raise it
                raise SchedulerLostError(f"unit {future.status}", done)
            done[position] = result = future.result()
            for unneeded in set(on_done(position, result)) - dropped - set(done):
                dropped.add(unneeded)
                by_position[unneeded].cancel()
    except (OSError, TimeoutError) as error:
        raise SchedulerLostError(str(error) or type(error).__name__, done) from None
    finally:
        _close(client, cluster)
    return done


def _close(client: Client, cluster: LocalCluster | None) -> None:
    """Close the client (and the local cluster) without letting a dead scheduler hang us."""
    with suppress(OSError, TimeoutError):  # a scheduler that went away has nothing to close
        client.close(timeout=5)
    if cluster is not None:
        cluster.close(timeout=10)
