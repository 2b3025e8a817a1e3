"""Overall self-other agreement and the cohort overview.

The six groups are those of Brutus, Fleenor & Taylor (1996), who split Atwater &
Yammarino's over-estimators, under-estimators and those in agreement by how well
others rate the person ("good" or "poor").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import codes_in_order, rater_slots
from .rules import DEFAULT_RULES, NOT_ENOUGH_DATA, TOLERANCE, Rules
from .stats import item_stats

#: What a coach should take from each agreement category, in plain words.
EXPLANATIONS: dict[str, str] = {
    "over-estimator, good": (
        "They rate themself clearly higher than others do, although others rate them "
        "well. A strong profile with blind spots: look at where others see less than "
        "they do before building on their strengths."
    ),
    "over-estimator, poor": (
        "They rate themself clearly higher than others do, and others' ratings are low. "
        "The group most at risk: they may not see the difficulties others see. Start "
        "with the blind spots, gently, and with examples."
    ),
    "under-estimator, good": (
        "They rate themself clearly lower than others do, and others rate them well. "
        "They underrate strengths that others clearly see: help them recognise and "
        "use those strengths."
    ),
    "under-estimator, poor": (
        "They rate themself lower than others do, and others' ratings are low too. They "
        "know things are hard and may be overly self-critical: build confidence while "
        "working on the development areas."
    ),
    "in agreement, good": (
        "Their view of themself matches how others see them, and others rate them well: "
        "an accurate and positive self-picture to build on."
    ),
    "in agreement, poor": (
        "Their view of themself matches how others see them, and both are low: they "
        "know where they stand, a sound starting point for a development plan."
    ),
    NOT_ENOUGH_DATA: (
        "Not enough data: a self-assessment, or enough other raters on the same items, "
        "is missing, so self and others cannot be compared."
    ),
}

_AGREEMENT_COLUMNS = [
    "coachee_id",
    "self_overall",
    "others_overall",
    "others_n",
    "difference",
    "direction",
    "level",
    "category",
    "explanation",
]


def _others_respondents(ratings: pd.DataFrame, coachees: pd.Index) -> np.ndarray:
    """Per coachee (in ``coachees`` order): other raters with at least one score."""
    n = len(ratings)
    if "coachee_id" in ratings.columns:
        coachee, labels = codes_in_order(ratings["coachee_id"])
        labels = np.array([str(c) for c in labels], dtype=object)
    else:
        coachee, labels = np.zeros(n, dtype=np.int64), np.array(["1"], dtype=object)
    rater, _ = codes_in_order(ratings["rater_id"])
    slot = rater_slots(coachee, rater)
    score = ratings["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    other = ~np.isnan(score) & (ratings["group"] != "self").to_numpy(dtype=bool)
    seen = np.zeros(int(slot.max(initial=-1)) + 1, dtype=bool)
    seen[slot[other]] = True
    coachee_of_slot = np.zeros(len(seen), dtype=np.int64)
    coachee_of_slot[slot] = coachee
    count = np.bincount(coachee_of_slot[seen], minlength=len(labels))
    return pd.Series(count, index=labels).reindex(coachees, fill_value=0).to_numpy()


def agreement_from_items(
    items: pd.DataFrame, others_n: np.ndarray | None = None, rules: Rules = DEFAULT_RULES
) -> pd.DataFrame:
    """The self-other agreement of each coachee, from an :func:`item_stats` frame.

    See :func:`self_other_agreement` for the columns. ``others_n`` (per coachee, in
    order of first appearance in ``items``) fills the column of that name; without it,
    the column holds the largest others_n of any item.
    """
    matched = items["self"].notna() & items["others_mean"].notna()
    coachees = pd.Index(pd.unique(items["coachee_id"]), name="coachee_id")
    by = items["coachee_id"].where(matched)
    self_overall = items["self"].where(matched).groupby(by, sort=False).mean()
    others_overall = items["others_mean"].where(matched).groupby(by, sort=False).mean()
    frame = pd.DataFrame(index=coachees)
    frame["self_overall"] = self_overall.reindex(coachees).to_numpy(dtype=float)
    frame["others_overall"] = others_overall.reindex(coachees).to_numpy(dtype=float)
    if others_n is None:
        most = items["others_n"].groupby(items["coachee_id"], sort=False).max()
        frame["others_n"] = most.reindex(coachees).fillna(0).astype("Int64").to_numpy()
    else:
        frame["others_n"] = pd.array(np.asarray(others_n, dtype=np.int64), dtype="Int64")
    difference = frame["self_overall"] - frame["others_overall"]
    frame["difference"] = difference
    t = rules.overall_threshold
    known = difference.notna().to_numpy()
    direction = np.select(
        [difference >= t - TOLERANCE, difference <= -t + TOLERANCE],
        ["over-estimator", "under-estimator"],
        default="in agreement",
    )
    cut = rules.overall_good
    if len(coachees) >= rules.cohort_median_from and frame["others_overall"].notna().any():
        cut = float(frame["others_overall"].median())
    level = np.where(frame["others_overall"] >= cut - TOLERANCE, "good", "poor")
    frame["direction"] = pd.array(np.where(known, direction, None), dtype="str")
    frame["level"] = pd.array(np.where(known, level, None), dtype="str")
    category = np.where(known, np.char.add(np.char.add(direction, ", "), level), NOT_ENOUGH_DATA)
    frame["category"] = pd.array(category, dtype="str")
    figures = (
        "Self "
        + frame["self_overall"].round(2).astype(str)
        + ", others "
        + frame["others_overall"].round(2).astype(str)
        + " (difference "
        + np.where(difference > 0, "+", "")
        + difference.round(2).astype(str)
        + "). "
    )
    sentence = frame["category"].map(EXPLANATIONS)
    frame["explanation"] = pd.array(np.where(known, figures + sentence, sentence), dtype="str")
    return frame.reset_index()[_AGREEMENT_COLUMNS]


def self_other_agreement(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """Each coachee's overall self-other agreement, in the six groups of Brutus,
    Fleenor & Taylor (1996).

    Overall means are formed over the *matched* items: those where both the self score
    and others' mean are shown (the anonymity guard applied, so hidden figures never
    enter). ``self_overall`` is the mean of the self scores on those items,
    ``others_overall`` the mean of others' item means on the same items (each item
    weighs the same), so ``difference`` is the mean gap over those items.

    Returns:
        One row per coachee, in order of first appearance:

        - ``coachee_id``.
        - ``self_overall``, ``others_overall``: the overall means above (NaN when no
          item is matched).
        - ``others_n``: how many other raters gave at least one score.
        - ``difference``: self_overall - others_overall.
        - ``direction``: "over-estimator" (difference >= overall_threshold, 0.5),
          "under-estimator" (<= -0.5) or "in agreement"; missing without matched items.
        - ``level``: "good" when others_overall >= overall_good (3.5) or, when the input
          holds at least cohort_median_from (20) coachees, >= the cohort's median of
          others_overall; else "poor".
        - ``category``: "<direction>, <level>" (e.g. "over-estimator, poor") or
          "not enough data".
        - ``explanation``: the figures and what the category means, for a coach.
    """
    items = item_stats(ratings, rules)
    coachees = pd.Index(pd.unique(items["coachee_id"]))
    return agreement_from_items(items, _others_respondents(ratings, coachees), rules)


def cohort_summary(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """The coach's cohort overview: one row per coachee, computed for all at once.

    Returns:
        - ``coachee_id``; ``others_n``: other raters with at least one score.
        - ``self_overall``, ``others_overall``, ``difference``, ``category``: as in
          :func:`self_other_agreement`.
        - ``largest_gap_item``, ``largest_gap_competency``, ``largest_gap``: the item
          with the largest shown |gap| and its (signed) gap; the first in questionnaire
          order on a tie; empty when no gap is shown.
        - ``others_overall_percentile``, ``difference_percentile``: the percentage of
          the cohort's coachees (those with a figure) whose value is at or below this
          one's: 100 for the highest, 100/n for the lowest of n distinct values.
    """
    items = item_stats(ratings, rules)
    coachees = pd.Index(pd.unique(items["coachee_id"]))
    agreement = agreement_from_items(items, _others_respondents(ratings, coachees), rules)
    shown = items.loc[items["gap"].notna(), ["coachee_id", "item_key", "competency", "gap"]]
    largest = (
        shown.assign(size=shown["gap"].abs())
        .sort_values("size", ascending=False, kind="stable")
        .drop_duplicates("coachee_id")
        .set_index("coachee_id")
        .reindex(coachees)
    )
    summary = agreement[
        ["coachee_id", "others_n", "self_overall", "others_overall", "difference", "category"]
    ].copy()
    summary["largest_gap_item"] = largest["item_key"].to_numpy()
    summary["largest_gap_competency"] = largest["competency"].to_numpy()
    summary["largest_gap"] = largest["gap"].to_numpy(dtype=float)
    for name in ("others_overall", "difference"):
        summary[f"{name}_percentile"] = summary[name].rank(method="max", pct=True) * 100
    return summary
