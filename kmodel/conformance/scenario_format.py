"""The conformance scenario document's format, declared once (``schemas/conformance-scenario``).

A scenario file holds Pod manifests (validated by :mod:`kmodel.objects`) and one
``ConformanceScenario`` document, declared here; :mod:`kmodel.conformance.scenarios` reads it.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import Field

from kmodel.internal.formats import FormatModel, NonEmpty, Positive

__all__ = ["MAX_WINDOW", "ConformanceScenarioFormat", "ReplacementFormat", "ScenarioSpecFormat"]

#: The longest observation window a scenario may ask for, in seconds (runs stay short).
MAX_WINDOW: Final = 120


class ReplacementFormat(FormatModel):
    """Delete a pod during the window and create it again (it gets a new UID)."""

    pod: NonEmpty = Field(description="one of the file's Pods, by name")
    at: Positive = Field(description="the second, inside the window")


class ScenarioSpecFormat(FormatModel):
    """What is run and for how long."""

    window: Annotated[int, Field(ge=1, le=MAX_WINDOW)] = Field(
        description="seconds observed: wall clock on the engine, logical in the model"
    )
    replace: list[ReplacementFormat] | None = Field(
        None, description="pods deleted and created again during the window"
    )


class ScenarioMetadata(FormatModel):
    """The scenario's name."""

    name: NonEmpty = Field(description="the scenario's name")


class ConformanceScenarioFormat(FormatModel):
    """The ``ConformanceScenario`` document of a scenario file (after its Pods)."""

    api_version: Literal["kmodel.dev/v1alpha1"] = Field(
        alias="apiVersion", description="kmodel.dev/v1alpha1"
    )
    kind: Literal["ConformanceScenario"] = Field(description="ConformanceScenario")
    metadata: ScenarioMetadata = Field(description="the scenario's name")
    spec: ScenarioSpecFormat = Field(description="what is run and for how long")
    expect: dict[str, Any] | None = Field(
        None,
        description="the model's prediction: written by `kmodel conform --update-expect`, "
        "never by hand",
    )
