"""Taking a rater off the list and correcting one, as the coach (``coach_pages``) and
the coachee (``portal``) both do them: the same steps, told in each one's words."""

from flask import abort, flash, redirect, render_template

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
        abort(404, f"This rater is no longer on {'the' if by_coach else 'your'} list.")
    if not cycle.is_open:
        whose = "its" if by_coach else "your"
        abort(409, f"This cycle is closed; {whose} list of raters stays as it is.")
    return invite


def remove_nominee(invite: Invite, *, by_coach: bool, back: str):
    """Take ``invite`` off the list once the form's CSRF token checks (400 otherwise),
    commit, say so and go ``back``; the rater's link stops working."""
    if not ButtonForm().validate_on_submit():
        abort(400, "The form expired; please try again.")
    name = invite.display_name
    raters.remove(invite)
    commit()
    whose = "the" if by_coach else "your"
    flash(f"{name} is off {whose} list; their link no longer works.", "success")
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
                flash("Nothing changed.", "info")
            elif not by_coach and created.state is InviteState.AWAITING:
                flash(f"Corrected: {created.email} waits for your coach's approval.", "success")
            else:
                flash(f"Corrected: {created.email} gets a new invitation.", "success")
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "nominations/correct.html", form=form, invite=invite, cycle=cycle, back=back
    ), status
