"""The PersistentVolume controller: binds claims to volumes.

Mirrors ``pkg/controller/volume/persistentvolume/pv_controller.go syncUnboundClaim`` with
``findBestMatchForClaim`` (``index.go``): the smallest Available volume of the claim's storage
class whose capacity covers the request and whose access modes include the claim's. Binding sets
``pv.spec.claimRef`` and ``pvc.spec.volumeName``, and both phases to ``Bound``. A zonal volume
(node affinity on ``topology.kubernetes.io/zone``) then pins the claim's pods to that zone
through the scheduler's VolumeBinding and VolumeZone filters.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.model import Cluster
from kmodel.objects.fields import list_at, read_path, str_at
from kmodel.objects.quantity import quantity_in_model_units

__all__ = ["BindVolume", "best_volume", "storage_actions"]


def _storage(obj: Mapping[str, Any], dotted: str) -> int:
    value = read_path(obj, dotted)
    return quantity_in_model_units("storage", value) if value is not None else 0


def best_volume(
    claim: Mapping[str, Any], volumes: list[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """``findBestMatchForClaim``: the smallest matching Available volume, by name on ties."""
    request = _storage(claim, "spec.resources.requests.storage")
    modes = set(list_at(claim, "spec.accessModes"))
    storage_class = str_at(claim, "spec.storageClassName")
    candidates = []
    for volume in volumes:
        if read_path(volume, "spec.claimRef") or read_path(volume, "status.phase") not in {
            None,
            "Available",
        }:
            continue
        if str_at(volume, "spec.storageClassName") != storage_class:
            continue
        if not modes <= set(list_at(volume, "spec.accessModes")):
            continue
        capacity = _storage(volume, "spec.capacity.storage")
        if capacity < request:
            continue
        candidates.append((capacity, volume["metadata"]["name"], volume))
    return min(candidates, key=lambda c: c[:2])[2] if candidates else None


@register
@dataclass(frozen=True)
class BindVolume(Action):
    """The PV controller binds a claim to its best matching volume."""

    name: ClassVar[str] = "bind-volume"
    namespace: str
    claim: str

    def describe(self) -> str:
        """In words."""
        return f"volume controller binds claim {self.namespace}/{self.claim}"

    def apply(self, cluster: Cluster) -> None:
        """Bind both sides (volume first, as upstream does)."""
        view = cluster.view("volume")
        claim = view.get(("PersistentVolumeClaim", self.namespace, self.claim))
        if claim is None or str_at(claim, "spec.volumeName"):
            return
        volume = best_volume(claim, list(view.list_objects("PersistentVolume")))
        if volume is None:
            return
        pv = copy.deepcopy(dict(volume))
        pv["spec"]["claimRef"] = {
            "kind": "PersistentVolumeClaim",
            "namespace": self.namespace,
            "name": self.claim,
            "uid": claim["metadata"]["uid"],
        }
        pv.setdefault("status", {})["phase"] = "Bound"
        if cluster.update(pv) is None:
            return
        pvc = copy.deepcopy(dict(claim))
        pvc["spec"]["volumeName"] = volume["metadata"]["name"]
        pvc.setdefault("status", {})["phase"] = "Bound"
        cluster.update(pvc)


def storage_actions(cluster: Cluster) -> list[Action]:
    """Claims that could be bound now."""
    view = cluster.view("volume")
    key = ("storage", view.versions("PersistentVolumeClaim", "PersistentVolume"))
    return list(cluster.memo(key, lambda: _storage_actions(cluster)))


def _storage_actions(cluster: Cluster) -> list[Action]:
    view = cluster.view("volume")
    volumes = list(view.list_objects("PersistentVolume"))
    return [
        BindVolume(c["metadata"]["namespace"], c["metadata"]["name"])
        for c in view.list_objects("PersistentVolumeClaim")
        if not str_at(c, "spec.volumeName") and best_volume(c, volumes) is not None
    ]
