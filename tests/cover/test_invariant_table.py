"""The README's invariant table lists every invariant of the catalogue, and nothing else."""

from __future__ import annotations

import re

from kmodel.invariants import CATALOGUE
from tests.helpers.paths import ROOT


def _table() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.partition("### Invariants")[2].partition("\n### ")[0]
    return dict(re.findall(r"^\| `([a-z_]+)`[^|]*\| (safety|eventual) \|", section, re.MULTILINE))


def test_every_catalogue_invariant_has_a_row_with_its_kind() -> None:
    rows = _table()
    assert rows == {name: cls.kind for name, cls in CATALOGUE.items()}


def test_every_precondition_is_listed() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme.partition("Each invariant with a precondition")[2].partition("records when")[0]
    missing = [n for n, c in CATALOGUE.items() if c.precondition and f"`{n}`" not in listed]
    assert not missing, f"README's precondition list lacks {missing}"
