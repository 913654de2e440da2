"""Quality: broken DaemonSet controllers, injected from the test side, that exploration catches.

Each variant replaces one decision function of :mod:`kmodel.semantics.daemonset` (which the
controller component calls through the module) with a departure from upstream; the
exploration that passes the faithful model must find the bug with a short trace.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from kmodel.cluster.components.daemonset import SyncDaemonSet
from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from kmodel.semantics import daemonset as dsem
from tests.helpers.cluster import daemonset
from tests.helpers.zones import NODES

ROLLOUT = UserAction(
    "rollout", {"daemonset": "default/agent", "container": "a", "images": ["agent:2"]}
)
OPTIONS = ExploreOptions(examples=40, max_steps=20, seed=0)


def scenario(invariant: str) -> Scenario:
    return Scenario(
        objects=copy.deepcopy([*NODES, daemonset()]),
        invariants=(make_invariant(invariant),),
        user_actions=(ROLLOUT,),
    )


def delete_every_old_pod(
    ds: Mapping[str, Any],
    nodes: Sequence[Mapping[str, Any]],
    node_to_pods: Mapping[str, Sequence[Mapping[str, Any]]],
    revision_hash: str,
    now: object,
    *,
    eligibility: dsem.Eligibility | None = None,
) -> dsem.RollingUpdatePlan:
    """A rolling update that ignores maxUnavailable: every old pod goes at once."""
    del ds, nodes, now, eligibility
    old = [
        p["metadata"]["name"]
        for name in sorted(node_to_pods)
        for p in node_to_pods[name]
        if not dsem.is_pod_updated(p, revision_hash)
    ]
    return dsem.RollingUpdatePlan(delete=tuple(old), create=())


def test_rolling_update_that_ignores_max_unavailable_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert explore(scenario("daemonset_rollout_bounds"), options=OPTIONS) == []
    monkeypatch.setattr(dsem, "rolling_update", delete_every_old_pod)
    findings = explore(scenario("daemonset_rollout_bounds"), options=OPTIONS)
    assert [f.invariant for f in findings] == ["daemonset_rollout_bounds"]
    assert len(findings[0].actions) <= 4
    assert "more than maxUnavailable = 1" in findings[0].violation.message


def test_manage_that_ignores_old_pods_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real_manage = dsem.manage
    assert explore(scenario("daemonset_one_pod_per_node"), options=OPTIONS) == []

    def manage_without_pods(
        ds: Mapping[str, Any],
        nodes: Sequence[Mapping[str, Any]],
        node_to_pods: Mapping[str, Sequence[Mapping[str, Any]]],
        revision_hash: str,
        now: int,
        *,
        eligibility: dsem.Eligibility | None = None,
        backoff: Mapping[str, Any] | None = None,
    ) -> dsem.ManagePlan:
        """Sees only pods of the current revision: old ones neither count nor go."""
        current = {
            name: [p for p in pods if dsem.is_pod_updated(p, revision_hash)]
            for name, pods in node_to_pods.items()
        }
        seen = {k: v for k, v in current.items() if v}
        return real_manage(
            ds, nodes, seen, revision_hash, now, eligibility=eligibility, backoff=backoff
        )

    monkeypatch.setattr(dsem, "manage", manage_without_pods)
    findings = explore(scenario("daemonset_one_pod_per_node"), options=OPTIONS)
    assert [f.invariant for f in findings] == ["daemonset_one_pod_per_node"]
    assert len(findings[0].actions) <= 4
    assert "more than 1" in findings[0].violation.message


def test_a_daemonset_controller_that_ignores_taints_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nodes = copy.deepcopy(NODES)
    nodes[0]["spec"] = {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}
    base = Scenario(
        objects=[*nodes, daemonset()],
        invariants=(make_invariant("daemonset_nodes_eligible"),),
        user_actions=(ROLLOUT,),  # pods created while checked (the start state is settled)
    )
    assert explore(base, options=OPTIONS) == []
    monkeypatch.setattr(dsem, "find_matching_untolerated_taint", lambda *_, **__: None)
    findings = explore(base, options=OPTIONS)
    assert [f.invariant for f in findings] == ["daemonset_nodes_eligible"]
    assert "untolerated taint dedicated:NoSchedule" in findings[0].violation.message


def test_a_daemonset_controller_that_never_deletes_old_pods_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rollout = scenario("daemonset_rolled_out")
    assert explore(rollout, options=OPTIONS) == []
    faithful = SyncDaemonSet._sync_nodes

    def keeps_old_pods(self: SyncDaemonSet, cluster: Any, ds: Any, delete: Any, *rest: Any) -> None:
        faithful(self, cluster, ds, [], *rest)

    monkeypatch.setattr(SyncDaemonSet, "_sync_nodes", keeps_old_pods)
    findings = explore(rollout, options=OPTIONS)
    assert [f.invariant for f in findings] == ["daemonset_rolled_out"]
    assert "still runs container a as agent:1, not agent:2" in findings[0].violation.message
