"""Kill first: under mutmut, run a mutant's tests fastest first (``-x`` stops at the first kill).

Loaded with ``-p properties.mutation_order`` (``[tool.mutmut] pytest_add_cli_args``). The
durations are the ones mutmut measured on the faithful model (its stats run); outside mutmut
the order is left as collected.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Sort the items by their measured duration, shortest first."""
    try:
        from mutmut.state import state  # noqa: PLC0415 (only there under mutmut)
    except ImportError:
        return
    durations = state().duration_by_test
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
