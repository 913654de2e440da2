"""Go formatting rules that upstream messages depend on (``%q``, ``%s`` of a slice, durations)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from fractions import Fraction

__all__ = ["go_duration", "go_quote", "go_string_list"]

_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": r"\\",
    '"': r"\"",
}


def go_quote(text: str) -> str:
    """Format a string as Go's ``%q`` (``strconv.Quote``) does."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == " " or (char.isprintable() and unicodedata.category(char)[0] != "Z"):
            out.append(char)
        elif ord(char) < 0x80:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def go_string_list(items: Iterable[str]) -> str:
    """Format a ``[]string`` as Go's ``%s`` does: ``[a b c]``."""
    return "[" + " ".join(items) + "]"


def go_duration(seconds: float | Fraction) -> str:
    """Format a duration as Go's ``time.Duration.String`` does (``10s``, ``5m0s``, ``1h0m0s``).

    Sub-second durations use ``ms``/``µs``/``ns`` as Go does; the model's durations are whole or
    fractional seconds.
    """
    nanos = round(Fraction(seconds) * 10**9)
    if nanos == 0:
        return "0s"
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos < 10**9:
        for unit, scale in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if nanos >= scale:
                return sign + _trim(Fraction(nanos, scale)) + unit
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = _trim(Fraction(rest, 10**9)) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _trim(value: Fraction) -> str:
    """Decimal text of an exact value with trailing zeros removed (at most 9 decimals)."""
    whole, frac = divmod(value, 1)
    if not frac:
        return str(int(whole))
    digits = f"{int(frac * 10**9):09d}".rstrip("0")
    return f"{int(whole)}.{digits}"
