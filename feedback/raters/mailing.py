"""What the raters' mail means: the links of invitations and reminders, and what a
delivery outcome does to an invite (sent, or bounced)."""

from collections import Counter

from blinker import Namespace
from flask import Flask
from sqlalchemy import bindparam, update

from ..extensions import db
from ..mail.outbox import register_links
from ..mail.signals import Outcome, outcomes_recorded
from ..timeutil import utcnow
from ..vocabulary import InviteState
from .models import Invite
from .reminders import reminder_link
from .services import invitation_link

_signals = Namespace()

#: Sent (by the app) with ``bounced``, a Counter of cycle id to how many of its pending
#: invitations just bounced, inside the transaction that records it; heard once per
#: bounce, since an invite bounces only from ``pending``.
invites_bounced = _signals.signal("raters-invites-bounced")


def init_app(app: Flask) -> None:
    """Register the raters' kinds of mail and listen to their outcomes."""
    register_links(app, {"invite": invitation_link, "reminder": reminder_link})
    outcomes_recorded.connect(note_outcomes, sender=app)


def note_outcomes(app: Flask, outcomes: list[Outcome]) -> None:
    """An invite still pending becomes ``sent`` when its mail was accepted (or is
    ``uncertain``: handed to the server, its answer lost; it most likely arrived, is
    never sent twice, and the reminders follow as for any sent invitation), and
    ``bounced`` when the recipient's address was refused for good. Only a pending
    invite changes: once the invitation has arrived, a reminder that bounces leaves the
    rater their link, and they may still answer. Invites that bounce are announced
    (:data:`invites_bounced`), as counts per cycle."""
    now = utcnow()
    arrived = ("sent", "uncertain")
    sent = {o.invite_id for o in outcomes if o.invite_id and o.status in arrived}
    bounced = {
        o.invite_id
        for o in outcomes
        if o.invite_id and o.status == "failed" and o.refused_recipient
    }
    # Core statements on the session's connection, built once: the sender records
    # outcomes as they come, so this runs once a message (the session's rows are
    # expired when the sender's batch ends).
    connection = db.session.connection()
    if sent:
        connection.execute(_MARK_SENT, {"ids": sorted(sent), "now": now})
    if bounced - sent:
        cycles = connection.scalars(_MARK_BOUNCED, {"ids": sorted(bounced - sent)}).all()
        if cycles:
            invites_bounced.send(app, bounced=Counter(cycles))


_INVITES = Invite.__table__
_PENDING = _INVITES.c.state == InviteState.PENDING
#: Pending invites of ``ids`` become sent at ``now``.
_MARK_SENT = (
    update(_INVITES)
    .where(_INVITES.c.id.in_(bindparam("ids", expanding=True)), _PENDING)
    .values(state=InviteState.SENT, sent_at=bindparam("now"))
)
#: Pending invites of ``ids`` become bounced; their cycles come back.
_MARK_BOUNCED = (
    update(_INVITES)
    .where(_INVITES.c.id.in_(bindparam("ids", expanding=True)), _PENDING)
    .values(state=InviteState.BOUNCED)
    .returning(_INVITES.c.cycle_id)
)
