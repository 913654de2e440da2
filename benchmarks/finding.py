"""Finding benchmark: how long the property suite takes to report a planted bug, and its trace.

The property suite's cluster state machine (``properties/test_cluster_model.py``) runs under a
Hypothesis profile (``ci`` by default, see ``kmodel.profiles``) with a deliberately broken component
injected from the test side, as the quality tests do (``tests/helpers/mutants.py``). For each
mutant it measures the time (wall clock, and CPU seconds of the process) from the start to the
first example that violates the invariant the mutant breaks (``MUTANTS``) and to the report
(the test fails with its counterexample), the number of actions in the reported trace (the
failing example Hypothesis reports, and the shortest trace the suite reports with it), and
which example was the first to violate. ``--examples N`` replaces the profile's budget (a
derandomized profile stays deterministic).

``python -m benchmarks finding [--profile ci] [--examples N] [--mutant NAME ...]``
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import settings
from hypothesis.stateful import initialize, run_state_machine_as_test
from rich.console import Console
from rich.table import Table

from kmodel.cluster.actions import Action
from kmodel.explore.determinism import seed_only_draws
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import Violation
from kmodel.profiles import register_hypothesis_profiles
from properties.test_cluster_model import (
    ClusterModel,
    TestClusterModel,
    scenarios,
    upstream_scale_stall,
)
from tests.helpers.mutants import MUTANTS as MUTANT_COMPONENTS

#: Mutants the property suite can see (every pod is Ready at once there, so no readiness ones),
#: each with the invariant it breaks and how that violation's message starts. Only such
#: violations are the planted bug's: what else the suite finds (other invariants, other
#: workloads) is left out of the measurement, so a finding of the faithful model's never stands
#: in for the mutant's.
MUTANTS = {
    "deployment-ignores-max-unavailable": ("rolling_update_bounds", "deployment "),
    "rs-counts-terminating": ("eventually_stable", "replicaset "),
}


@dataclass
class Outcome:
    """One mutant's measurement."""

    mutant: str
    first_violation: float | None
    report: float
    #: The same two in CPU seconds of this process (robust to other load on the machine).
    first_violation_cpu: float | None
    report_cpu: float
    #: Actions in the failing example Hypothesis reports.
    example_steps: int | None
    #: Actions in the shortest trace the suite reports, when it reports one.
    shortest_steps: int | None
    #: Which example (1 = the first) first violated an invariant, when one did.
    first_example: int | None
    message: str


def measure(mutant: str, profile: str, examples: int | None = None) -> Outcome:
    """Run the cluster state machine with ``mutant`` planted; time the first violation, report.

    ``examples`` replaces the profile's ``max_examples`` when given.
    """
    invariant, starts = MUTANTS[mutant]

    def planted(violation: Violation) -> bool:
        return violation.invariant == invariant and violation.message.startswith(starts)

    seen: dict[str, Any] = {
        "first": None,
        "first_cpu": None,
        "steps": None,
        "examples": 0,
        "first_example": None,
    }
    start, start_cpu = time.perf_counter(), time.process_time()

    def with_mutant(scenario: Scenario) -> Scenario:
        # The generated config (container programs, probes) stays; only the mutant is added.
        config = replace(scenario.config, components=MUTANT_COMPONENTS[mutant])
        return replace(scenario, config=config)

    class Timed(Run):
        """A run that notes when it first sees a violation the suite reports."""

        def _seen(self, found: list[Violation]) -> list[Violation]:
            if any(planted(v) for v in found) and seen["first"] is None:
                seen["first"] = time.perf_counter() - start
                seen["first_cpu"] = time.process_time() - start_cpu
                seen["first_example"] = seen["examples"]
            return found

        def do(self, action: Action) -> list[Violation]:
            return self._seen(super().do(action))

        def finish(self) -> list[Violation]:
            found = super().finish()
            self._seen([v for v in found if not upstream_scale_stall(self, v.message)])
            return found

    class Broken(ClusterModel):
        @initialize(scenario=scenarios().map(with_mutant))
        def build(self, scenario: Scenario) -> None:
            seen["examples"] += 1
            super().build(scenario)
            self.run.__class__ = Timed  # the same run, timed

        def fail(self, found: list[Violation]) -> None:
            mine = [v for v in found if planted(v)]
            if mine:
                super().fail(mine)

    # The suite's own phases (it shortens traces itself), the rest from the profile; no example
    # database: every run starts from scratch, as a first CI run does.
    register_hypothesis_profiles()
    chosen = settings(
        settings.get_profile(profile), database=None, phases=TestClusterModel.settings.phases
    )
    if examples is not None:
        chosen = settings(chosen, max_examples=examples)
    message = "no violation found"
    try:
        with seed_only_draws():
            run_state_machine_as_test(Broken, settings=chosen)
    except AssertionError as error:
        message = str(error)
        # The failing example Hypothesis reports lists one line per rule call.
        seen["steps"] = sum(
            str(note).startswith("state.step(") for note in getattr(error, "__notes__", ())
        )
    report, report_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    shortest = re.search(r"shortest trace found \((\d+) of", message)
    return Outcome(
        mutant,
        seen["first"],
        report,
        seen["first_cpu"],
        report_cpu,
        seen["steps"],
        int(shortest.group(1)) if shortest else None,
        seen["first_example"],
        message.splitlines()[0][:70],
    )


def main(argv: list[str]) -> int:
    """Measure each mutant and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks finding")
    parser.add_argument("--profile", default="ci", help="Hypothesis profile (kmodel.profiles)")
    parser.add_argument("--examples", type=int, default=None, help="default: the profile's")
    parser.add_argument("--mutant", action="append", choices=MUTANTS, help="default: all")
    args = parser.parse_args(argv)
    one, five, _ = os.getloadavg()
    chosen = args.mutant or list(MUTANTS)
    outcomes = [measure(mutant, args.profile, args.examples) for mutant in chosen]
    table = Table(title=f"property suite under the {args.profile!r} profile, one mutant each")
    columns = (
        "mutant",
        "first violation s (CPU s)",
        "report s (CPU s)",
        "example steps",
        "trace steps",
        "first violating example",
        "report",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in {"mutant", "report"} else "right")
    for o in outcomes:
        first = (
            "-"
            if o.first_violation is None or o.first_violation_cpu is None
            else f"{o.first_violation:.1f} ({o.first_violation_cpu:.1f})"
        )
        example = "-" if o.example_steps is None else str(o.example_steps)
        shortest = "-" if o.shortest_steps is None else str(o.shortest_steps)
        which = "-" if o.first_example is None else str(o.first_example)
        report = f"{o.report:.1f} ({o.report_cpu:.1f})"
        table.add_row(o.mutant, first, report, example, shortest, which, o.message)
    Console(width=max(Console().width, 180)).print(table)
    print(f"machine: load average {one:.2f} {five:.2f} before, on {os.cpu_count()} cores")
    return 0
