"""The gap table (docs/analysis.md), per item and per competency, the guard applied.

Both tables are built the same way: :func:`~feedback.analysis.tallies.tally` sums up the
ratings of each coachee x unit x group, and :func:`_gap_table` turns those sums into
the figures, deciding with the anonymity guard which of them may be shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .categories import item_category
from .competencies import check_raters, competency_figures
from .guard import GuardDecision, guard_counts
from .rules import DEFAULT_RULES, RATER_GROUPS, SHOWN_GROUPS, Rules
from .tallies import RATING_COLUMNS, Tallies, score_counts, tally

__all__ = ["RATING_COLUMNS", "competency_stats", "item_stats", "stat_columns"]

_RATERS = list(RATER_GROUPS)


def stat_columns(unit: str, rules: Rules = DEFAULT_RULES) -> list[str]:
    """The columns of :func:`item_stats` (``unit="item_key"``) or of
    :func:`competency_stats` (``unit=None``), in order."""
    head = ["coachee_id", "competency"] + ([unit] if unit else [])
    groups = [f"{g}_{what}" for g in SHOWN_GROUPS for what in ("mean", "n")]
    return [
        *head,
        "self",
        "others_mean",
        "others_n",
        "others_sd",
        "others_min",
        "others_max",
        *score_counts(rules.scale_points),
        "gap",
        "rwg",
        "category",
        *groups,
    ]


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
        - ``rwg``: agreement among the other raters (:mod:`~feedback.analysis.rwg`):
          1 = all gave the same score, 0 = as spread as chance.
        - ``category``: one of CATEGORIES (:mod:`~feedback.analysis.categories`).
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
    _require_columns(ratings)
    tallies = tally(ratings, "item_key", rules.scale_points, parent="competency")
    return _gap_table(tallies, rules, stat_columns("item_key", rules))


def competency_stats(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """The gap table per coachee x competency, built only from the item figures the
    anonymity guard shows (:mod:`~feedback.analysis.competencies`).

    For each group (and others pooled, and the pooled "other raters"): the items of
    the competency where the guard shows it; its figures are shown only when that is at
    least half of the competency's items.

    Returns:
        The columns of :func:`item_stats` without ``item_key``:

        - ``self``: the mean of the coachee's own item scores (at least half scored).
        - ``others_mean``, ``others_n``: the mean and the number of the other raters'
          answers on the items where others' overall figures are shown;
          ``others_sd``: the square root of those items' pooled variance;
          ``others_min``/``others_max``: the lowest and highest of those answers;
          ``count_1`` .. ``count_5``: those answers with each score.
        - ``gap``, ``category``: as for items; ``rwg``: rwg(J) from the mean of the
          shown items' variances.
        - ``<group>_mean``, ``<group>_n``: the mean and number of the group's answers
          on the items where the group is shown (``n`` counts answers, not raters).

        Rows by coachee, then competencies in questionnaire order (of their first item).
    """
    _require_columns(ratings)
    check_raters(ratings)
    items = tally(ratings, "item_key", rules.scale_points, parent="competency")
    if (items.own["rows"].to_numpy() > 1).any():
        raise ValueError("more than one self rating of the same unit for one coachee")
    n = items.n.to_numpy(dtype=np.int64).reshape(len(items.own), len(_RATERS))
    keys, figures = competency_figures(items, guard_counts(n, rules), rules)
    table = figures | {name: keys[name] for name in keys.columns}
    columns = stat_columns("", rules)
    return pd.DataFrame({name: table[name] for name in columns}, copy=False)


def _require_columns(ratings: pd.DataFrame) -> None:
    missing = [c for c in RATING_COLUMNS[1:] if c not in ratings.columns]
    if missing:
        raise ValueError(f"ratings lack the column(s) {', '.join(missing)}")


def _gap_table(tallies: Tallies, rules: Rules, columns: list[str]) -> pd.DataFrame:
    """Every figure of the gap table from the tallies, the guard applied."""
    own = tallies.own
    if (own["rows"].to_numpy() > 1).any():
        raise ValueError("more than one self rating of the same unit for one coachee")
    n = tallies.n.to_numpy(dtype=np.int64).reshape(len(own), len(_RATERS))
    verdict = guard_counts(n, rules)
    own_n = own["n"].to_numpy()
    table = {"self": _float_where(own["sum"].to_numpy(dtype=np.float64), own_n > 0)}
    table |= _others_figures(tallies, n, verdict.show_others, rules)
    table["gap"] = table["self"] - table["others_mean"]
    table["category"] = item_category(table["gap"], table["rwg"], table["others_mean"], rules)
    table |= _group_figures(n, tallies.sum.to_numpy(dtype=np.float64), verdict)
    table |= {name: tallies.keys[name] for name in tallies.keys.columns}
    return pd.DataFrame({name: table[name] for name in columns}, copy=False)


def _others_figures(
    tallies: Tallies, n_by_group: np.ndarray, shown: np.ndarray, rules: Rules
) -> dict[str, pd.Series]:
    """Others = every non-self rater pooled: mean, n, sd, min, max, the count of each
    score and rwg; all hidden unless ``shown``."""
    n = n_by_group.sum(axis=1)
    total = tallies.sum.to_numpy(dtype=np.float64).sum(axis=1)
    squares = tallies.sumsq.to_numpy(dtype=np.float64).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.clip((n * squares - total * total) / (n * (n - 1.0)), 0.0, None)
        mean = total / n
    variance = np.where(shown & (n >= 2), variance, np.nan)
    figures = {
        "others_mean": _float_where(mean, shown),
        "others_n": _count_where(n, shown),
        "others_sd": pd.Series(np.sqrt(variance)),
        "others_min": _float_where(np.fmin.reduce(tallies.min.to_numpy(), axis=1), shown),
        "others_max": _float_where(np.fmax.reduce(tallies.max.to_numpy(), axis=1), shown),
    }
    for name, count in tallies.counts.items():
        figures[name] = _count_where(count.to_numpy().sum(axis=1), shown)
    figures["rwg"] = pd.Series(np.clip(1 - variance / rules.uniform_variance, 0.0, 1.0))
    return figures


def _group_figures(n: np.ndarray, total: np.ndarray, verdict: GuardDecision) -> dict:
    """Each rater group's mean and n where the guard shows the group, and the pooled
    "other raters" (the groups it does not show) where it shows them."""
    shown = verdict.shown
    with np.errstate(divide="ignore", invalid="ignore"):
        means = total / n
    figures = {}
    for column, group in enumerate(_RATERS):
        figures[f"{group}_mean"] = _float_where(means[:, column], shown[:, column])
        figures[f"{group}_n"] = _count_where(n[:, column], shown[:, column])
    pooled = np.where(shown, 0.0, total).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = pooled / verdict.other_n
    figures["other_mean"] = _float_where(other, verdict.show_other)
    figures["other_n"] = _count_where(verdict.other_n, verdict.show_other)
    return figures


def _float_where(values: np.ndarray, shown: np.ndarray) -> pd.Series:
    """A float column: NaN where hidden."""
    return pd.Series(np.where(shown, values, np.nan), dtype=np.float64)


def _count_where(count: np.ndarray, shown: np.ndarray) -> pd.Series:
    """A count as a nullable Int64 column: <NA> where hidden."""
    hidden = ~np.asarray(shown, dtype=bool)
    return pd.Series(pd.arrays.IntegerArray(np.asarray(count, dtype=np.int64), hidden))
