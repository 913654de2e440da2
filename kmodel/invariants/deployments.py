"""Invariants guarding Deployments, ReplicaSets, endpoints, budgets, drains and convergence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import (
    CLOCK,
    History,
    Invariant,
    Violation,
    _conditions,
    _controller_of,
    _controller_ref,
    _live,
    _name,
    _pod_available,
    _pod_ready,
    _pods,
    _scaled,
)
from kmodel.objects.labels import labels_of, selector_matches

#: The label the Deployment controller adds to each ReplicaSet's pod template, and so to its
#: pods (``apps/v1 DefaultDeploymentUniqueLabelKey``).
_POD_TEMPLATE_HASH = "pod-template-hash"
#: The Deployment controller's step (``SyncDeployment.name``), named rather than imported so
#: that no invariant here depends on the controller module it checks.
_DEPLOYMENT_SYNC = "deployment-sync"


def _template_parts(template: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """A pod template's labels without the pod-template-hash one, its other metadata, the rest.

    An absent ``metadata`` or ``labels`` reads as an empty one.
    """
    metadata = dict(template.get("metadata") or {})
    labels = {
        key: value
        for key, value in (metadata.pop("labels", None) or {}).items()
        if key != _POD_TEMPLATE_HASH
    }
    return labels, metadata, {key: v for key, v in template.items() if key != "metadata"}


def _same_template(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether two pod templates are equal apart from the pod-template-hash label.

    What makes a ReplicaSet a Deployment's new one upstream (``FindNewReplicaSet`` by
    ``EqualIgnoreHash``): the Deployment's template is the ReplicaSet's without that label.
    """
    return _template_parts(a) == _template_parts(b)


def _defaults(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The Deployment with the apps/v1 defaults the invariants read (``SetDefaults_Deployment``).

    ``spec.replicas`` 1; ``spec.strategy.type`` RollingUpdate; for RollingUpdate,
    ``maxUnavailable`` and ``maxSurge`` 25%. The stored object is not modified.
    """
    spec = dict(raw.get("spec") or {})
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = dict(spec.get("strategy") or {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = dict(strategy.get("rollingUpdate") or {})
        for field in ("maxUnavailable", "maxSurge"):
            if rolling.get(field) is None:
                rolling[field] = "25%"
        strategy["rollingUpdate"] = rolling
    spec["strategy"] = strategy
    return {**raw, "spec": spec}


def _defaulted(cluster: Cluster, raw: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`_defaults` of a stored Deployment, once per version (callers only read it)."""
    result: dict[str, Any] = cluster.derive("invariant-deployment-defaults", raw, _defaults)
    return result


def _fenceposts(d: Mapping[str, Any]) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) of a defaulted RollingUpdate Deployment, as pod counts.

    Upstream's reading (``ResolveFenceposts``, ``MaxUnavailable``): maxSurge rounds up and
    maxUnavailable down against ``spec.replicas``; when both come to 0, maxUnavailable is 1;
    maxUnavailable is at most the replicas, and 0 for no replicas.
    """
    replicas = int(d["spec"]["replicas"])
    rolling = d["spec"]["strategy"]["rollingUpdate"]
    surge = _scaled(rolling["maxSurge"], replicas, round_up=True)
    unavailable = _scaled(rolling["maxUnavailable"], replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _is_sync_of(step: Step | None, namespace: str, name: str) -> bool:
    """Whether ``step`` is the Deployment controller's sync of that Deployment."""
    action = None if step is None else step.action
    return (
        action is not None
        and action.name == _DEPLOYMENT_SYNC
        and getattr(action, "namespace", None) == namespace
        and getattr(action, "deployment", None) == name
    )


class EndpointsReadyOnly(Invariant):
    """Endpoints written in a step list only pods that are Ready and not terminating then."""

    name = "endpoints_ready_only"
    description = "endpoints only contain Ready, non-terminating pods"
    precondition = "Endpoints listing a pod were written"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check the Endpoints objects this step wrote against the pods as they are now."""
        if step is None:
            written = [
                (e["metadata"]["namespace"], e["metadata"]["name"])
                for e in cluster.store.list_objects("Endpoints")
            ]
        else:
            written = [
                (c.namespace, c.name)
                for c in step.changes
                if c.kind == "Endpoints" and c.type != "DELETED"
            ]
        pods = {p["metadata"]["uid"]: p for p in _pods(cluster)}
        violations = []
        for namespace, name in written:
            endpoints = cluster.store.get(("Endpoints", namespace, name))
            for subset in (endpoints or {}).get("subsets") or []:
                for address in subset.get("addresses") or []:
                    history.met.add(self.name)
                    ref = address.get("targetRef") or {}
                    pod = pods.get(str(ref.get("uid")))
                    if (
                        pod is None
                        or not _pod_ready(pod)
                        or pod["metadata"].get("deletionTimestamp") is not None
                    ):
                        violations.append(
                            self.violation(
                                f"service {namespace}/{name} routes to pod {ref.get('name')}, "
                                "which is not Ready" + (" (gone)" if pod is None else ""),
                                service=f"{namespace}/{name}",
                                pod=ref.get("name"),
                            )
                        )
        return violations


def _deployment_pods(
    cluster: Cluster, d: Mapping[str, Any]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The Deployment's ReplicaSets and their active pods.

    Listed once per revision of the stored ReplicaSets (and pods): every invariant and every
    step asks again.
    """
    namespace, uid = d["metadata"]["namespace"], d["metadata"]["uid"]
    rs_revision = cluster.store.kind_revision.get("ReplicaSet", 0)
    rss: tuple[Mapping[str, Any], ...] = cluster.memo(
        ("deployment-replicasets", namespace, uid, rs_revision),
        lambda: tuple(
            rs
            for rs in cluster.store.list_objects("ReplicaSet", namespace=namespace)
            if (_controller_ref(cluster, rs) or {}).get("uid") == uid
        ),
    )

    pod_revision = cluster.store.kind_revision.get("Pod", 0)

    def active_pods() -> tuple[Mapping[str, Any], ...]:
        uids = {rs["metadata"]["uid"] for rs in rss}
        owned = cluster.memo(
            ("active-pods-with-owners", namespace, pod_revision),
            partial(_active_pods_with_owners, cluster, namespace),
        )
        return tuple(pod for pod, owner in owned if owner in uids)

    pods: tuple[Mapping[str, Any], ...] = cluster.memo(
        ("deployment-pods", namespace, uid, rs_revision, pod_revision), active_pods
    )
    return list(rss), list(pods)


def _active_pods_with_owners(
    cluster: Cluster, namespace: str
) -> tuple[tuple[Mapping[str, Any], object], ...]:
    """The namespace's live, non-terminating pods in key order, each with its controller's UID.

    Listed once per revision of the stored pods for every Deployment of the namespace.
    """
    return tuple(
        (p, (_controller_ref(cluster, p) or {}).get("uid"))
        for p in cluster.store.list_objects("Pod", namespace=namespace)
        if _live(p) and p["metadata"].get("deletionTimestamp") is None
    )


def _rolling_out_of(cluster: Cluster, d: Mapping[str, Any], rss: list[Mapping[str, Any]]) -> bool:
    """Whether a ReplicaSet (of ``rss``, the Deployment's) of an older template has replicas."""
    template = (d.get("spec") or {}).get("template") or {}

    def older(rs: Mapping[str, Any]) -> bool:
        # Stored templates are shared by the versions of their object (status writes keep
        # them): compared once per pair.
        old = (rs.get("spec") or {}).get("template") or {}
        return cluster.memo_on(
            "template-differs", (old, template), lambda: not _same_template(old, template)
        )

    return any(
        older(rs)
        and (
            (rs.get("spec") or {}).get("replicas", 0) > 0
            or (rs.get("status") or {}).get("replicas", 0) > 0
        )
        for rs in rss
    )


def available_pods(cluster: Cluster, d: Mapping[str, Any]) -> int:
    """Pods of a Deployment that are available (Ready for minReadySeconds) and not terminating."""
    _, pods = _deployment_pods(cluster, d)
    return _available_of(cluster, d, pods)


def _min_available(cluster: Cluster, raw: Mapping[str, Any]) -> int:
    """``replicas - maxUnavailable`` of a stored RollingUpdate Deployment (with its defaults)."""
    d = _defaulted(cluster, raw)
    return int(d["spec"]["replicas"]) - _fenceposts(d)[1]


def _available_of(cluster: Cluster, d: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> int:
    min_ready = int((d.get("spec") or {}).get("minReadySeconds", 0) or 0)
    return sum(1 for p in pods if _pod_available(p, min_ready, cluster.now))


class RollingUpdateBounds(Invariant):
    """During a RollingUpdate without faults, availability and surge stay within the strategy.

    The guarantees upstream's rolling update gives (``rolling.go``), checked as it gives them:

    * after each Deployment controller step, its ReplicaSets' replicas sum to at most
      ``replicas + maxSurge``;
    * while a template change rolls out (an old ReplicaSet still has replicas), once the
      Deployment has ``replicas - maxUnavailable`` available pods at its current size, it never
      has fewer while nothing involuntary happens (no fault has occurred: crashes, unreachable
      nodes and the like take pods away regardless of the strategy). Scaling is not a rollout:
      scaling down and up again may briefly leave fewer pods, upstream as here.
    """

    name = "rolling_update_bounds"
    description = "rollouts stay within maxUnavailable and maxSurge (absent faults)"
    precondition = (
        "a RollingUpdate rolled out, without faults, after reaching replicas - maxUnavailable "
        "available pods"
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare live counts with the Deployment's fence posts."""
        violations = []
        for raw in cluster.store.list_objects("Deployment"):
            d = _defaulted(cluster, raw)
            if d["spec"]["strategy"].get("type") != "RollingUpdate":
                continue
            key = _name(d)
            replicas = d["spec"]["replicas"]
            acted = step is None or _is_sync_of(
                step, d["metadata"]["namespace"], d["metadata"]["name"]
            )
            # What the checks below read, listed once (they used to list it up to three times).
            rss, pods = _deployment_pods(cluster, d)
            if acted:
                total = sum((rs.get("spec") or {}).get("replicas", 0) for rs in rss)
                surge_limit = replicas + _fenceposts(d)[0]
                if total > surge_limit:
                    violations.append(
                        self.violation(
                            f"deployment {key} has {total} replicas across its ReplicaSets, "
                            f"more than replicas + maxSurge = {surge_limit}",
                            deployment=key,
                            total=total,
                            limit=surge_limit,
                        )
                    )
            # Each a pure function of what its key holds: computed once per version of the
            # Deployment (of its ReplicaSets, of the pods, of the time).
            minimum = cluster.derive("min-available", raw, partial(_min_available, cluster))
            revisions = cluster.store.kind_revision
            version = (
                d["metadata"]["uid"],
                d["metadata"]["resourceVersion"],
                revisions.get("ReplicaSet", 0),
            )
            # Keyed on the pods themselves: another Deployment's pods changing leaves it be.
            available = cluster.memo_on(
                ("deployment-available", cluster.now),
                (raw, *pods),
                partial(_available_of, cluster, d, pods),
            )
            size, reached = history.rollout_ready.get(key, (replicas, False))
            rolling = cluster.memo(
                ("rolling-out", *version), partial(_rolling_out_of, cluster, d, rss)
            )
            reached = reached and size == replicas and not cluster.faults and rolling
            if reached:
                history.met.add(self.name)
            if reached and available < minimum:
                violations.append(
                    self.violation(
                        f"deployment {key} has {available} available pods, fewer than "
                        f"replicas - maxUnavailable = {minimum}",
                        deployment=key,
                        available=available,
                        minimum=minimum,
                    )
                )
            history.rollout_ready[key] = (replicas, reached or available >= minimum)
        return violations


#: The annotation the Deployment controller keeps on each of its ReplicaSets: the Deployment's
#: ``spec.replicas`` when it last scaled the ReplicaSet (``deployment_util.go
#: DesiredReplicasAnnotation``).
_DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"


class OldReplicaSetsOldestFirst(Invariant):
    """A rolling update scales its old ReplicaSets down oldest first.

    Upstream's order (``rolling.go reconcileOldReplicaSets``): ``cleanupUnhealthyReplicas``
    first takes from each old ReplicaSet, sorted by ``controller.ReplicaSetsByCreationTimestamp``
    (``creationTimestamp``, then name), at most its unavailable replicas (``spec.replicas -
    status.availableReplicas``) while its budget lasts; then
    ``scaleDownOldReplicaSetsForRollingUpdate`` takes, in the same order, up to all of each
    one's replicas while availability allows. Stated from the objects before and after one
    Deployment controller step on a RollingUpdate Deployment (not paused, not a scaling event:
    every active ReplicaSet's ``desired-replicas`` annotation, where set, is the Deployment's
    ``spec.replicas``, ``sync.go isScalingEvent``), with the controller's cache in sync: when an
    old ReplicaSet (template not the Deployment's) is scaled down, every old ReplicaSet created
    before it ends the step with at most its available replicas; and with none at all when the
    newer one went below its available replicas (only the second pass takes those).
    """

    name = "old_replicasets_oldest_first"
    description = "a rolling update scales old ReplicaSets down oldest first"
    precondition = "a rolling update scaled an old ReplicaSet down while an older one had replicas"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the ReplicaSets the Deployment controller scaled in this step."""
        action = None if step is None else step.action
        if action is None or action.name != _DEPLOYMENT_SYNC or step is None or not step.changes:
            return []
        informer = cluster.informers["deployment"]
        if informer.lagging or informer.dropped:
            return []
        namespace = str(getattr(action, "namespace", ""))
        raw = cluster.store.get(("Deployment", namespace, str(getattr(action, "deployment", ""))))
        if raw is None:
            return []
        d = _defaulted(cluster, raw)
        spec = d["spec"]
        if spec["strategy"].get("type") != "RollingUpdate" or spec.get("paused"):
            return []
        log = cluster.store.log
        start = len(log) - len(step.changes)  # a sync hides none of its writes
        written = {
            e.key[2] for e in log[start:] if e.key[0] == "ReplicaSet" and e.key[1] == namespace
        }
        if not written:
            return []
        uid = d["metadata"]["uid"]
        before: dict[str, Mapping[str, Any]] = {}
        for rs in cluster.store.list_objects("ReplicaSet", namespace=namespace):
            if rs["metadata"]["name"] not in written:
                before[rs["metadata"]["name"]] = rs
        for name in written:
            key = ("ReplicaSet", namespace, name)
            created = next(e for e in log[start:] if e.key == key).type == "ADDED"
            earlier = None if created else _before(log, start, key)
            if earlier is None and not created:
                return []  # not in this log (a fork's starts empty): what it was is unknown
            if earlier is not None:
                before[name] = earlier
        mine = [
            rs for rs in before.values() if (_controller_ref(cluster, rs) or {}).get("uid") == uid
        ]
        replicas = spec["replicas"]
        if any(
            (rs.get("spec") or {}).get("replicas", 0) > 0
            and _DESIRED_REPLICAS in (rs["metadata"].get("annotations") or {})
            and rs["metadata"]["annotations"][_DESIRED_REPLICAS] != str(replicas)
            for rs in mine
        ):
            return []  # a scaling event: sync.go scale sizes them proportionally instead
        template = spec["template"]
        old = sorted(
            (
                rs
                for rs in mine
                if not _same_template((rs.get("spec") or {}).get("template") or {}, template)
            ),
            key=_created,
        )
        after = {name: cluster.store.get(("ReplicaSet", namespace, name)) for name in written}

        def now(rs: Mapping[str, Any]) -> int:
            fresh = after.get(rs["metadata"]["name"], rs)
            if fresh is None or fresh["metadata"]["uid"] != rs["metadata"]["uid"]:
                return 0  # deleted in the step (cleanupDeployment deletes only empty ones)
            return int((fresh.get("spec") or {}).get("replicas", 0))

        violations = []
        for index, newer in enumerate(old):
            was = int((newer.get("spec") or {}).get("replicas", 0))
            shrunk = now(newer)
            if shrunk >= was:
                continue
            available = int((newer.get("status") or {}).get("availableReplicas", 0) or 0)
            second_pass = shrunk < min(was, available)
            for older in old[:index]:
                if int((older.get("spec") or {}).get("replicas", 0)) <= 0:
                    continue
                history.met.add(self.name)
                kept = now(older)
                limit = (
                    0
                    if second_pass
                    else int((older.get("status") or {}).get("availableReplicas", 0) or 0)
                )
                if kept > limit:
                    violations.append(
                        self.violation(
                            f"deployment {_name(d)} scaled old replicaset {_name(newer)} down "
                            f"({was} -> {shrunk}) while the older {_name(older)} kept {kept} "
                            f"replicas (at most {limit} once a newer one is scaled down)",
                            deployment=_name(d),
                            scaled=_name(newer),
                            older=_name(older),
                            kept=kept,
                            limit=limit,
                        )
                    )
        return violations


def _created(rs: Mapping[str, Any]) -> tuple[int, int, str]:
    """``controller.ReplicaSetsByCreationTimestamp``: creation time, then name (unset first)."""
    created = rs["metadata"].get("creationTimestamp")
    name = str(rs["metadata"]["name"])
    return (0, 0, name) if created is None else (1, int(created), name)


def _before(log: list[Any], start: int, key: tuple[str, str, str]) -> Mapping[str, Any] | None:
    """The object at ``key`` as the log had it before ``log[start]`` (None: not found)."""
    for index in range(start - 1, -1, -1):
        event = log[index]
        if event.key == key:
            return None if event.type == "DELETED" else event.object
    return None


class RecreateNoOverlap(Invariant):
    """A Recreate Deployment never has a pod of an old ReplicaSet and one of the new at once.

    Upstream's guarantee for ``strategy.type: Recreate`` (``recreate.go``): the new ReplicaSet
    gets no replica while any pod of an older one may still run. Stated from the stored objects:
    the new ReplicaSet is the Deployment's (by controller reference) whose pod template equals
    the Deployment's apart from the ``pod-template-hash`` label, the others are old; a pod
    belongs to the ReplicaSet its controller reference names and may run while its phase is
    not Succeeded or Failed (Pending, Running, Unknown, terminating or not). A violation is a
    Recreate Deployment with such a pod of an old ReplicaSet and one of the new ReplicaSet.
    """

    name = "recreate_no_overlap"
    description = "a Recreate Deployment never runs old and new pods at once"
    precondition = "a Recreate Deployment's template changed while its pods could run"
    reads = frozenset({"Deployment", "ReplicaSet", "Pod"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for old and new pods that may run together (once per version of the objects)."""
        revisions = cluster.store.kind_revision
        key = (
            "recreate-no-overlap",
            revisions.get("Deployment", 0),
            revisions.get("ReplicaSet", 0),
            revisions.get("Pod", 0),
        )
        violations, rolling = cluster.memo(key, lambda: self._check(cluster))
        if rolling:
            history.met.add(self.name)
        return list(violations)

    def _check(self, cluster: Cluster) -> tuple[tuple[Violation, ...], bool]:
        """The violations, and whether some Recreate Deployment had old pods that may run."""
        violations = []
        rolling = False
        for raw in cluster.store.list_objects("Deployment"):
            d = _defaulted(cluster, raw)
            if d["spec"]["strategy"].get("type") != "Recreate":
                continue
            namespace, uid = d["metadata"]["namespace"], d["metadata"]["uid"]
            template = d["spec"]["template"]
            new_uids: set[str] = set()
            old_uids: set[str] = set()
            for rs in cluster.store.list_objects("ReplicaSet", namespace=namespace):
                if (_controller_ref(cluster, rs) or {}).get("uid") != uid:
                    continue
                same = _same_template((rs.get("spec") or {}).get("template") or {}, template)
                (new_uids if same else old_uids).add(rs["metadata"]["uid"])
            old_pods: list[str] = []
            new_pods: list[str] = []
            for pod in cluster.store.list_objects("Pod", namespace=namespace):
                if not _live(pod):
                    continue
                owner = (_controller_ref(cluster, pod) or {}).get("uid")
                if owner in new_uids:
                    new_pods.append(pod["metadata"]["name"])
                elif owner in old_uids:
                    old_pods.append(pod["metadata"]["name"])
            rolling = rolling or bool(old_pods)
            if old_pods and new_pods:
                violations.append(
                    self.violation(
                        f"recreate deployment {_name(d)} has pods of an old replicaset "
                        f"({', '.join(sorted(old_pods))}) and of the new one "
                        f"({', '.join(sorted(new_pods))}) at once",
                        deployment=_name(d),
                        old_pods=sorted(old_pods),
                        new_pods=sorted(new_pods),
                    )
                )
        return tuple(violations), rolling


#: The status each reason of a Deployment condition comes with, as the controller pairs them
#: (``deployment/util/deployment_util.go``: its reason constants and the
#: ``NewDeploymentCondition`` calls in ``progress.go``, ``sync.go`` and ``rolling.go``).
_CONDITION_STATUS_BY_REASON: dict[tuple[str, str], str] = {
    ("Progressing", "NewReplicaSetCreated"): "True",
    ("Progressing", "FoundNewReplicaSet"): "True",
    ("Progressing", "ReplicaSetUpdated"): "True",
    ("Progressing", "NewReplicaSetAvailable"): "True",
    ("Progressing", "ProgressDeadlineExceeded"): "False",
    ("Progressing", "ReplicaSetCreateError"): "False",
    ("Progressing", "DeploymentPaused"): "Unknown",
    ("Progressing", "DeploymentResumed"): "Unknown",
    ("Available", "MinimumReplicasAvailable"): "True",
    ("Available", "MinimumReplicasUnavailable"): "False",
}


class DeploymentConditionsConsistent(Invariant):
    """A Deployment condition's status is the one its reason comes with.

    Upstream's Deployment controller pairs them (``deployment_util.go``'s reasons, set by
    ``syncRolloutStatus``, ``calculateStatus``, ``getNewReplicaSet`` and the pause handling), and
    ``kubectl rollout status`` and the Deployment documentation read them so: a rollout past
    its ``progressDeadlineSeconds`` is ``Progressing=False`` with reason
    ``ProgressDeadlineExceeded``, a finished one ``Progressing=True`` with
    ``NewReplicaSetAvailable``, a paused one ``Unknown``; ``Available`` is True with
    ``MinimumReplicasAvailable``, False with ``MinimumReplicasUnavailable``. Stated from each
    Deployment's ``status.conditions``; reasons outside the table are not judged.
    """

    name = "deployment_conditions_consistent"
    description = "a Deployment condition's status is the one its reason comes with"
    precondition = "a Deployment's rollout passed its progress deadline"
    reads = frozenset({"Deployment"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Check every Deployment's conditions (once per stored version)."""

        def judge(d: Mapping[str, Any]) -> tuple[list[str], bool]:
            problems = []
            timed_out = False
            for condition in (d.get("status") or {}).get("conditions") or []:
                kind, reason = str(condition.get("type")), str(condition.get("reason"))
                timed_out = timed_out or reason == "ProgressDeadlineExceeded"
                expected = _CONDITION_STATUS_BY_REASON.get((kind, reason))
                if expected is not None and condition.get("status") != expected:
                    problems.append(
                        f"condition {kind} has reason {reason} with status "
                        f"{condition.get('status')!r}, not {expected!r}"
                    )
            return problems, timed_out

        return self.judge_each(
            history, cluster.store.list_objects("Deployment"), judge, noun="deployment"
        )


@dataclass
class MinAvailable(Invariant):
    """A Deployment keeps at least ``count`` available pods at every step (once it had them)."""

    deployment: str = ""
    count: int = 1
    name: ClassVar[str] = "min_available"
    description: ClassVar[str] = "a deployment never has fewer than `count` available pods"
    precondition: ClassVar[str] = "the deployment had `count` available pods"
    reads: ClassVar[frozenset[str] | None] = frozenset({"Deployment", "ReplicaSet", "Pod", CLOCK})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count available pods."""
        namespace, _, name = self.deployment.rpartition("/")
        d = cluster.store.get(("Deployment", namespace or "default", name))
        if d is None:
            return []
        available = available_pods(cluster, d)
        key = f"min_available:{self.deployment}"
        _, reached = history.rollout_ready.get(key, (0, False))
        history.rollout_ready[key] = (0, reached or available >= self.count)
        if reached or available >= self.count:
            history.met.add(self.name)
        if reached and available < self.count:
            return [
                self.violation(
                    f"deployment {self.deployment} has {available} available pods, "
                    f"fewer than {self.count}",
                    deployment=self.deployment,
                    available=available,
                    minimum=self.count,
                )
            ]
        return []


#: Seconds an eviction's ``status.disruptedPods`` entry keeps its pod out of the healthy count
#: (upstream's ``DeletionTimeout``, restated).
_DISRUPTED_FOR = 120
#: Kinds whose objects carry the scale upstream reads (a ``scale`` subresource).
_SCALED_KINDS = frozenset({"ReplicationController", "Deployment", "ReplicaSet", "StatefulSet"})


def _budget_pods(cluster: Cluster, pdb: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The stored pods of the budget's namespace its selector matches, terminal ones too."""
    namespace = pdb["metadata"]["namespace"]
    selector = (pdb.get("spec") or {}).get("selector")
    return [
        p
        for p in _pods(cluster)
        if p["metadata"]["namespace"] == namespace and selector_matches(selector, labels_of(p))
    ]


def _budget_healthy(pdb: Mapping[str, Any], pods: list[Mapping[str, Any]], now: int) -> int:
    """Pods that are Ready, not being deleted and not just evicted (``disruptedPods``)."""
    disrupted = ((pdb.get("status") or {}).get("disruptedPods")) or {}
    return sum(
        1
        for p in pods
        if p["metadata"].get("deletionTimestamp") is None
        and _conditions(p).get("Ready") == "True"
        and not (
            isinstance(disrupted.get(p["metadata"]["name"]), int)
            and disrupted[p["metadata"]["name"]] + _DISRUPTED_FOR > now
        )
    )


def _percent_of(value: object, total: int) -> int:
    """An int as is, ``"N%"`` of ``total`` rounded up."""
    if isinstance(value, int):
        return value
    return -(-int(str(value).rstrip("%")) * total // 100)


def _budget_target(
    cluster: Cluster, pdb: Mapping[str, Any], pods: list[Mapping[str, Any]]
) -> tuple[int, int] | str:
    """(expectedPods, desiredHealthy) as upstream defines them, or why it cannot.

    The PodDisruptionBudget API's promise, restated from the stored objects: an integer
    ``minAvailable`` is desired out of the selected pods; ``maxUnavailable`` and a percentage
    ``minAvailable`` count against the replicas the selected pods' owners want (a ReplicaSet's
    Deployment when it has one), each owner once; pods without an owner are left out; an owner
    without replicas (a DaemonSet, a Job) or one that is gone makes the budget uncomputable.
    """
    spec = pdb.get("spec") or {}
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is None and min_available is None:
        return 0, 0
    if max_unavailable is None and isinstance(min_available, int):
        return len(pods), min_available
    wanted: dict[str, int] = {}
    for pod in pods:
        ref = _controller_of(pod)
        if ref is None:
            continue
        namespace = pod["metadata"]["namespace"]
        owner = cluster.store.get((str(ref.get("kind")), namespace, str(ref.get("name"))))
        if ref.get("kind") not in _SCALED_KINDS:
            return f"pod {_name(pod)} is owned by a {ref.get('kind')}, which has no replicas"
        if owner is None or owner["metadata"]["uid"] != ref.get("uid"):
            return f"pod {_name(pod)}'s owner {ref.get('kind')}/{ref.get('name')} is gone"
        top = _controller_of(owner)
        if ref.get("kind") == "ReplicaSet" and top is not None and top.get("kind") == "Deployment":
            deployment = cluster.store.get(("Deployment", namespace, str(top.get("name"))))
            if deployment is not None and deployment["metadata"]["uid"] == top.get("uid"):
                owner = deployment
        wanted[owner["metadata"]["uid"]] = (owner.get("spec") or {}).get("replicas", 1)
    expected = sum(wanted.values())
    if max_unavailable is not None:
        return expected, max(0, expected - _percent_of(max_unavailable, expected))
    return expected, _percent_of(min_available, expected)


class PdbRespected(Invariant):
    """An admitted eviction never takes a PodDisruptionBudget below its desired healthy pods.

    Judged per evicted pod and per budget that covers it, as the eviction API promises it: when
    the budget's status was current (its ``currentHealthy`` was the healthy pods just before,
    counted here from the pods: the victim and those Ready, not being deleted and not just
    evicted, now; its ``desiredHealthy`` and ``expectedPods`` those the budget's spec gives,
    restated here from the pods and their owners' replicas), evicting a healthy pod must leave
    at least ``desiredHealthy`` healthy pods. (With a stale status, e.g. pods added or gone
    unready since the disruption controller last synced, the eviction API over-evicts upstream
    too: that race is the controller's lag, not the budget.)
    """

    name = "pdb_respected"
    description = "voluntary evictions respect PodDisruptionBudgets"
    precondition = "an eviction of a Ready pod was admitted under a current budget status"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """After each admitted eviction, count the healthy pods each covering PDB selects."""
        new = cluster.evictions[history.evictions_seen :]
        history.evictions_seen = len(cluster.evictions)
        violations = []
        for _, (_, namespace, pod_name) in new:
            victim = cluster.store.get(("Pod", namespace, pod_name))
            if victim is None or _conditions(victim).get("Ready") != "True":
                continue
            for pdb in cluster.store.list_objects("PodDisruptionBudget", namespace=namespace):
                if not selector_matches((pdb.get("spec") or {}).get("selector"), labels_of(victim)):
                    continue
                pods = _budget_pods(cluster, pdb)
                healthy = _budget_healthy(pdb, pods, cluster.now)
                target = _budget_target(cluster, pdb, pods)
                recorded = pdb.get("status") or {}
                current = not isinstance(target, str) and (
                    recorded.get("currentHealthy") == healthy + 1
                    and recorded.get("expectedPods") == target[0]
                    and recorded.get("desiredHealthy") == target[1]
                )
                if not current or isinstance(target, str):
                    continue
                history.met.add(self.name)
                if healthy < target[1]:
                    violations.append(
                        self.violation(
                            f"evicting {namespace}/{pod_name} left PDB {_name(pdb)} with "
                            f"{healthy} healthy pods, fewer than {target[1]}",
                            pdb=_name(pdb),
                            healthy=healthy,
                            desired=target[1],
                        )
                    )
        return violations


class PdbStatusCurrent(Invariant):
    """At rest, each PodDisruptionBudget's status is the one its spec and pods give.

    Upstream promises it (``pkg/controller/disruption/disruption.go``: every change of a budget,
    of a pod it selects or of a controller resyncs the budget): ``currentHealthy`` counts the
    selected pods that are Ready, not being deleted and not just evicted; ``expectedPods`` and
    ``desiredHealthy`` are the spec's (see :func:`_budget_target`); ``disruptionsAllowed`` is
    ``currentHealthy - desiredHealthy``, never negative and 0 while no pod is expected;
    ``observedGeneration`` is the budget's generation; the ``DisruptionAllowed`` condition is
    True (SufficientPods) exactly when a disruption is allowed, else False (InsufficientPods).
    A budget whose expected count cannot be computed (a selected pod owned by a DaemonSet or a
    Job under ``maxUnavailable`` or a percentage) allows no disruption and says why
    (``DisruptionAllowed`` False, SyncFailed).
    """

    name = "pdb_status_current"
    kind = "eventual"
    description = "the disruption controller keeps each PDB's status current"
    precondition = "a PodDisruptionBudget existed"
    # No ReplicationController: the model stores none (a pod naming one finds it gone).
    reads = frozenset(
        {"PodDisruptionBudget", "Pod", "Deployment", "ReplicaSet", "StatefulSet", CLOCK}
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Restate each budget's status from the objects and compare it with the recorded one."""
        violations = []
        for pdb in cluster.store.list_objects("PodDisruptionBudget"):
            history.met.add(self.name)
            recorded = pdb.get("status") or {}
            conditions = {c.get("type"): c for c in recorded.get("conditions") or []}
            condition = conditions.get("DisruptionAllowed") or {}
            said = (condition.get("status"), condition.get("reason"))
            pods = _budget_pods(cluster, pdb)
            target = _budget_target(cluster, pdb, pods)
            if isinstance(target, str):
                allowed_now = recorded.get("disruptionsAllowed")
                if (allowed_now, said) != (0, ("False", "SyncFailed")):
                    violations.append(
                        self.violation(
                            f"PDB {_name(pdb)} allows {allowed_now} disruptions (condition "
                            f"{said[1]}) at rest, but its expected pods cannot be counted: "
                            f"{target}",
                            pdb=_name(pdb),
                            disruptionsAllowed=allowed_now,
                            reason=said[1],
                        )
                    )
                continue
            expected, desired = target
            healthy = _budget_healthy(pdb, pods, cluster.now)
            allowed = max(0, healthy - desired) if expected > 0 else 0
            want: dict[str, object] = {
                "currentHealthy": healthy,
                "desiredHealthy": desired,
                "expectedPods": expected,
                "disruptionsAllowed": allowed,
                "observedGeneration": pdb["metadata"].get("generation", 1),
            }
            got: dict[str, object] = {key: recorded.get(key) for key in want}
            want_said = ("True", "SufficientPods") if allowed else ("False", "InsufficientPods")
            wrong = [
                f"{key} {got[key]} (want {want[key]})" for key in want if got[key] != want[key]
            ]
            if said != want_said:
                wrong.append(f"condition DisruptionAllowed {said} (want {want_said})")
            if wrong:
                violations.append(
                    self.violation(
                        f"PDB {_name(pdb)} at rest records {', '.join(wrong)}",
                        pdb=_name(pdb),
                        recorded=got,
                        expected=want,
                    )
                )
        return violations


class EventuallyStable(Invariant):
    """At a fixpoint: every ReplicaSet has its replicas, rollouts finished, endpoints exact.

    Checked after faults stop and the components ran to a fixpoint (``Cluster.settle``):
    matching active pods equal ``spec.replicas`` for every ReplicaSet; the newest ReplicaSet of a
    Deployment owns all of its replicas; and each Service's ready endpoints are exactly its Ready
    pods.
    """

    name = "eventually_stable"
    kind = "eventual"
    description = "the cluster reconciles to the desired state once faults stop"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare desired and actual state."""
        violations = []
        pods = _pods(cluster)
        schedulable = [n["metadata"]["name"] for n in cluster.store.list_objects("Node")]
        for rs in cluster.store.list_objects("ReplicaSet"):
            want = (rs.get("spec") or {}).get("replicas", 1)
            have = [
                p
                for p in pods
                if (_controller_of(p) or {}).get("uid") == rs["metadata"]["uid"]
                and _live(p)
                and p["metadata"].get("deletionTimestamp") is None
            ]
            if len(have) != want:
                violations.append(
                    self.violation(
                        f"replicaset {_name(rs)} has {len(have)} pods, wants {want}",
                        replicaset=_name(rs),
                        pods=len(have),
                        replicas=want,
                    )
                )
        for raw in cluster.store.list_objects("Deployment"):
            d = _defaulted(cluster, raw)
            rss, dpods = _deployment_pods(cluster, d)
            replicas = d["spec"]["replicas"]
            template = d["spec"]["template"]
            new = [rs for rs in rss if _same_template(rs["spec"]["template"], template)]
            stragglers = [
                rs for rs in rss if rs not in new and (rs.get("spec") or {}).get("replicas", 0) > 0
            ]
            if not d["spec"].get("paused") and (
                not new or new[0]["spec"].get("replicas") != replicas or stragglers
            ):
                violations.append(
                    self.violation(
                        f"deployment {_name(d)} did not finish its rollout: "
                        f"new replicaset has {new[0]['spec'].get('replicas') if new else 0} "
                        f"of {replicas} replicas, {len(stragglers)} old replicasets still scaled",
                        deployment=_name(d),
                    )
                )
            unscheduled = [p for p in dpods if not (p.get("spec") or {}).get("nodeName")]
            if unscheduled and schedulable:
                # What the scheduler (or the API server, for a gated pod) wrote on the pod.
                scheduled: Mapping[str, Any] = next(
                    (
                        c
                        for c in (unscheduled[0].get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled"
                    ),
                    {},
                )
                reason, why = scheduled.get("reason") or "", scheduled.get("message") or ""
                violations.append(
                    self.violation(
                        f"deployment {_name(d)} has {len(unscheduled)} pods that never got a node"
                        + (f" ({reason}: {why})" if why else ""),
                        deployment=_name(d),
                        pending=len(unscheduled),
                        reason=reason,
                        scheduler_message=why,
                    )
                )
        violations.extend(self._stateful_sets(cluster))
        for service in cluster.store.list_objects("Service"):
            namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
            if not (service.get("spec") or {}).get("selector"):
                continue  # the endpoints controller manages no Endpoints for it
            current = cluster.store.get(("Endpoints", namespace, name))
            if current is None or _listed(current) != _promised(service, pods):
                violations.append(
                    self.violation(
                        f"service {namespace}/{name} endpoints differ from its Ready pods",
                        service=f"{namespace}/{name}",
                    )
                )
        return violations

    def _stateful_sets(self, cluster: Cluster) -> list[Violation]:
        """Every StatefulSet has a Running, Ready pod for each ordinal in its range."""
        violations = []
        for sts in cluster.store.list_objects("StatefulSet"):
            spec = sts.get("spec") or {}
            namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
            start = int((spec.get("ordinals") or {}).get("start") or 0)
            want = int(spec.get("replicas", 1))
            missing = []
            why = ""
            for ordinal in range(start, start + want):
                pod = cluster.store.get(("Pod", namespace, f"{name}-{ordinal}"))
                scheduled: Mapping[str, Any] = next(
                    (
                        c
                        for c in ((pod or {}).get("status") or {}).get("conditions") or []
                        if c.get("type") == "PodScheduled" and c.get("status") == "False"
                    ),
                    {},
                )
                if scheduled.get("message") and not why:
                    # What the scheduler wrote on the first member that never got a node.
                    why = f"; {name}-{ordinal}: {scheduled.get('reason')}: {scheduled['message']}"
                if not (
                    pod is not None
                    and (pod.get("status") or {}).get("phase") == "Running"
                    and _pod_ready(pod)
                    and pod["metadata"].get("deletionTimestamp") is None
                ):
                    missing.append(f"{name}-{ordinal}")
            if missing:
                violations.append(
                    self.violation(
                        f"statefulset {namespace}/{name} has {want - len(missing)} of {want} "
                        f"pods Running and Ready (not: {', '.join(missing)}){why}",
                        statefulset=f"{namespace}/{name}",
                        missing=missing,
                    )
                )
        return violations


#: What a Service's Endpoints list: ready addresses, not-ready addresses, ports; an address as
#: (ip, node, pod name, pod uid).
_EndpointsContent = tuple[frozenset[tuple[str, str, str, str]], frozenset[Any], tuple[Any, ...]]


def _listed(endpoints: Mapping[str, Any]) -> _EndpointsContent:
    """The addresses and ports an Endpoints object lists (over all its subsets)."""

    def addresses(field: str) -> frozenset[tuple[str, str, str, str]]:
        return frozenset(
            (
                str(a.get("ip")),
                str(a.get("nodeName") or ""),
                str((a.get("targetRef") or {}).get("name")),
                str((a.get("targetRef") or {}).get("uid")),
            )
            for subset in endpoints.get("subsets") or []
            for a in subset.get(field) or []
        )

    ready, not_ready = addresses("addresses"), addresses("notReadyAddresses")
    ports = next(
        (tuple(subset.get("ports") or []) for subset in endpoints.get("subsets") or []), ()
    )
    return ready, not_ready, ports if ready or not_ready else ()


def _promised(service: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> _EndpointsContent:
    """The addresses and ports the endpoints controller promises a Service with a selector.

    Upstream's guarantee (``pkg/controller/endpoint``, as the EndpointSlice controller gives
    it): each pod of the Service's namespace whose labels carry every key and value of
    ``spec.selector``, that has an IP and is not Succeeded or Failed, is an address of its IP,
    node and name; ready when its Ready condition is True and it is not terminating (any such
    pod with ``spec.publishNotReadyAddresses``), else not ready unless it is terminating. The
    ports are the Service's, each its ``targetPort`` (its ``port`` when unset) and protocol
    (TCP by default).
    """
    spec = service.get("spec") or {}
    namespace = service["metadata"]["namespace"]
    selector = spec.get("selector") or {}
    publish = bool(spec.get("publishNotReadyAddresses"))
    ready: set[tuple[str, str, str, str]] = set()
    not_ready: set[tuple[str, str, str, str]] = set()
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        ip = (pod.get("status") or {}).get("podIP")
        if (
            pod["metadata"]["namespace"] != namespace
            or not ip
            or not _live(pod)
            or any(labels.get(key) != value for key, value in selector.items())
        ):
            continue
        terminating = pod["metadata"].get("deletionTimestamp") is not None
        address = (
            str(ip),
            str((pod.get("spec") or {}).get("nodeName") or ""),
            str(pod["metadata"]["name"]),
            str(pod["metadata"]["uid"]),
        )
        if publish or (_pod_ready(pod) and not terminating):
            ready.add(address)
        elif not terminating:
            not_ready.add(address)
    ports = tuple(
        {"port": p.get("targetPort", p.get("port")), "protocol": p.get("protocol", "TCP")}
        for p in spec.get("ports") or []
    )
    return frozenset(ready), frozenset(not_ready), ports if ready or not_ready else ()


class DrainsComplete(Invariant):
    """At a fixpoint, every pod a drain listed is gone, or the drain gave up on it.

    ``kubectl drain`` lists the node's pods once (without mirror pods and, with
    ``--ignore-daemonsets``, pods a DaemonSet controls), evicts each and waits until it is gone
    (``kubectl/pkg/drain/drain.go evictPods``, ``waitForDelete``: not found, or found with
    another UID). A drain that can never finish (a PodDisruptionBudget that allows no
    disruption, a pod that cannot be rescheduled) leaves listed pods on the node forever; one
    the eviction API refused other than with 429 (a pod covered by two budgets: ``evictPods``
    does not retry it) is named with the refusal.
    """

    name = "drains_complete"
    kind = "eventual"
    description = "every drain finishes once faults stop"
    precondition = "a drain started"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Look for listed pods still running on their drained node."""
        drain = cluster.memory.get("drain", {})
        listed = drain.get("listed", {})
        failed = drain.get("failed", {})
        if listed:
            history.met.add(self.name)
        pods = {
            (p["metadata"]["namespace"], p["metadata"]["name"], p["metadata"].get("uid")): p
            for p in _pods(cluster)
        }
        violations = []
        for node in sorted(listed):
            left = sorted(k for k in listed[node] if k in pods and _live(pods[k]))
            if left:
                stuck = [_name(pods[k]) for k in left]
                refused = [f"{_name(pods[k])} ({failed[k]})" for k in left if k in failed]
                message = (
                    f"drain of node {node} never finishes: {', '.join(stuck)} cannot be evicted"
                )
                if refused:
                    message += f"; the drain gave up on {', '.join(refused)}"
                violations.append(self.violation(message, node=node, pods=stuck))
        return violations


# ----------------------------------------------------------------------------- Jobs


class ReplicaSetScaleSafe(Invariant):
    """A ReplicaSet sync never creates past its replicas, nor deletes a pod it should keep.

    Upstream promises it (``pkg/controller/replicaset/replica_set.go manageReplicas`` with
    its expectations, and ``getPodsToDelete`` with ``controller_utils.go
    ActivePodsWithRanks``): after a sync that created pods, the ReplicaSet owns at most
    ``spec.replicas`` active pods (expectations keep a stale cache from creating twice); a
    sync that scales down deletes the lowest-ranked pods first. The ranking is restated here
    by its leading rules — assigned over unassigned, Running over Unknown over Pending, Ready
    over not Ready, higher ``controller.kubernetes.io/pod-deletion-cost`` first, fewer active
    pods of related ReplicaSets on the same node — and a deleted pod strictly above a kept one
    on these is a violation (ties are broken by rules not restated: never flagged). The
    ranking is judged only while the controller's cache is in sync (a lagging cache ranks by
    what it saw, upstream too).
    """

    name = "replicaset_scale_safe"
    description = (
        "a ReplicaSet never creates past replicas nor deletes a pod ranked above one it keeps"
    )
    precondition = "a ReplicaSet sync created or deleted pods"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the ReplicaSet the step synced."""
        if step is None or step.action.name != "replicaset-sync" or not step.changes:
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        rs = cluster.store.get(
            ("ReplicaSet", namespace, str(getattr(step.action, "replicaset", "")))
        )
        if rs is None:
            return []
        uid = rs["metadata"]["uid"]
        touched = {c.name: c for c in step.changes if c.kind == "Pod" and c.namespace == namespace}
        if not touched:
            return []
        # The step's own writes are the last events of the log (a sync hides none).
        last = {
            e.key[2]: e
            for e in cluster.store.log[-len(step.changes) :]
            if e.key[0] == "Pod" and e.key[1] == namespace
        }
        owned = [
            p
            for p in _pods(cluster)
            if p["metadata"]["namespace"] == namespace
            and any(
                r.get("uid") == uid and r.get("controller")
                for r in p["metadata"].get("ownerReferences") or []
            )
        ]
        deleted = [
            e.object
            for name, e in last.items()
            if name in touched
            and (e.type == "DELETED" or e.object["metadata"].get("deletionTimestamp") is not None)
            and any(r.get("uid") == uid for r in e.object["metadata"].get("ownerReferences") or [])
        ]
        created = [name for name, e in last.items() if e.type == "ADDED" and name in touched]
        history.met.add(self.name)
        violations: list[Violation] = []
        active = [p for p in owned if _live(p) and p["metadata"].get("deletionTimestamp") is None]
        replicas = int((rs.get("spec") or {}).get("replicas", 1))
        if created and len(active) > replicas:
            violations.append(
                self.violation(
                    f"replicaset {_name(rs)} created pods up to {len(active)} active, "
                    f"wants {replicas}",
                    replicaset=_name(rs),
                    active=len(active),
                    replicas=replicas,
                )
            )
        informer = cluster.informers["replicaset"]
        if not deleted or not active or informer.lagging or informer.dropped:
            return violations
        on_node = Counter(
            (p.get("spec") or {}).get("nodeName") or ""
            for p in _related_pods(cluster, rs)
            if _live(p)
            and (p["metadata"].get("deletionTimestamp") is None or p["metadata"]["name"] in touched)
        )
        kept_best = min(active, key=lambda p: _keep_rank(p, on_node))
        violations.extend(
            self.violation(
                f"replicaset {_name(rs)} deleted pod {_name(pod)} but kept "
                f"{_name(kept_best)}, which ranks for deletion before it",
                replicaset=_name(rs),
                deleted=_name(pod),
                kept=_name(kept_best),
            )
            for pod in deleted
            if _keep_rank(pod, on_node) > _keep_rank(kept_best, on_node)
        )
        return violations


def _related_pods(cluster: Cluster, rs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Pods of the ReplicaSets with the same controller as ``rs`` (or of ``rs`` alone)."""
    owner = next(
        (r for r in rs["metadata"].get("ownerReferences") or [] if r.get("controller")), None
    )
    namespace = rs["metadata"]["namespace"]
    if owner is None:
        uids = {rs["metadata"]["uid"]}
    else:
        uids = {
            other["metadata"]["uid"]
            for other in cluster.store.list_objects("ReplicaSet", namespace=namespace)
            if any(
                r.get("uid") == owner.get("uid") and r.get("controller")
                for r in other["metadata"].get("ownerReferences") or []
            )
        }
    return [
        p
        for p in cluster.store.list_objects("Pod", namespace=namespace)
        if any(
            r.get("uid") in uids and r.get("controller")
            for r in p["metadata"].get("ownerReferences") or []
        )
    ]


def _keep_rank(pod: Mapping[str, Any], on_node: Counter[str]) -> tuple[int, int, int, int, int]:
    """How much a pod should be kept, by the leading rules of ``ActivePodsWithRanks``."""
    spec = pod.get("spec") or {}
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(
        str((pod.get("status") or {}).get("phase")), 0
    )
    ready = 1 if _conditions(pod).get("Ready") == "True" else 0
    raw = (pod["metadata"].get("annotations") or {}).get(
        "controller.kubernetes.io/pod-deletion-cost"
    )
    try:
        cost = int(str(raw)) if raw is not None else 0
    except ValueError:
        cost = 0
    if not -(2**31) <= cost < 2**31:
        cost = 0
    node = spec.get("nodeName") or ""
    return (1 if node else 0, phase, ready, cost, -on_node.get(node, 0))
