"""Exploration starts every example from a copy of one settled cluster (Cluster.copy).

A copy must behave exactly as a freshly built and settled cluster, step for step, and share
nothing mutable with the cluster it was copied from: these tests walk both side by side through
faults and user actions, audit the copy's object graph for shared containers, and compare an
exploration that copies with one that builds a fresh cluster per example.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any

import pytest

from kmodel.cluster.actions import Action
from kmodel.cluster.model import Cluster, ClusterConfig, Program
from kmodel.explore.run import FAULT_KINDS, Run, Scenario, UserAction
from kmodel.explore.search import ExploreOptions, _explore, explore, run_actions
from kmodel.explore.spec import load_spec
from kmodel.explore.trace import make_trace
from kmodel.invariants import Monitor, make_invariant
from tests.helpers.paths import ROOT
from tests.helpers.scheduling import make_deployment

SPECS = ROOT / "specs"


def _node(name: str, zone: str) -> dict[str, Any]:
    capacity = {"cpu": "2", "memory": "4Gi", "pods": "20"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "status": {"allocatable": dict(capacity), "capacity": dict(capacity)},
    }


def _deployment(name: str, replicas: int, image: str) -> dict[str, Any]:
    container = {
        "name": "app",
        "image": image,
        "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}},
        "envFrom": [{"configMapRef": {"name": "settings"}}],
    }
    return make_deployment(name, replicas, [container])


def busy_scenario() -> Scenario:
    """Every fault kind, several user actions, a crash-looping image, a static pod, a PDB."""
    objects = [
        _node("n1", "a"),
        _node("n2", "b"),
        _node("n3", "a"),
        _deployment("web", 3, "web:1"),
        _deployment("flaky", 1, "flaky:1"),
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "default"},
            "data": {"mode": "a"},
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
        },
    ]
    static = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "agent", "namespace": "kube-system"},
        "spec": {"containers": [{"name": "agent", "image": "agent:1"}]},
    }
    return Scenario(
        objects=objects,
        faults=dict.fromkeys(FAULT_KINDS, None),
        user_actions=[
            UserAction("rollout", {"deployment": "web", "container": "app", "images": ["web:2"]}),
            UserAction("scale", {"deployment": "web", "replicas": [1, 4]}),
            UserAction("drain", {"nodes": ["n2"]}),
            UserAction("configmap", {"name": "settings", "key": "mode", "values": ["b"]}),
            UserAction("delete", {"pods": ["kube-system/agent-n1"]}),
        ],
        invariants=(
            *Monitor.default().invariants,
            make_invariant("min_available", params={"deployment": "web", "count": 1}),
            make_invariant("eventually_stable"),
        ),
        config=ClusterConfig(
            programs={"flaky:1": Program(run_for=3, exit_code=1), "web:2": Program(ready_after=5)}
        ),
        control_plane_members=3,
        ticks=(1, 10, 301),
        static_pods={"n1": [static]},
    )


def _pick(choices: list[Action], rng: random.Random) -> Action:
    """A random choice, often among the first (component steps), as shrinking prefers."""
    if rng.random() < 0.6:
        return choices[rng.randrange(max(1, len(choices) // 4))]
    return choices[rng.randrange(len(choices))]


def _walk_side_by_side(scenario: Scenario, initial: Cluster, seed: int, length: int) -> None:
    """A fresh run and a run on a copy of ``initial`` take the same random walk in lockstep."""
    rng = random.Random(seed)  # noqa: S311 - a seeded walk, not cryptography
    fresh, copied = Run(scenario), Run(scenario, initial=initial)
    assert copied.cluster is not initial
    assert copied.violations == fresh.violations
    for _ in range(length):
        choices = fresh.choices()
        assert copied.choices() == choices
        action = _pick(choices, rng)
        assert copied.do(action) == fresh.do(action)
        assert copied.steps[-1] == fresh.steps[-1]
    assert copied.finish() == fresh.finish()
    assert copied.settle_steps == fresh.settle_steps
    assert copied.violations == fresh.violations
    assert (copied.availability, copied.ready) == (fresh.availability, fresh.ready)
    assert _state(copied.cluster) == _state(fresh.cluster)


def _state(cluster: Cluster) -> dict[str, Any]:
    """Everything that decides what a cluster does next (caches and cache keys left out)."""
    return {
        "objects": dict(cluster.store.objects),
        "store": (cluster.store.revision, cluster.store.now, sorted(cluster.store.down)),
        "counters": (cluster.store._uids, cluster.store._names, cluster.next_service_ip),
        "log": [(e.revision, e.type, e.key) for e in cluster.store.events_since(0)],
        "machines": dict(cluster.machines),
        "informers": {
            name: (i.revision, i.lagging, i.drop_next, i.dropped, i.cache)
            for name, i in cluster.informers.items()
        },
        "memory": copy.deepcopy(cluster.memory),
        "records": (cluster.requests, cluster.evictions, cluster.faults, cluster.steps),
    }


def _recorder(into: list[tuple[int, int]]) -> Callable[[int, int], None]:
    """A progress callback that records (examples run, steps taken) after every example."""

    def record(examples: int, steps: int) -> None:
        into.append((examples, steps))

    return record


def test_a_copy_steps_exactly_as_a_fresh_build_through_faults_and_user_actions() -> None:
    scenario = busy_scenario()
    initial = scenario.build()
    for seed in range(4):
        _walk_side_by_side(scenario, initial, seed, length=25)


def test_stepping_copies_leaves_the_template_as_it_was() -> None:
    scenario = busy_scenario()
    initial = scenario.build()
    before = _state(initial)
    # Deep copies, so a change made through a shared container would show.
    before_deep = copy.deepcopy(before)
    cache, derived = dict(initial.cache), dict(initial.derived)
    for seed in range(3):
        run = Run(scenario, initial=initial)
        rng = random.Random(seed)  # noqa: S311 - a seeded walk, not cryptography
        for _ in range(20):
            run.do(_pick(run.choices(), rng))
        run.finish()
    after = _state(initial)
    assert after == before == before_deep
    assert initial.cache.keys() == cache.keys()
    assert all(initial.cache[k] is v for k, v in cache.items())
    assert initial.derived == derived
    # Copies taken after others have run still walk as a fresh build does.
    _walk_side_by_side(scenario, initial, seed=7, length=15)


def _is_mutable(value: object) -> bool:
    if isinstance(value, (dict, list, set, bytearray)):
        return True
    if is_dataclass(value) and not isinstance(value, type):
        return not type(value).__dataclass_params__.frozen  # type: ignore[attr-defined]
    return False


#: Fields whose values are shared by design: the frozen configuration, cached results (computed
#: once, never edited) and sorted key lists (replaced, never edited, as running iterations rely
#: on). The containers holding them are still checked to be distinct.
_SHARED_VALUES = frozenset({"config", "cache", "derived", "_sorted_keys", "_sorted"})


def _shared_mutables(
    a: object, b: object, path: str, stored: set[int], seen: set[int]
) -> list[str]:
    """Paths at which ``a`` and ``b`` are the same mutable object (stored objects aside)."""
    if id(a) in stored or id(a) in seen:
        return []
    if a is b and _is_mutable(a):
        return [path]
    seen.add(id(a))
    found: list[str] = []
    if is_dataclass(a) and not isinstance(a, type) and type(a) is type(b):
        for spec in fields(a):
            value_a, value_b = getattr(a, spec.name), getattr(b, spec.name)
            if spec.name in _SHARED_VALUES:
                if value_a is value_b and _is_mutable(value_a):
                    found.append(f"{path}.{spec.name}")
                continue
            found += _shared_mutables(value_a, value_b, f"{path}.{spec.name}", stored, seen)
    elif isinstance(a, Mapping) and isinstance(b, Mapping):
        for key, value in a.items():
            if key in b:
                found += _shared_mutables(value, b[key], f"{path}[{key!r}]", stored, seen)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        for index, (value_a, value_b) in enumerate(zip(a, b, strict=False)):
            found += _shared_mutables(value_a, value_b, f"{path}[{index}]", stored, seen)
    return found


def test_a_copy_shares_no_mutable_container_with_its_template() -> None:
    scenario = busy_scenario()
    template = scenario.build()
    # Give the template every kind of state: runtime records, lagging watches, memory, faults.
    run = Run(scenario, initial=template)
    rng = random.Random(3)  # noqa: S311 - a seeded walk, not cryptography
    for _ in range(30):
        run.do(_pick(run.choices(), rng))
    template = run.cluster
    clone = template.copy()
    # Stored objects (and the watch events holding them) are immutable and shared on purpose.
    stored = {id(o) for o in template.store.objects.values()}
    stored |= {id(e.object) for e in template.store.events_since(0)}
    stored |= {
        id(o) for i in template.informers.values() for b in i.cache.values() for o in b.values()
    }
    assert _shared_mutables(template, clone, "cluster", stored, set()) == []
    assert _state(clone) == _state(template)


@pytest.mark.parametrize(
    ("spec_name", "examples"),
    [("rollout-max-unavailable.yaml", 6), ("pdb-blocks-drain.yaml", 10)],
)
def test_exploring_from_copies_finds_what_fresh_builds_find(spec_name: str, examples: int) -> None:
    spec = load_spec(SPECS / spec_name)
    options = replace(spec.options, examples=examples)
    progress: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    findings = {
        fresh: _explore(
            spec.scenario,
            options,
            _recorder(progress[fresh]),
            fresh_clusters=fresh,
        )
        for fresh in (True, False)
    }
    assert findings[True], "the spec is chosen for a finding within this budget"
    assert findings[False] == findings[True]
    assert progress[False] == progress[True]
    traces = {
        fresh: [make_trace(spec, f).dumps() for f in found] for fresh, found in findings.items()
    }
    assert traces[False] == traces[True]
    # The public entry point is the copying one.
    assert explore(spec.scenario, options=options) == findings[False]


def test_exploration_without_shrinking_reports_the_same_run_counts() -> None:
    scenario = busy_scenario()
    options = ExploreOptions(examples=4, max_steps=8, seed=4, shrink=False)
    seen: dict[bool, list[tuple[int, int]]] = {True: [], False: []}
    results = [
        _explore(scenario, options, _recorder(seen[fresh]), fresh_clusters=fresh)
        for fresh in (True, False)
    ]
    assert results[0] == results[1]
    assert seen[True] == seen[False]


def _continue(run: Run, seed: int, length: int) -> list[Action]:
    """Take ``length`` random steps on ``run`` and finish it; returns the actions taken."""
    rng = random.Random(seed)  # noqa: S311 - a seeded walk, not cryptography
    taken = []
    for _ in range(length):
        action = _pick(run.choices(), rng)
        taken.append(action)
        run.do(action)
    run.finish()
    return taken


def _replayed(scenario: Scenario, actions: list[Action]) -> Run:
    """A fresh run of ``actions``, listing the choices before each as exploration does.

    Listing them reads every component's view, which catches its informer up: a watch delay
    that starts next then freezes a fresher cache than it would without the listing.
    """
    run = Run(scenario)
    for action in actions:
        assert action in run.choices()
        run.do(action)
    run.finish()
    return run


def _outcome(run: Run) -> tuple[Any, ...]:
    return (
        run.steps,
        run.settle_steps,
        run.violations,
        run.availability,
        run.ready,
        run.used,
        run.monitor.history,
    )


def test_a_run_copied_midway_and_its_original_each_go_on_as_a_replay_would() -> None:
    scenario = busy_scenario()
    for seed in range(3):
        original = Run(scenario)
        rng = random.Random(seed)  # noqa: S311 - a seeded walk, not cryptography
        prefix = []
        for _ in range(12):
            action = _pick(original.choices(), rng)
            prefix.append(action)
            original.do(action)
        clone = original.copy()
        assert _outcome(clone) == _outcome(original)
        # Each goes its own way; neither may see the other's steps.
        clone_tail = _continue(clone, seed + 100, 12)
        original_tail = _continue(original, seed + 200, 12)
        assert _outcome(clone) == _outcome(_replayed(scenario, prefix + clone_tail))
        assert _outcome(original) == _outcome(_replayed(scenario, prefix + original_tail))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_replaying_the_actions_of_a_walk_gives_the_walk(seed: int) -> None:
    # Exploration lists the choices before each step (catching informers up); replay must do
    # the same, or a watch delay that starts next freezes an older cache (seed 0 diverged at
    # the 20th step, a SyncDisruptionBudget after WatchDelay('disruption'), before the fix).
    scenario = busy_scenario()
    rng = random.Random(seed)  # noqa: S311 - a seeded walk, not cryptography
    walked = Run(scenario)
    actions: list[Action] = []
    found = []
    for _ in range(40):
        action = _pick(walked.choices(), rng)
        actions.append(action)
        found = walked.do(action)
        if found:
            break
    else:
        found = walked.finish()
    replayed, violation, _ = run_actions(scenario, actions)
    assert violation == (found[0] if found else None)
    assert replayed.steps == walked.steps
    assert replayed.settle_steps == walked.settle_steps
    assert _state(replayed.cluster) == _state(walked.cluster)
