"""Go's integer and rounding rules, where upstream results depend on them.

One place for what several mirrors need: ``strconv.ParseInt``/``Atoi``, ``int32(x)`` wrapping,
integer division that truncates toward zero and ``math.Round`` (half away from zero, where
Python's ``round`` rounds half to even). Go's formatting (``%q``, durations) is in
:mod:`kmodel.internal.gofmt`.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

__all__ = [
    "GO_DECIMAL",
    "MAX_INT32",
    "MIN_INT32",
    "go_atoi",
    "go_div",
    "go_float_div",
    "go_int32",
    "go_int64_ceil",
    "go_log2_int",
    "go_parse_int",
    "go_round",
]

MIN_INT32: Final = -(2**31)
MAX_INT32: Final = 2**31 - 1

#: The text ``strconv.ParseInt(text, 10, ...)`` accepts (before its range check), to be used with
#: ``fullmatch`` (``$`` would also match before a trailing newline, which Go refuses).
GO_DECIMAL: Final = re.compile(r"[+-]?[0-9]+")


def go_parse_int(text: str, bits: int) -> int | None:
    """``strconv.ParseInt(text, 10, bits)``: the number, or ``None`` on a syntax or range error."""
    if not GO_DECIMAL.fullmatch(text):
        return None
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        return None
    return value


def go_atoi(text: str) -> int | None:
    """``strconv.Atoi`` (a 64-bit ``int``): the number, or ``None`` on error."""
    return go_parse_int(text, 64)


def go_int32(value: int) -> int:
    """Wrap to int32 as a Go conversion ``int32(x)`` does."""
    return (value + 2**31) % 2**32 - 2**31


def go_div(numerator: int, denominator: int) -> int:
    """Go's integer division: truncation toward zero (Python's ``//`` floors)."""
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def go_float_div(numerator: float, denominator: float) -> float:
    """Go's ``float64`` division: IEEE 754, so x/0 is +-Inf and 0/0 NaN (where Python raises)."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0 or math.isnan(numerator):
        return math.nan
    return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)


def go_int64_ceil(number: float) -> int:
    """``int64(math.Ceil(x))`` as Go computes it on amd64.

    A NaN, an infinity or an out-of-range value converts to the "integer indefinite"
    ``math.MinInt64`` (what ``CVTTSD2SI`` gives), not an error.
    """
    if math.isnan(number) or math.isinf(number) or not -(2.0**63) <= number < 2.0**63:
        return -(2**63)
    return math.ceil(number)


def go_round(number: float | Fraction) -> int:
    """Go's ``math.Round``: half away from zero, exactly (unlike ``floor(x + 0.5)``)."""
    if isinstance(number, Fraction):
        magnitude = (abs(number.numerator) * 2 + number.denominator) // (2 * number.denominator)
        return magnitude if number >= 0 else -magnitude
    whole = math.trunc(number)
    if abs(number - whole) >= 0.5:
        whole += 1 if number > 0 else -1
    return whole


def go_log2_int(value: int) -> int:
    """``int64(math.Log2(float64(value)))`` for a positive value, exactly as Go computes it.

    Go's ``math.Log2`` is ``Log(frac)*(1/Ln2) + exp`` after ``Frexp`` (exact for powers of two);
    the float conversion and the final rounding can put a value just below ``2**k`` (from about
    2**47) into bucket ``k``, which an exact integer log would not.
    """
    frac, exp = math.frexp(float(value))
    if frac == 0.5:
        return exp - 1
    return int(math.log(frac) * (1 / math.log(2)) + exp)
