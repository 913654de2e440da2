"""Work in child processes: HiGHS integer programs ended at a hard deadline, background searches.

HiGHS checks its time limit between phases only: at the root node of an arc-flow or compact
model, cut separation and the primal heuristics can run seconds past the limit
(benchmarks/README.md). :func:`milp_until` runs ``scipy.optimize.milp`` in a forked child
process and kills the child when the deadline passes, which keeps every solve within its limit.
:class:`BackgroundCall` runs a search on another core while the caller goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kmodel.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import numpy as np

__all__ = ["BackgroundCall", "MilpOutcome", "milp_until", "quiet_highs"]

T = TypeVar("T")

#: Seconds a child gets past the deadline to hand back its answer before it is killed.
_GRACE = 0.2


@dataclass(frozen=True)
class MilpOutcome:
    """The parts of ``scipy.optimize.OptimizeResult`` the packer reads.

    Attributes:
        x: the best solution found (``None``: none, or the child was killed).
        status: scipy's status: 0 optimal, 1 limit reached, 2 infeasible, 3 unbounded, 4 other
            (a killed child reports 1).
        mip_dual_bound: HiGHS's proven bound on the objective (``None`` when unknown).
        fun: the objective value of ``x`` (``None`` without one).
        killed: the child was still running at the deadline and was ended.
    """

    x: np.ndarray | None
    status: int
    mip_dual_bound: float | None
    fun: float | None = None
    killed: bool = False


def _child(conn: Connection, kwargs: dict[str, Any]) -> None:  # pragma: no cover - in a child
    from scipy.optimize import milp  # noqa: PLC0415 - imported in the child

    # HiGHS prints debug lines to the C-level standard output: silence the child's.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    res = milp(**kwargs)
    bound = getattr(res, "mip_dual_bound", None)
    fun = None if res.x is None or res.fun is None else float(res.fun)
    conn.send((res.x, int(res.status), None if bound is None else float(bound), fun))
    conn.close()


def _context() -> multiprocessing.context.ForkContext:
    # fork: the child starts at once with scipy loaded and needs no importable __main__ (the
    # spawn and forkserver methods re-run the caller's script). HiGHS's worker threads are not
    # inherited; the solves here use its serial paths, and a child that hung would be killed
    # at the deadline like any other.
    return multiprocessing.get_context("fork")


def milp_until(deadline: float, **kwargs: Any) -> MilpOutcome:  # noqa: ANN401 - milp's arguments
    """``scipy.optimize.milp(**kwargs)`` in a child process, ended at ``deadline``.

    Args:
        deadline: ``time.perf_counter()`` value at which the child is killed (its answer is
            awaited for a further 0.2 s).
        **kwargs: the arguments of ``scipy.optimize.milp``; ``options["time_limit"]`` is set
            to the time left when missing.

    Returns:
        The solution, status and bound; a killed child gives ``x=None, status=1``.

    Raises:
        InputError: ``deadline`` is not a number.
    """
    if isinstance(deadline, bool) or not isinstance(deadline, int | float):
        raise InputError(f"expected a perf_counter() value, got {deadline!r}", path="deadline")
    left = deadline - time.perf_counter()
    if left <= 0:
        return MilpOutcome(None, 1, None, killed=False)
    options = dict(kwargs.get("options") or {})
    options.setdefault("time_limit", left)
    kwargs = {**kwargs, "options": options}
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, kwargs), daemon=True)
    process.start()
    child.close()
    try:
        if parent.poll(max(0.0, deadline - time.perf_counter()) + _GRACE):
            try:
                x, status, bound, fun = parent.recv()
            except EOFError:  # the child died without an answer (e.g. out of memory)
                return MilpOutcome(None, 4, None)
            return MilpOutcome(x, status, bound, fun)
        process.kill()
        return MilpOutcome(None, 1, None, killed=True)
    finally:
        parent.close()
        process.join(timeout=1.0)


def _call_child(  # pragma: no cover - in a child
    conn: Connection, target: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        answer = target(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported to the caller as what went wrong
        answer = ChildFailure(f"{type(error).__name__}: {error}")
    conn.send(answer)
    conn.close()


@dataclass(frozen=True)
class ChildFailure:
    """What a :class:`BackgroundCall` child sends when its target raised."""

    error: str


class BackgroundCall(Generic[T]):
    """``target(*args, **kwargs)`` in a forked child process while the caller goes on.

    The placement engine runs bin completion this way on a second core during column
    generation: the two find packings on different instances, and a 2-core machine runs both
    for the time of one. The target must end by itself (a deadline of its own); :meth:`stop`
    ends it early. A failed or killed child answers ``None``; :attr:`error` then says what the
    target raised, if it raised (None when it was killed or died).
    """

    def __init__(self, target: Callable[..., T | None], *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - the target's arguments
        ctx = _context()
        self._conn, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_call_child, args=(child, target, args, kwargs), daemon=True
        )
        self._process.start()
        child.close()
        self._done = False
        self._answer: T | None = None
        self.error: str | None = None

    def poll(self, *, timeout: float = 0.0) -> tuple[bool, T | None]:
        """(finished, answer): waits up to ``timeout`` seconds for the child's answer."""
        if not self._done and self._conn.poll(max(0.0, timeout)):
            try:
                answer = self._conn.recv()
            except EOFError:  # the child died without an answer
                answer = None
            if isinstance(answer, ChildFailure):
                self.error, answer = answer.error, None
            self._answer = answer
            self._done = True
            self.stop()
        return self._done, self._answer

    def stop(self) -> None:
        """End the child (if it still runs) and release its resources; no answer after this."""
        self._done = True
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=1.0)
        self._conn.close()


@contextlib.contextmanager
def quiet_highs() -> Iterator[None]:
    """Silence HiGHS's MIP solver, which prints debug lines to the C-level standard output.

    ``kmodel pack --output json`` writes to standard output: a stray line would corrupt it.
    File descriptor 1 points to ``/dev/null`` while the block runs.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # pragma: no cover - no standard output to protect
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
