"""kla.core.fmt: the one rule for numbers shown to people (decimal comma, thousands dot from 10.000)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from kla.core import fmt


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (22.345, 1, "22,3"),
        (22.25, 1, "22,3"),  # half away from zero, not half-to-even
        (0.145, 2, "0,15"),  # on the decimal the float stands for (f-strings give 0.14)
        (2.5, 0, "3"),
        (-2.5, 0, "\u22123"),
        (14.0, 1, "14,0"),
        (7.0, 2, "7,00"),
        (0.04, 1, "0,0"),
        (999.96, 1, "1000,0"),
        (9999.96, 1, "10.000,0"),  # rounding carries into the fifth digit: now grouped
    ],
)
def test_number_rounds_half_away_from_zero(value: float, decimals: int, text: str) -> None:
    assert fmt.number(value, decimals) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (42.0, "42"),
        (10.5, "10,5"),
        (573.25, "573,25"),
        (13.666667, "13,6667"),  # six significant digits, as :g
        (0.1 + 0.2, "0,3"),  # float noise never shows
        (0.000123456, "0,000123456"),
        (1234567.8, "1.234.568"),  # :g would print 1.23457e+06
        (1e22, "10.000.000.000.000.000.000.000"),
    ],
)
def test_number_without_decimals_is_like_g_without_exponent(value: float, text: str) -> None:
    assert fmt.number(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1000"),  # four digits stay ungrouped: the KLA maximum reads "1000"
        (9999, "9999"),
        (10000, "10.000"),
        (58623, "58.623"),
        (123456, "123.456"),
        (1234567, "1.234.567"),
        (-58623, "\u221258.623"),
        (10**30, "1" + ".000" * 10),  # ints stay exact however large
    ],
)
def test_integer_groups_thousands_from_five_digits(value: int, text: str) -> None:
    assert fmt.integer(value) == text


def test_integer_rounds_floats() -> None:
    assert fmt.integer(1234.5) == "1235"
    assert fmt.integer(58622.5) == "58.623"
    assert fmt.integer(-0.4) == "0"


def test_decimals_follow_the_grouping() -> None:
    assert fmt.number(1234.5, 1) == "1234,5"
    assert fmt.number(12345.5, 1) == "12.345,5"
    assert fmt.number(-12345.678, 2) == "\u221212.345,68"


def test_negatives_use_the_minus_sign() -> None:
    assert fmt.number(-3.5) == "\u22123,5"
    assert fmt.percent(-0.75) == "\u22120,8%"
    assert "-" not in fmt.number(-3.5)


@pytest.mark.parametrize("zero", [0.0, -0.0, -0.04, -1e-12, np.float64(-0.0)])
def test_negative_zero_prints_without_sign(zero: float) -> None:
    assert fmt.number(zero, 1) == "0,0"
    assert fmt.number(zero, 0) == "0"
    assert fmt.signed(zero, 1) == "0,0"
    assert fmt.metric_delta(zero, 0) == "0"
    assert fmt.percent(zero, 0) == "0%"


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), np.nan, pd.NA, Decimal("NaN")])
def test_missing_is_a_dash(missing: object) -> None:
    assert fmt.number(missing) == "–"
    assert fmt.number(missing, 2) == "–"
    assert fmt.integer(missing) == "–"
    assert fmt.percent(missing) == "–"  # no "%" after nothing
    assert fmt.signed(missing) == "–"
    assert fmt.metric_delta(missing) == "–"


def test_infinity() -> None:
    assert fmt.number(math.inf) == "∞"
    assert fmt.number(-math.inf, 1) == "\u2212∞"
    assert fmt.signed(math.inf) == "+∞"


def test_percent() -> None:
    assert fmt.percent(22.345) == "22,3%"
    assert fmt.percent(14) == "14,0%"
    assert fmt.percent(14, 0) == "14%"
    assert fmt.percent(14.25, None) == "14,25%"
    assert fmt.percent(12345.67, 1) == "12.345,7%"


def test_signed() -> None:
    assert fmt.signed(3.5) == "+3,5"
    assert fmt.signed(-3.5) == "\u22123,5"
    assert fmt.signed(31.5, 1) == "+31,5"
    assert fmt.signed(12345) == "+12.345"
    assert fmt.signed(0) == "0"


def test_metric_delta_uses_ascii_minus_for_streamlit() -> None:
    # st.metric reads the direction of a text delta from a leading "-"
    assert fmt.metric_delta(-3.5) == "-3,5"
    assert fmt.metric_delta(3.5) == "+3,5"
    assert fmt.metric_delta(-12345.25, 1) == "-12.345,3"


def test_number_list_uses_semicolons() -> None:
    assert fmt.number_list([0, 10.25, 20.5, 30.75, 41]) == "0; 10,25; 20,5; 30,75; 41"
    assert fmt.number_list([14.0, 20.0], 1) == "14,0; 20,0"
    assert fmt.number_list([]) == ""


def test_numpy_and_decimal_inputs() -> None:
    assert fmt.number(np.float64(22.345), 1) == "22,3"
    assert fmt.number(np.float32(0.5), 1) == "0,5"
    assert fmt.integer(np.int64(58623)) == "58.623"
    assert fmt.number(Decimal("1234.50")) == "1234,5"


@pytest.mark.parametrize("bad", ["12.5", b"1", True, object()])
def test_non_numbers_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        fmt.number(bad)


def test_negative_decimals_are_refused() -> None:
    with pytest.raises(ValueError, match="decimals"):
        fmt.number(1.5, -1)
