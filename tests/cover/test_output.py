"""Output files: written atomically, with the mode any new file gets (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmodel.errors import InputError
from kmodel.report.check import read_check_results
from kmodel.report.output import write_output


@pytest.fixture
def umask() -> Iterator[None]:
    """Run under the usual umask 022, whatever the test runner's is."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_0644_under_umask_022(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "deep" / "out.json"
    write_output("{}", target)
    assert mode(target) == 0o644
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_the_umask_is_respected(tmp_path: Path, umask: None) -> None:
    os.umask(0o077)
    target = tmp_path / "private.txt"
    write_output("x", target)
    assert mode(target) == 0o600


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "shared.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o664)
    write_output("new", target)
    assert mode(target) == 0o664
    assert target.read_text(encoding="utf-8") == "new\n"


@pytest.mark.parametrize("text", ["{}", "[1]", '{"specs": 3}'])
def test_merge_input_without_a_specs_list_says_so(tmp_path: Path, text: str) -> None:
    path = tmp_path / "shard.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_check_results(str(path))
    assert error.value.file == str(path)
    assert error.value.message == (
        "not a `kmodel check -o json` result: no `specs` list in a JSON object"
    )
