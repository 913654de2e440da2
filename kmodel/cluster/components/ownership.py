"""Controller references: how a controller marks, adopts, releases and deletes the pods it owns.

Shared by the ReplicaSet, Deployment, DaemonSet and Job controllers (the StatefulSet
controller's references are :mod:`kmodel.semantics.statefulset`'s).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from kmodel.cluster.model import Cluster
from kmodel.objects.fields import list_at, mapping_at, read_path, str_at
from kmodel.objects.types import Manifest
from kmodel.semantics import replicaset as rsem

__all__ = [
    "cached_controller_uid",
    "claim_pods",
    "controller_owner_ref",
    "delete_pod",
    "deletion_grace_period",
    "pod_from_template",
]


def cached_controller_uid(cluster: Cluster, obj: Mapping[str, Any]) -> str | None:
    """:func:`~kmodel.semantics.replicaset.controller_uid` of a stored object, once per version."""
    uid: str | None = cluster.derive("controller-uid", obj, rsem.controller_uid)
    return uid


def controller_owner_ref(owner: Mapping[str, Any], api_version: str) -> dict[str, Any]:
    """The owner reference a controller puts on what it creates (``metav1.NewControllerRef``).

    ``controller`` and ``blockOwnerDeletion`` are true, as upstream's helper sets them.
    """
    return {
        "apiVersion": api_version,
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def pod_from_template(
    template: Mapping[str, Any], owner: Mapping[str, Any], *, api_version: str
) -> dict[str, Any]:
    """A new pod for ``owner`` from a pod template, its name generated from the owner's.

    Mirrors ``pkg/controller/controller_utils.go GetPodFromTemplate``: the template's labels,
    annotations, finalizers and spec (copies), ``generateName`` ``<owner>-`` and the owner's
    controller reference.
    """
    metadata: dict[str, Any] = {
        "generateName": owner["metadata"]["name"] + "-",
        "namespace": owner["metadata"]["namespace"],
        "labels": dict(mapping_at(template, "metadata.labels")),
        "annotations": dict(mapping_at(template, "metadata.annotations")),
        "ownerReferences": [controller_owner_ref(owner, api_version)],
    }
    finalizers = list_at(template, "metadata.finalizers")
    if finalizers:
        metadata["finalizers"] = list(finalizers)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": copy.deepcopy(dict(mapping_at(template, "spec"))),
    }


def claim_pods(
    cluster: Cluster, owner: Mapping[str, Any], pods: Iterable[Manifest], api_version: str
) -> list[Manifest]:
    """The pods ``owner`` claims, adopting matching orphans and releasing its non-matching ones.

    Mirrors ``pkg/controller/controller_ref_manager.go PodControllerRefManager.ClaimPods``: each
    decision is :func:`kmodel.semantics.replicaset.claim_decision` (adoption rechecks the owner
    on a fresh read of the store); an adoption adds the owner's controller reference, a release
    removes every reference to its UID, and an adopted pod counts once its update is written.
    """
    metadata = owner["metadata"]
    selector = cluster.derive("rs-selector", owner, rsem.rs_selector)
    fresh = cluster.store.get((owner["kind"], metadata["namespace"], metadata["name"]))
    claimed: list[Manifest] = []
    for pod in pods:
        decision = rsem.claim_decision(owner, pod, fresh_rs=fresh, selector=selector)
        if decision.action == "adopt":
            body = copy.deepcopy(dict(pod))
            body["metadata"]["ownerReferences"] = [
                *list_at(body, "metadata.ownerReferences"),
                controller_owner_ref(owner, api_version),
            ]
            written = cluster.update(body)
            if written is not None:
                claimed.append(written)
        elif decision.action == "release":
            body = copy.deepcopy(dict(pod))
            body["metadata"]["ownerReferences"] = [
                r
                for r in list_at(body, "metadata.ownerReferences")
                if r.get("uid") != metadata["uid"]
            ]
            cluster.update(body)
        elif decision.claimed:
            claimed.append(pod)
    return claimed


def delete_pod(cluster: Cluster, pod: Manifest) -> Mapping[str, Any] | None:
    """Delete ``pod`` (its UID a precondition), gracefully when :func:`deletion_grace_period`.

    A graceful deletion marks the pod and its kubelet confirms it; otherwise the API server
    removes the pod at once and the kubelet cleans up what still runs (``HandlePodCleanups``).
    Returns the pod as the API holds it after the call (None once removed or on a refused write).
    """
    metadata = pod["metadata"]
    return cluster.delete(
        ("Pod", metadata["namespace"], metadata["name"]),
        uid=metadata["uid"],
        grace_period_seconds=deletion_grace_period(pod),
    )


def deletion_grace_period(pod: Manifest) -> int:
    """The grace period a deletion without options gives ``pod``; 0 deletes it at once.

    Mirrors ``pkg/registry/core/pod/strategy.go CheckGracefulDelete``: the pod's
    ``terminationGracePeriodSeconds`` (30 by ``SetDefaults_PodSpec``), 0 for a pod no node runs
    or one already Succeeded or Failed, and 1 for a negative period.
    """
    grace = read_path(pod, "spec.terminationGracePeriodSeconds")
    period = 30 if grace is None else int(grace)
    if not str_at(pod, "spec.nodeName") or str_at(pod, "status.phase") in {"Succeeded", "Failed"}:
        period = 0
    return 1 if period < 0 else period
