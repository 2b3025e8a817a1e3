"""The coachee's private portal, reached only through the signed link in their email:
the self-assessment, nominating raters, answers counted per group, reminders."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError

from ..coaching.services import cycle_for_portal_token
from ..database import commit
from ..extensions import db
from ..i18n import LANGUAGES
from ..raters import services as raters
from ..raters.reminders import remind_everyone
from ..ratings.forms import answer_form, form_problem
from ..ratings.frames import answers_of, self_response
from ..ratings.store import store_answers
from ..vocabulary import GROUP_LABELS, RATER_GROUPS, SELF
from . import nominee_pages
from .forms import ButtonForm
from .nominations import nominate_by_coachee

bp = Blueprint("portal", __name__, url_prefix="/p/<token>")


@bp.get("/")
def show_portal(token: str):
    """Where the coachee stands: self-assessment, raters, answers per group."""
    cycle = cycle_for_portal_token(token)
    response = self_response(cycle)
    return render_template(
        "portal/home.html",
        cycle=cycle,
        token=token,
        self_response=response,
        progress=raters.progress(cycle),
        invites=raters.invites_of(cycle),
        missing=raters.nomination_shortfall(cycle),
        group_labels=GROUP_LABELS,
    )


@bp.post("/remind")
def remind_raters(token: str):
    """Remind every rater who has not answered; the coachee learns how many, not who."""
    cycle = cycle_for_portal_token(token)
    flash(*remind_everyone(cycle))
    commit()
    return redirect(url_for("portal.show_portal", token=token))


@bp.route("/self", methods=["GET", "POST"])
def self_assessment(token: str):
    """The coachee rates themself and answers the reflective questions."""
    cycle = cycle_for_portal_token(token)
    questionnaire = cycle.questionnaire
    response = self_response(cycle)
    if response is not None and response.submitted and request.method == "POST":
        flash(_("Your self-assessment was already submitted."), "info")
        return redirect(url_for("portal.show_portal", token=token))
    saved = answers_of(response) if response is not None else None
    form = answer_form(questionnaire, "self", saved)
    if request.method == "POST":
        if not cycle.is_open:
            abort(409, _("This cycle is closed; answers can no longer be changed."))
        action = request.form.get("action", "submit")
        error = form_problem(form, action)
        if error is None:
            store_answers(cycle, SELF, form.answers(), submit=action == "submit")
            commit()
            if action == "save":
                flash(_("Saved. You can come back to finish later."), "success")
                return redirect(url_for("portal.self_assessment", token=token))
            flash(_("Thank you. Your self-assessment is submitted."), "success")
            return redirect(url_for("portal.show_portal", token=token))
        flash(error, "error")
    return render_template(
        "ratings/form.html",
        form=form,
        cycle=cycle,
        questionnaire=questionnaire,
        audience="self",
        name=cycle.coachee.first_name,
        submitted=response is not None and response.submitted,
        can_decline=False,
    ), (400 if request.method == "POST" else 200)


@bp.route("/raters", methods=["GET", "POST"])
def nominate_raters(token: str):
    """Nominate raters one at a time or as pasted lines ``email, group[, name[, language]]``
    (each rater's language, default the cycle's)."""
    cycle = cycle_for_portal_token(token)
    pasted = ""
    problems = []
    #: The one-rater form's fields, when that form was used (its errors speak of one).
    single = None
    status = 200
    if request.method == "POST":
        if not cycle.is_open:
            abort(409, _("This cycle is closed; no more raters can be invited."))
        text = request.form.get("raters", "")
        if not text.strip() and request.form.get("email"):
            fields = ("email", "group", "name", "language")
            single = {field: request.form.get(field, "") for field in fields}
            text = ", ".join(request.form.get(field, "").replace(",", " ") for field in fields)
        if len(text) > 100_000:
            abort(413)
        nominations, problems = raters.parse_nominations(text)
        try:
            created, refused = nominate_by_coachee(cycle, nominations)
        except IntegrityError:
            # An invite of the same address committed by a writer that did not take the
            # cycle's lock: start again, when it is visible and refused like any other.
            db.session.rollback()
            created, refused = nominate_by_coachee(cycle, nominations)
        problems += [
            raters.LineProblem(0, f"{n.email}, {n.group}, {n.name}".rstrip(", "), why)
            for n, why in refused
        ]
        commit()
        if created and cycle.approve_nominations:
            flash(
                ngettext(
                    "%(num)d rater added. %(coach)s approves the list before anyone is invited.",
                    "%(num)d raters added. %(coach)s approves the list before anyone is invited.",
                    len(created),
                    coach=cycle.coachee.coach.name,
                ),
                "success",
            )
        elif created:
            flash(
                ngettext(
                    "%(num)d rater invited. They receive their link by email.",
                    "%(num)d raters invited. They receive their link by email.",
                    len(created),
                ),
                "success",
            )
        if problems:
            if single is None:
                pasted = "\n".join(problem.line for problem in problems)
            status = 422
        elif not created:
            flash(
                _("Please give at least one rater: email, group and, if you like, a name."), "error"
            )
            status = 400
        else:
            return redirect(url_for("portal.nominate_raters", token=token))
    return render_template(
        "portal/raters.html",
        cycle=cycle,
        token=token,
        invites=raters.invites_of(cycle),
        progress=raters.progress(cycle),
        missing=raters.nomination_shortfall(cycle),
        minimums=raters.minimums_of(cycle),
        remove_form=ButtonForm(),
        problems=problems,
        pasted=pasted,
        single=single,
        groups=RATER_GROUPS,
        languages=LANGUAGES,
        group_labels=GROUP_LABELS,
    ), status


@bp.post("/raters/<int:invite_id>/remove")
def remove_nominee(token: str, invite_id: int):
    """Take a rater off the list; their link stops working."""
    cycle = cycle_for_portal_token(token)
    invite = nominee_pages.editable_nominee(cycle, invite_id, by_coach=False)
    back = url_for("portal.nominate_raters", token=token)
    return nominee_pages.remove_nominee(invite, by_coach=False, back=back)


@bp.route("/raters/<int:invite_id>/correct", methods=["GET", "POST"])
def correct_nominee_page(token: str, invite_id: int):
    """Correct a rater's address or group; the corrected rater gets a fresh link (once
    the coach approves, on a cycle whose nominations the coach approves)."""
    cycle = cycle_for_portal_token(token)
    invite = nominee_pages.editable_nominee(cycle, invite_id, by_coach=False)
    back = url_for("portal.nominate_raters", token=token)
    return nominee_pages.correct_nominee_page(cycle, invite, by_coach=False, back=back)
