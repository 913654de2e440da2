"""Invariants guarding the scheduler: every binding passes the filters it mirrors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
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
    _term_matches,
    _tolerates,
)
from kmodel.objects.labels import labels_of, selector_matches


class BindingPassesFilters(Invariant):
    """Every binding the scheduler makes passes the default profile's node filters.

    Upstream promises it (``schedule_one.go findNodesThatFitPod`` runs every Filter plugin of
    the default profile before a node can be chosen): restated here from the objects for
    NodeUnschedulable (a cordoned node is taken only by a pod tolerating
    ``node.kubernetes.io/unschedulable:NoSchedule``), TaintToleration (every NoSchedule and
    NoExecute taint tolerated), NodeAffinity (``nodeSelector`` and the required node
    affinity terms), NodePorts (no host port in use on the node) and NodeResourcesFit (the
    node's other live pods plus this one within cpu, memory and pods). Volume topology is
    :class:`VolumeZoneMatches`. InterPodAffinity and PodTopologySpread are restated too (see
    :func:`_pod_affinity_failures` and :func:`_spread_failures`).
    A pod with ``schedulingGates`` is never bound (the SchedulingGates PreEnqueue plugin keeps
    it out of the queue). Judged on each scheduler binding while its cache is in sync (a stale
    cache filters what it saw, upstream too).
    """

    name = "binding_passes_filters"
    description = "every binding passes the default profile's node filters at bind time"
    precondition = "the scheduler bound a pod with its cache in sync"

    def check(self, cluster: Cluster, step: Step | None, history: History) -> list[Violation]:
        """Judge the pod the step bound against its node as the store holds them."""
        if step is None or step.action.name != "schedule" or not step.changes:
            return []
        informer = cluster.informers["scheduler"]
        if informer.lagging or informer.dropped:
            return []
        namespace = str(getattr(step.action, "namespace", ""))
        pod = cluster.store.get(("Pod", namespace, str(getattr(step.action, "pod", ""))))
        node_name = (pod or {}).get("spec", {}).get("nodeName")
        node = cluster.store.get(("Node", "", str(node_name))) if node_name else None
        if pod is None or node is None:
            return []
        history.met.add(self.name)
        others = [
            p
            for p in _pods(cluster)
            if (p.get("spec") or {}).get("nodeName") == node_name
            and _live(p)
            and p["metadata"]["uid"] != pod["metadata"]["uid"]
        ]
        return [
            self.violation(
                f"scheduler bound {_name(pod)} to {node_name}, which fails {problem}",
                pod=_name(pod),
                node=node_name,
            )
            for problem in _filter_failures(cluster, pod, node, others)
        ]


def _filter_failures(
    cluster: Cluster,
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    others: Sequence[Mapping[str, Any]],
) -> list[str]:
    """The restated filters of :class:`BindingPassesFilters` that ``node`` fails for ``pod``."""
    spec = pod.get("spec") or {}
    tolerations = spec.get("tolerations") or []
    node_spec = node.get("spec") or {}
    failures = []
    if spec.get("schedulingGates"):  # PreEnqueue: a gated pod never enters the active queue
        failures.append("SchedulingGates (the pod is still gated)")
    cordon = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    if node_spec.get("unschedulable") and not any(_tolerates(t, cordon) for t in tolerations):
        failures.append("NodeUnschedulable")
    failures.extend(
        f"TaintToleration ({taint.get('key')}:{taint.get('effect')})"
        for taint in node_spec.get("taints") or []
        if taint.get("effect") in {"NoSchedule", "NoExecute"}
        and not any(_tolerates(t, taint) for t in tolerations)
    )
    labels = labels_of(node)
    selector = spec.get("nodeSelector") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if any(labels.get(k) != v for k, v in selector.items()) or (
        terms and not any(_term_matches(term, labels) for term in terms)
    ):
        failures.append("NodeAffinity")
    in_use = [_host_port(p) for o in others for p in _container_ports(o) if p.get("hostPort")]
    failures.extend(
        f"NodePorts ({port.get('hostPort')})"
        for port in _container_ports(pod)
        if port.get("hostPort") and any(_ports_conflict(_host_port(port), u) for u in in_use)
    )
    placed = _placed_pods(cluster, pod)
    failures.extend(_pod_affinity_failures(pod, node, placed))
    failures.extend(_spread_failures(cluster, pod, node, placed))
    allocatable = cluster.derive("invariant-allocatable", node, _allocatable)
    if "pods" in allocatable and len(others) + 1 > allocatable["pods"]:
        failures.append("NodeResourcesFit (pods)")
    for resource in ("cpu", "memory"):
        wanted = _pod_requests(pod).get(resource, 0)
        requested = sum(_pod_requests(p).get(resource, 0) for p in others)
        if wanted and requested + wanted > allocatable.get(resource, 0):
            failures.append(f"NodeResourcesFit ({resource})")
    return failures


def _placed_pods(
    cluster: Cluster, pod: Mapping[str, Any]
) -> list[tuple[Mapping[str, Any], Mapping[str, str], bool]]:
    """Every other pod bound to a node: the pod, its node's labels, and whether it surely counts.

    Upstream's filters see the scheduler's cache, which keeps a deleted pod until its delete
    event and may or may not hold terminal ones: "surely counts" is a live pod not being
    deleted, so a check that needs a pod to exist may use every bound pod and one that needs a
    pod absent only the sure ones (no false alarm on what the cache may hold).
    """
    labels_by_node = {
        n["metadata"]["name"]: labels_of(n) for n in cluster.store.list_objects("Node")
    }
    return [
        (p, labels_by_node[node], _live(p) and not p["metadata"].get("deletionTimestamp"))
        for p in _pods(cluster)
        if (node := (p.get("spec") or {}).get("nodeName")) in labels_by_node
        and p["metadata"]["uid"] != pod["metadata"]["uid"]
    ]


def _required_terms(pod: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or [])


def _term_selects(
    term: Mapping[str, Any], owner: Mapping[str, Any], other: Mapping[str, Any]
) -> bool | None:
    """Whether a pod (anti-)affinity term of ``owner`` selects ``other`` (None: cannot tell).

    Restated from ``framework.AffinityTerm.Matches``: the term's namespaces (the owner's own
    when it names none and has no namespace selector; every namespace for an empty selector)
    and its label selector. A non-empty namespace selector needs the Namespace objects'
    labels, which the model does not keep: such a term is not judged.
    """
    namespaces = set(term.get("namespaces") or [])
    namespace_selector = term.get("namespaceSelector")
    if namespace_selector:
        return None
    other_namespace = other["metadata"].get("namespace")
    if namespace_selector is None and not namespaces:
        namespaces = {owner["metadata"].get("namespace")}
    if namespace_selector is None and other_namespace not in namespaces:
        return False
    return selector_matches(term.get("labelSelector"), labels_of(other))


def _pod_affinity_failures(
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    placed: Sequence[tuple[Mapping[str, Any], Mapping[str, str], bool]],
) -> list[str]:
    """InterPodAffinity, restated from upstream's ``interpodaffinity/filtering.go``.

    Three rules: no sure pod in the node's topology domain of an anti-affinity term of the
    incoming pod matches it; no sure pod's own anti-affinity term selects the incoming pod in
    that pod's domain; and every affinity term has a matching bound pod in the node's domain,
    unless no bound pod matches all the terms and the incoming pod matches them itself (the
    first pod of a group, ``satisfyPodAffinity``).
    """
    labels = labels_of(node)
    failures = []
    for term in _required_terms(pod, "podAntiAffinity"):
        key = term.get("topologyKey")
        if key in labels and any(
            sure and other_labels.get(key) == labels[key] and _term_selects(term, pod, other)
            for other, other_labels, sure in placed
        ):
            failures.append(f"InterPodAffinity (anti-affinity {key})")
    for other, other_labels, sure in placed:
        for term in _required_terms(other, "podAntiAffinity") if sure else []:
            key = term.get("topologyKey")
            if (
                key in labels
                and other_labels.get(key) == labels[key]
                and _term_selects(term, other, pod)
            ):
                failures.append(f"InterPodAffinity (existing pod {_name(other)}'s anti-affinity)")
    terms = _required_terms(pod, "podAffinity")
    if any(_term_selects(term, pod, pod) is None for term in terms):
        return failures
    keys = {term.get("topologyKey") for term in terms}
    matching = [
        (other_labels, sure)
        for other, other_labels, sure in placed
        if keys & other_labels.keys() and all(_term_selects(term, pod, other) for term in terms)
    ]
    first = not any(sure for _, sure in matching) and all(_term_selects(t, pod, pod) for t in terms)
    for term in terms:
        key = term.get("topologyKey")
        if key not in labels:
            failures.append(f"InterPodAffinity (affinity {key}: node has no such label)")
        elif not first and not any(other.get(key) == labels[key] for other, _ in matching):
            failures.append(f"InterPodAffinity (affinity {key})")
    return failures


def _spread_failures(
    cluster: Cluster,
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    placed: Sequence[tuple[Mapping[str, Any], Mapping[str, str], bool]],
) -> list[str]:
    """PodTopologySpread's filter, restated from upstream's ``podtopologyspread/filtering.go``.

    For each ``DoNotSchedule`` constraint: the node has the topology key, and the count of
    matching pods in its domain plus the incoming pod (if it matches) minus the least count
    over the eligible domains is at most ``maxSkew``. Eligible nodes have every constraint's
    key and, by the default policies, pass the pod's node selector and required node
    affinity (``nodeAffinityPolicy: Honor``) with taints ignored (``nodeTaintsPolicy:
    Ignore``; with Honor, untolerated NoSchedule/NoExecute taints exclude a node). Counted:
    pods of the incoming pod's namespace matching the selector (``matchLabelKeys`` added),
    the node's domain counting sure pods only and the least domain every bound pod (so the
    skew judged is never above upstream's). ``minDomains`` only raises upstream's skew, so it
    is left out (no false alarm).
    """
    spec = pod.get("spec") or {}
    constraints = [
        c
        for c in spec.get("topologySpreadConstraints") or []
        if c.get("whenUnsatisfiable", "DoNotSchedule") == "DoNotSchedule"
    ]
    if not constraints:
        return []
    labels = labels_of(node)
    pod_labels = labels_of(pod)
    keys = [c.get("topologyKey") for c in constraints]
    failures = []
    for constraint in constraints:
        key = constraint.get("topologyKey")
        if key not in labels:
            failures.append(f"PodTopologySpread ({key}: node has no such label)")
            continue
        selector = dict(constraint.get("labelSelector") or {})
        extra = {
            k: pod_labels[k] for k in constraint.get("matchLabelKeys") or [] if k in pod_labels
        }
        if extra:
            selector["matchLabels"] = {**(selector.get("matchLabels") or {}), **extra}
        eligible = {
            labels_of(n)[key]
            for n in cluster.store.list_objects("Node")
            if all(k in labels_of(n) for k in keys) and _spread_eligible(constraint, spec, n)
        }
        least = Counter[str](dict.fromkeys(eligible, 0))
        here = 0
        for other, other_labels, sure in placed:
            if other["metadata"].get("namespace") != pod["metadata"].get("namespace"):
                continue
            if not selector_matches(selector, labels_of(other)):
                continue
            if other_labels.get(key) in least:
                least[other_labels[key]] += 1
            if sure and other_labels.get(key) == labels[key]:
                here += 1
        if not least:
            continue
        itself = 1 if selector_matches(selector, pod_labels) else 0
        if here + itself - min(least.values()) > int(constraint.get("maxSkew", 1)):
            failures.append(f"PodTopologySpread ({key}, maxSkew {constraint.get('maxSkew')})")
    return failures


def _spread_eligible(
    constraint: Mapping[str, Any], spec: Mapping[str, Any], node: Mapping[str, Any]
) -> bool:
    """Whether a node's domain counts for a spread constraint (its node policies)."""
    labels = labels_of(node)
    if constraint.get("nodeAffinityPolicy", "Honor") == "Honor":
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        ) or {}
        terms = required.get("nodeSelectorTerms") or []
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()) or (
            terms and not any(_term_matches(term, labels) for term in terms)
        ):
            return False
    if constraint.get("nodeTaintsPolicy", "Ignore") == "Honor":
        tolerations = spec.get("tolerations") or []
        return not any(
            taint.get("effect") in {"NoSchedule", "NoExecute"}
            and not any(_tolerates(t, taint) for t in tolerations)
            for taint in (node.get("spec") or {}).get("taints") or []
        )
    return True


#: A host port bound on every address (``hostIP`` unset).
_ANY_IP = "0.0.0.0"  # noqa: S104


def _container_ports(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        port
        for container in (pod.get("spec") or {}).get("containers") or []
        for port in container.get("ports") or []
    ]


def _host_port(port: Mapping[str, Any]) -> tuple[str, str, object]:
    return (port.get("hostIP") or _ANY_IP, port.get("protocol") or "TCP", port.get("hostPort"))


def _ports_conflict(a: tuple[str, str, object], b: tuple[str, str, object]) -> bool:
    """Same protocol and port, and the addresses overlap (``HostPortInfo.CheckConflict``)."""
    return a[1:] == b[1:] and (a[0] == b[0] or _ANY_IP in {a[0], b[0]})
