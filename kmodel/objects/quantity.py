"""Kubernetes resource quantities, parsed exactly as the API server parses them.

Mirrors ``k8s.io/apimachinery/pkg/api/resource`` (``quantity.go``: ``ParseQuantity``,
``parseQuantityString``, ``Quantity.Value``, ``Quantity.MilliValue``; ``suffix.go``:
``suffixHandler.interpret``; ``Quantity.UnmarshalJSON``). Amounts are kept exact as
:class:`fractions.Fraction`; the model's integer units are cpu in millicores and everything
else (memory, ephemeral-storage, extended resources) in whole units, rounded up as upstream does.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

from kmodel.errors import InputError
from kmodel.internal.gocompat import go_int32

__all__ = [
    "MAX_QUANTITY",
    "format_quantity",
    "milli_value",
    "parse_quantity",
    "quantity_in_model_units",
    "value",
]

#: ``maxAllowed``: ParseQuantity caps every amount at the largest int64.
MAX_QUANTITY = Fraction(2**63 - 1)

_NANO = Fraction(1, 10**9)

# suffix.go: the decimal SI and binary SI suffix tables (base, exponent).
_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")

_ERR_FORMAT = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_ERR_SUFFIX = "unable to parse quantity's suffix"


def _scan(text: str) -> tuple[bool, str, str, str]:
    """Split a quantity into sign, numerator, denominator and suffix.

    Mirrors ``parseQuantityString``, including its leniencies: a lone sign or a lone ``.``
    reads as zero, and ``1.`` is allowed.
    """
    positive = True
    pos = 0
    end = len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(_ERR_FORMAT)
    return positive, num, denom, text[suffix_start:]


def _interpret_suffix(suffix: str) -> tuple[int, int]:
    """Return ``(base, exponent)`` for a suffix; mirrors ``suffixHandler.interpret``."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix]
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix]
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        body = digits[1:] if digits[0] in "+-" else digits
        if body and all(c in _DIGITS for c in body):
            exponent = int(digits)
            if abs(exponent) <= 2**63 - 1:
                # Go converts the parsed int64 with int32(...), wrapping around.
                return 10, go_int32(exponent)
    raise ValueError(_ERR_SUFFIX)


def parse_quantity(raw: object) -> Fraction:
    """Parse a quantity as the API does and return its exact amount.

    Accepts what a manifest may hold: a string (``"250m"``, ``"1Gi"``, ``"1e3"``, surrounding
    whitespace trimmed as ``UnmarshalJSON`` does) or a YAML number (``0.5``, ``2``), which the
    API reads from its text. Non-zero amounts are rounded away from zero to a whole nano, and
    capped at :data:`MAX_QUANTITY` in magnitude, as ``ParseQuantity`` does.

    Raises:
        InputError: ``invalid quantity "<text>": <upstream reason>``.
    """
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InputError(
            f'invalid quantity {raw!r}: must be a string such as "250m" or "1Gi", '
            f"or a number, not {type(raw).__name__}"
        )
    if isinstance(raw, float) and not math.isfinite(raw):
        raise InputError(f"invalid quantity {raw!r}: {_ERR_FORMAT}")
    return _parse_text(raw.strip() if isinstance(raw, str) else repr(raw))


@functools.lru_cache(maxsize=8192)
def _parse_text(text: str) -> Fraction:
    """Parse the text of a quantity (cached: models parse the same few quantities over and over)."""
    if not text:
        raise InputError(f'invalid quantity "{text}": {_ERR_FORMAT}')
    try:
        positive, num, denom, suffix = _scan(text)
        base, exponent = _interpret_suffix(suffix)
    except ValueError as exc:
        raise InputError(f'invalid quantity "{text}": {exc}') from None
    magnitude = Fraction(int(num + denom), 10 ** len(denom))
    if base == 10:
        if abs(exponent) > 40 and magnitude:
            # Far beyond int64 or below a nano: decided without building a huge number.
            magnitude = MAX_QUANTITY if exponent > 0 else _NANO
        else:
            magnitude *= Fraction(10) ** exponent
    else:
        magnitude *= 2**exponent
    if magnitude:
        magnitude = math.ceil(magnitude / _NANO) * _NANO
    magnitude = min(magnitude, MAX_QUANTITY)
    return magnitude if positive else -magnitude


def _scaled(amount: Fraction, factor: int) -> int:
    """Scale and round away from zero, as ``Quantity.ScaledValue`` does."""
    scaled = amount * factor
    rounded = math.ceil(abs(scaled))
    return rounded if scaled >= 0 else -rounded


def value(amount: Fraction) -> int:
    """The amount in whole units, rounded away from zero; mirrors ``Quantity.Value``."""
    return _scaled(amount, 1)


def milli_value(amount: Fraction) -> int:
    """The amount in thousandths, rounded away from zero; mirrors ``Quantity.MilliValue``."""
    return _scaled(amount, 1000)


def quantity_in_model_units(resource: str, raw: object) -> int:
    """Parse a request or limit and return it in the model's unit for that resource.

    cpu in millicores (``MilliValue``), every other resource in whole units (``Value``), as
    the scheduler's ``framework.Resource.Add`` reads them.
    """
    if type(raw) is str:
        return _text_in_model_units(resource == "cpu", raw)
    amount = parse_quantity(raw)
    return milli_value(amount) if resource == "cpu" else value(amount)


@functools.lru_cache(maxsize=8192)
def _text_in_model_units(milli: bool, text: str) -> int:
    """A quantity string in model units (cached: every node status and pod is read again)."""
    amount = parse_quantity(text)
    return milli_value(amount) if milli else value(amount)


def format_quantity(resource: str, units: int) -> str:
    """Render model units back as a short quantity string (``1500m``, ``2``, ``512Mi``)."""
    if resource == "cpu":
        return str(units // 1000) if units % 1000 == 0 else f"{units}m"
    for suffix, exponent in sorted(_BINARY_SUFFIXES.items(), key=lambda kv: -kv[1]):
        if units and units % (2**exponent) == 0:
            return f"{units >> exponent}{suffix}"
    return str(units)
