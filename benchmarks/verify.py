"""``kmodel verify`` speed: properties proven per second by cluster size.

``python -m benchmarks verify [--sizes 30,100,300] [--timeout S]``

Each cluster: N nodes in three zones (two node shapes, a rack label on every node), N / 7.5
Deployments (40 on 300 nodes) of 2-8 replicas with mixed requests; every fourth has required
hostname anti-affinity, every fifth a zone spread (DoNotSchedule), every sixth a node selector.
Properties: schedulable, spreads (proven by anti-affinity or spread constraints, and one
disproved), capacity headroom, survives losing a zone, a rack or a node.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from kmodel.objects.manifests import LoadedObject, Source
from kmodel.verify import parse_property, verify

ZONES = ("a", "b", "c")


def node(i: int) -> dict[str, Any]:
    big = i % 4 == 0
    zone = ZONES[i % 3]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": f"n{i:03d}",
            "labels": {
                "kubernetes.io/hostname": f"n{i:03d}",
                "topology.kubernetes.io/zone": zone,
                "example.com/rack": f"{zone}-r{i % 5}",
                "pool": "big" if big else "std",
            },
        },
        "status": {
            "allocatable": {
                "cpu": "16" if big else "8",
                "memory": "64Gi" if big else "32Gi",
                "pods": "110",
            }
        },
    }


def deployment(j: int) -> dict[str, Any]:
    name = f"app{j:02d}"
    labels = {"app": name}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "c",
                "image": "registry/app:1",
                "resources": {
                    "requests": {
                        "cpu": f"{250 * (1 + j % 4)}m",
                        "memory": f"{512 * (1 + j % 3)}Mi",
                    }
                },
            }
        ]
    }
    if j % 4 == 0:
        spec["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "labelSelector": {"matchLabels": labels},
                        "topologyKey": "kubernetes.io/hostname",
                    }
                ]
            }
        }
    if j % 5 == 0:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": labels},
            }
        ]
    if j % 6 == 0:
        spec["nodeSelector"] = {"pool": "big"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": 2 + j % 7,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def cluster(nodes: int) -> list[LoadedObject]:
    count = max(2, nodes * 2 // 15)
    bodies = [node(i) for i in range(nodes)] + [deployment(j) for j in range(count)]
    return [
        LoadedObject(
            b["kind"],
            b["metadata"]["name"],
            b["metadata"].get("namespace") if b["kind"] != "Node" else None,
            b,
            Source("<bench>", i),
        )
        for i, b in enumerate(bodies)
    ]


def properties() -> list[Any]:
    raw = [
        "schedulable",
        {"spread": {"deployment": "app00", "across": "node", "min": 2}},
        {"spread": {"deployment": "app01", "across": "zone", "min": 2}},
        {"spread": {"deployment": "app00", "across": "zone", "min": 2}},
        {"survives": {"lose": "zone"}},
        {"capacity_headroom": {"deployment": "app01", "extra": 2}},
        {"survives": {"lose": "example.com/rack"}},
        {"survives": {"lose": "node"}},
    ]
    return [parse_property(p, file="<bench>", path=f"verify[{i}]") for i, p in enumerate(raw)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks verify")
    parser.add_argument("--sizes", default="30,100,300")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    print(f"{'nodes':>6} {'deployments':>11} {'pods':>5} {'property':<44} {'status':<9} {'s':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        objects = cluster(size)
        props = properties()
        start = time.perf_counter()
        result = verify(objects, props, timeout=args.timeout)
        total = time.perf_counter() - start
        pods = len(result.inp.pod_names)
        deployments = sum(o.kind == "Deployment" for o in objects)
        for r in result.results:
            print(
                f"{size:>6} {deployments:>11} {pods:>5} {r.prop.name:<44} {r.status:<9} "
                f"{r.seconds:>7.2f}"
            )
        print(
            f"{size:>6} {deployments:>11} {pods:>5} {'all (incl. building the input)':<44} "
            f"{len(props) / total:>6.2f}/s {total:>7.2f}"
        )
    return 0
