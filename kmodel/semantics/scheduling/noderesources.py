"""kube-scheduler NodeResourcesFit and NodeResourcesBalancedAllocation.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/`` at kubernetes master after v1.35:
``fit.go`` (``fitsRequest``, the Filter), ``resource_allocation.go`` (the shared scorer),
``least_allocated.go``, ``most_allocated.go``, ``requested_to_capacity_ratio.go`` and
``balanced_allocation.go`` (the v1.34/v1.35 formula, ``02d7708a``); and the kubelet's admission
check that reuses ``noderesources.Fits`` (``pkg/kubelet/lifecycle/predicate.go``).
``k8s-semantics.md`` section 6 holds the decision tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_round
from kmodel.internal.values import go_value
from kmodel.objects.fields import (
    require_manifest,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.resources import (
    CPU,
    EPHEMERAL_STORAGE,
    MEMORY,
    PODS,
    NodeUsage,
    is_extended_resource_name,
    is_scalar_resource_name,
    node_allocatable,
    node_usage,
    pod_requests,
)
from kmodel.semantics.scheduling.config import (
    _MAX_UTILIZATION,
    MAX_CUSTOM_PRIORITY_SCORE,
    ResourceSpec,
    ScoringStrategy,
    parse_balanced_allocation_resources,
)
from kmodel.semantics.scheduling.helper import MAX_NODE_SCORE, broken_linear_function

__all__ = ["balanced_allocation_skips", "kubelet_admission_failure", "node_fit_failures"]


def _check_names(values: Sequence[str], what: str) -> frozenset[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InputError("must be a list of strings", path=what)
    return frozenset(values)


def node_fit_failures(
    pod: Manifest,
    node: Manifest,
    pods_on_node: Sequence[Manifest],
    *,
    ignored_resources: Sequence[str] = (),
    ignored_resource_groups: Sequence[str] = (),
) -> list[str]:
    """Why the node lacks room for the pod: the NodeResourcesFit Filter reasons.

    Mirrors ``pkg/scheduler/framework/plugins/noderesources/fit.go fitsRequest``. Every failing
    check is reported, in upstream order: "Too many pods", "Insufficient cpu", "Insufficient
    memory", "Insufficient ephemeral-storage", then "Insufficient <name>" per scalar resource
    (sorted by name: upstream walks a Go map, whose order is unspecified). A pod that requests
    nothing is only checked for the pod count. Equality fits (``request <= allocatable -
    requested``). Allocatable comes from ``status.allocatable`` only (``NodeInfo.SetNode``); a
    resource the node does not list has allocatable 0. Terminal pods in ``pods_on_node`` are
    ignored, as the scheduler's informer drops them.

    Args:
        pod: the incoming Pod.
        node: the Node.
        pods_on_node: the pods already bound to the node.
        ignored_resources: extended resources the filter does not check
            (``NodeResourcesFitArgs.ignoredResources``).
        ignored_resource_groups: extended-resource prefixes (the part before ``/``) the filter
            does not check (``ignoredResourceGroups``).

    Returns:
        The failure reasons; ``[]`` when the pod fits.

    Raises:
        InputError: a manifest or argument is malformed.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    ignored, groups = _ignored_names(ignored_resources, ignored_resource_groups)
    return _fit_failures(pod, node_allocatable(node), node_usage(pods_on_node), ignored, groups)


def _ignored_names(
    ignored_resources: Sequence[str], ignored_resource_groups: Sequence[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """``NodeResourcesFitArgs.ignoredResources`` and ``ignoredResourceGroups``, validated."""
    ignored = _check_names(ignored_resources, "ignoredResources")
    groups = _check_names(ignored_resource_groups, "ignoredResourceGroups")
    for i, group in enumerate(ignored_resource_groups):
        if "/" in group:
            raise InputError(
                f"Invalid value: {go_value(group)}: resource group name can't contain '/'",
                path=f"ignoredResourceGroups[{i}]",
            )
    return ignored, groups


def _fit_failures(
    pod: Manifest,
    allocatable: Mapping[str, int],
    usage: NodeUsage,
    ignored: frozenset[str],
    groups: frozenset[str],
    *,
    request: Mapping[str, int] | None = None,
) -> list[str]:
    """The body of ``fitsRequest`` on precomputed node totals (and pod requests, if given)."""
    reasons: list[str] = []
    if usage.pod_count + 1 > allocatable.get(PODS, 0):
        reasons.append("Too many pods")
    if request is None:
        request = pod_requests(pod)
    scalars = {n: q for n, q in request.items() if n not in {CPU, MEMORY, EPHEMERAL_STORAGE}}
    scalars = {n: q for n, q in scalars.items() if is_scalar_resource_name(n)}
    if (
        request.get(CPU, 0) == 0
        and request.get(MEMORY, 0) == 0
        and request.get(EPHEMERAL_STORAGE, 0) == 0
        and not scalars
    ):
        return reasons
    for name in (CPU, MEMORY, EPHEMERAL_STORAGE):
        wanted = request.get(name, 0)
        if wanted > 0 and wanted > allocatable.get(name, 0) - usage.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    for name in sorted(scalars):
        wanted = scalars[name]
        if wanted == 0:
            continue
        if is_extended_resource_name(name) and (
            name in ignored or (groups and name.split("/")[0] in groups)
        ):
            continue
        if wanted > allocatable.get(name, 0) - usage.requested.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def kubelet_admission_failure(
    pod: Manifest, node: Manifest, admitted: Sequence[Manifest]
) -> tuple[str, str] | None:
    """Why the kubelet rejects a pod it lacks room for: ``(reason, message)``, or None.

    Mirrors ``pkg/kubelet/lifecycle/predicate.go predicateAdmitHandler.Admit``'s resource part:
    ``generalFilter`` runs ``noderesources.Fits`` on a ``NodeInfo`` of the node and the pods
    the kubelet already admitted (``admitted``, terminal ones left out); extended resources
    the node does not list are dropped first (``removeMissingExtendedResources``). Only the
    first insufficient resource is reported (``reasons[0]``), in ``fitsRequest`` order (pods,
    cpu, memory, ephemeral-storage, scalar resources by name), as reason ``OutOf<resource>``
    with ``InsufficientResourceError.Error()``'s message (cpu in millicores, others in units).
    """
    allocatable = node_allocatable(node)
    usage = node_usage(admitted)
    capacity = allocatable.get(PODS, 0)
    if usage.pod_count + 1 > capacity:
        return _out_of(PODS, 1, usage.pod_count, capacity)
    request = pod_requests(pod)
    for name in (CPU, MEMORY, EPHEMERAL_STORAGE):
        wanted = request.get(name, 0)
        used = usage.requested.get(name, 0)
        if wanted > 0 and wanted > allocatable.get(name, 0) - used:
            return _out_of(name, wanted, used, allocatable.get(name, 0))
    for name in sorted(request):
        wanted = request[name]
        if name in {CPU, MEMORY, EPHEMERAL_STORAGE} or not is_scalar_resource_name(name):
            continue
        if wanted == 0 or (is_extended_resource_name(name) and name not in allocatable):
            continue
        used = usage.requested.get(name, 0)
        if wanted > allocatable.get(name, 0) - used:
            return _out_of(name, wanted, used, allocatable.get(name, 0))
    return None


def _out_of(name: str, requested: int, used: int, capacity: int) -> tuple[str, str]:
    """``OutOf<name>`` and ``InsufficientResourceError.Error()`` (predicate.go)."""
    message = (
        f"Node didn't have enough resource: {name}, requested: {requested}, used: {used}, "
        f"capacity: {capacity}"
    )
    return f"OutOf{name}", message


def _least_requested_score(requested: int, capacity: int) -> int:
    """Mirrors ``least_allocated.go leastRequestedScore``."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def _most_requested_score(requested: int, capacity: int) -> int:
    """Mirrors ``most_allocated.go mostRequestedScore`` (requested capped at capacity)."""
    if capacity == 0:
        return 0
    return min(requested, capacity) * MAX_NODE_SCORE // capacity


def _weighted_score(
    strategy: ScoringStrategy, requested: Sequence[int], allocatable: Sequence[int]
) -> int:
    """The per-strategy scorer over (requested, allocatable) with skipped entries at 0/0."""
    node_score = weight_sum = 0
    if strategy.type == "RequestedToCapacityRatio":
        scaled = [(x, y * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE)) for x, y in strategy.shape]
        for spec, req, cap in zip(strategy.resources, requested, allocatable, strict=True):
            if cap == 0:
                continue
            # Exact integer floor: Python ints do not overflow where Go's int64 product could.
            utilization = _MAX_UTILIZATION if req > cap else req * _MAX_UTILIZATION // cap
            score = broken_linear_function(scaled, utilization)
            if score > 0:
                node_score += score * spec.weight
                weight_sum += spec.weight
        return 0 if weight_sum == 0 else go_round(node_score / weight_sum)
    per_resource = (
        _least_requested_score if strategy.type == "LeastAllocated" else _most_requested_score
    )
    for spec, req, cap in zip(strategy.resources, requested, allocatable, strict=True):
        if cap == 0:
            continue
        node_score += per_resource(req, cap) * spec.weight
        weight_sum += spec.weight
    return 0 if weight_sum == 0 else node_score // weight_sum


def _allocatable_and_requested(
    name: str,
    pod_request: int,
    allocatable: Mapping[str, int],
    usage: NodeUsage,
    *,
    use_requested: bool,
) -> tuple[int, int]:
    """Mirrors ``resourceAllocationScorer.calculateResourceAllocatableRequest``.

    ``(0, 0)`` means "skip this resource" (a scalar the pod does not request, or one the node
    lacks).
    """
    if pod_request == 0 and is_scalar_resource_name(name):
        return 0, 0
    if name == CPU:
        used = usage.requested.get(CPU, 0) if use_requested else usage.non_zero_cpu
        return allocatable.get(CPU, 0), used + pod_request
    if name == MEMORY:
        used = usage.requested.get(MEMORY, 0) if use_requested else usage.non_zero_memory
        return allocatable.get(MEMORY, 0), used + pod_request
    if name == EPHEMERAL_STORAGE:
        return allocatable.get(name, 0), usage.requested.get(name, 0) + pod_request
    if is_scalar_resource_name(name) and name in allocatable:
        return allocatable[name], usage.requested.get(name, 0) + pod_request
    return 0, 0


def _score_inputs(
    resources: Sequence[ResourceSpec],
    pod_request: Mapping[str, int],
    allocatable: Mapping[str, int],
    usage: NodeUsage,
    *,
    use_requested: bool,
) -> tuple[list[int], list[int]]:
    """Mirrors the loop of ``resourceAllocationScorer.score``: requested and allocatable lists."""
    requested_list: list[int] = []
    allocatable_list: list[int] = []
    for spec in resources:
        alloc, req = _allocatable_and_requested(
            spec.name,
            pod_request.get(spec.name, 0),
            allocatable,
            usage,
            use_requested=use_requested,
        )
        allocatable_list.append(alloc)
        requested_list.append(req if alloc else 0)
    return requested_list, allocatable_list


def balanced_allocation_skips(
    pod: Manifest, *, resources: Sequence[Mapping[str, Any]] | None = None
) -> bool:
    """Whether NodeResourcesBalancedAllocation skips the pod.

    Mirrors ``BalancedAllocation.PreScore``: it returns Skip when every configured resource
    request of the pod is 0 (``isBestEffortPod``; actual requests, no defaults).

    Raises:
        InputError: a malformed pod or invalid resources.
    """
    specs = parse_balanced_allocation_resources(resources)
    request = pod_requests(require_manifest(pod, "pod"))
    return all(request.get(spec.name, 0) == 0 for spec in specs)


def _balanced_resource_score(requested: Sequence[int], allocatable: Sequence[int]) -> int:
    """Mirrors ``balanced_allocation.go balancedResourceScorer`` (v1.34/v1.35 formula).

    Float arithmetic in the same order as Go's float64, so results agree to the bit.
    """
    fractions: list[float] = []
    total = 0.0
    for req, cap in zip(requested, allocatable, strict=True):
        if cap == 0:
            continue
        fraction = min(float(req) / float(cap), 1.0)
        total += fraction
        fractions.append(fraction)
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = total / len(fractions)
        squares = 0.0
        for fraction in fractions:
            squares += (fraction - mean) * (fraction - mean)
        std = math.sqrt(squares / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)
