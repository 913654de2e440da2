"""Quality: the property suite's generators reach the features its invariants talk about.

Runs the cluster state machine (``properties/test_cluster_model.py``) on a fixed, derandomized
budget and prints how often each swarm feature was switched on and each invariant's
precondition met (issue 19 §2): a feature never switched on, or an invariant about it never
exercised, would make the suite blind to the bugs that invariant is for.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from kmodel.explore.determinism import seed_only_draws
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
    "orphans_stopped",
    "requests_reach_ready_pods",
)


def reach(examples: int = 40) -> dict[str, int]:
    """Run the state machine on a derandomized budget; how often each feature and precondition."""
    suite.REACH.clear()
    budget = settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    with seed_only_draws():
        run_state_machine_as_test(suite.ClusterModel, settings=budget)
    return dict(suite.REACH)


def test_the_generators_reach_every_feature_and_precondition(capsys):
    # In this session as in a fresh interpreter: the draws depend on the seed alone
    # (kmodel/explore/determinism.py), not on the modules other tests imported before.
    counts = reach()
    examples = counts.pop("examples")
    with capsys.disabled():
        print(f"\nreach of the property suite's generators ({examples} examples):")  # noqa: T201
        for key, count in sorted(counts.items()):
            print(f"  {key:<45} {count:>4}  {100 * count / examples:5.1f} %")  # noqa: T201
    missing = [f for f in suite.FEATURES if f"feature {f}" not in counts]
    missing += [i for i in REACHED_THROUGH_FEATURES if f"precondition {i}" not in counts]
    assert not missing, f"never reached: {missing}"
