"""What a message is about, for the mail sender: the invite, cycle, coachee and coach
of each message of a batch, loaded as they are when it is sent."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..mail.models import OutboxMessage
from ..raters.models import Invite


def _by_id(model, ids: set[int], *options) -> dict:
    """Rows of ``model`` by id, in one query (none for no ids)."""
    if not ids:
        return {}
    rows = db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))
    return {row.id: row for row in rows.unique()}


def message_contexts(messages: list[OutboxMessage]) -> dict[int, dict[str, Any]]:
    """Each message's template context by message id: ``invite`` (or None), ``cycle``,
    ``coachee``, ``coach``, and ``reply_to_names`` (the coach's name under their
    address, so a reply-to the coach shows who reads it). Two queries for the batch."""
    invites = _by_id(Invite, {m.invite_id for m in messages if m.invite_id})
    cycles = _by_id(
        Cycle,
        {m.cycle_id for m in messages if m.cycle_id},
        joinedload(Cycle.coachee).joinedload(Coachee.coach),
    )
    contexts = {}
    for message in messages:
        cycle = cycles.get(message.cycle_id)
        coachee = cycle.coachee if cycle is not None else None
        coach = coachee.coach if coachee is not None else None
        contexts[message.id] = {
            "invite": invites.get(message.invite_id),
            "cycle": cycle,
            "coachee": coachee,
            "coach": coach,
            "reply_to_names": {coach.email.lower(): coach.name} if coach is not None else {},
        }
    return contexts
