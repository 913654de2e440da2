"""Pure functions that mirror upstream Kubernetes code exactly.

Every function names, in its docstring, the upstream function it mirrors. The most used ones are
re-exported here; the modules hold the rest: ``pods`` and ``containers`` (kubelet),
``resources`` and the ``scheduling`` package, one module per plugin (kube-scheduler),
``replicaset`` and the ``deployment`` package, one module per upstream file (controllers),
``printers`` (``kubectl get pods``). Label selectors live in :mod:`kmodel.objects.labels`, field
access in :mod:`kmodel.objects.fields`, the API defaults in :mod:`kmodel.objects.defaults`.

The re-exports are imported on first use (PEP 562), so a command that needs one module
(``kmodel status`` needs ``pods``) does not load the scheduler and the controllers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
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
    from kmodel.semantics.printers import print_pod
    from kmodel.semantics.resources import pod_requests
    from kmodel.semantics.scheduling import (
        balanced_allocation_scores,
        filter_failures,
        node_fit_failures,
        node_scores,
    )

#: Each re-exported name and the module of this package that defines it.
_EXPORTS: Final = {
    "BackOffEntry": "containers",
    "BackOffPolicy": "containers",
    "api_pod_phase": "pods",
    "balanced_allocation_scores": "scheduling",
    "cleanup_deployment": "deployment",
    "container_should_restart": "pods",
    "container_state_transition_allowed": "pods",
    "convert_container_statuses": "containers",
    "deployment_complete": "deployment",
    "deployment_progressing": "deployment",
    "deployment_timed_out": "deployment",
    "filter_failures": "scheduling",
    "get_proportion": "deployment",
    "max_surge": "deployment",
    "max_unavailable": "deployment",
    "merge_pod_status": "pods",
    "min_available": "deployment",
    "new_rs_new_replicas": "deployment",
    "node_fit_failures": "scheduling",
    "node_scores": "scheduling",
    "pod_conditions": "pods",
    "pod_phase": "pods",
    "pod_requests": "resources",
    "print_pod": "printers",
    "reconcile_old_replica_sets": "deployment",
    "replica_set_fraction": "deployment",
    "resolve_fenceposts": "deployment",
    "restart_backoff": "containers",
    "should_container_be_restarted": "containers",
}

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
    "print_pod",
    "reconcile_old_replica_sets",
    "replica_set_fraction",
    "resolve_fenceposts",
    "restart_backoff",
    "should_container_be_restarted",
]


def __getattr__(name: str) -> Any:  # noqa: ANN401  # PEP 562: whatever the attribute is
    """Import a re-exported name's module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kmodel.semantics' has no attribute {name!r}")
    return getattr(importlib.import_module(f"kmodel.semantics.{module}"), name)
