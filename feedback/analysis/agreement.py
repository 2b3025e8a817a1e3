"""Overall self-other agreement: the six groups of Brutus, Fleenor & Taylor (1996).

docs/analysis.md, "Above the item level": "over-estimator, under-estimator or in
agreement (|self − others| on the overall mean ≥ 0.5 or not), each split into good or
poor by others' overall mean (≥ 3.5, or the coach's cohort median from 20 coachees)".

The overall means are figures above the item level, so they are built only from the
item figures the guard shows: the *matched* items, where both the self score and
others' mean are shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .categories import at_least, at_most
from .rules import DEFAULT_RULES, NOT_ENOUGH_DATA, Rules
from .stats import item_stats
from .tallies import DEFAULT_COACHEE

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


def others_respondents(ratings: pd.DataFrame, coachees: pd.Index) -> np.ndarray:
    """Per coachee (in ``coachees`` order): other raters with at least one score."""
    answered = ratings[(ratings["group"] != "self") & ratings["score"].notna()]
    if "coachee_id" in ratings.columns:
        coachee = answered["coachee_id"].astype(str)
    else:
        coachee = pd.Series(DEFAULT_COACHEE, index=answered.index)
    count = answered["rater_id"].groupby(coachee, observed=True).nunique()
    return count.reindex(coachees, fill_value=0).to_numpy(dtype=np.int64)


def agreement_from_items(
    items: pd.DataFrame, others_n: np.ndarray | None = None, rules: Rules = DEFAULT_RULES
) -> pd.DataFrame:
    """The self-other agreement of each coachee, from an :func:`item_stats` frame.

    See :func:`self_other_agreement` for the columns. ``others_n`` (per coachee, in
    order of first appearance in ``items``) fills the column of that name; without it,
    the column holds the largest others_n of any item.
    """
    coachees = pd.Index(pd.unique(items["coachee_id"]), name="coachee_id")
    matched = items["self"].notna() & items["others_mean"].notna()
    by_coachee = items["coachee_id"].where(matched)  # unmatched items in no group
    frame = pd.DataFrame(index=coachees)
    for name, figure in (("self_overall", "self"), ("others_overall", "others_mean")):
        overall = items[figure].where(matched).groupby(by_coachee, sort=False).mean()
        frame[name] = overall.reindex(coachees).to_numpy(dtype=float)
    if others_n is None:
        most = items["others_n"].groupby(items["coachee_id"], sort=False).max()
        frame["others_n"] = most.reindex(coachees).fillna(0).astype("Int64").to_numpy()
    else:
        frame["others_n"] = pd.array(np.asarray(others_n, dtype=np.int64), dtype="Int64")
    difference = frame["self_overall"] - frame["others_overall"]
    frame["difference"] = difference
    known = difference.notna()
    direction = _direction(difference, rules).where(known)
    level = _level(frame["others_overall"], rules).where(known)
    frame["direction"] = direction.astype("str")
    frame["level"] = level.astype("str")
    frame["category"] = (direction + ", " + level).fillna(NOT_ENOUGH_DATA).astype("str")
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
    frame["explanation"] = (figures + sentence).where(known, sentence).astype("str")
    return frame.reset_index()[_AGREEMENT_COLUMNS]


def _direction(difference: pd.Series, rules: Rules) -> pd.Series:
    """Over-estimator from +0.5 (``overall_threshold``), under-estimator from -0.5,
    in agreement between."""
    t = rules.overall_threshold
    direction = pd.Series("in agreement", index=difference.index, dtype=object)
    direction[at_most(difference, -t)] = "under-estimator"
    direction[at_least(difference, t)] = "over-estimator"  # wins should both hold (t = 0)
    return direction


def _level(others_overall: pd.Series, rules: Rules) -> pd.Series:
    """Good from others' overall 3.5 (``overall_good``), or from the cohort's median
    when there are ``cohort_median_from`` (20) coachees or more; poor below."""
    cut = rules.overall_good
    if len(others_overall) >= rules.cohort_median_from and others_overall.notna().any():
        cut = float(others_overall.median())
    good = at_least(others_overall, cut)
    return pd.Series(np.where(good, "good", "poor"), index=others_overall.index, dtype=object)


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
    return agreement_from_items(items, others_respondents(ratings, coachees), rules)
