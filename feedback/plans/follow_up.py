"""The plan's figures beside a closed cycle's results: how the previous plan's
statements moved, and the coachee's predictions against what others said. Built only
from the guarded results (:mod:`feedback.ratings.results`), through :mod:`.insights`."""

from .. import analysis, charts
from ..coaching.models import Cycle
from ..ratings.results import CycleReport, cycle_report, remembered, safe_json, shown_titles
from ..vocabulary import GROUP_LABELS
from . import services
from .insights import INSIGHTS, goal_changes, prediction_table


def follow_up(cycle: Cycle) -> dict | None:
    """The previous plan's goals with the change on their statements since that cycle
    (the engine's trend of the two item tables), or None when ``cycle`` follows no plan."""
    found = services.previous_plan(cycle)
    if found is None:  # most cycles: no need for the results' frames (nor pandas)
        return None
    report = cycle_report(cycle)
    if report is None:
        return None
    earlier, goals = found
    earlier_report = cycle_report(earlier)
    if earlier_report is None:
        return None
    changes = goal_changes(
        analysis.trend(earlier_report.results.items, report.results.items),
        [goal.item_key for goal in goals],
    )
    by_item = {row["item_key"]: row for row in changes.to_dict("records")}
    return {"cycle": earlier, "goals": goals, "changes": by_item}


def predictions_view(cycle: Cycle, report: CycleReport | None) -> dict | None:
    """The predictions table and figure for a closed cycle, or None without predictions."""
    predicted = services.predictions_of(cycle)
    if report is None or not predicted:
        return None
    key = ("predictions", report.key, tuple(sorted(predicted.items())))
    return remembered(key, lambda: _predictions_view(report, predicted))


def _predictions_view(report: CycleReport, predicted: dict) -> dict | None:
    table = prediction_table(
        report.results.competencies, predicted, report.competency_keys, report.results.rules
    )
    if table.empty:
        return None
    table["group_name"] = table["group"].map(GROUP_LABELS)
    table = shown_titles(table, report.competency_titles)
    return {
        "rows": table.to_dict("records"),
        "figure": safe_json(charts.predictions(table, report.scale)),
        "counts": {insight: int((table["insight"] == insight).sum()) for insight in INSIGHTS},
    }
