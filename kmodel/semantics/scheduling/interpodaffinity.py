"""kube-scheduler InterPodAffinity (Filter).

Mirrors ``pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`` (with
``framework.AffinityTerm`` of ``framework/types.go``) at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.fields import (
    list_field,
    mapping_field,
    object_name,
    object_ref,
    require_manifest,
    require_manifests,
    str_field,
)
from kmodel.objects.labels import LabelSelector
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.objects import (
    _pod_labels,
    label_selector,
    node_labels,
    pod_namespace,
    pods_by_node,
)

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "InterPodAffinityState",
    "inter_pod_affinity_check",
    "inter_pod_affinity_failures",
    "inter_pod_affinity_state",
]


ERR_REASON_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: Final = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)
_NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class _AffinityTerm:
    """``framework.AffinityTerm``: namespaces, namespace selector, label selector, key."""

    namespaces: frozenset[str]
    namespace_selector: LabelSelector
    selector: LabelSelector
    topology_key: str

    def matches(self, pod: Manifest, namespace_labels: Mapping[str, str]) -> bool:
        """Mirrors ``AffinityTerm.Matches``."""
        if pod_namespace(pod) in self.namespaces or self.namespace_selector.matches(
            namespace_labels
        ):
            return self.selector.matches(_pod_labels(pod))
        return False


def _affinity_terms(pod: Manifest, kind: str) -> list[_AffinityTerm]:
    """The pod's required (anti-)affinity terms; mirrors ``newAffinityTerm``.

    A term with neither ``namespaces`` nor ``namespaceSelector`` applies to the pod's own
    namespace.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    affinity = mapping_field(spec, "affinity", "spec.affinity", obj=pod)
    section = mapping_field(affinity, kind, f"spec.affinity.{kind}", obj=pod)
    path = f"spec.affinity.{kind}.requiredDuringSchedulingIgnoredDuringExecution"
    raw_terms = list_field(section, "requiredDuringSchedulingIgnoredDuringExecution", path, obj=pod)
    terms: list[_AffinityTerm] = []
    for i, raw in enumerate(raw_terms):
        term_path = f"{path}[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=term_path)
        names = list_field(raw, "namespaces", f"{term_path}.namespaces", obj=pod)
        ns_raw: Any = raw.get("namespaceSelector")
        if not names and ns_raw is None:
            names = [pod_namespace(pod)]
        terms.append(
            _AffinityTerm(
                namespaces=frozenset(str(n) for n in names),
                namespace_selector=label_selector(
                    ns_raw, f"{term_path}.namespaceSelector", obj=pod
                ),
                selector=label_selector(
                    raw.get("labelSelector"), f"{term_path}.labelSelector", obj=pod
                ),
                topology_key=str_field(raw, "topologyKey", f"{term_path}.topologyKey", obj=pod),
            )
        )
    return terms


def _namespace_labels(namespaces: Sequence[Manifest]) -> dict[str, dict[str, str]]:
    """Labels per namespace; the API server always sets ``kubernetes.io/metadata.name``."""
    result: dict[str, dict[str, str]] = {}
    for namespace in require_manifests(namespaces, "namespaces", kind="Namespace"):
        name = object_name(namespace)
        result[name] = {**node_labels(namespace), _NAMESPACE_NAME_LABEL: name}
    return result


def _labels_of_namespace(known: Mapping[str, Mapping[str, str]], name: str) -> Mapping[str, str]:
    return known.get(name, {_NAMESPACE_NAME_LABEL: name})


def _bump(counts: dict[tuple[str, str], int], labels: Mapping[str, str], key: str) -> None:
    """Mirrors ``topologyToMatchedTermCount.update`` (only nodes carrying the key count)."""
    if key in labels:
        counts[(key, labels[key])] = counts.get((key, labels[key]), 0) + 1


def inter_pod_affinity_failures(
    pod: Manifest,
    node: Manifest,
    *,
    nodes: Sequence[Manifest],
    pods: Sequence[Manifest],
    namespaces: Sequence[Manifest] = (),
) -> list[str]:
    """InterPodAffinity Filter (required terms).

    Mirrors ``interpodaffinity/filtering.go`` (``PreFilter``, ``satisfyPodAffinity``,
    ``satisfyPodAntiAffinity``, ``satisfyExistingPodsAntiAffinity``), checked in that order:

    * affinity: the node must carry every term's topology key, and some existing pod in the
      node's domain must match all terms; a pod whose terms match no pod anywhere but match
      the pod itself may go first ("node(s) didn't match pod affinity rules");
    * anti-affinity: no pod matching a term in the node's domain ("node(s) didn't match pod
      anti-affinity rules");
    * existing pods' anti-affinity: no existing pod whose term matches the incoming pod shares a
      topology domain with the node ("node(s) didn't satisfy existing pods anti-affinity
      rules").

    Args:
        pod: the incoming Pod.
        node: the Node.
        nodes: every Node of the cluster.
        pods: the pods bound to any node.
        namespaces: Namespace manifests (for ``namespaceSelector``); a namespace not listed has
            only its ``kubernetes.io/metadata.name`` label.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    state = inter_pod_affinity_state(
        pod, nodes=nodes, grouped=lambda: pods_by_node(pods), namespaces=namespaces
    )
    return inter_pod_affinity_check(state, node)


@dataclass(frozen=True)
class InterPodAffinityState:
    """What ``PreFilter`` of InterPodAffinity computes once per cycle (``preFilterState``).

    Attributes:
        pod: the incoming pod.
        own_namespace_labels: the labels of the pod's namespace.
        affinity: the pod's required affinity terms.
        anti_affinity: the pod's required anti-affinity terms.
        affinity_counts: (topology key, value) -> pods matching all affinity terms.
        anti_counts: (topology key, value) -> pods matching an anti-affinity term.
        existing_anti_counts: (topology key, value) -> existing pods whose anti-affinity term
            matches the incoming pod.
    """

    pod: Manifest
    own_namespace_labels: Mapping[str, str]
    affinity: tuple[_AffinityTerm, ...]
    anti_affinity: tuple[_AffinityTerm, ...]
    affinity_counts: dict[tuple[str, str], int]
    anti_counts: dict[tuple[str, str], int]
    existing_anti_counts: dict[tuple[str, str], int]


def inter_pod_affinity_state(
    pod: Manifest,
    *,
    nodes: Sequence[Manifest],
    grouped: Callable[[], Mapping[str, Sequence[Manifest]]],
    namespaces: Sequence[Manifest] = (),
) -> InterPodAffinityState:
    """InterPodAffinity PreFilter: the topology counts every node's Filter reads.

    Mirrors ``interpodaffinity/filtering.go PreFilter`` (``getExistingAntiAffinityCounts``,
    ``getIncomingAffinityAntiAffinityCounts``); :func:`inter_pod_affinity_failures` is this and
    :func:`inter_pod_affinity_check`. ``grouped`` gives the bound pods by node name (as
    :func:`pods_by_node` does).

    Raises:
        InputError: a malformed pod, node, namespace or term.
    """
    affinity = _affinity_terms(pod, "podAffinity")
    anti_affinity = _affinity_terms(pod, "podAntiAffinity")
    known = _namespace_labels(namespaces)
    own_ns_labels = _labels_of_namespace(known, pod_namespace(pod))
    by_node = grouped()
    affinity_counts: dict[tuple[str, str], int] = {}
    anti_counts: dict[tuple[str, str], int] = {}
    existing_anti_counts: dict[tuple[str, str], int] = {}
    for other in require_manifests(nodes, "nodes", kind="Node"):
        labels = node_labels(other)
        for existing in by_node.get(object_name(other), []):
            existing_ns_labels = _labels_of_namespace(known, pod_namespace(existing))
            if affinity and all(t.matches(existing, existing_ns_labels) for t in affinity):
                for term in affinity:
                    _bump(affinity_counts, labels, term.topology_key)
            for term in anti_affinity:
                if term.matches(existing, existing_ns_labels):
                    _bump(anti_counts, labels, term.topology_key)
            for term in _affinity_terms(existing, "podAntiAffinity"):
                if term.matches(pod, own_ns_labels):
                    _bump(existing_anti_counts, labels, term.topology_key)
    return InterPodAffinityState(
        pod,
        own_ns_labels,
        tuple(affinity),
        tuple(anti_affinity),
        affinity_counts,
        anti_counts,
        existing_anti_counts,
    )


def inter_pod_affinity_check(state: InterPodAffinityState, node: Manifest) -> list[str]:
    """InterPodAffinity Filter of one node against the cycle's PreFilter state.

    Mirrors ``interpodaffinity/filtering.go Filter`` (``satisfyPodAffinity``,
    ``satisfyPodAntiAffinity``, ``satisfyExistingPodsAntiAffinity``, in that order).

    Raises:
        InputError: the node's labels are malformed.
    """
    labels = node_labels(node)
    pods_exist = True
    for term in state.affinity:
        if term.topology_key not in labels:
            return [ERR_REASON_AFFINITY_RULES_NOT_MATCH]
        if state.affinity_counts.get((term.topology_key, labels[term.topology_key]), 0) <= 0:
            pods_exist = False
    if not pods_exist:
        # Whether the pod may go first: read here, where upstream reads it (it may raise).
        first_of_series = not state.affinity_counts and all(
            t.matches(state.pod, state.own_namespace_labels) for t in state.affinity
        )
        if not first_of_series:
            return [ERR_REASON_AFFINITY_RULES_NOT_MATCH]
    for term in state.anti_affinity:
        key = term.topology_key
        if key in labels and state.anti_counts.get((key, labels[key]), 0) > 0:
            return [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH]
    if state.existing_anti_counts and any(
        state.existing_anti_counts.get(pair, 0) > 0 for pair in labels.items()
    ):
        return [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH]
    return []
