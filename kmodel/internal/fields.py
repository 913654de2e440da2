"""Reading fields of manifests (plain dicts from YAML), checked, on the hot path of the model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kmodel.errors import InputError

__all__ = ["mapping", "read_path"]

#: Dotted paths split once: they are a handful of literals, read endlessly.
_DOTTED_PARTS: dict[str, tuple[str, ...]] = {}
_DOTTED_PARTS_LIMIT: Final = 1024


def mapping(obj: object, path: str) -> Mapping[str, Any]:
    """``obj`` as a mapping (``None`` reads as empty); else an InputError at ``path``."""
    if type(obj) is dict:  # the common case, without the ABC isinstance check
        return obj
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise InputError(f"must be a mapping, got {type(obj).__name__}", path=path)
    return obj


def read_path(obj: Mapping[str, Any], dotted: str) -> object:
    """The value at a dotted path (``spec.strategy.type``), or None where a step is missing.

    Every step on the way must be a mapping; a wrong type is an InputError naming the path.
    """
    parts = _DOTTED_PARTS.get(dotted)
    if parts is None:
        parts = tuple(dotted.split("."))
        if len(_DOTTED_PARTS) < _DOTTED_PARTS_LIMIT:
            _DOTTED_PARTS[dotted] = parts
    current: object = obj
    for part in parts:
        if type(current) is not dict:  # not a plain dict: walk again with the checks
            return _read_checked(obj, parts)
        current = current.get(part)
        if current is None:
            return None
    return current


def _read_checked(obj: Mapping[str, Any], parts: tuple[str, ...]) -> object:
    current: object = obj
    for index, part in enumerate(parts):
        current = mapping(current, ".".join(parts[:index]) or "object").get(part)
        if current is None:
            return None
    return current
