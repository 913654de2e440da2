"""kube-scheduler VolumeZone.

Mirrors ``pkg/scheduler/framework/plugins/volumezone/volume_zone.go`` at kubernetes master after
v1.35.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from kmodel.objects.fields import (
    list_field,
    mapping_field,
    require_manifest,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.objects import node_labels
from kmodel.semantics.scheduling.volumebinding import _bound_volumes

__all__ = ["ERR_REASON_VOLUME_ZONE_CONFLICT", "volume_zone_failures"]


ERR_REASON_VOLUME_ZONE_CONFLICT: Final = "node(s) had no available volume zone"
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
    node = require_manifest(node, "node", kind="Node")
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    if not list_field(spec, "volumes", "spec.volumes", obj=pod):
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
