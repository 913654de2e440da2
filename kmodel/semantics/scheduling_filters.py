"""Re-exports of :mod:`kmodel.semantics.scheduling`: its names before the split."""

from __future__ import annotations

from kmodel.semantics.scheduling.interpodaffinity import (
    ERR_REASON_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
    InterPodAffinityState,
    inter_pod_affinity_check,
    inter_pod_affinity_failures,
    inter_pod_affinity_state,
)
from kmodel.semantics.scheduling.nodeaffinity import (
    ERR_REASON_NODE_AFFINITY,
    node_affinity_failures,
)
from kmodel.semantics.scheduling.nodename import (
    ERR_REASON_NODE_NAME,
    node_name_failures,
)
from kmodel.semantics.scheduling.nodeports import (
    ERR_REASON_NODE_PORTS,
    node_ports_failures,
)
from kmodel.semantics.scheduling.nodeunschedulable import (
    ERR_REASON_UNSCHEDULABLE,
    node_unschedulable_failures,
)
from kmodel.semantics.scheduling.objects import (
    pod_namespace,
    pods_by_node,
)
from kmodel.semantics.scheduling.podtopologyspread import (
    ERR_REASON_CONSTRAINTS_NOT_MATCH,
    ERR_REASON_NODE_LABEL_NOT_MATCH,
    TopologySpreadState,
    pod_topology_spread_failures,
    topology_spread_check,
    topology_spread_state,
)
from kmodel.semantics.scheduling.tainttoleration import (
    taint_toleration_failures,
)
from kmodel.semantics.scheduling.volumebinding import (
    ERR_REASON_VOLUME_NODE_CONFLICT,
    volume_binding_failures,
)
from kmodel.semantics.scheduling.volumezone import (
    ERR_REASON_VOLUME_ZONE_CONFLICT,
    volume_zone_failures,
)

__all__ = [
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_NODE_AFFINITY",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "ERR_REASON_NODE_NAME",
    "ERR_REASON_NODE_PORTS",
    "ERR_REASON_UNSCHEDULABLE",
    "ERR_REASON_VOLUME_NODE_CONFLICT",
    "ERR_REASON_VOLUME_ZONE_CONFLICT",
    "InterPodAffinityState",
    "TopologySpreadState",
    "inter_pod_affinity_check",
    "inter_pod_affinity_failures",
    "inter_pod_affinity_state",
    "node_affinity_failures",
    "node_name_failures",
    "node_ports_failures",
    "node_unschedulable_failures",
    "pod_namespace",
    "pod_topology_spread_failures",
    "pods_by_node",
    "taint_toleration_failures",
    "topology_spread_check",
    "topology_spread_state",
    "volume_binding_failures",
    "volume_zone_failures",
]
