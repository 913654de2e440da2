"""Validation of a Deployment's strategy.

Mirrors ``pkg/apis/apps/validation/validation.go`` (``ValidateDeploymentStrategy``,
``ValidateRollingUpdateDeployment``, ``getPercentValue``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_atoi
from kmodel.internal.gofmt import go_quote
from kmodel.objects.fields import mapping as _mapping
from kmodel.objects.fields import read_path as _get
from kmodel.objects.types import Manifest
from kmodel.semantics.deployment.defaults import DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE
from kmodel.semantics.deployment.util import _strategy_type

__all__ = ["validate_deployment_strategy", "validate_rolling_update"]


_PERCENT = re.compile(r"^[0-9]+%$")
_PERCENT_FMT: Final = "[0-9]+%"
_PERCENT_ERR: Final = (
    "a valid percent string must be a numeric string followed by an ending '%' "
    f"(e.g. '1%',  or '93%', regex used for validation is '{_PERCENT_FMT}')"
)


def _shown(value: object) -> str:
    """How a field value appears after ``Invalid value:`` (Go ``%q`` for strings)."""
    return go_quote(value) if isinstance(value, str) else str(value)


def _int_or_string_int_value(value: object) -> int:
    """``IntOrString.IntValue``: an int as is, a string through Atoi (0 on error)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return go_atoi(value) or 0
    return 0


def _percent_value(value: object) -> int | None:
    """Mirrors validation.go ``getPercentValue``: the number of a valid ``N%`` string."""
    if isinstance(value, str) and _PERCENT.match(value):
        return int(value[:-1])
    return None


def validate_rolling_update(
    rolling_update: Mapping[str, Any] | None,
    path: str = "spec.strategy.rollingUpdate",
) -> list[InputError]:
    """Validate rolling-update parameters; return every error in upstream order.

    Mirrors ``pkg/apis/apps/validation/validation.go ValidateRollingUpdateDeployment`` (with
    ``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``), applied after the
    apps/v1 defaults (a missing value is 25%). Messages are upstream's field-error details; the
    value is shown as Go shows a string (``%q``) or an int.
    """
    rolling = _mapping(rolling_update, path)
    unavailable = rolling.get("maxUnavailable")
    surge = rolling.get("maxSurge")
    unavailable = DEFAULT_MAX_UNAVAILABLE if unavailable is None else unavailable
    surge = DEFAULT_MAX_SURGE if surge is None else surge
    errors: list[InputError] = []
    for key, value in (("maxUnavailable", unavailable), ("maxSurge", surge)):
        where = f"{path}.{key}"
        if isinstance(value, str):
            if not _PERCENT.match(value):
                errors.append(
                    InputError(f"Invalid value: {_shown(value)}: {_PERCENT_ERR}", path=where)
                )
        elif isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                errors.append(
                    InputError(
                        f"Invalid value: {value}: must be greater than or equal to 0", path=where
                    )
                )
        else:
            errors.append(
                InputError(
                    f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')",
                    path=where,
                )
            )

    def int_or_percent(value: object) -> int:
        percent = _percent_value(value)
        return percent if percent is not None else _int_or_string_int_value(value)

    if int_or_percent(unavailable) == 0 and int_or_percent(surge) == 0:
        errors.append(
            InputError(
                f"Invalid value: {_shown(unavailable)}: may not be 0 when `maxSurge` is 0",
                path=f"{path}.maxUnavailable",
            )
        )
    percent = _percent_value(unavailable)
    if percent is not None and percent > 100:
        errors.append(
            InputError(
                f"Invalid value: {_shown(unavailable)}: must not be greater than 100%",
                path=f"{path}.maxUnavailable",
            )
        )
    return errors


def validate_deployment_strategy(d: Manifest) -> None:
    """Validate ``spec.strategy`` of a Deployment; raise the first error.

    Mirrors ``pkg/apis/apps/validation/validation.go ValidateDeploymentStrategy`` (after the
    apps/v1 defaults): the type must be Recreate or RollingUpdate, Recreate forbids
    ``rollingUpdate``, and RollingUpdate parameters must pass :func:`validate_rolling_update`.

    Raises:
        InputError: the first error, with its field path.
    """
    strategy_type = _strategy_type(d)
    rolling = _get(d, "spec.strategy.rollingUpdate")
    if strategy_type == "Recreate":
        if rolling is not None:
            raise InputError(
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
                path="spec.strategy.rollingUpdate",
            )
        return
    errors = validate_rolling_update(_mapping(rolling, "spec.strategy.rollingUpdate"))
    if errors:
        raise errors[0]
