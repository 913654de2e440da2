"""Deployment controller arithmetic (k8s-semantics.md section 5), hand-computed cases."""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.objects.defaults import set_defaults_deployment, set_defaults_deployment_in_place
from kmodel.objects.validate import validate_object
from kmodel.semantics import deployment as dep
from kmodel.semantics.deployment import (
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    ROLLBACK_TO_ANNOTATION,
)


def deployment(
    replicas: int | None = 10,
    surge: object = None,
    unavailable: object = None,
    strategy: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if replicas is not None:
        spec["replicas"] = replicas
    rolling: dict[str, Any] = {}
    if surge is not None:
        rolling["maxSurge"] = surge
    if unavailable is not None:
        rolling["maxUnavailable"] = unavailable
    strategy_body: dict[str, Any] = {}
    if strategy is not None:
        strategy_body["type"] = strategy
    if rolling:
        strategy_body["rollingUpdate"] = rolling
    if strategy_body:
        spec["strategy"] = strategy_body
    spec.update(extra.pop("spec", {}))
    body: dict[str, Any] = {"metadata": {"name": "web", "generation": 1}, "spec": spec}
    body.update(extra)
    return body


def replica_set(
    name: str,
    spec: int,
    available: int = 0,
    created: int = 0,
    annotations: dict[str, str] | None = None,
    **status: Any,
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "creationTimestamp": created,
            "annotations": annotations or {},
        },
        "spec": {"replicas": spec, "template": {"metadata": {"labels": {"app": "web"}}}},
        "status": {"availableReplicas": available, **status},
    }


# ---------------------------------------------------------------- 5.1 fence posts


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        # 25% of 3 = 0.75: surge ceil -> 1, unavailable floor -> 0; surge is 1 so no both-zero rule.
        ("25%", "25%", 3, (1, 0)),
        # 25% of 10 = 2.5: ceil 3, floor 2.
        ("25%", "25%", 10, (3, 2)),
        # Both resolve to 0 (0 and floor(0.75)): unavailable becomes 1.
        (0, "25%", 3, (0, 1)),
        # nil counts as 0 for both, then the both-zero rule.
        (None, None, 5, (0, 1)),
        ("0%", "0%", 10, (0, 1)),
        # Plain ints pass through.
        (2, 1, 10, (2, 1)),
        # 1% of 1 = 0.01: surge ceil 1, unavailable floor 0.
        ("1%", "1%", 1, (1, 0)),
        # 100% of 0 = 0 both ways: both-zero rule even for percentages.
        ("100%", "100%", 0, (0, 1)),
    ],
)
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    assert dep.resolve_fenceposts(surge, unavailable, desired) == expected


def test_resolve_fenceposts_refuses_a_non_percent_string():
    with pytest.raises(InputError) as caught:
        dep.resolve_fenceposts("5", 1, 10)
    assert caught.value.path == "spec.strategy.rollingUpdate.maxSurge"
    assert caught.value.message == (
        "invalid value for IntOrString: invalid type: string is not a percentage"
    )


def test_resolve_fenceposts_refuses_a_percent_that_does_not_parse():
    with pytest.raises(InputError) as caught:
        dep.resolve_fenceposts(1, "x%", 10)
    assert caught.value.path == "spec.strategy.rollingUpdate.maxUnavailable"
    assert caught.value.message == (
        'invalid value for IntOrString: invalid value "x%": '
        'strconv.Atoi: parsing "x": invalid syntax'
    )


def test_max_surge_and_unavailable_with_defaults():
    d = deployment(10)
    # Defaults 25%/25% of 10: surge ceil(2.5) = 3, unavailable floor(2.5) = 2.
    assert dep.max_surge(d) == 3
    assert dep.max_unavailable(d) == 2
    assert dep.min_available(d) == 8
    # A missing spec.replicas defaults to 1: surge ceil(0.25) = 1, unavailable floor = 0.
    assert dep.max_surge(deployment(None)) == 1
    assert dep.max_unavailable(deployment(None)) == 0


def test_recreate_has_no_fence_posts():
    d = deployment(10, strategy="Recreate")
    assert (dep.max_surge(d), dep.max_unavailable(d), dep.min_available(d)) == (0, 0, 0)


def test_max_unavailable_is_zero_for_zero_replicas_and_clamped_to_replicas():
    assert dep.max_unavailable(deployment(0, 1, 5)) == 0
    # 5 resolved unavailable > 3 replicas: clamped to 3, so min available is 0.
    d = deployment(3, 1, 5)
    assert dep.max_unavailable(d) == 3
    assert dep.min_available(d) == 0


def test_max_unavailable_both_zero_rule():
    # maxSurge 0 and floor(10% of 5) = floor(0.5) = 0: unavailable becomes 1.
    assert dep.max_unavailable(deployment(5, 0, "10%")) == 1


def test_unknown_strategy_is_input_error():
    with pytest.raises(InputError) as caught:
        dep.max_surge(deployment(3, strategy="BlueGreen"))
    assert caught.value.path == "spec.strategy.type"


def test_apps_v1_defaults():
    defaulted = set_defaults_deployment({"spec": {}})
    assert defaulted["spec"] == {
        "replicas": 1,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        },
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
    }
    recreate = set_defaults_deployment({"spec": {"strategy": {"type": "Recreate"}}})
    assert "rollingUpdate" not in recreate["spec"]["strategy"]


def valid_deployment(**spec: Any) -> dict[str, Any]:
    """A Deployment the manifest validator accepts, with ``spec`` entries replaced."""
    labels = {"app": "web"}
    container = {"name": "app", "image": "app:1"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    body = {"selector": {"matchLabels": labels}, "template": template, **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": body,
    }


def load_time_error(d: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as caught:
        validate_object("Deployment", d)
    return caught.value


@pytest.mark.parametrize(
    ("spec", "path"),
    [
        ({"strategy": "x"}, "spec.strategy"),
        ({"strategy": ["RollingUpdate"]}, "spec.strategy"),
        ({"strategy": 3}, "spec.strategy"),
        ({"strategy": {"rollingUpdate": "slow"}}, "spec.strategy.rollingUpdate"),
        (
            {"strategy": {"type": "RollingUpdate", "rollingUpdate": 1}},
            "spec.strategy.rollingUpdate",
        ),
        ({"strategy": {"type": "Recreate", "rollingUpdate": "x"}}, "spec.strategy.rollingUpdate"),
        ({"strategy": {"type": 5}}, "spec.strategy.type"),
        ({"strategy": {"type": False}}, "spec.strategy.type"),
        ({"strategy": {"type": "y" * 60}}, None),  # a bad type is the validator's, not ours
    ],
)
def test_defaults_refuse_a_bad_shape_as_the_validator_does_at_load_time(spec, path):
    d = valid_deployment(**spec)
    if path is None:
        assert set_defaults_deployment(d)["spec"]["strategy"] == spec["strategy"]
        return
    expected = load_time_error(d)
    assert expected.path == path  # the mistake the case is about
    for default in (set_defaults_deployment, set_defaults_deployment_in_place):
        with pytest.raises(InputError) as caught:
            default(copy.deepcopy(d))
        assert (caught.value.path, caught.value.message) == (expected.path, expected.message)


def test_defaults_refuse_a_spec_that_is_not_a_mapping():
    d = {"kind": "Deployment", "spec": "web"}
    with pytest.raises(InputError) as caught:
        set_defaults_deployment(d)
    assert caught.value.path == "spec"
    assert caught.value.message == 'must be a mapping, not string "web"'
    with pytest.raises(InputError, match="dict") as caught:
        set_defaults_deployment_in_place(MappingProxyType({"spec": {}}))  # type: ignore[arg-type]
    assert caught.value.path is None
    with pytest.raises(InputError, match="mapping, not a list"):
        set_defaults_deployment([("spec", {})])  # type: ignore[arg-type]


def test_long_strings_are_cut_in_the_message_as_the_validator_cuts_them():
    d = valid_deployment(strategy="z" * 100)
    with pytest.raises(InputError) as caught:
        set_defaults_deployment(d)
    assert caught.value.message == load_time_error(d).message
    assert len(caught.value.message) < 80


@pytest.mark.parametrize("null", ["spec", "strategy", "rollingUpdate"])
def test_defaults_read_a_null_object_as_an_empty_one(null):
    # Go decodes null into the zero value, which SetDefaults_Deployment then fills in.
    d: dict[str, Any] = {"spec": {"strategy": {"rollingUpdate": {}}}}
    if null == "spec":
        d["spec"] = None
    elif null == "strategy":
        d["spec"]["strategy"] = None
    else:
        d["spec"]["strategy"]["rollingUpdate"] = None
    assert set_defaults_deployment(d) == set_defaults_deployment({"spec": {}})


def test_defaults_fill_in_read_only_mappings_without_touching_them():
    rolling = MappingProxyType({"maxSurge": 1})
    strategy = MappingProxyType({"type": "RollingUpdate", "rollingUpdate": rolling})
    d = MappingProxyType({"spec": MappingProxyType({"replicas": 3, "strategy": strategy})})
    plain = {
        "spec": {
            "replicas": 3,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
        }
    }
    assert set_defaults_deployment(d) == set_defaults_deployment(plain)
    assert dict(rolling) == {"maxSurge": 1}  # left alone
    # In place: the dict on top is filled in, the read-only mappings under it are replaced.
    top = {"spec": d["spec"]}
    assert set_defaults_deployment_in_place(top) == set_defaults_deployment(plain)
    assert dict(strategy) == {"type": "RollingUpdate", "rollingUpdate": rolling}


# ---------------------------------------------------------------- 5.3 rolling update


def test_new_rs_new_replicas_rolling_update():
    d = deployment(10)  # maxSurge 3, so maxTotal = 13
    new = replica_set("new", 0)
    # current = 10 + 0 = 10 < 13: 0 + min(13 - 10, 10 - 0) = 3.
    assert dep.new_rs_new_replicas(d, [replica_set("old", 10), new], new) == 3
    # current = 10 + 3 = 13 >= 13: keep the new RS at 3.
    new3 = replica_set("new", 3)
    assert dep.new_rs_new_replicas(d, [replica_set("old", 10), new3], new3) == 3
    # current = 2 + 9 = 11: 9 + min(13 - 11, 10 - 9) = 10 (never above replicas).
    new9 = replica_set("new", 9)
    assert dep.new_rs_new_replicas(d, [replica_set("old", 2), new9], new9) == 10


def test_new_rs_new_replicas_recreate():
    d = deployment(4, strategy="Recreate")
    new = replica_set("new", 0)
    assert dep.new_rs_new_replicas(d, [replica_set("old", 4), new], new) == 4


def test_reconcile_new_replica_set():
    d = deployment(10)
    assert dep.reconcile_new_replica_set([], replica_set("new", 10), d) is None
    action = dep.reconcile_new_replica_set([], replica_set("new", 12), d)
    assert action is not None
    assert (action.from_replicas, action.to_replicas) == (12, 10)
    assert action.event == "Scaled down replica set new from 12 to 10"
    assert action.annotations == {DESIRED_REPLICAS_ANNOTATION: "10", MAX_REPLICAS_ANNOTATION: "13"}


def test_reconcile_old_replica_sets_scales_down_within_availability():
    d = deployment(10)  # maxUnavailable 2, minAvailable 8
    old = replica_set("old", 10, available=10)
    new = replica_set("new", 3, available=0)
    # maxScaledDown = 13 - 8 - (3 - 0) = 2. Cleanup: old has no unhealthy replicas.
    # scaleDown: available 10 + 0 = 10 > 8, so take 10 - 8 = 2 from old.
    plan = dep.reconcile_old_replica_sets([old, new], [old], new, d)
    assert plan.max_scaled_down == 2
    assert plan.cleanup_count == 0
    assert plan.scaled_down_count == 2
    assert plan.scaled_down
    assert [(a.name, a.to_replicas) for a in plan.actions] == [("old", 8)]


def test_reconcile_old_replica_sets_cleans_unhealthy_first():
    d = deployment(10)
    old1 = replica_set("old1", 5, available=2, created=1)
    old2 = replica_set("old2", 5, available=5, created=2)
    new = replica_set("new", 3, available=0, created=3)
    # maxScaledDown = 13 - 8 - 3 = 2; old1 (oldest) has 5 - 2 = 3 unhealthy: take min(2, 3).
    # Then available = 2 + 5 + 0 = 7 <= 8: no further scale-down.
    plan = dep.reconcile_old_replica_sets([old1, old2, new], [old1, old2], new, d)
    assert (plan.cleanup_count, plan.scaled_down_count) == (2, 0)
    assert [(a.name, a.from_replicas, a.to_replicas) for a in plan.actions] == [("old1", 5, 3)]


def test_reconcile_old_replica_sets_nothing_when_budget_is_not_positive():
    d = deployment(10)
    old = replica_set("old", 8, available=8)
    new = replica_set("new", 5, available=0)
    # maxScaledDown = 13 - 8 - 5 = 0.
    plan = dep.reconcile_old_replica_sets([old, new], [old], new, d)
    assert plan.max_scaled_down == 0
    assert not plan.scaled_down
    assert plan.actions == []


def test_reconcile_old_replica_sets_ignores_inactive_old():
    d = deployment(10)
    new = replica_set("new", 10, available=10)
    plan = dep.reconcile_old_replica_sets([new], [replica_set("old", 0)], new, d)
    assert not plan.scaled_down


def test_cleanup_unhealthy_orders_by_creation_then_name_and_stops_at_budget():
    d = deployment(10)
    b = replica_set("b", 4, available=0, created=5)
    a = replica_set("a", 4, available=0, created=5)
    # Same creation time: "a" before "b". Budget 5: a gives min(5, 4) = 4, b gives min(1, 4) = 1.
    result = dep.cleanup_unhealthy_replicas([b, a], d, 5)
    assert [(x.name, x.to_replicas) for x in result.actions] == [("a", 0), ("b", 3)]
    assert result.total == 5
    assert [rs["spec"]["replicas"] for rs in result.old_rss] == [0, 3]


def test_cleanup_unhealthy_error_when_available_exceeds_spec():
    d = deployment(10)
    bad = replica_set("bad", 2, available=3)
    # spec - available = -1, so the new count 3 > 2: upstream's error, and reconcile returns false.
    result = dep.cleanup_unhealthy_replicas([bad], d, 4)
    assert result.error == (
        "when cleaning up unhealthy replicas, got invalid request to scale down default/bad 2 -> 3"
    )
    new = replica_set("new", 10, available=10)
    # maxScaledDown = 12 - 8 - 0 = 4 > 0, so cleanup runs and fails.
    plan = dep.reconcile_old_replica_sets([bad, new], [bad], new, d)
    assert plan.error is not None
    assert not plan.scaled_down


def test_scale_down_old_for_rolling_update_takes_oldest_first():
    d = deployment(10)  # minAvailable 8
    old1 = replica_set("old1", 2, available=2, created=1)
    old2 = replica_set("old2", 6, available=6, created=2)
    new = replica_set("new", 5, available=5, created=3)
    # available = 13, 13 - 8 = 5: old1 gives 2, old2 gives 3.
    actions, total = dep.scale_down_old_replica_sets_for_rolling_update(
        [old1, old2, new], [old2, old1], d
    )
    assert total == 5
    assert [(a.name, a.to_replicas) for a in actions] == [("old1", 0), ("old2", 3)]
    # available exactly minAvailable: nothing.
    assert dep.scale_down_old_replica_sets_for_rolling_update(
        [replica_set("x", 8, available=8)], [replica_set("x", 8, available=8)], d
    ) == ([], 0)


# ---------------------------------------------------------------- 5.4 proportional scaling


def test_replica_set_fraction_uses_go_math_round_half_away_from_zero():
    d = deployment(5, 0, 1)  # maxSurge 0: max now = 5
    up = replica_set("rs", 1, annotations={MAX_REPLICAS_ANNOTATION: "2"})
    # 1 * 5 / 2 = 2.5 -> math.Round 3 (Python round would give 2) -> 3 - 1 = 2.
    assert dep.replica_set_fraction(up, d) == 2
    down = replica_set("rs", 5, annotations={MAX_REPLICAS_ANNOTATION: "10"})
    # 5 * 5 / 10 = 2.5 -> 3 -> 3 - 5 = -2 (Python round: -3).
    assert dep.replica_set_fraction(down, d) == -2


def test_replica_set_fraction_fallbacks():
    d = deployment(0)
    # Scaling to zero: the whole RS.
    assert dep.replica_set_fraction(replica_set("rs", 4), d) == -4
    d = deployment(6, 0, 1)
    # No annotation and status.replicas 0: 0.
    assert dep.replica_set_fraction(replica_set("rs", 4), d) == 0
    # No annotation: before = status.replicas 3 -> round(4 * 6 / 3) - 4 = 4.
    d["status"] = {"replicas": 3}
    assert dep.replica_set_fraction(replica_set("rs", 4), d) == 4
    # An annotation of 0 falls back too; an unparseable one as well.
    annotated = replica_set("rs", 4, annotations={MAX_REPLICAS_ANNOTATION: "0"})
    assert dep.replica_set_fraction(annotated, d) == 4
    annotated = replica_set("rs", 4, annotations={MAX_REPLICAS_ANNOTATION: "many"})
    assert dep.replica_set_fraction(annotated, d) == 4


def test_get_proportion_rows():
    d = deployment(5, 0, 1)
    rs = replica_set("rs", 1, annotations={MAX_REPLICAS_ANNOTATION: "2"})  # fraction 2
    assert dep.get_proportion(None, d, 3, 0) == 0
    assert dep.get_proportion(replica_set("z", 0), d, 3, 0) == 0
    assert dep.get_proportion(rs, d, 0, 0) == 0
    assert dep.get_proportion(rs, d, 3, 3) == 0
    assert dep.get_proportion(rs, d, 3, 0) == 2  # min(2, 3)
    assert dep.get_proportion(rs, d, 3, 2) == 1  # min(2, 1)
    down = replica_set("rs", 5, annotations={MAX_REPLICAS_ANNOTATION: "10"})  # fraction -2
    assert dep.get_proportion(down, d, -5, 0) == -2  # max(-2, -5)
    assert dep.get_proportion(down, d, -5, -4) == -1  # max(-2, -1)


def test_scale_single_active_rs_gets_everything():
    d = deployment(8)
    old = replica_set("old", 5)
    new = replica_set("new", 0)
    actions = dep.scale(d, new, [old])
    assert [(a.name, a.from_replicas, a.to_replicas) for a in actions] == [("old", 5, 8)]
    assert actions[0].event == "Scaled up replica set old from 5 to 8"


def test_scale_no_active_scales_the_newest():
    d = deployment(4)
    assert [(a.name, a.to_replicas) for a in dep.scale(d, replica_set("new", 0), [])] == [
        ("new", 4)
    ]
    olds = [replica_set("older", 0, created=1), replica_set("newer", 0, created=2)]
    assert [a.name for a in dep.scale(d, None, olds)] == ["newer"]


def test_scale_saturated_new_rs_zeroes_old():
    d = deployment(10)
    new = replica_set("new", 10, available=10, annotations={DESIRED_REPLICAS_ANNOTATION: "10"})
    old = replica_set("old", 2)
    actions = dep.scale(d, new, [old])
    assert [(a.name, a.to_replicas) for a in actions] == [("old", 0)]


def test_scale_proportional_up():
    # Was 10 replicas with maxSurge 3 (annotated max 13); now 20 with maxSurge 5: allowed 25.
    d = deployment(20)
    annotations = {MAX_REPLICAS_ANNOTATION: "13", DESIRED_REPLICAS_ANNOTATION: "10"}
    old = replica_set("old", 8, created=1, annotations=annotations)
    new = replica_set("new", 5, created=2, annotations=annotations)
    # toAdd = 25 - 13 = 12. BySizeNewer: old (8) then new (5).
    # old: round(8 * 25 / 13 = 15.38) - 8 = 7, min(7, 12) = 7; new: round(9.62) - 5 = 5.
    actions = dep.scale(d, new, [old])
    sizes = {a.name: a.to_replicas for a in actions}
    assert sizes == {"old": 15, "new": 10}
    assert all(
        a.annotations == {DESIRED_REPLICAS_ANNOTATION: "20", MAX_REPLICAS_ANNOTATION: "25"}
        for a in actions
    )


def test_scale_proportional_down_with_leftover_to_first():
    # maxSurge 0: allowed 5; two equal RSs of 5 annotated max 10: toAdd = -5.
    d = deployment(5, 0, 1)
    annotations = {MAX_REPLICAS_ANNOTATION: "10"}
    a = replica_set("a", 5, created=1, annotations=annotations)
    b = replica_set("b", 5, created=2, annotations=annotations)
    # BySizeOlder: a first. a: round(2.5) - 5 = -2, max(-2, -5) = -2; b: max(-2, -3) = -2.
    # added -4, leftover -1 goes to a: 5 - 2 - 1 = 2; b: 3.
    actions = dep.scale(d, b, [a])
    assert [(x.name, x.to_replicas) for x in actions] == [("a", 2), ("b", 3)]
    assert actions[0].event == "Scaled down replica set a from 5 to 2"


def test_scale_leftover_is_clamped_at_zero():
    # No annotations and status.replicas 0: every fraction is 0, so the whole toAdd is leftover.
    d = deployment(2, 0, 1)
    a = replica_set("a", 3, created=1)
    b = replica_set("b", 3, created=2)
    # toAdd = 2 - 6 = -4; BySizeOlder puts a first: 3 - 4 = -1, clamped to 0.
    actions = dep.scale(d, b, [a])
    assert [(x.name, x.to_replicas, x.event is None) for x in actions] == [
        ("a", 0, False),
        ("b", 3, True),  # only its annotations are refreshed
    ]


def test_scale_up_ties_go_to_the_newer_rs():
    # maxSurge 0, replicas 3 -> allowed 3; two RSs of 1 with no history: fractions 0, toAdd 1.
    d = deployment(3, 0, 1)
    a = replica_set("a", 1, created=1)
    b = replica_set("b", 1, created=2)
    sizes = {x.name: x.to_replicas for x in dep.scale(d, b, [a]) if x.event}
    assert sizes == {"b": 2}


def test_is_scaling_event():
    d = deployment(5)
    rs = replica_set("rs", 3, annotations={DESIRED_REPLICAS_ANNOTATION: "4"})
    assert dep.is_scaling_event(d, [rs])
    rs = replica_set("rs", 3, annotations={DESIRED_REPLICAS_ANNOTATION: "5"})
    assert not dep.is_scaling_event(d, [rs])
    # Inactive RSs and unparseable annotations do not count.
    assert not dep.is_scaling_event(
        d, [replica_set("z", 0, annotations={DESIRED_REPLICAS_ANNOTATION: "1"})]
    )
    assert not dep.is_scaling_event(
        d, [replica_set("x", 1, annotations={DESIRED_REPLICAS_ANNOTATION: "x"})]
    )


# ---------------------------------------------------------------- 5.5 history and rollback


def revisioned(name: str, rev: str | None, spec: int = 0, created: int = 0, **kw: Any):
    annotations = {} if rev is None else {REVISION_ANNOTATION: rev}
    rs = replica_set(name, spec, created=created, annotations=annotations)
    rs["status"].update({"replicas": kw.get("status_replicas", 0), "observedGeneration": 1})
    rs["metadata"]["generation"] = kw.get("generation", 1)
    if kw.get("deleting"):
        rs["metadata"]["deletionTimestamp"] = 5
    return rs


def test_revisions():
    rss = [revisioned("a", "1"), revisioned("b", "3"), revisioned("c", "2"), revisioned("d", "x")]
    assert dep.max_revision(rss) == 3
    assert dep.last_revision(rss) == 2
    # Equal maxima shift down: the last revision of [3, 3] is 3.
    assert dep.last_revision([revisioned("a", "3"), revisioned("b", "3")]) == 3
    assert dep.revision(revisioned("a", None)) == 0
    with pytest.raises(InputError) as caught:
        dep.revision(revisioned("d", "x"))
    assert caught.value.path == f"metadata.annotations[{REVISION_ANNOTATION}]"


def test_cleanup_deployment_skips_rs_with_replicas_and_pulls_no_extra():
    d = deployment(3, spec={"revisionHistoryLimit": 1})
    rss = [
        revisioned("r3", "3", created=3),
        revisioned("r1", "1", created=1),
        revisioned("r2", "2", spec=1, created=2),
    ]
    # diff = 3 - 1 = 2: r1 (deleted) and r2 (has replicas: skipped); r3 is not pulled in.
    assert dep.cleanup_deployment(d, rss) == ["r1"]


def test_cleanup_deployment_conditions():
    d = deployment(3, spec={"revisionHistoryLimit": 0})
    rss = [
        revisioned("busy", "1", status_replicas=1),
        revisioned("stale", "2", generation=2),
        revisioned("gone", "3", deleting=True),
        revisioned("ok", "4"),
    ]
    # "gone" is not a candidate; of the rest only "ok" qualifies.
    assert dep.cleanup_deployment(d, rss) == ["ok"]
    unlimited = deployment(3, spec={"revisionHistoryLimit": 2**31 - 1})
    assert dep.cleanup_deployment(unlimited, rss) == []
    # Default limit 10: three candidates, nothing to do.
    assert dep.cleanup_deployment(deployment(3), rss) == []


def test_cleanup_deployment_equal_revisions_by_creation_time():
    d = deployment(3, spec={"revisionHistoryLimit": 1})
    rss = [revisioned("late", "5", created=9), revisioned("early", "5", created=1)]
    assert dep.cleanup_deployment(d, rss) == ["early"]


def test_new_replica_set_annotations_for_a_reused_rs():
    d = deployment(3)
    d["metadata"]["annotations"] = {"team": "a", REVISION_ANNOTATION: "9"}
    rs = replica_set("rs", 1, annotations={REVISION_ANNOTATION: "1"})
    annotations, changed = dep.set_new_replica_set_annotations(d, rs, "4", exists=True)
    assert changed
    assert annotations == {"team": "a", REVISION_ANNOTATION: "4", REVISION_HISTORY_ANNOTATION: "1"}


def test_revision_history_is_trimmed_to_the_character_limit():
    d = deployment(3)
    rs = replica_set(
        "rs", 1, annotations={REVISION_ANNOTATION: "3", REVISION_HISTORY_ANNOTATION: "1,2"}
    )
    # Unlimited: "1,2" + "3".
    annotations, _ = dep.set_new_replica_set_annotations(d, rs, "4", exists=True)
    assert annotations[REVISION_HISTORY_ANNOTATION] == "1,2,3"
    # Limit 3 chars: total 3 + 1 + 1 = 5 > 3, drop "1" (5 - 2 = 3): "2,3".
    annotations, _ = dep.set_new_replica_set_annotations(
        d, rs, "4", exists=True, rev_history_limit_in_chars=3
    )
    assert annotations[REVISION_HISTORY_ANNOTATION] == "2,3"


def test_new_replica_set_annotations_for_a_new_rs():
    d = deployment(10)
    annotations, changed = dep.set_new_replica_set_annotations(
        d, replica_set("rs", 0), "2", exists=False
    )
    assert changed
    assert annotations == {
        REVISION_ANNOTATION: "2",
        DESIRED_REPLICAS_ANNOTATION: "10",
        MAX_REPLICAS_ANNOTATION: "13",
    }


def with_template(rs: dict[str, Any], image: str, hash_label: str = "h") -> dict[str, Any]:
    rs["spec"]["template"] = {
        "metadata": {"labels": {"app": "web", "pod-template-hash": hash_label}},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }
    return rs


def rolling_back(to: str) -> dict[str, Any]:
    d = deployment(3)
    d["metadata"]["annotations"] = {ROLLBACK_TO_ANNOTATION: to, "note": "current"}
    d["spec"]["template"] = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "v2"}]},
    }
    return d


def test_rollback_to_last_revision_copies_template_and_annotations():
    old = with_template(revisioned("old", "1"), "v1")
    old["metadata"]["annotations"]["note"] = "first"
    new = with_template(revisioned("new", "2"), "v2")
    decision = dep.rollback(rolling_back("0"), [old, new])
    assert decision is not None
    assert (decision.event_type, decision.reason) == ("Normal", "DeploymentRollback")
    assert decision.message == 'Rolled back deployment "web" to revision 1'
    assert decision.template is not None
    assert decision.template["metadata"]["labels"] == {"app": "web"}
    assert decision.template["spec"]["containers"][0]["image"] == "v1"
    assert decision.annotations == {"note": "first"}


def test_rollback_template_unchanged_ignores_the_hash_label():
    same = with_template(revisioned("same", "1"), "v2", hash_label="other")
    decision = dep.rollback(rolling_back("1"), [same, with_template(revisioned("n", "2"), "v3")])
    assert decision is not None
    assert (decision.event_type, decision.reason) == (
        "Warning",
        "DeploymentRollbackTemplateUnchanged",
    )
    assert decision.message == (
        'The rollback revision contains the same template as current deployment "web"'
    )
    assert decision.template is None
    assert ROLLBACK_TO_ANNOTATION not in decision.annotations


def test_rollback_revision_not_found_and_no_last_revision():
    decision = dep.rollback(rolling_back("7"), [with_template(revisioned("a", "1"), "v1")])
    assert decision is not None
    assert (decision.reason, decision.message) == (
        "DeploymentRollbackRevisionNotFound",
        "Unable to find the revision to rollback to.",
    )
    # A single RS: the last (second-highest) revision is 0.
    decision = dep.rollback(rolling_back("0"), [with_template(revisioned("a", "1"), "v1")])
    assert decision is not None
    assert decision.message == "Unable to find last revision."
    assert decision.annotations == {"note": "current"}


def test_rollback_absent_or_invalid_annotation_is_not_a_rollback():
    assert dep.rollback(deployment(3), []) is None
    assert dep.rollback(rolling_back("abc"), []) is None


# ---------------------------------------------------------------- 5.6 status and conditions


def test_calculate_status_fields_and_available_condition():
    d = deployment(10)  # maxUnavailable 2: needs 8 available
    old = replica_set("old", 6, available=5, replicas=6, readyReplicas=6)
    new = replica_set("new", 6, available=3, replicas=5, readyReplicas=4)
    status = dep.calculate_status(d, [old, new], new, now=100)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 1,
        "replicas": 11,
        "updatedReplicas": 5,
        "readyReplicas": 10,
        "availableReplicas": 8,
        "unavailableReplicas": 12 - 8,
    }
    assert status["conditions"] == [
        {
            "type": "Available",
            "status": "True",
            "lastUpdateTime": 100,
            "lastTransitionTime": 100,
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
        }
    ]
    short = replica_set("new", 6, available=2, replicas=5)
    status = dep.calculate_status(d, [old, short], short, now=100)
    # 5 + 2 = 7 < 8.
    assert status["conditions"][0]["reason"] == "MinimumReplicasUnavailable"
    assert status["conditions"][0]["message"] == "Deployment does not have minimum availability."


def test_unavailable_replicas_never_negative():
    d = deployment(2)
    rs = replica_set("rs", 2, available=3, replicas=3)
    assert dep.calculate_status(d, [rs], rs, now=0)["unavailableReplicas"] == 0


def test_deployment_complete_and_progressing():
    d = deployment(3)
    d["metadata"]["generation"] = 2
    done = {"updatedReplicas": 3, "replicas": 3, "availableReplicas": 3, "observedGeneration": 2}
    assert dep.deployment_complete(d, done)
    assert not dep.deployment_complete(d, {**done, "observedGeneration": 1})
    assert not dep.deployment_complete(d, {**done, "availableReplicas": 2})
    d["status"] = {"replicas": 4, "updatedReplicas": 1, "readyReplicas": 3, "availableReplicas": 3}
    same = dict(d["status"])
    assert not dep.deployment_progressing(d, same)
    assert dep.deployment_progressing(d, {**same, "updatedReplicas": 2})
    # Old replicas 4 - 1 = 3 -> 3 - 1 = 2: fewer old replicas.
    assert dep.deployment_progressing(d, {**same, "replicas": 3})
    assert dep.deployment_progressing(d, {**same, "readyReplicas": 4})
    assert dep.deployment_progressing(d, {**same, "availableReplicas": 4})


def progressing(reason: str, updated: object = 0, status: str = "True") -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "Progressing",
                "status": status,
                "reason": reason,
                "lastUpdateTime": updated,
                "lastTransitionTime": updated,
            }
        ]
    }


def test_deployment_timed_out_is_strict():
    d = deployment(3)  # deadline 600
    status = progressing("ReplicaSetUpdated", updated=0)
    assert not dep.deployment_timed_out(d, status, now=600)  # 0 + 600 < 600 is false
    assert dep.deployment_timed_out(d, status, now=600.5)
    rfc = progressing("ReplicaSetUpdated", updated="2024-01-01T00:00:00Z")
    assert not dep.deployment_timed_out(d, rfc, now="2024-01-01T00:10:00Z")
    assert dep.deployment_timed_out(d, rfc, now="2024-01-01T00:10:01Z")


def test_deployment_timed_out_reasons_and_no_deadline():
    d = deployment(3)
    assert not dep.deployment_timed_out(d, {}, now=10**6)
    assert not dep.deployment_timed_out(d, progressing("NewReplicaSetAvailable"), now=10**6)
    assert dep.deployment_timed_out(d, progressing("ProgressDeadlineExceeded", 10**6), now=0)
    no_deadline = deployment(3, spec={"progressDeadlineSeconds": 2**31 - 1})
    assert not dep.deployment_timed_out(no_deadline, progressing("ReplicaSetUpdated"), 10**6)


def rollout(d_status: dict[str, Any], new_status: dict[str, Any], **spec: Any):
    d = deployment(3, spec=spec)
    d["status"] = d_status
    new = replica_set("web-new", 3, **new_status)
    return d, new


def test_sync_rollout_status_complete():
    d, new = rollout(
        progressing("ReplicaSetUpdated", 5),
        {"available": 3, "replicas": 3},
    )
    status = dep.sync_rollout_status(d, [new], new, now=50)
    cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"]) == ("True", "NewReplicaSetAvailable")
    assert cond["message"] == 'ReplicaSet "web-new" has successfully progressed.'
    # Status True as before: the transition time is kept.
    assert (cond["lastUpdateTime"], cond["lastTransitionTime"]) == (50, 5)


def test_sync_rollout_status_progressing_refreshes_update_time_only():
    d, new = rollout(
        {**progressing("ReplicaSetUpdated", 5), "updatedReplicas": 1, "replicas": 1},
        {"available": 1, "replicas": 2},
    )
    status = dep.sync_rollout_status(d, [new], new, now=60)
    cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert cond["reason"] == "ReplicaSetUpdated"
    assert cond["message"] == 'ReplicaSet "web-new" is progressing.'
    assert (cond["lastUpdateTime"], cond["lastTransitionTime"]) == (60, 5)


def test_sync_rollout_status_timed_out():
    d, new = rollout(
        {**progressing("ReplicaSetUpdated", 0), "updatedReplicas": 2, "replicas": 2},
        {"available": 0, "replicas": 2},
    )
    status = dep.sync_rollout_status(d, [new], new, now=601)
    cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert (cond["status"], cond["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert cond["message"] == 'ReplicaSet "web-new" has timed out progressing.'
    # Not yet at 600 exactly: the old condition stays.
    status = dep.sync_rollout_status(d, [new], new, now=600)
    cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert cond["reason"] == "ReplicaSetUpdated"


def test_sync_rollout_status_skips_completed_rollouts_and_removes_without_deadline():
    d, new = rollout(progressing("NewReplicaSetAvailable", 1), {"available": 0, "replicas": 0})
    # replicas == updated (0 == 0) and already complete: the condition is left alone.
    status = dep.sync_rollout_status(d, [new], new, now=10**6)
    cond = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert cond["reason"] == "NewReplicaSetAvailable"
    d, new = rollout(
        progressing("ReplicaSetUpdated", 1),
        {"available": 3, "replicas": 3},
        progressDeadlineSeconds=2**31 - 1,
    )
    status = dep.sync_rollout_status(d, [new], new, now=5)
    assert [c["type"] for c in status["conditions"]] == ["Available"]


def test_sync_rollout_status_copies_replica_failure_from_new_rs_first():
    d, new = rollout({}, {"available": 0, "replicas": 0})
    failure = {
        "type": "ReplicaFailure",
        "status": "True",
        "reason": "FailedCreate",
        "message": "quota",
        "lastTransitionTime": 7,
    }
    new["status"]["conditions"] = [failure]
    old = replica_set("old", 1)
    old["status"]["conditions"] = [{**failure, "message": "old"}]
    status = dep.sync_rollout_status(d, [old, new], new, now=9)
    copied = next(c for c in status["conditions"] if c["type"] == "ReplicaFailure")
    assert copied["message"] == "quota"
    assert copied["lastUpdateTime"] == 7


def test_check_paused_conditions():
    paused = deployment(3, spec={"paused": True})
    conditions = dep.check_paused_conditions(paused, now=3)
    assert conditions is not None
    assert [(c["status"], c["reason"], c["message"]) for c in conditions] == [
        ("Unknown", "DeploymentPaused", "Deployment is paused")
    ]
    paused["status"] = {"conditions": conditions}
    assert dep.check_paused_conditions(paused, now=4) is None
    resumed = deployment(3)
    resumed["status"] = {"conditions": conditions}
    after = dep.check_paused_conditions(resumed, now=5)
    assert after is not None
    # Same status (Unknown): the transition time is kept.
    assert (after[0]["reason"], after[0]["lastTransitionTime"]) == ("DeploymentResumed", 3)
    timed_out = deployment(3, spec={"paused": True})
    timed_out["status"] = progressing("ProgressDeadlineExceeded", status="False")
    assert dep.check_paused_conditions(timed_out, now=6) is None


def test_set_deployment_condition_same_status_and_reason_is_a_no_op():
    old = [{"type": "Available", "status": "True", "reason": "R", "lastTransitionTime": 1}]
    new = dep.new_deployment_condition("Available", "True", "R", "m", 9)
    assert dep.set_deployment_condition(old, new) == old
