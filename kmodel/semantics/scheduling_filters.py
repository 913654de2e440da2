"""kube-scheduler Filter plugins other than NodeResourcesFit.

Mirrors, under ``pkg/scheduler/framework/plugins/`` at kubernetes master after v1.35:
``nodeunschedulable``, ``nodename``, ``tainttoleration``, ``nodeaffinity``, ``nodeports``,
``volumebinding`` (bound volumes only), ``volumezone``, ``podtopologyspread/filtering.go`` and
``interpodaffinity/filtering.go``. Each function returns the plugin's failure reason(s) exactly as
upstream formats them, or ``[]`` when the node passes.

Pods are bound through ``spec.nodeName``. Terminal pods (Succeeded, Failed) are invisible to the
scheduler (its informer filters them out) and are ignored everywhere here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.labels import LabelSelector
from kmodel.objects.types import Manifest
from kmodel.semantics.resources import pod_is_terminal
from kmodel.semantics.scheduling_fields import (
    bool_field,
    int_field,
    list_field,
    mapping_field,
    object_name,
    object_ref,
    require_manifest,
    require_manifests,
    str_field,
    string_map_field,
)
from kmodel.semantics.scheduling_selectors import (
    Taint,
    find_matching_untolerated_taint,
    label_selector,
    node_labels,
    node_matches_node_selector,
    node_taints,
    pod_matches_required_node_affinity,
    pod_tolerations,
    tolerations_tolerate_taint,
)

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_NODE_AFFINITY",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "ERR_REASON_NODE_NAME",
    "ERR_REASON_NODE_PORTS",
    "ERR_REASON_UNSCHEDULABLE",
    "ERR_REASON_VOLUME_NODE_CONFLICT",
    "ERR_REASON_VOLUME_ZONE_CONFLICT",
    "InterPodAffinityState",
    "TopologySpreadState",
    "inter_pod_affinity_check",
    "inter_pod_affinity_failures",
    "inter_pod_affinity_state",
    "node_affinity_failures",
    "node_name_failures",
    "node_ports_failures",
    "node_unschedulable_failures",
    "pod_namespace",
    "pod_topology_spread_failures",
    "pods_by_node",
    "taint_toleration_failures",
    "topology_spread_check",
    "topology_spread_state",
    "volume_binding_failures",
    "volume_zone_failures",
]

ERR_REASON_UNSCHEDULABLE: Final = "node(s) were unschedulable"
ERR_REASON_NODE_NAME: Final = "node(s) didn't match the requested node name"
ERR_REASON_NODE_AFFINITY: Final = "node(s) didn't match Pod's node affinity/selector"
ERR_REASON_NODE_PORTS: Final = "node(s) didn't have free ports for the requested pod ports"
ERR_REASON_VOLUME_NODE_CONFLICT: Final = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST: Final = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
ERR_REASON_UNBOUND_IMMEDIATE: Final = "pod has unbound immediate PersistentVolumeClaims"
ERR_REASON_VOLUME_ZONE_CONFLICT: Final = "node(s) had no available volume zone"
ERR_REASON_CONSTRAINTS_NOT_MATCH: Final = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH: Final = (
    ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"
)
ERR_REASON_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: Final = "node(s) didn't match pod anti-affinity rules"
ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: Final = (
    "node(s) didn't satisfy existing pods anti-affinity rules"
)

_TAINT_NODE_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"
_DEFAULT_BIND_ALL_HOST_IP: Final = "0.0.0.0"  # noqa: S104 - upstream's wildcard, not a bind
_NAMESPACE_NAME_LABEL: Final = "kubernetes.io/metadata.name"
# volume_zone.go topologyLabels, in upstream order.
_ZONE_LABELS: Final = (
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
)
_GA_LABEL: Final = {
    "failure-domain.beta.kubernetes.io/zone": "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region": "topology.kubernetes.io/region",
}


def pod_namespace(pod: Manifest) -> str:
    """``metadata.namespace`` of a pod; a manifest without one lands in ``default``."""
    metadata = mapping_field(pod, "metadata", "metadata", pod)
    return str_field(metadata, "namespace", "metadata.namespace", pod) or "default"


def _pod_labels(pod: Manifest) -> dict[str, str]:
    return node_labels(pod)


def pods_by_node(pods: Sequence[Manifest]) -> dict[str, list[Manifest]]:
    """Group the bound, non-terminal pods by ``spec.nodeName`` (input order kept).

    Raises:
        InputError: a pod is malformed.
    """
    grouped: dict[str, list[Manifest]] = {}
    for pod in require_manifests(pods, "pods"):
        spec = mapping_field(pod, "spec", "spec", pod)
        node_name = str_field(spec, "nodeName", "spec.nodeName", pod)
        if node_name and not pod_is_terminal(pod):
            grouped.setdefault(node_name, []).append(pod)
    return grouped


# ----------------------------------------------------------------- simple node filters


def node_unschedulable_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeUnschedulable Filter.

    Mirrors ``nodeunschedulable/node_unschedulable.go Filter``: a node with
    ``spec.unschedulable`` rejects pods that do not tolerate the
    ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    spec = mapping_field(node, "spec", "spec", node)
    if not bool_field(spec, "unschedulable", "spec.unschedulable", node):
        return []
    taint = Taint(_TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule")
    if tolerations_tolerate_taint(pod_tolerations(pod), taint):
        return []
    return [ERR_REASON_UNSCHEDULABLE]


def node_name_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeName Filter: mirrors ``nodename/node_name.go Fits`` (empty nodeName fits anywhere)."""
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    spec = mapping_field(pod, "spec", "spec", pod)
    wanted = str_field(spec, "nodeName", "spec.nodeName", pod)
    return [] if not wanted or wanted == object_name(node) else [ERR_REASON_NODE_NAME]


def taint_toleration_failures(pod: Manifest, node: Manifest) -> list[str]:
    """TaintToleration Filter.

    Mirrors ``tainttoleration/taint_toleration.go Filter``: the first NoSchedule or NoExecute
    taint (node order) that no toleration tolerates gives
    ``node(s) had untolerated taint {key: value}``; PreferNoSchedule taints are ignored.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    taint = find_matching_untolerated_taint(
        node_taints(node),
        pod_tolerations(pod),
        lambda t: t.effect in {"NoSchedule", "NoExecute"},
    )
    if taint is None:
        return []
    return [f"node(s) had untolerated taint {{{taint.key}: {taint.value}}}"]


def node_affinity_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeAffinity Filter.

    Mirrors ``nodeaffinity/node_affinity.go Filter`` (no ``addedAffinity`` configured):
    ``spec.nodeSelector`` and the required node affinity, via
    :func:`~kmodel.semantics.scheduling_selectors.pod_matches_required_node_affinity`.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    if pod_matches_required_node_affinity(pod, node):
        return []
    return [ERR_REASON_NODE_AFFINITY]


def _host_ports(pod: Manifest) -> list[tuple[str, str, int]]:
    """Mirrors ``schedutil.GetHostPorts``: sidecar then regular container host ports.

    Each as ``(hostIP, protocol, hostPort)`` sanitized as ``HostPortInfo.sanitize`` does.
    """
    spec = mapping_field(pod, "spec", "spec", pod)
    ports: list[tuple[str, str, int]] = []
    for key in ("initContainers", "containers"):
        for i, container in enumerate(list_field(spec, key, f"spec.{key}", pod)):
            path = f"spec.{key}[{i}]"
            if not isinstance(container, Mapping):
                raise InputError("must be a mapping", obj=object_ref(pod), path=path)
            policy = str_field(container, "restartPolicy", f"{path}.restartPolicy", pod)
            if key == "initContainers" and policy != "Always":
                continue
            for j, port in enumerate(list_field(container, "ports", f"{path}.ports", pod)):
                port_path = f"{path}.ports[{j}]"
                if not isinstance(port, Mapping):
                    raise InputError("must be a mapping", obj=object_ref(pod), path=port_path)
                host_port = int_field(port, "hostPort", f"{port_path}.hostPort", pod)
                if host_port <= 0:
                    continue
                ip = str_field(port, "hostIP", f"{port_path}.hostIP", pod)
                protocol = str_field(port, "protocol", f"{port_path}.protocol", pod)
                ports.append((ip or _DEFAULT_BIND_ALL_HOST_IP, protocol or "TCP", host_port))
    return ports


def node_ports_failures(pod: Manifest, pods_on_node: Sequence[Manifest]) -> list[str]:
    """NodePorts Filter.

    Mirrors ``nodeports/node_ports.go fitsPorts`` with ``HostPortInfo.CheckConflict``: a wanted
    ``(protocol, port)`` conflicts with a used one on the same IP, or on any IP when either side
    binds ``0.0.0.0``.
    """
    pod = require_manifest(pod, "pod")
    used: dict[str, set[tuple[str, int]]] = {}
    for existing in pods_on_node:
        if pod_is_terminal(existing):
            continue
        for ip, protocol, port in _host_ports(existing):
            used.setdefault(ip, set()).add((protocol, port))
    for ip, protocol, port in _host_ports(pod):
        wanted = (protocol, port)
        if ip == _DEFAULT_BIND_ALL_HOST_IP:
            conflict = any(wanted in pairs for pairs in used.values())
        else:
            conflict = any(wanted in used.get(k, set()) for k in (_DEFAULT_BIND_ALL_HOST_IP, ip))
        if conflict:
            return [ERR_REASON_NODE_PORTS]
    return []


# ----------------------------------------------------------------- volumes


def _volume_objects(
    volumes: Sequence[Manifest],
) -> tuple[dict[tuple[str, str], Manifest], dict[str, Manifest], dict[str, Manifest]]:
    """Index PVCs by (namespace, name), PVs and StorageClasses by name."""
    claims: dict[tuple[str, str], Manifest] = {}
    pvs: dict[str, Manifest] = {}
    classes: dict[str, Manifest] = {}
    for i, obj in enumerate(require_manifests(volumes, "volumes")):
        kind = obj.get("kind")
        if kind == "PersistentVolumeClaim":
            claims[(pod_namespace(obj), object_name(obj))] = obj
        elif kind == "PersistentVolume":
            pvs[object_name(obj)] = obj
        elif kind == "StorageClass":
            classes[object_name(obj)] = obj
        else:
            raise InputError(
                "must be a PersistentVolumeClaim, PersistentVolume or StorageClass",
                obj=object_ref(obj),
                path=f"volumes[{i}].kind",
            )
    return claims, pvs, classes


def _claim_names(pod: Manifest) -> list[str]:
    """The claim names of the pod's ``persistentVolumeClaim`` volumes, in order."""
    spec = mapping_field(pod, "spec", "spec", pod)
    names: list[str] = []
    for i, volume in enumerate(list_field(spec, "volumes", "spec.volumes", pod)):
        path = f"spec.volumes[{i}]"
        if not isinstance(volume, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        if volume.get("persistentVolumeClaim") is None:
            continue
        claim = mapping_field(volume, "persistentVolumeClaim", f"{path}.persistentVolumeClaim", pod)
        names.append(str_field(claim, "claimName", f"{path}.persistentVolumeClaim.claimName", pod))
    return names


def _claim_class(claim: Manifest) -> str:
    """Mirrors ``storagehelpers.GetPersistentVolumeClaimClass`` (beta annotation first)."""
    metadata = mapping_field(claim, "metadata", "metadata", claim)
    annotations = string_map_field(metadata, "annotations", "metadata.annotations", claim)
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return beta
    spec = mapping_field(claim, "spec", "spec", claim)
    return str_field(spec, "storageClassName", "spec.storageClassName", claim)


def _binding_mode(storage_class: Manifest) -> str:
    """``volumeBindingMode``; the API server defaults an absent one to Immediate."""
    mode = str_field(storage_class, "volumeBindingMode", "volumeBindingMode", storage_class)
    return mode or "Immediate"


def _bound_volumes(pod: Manifest, volumes: Sequence[Manifest]) -> tuple[list[Manifest], list[str]]:
    """Resolve the pod's claims to bound PVs, as VolumeZone's ``getPVbyPod`` does.

    Returns the PVs and, when a claim cannot be resolved, the upstream status message (the pod
    is then unschedulable on every node). Unbound WaitForFirstConsumer claims are skipped.
    """
    claims, pvs, classes = _volume_objects(volumes)
    namespace = pod_namespace(pod)
    bound: list[Manifest] = []
    for claim_name in _claim_names(pod):
        if not claim_name:
            return bound, ["PersistentVolumeClaim had no name"]
        claim = claims.get((namespace, claim_name))
        if claim is None:
            return bound, [f'persistentvolumeclaim "{claim_name}" not found']
        claim_spec = mapping_field(claim, "spec", "spec", claim)
        pv_name = str_field(claim_spec, "volumeName", "spec.volumeName", claim)
        if not pv_name:
            class_name = _claim_class(claim)
            if not class_name:
                return bound, ["PersistentVolumeClaim had no pv name and storageClass name"]
            storage_class = classes.get(class_name)
            if storage_class is None:
                return bound, [f'storageclass.storage.k8s.io "{class_name}" not found']
            if _binding_mode(storage_class) == "WaitForFirstConsumer":
                continue
            return bound, ["PersistentVolume had no name"]
        pv = pvs.get(pv_name)
        if pv is None:
            return bound, [f'persistentvolume "{pv_name}" not found']
        bound.append(pv)
    return bound, []


def volume_zone_failures(pod: Manifest, node: Manifest, volumes: Sequence[Manifest]) -> list[str]:
    """VolumeZone Filter.

    Mirrors ``volumezone/volume_zone.go`` (``getPVbyPod``, ``getPVTopologies``, ``Filter``):
    each bound PV's zone/region labels (values split on ``__``) must hold the node's value for
    the same label (a beta PV label may match the node's GA label). A node with none of the
    four topology labels accepts any volume. Claims that cannot be resolved give upstream's
    PreFilter message instead.

    Args:
        pod: the incoming Pod.
        node: the Node.
        volumes: PersistentVolumeClaim, PersistentVolume and StorageClass manifests.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    spec = mapping_field(pod, "spec", "spec", pod)
    if not list_field(spec, "volumes", "spec.volumes", pod):
        return []
    pvs, errors = _bound_volumes(pod, volumes)
    if errors:
        return errors
    labels = node_labels(node)
    if not any(key in labels for key in _ZONE_LABELS):
        return []
    for pv in pvs:
        pv_labels = node_labels(pv)
        for key in _ZONE_LABELS:
            if key not in pv_labels:
                continue
            zones = pv_labels[key].split("__")
            if any(not zone for zone in zones):
                continue  # LabelZonesToSet error: upstream ignores the label
            have = labels.get(key)
            if have is None:
                have = labels.get(_GA_LABEL.get(key, key))
            if have is None or have not in zones:
                return [ERR_REASON_VOLUME_ZONE_CONFLICT]
    return []


def volume_binding_failures(
    pod: Manifest, node: Manifest, volumes: Sequence[Manifest]
) -> list[str]:
    """VolumeBinding Filter, for already bound claims.

    Mirrors ``volumebinding/binder.go checkBoundClaims`` with
    ``storagehelpers.CheckNodeAffinity``: a bound PV whose ``spec.nodeAffinity.required`` does
    not match the node's labels gives "node(s) had volume node affinity conflict"; a claim bound
    to a missing PV gives upstream's ``ErrReasonPVNotExist``; an unbound Immediate claim gives
    "pod has unbound immediate PersistentVolumeClaims". Unbound WaitForFirstConsumer claims are
    assumed provisionable (dynamic provisioning is not modelled).
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", "Node")
    claims, pvs, classes = _volume_objects(volumes)
    namespace = pod_namespace(pod)
    for claim_name in _claim_names(pod):
        claim = claims.get((namespace, claim_name))
        if claim is None:
            return [f'persistentvolumeclaim "{claim_name}" not found']
        claim_spec = mapping_field(claim, "spec", "spec", claim)
        pv_name = str_field(claim_spec, "volumeName", "spec.volumeName", claim)
        if not pv_name:
            storage_class = classes.get(_claim_class(claim))
            if storage_class is None or _binding_mode(storage_class) != "WaitForFirstConsumer":
                return [ERR_REASON_UNBOUND_IMMEDIATE]
            continue
        pv = pvs.get(pv_name)
        if pv is None:
            return [ERR_REASON_PV_NOT_EXIST]
        pv_spec = mapping_field(pv, "spec", "spec", pv)
        affinity = mapping_field(pv_spec, "nodeAffinity", "spec.nodeAffinity", pv)
        required = affinity.get("required")
        if required is None:
            continue
        if not isinstance(required, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pv), path="spec.nodeAffinity")
        # CheckNodeAffinity builds a node from the labels alone (so matchFields never apply).
        label_only = {"metadata": {"labels": node_labels(node)}}
        if not node_matches_node_selector(required, "spec.nodeAffinity.required", pv, label_only):
            return [ERR_REASON_VOLUME_NODE_CONFLICT]
    return []


# ----------------------------------------------------------------- topology spread


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
    spec = mapping_field(pod, "spec", "spec", pod)
    raw_list = list_field(spec, "topologySpreadConstraints", "spec.topologySpreadConstraints", pod)
    labels = _pod_labels(pod)
    constraints: list[_SpreadConstraint] = []
    for i, raw in enumerate(raw_list):
        path = f"spec.topologySpreadConstraints[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        if str_field(raw, "whenUnsatisfiable", f"{path}.whenUnsatisfiable", pod) != "DoNotSchedule":
            continue
        selector = label_selector(raw.get("labelSelector"), f"{path}.labelSelector", pod)
        keys = list_field(raw, "matchLabelKeys", f"{path}.matchLabelKeys", pod)
        extra = {k: labels[k] for k in keys if isinstance(k, str) and k in labels}
        if extra:
            selector = selector.with_labels(extra)
        max_skew = int_field(raw, "maxSkew", f"{path}.maxSkew", pod)
        if max_skew <= 0:
            raise InputError(
                "must be greater than zero", obj=object_ref(pod), path=f"{path}.maxSkew"
            )
        constraints.append(
            _SpreadConstraint(
                max_skew=max_skew,
                topology_key=str_field(raw, "topologyKey", f"{path}.topologyKey", pod),
                selector=selector,
                min_domains=int_field(raw, "minDomains", f"{path}.minDomains", pod, default=1),
                node_affinity_policy=str_field(
                    raw, "nodeAffinityPolicy", f"{path}.nodeAffinityPolicy", pod
                )
                or "Honor",
                node_taints_policy=str_field(
                    raw, "nodeTaintsPolicy", f"{path}.nodeTaintsPolicy", pod
                )
                or "Ignore",
            )
        )
    return constraints


def _is_deleting(pod: Manifest) -> bool:
    metadata = mapping_field(pod, "metadata", "metadata", pod)
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
            lambda t: t.effect in {"NoSchedule", "NoExecute"},
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
    node = require_manifest(node, "node", "Node")
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
    for other in require_manifests(nodes, "nodes", "Node"):
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


# ----------------------------------------------------------------- inter-pod affinity


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
    spec = mapping_field(pod, "spec", "spec", pod)
    affinity = mapping_field(spec, "affinity", "spec.affinity", pod)
    section = mapping_field(affinity, kind, f"spec.affinity.{kind}", pod)
    path = f"spec.affinity.{kind}.requiredDuringSchedulingIgnoredDuringExecution"
    raw_terms = list_field(section, "requiredDuringSchedulingIgnoredDuringExecution", path, pod)
    terms: list[_AffinityTerm] = []
    for i, raw in enumerate(raw_terms):
        term_path = f"{path}[{i}]"
        if not isinstance(raw, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=term_path)
        names = list_field(raw, "namespaces", f"{term_path}.namespaces", pod)
        ns_raw: Any = raw.get("namespaceSelector")
        if not names and ns_raw is None:
            names = [pod_namespace(pod)]
        terms.append(
            _AffinityTerm(
                namespaces=frozenset(str(n) for n in names),
                namespace_selector=label_selector(ns_raw, f"{term_path}.namespaceSelector", pod),
                selector=label_selector(
                    raw.get("labelSelector"), f"{term_path}.labelSelector", pod
                ),
                topology_key=str_field(raw, "topologyKey", f"{term_path}.topologyKey", pod),
            )
        )
    return terms


def _namespace_labels(namespaces: Sequence[Manifest]) -> dict[str, dict[str, str]]:
    """Labels per namespace; the API server always sets ``kubernetes.io/metadata.name``."""
    result: dict[str, dict[str, str]] = {}
    for namespace in require_manifests(namespaces, "namespaces", "Namespace"):
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
    node = require_manifest(node, "node", "Node")
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
    for other in require_manifests(nodes, "nodes", "Node"):
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
