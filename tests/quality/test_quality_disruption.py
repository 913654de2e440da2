"""Quality: broken disruption controllers and eviction APIs, injected from the test side.

The faithful model raises nothing on these scenarios; each broken variant is a plausible bug
(the model's own former shortcuts among them) and is caught under the ``ci`` profile:

* a controller that leaves terminal pods out of a budget (upstream's ``getPodsForPdb`` lists
  every matching pod, so a finished Job's pods stay expected under an integer
  ``minAvailable``) is caught by ``pdb_status_current``;
* a controller that counts the covered pods as expected instead of their controllers' scale
  (no ``getExpectedScale``) lets a ``maxUnavailable`` budget over DaemonSet pods allow a
  disruption where upstream's sync fails safe (SyncFailed, 0 allowed): ``pdb_status_current``;
* an eviction API that ignores ``disruptionsAllowed`` is caught by ``pdb_respected``;
* an eviction API that applies the unhealthy-pod shortcut (delete without decrementing while
  ``currentHealthy >= desiredHealthy > 0``) to Ready pods too, which upstream's
  ``EvictionREST.Create`` keeps for pods that are not Ready, is caught by ``pdb_respected``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.cluster.components import disruption
from kmodel.cluster.model import ClusterConfig, Program
from kmodel.explore import Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from tests.helpers.cluster import CI_BUDGET, daemonset, deployment, job, node


def budget(selector: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "budget", "namespace": "default"},
        "spec": {"selector": {"matchLabels": selector}, **spec},
    }


JOB = job("batch", "registry.example.com/batch:1", completions=2, parallelism=2)


def test_a_controller_that_drops_terminal_pods_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = Scenario(
        objects=[node("n1"), JOB, budget({"job-name": "batch"}, minAvailable=1)],
        invariants=(make_invariant("pdb_status_current"),),
        config=ClusterConfig(programs={"registry.example.com/batch:1": Program(run_for=5)}),
        ticks=(10, 60),
    )
    assert explore(scenario, options=CI_BUDGET) == []
    faithful = disruption.pods_for_pdb

    def without_terminal(pdb: Any, view: Any) -> list[Any]:
        terminal = {"Succeeded", "Failed"}
        pods = faithful(pdb, view)
        return [p for p in pods if (p.get("status") or {}).get("phase") not in terminal]

    monkeypatch.setattr(disruption, "pods_for_pdb", without_terminal)
    findings = explore(scenario, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["pdb_status_current"]
    assert "expectedPods 0 (want 2)" in findings[0].violation.message


def test_a_controller_that_counts_pods_instead_of_scale_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = Scenario(
        objects=[node("n1"), node("n2"), daemonset(), budget({"app": "agent"}, maxUnavailable=1)],
        invariants=(make_invariant("pdb_status_current"),),
    )
    assert explore(scenario, options=CI_BUDGET) == []
    monkeypatch.setattr(disruption, "expected_scale", lambda pods, view, api: (len(pods), []))
    findings = explore(scenario, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["pdb_status_current"]
    message = findings[0].violation.message
    assert "allows 1 disruptions (condition SufficientPods) at rest" in message
    assert "owned by a DaemonSet, which has no replicas" in message


def drain_both_nodes(*, replicas: int, min_available: int) -> Scenario:
    """The web Deployment under a ``minAvailable`` budget, both nodes drained, pdb_respected."""
    return Scenario(
        objects=[
            node("n1"),
            node("n2"),
            deployment(replicas=replicas),
            budget({"app": "web"}, minAvailable=min_available),
        ],
        user_actions=[UserAction("drain", {"nodes": ["n1", "n2"]}, 1)],
        invariants=(make_invariant("pdb_respected"),),
    )


def test_an_eviction_api_that_ignores_the_budget_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = drain_both_nodes(replicas=1, min_available=1)
    assert explore(scenario, options=CI_BUDGET) == []
    faithful = disruption.int_at

    def always_allowed(obj: Any, dotted: str, **kwargs: Any) -> int:
        return 1 if dotted == "status.disruptionsAllowed" else faithful(obj, dotted, **kwargs)

    monkeypatch.setattr(disruption, "int_at", always_allowed)
    findings = explore(scenario, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["pdb_respected"]
    assert "with 0 healthy pods, fewer than 1" in findings[0].violation.message


def test_an_eviction_api_that_lets_ready_pods_skip_the_budget_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # minAvailable 2 over 2 replicas: currentHealthy 2 >= desiredHealthy 2 > 0 and no
    # disruption allowed, so the faithful API refuses every Ready pod with 429.
    scenario = drain_both_nodes(replicas=2, min_available=2)
    assert explore(scenario, options=CI_BUDGET) == []

    def shortcut_for_every_pod(pdb: Any, pod: Any) -> bool:
        status = pdb.get("status") or {}
        desired = status.get("desiredHealthy", 0)
        return bool(status.get("currentHealthy", 0) >= desired > 0)

    monkeypatch.setattr(disruption, "_unhealthy_pod_may_go", shortcut_for_every_pod)
    findings = explore(scenario, options=CI_BUDGET)
    assert [f.invariant for f in findings] == ["pdb_respected"]
    assert "with 1 healthy pods, fewer than 2" in findings[0].violation.message
