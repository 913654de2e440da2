"""The invariants' restatements agree with the model's own functions on faithful input.

The invariants restate defaults, fenceposts, template equality, availability, endpoints and
DaemonSet eligibility from the objects rather than call the model (a bug there must not move
the check with it); on the inputs the model handles correctly the two must agree, or the
invariant would raise false alarms.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.cluster.components.controllers import _equal_ignore_hash
from kmodel.cluster.components.network import endpoints_for
from kmodel.cluster.user_actions import SetImage
from kmodel.invariants.base import _pod_available
from kmodel.invariants.daemonsets import _should_run
from kmodel.invariants.deployments import _defaults, _fenceposts, _listed, _promised, _same_template
from kmodel.objects.defaults import set_defaults_deployment
from kmodel.semantics import deployment as dep
from kmodel.semantics.daemonset import node_should_run_daemon_pod
from kmodel.semantics.replicaset import is_pod_available
from tests.helpers.cluster import daemonset, deployment, node, service

BOUNDS = [0, 1, 2, 5, "0%", "10%", "25%", "50%", "100%"]


@pytest.mark.parametrize(("surge", "unavailable"), list(itertools.product(BOUNDS, BOUNDS)))
def test_fenceposts_agree_with_max_surge_and_max_unavailable(surge, unavailable) -> None:
    for replicas in range(8):
        raw = deployment(replicas=replicas)
        raw["spec"]["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
        }
        d = _defaults(raw)
        assert _fenceposts(d) == (dep.max_surge(raw), dep.max_unavailable(raw))
        assert replicas - _fenceposts(d)[1] == dep.min_available(raw)


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"replicas": None, "strategy": None},
        {"strategy": {"type": "Recreate"}},
        {"strategy": {"rollingUpdate": {"maxSurge": 0}}},
        {"replicas": 4, "strategy": {"type": "RollingUpdate", "rollingUpdate": None}},
    ],
)
def test_defaults_agree_with_set_defaults_deployment(spec: dict[str, Any]) -> None:
    raw = deployment()
    raw["spec"] = {**raw["spec"], **spec}
    ours, theirs = _defaults(raw)["spec"], set_defaults_deployment(raw)["spec"]
    assert ours["replicas"] == theirs["replicas"]
    assert ours["strategy"] == theirs["strategy"]
    assert ours["template"] == theirs["template"]


def test_template_equality_agrees_with_equal_ignore_hash() -> None:
    base = deployment()["spec"]["template"]
    hashed = copy.deepcopy(base)
    hashed["metadata"]["labels"]["pod-template-hash"] = "abc"
    other_image = copy.deepcopy(base)
    other_image["spec"]["containers"][0]["image"] = "app:2"
    other_label = copy.deepcopy(hashed)
    other_label["metadata"]["labels"]["tier"] = "front"
    annotated = copy.deepcopy(base)
    annotated["metadata"]["annotations"] = {"a": "b"}
    bare = {"spec": base["spec"]}
    empty_labels = {"metadata": {"labels": {}}, "spec": base["spec"]}
    templates = [base, hashed, other_image, other_label, annotated, bare, empty_labels]
    for a, b in itertools.product(templates, repeat=2):
        assert _same_template(a, b) == _equal_ignore_hash(a, b)


def _ready_since(since: object) -> dict[str, Any]:
    condition = {"type": "Ready", "status": "True", "lastTransitionTime": since}
    return {"status": {"conditions": [condition]}}


@pytest.mark.parametrize("min_ready", [0, 1, 5, 10])
@pytest.mark.parametrize("since", [0, 3, 5, 10, 2.5, None, "1970-01-01T00:00:05Z"])
def test_availability_agrees_with_is_pod_available(min_ready: int, since: object) -> None:
    pod = _ready_since(since)
    for now in (0, 5, 10, 15, 16):
        assert _pod_available(pod, min_ready, now) == is_pod_available(pod, min_ready, now)
    unready = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    assert _pod_available(unready, min_ready, 20) is False is is_pod_available(unready, 0, 20)


def test_promised_endpoints_are_what_the_endpoints_controller_computes() -> None:
    published = service("all")
    published["spec"] = {
        "selector": {"app": "web"},
        "publishNotReadyAddresses": True,
        "ports": [{"port": 80, "targetPort": 8080, "protocol": "UDP"}],
    }
    cluster = build_cluster(
        [node("n1"), node("n2"), deployment(replicas=3), service(), published, service("none")]
    )
    cluster.settle()
    cluster.step(SetImage("default", "web", "app", "app:2"))
    seen = 0
    for _ in range(60):  # along a rollout: pods pending, starting, terminating
        pods = list(cluster.store.list_objects("Pod"))
        for svc in cluster.store.list_objects("Service"):
            assert _listed(endpoints_for(svc, cluster.store)) == _promised(svc, pods)
            seen += 1
        actions = cluster.enabled_actions()
        if not actions:
            break
        cluster.step(actions[-1])
    assert seen > 30


NODES = [
    node("plain"),
    {**node("tainted"), "spec": {"taints": [{"key": "dedicated", "effect": "NoSchedule"}]}},
    {
        **node("cordoned"),
        "spec": {
            "unschedulable": True,
            "taints": [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
        },
    },
    {
        **node("no-network"),
        "spec": {
            "taints": [{"key": "node.kubernetes.io/network-unavailable", "effect": "NoSchedule"}]
        },
    },
    {**node("evicting"), "spec": {"taints": [{"key": "gone", "effect": "NoExecute"}]}},
    {**node("soft"), "spec": {"taints": [{"key": "soft", "effect": "PreferNoSchedule"}]}},
]


def _variants() -> list[dict[str, Any]]:
    variants = []
    for extra in (
        {},
        {"nodeSelector": {"topology.kubernetes.io/zone": "a"}},
        {"nodeSelector": {"topology.kubernetes.io/zone": "b"}},
        {"tolerations": [{"key": "dedicated", "operator": "Exists"}]},
        {"tolerations": [{"operator": "Exists"}]},
        {"hostNetwork": True},
        {"nodeName": "tainted"},
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "In", "values": ["plain"]}
                                ]
                            },
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/hostname",
                                        "operator": "NotIn",
                                        "values": ["plain", "soft"],
                                    }
                                ]
                            },
                        ]
                    }
                }
            }
        },
    ):
        ds = daemonset()
        ds["spec"]["template"]["spec"].update(copy.deepcopy(extra))
        variants.append(ds)
    return variants


@pytest.mark.parametrize("ds", _variants())
def test_should_run_agrees_with_node_should_run_daemon_pod(ds: dict[str, Any]) -> None:
    for n in NODES:
        assert _should_run(ds, n) == node_should_run_daemon_pod(n, ds)[0], n["metadata"]["name"]
