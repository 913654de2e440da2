"""``make mutation``'s pytest plugin and mutmut wrapper do what the mutation run relies on.

``properties/mutation_order.py`` is loaded by mutmut (``-p properties.mutation_order``); here it
is loaded the same way into a pytest subprocess, with mutmut's measured durations replaced by
the test's own, so a mutant that spins is stopped by the CPU budget within a second, not the
budget's 30 s slack.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from properties import mutation_mutmut
from tests.helpers.paths import ROOT

#: The plugin's budget, shrunk for the test: 2 x 0.05 s measured + 0.3 s of CPU time.
CONFTEST = """
from properties import mutation_order

mutation_order.BUDGET_SLACK = 0.3
mutation_order._durations = lambda: {
    "test_model.py::test_shortening_is_off_under_a_mutant": 0.01,
    "test_model.py::test_spins": 0.05,
}
"""

#: A test that takes about one CPU second on the "faithful model", and one that checks whether
#: the failing trace is shortened (the real shorten rejects these arguments).
TESTS = """
import time

from properties import tracekit


def test_shortening_is_off_under_a_mutant():
    assert tracekit.shorten(None, [], "x", accept=None) is None


def test_spins():
    end = time.process_time() + 1.0
    while time.process_time() < end:
        pass
"""


def _run_under_the_plugin(tmp_path: Path, mutant: str, *args: str) -> int:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_model.py").write_text(TESTS)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MUTANT_UNDER_TEST": mutant,
        "HYPOTHESIS_PROFILE": "default",
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "properties.mutation_order"]
    command += ["-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=tmp_path, env=env, check=False).returncode


def test_a_mutant_has_a_cpu_budget_and_no_trace_shortening(tmp_path):
    mutant = "kmodel.semantics.job.x__manage_job__mutmut_31"
    # Shortest measured first: the shortening check passes, then the spinning test ends the
    # whole process with mutmut's timeout code (-x, as mutmut runs: a failing check stops
    # the run with pytest's 1 instead).
    assert _run_under_the_plugin(tmp_path, mutant, "-x") == 36


def test_the_faithful_model_has_no_budget_and_shortens_traces(tmp_path):
    # mutmut's stats run names no mutant: the real shorten rejects the check's arguments (a
    # failure), and the spinning test runs its full second and passes (no timeout's 36).
    assert _run_under_the_plugin(tmp_path, "stats") == 1


class _FakeMutmut:
    """mutmut's ``__main__`` as far as the wrapper touches it: a run is stats, then clean tests."""

    def __init__(self, *, full_stats: bool) -> None:
        self.full_stats = full_stats
        self.clean_runs: list[list[str]] = []

    def run_stats_collection(self, runner: object, tests: list[str] | None = None) -> None:
        del runner, tests

    def get_mutant_runner(self, max_workers: int = 1) -> types.SimpleNamespace:
        del max_workers
        return types.SimpleNamespace(run_clean_tests=self._clean)

    def _clean(self, tests: list[str]) -> int:
        self.clean_runs.append(list(tests))
        return 0

    def cli(self, arguments: list[str]) -> None:
        assert arguments[0] == "run"
        # As mutmut's run: stats (all tests, or only the new ones), then the clean run.
        module = sys.modules["mutmut.__main__"]
        module.run_stats_collection(None, None if self.full_stats else ["t::new"])
        runner = module.get_mutant_runner(2)
        runner.run_clean_tests(["t::a", "t::b"])


@pytest.mark.parametrize(("full_stats", "clean_runs"), [(True, []), (False, [["t::a", "t::b"]])])
def test_the_clean_run_is_skipped_only_right_after_a_full_stats_run(
    monkeypatch, full_stats, clean_runs
):
    fake = _FakeMutmut(full_stats=full_stats)
    module = types.ModuleType("mutmut.__main__")
    for name in ("run_stats_collection", "get_mutant_runner", "cli"):
        setattr(module, name, getattr(fake, name))
    package = types.ModuleType("mutmut")
    package.__path__ = []
    monkeypatch.setitem(sys.modules, "mutmut", package)
    monkeypatch.setitem(sys.modules, "mutmut.__main__", module)
    mutation_mutmut.main(["--max-children", "2"])
    assert fake.clean_runs == clean_runs


#: A function whose results are memoised in a module-level table, as
#: ``kmodel.semantics.resources`` memoises pod requests, and a test that calls it.
MEMOISED = """
_MEMO = {}


def double(n):
    if n not in _MEMO:
        _MEMO[n] = _double(n)
    return _MEMO[n]


def _double(n):
    return n * 2


def halve(n):
    return n // 2
"""
#: ``halve``'s mutant ``n / 2`` gives 2.0, which equals 2: it survives, the others are killed.
MEMOISED_TEST = """
from calc.core import double, halve


def test_double():
    assert double(3) == 6


def test_halve():
    assert halve(4) == 2
"""


def _mutmut_verdicts(tmp_path: Path, isolation: dict[str, str]) -> dict[str, set[str]]:
    """mutmut's verdicts under ``isolation`` (its config keys), by mutated function."""
    (tmp_path / "calc").mkdir(parents=True)
    (tmp_path / "calc" / "__init__.py").write_text("")
    (tmp_path / "calc" / "core.py").write_text(MEMOISED)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_core.py").write_text(MEMOISED_TEST)
    keys = "".join(f'{key} = "{value}"\n' for key, value in isolation.items())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mutmut]\nsource_paths = ["calc/"]\n'
        'pytest_add_cli_args_test_selection = ["tests/"]\n' + keys
    )
    mutmut = [sys.executable, "-m", "mutmut"]
    subprocess.run([*mutmut, "run"], cwd=tmp_path, capture_output=True, check=True)
    listed = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    verdicts: dict[str, set[str]] = {}
    for line in listed.splitlines():
        name, _, verdict = line.strip().partition(": ")
        function = name.rpartition(".x_")[2].partition("__mutmut_")[0]
        verdicts.setdefault(function, set()).add(verdict)
    return verdicts


def test_a_mutant_does_not_inherit_the_stats_runs_memos(tmp_path):
    # The isolation make mutation uses: every mutant of the memoised helper is killed, and a
    # mutant no test can tell survives (the faithful tests pass in a mutant's process). Under
    # mutmut's default (fork from the process that ran the stats), the stats run's memo answers
    # for the helper and hides every mutant of it (the check can fail).
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    isolation = {key: config[key] for key in ("process_isolation", "forkserver_warmup")}
    ours = _mutmut_verdicts(tmp_path / "ours", isolation)
    assert ours["_double"] == {"killed"}
    assert ours["halve"] == {"killed", "survived"}
    assert _mutmut_verdicts(tmp_path / "default", {})["_double"] == {"survived"}


#: Collects make mutation's test selection as mutmut's fork server warms up, then prints how
#: many entries kmodel's process-wide memos hold.
COLLECT_THEN_COUNT_MEMOS = """
import sys

import pytest

pytest.main(["--collect-only", "-qqq", "-p", "no:cacheprovider", *sys.argv[1:]])

from kmodel.semantics import resources

units = resources._to_units.cache_info().currsize
print(len(resources._REQUEST_AMOUNTS), len(resources._POD_USAGE), units)
"""


def test_the_fork_servers_warm_up_computes_nothing_a_mutant_could_inherit():
    # The fork server collects the tests before forking each mutant's process: collecting must
    # run no model code, or the memos it fills would answer for the mutated functions.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert config["forkserver_warmup"] == "collect"
    selection = config["pytest_add_cli_args_test_selection"]
    shown = subprocess.run(
        [sys.executable, "-c", COLLECT_THEN_COUNT_MEMOS, *selection],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.splitlines()[-1] == "0 0 0"
