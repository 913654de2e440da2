"""Invariants guarding DaemonSets: one pod per eligible node, rollouts within maxUnavailable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kmodel.cluster.model import Cluster, Step
from kmodel.invariants.base import (
    History,
    Invariant,
    Violation,
    _conditions,
    _controller_ref,
    _live,
    _name,
    _pod_available,
    _scaled,
    _term_matches,
    _tolerates,
)
from kmodel.objects.labels import labels_of

#: The label naming the revision of a DaemonSet's template on its pods and ControllerRevisions
#: (``apps/v1 DefaultDaemonSetUniqueLabelKey``).
_REVISION_HASH = "controller-revision-hash"
#: The tolerations the DaemonSet controller gives every daemon pod
#: (``daemonset_util.go AddOrUpdateDaemonPodTolerations``), network-unavailable only with
#: ``hostNetwork``.
_DAEMON_TOLERATIONS = tuple(
    {"key": f"node.kubernetes.io/{key}", "operator": "Exists", "effect": effect}
    for key, effect in (
        ("not-ready", "NoExecute"),
        ("unreachable", "NoExecute"),
        ("disk-pressure", "NoSchedule"),
        ("memory-pressure", "NoSchedule"),
        ("pid-pressure", "NoSchedule"),
        ("unschedulable", "NoSchedule"),
    )
)
_HOST_NETWORK_TOLERATION = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": "NoSchedule",
}


def _daemon_pods_by_node(
    cluster: Cluster, ds: Mapping[str, Any], *, deleting: bool = False
) -> dict[str, list[Mapping[str, Any]]]:
    """The DaemonSet's pods not terminal (nor marked for deletion, unless ``deleting``) by node.

    A pod is the DaemonSet's when its controller reference names the DaemonSet's UID; its node is
    ``spec.nodeName``, or before binding the ``metadata.name`` its required node affinity names.
    """
    uid = ds["metadata"]["uid"]
    result: dict[str, list[Mapping[str, Any]]] = {}
    for pod in cluster.store.list_objects("Pod", namespace=ds["metadata"]["namespace"]):
        if (_controller_ref(cluster, pod) or {}).get("uid") != uid or not _live(pod):
            continue
        if pod["metadata"].get("deletionTimestamp") is not None and not deleting:
            continue
        node = _target_node(pod)
        if node is not None:
            result.setdefault(node, []).append(pod)
    return result


class DaemonSetOnePodPerNode(Invariant):
    """At most one pod of a DaemonSet per node, two while it may surge.

    Upstream's guarantee (``podsShouldBeOnNode``): a DaemonSet keeps one pod per node; with a
    RollingUpdate ``maxSurge`` other than 0 a node may briefly run an old and a new one. Stated
    from the stored objects: per DaemonSet and node, its pods (by controller reference) that are
    not marked for deletion and not Succeeded or Failed, bound to the node or with required node
    affinity to it, number at most 1 (2 with ``maxSurge`` set).
    """

    name = "daemonset_one_pod_per_node"
    description = "a DaemonSet runs at most one pod per node (two during a surge)"
    precondition = "a DaemonSet pod was created for a node"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Count each DaemonSet's pods per node."""
        violations = []
        for ds in cluster.store.list_objects("DaemonSet"):
            by_node = _daemon_pods_by_node(cluster, ds)
            if by_node:
                history.met.add(self.name)
            rolling = (
                ((ds.get("spec") or {}).get("updateStrategy") or {}).get("rollingUpdate")
            ) or {}
            surge = rolling.get("maxSurge") not in {None, 0, "0%"}
            limit = 2 if surge else 1
            for node, pods in sorted(by_node.items()):
                if len(pods) > limit:
                    names = sorted(p["metadata"]["name"] for p in pods)
                    violations.append(
                        self.violation(
                            f"daemonset {_name(ds)} has {len(pods)} pods for node {node} "
                            f"({', '.join(names)}), more than {limit}",
                            daemonset=_name(ds),
                            node=node,
                            pods=names,
                        )
                    )
        return violations


class DaemonSetNodesEligible(Invariant):
    """A DaemonSet creates a pod only for a node that should run it.

    Upstream's ``daemon_controller.go nodeShouldRunDaemonPod``: the node passes the pod's
    ``nodeSelector`` and required node affinity, and every NoSchedule and NoExecute taint on
    it is tolerated (the controller adds its own tolerations to the pod, so the created pod's
    tolerations are judged). Stated from the created pod and its target node, read from the
    objects (the node a pod targets is its ``nodeName`` or the ``metadata.name`` field its
    node affinity names), on the steps where the controller created pods with its cache in
    sync.
    """

    name = "daemonset_nodes_eligible"
    description = "a DaemonSet creates pods only for nodes that should run them"
    precondition = "the DaemonSet controller created a pod with its cache in sync"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge each pod the step created for a DaemonSet against its target node."""
        if step is None or not any(c.kind == "Pod" and c.type == "ADDED" for c in step.changes):
            return []
        informer = cluster.informers.get("daemonset")
        if informer is not None and (informer.lagging or informer.dropped):
            return []
        violations: list[Violation] = []
        for change in step.changes:
            pod = cluster.store.get(("Pod", change.namespace, change.name))
            if change.type != "ADDED" or pod is None:
                continue
            ref = next(
                (r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")),
                None,
            )
            target = _target_node(pod)
            node = cluster.store.get(("Node", "", target)) if target else None
            if ref is None or ref.get("kind") != "DaemonSet" or node is None:
                continue
            history.met.add(self.name)
            spec = pod.get("spec") or {}
            labels = labels_of(node)
            problems = [
                f"untolerated taint {taint.get('key')}:{taint.get('effect')}"
                for taint in (node.get("spec") or {}).get("taints") or []
                if taint.get("effect") in {"NoSchedule", "NoExecute"}
                and not any(_tolerates(t, taint) for t in spec.get("tolerations") or [])
            ]
            required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
                "requiredDuringSchedulingIgnoredDuringExecution"
            ) or {}
            terms = required.get("nodeSelectorTerms") or []
            if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()) or (
                terms and not any(_term_matches(term, labels) for term in terms)
            ):
                problems.append("node selector or affinity")
            violations.extend(
                self.violation(
                    f"daemonset {ref.get('name')} created {_name(pod)} for node {target}, "
                    f"which fails {problem}",
                    pod=_name(pod),
                    node=target,
                )
                for problem in problems
            )
        return violations


def _target_node(pod: Mapping[str, Any]) -> str | None:
    """The node a daemon pod is for (``GetTargetNodeName``'s reading of the pod).

    Its ``spec.nodeName``, else the node the first ``metadata.name In`` field requirement of
    its required node affinity names (none unless it names exactly one).
    """
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for field_requirement in term.get("matchFields") or []:
            values = field_requirement.get("values") or []
            if field_requirement.get("key") == "metadata.name" and (
                field_requirement.get("operator") == "In"
            ):
                return str(values[0]) if len(values) == 1 else None
    return None


def _fields_match(term: Mapping[str, Any], node_name: str) -> bool:
    """A node selector term's ``metadata.name`` field requirements (In, NotIn) on the node."""
    for requirement in term.get("matchFields") or []:
        values = [str(v) for v in requirement.get("values") or []]
        operator = requirement.get("operator")
        if (operator == "In" and node_name not in values) or (
            operator == "NotIn" and node_name in values
        ):
            return False
    return True


def _should_run(ds: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether ``node`` should run a pod of ``ds``: ``NodeShouldRunDaemonPod``'s promise.

    The template's ``nodeName``, if set, is the node's; the node's labels pass the template's
    ``nodeSelector`` and one term (labels and ``metadata.name`` fields) of its required node
    affinity; every NoSchedule and NoExecute taint of the node is tolerated by the template's
    tolerations and those the controller adds to every daemon pod.
    """
    spec = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
    name = str(node["metadata"]["name"])
    if spec.get("nodeName") not in {None, "", name}:
        return False
    labels = labels_of(node)
    if any(labels.get(key) != value for key, value in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is not None and not any(
        _term_matches(term, labels) and _fields_match(term, name)
        for term in required.get("nodeSelectorTerms") or []
    ):
        return False
    tolerations = [*(spec.get("tolerations") or []), *_DAEMON_TOLERATIONS]
    if spec.get("hostNetwork"):
        tolerations.append(_HOST_NETWORK_TOLERATION)
    return all(
        any(_tolerates(t, taint) for t in tolerations)
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in {"NoSchedule", "NoExecute"}
    )


def _current_revision(cluster: Cluster, ds: Mapping[str, Any]) -> str | None:
    """The ``controller-revision-hash`` of the DaemonSet's current template, None before any.

    Read from the ControllerRevisions it controls: upstream's ``constructHistory`` gives the
    current one the highest ``revision``.
    """
    uid = ds["metadata"]["uid"]
    owned = [
        r
        for r in cluster.store.list_objects(
            "ControllerRevision", namespace=ds["metadata"]["namespace"]
        )
        if (_controller_ref(cluster, r) or {}).get("uid") == uid
    ]
    if not owned:
        return None
    newest = max(owned, key=lambda r: int(r.get("revision") or 0))
    return (newest["metadata"].get("labels") or {}).get(_REVISION_HASH)


def _defaults(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The DaemonSet with the apps/v1 defaults its invariants read (``SetDefaults_DaemonSet``).

    ``updateStrategy.type`` RollingUpdate; for RollingUpdate, ``maxUnavailable`` 1 and
    ``maxSurge`` 0. The stored object is not modified.
    """
    spec = dict(raw.get("spec") or {})
    strategy = dict(spec.get("updateStrategy") or {})
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = dict(strategy.get("rollingUpdate") or {})
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = 1
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = 0
        strategy["rollingUpdate"] = rolling
    spec["updateStrategy"] = strategy
    return {**raw, "spec": spec}


class DaemonSetRolloutBounds(Invariant):
    """During a DaemonSet rollout without faults, unavailable pods stay within maxUnavailable.

    Upstream's guarantee for a RollingUpdate DaemonSet (``update.go rollingUpdate``): old pods
    are deleted only while the nodes that should run the pod but have no available one (pods
    marked for deletion do not count) number at most ``maxUnavailable`` (a percentage of those
    nodes, rounded up; 0 with ``maxSurge`` set, 1 when both come out 0). Stated from the
    objects: while a template change rolls out (some pod of the DaemonSet that may still run,
    terminating or not, has another ``controller-revision-hash`` than the current revision,
    :func:`_current_revision`), once that many of the nodes that should run it
    (:func:`_should_run`) or fewer lack an available pod, they never number more while no
    fault has happened.
    """

    name = "daemonset_rollout_bounds"
    description = "DaemonSet rollouts stay within maxUnavailable (absent faults)"
    precondition = (
        "a RollingUpdate DaemonSet rolled out, without faults, after reaching desired - "
        "maxUnavailable available pods"
    )

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare nodes without an available pod with maxUnavailable."""
        violations = []
        nodes = list(cluster.store.list_objects("Node"))
        for raw in cluster.store.list_objects("DaemonSet"):
            ds = _defaults(raw)
            strategy = ds["spec"]["updateStrategy"]
            if strategy["type"] != "RollingUpdate":
                continue
            key = _name(ds)
            revision = _current_revision(cluster, ds)
            by_node = _daemon_pods_by_node(cluster, ds)
            wanted = [n for n in nodes if _should_run(ds, n)]
            min_ready = int(ds["spec"].get("minReadySeconds") or 0)
            unavailable = sum(
                1
                for n in wanted
                if not any(
                    _pod_available(p, min_ready, cluster.now)
                    for p in by_node.get(n["metadata"]["name"], [])
                )
            )
            rolling = strategy["rollingUpdate"]
            limit = _scaled(rolling["maxUnavailable"], len(wanted), round_up=True)
            surge = _scaled(rolling["maxSurge"], len(wanted), round_up=True)
            if wanted and limit == 0 and surge == 0:
                limit = 1
            # A pod of an old revision may still run (terminating ones too).
            rolling_out = any(
                (p["metadata"].get("labels") or {}).get(_REVISION_HASH) != revision
                for pods in _daemon_pods_by_node(cluster, ds, deleting=True).values()
                for p in pods
            )
            reached = history.daemon_rollout_ready.get(key, False)
            reached = reached and not cluster.faults and rolling_out
            if reached:
                history.met.add(self.name)
                if unavailable > limit:
                    violations.append(
                        self.violation(
                            f"daemonset {key} has {unavailable} nodes without an available pod, "
                            f"more than maxUnavailable = {limit}",
                            daemonset=key,
                            unavailable=unavailable,
                            limit=limit,
                        )
                    )
            history.daemon_rollout_ready[key] = reached or unavailable <= limit
        return violations


class DaemonSetRolledOut(Invariant):
    """At rest, a RollingUpdate DaemonSet on healthy nodes runs its current template only.

    Upstream promises it (``pkg/controller/daemon/update.go rollingUpdate``; the DaemonSet
    rolling-update documentation): the controller replaces the pods of an old template, as many
    at a time as ``maxUnavailable`` (and ``maxSurge``) allow, until every node runs the new one;
    only unavailable nodes hold the rollout up. Stated from the objects once the components
    settled: when every Node is Ready, no pod the DaemonSet controls, not terminal and not being
    deleted, runs a container image other than the template's for that container.
    ``OnDelete`` DaemonSets are left out (their pods change only when deleted).
    """

    name = "daemonset_rolled_out"
    kind = "eventual"
    description = "a RollingUpdate DaemonSet on Ready nodes finishes its rollout"
    precondition = "a RollingUpdate DaemonSet had every node Ready at rest"
    reads = frozenset({"DaemonSet", "Pod", "Node"})

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Compare each pod's images with its DaemonSet's template, when every node is Ready."""
        if "DaemonSet" not in cluster.store.kind_revision:
            return []
        if any(_conditions(n).get("Ready") != "True" for n in cluster.store.list_objects("Node")):
            return []  # a rollout may rightly wait for an unavailable node

        def judge(ds: Mapping[str, Any]) -> tuple[list[str], bool]:
            strategy = ((ds.get("spec") or {}).get("updateStrategy") or {}).get("type")
            if strategy == "OnDelete":
                return [], False
            template = ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}
            images = {
                str(c.get("name")): c.get("image")
                for field_name in ("initContainers", "containers")
                for c in template.get(field_name) or []
            }
            problems = [
                f"pod {pod['metadata']['name']} on node {node} still runs container "
                f"{c.get('name')} as {c.get('image')}, not {images.get(str(c.get('name')))}"
                for node, pods in sorted(_daemon_pods_by_node(cluster, ds).items())
                for pod in pods
                for field_name in ("initContainers", "containers")
                for c in (pod.get("spec") or {}).get(field_name) or []
                if c.get("image") != images.get(str(c.get("name")))
            ]
            return problems, True

        return self.judge_each(
            history, cluster.store.list_objects("DaemonSet"), judge, noun="daemonset"
        )
