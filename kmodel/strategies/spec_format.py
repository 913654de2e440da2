"""The strategies spec's format, declared once (README; ``schemas/strategies-spec.schema.json``).

:mod:`kmodel.strategies.spec` reads a validated file into a :class:`StrategiesSpec`; the
cluster, workloads, programs, faults and explore sections are the check spec's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Discriminator, Field, Tag

from kmodel.explore.spec_format import (
    Faults,
    Manifest,
    Programs,
    StrategiesCluster,
    StrategiesExplore,
)
from kmodel.internal.formats import Count, FormatModel, NonEmpty, Positive
from kmodel.strategies.meter import DEFAULT_WINDOW
from kmodel.strategies.policies import BEANSTALK_POLICIES, KUBERNETES_POLICIES

__all__ = ["BeanstalkStrategy", "KubernetesStrategy", "Release", "StrategiesSpecFormat"]

#: ``maxSurge``/``maxUnavailable``: a number of pods or a percentage.
IntOrPercent = Annotated[int | str, Field(description="a number of pods or a percentage")]


class KubernetesStrategy(FormatModel):
    """A Deployment strategy: the Deployment rolled out by the Deployment controller."""

    name: NonEmpty = Field(description="the row's label (unique)")
    kubernetes: NonEmpty = Field(description=f"the strategy: {' or '.join(KUBERNETES_POLICIES)}")
    max_surge: IntOrPercent = Field("25%", alias="maxSurge", description="RollingUpdate maxSurge")
    max_unavailable: IntOrPercent = Field(
        "25%", alias="maxUnavailable", description="RollingUpdate maxUnavailable"
    )


class BeanstalkStrategy(FormatModel):
    """An Elastic Beanstalk deployment policy, run against the same pods."""

    name: NonEmpty = Field(description="the row's label (unique)")
    beanstalk: NonEmpty = Field(description=f"the policy: {', '.join(BEANSTALK_POLICIES)}")
    batch_size_type: str = Field(
        "Percentage", alias="batchSizeType", description="Fixed or Percentage"
    )
    batch_size: Positive = Field(
        100, alias="batchSize", description="instances, or percent of them, per batch"
    )
    new_version_percent: Positive = Field(
        10, alias="newVersionPercent", description="traffic splitting: the new version's share"
    )
    evaluation_time: Count = Field(
        300, alias="evaluationTime", description="traffic splitting: seconds before the shift"
    )
    dns_ttl: Count = Field(
        60, alias="dnsTtl", description="seconds the old environment serves after a CNAME swap"
    )


def _platform(value: object) -> str | None:
    if not isinstance(value, dict) or ("kubernetes" in value) == ("beanstalk" in value):
        return None
    return "<kubernetes>" if "kubernetes" in value else "<beanstalk>"


StrategyEntry = Annotated[
    Annotated[KubernetesStrategy, Tag("<kubernetes>")]
    | Annotated[BeanstalkStrategy, Tag("<beanstalk>")],
    Discriminator(
        _platform,
        custom_error_type="one_platform",
        custom_error_message="needs exactly one of `kubernetes: <strategy>` or `beanstalk:`",
    ),
]


class Release(FormatModel):
    """The new version."""

    image: NonEmpty = Field(description="its image; a failure's is <image>-<failure>")
    container: NonEmpty | None = Field(
        None, description="the Deployment's container it goes to (default: the first)"
    )


class StrategiesSpecFormat(FormatModel):
    """A strategies spec: one application, one release, several strategies and failure modes."""

    name: NonEmpty | None = Field(None, description="the spec's name (default: the file name)")
    description: str = Field("", description="what it compares")
    cluster: StrategiesCluster = Field(description="the Nodes and the control plane")
    workloads: list[NonEmpty | Manifest] = Field(
        default=[],
        description="one Deployment and a Service selecting its pods: files or inline manifests",
    )
    release: Release = Field(description="the new version")
    failures: Programs = Field(
        default={},
        description="broken variants of the new version, by name: what its containers do",
    )
    programs: Programs = Field(default={}, description="other images' behaviour, as in check specs")
    strategies: list[StrategyEntry] = Field(
        description="the rows compared (at least one), each kubernetes: or beanstalk:"
    )
    faults: Faults = Field(default={})
    timeout: Positive = Field(
        600, description="health wait: EB command timeout, k8s progressDeadlineSeconds"
    )
    window: Positive = Field(
        DEFAULT_WINDOW, description="seconds of traffic measured from the release (shares)"
    )
    explore: StrategiesExplore = Field(
        default_factory=StrategiesExplore, description="how hard to look at each pair"
    )
