"""The version is written once, in pyproject.toml; the package and ``--version`` read it."""

from __future__ import annotations

import tomllib
from importlib.metadata import version

import pytest

import kmodel
from tests.helpers.cli import cli
from tests.helpers.paths import ROOT


def test_the_package_and_the_command_give_pyprojects_version(capsys):
    written = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    expected = written["project"]["version"]
    assert version("kmodel") == expected
    assert kmodel.__version__ == expected
    assert cli("--version") == 0
    assert capsys.readouterr().out == f"kmodel, version {expected}\n"


def test_other_attributes_are_still_missing():
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = kmodel.no_such_name
