"""The model's caches never change an answer: a warm cluster agrees with a cold copy.

The cluster caches derived results (scheduling cycles, dry runs of controller syncs, pod
indexes) under keys meant to hold everything the result depends on. A key that misses a
dependency shows up here as a warm cluster listing other enabled actions than a copy of it with
every cache emptied, somewhere along a seeded walk with faults that make informers lag, drop
events and relist.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import TypeVar

import pytest

from kmodel.cluster import model
from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.components import COMPONENTS, storage
from kmodel.cluster.components.controllers import _defaults_sharing
from kmodel.cluster.components.disruption import SyncDisruptionBudget
from kmodel.cluster.components.network import SyncEndpoints, endpoints_for
from kmodel.cluster.components.storage import BindVolume
from kmodel.cluster.faults import (
    ControllerRestart,
    NodeCrash,
    NodeRecover,
    WatchDelay,
    WatchDeliver,
    WatchDrop,
)
from kmodel.cluster.informer import Informer
from kmodel.cluster.model import Cluster
from kmodel.cluster.store import APIStore
from kmodel.cluster.user_actions import ScaleDeployment, SetImage
from kmodel.errors import InputError
from kmodel.invariants import Monitor
from kmodel.objects.defaults import set_defaults_deployment
from tests.helpers.scheduling import make_deployment

A = TypeVar("A", bound=Action)


def node(name: str, zone: str) -> dict:
    resources = {"cpu": "2", "memory": "4Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone},
        },
        "status": {"allocatable": resources, "capacity": dict(resources)},
    }


def deployment(name: str, replicas: int, **spec: object) -> dict:
    container = {"name": "app", "image": "app:1", "resources": {"requests": {"cpu": "500m"}}}
    return make_deployment(name, replicas, [container], **spec)


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80}]},
    }


def small_cluster() -> Cluster:
    cluster = build_cluster(
        [
            node("n1", "a"),
            node("n2", "b"),
            node("n3", "a"),
            deployment("web", 3, minReadySeconds=3),
            deployment("api", 2, strategy={"type": "Recreate"}, minReadySeconds=5),
            service("web"),
        ]
    )
    cluster.settle()
    return cluster


def cold(cluster: Cluster) -> Cluster:
    """A copy of ``cluster`` with every cache emptied (informer key lists included)."""
    twin = copy.deepcopy(cluster)
    twin.cache.clear()
    twin.derived.clear()
    twin.derived_parent = None
    for informer in twin.informers.values():
        informer._sorted.clear()  # a cache too
    return twin


def disturbance(cluster: Cluster, rng: random.Random) -> Action | None:
    """Now and then a user action or a fault, as exploration mixes them in."""
    roll = rng.random()
    component = rng.choice(COMPONENTS.informer_names)
    choices: list[Action] = [
        Tick(rng.choice((1, 5, 30, 301))),
        SetImage("default", rng.choice(("web", "api")), "app", rng.choice(("app:1", "app:2"))),
        ScaleDeployment("default", rng.choice(("web", "api")), rng.randint(0, 4)),
        NodeCrash("n2") if cluster.machines["n2"].up else NodeRecover("n2"),
        WatchDrop(component),
        WatchDelay(component),
        WatchDeliver(component),
        ControllerRestart(component),
    ]
    return rng.choice(choices) if roll < 0.3 else None


def test_a_warm_cluster_lists_what_a_cold_copy_lists_along_a_walk_with_faults():
    rng = random.Random(7)  # noqa: S311 - a seeded walk, not cryptography
    cluster = small_cluster()
    warm_monitor, cold_monitor = Monitor.default(), Monitor.default()
    compared = 0
    for _ in range(80):
        action = disturbance(cluster, rng)
        if action is None:
            enabled = cluster.enabled_actions()
            assert enabled == cold(cluster).enabled_actions()
            compared += 1
            action = rng.choice(enabled) if enabled else Tick(10)
        step = cluster.step(action)
        # The invariants cache what they derive too: the same violations, the same history.
        assert warm_monitor.observe(cluster, step=step) == cold_monitor.observe(
            cold(cluster), step=step
        )
        assert warm_monitor.history == cold_monitor.history
    assert compared > 40


def test_cached_invariants_still_see_an_overcommitted_node():
    cluster = small_cluster()
    monitor = Monitor.default()
    assert monitor.observe(cluster) == []
    # Shrink n1 under the pods bound to it (as a resize the model never does by itself).
    n1 = cluster.store.objects[("Node", "", "n1")]
    shrunk = {**n1, "status": {**n1["status"], "allocatable": {"cpu": "100m", "pods": "1"}}}
    cluster.store.update(shrunk)
    found = {(v.invariant, v.values["resource"]) for v in monitor.observe(cluster)}
    assert ("no_overcommit", "cpu") in found


def test_results_cached_on_objects_hold_only_for_those_very_objects():
    cluster = build_cluster([node("n1", "a")])
    template, equal = {"spec": {"x": 1}}, {"spec": {"x": 1}}
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cluster.memo_on("shape", (template,), compute) == 1
    assert cluster.memo_on("shape", (template,), compute) == 1  # the same object: cached
    assert cluster.memo_on("shape", (equal,), compute) == 2  # an equal one is another object
    # An entry left under a reused id (its object gone) is not taken for the new object's.
    cluster.cache[("shape", id(template))] = ((equal,), "stale")
    assert cluster.memo_on("shape", (template,), compute) == 3
    # A name holding a probe's stand-in clock (it cannot be hashed) computes afresh.
    assert cluster.memo_on(("at", model.UNREAD_CLOCK), (template,), compute) == 4


def test_informer_kind_versions_change_only_with_their_kind():
    store = APIStore()
    informer = Informer()
    store.create(node("n1", "a"))
    informer.deliver(store)
    pods, nodes = informer.versions("Pod", "Node")
    assert informer.versions("Pod", "Node") == (pods, nodes)  # stable while nothing arrives
    store.create(service("web"))
    informer.deliver(store)
    assert informer.versions("Pod", "Node") == (pods, nodes)
    store.update({**store.objects[("Node", "", "n1")], "spec": {"unschedulable": True}})
    informer.deliver(store)
    assert informer.versions("Pod", "Node")[0] == pods
    assert informer.versions("Pod", "Node")[1] != nodes


def test_informer_kind_versions_after_drops_relists_and_copies():
    store = APIStore()
    informer = Informer()
    store.create(node("n1", "a"))
    informer.deliver(store)
    (before,) = informer.versions("Node")
    informer.drop_next = 1
    store.create(node("n2", "b"))
    informer.deliver(store)  # dropped: the cache did not change, nor does the version
    assert informer.versions("Node") == (before,)
    informer.relist(store)  # the cache now holds n2: the version moves
    (relisted,) = informer.versions("Node")
    assert relisted != before
    twin = informer.copy()
    # A copy's versions are its own: what either caches later cannot be confused.
    assert twin.versions("Node") != (relisted,)
    assert informer.versions("Node") == (relisted,)


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"replicas": 2, "strategy": None},
        {"strategy": {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}}},
        {"strategy": {"rollingUpdate": {"maxSurge": 0}}, "revisionHistoryLimit": 0},
        {"strategy": {"type": "RollingUpdate", "rollingUpdate": None}, "paused": True},
    ],
)
def test_deployment_defaults_share_what_they_leave_alone(spec):
    d = deployment("web", 1)
    d["spec"] = {**spec, "template": d["spec"]["template"]}
    d["status"] = {"conditions": [{"type": "Available", "status": "True"}]}
    shared = _defaults_sharing(d)
    assert shared == set_defaults_deployment(d)
    # The template and status are the stored object's own; the defaulted parts are copies.
    assert shared["spec"]["template"] is d["spec"]["template"]
    assert shared["status"] is d["status"]
    assert d["spec"] == {**spec, "template": d["spec"]["template"]}


def outcome(default: Callable[[dict], dict], d: dict) -> object:
    try:
        return default(d)
    except Exception as error:  # noqa: BLE001 - the outcome, whatever it is, is compared
        return type(error)


@pytest.mark.parametrize(
    "d",
    [
        {"kind": "Deployment", "spec": {"strategy": "fast"}},
        {"kind": "Deployment", "spec": {"strategy": {"rollingUpdate": "slow"}}},
        {"kind": "Deployment", "spec": None},
        {"kind": "Deployment"},
    ],
)
def test_deployment_defaults_of_odd_shapes_come_out_as_upstream_ones(d):
    assert outcome(_defaults_sharing, d) == outcome(set_defaults_deployment, d)


def test_endpoints_selector_is_compiled_when_first_needed():
    cluster = small_cluster()
    view = cluster.view("endpoints")
    web = service("web")
    web["metadata"]["namespace"] = "default"
    addresses = endpoints_for(web, view)["subsets"][0]["addresses"]
    assert len(addresses) == 3  # the web pods, each once
    bad = {**web, "spec": {"selector": {"app": ["web"]}}}
    with pytest.raises(InputError, match=r"spec\.selector"):
        endpoints_for(bad, view)
    # No pod with an IP in the namespace: the selector is never read, so never refused.
    elsewhere = {**bad, "metadata": {"name": "web", "namespace": "empty"}}
    assert endpoints_for(elsewhere, view)["subsets"] == []


# ----------------------------------------------------------------------------- drop, then relist
#
# A relist sets every stored kind's last revision to the store's revision. When the last write
# was a delivered event of the one stored kind a key names, after an earlier event of that kind
# was dropped, the revisions before and after the relist are the same while the cache is not.


def claim(name: str, storage: str = "1Gi") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}},
    }


def volume(name: str, capacity: str = "10Gi") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {"capacity": {"storage": capacity}, "accessModes": ["ReadWriteOnce"]},
    }


def budget(name: str) -> dict:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": name}}},
    }


def of_type(kind: type[A], actions: list[Action]) -> list[A]:
    return [action for action in actions if isinstance(action, kind)]


def drop_then_relist(cluster: Cluster, component: str, dropped: dict, delivered: dict) -> None:
    """Drop the event of ``dropped``, deliver that of ``delivered``, relist with no other write.

    Actions are listed (so cached) before the relist, as an exploration step would.
    """
    cluster.enabled_actions()
    cluster.step(WatchDrop(component))
    cluster.store.create(dropped)
    cluster.store.create(delivered)
    cluster.enabled_actions()
    assert cluster.informers[component].dropped  # the fault did happen
    cluster.step(ControllerRestart(component))


def test_the_volume_controller_sees_a_relisted_claim_after_a_dropped_event():
    cluster = build_cluster([claim("first"), volume("big")])
    drop_then_relist(cluster, "volume", claim("lost"), claim("seen"))
    claims = {("PersistentVolumeClaim", "default", name) for name in ("first", "lost", "seen")}
    view = cluster.view("volume")
    assert {key for key in claims if view.get(key) is not None} == claims
    bindable = of_type(BindVolume, cluster.enabled_actions())
    assert bindable == of_type(BindVolume, cold(cluster).enabled_actions())
    assert {action.claim for action in bindable} == {"first", "lost", "seen"}


def test_the_volume_controller_with_claims_only_recomputes_after_a_relist(monkeypatch):
    # No volume at all: the key names one stored kind, the case where the last revisions stay
    # the same over the relist. The answer is empty either way (nothing to bind to), so only
    # what the cached answer was derived from tells a stale key.
    cluster = build_cluster([claim("first")])
    seen_by_computations: list[set[str]] = []

    def recording(cluster: Cluster) -> list[Action]:
        view = cluster.view("volume")
        claims = view.list_objects("PersistentVolumeClaim")
        seen_by_computations.append({c["metadata"]["name"] for c in claims})
        return original(cluster)

    original = storage._storage_actions
    monkeypatch.setattr(storage, "_storage_actions", recording)
    drop_then_relist(cluster, "volume", claim("lost"), claim("seen"))
    assert cluster.view("volume").get(("PersistentVolumeClaim", "default", "lost")) is not None
    assert storage.storage_actions(cluster) == []
    assert seen_by_computations[-1] == {"first", "lost", "seen"}
    assert cluster.enabled_actions() == cold(cluster).enabled_actions()


def test_the_endpoints_controller_sees_a_relisted_service_after_a_dropped_event():
    cluster = build_cluster([service("first")])  # services only: no pods, no endpoints yet
    drop_then_relist(cluster, "endpoints", service("lost"), service("seen"))
    syncs = of_type(SyncEndpoints, cluster.enabled_actions())
    assert syncs == of_type(SyncEndpoints, cold(cluster).enabled_actions())
    assert {action.service for action in syncs} == {"first", "lost", "seen"}


def test_the_disruption_controller_sees_a_relisted_budget_after_a_dropped_event():
    cluster = build_cluster([budget("first")])  # budgets only: no pods
    drop_then_relist(cluster, "disruption", budget("lost"), budget("seen"))
    syncs = of_type(SyncDisruptionBudget, cluster.enabled_actions())
    assert syncs == of_type(SyncDisruptionBudget, cold(cluster).enabled_actions())
    assert {action.pdb for action in syncs} == {"first", "lost", "seen"}
