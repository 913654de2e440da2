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

from kmodel.cli.check import PROFILES
from kmodel.explore import explore
from kmodel.explore.spec import load_spec, spec_paths

SPECS = spec_paths(["specs"])
#: The budget: ``kmodel check --profile`` (``ci`` unless $HYPOTHESIS_PROFILE names another).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_spec_gives_its_expected_outcome(path: Path) -> None:
    """The spec's outcome under the profile's budget is the one it expects (no example database)."""
    spec = load_spec(path)
    examples, max_steps = PROFILES[PROFILE]
    findings = explore(spec.scenario, replace(spec.options, examples=examples, max_steps=max_steps))
    outcome = "violation" if findings else "pass"
    assert outcome == (spec.expect or "pass"), [f.violation.message for f in findings]
