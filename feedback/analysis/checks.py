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


def codes_in_order(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column (-1 where missing) and its labels in order of first
    appearance. Cheap for a categorical column: only its codes are scanned."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        valid = codes[codes >= 0] if len(codes) and codes.min() < 0 else codes
        used = pd.unique(valid)
        remap = np.full(len(column.cat.categories) + 1, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        labels = np.asarray(column.cat.categories.take(used), dtype=object)
        return remap[codes], labels
    codes, uniques = pd.factorize(column, sort=False, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques, dtype=object)


def same_within(owner: np.ndarray, value: np.ndarray, n_owners: int) -> np.ndarray:
    """For each owner code, whether every row of that owner has the same value
    (True for owners without rows)."""
    low = np.full(n_owners, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(n_owners, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(low, owner, value)
    np.maximum.at(high, owner, value)
    return (low == high) | (high == np.iinfo(np.int64).min)


def rater_slots(coachee: np.ndarray, rater: np.ndarray) -> np.ndarray:
    """Number each (coachee, rater_id) once: a rater id is local to its coachee.

    When every rater id belongs to one coachee (ids unique across the file, the usual
    case) the rater codes already are the slots and no hashing is needed.
    """
    n_raters = int(rater.max(initial=-1)) + 1
    if bool(same_within(rater, coachee, n_raters).all()):
        return rater
    return pd.factorize(coachee.astype(np.int64) * n_raters + rater)[0].astype(np.int64)


def number_pairs(
    first: np.ndarray, second: np.ndarray, n_second: int
) -> tuple[np.ndarray, np.ndarray]:
    """Number the (first, second) code pairs present, ordered by first then second.

    Returns the pair number of every row and the key ``first * n_second + second`` of
    every pair. A dense table when the keys are few, a sort otherwise.
    """
    key = first.astype(np.int64) * n_second + second
    size = (int(first.max(initial=-1)) + 1) * n_second
    if size <= 4 * len(key) + (1 << 20):
        present = np.bincount(key, minlength=size) > 0
        pair_of_key = np.cumsum(present) - 1
        return pair_of_key[key], np.flatnonzero(present)
    pair_keys, pair = np.unique(key, return_inverse=True)
    return pair.reshape(-1), pair_keys


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


def find_problem(ratings: pd.DataFrame, scale_points: int = 5) -> Problem | None:
    """The first (lowest) row with a problem, or None when the ratings are sound.

    Checked: empty labels, unknown groups, scores outside 1..scale_points, a rater in
    two groups, a rater rating an item twice, two self raters for one coachee, and an
    item in two competencies for one coachee (all within one coachee).
    """
    n = len(ratings)
    found: list[Problem] = []
    labels: dict[str, np.ndarray] = {}
    codes: dict[str, np.ndarray] = {}
    for name in ("coachee_id", "rater_id", "group", "item_key", "competency"):
        if name not in ratings.columns:
            codes[name] = np.zeros(n, dtype=np.int64)
            labels[name] = np.array(["1"], dtype=object)
            continue
        codes[name], labels[name] = codes_in_order(ratings[name])
        empty = [i for i, label in enumerate(labels[name]) if str(label).strip() == ""]
        missing = codes[name] < 0
        if empty:
            missing |= np.isin(codes[name], empty)
        if missing.any():
            found.append(Problem(int(np.argmax(missing)), f"{name} is empty"))
    unknown = np.array([str(g) not in GROUPS for g in labels["group"]], dtype=bool)
    if unknown.any():
        row = int(np.argmax(unknown[np.maximum(codes["group"], 0)] & (codes["group"] >= 0)))
        found.append(
            Problem(
                row,
                f"unknown group {labels['group'][codes['group'][row]]!r}: "
                f"expected one of {', '.join(GROUPS)}",
            )
        )
    score = ratings["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isnan(score) & ((score < 1) | (score > scale_points))
    if bad.any():
        row = int(np.argmax(bad))
        found.append(
            Problem(
                row,
                f"score {score[row]:g} is out of range: expected 1 to {scale_points}, "
                "or empty / na for don't know",
            )
        )
    if found or n == 0:
        return min(found, key=lambda p: p.row) if found else None

    coachee = codes["coachee_id"]
    group = np.array([GROUPS.index(str(g)) for g in labels["group"]])[codes["group"]]
    slot = rater_slots(coachee, codes["rater_id"])
    n_slots = int(slot.max()) + 1
    rater_label = labels["rater_id"]
    item_label = labels["item_key"]

    consistent = same_within(slot, group, n_slots)
    if not consistent.all():
        first = first_row_of(slot, n_slots)
        wrong = group != group[first[slot]]
        row = int(np.argmax(wrong))
        was = first[slot[row]]
        found.append(
            Problem(
                row,
                f"rater {rater_label[codes['rater_id'][row]]!r} is in group "
                f"{GROUPS[group[row]]!r} here but in {GROUPS[group[was]]!r} on an earlier "
                f"line: one rater belongs to one group",
            )
        )

    n_items = len(item_label)
    row = first_repeat(slot * n_items + codes["item_key"])
    if row >= 0:
        found.append(
            Problem(
                row,
                f"rater {rater_label[codes['rater_id'][row]]!r} rated item "
                f"{item_label[codes['item_key'][row]]!r} twice",
            )
        )

    is_self = group == 0
    if is_self.any():
        n_coachees = len(labels["coachee_id"])
        self_slot = np.zeros(n_slots, dtype=bool)
        self_slot[slot[is_self]] = True
        coachee_of_slot = np.zeros(n_slots, dtype=np.int64)
        coachee_of_slot[slot] = coachee
        per_coachee = np.bincount(coachee_of_slot[self_slot], minlength=n_coachees)
        if (per_coachee > 1).any():
            first = first_row_of(slot, n_slots)
            rows_of_self = first[np.flatnonzero(self_slot)]
            crowded = per_coachee[coachee[rows_of_self]] > 1
            # the second self rater's first row, for the coachee met first
            candidates = np.sort(rows_of_self[crowded])
            owner = coachee[candidates]
            second = candidates[np.flatnonzero(owner == owner[0])[1]]
            found.append(
                Problem(
                    int(second),
                    f"coachee {labels['coachee_id'][coachee[second]]!r} has a second self "
                    f"rater {rater_label[codes['rater_id'][second]]!r}: at most one self "
                    "rating per coachee",
                )
            )

    pair, pair_keys = number_pairs(coachee, codes["item_key"], n_items)
    competency = codes["competency"]
    if not same_within(pair, competency, len(pair_keys)).all():
        first = first_row_of(pair, len(pair_keys))
        wrong = competency != competency[first[pair]]
        row = int(np.argmax(wrong))
        found.append(
            Problem(
                row,
                f"item {item_label[codes['item_key'][row]]!r} is in competency "
                f"{labels['competency'][competency[row]]!r} here but in "
                f"{labels['competency'][competency[first[pair[row]]]]!r} on an earlier line",
            )
        )
    return min(found, key=lambda p: p.row) if found else None
