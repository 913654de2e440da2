"""The Progressing condition and the progress deadline.

Mirrors ``pkg/controller/deployment/progress.go`` ``syncRolloutStatus``. Not mirrored:
``requeueStuckDeployment``, the workqueue delay until the deadline is due; the model offers the
controller a step whenever its dry run would change something, the timeout included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kmodel.internal.gofmt import go_quote
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.sync import calculate_status
from kmodel.semantics.deployment.util import (
    REASON_NEW_RS_AVAILABLE,
    REASON_RS_UPDATED,
    REASON_TIMED_OUT,
    _find_condition,
    _name,
    _status_conditions,
    deployment_complete,
    deployment_progressing,
    deployment_timed_out,
    has_progress_deadline,
    new_deployment_condition,
    set_deployment_condition,
)
from kmodel.semantics.replicaset import TimeValue

__all__ = ["sync_rollout_status"]


def _replica_failures(
    all_rss: Sequence[Manifest | None], new_rs: Manifest | None
) -> list[dict[str, Any]]:
    """Mirrors progress.go ``getReplicaFailures`` (new RS first, then all RSs)."""

    def failures(rs: Manifest) -> list[dict[str, Any]]:
        found = []
        status = _mapping(rs.get("status"), "status")
        for condition in _status_conditions(status, "status"):
            if condition.get("type") != "ReplicaFailure":
                continue
            # ReplicaSetToDeploymentCondition: both times from lastTransitionTime.
            found.append(
                {
                    "type": "ReplicaFailure",
                    "status": condition.get("status"),
                    "lastUpdateTime": condition.get("lastTransitionTime"),
                    "lastTransitionTime": condition.get("lastTransitionTime"),
                    "reason": condition.get("reason", ""),
                    "message": condition.get("message", ""),
                }
            )
        return found

    if new_rs is not None:
        from_new = failures(new_rs)
        if from_new:
            return from_new
    result: list[dict[str, Any]] = []
    for rs in all_rss:
        if rs is not None:
            result.extend(failures(rs))
    return result


def sync_rollout_status(
    d: Manifest,
    all_rss: Sequence[Manifest | None],
    new_rs: Manifest | None,
    now: TimeValue,
    *,
    calculated: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Deployment status ``syncRolloutStatus`` writes, conditions included.

    Mirrors progress.go ``syncRolloutStatus`` (k8s-semantics.md 5.6): :func:`calculate_status`;
    without a progress deadline the Progressing condition is removed; unless the rollout is
    already complete (current reason NewReplicaSetAvailable and replicas == updated), the
    first of complete / progressing / timed out sets Progressing; ReplicaFailure is copied from
    the RSs (new RS first) or removed.

    ``calculated`` is :func:`calculate_status` of the same arguments when the caller has it
    already (it is not changed here).
    """
    status = calculate_status(d, all_rss, new_rs, now) if calculated is None else dict(calculated)
    conditions: list[dict[str, Any]] = status["conditions"]
    if not has_progress_deadline(d):
        conditions = [c for c in conditions if c.get("type") != "Progressing"]
    old_status = _mapping(d.get("status"), "status")
    current = _find_condition(_status_conditions(old_status, "status"), "Progressing")
    complete = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current.get("reason") == REASON_NEW_RS_AVAILABLE
    )
    name = _name(d)
    new_rs_name = _name(new_rs) if new_rs is not None else None

    def subject() -> str:
        # Quoted only when a Progressing condition is built (most syncs build none).
        if new_rs_name is not None:
            return f"ReplicaSet {go_quote(new_rs_name)}"
        return f"Deployment {go_quote(name)}"

    if has_progress_deadline(d) and not complete:
        status["conditions"] = conditions
        if deployment_complete(d, status):
            conditions = set_deployment_condition(
                conditions,
                new_deployment_condition(
                    "Progressing",
                    "True",
                    REASON_NEW_RS_AVAILABLE,
                    f"{subject()} has successfully progressed.",
                    now,
                ),
            )
        elif deployment_progressing(d, status):
            condition = new_deployment_condition(
                "Progressing", "True", REASON_RS_UPDATED, f"{subject()} is progressing.", now
            )
            if current is not None:
                if current.get("status") == "True":
                    condition["lastTransitionTime"] = current.get("lastTransitionTime")
                conditions = [c for c in conditions if c.get("type") != "Progressing"]
            conditions = set_deployment_condition(conditions, condition)
        elif deployment_timed_out(d, status, now):
            conditions = set_deployment_condition(
                conditions,
                new_deployment_condition(
                    "Progressing",
                    "False",
                    REASON_TIMED_OUT,
                    f"{subject()} has timed out progressing.",
                    now,
                ),
            )
    failures = _replica_failures(all_rss, new_rs)
    if failures:
        conditions = set_deployment_condition(conditions, failures[0])
    else:
        conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
    status["conditions"] = conditions
    return status
