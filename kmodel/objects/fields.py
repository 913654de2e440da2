"""Reading the API's fields from manifests: one set of checked accessors.

A manifest is a :data:`~kmodel.objects.types.Manifest` (``Mapping[str, Any]`` as YAML or JSON
gives it), kept as it is because nil and empty differ in the API (an absent ``rollingUpdate`` is
defaulted, an empty one is not; ``replicas: null`` is 1, ``replicas: 0`` is 0). The accessors
say which reading they give:

- ``*_field`` (:func:`mapping_field`, :func:`list_field`, :func:`str_field`, :func:`int_field`,
  :func:`bool_field`, :func:`string_map_field`) and :func:`mapping`: the Go zero value for an
  absent or ``null`` field, as the API decodes a value field;
- :func:`mapping_at`, :func:`list_at`, :func:`int_at` and :func:`str_at`: the same by dotted
  path (``spec.template.spec``);
- :func:`read_path`: ``None`` for an absent or ``null`` field, as Go keeps a nil pointer
  (``*int32``, ``*RollingUpdateDeployment``): the reader that keeps nil and empty apart.

A value of the wrong type raises :class:`kmodel.errors.InputError` naming the object and the
field path, so a bad manifest never surfaces as a ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kmodel.errors import InputError
from kmodel.objects.types import Manifest

__all__ = [
    "as_list",
    "bool_field",
    "int_at",
    "int_field",
    "list_at",
    "list_field",
    "mapping",
    "mapping_at",
    "mapping_field",
    "object_name",
    "object_ref",
    "read_path",
    "require_manifest",
    "require_manifests",
    "str_at",
    "str_field",
    "string_map_field",
]

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
        raise InputError(f"must be a mapping, not {type(obj).__name__}", path=path)
    return obj


def as_list(value: object, path: str) -> list[Any]:
    """``value`` as a list (``None`` reads as empty); else an InputError at ``path``."""
    if type(value) is list:
        return value
    if value is None:
        return []
    raise InputError(f"must be a list, not {type(value).__name__}", path=path)


def read_path(obj: Mapping[str, Any], dotted: str) -> Any:  # noqa: ANN401  # any YAML value
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


def _read_checked(obj: Mapping[str, Any], parts: tuple[str, ...]) -> Any:  # noqa: ANN401
    current: object = obj
    for index, part in enumerate(parts):
        current = mapping(current, ".".join(parts[:index]) or "object").get(part)
        if current is None:
            return None
    return current


def object_ref(obj: Manifest) -> str:
    """``Kind/name`` or ``Kind/namespace/name`` of a manifest, for error messages."""
    kind = obj.get("kind") or "Object"
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return str(kind)
    name = metadata.get("name")
    namespace = metadata.get("namespace")
    parts = [str(kind)]
    if isinstance(namespace, str) and namespace:
        parts.append(namespace)
    if isinstance(name, str) and name:
        parts.append(name)
    return "/".join(parts)


def require_manifest(value: object, what: str, *, kind: str | None = None) -> Manifest:
    """Check that ``value`` is a manifest (a mapping), named ``what`` in the error.

    Raises:
        InputError: ``value`` is not a mapping.
    """
    # Plain dicts first: the ABC isinstance check is slow, and this runs per node per filter.
    if type(value) is not dict and not isinstance(value, Mapping):
        raise InputError(f"{what} must be a mapping (a manifest), not {type(value).__name__}")
    if kind is not None and value.get("kind") not in (None, kind):
        raise InputError(
            f"{what} must be a {kind}, not {value.get('kind')!r}", obj=object_ref(value)
        )
    return value


def require_manifests(values: object, what: str, *, kind: str | None = None) -> list[Manifest]:
    """Check that ``values`` is a sequence of manifests.

    Raises:
        InputError: ``values`` is not a sequence of mappings.
    """
    if type(values) is not list and (
        isinstance(values, str | bytes) or not isinstance(values, Sequence)
    ):
        raise InputError(f"{what} must be a list of manifests, not {type(values).__name__}")
    return [require_manifest(v, f"{what}[{i}]", kind=kind) for i, v in enumerate(values)]


def _fail(obj: Manifest | None, path: str, message: str) -> InputError:
    return InputError(message, obj=object_ref(obj) if obj is not None else None, path=path)


def mapping_field(
    value: Mapping[str, Any], key: str, path: str, *, obj: Manifest | None = None
) -> Mapping[str, Any]:
    """``value[key]`` as a mapping; absent or ``null`` gives ``{}``."""
    item = value.get(key)
    if item is None:
        return {}
    if type(item) is not dict and not isinstance(item, Mapping):
        raise _fail(obj, path, f"must be a mapping, not {type(item).__name__}")
    return item


def list_field(
    value: Mapping[str, Any], key: str, path: str, *, obj: Manifest | None = None
) -> list[Any]:
    """``value[key]`` as a list; absent or ``null`` gives ``[]``."""
    item = value.get(key)
    if item is None:
        return []
    if not isinstance(item, list | tuple):
        raise _fail(obj, path, f"must be a list, not {type(item).__name__}")
    return list(item)


def str_field(value: Mapping[str, Any], key: str, path: str, *, obj: Manifest | None = None) -> str:
    """``value[key]`` as a string; absent or ``null`` gives ``""``."""
    item = value.get(key)
    if item is None:
        return ""
    if not isinstance(item, str):
        raise _fail(obj, path, f"must be a string, not {type(item).__name__}")
    return item


def int_field(
    value: Mapping[str, Any],
    key: str,
    path: str,
    *,
    obj: Manifest | None = None,
    default: int = 0,
) -> int:
    """``value[key]`` as an integer; absent or ``null`` gives ``default``."""
    item = value.get(key)
    if item is None:
        return default
    if isinstance(item, bool) or not isinstance(item, int):
        raise _fail(obj, path, f"must be an integer, not {type(item).__name__}")
    return item


def bool_field(
    value: Mapping[str, Any], key: str, path: str, *, obj: Manifest | None = None
) -> bool:
    """``value[key]`` as a boolean; absent or ``null`` gives ``False``."""
    item = value.get(key)
    if item is None:
        return False
    if not isinstance(item, bool):
        raise _fail(obj, path, f"must be true or false, not {type(item).__name__}")
    return item


def string_map_field(
    value: Mapping[str, Any], key: str, path: str, *, obj: Manifest | None = None
) -> dict[str, str]:
    """``value[key]`` as a ``map[string]string`` (labels, nodeSelector); absent gives ``{}``."""
    raw = mapping_field(value, key, path, obj=obj)
    result: dict[str, str] = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise _fail(obj, f"{path}.{k}", f"must be a string, not {type(v).__name__}")
        result[k] = v
    return result


def object_name(obj: Manifest) -> str:
    """``metadata.name`` of a manifest (``""`` when absent)."""
    return str_field(
        mapping_field(obj, "metadata", "metadata", obj=obj), "name", "metadata.name", obj=obj
    )


def mapping_at(obj: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    """The mapping at a dotted path; ``{}`` where a step is absent or ``null`` (Go's zero value).

    What ``(obj.get("spec") or {}).get("template") or {}`` reads, with a wrong type an
    InputError naming the path instead of a crash or a silent empty value.
    """
    value = read_path(obj, dotted)
    if type(value) is dict:  # the common case, without the ABC isinstance check
        return value
    return mapping(value, dotted)


def list_at(obj: Mapping[str, Any], dotted: str) -> list[Any]:
    """The list at a dotted path; ``[]`` where a step is absent or ``null`` (Go's nil slice).

    What ``(obj.get("spec") or {}).get("containers") or []`` reads, with a wrong type an
    InputError naming the path.
    """
    value = read_path(obj, dotted)
    if isinstance(value, tuple):
        return list(value)
    return as_list(value, dotted)


def int_at(obj: Mapping[str, Any], dotted: str, *, default: int = 0) -> int:
    """The integer at a dotted path (``spec.replicas``); ``default`` where absent or ``null``.

    Booleans are refused, as Go's decoder refuses them for an integer field.
    """
    value = read_path(obj, dotted)
    if type(value) is int:  # the common case first
        return value
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"must be an integer, not {type(value).__name__}", path=dotted)
    return value


def str_at(obj: Mapping[str, Any], dotted: str) -> str:
    """The string at a dotted path (``status.phase``); ``""`` where absent or ``null``."""
    value = read_path(obj, dotted)
    if type(value) is str:
        return value
    if value is None:
        return ""
    raise InputError(f"must be a string, not {type(value).__name__}", path=dotted)
