"""Retention: raters' addresses and names are erased a set number of days after a cycle
closes (``FEEDBACK_RETENTION_DAYS``); the scheduled job applies it on every round, and
``feedback retention apply`` on demand."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from ..coaching.models import Cycle, new_link_key
from ..extensions import db
from ..mail.models import OutboxMessage
from ..raters.models import Invite
from ..timeutil import utcnow
from ..vocabulary import CycleState

#: What an erased rater's address becomes: no "@", so it is never mailed.
ERASED_EMAIL = "erased-{id}"


def parse_retention_days(value: object) -> int | None:
    """The retention in days from a setting; None when it is off (empty or 0). Raises
    ValueError for anything but a whole number of at least 1."""
    if value in (None, "", 0, "0"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the retention must be a whole number of days, not {value!r}") from exc
    if number < 1:
        raise ValueError("the retention must be at least 1 day")
    return number


def retention_days(days: int | None = None) -> int | None:
    """``days``, else FEEDBACK_RETENTION_DAYS; None when retention is off."""
    return parse_retention_days(
        days if days is not None else current_app.config.get("RETENTION_DAYS")
    )


def apply_retention(days: int) -> int:
    """Erase raters' addresses and names, drafts and links, and their mail, in cycles
    closed more than ``days`` days ago; return how many invites were erased. What the
    cycle's figures need (group and state) stays."""
    cutoff = utcnow() - timedelta(days=days)
    invite_ids = list(
        db.session.scalars(
            select(Invite.id)
            .join(Cycle, Cycle.id == Invite.cycle_id)
            .where(
                Cycle.state == CycleState.CLOSED,
                Cycle.closed_at < cutoff,
                Invite.email.contains("@"),
            )
        )
    )
    if not invite_ids:
        return 0
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.invite_id.in_(invite_ids))
        .execution_options(synchronize_session=False)
    )
    for invite_id in invite_ids:
        db.session.execute(
            update(Invite)
            .where(Invite.id == invite_id)
            .values(
                email=ERASED_EMAIL.format(id=invite_id),
                name="",
                draft=None,
                link_key=new_link_key(),
            )
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    return len(invite_ids)
