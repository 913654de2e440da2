"""Deployment controller arithmetic, as pure functions over manifests.

One module per upstream file: :mod:`~kmodel.semantics.deployment.util`
(``pkg/controller/deployment/util/deployment_util.go``), :mod:`~.sync` (``sync.go``),
:mod:`~.rolling` (``rolling.go``), :mod:`~.recreate` (``recreate.go``), :mod:`~.rollback`
(``rollback.go``), :mod:`~.progress` (``progress.go``), :mod:`~.controller`
(``deployment_controller.go``); ``k8s-semantics.md`` section 5. The apps/v1 defaults
(``SetDefaults_Deployment``) are in :mod:`kmodel.objects.defaults`, the strategy's validation
(``ValidateDeploymentStrategy``) in :mod:`kmodel.objects.validate`.
Upstream: kubernetes master after v1.35. Every public name is re-exported here.

Inputs are Deployment and ReplicaSet manifests (camelCase keys). A field the manifest leaves out
reads as its apps/v1 default (``spec.replicas`` 1, strategy RollingUpdate with 25%/25%,
``revisionHistoryLimit`` 10, ``progressDeadlineSeconds`` 600), as the API server would have
defaulted it. Controller actions are returned as plans (:class:`ScaleAction` lists, names to
delete, decisions) instead of being performed.

Times follow :mod:`kmodel.semantics.replicaset`: logical seconds (int or float) or RFC 3339
strings, compared as exact nanoseconds; a condition this module writes carries ``now`` exactly
as the caller gave it.
"""

from __future__ import annotations

from kmodel.objects.defaults import (
    DEFAULT_MAX_SURGE,
    DEFAULT_MAX_UNAVAILABLE,
    DEFAULT_PROGRESS_DEADLINE_SECONDS,
    DEFAULT_REVISION_HISTORY_LIMIT,
)
from kmodel.semantics.deployment.controller import (
    get_pod_map_for_deployment,
)
from kmodel.semantics.deployment.progress import (
    requeue_stuck_deployment,
    sync_rollout_status,
)
from kmodel.semantics.deployment.recreate import (
    RecreatePlan,
    old_pods_running,
    rollout_recreate,
    scale_down_old_replica_sets_for_recreate,
    scale_up_new_replica_set_for_recreate,
)
from kmodel.semantics.deployment.rollback import (
    RollbackDecision,
    rollback,
)
from kmodel.semantics.deployment.rolling import (
    CleanupResult,
    ReconcileOldPlan,
    cleanup_unhealthy_replicas,
    max_scaled_down,
    reconcile_new_replica_set,
    reconcile_old_replica_sets,
    scale_down_old_replica_sets_for_rolling_update,
)
from kmodel.semantics.deployment.sync import (
    ScaleAction,
    calculate_status,
    check_paused_conditions,
    cleanup_deployment,
    is_scaling_event,
    scale,
)
from kmodel.semantics.deployment.util import (
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    MAX_REV_HISTORY_LENGTH_IN_CHARS,
    REASON_MIN_AVAILABLE,
    REASON_MIN_UNAVAILABLE,
    REASON_NEW_RS_AVAILABLE,
    REASON_PAUSED,
    REASON_RESUMED,
    REASON_ROLLBACK_DONE,
    REASON_ROLLBACK_NOT_FOUND,
    REASON_ROLLBACK_UNCHANGED,
    REASON_RS_UPDATED,
    REASON_TIMED_OUT,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    ROLLBACK_TO_ANNOTATION,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    find_active_or_latest,
    get_proportion,
    get_scaled_value_from_int_or_percent,
    has_progress_deadline,
    has_revision_history_limit,
    is_saturated,
    last_revision,
    max_revision,
    max_surge,
    max_unavailable,
    min_available,
    new_deployment_condition,
    new_rs_new_replicas,
    replica_set_fraction,
    resolve_fenceposts,
    revision,
    set_deployment_condition,
    set_new_replica_set_annotations,
)

__all__ = [
    "DEFAULT_MAX_SURGE",
    "DEFAULT_MAX_UNAVAILABLE",
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "MAX_REV_HISTORY_LENGTH_IN_CHARS",
    "REASON_MIN_AVAILABLE",
    "REASON_MIN_UNAVAILABLE",
    "REASON_NEW_RS_AVAILABLE",
    "REASON_PAUSED",
    "REASON_RESUMED",
    "REASON_ROLLBACK_DONE",
    "REASON_ROLLBACK_NOT_FOUND",
    "REASON_ROLLBACK_UNCHANGED",
    "REASON_RS_UPDATED",
    "REASON_TIMED_OUT",
    "REVISION_ANNOTATION",
    "REVISION_HISTORY_ANNOTATION",
    "ROLLBACK_TO_ANNOTATION",
    "CleanupResult",
    "ReconcileOldPlan",
    "RecreatePlan",
    "RollbackDecision",
    "ScaleAction",
    "calculate_status",
    "check_paused_conditions",
    "cleanup_deployment",
    "cleanup_unhealthy_replicas",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "find_active_or_latest",
    "get_pod_map_for_deployment",
    "get_proportion",
    "get_scaled_value_from_int_or_percent",
    "has_progress_deadline",
    "has_revision_history_limit",
    "is_saturated",
    "is_scaling_event",
    "last_revision",
    "max_revision",
    "max_scaled_down",
    "max_surge",
    "max_unavailable",
    "min_available",
    "new_deployment_condition",
    "new_rs_new_replicas",
    "old_pods_running",
    "reconcile_new_replica_set",
    "reconcile_old_replica_sets",
    "replica_set_fraction",
    "requeue_stuck_deployment",
    "resolve_fenceposts",
    "revision",
    "rollback",
    "rollout_recreate",
    "scale",
    "scale_down_old_replica_sets_for_recreate",
    "scale_down_old_replica_sets_for_rolling_update",
    "scale_up_new_replica_set_for_recreate",
    "set_deployment_condition",
    "set_new_replica_set_annotations",
    "sync_rollout_status",
]
