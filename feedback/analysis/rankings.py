"""The items a coach looks at first: highest, lowest, blind spots, hidden strengths.

docs/analysis.md, "Above the item level": "the five highest and five lowest statements
by others' mean; the five largest blind spots and hidden strengths by |gap|".

Each function takes an :func:`~feedback.analysis.stats.item_stats` frame (a
competency_stats frame works too) and returns the chosen rows, unchanged, per coachee:
coachees in their order, and within a coachee best first; a tie keeps questionnaire
order. Only shown figures are used, so the guard's decisions carry over.
"""

from __future__ import annotations

import pandas as pd


def _top(
    items: pd.DataFrame, chosen: pd.Series, key: pd.Series, n: int, descending: bool
) -> pd.DataFrame:
    """The n rows of each coachee among ``chosen`` with the largest (or smallest) key."""
    picked = items[chosen.fillna(False).astype(bool)]
    ranking = pd.DataFrame(
        {
            "coachee": pd.factorize(picked["coachee_id"])[0],
            "key": -key[picked.index] if descending else key[picked.index],
            "position": range(len(picked)),
        },
        index=picked.index,
    )
    ranking = ranking.sort_values(["coachee", "key", "position"])
    ranking = ranking.groupby("coachee", sort=False).head(n)
    return items.loc[ranking.index]


def highest_items(items: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Each coachee's n items with the highest shown others_mean."""
    return _top(items, items["others_mean"].notna(), items["others_mean"], n, descending=True)


def lowest_items(items: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Each coachee's n items with the lowest shown others_mean."""
    return _top(items, items["others_mean"].notna(), items["others_mean"], n, descending=False)


def blind_spots(items: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Each coachee's n "blind spot" items with the largest |gap| (they rate themself
    higher than others, who agree among themselves)."""
    chosen = items["category"] == "blind spot"
    return _top(items, chosen, items["gap"].abs(), n, descending=True)


def hidden_strengths(items: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Each coachee's n "hidden strength" items with the largest |gap| (others, in
    agreement, rate them higher than they rate themself)."""
    chosen = items["category"] == "hidden strength"
    return _top(items, chosen, items["gap"].abs(), n, descending=True)
