"""The apps/v1 defaults of a Deployment.

Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from kmodel.errors import InputError
from kmodel.internal.values import describe_value
from kmodel.objects.types import Manifest

__all__ = [
    "DEFAULT_MAX_SURGE",
    "DEFAULT_MAX_UNAVAILABLE",
    "DEFAULT_PROGRESS_DEADLINE_SECONDS",
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "apply_deployment_defaults",
    "apply_deployment_defaults_in_place",
]


DEFAULT_MAX_SURGE: Final = "25%"
DEFAULT_MAX_UNAVAILABLE: Final = "25%"
DEFAULT_REVISION_HISTORY_LIMIT: Final = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS: Final = 600


def apply_deployment_defaults(d: Manifest) -> dict[str, Any]:
    """Return a copy of a Deployment with the apps/v1 defaults filled in.

    Mirrors ``pkg/apis/apps/v1/defaults.go SetDefaults_Deployment``: replicas 1, strategy type
    RollingUpdate, and for RollingUpdate maxUnavailable and maxSurge 25%;
    revisionHistoryLimit 10; progressDeadlineSeconds 600. (``minReadySeconds`` is a plain int
    whose zero value is 0.) A null ``spec``, ``spec.strategy`` or
    ``spec.strategy.rollingUpdate`` reads as empty, as Go decodes it into a zero value.

    Args:
        d: the Deployment manifest; it is not modified.

    Returns:
        A deep copy of ``d`` (mappings in it become dicts) with the defaults filled in.

    Raises:
        InputError: ``d``, ``spec``, ``spec.strategy`` or ``spec.strategy.rollingUpdate`` is
            not a mapping, or ``spec.strategy.type`` is not a string; the message is the one
            the manifest validator gives at load time.
    """
    if not isinstance(d, Mapping):
        raise InputError(f"a Deployment must be a mapping, not {describe_value(d)}")
    copied: dict[str, Any] = _plain_copy(d)
    return apply_deployment_defaults_in_place(copied)


def apply_deployment_defaults_in_place(result: dict[str, Any]) -> dict[str, Any]:
    """:func:`apply_deployment_defaults` on ``result`` itself, which it returns.

    For a caller that has copied what the defaults touch (``spec``, ``spec.strategy`` and
    ``spec.strategy.rollingUpdate``) and shares the rest. Mirrors ``pkg/apis/apps/v1/defaults.go
    SetDefaults_Deployment``. A mapping on that path that is not a dict is replaced by a dict
    copy of it (it is filled in, so it must be mutable).

    Raises:
        InputError: as :func:`apply_deployment_defaults` does (``result`` not a dict too).
    """
    if not isinstance(result, dict):
        raise InputError(
            f"a Deployment to default in place must be a dict, not {describe_value(result)}"
        )
    spec = _defaultable_mapping(result, "spec", "spec")
    if spec.get("replicas") is None:
        spec["replicas"] = 1
    strategy = _defaultable_mapping(spec, "strategy", "spec.strategy")
    strategy_type = strategy.get("type")
    # Go decodes the type into a string (an empty one is defaulted): anything else is refused,
    # as the validator does, rather than read as falsy or as an unknown strategy.
    if strategy_type is not None and not isinstance(strategy_type, str):
        raise InputError(
            f"must be a string, not {describe_value(strategy_type)}", path="spec.strategy.type"
        )
    if not strategy_type:
        strategy["type"] = "RollingUpdate"
    if strategy["type"] == "RollingUpdate":
        rolling = _defaultable_mapping(strategy, "rollingUpdate", "spec.strategy.rollingUpdate")
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = DEFAULT_MAX_UNAVAILABLE
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = DEFAULT_MAX_SURGE
    else:
        # Left as it is, but Go could not have decoded a Deployment with anything but an
        # object (or null) here, and the validator refuses it whatever the type.
        rolling_update = strategy.get("rollingUpdate")
        if rolling_update is not None and not isinstance(rolling_update, Mapping):
            _raise_not_a_mapping(rolling_update, "spec.strategy.rollingUpdate")
    if spec.get("revisionHistoryLimit") is None:
        spec["revisionHistoryLimit"] = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.get("progressDeadlineSeconds") is None:
        spec["progressDeadlineSeconds"] = DEFAULT_PROGRESS_DEADLINE_SECONDS
    return result


def _defaultable_mapping(parent: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    """``parent[key]`` as a dict the defaults may fill in: created when absent or null.

    A mapping that is not a dict is replaced by a dict copy; anything else is refused.
    """
    value = parent.get(key)
    if type(value) is dict:  # the common case, without the ABC isinstance check
        return value
    if value is None:
        value = parent[key] = {}
        return value
    if not isinstance(value, Mapping):
        _raise_not_a_mapping(value, path)
    copied = parent[key] = dict(value)
    return copied


def _raise_not_a_mapping(value: object, path: str) -> NoReturn:
    """The manifest validator's error for a field that must be an object (the same message)."""
    raise InputError(f"must be a mapping, not {describe_value(value)}", path=path)


def _plain_copy(value: Any) -> Any:  # noqa: ANN401  # a manifest value: any YAML type
    """A deep copy in which every mapping is a dict and every list a list (others deep-copied).

    ``copy.deepcopy`` alone keeps mapping types that may be read-only or not copyable.
    """
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_copy(item) for item in value]
    return copy.deepcopy(value)
