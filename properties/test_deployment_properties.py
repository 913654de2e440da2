"""Arithmetic properties of the Deployment and ReplicaSet semantics (Hypothesis, small budgets)."""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kmodel.internal.gocompat import go_round
from kmodel.semantics import deployment as dep
from kmodel.semantics import replicaset as rsm

FAST = settings(max_examples=60, deadline=None)

int_or_percent = st.one_of(
    st.integers(min_value=0, max_value=20),
    st.integers(min_value=0, max_value=100).map(lambda n: f"{n}%"),
)


def deployment(replicas: int, surge: object, unavailable: object) -> dict[str, Any]:
    return {
        "metadata": {"name": "d", "generation": 1},
        "spec": {
            "replicas": replicas,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
            },
        },
    }


def replica_set(
    name: str, spec: int, available: int, created: int, annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "creationTimestamp": created, "annotations": annotations or {}},
        "spec": {"replicas": spec},
        "status": {"availableReplicas": available, "replicas": spec},
    }


@FAST
@given(int_or_percent, int_or_percent, st.integers(min_value=0, max_value=1000))
def test_fenceposts_are_never_both_zero_and_bracket_the_exact_share(surge, unavailable, desired):
    resolved_surge, resolved_unavailable = dep.resolve_fenceposts(surge, unavailable, desired)
    assert resolved_surge >= 0
    assert resolved_unavailable >= 0
    assert (resolved_surge, resolved_unavailable) != (0, 0)
    if isinstance(surge, str):
        exact = Fraction(int(surge[:-1]) * desired, 100)
        assert exact <= resolved_surge < exact + 1
    if isinstance(unavailable, str) and resolved_unavailable != 1:
        exact = Fraction(int(unavailable[:-1]) * desired, 100)
        assert exact - 1 < resolved_unavailable <= exact


@FAST
@given(st.integers(min_value=0, max_value=200), int_or_percent, int_or_percent)
def test_min_available_is_within_replicas(replicas, surge, unavailable):
    d = deployment(replicas, surge, unavailable)
    assert 0 <= dep.min_available(d) <= replicas
    assert dep.max_unavailable(d) <= replicas


@FAST
@given(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=1, max_value=1000),
)
def test_go_round_is_half_away_from_zero(numerator, denominator):
    value = Fraction(numerator, denominator)
    exact = Decimal(numerator) / Decimal(denominator)
    expected = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert go_round(value) == expected


@FAST
@given(
    st.integers(min_value=1, max_value=50),
    int_or_percent,
    int_or_percent,
    st.lists(st.booleans(), min_size=1, max_size=60),
)
def test_a_rolling_update_stays_within_surge_and_finishes(replicas, surge, unavailable, ready):
    """Drive rolloutRolling's two reconcile steps until the new RS has every replica.

    Pods become available when ``ready`` says so (then all at once), so availability lags.
    """
    d = deployment(replicas, surge, unavailable)
    ceiling = replicas + dep.max_surge(d)
    old = replica_set("old", replicas, replicas, created=1)
    new = replica_set("new", 0, 0, created=2)
    steps = [*ready, *[True] * (4 * replicas + 8)]
    for available_now in steps:
        if available_now:
            for rs in (old, new):
                rs["status"]["availableReplicas"] = rs["spec"]["replicas"]
        action = dep.reconcile_new_replica_set([old, new], new, d)
        if action is not None:
            new["spec"]["replicas"] = action.to_replicas
        else:
            plan = dep.reconcile_old_replica_sets([old, new], [old], new, d)
            for scaled in plan.actions:
                assert 0 <= scaled.to_replicas <= scaled.from_replicas
                old["spec"]["replicas"] = scaled.to_replicas
                old["status"]["availableReplicas"] = min(
                    old["status"]["availableReplicas"], scaled.to_replicas
                )
            assert plan.cleanup_count + plan.scaled_down_count <= max(plan.max_scaled_down, 0)
        total = old["spec"]["replicas"] + new["spec"]["replicas"]
        assert total <= ceiling
        if new["spec"]["replicas"] == replicas and old["spec"]["replicas"] == 0:
            break
    assert (new["spec"]["replicas"], old["spec"]["replicas"]) == (replicas, 0)


@FAST
@given(
    st.lists(st.integers(min_value=1, max_value=30), min_size=2, max_size=5),
    st.integers(min_value=0, max_value=120),
    int_or_percent,
    int_or_percent,
)
def test_proportional_scaling_sums_to_the_allowed_size(sizes, replicas, surge, unavailable):
    """With consistent max-replicas annotations, ``scale`` lands exactly on the new allowed size."""
    before = sum(sizes)
    annotations = {dep.MAX_REPLICAS_ANNOTATION: str(before)}
    rss = [
        replica_set(f"rs{i}", size, 0, created=i, annotations=annotations)
        for i, size in enumerate(sizes)
    ]
    d = deployment(replicas, surge, unavailable)
    new_rs, old_rss = rss[-1], rss[:-1]
    actions = dep.scale(d, new_rs, old_rss)
    final = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in rss}
    for action in actions:
        assert action.to_replicas >= 0
        final[action.name] = action.to_replicas
    allowed = replicas + dep.max_surge(d) if replicas > 0 else 0
    assert sum(final.values()) == allowed


@FAST
@given(
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=80),
    st.integers(min_value=-40, max_value=40).filter(lambda n: n != 0),
    st.integers(min_value=0, max_value=40),
)
def test_get_proportion_never_overshoots_what_is_left(spec, before, replicas, to_add, added_abs):
    added = min(added_abs, abs(to_add)) * (1 if to_add > 0 else -1)
    rs = replica_set("rs", spec, 0, 0, {dep.MAX_REPLICAS_ANNOTATION: str(before)})
    proportion = dep.get_proportion(rs, deployment(replicas, 1, 0), to_add, added)
    left = to_add - added
    if to_add > 0:
        assert proportion <= left
    else:
        assert proportion >= left


@FAST
@given(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=8))
def test_slow_start_batches_double_and_sum(count, initial):
    batches = rsm.slow_start_batches(count, initial=initial)
    assert sum(batches) == count
    assert all(b > 0 for b in batches)
    for previous, current in itertools.pairwise(batches):
        assert current <= 2 * previous


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "n1", "n2"]),
            st.sampled_from(["Pending", "Running", "Unknown"]),
            st.booleans(),
            st.integers(min_value=0, max_value=100),
        ),
        min_size=1,
        max_size=8,
    ),
    st.data(),
)
def test_pods_to_delete_is_a_prefix_of_a_permutation(specs, data):
    pods = [
        {
            "metadata": {"name": f"p{i}", "uid": f"u{i}", "creationTimestamp": created},
            "spec": {"nodeName": node},
            "status": {
                "phase": phase,
                "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": 1}],
            },
        }
        for i, (node, phase, ready, created) in enumerate(specs)
    ]
    n = data.draw(st.integers(min_value=0, max_value=len(pods)))
    chosen = rsm.pods_to_delete(pods, pods, n, now=200)
    names = [p["metadata"]["name"] for p in chosen]
    assert len(names) == n == len(set(names))
    # Every unassigned pod goes before any assigned one (rule 1 decides first).
    unassigned = [p for p in pods if p["spec"]["nodeName"] == ""]
    if n <= len(unassigned) and n < len(pods):
        assert all(p["spec"]["nodeName"] == "" for p in chosen)
