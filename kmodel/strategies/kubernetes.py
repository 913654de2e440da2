"""Kubernetes rollouts as strategies: the Deployment controller, plus an operator who rolls back.

Kubernetes never rolls a Deployment back by itself: once a rollout makes no progress for
``progressDeadlineSeconds`` the controller sets the ``Progressing`` condition to ``False`` with
reason ``ProgressDeadlineExceeded`` (``pkg/controller/deployment/progress.go``) and stops there.
To compare like with like (Elastic Beanstalk's command timeout), the model's operator runs
``kubectl rollout undo`` as soon as that condition appears (:class:`OperatorRollback`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kmodel.cluster.actions import Action, register
from kmodel.cluster.model import Cluster
from kmodel.cluster.user_actions import RollbackDeployment
from kmodel.objects.fields import list_at, mapping_at
from kmodel.semantics.deployment import REASON_TIMED_OUT

__all__ = ["OPERATOR_ANNOTATION", "OperatorRollback", "deadline_exceeded", "operator_actions"]

#: Annotation naming the image the operator rolls back to when a rollout times out.
OPERATOR_ANNOTATION = "kmodel.dev/rollback-to-image"


def deadline_exceeded(deployment: Mapping[str, Any]) -> bool:
    """Whether the Deployment reports ``Progressing=False`` with ``ProgressDeadlineExceeded``."""
    return any(
        c.get("type") == "Progressing"
        and c.get("status") == "False"
        and c.get("reason") == REASON_TIMED_OUT
        for c in list_at(deployment, "status.conditions")
    )


def _template_images(deployment: Mapping[str, Any]) -> list[str]:
    spec = mapping_at(deployment, "spec.template.spec")
    return [str(c.get("image", "")) for c in list_at(spec, "containers")]


@register
@dataclass(frozen=True)
class OperatorRollback(Action):
    """The operator sees a timed-out rollout and runs ``kubectl rollout undo``."""

    name: ClassVar[str] = "operator-rollback"
    category: ClassVar[str] = "user"
    namespace: str
    deployment: str

    def describe(self) -> str:
        """In words."""
        return (
            f"operator sees {self.namespace}/{self.deployment} exceed its progress deadline "
            "and rolls it back"
        )

    def apply(self, cluster: Cluster) -> None:
        """``kubectl rollout undo`` (see :class:`RollbackDeployment`)."""
        RollbackDeployment(self.namespace, self.deployment).apply(cluster)


def operator_actions(cluster: Cluster) -> list[Action]:
    """Rollbacks the operator would do now (for ``ClusterConfig.controllers``).

    Only Deployments annotated with :data:`OPERATOR_ANNOTATION` are watched, and only while
    their template runs another image than the one named there.
    """
    actions: list[Action] = []
    for d in cluster.store.list_objects("Deployment"):
        target = (d["metadata"].get("annotations") or {}).get(OPERATOR_ANNOTATION)
        if target is None or target in _template_images(d):
            continue
        if deadline_exceeded(d):
            actions.append(OperatorRollback(d["metadata"]["namespace"], d["metadata"]["name"]))
    return actions
