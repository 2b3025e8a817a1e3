"""Reminders to raters who have not answered: automatic before the deadline, and on
demand ("remind everyone who has not answered") by the coach or the coachee.

Who is reminded is never shown to anyone: callers get a count. Two rules keep it
gentle and make it safe to run in several workers at once, since every reminder is
claimed with a conditional UPDATE of ``invites.last_reminded_at``:

- nobody gets two reminders within ``MIN_GAP``, nor one within ``MIN_GAP`` of being
  invited;
- automatic reminders go once per reminder window: the window for "d days before"
  starts at 00:00 UTC on that day and lasts until the next window starts, so a worker
  that was down on the day still reminds once, and never twice.
"""

from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager

from ..coaching.models import Cycle
from ..extensions import db
from ..mail.outbox import queue_message
from ..timeutil import utcnow
from ..vocabulary import ANSWERABLE, CycleState
from .models import Invite
from .services import rater_mail_subject, rater_url

#: The shortest time between two mails to one rater (invitation or reminder).
MIN_GAP = timedelta(hours=24)


def window_start(closes_on: date, days: tuple[int, ...], today: date) -> datetime | None:
    """When the current automatic reminder window of a cycle closing on ``closes_on``
    began (00:00 UTC of "d days before"), or None before the first window."""
    starts = [closes_on - timedelta(days=d) for d in days]
    started = [day for day in starts if day <= today]
    return datetime.combine(max(started), time.min) if started else None


def _claim_reminder(invite: Invite, now: datetime, not_since: datetime) -> bool:
    """Set ``last_reminded_at`` if the rater can still answer and was not reminded
    since ``not_since``; True when this call did it (one conditional UPDATE)."""
    result = db.session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.state.in_(ANSWERABLE),
            or_(Invite.last_reminded_at.is_(None), Invite.last_reminded_at < not_since),
        )
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _queue_reminder(invite: Invite, cycle: Cycle, today: date) -> None:
    coachee = cycle.coachee
    queue_message(
        "reminder",
        to=invite.email,
        to_name=invite.name,
        # Questions go to the coach, never to the coachee: a rater telling the coachee
        # "I have answered" is exactly what the anonymity promise should not invite.
        reply_to=coachee.coach.email,
        subject=rater_mail_subject(cycle, "reminder"),
        template="reminder",
        # "N days from now" counts from the day the reminder is queued.
        params={"days_left": (cycle.closes_on - today).days},
        invite_id=invite.id,
        cycle_id=cycle.id,
    )


def reminder_link(context: dict) -> str:
    """A reminder carries the rater's link (as the invitation did), signed when sent."""
    return rater_url(context["invite"])


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the automatic reminders that are due now (see the module docstring) for
    every open cycle; returns how many were queued (flushed, not committed)."""
    days = current_app.config["REMINDER_DAYS"]
    if not days:
        return 0
    now = now or utcnow()
    today = now.date()
    invites = db.session.scalars(
        select(Invite)
        .join(Invite.cycle)
        .options(contains_eager(Invite.cycle))
        .where(
            Cycle.state == CycleState.OPEN,
            Cycle.closes_on >= today,
            Cycle.closes_on <= today + timedelta(days=max(days)),
            Invite.state.in_(ANSWERABLE),
            Invite.created_at < now - MIN_GAP,
        )
        .order_by(Invite.id)
    ).all()
    queued = 0
    for invite in invites:
        cycle = invite.cycle
        start = window_start(cycle.closes_on, days, today)
        if start is None or invite.created_at >= start:
            continue  # invited during this window: the invitation is fresh enough
        if _claim_reminder(invite, now, min(start, now - MIN_GAP)):
            _queue_reminder(invite, cycle, today)
            queued += 1
    db.session.flush()
    return queued


def remind_unanswered(cycle: Cycle, now: datetime | None = None) -> int:
    """ "Remind everyone who has not answered": queue a reminder to each rater of
    ``cycle`` who can still answer and has had no mail from us for ``MIN_GAP``.

    Returns only how many were reminded. Raises ValueError when the cycle no longer
    takes answers. Pressing it again within the day reminds nobody twice.
    """
    if not cycle.is_open:
        raise ValueError("this cycle is closed, so nobody can answer any more")
    now = now or utcnow()
    invites = db.session.scalars(
        select(Invite)
        .where(
            Invite.cycle_id == cycle.id,
            Invite.state.in_(ANSWERABLE),
            Invite.created_at < now - MIN_GAP,
        )
        .order_by(Invite.id)
    ).all()
    queued = 0
    for invite in invites:
        if _claim_reminder(invite, now, now - MIN_GAP):
            _queue_reminder(invite, cycle, now.date())
            queued += 1
    db.session.flush()
    return queued


def reminded_message(count: int) -> str:
    """What the person who pressed "remind everyone" is told: a count, never a name."""
    if count == 0:
        return gettext(
            "Nobody was reminded: everyone who has not answered got their invitation "
            "or a reminder within the last day. Try again tomorrow."
        )
    return ngettext(
        "%(num)d reminder sent to raters who have not answered.",
        "%(num)d reminders sent to raters who have not answered.",
        count,
    )


def remind_everyone(cycle: Cycle) -> tuple[str, str]:
    """The "remind everyone who has not answered" button, for the coach and the coachee
    alike: remind, and return the message for the person who pressed it with its flash
    category."""
    try:
        count = remind_unanswered(cycle)
    except ValueError as exc:
        return gettext("No reminders sent: %(problem)s.", problem=exc), "error"
    return reminded_message(count), "success" if count else "info"
