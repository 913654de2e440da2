"""What every plugin reads of pods and nodes: namespaces, labels, selectors, pods by node.

Pods are bound through ``spec.nodeName``. Terminal pods (Succeeded, Failed) are invisible to the
scheduler (its informer filters them out) and are left out of :func:`pods_by_node`.
"""

from __future__ import annotations

from collections.abc import Sequence

from kmodel.errors import InputError
from kmodel.objects.fields import (
    mapping_field,
    object_name,
    object_ref,
    require_manifests,
    str_field,
    string_map_field,
)
from kmodel.objects.labels import (
    LabelSelector,
    label_selector_as_selector,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.resources import (
    pod_is_terminal,
)

__all__ = ["label_selector", "node_labels", "pod_namespace", "pods_by_node"]


def _nodes_by_name(nodes: Sequence[Manifest]) -> dict[str, Manifest]:
    checked = require_manifests(nodes, "nodes", kind="Node")
    by_name: dict[str, Manifest] = {}
    for i, node in enumerate(checked):
        name = object_name(node)
        if name in by_name:
            raise InputError(f'duplicate node name "{name}"', path=f"nodes[{i}].metadata.name")
        by_name[name] = node
    return by_name


def pod_namespace(pod: Manifest) -> str:
    """``metadata.namespace`` of a pod; a manifest without one lands in ``default``."""
    metadata = mapping_field(pod, "metadata", "metadata", obj=pod)
    return str_field(metadata, "namespace", "metadata.namespace", obj=pod) or "default"


def _pod_labels(pod: Manifest) -> dict[str, str]:
    return node_labels(pod)


def pods_by_node(pods: Sequence[Manifest]) -> dict[str, list[Manifest]]:
    """Group the bound, non-terminal pods by ``spec.nodeName`` (input order kept).

    Raises:
        InputError: a pod is malformed.
    """
    grouped: dict[str, list[Manifest]] = {}
    for pod in require_manifests(pods, "pods"):
        spec = mapping_field(pod, "spec", "spec", obj=pod)
        node_name = str_field(spec, "nodeName", "spec.nodeName", obj=pod)
        if node_name and not pod_is_terminal(pod):
            grouped.setdefault(node_name, []).append(pod)
    return grouped


def _string_list(raw: object, path: str, obj: Manifest | None) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
        raise InputError(
            "must be a list of strings", obj=object_ref(obj) if obj else None, path=path
        )
    return list(raw)


def label_selector(raw: object, path: str, *, obj: Manifest | None = None) -> LabelSelector:
    """Compile a ``metav1.LabelSelector`` of ``obj``, naming ``obj`` in any error.

    The compilation itself is :func:`kmodel.objects.labels.label_selector_as_selector`
    (``metav1.LabelSelectorAsSelector``): ``None`` selects nothing, ``{}`` everything.

    Raises:
        InputError: a malformed selector (the upstream error text, at its field path).
    """
    try:
        return label_selector_as_selector(raw, path=path)
    except InputError as exc:
        raise exc.located(obj=object_ref(obj) if obj is not None else None) from None


def node_labels(node: Manifest) -> dict[str, str]:
    """``metadata.labels`` of a node (or any object)."""
    metadata = mapping_field(node, "metadata", "metadata", obj=node)
    return string_map_field(metadata, "labels", "metadata.labels", obj=node)
