"""Constrained packing on the user's path: spread, affinity, anti-affinity, zonal volumes, ports.

``python -m benchmarks constrained [--sizes 3,5,7,10] [--zones 3] [--seeds 1] [--timeout 60]
[--strategies]`` (``--strategies``: also time the library's descending bound against
``z3.Optimize``).

Each instance is a Kubernetes-shaped cluster written as Node, Deployment, StatefulSet,
PersistentVolume and PersistentVolumeClaim manifests with a planted placement whose value is
the optimum, by construction:

* ``zones`` zones of ``k + 2`` identical nodes (4 cpu, 16 GiB, 110 pods);
* every Deployment spreads over the zones with ``maxSkew: 1`` (``DoNotSchedule``) and has a
  multiple of ``zones`` replicas, so every admissible placement puts the same number of its
  pods in each zone (with ``r`` per zone on average, a zone with fewer would leave another
  more than one above it);
* ``cache`` has required anti-affinity on the hostname (one per node), ``web`` requires pod
  affinity to ``cache`` on the hostname (only on a node holding a cache pod), ``agent`` binds
  host port 9100 (one per node); a StatefulSet ``db`` has one member per zone, each claim bound
  to a volume pinned to its zone;
* filler Deployments of assorted sizes fill the planted nodes: ``k - 1`` nodes per zone to the
  last millicore, the ``k``-th partly.

So each zone holds more than ``k - 1`` nodes' worth of cpu in every admissible placement and
needs ``k`` nodes: the optimum is ``zones * k`` (the planted placement reaches it), while the
engine's relaxation, which does not see the spread, can only prove
``ceil(total cpu / 4 cpu)``, below it whenever the partial nodes add up to less than whole ones.

Each instance runs through ``kmodel pack FILE -o json --timeout T`` as a subprocess (the user's
path, :func:`benchmarks.manifests.run_pack`; "wall" includes reading the manifests and
kube-scheduler's runs shown beside the optimum, "solve" is the engine's and Z3's time);
CP-SAT solves the same model (the same counts,
rules and symmetry breaking, exported as JSON) in a process of its own
(:mod:`benchmarks.cpsat_constrained`; OR-Tools and highspy cannot share one). Manifests go to a
temporary folder.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from benchmarks.manifests import CliRun, run_pack
from benchmarks.placement import REPO, cpsat_available
from kmodel.objects.manifests import load_manifests
from kmodel.placement import Objective
from kmodel.placement.constrained import STRATEGIES, node_classes, pack_constrained
from kmodel.placement.manifests import HOSTNAME_KEY, ZONE_KEY, PlacementInput, placement_input
from kmodel.placement.verify import port_conflicts

__all__ = ["ConstrainedInstance", "export_model", "instance", "main"]

_NODE_CPU = 4000
#: Filler pod sizes: (millicores, MiB).
_FILLERS = ((250, 512), (500, 1024), (750, 1536), (1000, 2048), (1250, 2048), (1500, 3072))
_CACHE, _WEB, _AGENT, _DB = (500, 2048), (750, 1024), (250, 256), (1000, 4096)


@dataclass(frozen=True)
class ConstrainedInstance:
    """A generated instance: its manifests and its optimum (nodes)."""

    name: str
    objects: list[dict[str, Any]]
    optimum: int
    pods: int
    nodes: int


def _requests(cpu: int, mib: int) -> dict[str, Any]:
    return {"requests": {"cpu": f"{cpu}m", "memory": f"{mib}Mi"}}


def _spread(app: str) -> list[dict[str, Any]]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": ZONE_KEY,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": app}},
        }
    ]


def _deployment(app: str, replicas: int, size: tuple[int, int], **spec: object) -> dict[str, Any]:
    container: dict[str, Any] = {"name": app, "image": "registry.k8s.io/pause:3.9"}
    container["resources"] = _requests(*size)
    if spec.pop("host_port", None):
        container["ports"] = [{"containerPort": 9100, "hostPort": 9100}]
    pod_spec = {"containers": [container], "topologySpreadConstraints": _spread(app), **spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {"metadata": {"labels": {"app": app}}, "spec": pod_spec},
        },
    }


def _term(app: str) -> dict[str, Any]:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": HOSTNAME_KEY}


def _zone_plan(k: int, rng: random.Random) -> dict[str, int]:
    """Pods per zone of each Deployment: a planted packing of ``k`` nodes (module docstring)."""
    counts: dict[str, int] = {}
    caches = (k + 1) // 2
    for j in range(k):
        free = _NODE_CPU if j < k - 1 else rng.choice((1000, 1500, 2000, 2500))
        planted: list[tuple[str, int]] = []
        if j == 0:
            planted.append(("db", _DB[0]))
        if j < caches:
            planted.extend([("cache", _CACHE[0]), ("web", _WEB[0])])
        if j < k - 1:
            planted.append(("agent", _AGENT[0]))
        for app, cpu in planted:
            counts[app] = counts.get(app, 0) + 1
            free -= cpu
        while free > 0:
            fits = [i for i, (cpu, _) in enumerate(_FILLERS) if cpu <= free]
            i = rng.choice(fits)
            counts[f"fill-{i}"] = counts.get(f"fill-{i}", 0) + 1
            free -= _FILLERS[i][0]
    return counts


def instance(k: int, *, zones: int = 3, seed: int = 0) -> ConstrainedInstance:
    """The instance with ``k`` planted nodes per zone (module docstring)."""
    rng = random.Random(f"{seed}-{k}-{zones}")  # noqa: S311 - a reproducible instance
    plan = _zone_plan(k, rng)
    names = [chr(ord("a") + z) for z in range(zones)]
    objects: list[dict[str, Any]] = []
    for zone in names:
        for j in range(k + 2):
            name = f"{zone}-{j:02d}"
            objects.append(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": name, "labels": {HOSTNAME_KEY: name, ZONE_KEY: zone}},
                    "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
                }
            )
    for app, per_zone in sorted(plan.items()):
        replicas = per_zone * zones
        if app == "cache":
            anti = {"requiredDuringSchedulingIgnoredDuringExecution": [_term("cache")]}
            objects.append(_deployment(app, replicas, _CACHE, affinity={"podAntiAffinity": anti}))
        elif app == "web":
            near = {"requiredDuringSchedulingIgnoredDuringExecution": [_term("cache")]}
            objects.append(_deployment(app, replicas, _WEB, affinity={"podAffinity": near}))
        elif app == "agent":
            objects.append(_deployment(app, replicas, _AGENT, host_port=True))
        elif app.startswith("fill-"):
            objects.append(_deployment(app, replicas, _FILLERS[int(app[5:])]))
    objects.extend(_database(names))
    pods = sum(plan.values()) * zones
    return ConstrainedInstance(f"k{k}-z{zones}-s{seed}", objects, zones * k, pods, zones * (k + 2))


def _database(zones: list[str]) -> list[dict[str, Any]]:
    """A StatefulSet with one member per zone, each claim bound to a volume in its zone."""
    objects: list[dict[str, Any]] = []
    for ordinal, zone in enumerate(zones):
        claim, volume = f"data-db-{ordinal}", f"pv-db-{zone}"
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {"name": volume},
                "spec": {
                    "capacity": {"storage": "10Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "claimRef": {"namespace": "default", "name": claim},
                    "nodeAffinity": {
                        "required": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": ZONE_KEY, "operator": "In", "values": [zone]}
                                    ]
                                }
                            ]
                        }
                    },
                },
                "status": {"phase": "Bound"},
            }
        )
        objects.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": "default"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "10Gi"}},
                    "volumeName": volume,
                },
                "status": {"phase": "Bound"},
            }
        )
    container = {
        "name": "db",
        "image": "registry.k8s.io/pause:3.9",
        "resources": _requests(*_DB),
    }
    objects.append(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "replicas": len(zones),
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [container]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "10Gi"}},
                        },
                    }
                ],
            },
        }
    )
    return objects


def write(inst: ConstrainedInstance, folder: Path) -> Path:
    """The instance's manifests as one YAML file in ``folder``."""
    path = folder / f"{inst.name}.yaml"
    path.write_text(yaml.safe_dump_all(inst.objects, sort_keys=False))
    return path


def load(path: Path) -> PlacementInput:
    """The placement input ``kmodel pack`` builds from the file (objective ``nodes``)."""
    return placement_input(load_manifests([str(path)]), objective=Objective.NODES)


def export_model(inp: PlacementInput) -> dict[str, Any]:
    """The Z3 model's content as JSON for :mod:`benchmarks.cpsat_constrained`.

    Node indexes are positions in ``inp.nodes``; groups keep their order.
    """
    index = {node.name: i for i, node in enumerate(inp.nodes)}
    rules: list[dict[str, Any]] = []
    for g, group in enumerate(inp.groups):
        rules.extend(
            {
                "kind": limit.kind,
                "group": g,
                "limit": limit.limit,
                "domains": [[index[n] for n in members] for members in limit.domains.values()],
                "existing": [limit.existing.get(d, 0) for d in limit.domains],
                "counted": list(limit.counted_groups),
                "min_domains": limit.min_domains,
            }
            for limit in group.limits
        )
    return {
        "nodes": [
            {
                "free": [c - u for c, u in zip(node.capacity, node.load, strict=True)],
                "weight": node.price if inp.objective is Objective.COST else 1,
                "bound": bool(node.bound),
            }
            for node in inp.nodes
        ],
        "groups": [
            {
                "demand": list(group.demand),
                "count": len(group.pods),
                "eligible": sorted(index[n] for n in group.eligible),
            }
            for group in inp.groups
        ],
        "rules": rules,
        "ports": [list(pair) for pair in port_conflicts(inp)],
        "classes": [[index[n] for n in members] for members in node_classes(inp, ())],
    }


def cpsat(model: dict[str, Any], timeout: float) -> dict[str, Any]:
    """CP-SAT on the exported model in a process of its own: value, optimal, seconds."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cpsat_constrained"],
        input=json.dumps({**model, "timeout": timeout}),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=timeout + 120,
    )
    return dict(json.loads(done.stdout))


def _cell(value: int | None, optimal: bool, seconds: float) -> tuple[str, str, str]:
    return ("-" if value is None else str(value), "yes" if optimal else "no", f"{seconds:.1f}")


def _strategies(args: argparse.Namespace) -> None:
    """Seconds of each Z3 search on the library path (no seeds, no engine bound)."""
    table = Table(title="Z3 searches on the library path (pack_constrained, no seeds)")
    for column in ("instance", "optimum", *(f"{s} value/proven/s" for s in STRATEGIES)):
        table.add_column(column)
    with tempfile.TemporaryDirectory() as tmp:
        for k in (int(s) for s in args.sizes.split(",")):
            inst = instance(k, zones=args.zones)
            inp = load(write(inst, Path(tmp)))
            cells = []
            for strategy in STRATEGIES:
                start = time.perf_counter()
                found = pack_constrained(
                    inp, lower_bound=0, time_limit=args.timeout, strategy=strategy
                )
                seconds = time.perf_counter() - start
                cells.append(
                    " / ".join(_cell(found.value, found.status.value == "optimal", seconds))
                )
            table.add_row(inst.name, str(inst.optimum), *cells)
    Console(width=220).print(table)


def main(argv: list[str]) -> int:
    """Run the family, print the table; exit 1 when a bound or a proof contradicts an optimum."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks constrained")
    parser.add_argument("--sizes", default="3,5,7,10", help="planted nodes per zone")
    parser.add_argument("--zones", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=1, help="instances per size")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--no-cpsat", action="store_true")
    parser.add_argument(
        "--strategies",
        action="store_true",
        help="also time the library's two Z3 searches (descend, optimize) without seeds",
    )
    args = parser.parse_args(argv)
    with_cpsat = cpsat_available() and not args.no_cpsat
    table = Table(title=f"Constrained packing (kmodel pack --timeout {args.timeout:g})")
    for column in (
        "instance", "nodes", "pods", "groups", "optimum", "kmodel", "proven", "wall s", "solve s",
        "CP-SAT", "proven", "s", "solve/CP-SAT s", "kmodel method",
    ):  # fmt: skip
        table.add_column(column)
    wrong = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in (int(s) for s in args.sizes.split(",")):
            for seed in range(args.seeds):
                inst = instance(k, zones=args.zones, seed=seed)
                path = write(inst, Path(tmp))
                run: CliRun = run_pack(path, Objective.NODES, args.timeout)
                inp = load(path)
                # Sound: never a bound above the optimum, never "optimal" off it. A value below
                # the optimum can only be a packing the verifier rejected (status unknown).
                wrong += int(
                    (run.optimal and run.value != inst.optimum)
                    or (run.lower_bound is not None and run.lower_bound > inst.optimum)
                )
                answer = _cell(run.value, run.optimal, run.wall_seconds)
                if run.value is not None and run.value < inst.optimum:
                    answer = ("none valid", *answer[1:])
                other = ("-", "-", "-")
                ratio = "-"
                if with_cpsat:
                    found = cpsat(export_model(inp), args.timeout)
                    other = _cell(found["value"], found["optimal"], found["seconds"])
                    ratio = f"{run.solve_seconds / max(found['seconds'], 0.01):.2f}"
                table.add_row(
                    inst.name,
                    str(inst.nodes),
                    str(inst.pods),
                    str(len(inp.groups)),
                    str(inst.optimum),
                    *answer,
                    f"{run.solve_seconds:.1f}",
                    *other,
                    ratio,
                    run.method[:90] or run.error,
                )
    Console(width=220).print(table)
    if args.strategies:
        _strategies(args)
    if not with_cpsat:
        print("CP-SAT: not installed (pip install -e '.[bench]') or --no-cpsat")
    if wrong:
        print(f"{wrong} bound(s) or proof(s) contradict the planted optimum", file=sys.stderr)
    return 1 if wrong else 0
