"""What a coach does: add coachees, start and close cycles. Services flush; callers commit."""

from datetime import date, timedelta

from flask import abort, current_app
from sqlalchemy import select

from .. import links
from ..accounts.models import Coach
from ..extensions import db
from ..mail.models import MessageState, OutboxMessage
from ..mail.outbox import mail_link, queue_message
from ..questionnaires.store import stored_questionnaire
from ..ratings.unlink import unlink_submission_order
from ..reports.released import keep_as_released
from ..timeutil import today
from .models import Coachee, Cycle, CycleState, CycleStateError, new_link_key
from .notes import forget_cycle_closed, note_cycle_closed, withdraw_groups_ready

#: The kind of the coachee's email with their portal link.
PORTAL_MAIL = "portal"

#: The longest a cycle may stay open.
MAX_CYCLE_LENGTH = timedelta(days=365)


def add_coachee(coach: Coach, *, name: str, email: str) -> Coachee:
    """A new coachee of ``coach``."""
    coachee = Coachee(coach_id=coach.id, name=name.strip(), email=email.strip().lower())
    db.session.add(coachee)
    db.session.flush()
    return coachee


def update_coachee(coachee: Coachee, *, name: str, email: str) -> list[Cycle]:
    """Correct a coachee's name or address. When the address changes, each open cycle's
    portal link goes to the new address (the link sent before stops working); returns
    those cycles."""
    email = email.strip().lower()
    moved = email != coachee.email
    coachee.name, coachee.email = name.strip(), email
    db.session.flush()
    if not moved:
        return []
    cycles = [cycle for cycle in coachee.cycles if cycle.state is CycleState.OPEN]
    for cycle in cycles:
        send_portal_link(cycle, renew=True)
    return cycles


def portal_link_problem(cycle: Cycle) -> str | None:
    """Why the coachee's latest portal email could not be delivered (the server's
    reply), or None when it went, is on its way, or was never sent."""
    latest = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.cycle_id == cycle.id, OutboxMessage.kind == PORTAL_MAIL)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.state is not MessageState.FAILED:
        return None
    return latest.last_error or "the mail server refused it"


def _check_deadline(closes_on: date) -> None:
    if closes_on < today():
        raise ValueError("the deadline must not be in the past")
    if closes_on > today() + MAX_CYCLE_LENGTH:
        raise ValueError("the deadline must be within a year")


def start_cycle(
    coachee: Coachee,
    *,
    closes_on: date,
    welcome_note: str = "",
    boss_exempt: bool = True,
) -> Cycle:
    """Open a cycle on the default questionnaire and queue the coachee's portal link."""
    _check_deadline(closes_on)
    cycle = Cycle(
        coachee=coachee,
        questionnaire=stored_questionnaire(),
        closes_on=closes_on,
        welcome_note=welcome_note.strip(),
        boss_exempt=boss_exempt,
        min_group_size=current_app.config["MIN_GROUP_SIZE"],
        state=CycleState.DRAFT,
    )
    db.session.add(cycle)
    cycle.open()
    db.session.flush()
    send_portal_link(cycle)
    return cycle


def send_portal_link(cycle: Cycle, *, renew: bool = False) -> None:
    """Queue the coachee's email with their portal link; ``renew`` revokes the old link."""
    if renew:
        cycle.portal_key = new_link_key()
        db.session.flush()
    coachee = cycle.coachee
    coach = coachee.coach
    queue_message(
        PORTAL_MAIL,
        to=coachee.email,
        to_name=coachee.name,
        reply_to=coach.email,
        subject=(
            "Your new link for your 360 feedback"
            if renew
            else f"{coach.name} has started your 360 feedback"
        ),
        template="portal_link",
        params={"renewed": renew},
        cycle_id=cycle.id,
    )


@mail_link(PORTAL_MAIL)
def _portal_mail_link(context: dict) -> str:
    """The portal email carries the coachee's link as it is when the email is sent."""
    return portal_url(context["cycle"])


def portal_url(cycle: Cycle) -> str:
    """The coachee's private link, absolute."""
    token = links.sign(links.PORTAL, cycle.portal_key)
    return links.external_url("portal.show_portal", token=token)


def dashboard_url(cycle: Cycle) -> str:
    """The coach's dashboard for ``cycle``, absolute."""
    return links.external_url("dashboard.show_cycle", cycle_id=cycle.id)


def close_cycle(cycle: Cycle) -> None:
    """Close now; results become visible to the coach. A note that every group has
    enough answers, still waiting in the outbox, is withdrawn: the results are there."""
    cycle.close()
    unlink_submission_order(cycle)
    withdraw_groups_ready(cycle)
    db.session.flush()


def close_due_cycles() -> int:
    """Close every open cycle whose deadline has passed and queue the coach's note; return
    how many."""
    due = db.session.scalars(
        select(Cycle).where(Cycle.state == CycleState.OPEN, Cycle.closes_on < today())
    ).all()
    for cycle in due:
        close_cycle(cycle)
        note_cycle_closed(cycle, by_deadline=True)
    db.session.flush()
    return len(due)


def close_if_due(cycle: Cycle) -> None:
    """Close ``cycle`` if its deadline has passed (checked whenever it is looked at)."""
    if cycle.is_past_deadline:
        close_cycle(cycle)
        note_cycle_closed(cycle, by_deadline=True)
        db.session.flush()


def coachee_of(coach: Coach, coachee_id: int) -> Coachee:
    """``coach``'s coachee, or 404: another coach's coachee does not exist for them."""
    coachee = db.session.get(Coachee, coachee_id)
    if coachee is None or coachee.coach_id != coach.id:
        abort(404)
    return coachee


def cycle_of(coach: Coach, cycle_id: int) -> Cycle:
    """``coach``'s cycle, or 404."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None or cycle.coachee.coach_id != coach.id:
        abort(404)
    return cycle


def coachees_of(coach: Coach) -> list[Coachee]:
    """All of ``coach``'s coachees, by name."""
    return list(
        db.session.scalars(
            select(Coachee).where(Coachee.coach_id == coach.id).order_by(Coachee.name)
        )
    )


def reopen_cycle(cycle: Cycle, *, closes_on: date) -> None:
    """Take answers again until ``closes_on``: raters who have not answered can, the
    coachee can invite more. The results hide again until the cycle closes, and a
    report already released stays as it was until the coach releases the new one.

    Raises CycleStateError unless the cycle is closed, ValueError for a bad deadline."""
    _check_deadline(closes_on)
    if cycle.state is not CycleState.CLOSED:
        raise CycleStateError(f"a {cycle.state} cycle cannot be reopened")
    keep_as_released(cycle)
    cycle.reopen()
    cycle.closes_on = closes_on
    forget_cycle_closed(cycle)  # closing again tells the coach again
    db.session.flush()
