"""ReplicaSet controller arithmetic (k8s-semantics.md section 4) and label selectors."""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_log2_int
from kmodel.objects.labels import label_selector_as_selector, selector_matches
from kmodel.semantics import replicaset as rsm

COST = rsm.POD_DELETION_COST_ANNOTATION


def pod(
    name: str = "p",
    node: str = "n1",
    phase: str = "Running",
    ready: bool | None = True,
    ready_since: object = 0,
    uid: str | None = None,
    created: object = 0,
    restarts: int = 0,
    cost: str | None = None,
    labels: dict[str, str] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": uid or name,
            "creationTimestamp": created,
            "labels": labels if labels is not None else {"app": "web"},
            "annotations": {} if cost is None else {COST: cost},
            **metadata,
        },
        "spec": {"nodeName": node},
        "status": {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]},
    }
    if ready is not None:
        body["status"]["conditions"] = [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": ready_since,
            }
        ]
    return body


# ---------------------------------------------------------------- times


def test_times_convert_to_exact_nanoseconds():
    assert rsm.time_ns(2) == 2 * 10**9
    assert rsm.time_ns(0.1) == 100_000_000  # the decimal 0.1, not the binary float
    # 1 Jan 2024 is 19723 days after the epoch.
    assert rsm.time_ns("2024-01-01T00:00:00Z") == 19723 * 86400 * 10**9
    assert rsm.time_ns("2024-01-01T01:00:00.25+01:00") == 19723 * 86400 * 10**9 + 250_000_000
    assert rsm.time_ns(None) is None
    assert rsm.time_ns("0001-01-01T00:00:00Z") is None  # Go's zero time
    for bad in ("yesterday", True, [1]):
        with pytest.raises(InputError):
            rsm.time_ns(bad, path="metadata.creationTimestamp")


# ---------------------------------------------------------------- 4.1 active, ready, available


@pytest.mark.parametrize(
    ("phase", "deleting", "active"),
    [
        ("Running", False, True),
        ("Pending", False, True),
        ("Unknown", False, True),
        ("Succeeded", False, False),
        ("Failed", False, False),
        ("Running", True, False),
    ],
)
def test_is_pod_active(phase, deleting, active):
    body = pod(phase=phase)
    if deleting:
        body["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert rsm.is_pod_active(body) is active
    assert rsm.filter_active_pods([body]) == ([body] if active else [])


def test_is_pod_ready_uses_the_first_ready_condition():
    assert rsm.is_pod_ready(pod(ready=True))
    assert not rsm.is_pod_ready(pod(ready=False))
    assert not rsm.is_pod_ready(pod(ready=None))
    body = pod(ready=False)
    body["status"]["conditions"].append({"type": "Ready", "status": "True"})
    assert not rsm.is_pod_ready(body)


def test_is_pod_available():
    ready_at_10 = pod(ready_since=10)
    assert rsm.is_pod_available(ready_at_10, 0, now=10)  # minReadySeconds 0: Ready is enough
    # 10 + 5 < 15 is false (strict); 10 + 5 < 15.001 is true.
    assert not rsm.is_pod_available(ready_at_10, 5, now=15)
    assert rsm.is_pod_available(ready_at_10, 5, now=15.001)
    assert not rsm.is_pod_available(pod(ready=False, ready_since=0), 0, now=100)
    assert not rsm.is_pod_available(pod(ready_since=None), 5, now=100)  # zero transition time
    with pytest.raises(InputError):
        rsm.is_pod_available(ready_at_10, -1, now=15)


# ---------------------------------------------------------------- 4.3 deletion order


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        (None, 0),
        ("10", 10),
        ("-5", -5),
        ("0", 0),
        ("+10", 0),  # a plus sign is invalid
        ("008", 0),  # leading zeros are invalid
        ("2147483647", 2**31 - 1),
        ("2147483648", 0),  # out of int32
        ("abc", 0),
        ("", 0),
        ("-", 0),
    ],
)
def test_pod_deletion_cost(value, cost):
    assert rsm.pod_deletion_cost(pod(cost=value)) == cost


def less(a: dict[str, Any], b: dict[str, Any], ranks=(0, 0), now: object = 1000) -> bool:
    return rsm.active_pods_less(a, b, ranks[0], ranks[1], now)


def decides(a: dict[str, Any], b: dict[str, Any], **kw: Any) -> None:
    """``a`` is deleted before ``b`` and not the other way round."""
    ranks = kw.pop("ranks", (0, 0))
    assert less(a, b, ranks, **kw)
    assert not less(b, a, (ranks[1], ranks[0]), **kw)


def test_rule_1_unassigned_first():
    decides(pod(node="", phase="Running"), pod(node="n1", phase="Pending"))


def test_rule_2_phase_ordinal():
    decides(pod(phase="Pending"), pod(phase="Unknown"))
    decides(pod(phase="Unknown"), pod(phase="Running"))
    # A phase outside the map ranks as Pending (0).
    decides(pod(phase=""), pod(phase="Unknown"))


def test_rule_3_not_ready_first():
    decides(pod(ready=False), pod(ready=True))


def test_rule_4_lower_deletion_cost_first():
    decides(pod(cost="-1", ready=True), pod(cost="5", ready=True))


def test_rule_5_higher_rank_first():
    decides(pod(name="a"), pod(name="b"), ranks=(3, 1))


def test_rule_6_shorter_ready_time_first_by_log2_bucket():
    # now = 1000 s. Ready 1 s ago: log2(1e9) = 29.9 -> bucket 29; 4 s ago: log2(4e9) -> 31.
    decides(pod(uid="z", ready_since=999), pod(uid="a", ready_since=996))
    # 3 s and 3.5 s ago: log2(3e9) = 31.48 and log2(3.5e9) = 31.70, same bucket 31: UID order.
    decides(pod(uid="a", ready_since=996.5), pod(uid="b", ready_since=997))
    # A zero ready time sorts first.
    decides(pod(uid="z", ready_since=None), pod(uid="a", ready_since=999))


def test_rule_6_without_now_falls_back_to_plain_order():
    # A zero now: afterOrZero, so the later ready time (shorter Ready) first, even in a bucket.
    decides(pod(uid="b", ready_since=997), pod(uid="a", ready_since=996.5), now=None)


def test_rule_7_more_restarts_first():
    decides(pod(restarts=3), pod(restarts=1))


def test_rule_7_sidecar_restarts_break_ties():
    def with_sidecar(restarts: int) -> dict[str, Any]:
        body = pod()
        body["spec"]["initContainers"] = [{"name": "s", "restartPolicy": "Always"}]
        body["status"]["initContainerStatuses"] = [{"name": "s", "restartCount": restarts}]
        return body

    decides(with_sidecar(2), with_sidecar(0))


def test_rule_8_newer_creation_first():
    # Not ready: rule 6 does not apply. Created 1 s vs 100 s before now: buckets 29 vs 36.
    decides(pod(ready=False, uid="z", created=999), pod(ready=False, uid="a", created=900))
    # Same bucket (3 s vs 3.5 s): UID order.
    decides(pod(ready=False, uid="a", created=996.5), pod(ready=False, uid="b", created=997))
    decides(pod(ready=False, created=None), pod(ready=False, created=999))


def test_rule_9_equal_pods_are_not_less():
    assert not less(pod(), pod())


def test_go_log2_floor_matches_go_near_powers_of_two():
    # Exact powers of two: Frexp gives 0.5 exactly.
    assert go_log2_int(2**30) == 30
    assert go_log2_int(2**30 - 1) == 29
    # Far above 2**53 the float conversion rounds 2**60 - 1 up to 2**60, as Go does.
    assert go_log2_int(2**60 - 1) == 60


def test_pod_ranks_count_active_related_pods_per_node():
    related = [
        pod("a", node="n1"),
        pod("b", node="n1"),
        pod("c", node="n2"),
        pod("d", node="n1", phase="Failed"),  # inactive: not counted
        pod("e", node=""),
    ]
    candidates = [pod("x", node="n1"), pod("y", node="n2"), pod("z", node=""), pod("w", node="n3")]
    assert rsm.pod_ranks(candidates, related) == [2, 1, 1, 0]


def test_pods_to_delete_sorts_only_when_n_is_smaller():
    running = pod("running", phase="Running")
    pending = pod("pending", phase="Pending")
    # n == len: no sort, input order.
    assert [p["metadata"]["name"] for p in rsm.pods_to_delete([running, pending], [], 2, 0)] == [
        "running",
        "pending",
    ]
    # n < len: the Pending pod goes first.
    assert [p["metadata"]["name"] for p in rsm.pods_to_delete([running, pending], [], 1, 0)] == [
        "pending"
    ]


def test_pods_to_delete_prefers_doubled_up_pods():
    a = pod("a", node="n1")
    b = pod("b", node="n2")
    related = [a, b, pod("c", node="n2")]
    # Rank a = 1 (n1), b = 2 (n2): b goes first.
    assert [p["metadata"]["name"] for p in rsm.pods_to_delete([a, b], related, 1, 0)] == ["b"]


def test_pods_to_delete_stable_for_equal_pods():
    pods = [pod("first"), pod("second"), pod("third")]
    names = [p["metadata"]["name"] for p in rsm.pods_to_delete(pods, [], 2, 0)]
    assert names == ["first", "second"]


def test_pods_to_delete_rejects_bad_n():
    with pytest.raises(InputError):
        rsm.pods_to_delete([pod()], [], 2, 0)


# ---------------------------------------------------------------- 4.2 manageReplicas


@pytest.mark.parametrize(
    ("count", "batches"),
    [
        (0, []),
        (1, [1]),
        (3, [1, 2]),
        (10, [1, 2, 4, 3]),  # 1 + 2 + 4 = 7, remainder 3
        (15, [1, 2, 4, 8]),
        (500, [1, 2, 4, 8, 16, 32, 64, 128, 245]),  # 255 then the remaining 245
    ],
)
def test_slow_start_batches(count, batches):
    assert rsm.slow_start_batches(count) == batches
    assert sum(batches) == count


def test_slow_start_stops_after_the_first_batch_with_an_error():
    # Batches 1, 2, 4, 3: call 4 is in the third batch (calls 3-6). That batch runs fully.
    outcome = rsm.slow_start_outcome(10, failing={4})
    assert outcome == rsm.SlowStartOutcome(successes=1 + 2 + 3, attempted=7, skipped=4)
    assert rsm.slow_start_outcome(3) == rsm.SlowStartOutcome(3, 3, 0)


def test_manage_replicas_plan_create_is_capped_by_burst():
    rs = {"spec": {"replicas": 600}}
    plan = rsm.manage_replicas_plan(rs, [], [], now=0)
    assert (plan.diff, plan.create) == (-600, 500)
    assert sum(plan.create_batches) == 500


def test_manage_replicas_plan_delete_and_steady():
    rs = {"spec": {"replicas": 1}}
    pods = [pod("ready", ready=True), pod("unready", ready=False)]
    plan = rsm.manage_replicas_plan(rs, pods, pods, now=0)
    assert plan.diff == 1
    assert [p["metadata"]["name"] for p in plan.delete] == ["unready"]
    assert rsm.manage_replicas_plan({"spec": {"replicas": 2}}, pods, pods, now=0).diff == 0
    # spec.replicas defaults to 1.
    assert rsm.manage_replicas_plan({"spec": {}}, [], [], now=0).create == 1


# ---------------------------------------------------------------- 4.4 ownership


def owned_rs(**metadata: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "rs", "namespace": "default", "uid": "rs-uid", **metadata},
        "spec": {"selector": {"matchLabels": {"app": "web"}}},
    }


def owned_by(uid: str) -> list[dict[str, Any]]:
    return [{"uid": uid, "controller": True, "kind": "ReplicaSet", "name": "x"}]


def test_claim_rows():
    rs = owned_rs()
    assert rsm.claim_decision(rs, pod(ownerReferences=owned_by("other"))).action == "ignore"
    assert rsm.claim_decision(rs, pod(ownerReferences=owned_by("rs-uid"))).action == "claim"
    stray = pod(labels={"app": "db"}, ownerReferences=owned_by("rs-uid"))
    assert rsm.claim_decision(rs, stray).action == "release"
    deleting = owned_rs(deletionTimestamp=1)
    assert rsm.claim_decision(deleting, stray).action == "ignore"
    # Claiming what we own still works while being deleted (no action needed).
    assert rsm.claim_decision(deleting, pod(ownerReferences=owned_by("rs-uid"))).claimed


def test_orphan_rows():
    rs = owned_rs()
    adopted = rsm.claim_decision(rs, pod())
    assert (adopted.action, adopted.claimed) == ("adopt", True)
    assert rsm.claim_decision(rs, pod(labels={"app": "db"})).action == "ignore"
    assert rsm.claim_decision(owned_rs(deletionTimestamp=1), pod()).action == "ignore"
    assert rsm.claim_decision(rs, pod(deletionTimestamp=1)).action == "ignore"
    assert rsm.claim_decision(rs, pod(namespace="other")).action == "ignore"
    # An owner reference without controller: true is not a controller: still an orphan.
    not_controller = pod(ownerReferences=[{"uid": "other", "controller": False}])
    assert rsm.claim_decision(rs, not_controller).action == "adopt"


def test_adoption_rechecks_the_fresh_replica_set():
    rs = owned_rs()
    replaced = owned_rs(uid="new-uid")
    refused = rsm.claim_decision(rs, pod(), fresh_rs=replaced)
    assert refused.action == "ignore"
    assert refused.error == "original default/rs is gone: got uid new-uid, wanted rs-uid"
    being_deleted = rsm.claim_decision(rs, pod(), fresh_rs=owned_rs(deletionTimestamp="t"))
    assert being_deleted.error == "default/rs has just been deleted at t"
    assert rsm.claim_decision(rs, pod(), fresh_rs_found=False).action == "ignore"


# ---------------------------------------------------------------- 4.1 status


def test_calculate_status_counts():
    rs = {
        "spec": {
            "replicas": 4,
            "minReadySeconds": 10,
            "template": {"metadata": {"labels": {"app": "web", "tier": "front"}}},
        },
        "status": {},
    }
    pods = [
        pod("a", labels={"app": "web", "tier": "front", "x": "y"}, ready_since=0),  # available
        pod("b", labels={"app": "web"}, ready_since=95),  # ready, not yet available
        pod("c", labels={"app": "web", "tier": "front"}, ready=False),
    ]
    status = rsm.calculate_status(rs, pods, now=100)
    # a: labels include the template's; c too; b lacks tier. a: 0 + 10 < 100; b: 95 + 10 >= 100.
    assert status == {
        "replicas": 3,
        "fullyLabeledReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 1,
    }


def test_calculate_status_replica_failure_condition():
    rs = {"spec": {"replicas": 3, "template": {}}, "status": {}}
    status = rsm.calculate_status(rs, [], now=7, manage_replicas_error="quota exceeded")
    assert status["conditions"] == [
        {
            "type": "ReplicaFailure",
            "status": "True",
            "lastTransitionTime": 7,
            "reason": "FailedCreate",
            "message": "quota exceeded",
        }
    ]
    rs["status"] = status
    # Too many pods now: an existing failure condition is kept, not replaced.
    again = rsm.calculate_status(rs, [pod()] * 4, now=8, manage_replicas_error="x")
    assert again["conditions"][0]["reason"] == "FailedCreate"
    cleared = rsm.calculate_status(rs, [], now=9)
    assert cleared["conditions"] == []
    fresh = {"spec": {"replicas": 1, "template": {}}, "status": {}}
    deleted = rsm.calculate_status(fresh, [pod(), pod()], now=1, manage_replicas_error="x")
    assert deleted["conditions"][0]["reason"] == "FailedDelete"


# ---------------------------------------------------------------- label selectors


def test_selector_match_labels_and_expressions():
    selector = {
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["front", "edge"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "team", "operator": "Exists"},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    base = {"app": "web", "tier": "edge", "team": "a"}
    assert selector_matches(selector, base)
    assert selector_matches(selector, {**base, "env": "prod"})
    assert not selector_matches(selector, {**base, "env": "dev"})
    assert not selector_matches(selector, {**base, "legacy": "1"})
    assert not selector_matches(selector, {"app": "web", "tier": "edge"})  # no team
    assert not selector_matches(selector, {**base, "tier": "back"})
    assert not selector_matches(selector, {**base, "app": "db"})


def test_nil_selects_nothing_and_empty_selects_everything():
    assert not selector_matches(None, {})
    assert selector_matches({}, {"any": "thing"})
    assert label_selector_as_selector({}).is_everything


@pytest.mark.parametrize(
    ("selector", "path", "message_start"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
            "spec.selector.matchExpressions[0].operator",
            '"Equals" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
            "spec.selector.matchExpressions[0].values",
            "Invalid value: []: for 'in', 'notin' operators, values set can't be empty",
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
            "spec.selector.matchExpressions[0].values",
            "Invalid value: [x]: values set must be empty for exists and does not exist",
        ),
        (
            {"matchLabels": {"bad key!": "x"}},
            "spec.selector.matchLabels[bad key!].key",
            'Invalid value: "bad key!": name part must consist of alphanumeric characters',
        ),
        (
            {"matchLabels": {"app": "-x"}},
            "spec.selector.matchLabels[app].values[0]",
            'Invalid value: "-x": a valid label must be an empty string',
        ),
    ],
)
def test_invalid_selectors(selector, path, message_start):
    with pytest.raises(InputError) as caught:
        label_selector_as_selector(selector)
    assert caught.value.path == path
    assert caught.value.message.startswith(message_start)


def test_prefixed_keys_are_valid():
    assert selector_matches({"matchLabels": {"example.com/app": "web"}}, {"example.com/app": "web"})


def test_controller_uid_is_the_uid_of_the_first_controller_reference() -> None:
    def owned(*refs: dict[str, Any]) -> dict[str, Any]:
        return {"metadata": {"ownerReferences": list(refs)}}

    assert rsm.controller_uid({"metadata": {}}) is None
    assert rsm.controller_uid(owned({"uid": "a"}, {"uid": "b", "controller": False})) is None
    assert rsm.controller_uid(owned({"uid": "a"}, {"uid": "b", "controller": True})) == "b"
    first = owned({"uid": "c", "controller": True}, {"uid": "d", "controller": True})
    assert rsm.controller_uid(first) == "c"
