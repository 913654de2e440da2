"""kube-scheduler NodeName.

Mirrors ``pkg/scheduler/framework/plugins/nodename/node_name.go`` at kubernetes master after
v1.35.
"""

from __future__ import annotations

from typing import Final

from kmodel.objects.fields import (
    mapping_field,
    object_name,
    require_manifest,
    str_field,
)
from kmodel.objects.types import Manifest

__all__ = ["ERR_REASON_NODE_NAME", "node_name_failures"]


ERR_REASON_NODE_NAME: Final = "node(s) didn't match the requested node name"


def node_name_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeName Filter: mirrors ``nodename/node_name.go Fits`` (empty nodeName fits anywhere)."""
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    spec = mapping_field(pod, "spec", "spec", obj=pod)
    wanted = str_field(spec, "nodeName", "spec.nodeName", obj=pod)
    return [] if not wanted or wanted == object_name(node) else [ERR_REASON_NODE_NAME]
