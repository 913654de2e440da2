"""The property suite's trace shortening: shortest traces, valid ones, the same invariant."""

from __future__ import annotations

from dataclasses import replace

from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import NodeCrash, NodeRecover
from kmodel.cluster.model import ClusterConfig
from kmodel.explore.run import Scenario
from kmodel.invariants import make_invariant
from properties import tracekit
from tests.helpers.mutants import MUTANTS
from tests.helpers.zones import NODES, web

SCENARIO = Scenario(
    objects=[*NODES, *web(2, 1, 0)],
    faults={"node_crash": 1},
    invariants=(make_invariant("eventually_stable"), make_invariant("no_overcommit")),
    ticks=(1, 10),
)
BROKEN = replace(SCENARIO, config=ClusterConfig(components=MUTANTS["rs-counts-terminating"]))


def accept_all(run, violation) -> bool:
    return True


def busy_node(scenario: Scenario) -> str:
    """A node that runs a pod of the scenario's settled cluster."""
    cluster = scenario.build()
    return next(p["spec"]["nodeName"] for p in cluster.store.list_objects("Pod"))


def test_a_padded_failing_trace_shortens_to_the_one_action_that_breaks_it():
    crash = NodeCrash(busy_node(BROKEN))
    padded = [Tick(1), Tick(10), Tick(1), crash, Tick(1), Tick(10), Tick(1)]
    shortened = tracekit.shorten(BROKEN, padded, "eventually_stable", accept=accept_all)
    assert shortened is not None
    assert shortened.actions == (crash,)
    assert shortened.at_fixpoint
    assert "wants 2" in shortened.violation.message
    text = tracekit.describe(shortened, len(padded))
    assert "1 of 7 actions" in text
    assert crash.describe() in text


def test_the_faithful_model_has_nothing_to_shorten():
    actions = [NodeCrash(busy_node(SCENARIO)), Tick(10)]
    assert tracekit.shorten(SCENARIO, actions, "eventually_stable", accept=accept_all) is None


def test_a_trace_with_an_action_not_offered_at_its_point_is_not_replayed():
    node = busy_node(BROKEN)
    initial = BROKEN.build()
    # Recovering a node that is up is not among the choices (and a second crash is over budget).
    assert tracekit.replay(BROKEN, initial, [NodeRecover(node)], accept_all) is None
    outcome = tracekit.replay(BROKEN, initial, [NodeCrash(node)], accept_all)
    assert outcome is not None
    assert outcome[0].invariant == "eventually_stable"


def test_shortening_keeps_to_its_replay_budget():
    crash = NodeCrash(busy_node(BROKEN))
    padded = [Tick(1)] * 6 + [crash] + [Tick(1)] * 6
    shortened = tracekit.shorten(BROKEN, padded, "eventually_stable", accept=accept_all, budget=3)
    assert shortened is not None
    assert shortened.replays == 3
    assert crash in shortened.actions
    assert len(shortened.actions) < len(padded)
