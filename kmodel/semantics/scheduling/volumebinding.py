"""kube-scheduler VolumeBinding, for volumes bound before scheduling.

Mirrors ``pkg/scheduler/framework/plugins/volumebinding/`` (``binder.go`` FindPodVolumes for
bound claims, the PreFilter's unbound-immediate check) at kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from kmodel.errors import InputError
from kmodel.objects.fields import (
    list_field,
    mapping_field,
    object_name,
    object_ref,
    require_manifest,
    require_manifests,
    str_field,
    string_map_field,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.nodeaffinity import node_matches_node_selector
from kmodel.semantics.scheduling.objects import node_labels, pod_namespace

__all__ = [
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_REASON_UNBOUND_IMMEDIATE",
    "ERR_REASON_VOLUME_NODE_CONFLICT",
    "volume_binding_failures",
]


ERR_REASON_VOLUME_NODE_CONFLICT: Final = "node(s) had volume node affinity conflict"
ERR_REASON_PV_NOT_EXIST: Final = (
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
)
ERR_REASON_UNBOUND_IMMEDIATE: Final = "pod has unbound immediate PersistentVolumeClaims"


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
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    names: list[str] = []
    for i, volume in enumerate(list_field(spec, "volumes", "spec.volumes", obj=pod)):
        path = f"spec.volumes[{i}]"
        if not isinstance(volume, Mapping):
            raise InputError("must be a mapping", obj=object_ref(pod), path=path)
        if volume.get("persistentVolumeClaim") is None:
            continue
        claim = mapping_field(
            volume, "persistentVolumeClaim", f"{path}.persistentVolumeClaim", obj=pod
        )
        names.append(
            str_field(claim, "claimName", f"{path}.persistentVolumeClaim.claimName", obj=pod)
        )
    return names


def _claim_class(claim: Manifest) -> str:
    """Mirrors ``storagehelpers.GetPersistentVolumeClaimClass`` (beta annotation first)."""
    metadata = mapping_field(claim, "metadata", "metadata", obj=claim)
    annotations = string_map_field(metadata, "annotations", "metadata.annotations", obj=claim)
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    if beta is not None:
        return beta
    spec = mapping_field(claim, "spec", "spec", obj=claim)
    return str_field(spec, "storageClassName", "spec.storageClassName", obj=claim)


def _binding_mode(storage_class: Manifest) -> str:
    """``volumeBindingMode``; the API server defaults an absent one to Immediate."""
    mode = str_field(storage_class, "volumeBindingMode", "volumeBindingMode", obj=storage_class)
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
        claim_spec = mapping_field(claim, "spec", "spec", obj=claim)
        pv_name = str_field(claim_spec, "volumeName", "spec.volumeName", obj=claim)
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
    node = require_manifest(node, "node", kind="Node")
    claims, pvs, classes = _volume_objects(volumes)
    namespace = pod_namespace(pod)
    for claim_name in _claim_names(pod):
        claim = claims.get((namespace, claim_name))
        if claim is None:
            return [f'persistentvolumeclaim "{claim_name}" not found']
        claim_spec = mapping_field(claim, "spec", "spec", obj=claim)
        pv_name = str_field(claim_spec, "volumeName", "spec.volumeName", obj=claim)
        if not pv_name:
            storage_class = classes.get(_claim_class(claim))
            if storage_class is None or _binding_mode(storage_class) != "WaitForFirstConsumer":
                return [ERR_REASON_UNBOUND_IMMEDIATE]
            continue
        pv = pvs.get(pv_name)
        if pv is None:
            return [ERR_REASON_PV_NOT_EXIST]
        pv_spec = mapping_field(pv, "spec", "spec", obj=pv)
        affinity = mapping_field(pv_spec, "nodeAffinity", "spec.nodeAffinity", obj=pv)
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
