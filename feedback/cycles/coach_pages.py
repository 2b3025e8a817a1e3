"""The coach's pages: coachees, their cycles and what the coach does with a cycle
(start, close, reopen, keep the results, release, remind), and the coachee's data rights."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..coaching import audit, services
from ..coaching.questionnaires import questionnaire_for_cycle
from ..database import commit
from ..journey.services import overdue_steps
from ..raters import services as raters
from ..raters.reminders import remind_everyone
from ..raters.services import answer_shortfall, language_missing, minimums_of, progress
from ..reports.released import ReleaseError
from ..vocabulary import GROUP_LABELS, CycleState, CycleStateError
from ..web import format_day
from . import lifecycle, nominee_pages
from .data_rights import coachee_export, delete_coachee, erasure_counts
from .forms import (
    ButtonForm,
    CloseBelowMinimumForm,
    CoacheeForm,
    CycleForm,
    EditCoacheeForm,
    KeepResultsForm,
    ReopenForm,
)

bp = Blueprint("coaching", __name__)


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


@bp.route("/")
def list_coachees():
    """The coach's coachees with their latest cycle, and what the coach did that
    concerns no coachee (deletions, questionnaires)."""
    coachees = services.coachees_of(current_user)
    return render_template(
        "coaching/coachees.html",
        coachees=coachees,
        form=CoacheeForm(coach=current_user),
        trail=audit.coach_trail(current_user),
        actions=audit.ACTIONS,
        describe_actor=audit.describe_actor,
        overdue_steps=overdue_steps(current_user),
    )


@bp.route("/coachees", methods=["POST"])
def add_coachee():
    """Add a coachee, then go on to start their first cycle."""
    form = CoacheeForm(coach=current_user)
    coachee = None
    if form.validate_on_submit():
        try:
            coachee = services.add_coachee(current_user, name=form.name.data, email=form.email.data)
        except services.EmailTaken as exc:  # another request added it just now
            form.email.errors = [_("%(name)s already has this address.", name=exc.coachee.name)]
    if coachee is None:
        coachees = services.coachees_of(current_user)
        return render_template(
            "coaching/coachees.html",
            coachees=coachees,
            form=form,
            overdue_steps=overdue_steps(current_user),
        ), 400
    commit()
    flash(_("%(name)s is added. Start their first cycle below.", name=coachee.name), "success")
    return redirect(url_for("coaching.new_cycle", coachee_id=coachee.id))


@bp.route("/coachees/<int:coachee_id>")
def show_coachee(coachee_id: int):
    """A coachee's cycles, and what was done with their data (the audit trail)."""
    coachee = services.coachee_of(current_user, coachee_id)
    return render_template(
        "coaching/coachee.html",
        coachee=coachee,
        progress={cycle.id: progress(cycle) for cycle in coachee.cycles},
        trail=audit.trail_of(coachee),
        actions=audit.ACTIONS,
        describe_actor=audit.describe_actor,
    )


@bp.route("/coachees/<int:coachee_id>/edit", methods=["GET", "POST"])
def edit_coachee(coachee_id: int):
    """Correct a coachee's name or email address (a bounced link, a typo), and choose
    the language of their portal and emails."""
    coachee = services.coachee_of(current_user, coachee_id)
    form = EditCoacheeForm(obj=coachee, coach=current_user, coachee=coachee)
    if form.validate_on_submit():
        coachee.language = form.language.data
        resent = lifecycle.update_coachee(coachee, name=form.name.data, email=form.email.data)
        commit()
        if resent:
            message = _(
                "%(name)s's details are saved. A new link to their 360 is on its way to %(email)s.",
                name=coachee.name,
                email=coachee.email,
            )
        else:
            message = _("%(name)s's details are saved.", name=coachee.name)
        flash(message, "success")
        return redirect(url_for("coaching.show_coachee", coachee_id=coachee.id))
    status = 400 if form.is_submitted() else 200
    return render_template("coaching/edit_coachee.html", coachee=coachee, form=form), status


@bp.route("/coachees/<int:coachee_id>/cycles/new", methods=["GET", "POST"])
def new_cycle(coachee_id: int):
    """Start a cycle; the coachee gets their portal link by email."""
    coachee = services.coachee_of(current_user, coachee_id)
    form = CycleForm(coach=current_user)
    if form.validate_on_submit():
        questionnaire = questionnaire_for_cycle(current_user, form.questionnaire.data)
        if form.language.data not in questionnaire.languages:
            why = language_missing(form.language.data, questionnaire.languages)
            form.language.errors = [why[0].upper() + why[1:] + "."]
            return render_template("coaching/new_cycle.html", coachee=coachee, form=form), 400
        cycle = lifecycle.start_cycle(
            coachee,
            closes_on=form.closes_on.data,
            welcome_note=form.welcome_note.data or "",
            boss_exempt=form.boss_exempt.data,
            approve_nominations=form.approve_nominations.data,
            minimums=form.minimums,
            questionnaire=questionnaire,
            language=form.language.data,
        )
        commit()
        flash(
            _("The cycle is open. %(name)s has been sent their link.", name=coachee.name), "success"
        )
        return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))
    status = 400 if form.is_submitted() else 200
    return render_template("coaching/new_cycle.html", coachee=coachee, form=form), status


@bp.route("/cycles/<int:cycle_id>/close", methods=["GET", "POST"])
def close_cycle(cycle_id: int):
    """GET asks to confirm and says what closing means; POST closes the cycle now and
    the results become visible. A cycle with fewer answers than its minimums closes
    only once the coach ticks that they close it below the minimum (the page says what
    is missing)."""
    cycle = services.cycle_of(current_user, cycle_id)
    if cycle.state is not CycleState.OPEN:
        flash(_("This cycle is already closed."), "info")
        return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))
    missing = answer_shortfall(cycle)
    form = CloseBelowMinimumForm() if missing else None
    asking = request.method != "POST"  # GET and HEAD only ask
    if asking or (form is not None and not form.validate_on_submit()):
        # A POST from the confirmation page (or with the box) that lacks the tick is
        # an error at the box; one from elsewhere only asks.
        refused = not asking and bool({"below_minimum", "confirming"} & set(request.form))
        return render_template(
            "coaching/confirm_close.html",
            cycle=cycle,
            coachee=cycle.coachee,
            progress=progress(cycle),
            form=form if refused else (CloseBelowMinimumForm(formdata=None) if missing else None),
            missing=missing,
            minimums=minimums_of(cycle),
            group_labels=GROUP_LABELS,
        ), (400 if refused else 200)
    try:
        lifecycle.close_cycle(cycle)
    except CycleStateError:
        flash(_("This cycle is already closed."), "info")
    else:
        commit()
        flash(_("The cycle is closed. These are the results."), "success")
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/release", methods=["GET", "POST"])
def release_report(cycle_id: int):
    """GET asks to confirm and says what releasing means; POST lets the coachee see
    their report in the portal (again, with the new results, after a reopened cycle
    closed) and emails them that it is ready."""
    cycle = services.cycle_of(current_user, cycle_id)
    if request.method != "POST":  # GET and HEAD only ask
        if cycle.state is not CycleState.CLOSED:
            flash(_("Only a closed cycle's report can be released."), "info")
            return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))
        return render_template("coaching/confirm_release.html", cycle=cycle, coachee=cycle.coachee)
    try:
        lifecycle.release(cycle)
    except ReleaseError as exc:
        flash(_("Not released: %(reason)s.", reason=exc), "error")
    else:
        commit()
        flash(
            _(
                "%(name)s can now see the report in their portal; an email tells them it is ready.",
                name=cycle.coachee.name,
            ),
            "success",
        )
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/reopen", methods=["GET", "POST"])
def reopen_cycle(cycle_id: int):
    """Take answers again after a close, once the coach has read what it means."""
    cycle = services.cycle_of(current_user, cycle_id)
    if cycle.state is not CycleState.CLOSED:
        flash(_("Only a closed cycle can be reopened."), "info")
        return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))
    form = ReopenForm()
    if form.validate_on_submit():
        lifecycle.reopen_cycle(cycle, closes_on=form.closes_on.data)
        commit()
        flash(
            _(
                "The cycle is open again until the end of %(day)s. The results show again "
                "once it closes.",
                day=format_day(cycle.closes_on),
            ),
            "success",
        )
        return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "coaching/reopen_cycle.html", cycle=cycle, coachee=cycle.coachee, form=form
    ), status


@bp.route("/cycles/<int:cycle_id>/keep-results", methods=["POST"])
def keep_results(cycle_id: int):
    """Keep the results as they were: delete the late answers that wait to be shown."""
    cycle = services.cycle_of(current_user, cycle_id)
    form = KeepResultsForm()
    if not form.validate_on_submit():
        errors = [e for errors in form.errors.values() for e in errors]
        abort(400, " ".join(map(str, errors)))
    try:
        deleted = lifecycle.keep_results(cycle)
    except CycleStateError:
        flash(_("The cycle is open: late answers are weighed when it closes."), "info")
    else:
        commit()
        flash(
            ngettext(
                "The results stay as they were; %(num)d waiting answer was deleted.",
                "The results stay as they were; %(num)d waiting answers were deleted.",
                deleted,
            ),
            "success",
        )
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/remind", methods=["POST"])
def remind_raters(cycle_id: int):
    """Remind every rater who has not answered; the coach learns how many, not who."""
    cycle = services.cycle_of(current_user, cycle_id)
    flash(*remind_everyone(cycle))
    commit()
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/nominations/approve", methods=["POST"])
def approve_nominations(cycle_id: int):
    """Approve the nominations that wait: those ticked (``invite``), or all of them
    (``all``). Their invitations leave after the commit."""
    cycle = services.cycle_of(current_user, cycle_id)
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired; please try again."))
    if not cycle.is_open:
        abort(409, _("This cycle is closed; nobody can be invited any more."))
    if "all" in request.form:
        approved = raters.approve(cycle)
    else:
        try:
            ids = [int(value) for value in request.form.getlist("invite")]
        except ValueError:
            abort(400, _("Tick the raters to approve."))
        if not ids:
            flash(_("Tick the raters to approve, or approve them all."), "error")
            return redirect(
                url_for("dashboard.show_cycle", cycle_id=cycle.id, _anchor="nominations")
            )
        approved = raters.approve(cycle, ids)
    commit()
    count = len(approved)
    if count:
        flash(
            ngettext(
                "%(num)d rater approved; the invitation is on the way.",
                "%(num)d raters approved; their invitations are on the way.",
                count,
            ),
            "success",
        )
    else:
        flash(_("Nobody was waiting for your approval."), "info")
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id, _anchor="nominations"))


@bp.route("/cycles/<int:cycle_id>/nominations/<int:invite_id>/remove", methods=["POST"])
def remove_nominee(cycle_id: int, invite_id: int):
    """Take a rater off the list; their link stops working."""
    cycle = services.cycle_of(current_user, cycle_id)
    invite = nominee_pages.editable_nominee(cycle, invite_id, by_coach=True)
    back = url_for("dashboard.show_cycle", cycle_id=cycle.id, _anchor="nominations")
    return nominee_pages.remove_nominee(invite, by_coach=True, back=back)


@bp.route("/cycles/<int:cycle_id>/nominations/<int:invite_id>/correct", methods=["GET", "POST"])
def correct_nominee_page(cycle_id: int, invite_id: int):
    """Correct a rater's address or group; a corrected rater gets a fresh link."""
    cycle = services.cycle_of(current_user, cycle_id)
    invite = nominee_pages.editable_nominee(cycle, invite_id, by_coach=True)
    back = url_for("dashboard.show_cycle", cycle_id=cycle.id, _anchor="nominations")
    return nominee_pages.correct_nominee_page(cycle, invite, by_coach=True, back=back)


@bp.route("/cycles/<int:cycle_id>/portal-link", methods=["POST"])
def resend_portal_link(cycle_id: int):
    """Send the coachee a new portal link; the old one stops working."""
    cycle = services.cycle_of(current_user, cycle_id)
    lifecycle.send_portal_link(cycle, renew=True)
    commit()
    flash(_("A new link is on its way to %(email)s.", email=cycle.coachee.email), "success")
    return redirect(url_for("dashboard.show_cycle", cycle_id=cycle.id))


@bp.get("/coachees/<int:coachee_id>/export.json")
def export_coachee(coachee_id: int):
    """Download the coachee's data as a JSON file."""
    coachee = services.coachee_of(current_user, coachee_id)
    body = json.dumps(coachee_export(coachee), ensure_ascii=False, indent=2)
    # The one write of a GET: the audit trail's record of what left (docs/architecture.md).
    audit.record_download(current_user, coachee=coachee, detail="the coachee's data (JSON)")
    commit()
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="coachee-{coachee.id}.json"',
        },
    )


@bp.route("/coachees/<int:coachee_id>/delete", methods=["GET", "POST"])
def delete_coachee_page(coachee_id: int):
    """GET asks to confirm and says what goes; POST deletes."""
    coachee = services.coachee_of(current_user, coachee_id)
    if request.method == "POST":
        name = coachee.name
        delete_coachee(coachee)
        commit()
        flash(_("%(name)s and all their data are deleted.", name=name), "success")
        return redirect(url_for("coaching.list_coachees"))
    return render_template(
        "coaching/delete_coachee.html", coachee=coachee, counts=erasure_counts(coachee)
    )
