"""Controller expectations shared by the DaemonSet and Job controllers.

Mirrors ``pkg/controller/controller_utils.go`` ``ControllerExpectations.SatisfiedExpectations``:
a controller acts again only once its cache has seen every pod it created and deleted, or once
the expectations expired (5 minutes, ``ExpectationsTimeout``).
"""

from __future__ import annotations

from typing import Final

from kmodel.cluster.model import Cluster

EXPECTATIONS_TIMEOUT: Final = 300


def expectations_satisfied(cluster: Cluster, component: str, key: str, namespace: str) -> bool:
    """``SatisfiedExpectations`` for the record ``key`` in ``component``'s memory."""
    record = cluster.memory[component].get(key)
    if record is None or cluster.now - record["at"] > EXPECTATIONS_TIMEOUT:
        return True
    view = cluster.view(component)
    if any(view.get(("Pod", namespace, name)) is None for name in record["adds"]):
        return False
    live = {
        p["metadata"]["uid"]
        for p in view.list_objects("Pod", namespace=namespace)
        if p["metadata"].get("deletionTimestamp") is None
    }
    return not any(uid in live for uid in record["dels"])
