"""Model benchmark: cluster model steps per second, with and without invariants and Hypothesis.

The cluster is 5 nodes over 3 zones running 3 Deployments (7 pods) behind a Service. Three
measurements, each on a seeded, deterministic workload:

* **model**: a random walk of model steps (choose an action, apply it), no invariant checks. The
  walk mostly takes an enabled component step; now and then the clock ticks, a user rolls out a
  new image or scales a Deployment, or node ``n5`` crashes or recovers.
* **model + safety invariants**: the same walk, with :meth:`kmodel.invariants.Monitor.default`
  checked after every step (same actions, so the same trace).
* **Hypothesis + StatefulSet**: the same with a 3-member StatefulSet (a zonal claim each), its
  rollouts and a kubelet partition added: the cost of the StatefulSet controller and its
  invariants (``--only statefulset``).
* **Hypothesis**: :func:`kmodel.explore.search.explore` on the equivalent scenario (the same
  objects, rollouts, scaling and node crash, the same invariants), steps counted through its
  progress callback. The cluster is built and settled once per exploration and each example
  steps a copy of it (as :func:`~kmodel.explore.search.explore` does); the rate includes the
  build, the copies, and the settling every example ends with (its steps are not counted).
  That settling is most of the time: an example of about 20 chosen steps ends with 40 to 180
  settling steps (a rollout or a node crash played out, then 40 idle ticks, which settling
  takes as a few longer ticks where a probe shows them idle: ``Cluster.idle_window``). One untimed
  example runs first, so that the first timed row does not pay for importing what
  exploration uses (Hypothesis' engine, the components' first calls).
* **anatomy of an example**: examples run by hand as :func:`explore` runs them (a copy of the
  settled start, up to ``--max-steps`` seeded choices among :meth:`Run.choices`, then
  :meth:`Run.finish`), with the CPU time of the chosen steps and of the settling measured
  apart: how many settling steps an example costs, and the rate the chosen steps alone reach.
  Its choices are uniform over what is offered, so it draws more faults and user actions
  than Hypothesis does, and settles longer.

Each walk prints a fingerprint of its trace (a hash of every action, change and refused write),
so an optimisation that changes behaviour shows up as a changed fingerprint.

``python -m benchmarks model [--steps N] [--seed S] [--examples E] [--max-steps M]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from kmodel.cluster.actions import Action
from kmodel.cluster.build import build_cluster
from kmodel.cluster.clock import Tick
from kmodel.cluster.faults import NodeCrash, NodeRecover
from kmodel.cluster.model import Cluster, Step
from kmodel.cluster.user_actions import ScaleDeployment, SetImage
from kmodel.explore.coverage import Coverage
from kmodel.explore.run import Run, Scenario, UserAction
from kmodel.explore.search import ExploreOptions, explore
from kmodel.invariants import Monitor, Violation

#: (node name, zone): 5 nodes over 3 zones.
NODES = (("n1", "a"), ("n2", "b"), ("n3", "c"), ("n4", "a"), ("n5", "b"))
#: (Deployment name, replicas): 3 Deployments.
DEPLOYMENTS = (("web", 3), ("api", 2), ("worker", 2))
IMAGES = ("nginx:1", "nginx:2", "nginx:3")
#: The node the walk crashes and recovers.
FLAKY_NODE = "n5"
_ZONE = "topology.kubernetes.io/zone"


def node_manifest(name: str, zone: str) -> dict[str, Any]:
    """A 4-CPU, 8 GiB node in ``zone``."""
    capacity = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"topology.kubernetes.io/zone": zone, "kubernetes.io/hostname": name},
        },
        "status": {"allocatable": dict(capacity), "capacity": dict(capacity)},
    }


def deployment_manifest(name: str, replicas: int) -> dict[str, Any]:
    """A RollingUpdate Deployment (upstream default strategy) of one nginx container."""
    container = {
        "name": "app",
        "image": IMAGES[0],
        "resources": {"requests": {"cpu": "250m", "memory": "128Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container]},
            },
        },
    }


def cluster_objects() -> list[dict[str, Any]]:
    """The benchmark cluster's manifests: 5 Nodes, 3 Deployments and a Service for ``web``."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    return [
        *(node_manifest(name, zone) for name, zone in NODES),
        *(deployment_manifest(name, replicas) for name, replicas in DEPLOYMENTS),
        service,
    ]


def fresh_cluster() -> Cluster:
    """The benchmark cluster, settled (every Deployment rolled out and available)."""
    cluster = build_cluster(cluster_objects())
    cluster.settle()
    return cluster


def choose(cluster: Cluster, rng: random.Random) -> Action:
    """The walk's next action: mostly an enabled component step, sometimes time, users, faults."""
    enabled = cluster.enabled_actions()
    roll = rng.random()
    if roll < 0.10:
        return Tick(rng.choice((1, 5, 10)))
    if roll < 0.13:
        return SetImage("default", rng.choice(DEPLOYMENTS)[0], "app", rng.choice(IMAGES))
    if roll < 0.15:
        return ScaleDeployment("default", rng.choice(DEPLOYMENTS)[0], rng.randint(1, 5))
    if roll < 0.16:
        up = cluster.machines[FLAKY_NODE].up
        return NodeCrash(FLAKY_NODE) if up else NodeRecover(FLAKY_NODE)
    if enabled:
        return rng.choice(enabled)
    return Tick(10)


def _fingerprint_update(digest: Any, step: Step) -> None:  # noqa: ANN401 - a hashlib object
    digest.update(step.action.describe().encode())
    for change in step.changes:
        digest.update(f"|{change.type} {change.kind} {change.name} {change.summary}".encode())
    for error in step.errors:
        digest.update(f"|! {error}".encode())
    digest.update(f"@{step.time}\n".encode())


@dataclass(frozen=True)
class Measurement:
    """One row of the table."""

    label: str
    steps: int
    seconds: float
    cpu_seconds: float
    note: str

    @property
    def rate(self) -> float:
        """Steps per wall-clock second."""
        return self.steps / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        """Steps per CPU second of this process (robust to other load on the machine)."""
        return self.steps / self.cpu_seconds if self.cpu_seconds else 0.0


def walk(steps: int, seed: int, *, monitor: Monitor | None) -> Measurement:
    """The seeded random walk; with ``monitor``, safety invariants after every step."""
    cluster = fresh_cluster()
    rng = random.Random(seed)  # noqa: S311 - a seeded workload, not cryptography
    digest = hashlib.sha256()
    violations: list[str] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step = cluster.step(choose(cluster, rng))
        _fingerprint_update(digest, step)
        if monitor is not None:
            violations.extend(v.invariant for v in monitor.observe(cluster, step=step))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    note = f"trace {digest.hexdigest()[:12]}"
    if monitor is not None:
        note += f", {len(violations)} violations ({', '.join(sorted(set(violations))) or '-'})"
    label = "model + safety invariants" if monitor is not None else "model (choose + apply)"
    return Measurement(label, steps, wall, cpu, note)


def scenario(invariants: Sequence[Any]) -> Scenario:
    """The walk's equivalent as an exploration scenario."""
    names = [name for name, _ in DEPLOYMENTS]
    return Scenario(
        objects=cluster_objects(),
        faults={"node_crash": 1},
        user_actions=[
            *(
                UserAction(
                    "rollout",
                    {"deployment": name, "container": "app", "images": list(IMAGES)},
                    budget=None,
                )
                for name in names
            ),
            *(UserAction("scale", {"deployment": name, "replicas": [1, 3, 5]}) for name in names),
        ],
        invariants=tuple(invariants),
        ticks=(1, 5, 10),
    )


def statefulset_objects() -> list[dict[str, Any]]:
    """A StatefulSet ``db`` (3 members, a claim each) and a zonal volume per member's zone."""
    zones = sorted({zone for _, zone in NODES})
    volumes = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": f"ssd-{zone}"},
            "spec": {
                "capacity": {"storage": "10Gi"},
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "ssd",
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": _ZONE, "operator": "In", "values": [zone]}
                                ]
                            }
                        ]
                    }
                },
            },
        }
        for zone in zones
    ]
    template = deployment_manifest("db", 3)
    stateful_set = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "serviceName": "db",
            "replicas": 3,
            "selector": template["spec"]["selector"],
            "template": template["spec"]["template"],
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": "ssd",
                        "resources": {"requests": {"storage": "5Gi"}},
                    },
                }
            ],
        },
    }
    return [*volumes, stateful_set]


def statefulset_scenario(invariants: Sequence[Any]) -> Scenario:
    """:func:`scenario` plus the StatefulSet, its rollouts and a kubelet partition."""
    base = scenario(invariants)
    return Scenario(
        objects=[*base.objects, *statefulset_objects()],
        faults={**base.faults, "kubelet_partition": 1},
        user_actions=[
            *base.user_actions,
            UserAction(
                "rollout",
                {"statefulset": "default/db", "container": "app", "images": list(IMAGES)},
                budget=None,
            ),
        ],
        invariants=base.invariants,
        ticks=base.ticks,
    )


def hypothesis_run(
    examples: int,
    max_steps: int,
    seed: int,
    *,
    coverage: bool = False,
    statefulsets: bool = False,
) -> Measurement:
    """explore() on the equivalent scenario, steps counted by the progress callback.

    With ``coverage``, it also records what ``kmodel check`` reports as coverage (action
    counts, state fingerprints, preconditions met), as the command line does.
    """
    seen: dict[str, int] = {"examples": 0, "steps": 0}

    def progress(examples_run: int, steps_taken: int) -> None:
        seen["examples"], seen["steps"] = examples_run, steps_taken

    options = ExploreOptions(examples=examples, max_steps=max_steps, seed=seed, shrink=False)
    wall, cpu = time.perf_counter(), time.process_time()
    recorded = Coverage() if coverage else None
    build = statefulset_scenario if statefulsets else scenario
    findings = explore(
        build(Monitor.default().invariants), options=options, progress=progress, coverage=recorded
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    found = ", ".join(f.invariant for f in findings) or "none"
    note = (
        f"{seen['examples']} examples, findings: {found}; "
        "includes one build + settle, a copy and the final settle per example"
    )
    if recorded is not None:
        note += f"; {len(recorded.states)} distinct states"
    label = "Hypothesis explore() + coverage" if coverage else "Hypothesis explore()"
    if statefulsets:
        label += " + StatefulSet"
    return Measurement(label, seen["steps"], wall, cpu, note)


def anatomy(examples: int, max_steps: int, seed: int) -> Measurement:
    """Examples run by hand, the CPU time of chosen steps and of settling measured apart."""
    rng = random.Random(seed)  # noqa: S311 - a seeded workload, not cryptography
    started = Run(scenario(Monitor.default().invariants), initial=scenario([]).build())
    chosen = settled = checked = reused = ticks = intervals = 0
    choosing_cpu = settling_cpu = invariants_cpu = 0.0

    def timed(observe: Callable[..., list[Violation]]) -> Callable[..., list[Violation]]:
        def observe_timed(*args: Any, **kwargs: Any) -> list[Violation]:  # noqa: ANN401
            nonlocal invariants_cpu
            clock = time.process_time()
            try:
                return observe(*args, **kwargs)
            finally:
                invariants_cpu += time.process_time() - clock

        return observe_timed

    for _ in range(examples):
        run = started.copy()
        before = (run.monitor.checks.checked, run.monitor.checks.reused)
        run.monitor.observe = timed(run.monitor.observe)  # type: ignore[method-assign]
        clock = time.process_time()
        for _ in range(rng.randint(0, max_steps)):
            choices = run.choices()
            chosen += 1
            if run.do(choices[rng.randrange(len(choices))]):
                break
        middle = time.process_time()
        run.finish()
        settling_cpu += time.process_time() - middle
        choosing_cpu += middle - clock
        settled += len(run.settle_steps)
        for step in run.settle_steps:
            if isinstance(step.action, Tick):
                ticks += 1
                intervals += step.action.seconds // run.cluster.config.heartbeat_interval
        checked += run.monitor.checks.checked - before[0]
        reused += run.monitor.checks.reused - before[1]
    cpu = choosing_cpu + settling_cpu
    note = (
        f"{examples} examples: settling {settled / examples:.0f} steps "
        f"({(settled - ticks) / examples:.0f} component steps, {ticks / examples:.0f} ticks "
        f"covering {intervals / examples:.0f} heartbeat intervals) and "
        f"{1000 * settling_cpu / examples:.0f} ms CPU per example, "
        f"{100 * settling_cpu / cpu:.0f} % of the CPU time; "
        f"chosen steps alone {chosen / choosing_cpu if choosing_cpu else 0:,.0f} per CPU s; "
        f"safety invariants {100 * invariants_cpu / cpu:.0f} % of the CPU time, "
        f"{100 * reused / max(checked + reused, 1):.0f} % of their answers reused (Invariant.reads)"
    )
    return Measurement("anatomy of an example (chosen steps + settling)", chosen, cpu, cpu, note)


def _warm_up(max_steps: int, seed: int) -> None:
    """One untimed example: imports and first calls are not charged to the first timed row."""
    options = ExploreOptions(examples=1, max_steps=max_steps, seed=seed, shrink=False)
    explore(scenario(Monitor.default().invariants), options=options)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def run(
    steps: int, seed: int, examples: int, max_steps: int, *, only: str = ""
) -> tuple[list[Measurement], str, str]:
    """Every measurement (those whose label contains ``only``), with the load before and after."""
    jobs: Mapping[str, Callable[[], Measurement]] = {
        "model": lambda: walk(steps, seed, monitor=None),
        "invariants": lambda: walk(steps, seed, monitor=Monitor.default()),
        "hypothesis": lambda: hypothesis_run(examples, max_steps, seed),
        "hypothesis-coverage": lambda: hypothesis_run(examples, max_steps, seed, coverage=True),
        "hypothesis-statefulset": lambda: hypothesis_run(
            examples, max_steps, seed, statefulsets=True
        ),
        "anatomy": lambda: anatomy(examples, max_steps, seed),
    }
    before = _load()
    if any(only in name for name in jobs if name.startswith(("hypothesis", "anatomy"))):
        _warm_up(max_steps, seed)
    results = [job() for name, job in jobs.items() if only in name]
    return results, before, _load()


def main(argv: list[str]) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks model")
    parser.add_argument("--steps", type=int, default=3000, help="steps per random walk")
    parser.add_argument("--seed", type=int, default=1, help="workload and Hypothesis seed")
    parser.add_argument("--examples", type=int, default=30, help="Hypothesis examples")
    parser.add_argument("--max-steps", type=int, default=40, help="steps per Hypothesis example")
    parser.add_argument(
        "--only", default="", help="model, invariants, hypothesis, statefulset or anatomy"
    )
    args = parser.parse_args(argv)
    if args.steps < 1 or args.examples < 1 or args.max_steps < 1:
        parser.error("--steps, --examples and --max-steps must be positive")
    console = Console(width=max(Console().width, 140))
    cluster_size = f"{len(NODES)} nodes, {len(DEPLOYMENTS)} Deployments"
    results, before, after = run(
        args.steps, args.seed, args.examples, args.max_steps, only=args.only
    )
    table = Table(title=f"model benchmark (seed {args.seed})")
    for column in ("run", "cluster", "steps", "s", "steps/s", "CPU s", "steps/CPU s", "notes"):
        table.add_column(
            column, justify="left" if column in {"run", "cluster", "notes"} else "right"
        )
    for m in results:
        table.add_row(
            m.label,
            cluster_size,
            str(m.steps),
            f"{m.seconds:.2f}",
            f"{m.rate:,.0f}",
            f"{m.cpu_seconds:.2f}",
            f"{m.cpu_rate:,.0f}",
            m.note,
        )
    console.print(table)
    console.print(f"machine: {before} before, {after} after (single-threaded run)")
    return 0
