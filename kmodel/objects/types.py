"""Shapes of Kubernetes bodies, typed with the API's own camelCase keys.

Inputs are plain dicts as ``yaml.safe_load`` gives them (a manifest, or what ``kubectl get -o
yaml`` prints), so functions take :data:`Manifest`; the TypedDicts below document and type the
bodies kmodel builds and returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict

__all__ = ["ConditionStatus", "Manifest", "PodCondition", "PodPhase"]

#: A Kubernetes object or sub-object as loaded from YAML or JSON.
Manifest = Mapping[str, Any]

PodPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"]
ConditionStatus = Literal["True", "False", "Unknown"]


class PodCondition(TypedDict):
    """A ``v1.PodCondition`` as the kubelet writes it (times omitted: the model has no clock)."""

    type: str
    status: ConditionStatus
    reason: str
    message: str
