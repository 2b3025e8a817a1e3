"""Predictions (the coachee, in the portal) and the development plan (the coach on the
dashboard side, the coachee in the portal once the report is released)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..coaching.models import Cycle
from ..coaching.services import cycle_for_portal_token, cycle_of
from ..database import commit
from ..i18n import group_name, page_language
from ..ratings.results import competency_titles, cycle_report, scale_of
from . import services
from .forms import GoalForm, PredictionForm

#: The coach's pages.
bp = Blueprint("plans", __name__)
#: The coachee's pages, behind the portal link.
portal_bp = Blueprint("portal_plans", __name__, url_prefix="/p/<token>")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page of ``bp`` is the coach's."""


def _statement_choices(
    cycle: Cycle, audience: str
) -> list[tuple[str, str]] | dict[str, list[tuple[str, str]]]:
    """The cycle's statements for a select, in the reader's wording, with competencies:
    first those a goal is most often about, as groups of options, then the rest.

    For the coach, the development areas (the statements others rate lowest) and then
    the blind spots; for the coachee, their blind spots, which their released report
    shows (the development areas are not in it). A flat list while there are no
    results."""
    name = cycle.coachee.first_name
    translated = (cycle.questionnaire.translated(page_language()) or {}).get("items", {})
    titles = competency_titles(cycle)

    def wording(item) -> str:
        own_self, own_rater = translated.get(item.key) or (item.self_text, item.rater_text)
        return own_self if audience == "coachee" else own_rater.replace("{name}", name)

    options = {
        item.key: _(
            "%(competency)s: %(statement)s",
            competency=titles.get(item.competency.title, item.competency.title),
            statement=wording(item),
        )
        for item in cycle.questionnaire.items
    }
    report = cycle_report(cycle)
    if report is None:
        return list(options.items())
    if audience == "coach":
        heads = {
            _("Development areas: others rate these lowest"): "development_areas",
            _("Blind spots: %(name)s rates these higher than others do", name=name): "blind_spots",
        }
    else:
        heads = {_("Your blind spots: you rate these higher than others do"): "blind_spots"}
    groups: dict[str, list[tuple[str, str]]] = {}
    placed: set[str] = set()
    for head, ranking in heads.items():
        keys = [row["item_key"] for row in report.rankings[ranking]]
        keys = [key for key in keys if key in options and key not in placed]
        if keys:
            groups[head] = [(key, options[key]) for key in keys]
            placed.update(keys)
    if not groups:
        return list(options.items())
    groups[_("Every other statement")] = [(k, v) for k, v in options.items() if k not in placed]
    return groups


def _plan_page(cycle: Cycle, form: GoalForm, audience: str, token: str | None, status: int):
    choices = form.item_key.choices
    if isinstance(choices, dict):
        choices = [option for options in choices.values() for option in options]
    choices = dict(choices)
    return render_template(
        "plans/plan.html",
        cycle=cycle,
        coachee=cycle.coachee,
        form=form,
        goals=services.goals_of(cycle),
        statements=choices,
        audience=audience,
        token=token,
        can_plan=services.can_plan(cycle, audience),
        max_goals=services.MAX_GOALS,
    ), status


def _add_goal(cycle: Cycle, form: GoalForm, author: str) -> str | None:
    """Validate and record the goal; the problem to show, or None when it is saved."""
    if not form.validate_on_submit():
        problems = [str(message) for messages in form.errors.values() for message in messages]
        return " ".join(problems) or _("Please check the form.")
    try:
        services.add_goal(
            cycle,
            author=author,
            item_key=form.item_key.data,
            goal=form.goal.data,
            success_criteria=form.success_criteria.data,
            review_on=form.review_on.data,
        )
    except services.PlanError as exc:
        return _("Not saved: %(problem)s.", problem=exc)
    return None


@bp.route("/cycles/<int:cycle_id>/plan", methods=["GET", "POST"])
def edit_plan(cycle_id: int):
    """The development plan after the debrief: one to three goals tied to statements."""
    cycle = cycle_of(current_user, cycle_id)
    form = GoalForm()
    form.item_key.choices = _statement_choices(cycle, "coach")
    if request.method == "POST":
        problem = _add_goal(cycle, form, "coach")
        if problem is None:
            commit()
            flash(_("The goal is added to the plan."), "success")
            return redirect(url_for("plans.edit_plan", cycle_id=cycle.id))
        flash(problem, "error")
        return _plan_page(cycle, form, "coach", None, 400)
    return _plan_page(cycle, form, "coach", None, 200)


def _remove_goal(cycle: Cycle, goal_id: int, author: str) -> None:
    """Take ``author``'s goal off the plan (CSRF is checked app-wide); a goal that is
    not there is a 404 (NotFound), a plan that no longer changes a 409."""
    try:
        services.remove_goal(cycle, goal_id, author=author)
    except services.PlanError as exc:
        abort(409, str(exc))
    commit()
    flash(_("The goal is removed."), "success")


@bp.post("/cycles/<int:cycle_id>/plan/<int:goal_id>/remove")
def remove_goal(cycle_id: int, goal_id: int):
    """Take a goal off the plan."""
    cycle = cycle_of(current_user, cycle_id)
    _remove_goal(cycle, goal_id, "coach")
    return redirect(url_for("plans.edit_plan", cycle_id=cycle.id))


@portal_bp.route("/plan", methods=["GET", "POST"])
def coachee_plan(token: str):
    """The coachee's view of the plan; they add goals once the report is released."""
    cycle = cycle_for_portal_token(token)
    if cycle.released_at is None:
        abort(404, _("Your plan opens once your coach has shared the report with you."))
    form = GoalForm()
    form.item_key.choices = _statement_choices(cycle, "coachee")
    if request.method == "POST":
        problem = _add_goal(cycle, form, "coachee")
        if problem is None:
            commit()
            flash(_("Your goal is added to the plan."), "success")
            return redirect(url_for("portal_plans.coachee_plan", token=token))
        flash(problem, "error")
        return _plan_page(cycle, form, "coachee", token, 400)
    return _plan_page(cycle, form, "coachee", token, 200)


@portal_bp.post("/plan/<int:goal_id>/remove")
def remove_own_goal(token: str, goal_id: int):
    """The coachee takes one of their own goals off the plan."""
    cycle = cycle_for_portal_token(token)
    _remove_goal(cycle, goal_id, "coachee")
    return redirect(url_for("portal_plans.coachee_plan", token=token))


def _prediction_choices(cycle: Cycle) -> dict[str, float]:
    """The choices as posted ("1", "1.5", … up to the top of the cycle's scale)."""
    values = services.prediction_values(cycle.questionnaire.scale_points)
    return {services.prediction_text(v): v for v in values}


def _read_predictions(cycle: Cycle) -> tuple[dict[tuple[str, str], float], list[str]]:
    """The predictions posted, and what is wrong with them (nothing saved if anything)."""
    scores: dict[tuple[str, str], float] = {}
    problems: list[str] = []
    choices = _prediction_choices(cycle)
    top = cycle.questionnaire.scale_points
    titles = _titles_by_key(cycle)
    for competency in cycle.questionnaire.competencies:
        for group in services.PREDICTED_GROUPS:
            raw = request.form.get(f"predict-{competency.key}-{group}", "").strip()
            if raw == "":
                continue
            if raw not in choices:
                problems.append(
                    _(
                        "%(competency)s, %(group)s: choose 1 to %(top)s, or a half",
                        competency=titles[competency.key],
                        group=group_name(group),
                        top=top,
                    )
                )
                continue
            scores[(competency.key, group)] = choices[raw]
    return scores, problems


def _titles_by_key(cycle: Cycle) -> dict[str, str]:
    """Each competency's title by key, in the page's language when the questionnaire
    has a translation into it."""
    titles = competency_titles(cycle)
    return {c.key: titles.get(c.title, c.title) for c in cycle.questionnaire.competencies}


def _prediction_options(cycle: Cycle) -> list[tuple[str, str]]:
    """The select's options: each point with its label (in the page's language when
    the questionnaire has it), and the halves between."""
    labels = {float(point): label for point, label in scale_of(cycle)}
    return [
        (
            text,
            f"{text} {labels[value]}"
            if value in labels
            else _(
                "%(value)s, between %(low)s and %(high)s",
                value=text,
                low=int(value),
                high=int(value) + 1,
            ),
        )
        for text, value in _prediction_choices(cycle).items()
    ]


@portal_bp.route("/predictions", methods=["GET", "POST"])
def predict(token: str):
    """Before seeing any result: how will each group rate you on each competency?"""
    cycle = cycle_for_portal_token(token)
    status = 200
    values = {
        f"predict-{key}-{group}": services.prediction_text(score)
        for (key, group), score in services.predictions_of(cycle).items()
    }
    form = PredictionForm()
    if request.method == "POST":
        if not services.can_predict(cycle):
            abort(409, _("Your report is already shared with you, so predictions are closed."))
        if not form.validate_on_submit():
            abort(400, _("The form has expired; please reload the page and try again."))
        scores, problems = _read_predictions(cycle)
        if not problems:
            services.save_predictions(cycle, scores)
            commit()
            flash(
                _("Your predictions are saved. Your coach will compare them with the results."),
                "success",
            )
            return redirect(url_for("portal.show_portal", token=token))
        flash(_("Not saved: %(problem)s.", problem="; ".join(problems)), "error")
        values = {k: v for k, v in request.form.items() if k.startswith("predict-")}
        status = 400
    return render_template(
        "plans/predictions.html",
        cycle=cycle,
        token=token,
        form=form,
        values=values,
        groups=services.PREDICTED_GROUPS,
        group_labels={group: group_name(group) for group in services.PREDICTED_GROUPS},
        titles=_titles_by_key(cycle),
        choices=_prediction_options(cycle),
        open_for_predictions=services.can_predict(cycle),
    ), status
