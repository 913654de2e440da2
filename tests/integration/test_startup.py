"""Startup: a command imports what it needs when it runs, not the whole toolkit.

The placement engine (scipy, HiGHS, Z3), Hypothesis, networkx, numpy and matplotlib take one to
three seconds to import; ``kmodel --version`` and ``kmodel status`` need none of them. Each case
runs in a fresh interpreter and lists the heavy modules it ended up with.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

HEAVY = (
    *("scipy", "highspy", "z3", "hypothesis", "networkx", "numpy", "matplotlib", "docker"),
    *("dask", "distributed", "redis"),
    "pydantic",  # the spec formats' models: imported by the spec loaders only
)

PROBE = """
import json, sys
{body}
loaded = sorted(m for m in {heavy!r} if m in sys.modules)
print(json.dumps(loaded), file=sys.stderr)
"""

RUN_MAIN = """
from kmodel.cli.main import main
from tests.helpers.paths import ROOT
try:
    main({argv!r})
except SystemExit as done:
    assert done.code == 0, done.code
"""


def heavy_modules_after(body: str) -> list[str]:
    done = subprocess.run(  # our own interpreter and code
        [sys.executable, "-c", PROBE.format(body=body, heavy=HEAVY)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_importing_the_command_line_loads_no_heavy_module() -> None:
    assert heavy_modules_after("import kmodel.cli.main") == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["status", "specs/pods", "-o", "json", "--out", "{out}"],
        ["status", "specs/pods", "-o", "markdown", "--out", "{out}"],
    ],
    ids=["version", "status-json", "status-markdown"],
)
def test_version_and_status_load_no_heavy_module(argv: list[str], tmp_path: Path) -> None:
    argv = [a.format(out=tmp_path / "out") for a in argv]
    assert heavy_modules_after(RUN_MAIN.format(argv=argv)) == []


def test_check_imports_dask_only_when_it_runs_on_dask() -> None:
    assert "distributed" not in heavy_modules_after(RUN_MAIN.format(argv=["check", "--help"]))


def test_a_command_that_needs_the_engine_still_gets_it() -> None:
    # The guard above must be able to fail: `replay --help` loads its command's module.
    assert "hypothesis" in heavy_modules_after(RUN_MAIN.format(argv=["replay", "--help"]))


def test_semantics_re_exports_resolve_to_their_modules() -> None:
    import importlib  # noqa: PLC0415  # the package under test is imported here on purpose

    semantics = importlib.import_module("kmodel.semantics")
    assert sorted(semantics.__all__) == sorted(semantics._EXPORTS)
    for name, module in semantics._EXPORTS.items():
        defined = getattr(importlib.import_module(f"kmodel.semantics.{module}"), name)
        assert getattr(semantics, name) is defined
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = semantics.nope
