"""Strict field validation: every field of a manifest checked against the known fields.

What the API server's decoder does with ``fieldValidation=Strict`` (``kubectl apply
--validate=strict``, the default since kubectl 1.25): a field the type does not have is an error
(``unknown field "spec.replica"``), and a value of the wrong JSON shape (a list where a mapping
is expected) cannot be decoded. Unlike the decoder, which stops at the first problem, every
problem of an object is collected; an unknown field also names the closest known one.

The fields come from :mod:`kmodel.objects.known_fields`. Field names are matched exactly (the
API server's JSON decoder is case-sensitive). ``null`` is accepted everywhere, as an absent
field. Map keys (labels, ``data``, resource names) are not field names and are not checked
here; :mod:`kmodel.objects.validate` checks their syntax.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from kmodel.errors import join_path
from kmodel.internal.values import describe_value
from kmodel.objects.known_fields import KIND_ROOTS, STRUCTS

__all__ = ["FieldProblem", "check_fields", "closest_field", "map_entry_path"]

#: ``difflib`` similarity a known field needs to be suggested for a misspelled one.
_SUGGESTION_CUTOFF: Final = 0.6

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def map_entry_path(path: str, key: str) -> str:
    """The path of a map entry: ``requests.cpu``, or bracketed: ``requests[nvidia.com/gpu]``."""
    if _PLAIN_KEY.fullmatch(key):
        return join_path(path, key)
    return f"{path}[{key}]"


@dataclass(frozen=True)
class FieldProblem:
    """One problem found by :func:`check_fields`.

    Attributes:
        path: the field path inside the object (``spec.template.spec.containers[0].resource``).
        message: what is wrong.
        unknown: True for an unknown field (relaxed by ``--validate=warn|ignore``), False for a
            value of the wrong type (always an error: the API server cannot decode it).
    """

    path: str
    message: str
    unknown: bool


def closest_field(name: str, known: Mapping[str, object] | set[str] | frozenset[str]) -> str | None:
    """The known field ``name`` most likely misspells, or None when none is close.

    A field that differs only in case wins; otherwise the closest by ``difflib`` ratio.
    """
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=_SUGGESTION_CUTOFF)
    return matches[0] if matches else None


def _shape_problem(path: str, expected: str, value: object) -> FieldProblem:
    return FieldProblem(path, f"must be {expected}, not {describe_value(value)}", unknown=False)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: Scalar type -> (accepts the value, how the error names the type).
_SCALARS: Final[Mapping[str, tuple[Callable[[object], bool], str]]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "bytes": (lambda v: isinstance(v, str), "a base64 string"),
    "integer": (_is_int, "an integer"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "number": (lambda v: _is_int(v) or isinstance(v, float), "a number"),
    "quantity": (
        lambda v: _is_int(v) or isinstance(v, float | str),
        "a quantity (a string or a number)",
    ),
    "intOrString": (lambda v: _is_int(v) or isinstance(v, str), "an integer or a string"),
}


def _check_scalar(type_name: str, value: object, path: str) -> FieldProblem | None:
    """The problem with a scalar of the given type, or None."""
    accepts, expected = _SCALARS[type_name]
    return None if accepts(value) else _shape_problem(path, expected, value)


def _check(type_name: str, value: object, path: str, problems: list[FieldProblem]) -> None:
    """Check ``value`` against ``type_name``, appending what is wrong to ``problems``."""
    if value is None or type_name == "any":
        return
    if type_name.startswith("[]"):
        if not isinstance(value, list):
            problems.append(_shape_problem(path, "a list", value))
            return
        for index, item in enumerate(value):
            _check(type_name[2:], item, f"{path}[{index}]", problems)
        return
    if type_name.startswith("{}"):
        if not isinstance(value, Mapping):
            problems.append(_shape_problem(path, "a mapping", value))
            return
        for key, item in value.items():
            _check(type_name[2:], item, map_entry_path(path, str(key)), problems)
        return
    fields = STRUCTS.get(type_name)
    if fields is None:
        problem = _check_scalar(type_name, value, path)
        if problem is not None:
            problems.append(problem)
        return
    if not isinstance(value, Mapping):
        problems.append(_shape_problem(path, "a mapping", value))
        return
    for key, item in value.items():
        field_path = join_path(path, str(key))
        field_type = fields.get(key)
        if field_type is None:
            message = f'unknown field "{key}"'
            suggestion = closest_field(str(key), fields)
            if str(key).startswith("$"):
                # $patch, $setElementOrder/...: a strategic merge patch's directives.
                message += " (a patch directive: this is a patch, not an object; render it first:"
                message += " kubectl kustomize DIR | kmodel ... -)"
            elif suggestion is not None:
                message += f' (did you mean "{suggestion}"?)'
            problems.append(FieldProblem(field_path, message, unknown=True))
            continue
        _check(field_type, item, field_path, problems)


def check_fields(kind: str, body: Mapping[str, object]) -> list[FieldProblem]:
    """Every unknown field and every value of the wrong type in an object of a modelled kind.

    Args:
        kind: a kind of :data:`kmodel.objects.known_fields.KIND_ROOTS`.
        body: the object as loaded.

    Returns:
        The problems in document order (empty when the object is well formed).
    """
    problems: list[FieldProblem] = []
    _check(KIND_ROOTS[kind], body, "", problems)
    return problems
