"""The coach's cycle dashboard, cohort overview and trend pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import bindparam, exists, select

from .. import analysis, charts
from ..coaching.models import Cycle
from ..coaching.services import coachee_of, cycle_of
from ..extensions import db
from ..plans import services as plans
from ..plans.follow_up import follow_up, predictions_view
from ..plans.models import Goal, Prediction
from ..raters.services import invites_of, nomination_shortfall, progress
from ..ratings.frames import ratings_frame
from ..ratings.held import held_answers
from ..ratings.models import Response
from ..ratings.results import competency_titles, cycle_report, safe_json, shown_titles, wording
from ..ratings.shown import shown_report
from ..reports.released import new_results_to_release
from ..vocabulary import GROUP_LABELS, CycleState, InviteState
from ..web.terms import EXPLANATIONS_SHOWN
from . import cohort as cohort_service
from .forms import KeepResultsForm
from .kept_page import TEMPLATE as PAGE
from .kept_page import kept_page
from .lifecycle import portal_link_problem

if TYPE_CHECKING:
    import pandas as pd


bp = Blueprint("dashboard", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


def _largest_gap_named(row: cohort_service.CohortRow) -> tuple[str, str]:
    """A cohort row's largest gap as the page names it: the statement as raters read it
    and its competency's title, in the page's language when the questionnaire has a
    translation into it (the summary names them by key and title as written)."""
    summary = row.summary
    key, title = summary.get("largest_gap_item"), summary.get("largest_gap_competency")
    if not isinstance(key, str):
        return "", ""
    statements, _questions, _keys = wording(row.analysed)
    return statements.get(key, key), competency_titles(row.analysed).get(title, title)


@bp.get("/cycles/<int:cycle_id>")
def show_cycle(cycle_id: int):
    """Progress while the cycle is open; the perception gaps once it is closed."""
    cycle = cycle_of(current_user, cycle_id)
    closed = cycle.state is CycleState.CLOSED
    # The stored document when the close kept one for this page: no pandas, no plotly.
    report = shown_report(cycle) if closed else None
    any_held, any_predicted, any_goals = _what_waits(cycle) if closed else (False,) * 3
    held = held_answers(cycle) if any_held else None
    # Predictions are drawn from the results' frames: only a cycle that has them
    # computes those (in this process).
    predicted = report is not None and any_predicted and bool(plans.predictions_of(cycle))
    nominees = invites_of(cycle) if not closed else []
    context = {
        "cycle": cycle,
        "coachee": cycle.coachee,
        "progress": progress(cycle),
        "group_labels": GROUP_LABELS,
        "report": report,
        "results": report.results if report else None,
        "new_results": new_results_to_release(cycle),
        "held": held,
        "keep_form": KeepResultsForm() if held else None,
        "predictions": predictions_view(cycle, cycle_report(cycle)) if predicted else None,
        "goals": plans.goals_of(cycle) if any_goals or not closed else [],
        "follow_up": follow_up(cycle) if report else None,
        "portal_problem": portal_link_problem(cycle) if cycle.state is CycleState.OPEN else None,
        "nominees": nominees,
        "awaiting": [invite for invite in nominees if invite.state is InviteState.AWAITING],
        "missing": nomination_shortfall(cycle) if not closed else None,
    }
    # A closed cycle's page as last rendered, when nothing it shows has changed.
    page = kept_page(context) if closed else None
    return page if page is not None else render_template(PAGE, **context)


#: Built once (SQLAlchemy then keeps its cache key too): asked on every view.
_WHAT_WAITS = select(
    exists().where(Response.cycle_id == bindparam("cycle_id"), Response.held.is_(True)),
    exists().where(Prediction.cycle_id == bindparam("cycle_id")),
    exists().where(Goal.cycle_id == bindparam("cycle_id")),
)


def _what_waits(cycle: Cycle) -> tuple[bool, bool, bool]:
    """Whether closed ``cycle`` has held answers, predictions and goals, in one query:
    a dashboard without them (most) then asks for none of them."""
    row = db.session.execute(_WHAT_WAITS, {"cycle_id": cycle.id}).one()
    return bool(row[0]), bool(row[1]), bool(row[2])


@bp.get("/cohort")
def show_cohort():
    """Every coachee: response rate, agreement category, largest gap, percentiles;
    sorted and filtered by the query string (``sort``, ``order``, ``category``, ``q``)."""
    sort = request.args.get("sort", "name")
    order = request.args.get("order", "asc")
    category = request.args.get("category", "")
    query = request.args.get("q", "")[:120]
    categories = [*analysis.EXPLANATIONS]
    if sort not in cohort_service.SORTS:
        abort(
            400,
            _(
                "Unknown sort “%(sort)s”; use one of %(sorts)s.",
                sort=sort,
                sorts=", ".join(cohort_service.SORTS),
            ),
        )
    if order not in ("asc", "desc"):
        abort(400, _("The order is “asc” or “desc”."))
    if category and category not in categories:
        abort(400, _("Unknown agreement category “%(category)s”.", category=category))
    rows, mixed = cohort_service.cohort(current_user)
    scales = sorted({r.analysed.questionnaire.scale_points for r in rows if r.analysed})
    shown = cohort_service.sort_and_filter(
        rows, sort=sort, descending=order == "desc", category=category, query=query
    )
    return render_template(
        "dashboard/cohort.html",
        rows=shown,
        gaps={row.coachee.id: _largest_gap_named(row) for row in shown if row.analysed},
        total=len(rows),
        mixed_rules=mixed,
        mixed_scales=scales if len(scales) > 1 else None,
        sorts=cohort_service.SORTS,
        sort=sort,
        order=order,
        category=category,
        categories=categories,
        query=query,
        explanations=EXPLANATIONS_SHOWN,
    )


@bp.get("/coachees/<int:coachee_id>/trend")
def show_trend(coachee_id: int):
    """The change per competency (self, others, gap) between two closed cycles of a
    coachee: by default the last two; ``from`` and ``to`` pick others by cycle id."""
    coachee = coachee_of(current_user, coachee_id)
    pairs = cohort_service.closed_reports(coachee)
    context = {"coachee": coachee, "cycles": [c for c, _ in pairs]}
    if len(pairs) < 2:
        return render_template("dashboard/trend.html", **context, trend=None)
    by_id = {c.id: (c, r) for c, r in pairs}
    try:
        before_id = int(request.args.get("from", pairs[-2][0].id))
        after_id = int(request.args.get("to", pairs[-1][0].id))
    except ValueError:
        abort(400, _("“from” and “to” are cycle numbers."))
    if before_id not in by_id or after_id not in by_id:
        abort(400, _("Choose two closed cycles of this coachee."))
    if before_id == after_id:
        abort(400, _("Choose two different cycles."))
    before, before_report = by_id[before_id]
    after, after_report = by_id[after_id]
    context |= {"before": before, "after": after}
    before_q, after_q = before.questionnaire, after.questionnaire
    if before_q.scale_points != after_q.scale_points:
        note = _(
            "These two cycles use scales of different sizes (%(before)s and %(after)s "
            "points), so their figures cannot be compared.",
            before=before_q.scale_points,
            after=after_q.scale_points,
        )
        return render_template("dashboard/trend.html", **context, trend=[], note=note)
    before_items = before_report.results.items
    after_items = after_report.results.items
    before_competencies = before_report.results.competencies
    after_competencies = after_report.results.competencies
    before_keys = [item.key for item in before_q.items]
    after_keys = [item.key for item in after_q.items]
    note = None
    if set(before_keys) != set(after_keys):
        shared = set(before_keys) & set(after_keys)
        if not shared:
            note = _("These two cycles have no statement in common, so there is no trend.")
            return render_template("dashboard/trend.html", **context, trend=[], note=note)
        note = _(
            "The two cycles' questionnaires differ: the trend compares only the "
            "%(shared)s statements they share (of %(before)s in the earlier cycle and "
            "%(after)s in the later), and each competency's figures are worked out again "
            "from those statements alone.",
            shared=len(shared),
            before=len(before_keys),
            after=len(after_keys),
        )
        before_competencies = _on_statements(before, before_report, shared)
        after_competencies = _on_statements(after, after_report, shared)
        before_items = before_items[before_items["item_key"].isin(shared)]
        after_items = after_items[after_items["item_key"].isin(shared)]
    titles = before_report.competency_titles | after_report.competency_titles
    competencies = shown_titles(analysis.trend(before_competencies, after_competencies), titles)
    items = shown_titles(analysis.trend(before_items, after_items), titles)
    return render_template(
        "dashboard/trend.html",
        **context,
        note=note,
        trend=competencies.to_dict("records"),
        item_trend=items.to_dict("records"),
        item_texts=before_report.item_texts | after_report.item_texts,
        figure=safe_json(charts.trend(competencies, after_q.scale_points)),
    )


def _on_statements(cycle, report, keys: set[str]) -> pd.DataFrame:
    """A closed cycle's guarded competency figures from the statements ``keys`` only."""
    ratings = ratings_frame(cycle)
    return analysis.competency_stats(ratings[ratings["item_key"].isin(keys)], report.results.rules)


@bp.app_template_global("once")
def rendered_once(report, name: str, caller) -> Markup:
    """The body of a ``{% call once(report, name) %}`` block, rendered once per process
    and kept with ``report`` under ``name``: for the dashboard's sections that draw only
    on the report, the coachee's name and the page's language, all of which the report
    is kept for (its key). Most of a warm dashboard view was rendering them. Kept as
    UTF-8 (half what a string holding any non-ASCII character takes in a worker's
    memory), read back per render."""
    html = report.html.get(name)
    if html is None:
        html = report.html[name] = str(caller()).encode()
    # The template's own output, escaped when it was rendered.
    return Markup(html.decode())  # noqa: S704  # nosec B704


@bp.app_template_filter("shown")
def shown_text(value) -> str:
    """A label for a template: empty when missing (None, NaN, pandas' NA)."""
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)
