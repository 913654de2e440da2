"""Quantities parsed as the API server parses them (apimachinery resource.ParseQuantity)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmodel.errors import InputError
from kmodel.objects.quantity import (
    MAX_QUANTITY,
    format_quantity,
    milli_value,
    parse_quantity,
    quantity_in_model_units,
    value,
)


@pytest.mark.parametrize(
    ("text", "cpu_millis", "units"),
    [
        ("250m", 250, 1),
        ("0.5", 500, 1),
        ("1", 1000, 1),
        ("1Gi", 1024**3 * 1000, 1024**3),
        ("1e3", 1_000_000, 1000),
        ("1E3", 1_000_000, 1000),
        ("500M", 500 * 10**9, 500 * 10**6),
        ("1Ki", 1_024_000, 1024),
        ("1.5Gi", 1_610_612_736_000, 1_610_612_736),
        ("100Mi", 104_857_600_000, 104_857_600),
        ("2k", 2_000_000, 2000),
        ("3u", 1, 1),  # 3e-6 cpu rounds up to 1 millicore; memory to 1 byte
        ("7n", 1, 1),
        ("0.1m", 1, 1),
        ("1e-7", 1, 1),
        ("1.", 1000, 1),  # upstream allows "1."
        (".5", 500, 1),
        ("+1", 1000, 1),
        ("0", 0, 0),
        ("000", 0, 0),
        (" 1Gi ", 1024**3 * 1000, 1024**3),  # UnmarshalJSON trims spaces
        ("12e-1", 1200, 2),
    ],
)
def test_strings(text, cpu_millis, units):
    assert quantity_in_model_units("cpu", text) == cpu_millis
    assert quantity_in_model_units("memory", text) == units


@pytest.mark.parametrize(
    ("number", "cpu_millis", "units"),
    [(0.5, 500, 1), (2, 2000, 2), (1e-07, 1, 1), (1e16, 10**19, 10**16), (0, 0, 0)],
)
def test_yaml_numbers_are_read_from_their_text(number, cpu_millis, units):
    assert quantity_in_model_units("cpu", number) == cpu_millis
    assert quantity_in_model_units("memory", number) == units


def test_rounding_up_to_a_nano():
    assert parse_quantity("0.0000000001") == Fraction(1, 10**9)
    assert parse_quantity("1.0000000001") == Fraction(1_000_000_001, 10**9)


def test_negative_amounts_round_away_from_zero():
    assert parse_quantity("-1.5") == Fraction(-3, 2)
    assert value(parse_quantity("-1.5")) == -2
    assert milli_value(parse_quantity("-0.0001")) == -1


def test_capped_at_max_int64():
    assert parse_quantity("1e100") == MAX_QUANTITY
    assert parse_quantity("16Ei") == MAX_QUANTITY
    assert parse_quantity("8Ei") == MAX_QUANTITY  # 2^63 is one past the cap
    assert parse_quantity("4Ei") == 2**62


def test_lone_sign_and_dot_read_as_zero_as_upstream():
    assert parse_quantity("-") == 0
    assert parse_quantity("+") == 0
    assert parse_quantity(".") == 0


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("1.2.3", "quantities must match the regular expression"),
        ("abc", "quantities must match the regular expression"),
        ("", "quantities must match the regular expression"),
        ("1 Gi", "quantities must match the regular expression"),
        ("1K", "unable to parse quantity's suffix"),
        ("1e", "unable to parse quantity's suffix"),
        ("1ee3", "unable to parse quantity's suffix"),
        ("1Gii", "unable to parse quantity's suffix"),
        ("5m3", "unable to parse quantity's suffix"),
        (True, "must be a string"),
        (None, "must be a string"),
        ([1], "must be a string"),
        (float("inf"), "quantities must match"),
        (float("nan"), "quantities must match"),
    ],
)
def test_invalid(raw, reason):
    with pytest.raises(InputError) as info:
        parse_quantity(raw)
    assert reason in str(info.value)
    assert "invalid quantity" in str(info.value)


def test_error_names_the_text():
    with pytest.raises(InputError, match=r'invalid quantity "1\.2\.3"'):
        parse_quantity("1.2.3")


@pytest.mark.parametrize(
    ("resource", "units", "text"),
    [
        ("cpu", 1500, "1500m"),
        ("cpu", 2000, "2"),
        ("memory", 512 * 2**20, "512Mi"),
        ("memory", 1000, "1000"),
    ],
)
def test_format_round_trips(resource, units, text):
    assert format_quantity(resource, units) == text
    assert quantity_in_model_units(resource, text) == units


@given(
    st.integers(0, 10**6),
    st.sampled_from(["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "n", "u", "e3", "E-2"]),
)
def test_integer_with_suffix_matches_exact_arithmetic(number, suffix):
    scale = {
        "": Fraction(1),
        "m": Fraction(1, 1000),
        "k": Fraction(1000),
        "M": Fraction(10**6),
        "G": Fraction(10**9),
        "Ki": Fraction(1024),
        "Mi": Fraction(2**20),
        "Gi": Fraction(2**30),
        "n": Fraction(1, 10**9),
        "u": Fraction(1, 10**6),
        "e3": Fraction(1000),
        "E-2": Fraction(1, 100),
    }[suffix]
    assert parse_quantity(f"{number}{suffix}") == number * scale


@given(st.text(max_size=12))
def test_any_text_parses_or_raises_input_error(text):
    try:
        amount = parse_quantity(text)
    except InputError:
        return
    assert isinstance(amount, Fraction)
    assert abs(amount) <= MAX_QUANTITY
