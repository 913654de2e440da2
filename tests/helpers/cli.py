"""Running ``kmodel`` inside the test process."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmodel.cli.main import main


def cli(*args: str | Path) -> int:
    """Run ``kmodel`` in this process; returns its exit code."""
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    code = done.value.code
    assert isinstance(code, int)
    return code
