"""The coach's cycle dashboard."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from .. import charts
from ..coaching.models import CycleState
from ..coaching.services import close_if_due, cycle_of
from ..database import commit
from ..raters.models import GROUP_LABELS
from ..raters.services import invites_of, progress
from .services import cycle_results

bp = Blueprint("dashboard", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


@bp.get("/cycles/<int:cycle_id>")
def show_cycle(cycle_id: int):
    """Progress while the cycle is open; the perception gaps once it is closed."""
    cycle = cycle_of(current_user, cycle_id)
    close_if_due(cycle)
    commit()
    context = {
        "cycle": cycle,
        "coachee": cycle.coachee,
        "progress": progress(cycle),
        "invites": invites_of(cycle),
        "group_labels": GROUP_LABELS,
    }
    results = cycle_results(cycle) if cycle.state is CycleState.CLOSED else None
    if results is not None:
        questionnaire = cycle.questionnaire
        item_texts = {
            item.key: item.rater_text.replace("{name}", cycle.coachee.first_name)
            for item in questionnaire.items
        }
        question_texts = {
            q.key: (q.rater_text or q.self_text or q.key).replace(
                "{name}", cycle.coachee.first_name
            )
            for q in questionnaire.open_questions
        }
        context |= {
            "item_texts": item_texts,
            "question_texts": question_texts,
            "competency_chart": charts.self_vs_others(
                results.competencies, results.shown_groups
            ).to_json(),
            "gap_chart": charts.gap_by_item(results.items, item_texts).to_json(),
        }
    return render_template("dashboard/cycle.html", results=results, **context)
