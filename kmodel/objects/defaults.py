"""API-server defaulting for the fields the model reads.

A manifest applied with ``kubectl apply`` is defaulted by the API server before anyone sees it;
these functions do the same so the model sees what the cluster would store.
"""

from __future__ import annotations

import copy
from typing import Any

from kmodel.objects.types import Manifest

__all__ = ["default_pod"]


def default_pod(pod: Manifest) -> dict[str, Any]:
    """Return a copy of a Pod with the defaults the model relies on.

    Mirrors ``pkg/apis/core/v1/defaults.go SetDefaults_PodSpec`` for ``restartPolicy``
    (``Always`` when unset), and ``SetDefaults_Pod`` for ``metadata.namespace`` (``default``,
    the namespace ``kubectl`` fills in). Other defaults do not change what the model computes.
    """
    result: dict[str, Any] = copy.deepcopy(dict(pod))
    spec = result.setdefault("spec", {})
    if isinstance(spec, dict) and not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    metadata = result.setdefault("metadata", {})
    if isinstance(metadata, dict) and not metadata.get("namespace"):
        metadata["namespace"] = "default"
    return result
