"""The scheduling cycle: the default profile's filters in order, the scores, the FitError message.

Mirrors the parts of ``pkg/scheduler/schedule_one.go`` (``findNodesThatPassFilters``,
``prioritizeNodes``), ``pkg/scheduler/framework/runtime/framework.go`` (``RunFilterPlugins``) and
``framework/types.go`` (``FitError.Error``) that the model needs, with the default profile of
``pkg/scheduler/apis/config/v1/default_plugins.go``, at kubernetes master after v1.35.
:func:`node_scores` and :func:`balanced_allocation_scores` (the NodeResources scores of every node)
are here because they run in a cycle; the per-node arithmetic is in
:mod:`~kmodel.semantics.scheduling.noderesources`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from kmodel.objects.fields import (
    object_name,
    require_manifest,
    require_manifests,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.resources import (
    NodeUsage,
    node_allocatable,
    node_usage,
    pod_requests,
)
from kmodel.semantics.scheduling.config import (
    parse_balanced_allocation_resources,
    parse_scoring_strategy,
)
from kmodel.semantics.scheduling.interpodaffinity import (
    InterPodAffinityState,
    inter_pod_affinity_check,
    inter_pod_affinity_state,
)
from kmodel.semantics.scheduling.nodeaffinity import node_affinity_failures
from kmodel.semantics.scheduling.nodename import node_name_failures
from kmodel.semantics.scheduling.nodeports import node_ports_failures
from kmodel.semantics.scheduling.noderesources import (
    _balanced_resource_score,
    _fit_failures,
    _ignored_names,
    _score_inputs,
    _weighted_score,
)
from kmodel.semantics.scheduling.nodeunschedulable import node_unschedulable_failures
from kmodel.semantics.scheduling.objects import _nodes_by_name, pods_by_node
from kmodel.semantics.scheduling.podtopologyspread import (
    TopologySpreadState,
    topology_spread_check,
    topology_spread_state,
)
from kmodel.semantics.scheduling.tainttoleration import taint_toleration_failures
from kmodel.semantics.scheduling.volumebinding import volume_binding_failures
from kmodel.semantics.scheduling.volumezone import volume_zone_failures

__all__ = [
    "DEFAULT_SCORE_PLUGIN_WEIGHTS",
    "SchedulingCycle",
    "balanced_allocation_scores",
    "filter_failures",
    "fit_error_message",
    "node_scores",
]


#: Score-plugin weights of the default (v1) profile, ``getDefaultPlugins``.
DEFAULT_SCORE_PLUGIN_WEIGHTS: Final[Mapping[str, int]] = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "PodTopologySpread": 2,
    "InterPodAffinity": 2,
    "NodeResourcesFit": 1,
    "NodeResourcesBalancedAllocation": 1,
    "ImageLocality": 1,
}


def node_scores(
    pod: Manifest,
    nodes: Sequence[Manifest],
    pods: Sequence[Manifest],
    *,
    scoring_strategy: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """NodeResourcesFit Score for each node, 0..100.

    Mirrors ``fit.go Fit.Score`` with ``resource_allocation.go resourceAllocationScorer.score``
    and the strategy's scorer (``leastResourceScorer``, ``mostResourceScorer``,
    ``requestedToCapacityRatioScorer``). The pod's cpu and memory requests use the
    non-missing defaults (100m, 200Mi per container without a request), and so does the
    node's ``NonZeroRequested``; ephemeral-storage and scalar resources use actual requests.
    NodeResourcesFit has no NormalizeScore: these are the final plugin scores.

    Args:
        pod: the incoming Pod.
        nodes: the Nodes to score (normally the feasible ones).
        pods: the pods bound to any node (``spec.nodeName``); terminal pods are ignored.
        scoring_strategy: ``NodeResourcesFitArgs.scoringStrategy``; None is the default
            (LeastAllocated, cpu and memory with weight 1).

    Returns:
        Score per node name.

    Raises:
        InputError: a malformed manifest or an invalid strategy (with its field path).
    """
    return SchedulingCycle(pod, nodes, pods=pods).node_scores(
        nodes, scoring_strategy=scoring_strategy
    )


def balanced_allocation_scores(
    pod: Manifest,
    nodes: Sequence[Manifest],
    pods: Sequence[Manifest],
    *,
    resources: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, int]:
    """NodeResourcesBalancedAllocation Score for each node, 0..100 (v1.35 formula).

    Mirrors ``balanced_allocation.go`` at ``02d7708a`` (v1.34/v1.35): the fraction of each
    configured resource the node would use with the pod (actual requests, no defaults;
    capped at 1), and ``int((1 - std) * 100)``. Master after v1.36 (PR #135573) changes the
    formula; this is the v1.35 one.

    Args:
        pod: the incoming Pod.
        nodes: the Nodes to score.
        pods: the pods bound to any node; terminal pods are ignored.
        resources: ``NodeResourcesBalancedAllocationArgs.resources``; None is cpu and memory.

    Returns:
        Score per node name; ``{}`` when the plugin skips the pod (PreScore returns Skip for a
        pod whose configured requests are all 0, see :func:`balanced_allocation_skips`). A
        caller told ``{}`` for a non-empty ``nodes`` treats the plugin as not run.

    Raises:
        InputError: a malformed manifest or invalid resources.
    """
    return SchedulingCycle(pod, nodes, pods=pods).balanced_allocation_scores(
        nodes, resources=resources
    )


def filter_failures(
    pod: Manifest,
    node: Manifest,
    *,
    pods: Sequence[Manifest],
    nodes: Sequence[Manifest] | None = None,
    volumes: Sequence[Manifest] = (),
    namespaces: Sequence[Manifest] = (),
    ignored_resources: Sequence[str] = (),
    ignored_resource_groups: Sequence[str] = (),
) -> list[str]:
    """Run the default profile's Filter plugins on one node, in their order.

    Mirrors ``frameworkImpl.RunFilterPlugins`` with the v1 default plugins
    (``pkg/scheduler/apis/config/v1/default_plugins.go``): NodeUnschedulable, NodeName,
    TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, VolumeBinding (bound PVs' node
    affinity only), VolumeZone, PodTopologySpread, InterPodAffinity. Like upstream, it stops at
    the first plugin that rejects the node and returns that plugin's reasons. VolumeRestrictions,
    NodeVolumeLimits and DynamicResources are not modelled.

    Args:
        pod: the incoming Pod.
        node: the Node to check.
        pods: the pods bound to any node (``spec.nodeName``); terminal pods are ignored.
        nodes: every Node of the cluster (topology spread and inter-pod affinity count pods
            across all nodes); None means just ``[node]``.
        volumes: PersistentVolumeClaim, PersistentVolume and StorageClass manifests.
        namespaces: Namespace manifests, for affinity terms with a ``namespaceSelector``.
        ignored_resources: ``NodeResourcesFitArgs.ignoredResources``.
        ignored_resource_groups: ``NodeResourcesFitArgs.ignoredResourceGroups``.

    Returns:
        The reasons of the first failing filter; ``[]`` when the node is feasible.

    Raises:
        InputError: a malformed manifest or argument.
    """
    cycle = SchedulingCycle(
        pod,
        [node] if nodes is None else nodes,
        pods=pods,
        volumes=volumes,
        namespaces=namespaces,
        ignored_resources=ignored_resources,
        ignored_resource_groups=ignored_resource_groups,
    )
    return cycle.filter_failures(node)


class SchedulingCycle:
    """One pod's scheduling cycle over a fixed snapshot: the Filter and Score plugins per node.

    Mirrors ``schedule_one.go schedulePod`` with its ``framework.CycleState``: what upstream's
    PreFilter and PreScore compute once per cycle (the pods grouped by node into ``NodeInfo``,
    each node's requested totals, PodTopologySpread's and InterPodAffinity's topology counts)
    is computed here once, on first use, and shared by every node's Filter and Score.
    ``cycle.filter_failures(node)`` is :func:`filter_failures` with the same arguments, and the
    score methods are :func:`node_scores` and :func:`balanced_allocation_scores`: the same
    results and the same errors, raised at the same call (shared results are kept only once
    computed without error). The arguments must not change during the cycle.

    Args:
        pod: the incoming Pod.
        nodes: every Node of the cluster.
        pods: the pods bound to any node (``spec.nodeName``); terminal pods are ignored.
        volumes: PersistentVolumeClaim, PersistentVolume and StorageClass manifests.
        namespaces: Namespace manifests, for affinity terms with a ``namespaceSelector``.
        ignored_resources: ``NodeResourcesFitArgs.ignoredResources``.
        ignored_resource_groups: ``NodeResourcesFitArgs.ignoredResourceGroups``.
        allocatable_of: how to read a node's allocatable; :func:`node_allocatable` by default.
            A caller that keeps nodes unchanged across cycles may pass a cached one.
        usage_of: how to total the pods bound to one node; :func:`node_usage` by default. A
            caller that keeps pods unchanged across cycles may pass a cached one.
    """

    def __init__(
        self,
        pod: Manifest,
        nodes: Sequence[Manifest],
        *,
        pods: Sequence[Manifest],
        volumes: Sequence[Manifest] = (),
        namespaces: Sequence[Manifest] = (),
        ignored_resources: Sequence[str] = (),
        ignored_resource_groups: Sequence[str] = (),
        allocatable_of: Callable[[Manifest], Mapping[str, int]] | None = None,
        usage_of: Callable[[Sequence[Manifest]], NodeUsage] | None = None,
    ) -> None:
        self._node_allocatable = node_allocatable if allocatable_of is None else allocatable_of
        self._node_usage = node_usage if usage_of is None else usage_of
        self._request: dict[str, int] | None = None
        self._pod = pod
        self._nodes = nodes
        self._pods = pods
        self._volumes = volumes
        self._namespaces = namespaces
        self._ignored_resources = ignored_resources
        self._ignored_resource_groups = ignored_resource_groups
        self._all_nodes: list[Manifest] | None = None
        self._grouped: dict[str, list[Manifest]] | None = None
        self._ignored: tuple[frozenset[str], frozenset[str]] | None = None
        self._spread: TopologySpreadState | None = None
        self._affinity: InterPodAffinityState | None = None
        self._usage: dict[str, NodeUsage] = {}
        #: id(node) -> (node, allocatable); the node is kept so that its id is not reused.
        self._allocatable: dict[int, tuple[Manifest, Mapping[str, int]]] = {}

    # ----------------------------------------------------------------- shared state

    def _pods_by_node(self) -> dict[str, list[Manifest]]:
        if self._grouped is None:
            self._grouped = pods_by_node(self._pods)
        return self._grouped

    def _usage_of(self, node_name: str) -> NodeUsage:
        """``NodeInfo``'s requested totals of the node named ``node_name``."""
        usage = self._usage.get(node_name)
        if usage is None:
            pods_here = self._pods_by_node().get(node_name, [])
            usage = self._usage[node_name] = self._node_usage(pods_here)
        return usage

    def _allocatable_of(self, node: Manifest) -> Mapping[str, int]:
        entry = self._allocatable.get(id(node))
        if entry is None or entry[0] is not node:
            entry = self._allocatable[id(node)] = (node, self._node_allocatable(node))
        return entry[1]

    def _fit(self, pod: Manifest, node: Manifest, name: str) -> list[str]:
        """NodeResourcesFit Filter, as :func:`node_fit_failures` (validation order kept)."""
        if self._ignored is None:
            self._ignored = _ignored_names(self._ignored_resources, self._ignored_resource_groups)
        ignored, groups = self._ignored
        allocatable, usage = self._allocatable_of(node), self._usage_of(name)
        if self._request is None:  # the pod's requests, read where fitsRequest first reads them
            self._request = pod_requests(pod)
        return _fit_failures(pod, allocatable, usage, ignored, groups, request=self._request)

    def _spread_check(self, pod: Manifest, node: Manifest) -> list[str]:
        if self._spread is None:
            self._spread = topology_spread_state(
                pod, nodes=self._all_nodes or [], grouped=self._pods_by_node
            )
        return topology_spread_check(self._spread, node)

    def _affinity_check(self, pod: Manifest, node: Manifest) -> list[str]:
        if self._affinity is None:
            self._affinity = inter_pod_affinity_state(
                pod,
                nodes=self._all_nodes or [],
                grouped=self._pods_by_node,
                namespaces=self._namespaces,
            )
        return inter_pod_affinity_check(self._affinity, node)

    # ----------------------------------------------------------------- Filter

    def filter_failures(self, node: Manifest) -> list[str]:
        """The default profile's Filter plugins on ``node``, in order (see :func:`filter_failures`).

        Returns:
            The reasons of the first failing filter; ``[]`` when the node is feasible.

        Raises:
            InputError: a malformed manifest or argument.
        """
        pod = require_manifest(self._pod, "pod")
        node = require_manifest(node, "node", kind="Node")
        if self._all_nodes is None:
            all_nodes = require_manifests(self._nodes, "nodes", kind="Node")
            self._pods_by_node()
            self._all_nodes = all_nodes
        name = object_name(node)
        pods_here = self._pods_by_node().get(name, [])
        volumes = self._volumes
        checks: tuple[Callable[[], list[str]], ...] = (
            lambda: node_unschedulable_failures(pod, node),
            lambda: node_name_failures(pod, node),
            lambda: taint_toleration_failures(pod, node),
            lambda: node_affinity_failures(pod, node),
            lambda: node_ports_failures(pod, pods_here),
            lambda: self._fit(pod, node, name),
            lambda: volume_binding_failures(pod, node, volumes),
            lambda: volume_zone_failures(pod, node, volumes),
            lambda: self._spread_check(pod, node),
            lambda: self._affinity_check(pod, node),
        )
        for check in checks:
            reasons = check()
            if reasons:
                return reasons
        return []

    # ----------------------------------------------------------------- Score

    def node_scores(
        self, nodes: Sequence[Manifest], *, scoring_strategy: Mapping[str, Any] | None = None
    ) -> dict[str, int]:
        """NodeResourcesFit Score for each of ``nodes`` (see :func:`node_scores`).

        Raises:
            InputError: a malformed manifest or an invalid strategy (with its field path).
        """
        strategy = parse_scoring_strategy(scoring_strategy)
        pod = require_manifest(self._pod, "pod")
        by_name = _nodes_by_name(nodes)
        self._pods_by_node()
        request = pod_requests(pod, non_missing=True)
        scores: dict[str, int] = {}
        for name, node in by_name.items():
            requested, allocatable = _score_inputs(
                strategy.resources,
                request,
                self._allocatable_of(node),
                self._usage_of(name),
                use_requested=False,
            )
            scores[name] = _weighted_score(strategy, requested, allocatable)
        return scores

    def balanced_allocation_scores(
        self, nodes: Sequence[Manifest], *, resources: Sequence[Mapping[str, Any]] | None = None
    ) -> dict[str, int]:
        """NodeResourcesBalancedAllocation Score per node (see :func:`balanced_allocation_scores`).

        Raises:
            InputError: a malformed manifest or invalid resources.
        """
        specs = parse_balanced_allocation_resources(resources)
        pod = require_manifest(self._pod, "pod")
        by_name = _nodes_by_name(nodes)
        self._pods_by_node()
        request = pod_requests(pod)
        if all(request.get(spec.name, 0) == 0 for spec in specs):
            return {}
        scores: dict[str, int] = {}
        for name, node in by_name.items():
            requested, allocatable = _score_inputs(
                specs,
                request,
                self._allocatable_of(node),
                self._usage_of(name),
                use_requested=True,
            )
            scores[name] = _balanced_resource_score(requested, allocatable)
        return scores


def fit_error_message(num_all_nodes: int, reasons: Mapping[str, int]) -> str:
    """The message of a pod no node fits: "0/3 nodes are available: 2 Insufficient cpu, ...".

    Mirrors ``pkg/scheduler/framework/types.go FitError.Error`` without PreFilter or PostFilter
    messages (the model has no preemption): each reason with the number of nodes that gave
    it, as ``"<count> <reason>"``, sorted as strings, joined by ", " and ended with ".".
    """
    message = f"0/{num_all_nodes} nodes are available:"
    histogram = sorted(f"{count} {reason}" for reason, count in reasons.items())
    if histogram:
        message += f" {', '.join(histogram)}."
    return message
