"""The capacity invariants restate pod requests and node allocatable without kmodel.semantics;
on every pod and node of the bundled specs they agree with the model's own functions."""

from __future__ import annotations

import pytest

from kmodel.explore.spec import load_spec, spec_paths
from kmodel.invariants.base import _allocatable, _pod_requests
from kmodel.semantics.resources import node_allocatable, pod_requests
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
