"""The trace file's format, declared once (README "Traces"; ``schemas/trace.schema.json``).

:mod:`kmodel.explore.trace` writes traces and reads them back through this model (replay).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from kmodel.internal.formats import Count, FormatModel

__all__ = [
    "ChangeFormat",
    "SettleFormat",
    "StepFormat",
    "StrategyBlock",
    "TraceFormat",
    "ViolationFormat",
]

#: ``[step, count]``.
StepCount = Annotated[list[int], Field(min_length=2, max_length=2)]


class ChangeFormat(FormatModel):
    """One object's change in a step."""

    type: str = Field(description="ADDED, MODIFIED or DELETED")
    kind: str = Field(description="the object's kind")
    namespace: str = Field(description="its namespace (empty for a cluster-scoped object)")
    name: str = Field(description="its name")
    summary: str = Field(description="what changed, in words")


class ViolationFormat(FormatModel):
    """The invariant violated at the end of the trace."""

    invariant: str = Field(description="the invariant's name")
    message: str = Field(description="what is wrong, in words")
    values: dict[str, Any] = Field(default={}, description="the values that matter")


class StepFormat(FormatModel):
    """One step: the action taken and what it changed."""

    index: Count = Field(description="the step's number, from 1")
    time: Count = Field(description="the model clock, in seconds")
    action: dict[str, Any] = Field(
        description='the action, replayed exactly: {"action": name, its fields}'
    )
    description: str = Field(description="the action in words")
    changes: list[ChangeFormat] = Field(default=[], description="what it changed")
    errors: list[str] = Field(default=[], description="what the API server refused")


class SettleFormat(FormatModel):
    """The steps the components took after the last action until nothing changed."""

    steps: Count = Field(0, description="how many")
    changes: list[ChangeFormat] = Field(default=[], description="what they changed")


class StrategyStart(FormatModel):
    """When the release started."""

    step: Count = Field(description="the step")
    time: Count = Field(description="the model clock, in seconds")


class StrategyBlock(FormatModel):
    """What a ``kmodel strategies`` trace explains: one figure of one strategy and failure."""

    spec: str = Field(description="the strategies spec")
    name: str = Field(description="the strategy")
    failure: str = Field(description="the failure mode")
    figure: str = Field(description="the figure the trace witnesses")
    value: str = Field(description="its value, as the table shows it")
    capacity: Count = Field(description="the pods the application wants")
    window: Count = Field(description="seconds of traffic measured from the release")
    start: StrategyStart = Field(description="when the release started")
    new_image: str = Field(description="the image released")
    bad_image: str | None = Field(description="the broken image, if the release is broken")
    samples: list[dict[str, Any]] = Field(description="the meter's samples, step by step")


class TraceFormat(FormatModel):
    """A counterexample trace: written by ``kmodel check``, replayed by ``kmodel replay``."""

    kmodel_trace: Literal[1] = Field(description="the trace format's version")
    spec: str = Field(description="the spec explored")
    spec_digest: str = Field("", description="the spec's digest (replay notices a change)")
    seed: int = Field(0, description="the exploration's seed")
    invariant: str = Field(description="the invariant violated")
    violation: ViolationFormat = Field(description="the violation")
    at_fixpoint: bool = Field(
        default=False, description="found once the components settled (else mid-way)"
    )
    steps: list[StepFormat] = Field(description="the steps, in order")
    settle: SettleFormat = Field(
        default_factory=SettleFormat, description="the settling after the last step"
    )
    availability: list[StepCount] = Field(
        default=[], description="[step, ready endpoints] after each step"
    )
    ready_pods: list[StepCount] = Field(
        default=[], description="[step, Ready pods] after each step"
    )
    strategy: StrategyBlock | None = Field(
        None,
        description="a kmodel strategies trace: the strategy, failure and figure it explains",
    )
