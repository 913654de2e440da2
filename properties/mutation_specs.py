"""The bundled specs as a test, one per spec: half of ``make mutation``'s test command.

``kmodel check specs/ --profile ci --check-expectations`` in-process (``$HYPOTHESIS_PROFILE``
names another budget), a test per spec so that
mutmut runs only the specs that reach a mutated function. The file is named outside pytest's
``test_*.py`` pattern: ``make test`` leaves it out (minutes under the ``ci`` budget), mutmut
names it explicitly (``[tool.mutmut]`` in pyproject.toml).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from kmodel.explore import explore
from kmodel.explore.spec import load_spec, spec_paths
from kmodel.profiles import PROFILES

#: The budget: ``kmodel check --profile`` (``ci`` unless $HYPOTHESIS_PROFILE names another),
#: or $MUTATION_EXAMPLES runs of $MUTATION_STEPS actions (a quick run on a loaded machine).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
EXAMPLES = int(os.environ.get("MUTATION_EXAMPLES") or PROFILES[PROFILE].examples)
MAX_STEPS = int(os.environ.get("MUTATION_STEPS") or PROFILES[PROFILE].max_steps)
#: Every spec; with a reduced budget only those expected to pass (a violation spec may need
#: more runs than the budget gives to find its violation on the faithful model).
SPECS = [
    path
    for path in spec_paths(["specs"])
    if not os.environ.get("MUTATION_EXAMPLES") or load_spec(path).expect != "violation"
]


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_spec_gives_its_expected_outcome(path: Path) -> None:
    """The spec's outcome under the profile's budget is the one it expects (no example database)."""
    spec = load_spec(path)
    # The outcome is whether a violation is found at all: not how short its trace is, nor
    # which other invariants a search after the first finding would find.
    options = replace(
        spec.options,
        examples=EXAMPLES,
        max_steps=MAX_STEPS,
        shrink=False,
        every_invariant=False,
    )
    findings = explore(spec.scenario, options=options)
    outcome = "violation" if findings else "pass"
    assert outcome == (spec.expect or "pass"), [f.violation.message for f in findings]
