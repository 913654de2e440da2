"""Quality: a kubelet with a broken prober, injected from the test side, must be caught.

The scenario is the bundled startup-probe spec's: a rollout to a version that takes 45 s to
start, protected by its startup probe. The faithful model finishes the rollout; each broken
prober kills the slow starter before it can answer, so the rollout never finishes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from kmodel.cluster.components import kubelet
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.invariants import make_invariant
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
