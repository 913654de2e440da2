"""kube-scheduler PodTopologySpread (Filter).

Mirrors ``pkg/scheduler/framework/plugins/podtopologyspread/`` (``filtering.go``, ``common.go``)
at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kmodel.errors import InputError
from kmodel.objects.fields import (
    int_field,
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
from kmodel.semantics.scheduling.nodeaffinity import pod_matches_required_node_affinity
from kmodel.semantics.scheduling.objects import (
    _pod_labels,
    label_selector,
    node_labels,
    pod_namespace,
    pods_by_node,
)
from kmodel.semantics.scheduling.tainttoleration import (
    find_matching_untolerated_taint,
    node_taints,
    pod_tolerations,
)

__all__ = [
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "TopologySpreadState",
    "pod_topology_spread_failures",
    "topology_spread_check",
    "topology_spread_state",
]


ERR_REASON_CONSTRAINTS_NOT_MATCH: Final = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH: Final = (
    ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
)


@dataclass(frozen=True)
class _SpreadConstraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int
    node_affinity_policy: str
    node_taints_policy: str


def _spread_constraints(pod: Manifest) -> list[_SpreadConstraint]:
    """Mirrors ``filterTopologySpreadConstraints(..., DoNotSchedule)`` with its defaults.

    ``matchLabelKeys`` values present on the pod are ANDed into the selector; minDomains
    defaults to 1, nodeAffinityPolicy to Honor, nodeTaintsPolicy to Ignore.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    raw_list = list_field(
        spec, "topologySpreadConstraints", "spec.topologySpreadConstraints", obj=pod
    )
    labels = _pod_labels(pod)
    constraints: list[_SpreadConstraint] = []
    for i, raw in enumerate(raw_list):
        path = f"spec.topologySpreadConstraints[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        if (
            str_field(raw, "whenUnsatisfiable", f"{path}.whenUnsatisfiable", obj=pod)
            != "DoNotSchedule"
        ):
            continue
        selector = label_selector(raw.get("labelSelector"), f"{path}.labelSelector", obj=pod)
        keys = list_field(raw, "matchLabelKeys", f"{path}.matchLabelKeys", obj=pod)
        extra = {k: labels[k] for k in keys if isinstance(k, str) and k in labels}
        if extra:
            selector = selector.with_labels(extra)
        max_skew = int_field(raw, "maxSkew", f"{path}.maxSkew", obj=pod)
        if max_skew <= 0:
            raise InputError(
                "must be greater than zero", obj=object_ref(pod), path=f"{path}.maxSkew"
            )
        constraints.append(
            _SpreadConstraint(
                max_skew=max_skew,
                topology_key=str_field(raw, "topologyKey", f"{path}.topologyKey", obj=pod),
                selector=selector,
                min_domains=int_field(raw, "minDomains", f"{path}.minDomains", obj=pod, default=1),
                node_affinity_policy=str_field(
                    raw, "nodeAffinityPolicy", f"{path}.nodeAffinityPolicy", obj=pod
                )
                or "Honor",
                node_taints_policy=str_field(
                    raw, "nodeTaintsPolicy", f"{path}.nodeTaintsPolicy", obj=pod
                )
                or "Ignore",
            )
        )
    return constraints


def _is_deleting(pod: Manifest) -> bool:
    metadata = mapping_field(pod, "metadata", "metadata", obj=pod)
    return metadata.get("deletionTimestamp") is not None


def _count_matching(pods: Sequence[Manifest], selector: LabelSelector, namespace: str) -> int:
    """Mirrors ``countPodsMatchSelector``: same namespace, not terminating, selector matches."""
    if selector.is_everything:
        return 0
    return sum(
        1
        for p in pods
        if not _is_deleting(p)
        and pod_namespace(p) == namespace
        and selector.matches(_pod_labels(p))
    )


def _included(constraint: _SpreadConstraint, pod: Manifest, node: Manifest) -> bool:
    """Mirrors ``topologySpreadConstraint.matchNodeInclusionPolicies``."""
    if constraint.node_affinity_policy == "Honor" and not pod_matches_required_node_affinity(
        pod, node
    ):
        return False
    if constraint.node_taints_policy == "Honor":
        untolerated = find_matching_untolerated_taint(
            node_taints(node),
            pod_tolerations(pod),
            taint_filter=lambda t: t.effect in {"NoSchedule", "NoExecute"},
        )
        if untolerated is not None:
            return False
    return True


def pod_topology_spread_failures(
    pod: Manifest, node: Manifest, *, nodes: Sequence[Manifest], pods: Sequence[Manifest]
) -> list[str]:
    """PodTopologySpread Filter (``whenUnsatisfiable: DoNotSchedule`` constraints only).

    Mirrors ``podtopologyspread/filtering.go`` (``calPreFilterState``, ``Filter``,
    ``minMatchNum``): per constraint, the matching pods are counted per topology value over the
    eligible nodes (all constraint keys present, node inclusion policies honoured); a node
    without the key fails with "... (missing required label)"; otherwise the node fails when
    ``count(value) + selfMatch - globalMin > maxSkew``, the global minimum being 0 while fewer
    than ``minDomains`` domains exist. Constraints are checked in order; the first failure wins.

    Args:
        pod: the incoming Pod.
        node: the Node.
        nodes: every Node of the cluster.
        pods: the pods bound to any node.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    state = topology_spread_state(pod, nodes=nodes, grouped=lambda: pods_by_node(pods))
    return topology_spread_check(state, node)


@dataclass(frozen=True)
class TopologySpreadState:
    """What ``PreFilter`` of PodTopologySpread computes once per cycle (``preFilterState``).

    Attributes:
        constraints: the pod's DoNotSchedule constraints, defaulted.
        value_counts: per constraint, the matching pods counted per topology value.
        self_matches: per constraint, whether the pod matches its own selector.
    """

    constraints: tuple[_SpreadConstraint, ...]
    value_counts: tuple[dict[str, int], ...]
    self_matches: tuple[bool, ...]


def topology_spread_state(
    pod: Manifest,
    *,
    nodes: Sequence[Manifest],
    grouped: Callable[[], Mapping[str, Sequence[Manifest]]],
) -> TopologySpreadState:
    """PodTopologySpread PreFilter: the counts every node's Filter compares against.

    Mirrors ``podtopologyspread/filtering.go calPreFilterState``;
    :func:`pod_topology_spread_failures` is this and :func:`topology_spread_check`. ``grouped``
    gives the bound pods by node name (as :func:`pods_by_node` does); it is called only when
    the pod has constraints.

    Raises:
        InputError: a malformed pod, node or constraint.
    """
    constraints = _spread_constraints(pod)
    if not constraints:
        return TopologySpreadState((), (), ())
    namespace = pod_namespace(pod)
    by_node = grouped()
    value_counts: list[dict[str, int]] = [{} for _ in constraints]
    for other in require_manifests(nodes, "nodes", kind="Node"):
        labels = node_labels(other)
        if any(c.topology_key not in labels for c in constraints):
            continue
        here = by_node.get(object_name(other), [])
        for i, constraint in enumerate(constraints):
            if not _included(constraint, pod, other):
                continue
            value = labels[constraint.topology_key]
            counts = value_counts[i]
            counts[value] = counts.get(value, 0) + _count_matching(
                here, constraint.selector, namespace
            )
    own_labels = _pod_labels(pod)
    return TopologySpreadState(
        tuple(constraints),
        tuple(value_counts),
        tuple(c.selector.matches(own_labels) for c in constraints),
    )


def topology_spread_check(state: TopologySpreadState, node: Manifest) -> list[str]:
    """PodTopologySpread Filter of one node against the cycle's PreFilter state.

    Mirrors ``podtopologyspread/filtering.go Filter`` (with ``minMatchNum``).

    Raises:
        InputError: the node's labels are malformed.
    """
    if not state.constraints:
        return []
    labels = node_labels(node)
    for constraint, counts, self_matches in zip(
        state.constraints, state.value_counts, state.self_matches, strict=True
    ):
        node_value = labels.get(constraint.topology_key)
        if node_value is None:
            return [ERR_REASON_NODE_LABEL_NOT_MATCH]
        # criticalPaths start at MaxInt32: with no eligible domain every node passes.
        global_min = min(counts.values()) if counts else 2**31 - 1
        if len(counts) < constraint.min_domains:
            global_min = 0
        self_match = 1 if self_matches else 0
        if counts.get(node_value, 0) + self_match - global_min > constraint.max_skew:
            return [ERR_REASON_CONSTRAINTS_NOT_MATCH]
    return []
