"""Re-exports of :mod:`kmodel.semantics.scheduling`: its names before the split."""

from __future__ import annotations

from kmodel.semantics.scheduling.nodeaffinity import (
    node_matches_node_selector,
    node_selector_term_matches,
    pod_matches_required_node_affinity,
    preferred_node_affinity_score,
)
from kmodel.semantics.scheduling.objects import (
    label_selector,
    node_labels,
)
from kmodel.semantics.scheduling.tainttoleration import (
    Taint,
    find_matching_untolerated_taint,
    node_taints,
    pod_tolerations,
    toleration_tolerates_taint,
    tolerations_tolerate_taint,
)

__all__ = [
    "Taint",
    "find_matching_untolerated_taint",
    "label_selector",
    "node_labels",
    "node_matches_node_selector",
    "node_selector_term_matches",
    "node_taints",
    "pod_matches_required_node_affinity",
    "pod_tolerations",
    "preferred_node_affinity_score",
    "toleration_tolerates_taint",
    "tolerations_tolerate_taint",
]
