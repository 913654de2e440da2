"""Placement benchmark: kmodel's optimal packer against known optima, FFD and (optionally) CP-SAT.

Instances:

* generated here, optimum known by construction: full bins cut into pieces (1-D and 3-D), so
  the items fill exactly ``k`` bins and ``k`` is optimal (the volume bound);
* Kubernetes-shaped workloads (replica groups, four node types, cpu/memory/pods, anti-affinity),
  generated with a fixed seed; no optimum is known beforehand, the solver must prove it;
* when ``../shared/benchmarks`` exists (or ``--data DIR``): BPPLIB (1-D), the 3-D VPSolver
  instances, and the Alibaba openb trace (GPU treated as an aggregate milli-GPU dimension).

``python -m benchmarks placement [--quick] [--timeout S] [--data DIR] [--only SUBSTRING]``
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.util
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from benchmarks.manifests import CliRun, openb_manifests, run_pack, write_manifests
from kmodel.errors import InputError
from kmodel.objects.manifests import load_text
from kmodel.placement import (
    ItemGroup,
    NodeType,
    Objective,
    PackingProblem,
    PackingResult,
    SolveOptions,
    bin_packing_problem,
    check_placement,
    greedy_pack,
    solve,
)
from kmodel.placement.engine.heuristics import Packing
from kmodel.placement.manifests import placement_input
from kmodel.placement.scheduler_sim import SCORING_STRATEGIES, simulate_kube_scheduler

REPO = Path(__file__).resolve().parent.parent
# ../shared/benchmarks beside the checkout (or beside a folder of worktrees above it).
DEFAULT_DATA = next(
    (p / "shared" / "benchmarks" for p in REPO.parents if (p / "shared" / "benchmarks").is_dir()),
    REPO.parent / "shared" / "benchmarks",
)


@dataclass(frozen=True)
class Instance:
    family: str
    name: str
    problem: PackingProblem
    optimum: int | None
    timeout: float | None = None  # overrides --timeout (the openb trace gets 60 s)
    # The same pods in arrival order, for the kube-scheduler simulation (openb only).
    arrivals: PackingProblem | None = None
    # The manifests kmodel pack reads (default: written from the problem).
    objects: Callable[[], list[dict[str, Any]]] | None = None
    library: bool = True  # run solve() on the problem
    cli: bool = True  # run kmodel pack on the manifests


# ------------------------------------------------------------------------------ generated


def cut_bins_1d(seed: int, bins: int, capacity: int) -> Instance:
    """``bins`` full bins, each cut into 2..5 pieces: the optimum is ``bins``."""
    rng = random.Random(seed)  # noqa: S311 - seeded instance generator
    items: list[tuple[tuple[int], int]] = []
    for _ in range(bins):
        cuts = sorted(rng.sample(range(1, capacity), rng.randint(1, 4)))
        edges = [0, *cuts, capacity]
        items.extend(((b - a,), 1) for a, b in itertools.pairwise(edges))
    return Instance(
        "gen-1d", f"cut1d-s{seed}-{bins}x{capacity}", bin_packing_problem([capacity], items), bins
    )


def cut_bins_3d(seed: int, bins: int, capacity: int) -> Instance:
    """``bins`` bins full in all three dimensions, each cut into 2..4 vector pieces."""
    rng = random.Random(seed)  # noqa: S311 - seeded instance generator
    items: list[tuple[tuple[int, ...], int]] = []
    for _ in range(bins):
        m = rng.randint(2, 4)
        parts = []
        for _ in range(3):
            cuts = sorted(rng.sample(range(1, capacity), m - 1))
            edges = [0, *cuts, capacity]
            parts.append([b - a for a, b in itertools.pairwise(edges)])
            rng.shuffle(parts[-1])
        items.extend((tuple(p[j] for p in parts), 1) for j in range(m))
    problem = bin_packing_problem(
        [capacity] * 3, items, dimensions=("cpu", "memory", "ephemeral-storage")
    )
    return Instance("gen-3d", f"cut3d-s{seed}-{bins}x{capacity}", problem, bins)


def cut_bins_cpu_memory(seed: int, bins: int) -> Instance:
    """``bins`` nodes of 4 cpu and 16 GiB, each cut into 2..6 pods full in cpu AND memory.

    The perfect packings a cluster meets when pod shapes were sized to fill nodes: both
    dimensions bind (neither can be dropped), the optimum is ``bins``.
    """
    rng = random.Random(seed)  # noqa: S311 - seeded instance generator
    capacity = (4000, 16_384)  # millicores, MiB
    items: list[tuple[tuple[int, ...], int]] = []
    for _ in range(bins):
        m = rng.randint(2, 6)
        parts = []
        for cap in capacity:
            cuts = sorted(rng.sample(range(1, cap), m - 1))
            parts.append([b - a for a, b in itertools.pairwise([0, *cuts, cap])])
            rng.shuffle(parts[-1])
        items.extend((tuple(p[j] for p in parts), 1) for j in range(m))
    problem = bin_packing_problem(list(capacity), items, dimensions=("cpu", "memory"))
    return Instance("gen-cpu-mem", f"cutcm-s{seed}-{bins}", problem, bins)


NODE_TYPES = (
    # name, cpu millicores, memory MiB, pods, cost (cents/hour)
    ("xlarge", 3920, 15_000, 58, 19),
    ("2xlarge", 7910, 30_000, 58, 38),
    ("4xlarge", 15_890, 61_000, 234, 77),
    ("8xlarge", 31_850, 124_000, 234, 154),
)


def kubernetes_workload(
    seed: int, pods: int = 2000, groups: int = 40, nodes: int = 300, objective: str = "nodes"
) -> Instance:
    """Replica groups on four node types, cpu/memory/pods, a fifth of the groups anti-affine."""
    rng = random.Random(seed)  # noqa: S311 - seeded instance generator
    anti = set(range(0, groups, 5))
    sizes = [rng.randint(3, 20) if g in anti else 0 for g in range(groups)]
    rest = pods - sum(sizes)
    free_groups = [g for g in range(groups) if g not in anti]
    cuts = sorted(rng.sample(range(1, rest), len(free_groups) - 1))
    for g, (a, b) in zip(free_groups, zip([0, *cuts], [*cuts, rest], strict=True), strict=True):
        sizes[g] = b - a
    item_groups = tuple(
        ItemGroup(
            name=f"deploy-{g}",
            demand=(
                rng.choice([100, 200, 250, 500, 750, 1000, 1500, 2000]),
                rng.choice([128, 256, 512, 768, 1024, 2048, 3072, 4096]),
                1,
            ),
            count=sizes[g],
            max_per_node=1 if g in anti else None,
        )
        for g in range(groups)
    )
    node_types = tuple(
        NodeType(name=n, capacity=(c, m, p), count=nodes // len(NODE_TYPES), cost=cost)
        for n, c, m, p, cost in NODE_TYPES
    )
    problem = PackingProblem(
        dimensions=("cpu", "memory", "pods"),
        groups=item_groups,
        node_types=node_types,
        objective=Objective(objective),
    )
    return Instance("k8s", f"k8s-s{seed}-{pods}p-{objective}", problem, None)


def generated(quick: bool) -> Iterator[Instance]:
    seeds = range(2) if quick else range(5)
    for s in seeds:
        yield cut_bins_1d(s, 20 if quick else 60, 1000)
        yield cut_bins_3d(s, 10 if quick else 25, 100)
        yield cut_bins_cpu_memory(s, 8 if quick else 30)
    for s in range(1 if quick else 3):
        yield kubernetes_workload(s, objective="nodes")
        yield kubernetes_workload(s, objective="cost")


# ------------------------------------------------------------------------------ shared data


def bpplib(root: Path, quick: bool) -> Iterator[Instance]:
    folder = root / "bpplib"
    with (folder / "optima.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for k, row in enumerate(rows):
        if quick and k % 6:
            continue
        tokens = (folder / f"{row['instance']}.txt").read_text().split()  # CRLF-safe
        n, capacity = int(tokens[0]), int(tokens[1])
        weights = Counter(int(t) for t in tokens[2 : 2 + n])
        problem = bin_packing_problem([capacity], [((w,), c) for w, c in weights.items()])
        yield Instance("bpplib", row["instance"], problem, int(row["optimal_bins"]))


def vbp(root: Path, quick: bool) -> Iterator[Instance]:
    folder = root / "vbp"
    with (folder / "optima.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for k, row in enumerate(rows):
        if quick and k % 4:
            continue
        tokens = [int(t) for t in (folder / row["file"]).read_text().split()]
        d = tokens[0]
        capacity = tokens[1 : 1 + d]
        m = tokens[1 + d]
        pos = 2 + d
        items = []
        for _ in range(m):
            items.append((tuple(tokens[pos : pos + d]), tokens[pos + d]))
            pos += d + 1
        try:
            problem = bin_packing_problem(capacity, items, dimensions=("cpu", "memory", "storage"))
        except InputError as err:  # Triplet_classC_* carry a negative weight (-2) in the data
            print(f"skipped {row['instance']}: {err}")
            continue
        yield Instance("vbp", row["instance"], problem, int(row["optimal_bins"]))


def openb(root: Path) -> Iterator[Instance]:
    """The Alibaba openb trace: every pod of the default list at once, most pods placed.

    Not every pod fits (the trace's GPU demand exceeds the cluster's), so the objective is
    PLACED: most pods placed, then fewest nodes; the bound is on the unplaced pods.

    GPUs are one aggregate dimension in milli-GPUs (node: gpus x 1000; pod: num_gpu x
    gpu_milli). That relaxes per-device placement (a 0.5-GPU share must sit on one device),
    so the lower bound is valid for the real problem but a packing may not be realisable on
    the devices; the GPU model column is empty for every pod, so no model constraint applies.

    The instance also carries the pods in the trace's order (``creation_time``, the order of
    the file), runs of identical pods grouped: kube-scheduler's queue for pods of equal
    priority, which the simulation of the default scheduler follows.
    """
    folder = root / "alibaba-openb-2023"
    node_counts: Counter[tuple[int, int, int]] = Counter()
    with (folder / "openb_node_list_all_node.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            node_counts[int(row["cpu_milli"]), int(row["memory_mib"]), int(row["gpu"]) * 1000] += 1
    arrivals: list[tuple[int, int, int]] = []
    with (folder / "openb_pod_list_default.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            gpu = int(row["num_gpu"]) * int(row["gpu_milli"])
            arrivals.append((int(row["cpu_milli"]), int(row["memory_mib"]), gpu))
    pod_counts = Counter(arrivals)
    problem = PackingProblem(
        dimensions=("cpu", "memory", "gpu"),
        groups=tuple(
            ItemGroup(name=f"pods-{k}", demand=d, count=c)
            for k, (d, c) in enumerate(sorted(pod_counts.items()))
        ),
        node_types=tuple(
            NodeType(name=f"type-{k}", capacity=cap, count=c)
            for k, (cap, c) in enumerate(sorted(node_counts.items()))
        ),
        objective=Objective.PLACED,
    )
    runs = [(demand, len(list(same))) for demand, same in itertools.groupby(arrivals)]
    in_order = PackingProblem(
        dimensions=problem.dimensions,
        groups=tuple(
            ItemGroup(name=f"arrival-{k}", demand=d, count=c) for k, (d, c) in enumerate(runs)
        ),
        node_types=problem.node_types,
        objective=Objective.PLACED,
    )
    yield Instance(
        "openb", "openb-default", problem, None, timeout=60.0, arrivals=in_order, cli=False
    )


def openb_nodes(root: Path) -> Instance:
    """The openb cluster as Node and Pod manifests, objective ``nodes``: ``kmodel pack`` only.

    The cpu-only and whole-GPU pods (:func:`benchmarks.manifests.openb_manifests`); the problem
    here is what ``placement_input`` makes of them (for the FFD column).
    """
    folder = root / "alibaba-openb-2023"

    def objects() -> list[dict[str, Any]]:
        return openb_manifests(folder)

    loaded = load_text(yaml.safe_dump_all(objects(), sort_keys=False), file="openb.yaml")
    problem = placement_input(loaded, objective=Objective.NODES).problem()
    return Instance(
        "openb-nodes", "openb-nodes", problem, None, timeout=60.0, objects=objects, library=False
    )


def versions() -> str:
    """The solver libraries' versions, for the figures' provenance."""
    names = ("highspy", "numpy", "scipy", "z3-solver", "ortools")
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def scheduler_runs(inst: Instance) -> list[tuple[str, Packing, float]]:
    """kube-scheduler on the arrivals, once per scoring strategy (``SCORING_STRATEGIES``:
    LeastAllocated, the default profile's, then MostAllocated and RequestedToCapacityRatio).

    Memory is in MiB (openb). Returns ``(strategy, packing, seconds)``; empty without arrivals.
    """
    if inst.arrivals is None:
        return []
    runs = []
    for strategy in SCORING_STRATEGIES:
        start = time.perf_counter()
        packing = simulate_kube_scheduler(inst.arrivals, strategy=strategy)
        runs.append((strategy, packing, time.perf_counter() - start))
    return runs


def scheduler_gaps(
    inst: Instance, runs: list[tuple[str, Packing, float]], ffd: Packing, result: PackingResult
) -> list[str]:
    """One line per heuristic: its unplaced pods and nodes against kmodel's result and bounds.

    Only for the instances the kube-scheduler ran on (the trace): elsewhere the table says it.
    """
    if result.nodes_used is None or not runs:
        return []
    bound = result.nodes_lower_bound
    best = (
        f"kmodel {len(result.unplaced)} unplaced (proven >= {result.lower_bound}), "
        f"{result.nodes_used} nodes" + (f" (proven >= {bound})" if bound is not None else "")
    )
    lines = []
    for label, packing in [*((f"kube-scheduler {s}", p) for s, p, _ in runs), ("FFD", ffd)]:
        line = (
            f"{inst.name} gap: {label} {len(packing.unplaced)} unplaced, {packing.nodes_used} "
            f"nodes vs {best}: {len(packing.unplaced) - len(result.unplaced):+d} pods unplaced, "
            f"{packing.nodes_used - result.nodes_used:+d} nodes"
        )
        if bound is not None:
            over = packing.nodes_used - bound
            line += f", {over:+d} over the node bound ({100 * over / bound:+.1f}%)"
        lines.append(line)
    return lines


# ------------------------------------------------------------------------------ CP-SAT


def cpsat_seconds(problem: PackingProblem, upper: int, timeout: float) -> float | None:
    """Seconds CP-SAT (2 workers) needs to prove the optimum of the grouped assignment model.

    Runs :mod:`benchmarks.cpsat` in a process of its own (OR-Tools and highspy cannot share
    one). ``None`` when it does not prove optimality within ``timeout``.
    """
    p = problem.normalized()
    instance = {
        "groups": [
            {
                "demand": list(g.demand),
                "count": g.count,
                "max_per_node": g.max_per_node,
                "eligible": [t for t in range(len(p.node_types)) if p.eligible(k, t)],
            }
            for k, g in enumerate(p.groups)
        ],
        "node_types": [
            {"free": list(t.free), "count": t.count, "cost": t.cost} for t in p.node_types
        ],
        "objective": p.objective.value,
        "upper": upper,
        "timeout": timeout,
    }
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cpsat"],
        input=json.dumps(instance),
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=timeout + 60,
    )
    seconds = json.loads(done.stdout)["seconds"]
    return None if seconds is None else float(seconds)


def cpsat_available() -> bool:
    """OR-Tools is installed (the ``bench`` extra); not imported here (see benchmarks.cpsat)."""
    return importlib.util.find_spec("ortools") is not None


# ------------------------------------------------------------------------------ main


def _library_wrong(inst: Instance, result: PackingResult) -> bool:
    """The library's result contradicts the instance: infeasible, or against its optimum."""
    violations = check_placement(inst.problem, result.placement)
    placed_objective = inst.problem.objective is Objective.PLACED
    wrong = bool(violations) or bool(
        result.unplaced and result.status.value != "infeasible" and not placed_objective
    )
    if placed_objective and result.value is not None:
        wrong |= result.lower_bound > result.value
    if inst.optimum is not None and result.nodes_used is not None:
        wrong |= result.lower_bound > inst.optimum or result.nodes_used < inst.optimum
        wrong |= result.optimal and result.nodes_used != inst.optimum
    return wrong


def _cli_wrong(inst: Instance, run: CliRun) -> bool:
    """``kmodel pack``'s answer contradicts the instance's optimum or its own bound."""
    if run.error:
        return True
    wrong = run.value is not None and run.lower_bound is not None and run.lower_bound > run.value
    if inst.optimum is not None and inst.problem.objective is Objective.NODES:
        wrong |= run.lower_bound is not None and run.lower_bound > inst.optimum
        wrong |= run.nodes_used is not None and run.nodes_used < inst.optimum
        wrong |= run.optimal and run.nodes_used != inst.optimum
    return wrong


def _library_cells(inst: Instance, result: PackingResult, wrong: bool) -> list[str]:
    placed_objective = inst.problem.objective is Objective.PLACED
    value = (
        f"{result.value} unplaced, {result.nodes_used} nodes"
        + (f" (>= {result.nodes_lower_bound})" if result.nodes_lower_bound is not None else "")
        if placed_objective
        else str(result.value)
    )
    return [
        str(result.lower_bound),
        value + (" BUG" if wrong else ""),
        "yes" if result.optimal else "no",
        f"{result.solve_seconds:.2f}",
        result.method,
    ]


def _cli_cells(run: CliRun, wrong: bool) -> list[str]:
    if run.error:
        return [
            f"error: {run.error}" + (" BUG" if wrong else ""),
            "no",
            "-",
            f"{run.wall_seconds:.1f}",
        ]
    value = "-" if run.value is None else str(run.value)
    if run.nodes_lower_bound is not None:
        value += f" ({run.nodes_used} nodes, >= {run.nodes_lower_bound})"
    elif not run.optimal and run.lower_bound is not None:
        value += f" (>= {run.lower_bound})"
    return [
        value + (" BUG" if wrong else ""),
        "yes" if run.optimal else "no",
        f"{run.solve_seconds:.2f}",
        f"{run.wall_seconds:.1f}",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks placement")
    parser.add_argument("--quick", action="store_true", help="a small sample of instances")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared benchmark folder")
    parser.add_argument("--only", default="", help="run instances whose name contains this")
    parser.add_argument(
        "--family", default="", help="run instances of these families only (comma-separated)"
    )
    parser.add_argument("--no-cpsat", action="store_true", help="skip CP-SAT even if installed")
    parser.add_argument(
        "--path",
        choices=["both", "library", "cli"],
        default="both",
        help="the library call (solve on a PackingProblem), kmodel pack on manifests, or both",
    )
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 230))
    with_cpsat = cpsat_available() and not args.no_cpsat
    cpsat_state = "on" if with_cpsat else "off (--no-cpsat)" if args.no_cpsat else "not installed"
    library, cli = args.path in {"both", "library"}, args.path in {"both", "cli"}

    instances: list[Instance] = list(generated(args.quick))
    if args.data.is_dir():
        instances += list(bpplib(args.data, args.quick))
        instances += list(vbp(args.data, args.quick))
        if not args.quick:
            instances += list(openb(args.data))
            if cli:
                instances.append(openb_nodes(args.data))
    else:
        console.print(f"[yellow]{args.data} not found: generated instances only[/yellow]")
    instances = [
        i
        for i in instances
        if args.only in i.name and (not args.family or i.family in args.family.split(","))
    ]

    load_before = os.getloadavg()
    table = Table(title=f"placement benchmark (timeout {args.timeout:g} s per instance)")
    strategy_columns = {
        "LeastAllocated": "kube-sched",
        "MostAllocated": "kube-sched MA",
        "RequestedToCapacityRatio": "kube-sched RTCR",
    }
    columns = [
        "family",
        "instance",
        "n",
        "opt",
        "FFD",
        *(strategy_columns.get(s, s) for s in SCORING_STRATEGIES),
    ]
    if library:
        columns += ["LB", "kmodel", "proven", "s", "method"]
    if cli:
        columns += ["CLI", "CLI proven", "CLI solve s", "CLI wall s"]
    for col in columns:
        table.add_column(
            col, justify="left" if col in {"family", "instance", "method"} else "right"
        )
    if with_cpsat:
        table.add_column("CP-SAT s", justify="right")
        table.add_column("kmodel/CP-SAT", justify="right")
    tally: dict[str, list[int]] = {}
    cli_tally: dict[str, list[int]] = {}
    gaps: list[str] = []
    methods: list[str] = []
    bugs = 0
    with tempfile.TemporaryDirectory(prefix="kmodel-bench-") as scratch:
        for inst in instances:
            timeout = inst.timeout or args.timeout
            ffd = greedy_pack(inst.problem.normalized(), name="ffd")
            ffd_value: int | str = (
                ffd.cost if inst.problem.objective is Objective.COST else ffd.nodes_used
            )
            if inst.problem.objective is Objective.PLACED:
                ffd_value = f"{len(ffd.unplaced)} unplaced, {ffd.nodes_used} nodes"
            sched = scheduler_runs(inst) if library else []
            row = [
                inst.family,
                inst.name,
                str(inst.problem.n_items),
                "-" if inst.optimum is None else str(inst.optimum),
                str(ffd_value),
                *(
                    f"{len(p.unplaced)} unplaced, {p.nodes_used} nodes, {s:.1f} s"
                    for _, p, s in sched
                ),
                *(["-"] * len(SCORING_STRATEGIES) if not sched else []),
            ]
            result = None
            if library and inst.library:
                result = solve(inst.problem, options=SolveOptions(time_limit=timeout))
                gaps += scheduler_gaps(inst, sched, ffd, result)
                wrong = _library_wrong(inst, result)
                bugs += wrong
                proven = result.optimal and result.solve_seconds <= timeout
                counts = tally.setdefault(inst.family, [0, 0])
                counts[0] += proven
                counts[1] += 1
                row += _library_cells(inst, result, wrong)
            elif library:
                row += ["-"] * 5
            if cli and inst.cli:
                path = Path(scratch) / f"{inst.name}.yaml"
                if inst.objects is not None:
                    path.write_text(
                        yaml.safe_dump_all(inst.objects(), sort_keys=False), encoding="utf-8"
                    )
                else:
                    write_manifests(inst.problem, path)
                run = run_pack(path, inst.problem.objective, timeout)
                path.unlink()
                wrong = _cli_wrong(inst, run)
                bugs += wrong
                counts = cli_tally.setdefault(inst.family, [0, 0])
                counts[0] += run.optimal
                counts[1] += 1
                row += _cli_cells(run, wrong)
                methods.append(f"{inst.name} CLI method: {run.method or run.error}")
            elif cli:
                row += ["-"] * 4
            if with_cpsat:
                cp = None
                if (
                    result is not None
                    and len(inst.problem.groups) * inst.problem.n_nodes <= 400_000
                    and inst.family != "openb"
                ):
                    cp = cpsat_seconds(inst.problem, ffd.nodes_used, timeout)
                row.append("-" if cp is None else f"{cp:.2f}")
                row.append(
                    f"{result.solve_seconds / cp:.2f}"
                    if cp is not None and result is not None and result.optimal
                    else "-"
                )
            table.add_row(*row)
            # One line per instance as it finishes, so a long run shows its progress.
            print(" | ".join(row), flush=True)
    console.print(table)
    for family, (ok, total) in tally.items():
        console.print(f"{family}: library proven optimal within the limit on {ok}/{total}")
    for family, (ok, total) in cli_tally.items():
        console.print(f"{family}: kmodel pack on manifests proven optimal on {ok}/{total}")
    for line in gaps + methods:
        console.print(line)
    console.print(
        f"cpus={os.cpu_count()} load average before {load_before[0]:.2f}, "
        f"after {os.getloadavg()[0]:.2f}; CP-SAT {cpsat_state}; {versions()}"
    )
    if bugs:
        console.print(f"[red]{bugs} results contradict a known optimum or are infeasible[/red]")
        return 1
    return 0
