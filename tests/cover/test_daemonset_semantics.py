"""DaemonSet decisions (kmodel.semantics.daemonset), from upstream's daemon controller tests.

Cases follow ``pkg/controller/daemon/daemon_controller_test.go`` (``TestNodeShouldRunDaemonPod``,
taint and selector cases, ``TestUpdateDaemonSetStatus``...), ``update_test.go``
(``TestDaemonSetUpdatesPods``, ``TestDaemonSetUpdatesPodsWithMaxSurge``,
``TestGetUnavailableNumbers``) and ``util/daemonset_util_test.go``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kmodel.errors import InputError
from kmodel.objects.defaults import set_defaults_daemon_set
from kmodel.objects.validate import validate_object
from kmodel.semantics import daemonset as dsem
from kmodel.semantics.containers import BackOffEntry

HASH = "new"


def node(name: str, *, labels: dict[str, str] | None = None, taints: list[Any] | None = None):
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": taints or []},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}},
    }


def daemonset(
    *, strategy: dict[str, Any] | None = None, min_ready: int = 0, **pod_spec: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "a", "image": "agent:1"}], **pod_spec}
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "minReadySeconds": min_ready,
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec},
        },
    }
    if strategy is not None:
        body["spec"]["updateStrategy"] = strategy
    return set_defaults_daemon_set(body)


def pod(
    name: str,
    node_name: str,
    *,
    revision: str = HASH,
    ready: bool = True,
    created: int = 0,
    phase: str = "Running",
    bound: bool = True,
    deleting: bool = False,
    ready_since: int = 1,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": "default",
        "creationTimestamp": created,
        "labels": {"app": "agent", dsem.HASH_LABEL: revision},
    }
    if deleting:
        metadata["deletionTimestamp"] = 50
    spec: dict[str, Any] = {
        "affinity": dsem.replace_node_name_node_affinity(None, node_name),
        "containers": [{"name": "a", "image": "agent:1"}],
    }
    if bound:
        spec["nodeName"] = node_name
    status = {
        "phase": phase,
        "conditions": [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastTransitionTime": ready_since,
            }
        ],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def rolling(max_unavailable: object = 1, max_surge: object = 0) -> dict[str, Any]:
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": max_surge},
    }


# ----------------------------------------------------------------------------- eligibility


def taint(key: str, effect: str, value: str = "") -> dict[str, str]:
    return {"key": key, "value": value, "effect": effect}


@pytest.mark.parametrize(
    ("the_node", "pod_spec", "expected"),
    [
        (node("n"), {}, (True, True)),
        # Node selector and node affinity (TestNodeSelectorDaemonLaunchesPods, ...).
        (node("n", labels={"disk": "ssd"}), {"nodeSelector": {"disk": "ssd"}}, (True, True)),
        (node("n"), {"nodeSelector": {"disk": "ssd"}}, (False, False)),
        (
            node("n", labels={"zone": "b"}),
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "zone", "operator": "In", "values": ["a"]}
                                    ]
                                }
                            ]
                        }
                    }
                }
            },
            (False, False),
        ),
        # A template nodeName names another node (TestNodeNameDaemonDoesNotLaunchPods).
        (node("n"), {"nodeName": "other"}, (False, False)),
        (node("n"), {"nodeName": "n"}, (True, True)),
        # Untolerated NoSchedule: not scheduled, but a running pod may stay.
        (node("n", taints=[taint("dedicated", "NoSchedule")]), {}, (False, True)),
        # Untolerated NoExecute: neither.
        (node("n", taints=[taint("dedicated", "NoExecute")]), {}, (False, False)),
        # PreferNoSchedule never rules a node out.
        (node("n", taints=[taint("dedicated", "PreferNoSchedule")]), {}, (True, True)),
        (
            node("n", taints=[taint("dedicated", "NoExecute", "x")]),
            {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "x"}]},
            (True, True),
        ),
        # The tolerations the controller adds (TestTaintedNodeDaemonLaunchesToleratePod,
        # TestNodeDaemonLaunchesToleratePod, TestTaintPressureNodeDaemonLaunchesPod,
        # TestUnschedulableNodeDaemonDoesLaunchPod).
        (node("n", taints=[taint("node.kubernetes.io/not-ready", "NoExecute")]), {}, (True, True)),
        (
            node("n", taints=[taint("node.kubernetes.io/unreachable", "NoExecute")]),
            {},
            (True, True),
        ),
        (
            node(
                "n",
                taints=[
                    taint("node.kubernetes.io/disk-pressure", "NoSchedule"),
                    taint("node.kubernetes.io/memory-pressure", "NoSchedule"),
                    taint("node.kubernetes.io/pid-pressure", "NoSchedule"),
                    taint("node.kubernetes.io/unschedulable", "NoSchedule"),
                ],
            ),
            {},
            (True, True),
        ),
        # network-unavailable only for host-network pods.
        (
            node("n", taints=[taint("node.kubernetes.io/network-unavailable", "NoSchedule")]),
            {},
            (False, True),
        ),
        (
            node("n", taints=[taint("node.kubernetes.io/network-unavailable", "NoSchedule")]),
            {"hostNetwork": True},
            (True, True),
        ),
        # Pressure taints are tolerated for NoSchedule only.
        (
            node("n", taints=[taint("node.kubernetes.io/memory-pressure", "NoExecute")]),
            {},
            (False, False),
        ),
    ],
)
def test_node_should_run_daemon_pod(
    the_node: dict[str, Any], pod_spec: dict[str, Any], expected: tuple[bool, bool]
) -> None:
    assert dsem.node_should_run_daemon_pod(the_node, daemonset(**pod_spec)) == expected


def test_daemon_tolerations_replace_matching_ones_and_keep_others() -> None:
    spec = {
        "tolerations": [
            {
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "effect": "NoExecute",
                "tolerationSeconds": 300,
            },
            {"key": "team", "operator": "Exists"},
        ]
    }
    result = dsem.add_or_update_daemon_pod_tolerations(spec)["tolerations"]
    # The matching one loses its tolerationSeconds (so node failure never evicts it) in place.
    assert result[0] == dsem.DAEMON_POD_TOLERATIONS[0]
    assert result[1] == {"key": "team", "operator": "Exists"}
    assert result[2:] == [dict(t) for t in dsem.DAEMON_POD_TOLERATIONS[1:]]
    host = dsem.add_or_update_daemon_pod_tolerations({"hostNetwork": True})["tolerations"]
    assert host[-1] == dsem.NETWORK_UNAVAILABLE_TOLERATION


def test_replace_node_name_node_affinity_keeps_preferred_and_pod_affinity() -> None:
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [{"key": "a", "operator": "Exists"}]}]
            },
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1}],
        },
        "podAntiAffinity": {"x": 1},
    }
    result = dsem.replace_node_name_node_affinity(affinity, "n2")
    required = result["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert required["nodeSelectorTerms"] == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}
    ]
    assert result["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] == [
        {"weight": 1}
    ]
    assert result["podAntiAffinity"] == {"x": 1}
    assert dsem.get_target_node_name(pod("p", "n2", bound=False)) == "n2"
    assert dsem.get_target_node_name({"spec": {}}) is None


# ----------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("max_unavailable", "max_surge", "desired", "expected"),
    [
        (1, 0, 5, (0, 1)),
        ("50%", 0, 5, (0, 3)),  # rounds up (a Deployment's maxUnavailable rounds down)
        ("10%", 0, 15, (0, 2)),
        (0, "25%", 5, (2, 0)),
        (0, "1%", 1, (1, 0)),
        ("1%", 0, 0, (0, 0)),
    ],
)
def test_updated_desired_node_counts_round_up(
    max_unavailable: object, max_surge: object, desired: int, expected: tuple[int, int]
) -> None:
    ds = daemonset(strategy=rolling(max_unavailable, max_surge))
    nodes = [node(f"n{i}") for i in range(desired)]
    surge, unavailable, counted, by_node = dsem.updated_desired_node_counts(ds, nodes, {})
    assert (surge, unavailable) == expected
    assert counted == desired
    assert sorted(by_node) == sorted(f"n{i}" for i in range(desired))


def test_both_limits_zero_falls_back_to_one_unavailable() -> None:
    ds = daemonset(strategy=rolling("0%", "0%"))
    assert dsem.updated_desired_node_counts(ds, [node("n0")], {})[:2] == (0, 1)
    on_delete = daemonset(strategy={"type": "OnDelete"})
    assert dsem.unavailable_count(on_delete, 10) == 0
    assert not dsem.allows_surge(on_delete)


# ----------------------------------------------------------------------------- manage


def test_manage_creates_on_eligible_nodes_and_deletes_misscheduled() -> None:
    ds = daemonset(nodeSelector={"agent": "yes"})
    nodes = [node("a", labels={"agent": "yes"}), node("b"), node("c", labels={"agent": "yes"})]
    pods = {
        "b": [pod("p-b", "b")],
        "c": [pod("p-c", "c")],
        "gone": [pod("p-gone", "gone", bound=False)],
    }
    plan = dsem.manage(ds, nodes, pods, HASH, 100)
    assert plan.needing == ("a",)
    # b no longer matches; the unbound pod of a removed node goes (podgc cannot reach it).
    assert plan.delete == ("p-b", "p-gone")


def test_removed_node_bound_pod_is_left_to_pod_gc() -> None:
    plan = dsem.manage(daemonset(), [], {"gone": [pod("p", "gone")]}, HASH, 100)
    assert plan == dsem.ManagePlan(needing=(), delete=(), backoff={})


def test_duplicates_keep_the_oldest_and_failed_pods_go() -> None:
    ds = daemonset()
    pods = [
        pod("young", "n", created=20),
        pod("old", "n", created=10),
        pod("dead", "n", phase="Failed"),
    ]
    plan = dsem.pods_should_be_on_node(node("n"), pods, ds, HASH, 100)
    first = BackOffEntry(backoff=1, last_update=100)
    assert plan == dsem.NodePlan(create=False, delete=("dead", "young"), backoff=first)
    # A bound pod sorts before an unbound one whatever its age.
    plan = dsem.pods_should_be_on_node(
        node("n"),
        [pod("unbound", "n", created=1, bound=False), pod("bound", "n", created=9)],
        ds,
        HASH,
        100,
    )
    assert plan.delete == ("unbound",)


def test_a_failed_only_pod_is_replaced_on_the_next_sync() -> None:
    plan = dsem.pods_should_be_on_node(
        node("n"), [pod("dead", "n", phase="Failed")], daemonset(), HASH, 100
    )
    assert plan == dsem.NodePlan(
        create=False, delete=("dead",), backoff=BackOffEntry(backoff=1, last_update=100)
    )
    # Once gone, the node has no entry and gets a new pod.
    assert dsem.pods_should_be_on_node(node("n"), None, daemonset(), HASH, 100).create


@pytest.mark.parametrize(
    ("entry", "now", "after"),
    [
        (None, 100, (1, 100)),  # the first failure: deleted, 1 s from now
        ((1, 100), 100, None),  # the replacement failed at once: held back
        ((1, 100), 101, (2, 101)),  # the delay passed: deleted, the delay doubles
        ((8, 200), 207, None),
        ((8, 200), 208, (16, 208)),
        ((900, 1000), 1900, (900, 1900)),  # doubling stops at 15 min
        ((900, 1000), 2800, (900, 2800)),  # 2 x 15 min since: not expired yet
        ((900, 1000), 2801, (1, 2801)),  # expired (hasExpired): back to 1 s
    ],
)
def test_failed_pod_deletion_backs_off(
    entry: tuple[int, int] | None, now: int, after: tuple[int, int] | None
) -> None:
    before = None if entry is None else BackOffEntry(*entry)
    expected = None if after is None else BackOffEntry(*after)
    assert dsem.failed_pod_deletion(before, now) == expected


def test_manage_keys_the_backoff_by_daemonset_generation_and_node() -> None:
    ds = daemonset()
    ds["metadata"]["uid"] = "u1"
    ds["status"] = {"observedGeneration": 3}
    failed = {"a": [pod("dead-a", "a", phase="Failed")], "b": [pod("dead-b", "b", phase="Failed")]}
    held = {"u1/3/a": BackOffEntry(backoff=4, last_update=98)}
    plan = dsem.manage(ds, [node("a"), node("b")], failed, HASH, 100, backoff=held)
    # a's pod waits until 102; b has no entry yet.
    assert plan.delete == ("dead-b",)
    assert plan.backoff == {"u1/3/b": BackOffEntry(backoff=1, last_update=100)}
    assert dsem.failed_pods_backoff_key(ds, "a") == "u1/3/a"


def test_surge_keeps_old_and_new_until_new_is_available() -> None:
    ds = daemonset(strategy=rolling(0, 1), min_ready=10)
    old = pod("old", "n", revision="old", created=1)
    new = pod("new", "n", created=50, ready_since=50)
    assert dsem.pods_should_be_on_node(node("n"), [old, new], ds, HASH, 55).delete == ()
    # Available: ready since 50, minReadySeconds 10, now 100.
    assert dsem.pods_should_be_on_node(node("n"), [old, new], ds, HASH, 100).delete == ("old",)
    not_ready_old = pod("old", "n", revision="old", created=1, ready=False)
    assert dsem.pods_should_be_on_node(node("n"), [not_ready_old, new], ds, HASH, 55).delete == (
        "old",
    )
    # Surge: a node whose only pod is gone gets one.
    assert dsem.pods_should_be_on_node(node("n"), [], ds, HASH, 55).create


# ----------------------------------------------------------------------------- rolling update


def test_rolling_update_deletes_up_to_max_unavailable_old_pods() -> None:
    ds = daemonset(strategy=rolling(2))
    nodes = [node(f"n{i}") for i in range(5)]
    pods = {f"n{i}": [pod(f"p{i}", f"n{i}", revision="old")] for i in range(5)}
    plan = dsem.rolling_update(ds, nodes, pods, HASH, 100)
    assert plan == dsem.RollingUpdatePlan(delete=("p0", "p1"), create=())


def test_rolling_update_counts_missing_and_unready_new_pods() -> None:
    ds = daemonset(strategy=rolling(2))
    nodes = [node(f"n{i}") for i in range(4)]
    pods = {
        # n0 has no pod (the manage loop creates it): unavailable.
        "n1": [pod("p1", "n1", ready=False)],  # new, not available: unavailable
        "n2": [pod("p2", "n2", revision="old")],
        "n3": [pod("p3", "n3", revision="old")],
    }
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).delete == ()


def test_rolling_update_replaces_unavailable_old_pods_beyond_the_limit() -> None:
    ds = daemonset(strategy=rolling(1))
    nodes = [node(f"n{i}") for i in range(3)]
    pods = {f"n{i}": [pod(f"p{i}", f"n{i}", revision="old", ready=False)] for i in range(3)}
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).delete == ("p0", "p1", "p2")


def test_rolling_update_ignores_terminating_pods() -> None:
    ds = daemonset(strategy=rolling(1))
    nodes = [node("n0"), node("n1")]
    pods = {
        "n0": [pod("p0", "n0", revision="old", deleting=True)],
        "n1": [pod("p1", "n1", revision="old")],
    }
    # n0's only pod is terminating: no pod at all counts as unavailable, so nothing else goes.
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).delete == ()


def test_rolling_update_with_surge() -> None:
    ds = daemonset(strategy=rolling(0, 1))
    nodes = [node(f"n{i}") for i in range(3)]
    pods = {f"n{i}": [pod(f"p{i}", f"n{i}", revision="old")] for i in range(3)}
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100) == dsem.RollingUpdatePlan(
        delete=(), create=("n0",)
    )
    pods["n0"].append(pod("q0", "n0", ready=False))
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100) == dsem.RollingUpdatePlan(
        delete=(), create=()
    )
    pods["n0"][1] = pod("q0", "n0")
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100) == dsem.RollingUpdatePlan(
        delete=("p0",), create=("n1",)
    )
    # An unavailable old pod gets its replacement at once, beyond maxSurge.
    pods["n2"] = [pod("p2", "n2", revision="old", ready=False)]
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).create == ("n2", "n1")


def test_surge_deletes_old_pods_of_nodes_leaving_only_with_spare_availability() -> None:
    ds = daemonset(strategy=rolling(0, 1), nodeSelector={"agent": "yes"})
    nodes = [node("a", labels={"agent": "yes"}), node("b")]
    pods = {"b": [pod("pb", "b", revision="old")]}
    # desired 1 (a), available 1 (b's old pod): nothing spare.
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).delete == ()
    pods["a"] = [pod("pa", "a")]
    assert dsem.rolling_update(ds, nodes, pods, HASH, 100).delete == ("pb",)


# ----------------------------------------------------------------------------- status


def test_status_counts() -> None:
    ds = daemonset(nodeSelector={"agent": "yes"}, min_ready=10)
    nodes = [node(f"n{i}", labels={"agent": "yes"}) for i in range(4)] + [node("x")]
    pods = {
        "n0": [pod("a", "n0")],  # ready, available (since 1, now 100)
        "n1": [pod("b", "n1", revision="old", ready=False)],
        # Nothing on n2.
        "n3": [pod("c", "n3", created=5), pod("d", "n3", revision="old", created=1)],
        "x": [pod("e", "x")],
    }
    status = dsem.calculate_status(ds, nodes, pods, HASH, 100)
    assert status == {
        "desiredNumberScheduled": 4,
        "currentNumberScheduled": 3,
        "numberMisscheduled": 1,
        "numberReady": 2,  # a, and n3's oldest (d)
        "numberAvailable": 2,
        "updatedNumberScheduled": 1,  # only a: n3's oldest is d, an old one
        "numberUnavailable": 2,
    }
    empty = dsem.calculate_status(ds, [], {}, HASH, 100)
    assert empty == {
        "currentNumberScheduled": 0,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 0,
        "numberReady": 0,
    }


# ----------------------------------------------------------------------------- validation


def _raw(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "a", "image": "x"}]},
            },
            **spec,
        },
    }


@pytest.mark.parametrize(
    ("spec", "path", "message"),
    [
        (
            {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}},
            "spec.updateStrategy.rollingUpdate.maxSurge",
            "may not be set when maxUnavailable is non-zero",
        ),
        (
            {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}},
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
            "cannot be 0 when maxSurge is 0",
        ),
        (
            {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "101%"}}},
            "spec.updateStrategy.rollingUpdate.maxSurge",
            "must not be greater than 100%",
        ),
        (
            {"updateStrategy": {"type": "Recreate"}},
            "spec.updateStrategy",
            "Unsupported value",
        ),
        ({"selector": {}}, "spec.selector", "empty selector is invalid for daemonset"),
        ({"minReadySeconds": -1}, "spec.minReadySeconds", "must be greater than or equal to 0"),
        (
            {"selector": {"matchLabels": {"app": "other"}}},
            "spec.template.metadata.labels",
            "`selector` does not match template `labels`",
        ),
    ],
)
def test_validation(spec: dict[str, Any], path: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        validate_object("DaemonSet", _raw(**spec))
    assert caught.value.path == path
    assert message in str(caught.value)


def test_validation_accepts_surge_and_on_delete() -> None:
    validate_object(
        "DaemonSet",
        _raw(updateStrategy={"rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}),
    )
    validate_object("DaemonSet", _raw(updateStrategy={"type": "OnDelete"}))
    body = _raw()
    body["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5
    with pytest.raises(InputError, match="activeDeadlineSeconds in DaemonSet is not Supported"):
        validate_object("DaemonSet", body)
