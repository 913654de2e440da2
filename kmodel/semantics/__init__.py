"""Pure functions that mirror upstream Kubernetes code exactly.

Every function names, in its docstring, the upstream function it mirrors. The most used ones are
re-exported here; the modules hold the rest (``pods``, ``containers``, ``resources``,
``scheduling``, ``labels``, ``replicaset``, ``deployment``).
"""

from kmodel.semantics.containers import (
    BackOffEntry,
    BackOffPolicy,
    convert_container_statuses,
    restart_backoff,
    should_container_be_restarted,
)
from kmodel.semantics.pods import (
    api_pod_phase,
    container_should_restart,
    container_state_transition_allowed,
    merge_pod_status,
    pod_conditions,
    pod_phase,
)

__all__ = [
    "BackOffEntry",
    "BackOffPolicy",
    "api_pod_phase",
    "container_should_restart",
    "container_state_transition_allowed",
    "convert_container_statuses",
    "merge_pod_status",
    "pod_conditions",
    "pod_phase",
    "restart_backoff",
    "should_container_be_restarted",
]
