"""The Deployment controller's pod lookup.

Mirrors ``pkg/controller/deployment/deployment_controller.go`` (``getPodMapForDeployment``).
"""

from __future__ import annotations

from collections.abc import Iterable

from kmodel.objects.fields import read_path as _get
from kmodel.objects.labels import label_selector_as_selector, labels_of
from kmodel.objects.types import Manifest
from kmodel.semantics.replicaset import controller_ref

__all__ = ["get_pod_map_for_deployment"]


def get_pod_map_for_deployment(
    d: Manifest, rss: Iterable[Manifest], pods: Iterable[Manifest]
) -> dict[str, list[Manifest]]:
    """The Deployment's pods grouped by the UID of the ReplicaSet that controls them.

    Mirrors deployment_controller.go ``getPodMapForDeployment``: of ``pods`` (the Deployment's
    namespace), those its ``spec.selector`` matches, grouped by their controller reference's UID
    when that UID is one of ``rss``; every ReplicaSet has an entry, empty or not. Pods without
    a controller, or controlled by something else, are left out; inactive pods (terminal,
    terminating) are kept, since Recreate must see them.

    Raises:
        InputError: a malformed selector, labels or owner references.
    """
    selector = label_selector_as_selector(_get(d, "spec.selector"), path="spec.selector")
    pod_map: dict[str, list[Manifest]] = {str(_get(rs, "metadata.uid")): [] for rs in rss}
    for pod in pods:
        if not selector.matches(labels_of(pod)):
            continue
        ref = controller_ref(pod)
        if ref is None:
            continue
        group = pod_map.get(str(ref.get("uid")))
        if group is not None:
            group.append(pod)
    return pod_map
