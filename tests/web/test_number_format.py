"""The dashboard's number filters: a dash for whatever is hidden or missing, whatever
type the figure comes in (the fast path for floats and ints must agree with the rest)."""

from decimal import Decimal

import numpy as np
import pytest

from feedback.web import format_number, format_whole


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), np.nan, np.float64("nan"), np.float32("nan"), Decimal("NaN"), "3", ""],
)
def test_hidden_or_missing_is_a_dash(value):
    assert format_number(value) == "–"
    assert format_whole(value) == "–"


@pytest.mark.parametrize(
    ("value", "number", "whole"),
    [
        (3.456, "3.46", "3"),
        (np.float64(-0.5), "-0.50", "0"),
        (np.float32(2.25), "2.25", "2"),
        (4, "4.00", "4"),
        (np.int64(7), "7.00", "7"),
        (True, "1.00", "1"),
        (Decimal("1.2"), "1.20", "1"),
    ],
)
def test_figures_are_formatted(value, number, whole):
    assert format_number(value) == number
    assert format_whole(value) == whole
    assert format_number(value, digits=1, signed=True).startswith(("+", "-"))
