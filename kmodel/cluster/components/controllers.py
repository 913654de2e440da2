"""The ReplicaSet and Deployment controllers, one sync of one object per action.

The arithmetic is :mod:`kmodel.semantics.replicaset` and :mod:`kmodel.semantics.deployment`;
this module runs it against the controller's informer cache and writes through the API, as
``pkg/controller/replicaset/replica_set.go syncReplicaSet`` and
``pkg/controller/deployment/deployment_controller.go syncDeployment`` do.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.ownership import (
    cached_controller_uid,
    claim_pods,
    controller_owner_ref,
    delete_pod,
    pod_from_template,
)
from kmodel.cluster.informer import Informer
from kmodel.cluster.model import Cluster
from kmodel.objects.defaults import set_defaults_deployment, set_defaults_deployment_in_place
from kmodel.objects.fields import int_at, list_at, mapping_at, read_path
from kmodel.objects.labels import labels_of, selector_matches
from kmodel.objects.types import Manifest
from kmodel.semantics import deployment as dep
from kmodel.semantics import replicaset as rsem

__all__ = [
    "SyncDeployment",
    "SyncReplicaSet",
    "deployment_actions",
    "pod_template_hash",
    "replicaset_actions",
]

_HASH_LABEL = "pod-template-hash"
_EXPECTATIONS_TIMEOUT = 300
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(template: Mapping[str, Any], *, collision_count: int = 0) -> str:
    """A stable hash of a pod template (``controller.ComputeHash``: FNV-32a, safe-encoded).

    kmodel hashes the template's JSON, so the value differs from upstream's, but equal templates
    hash equal and different ones differ.
    """
    data = json.dumps(template, sort_keys=True).encode() + str(collision_count).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    chars = []
    while value:
        value, digit = divmod(value, len(_SAFE))
        chars.append(_SAFE[digit])
    return "".join(chars) or _SAFE[0]


def _controller_ref(cluster: Cluster, obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``controller_ref`` of a stored object, computed once per object version."""
    ref: Mapping[str, Any] | None = cluster.derive("controller-ref", obj, rsem.controller_ref)
    return ref


def _owned_by(cluster: Cluster, obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid: str = owner["metadata"]["uid"]
    return cached_controller_uid(cluster, obj) == uid


# ----------------------------------------------------------------------------- ReplicaSet


def _rs_pods(cluster: Cluster, rs: Mapping[str, Any]) -> list[Any]:
    """Claim pods for a ReplicaSet (adopting and releasing)."""
    pods = cluster.view("replicaset").list_objects("Pod", namespace=rs["metadata"]["namespace"])
    return claim_pods(cluster, rs, list(pods), "apps/v1")


def _expectations_satisfied(cluster: Cluster, rs: Mapping[str, Any]) -> bool:
    """``SatisfiedExpectations``: every pod it created or deleted has been observed, or expired.

    Either makes the answer yes, so which is asked first changes no answer, only what is read.
    Their age costs less to ask, and is asked first, but not in a dry run with a watched clock
    (``Cluster.memo_within``, ``Cluster.idle_window``): there a fulfilled record (upstream asks
    ``Fulfilled`` first too) must not compare the clock with its timeout, or the dry run's
    answer would hold only until then. Nor is the cache read for an expired record while it
    has events to deliver: reading it catches it up, and when a watch delivers is behaviour.
    """
    record = cluster.memory["replicaset"].get(rs["metadata"]["uid"])
    if record is None:
        return True
    age_first = type(cluster.now) is int or cluster.informers["replicaset"].would_deliver(
        cluster.store
    )
    if age_first and _expired(cluster, record):
        return True
    return _fulfilled(cluster, rs, record) or _expired(cluster, record)


def _expired(cluster: Cluster, record: Mapping[str, Any]) -> bool:
    return bool(cluster.now - record["at"] > _EXPECTATIONS_TIMEOUT)


def _fulfilled(cluster: Cluster, rs: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Every pod of ``record`` it created is in the cache and every one it deleted is gone."""
    view = cluster.view("replicaset")
    namespace = rs["metadata"]["namespace"]
    if any(view.get(("Pod", namespace, name)) is None for name in record["adds"]):
        return False  # a pod it created is not in the cache yet
    if not record["dels"]:
        return True
    live = cluster.memo(
        ("live-pod-uids", namespace, view.versions("Pod")),
        lambda: frozenset(
            p["metadata"]["uid"]
            for p in view.list_objects("Pod", namespace=namespace)
            if p["metadata"].get("deletionTimestamp") is None
        ),
    )
    return not any(uid in live for uid in record["dels"])


def _related(cluster: Cluster, rs: Mapping[str, Any]) -> list[Any]:
    """Pods of every ReplicaSet with the same controller owner (``getPodsToDelete``'s related)."""
    view = cluster.view("replicaset")
    owner = rsem.controller_ref(rs)
    namespace = rs["metadata"]["namespace"]
    if owner is None:
        siblings = [rs]
    else:
        siblings = [
            other
            for other in view.list_objects("ReplicaSet", namespace=namespace)
            if cached_controller_uid(cluster, other) == owner.get("uid")
        ]
    uids = {s["metadata"]["uid"] for s in siblings}
    return [
        p
        for p in view.list_objects("Pod", namespace=namespace)
        if cached_controller_uid(cluster, p) in uids
    ]


@register
@dataclass(frozen=True)
class SyncReplicaSet(Action):
    """The ReplicaSet controller syncs one ReplicaSet."""

    name: ClassVar[str] = "replicaset-sync"
    namespace: str
    replicaset: str

    def describe(self) -> str:
        """In words."""
        return f"replicaset controller syncs {self.namespace}/{self.replicaset}"

    def active_pods(self, pods: list[Any]) -> list[Any]:
        """The pods that count toward the replicas (``controller.FilterActivePods``)."""
        return rsem.filter_active_pods(pods)

    def apply(self, cluster: Cluster) -> None:
        """One ``syncReplicaSet``."""
        view = cluster.view("replicaset")
        rs = view.get(("ReplicaSet", self.namespace, self.replicaset))
        if rs is None:
            return
        claimed = _rs_pods(cluster, rs)
        active = self.active_pods(claimed)
        error = None
        if _expectations_satisfied(cluster, rs) and rs["metadata"].get("deletionTimestamp") is None:
            plan = rsem.manage_replicas_plan(rs, active, _related(cluster, rs), cluster.now)
            record: dict[str, Any] = {"at": cluster.now, "adds": [], "dels": []}
            if plan.create:
                for batch in plan.create_batches:
                    failed = False
                    for _ in range(batch):
                        template = mapping_at(rs, "spec.template")
                        new_pod = pod_from_template(template, rs, api_version="apps/v1")
                        created = cluster.create(new_pod)
                        if created is None:
                            failed = True
                            error = "FailedCreate"
                        else:
                            record["adds"].append(created["metadata"]["name"])
                    if failed:
                        break
            for pod in plan.delete:
                record["dels"].append(pod["metadata"]["uid"])
                delete_pod(cluster, pod)
            if record["adds"] or record["dels"]:
                cluster.memory["replicaset"][rs["metadata"]["uid"]] = record
        status = rsem.calculate_status(rs, active, cluster.now, manage_replicas_error=error)
        status["observedGeneration"] = rs["metadata"].get("generation", 1)
        if status != rs.get("status"):
            fresh = cluster.store.get(("ReplicaSet", self.namespace, self.replicaset))
            if fresh is not None and fresh["metadata"]["uid"] == rs["metadata"]["uid"]:
                cluster.update({**fresh, "status": status})


# ----------------------------------------------------------------------------- Deployment


def _equal_ignore_hash(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``EqualIgnoreHash``: templates equal apart from the pod-template-hash label."""

    def parts(template: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        metadata = dict(mapping_at(template, "metadata"))
        labels = dict(metadata.pop("labels", None) or {})
        labels.pop(_HASH_LABEL, None)
        rest = {k: v for k, v in template.items() if k != "metadata"}
        return labels, metadata, rest

    return parts(a) == parts(b)


def defaulted(cluster: Cluster, d: Mapping[str, Any]) -> dict[str, Any]:
    """The Deployment with apps/v1 defaults, cached per object version (callers only read it)."""
    result: dict[str, Any] = cluster.derive("deployment-defaults", d, _defaults_sharing)
    return result


def _defaults_sharing(d: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`~kmodel.objects.defaults.set_defaults_deployment`, sharing what it leaves be.

    Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment`` through that function. Only
    ``spec``, ``spec.strategy`` and ``spec.strategy.rollingUpdate`` get defaults, so only they
    are copied; the template, metadata and status are shared with the stored object (never
    mutated) instead of deep-copied for every version of the Deployment. Anything but plain
    dicts on that path takes the deep-copying function itself (its checks, its errors).
    """
    spec = d.get("spec") if type(d) is dict else None
    strategy = spec.get("strategy") if type(spec) is dict else None
    rolling = strategy.get("rollingUpdate") if type(strategy) is dict else None
    if type(spec) is not dict or type(strategy) not in {dict, type(None)}:
        return set_defaults_deployment(d)
    if rolling is not None and type(rolling) is not dict:
        return set_defaults_deployment(d)
    # An empty copy where set_defaults_deployment would create one: the same result.
    shallow = {**d, "spec": {**spec, "strategy": dict(strategy or {})}}
    strategy_copy = shallow["spec"]["strategy"]
    if rolling is not None:
        strategy_copy["rollingUpdate"] = dict(rolling)
    return set_defaults_deployment_in_place(shallow)


def _write_rs_scale(cluster: Cluster, rs: Mapping[str, Any], action: dep.ScaleAction) -> bool:
    # Only spec.replicas and metadata.annotations change, so copying those two levels is enough
    # (stored objects are never mutated; the rest is shared with the stored version).
    body = dict(rs)
    body["spec"] = dict(rs["spec"])
    body["metadata"] = dict(rs["metadata"])
    body["spec"]["replicas"] = action.to_replicas
    annotations = dict(mapping_at(rs, "metadata.annotations"))
    annotations.update(action.annotations)
    body["metadata"]["annotations"] = annotations
    return cluster.update(body) is not None


@register
@dataclass(frozen=True)
class SyncDeployment(Action):
    """The Deployment controller syncs one Deployment."""

    name: ClassVar[str] = "deployment-sync"
    namespace: str
    deployment: str

    def describe(self) -> str:
        """In words."""
        return f"deployment controller syncs {self.namespace}/{self.deployment}"

    def apply(self, cluster: Cluster) -> None:
        """One ``syncDeployment``."""
        view = cluster.view("deployment")
        d = view.get(("Deployment", self.namespace, self.deployment))
        if d is None or d["metadata"].get("deletionTimestamp") is not None:
            return
        d = dict(defaulted(cluster, d))  # a shallow copy: the cached one is shared
        start = cluster.store.revision
        rss = [
            r
            for r in view.list_objects("ReplicaSet", namespace=self.namespace)
            if _owned_by(cluster, r, d)
        ]
        template = d["spec"]["template"]
        new_rs = next((r for r in rss if _equal_ignore_hash(r["spec"]["template"], template)), None)
        old_rss = [r for r in rss if r is not new_rs]

        paused_conditions = dep.check_paused_conditions(d, cluster.now)
        if paused_conditions is not None:
            self._write_status(
                cluster, d, {**mapping_at(d, "status"), "conditions": paused_conditions}
            )
            return

        if d["spec"].get("paused"):
            self._sync(cluster, d, new_rs, old_rss)
            return
        if "deprecated.deployment.rollback.to" in mapping_at(d, "metadata.annotations"):
            decision = dep.rollback(d, rss)
            if decision is not None:
                body = copy.deepcopy(
                    dict(view.get(("Deployment", self.namespace, self.deployment)) or d)
                )
                if decision.template is not None:
                    body["spec"]["template"] = decision.template
                body["metadata"]["annotations"] = decision.annotations
                cluster.update(body)
            return
        if dep.is_scaling_event(d, rss):
            self._sync(cluster, d, new_rs, old_rss)
            return
        if new_rs is not None and not any(
            c.get("type") == "Progressing" for c in list_at(d, "status.conditions")
        ):
            self._progressing(cluster, d, "FoundNewReplicaSet", "Found new replica set", new_rs)
        if d["spec"]["strategy"].get("type") == "Recreate":
            self._recreate(cluster, d, rss, new_rs, old_rss)
            return
        if new_rs is None:
            new_rs = self._create_new_rs(cluster, d, rss)
            if new_rs is None:
                return
        all_rss = [*old_rss, new_rs]
        # rolloutRolling: a write that fails ends the sync (the error is returned, the
        # Deployment requeued), with no status update.
        new_scale = dep.reconcile_new_replica_set(all_rss, new_rs, d)
        if new_scale is not None:
            if _write_rs_scale(cluster, new_rs, new_scale):
                self._rollout_status(cluster, d)
            return
        active_old = [r for r in old_rss if int_at(r, "spec.replicas") > 0]
        plan = self.scale_down_old(all_rss, active_old, new_rs, d)
        plan_actions = plan.actions
        scaled_down = plan.scaled_down
        by_name = {r["metadata"]["name"]: r for r in old_rss}
        for action in plan_actions:
            if not _write_rs_scale(cluster, by_name[action.name], action):
                return
        if scaled_down:
            self._rollout_status(cluster, d)
            return
        status = dep.calculate_status(d, all_rss, new_rs, cluster.now)
        if dep.deployment_complete(d, status):
            for name in dep.cleanup_deployment(d, old_rss):
                victim = by_name[name]
                cluster.delete(("ReplicaSet", self.namespace, name), uid=victim["metadata"]["uid"])
        # Nothing written since the ReplicaSets were listed: the listing, the new ReplicaSet and
        # calculateStatus (a sum over them) would come out the same, so they are handed on.
        unchanged = cluster.store.revision == start
        self._rollout_status(cluster, d, (rss, new_rs, status) if unchanged else None)

    # ----------------------------------------------------------------- helpers

    def scale_down_old(
        self,
        all_rss: list[Manifest],
        active_old: list[Manifest],
        new_rs: Manifest,
        d: dict[str, Any],
    ) -> dep.ReconcileOldPlan:
        """``reconcileOldReplicaSets``: how far the old ReplicaSets scale down now."""
        return dep.reconcile_old_replica_sets(all_rss, active_old, new_rs, d)

    def _create_new_rs(
        self, cluster: Cluster, d: dict[str, Any], rss: list[Manifest]
    ) -> Manifest | None:
        template = copy.deepcopy(d["spec"]["template"])
        pod_hash = pod_template_hash(template, collision_count=int_at(d, "status.collisionCount"))
        labels = dict(mapping_at(template, "metadata.labels"))
        labels[_HASH_LABEL] = pod_hash
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(dict(mapping_at(d, "spec.selector")))
        selector.setdefault("matchLabels", {})[_HASH_LABEL] = pod_hash
        body: dict[str, Any] = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{pod_hash}",
                "namespace": d["metadata"]["namespace"],
                "labels": labels,
                "ownerReferences": [controller_owner_ref(d, "apps/v1")],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        new_revision = str(dep.max_revision(rss) + 1)
        annotations, _ = dep.set_new_replica_set_annotations(d, body, new_revision, exists=False)
        body["metadata"]["annotations"] = annotations
        body["spec"]["replicas"] = dep.new_rs_new_replicas(d, [*rss, body], body)
        created = cluster.create(body)
        if created is not None:
            self._progressing(
                cluster, d, "NewReplicaSetCreated", "Created new replica set", created
            )
        return created

    def _progressing(
        self, cluster: Cluster, d: dict[str, Any], reason: str, text: str, new_rs: Manifest
    ) -> None:
        """``getNewReplicaSet``'s Progressing=True condition (only with a progress deadline)."""
        if not dep.has_progress_deadline(d):
            return
        message = f'{text} "{new_rs["metadata"]["name"]}"'
        condition = dep.new_deployment_condition(
            "Progressing", "True", reason, message, cluster.now
        )
        status = dict(mapping_at(d, "status"))
        status["conditions"] = dep.set_deployment_condition(
            list_at(status, "conditions"), condition
        )
        self._write_status(cluster, d, status)
        current = cluster.store.get(("Deployment", self.namespace, self.deployment))
        if current is not None:
            d["status"] = current.get("status")

    def _sync(
        self, cluster: Cluster, d: dict[str, Any], new_rs: Manifest | None, old_rss: list[Manifest]
    ) -> None:
        """``sync``: proportional scaling, then cleanup (paused deployments too).

        A scaling write that fails ends the sync with no status update, as upstream's ``sync``
        returns the error (the Deployment is requeued).
        """
        by_name = {r["metadata"]["name"]: r for r in [*old_rss, *([new_rs] if new_rs else [])]}
        for action in dep.scale(d, new_rs, old_rss):
            if not _write_rs_scale(cluster, by_name[action.name], action):
                return
        all_rss = [*old_rss, *([new_rs] if new_rs else [])]
        status = dep.calculate_status(d, all_rss, new_rs, cluster.now)
        if d["spec"].get("paused") or dep.deployment_complete(d, status):
            for name in dep.cleanup_deployment(d, old_rss):
                cluster.delete(
                    ("ReplicaSet", self.namespace, name), uid=by_name[name]["metadata"]["uid"]
                )
        self._write_status(cluster, d, status)

    def _recreate(
        self,
        cluster: Cluster,
        d: dict[str, Any],
        rss: list[Manifest],
        new_rs: Manifest | None,
        old_rss: list[Manifest],
    ) -> None:
        """``rolloutRecreate``: old RSs to 0, wait until no old pod runs, then the new RS.

        The plan is :func:`kmodel.semantics.deployment.rollout_recreate`; here it is carried
        out as upstream does: a write that fails ends the sync without a status update (the
        error is returned), every other return syncs the rollout status over the ReplicaSets
        as listed (plus the new one once created).
        """
        view = cluster.view("deployment")
        pod_map = dep.get_pod_map_for_deployment(
            d, rss, view.list_objects("Pod", namespace=self.namespace)
        )
        plan = dep.rollout_recreate(d, new_rs, old_rss, pod_map)
        by_name = {r["metadata"]["name"]: r for r in old_rss}
        for action in plan.scale_down:
            if not _write_rs_scale(cluster, by_name[action.name], action):
                return
        if plan.scale_down or plan.old_pods_running:
            self._rollout_status_of(cluster, d, [*old_rss, new_rs], new_rs)
            return
        if plan.create_new_replica_set:
            new_rs = self._create_new_rs(cluster, d, rss)
            if new_rs is None:
                return
        elif (
            plan.scale_up is not None
            and new_rs is not None
            and not _write_rs_scale(cluster, new_rs, plan.scale_up)
        ):
            return
        for name in plan.cleanup:
            victim = by_name[name]
            cluster.delete(("ReplicaSet", self.namespace, name), uid=victim["metadata"]["uid"])
        self._rollout_status_of(cluster, d, [*old_rss, new_rs], new_rs)

    def _rollout_status_of(
        self,
        cluster: Cluster,
        d: dict[str, Any],
        all_rss: list[Manifest | None],
        new_rs: Manifest | None,
    ) -> None:
        """``syncRolloutStatus(allRSs, newRS, d)`` over ReplicaSets the caller holds."""
        self._write_status(cluster, d, dep.sync_rollout_status(d, all_rss, new_rs, cluster.now))

    def _rollout_status(
        self,
        cluster: Cluster,
        d: dict[str, Any],
        known: tuple[list[Manifest], Manifest | None, dict[str, Any]] | None = None,
    ) -> None:
        """``syncRolloutStatus``; ``known``: (ReplicaSets, new one, calculateStatus) if current."""
        calculated: dict[str, Any] | None = None
        if known is not None:
            rss, new_rs, calculated = known
        else:
            view = cluster.view("deployment")
            rss = [
                r
                for r in view.list_objects("ReplicaSet", namespace=self.namespace)
                if _owned_by(cluster, r, d)
            ]
            template = d["spec"]["template"]
            new_rs = next(
                (r for r in rss if _equal_ignore_hash(r["spec"]["template"], template)), None
            )
        status = dep.sync_rollout_status(d, rss, new_rs, cluster.now, calculated=calculated)
        self._write_status(cluster, d, status)

    def _write_status(self, cluster: Cluster, d: dict[str, Any], status: dict[str, Any]) -> None:
        """``UpdateStatus`` of the Deployment as the controller read it, with the new status.

        The update carries the cached object's resourceVersion, as upstream's does: a
        Deployment changed since (a user scaled it while the controller's watch lagged, or an
        earlier write of this sync) refuses it with a conflict, and the next sync retries.
        ``observedGeneration`` is the caller's: ``calculateStatus`` sets it, the condition-only
        updates (``getNewReplicaSet``, ``checkPausedConditions``) leave it as read.
        """
        if mapping_at(d, "status") == status:
            return
        current = cluster.store.get(("Deployment", self.namespace, self.deployment))
        if current is None or current["metadata"]["uid"] != d["metadata"]["uid"]:
            return
        metadata = {**current["metadata"], "resourceVersion": d["metadata"]["resourceVersion"]}
        cluster.update({**current, "metadata": metadata, "status": status})


def _pods_by_controller(
    cluster: Cluster,
) -> dict[tuple[str, str | None], tuple[tuple[str, str], ...]]:
    """(namespace, controller UID or None) -> (name, resourceVersion) of the cached pods.

    Orphans (no controller) that are terminating are left out: no ReplicaSet adopts them.
    Built once per version of the pods in the ReplicaSet controller's cache (callers only read
    it).
    """
    view = cluster.view("replicaset")
    key = ("pods-by-controller", view.versions("Pod"))
    return cluster.memo(key, lambda: _index_pods(cluster, view))


def _index_pods(
    cluster: Cluster, view: Informer
) -> dict[tuple[str, str | None], tuple[tuple[str, str], ...]]:
    index: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for pod in view.list_objects("Pod"):
        metadata = pod["metadata"]
        owner = cached_controller_uid(cluster, pod)
        if owner is None and metadata.get("deletionTimestamp") is not None:
            continue
        index.setdefault((metadata["namespace"], owner), []).append(
            (metadata["name"], metadata["resourceVersion"])
        )
    # Tuples: they go into cache keys as they are.
    return {group: tuple(pods) for group, pods in index.items()}


def _rs_needs_sync(
    cluster: Cluster,
    sync: SyncReplicaSet,
    rs: Mapping[str, Any],
    pods: Mapping[tuple[str, str | None], tuple[tuple[str, str], ...]],
) -> bool:
    """Whether a sync would write anything, cached on what it reads.

    That is the ReplicaSet, its pods and the orphans it might adopt, whether its expectations
    are satisfied, and the time; not the other pods, whose updates are most of the writes.
    """
    metadata = rs["metadata"]
    namespace = metadata["namespace"]
    key = (
        "rs-needs-sync",
        type(sync),
        metadata["uid"],
        metadata["resourceVersion"],
        pods.get((namespace, metadata["uid"]), ()),
        pods.get((namespace, None), ()),
        _expectations_satisfied(cluster, rs),
        cluster.now if _reads_time(rs) else None,
    )
    return bool(cluster.memo(key, lambda: _rs_needs_sync_now(cluster, sync, rs)))


def _reads_time(rs: Mapping[str, Any]) -> bool:
    """Whether the status of ``rs`` depends on the clock (beyond its expectations, keyed apart).

    ``calculate_status`` without a manage-replicas error reads ``now`` only in
    ``is_pod_available``, and only when ``spec.minReadySeconds`` is not 0 (absent reads as 0).
    """
    min_ready = read_path(rs, "spec.minReadySeconds")
    return not (min_ready is None or (type(min_ready) is int and min_ready == 0))


def _rs_needs_sync_now(cluster: Cluster, sync: SyncReplicaSet, rs: Mapping[str, Any]) -> bool:
    view = cluster.view("replicaset")
    namespace = rs["metadata"]["namespace"]
    pods = list(view.list_objects("Pod", namespace=namespace))
    claimed = [p for p in pods if _owned_by(cluster, p, rs)]
    orphans = [
        p
        for p in pods
        if _controller_ref(cluster, p) is None
        and p["metadata"].get("deletionTimestamp") is None
        and selector_matches(read_path(rs, "spec.selector"), labels_of(p))
    ]
    if orphans:
        return True
    active = sync.active_pods(claimed)
    if len(active) != int_at(rs, "spec.replicas", default=1) and _expectations_satisfied(
        cluster, rs
    ):
        return True
    status = rsem.calculate_status(rs, active, cluster.now)
    status["observedGeneration"] = rs["metadata"].get("generation", 1)
    return status != rs.get("status")


def _deployment_needs_sync(cluster: Cluster, action: SyncDeployment, d: Mapping[str, Any]) -> bool:
    """Whether ``action`` (a sync of ``d``) would write anything (a dry run, cached on reads)."""
    view = cluster.informers["deployment"]
    store = cluster.store
    # A sync reads the Deployment and ReplicaSets (cached and stored: the writes it tries may
    # conflict), and Pods only for the Recreate strategy, which waits for old pods to stop. Pods
    # change on almost every step, so leaving them out of the key for RollingUpdate Deployments
    # is what lets the dry run's result be reused.
    strategy = read_path(d, "spec.strategy.type")
    pods = view.versions("Pod") if strategy == "Recreate" else None
    if view.in_sync(store):
        # The store holds what the cache holds: the sync depends on this Deployment and on the
        # ReplicaSets it may read, write or create (its own, and any named like its new one).
        # Listed once per version of the cached ReplicaSets (most steps write pods).
        namespace, prefix = d["metadata"]["namespace"], d["metadata"]["name"] + "-"
        owner = d["metadata"]["uid"]
        replicasets = cluster.memo(
            ("deployment-replicasets", namespace, prefix, owner, view.versions("ReplicaSet")),
            lambda: tuple(
                (r["metadata"]["name"], r["metadata"]["resourceVersion"])
                for r in view.list_objects("ReplicaSet", namespace=namespace)
                if r["metadata"]["name"].startswith(prefix)
                or cached_controller_uid(cluster, r) == owner
            ),
        )
        reads: tuple[Any, ...] = (d["metadata"]["resourceVersion"], replicasets)
    else:
        reads = (
            view.versions("Deployment", "ReplicaSet"),
            store.kind_revision.get("Deployment", 0),
            store.kind_revision.get("ReplicaSet", 0),
        )
    key = (action, reads, pods, store.has_quorum)
    # A sync's answer holds for the times at which every comparison it made with the clock comes
    # out the same (see Cluster.would_change_within): for any time at rest, until a timeout is
    # due mid-rollout. A sync that uses the clock otherwise is keyed on the time as well.
    within = cluster.memo_within(
        key, lambda: cluster.would_change_within(action, components=("deployment",))
    )
    if within is not None:
        return within
    return bool(
        cluster.memo(
            (key, cluster.now), lambda: cluster.would_change(action, components=("deployment",))
        )
    )


def deployment_actions(
    cluster: Cluster, *, sync: type[SyncDeployment] = SyncDeployment
) -> list[Action]:
    """Deployment syncs (of class ``sync``) that would do something now."""
    found: list[Action] = []
    for d in cluster.view("deployment").list_objects("Deployment"):
        action = sync(d["metadata"]["namespace"], d["metadata"]["name"])
        if _deployment_needs_sync(cluster, action, d):
            found.append(action)
    return found


def replicaset_actions(
    cluster: Cluster, *, sync: type[SyncReplicaSet] = SyncReplicaSet
) -> list[Action]:
    """ReplicaSet syncs (of class ``sync``) that would do something now."""
    pods = _pods_by_controller(cluster)
    found: list[Action] = []
    for rs in cluster.view("replicaset").list_objects("ReplicaSet"):
        action = sync(rs["metadata"]["namespace"], rs["metadata"]["name"])
        if _rs_needs_sync(cluster, action, rs, pods):
            found.append(action)
    return found
