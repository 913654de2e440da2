"""The deployment strategies compared: Elastic Beanstalk's deployment policies and Kubernetes'.

Each :class:`Strategy` is one row of the comparison. Elastic Beanstalk policies run on the
Beanstalk controller of :mod:`kmodel.strategies.beanstalk`; Kubernetes ones on the existing
Deployment controller (``RollingUpdate`` with its ``maxSurge``/``maxUnavailable``, ``Recreate``).

What each Elastic Beanstalk policy does, as the AWS Elastic Beanstalk developer guide documents
it ("Deployment policies and settings", "Immutable environment updates", "Blue/Green deployments
with Elastic Beanstalk"; settings of the ``aws:elasticbeanstalk:command`` and
``aws:elasticbeanstalk:trafficsplitting`` namespaces) is in :data:`POLICY_NOTES`; where the guide
is silent and the model had to choose, the note says "uncertain".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kmodel.errors import InputError

__all__ = [
    "BEANSTALK_POLICIES",
    "KUBERNETES_POLICIES",
    "POLICY_NOTES",
    "Strategy",
    "batch_size",
]

BEANSTALK_POLICIES: Final = (
    "AllAtOnce",
    "Rolling",
    "RollingWithAdditionalBatch",
    "Immutable",
    "TrafficSplitting",
    "BlueGreen",
)
KUBERNETES_POLICIES: Final = ("RollingUpdate", "Recreate")

#: What each policy does and where that comes from (rendered in the Markdown report).
POLICY_NOTES: Final = {
    "AllAtOnce": (
        "Deploys the new version to every instance at once; the instances are out of service "
        "while the application restarts (guide: 'All at once ... a short loss of service'). "
        "A failed deployment is not rolled back by the platform: the guide's rollback process "
        "is 'manual redeploy'; the model has the operator redeploy the previous version, all at "
        "once, as soon as the deployment fails (health not reached within the command timeout)."
    ),
    "Rolling": (
        "Splits the instances into batches (BatchSizeType Fixed or Percentage, BatchSize); for "
        "each batch it detaches the instances from the load balancer, deploys, reattaches them "
        "and waits until they pass health checks before the next batch (guide: 'Rolling "
        "deployments'). On failure the batches already done keep the new version; rollback is "
        "a manual redeploy (modelled as the operator redeploying the previous version, rolling)."
    ),
    "RollingWithAdditionalBatch": (
        "Launches one extra batch of instances with the new version before taking any instance "
        "out of service, then deploys rolling over the existing instances and terminates the "
        "additional batch at the end (guide: 'Rolling deployments' with an additional batch). "
        "Which instances the scale-in removes is uncertain (the Auto Scaling termination "
        "policy); the model terminates the additional batch, as the guide words it. Rollback: "
        "manual redeploy (modelled as above); a failed deployment's additional batch stays "
        "until that redeploy ends, beside the redeploy's own (two extra batches at once)."
    ),
    "Immutable": (
        "Launches a temporary Auto Scaling group behind the same load balancer: one instance "
        "first, and once it passes health checks as many as the original group has; when all "
        "pass, moves them to the original group and terminates the old instances (guide: "
        "'Immutable environment updates'). The guide says the first new instance 'serves "
        "traffic alongside' the old ones, so the new version takes a share of traffic before "
        "the whole new group is healthy (only instances that pass health checks get traffic). "
        "On failure the platform terminates the temporary group; the old instances never left."
    ),
    "TrafficSplitting": (
        "Launches a full set of new instances (as Immutable), then sends NewVersionPercent "
        "(default 10) of client traffic to them for EvaluationTime (default 5 minutes); if "
        "they stay healthy all traffic moves to them and the old instances are terminated, "
        "otherwise traffic moves back and the new instances are terminated (guide: 'Traffic-"
        "splitting deployments'). Uncertain: whether the split starts before every new "
        "instance is healthy; the model waits for all of them."
    ),
    "BlueGreen": (
        "Deploys to a separate (cloned) environment and swaps the environments' CNAMEs once it "
        "is healthy (guide: 'Blue/Green deployments'); rollback is swapping back. The swap is a "
        "user action; the model's operator swaps as soon as the new environment is healthy, "
        "swaps back if it turns unhealthy within the DNS TTL, and terminates the old "
        "environment after the TTL. Uncertain: DNS caches keep some clients on the old "
        "environment for up to the TTL; the model moves all traffic at the swap."
    ),
    "RollingUpdate": (
        "Kubernetes Deployment RollingUpdate (pkg/controller/deployment/rolling.go): the new "
        "ReplicaSet grows within maxSurge while the old shrinks within maxUnavailable. The "
        "bounds are on the replicas the ReplicaSets are asked for, not on the pods at each "
        "moment: the ReplicaSet controller deletes old pods in its own time and a deleted pod "
        "runs on through its grace period, so more than maxSurge extra pods can run at once "
        "(with maxSurge 0 too). Nothing rolls back by itself: after progressDeadlineSeconds the "
        "Deployment reports ProgressDeadlineExceeded; the model's operator then runs "
        "`kubectl rollout undo`."
    ),
    "Recreate": (
        "Kubernetes Deployment Recreate (pkg/controller/deployment/recreate.go): the old "
        "ReplicaSets are scaled to 0 and the new one is created only once no old pod may still "
        "run (every old pod Succeeded, Failed or gone), so no extra pod ever runs and capacity "
        "drops to 0. Rollback as for RollingUpdate."
    ),
}


@dataclass(frozen=True)
class Strategy:
    """One deployment strategy: a row of the comparison.

    Attributes:
        name: the row's label (unique within a spec).
        platform: ``beanstalk`` or ``kubernetes``.
        policy: one of :data:`BEANSTALK_POLICIES` or :data:`KUBERNETES_POLICIES`.
        batch_size_type: Beanstalk ``BatchSizeType``: ``Fixed`` or ``Percentage``.
        batch_size: Beanstalk ``BatchSize`` (instances, or percent of the instances).
        new_version_percent: Beanstalk ``NewVersionPercent`` (traffic splitting).
        evaluation_time: Beanstalk ``EvaluationTime`` in seconds (traffic splitting).
        dns_ttl: seconds the old environment is kept after a blue/green CNAME swap.
        max_surge: Kubernetes ``maxSurge`` (an int or a percentage string).
        max_unavailable: Kubernetes ``maxUnavailable`` (an int or a percentage string).
    """

    name: str
    platform: str
    policy: str
    batch_size_type: str = "Percentage"
    batch_size: int = 100
    new_version_percent: int = 10
    evaluation_time: int = 300
    dns_ttl: int = 60
    max_surge: int | str = "25%"
    max_unavailable: int | str = "25%"

    def __post_init__(self) -> None:
        if self.platform == "beanstalk":
            if self.policy not in BEANSTALK_POLICIES:
                raise InputError(
                    f"unknown Elastic Beanstalk policy {self.policy!r} "
                    f"(known: {', '.join(BEANSTALK_POLICIES)})",
                    path=f"strategies.{self.name}",
                )
        elif self.platform == "kubernetes":
            if self.policy not in KUBERNETES_POLICIES:
                raise InputError(
                    f"unknown Kubernetes strategy {self.policy!r} "
                    f"(known: {', '.join(KUBERNETES_POLICIES)})",
                    path=f"strategies.{self.name}",
                )
        else:
            raise InputError(
                f"unknown platform {self.platform!r} (beanstalk or kubernetes)",
                path=f"strategies.{self.name}",
            )
        if self.batch_size_type not in {"Fixed", "Percentage"}:
            raise InputError(
                f"batchSizeType must be Fixed or Percentage, not {self.batch_size_type!r}",
                path=f"strategies.{self.name}.batchSizeType",
            )
        if self.batch_size < 1 or (self.batch_size_type == "Percentage" and self.batch_size > 100):
            raise InputError(
                f"batchSize {self.batch_size} is out of range",
                path=f"strategies.{self.name}.batchSize",
            )
        if not 1 <= self.new_version_percent <= 100:
            raise InputError(
                "newVersionPercent must be between 1 and 100",
                path=f"strategies.{self.name}.newVersionPercent",
            )
        if self.evaluation_time < 0 or self.dns_ttl < 0:
            raise InputError(
                "evaluationTime and dnsTtl must not be negative", path=f"strategies.{self.name}"
            )

    def describe(self) -> str:
        """The strategy and its settings in a few words."""
        if self.platform == "kubernetes":
            if self.policy == "Recreate":
                return "Kubernetes Recreate"
            return (
                f"Kubernetes RollingUpdate maxSurge={self.max_surge} "
                f"maxUnavailable={self.max_unavailable}"
            )
        if self.policy in {"Rolling", "RollingWithAdditionalBatch"}:
            unit = "%" if self.batch_size_type == "Percentage" else " instance(s)"
            return f"Elastic Beanstalk {self.policy}, batch {self.batch_size}{unit}"
        if self.policy == "TrafficSplitting":
            return (
                f"Elastic Beanstalk TrafficSplitting {self.new_version_percent}% "
                f"for {self.evaluation_time}s"
            )
        return f"Elastic Beanstalk {self.policy}"


def batch_size(instances: int, size_type: str, size: int) -> int:
    """How many instances one batch holds.

    A percentage is of the environment's instance count, rounded up, and a batch has at least
    one and at most every instance. Uncertain: the guide does not state the rounding; the model
    rounds up so that a small percentage still moves a whole instance.

    Raises:
        InputError: an unknown size type or a non-positive size.
    """
    if instances < 0:
        raise InputError(f"instances must not be negative, not {instances}", path="instances")
    if size < 1:
        raise InputError(f"batch size must be at least 1, not {size}", path="batchSize")
    if size_type == "Fixed":
        count = size
    elif size_type == "Percentage":
        count = -(-instances * size // 100)
    else:
        raise InputError(f"unknown batch size type {size_type!r}", path="batchSizeType")
    return max(1, min(instances, count)) if instances else 0
