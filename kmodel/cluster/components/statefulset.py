"""The StatefulSet controller, one sync of one StatefulSet per action, and the claim collector.

The decisions are :mod:`kmodel.semantics.statefulset`; this module runs them against the
controller's informer cache and writes through the API, as
``pkg/controller/statefulset/stateful_set.go sync`` with ``stateful_set_control.go
UpdateStatefulSet`` and ``stateful_pod_control.go`` do. A replacement pod gets the old pod's
name only once the old one is gone from the API: a create with a taken name is refused.

Revisions are ControllerRevision objects named ``<set>-<hash>`` whose ``data`` is the set's
pod template and whose ``revision`` numbers them. The hash is kmodel's
(:func:`~kmodel.cluster.components.controllers.pod_template_hash` of the template and the
collision count), so names differ from upstream's but equal templates get equal names.

Not modelled: adopting or releasing pods and revisions by selector (a set owns what it made),
the StatefulSet's own deletion (``whenDeleted`` only sets the claims' owner references) and
its ``status.conditions`` (upstream's controller writes none).

The garbage collector is modelled for claims only (``pkg/controller/garbagecollector``): a
PersistentVolumeClaim whose owners are all gone is deleted, which is how
``persistentVolumeClaimRetentionPolicy: Delete`` takes effect.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.components.controllers import pod_template_hash
from kmodel.cluster.components.ownership import cached_controller_uid, deletion_grace_period
from kmodel.cluster.model import Cluster
from kmodel.objects.defaults import set_defaults_stateful_set
from kmodel.objects.fields import int_at, list_at, mapping_at, str_at
from kmodel.semantics import statefulset as sem

__all__ = [
    "CollectClaim",
    "SyncStatefulSet",
    "statefulset_actions",
]

COMPONENT = "statefulset"


def defaulted(cluster: Cluster, sts: Mapping[str, Any]) -> dict[str, Any]:
    """The set with apps/v1 defaults, once per stored version (callers only read it)."""
    result: dict[str, Any] = cluster.derive("statefulset-defaults", sts, set_defaults_stateful_set)
    return result


def set_pods(cluster: Cluster, sts: Mapping[str, Any], component: str = COMPONENT) -> list[Any]:
    """The set's pods in a component's cache: owned by it and named as its members."""
    view = cluster.view(component)
    uid = sts["metadata"]["uid"]
    return [
        p
        for p in view.list_objects("Pod", namespace=sts["metadata"]["namespace"])
        if cached_controller_uid(cluster, p) == uid and sem.is_member_of(sts, p)
    ]


def _revision_data(sts: Mapping[str, Any]) -> dict[str, Any]:
    """``getPatch``: what a revision records of the set (its pod template)."""
    return {"spec": {"template": mapping_at(sts, "spec.template")}}


def _with_template(sts: dict[str, Any], revision: Mapping[str, Any] | None) -> dict[str, Any]:
    """``ApplyRevision``: the set with a revision's template."""
    if revision is None:
        return sts
    return {**sts, "spec": {**sts["spec"], "template": revision["data"]["spec"]["template"]}}


@register
@dataclass(frozen=True)
class SyncStatefulSet(Action):
    """The StatefulSet controller syncs one StatefulSet."""

    name: ClassVar[str] = "statefulset-sync"
    namespace: str
    statefulset: str

    def describe(self) -> str:
        """In words."""
        return f"statefulset controller syncs {self.namespace}/{self.statefulset}"

    def apply(self, cluster: Cluster) -> None:
        """One ``sync``: revisions, ``updateStatefulSet``, its writes, status, history."""
        view = cluster.view(COMPONENT)
        raw = view.get(("StatefulSet", self.namespace, self.statefulset))
        if raw is None:
            return
        sts = defaulted(cluster, raw)
        uid = sts["metadata"]["uid"]
        pods = set_pods(cluster, sts)
        revisions = sorted(
            (
                r
                for r in view.list_objects("ControllerRevision", namespace=self.namespace)
                if cached_controller_uid(cluster, r) == uid
            ),
            key=lambda r: (int(r.get("revision", 0)), r["metadata"]["name"]),
        )
        collisions = int_at(sts, "status.collisionCount")
        data = _revision_data(sts)
        name = f"{self.statefulset}-{pod_template_hash(data, collision_count=collisions)}"
        choice = sem.select_revisions(revisions, name, data, str_at(sts, "status.currentRevision"))
        by_name = {r["metadata"]["name"]: r for r in revisions}
        if choice.action == "bump":
            bumped = cluster.update({**by_name[choice.update], "revision": choice.revision})
            if bumped is None:
                return
            by_name[choice.update] = bumped
        elif choice.action == "create":
            created = self._create_revision(cluster, sts, name, data, choice.revision)
            if created is None:
                # A name taken by another template: upstream bumps collisionCount and retries.
                taken = cluster.store.get(("ControllerRevision", self.namespace, name))
                if taken is not None and taken.get("data") != data:
                    self._write_status(
                        cluster,
                        raw,
                        {**mapping_at(sts, "status"), "collisionCount": collisions + 1},
                    )
                return
            by_name[name] = created
        current_set = _with_template(sts, by_name.get(choice.current))
        update_set = _with_template(sts, by_name.get(choice.update))
        claims = {
            c["metadata"]["name"]: c
            for c in view.list_objects("PersistentVolumeClaim", namespace=self.namespace)
        }
        plan = sem.update_stateful_set(
            sts,
            current_set=current_set,
            update_set=update_set,
            current_revision=choice.current,
            update_revision=choice.update,
            collision_count=collisions,
            pods=pods,
            claims=claims,
            now=cluster.now,
        )
        failed = not self._carry_out(cluster, sts, plan, pods, claims)
        self._write_status(cluster, raw, plan.status)
        if failed:
            return
        for victim in sem.truncate_history(
            [by_name[n] for n in sorted(by_name, key=lambda n: int(by_name[n].get("revision", 0)))],
            pods,
            choice.current,
            choice.update,
            int(sts["spec"]["revisionHistoryLimit"]),
        ):
            cluster.delete(
                ("ControllerRevision", self.namespace, victim),
                uid=by_name[victim]["metadata"]["uid"],
            )

    # ----------------------------------------------------------------- helpers

    def _create_revision(
        self,
        cluster: Cluster,
        sts: Mapping[str, Any],
        name: str,
        data: Mapping[str, Any],
        number: int,
    ) -> Mapping[str, Any] | None:
        """``history.NewControllerRevision`` + ``CreateControllerRevision``."""
        labels = dict(mapping_at(sts, "spec.template.metadata.labels"))
        labels[sem.REVISION_LABEL] = name.rsplit("-", 1)[-1]
        body = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": labels,
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "StatefulSet",
                        "name": self.statefulset,
                        "uid": sts["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "data": copy.deepcopy(dict(data)),
            "revision": number,
        }
        return cluster.create(body)

    def _carry_out(
        self,
        cluster: Cluster,
        sts: Mapping[str, Any],
        plan: sem.StatefulSetPlan,
        pods: list[Any],
        claims: Mapping[str, Any],
    ) -> bool:
        """Make the plan's writes in order; False at the first refused one (upstream's error)."""
        by_name = {p["metadata"]["name"]: p for p in pods}
        when_deleted = sem.retention_policy(sts)[0]
        for operation in plan.operations:
            written: Mapping[str, Any] | None
            if operation.verb == "create-claim":
                assert operation.body is not None  # noqa: S101  # the plan sets it
                body = copy.deepcopy(dict(operation.body))
                if when_deleted == "Delete":
                    body["metadata"]["ownerReferences"] = [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "StatefulSet",
                            "name": sts["metadata"]["name"],
                            "uid": sts["metadata"]["uid"],
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ]
                written = cluster.create(body)
            elif operation.verb == "create-pod":
                assert operation.body is not None  # noqa: S101
                written = cluster.create(operation.body)
            elif operation.verb == "delete-pod":
                pod = by_name.get(operation.name) or {}
                grace = deletion_grace_period(pod) if pod else 0
                written = self._delete_pod(cluster, operation, grace=grace)
            elif operation.verb == "update-pod":
                assert operation.body is not None  # noqa: S101
                written = cluster.update(operation.body)
            else:
                claim = claims[operation.name]
                written = cluster.update(
                    {
                        **claim,
                        "metadata": {
                            **claim["metadata"],
                            "ownerReferences": [dict(o) for o in operation.owners],
                        },
                    }
                )
            if written is None:
                return False
        return True

    def _delete_pod(
        self, cluster: Cluster, operation: sem.Operation, *, grace: int
    ) -> Mapping[str, Any] | None:
        """Delete a pod; an empty mapping once it is gone (None: the write was refused)."""

        def write() -> Mapping[str, Any]:
            key = ("Pod", self.namespace, operation.name)
            return cluster.store.delete(key, uid=operation.uid, grace_period_seconds=grace) or {}

        return cluster.try_write(write)

    def _write_status(
        self, cluster: Cluster, raw: Mapping[str, Any], status: Mapping[str, Any]
    ) -> None:
        """``updateStatefulSetStatus``: write only when it differs (``inconsistentStatus``)."""
        if not sem.inconsistent_status(raw, status):
            return
        current = cluster.store.get(("StatefulSet", self.namespace, self.statefulset))
        if current is None or current["metadata"]["uid"] != raw["metadata"]["uid"]:
            return
        cluster.update({**current, "status": dict(status)})


@register
@dataclass(frozen=True)
class CollectClaim(Action):
    """The garbage collector deletes a claim whose owners are all gone."""

    name: ClassVar[str] = "gc-claim"
    namespace: str
    claim: str

    def describe(self) -> str:
        """In words."""
        return f"garbage collector deletes claim {self.namespace}/{self.claim} (owner gone)"

    def apply(self, cluster: Cluster) -> None:
        """Delete the claim if it still has owners and none of them exists."""
        claim = cluster.store.get(("PersistentVolumeClaim", self.namespace, self.claim))
        if claim is None or not _orphaned(cluster, claim):
            return
        cluster.delete(key_of_claim(claim), uid=claim["metadata"]["uid"])


def key_of_claim(claim: Mapping[str, Any]) -> tuple[str, str, str]:
    """The store key of a claim."""
    return ("PersistentVolumeClaim", claim["metadata"]["namespace"], claim["metadata"]["name"])


def _orphaned(cluster: Cluster, claim: Mapping[str, Any]) -> bool:
    refs = list_at(claim, "metadata.ownerReferences")
    if not refs:
        return False
    namespace = claim["metadata"]["namespace"]
    for ref in refs:
        owner = cluster.store.get((str(ref.get("kind")), namespace, str(ref.get("name"))))
        if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
            return False
    return True


# ----------------------------------------------------------------------------- scheduling


def _needs_sync(cluster: Cluster, sts: Mapping[str, Any]) -> bool:
    """Whether a sync would write anything (a dry run, cached on what it reads)."""
    action = SyncStatefulSet(sts["metadata"]["namespace"], sts["metadata"]["name"])
    view = cluster.informers[COMPONENT]
    store = cluster.store
    kinds = ("StatefulSet", "Pod", "PersistentVolumeClaim", "ControllerRevision")
    # The sync reads its cache and writes through the store: a create may find a name taken
    # that the cache does not show yet, so the store's revisions count unless they agree.
    stored = None if view.in_sync(store) else tuple(store.kind_revision.get(k, 0) for k in kinds)
    # Of the pods it reads only those named as its members (owned or not: a create of a taken
    # name fails), so other pods' updates, most of the writes, leave the cached answer be.
    namespace = sts["metadata"]["namespace"]
    members = cluster.memo(
        ("statefulset-members", namespace, sts["metadata"]["name"], view.versions("Pod")),
        lambda: tuple(
            (p["metadata"]["name"], p["metadata"]["resourceVersion"])
            for p in view.list_objects("Pod", namespace=namespace)
            if sem.is_member_of(sts, p)
        ),
    )
    reads = (
        sts["metadata"]["resourceVersion"],
        members,
        view.versions("PersistentVolumeClaim", "ControllerRevision"),
    )
    key = ("statefulset-needs-sync", action, reads, stored, store.has_quorum)
    # The answer holds for the times at which every comparison the sync made with the clock
    # comes out the same (Cluster.would_change_within); otherwise it is keyed on the time too.
    within = cluster.memo_within(
        key, lambda: cluster.would_change_within(action, components=(COMPONENT,))
    )
    if within is not None:
        return within
    return bool(
        cluster.memo(
            (key, cluster.now), lambda: cluster.would_change(action, components=(COMPONENT,))
        )
    )


def statefulset_actions(cluster: Cluster) -> list[Action]:
    """StatefulSet syncs and claim collections that would do something now."""
    view = cluster.view(COMPONENT)
    actions: list[Action] = [
        SyncStatefulSet(s["metadata"]["namespace"], s["metadata"]["name"])
        for s in view.list_objects("StatefulSet")
        if _needs_sync(cluster, s)
    ]
    revisions = cluster.store.kind_revision
    key = (
        "claim-gc",
        revisions.get("PersistentVolumeClaim", 0),
        revisions.get("Pod", 0),
        revisions.get("StatefulSet", 0),
    )
    actions.extend(
        cluster.memo(
            key,
            lambda: tuple(
                CollectClaim(c["metadata"]["namespace"], c["metadata"]["name"])
                for c in cluster.store.list_objects("PersistentVolumeClaim")
                if _orphaned(cluster, c)
            ),
        )
    )
    return actions
