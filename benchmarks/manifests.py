"""Placement on the user's path: each instance as Node and Pod manifests, through ``kmodel pack``.

An instance is written the way a cluster holds it (``kubectl get -o yaml``): every Node with
``cpu``, ``memory`` and ``pods: 110`` allocatable (``ephemeral-storage`` too for the third
dimension of the vector instances); every Pod requests cpu and memory. One-dimensional
instances get a tiny memory request (1 MiB on nodes of 64 GiB); replica groups with
anti-affinity become Deployments with required pod anti-affinity on the hostname. Then
``kmodel pack FILE -o json --timeout S`` runs as a subprocess, exactly as a user would run it,
and its JSON is read back (:class:`CliRun`).

Units: dimension 0 is millicores, the others MiB. The manifests go to a temporary folder, never
into the repository.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kmodel.placement import Objective, PackingProblem, greedy_pack

__all__ = ["CliRun", "run_pack", "write_manifests"]

#: Pods per node, as the kubelet's default ``maxPods``.
PODS_PER_NODE = 110
#: Memory of a node and request of a pod when the instance has no memory dimension.
AMPLE_MEMORY, TINY_MEMORY = "64Gi", "1Mi"
#: Resource names of the instance dimensions after cpu (a dimension named ``pods`` is the count).
_RESOURCES = ("memory", "ephemeral-storage")
_HOSTNAME = "kubernetes.io/hostname"


def _quantity(dimension: int, value: int) -> str:
    return f"{value}m" if dimension == 0 else f"{value}Mi"


def _resources(problem: PackingProblem, vector: tuple[int, ...]) -> dict[str, str]:
    """cpu, memory (and ephemeral-storage) of a demand or capacity vector; not the pod count."""
    out: dict[str, str] = {}
    names = iter(_RESOURCES)
    for d, name in enumerate(problem.dimensions):
        if name == "pods":
            continue
        key = "cpu" if d == 0 else next(names)
        out[key] = _quantity(d, vector[d])
    return out


def _node(name: str, allocatable: dict[str, str], price: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": {_HOSTNAME: name}}
    if price != 1:
        metadata["annotations"] = {"kmodel.dev/price": str(price)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": metadata,
        "status": {"allocatable": allocatable, "capacity": allocatable},
    }


def _pod_spec(requests: dict[str, str], app: str, *, anti_affinity: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [
            {"name": "app", "image": "registry.example/app:1", "resources": {"requests": requests}}
        ]
    }
    if anti_affinity:
        term = {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": _HOSTNAME}
        spec["affinity"] = {
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}
        }
    return spec


def _node_counts(problem: PackingProblem) -> list[int]:
    """Nodes written per type: one type gets FFD's count plus one (a cluster with room to
    spare, not one node per pod); several types keep their counts."""
    types = problem.node_types
    if len(types) > 1:
        return [t.count for t in types]
    ffd = greedy_pack(problem.normalized(), name="ffd")
    return [min(types[0].count, ffd.nodes_used + 1)]


def manifests(problem: PackingProblem) -> list[dict[str, Any]]:
    """The Node, Pod and Deployment manifests of ``problem`` (see the module docstring)."""
    one_dimensional = not any(name != "pods" for d, name in enumerate(problem.dimensions) if d > 0)
    pods_dim = problem.dimensions.index("pods") if "pods" in problem.dimensions else None
    objects: list[dict[str, Any]] = []
    for typ, count in zip(problem.node_types, _node_counts(problem), strict=True):
        allocatable = _resources(problem, typ.capacity)
        if one_dimensional:
            allocatable["memory"] = AMPLE_MEMORY
        pods = PODS_PER_NODE if pods_dim is None else typ.capacity[pods_dim]
        allocatable["pods"] = str(pods)
        width = len(str(count))
        objects.extend(
            _node(f"{typ.name}-{k:0{width}d}", allocatable, typ.cost) for k in range(count)
        )
    serial = 0
    for g, group in enumerate(problem.groups):
        requests = _resources(problem, group.demand)
        if one_dimensional:
            requests["memory"] = TINY_MEMORY
        requests = {k: v for k, v in requests.items() if v not in {"0m", "0Mi"}}
        app = f"g{g}"
        if group.max_per_node is not None or (group.count > 1 and pods_dim is not None):
            # A replica group: a Deployment (the engine sees its replicas as one group).
            objects.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": app},
                    "spec": {
                        "replicas": group.count,
                        "selector": {"matchLabels": {"app": app}},
                        "template": {
                            "metadata": {"labels": {"app": app}},
                            "spec": _pod_spec(
                                requests, app, anti_affinity=group.max_per_node is not None
                            ),
                        },
                    },
                }
            )
            continue
        for _ in range(group.count):
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"pod-{serial:05d}", "labels": {"app": app}},
                    "spec": _pod_spec(requests, app, anti_affinity=False),
                }
            )
            serial += 1
    return objects


def write_manifests(problem: PackingProblem, path: Path) -> Path:
    """Write ``problem`` as one multi-document YAML file at ``path``; returns ``path``."""
    path.write_text(yaml.safe_dump_all(manifests(problem), sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class CliRun:
    """What ``kmodel pack -o json`` answered, and how long the user waited.

    Attributes:
        exit_code: the command's exit code (0 optimal, 3 time limit, 1 a pod not placed).
        value: nodes (objective ``nodes``), cost or unplaced pods; ``None`` without a packing.
        lower_bound: the proven bound of the objective.
        nodes_lower_bound: objective ``placed``: the proven bound on nodes (else ``None``).
        nodes_used: nodes in the packing.
        optimal: proven optimal.
        solve_seconds: the solve, as the command reports it.
        wall_seconds: the whole command (start-up, parsing, heuristics, solve, verification).
        method: the ``method`` the command reports.
        error: the last line of stderr when stdout was not one JSON document.
    """

    exit_code: int
    value: int | None
    lower_bound: int | None
    nodes_lower_bound: int | None
    nodes_used: int | None
    optimal: bool
    solve_seconds: float
    wall_seconds: float
    method: str
    error: str = ""


def run_pack(path: Path, objective: Objective, timeout: float) -> CliRun:
    """Run ``kmodel pack PATH --objective O -o json --timeout T`` as a subprocess."""
    command = [
        sys.executable,
        "-m",
        "kmodel",
        "pack",
        str(path),
        "--objective",
        objective.value,
        "-o",
        "json",
        "--timeout",
        f"{timeout:g}",
    ]
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        command, capture_output=True, text=True, check=False, timeout=timeout + 600
    )
    wall = time.perf_counter() - start
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return CliRun(
            exit_code=done.returncode,
            value=None,
            lower_bound=None,
            nodes_lower_bound=None,
            nodes_used=None,
            optimal=False,
            solve_seconds=0.0,
            wall_seconds=wall,
            method="",
            error=lines[-1] if lines else "no output",
        )
    nodes = answer["nodes_used"]
    value = {
        Objective.NODES: nodes,
        Objective.COST: answer["cost"],
        Objective.PLACED: len(answer["unplaced"]) if nodes is not None else None,
    }[objective]
    return CliRun(
        exit_code=done.returncode,
        value=value,
        lower_bound=answer["lower_bound"],
        nodes_lower_bound=answer["nodes_lower_bound"],
        nodes_used=nodes,
        optimal=bool(answer["optimal"]),
        solve_seconds=float(answer["solve_seconds"]),
        wall_seconds=wall,
        method=str(answer.get("method", "")),
    )


def openb_manifests(folder: Path) -> list[dict[str, Any]]:
    """The Alibaba openb cluster as manifests: 1,523 Nodes and its cpu-only and whole-GPU Pods.

    Every Node has cpu, memory (MiB), ``pods: 110`` and its GPUs as ``nvidia.com/gpu``
    devices; the Pods are those of ``openb_pod_list_default.csv`` that request no GPU or whole
    GPUs (5,074 of 8,152; a fractional GPU share is not a Kubernetes device request), with
    cpu, memory and ``nvidia.com/gpu`` requests, in the trace's order.
    """
    objects: list[dict[str, Any]] = []
    with (folder / "openb_node_list_all_node.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            allocatable = {
                "cpu": f"{row['cpu_milli']}m",
                "memory": f"{row['memory_mib']}Mi",
                "pods": str(PODS_PER_NODE),
            }
            if int(row["gpu"]):
                allocatable["nvidia.com/gpu"] = row["gpu"]
            objects.append(_node(row["sn"], allocatable, 1))
    with (folder / "openb_pod_list_default.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            gpus, share = int(row["num_gpu"]), int(row["gpu_milli"])
            if gpus and share != 1000:
                continue
            requests = {"cpu": f"{row['cpu_milli']}m", "memory": f"{row['memory_mib']}Mi"}
            if gpus:
                requests["nvidia.com/gpu"] = str(gpus)
            spec = _pod_spec(requests, "openb", anti_affinity=False)
            if gpus:
                spec["containers"][0]["resources"]["limits"] = {"nvidia.com/gpu": str(gpus)}
            objects.append(
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": row["name"]}, "spec": spec}
            )
    return objects
