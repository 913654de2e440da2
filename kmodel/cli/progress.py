"""One progress display for every long command (check, strategies, conform, pack, verify).

A rich progress line on standard error, shown only when standard error is a terminal and
erased when the command ends: standard output carries the command's document and nothing else,
and a redirected or captured run shows nothing. rich is imported only when the display shows, so
``kmodel --version`` and every run without a terminal never load it.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Self

__all__ = ["ProgressDisplay"]


class ProgressDisplay:
    """What a long command is doing: a description, done out of a total, a detail, the time.

    Use as a context manager; :meth:`update` is cheap and does nothing when nothing is shown.

    Args:
        description: what is being done, e.g. ``"check"``.
        total: how many units the command does, when it knows (a bar and a count); None
            shows the spinner, the texts and the time only.
    """

    def __init__(self, description: str, *, total: int | None = None) -> None:
        self.description, self.total = description, total
        self._progress: Any = None
        self._task: Any = None

    @property
    def shown(self) -> bool:
        """Whether the display is on the terminal."""
        return self._progress is not None

    def __enter__(self) -> Self:
        if not sys.stderr.isatty():
            return self
        from rich.console import Console  # noqa: PLC0415  # only a terminal shows it
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        counted = [BarColumn(), MofNCompleteColumn()] if self.total is not None else []
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            *counted,
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=self.total, detail="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def update(
        self,
        *,
        advance: int = 0,
        completed: int | None = None,
        description: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Count ``advance`` more units done (or set ``completed``); change the texts given."""
        if self._progress is None:
            return
        changes: dict[str, Any] = {"advance": advance}
        if completed is not None:
            changes["completed"] = completed
        if description is not None:
            changes["description"] = description
        if detail is not None:
            changes["detail"] = detail
        self._progress.update(self._task, **changes)
