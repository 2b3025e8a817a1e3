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

#: The same, said to the coachee in their own report (second person).
EXPLANATIONS_TO_COACHEE: dict[str, str] = {
    "over-estimator, good": (
        "You rate yourself clearly higher than others do, although others rate you "
        "well. A strong profile with blind spots: look at where others see less than "
        "you do before building on your strengths."
    ),
    "over-estimator, poor": (
        "You rate yourself clearly higher than others do, and others' ratings are low. "
        "Others may see difficulties that you do not see yet: the blind spots are the "
        "place to start, with your coach and with examples."
    ),
    "under-estimator, good": (
        "You rate yourself clearly lower than others do, and others rate you well. "
        "Others see strengths that you underrate: recognise them, and use them."
    ),
    "under-estimator, poor": (
        "You rate yourself lower than others do, and others' ratings are low too. You "
        "know things are hard and may be too hard on yourself: build on what works "
        "while you work on the development areas."
    ),
    "in agreement, good": (
        "Your view of yourself matches how others see you, and others rate you well: "
        "an accurate and positive picture to build on."
    ),
    "in agreement, poor": (
        "Your view of yourself matches how others see you, and both are low: you know "
        "where you stand, a sound starting point for a development plan."
    ),
    NOT_ENOUGH_DATA: (
        "Not enough answers to compare your view with others': a self-assessment, or "
        "enough other raters on the same statements, is missing."
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
    coachee, labels = pd.factorize(items["coachee_id"], sort=False)
    n_coachees = len(labels)
    own = items["self"].to_numpy(dtype=np.float64, na_value=np.nan)
    others = items["others_mean"].to_numpy(dtype=np.float64, na_value=np.nan)
    matched = ~np.isnan(own) & ~np.isnan(others)  # both shown: the matched items

    def mean_of_matched(values: np.ndarray) -> np.ndarray:
        at = coachee[matched]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.bincount(at, weights=values[matched], minlength=n_coachees) / np.bincount(
                at, minlength=n_coachees
            )

    self_overall = mean_of_matched(own)
    others_overall = mean_of_matched(others)
    if others_n is None:
        item_n = items["others_n"].to_numpy(dtype=np.float64, na_value=np.nan)
        shown = ~np.isnan(item_n)
        most = np.zeros(n_coachees)
        np.maximum.at(most, coachee[shown], item_n[shown])
        counted = pd.Series(most.astype(np.int64))  # plain int64, as it always was
    else:
        counted = pd.Series(pd.array(np.asarray(others_n, dtype=np.int64), dtype="Int64"))
    difference = self_overall - others_overall
    known = ~np.isnan(difference)
    direction = np.where(known, _direction(difference, rules), None)
    level = np.where(known, _level(others_overall, rules), None)
    category = [
        f"{d}, {lv}" if k else NOT_ENOUGH_DATA
        for d, lv, k in zip(direction, level, known, strict=True)
    ]
    explanation = [
        _figures(s, o, d) + EXPLANATIONS[c] if k else EXPLANATIONS[c]
        for s, o, d, c, k in zip(
            np.round(self_overall, 2),
            np.round(others_overall, 2),
            np.round(difference, 2),
            category,
            known,
            strict=True,
        )
    ]
    frame = {
        "coachee_id": pd.Series(pd.unique(items["coachee_id"])),
        "self_overall": pd.Series(self_overall),
        "others_overall": pd.Series(others_overall),
        "others_n": counted,
        "difference": pd.Series(difference),
        "direction": pd.Series(direction, dtype="str"),
        "level": pd.Series(level, dtype="str"),
        "category": pd.Series(category, dtype="str"),
        "explanation": pd.Series(explanation, dtype="str"),
    }
    return pd.DataFrame({name: frame[name] for name in _AGREEMENT_COLUMNS}, copy=False)


def _figures(self_overall: float, others_overall: float, difference: float) -> str:
    """ "Self 4.0, others 3.5 (difference +0.5). ", the figures rounded to 2 places."""
    sign = "+" if difference > 0 else ""
    return (
        f"Self {float(self_overall)}, others {float(others_overall)} "
        f"(difference {sign}{float(difference)}). "
    )


def explanation_to_coachee(agreement: pd.Series | dict) -> str:
    """What a row of :func:`self_other_agreement` means, said to the coachee: their
    overall figures and :data:`EXPLANATIONS_TO_COACHEE` for its category."""
    category = agreement["category"]
    text = EXPLANATIONS_TO_COACHEE.get(category, EXPLANATIONS_TO_COACHEE[NOT_ENOUGH_DATA])
    if category == NOT_ENOUGH_DATA or pd.isna(agreement["difference"]):
        return text
    names = ("self_overall", "others_overall", "difference")
    self_overall, others_overall, difference = (round(float(agreement[n]), 2) for n in names)
    sign = "+" if difference > 0 else ""
    return f"You {self_overall}, others {others_overall} (difference {sign}{difference}). {text}"


def _direction(difference: np.ndarray, rules: Rules) -> np.ndarray:
    """Over-estimator from +0.5 (``overall_threshold``), under-estimator from -0.5,
    in agreement between."""
    t = rules.overall_threshold
    over = at_least(difference, t)  # wins should both hold (t = 0)
    under = at_most(difference, -t)
    return np.where(over, "over-estimator", np.where(under, "under-estimator", "in agreement"))


def _level(others_overall: np.ndarray, rules: Rules) -> np.ndarray:
    """Good from others' overall 3.5 (``overall_good``), or from the cohort's median
    when there are ``cohort_median_from`` (20) coachees or more; poor below."""
    cut = rules.overall_good
    shown = ~np.isnan(others_overall)
    if len(others_overall) >= rules.cohort_median_from and shown.any():
        cut = float(np.median(others_overall[shown]))
    return np.where(at_least(others_overall, cut), "good", "poor")


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
