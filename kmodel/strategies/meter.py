"""What a deployment did, measured step by step: capacity, surplus, traffic by version, outcome.

Traffic is modelled as a steady flow of requests: while the clock advances, the load balancer
splits the flow over its targets as they are at that moment. Kubernetes (kube-proxy) splits a
Service's flow equally over its ready endpoints (iptables mode picks each with equal
probability); an Elastic Beanstalk load balancer splits it by target-group weight, then equally
over the healthy registered targets of each group (a group with weight but no healthy target
answers 503). A request that reaches an instance whose application process is not running fails.
Shares are exact fractions of request-seconds, so they do not depend on a request rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from kmodel.cluster.model import Cluster
from kmodel.errors import InputError
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.semantics.replicaset import controller_ref, is_pod_ready
from kmodel.strategies.beanstalk import (
    ATTACHED_LABEL,
    ENVIRONMENT_KIND,
    TARGET_GROUP_LABEL,
    environment_pods,
    instance_healthy,
    pod_image,
)

__all__ = [
    "DEFAULT_WINDOW",
    "Figures",
    "Meter",
    "Sample",
    "Target",
    "capacity",
    "deployment_pods",
    "routes",
]

#: Where failed requests are booked in a route table.
FAILED = ""


@dataclass(frozen=True)
class Target:
    """What serves the application: a Kubernetes Deployment and Service, or a Beanstalk env.

    Attributes:
        platform: ``kubernetes`` or ``beanstalk``.
        namespace: the namespace.
        name: the Deployment name, or the environment name.
        container: the application container.
        service: the Service whose endpoints receive the traffic (Kubernetes; empty: the
            Deployment's name).
    """

    platform: str
    namespace: str
    name: str
    container: str
    service: str = ""

    def __post_init__(self) -> None:
        if self.platform not in {"kubernetes", "beanstalk"}:
            raise InputError(f"unknown platform {self.platform!r}", path="platform")

    @property
    def service_name(self) -> str:
        """The Service measured (Kubernetes)."""
        return self.service or self.name


def _serving(cluster: Cluster, pod: Mapping[str, Any], container: str) -> bool:
    """Whether the application process of a pod is running now (it can answer a request)."""
    node = read_path(pod, "spec.nodeName")
    machine = cluster.machines.get(str(node))
    if machine is None or not machine.up:
        return False
    runtime = machine.pods.get(pod["metadata"]["uid"])
    if runtime is None:
        return False
    record = runtime.latest(container)
    if record is None or record.get("state") != "running":
        return False
    program = cluster.config.program(pod_image(pod, container=container))
    run_for = program.run_for_of_run(int(record.get("restartCount", 0)))
    # The kubelet notices an exit only when it syncs; the process is gone already.
    return run_for is None or int(record.get("startedAt", 0)) + run_for > cluster.now


def _targets(cluster: Cluster, target: Target) -> list[tuple[Fraction, list[Mapping[str, Any]]]]:
    """(share of traffic, healthy targets sharing it) per target group."""
    if target.platform == "kubernetes":
        endpoints = cluster.store.get(("Endpoints", target.namespace, target.service_name))
        names = [
            a.get("targetRef", {}).get("name")
            for subset in (endpoints or {}).get("subsets") or []
            for a in list_at(subset, "addresses")
        ]
        # An endpoint whose pod is gone still receives its share (and fails it): an empty body.
        endpoint_pods: list[Mapping[str, Any]] = [
            cluster.store.get(("Pod", target.namespace, str(n))) or {} for n in names
        ]
        return [(Fraction(1), endpoint_pods)] if names else []
    env = cluster.store.get((ENVIRONMENT_KIND, target.namespace, target.name))
    weights = ((env or {}).get("status") or {}).get("weights") or {}
    instances = environment_pods(cluster, target.namespace, target.name)
    groups = []
    for group, weight in sorted(weights.items()):
        if not weight:
            continue
        members = [
            p
            for p in instances
            if (p["metadata"].get("labels") or {}).get(TARGET_GROUP_LABEL) == group
            and (p["metadata"].get("labels") or {}).get(ATTACHED_LABEL) == "true"
            and instance_healthy(p)
        ]
        groups.append((Fraction(int(weight), 100), members))
    return groups


def routes(cluster: Cluster, target: Target) -> dict[str, Fraction]:
    """Share of the traffic each image serves now; failed requests under ``""``.

    With no target at all every request fails.
    """
    shares: dict[str, Fraction] = {}
    groups = _targets(cluster, target)
    if not groups:
        return {FAILED: Fraction(1)}
    for share, members in groups:
        if not members:
            shares[FAILED] = shares.get(FAILED, Fraction(0)) + share
            continue
        each = share / len(members)
        for pod in members:
            served = bool(pod) and _serving(cluster, pod, target.container)
            image = pod_image(pod, container=target.container) if served else FAILED
            shares[image] = shares.get(image, Fraction(0)) + each
    return shares


def capacity(cluster: Cluster, target: Target, *, image: str | None = None) -> int:
    """Healthy targets that receive traffic now (of one image, if given): serving capacity."""
    count = 0
    for _, members in _targets(cluster, target):
        for pod in members:
            if not pod:
                continue
            if target.platform == "kubernetes" and not is_pod_ready(pod):
                continue
            if image is None or pod_image(pod, container=target.container) == image:
                count += 1
    return count


def deployment_pods(cluster: Cluster, target: Target) -> list[Mapping[str, Any]]:
    """The pods of the target's Deployment: controlled by a ReplicaSet it controls."""
    d = cluster.store.get(("Deployment", target.namespace, target.name))
    if d is None:
        return []
    owner = d["metadata"]["uid"]
    replicasets = {
        rs["metadata"]["uid"]
        for rs in cluster.store.list_objects("ReplicaSet", namespace=target.namespace)
        if (controller_ref(rs) or {}).get("uid") == owner
    }
    return [
        p
        for p in cluster.store.list_objects("Pod", namespace=target.namespace)
        if (controller_ref(p) or {}).get("uid") in replicasets
    ]


def _instances(cluster: Cluster, target: Target) -> int:
    """Application pods placed on a node and not finished: what the deployment costs."""
    if target.platform == "beanstalk":
        pods = environment_pods(cluster, target.namespace, target.name)
    else:
        pods = deployment_pods(cluster, target)
    return sum(
        1
        for p in pods
        if read_path(p, "spec.nodeName")
        and read_path(p, "status.phase") not in {"Succeeded", "Failed"}
    )


#: Seconds of traffic measured from the start of a deployment unless a spec says otherwise.
DEFAULT_WINDOW = 600


@dataclass(frozen=True)
class Sample:
    """What the meter saw after one step: the figures are folds over these.

    Attributes:
        step: the step's index in the run (chosen steps, then settling steps).
        time: the logical time after the step.
        capacity: healthy targets receiving traffic.
        good_capacity: those running a version that is not the bad one.
        extra: instances beyond the environment's capacity.
        routes: the share of the traffic each image serves from now on (failed under ``""``).
        outcome: how the deployment stands (``Incomplete`` while it runs).
        new_group_healthy: as many instances of the new version as the capacity are healthy.
    """

    step: int
    time: int
    capacity: int
    good_capacity: int
    extra: int
    routes: dict[str, Fraction]
    outcome: str
    new_group_healthy: bool = False

    def as_json(self) -> dict[str, object]:
        """JSON form (shares as exact fractions in text)."""
        return {
            "step": self.step,
            "time": self.time,
            "capacity": self.capacity,
            "good_capacity": self.good_capacity,
            "extra": self.extra,
            "routes": {image: str(share) for image, share in sorted(self.routes.items())},
            "outcome": self.outcome,
            "new_group_healthy": self.new_group_healthy,
        }


@dataclass
class Figures:
    """What one run of a deployment showed.

    Capacity, extra instances, steps and time run from the start of the deployment to its end
    (or the run's end); traffic runs over a fixed window from the start, the same for every
    strategy, so that a version still serving after the deployment ended (a bad version
    deployed) is counted, and shares compare across strategies.

    Attributes:
        min_capacity: the fewest healthy targets receiving traffic.
        min_good_capacity: the fewest such targets running a version that is not the bad one.
        peak_extra: the most instances beyond the environment's capacity.
        steps: steps from the start of the deployment to its end (None: it never ended).
        seconds: logical seconds from the start to the end (None: it never ended).
        outcome: ``Succeeded``, ``Failed`` (rolled back) or ``Incomplete``.
        traffic: request-seconds served by each image within the window (failed ones under
            ``""``).
        capacity_series: (step, capacity) after each step from the start to the end.
        new_before_group_healthy: the new version served traffic while some of its instances
            were not yet healthy.
        samples: what was seen after each step from the start until the window closed.
    """

    min_capacity: int
    min_good_capacity: int
    peak_extra: int = 0
    steps: int | None = None
    seconds: int | None = None
    outcome: str = "Incomplete"
    traffic: dict[str, Fraction] = field(default_factory=dict)
    capacity_series: list[tuple[int, int]] = field(default_factory=list)
    new_before_group_healthy: bool = False
    samples: list[Sample] = field(default_factory=list)

    def share(self, image: str) -> Fraction:
        """The share of the requests within the window that ``image`` served."""
        total = sum(self.traffic.values(), Fraction(0))
        return self.traffic.get(image, Fraction(0)) / total if total else Fraction(0)


@dataclass
class Meter:
    """Measures a deployment while it runs: call :meth:`observe` after every step.

    Attributes:
        target: what serves the application.
        capacity_wanted: the instance count of the environment (replicas).
        old_image: the version before the deployment.
        new_image: the version deployed.
        bad_image: the new version when it is a broken one (None: the new version is good).
        window: seconds of traffic measured from the start.
    """

    target: Target
    capacity_wanted: int
    old_image: str
    new_image: str
    bad_image: str | None = None
    window: int = DEFAULT_WINDOW
    figures: Figures = field(init=False)
    started: tuple[int, int] | None = None
    _last: tuple[int, dict[str, Fraction]] | None = None

    def __post_init__(self) -> None:
        self.figures = Figures(self.capacity_wanted, self.capacity_wanted)

    @property
    def done(self) -> bool:
        """Whether the deployment has ended (succeeded or rolled back)."""
        return self.figures.outcome != "Incomplete"

    @property
    def window_end(self) -> int | None:
        """The logical time the traffic window closes (None before the start)."""
        return None if self.started is None else self.started[1] + self.window

    def measuring(self, now: int) -> bool:
        """Whether anything is still measured at ``now``: the deployment or its traffic."""
        end = self.window_end
        return end is None or not self.done or now < end

    def start(self, cluster: Cluster, step: int) -> None:
        """The deployment starts now (after step ``step``, which started it)."""
        self.started = (step, cluster.now)
        self._last = (cluster.now, routes(cluster, self.target))
        self.observe(cluster, step)

    def observe(self, cluster: Cluster, step: int) -> None:
        """Account for the time since the last observation and the state after ``step``."""
        end = self.window_end
        if end is None or self._last is None or not self.measuring(self._last[0]):
            return
        figures = self.figures
        then, shares = self._last
        elapsed = max(0, min(cluster.now, end) - then)
        for image, share in shares.items():
            figures.traffic[image] = figures.traffic.get(image, Fraction(0)) + share * elapsed
        shares = routes(cluster, self.target)
        self._last = (cluster.now, shares)
        was_done = self.done
        now_capacity = capacity(cluster, self.target)
        good = now_capacity - (
            capacity(cluster, self.target, image=self.bad_image) if self.bad_image else 0
        )
        extra = _instances(cluster, self.target) - self.capacity_wanted
        new_group_healthy = self._new_group_healthy(cluster)
        if not was_done:
            figures.capacity_series.append((step, now_capacity))
            figures.min_capacity = min(figures.min_capacity, now_capacity)
            figures.min_good_capacity = min(figures.min_good_capacity, good)
            figures.peak_extra = max(figures.peak_extra, extra)
            if shares.get(self.new_image) and not new_group_healthy:
                figures.new_before_group_healthy = True
            outcome = self._outcome(cluster)
            if outcome is not None:
                assert self.started is not None  # noqa: S101  # window_end is set
                figures.outcome = outcome
                figures.steps = step - self.started[0]
                figures.seconds = cluster.now - self.started[1]
        figures.samples.append(
            Sample(
                step,
                cluster.now,
                now_capacity,
                good,
                extra,
                shares,
                figures.outcome,
                new_group_healthy=new_group_healthy,
            )
        )

    def _new_group_healthy(self, cluster: Cluster) -> bool:
        """Whether ``capacity_wanted`` instances of the new version pass health checks."""
        if self.target.platform == "beanstalk":
            pods = environment_pods(cluster, self.target.namespace, self.target.name)
            healthy = [p for p in pods if instance_healthy(p)]
        else:
            healthy = [
                p
                for p in deployment_pods(cluster, self.target)
                if p["metadata"].get("deletionTimestamp") is None and is_pod_ready(p)
            ]
        count = sum(
            1 for p in healthy if pod_image(p, container=self.target.container) == self.new_image
        )
        return count >= self.capacity_wanted

    def _outcome(self, cluster: Cluster) -> str | None:
        if self.target.platform == "beanstalk":
            env = cluster.store.get((ENVIRONMENT_KIND, self.target.namespace, self.target.name))
            status = (env or {}).get("status") or {}
            last = status.get("lastDeployment")
            if "deployment" in status or last is None:
                return None
            return str(last["outcome"])
        d = cluster.store.get(("Deployment", self.target.namespace, self.target.name))
        if d is None:
            return None
        status = mapping_at(d, "status")
        replicas = mapping_at(d, "spec").get("replicas", 1)
        complete = (
            status.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
            and status.get("updatedReplicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas
            and status.get("replicas", 0) == replicas
        )
        if not complete:
            return None
        images = [
            str(c.get("image", ""))
            for c in d["spec"]["template"]["spec"].get("containers") or []
            if c.get("name") == self.target.container
        ]
        if self.new_image in images:
            return "Succeeded"
        return "Failed" if self.old_image in images else None
