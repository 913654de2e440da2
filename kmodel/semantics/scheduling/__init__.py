"""kube-scheduler, as pure functions over manifests: one module per upstream plugin.

Mirrors ``pkg/scheduler/framework/plugins/`` at kubernetes master after v1.35:
:mod:`~kmodel.semantics.scheduling.noderesources` (NodeResourcesFit and
NodeResourcesBalancedAllocation),
:mod:`~.nodeunschedulable`, :mod:`~.nodename`, :mod:`~.tainttoleration`, :mod:`~.nodeaffinity`,
:mod:`~.nodeports`, :mod:`~.volumebinding` (bound volumes only), :mod:`~.volumezone`,
:mod:`~.podtopologyspread`, :mod:`~.interpodaffinity` and :mod:`~.schedulinggates`; with the
plugins' shared :mod:`~.helper` (``plugins/helper``), their arguments in :mod:`~.config`
(``pkg/scheduler/apis/config``), what they read of pods and nodes in :mod:`~.objects`, and the
cycle that runs the default profile's filters and scores in :mod:`~.framework`.
``k8s-semantics.md`` section 6 holds the decision tables. Each plugin returns its failure
reason(s) exactly as upstream formats them, or ``[]`` when the node passes.

Every public name is re-exported here; callers import from the package.
"""

from __future__ import annotations

from kmodel.semantics.scheduling.config import (
    DEFAULT_RESOURCES,
    MAX_CUSTOM_PRIORITY_SCORE,
    ResourceSpec,
    ScoringStrategy,
    parse_balanced_allocation_resources,
    parse_scoring_strategy,
)
from kmodel.semantics.scheduling.framework import (
    DEFAULT_SCORE_PLUGIN_WEIGHTS,
    SchedulingCycle,
    balanced_allocation_scores,
    filter_failures,
    fit_error_message,
    node_scores,
)
from kmodel.semantics.scheduling.helper import (
    MAX_NODE_SCORE,
    broken_linear_function,
    default_normalize_score,
)
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
    node_affinity_scores,
    node_matches_node_selector,
    node_selector_term_matches,
    pod_matches_required_node_affinity,
    preferred_node_affinity_score,
)
from kmodel.semantics.scheduling.nodename import (
    ERR_REASON_NODE_NAME,
    node_name_failures,
)
from kmodel.semantics.scheduling.nodeports import (
    ERR_REASON_NODE_PORTS,
    node_ports_failures,
)
from kmodel.semantics.scheduling.noderesources import (
    balanced_allocation_skips,
    kubelet_admission_failure,
    node_fit_failures,
)
from kmodel.semantics.scheduling.nodeunschedulable import (
    ERR_REASON_UNSCHEDULABLE,
    node_unschedulable_failures,
)
from kmodel.semantics.scheduling.objects import (
    label_selector,
    node_labels,
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
from kmodel.semantics.scheduling.schedulinggates import (
    scheduling_gates,
)
from kmodel.semantics.scheduling.tainttoleration import (
    Taint,
    find_matching_untolerated_taint,
    node_taints,
    pod_tolerations,
    taint_toleration_failures,
    taint_toleration_scores,
    toleration_tolerates_taint,
    tolerations_tolerate_taint,
)
from kmodel.semantics.scheduling.volumebinding import (
    ERR_REASON_PV_NOT_EXIST,
    ERR_REASON_UNBOUND_IMMEDIATE,
    ERR_REASON_VOLUME_NODE_CONFLICT,
    volume_binding_failures,
)
from kmodel.semantics.scheduling.volumezone import (
    ERR_REASON_VOLUME_ZONE_CONFLICT,
    volume_zone_failures,
)

__all__ = [
    "DEFAULT_RESOURCES",
    "DEFAULT_SCORE_PLUGIN_WEIGHTS",
    "ERR_REASON_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_CONSTRAINTS_NOT_MATCH",
    "ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH",
    "ERR_REASON_NODE_AFFINITY",
    "ERR_REASON_NODE_LABEL_NOT_MATCH",
    "ERR_REASON_NODE_NAME",
    "ERR_REASON_NODE_PORTS",
    "ERR_REASON_PV_NOT_EXIST",
    "ERR_REASON_UNBOUND_IMMEDIATE",
    "ERR_REASON_UNSCHEDULABLE",
    "ERR_REASON_VOLUME_NODE_CONFLICT",
    "ERR_REASON_VOLUME_ZONE_CONFLICT",
    "MAX_CUSTOM_PRIORITY_SCORE",
    "MAX_NODE_SCORE",
    "InterPodAffinityState",
    "ResourceSpec",
    "SchedulingCycle",
    "ScoringStrategy",
    "Taint",
    "TopologySpreadState",
    "balanced_allocation_scores",
    "balanced_allocation_skips",
    "broken_linear_function",
    "default_normalize_score",
    "filter_failures",
    "find_matching_untolerated_taint",
    "fit_error_message",
    "inter_pod_affinity_check",
    "inter_pod_affinity_failures",
    "inter_pod_affinity_state",
    "kubelet_admission_failure",
    "label_selector",
    "node_affinity_failures",
    "node_affinity_scores",
    "node_fit_failures",
    "node_labels",
    "node_matches_node_selector",
    "node_name_failures",
    "node_ports_failures",
    "node_scores",
    "node_selector_term_matches",
    "node_taints",
    "node_unschedulable_failures",
    "parse_balanced_allocation_resources",
    "parse_scoring_strategy",
    "pod_matches_required_node_affinity",
    "pod_namespace",
    "pod_tolerations",
    "pod_topology_spread_failures",
    "pods_by_node",
    "preferred_node_affinity_score",
    "scheduling_gates",
    "taint_toleration_failures",
    "taint_toleration_scores",
    "toleration_tolerates_taint",
    "tolerations_tolerate_taint",
    "topology_spread_check",
    "topology_spread_state",
    "volume_binding_failures",
    "volume_zone_failures",
]
