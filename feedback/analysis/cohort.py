"""The coach's cohort overview: every coachee's agreement, largest gap and standing."""

from __future__ import annotations

import pandas as pd

from .agreement import agreement_from_items, others_respondents
from .rules import DEFAULT_RULES, Rules
from .stats import item_stats


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
    agreement = agreement_from_items(items, others_respondents(ratings, coachees), rules)
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
