"""Invariants guarding cluster-wide facts: capacity, UIDs, terminal phases, static pods, quorum."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from functools import partial
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import (
    History,
    Invariant,
    Violation,
    _allocatable,
    _live,
    _name,
    _pod_requests,
    _pods,
)
from kmodel.objects.quantity import quantity_in_model_units


class NoOvercommit(Invariant):
    """No node's accepted, non-terminal pods request more than its allocatable.

    The scheduler's promise (it binds a pod only where ``noderesources.Fits``) and the
    kubelet's (``predicate.go predicateAdmitHandler.Admit``: ``Fits`` over the pods it
    admitted), checked for cpu, memory, pods and each extended resource the node lists (the
    kubelet drops an extended resource its node does not list,
    ``removeMissingExtendedResources``, so such a request is not judged). A pod counts once one
    of them accepted it: bound through the binding API (``PodScheduled=True``) or acknowledged
    by its kubelet (``status.startTime``). A pod created with ``spec.nodeName`` is neither until
    its kubelet admits or rejects it; nothing promised it room before.
    """

    name = "no_overcommit"
    description = "no node is over its allocatable"
    reads = frozenset({"Pod", "Node"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Sum requests per node (once per revision of the stored pods and nodes)."""
        revisions = cluster.store.kind_revision
        key = ("no-overcommit", type(self), revisions.get("Pod", 0), revisions.get("Node", 0))
        return list(cluster.memo(key, lambda: tuple(self._check(cluster))))

    def _check(self, cluster: Cluster) -> list[Violation]:
        violations: list[Violation] = []
        by_node: dict[str, list[Mapping[str, Any]]] = {}
        for pod in _pods(cluster):
            node = (pod.get("spec") or {}).get("nodeName")
            if node and _live(pod) and _accepted(pod):
                by_node.setdefault(str(node), []).append(pod)
        for node in cluster.store.list_objects("Node"):
            name = node["metadata"]["name"]
            pods = by_node.get(name, [])
            allocatable = cluster.derive("invariant-allocatable", node, _allocatable)
            used: dict[str, int] = {"cpu": 0, "memory": 0}
            for pod in pods:
                # A pod's requests never change (no in-place resize in the model): cache by UID.
                uid = pod["metadata"]["uid"]
                requests = cluster.memo(("invariant-requests", uid), partial(_pod_requests, pod))
                # Only these are compared (a Counter summing every resource cost more).
                used["cpu"] += requests.get("cpu", 0)
                used["memory"] += requests.get("memory", 0)
            used["pods"] = len(pods)
            compared: list[str] = [r for r in ("cpu", "memory", "pods") if r in allocatable]
            extended = cluster.derive("invariant-extended-allocatable", node, _extended_allocatable)
            if extended:  # only nodes that list one pay for the extended requests
                allocatable = {**allocatable, **extended}
                compared.extend(sorted(extended))
                for pod in pods:
                    uid = pod["metadata"]["uid"]
                    wanted = cluster.memo(
                        ("invariant-extended-requests", uid), partial(_extended_requests, pod)
                    )
                    for resource in extended:
                        used[resource] = used.get(resource, 0) + wanted.get(resource, 0)
            violations.extend(
                self.violation(
                    f"node {name} is over its allocatable {resource}: "
                    f"{used[resource]} requested, {allocatable[resource]} allocatable",
                    node=name,
                    resource=resource,
                    requested=used[resource],
                    allocatable=allocatable[resource],
                )
                for resource in compared
                if used.get(resource, 0) > allocatable[resource]
            )
        return violations


def _accepted(pod: Mapping[str, Any]) -> bool:
    """Whether the scheduler bound the pod or its kubelet acknowledged it (see NoOvercommit)."""
    status = pod.get("status") or {}
    return status.get("startTime") is not None or any(
        c.get("type") == "PodScheduled" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )


def _is_extended(name: str) -> bool:
    """Whether ``name`` is an extended resource (``IsExtendedResourceName``).

    A domain-prefixed name outside ``kubernetes.io`` (``example.com/gpu``), not ``requests.``.
    """
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def _extended_allocatable(node: Mapping[str, Any]) -> dict[str, int]:
    """The extended resources a node's ``status.allocatable`` lists, in whole units."""
    allocatable = (node.get("status") or {}).get("allocatable") or {}
    return {
        str(name): quantity_in_model_units(str(name), amount)
        for name, amount in allocatable.items()
        if _is_extended(str(name))
    }


def _extended_requests(pod: Mapping[str, Any]) -> dict[str, int]:
    """A pod's extended resource requests, aggregated as upstream's ``PodRequests`` does.

    A container's request is its ``requests`` entry, else its ``limits`` one (extended resources
    are requested at their limit); regular containers and sidecars (restartable init
    containers) are summed, each other init container needs its own plus the sidecars started
    before it, and the pod needs the larger per resource.
    """

    def container_requests(container: Mapping[str, Any]) -> dict[str, int]:
        resources = container.get("resources") or {}
        found = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        return {
            str(k): quantity_in_model_units(str(k), v)
            for k, v in found.items()
            if _is_extended(str(k))
        }

    spec = pod.get("spec") or {}
    total: Counter[str] = Counter()
    for container in spec.get("containers") or []:
        total.update(container_requests(container))
    sidecars: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    for container in spec.get("initContainers") or []:
        request = container_requests(container)
        if container.get("restartPolicy") == "Always":
            total.update(request)
            sidecars.update(request)
            need = Counter(sidecars)
        else:
            need = Counter(request) + sidecars
        peak = peak | need
    return dict(total | peak)


class UniqueUids(Invariant):
    """No two live pods (in the API or on a machine) share a UID."""

    name = "unique_uids"
    description = "no two live pods have the same UID"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count UIDs in the store, and runtime pods that claim another pod's UID."""
        stored, names = cluster.memo(
            ("stored-pod-uids", cluster.store.kind_revision.get("Pod", 0)),
            partial(_stored_uids, cluster),
        )
        counts = Counter(stored)
        for machine in cluster.machines.values():
            for runtime in machine.pods.values():
                uid = runtime.uid
                if uid in names and names[uid] != f"{runtime.namespace}/{runtime.name}":
                    counts[uid] += 1
        return [
            self.violation(f"UID {uid} is used by {n} live pods", uid=uid, count=n)
            for uid, n in sorted(counts.items())
            if n > 1
        ]


def _stored_uids(cluster: Cluster) -> tuple[Counter[str], dict[str, str]]:
    """How many stored pods hold each UID, and the name of a pod holding it (callers only read)."""
    pods = _pods(cluster)
    return Counter(p["metadata"]["uid"] for p in pods), {
        p["metadata"]["uid"]: _name(p) for p in pods
    }


class TerminalPhaseStable(Invariant):
    """A pod that reached Succeeded or Failed never changes phase again."""

    name = "terminal_phase_stable"
    description = "a terminal phase never changes"
    precondition = "a pod reached Succeeded or Failed"
    reads = frozenset({"Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare with the terminal phases seen before."""
        violations = []
        for pod in _pods(cluster):
            uid = pod["metadata"]["uid"]
            phase = (pod.get("status") or {}).get("phase")
            seen = history.terminal.get(uid)
            if seen is not None and phase != seen:
                violations.append(
                    self.violation(
                        f"pod {_name(pod)} went from {seen} to {phase}",
                        pod=_name(pod),
                        before=seen,
                        after=phase,
                    )
                )
            elif phase in {"Succeeded", "Failed"}:
                history.terminal[uid] = str(phase)
                history.met.add(self.name)
        return violations


class StaticPodsSurvive(Invariant):
    """Deleting a static pod's mirror through the API never stops the static pod."""

    name = "static_pods_survive"
    description = "a static pod's mirror cannot be deleted through the API"
    precondition = "a static pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Each up machine's static pods keep running once started."""
        violations = []
        for machine in cluster.machines.values():
            if not machine.up:
                continue
            for manifest in machine.static_pods:
                name = f"{manifest['metadata']['name']}-{machine.name}"
                running = any(r.name == name and r.running() for r in machine.pods.values())
                key = f"{machine.name}/{name}"
                if running:
                    history.static_uids[key] = "running"
                    history.met.add(self.name)
                elif history.static_uids.get(key) == "running":
                    violations.append(
                        self.violation(
                            f"static pod {name} on {machine.name} stopped",
                            node=machine.name,
                            pod=name,
                        )
                    )
        return violations


class QuorumWrites(Invariant):
    """Nothing is written while etcd has no quorum."""

    name = "quorum_writes"
    description = "nothing writes without quorum"
    precondition = "etcd lost quorum"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """A step that changed objects while a majority was down broke quorum."""
        if not cluster.store.has_quorum:
            history.met.add(self.name)
        if step is not None and step.changes and not cluster.store.has_quorum:
            return [
                self.violation(
                    f"{len(step.changes)} writes committed without quorum "
                    f"({len(cluster.store.down)} of {cluster.store.members} members down)",
                    writes=len(step.changes),
                )
            ]
        return []
