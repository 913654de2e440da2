"""The DaemonSet controller: one sync of one DaemonSet per action.

The decisions are :mod:`kmodel.semantics.daemonset`; this module runs them against the
controller's informer cache and writes through the API, as
``pkg/controller/daemon/daemon_controller.go syncDaemonSet`` does: claim pods, construct the
history (ControllerRevisions named ``<daemonset>-<hash>``, the hash as the Deployment's
``pod-template-hash``), ``manage``, then ``rollingUpdate`` once the expectations are met,
``cleanupHistory`` and the status. Daemon pods are created without a node: their required node
affinity names the node (``metadata.name`` matchFields) and the scheduler binds them, as
upstream since 1.12.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.controllers import pod_template_hash
from kmodel.cluster.components.expectations import expectations_satisfied
from kmodel.cluster.components.ownership import (
    cached_controller_uid,
    claim_pods,
    controller_owner_ref,
    delete_pod,
    pod_from_template,
)
from kmodel.cluster.model import Cluster
from kmodel.objects.defaults import set_defaults_daemon_set
from kmodel.objects.fields import int_at, list_at, mapping_at, read_path
from kmodel.objects.labels import labels_of
from kmodel.objects.types import Manifest
from kmodel.semantics import daemonset as dsem

__all__ = [
    "SyncDaemonSet",
    "daemonset_actions",
    "daemonset_revision_hash",
    "eligibility",
]

_COMPONENT = "daemonset"
#: The component memory's entry for ``failedPodsBackoff`` (back-off entries by
#: ``dsem.failed_pods_backoff_key``; the other entries are expectations by DaemonSet UID). A
#: controller restart loses it, as upstream's in-memory back-off.
_FAILED_PODS_BACKOFF = "failedPodsBackoff"
_REVISION_PATCH_KEYS = ("spec", "template")


def daemonset_revision_hash(ds: Mapping[str, Any]) -> str:
    """The current revision's hash: ``controller.ComputeHash(template, collisionCount)``.

    As the Deployment's ``pod-template-hash`` (:func:`pod_template_hash`): deterministic,
    equal for equal templates, not upstream's value.
    """
    collisions = int_at(ds, "status.collisionCount")
    return pod_template_hash(mapping_at(ds, "spec.template"), collision_count=collisions)


def _defaulted(cluster: Cluster, ds: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = cluster.derive("daemonset-defaults", ds, set_defaults_daemon_set)
    return result


def _node_signature(node: Mapping[str, Any]) -> tuple[Any, ...]:
    """What ``NodeShouldRunDaemonPod`` reads of a node: its name, labels and taints."""
    return (
        read_path(node, "metadata.name"),
        tuple(sorted(labels_of(node).items())),
        tuple(
            (t.get("key"), t.get("value"), t.get("effect")) for t in list_at(node, "spec.taints")
        ),
    )


def eligibility(
    cluster: Cluster, ds: Mapping[str, Any], nodes: list[Mapping[str, Any]]
) -> dsem.Eligibility:
    """``NodeShouldRunDaemonPod`` per node name, computed once per DaemonSet spec and node shape.

    Keyed on the DaemonSet's UID and ``generation`` (bumped by every spec change) and on each
    node's name, labels and taints (heartbeats and status writes leave it alone).
    """
    key = (
        "daemonset-eligibility",
        ds["metadata"]["uid"],
        ds["metadata"].get("generation"),
        tuple(cluster.derive("daemonset-node-signature", n, _node_signature) for n in nodes),
    )
    result: dsem.Eligibility = cluster.memo(key, lambda: dsem.node_eligibility(nodes, ds))
    return result


def _claim(cluster: Cluster, ds: Mapping[str, Any]) -> list[Manifest]:
    """``getDaemonPods``: claim the namespace's pods (adopt matching orphans, release others)."""
    pods = cluster.view(_COMPONENT).list_objects("Pod", namespace=ds["metadata"]["namespace"])
    return claim_pods(cluster, ds, list(pods), "apps/v1")


def _expectations_satisfied(cluster: Cluster, ds: Mapping[str, Any]) -> bool:
    """``SatisfiedExpectations`` for this DaemonSet's record."""
    return expectations_satisfied(
        cluster, _COMPONENT, ds["metadata"]["uid"], ds["metadata"]["namespace"]
    )


def _revision_number(revision: Mapping[str, Any]) -> int:
    return int(revision.get("revision") or 0)


@register
@dataclass(frozen=True)
class SyncDaemonSet(Action):
    """The DaemonSet controller syncs one DaemonSet."""

    name: ClassVar[str] = "daemonset-sync"
    namespace: str
    daemonset: str

    def describe(self) -> str:
        """In words."""
        return f"daemonset controller syncs {self.namespace}/{self.daemonset}"

    def apply(self, cluster: Cluster) -> None:
        """One ``syncDaemonSet``."""
        view = cluster.view(_COMPONENT)
        raw = view.get(("DaemonSet", self.namespace, self.daemonset))
        if raw is None or raw["metadata"].get("deletionTimestamp") is not None:
            return
        selector = mapping_at(raw, "spec.selector")
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            return  # upstream: "This daemon set is selecting all pods"
        ds = _defaulted(cluster, raw)
        nodes = list(view.list_objects("Node"))
        eligible = eligibility(cluster, raw, nodes)
        revision_hash, old_revisions = self._construct_history(cluster, ds)
        if not _expectations_satisfied(cluster, ds):
            self._write_status(cluster, ds, nodes, revision_hash, eligible, observed=False)
            return
        cluster.memory[_COMPONENT].pop(ds["metadata"]["uid"], None)
        wrote = self._manage(cluster, ds, nodes, revision_hash, eligible)
        # Expectations raised by this sync's own writes are not yet observed within it.
        strategy = ds["spec"]["updateStrategy"]["type"]
        if not wrote and strategy == "RollingUpdate":
            pods = dsem.nodes_to_daemon_pods(_claim(cluster, ds))
            plan = dsem.rolling_update(
                ds, nodes, pods, revision_hash, cluster.now, eligibility=eligible
            )
            self._sync_nodes(cluster, ds, list(plan.delete), list(plan.create), revision_hash)
        self._cleanup_history(cluster, ds, old_revisions)
        self._write_status(cluster, ds, nodes, revision_hash, eligible, observed=True)

    # ----------------------------------------------------------------- helpers

    def _manage(
        self,
        cluster: Cluster,
        ds: dict[str, Any],
        nodes: list[Manifest],
        revision_hash: str,
        eligible: dsem.Eligibility,
    ) -> bool:
        """``manage`` then ``syncNodes``; whether it wrote anything."""
        pods = dsem.nodes_to_daemon_pods(_claim(cluster, ds))
        backoff = cluster.memory[_COMPONENT].setdefault(_FAILED_PODS_BACKOFF, {})
        plan = dsem.manage(
            ds, nodes, pods, revision_hash, cluster.now, eligibility=eligible, backoff=backoff
        )
        backoff.update(plan.backoff)
        self._sync_nodes(cluster, ds, list(plan.delete), list(plan.needing), revision_hash)
        return bool(plan.needing or plan.delete)

    def _sync_nodes(
        self,
        cluster: Cluster,
        ds: dict[str, Any],
        delete: list[str],
        create_on: list[str],
        revision_hash: str,
    ) -> None:
        """``syncNodes``: create a pod per node (affinity to it), delete the named pods."""
        if not delete and not create_on:
            return
        record: dict[str, Any] = {"at": cluster.now, "adds": [], "dels": []}
        template = dsem.daemon_pod_template(ds, revision_hash)
        for node in create_on:
            body = pod_from_template(template, ds, api_version="apps/v1")
            spec = body["spec"]
            spec["affinity"] = dsem.replace_node_name_node_affinity(spec.get("affinity"), node)
            created = cluster.create(body)
            if created is None:
                break  # upstream skips the rest of the batch after an error
            record["adds"].append(created["metadata"]["name"])
        for name in delete:
            pod = cluster.store.get(("Pod", self.namespace, name))
            if pod is None:
                continue
            record["dels"].append(pod["metadata"]["uid"])
            delete_pod(cluster, pod)
        cluster.memory[_COMPONENT][ds["metadata"]["uid"]] = record

    def _owned_revisions(self, cluster: Cluster, ds: Mapping[str, Any]) -> list[Manifest]:
        view = cluster.view(_COMPONENT)
        uid = ds["metadata"]["uid"]
        return [
            r
            for r in view.list_objects("ControllerRevision", namespace=self.namespace)
            if cached_controller_uid(cluster, r) == uid
        ]

    def _construct_history(
        self, cluster: Cluster, ds: dict[str, Any]
    ) -> tuple[str, list[Manifest]]:
        """``constructHistory``: the current revision's hash (created if new) and the old ones.

        The current revision is the one whose hash label is the template's hash (upstream
        compares the stored template patch, which equal hashes stand for); it gets the number
        after the old ones' highest (an older one rolled back to is renumbered). Not mirrored:
        hash collisions (``collisionCount``) and de-duplicating current revisions.
        """
        revision_hash = daemonset_revision_hash(ds)
        revisions = self._owned_revisions(cluster, ds)
        current = [r for r in revisions if labels_of(r).get(dsem.HASH_LABEL) == revision_hash]
        old = [r for r in revisions if r not in current]
        next_revision = max((_revision_number(r) for r in old), default=0) + 1
        if not current:
            template = copy.deepcopy(mapping_at(ds, "spec.template"))
            labels = dict(mapping_at(template, "metadata.labels"))
            labels[dsem.HASH_LABEL] = revision_hash
            cluster.create(
                {
                    "apiVersion": "apps/v1",
                    "kind": "ControllerRevision",
                    "metadata": {
                        "name": f"{ds['metadata']['name']}-{revision_hash}",
                        "namespace": self.namespace,
                        "labels": labels,
                        "annotations": dict(mapping_at(ds, "metadata.annotations")),
                        "ownerReferences": [controller_owner_ref(ds, "apps/v1")],
                    },
                    "data": {"spec": {"template": {**template, "$patch": "replace"}}},
                    "revision": next_revision,
                }
            )
        elif _revision_number(current[0]) < next_revision:
            cluster.update({**current[0], "revision": next_revision})
        return revision_hash, old

    def _cleanup_history(
        self, cluster: Cluster, ds: dict[str, Any], old_revisions: list[Manifest]
    ) -> None:
        """``cleanupHistory``: drop the oldest unused revisions beyond revisionHistoryLimit."""
        limit = int(ds["spec"]["revisionHistoryLimit"])
        excess = len(old_revisions) - limit
        if excess <= 0:
            return
        # Every claimed pod counts, terminal and deleted ones too (includeDeletedTerminal).
        live = {labels_of(p).get(dsem.HASH_LABEL) for p in _claim(cluster, ds)}
        unused = sorted(
            (r for r in old_revisions if labels_of(r).get(dsem.HASH_LABEL) not in live),
            key=_revision_number,
        )
        for revision in unused[:excess]:
            key = ("ControllerRevision", self.namespace, revision["metadata"]["name"])
            cluster.delete(key, uid=revision["metadata"]["uid"])

    def _write_status(
        self,
        cluster: Cluster,
        ds: dict[str, Any],
        nodes: list[Manifest],
        revision_hash: str,
        eligible: dsem.Eligibility,
        *,
        observed: bool,
    ) -> None:
        """``updateDaemonSetStatus`` / ``storeDaemonSetStatus``."""
        pods = dsem.nodes_to_daemon_pods(_claim(cluster, ds))
        counts = dsem.calculate_status(
            ds, nodes, pods, revision_hash, cluster.now, eligibility=eligible
        )
        current = cluster.store.get(("DaemonSet", self.namespace, self.daemonset))
        if current is None or current["metadata"]["uid"] != ds["metadata"]["uid"]:
            return
        status = {
            k: v
            for k, v in mapping_at(current, "status").items()
            if k in {"observedGeneration", "collisionCount", "conditions"}
        }
        status.update(counts)
        if observed:
            status["observedGeneration"] = ds["metadata"].get("generation", 1)
        if status != mapping_at(current, "status"):
            cluster.update({**current, "status": status})


def _pods_by_owner(cluster: Cluster) -> dict[tuple[str, str | None], tuple[tuple[str, str], ...]]:
    """(namespace, controller UID or None) -> (name, resourceVersion) of the cached pods.

    Built once per version of the pods in the DaemonSet controller's cache.
    """
    view = cluster.view(_COMPONENT)

    def index() -> dict[tuple[str, str | None], tuple[tuple[str, str], ...]]:
        groups: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
        for pod in view.list_objects("Pod"):
            owner = cached_controller_uid(cluster, pod)
            metadata = pod["metadata"]
            groups.setdefault((metadata["namespace"], owner), []).append(
                (metadata["name"], metadata["resourceVersion"])
            )
        return {group: tuple(pods) for group, pods in groups.items()}

    result: dict[tuple[str, str | None], tuple[tuple[str, str], ...]] = cluster.memo(
        ("daemonset-pods-by-owner", view.versions("Pod")), index
    )
    return result


def _needs_sync(cluster: Cluster, ds: Mapping[str, Any]) -> bool:
    """Whether a sync would write anything (a dry run, cached on what it reads).

    A sync reads the DaemonSet, its own pods and the orphans it may adopt (other pods change
    on most steps and are left out of the key), the nodes' names, labels and taints, its
    ControllerRevisions, its expectations and failed-pod back-off entries, and the time when
    availability, an expectation timeout or a back-off depends on it. While its cache holds
    the store's objects the cache stands for the store; while its watch lags or dropped an
    event (a fault), the store's revisions of what the sync reads from it and writes (the
    DaemonSet, pods, revisions) are in the key too.
    """
    action = SyncDaemonSet(ds["metadata"]["namespace"], ds["metadata"]["name"])
    view = cluster.view(_COMPONENT)
    metadata = ds["metadata"]
    pods = _pods_by_owner(cluster)
    record = cluster.memory[_COMPONENT].get(metadata["uid"])
    prefix = f"{metadata['uid']}/"
    backoff = tuple(
        (key, entry)
        for key, entry in sorted(cluster.memory[_COMPONENT].get(_FAILED_PODS_BACKOFF, {}).items())
        if key.startswith(prefix)
    )
    min_ready = int_at(ds, "spec.minReadySeconds")
    nodes = tuple(
        cluster.derive("daemonset-node-signature", n, _node_signature)
        for n in view.list_objects("Node")
    )
    store = cluster.store
    read = ("DaemonSet", "Pod", "ControllerRevision")
    stored = None if view.in_sync(store) else tuple(store.kind_revision.get(k, 0) for k in read)
    key = (
        "daemonset-needs-sync",
        action,
        stored,
        metadata["resourceVersion"],
        pods.get((metadata["namespace"], metadata["uid"]), ()),
        pods.get((metadata["namespace"], None), ()),
        nodes,
        view.versions("ControllerRevision"),
        cluster.store.has_quorum,
        None if record is None else (record["at"], tuple(record["adds"]), tuple(record["dels"])),
        backoff,
        cluster.now if (min_ready or record is not None or backoff) else None,
    )
    return bool(cluster.memo(key, lambda: cluster.would_change(action, components=(_COMPONENT,))))


def daemonset_actions(cluster: Cluster) -> list[Action]:
    """DaemonSet syncs that would do something now."""
    return [
        SyncDaemonSet(ds["metadata"]["namespace"], ds["metadata"]["name"])
        for ds in cluster.view(_COMPONENT).list_objects("DaemonSet")
        if _needs_sync(cluster, ds)
    ]
