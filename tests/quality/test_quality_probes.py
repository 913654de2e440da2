"""Quality: a kubelet with a broken prober, injected from the test side, must be caught.

The first scenario is the bundled startup-probe spec's: a rollout to a version that takes 45 s
to start, protected by its startup probe. The faithful model finishes the rollout; each broken
prober kills the slow starter before it can answer, so the rollout never finishes. The second
is the bundled ``readiness-slow-probe`` spec: each broken readiness prober turns a Ready
container unready before ``failureThreshold`` slow probes have failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from kmodel.cluster.components import kubelet
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.explore.spec import load_spec
from kmodel.invariants import make_invariant
from kmodel.semantics.probes import ProbeAnswers, ProbeTimings
from tests.helpers.paths import ROOT
from tests.helpers.zones import NODES, web

SLOW = "registry.example.com/app:2"
OPTIONS = ExploreOptions(examples=30, max_steps=8, seed=0)


def probed_rollout() -> Scenario:
    objects = web(2, 1, 0, probe=True)
    container = objects[0]["spec"]["template"]["spec"]["containers"][0]
    container["startupProbe"] = {
        "httpGet": {"path": "/", "port": 80},
        "periodSeconds": 10,
        "failureThreshold": 10,
    }
    container["livenessProbe"] = {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}
    return Scenario(
        objects=[*NODES, *objects],
        user_actions=(
            UserAction("rollout", {"deployment": "web", "container": "app", "images": [SLOW]}),
        ),
        invariants=(make_invariant("eventually_stable"),),
        config=ClusterConfig(programs={SLOW: Program(starts_after=45)}),
        ticks=(10, 60),
    )


def ignore_the_startup_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Liveness probes run from the container's start, as if it had no startup probe."""
    monkeypatch.setattr(
        kubelet,
        "_started_since",
        lambda _cluster, _runtime, _container, record: record["startedAt"],
    )


def ignore_the_failure_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """One failed probe is enough to kill (``failureThreshold`` read as 1)."""
    timings = kubelet.probe_timings
    monkeypatch.setattr(
        kubelet,
        "probe_timings",
        lambda probe: dataclasses.replace(timings(probe), failure_threshold=1),
    )


@pytest.mark.parametrize("breakage", [ignore_the_startup_gate, ignore_the_failure_threshold])
def test_a_broken_prober_that_kills_a_slow_starter_is_caught(
    monkeypatch: pytest.MonkeyPatch, breakage: Callable[[pytest.MonkeyPatch], None]
) -> None:
    assert explore(probed_rollout(), options=OPTIONS) == []
    breakage(monkeypatch)
    findings = explore(probed_rollout(), options=OPTIONS)
    assert [f.invariant for f in findings] == ["eventually_stable"]
    assert findings[0].at_fixpoint
    assert len(findings[0].actions) <= 2
    assert "did not finish its rollout" in findings[0].violation.message


def slow_readiness() -> Scenario:
    """The bundled ``readiness-slow-probe`` spec: 3 s probes, failing 40 s after each start."""
    return load_spec(ROOT / "specs" / "readiness-slow-probe.yaml").scenario


def count_the_probe_duration_backwards(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last failed probe's answer is taken a probe's duration before it, not after."""
    result = kubelet.readiness_result

    def backwards(timings: ProbeTimings, answers: ProbeAnswers, **times: Any) -> bool:
        return result(timings, dataclasses.replace(answers, latency=-answers.latency), **times)

    monkeypatch.setattr(kubelet, "readiness_result", backwards)


def drop_readiness_at_the_first_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readiness drops at the first failed probe (its ``failureThreshold`` read as 1)."""
    result = kubelet.readiness_result

    def hasty(timings: ProbeTimings, answers: ProbeAnswers, **times: Any) -> bool:
        return result(dataclasses.replace(timings, failure_threshold=1), answers, **times)

    monkeypatch.setattr(kubelet, "readiness_result", hasty)


@pytest.mark.parametrize(
    "breakage", [count_the_probe_duration_backwards, drop_readiness_at_the_first_failure]
)
def test_a_prober_that_drops_readiness_too_soon_is_caught(
    monkeypatch: pytest.MonkeyPatch, breakage: Callable[[pytest.MonkeyPatch], None]
) -> None:
    options = ExploreOptions(examples=30, max_steps=8, seed=0)
    assert explore(slow_readiness(), options=options) == []
    breakage(monkeypatch)
    findings = explore(slow_readiness(), options=options)
    assert [f.invariant for f in findings] == ["readiness_kept_until_failures"]
    assert "turned unready at" in findings[0].violation.message
