"""Under mutmut: derandomized examples, and a mutant's tests run fastest first (``-x`` stops at
the first kill).

Loaded with ``-p properties.mutation_order`` (``[tool.mutmut] pytest_add_cli_args``). The
loaded Hypothesis profile keeps its budget but draws derandomized, so that a mutant is killed
or not the same way on every run. The durations are the ones mutmut measured on the faithful
model (its stats run); outside mutmut the order is left as collected.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings


def pytest_configure(config: pytest.Config) -> None:
    """Derandomize whichever profile conftest.py loaded ($MUTATION_EXAMPLES: its budget)."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    examples = os.environ.get("MUTATION_EXAMPLES")
    budget = {"max_examples": int(examples)} if examples else {}
    settings.register_profile("mutation", settings.get_profile(name), derandomize=True, **budget)
    settings.load_profile("mutation")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Sort the items by their measured duration, shortest first."""
    try:
        from mutmut.state import state  # noqa: PLC0415 (only there under mutmut)
    except ImportError:
        return
    durations = state().duration_by_test
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))
