"""Strategy specs: one application, one release, several strategies and failure modes (YAML).

A strategies spec (documented in the README, "kmodel strategies")::

    name: web-release
    description: what it compares
    cluster: {nodes: [{pool: worker, count: 3, cpu: "4", memory: 8Gi}]}   # as in check specs
    workloads: [../workloads/web.yaml, {kind: Deployment, ...}]  # one Deployment + its Service
    release: {image: registry.example.com/web:2.0}   # the new version (container: optional)
    failures:                        # broken variants of the new version, by name
      crash: {runFor: 30, exitCode: 1, readyAfter: 5}
      never-ready: {readyAfter: null}
    programs: {}                     # other images' behaviour, as in check specs
    strategies:
      - {name: k8s-rolling, kubernetes: RollingUpdate, maxSurge: 1, maxUnavailable: 0}
      - {name: k8s-recreate, kubernetes: Recreate}
      - {name: eb-rolling, beanstalk: Rolling, batchSizeType: Fixed, batchSize: 1}
      - {name: eb-split, beanstalk: TrafficSplitting, newVersionPercent: 10, evaluationTime: 60}
    faults: {container_crash: 1}     # the fault budget, as in check specs
    timeout: 300                     # health wait (EB command timeout, k8s progress deadline)
    window: 600                      # seconds of traffic measured from the release (shares)
    explore: {examples: 20, maxSteps: 15, seed: 0, ticks: [1, 10]}

A failure's image is the release image with ``-<failure>`` appended. The format is declared in
:mod:`kmodel.strategies.spec_format`. Every error names the file and the field path (exit code
2 on the command line).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kmodel.cluster.model import ClusterConfig, Program
from kmodel.cluster.user_actions import SetImage
from kmodel.errors import InputError
from kmodel.explore.search import ExploreOptions
from kmodel.explore.spec import (
    LeftOut,
    SpecReader,
    container_images,
    fault_budgets,
    parse_program,
    read_cluster,
    read_explore,
    read_spec_file,
    read_workloads,
    refuse_unmodelled,
    refuse_unused_programs,
)
from kmodel.objects.fields import read_path
from kmodel.strategies.beanstalk import (
    DeployVersion,
    beanstalk_actions,
    environment_manifest,
)
from kmodel.strategies.kubernetes import OPERATOR_ANNOTATION, operator_actions
from kmodel.strategies.meter import DEFAULT_WINDOW, Target
from kmodel.strategies.policies import Strategy
from kmodel.strategies.run import StrategyScenario
from kmodel.strategies.spec_format import (
    BeanstalkStrategy,
    KubernetesStrategy,
    StrategiesSpecFormat,
)

__all__ = ["STRATEGY_SPEC_KEYS", "StrategiesSpec", "load_strategies_spec"]

#: The keys of a strategies spec (declared by :class:`StrategiesSpecFormat`).
STRATEGY_SPEC_KEYS: Final = frozenset(
    info.alias or name for name, info in StrategiesSpecFormat.model_fields.items()
)


@dataclass(frozen=True)
class StrategiesSpec:
    """A loaded strategies spec.

    Attributes:
        path: the spec file.
        name: its name.
        description: what it compares.
        strategies: the rows.
        failures: failure mode name -> the broken version's program (``none`` is not listed).
        options: how hard to explore each (strategy, failure) pair.
        digest: a hash of the file's text.
    """

    path: str
    name: str
    description: str
    strategies: tuple[Strategy, ...]
    failures: Mapping[str, Program]
    options: ExploreOptions
    digest: str
    objects: tuple[Mapping[str, Any], ...] = ()
    deployment: Mapping[str, Any] = field(default_factory=dict)
    service: str = ""
    container: str = ""
    release_image: str = ""
    programs: Mapping[str, Program] = field(default_factory=dict)
    faults: Mapping[str, int | None] = field(default_factory=dict)
    timeout: int = 300
    window: int = DEFAULT_WINDOW
    ticks: tuple[int, ...] = (1, 10)
    control_plane_members: int = 1

    @property
    def failure_modes(self) -> tuple[str, ...]:
        """``none`` (a good release), then each failure mode."""
        return ("none", *self.failures)

    def strategy(self, name: str) -> Strategy:
        """A strategy by name.

        Raises:
            InputError: no strategy of that name.
        """
        for strategy in self.strategies:
            if strategy.name == name:
                return strategy
        raise InputError(f"no strategy {name!r} in the spec", file=self.path, path="strategies")

    def image_for(self, failure: str) -> str:
        """The image released in a failure mode."""
        return self.release_image if failure == "none" else f"{self.release_image}-{failure}"

    def scenario(self, strategy_name: str, failure: str) -> StrategyScenario:
        """The scenario of one strategy deploying the release in one failure mode.

        Raises:
            InputError: an unknown strategy or failure mode.
        """
        strategy = self.strategy(strategy_name)
        if failure not in self.failure_modes:
            raise InputError(
                f"no failure mode {failure!r} (known: {', '.join(self.failure_modes)})",
                file=self.path,
                path="failures",
            )
        d = self.deployment
        namespace = d["metadata"].get("namespace", "default")
        name = d["metadata"]["name"]
        replicas = int(d["spec"].get("replicas", 1))
        template = d["spec"]["template"]
        old_image = next(
            str(c.get("image", ""))
            for c in template["spec"]["containers"]
            if c.get("name") == self.container
        )
        new_image = self.image_for(failure)
        programs = dict(self.programs)
        if failure != "none":
            programs[new_image] = self.failures[failure]
        others = [o for o in self.objects if o is not d]
        if strategy.platform == "kubernetes":
            body = copy.deepcopy(dict(d))
            body["spec"]["strategy"] = (
                {"type": "Recreate"}
                if strategy.policy == "Recreate"
                else {
                    "type": "RollingUpdate",
                    "rollingUpdate": {
                        "maxSurge": strategy.max_surge,
                        "maxUnavailable": strategy.max_unavailable,
                    },
                }
            )
            body["spec"]["progressDeadlineSeconds"] = self.timeout
            annotations = body["metadata"].setdefault("annotations", {})
            annotations[OPERATOR_ANNOTATION] = old_image
            objects = [*others, body]
            start: Any = SetImage(namespace, name, self.container, new_image)
            wait = self.timeout
        else:
            objects = [
                o
                for o in others
                if not (o.get("kind") == "Service" and o["metadata"]["name"] == self.service)
            ]
            objects.append(
                environment_manifest(
                    name,
                    namespace,
                    strategy,
                    capacity=replicas,
                    template=template,
                    container=self.container,
                    image=old_image,
                    timeout=self.timeout,
                )
            )
            start = DeployVersion(namespace, name, new_image)
            wait = self.timeout + strategy.evaluation_time + strategy.dns_ttl
        return StrategyScenario(
            objects=objects,
            faults=dict(self.faults),
            config=ClusterConfig(
                programs=programs, controllers=(beanstalk_actions, operator_actions)
            ),
            control_plane_members=self.control_plane_members,
            ticks=self.ticks,
            strategy_name=strategy.name,
            failure=failure,
            start=start,
            target=Target(strategy.platform, namespace, name, self.container, self.service),
            capacity=replicas,
            old_image=old_image,
            new_image=new_image,
            wait_seconds=wait,
            window=self.window,
        )


def _strategy(
    reader: SpecReader, entry: KubernetesStrategy | BeanstalkStrategy, path: str
) -> Strategy:
    """A validated strategy entry as a :class:`Strategy` (whose own checks name the path)."""
    try:
        if isinstance(entry, KubernetesStrategy):
            return Strategy(
                entry.name,
                "kubernetes",
                entry.kubernetes,
                max_surge=entry.max_surge,
                max_unavailable=entry.max_unavailable,
            )
        return Strategy(
            entry.name,
            "beanstalk",
            entry.beanstalk,
            batch_size_type=entry.batch_size_type,
            batch_size=entry.batch_size,
            new_version_percent=entry.new_version_percent,
            evaluation_time=entry.evaluation_time,
            dns_ttl=entry.dns_ttl,
        )
    except InputError as error:
        where = path + (error.path or "").removeprefix(f"strategies.{entry.name}")
        raise reader.error(where, error.message) from None


def load_strategies_spec(
    path: str | Path,
    *,
    validate: str = "strict",
    on_warning: Callable[[str], None] | None = None,
) -> StrategiesSpec:
    """Load and validate a strategies spec (``validate``: the manifests' ``--validate`` mode).

    ``on_warning`` gets the manifests' warnings (unknown fields ``validate`` relaxes).

    Raises:
        InputError: the file, the field path and what is wrong.
    """
    reader, body, base, text = read_spec_file(path)
    spec = reader.parse(StrategiesSpecFormat, body)
    file = reader.file
    source = Path(path)
    left_out: list[LeftOut] = []
    cluster = read_cluster(
        reader,
        spec.cluster,
        base,
        on_left_out=left_out.append,
        validate=validate,
        on_warning=on_warning,
    )
    members = cluster.members
    workloads = read_workloads(
        reader,
        spec.workloads,
        base,
        on_left_out=left_out.append,
        validate=validate,
        on_warning=on_warning,
    )
    refuse_unmodelled(reader, left_out, ignore=False, can_ignore=False)
    objects = [*cluster.nodes, *workloads]
    deployments = [o for o in objects if o.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise reader.error(
            "workloads", f"needs exactly one Deployment (the application), found {len(deployments)}"
        )
    deployment = deployments[0]
    labels = ((deployment["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    services = [
        o
        for o in objects
        if o.get("kind") == "Service"
        and o["metadata"].get("namespace", "default")
        == deployment["metadata"].get("namespace", "default")
        and read_path(o, "spec.selector")
        and all(labels.get(k) == v for k, v in o["spec"]["selector"].items())
    ]
    if not services:
        raise reader.error("workloads", "needs a Service that selects the Deployment's pods")
    # Of several, the one named like the Deployment, else the first listed; the output names it.
    services.sort(key=lambda o: o["metadata"]["name"] != deployment["metadata"]["name"])

    containers = [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]]
    container = spec.release.container or containers[0]
    if container not in containers:
        raise reader.error(
            "release.container", f"no container {container!r} (has: {', '.join(containers)})"
        )
    image = spec.release.image

    failures = {name: parse_program(program) for name, program in spec.failures.items()}
    if "none" in failures:
        raise reader.error("failures.none", "`none` is the good release; pick another name")
    programs = {name: parse_program(program) for name, program in spec.programs.items()}
    # The release image runs once a strategy rolls it out (its failures under their own names).
    refuse_unused_programs(reader, programs, [*container_images(objects), image])

    strategies = tuple(
        _strategy(reader, entry, f"strategies[{i}]") for i, entry in enumerate(spec.strategies)
    )
    if not strategies:
        raise reader.error("strategies", "name at least one strategy")
    names = [s.name for s in strategies]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise reader.error("strategies", f"two strategies are named {duplicate!r}")

    options, ticks = read_explore(spec.explore)
    return StrategiesSpec(
        path=file,
        name=spec.name or source.stem,
        description=spec.description,
        strategies=strategies,
        failures=failures,
        options=options,
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
        objects=tuple(objects),
        deployment=deployment,
        service=str(services[0]["metadata"]["name"]),
        container=container,
        release_image=image,
        programs=programs,
        faults=fault_budgets(spec.faults),
        timeout=spec.timeout,
        window=spec.window,
        ticks=ticks,
        control_plane_members=members,
    )
