"""kmodel's own file formats (specs, scenarios, traces) declared as pydantic models.

Each format is declared once, as typed pydantic v2 models: the declaration gives the validation
(with the location of every problem), the defaults, the field documentation and the JSON Schema
an editor reads (``schemas/``). This module holds what every format shares: the strict base
model, and the translation of pydantic's errors into kmodel's :class:`InputError` naming the file
and the field path (``cluster.nodes[0].cpu``), with the closest known key for an unknown one.

pydantic is imported by the format loaders only (0.1-0.2 s), never at startup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Final, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from kmodel.errors import InputError, join_path
from kmodel.internal.values import describe_value
from kmodel.objects.field_check import closest_field

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

__all__ = [
    "Count",
    "FormatModel",
    "NonEmpty",
    "Positive",
    "Quantity",
    "format_errors",
    "parse_format",
]

Model = TypeVar("Model", bound=BaseModel)

#: A non-empty string.
NonEmpty = Annotated[str, Field(min_length=1)]
#: A whole number, 0 or more.
Count = Annotated[int, Field(ge=0)]
#: A whole number, 1 or more.
Positive = Annotated[int, Field(ge=1)]
#: A resource amount: ``"500m"``, ``8Gi``, ``4``.
Quantity = Annotated[str | int | float, Field(description="a quantity: 500m, 8Gi, 4")]


class FormatModel(BaseModel):
    """Base of every format's model: strict types, unknown keys refused, camelCase keys.

    Strict: ``"3"`` is not an integer and ``3`` is not a string, as the hand-written
    validation had it; a key the model does not declare is an error naming the closest known
    key (a typo is an error, not a silent default).
    """

    model_config: ClassVar[ConfigDict] = ConfigDict(
        strict=True, extra="forbid", frozen=True, populate_by_name=False
    )
    #: What an unknown key is called in errors (``unknown action``).
    key_noun: ClassVar[str] = "field"

    @model_validator(mode="before")
    @classmethod
    def _note_known_keys(cls, data: Any, info: ValidationInfo) -> Any:  # noqa: ANN401
        """Note the keys a mapping with unknown ones may have, for the error's suggestion."""
        if isinstance(data, Mapping) and isinstance(info.context, dict):
            known = [field.alias or name for name, field in cls.model_fields.items()]
            if any(key not in known for key in data):
                info.context[id(data)] = (known, cls.key_noun)
        return data


#: pydantic's type errors, and what kmodel says was expected.
_TYPE_ERRORS: Final = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "bool_type": "a boolean",
    "float_type": "a number",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "none_required": "null",
    "literal_error": "",
}


def _location(value: object, loc: tuple[int | str, ...], *, missing: bool) -> tuple[str, object]:
    """The field path of an error's location and the value there, walking the document.

    Parts of the location the document does not have are the tags pydantic adds for a union's
    members (``str``, ``<pool>``): skipped; only a missing field's name is kept. A discriminated
    union's tags must therefore never be keys of the document (hence the angle brackets).
    """
    path = ""
    last = len(loc) - 1
    for index, part in enumerate(loc):
        if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
            path, value = f"{path}[{part}]", value[part]
        elif isinstance(value, Mapping) and part in value:
            path, value = f"{path}.{part}" if path else str(part), value[part]
        elif missing and index == last:
            path, value = f"{path}.{part}" if path else str(part), None
    return path, value


def _joined(messages: list[str]) -> str:
    """``must be a string or a mapping, not integer 5`` from each union member's message."""
    endings = {m.rpartition(", not ")[2] for m in messages}
    if len(messages) > 1 and len(endings) == 1 and all(m.startswith("must be ") for m in messages):
        expected = [m.removeprefix("must be ").rpartition(", not ")[0] for m in messages]
        return f"must be {' or '.join(expected)}, not {endings.pop()}"
    return " or ".join(messages)


def _message(error: ErrorDetails, value: object) -> str:
    """Kmodel's wording for one pydantic error (``must be an integer, not a string``)."""
    kind = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    found = describe_value(value)
    if kind == "literal_error":
        return f"must be {str(ctx.get('expected')).replace(chr(39), '')}, not {found}"
    expected = _TYPE_ERRORS.get(kind)
    if expected is not None:
        return f"must be {expected}, not {found}"
    if kind == "missing":
        return "is required"
    if kind in {"greater_than_equal", "greater_than"}:
        bound = ctx.get("ge", ctx.get("gt"))
        word = "at least" if kind == "greater_than_equal" else "greater than"
        return f"must be {word} {bound}, not {value!r}"
    if kind in {"less_than_equal", "less_than"}:
        bound = ctx.get("le", ctx.get("lt"))
        word = "at most" if kind == "less_than_equal" else "less than"
        return f"must be {word} {bound}, not {value!r}"
    if kind == "string_too_short":
        return "must be a non-empty string"
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])


def format_errors(
    error: ValidationError,
    document: object,
    *,
    file: str,
    prefix: str = "",
    known: Mapping[int, tuple[Sequence[str], str]] | None = None,
) -> InputError:
    """Every problem of a pydantic validation as one :class:`InputError` (file and field paths).

    ``known`` maps a mapping's ``id`` to the keys it may have (noted during validation), for
    the closest known key of an unknown one. Where a union's members each fail at one path,
    a member whose type matched speaks; else their expectations are joined with "or".
    """
    by_path: dict[str, list[tuple[str, bool]]] = {}
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        kind = detail["type"]
        path, value = _location(document, loc, missing=kind in {"missing", "extra_forbidden"})
        if kind in {"unknown_keys", "extra_forbidden"}:
            ctx = detail.get("ctx") or {}
            allowed: Sequence[str] = ctx.get("known", ())
            noun: str = ctx.get("noun", "field")
            if kind == "extra_forbidden":
                _, parent = _location(document, loc[:-1], missing=False)
                allowed, noun = (known or {}).get(id(parent), ((), noun))
            keys = (detail.get("ctx") or {}).get("keys", ()) or [path.rpartition(".")[2]]
            for key in keys:
                key_path = path if kind == "extra_forbidden" else join_path(path, str(key))
                suggestion = closest_field(str(key), set(allowed))
                hint = f'did you mean "{suggestion}"? ' if suggestion else ""
                listed = f"allowed: {', '.join(allowed)}" if allowed else ""
                detail_text = f"{hint}{listed}".strip()
                message = f"unknown {noun} ({detail_text})" if detail_text else f"unknown {noun}"
                by_path.setdefault(key_path, []).append((message, False))
            continue
        message = _message(detail, value)
        entries = by_path.setdefault(path, [])
        if (message, kind in _TYPE_ERRORS) not in entries:
            entries.append((message, kind in _TYPE_ERRORS))
    problems = []
    for path, entries in by_path.items():
        specific = [m for m, type_error in entries if not type_error]
        problems.append(
            InputError(
                _joined(specific or [m for m, _ in entries]),
                file=file,
                path=join_path(prefix, path) if prefix and path else prefix or path or None,
            )
        )
    if len(problems) == 1:
        return problems[0]
    return InputError(f"{len(problems)} problems in the input:", file=file, problems=problems)


def parse_format(model: type[Model], document: object, *, file: str, prefix: str = "") -> Model:
    """``document`` validated as ``model``.

    Args:
        model: the format's model.
        document: the parsed YAML (plain mappings, lists and scalars).
        file: the file it came from, for errors.
        prefix: the field path of ``document`` inside its file ("" for the whole document).

    Raises:
        InputError: every problem, each with the file and its field path.
    """
    known: dict[int, tuple[Sequence[str], str]] = {}
    try:
        return model.model_validate(document, context=known)
    except ValidationError as error:
        raise format_errors(error, document, file=file, prefix=prefix, known=known) from None
