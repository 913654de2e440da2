"""kube-scheduler NodeResourcesFit and NodeResourcesBalancedAllocation, and the filter pipeline.

Mirrors ``pkg/scheduler/framework/plugins/noderesources/`` at kubernetes master after v1.35:
``fit.go`` (``fitsRequest``, the Filter), ``resource_allocation.go`` (the shared scorer),
``least_allocated.go``, ``most_allocated.go``, ``requested_to_capacity_ratio.go``,
``balanced_allocation.go`` (the v1.34/v1.35 formula, ``02d7708a``) and
``pkg/scheduler/framework/plugins/helper/shape_score.go`` (``BuildBrokenLinearFunction``);
configuration defaults and validation from ``pkg/scheduler/apis/config/v1/defaults.go`` and
``pkg/scheduler/apis/config/validation/validation_pluginargs.go``. ``k8s-semantics.md`` section 6
holds the decision tables.

The other filters (node affinity, taints, inter-pod affinity, topology spread, volume zone) are
in :mod:`kmodel.semantics.scheduling_filters`; :func:`filter_failures` runs them all in the
default profile's order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
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
from kmodel.semantics.scheduling_fields import (
    object_name,
    require_manifest,
    require_manifests,
)
from kmodel.semantics.scheduling_filters import (
    InterPodAffinityState,
    TopologySpreadState,
    inter_pod_affinity_check,
    inter_pod_affinity_state,
    node_affinity_failures,
    node_name_failures,
    node_ports_failures,
    node_unschedulable_failures,
    pods_by_node,
    taint_toleration_failures,
    topology_spread_check,
    topology_spread_state,
    volume_binding_failures,
    volume_zone_failures,
)
from kmodel.semantics.scheduling_selectors import (
    node_taints,
    pod_tolerations,
    preferred_node_affinity_score,
    tolerations_tolerate_taint,
)

__all__ = [
    "DEFAULT_RESOURCES",
    "DEFAULT_SCORE_PLUGIN_WEIGHTS",
    "MAX_CUSTOM_PRIORITY_SCORE",
    "MAX_NODE_SCORE",
    "ResourceSpec",
    "SchedulingCycle",
    "ScoringStrategy",
    "balanced_allocation_scores",
    "balanced_allocation_skips",
    "broken_linear_function",
    "default_normalize_score",
    "filter_failures",
    "kubelet_admission_failure",
    "node_affinity_scores",
    "node_fit_failures",
    "node_scores",
    "parse_balanced_allocation_resources",
    "parse_scoring_strategy",
    "taint_toleration_scores",
]

#: ``framework.MaxNodeScore``.
MAX_NODE_SCORE: Final = 100
#: ``config.MaxCustomPriorityScore``: the top of a RequestedToCapacityRatio shape's score.
MAX_CUSTOM_PRIORITY_SCORE: Final = 10
#: ``maxUtilization`` of requested_to_capacity_ratio.go.
_MAX_UTILIZATION: Final = 100

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

_STRATEGY_TYPES: Final = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


@dataclass(frozen=True)
class ResourceSpec:
    """``config.ResourceSpec``: a resource name and its weight in the score."""

    name: str
    weight: int


#: ``defaultResourceSpec`` (pkg/scheduler/apis/config/v1/defaults.go): cpu and memory, weight 1.
DEFAULT_RESOURCES: Final = (ResourceSpec(CPU, 1), ResourceSpec(MEMORY, 1))
#: The default RequestedToCapacityRatio shape (k8s-semantics.md 6.4): 0% -> 0, 100% -> 10.
_DEFAULT_SHAPE: Final = ((0, 0), (100, 10))


@dataclass(frozen=True)
class ScoringStrategy:
    """A validated, defaulted ``config.ScoringStrategy`` of ``NodeResourcesFitArgs``.

    Attributes:
        type: LeastAllocated, MostAllocated or RequestedToCapacityRatio.
        resources: the scored resources and their weights.
        shape: RequestedToCapacityRatio points ``(utilization, score)`` with score in 0..10,
            as configured (not yet scaled to 0..100).
    """

    type: str = "LeastAllocated"
    resources: tuple[ResourceSpec, ...] = DEFAULT_RESOURCES
    shape: tuple[tuple[int, int], ...] = _DEFAULT_SHAPE


# ----------------------------------------------------------------- configuration


def _go_value(value: object) -> str:
    """A value as ``field.Invalid`` prints it (strings quoted, numbers bare)."""
    return f'"{value}"' if isinstance(value, str) else str(value)


class _Errors:
    """Collects ``field.ErrorList`` entries and raises them as one :class:`InputError`."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def invalid(self, path: str, value: object, detail: str) -> None:
        self.items.append((path, f"Invalid value: {_go_value(value)}: {detail}"))

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def raise_if_any(self) -> None:
        """Raise the first error at its path; the others follow in the message."""
        if not self.items:
            return
        path, message = self.items[0]
        if len(self.items) > 1:
            rest = "; ".join(f"{p}: {m}" for p, m in self.items[1:])
            message = f"{message} (also: {rest})"
        raise InputError(message, path=path)


def _check_keys(raw: Mapping[str, Any], allowed: set[str], path: str) -> None:
    """Strict decoding, as the scheduler's config loader does: unknown fields are errors."""
    for key in raw:
        if key not in allowed:
            raise InputError(f'unknown field "{key}"', path=path)


def _parse_int(raw: object, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InputError(f"must be an integer, not {type(raw).__name__}", path=path)
    return raw


def _parse_resource_specs(raw: object, path: str) -> list[ResourceSpec]:
    """Decode ``[{name, weight}]`` with the v1 defaulting: a missing or 0 weight becomes 1."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise InputError(f"must be a list, not {type(raw).__name__}", path=path)
    specs: list[ResourceSpec] = []
    for i, item in enumerate(raw):
        item_path = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(f"must be a mapping, not {type(item).__name__}", path=item_path)
        _check_keys(item, {"name", "weight"}, item_path)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError("must be a non-empty string", path=f"{item_path}.name")
        weight = _parse_int(item.get("weight", 0), f"{item_path}.weight")
        # SetDefaults_NodeResourcesFitArgs / ...BalancedAllocationArgs: weight 0 -> 1.
        specs.append(ResourceSpec(name, weight or 1))
    return specs


def parse_scoring_strategy(scoring_strategy: Mapping[str, Any] | None) -> ScoringStrategy:
    """Default and validate the ``scoringStrategy`` of ``NodeResourcesFitArgs``.

    Mirrors ``SetDefaults_NodeResourcesFitArgs`` (``None`` gives LeastAllocated over cpu and
    memory; no resources gives cpu and memory; a missing or 0 weight gives 1) and
    ``ValidateNodeResourcesFitArgs`` (``validateResources``, ``validateFunctionShape``). A
    RequestedToCapacityRatio strategy without ``requestedToCapacityRatio`` uses the shape
    ``{0: 0, 100: 10}``.

    Raises:
        InputError: at the first invalid field (e.g. ``scoringStrategy.resources[0].weight:
            Invalid value: 101: resource weight of cpu not in valid range (0, 100]``); every
            other error is listed in the message.
    """
    if scoring_strategy is None:
        return ScoringStrategy()
    root = "scoringStrategy"
    if not isinstance(scoring_strategy, Mapping):
        raise InputError(f"must be a mapping, not {type(scoring_strategy).__name__}", path=root)
    _check_keys(scoring_strategy, {"type", "resources", "requestedToCapacityRatio"}, root)
    errors = _Errors()
    strategy_type = scoring_strategy.get("type") or ""
    if strategy_type not in _STRATEGY_TYPES:
        supported = ", ".join(f'"{t}"' for t in _STRATEGY_TYPES)
        errors.add(
            f"{root}.type",
            f"Unsupported value: {_go_value(str(strategy_type))}: supported values: {supported}",
        )
    resources = _parse_resource_specs(scoring_strategy.get("resources"), f"{root}.resources")
    if not resources:
        resources = list(DEFAULT_RESOURCES)
    for i, spec in enumerate(resources):
        if spec.weight <= 0 or spec.weight > 100:
            errors.invalid(
                f"{root}.resources[{i}].weight",
                spec.weight,
                f"resource weight of {spec.name} not in valid range (0, 100]",
            )
    shape: tuple[tuple[int, int], ...] = _DEFAULT_SHAPE
    ratio = scoring_strategy.get("requestedToCapacityRatio")
    if ratio is not None:
        if not isinstance(ratio, Mapping):
            raise InputError("must be a mapping", path=f"{root}.requestedToCapacityRatio")
        _check_keys(ratio, {"shape"}, f"{root}.requestedToCapacityRatio")
        # validateFunctionShape is called with strategyPath.Child("shape").
        shape = _validate_shape(ratio.get("shape"), f"{root}.shape", errors)
    errors.raise_if_any()
    return ScoringStrategy(str(strategy_type), tuple(resources), shape)


def _validate_shape(raw: object, path: str, errors: _Errors) -> tuple[tuple[int, int], ...]:
    """Mirrors ``validateFunctionShape``."""
    if raw is None or (isinstance(raw, list | tuple) and not raw):
        errors.add(path, "Required value: at least one point must be specified")
        return ()
    if not isinstance(raw, list | tuple):
        raise InputError(f"must be a list, not {type(raw).__name__}", path=path)
    points: list[tuple[int, int]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InputError("must be a mapping", path=f"{path}[{i}]")
        _check_keys(item, {"utilization", "score"}, f"{path}[{i}]")
        utilization = _parse_int(item.get("utilization", 0), f"{path}[{i}].utilization")
        score = _parse_int(item.get("score", 0), f"{path}[{i}].score")
        points.append((utilization, score))
    for i in range(1, len(points)):
        if points[i - 1][0] >= points[i][0]:
            errors.invalid(f"{path}[{i}].utilization", points[i][0], "should be increasing")
            break
    for i, (utilization, score) in enumerate(points):
        if not 0 <= utilization <= _MAX_UTILIZATION:
            errors.invalid(
                f"{path}[{i}].utilization",
                utilization,
                f"not in valid range [0, {_MAX_UTILIZATION}]",
            )
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            errors.invalid(
                f"{path}[{i}].score", score, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"
            )
    return tuple(points)


def parse_balanced_allocation_resources(
    resources: Sequence[Mapping[str, Any]] | None,
) -> tuple[ResourceSpec, ...]:
    """Default and validate ``NodeResourcesBalancedAllocationArgs.resources``.

    Mirrors ``SetDefaults_NodeResourcesBalancedAllocationArgs`` (none gives cpu and memory; a
    missing or 0 weight gives 1) and ``ValidateNodeResourcesBalancedAllocationArgs`` (names
    unique, every weight exactly 1).

    Raises:
        InputError: ``resources[i].name: Duplicate value: ...`` or
            ``resources[i].weight: Invalid value: ...: must be 1``.
    """
    specs = _parse_resource_specs(resources, "resources") or list(DEFAULT_RESOURCES)
    errors = _Errors()
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        if spec.name in seen:
            errors.add(f"resources[{i}].name", f"Duplicate value: {_go_value(spec.name)}")
        seen.add(spec.name)
        if spec.weight != 1:
            errors.invalid(f"resources[{i}].weight", spec.weight, "must be 1")
    errors.raise_if_any()
    return tuple(specs)


# ----------------------------------------------------------------- Filter


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
    node = require_manifest(node, "node", "Node")
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
                f"Invalid value: {_go_value(group)}: resource group name can't contain '/'",
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


# ----------------------------------------------------------------- Score


def _go_div(numerator: int, denominator: int) -> int:
    """Go's int64 division: truncation toward zero."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def _go_round(number: float) -> int:
    """Go's ``math.Round``: half away from zero (exact, unlike ``floor(x + 0.5)``)."""
    whole = math.trunc(number)
    if abs(number - whole) >= 0.5:
        whole += 1 if number > 0 else -1
    return whole


def broken_linear_function(shape: Sequence[tuple[int, int]], utilization: int) -> int:
    """Evaluate the piecewise-linear scoring shape at ``utilization``.

    Mirrors ``pkg/scheduler/framework/plugins/helper/shape_score.go BuildBrokenLinearFunction``:
    the first point's score at or below the first utilization, the last point's above the last,
    and in between ``y0 + (y1 - y0) * (p - x0) / (x1 - x0)`` with Go's truncating division.

    Raises:
        InputError: the shape is empty.
    """
    if not shape:
        raise InputError("at least one point must be specified", path="shape")
    for i, (x, y) in enumerate(shape):
        if utilization <= x:
            if i == 0:
                return y
            x0, y0 = shape[i - 1]
            return y0 + _go_div((y - y0) * (utilization - x0), x - x0)
    return shape[-1][1]


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
        return 0 if weight_sum == 0 else _go_round(node_score / weight_sum)
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


def _nodes_by_name(nodes: Sequence[Manifest]) -> dict[str, Manifest]:
    checked = require_manifests(nodes, "nodes", "Node")
    by_name: dict[str, Manifest] = {}
    for i, node in enumerate(checked):
        name = object_name(node)
        if name in by_name:
            raise InputError(f'duplicate node name "{name}"', path=f"nodes[{i}].metadata.name")
        by_name[name] = node
    return by_name


def node_scores(
    pod: Manifest,
    nodes: Sequence[Manifest],
    pods: Sequence[Manifest],
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
    return SchedulingCycle(pod, nodes, pods=pods).node_scores(nodes, scoring_strategy)


def balanced_allocation_skips(
    pod: Manifest, resources: Sequence[Mapping[str, Any]] | None = None
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


def balanced_allocation_scores(
    pod: Manifest,
    nodes: Sequence[Manifest],
    pods: Sequence[Manifest],
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
    return SchedulingCycle(pod, nodes, pods=pods).balanced_allocation_scores(nodes, resources)


def default_normalize_score(scores: Mapping[str, int], *, reverse: bool) -> dict[str, int]:
    """Scale scores to 0..100 by the maximum, optionally reversed.

    Mirrors ``pkg/scheduler/framework/plugins/helper/normalize_score.go DefaultNormalizeScore``
    with ``maxPriority = MaxNodeScore``: all zero stays zero (or becomes 100 when reversed).
    """
    top = max([0, *scores.values()])
    if top == 0:
        return {name: MAX_NODE_SCORE if reverse else score for name, score in scores.items()}
    result: dict[str, int] = {}
    for name, score in scores.items():
        scaled = MAX_NODE_SCORE * score // top
        result[name] = MAX_NODE_SCORE - scaled if reverse else scaled
    return result


def taint_toleration_scores(pod: Manifest, nodes: Sequence[Manifest]) -> dict[str, int]:
    """TaintToleration Score after NormalizeScore, per node name.

    Mirrors ``tainttoleration/taint_toleration.go``: the raw score counts the node's
    PreferNoSchedule taints that none of the pod's tolerations with an empty or
    PreferNoSchedule effect tolerates (``countIntolerableTaintsPreferNoSchedule``); NormalizeScore
    is ``DefaultNormalizeScore(MaxNodeScore, reverse=true)``, so fewer such taints score higher.

    Raises:
        InputError: a malformed manifest.
    """
    pod = require_manifest(pod, "pod")
    by_name = _nodes_by_name(nodes)
    tolerations = [
        t for t in pod_tolerations(pod) if (t.get("effect") or "") in {"", "PreferNoSchedule"}
    ]
    raw: dict[str, int] = {}
    for name, node in by_name.items():
        raw[name] = sum(
            1
            for taint in node_taints(node)
            if taint.effect == "PreferNoSchedule"
            and not tolerations_tolerate_taint(tolerations, taint)
        )
    return default_normalize_score(raw, reverse=True)


def node_affinity_scores(pod: Manifest, nodes: Sequence[Manifest]) -> dict[str, int]:
    """NodeAffinity Score after NormalizeScore, per node name.

    Mirrors ``nodeaffinity/node_affinity.go``: the raw score sums the weights of the preferred
    terms the node matches; NormalizeScore is ``DefaultNormalizeScore(MaxNodeScore,
    reverse=false)``. Returns ``{}`` when the pod has no preferred node affinity (PreScore
    returns Skip); no ``addedAffinity`` is configured in the default profile.

    Raises:
        InputError: a malformed manifest.
    """
    pod = require_manifest(pod, "pod")
    by_name = _nodes_by_name(nodes)
    raw: dict[str, int] = {}
    for name, node in by_name.items():
        score = preferred_node_affinity_score(pod, node)
        if score is None:
            return {}
        raw[name] = score
    return default_normalize_score(raw, reverse=False)


# ----------------------------------------------------------------- the filter pipeline


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
        node = require_manifest(node, "node", "Node")
        if self._all_nodes is None:
            all_nodes = require_manifests(self._nodes, "nodes", "Node")
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
        self, nodes: Sequence[Manifest], scoring_strategy: Mapping[str, Any] | None = None
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
        self, nodes: Sequence[Manifest], resources: Sequence[Mapping[str, Any]] | None = None
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
