"""Invariants guarding StatefulSets: stable identity, exclusive claims, ordered rollout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import History, Invariant, Violation, _pod_ready, _pods


def _stateful_identities(cluster: Cluster) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(namespace, set name) -> StatefulSet, for every StatefulSet in the API."""
    return {
        (s["metadata"]["namespace"], s["metadata"]["name"]): s
        for s in cluster.store.list_objects("StatefulSet")
    }


def _running_members(cluster: Cluster) -> list[tuple[str, str, str, str]]:
    """(namespace, set, pod name, UID) of every StatefulSet member whose containers run.

    Read from the machines, not the API: a pod cut off with its kubelet, or gone from the API
    while its machine still runs it, is running all the same.
    """
    sets = _stateful_identities(cluster)
    if not sets:
        return []
    found = []
    for machine in cluster.machines.values():
        if not machine.up:
            continue
        for runtime in machine.pods.values():
            if runtime.static or not runtime.running():
                continue
            parent, _, ordinal = str(runtime.name).rpartition("-")
            if ordinal.isdigit() and (runtime.namespace, parent) in sets:
                found.append((runtime.namespace, parent, runtime.name, runtime.uid))
    return found


class StatefulSetIdentity(Invariant):
    """At most one pod per StatefulSet identity runs at any time.

    Upstream's at-most-one guarantee (the StatefulSet "Pod Management Policies" and "Force
    deletion" documentation): a replacement ``<set>-<n>`` is created only once the old pod is
    gone from the API, which a partitioned kubelet's pod never is until the kubelet confirms.
    Stated from the machines: no two pod UIDs with the same name have running containers.
    """

    name = "statefulset_identity"
    description = "at most one pod per StatefulSet identity runs at any time"
    precondition = "a StatefulSet pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Group running members by name."""
        by_name: dict[tuple[str, str], set[str]] = {}
        for namespace, _, pod, uid in _running_members(cluster):
            by_name.setdefault((namespace, pod), set()).add(uid)
        if by_name:
            history.met.add(self.name)
        return [
            self.violation(
                f"pod {namespace}/{pod} runs {len(uids)} times at once "
                f"(UIDs {', '.join(sorted(uids))})",
                pod=f"{namespace}/{pod}",
                uids=sorted(uids),
            )
            for (namespace, pod), uids in sorted(by_name.items())
            if len(uids) > 1
        ]


class StatefulSetClaimExclusive(Invariant):
    """A StatefulSet's claim is never in use by two running pods at once."""

    name = "statefulset_claim_exclusive"
    description = "no two running pods of a StatefulSet mount the same claim"
    precondition = "a StatefulSet pod ran"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Claims of the running members (remembered per UID from the API), by claim."""
        members = _running_members(cluster)
        if not members:
            return []
        history.met.add(self.name)
        for pod in _pods(cluster):
            uid = pod["metadata"]["uid"]
            if uid not in history.claims_of:
                history.claims_of[uid] = tuple(
                    str(v["persistentVolumeClaim"].get("claimName"))
                    for v in (pod.get("spec") or {}).get("volumes") or []
                    if isinstance(v, Mapping)
                    and isinstance(v.get("persistentVolumeClaim"), Mapping)
                )
        users: dict[tuple[str, str], set[str]] = {}
        for namespace, _, _, uid in members:
            for claim in history.claims_of.get(uid, ()):
                users.setdefault((namespace, claim), set()).add(uid)
        return [
            self.violation(
                f"claim {namespace}/{claim} is in use by {len(uids)} running pods "
                f"(UIDs {', '.join(sorted(uids))})",
                claim=f"{namespace}/{claim}",
                uids=sorted(uids),
            )
            for (namespace, claim), uids in sorted(users.items())
            if len(uids) > 1
        ]


class StatefulSetOrdered(Invariant):
    """Under ``OrderedReady``, pods are created in ordinal order and scaled down in reverse.

    Upstream's guarantee ("Deployment and Scaling Guarantees"): before pod ``n`` is created,
    pods ``0..n-1`` are Running and Ready; before a pod is terminated for scale-down, every pod
    with a higher ordinal is gone. Checked on the controller's own writes, against the API as
    it is right after them, while the controller's watch is prompt (a delayed or dropped watch
    leaves its cache behind the API, and upstream's guarantee is only as good as its cache).
    """

    name = "statefulset_ordered"
    description = "OrderedReady StatefulSets create in order and scale down in reverse order"
    precondition = "an OrderedReady StatefulSet created or scaled down a pod"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look at the pods the StatefulSet controller created or deleted in this step.

        Only a step checked right after it happened (the cluster's latest) can be judged
        against the API; steps of a settling run checked afterwards are skipped.
        """
        if step is None or step.index != cluster.steps or step.action.name != "statefulset-sync":
            return []
        informer = cluster.informers.get("statefulset")
        if informer is not None and (informer.lagging or informer.dropped):
            # The controller judged from a cache a watch fault left behind the API.
            return []
        sets = _stateful_identities(cluster)
        violations = []
        for change in step.changes:
            parent, _, ordinal_text = change.name.rpartition("-")
            sts = sets.get((change.namespace, parent))
            if change.kind != "Pod" or sts is None or not ordinal_text.isdigit():
                continue
            spec = sts.get("spec") or {}
            if spec.get("podManagementPolicy", "OrderedReady") != "OrderedReady":
                continue
            ordinal = int(ordinal_text)
            start = int((spec.get("ordinals") or {}).get("start") or 0)
            end = start + int(spec.get("replicas", 1)) - 1
            if change.type == "ADDED":
                history.met.add(self.name)
                for lower in range(start, ordinal):
                    pod = cluster.store.get(("Pod", change.namespace, f"{parent}-{lower}"))
                    ready = pod is not None and (
                        (pod.get("status") or {}).get("phase") == "Running"
                        and _pod_ready(pod)
                        and pod["metadata"].get("deletionTimestamp") is None
                    )
                    if not ready:
                        violations.append(
                            self.violation(
                                f"pod {change.namespace}/{change.name} was created while "
                                f"{parent}-{lower} was not Running and Ready",
                                pod=f"{change.namespace}/{change.name}",
                                predecessor=f"{change.namespace}/{parent}-{lower}",
                            )
                        )
                        break
            elif ordinal > end and (
                change.type == "DELETED" or "terminating" in change.summary.split()
            ):
                history.met.add(self.name)
                higher = [
                    p["metadata"]["name"]
                    for p in cluster.store.list_objects("Pod", namespace=change.namespace)
                    if p["metadata"]["name"].rpartition("-")[0] == parent
                    and p["metadata"]["name"].rpartition("-")[2].isdigit()
                    and int(p["metadata"]["name"].rpartition("-")[2]) > ordinal
                ]
                if higher:
                    violations.append(
                        self.violation(
                            f"pod {change.namespace}/{change.name} was terminated for scale-down "
                            f"while {', '.join(sorted(higher))} still existed",
                            pod=f"{change.namespace}/{change.name}",
                            higher=sorted(higher),
                        )
                    )
        return violations
