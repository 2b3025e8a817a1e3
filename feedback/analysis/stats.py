"""Per-item and per-competency statistics of a 360 cycle, with the guard applied.

Everything here is vectorised over all coachees and units at once: the ratings are
turned into integer codes, and every figure is a ``numpy.bincount`` over those codes,
so ten million ratings take a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .checks import codes_in_order, combined_key, number_pairs, rater_slots, same_within
from .guard import guard_counts
from .rules import (
    CATEGORIES,
    DEFAULT_RULES,
    GROUPS,
    NOT_ENOUGH_DATA,
    RATER_GROUPS,
    TOLERANCE,
    Rules,
)

#: Columns every ratings frame must have (``coachee_id`` may be missing: one coachee).
RATING_COLUMNS: tuple[str, ...] = (
    "coachee_id",
    "rater_id",
    "group",
    "item_key",
    "competency",
    "score",
)
DEFAULT_COACHEE = "1"

_TWO_COMPETENCIES = "an item belongs to more than one competency for one coachee"
_TWO_GROUPS = "a rater appears in more than one group for one coachee"
_CATEGORY_LABELS = np.array(CATEGORIES, dtype=object)
_NOT_ENOUGH = CATEGORIES.index(NOT_ENOUGH_DATA)


def stat_columns(unit: str, rules: Rules = DEFAULT_RULES) -> list[str]:
    """The columns of :func:`item_stats` (``unit="item_key"``) or of
    :func:`competency_stats` (``unit=None``), in order."""
    head = ["coachee_id", "competency"] + ([unit] if unit else [])
    counts = [f"count_{s}" for s in range(1, rules.scale_points + 1)]
    groups = [f"{g}_{what}" for g in (*RATER_GROUPS, "other") for what in ("mean", "n")]
    return [
        *head,
        "self",
        "others_mean",
        "others_n",
        "others_sd",
        "others_min",
        "others_max",
        *counts,
        "gap",
        "rwg",
        "category",
        *groups,
    ]


@dataclass(frozen=True)
class _Codes:
    """A ratings frame as integer codes. Labels are in order of first appearance."""

    coachee: np.ndarray
    coachee_labels: np.ndarray
    item: np.ndarray
    item_labels: np.ndarray
    competency: np.ndarray
    competency_labels: np.ndarray
    group: np.ndarray  # index into GROUPS
    score: np.ndarray  # float64, NaN for "Don't know"


def _codes(column: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes and labels (order of first appearance) of a column that may not be empty."""
    codes, labels = codes_in_order(column)
    if len(codes) and codes.min() < 0:
        raise ValueError(f"{name} is missing on row {int(np.argmax(codes < 0))}")
    return codes, np.array([str(label) for label in labels], dtype=object)


def _encode(ratings: pd.DataFrame, rules: Rules) -> _Codes:
    """Check the columns, groups and scores, and encode the ratings."""
    missing = [c for c in RATING_COLUMNS[1:] if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings lack the column(s) {', '.join(missing)}")
    n = len(ratings)
    if "coachee_id" in ratings.columns:
        coachee, coachee_labels = _codes(ratings["coachee_id"], "coachee_id")
    else:
        coachee = np.zeros(n, dtype=np.int8)
        coachee_labels = np.array([DEFAULT_COACHEE] if n else [], dtype=object)
    group_codes, group_labels = _codes(ratings["group"], "group")
    unknown = [g for g in group_labels if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(unknown)}; expected one of {GROUPS}")
    group_index = np.array([GROUPS.index(g) for g in group_labels] or [0], dtype=np.int8)
    item, item_labels = _codes(ratings["item_key"], "item_key")
    competency, competency_labels = _codes(ratings["competency"], "competency")
    score = ratings["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    lowest = np.fmin.reduce(score, initial=1.0)  # fmin/fmax skip NaN
    highest = np.fmax.reduce(score, initial=1.0)
    if not (lowest >= 1 and highest <= rules.scale_points):
        bad = ~np.isnan(score) & ((score < 1) | (score > rules.scale_points))
        row = int(np.argmax(bad))
        raise ValueError(f"score {score[row]!r} on row {row} is outside 1..{rules.scale_points}")
    return _Codes(
        coachee=coachee,
        coachee_labels=coachee_labels,
        item=item,
        item_labels=item_labels,
        competency=competency,
        competency_labels=competency_labels,
        group=group_index[group_codes],
        score=score,
    )


@dataclass(frozen=True)
class _Tallies:
    """Sums over the ratings of each (coachee, unit) pair, before the guard.

    ``n_cell``/``sum_cell`` are (P, 4), one column per rater group (RATER_GROUPS order);
    ``counts`` is (P, scale_points): others' scores per scale point.
    """

    rows: np.ndarray  # ratings (answered or not) of the pair
    self_rows: np.ndarray
    self_score: np.ndarray
    n_cell: np.ndarray
    sum_cell: np.ndarray
    variance: np.ndarray  # others' sample variance, NaN below 2 raters
    counts: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def select(self, keep: np.ndarray) -> _Tallies:
        """The tallies of the pairs where ``keep`` is True."""
        if keep.all():
            return self
        return _Tallies(**{name: value[keep] for name, value in vars(self).items()})


Parts = list[tuple[np.ndarray, int]]


def _tallies(
    pair: Parts, n_pairs: int, group: np.ndarray, score: np.ndarray, points: int
) -> _Tallies:
    """Tally the ratings per pair; the pair of each rating is sum(codes * stride) over
    ``pair``. Whole-number scores (the usual case) take one ``bincount`` over (pair,
    group, score); other scores take weighted bincounts."""
    whole = np.fmax(score, 0.0)  # NaN ("Don't know") becomes 0
    as_int = whole.astype(np.int8)
    is_whole = np.array_equal(as_int, whole)
    del whole
    if is_whole:
        return _whole_tallies(pair, n_pairs, group, as_int, points)
    return _float_tallies(combined_key(*pair), n_pairs, group, score, points)


def _whole_tallies(
    pair: Parts, n_pairs: int, group: np.ndarray, score: np.ndarray, points: int
) -> _Tallies:
    """Tallies from one table: ratings per (pair, group, score), score 0 = don't know."""
    width = points + 1
    stride = len(GROUPS) * width
    key = combined_key(
        *[(codes, step * stride) for codes, step in pair], (group, width), (score, 1)
    )
    table = np.bincount(key, minlength=n_pairs * len(GROUPS) * width)
    del key
    table = table.reshape(n_pairs, len(GROUPS), width)
    values = np.arange(1, width, dtype=np.int64)
    mine = table[:, 0, 1:]
    answered_self = mine.any(axis=1)
    by_group = table[:, 1:, 1:]
    counts = by_group.sum(axis=1)
    n_all = counts.sum(axis=1)
    total = counts @ values
    squares = counts @ (values * values)
    with np.errstate(invalid="ignore", divide="ignore"):
        # (n * sum(x^2) - (sum x)^2) / (n (n - 1)): exact for whole scores
        variance = np.where(
            n_all >= 2, (n_all * squares - total * total) / (n_all * (n_all - 1.0)), np.nan
        )
    seen = counts > 0
    anyone = seen.any(axis=1)
    return _Tallies(
        rows=table.sum(axis=(1, 2)),
        self_rows=table[:, 0, :].sum(axis=1),
        self_score=np.where(answered_self, mine.argmax(axis=1) + 1.0, np.nan),
        n_cell=by_group.sum(axis=2),
        sum_cell=(by_group @ values).astype(np.float64),
        variance=variance,
        counts=counts,
        low=np.where(anyone, seen.argmax(axis=1) + 1.0, np.nan),
        high=np.where(anyone, points - seen[:, ::-1].argmax(axis=1) + 0.0, np.nan),
    )


def _float_tallies(
    pair: np.ndarray, n_pairs: int, group: np.ndarray, score: np.ndarray, points: int
) -> _Tallies:
    """Tallies of scores that need not be whole (competency scores, imported means)."""
    answered = ~np.isnan(score)
    is_self = group == 0
    mine = is_self & answered
    self_score = np.full(n_pairs, np.nan)
    self_score[pair[mine]] = score[mine]
    other = answered & ~is_self
    p = pair[other]
    x = score[other]
    n_groups = len(RATER_GROUPS)
    cell = p * n_groups + (group[other].astype(np.int64) - 1)
    n_cell = np.bincount(cell, minlength=n_pairs * n_groups).reshape(n_pairs, n_groups)
    sum_cell = np.bincount(cell, weights=x, minlength=n_pairs * n_groups)
    sum_cell = sum_cell.reshape(n_pairs, n_groups)
    n_all = n_cell.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sum_cell.sum(axis=1) / n_all
        deviation = x - mean[p]
        squares = np.bincount(p, weights=deviation * deviation, minlength=n_pairs)
        variance = np.where(n_all >= 2, squares / (n_all - 1), np.nan)
    # a score between two points counts at the nearer one, halves up
    bins = np.clip(np.floor(x + 0.5).astype(np.int64), 1, points) - 1
    counts = np.bincount(p * points + bins, minlength=n_pairs * points)
    low = np.full(n_pairs, np.inf)
    high = np.full(n_pairs, -np.inf)
    np.minimum.at(low, p, x)
    np.maximum.at(high, p, x)
    low[n_all == 0] = np.nan
    high[n_all == 0] = np.nan
    return _Tallies(
        rows=np.bincount(pair, minlength=n_pairs),
        self_rows=np.bincount(pair[is_self], minlength=n_pairs),
        self_score=self_score,
        n_cell=n_cell,
        sum_cell=sum_cell,
        variance=variance,
        counts=counts.reshape(n_pairs, points),
        low=low,
        high=high,
    )


def _figures(tallies: _Tallies, rules: Rules) -> dict[str, object]:
    """Every figure of the gap table for each pair, the guard applied.

    Returns a dict of columns (NumPy arrays or pandas extension arrays).
    """
    if (tallies.self_rows > 1).any():
        raise ValueError("more than one self rating of the same unit for one coachee")
    n_cell = tallies.n_cell
    sum_cell = tallies.sum_cell
    n_all = n_cell.sum(axis=1)
    decision = guard_counts(n_cell, rules)
    visible = decision.show_others
    hidden = ~visible
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(visible, sum_cell.sum(axis=1) / n_all, np.nan)
        group_mean = sum_cell / n_cell
        other_n = decision.other_n
        other_mean = np.where(~decision.shown, sum_cell, 0).sum(axis=1) / other_n
    variance = np.where(visible, tallies.variance, np.nan)
    rwg = np.clip(1 - variance / rules.uniform_variance, 0, 1)
    gap = tallies.self_score - mean

    tol = TOLERANCE
    t = rules.gap_threshold
    agree = rwg >= rules.agreement_threshold - tol
    with np.errstate(invalid="ignore"):
        category = np.select(
            [
                np.isnan(gap),
                (gap >= t - tol) & agree,
                (gap <= -t + tol) & agree,
                np.abs(gap) >= t - tol,
                mean >= rules.high - tol,
                mean <= rules.low + tol,
            ],
            [_NOT_ENOUGH, 0, 1, 2, 3, 4],
            default=5,
        )

    columns: dict[str, object] = {
        "self": tallies.self_score,
        "others_mean": mean,
        "others_n": _int_column(n_all, hidden),
        "others_sd": np.sqrt(variance),
        "others_min": np.where(visible, tallies.low, np.nan),
        "others_max": np.where(visible, tallies.high, np.nan),
    }
    for s in range(rules.scale_points):
        columns[f"count_{s + 1}"] = _int_column(tallies.counts[:, s], hidden)
    columns["gap"] = gap
    columns["rwg"] = rwg
    columns["category"] = _strings(_CATEGORY_LABELS, category)
    for j, name in enumerate(RATER_GROUPS):
        shown = decision.shown[:, j]
        columns[f"{name}_mean"] = np.where(shown, group_mean[:, j], np.nan)
        columns[f"{name}_n"] = _int_column(n_cell[:, j], ~shown)
    columns["other_mean"] = np.where(decision.show_other, other_mean, np.nan)
    columns["other_n"] = _int_column(other_n, ~decision.show_other)
    return columns


def _int_column(values: np.ndarray, hidden: np.ndarray) -> pd.arrays.IntegerArray:
    """A nullable Int64 column: <NA> where hidden."""
    return pd.arrays.IntegerArray(values.astype(np.int64), hidden.astype(bool))


def _strings(labels: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A pandas "str" column of ``labels[codes]``, decoded by pyarrow (no Python object
    per row)."""
    decoded = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype=np.int32)),
        pa.array(list(labels) or [""], type=pa.large_string()),
    ).dictionary_decode()
    return pd.array(decoded.to_pandas(types_mapper=_STR_TYPES.get), dtype="str")


_STR_TYPES = {pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan)}


def _frame(
    columns: dict[str, object],
    head: dict[str, pd.api.extensions.ExtensionArray],
    order: list[str],
) -> pd.DataFrame:
    """Assemble a stats frame in ``order``."""
    return pd.DataFrame({**head, **columns}, columns=order, copy=False)


def _pair_tallies(
    first: np.ndarray,
    second: np.ndarray,
    n_second: int,
    group: np.ndarray,
    score: np.ndarray,
    points: int,
) -> tuple[_Tallies, np.ndarray]:
    """Tallies of each (first, second) pair present (e.g. coachee x item), ordered by
    first then second, and each pair's key ``first * n_second + second``.

    When the pairs are few next to the ratings, the key itself numbers the pairs (one
    dense table, no extra pass over the ratings); otherwise pairs are numbered first.
    """
    size = (int(first.max(initial=-1)) + 1) * n_second
    if size <= 4 * len(first) + (1 << 20):
        tallies = _tallies([(first, n_second), (second, 1)], size, group, score, points)
        keep = tallies.rows > 0
        return tallies.select(keep), np.flatnonzero(keep)
    pair, pair_keys = number_pairs(first, second, n_second)
    return _tallies([(pair, 1)], len(pair_keys), group, score, points), pair_keys


def _competency_of(codes: _Codes, pair_keys: np.ndarray, n_items: int) -> np.ndarray:
    """The competency code of each (coachee, item) pair. An item may sit in different
    competencies for different coachees (different questionnaires), not for one."""
    n_comp = len(codes.competency_labels)
    if n_items == 0 or n_comp == 0:
        return np.zeros(len(pair_keys), dtype=np.int64)
    per_item = np.bincount(
        combined_key((codes.item, n_comp), (codes.competency, 1)), minlength=n_items * n_comp
    ).reshape(n_items, n_comp)
    if ((per_item > 0).sum(axis=1) <= 1).all():
        return per_item.argmax(axis=1)[pair_keys % n_items]
    pair, keys = number_pairs(codes.coachee, codes.item, n_items)
    return _value_of_pairs(pair, codes.competency, len(keys), _TWO_COMPETENCIES)


def _value_of_pairs(pair: np.ndarray, values: np.ndarray, n_pairs: int, what: str) -> np.ndarray:
    """The value of ``values`` in each pair; it must be the same on all rows of a pair."""
    if not same_within(pair, values, n_pairs).all():
        raise ValueError(what)
    value = np.zeros(n_pairs, dtype=np.int64)
    value[pair] = values
    return value


def item_stats(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """The gap table: one row per coachee x item, with the anonymity guard applied.

    Args:
        ratings: long format, one row per rater x item: ``coachee_id`` (optional, default
            "1"), ``rater_id``, ``group`` (self, boss, peer, subordinate, partner),
            ``item_key``, ``competency``, ``score`` (1..scale_points; NaN for "Don't
            know"). At most one self rating per coachee and item.
        rules: thresholds and the guard's k.

    Returns:
        Rows ordered by coachee, then items in questionnaire order (order of first
        appearance in ``ratings``). Columns, in order:

        - ``coachee_id``, ``competency``, ``item_key``: which coachee and item (str).
        - ``self``: the coachee's own score (NaN: no self rating, or "Don't know").
        - ``others_mean``: mean score of all other raters (boss, peers, subordinates,
          partners pooled) who answered the item.
        - ``others_n``: how many other raters answered it (not "Don't know").
        - ``others_sd``: sample standard deviation (ddof=1) of their scores.
        - ``others_min``, ``others_max``: their lowest and highest score.
        - ``count_1`` .. ``count_5`` (one per scale point): how many other raters gave
          that score (a non-whole score counts at its nearest point, halves up).
        - ``gap``: self - others_mean; positive when the coachee rates themself higher.
        - ``rwg``: agreement among the other raters, 1 - s^2 / sigma^2_EU with s^2 the
          sample variance and sigma^2_EU = (A^2 - 1) / 12, clipped to [0, 1] (James,
          Demaree & Wolf 1984): 1 = all gave the same score, 0 = as spread as chance.
        - ``category``: one of CATEGORIES, as DESIGN §3 defines them: "blind spot"
          (gap >= T, rwg >= R), "hidden strength" (gap <= -T, rwg >= R), "others
          disagree" (|gap| >= T, rwg < R), "agreed strength" (|gap| < T, others_mean
          >= high), "agreed development area" (|gap| < T, others_mean <= low),
          "aligned" (otherwise), "not enough data" (no self score, or others' overall
          figures hidden). Comparisons allow 1e-9 of rounding slack.
        - ``<group>_mean``, ``<group>_n`` for boss, peer, subordinate, partner: the
          group's own mean and number of answering raters.
        - ``other_mean``, ``other_n``: the raters of the groups not shown on their own,
          pooled ("other raters").

        The anonymity guard (:func:`feedback.analysis.guard.guard`) is already applied:
        a hidden figure is NaN (means, sd, min, max, gap, rwg) or <NA> (the nullable
        Int64 counts). Others' overall figures are hidden below k raters in all.

    Raises:
        ValueError: a column is missing, a group is unknown, a score is outside the
            scale, a coachee has two self ratings of one item, or an item sits in two
            competencies for one coachee.
    """
    codes = _encode(ratings, rules)
    n_items = len(codes.item_labels)
    tallies, pair_keys = _pair_tallies(
        codes.coachee, codes.item, n_items, codes.group, codes.score, rules.scale_points
    )
    competency = _competency_of(codes, pair_keys, n_items)
    columns = _figures(tallies, rules)
    head = {
        "coachee_id": _strings(codes.coachee_labels, pair_keys // max(n_items, 1)),
        "competency": _strings(codes.competency_labels, competency),
        "item_key": _strings(codes.item_labels, pair_keys % max(n_items, 1)),
    }
    return _frame(columns, head, stat_columns("item_key", rules))


def competency_stats(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """The gap table per coachee x competency, with the anonymity guard applied.

    A rater's competency score is the mean of the items of that competency they
    answered, and counts only when they answered at least half of its items (the
    Center for Creative Leadership's rule); "its items" are the items of that
    competency that appear for the coachee. The coachee's own competency score follows
    the same rule. From these rater scores every figure is formed as in
    :func:`item_stats`, and the guard counts raters with a competency score.

    Returns:
        The columns of :func:`item_stats` without ``item_key``; ``self`` is the
        coachee's competency score, ``others_mean`` the mean of the other raters'
        competency scores, ``count_1`` .. ``count_5`` count competency scores at their
        nearest scale point (halves up), ``others_min``/``others_max`` are exact. Rows
        by coachee, then competencies in questionnaire order.
    """
    codes = _encode(ratings, rules)
    n_items = len(codes.item_labels)
    n_comp = len(codes.competency_labels)
    item_pair, item_keys = number_pairs(codes.coachee, codes.item, n_items)
    item_competency = _value_of_pairs(
        item_pair, codes.competency, len(item_keys), _TWO_COMPETENCIES
    )
    # How many items each (coachee, competency) has.
    items_in = np.bincount(
        (item_keys // max(n_items, 1)) * n_comp + item_competency,
        minlength=len(codes.coachee_labels) * n_comp,
    )
    # Each rater's answered count and sum per competency.
    rater_codes, _ = _codes(ratings["rater_id"], "rater_id")
    rater = rater_slots(codes.coachee, rater_codes)
    rater_comp, rc_keys = number_pairs(rater, codes.competency, n_comp)
    n_rc = len(rc_keys)
    answered = ~np.isnan(codes.score)
    n_answered = np.bincount(rater_comp[answered], minlength=n_rc)
    total = np.bincount(rater_comp[answered], weights=codes.score[answered], minlength=n_rc)
    rc_coachee = _value_of_pairs(rater_comp, codes.coachee, n_rc, "a rater id in two coachees")
    rc_group = _value_of_pairs(rater_comp, codes.group, n_rc, _TWO_GROUPS)
    rc_comp = rc_keys % max(n_comp, 1)
    enough = 2 * n_answered >= items_in[rc_coachee * n_comp + rc_comp]
    with np.errstate(invalid="ignore", divide="ignore"):
        rc_score = np.where(enough & (n_answered > 0), total / n_answered, np.nan)
    tallies, pair_keys = _pair_tallies(
        rc_coachee, rc_comp, n_comp, rc_group.astype(np.int8), rc_score, rules.scale_points
    )
    columns = _figures(tallies, rules)
    head = {
        "coachee_id": _strings(codes.coachee_labels, pair_keys // max(n_comp, 1)),
        "competency": _strings(codes.competency_labels, pair_keys % max(n_comp, 1)),
    }
    return _frame(columns, head, stat_columns("", rules))
