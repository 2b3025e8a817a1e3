"""Checks of a ratings frame that the statistics rely on, each naming the first bad row.

:func:`find_problem` is what ``read_ratings_csv`` runs on every file. Each check is one
small function below; all of them work on integer codes (:mod:`.codes`), so together
they add well under a second on ten million rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codes import codes_in_order, combined_key, first_disagreement, first_repeat, rater_slots
from .rules import GROUPS

_LABELS = ("coachee_id", "rater_id", "group", "item_key", "competency")
_SELF = GROUPS.index("self")


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a ratings frame: ``row`` (0-based) and what is wrong."""

    row: int
    message: str


@dataclass(frozen=True)
class _Column:
    """A label column as codes (-1 where missing) and labels (order of appearance)."""

    codes: np.ndarray
    labels: np.ndarray

    def label(self, row: int) -> str:
        return self.labels[self.codes[row]]


def find_problem(
    ratings: pd.DataFrame,
    scale_points: int = 5,
    *,
    codes: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Problem | None:
    """The first (lowest) row with a problem, or None when the ratings are sound.

    Checked: empty labels, unknown groups, scores outside 1..scale_points; then, when
    those are sound, a rater in two groups, a rater rating an item twice, two self
    raters for one coachee, and an item in two competencies for one coachee (all
    within one coachee: a rater id or an item is local to its coachee).

    ``codes`` may give, for label columns, their integer codes (-1 where missing) and
    labels as the caller already has them (the reader does), in any order of labels:
    they are used instead of working them out from the column again.
    """
    known = codes or {}
    columns = {
        name: _Column(*known[name]) if name in known else _column(ratings, name) for name in _LABELS
    }
    found = [_empty_label(name, column) for name, column in columns.items()]
    found += [_unknown_group(columns["group"]), _score_out_of_range(ratings, scale_points)]
    if any(found) or len(ratings) == 0:
        return _first(found)
    coachee, rater, item = columns["coachee_id"], columns["rater_id"], columns["item_key"]
    group = np.array([GROUPS.index(str(g)) for g in columns["group"].labels], dtype=np.int8)
    group = group[columns["group"].codes]
    slot = rater_slots(coachee.codes, rater.codes)  # a rater within its coachee
    return _first(
        [
            _rater_in_two_groups(slot, group, rater),
            _item_rated_twice(slot, rater, item),
            _second_self_rater(slot, group, coachee, rater),
            _item_in_two_competencies(coachee, item, columns["competency"]),
        ]
    )


def _first(found: list[Problem | None]) -> Problem | None:
    problems = [p for p in found if p is not None]
    return min(problems, key=lambda p: p.row) if problems else None


def _column(ratings: pd.DataFrame, name: str) -> _Column:
    if name not in ratings.columns:  # coachee_id is optional: one coachee
        return _Column(np.zeros(len(ratings), dtype=np.int8), np.array(["1"], dtype=object))
    return _Column(*codes_in_order(ratings[name]))


def _empty_label(name: str, column: _Column) -> Problem | None:
    blank = np.flatnonzero(pd.Index(column.labels).astype(str).str.strip() == "")
    if not len(blank) and column.codes.min(initial=0) >= 0:
        return None
    empty = (column.codes < 0) | np.isin(column.codes, blank)
    return Problem(int(np.argmax(empty)), f"{name} is empty")


def _unknown_group(group: _Column) -> Problem | None:
    unknown = np.flatnonzero([str(g) not in GROUPS for g in group.labels])
    if not len(unknown):
        return None
    row = int(np.argmax(np.isin(group.codes, unknown)))
    return Problem(row, f"unknown group {group.label(row)!r}: expected one of {', '.join(GROUPS)}")


def _score_out_of_range(ratings: pd.DataFrame, scale_points: int) -> Problem | None:
    score = ratings["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    lowest = np.fmin.reduce(score, initial=1.0)  # fmin/fmax skip NaN ("Don't know")
    highest = np.fmax.reduce(score, initial=1.0)
    if lowest >= 1 and highest <= scale_points:
        return None
    row = int(np.argmax(~np.isnan(score) & ((score < 1) | (score > scale_points))))
    return Problem(
        row,
        f"score {score[row]:g} is out of range: expected 1 to {scale_points}, "
        "or empty / na for don't know",
    )


def _rater_in_two_groups(slot: np.ndarray, group: np.ndarray, rater: _Column) -> Problem | None:
    """One rater belongs to one group."""
    found = first_disagreement(slot, group)
    if found is None:
        return None
    row, was = found
    return Problem(
        row,
        f"rater {rater.label(row)!r} is in group {GROUPS[group[row]]!r} here but in "
        f"{GROUPS[was]!r} on an earlier line: one rater belongs to one group",
    )


def _item_rated_twice(slot: np.ndarray, rater: _Column, item: _Column) -> Problem | None:
    """A rater rates each item once."""
    row = first_repeat(combined_key((slot, len(item.labels)), (item.codes, 1)))
    if row < 0:
        return None
    return Problem(row, f"rater {rater.label(row)!r} rated item {item.label(row)!r} twice")


def _second_self_rater(
    slot: np.ndarray, group: np.ndarray, coachee: _Column, rater: _Column
) -> Problem | None:
    """At most one self rater per coachee: the first self rating by another rater
    than the coachee's first self rater."""
    self_rows = np.flatnonzero(group == _SELF)
    found = first_disagreement(coachee.codes[self_rows], slot[self_rows])
    if found is None:
        return None
    row = int(self_rows[found[0]])
    return Problem(
        row,
        f"coachee {coachee.label(row)!r} has a second self rater {rater.label(row)!r}: "
        "at most one self rating per coachee",
    )


def _item_in_two_competencies(
    coachee: _Column, item: _Column, competency: _Column
) -> Problem | None:
    """An item sits in one competency for one coachee (another questionnaire, for
    another coachee, may put it elsewhere)."""
    if first_disagreement(item.codes, competency.codes) is None:
        return None  # one competency per item throughout the file: fine for everyone
    pair = combined_key((coachee.codes, len(item.labels)), (item.codes, 1))
    found = first_disagreement(pair, competency.codes)
    if found is None:
        return None
    row, was = found
    return Problem(
        row,
        f"item {item.label(row)!r} is in competency {competency.label(row)!r} here but in "
        f"{competency.labels[was]!r} on an earlier line",
    )
