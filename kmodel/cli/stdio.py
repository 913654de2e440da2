"""Standard output belongs to the user: what native libraries print goes elsewhere.

HiGHS (1.16) prints a banner on the C-level standard output when a ``Highs()`` object is
constructed, before any option can silence it; other native code (Z3, OR-Tools) may print too.
Replacing ``sys.stdout`` does not stop that: only the file descriptor does. While a command
runs, :func:`protected_stdio` points file descriptors 1 and 2 at ``/dev/null`` (both at the
real standard error with ``--verbose``) and gives Python's ``sys.stdout`` and ``sys.stderr``
private copies of the real ones, so the command's document, written through ``sys.stdout``, is
all the user's stdout carries, and its messages and progress still reach stderr. Child
processes forked meanwhile inherit the redirected descriptors.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import sys
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["command_started", "native_output_to_stderr", "protected_stdio"]

#: File descriptors of the C-level standard output and standard error.
_STDOUT_FD, _STDERR_FD = 1, 2


class _State:
    """While the protection is active: the real stderr's copy, and when the command started."""

    stderr_copy: int | None = None
    started: float | None = None


def command_started() -> float | None:
    """When the running command entered :func:`protected_stdio` (None outside one)."""
    return _State.started


def _flush_c_streams() -> None:
    """Flush the C library's stdio buffers (native output still waiting to be written)."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


def _uses_fd(stream: object, fd: int) -> bool:
    try:
        return bool(stream is not None and stream.fileno() == fd)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


class _Guard:
    """One descriptor redirected, with Python's stream moved to a private copy of it."""

    def __init__(self, fd: int, name: str) -> None:
        self.fd, self.name = fd, name
        self.saved = os.dup(fd)
        self.stream: TextIO = getattr(sys, name)
        self.private: TextIO | None = None
        with contextlib.suppress(AttributeError, OSError, ValueError):
            self.stream.flush()
        if _uses_fd(self.stream, fd):
            self.private = open(  # noqa: SIM115 - closed in restore()
                self.saved,
                "w",
                encoding=getattr(self.stream, "encoding", None) or "utf-8",
                errors=getattr(self.stream, "errors", None) or "strict",
                closefd=False,
                buffering=1 if getattr(self.stream, "line_buffering", False) else -1,
            )
            setattr(sys, name, self.private)

    def restore(self) -> None:
        if self.private is not None:
            with contextlib.suppress(OSError, ValueError):
                self.private.flush()
            setattr(sys, self.name, self.stream)
            self.private.close()
        os.dup2(self.saved, self.fd)
        os.close(self.saved)


def _point(fd: int, *, to: int | None) -> None:
    """Point ``fd`` at the descriptor ``to``, or at ``/dev/null``."""
    target = os.dup(to) if to is not None else os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(target, fd)
    finally:
        os.close(target)


@contextlib.contextmanager
def protected_stdio(*, verbose: bool = False) -> Iterator[None]:
    """Keep native output off standard output, and off standard error unless ``verbose``.

    Inside the block, Python code writing to ``sys.stdout`` and ``sys.stderr`` reaches the
    real streams; anything written to file descriptors 1 and 2 directly (C and C++ libraries,
    forked children's native code) goes to ``/dev/null``, or to standard error when
    ``verbose``. Nested uses are no-ops; without file descriptors nothing changes.
    """
    if _State.stderr_copy is not None:
        yield
        return
    try:
        out = _Guard(_STDOUT_FD, "stdout")
    except OSError:  # no standard output at all: nothing to protect
        yield
        return
    try:
        err = _Guard(_STDERR_FD, "stderr")
    except OSError:
        out.restore()
        yield
        return
    _flush_c_streams()
    _State.stderr_copy = err.saved
    _State.started = time.perf_counter()
    if verbose:
        native_output_to_stderr()
    else:
        _point(_STDOUT_FD, to=None)
        _point(_STDERR_FD, to=None)
    try:
        yield
    finally:
        _State.stderr_copy = _State.started = None
        _flush_c_streams()
        out.restore()
        err.restore()


def native_output_to_stderr() -> None:
    """Inside :func:`protected_stdio`: show native output on standard error (``--verbose``)."""
    if _State.stderr_copy is not None:
        _flush_c_streams()
        _point(_STDOUT_FD, to=_State.stderr_copy)
        _point(_STDERR_FD, to=_State.stderr_copy)
