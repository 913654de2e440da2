"""The monitor re-checks an invariant only when something it reads changed.

An invariant declares what it reads (``Invariant.reads``); after a step that changed none of
it the monitor reuses its last answer. These tests pin that down: the answers and the history
along a walk with faults are those of checking every invariant after every step, an invariant
is checked again exactly when what it reads changed, and an undeclared one after every step.
"""

from __future__ import annotations

import copy
import random
from typing import ClassVar

import pytest

from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import NodeCrash, NodeRecover
from kmodel.cluster.model import Cluster, Step
from kmodel.cluster.user_actions import ScaleDeployment, SetImage
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import CATALOGUE, Invariant, Monitor, Violation, make_invariant
from kmodel.invariants.base import CLOCK, EVICTIONS, FAULTS, INPUTS, QUORUM, Checks, History
from kmodel.objects.validate import MODELLED_KINDS
from tests.helpers.cluster import deployment, node, service


def small_cluster() -> Cluster:
    cluster = build_cluster(
        [
            node("n1", "a", cpu="2"),
            node("n2", "b", cpu="2"),
            deployment("web", 3, minReadySeconds=3),
            deployment("api", 2, strategy={"type": "Recreate"}),
            service("web"),
        ]
    )
    cluster.settle()
    return cluster


def walk_step(cluster: Cluster, rng: random.Random) -> Action:
    """Mostly an enabled component step; now and then time, a rollout, a scale, a node crash."""
    enabled = cluster.enabled_actions()
    roll = rng.random()
    if roll < 0.08:
        return SetImage(
            "default", rng.choice(("web", "api")), "app", rng.choice(("app:1", "app:2"))
        )
    if roll < 0.14:
        return ScaleDeployment("default", rng.choice(("web", "api")), rng.randint(0, 4))
    if roll < 0.17:
        return NodeCrash("n2") if cluster.machines["n2"].up else NodeRecover("n2")
    if roll < 0.35 or not enabled:
        return Tick(rng.choice((1, 10, 60)))
    return rng.choice(enabled)


def every_safety_invariant() -> list[Invariant]:
    """The catalogue's safety invariants, ``min_available`` on both Deployments included."""
    plain = [
        make_invariant(name)
        for name, cls in CATALOGUE.items()
        if cls.kind == "safety" and name != "min_available"
    ]
    counts = [
        make_invariant("min_available", params={"deployment": d, "count": 1})
        for d in ("default/web", "default/api")
    ]
    return plain + counts


def test_reused_answers_are_those_of_checking_everything_along_a_walk_with_faults():
    rng = random.Random(11)  # noqa: S311 - a seeded walk, not cryptography
    cluster = small_cluster()
    incremental = Monitor(every_safety_invariant())
    full = Monitor(every_safety_invariant())
    assert incremental.observe(cluster) == full.observe(cluster)
    reused = 0
    for _ in range(120):
        step = cluster.step(walk_step(cluster, rng))
        changed = incremental.checks.changed(cluster)
        assert changed is not None
        reused += sum(
            1 for i in incremental.invariants if i.reads is not None and i.reads.isdisjoint(changed)
        )
        full.checks = Checks()  # no answers: every invariant is checked
        assert incremental.observe(cluster, step=step) == full.observe(cluster, step=step)
        assert incremental.history == full.history
    assert reused > 100  # the walk did reuse answers


class CountingInvariant(Invariant):
    """Counts its checks; finds nothing."""

    name = "counting"

    def __init__(self) -> None:
        self.checks = 0

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        self.checks += 1
        return []


class ReadsPods(CountingInvariant):
    reads: ClassVar[frozenset[str] | None] = frozenset({"Pod"})


class ReadsClock(CountingInvariant):
    reads: ClassVar[frozenset[str] | None] = frozenset({"@clock"})


def test_an_invariant_is_checked_again_only_when_what_it_reads_changed():
    cluster = small_cluster()
    pods, clock, always = ReadsPods(), ReadsClock(), CountingInvariant()
    monitor = Monitor([pods, clock, always])
    monitor.observe(cluster)
    assert (pods.checks, clock.checks, always.checks) == (1, 1, 1)
    # Time passes: heartbeats write Nodes, no pod changes.
    monitor.observe(cluster, step=cluster.step(Tick(10)))
    assert (pods.checks, clock.checks, always.checks) == (1, 2, 2)
    # A rollout: the pods change at the same time.
    cluster.step(SetImage("default", "web", "app", "app:2"))
    steps = cluster.settle(advance=False)
    assert any(c.kind == "Pod" for s in steps for c in s.changes)
    monitor.observe(cluster, step=steps[-1])
    assert (pods.checks, clock.checks, always.checks) == (2, 2, 3)
    # Another cluster (a different store): everything is checked again.
    monitor.observe(small_cluster())
    assert (pods.checks, clock.checks, always.checks) == (3, 3, 4)


def test_a_copied_run_keeps_the_answers_its_original_had():
    pods, always = ReadsPods(), CountingInvariant()
    scenario = Scenario(objects=[node("n1"), deployment("web", 2)], invariants=[pods, always])
    started = Run(scenario)
    assert (pods.checks, always.checks) == (1, 1)
    copy = started.copy()
    copy.do(Tick(10))
    assert (pods.checks, always.checks) == (1, 2)
    # The original goes on from its own answers, untouched by the copy's step.
    started.do(Tick(1))
    assert (pods.checks, always.checks) == (1, 3)


def test_a_misspelt_reads_declaration_is_refused_where_the_class_is_defined():
    with pytest.raises(TypeError, match=r"Misspelt.reads must be .* not '@time'"):

        class Misspelt(CountingInvariant):
            reads: ClassVar[frozenset[str] | None] = frozenset({"Pod", "@time"})

    with pytest.raises(TypeError, match=r"NotAKind.reads .* not 'pods'"):

        class NotAKind(CountingInvariant):
            reads: ClassVar[frozenset[str] | None] = frozenset({"pods"})

    with pytest.raises(TypeError, match=r"AList.reads must be a frozenset"):

        class AList(CountingInvariant):
            reads = ("Pod",)  # type: ignore[assignment]


def test_every_catalogue_declaration_names_kinds_the_model_stores():
    stored = {"Endpoints", *MODELLED_KINDS}
    for cls in CATALOGUE.values():
        if cls.reads is not None:
            assert cls.reads - INPUTS <= stored, cls.name


def test_declared_invariants_are_idempotent_and_ignore_the_step_along_a_walk():
    """What a declaration promises, checked on every declared invariant of the catalogue.

    Checked without the step, an invariant gives the same violations and history as with it;
    checked twice on the same state, the second check changes nothing the first did not.
    """
    rng = random.Random(5)  # noqa: S311 - a seeded walk, not cryptography
    cluster = small_cluster()
    declared = [i for i in every_safety_invariant() if i.reads is not None]
    assert len(declared) >= 8
    history = History()
    for _ in range(100):
        step = cluster.step(walk_step(cluster, rng))
        for invariant in declared:
            # From the walk's history with an empty ``met``, so that what a check adds shows.
            start = copy.deepcopy(history)
            start.met.clear()
            with_step = copy.deepcopy(start)
            first = invariant.check(cluster, step, with_step)
            without_step = copy.deepcopy(start)
            assert invariant.check(cluster, None, without_step) == first, invariant.name
            assert without_step == with_step, invariant.name  # the step is not read
            again = copy.deepcopy(with_step)
            assert invariant.check(cluster, step, again) == first, invariant.name
            assert again == with_step, invariant.name  # checking again changes nothing
            invariant.check(cluster, step, history)  # the walk's history moves on


def test_the_inputs_besides_kinds_are_seen_to_change():
    cluster = small_cluster()
    checks = Checks()
    assert checks.changed(cluster) is None  # no answers yet: anything may have changed
    checks.rebind(cluster)
    assert checks.changed(cluster) == set()
    cluster.faults.append("node_crash")
    cluster.evictions.append((cluster.now, ("Pod", "default", "web")))
    cluster.store.down.add(0)
    cluster.store.now += 1
    assert checks.changed(cluster) == {CLOCK, FAULTS, EVICTIONS, QUORUM}


def test_history_copy_is_a_deep_copy():
    # History.copy copies by hand what deepcopy did: it equals a deep copy, and editing the
    # copy's containers (nested ones included) leaves the original as it was.
    history = History(
        terminal={"u1": "Failed"},
        hpa_scales={"h": [(1, 2, 3)]},
        met={"x"},
        noexecute_taints={"n1": {("k", "v"): 5}},
        restart_counts={"u1": {"app": 2}},
        running_containers={"u1": ("7", frozenset(), frozenset({"app"}))},
        requests_judged=3,
    )
    snapshot = copy.deepcopy(history)
    clone = history.copy()
    assert clone == snapshot
    clone.terminal.clear()
    clone.hpa_scales["h"].append((4, 5, 6))
    clone.met.clear()
    clone.noexecute_taints["n1"].clear()
    clone.restart_counts["u1"]["app"] = 9
    clone.requests_judged = 4
    assert history == snapshot
