"""Derandomized draws depend on the seed alone, not on the modules the process imported before."""

from __future__ import annotations

import importlib

from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.explore.determinism import seed_only_draws

#: A range no module of the repository spells a literal in: only the planted module's are there.
LOW = 10**9 + 7


def draws() -> list[int]:
    """A derandomized test's draws (the same function, so the same seed, on every call)."""
    seen: list[int] = []

    @settings(derandomize=True, max_examples=300, deadline=None)
    @given(st.integers(LOW, LOW + 10_000))
    def collect(number: int) -> None:
        seen.append(number)

    collect()
    return seen


def test_importing_a_module_changes_no_draw_within_seed_only_draws(tmp_path, monkeypatch):
    with seed_only_draws():
        before = draws()
    planted = range(LOW + 5_000, LOW + 5_200)
    module = tmp_path / "planted_constants.py"
    module.write_text(f"VALUES = ({', '.join(map(str, planted))},)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(tmp_path)
    importlib.import_module("planted_constants")
    with seed_only_draws():
        assert draws() == before
    # The cause: left alone, Hypothesis draws literals of the modules imported so far.
    assert any(number in planted for number in draws())
