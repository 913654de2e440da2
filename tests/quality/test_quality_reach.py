"""Quality: the property suite's generators reach the features its invariants talk about.

Runs the cluster state machine (``properties/test_cluster_model.py``) on a fixed, derandomized
budget and prints how often each swarm feature was switched on and each invariant's
precondition met (issue 19 §2): a feature never switched on, or an invariant about it never
exercised, would make the suite blind to the bugs that invariant is for.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from properties import test_cluster_model as suite

#: Invariants whose precondition needs a feature of the generators (and which must be met).
REACHED_THROUGH_FEATURES = (
    "pod_phase_consistent",
    "init_containers_first",
    "pod_ready_consistent",
    "binding_passes_filters",
    "volume_zone_matches",
    "lost_node_pods_not_ready",
    "replicaset_scale_safe",
)


def test_the_generators_reach_every_feature_and_precondition(capsys):
    suite.REACH.clear()
    budget = settings(
        max_examples=40,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    run_state_machine_as_test(suite.ClusterModel, settings=budget)
    reach = dict(suite.REACH)
    examples = reach.pop("examples")
    with capsys.disabled():
        print(f"\nreach of the property suite's generators ({examples} examples):")  # noqa: T201
        for key, count in sorted(reach.items()):
            print(f"  {key:<45} {count:>4}  {100 * count / examples:5.1f} %")  # noqa: T201
    missing = [f for f in suite.FEATURES if f"feature {f}" not in reach]
    missing += [i for i in REACHED_THROUGH_FEATURES if f"precondition {i}" not in reach]
    assert not missing, f"never reached: {missing}"
