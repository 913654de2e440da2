"""Under mutmut: derandomized examples, a mutant's tests fastest first (``-x`` stops at the first
kill), a CPU budget per test, and no trace shortening for a mutant.

Loaded with ``-p properties.mutation_order`` (``[tool.mutmut] pytest_add_cli_args``). The
loaded Hypothesis profile keeps its budget but draws derandomized, so that a mutant is killed
or not the same way on every run. The durations are the ones mutmut measured on the faithful
model (its stats run); outside mutmut the order is left as collected.

While a mutant is under test (not in mutmut's stats, clean or forced-fail runs):

- each test may use :data:`BUDGET_FACTOR` times the seconds it took on the faithful model plus
  :data:`BUDGET_SLACK` seconds of CPU time; past that the mutant ends as a timeout (mutmut's
  exit code 36). The faithful model's own CPU time is below its measured duration (wall time,
  under the stats run's call tracing), so the faithful model never runs out of the budget,
  while a mutant that hangs the model stops within minutes, not mutmut's default of thirty
  times the whole test set;
- the property suite does not shorten a failing run's trace (``properties.tracekit``): mutmut
  reads only whether the tests failed, and the shortening replays up to 200 runs first.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator

import pytest
from hypothesis import settings

#: A test's CPU budget under a mutant: this many times its faithful duration, plus the slack.
BUDGET_FACTOR = 2.0
BUDGET_SLACK = 30.0
#: mutmut's exit code for a timeout (``mutmut.stats.status_by_exit_code``).
TIMEOUT_EXIT = 36


def pytest_configure(config: pytest.Config) -> None:
    """Derandomize whichever profile conftest.py loaded ($MUTATION_EXAMPLES: its budget)."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "ci")
    examples = os.environ.get("MUTATION_EXAMPLES")
    budget = {"max_examples": int(examples)} if examples else {}
    settings.register_profile("mutation", settings.get_profile(name), derandomize=True, **budget)
    settings.load_profile("mutation")
    if _mutant_under_test():
        from properties import tracekit  # noqa: PLC0415 (the property suite's helper)

        config.add_cleanup(_restore(tracekit, "shorten", tracekit.shorten))
        tracekit.shorten = lambda *_args, **_options: None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Sort the items by their measured duration, shortest first."""
    durations = _durations()
    if durations:
        items.sort(key=lambda item: durations.get(item.nodeid, float("inf")))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Run the test within its CPU budget while a mutant is under test."""
    measured = _durations().get(item.nodeid)
    if not _mutant_under_test() or measured is None:
        return (yield)
    previous = signal.signal(signal.SIGPROF, _timed_out)
    signal.setitimer(signal.ITIMER_PROF, BUDGET_FACTOR * measured + BUDGET_SLACK)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _timed_out(_signal: int, _frame: object) -> None:
    os._exit(TIMEOUT_EXIT)


def _mutant_under_test() -> bool:
    """Whether mutmut runs the tests against a mutant (its name says ``__mutmut_``)."""
    return "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", "")


def _durations() -> dict[str, float]:
    """Each test's duration on the faithful model, as mutmut measured it (empty outside)."""
    try:
        from mutmut.state import state  # noqa: PLC0415 (only there under mutmut)
    except ImportError:
        return {}
    return state().duration_by_test


def _restore(module: object, name: str, value: object) -> object:
    return lambda: setattr(module, name, value)
