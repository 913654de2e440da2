"""One defaulting pass (kmodel.objects.defaults): each kind gets its SetDefaults_*, nothing else."""

from __future__ import annotations

import copy

import pytest

from kmodel.objects.defaults import set_defaults

BODIES = {
    "Pod": {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}},
    "Deployment": {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {}},
    "DaemonSet": {"kind": "DaemonSet", "metadata": {"name": "ds"}, "spec": {}},
    "StatefulSet": {"kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {}},
    "Job": {"kind": "Job", "metadata": {"name": "j"}, "spec": {}},
    "HorizontalPodAutoscaler": {"kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 3}},
}

#: A field each kind's SetDefaults_* fills in, and the value it gets.
FILLED = {
    "Pod": (("spec", "restartPolicy"), "Always"),
    "Deployment": (("spec", "strategy", "rollingUpdate", "maxSurge"), "25%"),
    "DaemonSet": (("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"), 1),
    "StatefulSet": (("spec", "podManagementPolicy"), "OrderedReady"),
    "Job": (("spec", "backoffLimit"), 6),
    "HorizontalPodAutoscaler": (("spec", "minReplicas"), 1),
}


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_each_kind_gets_its_defaults_on_a_copy(kind):
    body = BODIES[kind]
    before = copy.deepcopy(body)
    defaulted = set_defaults(body)
    path, value = FILLED[kind]
    current = defaulted
    for key in path:
        current = current[key]
    assert current == value
    assert body == before


def test_a_kind_without_defaults_is_copied_as_it_is():
    service = {"kind": "Service", "spec": {"ports": [{"port": 80}]}}
    copied = set_defaults(service)
    assert copied == service
    assert copied["spec"] is not service["spec"]


def test_node_allocatable_defaults_to_capacity_only_when_absent():
    # SetDefaults_NodeStatus: a nil allocatable becomes capacity; a set one, even empty, stays.
    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110"}
    bare = {"kind": "Node", "metadata": {"name": "n"}, "status": {"capacity": capacity}}
    defaulted = set_defaults(bare)
    assert defaulted["status"]["allocatable"] == capacity
    assert "allocatable" not in bare["status"]
    empty = {"kind": "Node", "status": {"capacity": capacity, "allocatable": {}}}
    assert set_defaults(empty)["status"]["allocatable"] == {}
    # Without capacity there is nothing to copy: the node has room for nothing.
    no_status = {"kind": "Node", "metadata": {"name": "n"}}
    assert set_defaults(no_status) == no_status


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"])
def test_a_null_update_strategy_is_defaulted_like_an_absent_one(kind):
    # Go decodes null into the zero value, which SetDefaults_* then fills in.
    absent = set_defaults(BODIES[kind])
    null = set_defaults({**BODIES[kind], "spec": {"updateStrategy": None}})
    assert null["spec"]["updateStrategy"] == absent["spec"]["updateStrategy"]
    assert set_defaults({**BODIES[kind], "spec": None})["spec"] == absent["spec"]
