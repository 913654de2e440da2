"""Units of ``kmodel check``: seed ranges and the rule that combines them into a spec's result.

The end-to-end runs (one process, a real Dask cluster, shards and ``kmodel merge``) are in
``tests/integration/test_scale_out.py``.
"""

from __future__ import annotations

from typing import cast

import pytest

from kmodel.errors import InputError
from kmodel.explore.run import LOOP_INVARIANT
from kmodel.explore.search import ExploreOptions, SeedRange, first_findings, seed_ranges
from kmodel.explore.trace import Trace
from kmodel.report.check import SpecResult, UnitResult, combine_units


def test_seed_ranges_split_the_budget_and_keep_the_seed_for_the_first() -> None:
    ranges = seed_ranges(ExploreOptions(examples=23, seed=7), size=5)
    assert [r.examples for r in ranges] == [5, 5, 5, 5, 3]
    assert ranges[0].seed == 7  # a budget within one unit is the search of the seed itself
    assert len({r.seed for r in ranges}) == len(ranges)
    assert seed_ranges(ExploreOptions(examples=23, seed=7), size=5) == ranges  # no state
    assert seed_ranges(ExploreOptions(examples=5, seed=7), size=5) == [SeedRange(0, 7, 5)]


def test_first_findings_is_the_range_by_which_every_invariant_was_found() -> None:
    assert first_findings([["a"], [], ["b", "a"], ["b"]], ["a", "b"]) == 2
    assert first_findings([["a"], ["a"]], ["a", "b"]) is None  # b held: every range counts
    assert first_findings([[]], []) == 0


def _unit(index: int, found: list[str], examples: int) -> UnitResult:
    coverage = {
        "runs": examples, "steps": 2 * examples, "distinct_states": 1, "workloads": [],
        "unscheduled": [], "faults": {"node-crash": index}, "user_actions": {},
        "actions": {"tick": examples}, "invariants": [
            {"name": n, "precondition": None, "checked_runs": examples, "met_runs": None,
             "exercised": True} for n in ("a", "b")
        ],
    }  # fmt: skip
    return UnitResult(
        path="spec.yaml", index=index, ranges=4, examples=examples, steps=2 * examples,
        coverage=coverage, states={index, 100}, found_names=found,
    )  # fmt: skip


def test_a_specs_result_does_not_depend_on_the_order_its_units_finished() -> None:
    units = [_unit(0, [], 5), _unit(1, ["b"], 4), _unit(2, ["a", "b"], 3), _unit(3, ["a"], 2)]
    found: list[tuple[object, ...]] = []
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):

        def trace(unit: UnitResult, invariant: str) -> Trace:
            return cast("Trace", (unit.index, invariant))  # which range's finding is taken

        result = combine_units(
            SpecResult("spec.yaml", "spec", "", None, ["a", "b"], 0),
            [units[i] for i in order],
            trace=trace,
        )
        coverage = result.coverage or {}
        found.append((result.traces, result.examples, result.steps, coverage["runs"],
                      coverage["distinct_states"], coverage["faults"]))  # fmt: skip
    # b from range 1, a from range 2 (its lowest), range 3 not needed: 5 + 4 + 3 examples.
    assert found == [([(1, "b"), (2, "a")], 12, 24, 12, 4, {"node-crash": 3})] * 3


def test_a_combined_result_refuses_a_needed_range_that_is_missing() -> None:
    with pytest.raises(InputError, match=r"seed ranges \[1\] were not checked"):
        combine_units(
            SpecResult("spec.yaml", "spec", "", None, ["a", "b"], 0),
            [_unit(0, ["a"], 5), _unit(2, ["b"], 5)],
            trace=lambda unit, name: cast("Trace", (unit.index, name)),
        )


def test_the_replacement_loop_check_listed_after_the_invariants_is_no_search_goal() -> None:
    # kmodel check lists no_replacement_loop after a spec's invariants; a finding of every
    # invariant of the spec in range 1 ends the result there (ranges 2 and 3 never ran).
    result = combine_units(
        SpecResult("spec.yaml", "spec", "", None, ["a", LOOP_INVARIANT], 0),
        [_unit(0, [], 5), _unit(1, ["a"], 4)],
        trace=lambda unit, name: cast("Trace", (unit.index, name)),
    )
    assert (result.traces, result.examples) == ([(1, "a")], 9)
