"""Invariants read the objects, not the helpers they check: a bug in such a helper is caught.

Each test breaks one helper a component uses, inside the helper (monkeypatched from the test
side), that the Deployment, endpoints and DaemonSet invariants used to call themselves, runs
the cluster, and shows the invariant flags the state the broken helper leads to; the same run
with the faithful helper passes. Had the invariant called the helper, it would have moved with
the bug and stayed quiet (as each did before the invariants restated them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.components import controllers, network
from kmodel.cluster.model import Cluster, ClusterConfig, Program
from kmodel.cluster.user_actions import SetDaemonSetImage, SetImage
from kmodel.invariants import Monitor, make_invariant
from kmodel.invariants.base import Violation
from kmodel.objects.labels import label_selector_as_selector
from kmodel.semantics import daemonset as dsem
from kmodel.semantics import replicaset
from tests.helpers.cluster import daemonset, deployment, node, service

ROLLOUT = SetImage("default", "web", "app", "app:2")


def _roll_out(cluster: Cluster, monitor: Monitor, rollout: Action = ROLLOUT) -> list[Violation]:
    """Roll out (app:2 by default) step by step, each step judged; then judge the fixpoint.

    The last enabled action goes first: it lets a ReplicaSet scaled down delete its pods
    before the new ones start, where the bounds of a rollout matter.
    """
    cluster.settle()
    found = list(monitor.observe(cluster, step=cluster.step(rollout)))
    for _ in range(2_000):
        actions = cluster.enabled_actions()
        if not actions:
            break
        found.extend(monitor.observe(cluster, step=cluster.step(actions[-1])))
    cluster.settle()
    return [*found, *monitor.at_fixpoint(cluster)]


def _always_equal(_a: Mapping[str, Any], _b: Mapping[str, Any]) -> bool:
    return True


def _invariants(found: list[Violation]) -> set[str]:
    return {v.invariant for v in found}


@pytest.mark.parametrize("broken", [False, True])
def test_eventually_stable_tells_the_new_template_without_the_controllers_equality(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """A template equality that ignores the image: the controller never starts a rollout."""
    if broken:
        # Into the function itself, so every holder of a reference to it gets the bug.
        monkeypatch.setattr(controllers._equal_ignore_hash, "__code__", _always_equal.__code__)
    cluster = build_cluster([node("n1"), node("n2"), deployment(replicas=2), service()])
    found = _roll_out(cluster, Monitor([make_invariant("eventually_stable")]))
    assert _invariants(found) == ({"eventually_stable"} if broken else set())
    if broken:
        assert "did not finish its rollout" in found[0].message


@pytest.mark.parametrize("broken", [False, True])
def test_rolling_update_bounds_reads_the_strategy_defaults_itself(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """Defaults with maxUnavailable 100% (not 25%): the controller takes every old pod at once."""
    faithful = controllers._defaults_sharing

    def wrong_defaults(d: Mapping[str, Any]) -> dict[str, Any]:
        result = faithful(d)
        strategy = result["spec"]["strategy"]
        rolling = {**strategy["rollingUpdate"], "maxUnavailable": "100%"}
        result["spec"] = {**result["spec"], "strategy": {**strategy, "rollingUpdate": rolling}}
        return result

    if broken:  # what controllers.defaulted computes
        monkeypatch.setattr(controllers, "_defaults_sharing", wrong_defaults)
    cluster = build_cluster([node("n1"), node("n2"), deployment(replicas=4)])
    found = _roll_out(cluster, Monitor([make_invariant("rolling_update_bounds")]))
    assert _invariants(found) == ({"rolling_update_bounds"} if broken else set())
    if broken:
        assert "replicas - maxUnavailable = 3" in found[0].message


@pytest.mark.parametrize("broken", [False, True])
def test_eventually_stable_restates_the_endpoints_from_the_pods(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """An endpoints computation whose selector matches nothing: the Service never gets its pods."""
    nothing = label_selector_as_selector({"matchLabels": {"app": "nothing"}})
    if broken:  # what network.endpoints_for compiles the Service's selector with
        monkeypatch.setattr(network, "label_selector_as_selector", lambda *_a, **_k: nothing)
    cluster = build_cluster([node("n1"), node("n2"), deployment(replicas=2), service()])
    found = _roll_out(cluster, Monitor([make_invariant("eventually_stable")]))
    assert _invariants(found) == ({"eventually_stable"} if broken else set())
    if broken:
        assert "endpoints differ from its Ready pods" in found[0].message


@pytest.mark.parametrize("broken", [False, True])
def test_endpoints_ready_only_reads_the_ready_condition_itself(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """A Ready condition lookup that takes any True condition: unready new pods get traffic."""

    def any_true(pod: Mapping[str, Any]) -> Mapping[str, Any] | None:
        conditions = (pod.get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c.get("status") == "True"), None)

    if broken:  # what replicaset.is_pod_ready reads
        monkeypatch.setattr(replicaset, "_ready_condition", any_true)
    slow = ClusterConfig(programs={"app:2": Program(ready_after=30)})
    probed = deployment(replicas=2)
    container = probed["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"] = {"httpGet": {"path": "/", "port": 80}}
    cluster = build_cluster([node("n1"), node("n2"), probed, service()], config=slow)
    found = _roll_out(cluster, Monitor([make_invariant("endpoints_ready_only")]))
    assert _invariants(found) == ({"endpoints_ready_only"} if broken else set())


@pytest.mark.parametrize("broken", [False, True])
def test_daemonset_rollout_bounds_judges_which_nodes_should_run_the_pod_itself(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """Daemon pods without the controller's tolerations: a cordoned node gets no pod.

    The node should run one (the unschedulable taint is tolerated upstream), so it counts as
    unavailable from the start, and the rollout's first deletion takes the DaemonSet past
    maxUnavailable 1.
    """
    if broken:  # what the controller's eligibility and pod template read
        monkeypatch.setattr(dsem, "add_or_update_daemon_pod_tolerations", dict)
    cordoned = node("n3")
    cordoned["spec"] = {
        "unschedulable": True,
        "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
    }
    cluster = build_cluster([node("n1"), node("n2"), cordoned, daemonset()])
    found = _roll_out(
        cluster,
        Monitor([make_invariant("daemonset_rollout_bounds")]),
        SetDaemonSetImage("default", "agent", "a", "agent:2"),
    )
    assert _invariants(found) == ({"daemonset_rollout_bounds"} if broken else set())
