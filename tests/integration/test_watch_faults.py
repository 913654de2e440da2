"""Watch faults and restarts on the components that gained them from their declarations."""

from __future__ import annotations

from kmodel.explore import ExploreOptions, Scenario, UserAction, explore
from kmodel.invariants import make_invariant
from tests.helpers.cluster import daemonset, node


def test_the_daemonset_controller_recovers_from_every_watch_fault_and_restart() -> None:
    rollout = UserAction(
        "rollout",
        {"daemonset": "default/agent", "container": "a", "images": ["agent:2"]},
    )
    scenario = Scenario(
        objects=[node("n1"), node("n2"), daemonset()],
        faults={"watch_delay": 1, "watch_drop": 1, "controller_restart": 1},
        user_actions=(rollout,),
        invariants=(
            make_invariant("daemonset_one_pod_per_node"),
            make_invariant("eventually_stable"),
        ),
    )
    assert explore(scenario, options=ExploreOptions(examples=25, max_steps=12, seed=1)) == []
