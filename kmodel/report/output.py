"""Writing command output: to stdout, or atomically to a file (never half-written)."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from kmodel.errors import InputError

__all__ = ["OUTPUT_FORMATS", "write_output"]

#: Every output format a command may offer (``design.md``); each command accepts a subset.
OUTPUT_FORMATS = ("text", "json", "junit", "github", "markdown")


def write_output(text: str, out: str | os.PathLike[str] | None) -> None:
    """Write ``text`` to ``out``, or to stdout when ``out`` is None or ``-``.

    A file is written to a temporary sibling and renamed into place, so a failure leaves either
    the old file or the new one, never a partial one. Missing parent folders are created.
    """
    if out is None or str(out) == "-":
        sys.stdout.write(text)
        if text and not text.endswith("\n"):
            sys.stdout.write("\n")
        return
    path = Path(out)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            # mkstemp makes the file 0600; give it the mode any new file gets (0644 under the
            # usual umask 022), or the mode of the file it replaces.
            os.fchmod(fd, _mode_of(path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror or exc}", file=str(path)) from None


def _mode_of(path: Path) -> int:
    """The permission bits ``path`` keeps, or those a new file gets under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # reading the umask means setting it; put it back at once
        os.umask(umask)
        return 0o666 & ~umask
