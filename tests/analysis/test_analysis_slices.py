"""Passes that work slice by slice (``combined_key``, the whole-score check) give what
one pass over every rating would, wherever the slices end."""

from __future__ import annotations

import numpy as np
import pytest

from feedback.analysis.codes import combined_key
from feedback.analysis.tallies import _as_points

RNG = np.random.default_rng(21)


@pytest.mark.parametrize("slice_rows", [1, 3, 7, 50, 51, 1 << 20])
def test_combined_key_is_the_same_whatever_the_slices(slice_rows):
    coachee = RNG.integers(0, 90, 51).astype(np.int8)
    item = RNG.integers(0, 40, 51).astype(np.int16)
    group = RNG.integers(0, 5, 51).astype(np.int8)
    expected = coachee.astype(np.int64) * 200 + item.astype(np.int64) * 5 + group
    key = combined_key((coachee, 200), (item, 5), (group, 1), slice_rows=slice_rows)
    assert key.dtype == np.int64
    np.testing.assert_array_equal(key, expected)


def test_combined_key_of_one_part_and_of_no_rows():
    np.testing.assert_array_equal(combined_key((np.array([1, 2], dtype=np.int8), 300)), [300, 600])
    assert len(combined_key((np.array([], dtype=np.int8), 3), (np.array([]), 1))) == 0


@pytest.mark.parametrize("slice_rows", [1, 4, 5, 9, 1 << 20])
def test_whole_scores_become_points_in_every_slice(slice_rows):
    score = np.array([1, 5, np.nan, 3, 2, np.nan, 4, 4, 1.0])
    points = _as_points(score, slice_rows=slice_rows)
    assert points is not None and points.dtype == np.int8
    np.testing.assert_array_equal(points, [1, 5, 0, 3, 2, 0, 4, 4, 1])


@pytest.mark.parametrize("slice_rows", [1, 2, 4, 5, 1 << 20])
def test_a_fraction_in_the_last_slice_is_seen(slice_rows):
    score = np.array([1, 5, np.nan, 3, 2.5])
    assert _as_points(score, slice_rows=slice_rows) is None
    assert _as_points(np.array([]), slice_rows=slice_rows) is not None
