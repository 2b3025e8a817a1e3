"""Pure recombinations of the engine's guarded outputs with what the coachee wrote.

No figure here is computed from ratings: each function takes frames the engine has
already guarded (competency_stats, trend) and lines them up with the coachee's own
predictions or goals. A figure the guard hid stays hidden: its row is left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis import Rules
from ..analysis.rules import TOLERANCE
from ..vocabulary import RATER_GROUPS

if TYPE_CHECKING:
    import pandas as pd


#: What a row of :func:`prediction_table` tells the coach.
KNOWS = "knows others see it differently"
DOES_NOT_KNOW = "does not know others see it differently"
SAME_VIEW = "sees it as this group does"
NO_PREDICTION = "no prediction"
INSIGHTS = (KNOWS, DOES_NOT_KNOW, SAME_VIEW, NO_PREDICTION)

_COLUMNS = [
    "competency",
    "group",
    "self",
    "predicted",
    "actual",
    "n",
    "self_minus_actual",
    "predicted_minus_actual",
    "insight",
]


def prediction_table(
    competencies: pd.DataFrame,
    predictions: dict[tuple[str, str], float],
    competency_keys: dict[str, str],
    rules: Rules,
) -> pd.DataFrame:
    """Self, predicted and actual side by side, per competency and rater group.

    Args:
        competencies: the engine's competency_stats of one coachee (guarded).
        predictions: the coachee's predictions, (competency key, group) -> 1..5 in
            steps of a half.
        competency_keys: competency title (as in ``competencies``) -> key.
        rules: the cycle's rules; T (``gap_threshold``) decides "differently".

    Returns:
        One row per competency and group whose mean the guard shows (a hidden group
        never gets a row, even when the coachee predicted it): ``competency``,
        ``group``, ``self``, ``predicted`` (NaN: none), ``actual`` (the group's shown
        mean), ``n`` (its raters), ``self_minus_actual``, ``predicted_minus_actual``,
        and ``insight``: NO_PREDICTION when the coachee predicted nothing for this
        competency and group (or gave no self score): a row without a prediction tells
        nothing about what the coachee expected. Otherwise KNOWS when self and actual
        differ by at least T and the prediction is within T of actual; DOES_NOT_KNOW
        when they differ and the prediction misses by T or more too; SAME_VIEW when
        self is within T of actual.
    """
    import pandas as pd

    rows = []
    t = rules.gap_threshold - TOLERANCE
    for record in competencies.to_dict("records"):
        key = competency_keys.get(record["competency"], record["competency"])
        for group in RATER_GROUPS:
            actual = record.get(f"{group}_mean")
            if actual is None or pd.isna(actual):
                continue
            own = record["self"]
            predicted = predictions.get((key, group))
            predicted = float("nan") if predicted is None else float(predicted)
            self_diff = own - actual
            predicted_diff = predicted - actual
            if pd.isna(own) or pd.isna(predicted):
                insight = NO_PREDICTION
            elif abs(self_diff) < t:
                insight = SAME_VIEW
            elif abs(predicted_diff) < t:
                insight = KNOWS
            else:
                insight = DOES_NOT_KNOW
            rows.append(
                {
                    "competency": record["competency"],
                    "group": group,
                    "self": own,
                    "predicted": predicted,
                    "actual": float(actual),
                    "n": record.get(f"{group}_n"),
                    "self_minus_actual": self_diff,
                    "predicted_minus_actual": predicted_diff,
                    "insight": insight,
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


def goal_changes(item_trend: pd.DataFrame, goal_items: list[str]) -> pd.DataFrame:
    """The rows of the engine's item trend (``analysis.trend`` of two item_stats frames)
    for the statements of a development plan, in the plan's order, each once."""
    wanted = list(dict.fromkeys(goal_items))
    rows = item_trend[item_trend["item_key"].isin(wanted)]
    order = {key: i for i, key in enumerate(wanted)}
    return (
        rows.assign(_order=rows["item_key"].map(order)).sort_values("_order").drop(columns="_order")
    )
