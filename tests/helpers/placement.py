"""Builders for placement tests: manifests in, a PlacementInput out (this module holds no tests)."""

from __future__ import annotations

import itertools
from typing import Any

import yaml

from kmodel.objects.manifests import load_text
from kmodel.placement.engine.problem import (
    Objective,
    PackingProblem,
    check_placement,
    nodes_and_cost,
)
from kmodel.placement.manifests import PlacementInput, placement_input
from tests.helpers.scheduling import make_deployment, make_node, make_pod, requests

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def node(name: str, *, zone: str = "a", price: int | None = None, **kw: Any) -> dict[str, Any]:
    body = make_node(name, labels={HOST: name, ZONE: zone, **kw.pop("labels", {})}, **kw)
    if price is not None:
        body["metadata"]["annotations"] = {"kmodel.dev/price": str(price)}
    return body


def deployment(
    name: str, replicas: int, *, cpu: str = "1", memory: str = "1Gi", **spec: Any
) -> dict[str, Any]:
    container = {"name": "c", "image": "busybox", "resources": requests(cpu=cpu, memory=memory)}
    return make_deployment(name, replicas, [container], pod_spec=spec)


def anti_affinity(app: str, key: str = HOST) -> dict[str, Any]:
    return {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": key}
            ]
        }
    }


def as_yaml(*objects: dict[str, Any]) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects)


def build(*objects: dict[str, Any], objective: str = "nodes") -> PlacementInput:
    return placement_input(load_text(as_yaml(*objects), file="test.yaml"), objective=objective)


__all__ = ["anti_affinity", "as_yaml", "build", "deployment", "make_pod", "node", "requests"]


def brute_force_value(problem: PackingProblem) -> int | None:
    """Smallest objective value over every assignment of items to nodes (tiny problems only).

    Nodes with bound load count as used whatever the assignment, as in the solver.
    """
    best = None
    for nodes in itertools.product(range(problem.n_nodes), repeat=problem.n_items):
        placement = dict(enumerate(nodes))
        if check_placement(problem, placement):
            continue
        used, cost = nodes_and_cost(problem, placement)
        value = cost if problem.objective is Objective.COST else used
        best = value if best is None else min(best, value)
    return best
