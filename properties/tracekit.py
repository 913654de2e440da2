"""Short counterexamples for the property suite: kmodel shortens a failing run's trace itself.

Hypothesis' shrinker spends minutes on the cluster state machine (every attempt builds, steps
and settles a cluster, and it also works on the generated cluster), so the state machine turns
it off and shortens the failing run's actions here instead: chunks of actions are removed,
largest first (delta debugging), and a shorter trace is kept when replaying it is still a trace
exploration could take (each action among the choices offered at its point) and still violates
the same invariant. The number of replays is bounded, so a report comes within seconds, and it
is deterministic (no clock).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kmodel.cluster.actions import Action
from kmodel.cluster.model import Cluster
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import Violation

#: Replays one shortening may take (each is a run of at most the failing run's length).
REPLAY_BUDGET = 200

#: Whether a violation at the end of a run counts (the suite sets aside an upstream stall).
Accept = Callable[[Run, Violation], bool]


@dataclass(frozen=True)
class Shortened:
    """A failing run's shortest trace found: its actions, its violation and the effort."""

    actions: tuple[Action, ...]
    violation: Violation
    at_fixpoint: bool
    replays: int


def replay(
    scenario: Scenario, initial: Cluster, actions: Sequence[Action], accept: Accept
) -> tuple[Violation, int, bool] | None:
    """The first violation of replaying ``actions``, with how many it took and whether at the end.

    None when nothing is violated or an action is not among the choices at its point (the trace
    is not one exploration could take).
    """
    run = Run(scenario, initial=initial)
    if run.violations:
        return run.violations[0], 0, False
    for index, action in enumerate(actions):
        if action not in run.choices():
            return None
        found = run.do(action)
        if found:
            return found[0], index + 1, False
    found = [v for v in run.finish() if accept(run, v)]
    return (found[0], len(actions), True) if found else None


def shorten(
    scenario: Scenario,
    actions: Sequence[Action],
    invariant: str,
    *,
    accept: Accept,
    budget: int = REPLAY_BUDGET,
) -> Shortened | None:
    """A shortest trace found that violates ``invariant`` as ``actions`` do (None if they don't).

    Removes chunks of actions, halving the chunk size whenever no chunk of the current size can
    go, until single actions cannot, or ``budget`` replays have run.
    """
    initial = scenario.build()
    replays = 0

    def attempt(candidate: Sequence[Action]) -> Shortened | None:
        nonlocal replays
        replays += 1
        outcome = replay(scenario, initial, candidate, accept)
        if outcome is None or outcome[0].invariant != invariant:
            return None
        violation, used, at_fixpoint = outcome
        return Shortened(tuple(candidate[:used]), violation, at_fixpoint, replays)

    best = attempt(actions)
    if best is None:
        return None
    size = max(len(best.actions) // 2, 1)
    while best.actions and replays < budget:
        start, removed = 0, False
        while start < len(best.actions) and replays < budget:
            shorter = attempt(best.actions[:start] + best.actions[start + size :])
            if shorter is not None:
                best, removed = shorter, True
            else:
                start += size
        if size == 1 and not removed:
            break
        size = max(size // 2, 1) if not removed else size
    return Shortened(best.actions, best.violation, best.at_fixpoint, replays)


def describe(shortened: Shortened, original: int) -> str:
    """The shortened trace in words, for an assertion message."""
    where = "after the components settle" if shortened.at_fixpoint else "at the last step"
    lines = [
        f"{shortened.violation.invariant} violated {where}: {shortened.violation.message}",
        (
            f"shortest trace found ({len(shortened.actions)} of {original} actions, "
            f"{shortened.replays} replays):"
        ),
        *(f"  {i}. {a.describe()}" for i, a in enumerate(shortened.actions, 1)),
    ]
    return "\n".join(lines)
