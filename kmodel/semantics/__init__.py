"""Pure functions that mirror upstream Kubernetes code exactly.

Every function names, in its docstring, the upstream function it mirrors. The most used ones are
re-exported here; the modules hold the rest: ``pods`` and ``containers`` (kubelet),
``resources``, ``scheduling`` and ``scheduling_filters`` (kube-scheduler), ``replicaset`` and
``deployment`` (controllers). Label selectors live in :mod:`kmodel.objects.labels`.
"""

from kmodel.semantics.containers import (
    BackOffEntry,
    BackOffPolicy,
    convert_container_statuses,
    restart_backoff,
    should_container_be_restarted,
)
from kmodel.semantics.deployment import (
    cleanup_deployment,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    get_proportion,
    max_surge,
    max_unavailable,
    min_available,
    new_rs_new_replicas,
    reconcile_old_replica_sets,
    replica_set_fraction,
    resolve_fenceposts,
)
from kmodel.semantics.pods import (
    api_pod_phase,
    container_should_restart,
    container_state_transition_allowed,
    merge_pod_status,
    pod_conditions,
    pod_phase,
)
from kmodel.semantics.resources import pod_requests
from kmodel.semantics.scheduling import (
    balanced_allocation_scores,
    filter_failures,
    node_fit_failures,
    node_scores,
)

__all__ = [
    "BackOffEntry",
    "BackOffPolicy",
    "api_pod_phase",
    "balanced_allocation_scores",
    "cleanup_deployment",
    "container_should_restart",
    "container_state_transition_allowed",
    "convert_container_statuses",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "filter_failures",
    "get_proportion",
    "max_surge",
    "max_unavailable",
    "merge_pod_status",
    "min_available",
    "new_rs_new_replicas",
    "node_fit_failures",
    "node_scores",
    "pod_conditions",
    "pod_phase",
    "pod_requests",
    "reconcile_old_replica_sets",
    "replica_set_fraction",
    "resolve_fenceposts",
    "restart_backoff",
    "should_container_be_restarted",
]
