"""Checks of a ratings frame that the statistics rely on, each naming the first bad row.

:func:`find_problem` is what ``read_ratings_csv`` runs on every file; it is vectorised
(integer codes and ``bincount``), so it adds well under a second on ten million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import GROUPS


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a ratings frame: ``row`` (0-based) and what is wrong."""

    row: int
    message: str


def _in_order_of_appearance(codes: np.ndarray, n_categories: int) -> bool:
    """Whether every category is used and each first appears after the one before it:
    then the running maximum of the codes starts at 0 and never jumps by more than 1."""
    if len(codes) == 0 or n_categories == 0:
        return False
    running = np.maximum.accumulate(codes)
    return bool(
        running[0] == 0 and running[-1] == n_categories - 1 and (np.diff(running) <= 1).all()
    )


def codes_in_order(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column (-1 where missing) and its labels in order of first
    appearance. Cheap for a categorical column whose categories are already in that
    order (as :func:`~feedback.analysis.io.read_ratings_csv` makes them): its codes are
    used as they are, in their own (small) integer type."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        categories = column.cat.categories
        if _in_order_of_appearance(codes, len(categories)):
            return codes, np.asarray(categories, dtype=object)
        used = pd.unique(codes)
        used = used[used >= 0]
        if len(used) == len(categories) and np.array_equal(used, np.arange(len(used))):
            return codes, np.asarray(categories, dtype=object)
        remap = np.full(len(categories) + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[codes], np.asarray(categories.take(used), dtype=object)
    codes, uniques = pd.factorize(column, sort=False, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def combined_key(*parts: tuple[np.ndarray, int]) -> np.ndarray:
    """sum(codes * stride) over the parts, as one int64 array.

    Codes may be small integer types (int8 categorical codes); they are widened inside
    the ufuncs, so no int64 copy of each part is made: one result and one scratch
    array, however many parts.
    """
    (first, stride), *rest = parts
    key = np.multiply(first, stride, dtype=np.int64)
    scratch = np.empty_like(key) if any(s != 1 for _, s in rest) else key
    for codes, step in rest:
        if step == 1:
            np.add(key, codes, out=key, dtype=np.int64)
        else:
            np.multiply(codes, step, out=scratch, dtype=np.int64)
            key += scratch
    return key


def low_high(owner: np.ndarray, value: np.ndarray, n_owners: int) -> tuple[np.ndarray, np.ndarray]:
    """The lowest and highest ``value`` of each owner code (int64 extremes for owners
    without rows)."""
    low = np.full(n_owners, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n_owners, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(low, owner, value)
    np.maximum.at(high, owner, value)
    return low, high


def same_within(owner: np.ndarray, value: np.ndarray, n_owners: int) -> np.ndarray:
    """For each owner code, whether every row of that owner has the same value
    (True for owners without rows)."""
    low, high = low_high(owner, value, n_owners)
    return (low == high) | (high == np.iinfo(np.int64).min)


def number_pairs(
    first: np.ndarray, second: np.ndarray, n_second: int
) -> tuple[np.ndarray, np.ndarray]:
    """Number the (first, second) code pairs present, ordered by first then second.

    Returns the pair number of every row and the key ``first * n_second + second`` of
    every pair. A dense table when the keys are few, a sort otherwise.
    """
    key = combined_key((first, n_second), (second, 1))
    size = (int(first.max(initial=-1)) + 1) * n_second
    if size <= 4 * len(key) + (1 << 20):
        present = np.bincount(key, minlength=size) > 0
        pair_of_key = np.cumsum(present) - 1
        return pair_of_key[key], np.flatnonzero(present)
    pair_keys, pair = np.unique(key, return_inverse=True)
    return pair.reshape(-1), pair_keys


def rater_slots(coachee: np.ndarray, rater: np.ndarray) -> np.ndarray:
    """Number each (coachee, rater_id) once: a rater id is local to its coachee.

    When every rater id belongs to one coachee (ids unique across the file, the usual
    case) the rater codes already are the slots.
    """
    n_raters = int(rater.max(initial=-1)) + 1
    if bool(same_within(rater, coachee, n_raters).all()):
        return rater.astype(np.int64, copy=False)
    return number_pairs(coachee, rater, n_raters)[0]


def first_repeat(key: np.ndarray) -> int:
    """The first row whose key occurred on an earlier row, or -1."""
    size = int(key.max(initial=-1)) + 1
    if size <= 4 * len(key) + (1 << 20):
        if np.bincount(key, minlength=size).max(initial=0) <= 1:
            return -1
    elif len(np.unique(key)) == len(key):
        return -1
    repeated = pd.Series(key).duplicated().to_numpy()
    return int(np.argmax(repeated)) if repeated.any() else -1


def first_row_of(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """The first row of each owner code (len(owner) for owners without rows)."""
    first = np.full(n_owners, len(owner), dtype=np.int64)
    np.minimum.at(first, owner, np.arange(len(owner), dtype=np.int64))
    return first


_LABELS = ("coachee_id", "rater_id", "group", "item_key", "competency")


def _first(found: list[Problem]) -> Problem | None:
    return min(found, key=lambda p: p.row) if found else None


def find_problem(ratings: pd.DataFrame, scale_points: int = 5) -> Problem | None:
    """The first (lowest) row with a problem, or None when the ratings are sound.

    Checked: empty labels, unknown groups, scores outside 1..scale_points, a rater in
    two groups, a rater rating an item twice, two self raters for one coachee, and an
    item in two competencies for one coachee (all within one coachee).
    """
    n = len(ratings)
    found: list[Problem] = []
    codes: dict[str, np.ndarray] = {}
    labels: dict[str, np.ndarray] = {}
    for name in _LABELS:
        if name not in ratings.columns:
            codes[name] = np.zeros(n, dtype=np.int8)
            labels[name] = np.array(["1"], dtype=object)
            continue
        codes[name], labels[name] = codes_in_order(ratings[name])
        blank = pd.Index(labels[name]).astype(str).str.strip() == ""
        if blank.any() or (n and codes[name].min() < 0):
            missing = (codes[name] < 0) | np.isin(codes[name], np.flatnonzero(blank))
            found.append(Problem(int(np.argmax(missing)), f"{name} is empty"))
    unknown = np.flatnonzero([str(g) not in GROUPS for g in labels["group"]])
    if len(unknown):
        row = int(np.argmax(np.isin(codes["group"], unknown)))
        found.append(
            Problem(
                row,
                f"unknown group {labels['group'][codes['group'][row]]!r}: "
                f"expected one of {', '.join(GROUPS)}",
            )
        )
    score = ratings["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    lowest = np.fmin.reduce(score, initial=1.0)  # fmin/fmax skip NaN
    highest = np.fmax.reduce(score, initial=1.0)
    if not (lowest >= 1 and highest <= scale_points):
        bad = ~np.isnan(score) & ((score < 1) | (score > scale_points))
        row = int(np.argmax(bad))
        found.append(
            Problem(
                row,
                f"score {score[row]:g} is out of range: expected 1 to {scale_points}, "
                "or empty / na for don't know",
            )
        )
    if found or n == 0:
        return _first(found)
    return _first(_rater_problems(codes, labels) + _competency_problems(codes, labels))


def _rater_problems(codes: dict[str, np.ndarray], labels: dict[str, np.ndarray]) -> list[Problem]:
    """A rater in two groups, an item rated twice by one rater, two self raters."""
    found: list[Problem] = []
    coachee = codes["coachee_id"]
    rater = codes["rater_id"]
    group_of_label = np.array([GROUPS.index(str(g)) for g in labels["group"]], dtype=np.int8)
    group = group_of_label[codes["group"]]
    n_groups = len(GROUPS)
    # One pass answers both "one coachee per rater id" and "one group per rater".
    owner = combined_key((coachee, n_groups), (group, 1))
    low, high = low_high(rater, owner, len(labels["rater_id"]))
    del owner
    if np.array_equal(low, high):
        slot = rater
        n_slots = len(low)
        slot_coachee, slot_group = low // n_groups, low % n_groups
    else:
        slot = rater_slots(coachee, rater)
        n_slots = int(slot.max()) + 1
        low, high = low_high(slot, group, n_slots)
        if not np.array_equal(low, high):
            first = first_row_of(slot, n_slots)
            row = int(np.argmax(group != group[first[slot]]))
            was = group[first[slot[row]]]
            found.append(
                Problem(
                    row,
                    f"rater {labels['rater_id'][rater[row]]!r} is in group "
                    f"{GROUPS[group[row]]!r} here but in {GROUPS[was]!r} on an earlier line: "
                    "one rater belongs to one group",
                )
            )
            return found
        slot_group = low
        slot_coachee = np.zeros(n_slots, dtype=np.int64)
        slot_coachee[slot] = coachee

    item = codes["item_key"]
    row = first_repeat(combined_key((slot, len(labels["item_key"])), (item, 1)))
    if row >= 0:
        found.append(
            Problem(
                row,
                f"rater {labels['rater_id'][rater[row]]!r} rated item "
                f"{labels['item_key'][item[row]]!r} twice",
            )
        )

    self_slots = np.flatnonzero(slot_group == 0)
    per_coachee = np.bincount(slot_coachee[self_slots], minlength=len(labels["coachee_id"]))
    if (per_coachee > 1).any():
        first = first_row_of(slot, n_slots)[self_slots]
        crowded = np.sort(first[per_coachee[slot_coachee[self_slots]] > 1])
        owner = coachee[crowded]
        # the first row of the second self rater of the coachee met first
        second = int(crowded[np.flatnonzero(owner == owner[0])[1]])
        found.append(
            Problem(
                second,
                f"coachee {labels['coachee_id'][coachee[second]]!r} has a second self rater "
                f"{labels['rater_id'][rater[second]]!r}: at most one self rating per coachee",
            )
        )
    return found


def _competency_problems(
    codes: dict[str, np.ndarray], labels: dict[str, np.ndarray]
) -> list[Problem]:
    """An item in two competencies for one coachee."""
    item = codes["item_key"]
    competency = codes["competency"]
    n_items, n_comp = len(labels["item_key"]), len(labels["competency"])
    per_item = np.bincount(
        combined_key((item, n_comp), (competency, 1)), minlength=n_items * n_comp
    )
    if ((per_item.reshape(n_items, n_comp) > 0).sum(axis=1) <= 1).all():
        return []
    pair, pair_keys = number_pairs(codes["coachee_id"], item, n_items)
    if same_within(pair, competency, len(pair_keys)).all():
        return []
    first = first_row_of(pair, len(pair_keys))
    row = int(np.argmax(competency != competency[first[pair]]))
    was = competency[first[pair[row]]]
    return [
        Problem(
            row,
            f"item {labels['item_key'][item[row]]!r} is in competency "
            f"{labels['competency'][competency[row]]!r} here but in "
            f"{labels['competency'][was]!r} on an earlier line",
        )
    ]
