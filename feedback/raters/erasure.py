"""Erasing raters: what retention and a coachee's erasure do to a cycle's invites and a
pulse's raters alike. The address becomes a placeholder without "@" (never mailed), the
name and the draft go, and the link is re-keyed so that an old email's link opens
nothing; the group and the state, which the figures need, stay."""

from collections.abc import Iterable

from sqlalchemy import update

from ..coaching.models import new_link_key
from ..extensions import db


def erase_raters(model: type, ids: Iterable[int], erased_email: str) -> int:
    """Erase the raters of ``model`` (``Invite`` or ``PulseInvite``) with these ids in
    one bulk UPDATE by primary key; ``erased_email`` is formatted with each id. Flushed
    with the session, not committed; returns how many rows were given."""
    rows = [
        {
            "id": rater_id,
            "email": erased_email.format(id=rater_id),
            "name": "",
            "draft": None,
            "link_key": new_link_key(),
        }
        for rater_id in ids
    ]
    if rows:
        db.session.execute(update(model), rows)
    return len(rows)
