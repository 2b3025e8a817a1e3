"""The rater's form, reached through the signed link in their invitation.

GET only shows; answering, saving and declining are POSTs, so a mail scanner that opens
the link changes nothing.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import i18n, links
from ..database import commit
from ..ratings.forms import answer_form, form_problem
from ..ratings.versions import kept_questionnaire
from ..vocabulary import ANSWERABLE, InviteState
from . import services
from .page import form_page

bp = Blueprint("raters", __name__, url_prefix="/r/<token>")
#: Said when a submitted invite's form is sent again.
ALREADY_ARRIVED = _l("Your answers had already arrived; nothing was taken twice or changed.")
#: What the form's language switch posts: ``language-<code>``.
SWITCH = "language-"


#: The groups as a rater's pages name them, in the page's language. (``GROUP_LABELS``
#: stays plain English: the analysis and the coach's pages use it too.)
GROUP_NAMES = {
    "boss": _l("Boss"),
    "peer": _l("Peers"),
    "subordinate": _l("Subordinates"),
    "partner": _l("Partners"),
}


@bp.app_template_filter("rater_group")
def rater_group(group: str) -> str:
    """A rater's group (``peer``) as their page names it ("Peers", "Kollegen")."""
    return str(GROUP_NAMES.get(group, group))


def _invite(token: str):
    """The link's invite; its pages are in the rater's language from here on."""
    invite = services.invite_for_token(token)
    if invite is None:
        raise links.LinkError("revoked")
    i18n.use(invite.speaks)
    return invite


def _say_answered_before(invite) -> None:
    """A form sent again after the invite was answered — a submit whose answer was lost
    on the way (a timeout, a reset), a reload, a second tab: say plainly what holds.
    Nothing is taken twice."""
    if invite.state is InviteState.SUBMITTED:
        flash(str(ALREADY_ARRIVED), "info")
    elif invite.state is InviteState.DECLINED:
        flash(_("You had declined this request; nothing was saved."), "info")


def _closed_page(invite):
    """What a rater sees once they cannot answer any more."""
    return render_template("raters/closed.html", invite=invite, cycle=invite.cycle), (
        200 if invite.state in (InviteState.SUBMITTED, InviteState.DECLINED) else 410
    )


def _visit(token: str):
    """What the link leads to (:mod:`.visit`, one statement, no mapped objects); its
    pages are in the rater's language from here on."""
    visit = services.visit_for_token(token)
    if visit is None:
        raise links.LinkError("revoked")
    i18n.use(visit.speaks)
    return visit


@bp.route("/", methods=["GET", "POST"])
def show_form(token: str):
    """The questionnaire in the rater's wording; POST saves, submits or declines."""
    visit = _visit(token)
    if request.method == "POST" and request.form.get("action") == "undo_decline":
        return _undo_decline(services.invite_of_visit(visit), token)
    cycle = visit.cycle
    if visit.state not in ANSWERABLE or not cycle.is_open:
        invite = services.invite_of_visit(visit)
        if request.method == "POST":
            _say_answered_before(invite)
        return _closed_page(invite)
    questionnaire = kept_questionnaire(
        cycle.questionnaire_id, cycle.questionnaire_key, cycle.questionnaire_version
    )
    form = answer_form(questionnaire, "rater", services.saved_draft(visit))
    if request.method == "GET" and (page := form_page(visit, questionnaire, form)) is not None:
        return page
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "submit")
        if action.startswith(SWITCH):
            invite = services.invite_of_visit(visit)
            return _switch_language(invite, form, action.removeprefix(SWITCH), token)
        try:
            if action == "ask_decline":
                invite = services.invite_of_visit(visit)
                return render_template(
                    "raters/confirm_decline.html", invite=invite, cycle=invite.cycle
                )
            if action == "decline":
                services.decline(services.invite_of_visit(visit))
                commit()
                return redirect(url_for("raters.thank_you", token=token))
            message = form_problem(form, action)
            if message is None:
                answers = form.answers()
                if action == "save":
                    services.save_draft(visit, answers)
                    commit()
                    flash(
                        _("Saved. Use the link in your email to come back and finish."), "success"
                    )
                    return redirect(url_for("raters.show_form", token=token))
                services.submit(visit, answers)
                commit()
                return redirect(url_for("raters.thank_you", token=token))
            flash(message, "error")
            status = 400
        except services.AlreadyAnswered:  # another request took the invite meanwhile
            invite = services.invite_of_visit(visit)
            _say_answered_before(invite)
            return _closed_page(invite)
    return render_template(
        "ratings/form.html",
        form=form,
        cycle=cycle,
        invite=visit,
        questionnaire=questionnaire,
        audience="rater",
        name=cycle.coachee.first_name,
        submitted=False,
        can_decline=True,
    ), status


def _undo_decline(invite, token: str):
    """ "I'd like to answer after all": back to the form while the cycle is open."""
    try:
        services.undo_decline(invite)
    except services.NotDeclined:
        if invite.state in ANSWERABLE and invite.cycle.is_open:
            return redirect(url_for("raters.show_form", token=token))
        return _closed_page(invite)
    commit()
    flash(_("Welcome back: you can answer now."), "success")
    return redirect(url_for("raters.show_form", token=token))


def _switch_language(invite, form, language: str, token: str):
    """The rater reads the form in another language from now on (kept on the invite, so
    the reminders follow). What they had chosen on the page is kept as their draft; a
    posted form that cannot be kept as it is (a text too long) leaves the saved draft
    as it was."""
    if not i18n.known(language) or language not in invite.cycle.questionnaire.languages:
        flash(_("That language is not offered."), "error")
        return redirect(url_for("raters.show_form", token=token))
    try:
        if form.validate():
            services.save_draft(invite, form.answers())
        services.choose_language(invite, language)
    except services.AlreadyAnswered:
        _say_answered_before(invite)
        return _closed_page(invite)
    commit()
    return redirect(url_for("raters.show_form", token=token))


@bp.get("/thanks")
def thank_you(token: str):
    """Shown after a submit or a decline."""
    invite = _invite(token)
    return render_template("raters/thanks.html", invite=invite, cycle=invite.cycle)
