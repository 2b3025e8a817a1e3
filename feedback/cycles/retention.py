"""Retention: raters' addresses and names are erased a set number of days after a cycle
(or a pulse) closes (``FEEDBACK_RETENTION_DAYS``); the scheduled job applies it on every round, and
``feedback retention apply`` on demand."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..coaching.models import Cycle
from ..database import erase_old_versions_after_commit
from ..extensions import db
from ..mail.models import OutboxMessage
from ..pulses.services import erase_raters as erase_pulse_raters
from ..raters import erasure
from ..raters.models import Invite
from ..settings import parse_retention_days
from ..timeutil import utcnow
from ..vocabulary import CycleState

#: What an erased rater's address becomes: no "@", so it is never mailed.
ERASED_EMAIL = "erased-{id}"


def retention_days(days: int | None = None) -> int | None:
    """``days`` (checked: at least 1), else FEEDBACK_RETENTION_DAYS; None when retention
    is off."""
    if days is None:
        return current_app.config["RETENTION_DAYS"]
    return parse_retention_days(days)


def apply_retention(days: int) -> int:
    """Erase raters' addresses and names, drafts and links, and their mail, in cycles
    and pulses closed more than ``days`` days ago; return how many invites (of both)
    were erased. What the figures need (group and state) stays."""
    cutoff = utcnow() - timedelta(days=days)
    pulse_raters = erase_pulse_raters(cutoff)
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
        if pulse_raters:
            erase_old_versions_after_commit()
        return pulse_raters
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.invite_id.in_(invite_ids))
        .execution_options(synchronize_session=False)
    )
    erasure.erase_raters(Invite, invite_ids, ERASED_EMAIL)
    db.session.expire_all()
    erase_old_versions_after_commit()
    return len(invite_ids) + pulse_raters
