"""Go's integer and rounding rules (kmodel.internal.gocompat), at the edges upstream relies on."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kmodel.internal.gocompat import (
    MAX_INT32,
    MIN_INT32,
    go_atoi,
    go_div,
    go_int32,
    go_log2_int,
    go_parse_int,
    go_round,
)


@pytest.mark.parametrize(
    ("text", "bits", "expected"),
    [
        ("42", 32, 42),
        ("+7", 32, 7),
        ("-0", 32, 0),
        ("007", 32, 7),
        ("2147483647", 32, MAX_INT32),
        ("2147483648", 32, None),
        ("-2147483648", 32, MIN_INT32),
        ("9223372036854775807", 64, 2**63 - 1),
        ("9223372036854775808", 64, None),
        ("", 64, None),
        ("+", 64, None),
        (" 1", 64, None),
        ("1_000", 64, None),
        ("1\n", 64, None),  # strconv refuses a trailing newline ("$" alone would accept it)
        ("\u0661", 64, None),  # ARABIC-INDIC DIGIT ONE: a digit, not an ASCII one
    ],
)
def test_parse_int_accepts_what_strconv_does(text, bits, expected):
    assert go_parse_int(text, bits) == expected


def test_atoi_is_64_bit():
    assert go_atoi("-9223372036854775808") == -(2**63)
    assert go_atoi("x") is None


def test_int32_wraps_and_div_truncates():
    assert go_int32(MAX_INT32 + 1) == MIN_INT32
    assert go_int32(-1) == -1
    assert go_div(-7, 2) == -3
    assert go_div(7, -2) == -3
    assert go_div(7, 2) == 3


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0.5, 1), (-0.5, -1), (2.5, 3), (2.4999, 2), (Fraction(5, 2), 3), (Fraction(-5, 2), -3)],
)
def test_round_is_half_away_from_zero(number, expected):
    assert go_round(number) == expected


def test_log2_is_the_float_log_of_go():
    assert go_log2_int(1) == 0
    assert go_log2_int(1024) == 10
    assert go_log2_int(1023) == 9
    assert go_log2_int(2**48 - 1) == 47
    # Just below 2**49 Go's float Log2 rounds up into bucket 49; an exact log would say 48.
    assert go_log2_int(2**49 - 1) == 49
