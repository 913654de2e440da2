"""Deliberately broken components, injected from the test side (the model has no test switches).

Each mutant is a one-line departure from upstream behaviour: one component of the table
(:data:`kmodel.cluster.components.COMPONENTS`) replaced by one whose step actions override one
method of the faithful sync. A scenario runs one with ``ClusterConfig(components=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from kmodel.cluster.components import COMPONENTS
from kmodel.cluster.components.controllers import (
    SyncDeployment,
    SyncReplicaSet,
    deployment_actions,
    replicaset_actions,
)
from kmodel.cluster.components.network import SyncEndpoints, endpoint_actions, endpoints_for
from kmodel.cluster.informer import ObjectView
from kmodel.cluster.registry import ComponentTable
from kmodel.semantics.deployment import ReconcileOldPlan, ScaleAction


@dataclass(frozen=True)
class IgnoresMaxUnavailable(SyncDeployment):
    """Scales every old ReplicaSet to 0 at once, whatever maxUnavailable allows."""

    def scale_down_old(self, all_rss, active_old, new_rs, d) -> ReconcileOldPlan:
        actions = [ScaleAction(r["metadata"]["name"], r["spec"]["replicas"], 0) for r in active_old]
        removed = sum(a.from_replicas for a in actions)
        return ReconcileOldPlan(actions, 0, removed, scaled_down=bool(actions), max_scaled_down=0)


@dataclass(frozen=True)
class ScalesOldByName(SyncDeployment):
    """Orders old ReplicaSets by name alone, not by age (``ReplicaSetsByCreationTimestamp``)."""

    def scale_down_old(self, all_rss, active_old, new_rs, d) -> ReconcileOldPlan:
        def unstamped(rs: Any) -> Any:
            return {**rs, "metadata": {**rs["metadata"], "creationTimestamp": None}}

        return super().scale_down_old(all_rss, [unstamped(r) for r in active_old], new_rs, d)


@dataclass(frozen=True)
class CountsTerminating(SyncReplicaSet):
    """Counts terminating pods as active (upstream ``FilterActivePods`` leaves them out)."""

    def active_pods(self, pods: list[Any]) -> list[Any]:
        terminal = {"Succeeded", "Failed"}
        return [p for p in pods if (p.get("status") or {}).get("phase") not in terminal]


@dataclass(frozen=True)
class IncludesUnready(SyncEndpoints):
    """Lists every pod as a ready address, as if each Service published not-ready addresses."""

    def desired(self, service: dict[str, Any], view: ObjectView) -> dict[str, Any]:
        spec = {**(service.get("spec") or {}), "publishNotReadyAddresses": True}
        return endpoints_for({**service, "spec": spec}, view)


def with_sync(table: ComponentTable, component: str, steps: Any, sync: type) -> ComponentTable:
    """``table`` with ``component`` listing its steps as ``sync`` actions."""
    return table.replacing(replace(table[component], steps=partial(steps, sync=sync)))


#: The broken variants, by name: each the component table with one component replaced.
MUTANTS = {
    "deployment-ignores-max-unavailable": with_sync(
        COMPONENTS, "deployment", deployment_actions, IgnoresMaxUnavailable
    ),
    "deployment-scales-old-by-name": with_sync(
        COMPONENTS, "deployment", deployment_actions, ScalesOldByName
    ),
    "rs-counts-terminating": with_sync(
        COMPONENTS, "replicaset", replicaset_actions, CountsTerminating
    ),
    "endpoints-include-unready": with_sync(
        COMPONENTS, "endpoints", endpoint_actions, IncludesUnready
    ),
}
