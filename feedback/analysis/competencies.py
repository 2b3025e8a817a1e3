"""Competency figures, built only from the item figures the guard shows.

docs/analysis.md, "Above the item level" (DESIGN §3, "Competency scores"): a group's
competency mean is the mean of its answers on the competency's items where the group is
shown (from those items' counts and sums); its spread is the shown items' pooled
variance; agreement is rwg(J) from the mean of the shown items' variances. A group's
competency figure shows only when the group is shown on at least half of the
competency's items ("its items": those that appear for the coachee). The same holds for
others' overall figures (items where they are shown), the pooled "other raters" (items
where the pooled remainder is shown) and the coachee's own score (items they scored).

Nothing here reads a rating: only the item tallies and the guard's verdict on each
item, so no figure is computed from a set of answers that the item level hides, and
two sets of answers that no shown item figure tells apart give the same competency
figures ("Across levels").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .categories import item_category
from .codes import codes_in_order, rater_slots, same_within
from .guard import GuardDecision
from .rules import RATER_GROUPS, Rules
from .rwg import rwg_j
from .tallies import Tallies, score_counts

_N_GROUPS = len(RATER_GROUPS)


def check_raters(ratings: pd.DataFrame) -> None:
    """Every rating has a rater, and a rater is in one group for one coachee."""
    rater, _ = codes_in_order(ratings["rater_id"])
    missing = rater < 0
    if missing.any():
        raise ValueError(f"rater_id is missing on row {int(np.argmax(missing))}")
    if "coachee_id" in ratings.columns:
        coachee, _ = codes_in_order(ratings["coachee_id"])
    else:
        coachee = np.zeros(len(rater), dtype=np.int64)
    group, _ = codes_in_order(ratings["group"].astype(str))
    slots = rater_slots(coachee.astype(np.int64), rater.astype(np.int64))
    n_slots = int(slots.max(initial=-1)) + 1
    if not same_within(slots, group.astype(np.int64), n_slots).all():
        raise ValueError("a rater appears in more than one group for one coachee")


def competency_units(keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The competency unit of each item row (coachee x competency, numbered in order of
    first appearance in the item table) and the rows of the first item of each unit."""
    coachee, _ = codes_in_order(keys["coachee_id"])
    competency, labels = codes_in_order(keys["competency"])
    key = coachee.astype(np.int64) * max(len(labels), 1) + competency
    unit, _ = pd.factorize(key, sort=False)
    first = np.full(int(unit.max(initial=-1)) + 1, len(unit), dtype=np.int64)
    np.minimum.at(first, unit, np.arange(len(unit), dtype=np.int64))
    return unit.astype(np.int64), first


def competency_figures(
    items: Tallies, verdict: GuardDecision, rules: Rules
) -> tuple[pd.DataFrame, dict[str, np.ndarray | pd.api.extensions.ExtensionArray]]:
    """Every figure of the competency table from the item tallies and the guard's
    verdict on each item.

    Returns:
        The keys (``coachee_id``, ``competency``) of each coachee x competency, and its
        figures by column name of :func:`~feedback.analysis.stats.stat_columns` (float
        arrays, NaN where hidden; counts as Int64 arrays, <NA> where hidden):

        - ``self``: the mean of the coachee's own scores on the competency's items, when
          they scored at least half of them.
        - ``others_*``, ``count_*``, ``rwg``: over the items where others' overall
          figures are shown, when that is at least half of the items: the mean of those
          answers, their number, the square root of the pooled within-item variance
          (Σ (n − 1) s² / Σ (n − 1)), the lowest and highest answer, the answers with
          each score, and rwg(J) from the mean of those items' variances.
        - ``gap``, ``category``: as for items, from the figures above.
        - ``<group>_mean``, ``<group>_n`` (and the pooled ``other``): over the items
          where the group (the pooled remainder) is shown, when that is at least half
          of the items: the mean of those answers and their number.
    """
    unit, first = competency_units(items.keys)
    n_units = len(first)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(unit, weights=values, minlength=n_units)

    its_items = np.bincount(unit, minlength=n_units)

    def enough(where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How many items are taken, and whether that is at least half of them."""
        taken = total(where.astype(np.float64))
        return taken, (taken > 0) & (2 * taken >= its_items)

    n = items.n.to_numpy(dtype=np.float64).reshape(-1, _N_GROUPS)
    sums = items.sum.to_numpy(dtype=np.float64).reshape(-1, _N_GROUPS)
    figures: dict = {}

    own_n = items.own["n"].to_numpy(dtype=np.float64)
    scored = own_n > 0
    taken, visible = enough(scored)
    own_total = total(np.where(scored, items.own["sum"].to_numpy(dtype=np.float64), 0.0))
    figures["self"] = _where(own_total / np.maximum(taken, 1), visible)

    figures |= _others(items, unit, total, enough, verdict.show_others, rules)
    gap = figures["self"] - figures["others_mean"]
    figures["gap"] = gap
    category = item_category(
        pd.Series(gap), pd.Series(figures["rwg"]), pd.Series(figures["others_mean"]), rules
    )
    figures["category"] = category.array

    shown = verdict.shown
    for column, group in enumerate(RATER_GROUPS):
        on = shown[:, column]
        figures |= _group(group, on, n[:, column], sums[:, column], total, enough)
    pooled = ~shown
    on = verdict.show_other
    other_n = verdict.other_n.astype(np.float64)
    other_sum = np.where(pooled, sums, 0.0).sum(axis=1)
    figures |= _group("other", on, other_n, other_sum, total, enough)

    keys = items.keys.iloc[first][["coachee_id", "competency"]].reset_index(drop=True)
    return keys, figures


def _others(
    items: Tallies, unit: np.ndarray, total, enough, shown: np.ndarray, rules: Rules
) -> dict:
    """Others' overall figures over the items where they are shown."""
    n = items.n.to_numpy(dtype=np.float64).sum(axis=1)
    sums = items.sum.to_numpy(dtype=np.float64).sum(axis=1)
    squares = items.sumsq.to_numpy(dtype=np.float64).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.clip((n * squares - sums * sums) / (n * (n - 1.0)), 0.0, None)
    on = shown & (n >= 2)  # a shown item has at least k >= 2 answers
    taken, visible = enough(shown)
    answers = total(np.where(shown, n, 0.0))
    spread = total(np.where(on, (n - 1.0) * variance, 0.0))
    degrees = total(np.where(on, n - 1.0, 0.0))
    mean_variance = total(np.where(on, variance, 0.0)) / np.maximum(taken, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        figures = {
            "others_mean": _where(total(np.where(shown, sums, 0.0)) / answers, visible),
            "others_n": _count(answers, visible),
            "others_sd": _where(np.sqrt(spread / degrees), visible & (degrees > 0)),
        }
    n_units = len(taken)
    low = np.full(n_units, np.inf)
    high = np.full(n_units, -np.inf)
    np.minimum.at(
        low, unit[shown], np.fmin.reduce(items.min.to_numpy(dtype=np.float64), axis=1)[shown]
    )
    np.maximum.at(
        high, unit[shown], np.fmax.reduce(items.max.to_numpy(dtype=np.float64), axis=1)[shown]
    )
    figures["others_min"] = _where(low, visible)
    figures["others_max"] = _where(high, visible)
    for name in score_counts(rules.scale_points):
        count = items.counts[name].to_numpy(dtype=np.float64).sum(axis=1)
        figures[name] = _count(total(np.where(shown, count, 0.0)), visible)
    figures["rwg"] = _where(rwg_j(mean_variance, taken, rules), visible)
    return figures


def _group(name: str, on: np.ndarray, n: np.ndarray, sums: np.ndarray, total, enough) -> dict:
    """A group's mean and number of answers over the items where it is shown."""
    _, visible = enough(on)
    answers = total(np.where(on, n, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total(np.where(on, sums, 0.0)) / answers
    return {f"{name}_mean": _where(mean, visible), f"{name}_n": _count(answers, visible)}


def _where(values: np.ndarray, shown: np.ndarray) -> np.ndarray:
    return np.where(shown, values, np.nan).astype(np.float64, copy=False)


def _count(values: np.ndarray, shown: np.ndarray) -> pd.arrays.IntegerArray:
    """A count as a nullable Int64 array: <NA> where hidden."""
    whole = np.where(shown, np.rint(values), 0).astype(np.int64)
    return pd.arrays.IntegerArray(whole, ~shown)


__all__ = ["check_raters", "competency_figures", "competency_units"]
