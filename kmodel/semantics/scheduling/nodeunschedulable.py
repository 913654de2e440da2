"""kube-scheduler NodeUnschedulable.

Mirrors ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`` at
kubernetes master after v1.35.
"""

from __future__ import annotations

from typing import Final

from kmodel.objects.fields import (
    bool_field,
    mapping_field,
    require_manifest,
)
from kmodel.objects.types import Manifest
from kmodel.semantics.scheduling.tainttoleration import (
    Taint,
    pod_tolerations,
    tolerations_tolerate_taint,
)

__all__ = ["ERR_REASON_UNSCHEDULABLE", "node_unschedulable_failures"]


ERR_REASON_UNSCHEDULABLE: Final = "node(s) were unschedulable"
_TAINT_NODE_UNSCHEDULABLE: Final = "node.kubernetes.io/unschedulable"


def node_unschedulable_failures(pod: Manifest, node: Manifest) -> list[str]:
    """NodeUnschedulable Filter.

    Mirrors ``nodeunschedulable/node_unschedulable.go Filter``: a node with
    ``spec.unschedulable`` rejects pods that do not tolerate the
    ``node.kubernetes.io/unschedulable:NoSchedule`` taint.
    """
    pod = require_manifest(pod, "pod")
    node = require_manifest(node, "node", kind="Node")
    spec = mapping_field(node, "spec", "spec", obj=node)
    if not bool_field(spec, "unschedulable", "spec.unschedulable", obj=node):
        return []
    taint = Taint(_TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule")
    if tolerations_tolerate_taint(pod_tolerations(pod), taint):
        return []
    return [ERR_REASON_UNSCHEDULABLE]
