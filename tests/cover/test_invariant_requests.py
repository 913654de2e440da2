"""The capacity invariants restate pod requests and node allocatable without kmodel.semantics;
on every pod and node of the bundled specs they agree with the model's own functions."""

from __future__ import annotations

import pytest

from kmodel.cluster.build import build_cluster
from kmodel.explore.spec import load_spec, spec_paths
from kmodel.invariants import Monitor, make_invariant
from kmodel.invariants.base import _allocatable, _pod_requests
from kmodel.invariants.cluster import _extended_requests
from kmodel.semantics.resources import is_extended_resource_name, node_allocatable, pod_requests
from tests.helpers.cluster import node
from tests.helpers.paths import ROOT


def _objects():
    for path in spec_paths([ROOT / "specs"]):
        for obj in load_spec(path).scenario.objects:
            if obj.get("kind") in {"Deployment", "StatefulSet", "DaemonSet"}:
                template = obj["spec"]["template"]
                yield {"kind": "Pod", "metadata": {"name": obj["metadata"]["name"]}, **template}
            elif obj.get("kind") in {"Pod", "Node"}:
                yield obj


OBJECTS = list(_objects())


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: f"{o['kind']}/{o['metadata'].get('name')}")
def test_restated_amounts_agree_with_the_models(obj) -> None:
    if obj["kind"] == "Node":
        expected = node_allocatable(obj)
        assert _allocatable(obj) == {k: v for k, v in expected.items() if k in _allocatable(obj)}
    else:
        expected = pod_requests(obj)
        assert _pod_requests(obj) == {k: expected.get(k, 0) for k in ("cpu", "memory")}


def test_sidecars_pod_level_requests_and_overhead_count() -> None:
    pod = {
        "spec": {
            "containers": [{"resources": {"requests": {"cpu": "200m"}}}],
            "initContainers": [
                {"resources": {"requests": {"cpu": "100m"}}, "restartPolicy": "Always"},
                {"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
            ],
            "overhead": {"cpu": "50m"},
        }
    }
    assert _pod_requests(pod) == {"cpu": 1150, "memory": 2**30}
    assert _pod_requests(pod) == {k: pod_requests(pod)[k] for k in ("cpu", "memory")}
    pod["spec"]["resources"] = {"requests": {"cpu": "2"}}
    assert _pod_requests(pod)["cpu"] == 2050 == pod_requests(pod)["cpu"]


@pytest.mark.parametrize(
    "obj",
    [o for o in OBJECTS if o["kind"] == "Pod"],
    ids=lambda o: f"{o['kind']}/{o['metadata'].get('name')}",
)
def test_restated_extended_requests_agree_with_the_models(obj) -> None:
    expected = pod_requests(obj)
    assert _extended_requests(obj) == {
        k: v for k, v in expected.items() if is_extended_resource_name(k) and v
    }


def test_extended_requests_count_sidecars_and_the_largest_init_container() -> None:
    gpu = "example.com/gpu"
    pod = {
        "spec": {
            "containers": [{"resources": {"limits": {gpu: 1}}}],
            "initContainers": [
                {"resources": {"limits": {gpu: 1}}, "restartPolicy": "Always"},
                {"resources": {"requests": {gpu: 3}, "limits": {gpu: 3}}},
            ],
        }
    }
    assert _extended_requests(pod) == {gpu: 4} == {gpu: pod_requests(pod)[gpu]}


def _pinned(name: str, requests: dict) -> dict:
    limits = {k: v for k, v in requests.items() if "/" in k}
    container = {"name": "c", "image": "app:1", "resources": {"requests": requests}}
    container["resources"]["limits"] = limits
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [container]},
        "status": {"phase": "Running", "startTime": 0},
    }


def test_no_overcommit_compares_the_extended_resources_the_node_lists() -> None:
    """Two pods with a GPU each on a one-GPU node; a license no node lists is not judged."""
    gpu_node = node("n1")
    for field in ("allocatable", "capacity"):
        gpu_node["status"][field]["nvidia.com/gpu"] = "1"
    licensed = {"cpu": "1", "example.com/license": 5}
    one = build_cluster([gpu_node, _pinned("a", {**licensed, "nvidia.com/gpu": 1})])
    assert Monitor([make_invariant("no_overcommit")]).observe(one) == []
    two = build_cluster([gpu_node, *(_pinned(n, {"nvidia.com/gpu": 1}) for n in "ab")])
    (violation,) = Monitor([make_invariant("no_overcommit")]).observe(two)
    assert violation.message == (
        "node n1 is over its allocatable nvidia.com/gpu: 2 requested, 1 allocatable"
    )
