"""What an exploration covered: the ground a pass stands on.

A pass says no run broke an invariant; :class:`Coverage` says what those runs did: which
workloads the model ran (and which pods never got a node, with the scheduler's reason), which
faults, user actions and component steps happened and how often, how many distinct cluster
states were reached (:func:`state_fingerprint`), and in how many runs each invariant's
precondition was met (an invariant whose precondition never held passed without being tested).
Counts are over every run explored, shrinking included.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kmodel.cluster.actions import Action
from kmodel.cluster.model import Cluster
from kmodel.explore.run import Run, Scenario
from kmodel.invariants import Invariant
from kmodel.objects.fields import list_at, mapping_at, read_path
from kmodel.semantics.replicaset import controller_ref, is_pod_ready

__all__ = ["Coverage", "merge_summaries", "state_fingerprint"]


def _condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    conditions = list_at(obj, "status.conditions")
    return next((c for c in conditions if c.get("type") == kind), {})


def _pod_shape(pod: Mapping[str, Any]) -> tuple[str, ...]:
    """A pod as the fingerprint sees it: its owner (or name), node, phase, readiness, deletion.

    Replicas are told apart by what they do, not by their generated names or UIDs, so two
    runs that reach the same situation with differently named pods reach the same state.
    """
    metadata = pod["metadata"]
    owner = controller_ref(pod)
    who = f"{owner.get('kind')}/{owner.get('name')}" if owner else f"Pod/{metadata.get('name')}"
    status = mapping_at(pod, "status")
    return (
        str(metadata.get("namespace")),
        who,
        str(read_path(pod, "spec.nodeName") or ""),
        str(status.get("phase") or ""),
        "ready" if is_pod_ready(pod) else "",
        "deleting" if metadata.get("deletionTimestamp") is not None else "",
    )


def state_fingerprint(cluster: Cluster) -> int:
    """A cheap canonical fingerprint of the cluster's state, for counting distinct states.

    Covers what the invariants and the user see: the pods as a multiset of
    :func:`_pod_shape`, each ReplicaSet's and Deployment's desired replicas (a Deployment's
    template is in its ReplicaSets' names), whether it is paused, each node's Ready status,
    taints and cordon, each machine's health, etcd members down, lagging informers and the
    ready endpoints per Service. Leaves out what only tells runs apart without changing what
    can happen: the clock, resourceVersions, UIDs and generated pod names. The same state
    has the same fingerprint in every process (no salted ``hash``), so the states of units run
    by different workers can be counted together.
    """
    store = cluster.store
    pods = sorted(_pod_shape(p) for p in store.list_objects("Pod"))
    replica_sets = sorted(
        (
            rs["metadata"]["namespace"],
            rs["metadata"]["name"],
            read_path(rs, "spec.replicas"),
        )
        for rs in store.list_objects("ReplicaSet")
    )
    deployments = sorted(
        (
            d["metadata"]["namespace"],
            d["metadata"]["name"],
            read_path(d, "spec.replicas"),
            bool(read_path(d, "spec.paused")),
        )
        for d in store.list_objects("Deployment")
    )
    nodes = sorted(
        (
            n["metadata"]["name"],
            str(_condition(n, "Ready").get("status", "")),
            bool(read_path(n, "spec.unschedulable")),
            tuple(sorted(str(t.get("key")) for t in list_at(n, "spec.taints"))),
        )
        for n in store.list_objects("Node")
    )
    machines = tuple(
        (name, m.up, m.exists, m.partitioned) for name, m in sorted(cluster.machines.items())
    )
    endpoints = sorted(
        (
            e["metadata"]["namespace"],
            e["metadata"]["name"],
            sum(len(list_at(s, "addresses")) for s in list_at(e, "subsets")),
        )
        for e in store.list_objects("Endpoints")
    )
    lagging = tuple(sorted(name for name, i in cluster.informers.items() if i.lagging))
    state = (
        tuple(pods),
        tuple(replica_sets),
        tuple(deployments),
        tuple(nodes),
        machines,
        tuple(endpoints),
        tuple(sorted(store.down)),
        lagging,
    )
    digest = hashlib.blake2b(repr(state).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _label(invariant: Invariant) -> str:
    return str(getattr(invariant, "label", None) or invariant.name)


@dataclass
class Coverage:
    """What the runs of an exploration did (fill it with :meth:`step` and :meth:`run_ended`)."""

    runs: int = 0
    steps: int = 0
    #: Chosen actions by name (``schedule``, ``node-crash``, ``tick``...).
    actions: Counter[str] = field(default_factory=Counter)
    #: Faults (by kind, :data:`FAULT_KINDS`) and user actions (``user:<kind>``) taken.
    used: Counter[str] = field(default_factory=Counter)
    #: Fingerprints of the distinct states reached (see :func:`state_fingerprint`).
    states: set[int] = field(default_factory=set)
    #: Invariant name -> runs in which its precondition was met.
    preconditions_met: Counter[str] = field(default_factory=Counter)
    #: Invariant name -> runs that checked it (a search after a finding leaves that one out).
    checked: Counter[str] = field(default_factory=Counter)
    #: Pods of the settled initial state that have no node, with the scheduler's reason.
    unscheduled: list[dict[str, str]] = field(default_factory=list)

    def started(self, initial: Cluster) -> None:
        """Record the scenario's settled initial state (its pods that never got a node)."""
        self.unscheduled = _unscheduled(initial)

    def step(self, run: Run, action: Action) -> None:
        """Record one chosen action and the state it led to."""
        self.steps += 1
        self.actions[action.name] += 1
        self.states.add(state_fingerprint(run.cluster))

    def run_ended(self, run: Run) -> None:
        """Record a run that finished (or stopped at a violation)."""
        self.runs += 1
        if not run.steps:
            self.states.add(state_fingerprint(run.cluster))
        self.used.update(run.used)
        self.preconditions_met.update(run.monitor.history.met)
        self.checked.update({invariant.name for invariant in run.monitor.invariants})

    def summary(self, scenario: Scenario) -> dict[str, Any]:
        """JSON form (keys documented in the README, "kmodel check")."""
        faults = {kind: self.used.get(kind, 0) for kind in scenario.faults}
        users = {user.kind: self.used.get(f"user:{user.kind}", 0) for user in scenario.user_actions}
        invariants = []
        for invariant in scenario.invariants:
            name = _label(invariant)
            precondition = getattr(invariant, "precondition", "") or None
            met = self.preconditions_met.get(invariant.name, 0) if precondition else None
            invariants.append(
                {
                    "name": name,
                    "precondition": precondition,
                    "checked_runs": self.checked.get(invariant.name, 0),
                    "met_runs": met,
                    "exercised": met is None or met > 0,
                }
            )
        return {
            "runs": self.runs,
            "steps": self.steps,
            "distinct_states": len(self.states),
            "workloads": _workloads(scenario.objects),
            "unscheduled": list(self.unscheduled),
            "faults": faults,
            "user_actions": users,
            "actions": dict(sorted(self.actions.items())),
            "invariants": invariants,
        }


def _workloads(objects: Sequence[Mapping[str, Any]]) -> list[str]:
    """The objects the model ran, as ``Kind/namespace/name`` (cluster-scoped: ``Kind/name``)."""
    names = []
    for obj in objects:
        kind = str(obj.get("kind"))
        if kind == "Node":
            continue
        metadata = mapping_at(obj, "metadata")
        namespace = metadata.get("namespace") or "default"
        cluster_scoped = kind in {"PersistentVolume", "StorageClass"}
        name = metadata.get("name")
        names.append(f"{kind}/{name}" if cluster_scoped else f"{kind}/{namespace}/{name}")
    return names


def _unscheduled(cluster: Cluster) -> list[dict[str, str]]:
    """Live pods without a node, with the reason and message of their PodScheduled condition."""
    found = []
    for pod in cluster.store.list_objects("Pod"):
        if read_path(pod, "spec.nodeName") or pod["metadata"].get("deletionTimestamp"):
            continue
        if read_path(pod, "status.phase") in {"Succeeded", "Failed"}:
            continue
        scheduled = _condition(pod, "PodScheduled")
        found.append(
            {
                "pod": f"{pod['metadata']['namespace']}/{pod['metadata']['name']}",
                "reason": str(scheduled.get("reason") or ""),
                "message": str(scheduled.get("message") or ""),
            }
        )
    return found


def merge_summaries(summaries: Sequence[Mapping[str, Any]], states: set[int]) -> dict[str, Any]:
    """One summary (:meth:`Coverage.summary`) of the runs of several searches of one scenario.

    Counts add up; ``states`` is the union of the searches' :attr:`Coverage.states` (distinct
    states are not additive); what describes the scenario (workloads, unscheduled pods,
    preconditions) is the first summary's, the same in all.
    """
    first = summaries[0]
    invariants = []
    for position, entry in enumerate(first["invariants"]):
        met = entry["met_runs"]
        if met is not None:
            met = sum(s["invariants"][position]["met_runs"] for s in summaries)
        invariants.append(
            {
                **entry,
                "checked_runs": sum(s["invariants"][position]["checked_runs"] for s in summaries),
                "met_runs": met,
                "exercised": met is None or met > 0,
            }
        )
    actions: Counter[str] = Counter()
    for summary in summaries:
        actions.update(summary["actions"])
    return {
        "runs": sum(s["runs"] for s in summaries),
        "steps": sum(s["steps"] for s in summaries),
        "distinct_states": len(states),
        "workloads": list(first["workloads"]),
        "unscheduled": list(first["unscheduled"]),
        "faults": {k: sum(s["faults"][k] for s in summaries) for k in first["faults"]},
        "user_actions": {
            k: sum(s["user_actions"][k] for s in summaries) for k in first["user_actions"]
        },
        "actions": dict(sorted(actions.items())),
        "invariants": invariants,
    }
