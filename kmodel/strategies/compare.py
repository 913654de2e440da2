"""Explore every strategy under every failure mode; keep each worst case and the run reaching it.

For each (strategy, failure mode) pair, the nominal run (the deployment with nothing else
chosen) comes first, then Hypothesis draws interleavings: component steps, clock ticks and
faults within the spec's budget, up to ``maxSteps`` chosen actions, after which the components
finish the deployment (:meth:`~kmodel.strategies.run.StrategyRun.finish`). Every figure's worst
value over the runs explored is kept with the actions of the first run that reached it, so each
figure in the table is backed by a trace that replays (:mod:`kmodel.strategies.trace`).
"Proven by exploration" means: the worst case among the runs explored, not over all runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from hypothesis import HealthCheck, Phase, given, seed, settings, target
from hypothesis import strategies as st

from kmodel.cluster.actions import Action
from kmodel.explore.search import ExploreOptions
from kmodel.strategies.run import StrategyRun, StrategyScenario, run_strategy
from kmodel.strategies.spec import StrategiesSpec

__all__ = [
    "FIGURES",
    "OUTCOME_RANK",
    "CaseResult",
    "Witness",
    "compare",
    "explore_case",
    "figure_values",
]

#: Figures measured per run, and which way is worse (``outcome`` by :data:`OUTCOME_RANK`).
FIGURES: Final = {
    "min_capacity": "min",
    "min_good_capacity": "min",
    "peak_extra": "max",
    "steps": "max",
    "seconds": "max",
    "bad_share": "max",
    "failed_share": "max",
    "outcome": "rank",
    "new_before_healthy": "max",
}

#: How bad each way a deployment ends is, by whether the release was a broken one: never
#: ending is worst; a broken release that ends deployed is worse than one rolled back.
OUTCOME_RANK: Final = {
    True: {"Failed": 0, "Succeeded": 1, "Incomplete": 2},
    False: {"Succeeded": 0, "Failed": 1, "Incomplete": 2},
}

Value = int | Fraction | str | None


def figure_values(run: StrategyRun) -> dict[str, Value]:
    """Every figure of a finished run (``steps``/``seconds`` are None if it never ended).

    ``outcome`` is how the deployment ended; ``new_before_healthy`` is 1 when the new version
    served traffic before as many of its instances as the capacity were healthy, else 0.
    """
    figures = run.meter.figures
    bad = run.scenario.bad_image
    return {
        "min_capacity": figures.min_capacity,
        "min_good_capacity": figures.min_good_capacity,
        "peak_extra": figures.peak_extra,
        "steps": figures.steps,
        "seconds": figures.seconds,
        "bad_share": figures.share(bad) if bad else Fraction(0),
        "failed_share": figures.share(""),
        "outcome": figures.outcome,
        "new_before_healthy": int(figures.new_before_group_healthy),
    }


def _worse(figure: str, candidate: Value, current: Value, *, broken: bool) -> bool:
    """Whether ``candidate`` is strictly worse than ``current`` (never ending is worst)."""
    if FIGURES[figure] == "rank":
        ranks = OUTCOME_RANK[broken]
        return ranks[str(candidate)] > ranks[str(current)]
    if FIGURES[figure] == "max":
        if current is None:
            return False
        return candidate is None or candidate > current  # type: ignore[operator]
    assert candidate is not None  # noqa: S101  # minimised figures are always measured
    assert current is not None  # noqa: S101
    return candidate < current  # type: ignore[operator]


@dataclass(frozen=True)
class Witness:
    """The run that reaches a worst case: its chosen actions and the value it shows."""

    figure: str
    value: Value
    actions: tuple[Action, ...]


@dataclass
class CaseResult:
    """What exploring one strategy under one failure mode showed.

    Attributes:
        strategy: the strategy's name.
        failure: the failure mode (``none``: a good release).
        runs: how many runs were explored.
        worst: each figure's worst value over the runs.
        witnesses: the run that reaches each worst value.
        outcomes: how the runs ended (``Succeeded``, ``Failed``, ``Incomplete``) and how often.
        nominal: the figures of the nominal run (nothing chosen but the deployment).
        nominal_series: serving capacity after each step of the nominal run.
        replacement_loop: the replacement loop the first run that stopped at one stopped at,
            described (see :mod:`kmodel.cluster.replacement`); that run ends ``Incomplete``.
    """

    strategy: str
    failure: str
    runs: int = 0
    worst: dict[str, Value] = field(default_factory=dict)
    witnesses: dict[str, Witness] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    nominal: dict[str, Value] = field(default_factory=dict)
    nominal_series: list[tuple[int, int]] = field(default_factory=list)
    replacement_loop: str | None = None

    def record(self, run: StrategyRun, actions: tuple[Action, ...]) -> None:
        """Fold one finished run into the worst cases."""
        values = figure_values(run)
        if self.runs == 0:
            self.nominal = dict(values)
            self.nominal_series = list(run.meter.figures.capacity_series)
        self.runs += 1
        outcome = run.meter.figures.outcome
        if self.replacement_loop is None:
            self.replacement_loop = run.replacement_loop
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        broken = self.failure != "none"
        for figure, value in values.items():
            current = self.worst.get(figure)
            if figure not in self.worst or _worse(figure, value, current, broken=broken):
                self.worst[figure] = value
                self.witnesses[figure] = Witness(figure, value, actions)


def explore_case(
    spec: StrategiesSpec,
    strategy: str,
    failure: str,
    *,
    options: ExploreOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> CaseResult:
    """Explore one strategy under one failure mode.

    Raises:
        InputError: an unknown strategy or failure mode.
    """
    options = options or spec.options
    scenario = spec.scenario(strategy, failure)
    result = CaseResult(strategy, failure)
    assert scenario.start is not None  # noqa: S101  # spec.scenario always sets it
    nominal = (scenario.start,)
    result.record(run_strategy(scenario, nominal), nominal)
    _search(scenario, options, result, progress)
    return result


def _search(
    scenario: StrategyScenario,
    options: ExploreOptions,
    result: CaseResult,
    progress: Callable[[int], None] | None,
) -> None:
    start = scenario.start
    assert start is not None  # noqa: S101

    @seed(options.seed)
    @settings(
        max_examples=options.examples,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(st.data())
    def probe(data: st.DataObject) -> None:
        length = data.draw(st.integers(0, options.max_steps), label="steps")
        run = StrategyRun(scenario)
        taken: list[Action] = [start]
        run.do(start)
        for _ in range(length):
            if run.meter.done:
                break
            choices = run.choices()
            action = choices[data.draw(st.integers(0, len(choices) - 1), label="choice")]
            taken.append(action)
            run.do(action)
        run.finish()
        result.record(run, tuple(taken))
        values = figure_values(run)
        # Guide the search towards the worst cases.
        target(-float(values["min_capacity"] or 0), label="capacity loss")
        target(float(values["bad_share"] or 0), label="bad share")
        target(float(values["peak_extra"] or 0), label="extra")
        if progress is not None:
            progress(result.runs)

    probe()


def compare(
    spec: StrategiesSpec,
    *,
    options: ExploreOptions | None = None,
    progress: Callable[[str, str, int], None] | None = None,
) -> list[CaseResult]:
    """Explore every strategy of the spec under every failure mode, in the spec's order."""
    results = []
    for strategy in spec.strategies:
        for failure in spec.failure_modes:

            def report(runs: int, name: str = strategy.name, mode: str = failure) -> None:
                if progress is not None:
                    progress(name, mode, runs)

            results.append(
                explore_case(spec, strategy.name, failure, options=options, progress=report)
            )
    return results
