"""The pulse's pages: the coach's (create one from a closed cycle, follow it, close it,
see it beside the cycle) and the rater's short form behind their signed link. GET only
shows; answering, saving and declining are POSTs, so a mail scanner changes nothing."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import i18n
from ..coaching.models import Cycle
from ..coaching.services import cycle_of
from ..database import commit
from ..plans.services import goals_of
from ..raters.reminders import reminded_message
from ..raters.services import NotDeclined
from ..ratings.results import cycle_report
from ..timeutil import today
from ..vocabulary import ANSWERABLE, RATER_GROUPS, InviteState
from . import services

#: The coach's pages.
bp = Blueprint("pulses", __name__)
#: The rater's form, behind the signed link of their pulse invitation.
form_bp = Blueprint("pulse_form", __name__, url_prefix="/pulse/<token>")

#: What the rater is told, in plain words.
SAVED = _l("Saved. Use the link in your email to come back and finish.")
ALREADY_ARRIVED = _l("Your answers had already arrived; nothing was taken twice or changed.")
DECLINED_BEFORE = _l("You had declined this request; nothing was saved.")
WELCOME_BACK = _l("Welcome back: you can answer now.")
NEEDS_ANSWER = _l("Please choose an answer.")
NOT_ON_SCALE = _l("Choose one of the answers shown.")
CHECK_FORM = _l("Some answers need your attention; see the messages below.")
#: What the coach is told.
CLOSED = _l("The pulse is closed; its results are below.")
BAD_DATE = _l("Use the form YYYY-MM-DD.")


def too_long() -> str:
    """Said when the answer to "What has changed?" is longer than allowed."""
    return _("At most %(count)s characters, please.", count=services.MAX_CHANGED)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page of ``bp`` is the coach's."""


# The coach's pages ---------------------------------------------------------------------


def _statement_texts(cycle: Cycle, language: str) -> dict[str, str]:
    """The cycle's statements in the raters' wording, by key, in ``language`` when the
    questionnaire is written in it (else its own texts), with the coachee's first name
    put in."""
    questionnaire = cycle.questionnaire
    translated = questionnaire.translated(language) or {}
    wordings = {key: texts[1] for key, texts in translated.get("items", {}).items()}
    name = cycle.coachee.first_name
    return {
        item.key: (wordings.get(item.key) or item.rater_text).replace("{name}", name)
        for item in questionnaire.items
    }


def _statement_choices(cycle: Cycle) -> list[tuple[str, list[tuple[str, str]]]]:
    """The cycle's statements by competency, in the raters' wording, in the page's
    language when the questionnaire is written in it."""
    language = i18n.page_language()
    texts = _statement_texts(cycle, language)
    titles = (cycle.questionnaire.translated(language) or {}).get("competencies", {})
    return [
        (
            titles.get(competency.key) or competency.title,
            [(item.key, texts[item.key]) for item in competency.items],
        )
        for competency in cycle.questionnaire.competencies
    ]


def _new_page(cycle: Cycle, values: dict, errors: dict, status: int = 200):
    goals = goals_of(cycle)
    report = cycle_report(cycle)
    return render_template(
        "pulses/new.html",
        cycle=cycle,
        coachee=cycle.coachee,
        choices=_statement_choices(cycle),
        goal_keys={goal.item_key for goal in goals},
        values=values,
        errors=errors,
        max_statements=services.MAX_STATEMENTS,
        changed_question=services.CHANGED_QUESTION,
        has_results=report is not None,
    ), status


@bp.route("/cycles/<int:cycle_id>/pulses/new", methods=["GET", "POST"])
def new_pulse(cycle_id: int):
    """Choose up to three statements of a closed cycle to re-check, the deadline and
    any raters to add; POST sends the pulse."""
    cycle = cycle_of(current_user, cycle_id)
    if request.method == "GET":
        goal_keys = list(dict.fromkeys(goal.item_key for goal in goals_of(cycle)))
        values = {
            "statements": goal_keys[: services.MAX_STATEMENTS],
            "closes_on": (today() + services.DEFAULT_LENGTH).isoformat(),
            "raters": "",
        }
        return _new_page(cycle, values, {})
    values = {
        "statements": request.form.getlist("statements"),
        "closes_on": request.form.get("closes_on", "").strip(),
        "raters": request.form.get("raters", ""),
    }
    errors: dict[str, str] = {}
    closes_on = None
    if values["closes_on"]:
        try:
            closes_on = date.fromisoformat(values["closes_on"])
        except ValueError:
            errors["closes_on"] = str(BAD_DATE)
    if not errors:
        try:
            pulse = services.create_pulse(cycle, values["statements"], closes_on, values["raters"])
        except services.PulseError as exc:
            errors[exc.field or "cycle"] = str(exc)
        else:
            count = sum(p["asked"] for p in services.progress(pulse).values())
            commit()
            flash(
                ngettext(
                    "The pulse is on its way to %(num)d rater.",
                    "The pulse is on its way to %(num)d raters.",
                    count,
                ),
                "success",
            )
            return redirect(url_for("pulses.show_pulse", pulse_id=pulse.id))
    return _new_page(cycle, values, errors, 400)


def _pulse_page(pulse, status: int = 200):
    cycle = pulse.cycle
    texts = _statement_texts(cycle, i18n.page_language())
    # Imported here: the results need pandas, which a worker loads only when a coach
    # first looks at figures (bench/README.md, "A worker's memory").
    from .results import pulse_results

    return render_template(
        "pulses/pulse.html",
        pulse=pulse,
        cycle=cycle,
        coachee=cycle.coachee,
        texts=texts,
        progress=services.progress(pulse),
        groups=RATER_GROUPS,
        results=pulse_results(pulse),
        changed_question=services.CHANGED_QUESTION,
    ), status


@bp.get("/pulses/<int:pulse_id>")
def show_pulse(pulse_id: int):
    """The pulse: who was asked and how many answered per group (never who), and once
    it is closed, each statement beside the cycle's figure."""
    return _pulse_page(services.pulse_of(current_user.id, pulse_id))


@bp.post("/pulses/<int:pulse_id>/close")
def close_pulse(pulse_id: int):
    """Close the pulse now: no more answers; the results show."""
    pulse = services.pulse_of(current_user.id, pulse_id)
    try:
        services.close_pulse(pulse)
    except ValueError:
        flash(_("Not closed: this pulse is closed already."), "error")
        return _pulse_page(pulse, 409)
    commit()
    flash(str(CLOSED), "success")
    return redirect(url_for("pulses.show_pulse", pulse_id=pulse_id))


@bp.post("/pulses/<int:pulse_id>/remind")
def remind_pulse(pulse_id: int):
    """Remind everyone who has not answered the pulse (a count, never who)."""
    pulse = services.pulse_of(current_user.id, pulse_id)
    try:
        count = services.remind_unanswered(pulse)
    except ValueError:
        flash(_("No reminders sent: this pulse is closed, so nobody can answer any more."), "error")
        return _pulse_page(pulse, 409)
    commit()
    flash(reminded_message(count), "success" if count else "info")
    return redirect(url_for("pulses.show_pulse", pulse_id=pulse_id))


# The rater's form -----------------------------------------------------------------------


def _read_answers(pulse, form) -> tuple[services.PulseAnswers, dict[str, str]]:
    """The posted answers and the problems by field (every statement needs an answer
    to submit; "na" is "Don't know")."""
    scale = pulse.cycle.questionnaire.scale_points
    scores: dict[str, int | None] = {}
    problems: dict[str, str] = {}
    for key in pulse.statements:
        raw = form.get(f"item-{key}", "")
        if raw == "na":
            scores[key] = None
        elif raw.isdigit() and 1 <= int(raw) <= scale:
            scores[key] = int(raw)
        elif raw:
            problems[key] = str(NOT_ON_SCALE)
    changed = form.get("changed", "")
    if len(changed) > services.MAX_CHANGED:
        problems["changed"] = too_long()
    return services.PulseAnswers(scores, changed[: services.MAX_CHANGED]), problems


def _form_page(invite, answers, problems: dict, status: int = 200):
    pulse = invite.pulse
    cycle = pulse.cycle
    questionnaire = cycle.questionnaire
    texts = _statement_texts(cycle, invite.language)
    scale, dont_know = questionnaire.scale, questionnaire.dont_know_label
    translated = questionnaire.translated(invite.language)
    if translated is not None:
        labels = dict(translated["scale"])
        scale = [(point, labels.get(str(point), label)) for point, label in scale]
        dont_know = (translated["dont_know"] or dont_know) if dont_know else ""
    return render_template(
        "pulses/form.html",
        invite=invite,
        pulse=pulse,
        cycle=cycle,
        texts=texts,
        answers=answers,
        problems=problems,
        scale=scale,
        dont_know=dont_know,
        changed_question=services.CHANGED_QUESTION,
        max_changed=services.MAX_CHANGED,
    ), status


def _invite(token: str):
    """The link's pulse invite; its pages are in the rater's language from here on."""
    invite = services.invite_for_token(token)
    i18n.use(invite.language)
    return invite


def _closed_page(invite):
    done = invite.state in (InviteState.SUBMITTED, InviteState.DECLINED)
    return render_template(
        "pulses/closed.html", invite=invite, pulse=invite.pulse, cycle=invite.pulse.cycle
    ), (200 if done else 410)


def _say_answered_before(invite) -> None:
    if invite.state is InviteState.SUBMITTED:
        flash(str(ALREADY_ARRIVED), "info")
    elif invite.state is InviteState.DECLINED:
        flash(str(DECLINED_BEFORE), "info")


@form_bp.route("/", methods=["GET", "POST"])
def show_form(token: str):
    """The pulse's statements and "What has changed?"; POST saves, submits or
    declines."""
    invite = _invite(token)
    pulse = invite.pulse
    action = request.form.get("action", "submit") if request.method == "POST" else None
    if action == "undo_decline":
        return _undo_decline(invite, token)
    if invite.state not in ANSWERABLE or not pulse.is_open:
        if action:
            _say_answered_before(invite)
        return _closed_page(invite)
    if action is None:
        return _form_page(invite, services.saved_draft(invite), {})
    try:
        if action == "ask_decline":
            return render_template(
                "pulses/confirm_decline.html", invite=invite, pulse=pulse, cycle=pulse.cycle
            )
        if action == "decline":
            services.decline(invite)
            commit()
            return redirect(url_for("pulse_form.thank_you", token=token))
        answers, problems = _read_answers(pulse, request.form)
        if action == "submit":
            for key in pulse.statements:
                if key not in answers.scores and key not in problems:
                    problems[key] = str(NEEDS_ANSWER)
        if problems:
            flash(str(CHECK_FORM), "error")
            return _form_page(invite, answers, problems, 400)
        if action == "save":
            services.save_draft(invite, answers)
            commit()
            flash(str(SAVED), "success")
            return redirect(url_for("pulse_form.show_form", token=token))
        services.submit(invite, answers)
        commit()
        return redirect(url_for("pulse_form.thank_you", token=token))
    except services.AlreadyAnswered:
        _say_answered_before(invite)
        return _closed_page(invite)


def _undo_decline(invite, token: str):
    try:
        services.undo_decline(invite)
    except NotDeclined:
        if invite.state in ANSWERABLE and invite.pulse.is_open:
            return redirect(url_for("pulse_form.show_form", token=token))
        return _closed_page(invite)
    commit()
    flash(str(WELCOME_BACK), "success")
    return redirect(url_for("pulse_form.show_form", token=token))


@form_bp.get("/thanks")
def thank_you(token: str):
    """Shown after a submit or a decline."""
    invite = _invite(token)
    return render_template(
        "pulses/thanks.html", invite=invite, pulse=invite.pulse, cycle=invite.pulse.cycle
    )
