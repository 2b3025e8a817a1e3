"""Tallies: the one fast part of the analysis, behind one function, :func:`tally`.

Every figure of the gap table is a function of a few sums over the ratings of one
coachee, one unit (an item, or a competency) and one group: how many rows, how many
answers, their sum and sum of squares, their lowest and highest, and how many of each
score. :func:`tally` computes all of them for every coachee, unit and group at once
(ten million ratings in about a second) and hands them over as ordinary frames, one
column per group; the rules (:mod:`.guard`, :mod:`.rwg`, :mod:`.categories`,
:mod:`.stats`) read them with plain pandas. How it is fast: labels become integer
codes (:mod:`.codes`), and whole-number scores are counted with one ``numpy.bincount``
over (score, group, coachee x unit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codes import (
    SLICE_ROWS,
    codes_in_order,
    combined_key,
    labels_column,
    number_pairs,
    same_within,
)
from .rules import GROUPS, RATER_GROUPS

#: Columns every ratings frame must have (``coachee_id`` may be missing: one coachee).
RATING_COLUMNS: tuple[str, ...] = (
    "coachee_id",
    "rater_id",
    "group",
    "item_key",
    "competency",
    "score",
)
#: The coachee of a ratings frame without a ``coachee_id`` column.
DEFAULT_COACHEE = "1"

_SELF = GROUPS.index("self")
_RATERS = slice(_SELF + 1, None)  # the rater groups follow self in GROUPS


def score_counts(scale_points: int) -> list[str]:
    """``count_1`` .. ``count_<scale_points>``: how many answers gave each score."""
    return [f"count_{score}" for score in range(1, scale_points + 1)]


@dataclass(frozen=True)
class Tallies:
    """The ratings of every coachee x unit x group, tallied.

    Every frame has one row per coachee x unit, on the same 0..P-1 index. ``own`` holds
    the coachee's own ratings (the self group); the others have one column per rater
    group of RATER_GROUPS.

    Attributes:
        keys: ``coachee_id``, the parent column (if any) and the unit column (str).
        own: the self group's ``rows``, ``n`` and ``sum``, as below.
        rows: the group's ratings of the unit, "Don't know" included.
        n: its answers (not "Don't know").
        sum, sumsq: the sum and the sum of squares of those answers (float).
        min, max: the lowest and the highest answer (NaN without answers).
        counts: ``count_1`` .. ``count_A`` -> answers with that score; a score between
            two points counts at the nearer one, halves up.
    """

    keys: pd.DataFrame
    own: pd.DataFrame
    rows: pd.DataFrame
    n: pd.DataFrame
    sum: pd.DataFrame
    sumsq: pd.DataFrame
    min: pd.DataFrame
    max: pd.DataFrame
    counts: dict[str, pd.DataFrame]


def tally(
    ratings: pd.DataFrame, unit: str, scale_points: int, *, parent: str | None = None
) -> Tallies:
    """Tally the ratings of every coachee x unit x group.

    Args:
        ratings: long format, one row per rater x unit: ``coachee_id`` (optional, "1"
            when missing), ``group`` (one of GROUPS), the ``unit`` column, ``parent``
            if given, and ``score`` (1..scale_points, NaN for "Don't know").
        unit: the column whose values are the units, e.g. ``item_key``.
        scale_points: A, the top of the scale.
        parent: a column with one value per coachee x unit, kept in the keys (the
            competency of an item).

    Returns:
        The tallies of each coachee x unit with at least one rating (answered or not),
        ordered by coachee, then unit, each in order of first appearance in ``ratings``.

    Raises:
        ValueError: a label is missing, a group is unknown, a score is outside the
            scale, or a unit has two parents for one coachee.
    """
    coachee, coachee_labels = _coachees(ratings)
    units, unit_labels = _labels(ratings[unit], unit)
    group = _groups(ratings["group"])
    score = _scores(ratings["score"], scale_points)
    n_units = len(unit_labels)
    pair, n_pairs, pair_keys = _pairs(coachee, units, n_units)
    points = _as_points(score)
    if points is not None:
        figures = _count_whole_scores(pair, n_pairs, group, points, scale_points)
    else:
        figures = _sum_any_scores(combined_key(*pair), n_pairs, group, score, scale_points)
    if pair_keys is None:  # every possible pair was tallied: keep those present
        present = figures["rows"].any(axis=0)
        pair_keys = np.flatnonzero(present)
        if not present.all():
            figures = {name: values[..., present] for name, values in figures.items()}
    keys = {"coachee_id": labels_column(coachee_labels, pair_keys // max(n_units, 1))}
    if parent is not None:
        parents, parent_labels = _labels(ratings[parent], parent)
        parent_codes = _parent_of_pairs(coachee, units, parents, pair_keys, n_units, parent)
        keys[parent] = labels_column(parent_labels, parent_codes)
    keys[unit] = labels_column(unit_labels, pair_keys % max(n_units, 1))

    def by_group(values: np.ndarray) -> pd.DataFrame:  # (group, pair) -> frame
        return pd.DataFrame(values[_RATERS].T, columns=list(RATER_GROUPS), copy=False)

    own = {name: figures[name][_SELF] for name in ("rows", "n", "sum")}
    return Tallies(
        keys=pd.DataFrame(keys),
        own=pd.DataFrame(own),
        counts={
            name: by_group(count)
            for name, count in zip(score_counts(scale_points), figures["counts"], strict=True)
        },
        **{name: by_group(figures[name]) for name in ("rows", "n", "sum", "sumsq", "min", "max")},
    )


# --- reading the columns --------------------------------------------------------------


def _labels(column: pd.Series, name: str) -> tuple[np.ndarray, list[str]]:
    """Codes and labels (order of first appearance) of a column that may not be empty."""
    codes, labels = codes_in_order(column)
    if len(codes) and codes.min() < 0:
        raise ValueError(f"{name} is missing on row {int(np.argmax(codes < 0))}")
    return codes, [str(label) for label in labels]


def _coachees(ratings: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    if "coachee_id" in ratings.columns:
        return _labels(ratings["coachee_id"], "coachee_id")
    return np.zeros(len(ratings), dtype=np.int8), [DEFAULT_COACHEE] if len(ratings) else []


def _groups(column: pd.Series) -> np.ndarray:
    """Each row's group as its position in GROUPS (0 = self)."""
    codes, labels = _labels(column, "group")
    unknown = [g for g in labels if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(unknown)}; expected one of {GROUPS}")
    position = np.array([GROUPS.index(g) for g in labels] or [0], dtype=np.int8)
    return position[codes]


def _scores(column: pd.Series, scale_points: int) -> np.ndarray:
    score = column.to_numpy(dtype=np.float64, na_value=np.nan)
    lowest = np.fmin.reduce(score, initial=1.0)  # fmin/fmax skip NaN
    highest = np.fmax.reduce(score, initial=1.0)
    if not (lowest >= 1 and highest <= scale_points):
        bad = ~np.isnan(score) & ((score < 1) | (score > scale_points))
        row = int(np.argmax(bad))
        raise ValueError(f"score {score[row]!r} on row {row} is outside 1..{scale_points}")
    return score


def _as_points(score: np.ndarray, *, slice_rows: int = SLICE_ROWS) -> np.ndarray | None:
    """The scores as small integers, 0 for "Don't know"; None if one is not whole.

    Works ``slice_rows`` ratings at a time through one small float array, rather than a
    float copy of the whole column.
    """
    points = np.empty(len(score), dtype=np.int8)
    answered = np.empty(min(len(score), slice_rows), dtype=np.float64)
    for start in range(0, len(score), slice_rows):
        part = score[start : start + slice_rows]
        room = answered[: len(part)]
        np.fmax(part, 0.0, out=room)  # "Don't know" (NaN) becomes 0
        whole = points[start : start + len(part)]
        whole[:] = room  # the cast drops any fraction, which the comparison then sees
        if not np.array_equal(whole, room):
            return None
    return points


# --- numbering coachee x unit pairs ---------------------------------------------------

#: (codes, stride) parts whose ``combined_key`` is each rating's pair.
Parts = list[tuple[np.ndarray, int]]


def _pairs(
    coachee: np.ndarray, units: np.ndarray, n_units: int
) -> tuple[Parts, int, np.ndarray | None]:
    """How to number the coachee x unit pairs, how many numbers there are, and the key
    ``coachee * n_units + unit`` of each pair present, in order.

    When the possible pairs are few next to the ratings, the key itself is the pair's
    number (a dense table, no pass over the ratings to number them); the keys are then
    None, and the tallies say which pairs are present. Otherwise the pairs present are
    numbered first.
    """
    size = (int(coachee.max(initial=-1)) + 1) * n_units
    if size <= 4 * len(coachee) + (1 << 20):
        return [(coachee, n_units), (units, 1)], size, None
    pair, pair_keys = number_pairs(coachee, units, n_units)
    return [(pair, 1)], len(pair_keys), pair_keys


def _parent_of_pairs(
    coachee: np.ndarray,
    units: np.ndarray,
    parents: np.ndarray,
    pair_keys: np.ndarray,
    n_units: int,
    name: str,
) -> np.ndarray:
    """The parent code of each pair. A unit may have different parents for different
    coachees (different questionnaires), not for one."""
    n_parents = int(parents.max(initial=-1)) + 1
    if n_units == 0 or n_parents == 0:
        return np.zeros(len(pair_keys), dtype=np.int64)
    per_unit = np.bincount(
        combined_key((units, n_parents), (parents, 1)), minlength=n_units * n_parents
    ).reshape(n_units, n_parents)
    if ((per_unit > 0).sum(axis=1) <= 1).all():
        return per_unit.argmax(axis=1)[pair_keys % n_units]
    pair, keys = number_pairs(coachee, units, n_units)
    if not same_within(pair, parents, len(keys)).all():
        raise ValueError(f"an item belongs to more than one {name} for one coachee")
    parent = np.zeros(len(keys), dtype=np.int64)
    parent[pair] = parents
    return parent


# --- the tallies ----------------------------------------------------------------------
# Each figure is a (group, pair) array, one row per group of GROUPS; score counts are
# (score, group, pair). Laid out so, every sum over groups or scores adds whole rows.


def _count_whole_scores(
    pair: Parts, n_pairs: int, group: np.ndarray, score: np.ndarray, points: int
) -> dict[str, np.ndarray]:
    """Every figure from one table: ratings per (score, group, pair); ``score`` holds
    small integers, 0 meaning "Don't know"."""
    n_groups = len(GROUPS)
    key = combined_key(
        *pair,
        (group, n_pairs),
        (score, n_groups * n_pairs),
    )
    size = (points + 1) * n_groups * n_pairs
    table = np.bincount(key, minlength=size).reshape(points + 1, n_groups, n_pairs)
    del key
    dont_know, counts = table[0], table[1:]
    n = counts.sum(axis=0)
    scores = np.arange(1, points + 1, dtype=np.int64)
    given = counts > 0
    answered = n > 0
    # The lowest score given is the first with a count, the highest the last one.
    low = np.where(answered, given.argmax(axis=0) + 1.0, np.nan)
    high = np.where(answered, points - given[::-1].argmax(axis=0), np.nan)
    return {
        "rows": n + dont_know,
        "n": n,
        "counts": counts,
        "sum": np.tensordot(scores, counts, axes=1).astype(np.float64),
        "sumsq": np.tensordot(scores * scores, counts, axes=1).astype(np.float64),
        "min": low,
        "max": high,
    }


def _sum_any_scores(
    pair: np.ndarray, n_pairs: int, group: np.ndarray, score: np.ndarray, points: int
) -> dict[str, np.ndarray]:
    """Every figure from weighted bincounts, for scores that need not be whole
    (competency scores, imported means)."""
    n_groups = len(GROUPS)
    size = n_groups * n_pairs
    cell = group.astype(np.int64) * n_pairs + pair
    answered = ~np.isnan(score)
    x = score[answered]
    at = cell[answered]

    def per_cell(weights: np.ndarray | None = None, where: np.ndarray = at) -> np.ndarray:
        return np.bincount(where, weights=weights, minlength=size).reshape(n_groups, n_pairs)

    low = np.full(size, np.inf)
    high = np.full(size, -np.inf)
    np.minimum.at(low, at, x)
    np.maximum.at(high, at, x)
    n = per_cell()
    nearest = np.clip(np.floor(x + 0.5).astype(np.int64), 1, points) - 1  # halves up
    counts = np.bincount(nearest * size + at, minlength=points * size)
    return {
        "rows": per_cell(where=cell),
        "n": n,
        "counts": counts.reshape(points, n_groups, n_pairs),
        "sum": per_cell(x),
        "sumsq": per_cell(x * x),
        "min": np.where(n > 0, low.reshape(n_groups, n_pairs), np.nan),
        "max": np.where(n > 0, high.reshape(n_groups, n_pairs), np.nan),
    }
