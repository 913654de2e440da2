"""Nothing passes silently: unmodelled workloads, coverage, scheduler reasons, gates, labels."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmodel.errors import InputError
from kmodel.explore.search import ExploreOptions, explore
from kmodel.explore.spec import load_spec
from tests.speckit import PASSING_SPEC


def _write(folder: Path, body: object, name: str = "spec.yaml") -> Path:
    target = folder / name
    text = body if isinstance(body, str) else yaml.safe_dump(body, sort_keys=False)
    target.write_text(text, encoding="utf-8")
    return target


def _spec(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(PASSING_SPEC)
    body.update(changes)
    return body


def _deployment(name: str = "web", **pod_spec: Any) -> dict[str, Any]:
    body = copy.deepcopy(PASSING_SPEC["workloads"][0])
    body["metadata"]["name"] = name
    body["spec"]["selector"]["matchLabels"] = {"app": name}
    body["spec"]["template"]["metadata"]["labels"] = {"app": name}
    body["spec"]["template"]["spec"].update(pod_spec)
    return body


# ---------------------------------------------------------------- kubelet node labels


def test_pool_nodes_carry_the_kubelets_default_labels(tmp_path: Path) -> None:
    pools = [
        {"pool": "cpu", "count": 2, "zones": ["a", "b"], "region": "r1"},
        {"pool": "gpu", "arch": "arm64", "resources": {"nvidia.com/gpu": 4}},
    ]
    spec = load_spec(_write(tmp_path, _spec(cluster={"nodes": pools})))
    nodes = {o["metadata"]["name"]: o for o in spec.scenario.objects if o["kind"] == "Node"}
    assert nodes["cpu-2"]["metadata"]["labels"] == {
        "kubernetes.io/hostname": "cpu-2",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": "b",
        "topology.kubernetes.io/region": "r1",
    }
    assert nodes["gpu-1"]["metadata"]["labels"]["kubernetes.io/arch"] == "arm64"
    assert nodes["gpu-1"]["status"]["allocatable"]["nvidia.com/gpu"] == "4"


def test_a_linux_node_selector_runs_on_pool_nodes(tmp_path: Path) -> None:
    web = _deployment(nodeSelector={"kubernetes.io/os": "linux"})
    spec = load_spec(
        _write(tmp_path, _spec(workloads=[web], actions=[], invariants=["eventually_stable"]))
    )
    assert explore(spec.scenario, ExploreOptions(examples=3, max_steps=3)) == []


@pytest.mark.parametrize(
    ("pool", "path"),
    [
        ({"pool": "g", "resources": {"gpu": 1}}, "cluster.nodes[0].resources.gpu"),
        ({"pool": "g", "resources": {"nvidia.com/gpu": "0.5"}}, "cluster.nodes[0].resources"),
        ({"pool": "g", "labels": {"a b": "x"}}, "cluster.nodes[0].labels"),
        ({"pool": "g", "os": ""}, "cluster.nodes[0].os"),
    ],
)
def test_bad_pool_fields_are_named(tmp_path: Path, pool: dict[str, Any], path: str) -> None:
    target = _write(tmp_path, _spec(cluster={"nodes": [pool]}))
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.file == str(target)
    assert (caught.value.path or "").startswith(path)
