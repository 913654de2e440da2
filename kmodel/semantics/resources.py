"""Pod resource requests and node resource totals, as the kube-scheduler computes them.

Mirrors ``staging/src/k8s.io/component-helpers/resource/helpers.go`` (``PodRequests``,
``AggregateContainerRequests``, ``applyNonMissing``, ``IsPodLevelRequestsSet``),
``pkg/scheduler/framework/types.go`` (``Resource.Add``, ``PodInfo.CalculateResource``,
``getNonMissingContainerRequests``, ``NodeInfo.update``) and
``pkg/apis/core/v1/helper/helpers.go`` (the resource name classes), at kubernetes master after
v1.35. ``k8s-semantics.md`` section 6.1 holds the rules.

Units: cpu in millicores, every other resource in whole units, as the scheduler's
``framework.Resource`` holds them. Quantities are summed exactly inside one pod and converted once,
as upstream adds ``resource.Quantity`` values before ``MilliValue``/``Value``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.fields import (
    list_field,
    mapping_field,
    object_ref,
    require_manifest,
    require_manifests,
    str_field,
)
from kmodel.objects.quantity import milli_value, parse_quantity, value
from kmodel.objects.types import Manifest

__all__ = [
    "CPU",
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "EPHEMERAL_STORAGE",
    "MEMORY",
    "PODS",
    "NodeUsage",
    "is_extended_resource_name",
    "is_scalar_resource_name",
    "node_allocatable",
    "node_usage",
    "pod_is_terminal",
    "pod_requests",
]

CPU: Final = "cpu"
MEMORY: Final = "memory"
EPHEMERAL_STORAGE: Final = "ephemeral-storage"
PODS: Final = "pods"

#: ``schedutil.DefaultMilliCPURequest`` (pkg/scheduler/util/pod_resources.go): 0.1 core.
DEFAULT_MILLI_CPU_REQUEST: Final = 100
#: ``schedutil.DefaultMemoryRequest``: 200 MiB.
DEFAULT_MEMORY_REQUEST: Final = 200 * 1024 * 1024

_NON_MISSING_DEFAULTS: Final[Mapping[str, Fraction]] = {
    CPU: Fraction(DEFAULT_MILLI_CPU_REQUEST, 1000),
    MEMORY: Fraction(DEFAULT_MEMORY_REQUEST),
}
# IsSupportedPodLevelResource: the resources pod-level requests may set.
_POD_LEVEL_RESOURCES: Final = frozenset({CPU, MEMORY})
_TERMINAL_PHASES: Final = frozenset({"Succeeded", "Failed"})

# k8s.io/apimachinery/pkg/util/validation: IsQualifiedName pieces.
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)


def _is_qualified_name(name: str) -> bool:
    """Mirrors ``validation.IsQualifiedName`` (apimachinery/pkg/util/validation)."""
    parts = name.split("/")
    if len(parts) == 1:
        local = parts[0]
    elif len(parts) == 2:  # prefix/name
        prefix, local = parts
        if not prefix or len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix):
            return False
    else:
        return False
    return 0 < len(local) <= 63 and bool(_QUALIFIED_NAME.match(local))


def _is_prefixed_native_resource(name: str) -> bool:
    """Mirrors ``v1helper.IsPrefixedNativeResource``: the name contains ``kubernetes.io/``."""
    return "kubernetes.io/" in name


def _is_native_resource(name: str) -> bool:
    """Mirrors ``v1helper.IsNativeResource``: unprefixed, or prefixed with ``kubernetes.io/``."""
    return "/" not in name or _is_prefixed_native_resource(name)


def is_extended_resource_name(name: str) -> bool:
    """Whether ``name`` is an extended resource (``example.com/gpu``).

    Mirrors ``pkg/apis/core/v1/helper/helpers.go IsExtendedResourceName``: not native, not
    prefixed with ``requests.``, and ``requests.<name>`` is a qualified name.
    """
    if _is_native_resource(name) or name.startswith("requests."):
        return False
    return _is_qualified_name("requests." + name)


def is_scalar_resource_name(name: str) -> bool:
    """Whether the scheduler tracks ``name`` as a scalar resource.

    Mirrors ``pkg/scheduler/util/utils.go IsScalarResourceName``: extended resources,
    ``hugepages-*``, ``kubernetes.io/*`` prefixed native resources and ``attachable-volumes-*``.
    """
    return (
        is_extended_resource_name(name)
        or name.startswith(("hugepages-", "attachable-volumes-"))
        or _is_prefixed_native_resource(name)
    )


@functools.lru_cache(maxsize=4096)
def _to_units(resource: str, amount: Fraction) -> int:
    """``Quantity.MilliValue`` for cpu, ``Quantity.Value`` otherwise (``Resource.Add``).

    Cached: a pure function of immutable values, and a handful of amounts recur endlessly.
    """
    return milli_value(amount) if resource == CPU else value(amount)


def _resource_list(raw: object, path: str, obj: Manifest) -> dict[str, Fraction]:
    """Parse a ``v1.ResourceList``; absent gives ``{}``. Requests must not be negative."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InputError(
            f"must be a mapping of resource names to quantities, not {type(raw).__name__}",
            obj=object_ref(obj),
            path=path,
        )
    result: dict[str, Fraction] = {}
    for name, quantity in raw.items():
        if not isinstance(name, str) or not name:
            raise InputError(
                f"resource name must be a non-empty string, not {name!r}",
                obj=object_ref(obj),
                path=path,
            )
        try:
            amount = parse_quantity(quantity)
        except InputError as exc:
            raise exc.located(obj=object_ref(obj), path_prefix=f"{path}.{name}") from None
        if amount < 0:
            raise InputError(
                "must be greater than or equal to 0", obj=object_ref(obj), path=f"{path}.{name}"
            )
        result[name] = amount
    return result


def _container_requests(
    container: Mapping[str, Any], path: str, pod: Manifest
) -> dict[str, Fraction]:
    """A container's requests after the API server's defaulting from limits.

    Mirrors ``pkg/apis/core/v1/defaults.go SetDefaults_Pod``: a resource with a limit and no
    request is requested at its limit. Applying it here makes a manifest as written and the same
    pod as stored (already defaulted) give the same answer.
    """
    resources = mapping_field(container, "resources", f"{path}.resources", obj=pod)
    requests = _resource_list(resources.get("requests"), f"{path}.resources.requests", pod)
    limits = _resource_list(resources.get("limits"), f"{path}.resources.limits", pod)
    for name, amount in limits.items():
        requests.setdefault(name, amount)
    return requests


def _apply_non_missing(
    requests: dict[str, Fraction], non_missing: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """Mirrors ``applyNonMissing``: add the default for each resource the container omits."""
    defaults = {name: amount for name, amount in non_missing.items() if name not in requests}
    return {**requests, **defaults}


def _add(total: dict[str, Fraction], more: Mapping[str, Fraction]) -> None:
    for name, amount in more.items():
        total[name] = total.get(name, Fraction(0)) + amount


def _take_max(total: dict[str, Fraction], other: Mapping[str, Fraction]) -> None:
    for name, amount in other.items():
        if name not in total or amount > total[name]:
            total[name] = amount


def _containers(pod: Manifest, key: str) -> list[Mapping[str, Any]]:
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    containers = list_field(spec, key, f"spec.{key}", obj=pod)
    for i, container in enumerate(containers):
        if not isinstance(container, Mapping):
            raise InputError(
                f"must be a mapping, not {type(container).__name__}",
                obj=object_ref(pod),
                path=f"spec.{key}[{i}]",
            )
    return containers


def _aggregate_container_requests(
    pod: Manifest, non_missing: Mapping[str, Fraction]
) -> dict[str, Fraction]:
    """Mirrors ``AggregateContainerRequests`` (UseStatusResources off: the pod is not resized)."""
    total: dict[str, Fraction] = {}
    for i, container in enumerate(_containers(pod, "containers")):
        requests = _container_requests(container, f"spec.containers[{i}]", pod)
        _add(total, _apply_non_missing(requests, non_missing))

    # InitContainerUse(i) = sum(sidecars before i) + init container i; a sidecar also runs
    # alongside the regular containers, so it adds to the total as well.
    sidecars: dict[str, Fraction] = {}
    init_max: dict[str, Fraction] = {}
    for i, container in enumerate(_containers(pod, "initContainers")):
        path = f"spec.initContainers[{i}]"
        requests = _apply_non_missing(_container_requests(container, path, pod), non_missing)
        restart_policy = str_field(container, "restartPolicy", f"{path}.restartPolicy", obj=pod)
        if restart_policy == "Always":
            _add(total, requests)
            _add(sidecars, requests)
            term = dict(sidecars)
        else:
            term = dict(requests)
            _add(term, sidecars)
        _take_max(init_max, term)
    _take_max(total, init_max)
    return total


def _pod_level_requests(pod: Manifest) -> dict[str, Fraction]:
    """The supported pod-level requests (``spec.resources.requests``: cpu and memory).

    Mirrors ``IsPodLevelRequestsSet`` / ``IsSupportedPodLevelResource`` with the
    PodLevelResources gate on (its default since v1.34), after ``defaultPodRequests``
    (pkg/apis/core/v1/defaults.go): a pod-level limit without a pod-level request defaults the
    request to the containers' effective request when some container requests that resource,
    and to the limit otherwise.
    """
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    resources = mapping_field(spec, "resources", "spec.resources", obj=pod)
    requests = _resource_list(resources.get("requests"), "spec.resources.requests", pod)
    limits = _resource_list(resources.get("limits"), "spec.resources.limits", pod)
    missing = [name for name in limits if name in _POD_LEVEL_RESOURCES and name not in requests]
    if missing:
        containers = _aggregate_container_requests(pod, {})
        for name in missing:
            requests[name] = containers.get(name, limits[name])
    return {name: amount for name, amount in requests.items() if name in _POD_LEVEL_RESOURCES}


def _plain_resource_list(raw: object) -> tuple[tuple[str, type, object], ...] | None:
    """A hashable copy of a plain resource list (str names, scalar quantities), else None."""
    if raw is None:
        return ()
    if type(raw) is not dict:
        return None
    items = []
    for name, quantity in raw.items():
        if type(name) is not str or type(quantity) not in _PLAIN_QUANTITY_TYPES:
            return None
        items.append((name, type(quantity), quantity))
    return tuple(items)


def _plain_resources(holder: object) -> tuple[object, ...] | None:
    """``resources.requests`` and ``resources.limits`` of a container or pod spec, if plain."""
    if type(holder) is not dict:
        return None
    resources = holder.get("resources")
    if resources is None:
        return ((), ())
    if type(resources) is not dict:
        return None
    return (
        _plain_resource_list(resources.get("requests")),
        _plain_resource_list(resources.get("limits")),
    )


def _requests_signature(pod: Manifest) -> tuple[object, ...] | None:
    """Everything :func:`_pod_request_amounts` reads of a pod, as a hashable value.

    That is each container's and init container's requests and limits, each init container's
    ``restartPolicy``, the pod-level requests and limits, and ``spec.overhead``. None when any
    of it is not plain JSON data (then the uncached path validates and reports the error).
    """
    spec = pod.get("spec") if type(pod) is dict else None
    if type(spec) is not dict:
        return None
    parts: list[object] = []
    for key in ("containers", "initContainers"):
        containers = spec.get(key)
        if containers is None:
            containers = []
        if type(containers) is not list:
            return None
        for container in containers:
            resources = _plain_resources(container)
            policy = container.get("restartPolicy") if type(container) is dict else None
            if resources is None or None in resources or type(policy) not in {str, type(None)}:
                return None
            parts.append((key, resources, policy))
    pod_level = _plain_resources(spec)
    overhead = _plain_resource_list(spec.get("overhead"))
    if pod_level is None or None in pod_level or overhead is None:
        return None
    parts.append((pod_level, overhead))
    return tuple(parts)


#: Types of quantities a signature may hold (strings, as manifests spell them, and numbers).
_PLAIN_QUANTITY_TYPES: Final = frozenset({str, int, float})
#: Memoised :func:`_pod_request_amounts` results by pod signature and options. Pods of one
#: workload share a signature, and the scheduler sums every pod on every node per cycle.
_REQUEST_AMOUNTS: dict[tuple[object, ...], dict[str, Fraction]] = {}
_REQUEST_AMOUNTS_LIMIT: Final = 4096


def _pod_request_amounts(
    pod: Manifest, non_missing: Mapping[str, Fraction], *, exclude_overhead: bool = False
) -> dict[str, Fraction]:
    """Mirrors ``PodRequests``: containers, init containers, pod-level requests, overhead.

    Results are memoised by the content they depend on (see :func:`_requests_signature`):
    amounts are immutable Fractions, and every caller gets a fresh dict.
    """
    signature = _requests_signature(pod)
    if signature is None:
        return _compute_pod_request_amounts(pod, non_missing, exclude_overhead=exclude_overhead)
    key = (signature, tuple(non_missing.items()), exclude_overhead)
    cached = _REQUEST_AMOUNTS.get(key)
    if cached is None:
        cached = _compute_pod_request_amounts(pod, non_missing, exclude_overhead=exclude_overhead)
        if len(_REQUEST_AMOUNTS) >= _REQUEST_AMOUNTS_LIMIT:
            _REQUEST_AMOUNTS.clear()
        _REQUEST_AMOUNTS[key] = cached
    return dict(cached)


def _compute_pod_request_amounts(
    pod: Manifest, non_missing: Mapping[str, Fraction], *, exclude_overhead: bool = False
) -> dict[str, Fraction]:
    total = _aggregate_container_requests(pod, non_missing)
    total.update(_pod_level_requests(pod))
    if not exclude_overhead:
        spec = mapping_field(pod, "spec", "spec", obj=pod)
        _add(total, _resource_list(spec.get("overhead"), "spec.overhead", pod))
    return total


def pod_requests(
    pod: Manifest, *, non_missing: bool = False, exclude_overhead: bool = False
) -> dict[str, int]:
    """The pod's effective resource requests, per resource name.

    Mirrors ``component-helpers/resource/helpers.go PodRequests``: the regular containers' sum;
    each init container's term (a sidecar's is the running sum of sidecars so far, a regular init
    container's is its own request plus the sidecars before it), with sidecars also added to
    the sum; the per-resource maximum of the two; pod-level cpu and memory requests replacing the
    container aggregate; then ``spec.overhead`` added.

    Container requests default to their limits first, as ``SetDefaults_Pod`` does.

    Args:
        pod: a Pod manifest.
        non_missing: the scoring variant (``NonMissingContainerRequests``): every container,
            init containers included, that omits a cpu or memory request counts as requesting
            100m cpu and 200Mi memory. An explicit ``0`` is kept.
        exclude_overhead: leave ``spec.overhead`` out (``PodResourcesOptions.ExcludeOverhead``).

    Returns:
        Every resource the pod names (zero-valued ones included), cpu in millicores, the others
        in whole units.

    Raises:
        InputError: the pod or one of its resource lists is malformed.
    """
    pod = require_manifest(pod, "pod")
    defaults = _NON_MISSING_DEFAULTS if non_missing else {}
    amounts = _pod_request_amounts(pod, defaults, exclude_overhead=exclude_overhead)
    return {name: _to_units(name, amount) for name, amount in amounts.items()}


def _non_zero_cpu_memory(pod: Manifest) -> tuple[int, int]:
    """The cpu and memory a pod adds to ``NodeInfo.NonZeroRequested``.

    Mirrors ``PodInfo.CalculateResource`` with ``getNonMissingContainerRequests``: without
    pod-level requests every container gets the defaults; with them, a default is used only for
    a resource that neither the containers nor the pod level request.
    """
    plain = _pod_request_amounts(pod, {})
    if _pod_level_requests(pod):
        defaults = {k: v for k, v in _NON_MISSING_DEFAULTS.items() if k not in plain}
    else:
        defaults = dict(_NON_MISSING_DEFAULTS)
    amounts = _pod_request_amounts(pod, defaults) if defaults else plain
    return (
        _to_units(CPU, amounts.get(CPU, Fraction(0))),
        _to_units(MEMORY, amounts.get(MEMORY, Fraction(0))),
    )


def node_allocatable(node: Manifest) -> dict[str, int]:
    """The node's allocatable resources, in model units, with ``pods`` as a whole number.

    Mirrors ``NodeInfo.SetNode`` (``NewResource(node.Status.Allocatable)``): the scheduler reads
    ``status.allocatable`` only, never ``status.capacity``; a node without allocatable has room
    for nothing (not even one pod). The API server defaults an absent allocatable to capacity
    when it stores the Node (``kmodel.objects.defaults.set_defaults_node``). Only the resources
    ``Resource.Add`` keeps are returned (cpu, memory, ephemeral-storage, pods and scalar
    resources).

    Raises:
        InputError: the node or its allocatable list is malformed.
    """
    node = require_manifest(node, "node", kind="Node")
    status = mapping_field(node, "status", "status", obj=node)
    amounts = _resource_list(status.get("allocatable"), "status.allocatable", node)
    return {
        name: _to_units(name, amount)
        for name, amount in amounts.items()
        if name in {CPU, MEMORY, EPHEMERAL_STORAGE, PODS} or is_scalar_resource_name(name)
    }


def pod_is_terminal(pod: Manifest) -> bool:
    """Whether the pod's phase is Succeeded or Failed.

    The scheduler's pod informer drops such pods (``status.phase!=Succeeded,status.phase!=Failed``
    in ``pkg/scheduler/scheduler.go newPodInformer``), so they use no node resources.
    """
    status = mapping_field(pod, "status", "status", obj=pod)
    return str_field(status, "phase", "status.phase", obj=pod) in _TERMINAL_PHASES


@dataclass(frozen=True)
class NodeUsage:
    """What the pods already on a node use, as ``NodeInfo`` aggregates it.

    Attributes:
        pod_count: ``len(NodeInfo.Pods)``.
        requested: ``NodeInfo.Requested``: the actual sums (cpu, memory, ephemeral-storage and
            scalar resources).
        non_zero_cpu: ``NodeInfo.NonZeroRequested.MilliCPU`` (missing requests count as 100m).
        non_zero_memory: ``NodeInfo.NonZeroRequested.Memory`` (missing requests count as 200Mi).
    """

    pod_count: int = 0
    requested: dict[str, int] = field(default_factory=dict)
    non_zero_cpu: int = 0
    non_zero_memory: int = 0


def node_usage(pods_on_node: Sequence[Manifest]) -> NodeUsage:
    """Aggregate the pods bound to one node.

    Mirrors ``NodeInfo.AddPod`` / ``NodeInfo.update``: each pod's requests are converted to
    units (``Resource.Add``) and summed. Terminal pods are skipped (see :func:`pod_is_terminal`).

    Raises:
        InputError: a pod is malformed.
    """
    pods = require_manifests(pods_on_node, "pods_on_node")
    requested: dict[str, int] = {}
    count = non_zero_cpu = non_zero_memory = 0
    for pod in pods:
        if pod_is_terminal(pod):
            continue
        count += 1
        units, cpu, memory = _pod_usage(pod)
        for name, amount in units:
            requested[name] = requested.get(name, 0) + amount
        non_zero_cpu += cpu
        non_zero_memory += memory
    return NodeUsage(count, requested, non_zero_cpu, non_zero_memory)


#: :func:`_pod_usage` results by pod signature (see :func:`_requests_signature`).
_POD_USAGE: dict[tuple[object, ...], tuple[tuple[tuple[str, int], ...], int, int]] = {}


def _pod_usage(pod: Manifest) -> tuple[tuple[tuple[str, int], ...], int, int]:
    """What one pod adds to ``NodeInfo``: requested units (in order), non-zero cpu and memory.

    Memoised by the content it reads, as :func:`_pod_request_amounts` is; computed (and any
    error raised) exactly as :func:`node_usage` did inline.
    """
    signature = _requests_signature(pod)
    if signature is not None:
        cached = _POD_USAGE.get(signature)
        if cached is not None:
            return cached
    units = tuple(
        (name, _to_units(name, amount))
        for name, amount in _pod_request_amounts(pod, {}).items()
        if name in {CPU, MEMORY, EPHEMERAL_STORAGE} or is_scalar_resource_name(name)
    )
    cpu, memory = _non_zero_cpu_memory(pod)
    usage = (units, cpu, memory)
    if signature is not None:
        if len(_POD_USAGE) >= _REQUEST_AMOUNTS_LIMIT:
            _POD_USAGE.clear()
        _POD_USAGE[signature] = usage
    return usage
