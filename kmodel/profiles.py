"""Effort profiles: one table for the command line, the pytest plugin and the test suites.

``kmodel check --profile NAME`` and ``pytest --kmodel-profile NAME`` take a profile's examples and
steps per run; the repository's own tests register each profile with Hypothesis
(:func:`register_hypothesis_profiles`) and pick one with ``HYPOTHESIS_PROFILE``. Importing this
module imports nothing heavy (the pytest plugin reads the names at start-up): Hypothesis is
imported when the profiles are registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["PROFILES", "Profile", "register_hypothesis_profiles"]


@dataclass(frozen=True)
class Profile:
    """How hard to look.

    Attributes:
        examples: runs per search (Hypothesis ``max_examples``).
        max_steps: actions per run of ``kmodel check`` (the property suite's state machine
            keeps Hypothesis' own step count).
        summary: what the profile is for, in a few words.
        derandomize: the same examples on every run (CI); such a run also prints the blob that
            reproduces a failure and tolerates slow data generation on a loaded machine.
        shrink: shrink a counterexample (off: report failures as found, for fast triage; the
            Hypothesis profile then only generates, without replaying stored examples).
    """

    examples: int
    max_steps: int
    summary: str
    derandomize: bool = False
    shrink: bool = True


#: Every profile, by name.
PROFILES: Final[Mapping[str, Profile]] = MappingProxyType(
    {
        "dev": Profile(50, 25, "quick"),
        "ci": Profile(100, 40, "derandomized and bounded", derandomize=True),
        "nightly": Profile(5000, 80, "long"),
        "probe": Profile(200, 40, "no shrinking, for triage", shrink=False),
    }
)


def register_hypothesis_profiles() -> None:
    """Register every profile with Hypothesis under its name (no deadline: runs vary in time)."""
    from hypothesis import HealthCheck, Phase, settings  # noqa: PLC0415  # heavy; see above

    for name, profile in PROFILES.items():
        settings.register_profile(
            name,
            max_examples=profile.examples,
            deadline=None,
            derandomize=profile.derandomize,
            print_blob=profile.derandomize,
            suppress_health_check=[HealthCheck.too_slow] if profile.derandomize else [],
            phases=tuple(Phase) if profile.shrink else (Phase.explicit, Phase.generate),
        )
