"""The scoring plugins' arguments: defaults and validation.

Mirrors ``pkg/scheduler/apis/config/v1/defaults.go`` and
``pkg/scheduler/apis/config/validation/validation_pluginargs.go`` for
``NodeResourcesFitArgs.scoringStrategy`` and ``NodeResourcesBalancedAllocationArgs``, at
kubernetes master after v1.35.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.internal.values import go_value
from kmodel.semantics.resources import (
    CPU,
    MEMORY,
)

__all__ = [
    "DEFAULT_RESOURCES",
    "MAX_CUSTOM_PRIORITY_SCORE",
    "ResourceSpec",
    "ScoringStrategy",
    "parse_balanced_allocation_resources",
    "parse_scoring_strategy",
]


#: ``config.MaxCustomPriorityScore``: the top of a RequestedToCapacityRatio shape's score.
MAX_CUSTOM_PRIORITY_SCORE: Final = 10
#: ``maxUtilization`` of requested_to_capacity_ratio.go.
_MAX_UTILIZATION: Final = 100
_STRATEGY_TYPES: Final = ("LeastAllocated", "MostAllocated", "RequestedToCapacityRatio")


@dataclass(frozen=True)
class ResourceSpec:
    """``config.ResourceSpec``: a resource name and its weight in the score."""

    name: str
    weight: int


#: ``defaultResourceSpec`` (pkg/scheduler/apis/config/v1/defaults.go): cpu and memory, weight 1.
DEFAULT_RESOURCES: Final = (ResourceSpec(CPU, 1), ResourceSpec(MEMORY, 1))
#: The default RequestedToCapacityRatio shape (k8s-semantics.md 6.4): 0% -> 0, 100% -> 10.
_DEFAULT_SHAPE: Final = ((0, 0), (100, 10))


@dataclass(frozen=True)
class ScoringStrategy:
    """A validated, defaulted ``config.ScoringStrategy`` of ``NodeResourcesFitArgs``.

    Attributes:
        type: LeastAllocated, MostAllocated or RequestedToCapacityRatio.
        resources: the scored resources and their weights.
        shape: RequestedToCapacityRatio points ``(utilization, score)`` with score in 0..10,
            as configured (not yet scaled to 0..100).
    """

    type: str = "LeastAllocated"
    resources: tuple[ResourceSpec, ...] = DEFAULT_RESOURCES
    shape: tuple[tuple[int, int], ...] = _DEFAULT_SHAPE


class _Errors:
    """Collects ``field.ErrorList`` entries and raises them as one :class:`InputError`."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def invalid(self, path: str, value: object, detail: str) -> None:
        self.items.append((path, f"Invalid value: {go_value(value)}: {detail}"))

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def raise_if_any(self) -> None:
        """Raise the first error at its path; the others follow in the message."""
        if not self.items:
            return
        path, message = self.items[0]
        if len(self.items) > 1:
            rest = "; ".join(f"{p}: {m}" for p, m in self.items[1:])
            message = f"{message} (also: {rest})"
        raise InputError(message, path=path)


def _check_keys(raw: Mapping[str, Any], allowed: set[str], path: str) -> None:
    """Strict decoding, as the scheduler's config loader does: unknown fields are errors."""
    for key in raw:
        if key not in allowed:
            raise InputError(f'unknown field "{key}"', path=path)


def _parse_int(raw: object, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InputError(f"must be an integer, not {type(raw).__name__}", path=path)
    return raw


def _parse_resource_specs(raw: object, path: str) -> list[ResourceSpec]:
    """Decode ``[{name, weight}]`` with the v1 defaulting: a missing or 0 weight becomes 1."""
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise InputError(f"must be a list, not {type(raw).__name__}", path=path)
    specs: list[ResourceSpec] = []
    for i, item in enumerate(raw):
        item_path = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(f"must be a mapping, not {type(item).__name__}", path=item_path)
        _check_keys(item, {"name", "weight"}, item_path)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise InputError("must be a non-empty string", path=f"{item_path}.name")
        weight = _parse_int(item.get("weight", 0), f"{item_path}.weight")
        # SetDefaults_NodeResourcesFitArgs / ...BalancedAllocationArgs: weight 0 -> 1.
        specs.append(ResourceSpec(name, weight or 1))
    return specs


def parse_scoring_strategy(scoring_strategy: Mapping[str, Any] | None) -> ScoringStrategy:
    """Default and validate the ``scoringStrategy`` of ``NodeResourcesFitArgs``.

    Mirrors ``SetDefaults_NodeResourcesFitArgs`` (``None`` gives LeastAllocated over cpu and
    memory; no resources gives cpu and memory; a missing or 0 weight gives 1) and
    ``ValidateNodeResourcesFitArgs`` (``validateResources``, ``validateFunctionShape``). A
    RequestedToCapacityRatio strategy without ``requestedToCapacityRatio`` uses the shape
    ``{0: 0, 100: 10}``.

    Raises:
        InputError: at the first invalid field (e.g. ``scoringStrategy.resources[0].weight:
            Invalid value: 101: resource weight of cpu not in valid range (0, 100]``); every
            other error is listed in the message.
    """
    if scoring_strategy is None:
        return ScoringStrategy()
    root = "scoringStrategy"
    if not isinstance(scoring_strategy, Mapping):
        raise InputError(f"must be a mapping, not {type(scoring_strategy).__name__}", path=root)
    _check_keys(scoring_strategy, {"type", "resources", "requestedToCapacityRatio"}, root)
    errors = _Errors()
    strategy_type = scoring_strategy.get("type") or ""
    if strategy_type not in _STRATEGY_TYPES:
        supported = ", ".join(f'"{t}"' for t in _STRATEGY_TYPES)
        errors.add(
            f"{root}.type",
            f"Unsupported value: {go_value(str(strategy_type))}: supported values: {supported}",
        )
    resources = _parse_resource_specs(scoring_strategy.get("resources"), f"{root}.resources")
    if not resources:
        resources = list(DEFAULT_RESOURCES)
    for i, spec in enumerate(resources):
        if spec.weight <= 0 or spec.weight > 100:
            errors.invalid(
                f"{root}.resources[{i}].weight",
                spec.weight,
                f"resource weight of {spec.name} not in valid range (0, 100]",
            )
    shape: tuple[tuple[int, int], ...] = _DEFAULT_SHAPE
    ratio = scoring_strategy.get("requestedToCapacityRatio")
    if ratio is not None:
        if not isinstance(ratio, Mapping):
            raise InputError("must be a mapping", path=f"{root}.requestedToCapacityRatio")
        _check_keys(ratio, {"shape"}, f"{root}.requestedToCapacityRatio")
        # validateFunctionShape is called with strategyPath.Child("shape").
        shape = _validate_shape(ratio.get("shape"), f"{root}.shape", errors)
    errors.raise_if_any()
    return ScoringStrategy(str(strategy_type), tuple(resources), shape)


def _validate_shape(raw: object, path: str, errors: _Errors) -> tuple[tuple[int, int], ...]:
    """Mirrors ``validateFunctionShape``."""
    if raw is None or (isinstance(raw, list | tuple) and not raw):
        errors.add(path, "Required value: at least one point must be specified")
        return ()
    if not isinstance(raw, list | tuple):
        raise InputError(f"must be a list, not {type(raw).__name__}", path=path)
    points: list[tuple[int, int]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise InputError("must be a mapping", path=f"{path}[{i}]")
        _check_keys(item, {"utilization", "score"}, f"{path}[{i}]")
        utilization = _parse_int(item.get("utilization", 0), f"{path}[{i}].utilization")
        score = _parse_int(item.get("score", 0), f"{path}[{i}].score")
        points.append((utilization, score))
    for i in range(1, len(points)):
        if points[i - 1][0] >= points[i][0]:
            errors.invalid(f"{path}[{i}].utilization", points[i][0], "should be increasing")
            break
    for i, (utilization, score) in enumerate(points):
        if not 0 <= utilization <= _MAX_UTILIZATION:
            errors.invalid(
                f"{path}[{i}].utilization",
                utilization,
                f"not in valid range [0, {_MAX_UTILIZATION}]",
            )
        if not 0 <= score <= MAX_CUSTOM_PRIORITY_SCORE:
            errors.invalid(
                f"{path}[{i}].score", score, f"not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"
            )
    return tuple(points)


def parse_balanced_allocation_resources(
    resources: Sequence[Mapping[str, Any]] | None,
) -> tuple[ResourceSpec, ...]:
    """Default and validate ``NodeResourcesBalancedAllocationArgs.resources``.

    Mirrors ``SetDefaults_NodeResourcesBalancedAllocationArgs`` (none gives cpu and memory; a
    missing or 0 weight gives 1) and ``ValidateNodeResourcesBalancedAllocationArgs`` (names
    unique, every weight exactly 1).

    Raises:
        InputError: ``resources[i].name: Duplicate value: ...`` or
            ``resources[i].weight: Invalid value: ...: must be 1``.
    """
    specs = _parse_resource_specs(resources, "resources") or list(DEFAULT_RESOURCES)
    errors = _Errors()
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        if spec.name in seen:
            errors.add(f"resources[{i}].name", f"Duplicate value: {go_value(spec.name)}")
        seen.add(spec.name)
        if spec.weight != 1:
            errors.invalid(f"resources[{i}].weight", spec.weight, "must be 1")
    errors.raise_if_any()
    return tuple(specs)
