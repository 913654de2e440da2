"""Quality: a broken HorizontalPodAutoscaler, injected from the test, that exploration catches.

The bundled spec passes with the faithful controller; replacing one decision function (no
scale-down stabilization, or a maxReplicas clamp off by one) must be found by exploration.
"""

from __future__ import annotations

import dataclasses

import pytest

from kmodel.explore import ExploreOptions, explore
from kmodel.explore.spec import load_spec
from kmodel.invariants import make_invariant
from kmodel.semantics import hpa
from tests.helpers.paths import ROOT

SPEC = ROOT / "specs" / "hpa-scale-up-during-rollout.yaml"
OPTIONS = ExploreOptions(examples=60, max_steps=30, seed=0)


def _scenario():
    """The bundled spec's scenario; a broken HPA flaps forever, so settle over 300 s only."""
    scenario = load_spec(SPEC).scenario
    config = dataclasses.replace(scenario.config, settle_horizon=300)
    return dataclasses.replace(scenario, config=config)


def _invariants(findings: list) -> list[str]:
    return [f.invariant for f in findings]


def test_faithful_hpa_passes() -> None:
    assert explore(load_spec(SPEC).scenario, options=OPTIONS) == []


def test_hpa_without_scale_down_stabilization_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def unstabilized(recommendations, *, current, desired, up, down, now):
        return desired, (*recommendations, hpa.Recommendation(desired, now))

    monkeypatch.setattr(hpa, "stabilize_recommendation_with_behaviors", unstabilized)
    findings = explore(_scenario(), options=OPTIONS)
    assert _invariants(findings) == ["hpa_no_flapping"]
    assert "after scaling up" in findings[0].violation.message


def test_hpa_that_ignores_max_replicas_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    faithful = hpa.convert_desired_replicas_with_behavior_rate

    def unclamped(**kwargs):
        return faithful(**{**kwargs, "max_replicas": kwargs["max_replicas"] + 1})

    monkeypatch.setattr(hpa, "convert_desired_replicas_with_behavior_rate", unclamped)
    findings = explore(_scenario(), options=OPTIONS)
    assert _invariants(findings) == ["hpa_within_bounds"]
    assert "outside [3, 8]" in findings[0].violation.message


def test_hpa_that_misreports_why_it_is_limited_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    faithful = hpa.convert_desired_replicas_with_behavior_rate

    def misreported(**kwargs):
        limit = faithful(**kwargs)
        if limit.reason == "TooManyReplicas":  # held at maxReplicas, said to be at minReplicas
            return dataclasses.replace(limit, reason="TooFewReplicas")
        return limit

    scenario = _scenario()
    limits = make_invariant("hpa_limits_consistent")
    scenario = dataclasses.replace(scenario, invariants=(*scenario.invariants, limits))
    assert explore(scenario, options=OPTIONS) == []
    monkeypatch.setattr(hpa, "convert_desired_replicas_with_behavior_rate", misreported)
    findings = explore(scenario, options=OPTIONS)
    assert _invariants(findings) == ["hpa_limits_consistent"]
    assert "ScalingLimited TooFewReplicas but desiredReplicas is 8" in findings[0].violation.message


def test_hpa_that_reports_a_fractional_utilization_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    faithful = hpa._resource_utilization_ratio

    def fractional(metrics, requests, target_utilization):
        ratio, _, raw = faithful(metrics, requests, target_utilization)
        exact = (
            sum(v for k, v in metrics.items() if k in requests)
            * 100
            / sum(v for k, v in requests.items() if k in metrics)
        )
        return ratio, exact, raw  # upstream truncates it to an int32 percentage

    options = ExploreOptions(examples=5, max_steps=6, seed=0)
    scenario = _scenario()
    assert explore(scenario, options=options) == []
    monkeypatch.setattr(hpa, "_resource_utilization_ratio", fractional)
    findings = explore(scenario, options=options)
    assert _invariants(findings) == ["hpa_utilization_whole"]
    assert "not a whole percentage" in findings[0].violation.message
