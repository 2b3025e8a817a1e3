"""What a message is about, for the mail sender: the invite, cycle, coachee and coach
of each message of a batch, loaded as they are when it is sent."""

from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..coaching import voice
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
    ``coachee``, ``coach``, ``reply_to_names`` (the coach's name under their address,
    so a reply-to the coach shows who reads it), and for a rater's invitation or
    reminder the coach's own text when they wrote one (``own_text``, filled in, and
    ``own_paragraphs`` for the HTML part), and ``language``, the one a rater's mail is
    written in (the invite's, else the cycle's). Three queries for the batch."""
    invites = _by_id(Invite, {m.invite_id for m in messages if m.invite_id})
    cycles = _by_id(
        Cycle,
        {m.cycle_id for m in messages if m.cycle_id},
        joinedload(Cycle.coachee).joinedload(Coachee.coach),
    )
    own = voice.own_texts(
        {cycle.coachee.coach_id for cycle in cycles.values()}
        if any(m.kind in voice.KINDS for m in messages)
        else set()
    )
    contexts = {}
    for message in messages:
        cycle = cycles.get(message.cycle_id)
        coachee = cycle.coachee if cycle is not None else None
        coach = coachee.coach if coachee is not None else None
        invite = invites.get(message.invite_id)
        contexts[message.id] = {
            "invite": invite,
            "cycle": cycle,
            "coachee": coachee,
            "coach": coach,
            "reply_to_names": {coach.email.lower(): coach.name} if coach is not None else {},
        }
        if invite is not None:
            contexts[message.id]["language"] = invite.speaks
        text = own.get((coach.id, message.kind)) if coach is not None else None
        if text is not None:
            # The coach's words stay as written; the deadline in them reads as the
            # rater's language writes dates.
            with force_locale(contexts[message.id].get("language", "en")):
                contexts[message.id].update(_own_text(text.body, cycle))
    return contexts


def _own_text(body: str, cycle: Cycle) -> dict[str, Any]:
    """The coach's body for ``cycle``, filled in, as text and as paragraphs of lines;
    nothing when it no longer reads (the default text is sent then)."""
    values = voice.values_for(
        coachee_name=cycle.coachee.name,
        closes_on=cycle.closes_on,
        coach_name=cycle.coachee.coach.name,
    )
    try:
        text = voice.fill(body, values)
    except voice.TextProblem:
        return {}
    return {"own_text": text, "own_paragraphs": voice.paragraphs(text)}
