"""The packer proves what it should on classic hard instances (BPPLIB, when the data is there).

The shared benchmark folder is not part of the project (``../shared/benchmarks``); without it
these tests are skipped. Known optima come from the folder's ``optima.csv``, never from kmodel.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from kmodel.placement import (
    PackingProblem,
    SolveOptions,
    bin_packing_problem,
    check_placement,
    solve,
)
from tests.helpers.paths import BPPLIB


def _instance(name: str) -> tuple[PackingProblem, int]:
    tokens = (BPPLIB / f"{name}.txt").read_text().split()
    n, capacity = int(tokens[0]), int(tokens[1])
    weights = Counter(int(t) for t in tokens[2 : 2 + n])
    with (BPPLIB / "optima.csv").open(newline="") as fh:
        optimum = next(int(r["optimal_bins"]) for r in csv.DictReader(fh) if r["instance"] == name)
    return bin_packing_problem([capacity], [((w,), c) for w, c in weights.items()]), optimum


@pytest.mark.skipif(not BPPLIB.is_dir(), reason="shared benchmark data not present")
@pytest.mark.parametrize(
    ("name", "proof"),
    [
        # No integer round-up: the rounded LP bound is one below the optimum, which only the
        # enumeration's "no packing at the bound" proves.
        ("Hard28_BPP14", "bound reduced-cost enumeration"),
        ("Waescher_TEST0022", "bound reduced-cost enumeration"),
        # The bound is right; the packing at it is what is hard to find.
        ("Hard28_BPP13", "reduced-cost enumeration"),
    ],
)
def test_hard_instances_are_proven_optimal(name, proof):
    problem, optimum = _instance(name)
    # Generous: the benchmark measures speed; this checks the proof (the machine may be busy).
    result = solve(problem, options=SolveOptions(time_limit=60))
    assert result.optimal
    assert result.nodes_used == optimum == result.lower_bound
    assert proof in result.method
    assert not check_placement(problem, result.placement)
    assert len(result.placement) == problem.n_items
