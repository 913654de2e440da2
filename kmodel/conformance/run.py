"""Running scenarios on the engine and in the model side by side, and reporting the result.

:func:`run_conformance` runs each scenario in the model (deterministic, fast) and on the engine
(a few scenarios at a time, each with its own client and network), compares them, and removes
every resource of the run at the end, also after Ctrl-C, an exception or a timeout. The
committed ``expect:`` block of each scenario is checked against the model too: a stale block is
reported, as the model would no longer predict what the file says.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from kmodel.conformance.compare import (
    Disagreement,
    Observation,
    compare,
    expectation_from_history,
    outcome_from_history,
)
from kmodel.conformance.driver import DEFAULT_IMAGE, EngineRun, connect, ensure_image, remove_run
from kmodel.conformance.model_side import model_history
from kmodel.conformance.scenarios import Scenario

__all__ = ["ScenarioResult", "render", "run_conformance"]


@dataclass
class ScenarioResult:
    """The outcome of one scenario.

    Attributes:
        scenario: its name.
        file: its file.
        disagreements: where the engine and the model disagree.
        stale_expectation: the file's ``expect:`` block is not what the model computes now.
        engine: the engine's status history.
        model: the model's status history.
        seconds: wall time the engine run took.
    """

    scenario: str
    file: str
    disagreements: list[Disagreement] = field(default_factory=list)
    stale_expectation: bool = False
    engine: list[Observation] = field(default_factory=list)
    model: list[Observation] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def agrees(self) -> bool:
        """The engine agrees with the model and the file's expectation is current."""
        return not self.disagreements and not self.stale_expectation


def _one(
    scenario: Scenario,
    *,
    run_id: str,
    image: str,
    keep: bool,
    stopping: threading.Event,
) -> ScenarioResult:
    model = model_history(scenario)
    expect = expectation_from_history(model, window=scenario.window)
    client = connect()
    try:
        started = time.monotonic()
        with EngineRun(
            client, scenario, run_id=run_id, image=image, keep=keep, stopping=stopping
        ) as engine_run:
            engine = engine_run.run()
        seconds = time.monotonic() - started
    finally:
        client.close()
    outcome = outcome_from_history(engine, end=scenario.window)
    return ScenarioResult(
        scenario=scenario.name,
        file=scenario.file,
        disagreements=compare(scenario.name, expect, outcome),
        stale_expectation=bool(scenario.expect) and scenario.expect != expect,
        engine=engine,
        model=model,
        seconds=seconds,
    )


def run_conformance(
    scenarios: Sequence[Scenario],
    *,
    jobs: int = 4,
    image: str = DEFAULT_IMAGE,
    keep: bool = False,
    run_id: str | None = None,
    on_result: Callable[[ScenarioResult], None] | None = None,
) -> list[ScenarioResult]:
    """Run scenarios on the engine and in the model; results in scenario order.

    Raises:
        EngineError: no engine, no image, an engine failure or a timeout (nothing is left behind).
        KeyboardInterrupt: Ctrl-C (nothing is left behind either, unless ``keep``).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    client = connect()
    stopping = threading.Event()
    results: dict[str, ScenarioResult] = {}
    try:
        ensure_image(client, image=image)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {
                pool.submit(
                    _one, s, run_id=run_id, image=image, keep=keep, stopping=stopping
                ): s.name
                for s in scenarios
            }
            try:
                pending = set(futures)
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
                    for future in done:
                        result = future.result()  # re-raises a scenario's error here
                        results[futures[future]] = result
                        if on_result is not None:
                            on_result(result)
            except BaseException:
                stopping.set()  # the other scenarios stop at their next poll and clean up
                raise
    finally:
        stopping.set()
        if not keep:
            remove_run(client, run_id)
        client.close()
    return [results[s.name] for s in scenarios]


def _summary(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {
        "scenarios": len(results),
        "agree": sum(1 for r in results if r.agrees),
        "disagree": sum(1 for r in results if not r.agrees),
    }


def render(results: Sequence[ScenarioResult], output: str) -> str:
    """Render results as ``text``, ``json`` (one object, stable keys) or ``junit`` XML."""
    if output == "json":
        document = {
            "command": "conform",
            "summary": _summary(results),
            "scenarios": [
                {
                    "name": r.scenario,
                    "file": r.file,
                    "agrees": r.agrees,
                    "staleExpectation": r.stale_expectation,
                    "seconds": round(r.seconds, 2),
                    "disagreements": [d.as_json() for d in r.disagreements],
                }
                for r in results
            ],
        }
        return json.dumps(document, indent=2, sort_keys=False)
    if output == "junit":
        cases = []
        for r in results:
            problems = [d.message for d in r.disagreements]
            if r.stale_expectation:
                problems.append(
                    f"{r.file}: the expect: block is stale (kmodel conform --update-expect)"
                )
            body = ""
            if problems:
                text = escape("\n".join(problems))
                body = f"<failure message={quoteattr(problems[0])}>{text}</failure>"
            cases.append(
                f'  <testcase classname="conformance" name={quoteattr(r.scenario)} '
                f'time="{r.seconds:.2f}">{body}</testcase>'
            )
        failures = sum(1 for r in results if not r.agrees)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<testsuite name="kmodel conform" tests="{len(results)}" failures="{failures}">\n'
            + "\n".join(cases)
            + "\n</testsuite>"
        )
    lines = []
    for r in results:
        verdict = "agrees" if r.agrees else "DISAGREES"
        lines.append(f"{r.scenario}: {verdict} ({r.seconds:.1f}s on the engine)")
        lines.extend(f"  {d.message}" for d in r.disagreements)
        if r.stale_expectation:
            lines.append(
                f"  {r.file}: the expect: block is stale: run kmodel conform --update-expect"
            )
    summary = _summary(results)
    lines.append(f"{summary['agree']} of {summary['scenarios']} scenarios agree with the model")
    return "\n".join(lines)


def write_history(results: Sequence[ScenarioResult], path: str) -> None:
    """Write both sides' histories as JSON lines (one event per observation)."""
    with open(path, "w", encoding="utf-8") as handle:  # noqa: PTH123
        for r in results:
            for side, history in (("engine", r.engine), ("model", r.model)):
                for observation in history:
                    event = {"scenario": r.scenario, "side": side, **observation.as_json()}
                    handle.write(json.dumps(event, default=float, sort_keys=True) + "\n")
