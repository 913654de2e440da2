"""How error messages show a bad value: one wording for the loader and the library.

The manifest validator (:mod:`kmodel.objects.validate`) and library functions that check their
own arguments (e.g. :func:`kmodel.objects.defaults.set_defaults_deployment`) describe a
value the same way, so a mistake reads the same whether it is caught at load time or later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

__all__ = ["describe_value", "go_value"]

#: Strings longer than this are cut (with "...") in a description.
DESCRIBED_STRING_LIMIT: Final = 40


def go_value(value: object) -> str:
    """Render a bad value as ``field.Error.ErrorBody`` does (``%q`` strings, plain numbers)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def describe_value(value: object) -> str:
    """A value's kind and, for scalars, the value: ``string "x"``, ``integer 5``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {go_value(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, str):
        shown = (
            value
            if len(value) <= DESCRIBED_STRING_LIMIT
            else value[: DESCRIBED_STRING_LIMIT - 3] + "..."
        )
        return f"string {go_value(shown)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__
