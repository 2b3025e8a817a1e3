"""Taking a rater off the list and correcting one, as the coach (``coach_pages``) and
the coachee (``portal``) both do them: the same steps, told in each one's words."""

from flask import abort, flash, redirect, render_template
from flask_babel import gettext as _

from ..database import commit
from ..extensions import db
from ..raters import services as raters
from ..raters.models import Invite
from ..vocabulary import InviteState
from .forms import ButtonForm, CorrectNomineeForm
from .nominations import correct_nominee


def editable_nominee(cycle, invite_id: int, *, by_coach: bool) -> Invite:
    """A nominee on ``cycle``'s list (404 otherwise) whose details can still change
    (409 once the cycle is closed). The messages speak of "the" list to the coach and
    of "your" list to the coachee."""
    invite = raters.invite_of(cycle, invite_id)
    if invite.removed_at is not None:
        abort(
            404,
            _("This rater is no longer on the list.")
            if by_coach
            else _("This rater is no longer on your list."),
        )
    if not cycle.is_open:
        abort(
            409,
            _("This cycle is closed; its list of raters stays as it is.")
            if by_coach
            else _("This cycle is closed; your list of raters stays as it is."),
        )
    return invite


def remove_nominee(invite: Invite, *, by_coach: bool, back: str):
    """Take ``invite`` off the list once the form's CSRF token checks (400 otherwise),
    commit, say so and go ``back``; the rater's link stops working."""
    if not ButtonForm().validate_on_submit():
        abort(400, _("The form expired; please try again."))
    name = invite.display_name
    raters.remove(invite)
    commit()
    if by_coach:
        flash(_("%(name)s is off the list; their link no longer works.", name=name), "success")
    else:
        flash(_("%(name)s is off your list; their link no longer works.", name=name), "success")
    return redirect(back)


def correct_nominee_page(cycle, invite: Invite, *, by_coach: bool, back: str):
    """The form that corrects a nominee's address or group, and its answer: a corrected
    rater gets a fresh link (after the coach's approval when the coachee corrects on a
    cycle whose nominations the coach approves). A refused address is told at the
    field with a 400 and nothing saved."""
    form = CorrectNomineeForm(obj=invite)
    if form.validate_on_submit():
        try:
            created = correct_nominee(
                invite, email=form.email.data, group=form.group.data, by_coach=by_coach
            )
        except ValueError as exc:
            db.session.rollback()
            form.email.errors = [str(exc)[0].upper() + str(exc)[1:] + "."]
        else:
            commit()
            if created is None:
                flash(_("Nothing changed."), "info")
            elif not by_coach and created.state is InviteState.AWAITING:
                flash(
                    _("Corrected: %(email)s waits for your coach's approval.", email=created.email),
                    "success",
                )
            else:
                flash(
                    _("Corrected: %(email)s gets a new invitation.", email=created.email),
                    "success",
                )
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "nominations/correct.html", form=form, invite=invite, cycle=cycle, back=back
    ), status
