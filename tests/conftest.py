"""A test's tier is its folder: tests/integration and tests/quality mark their tests.

So ``-m integration`` and ``-m quality`` select the same tests as the folders do (see README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).parent
_MARKED = {_HERE / "integration": pytest.mark.integration, _HERE / "quality": pytest.mark.quality}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test under a marked folder with that folder's marker."""
    for item in items:
        for folder, mark in _MARKED.items():
            if item.path.is_relative_to(folder):
                item.add_marker(mark)
