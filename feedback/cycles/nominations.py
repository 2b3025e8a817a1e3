"""Nominations as the cycle lives them: the coachee's nominations that wait for the
coach, the coach's approval, and what the coach's webhooks hear of them (nominations
waiting; invitations bounced), in counts only, never who.

Services flush; the request (or the command) commits once, and the invitations leave
after the commit, through the outbox.
"""

from collections import Counter

from flask import Flask
from sqlalchemy import select

from ..coaching.models import Cycle
from ..extensions import db
from ..raters import services as raters
from ..raters.mailing import invites_bounced
from ..raters.models import Invite
from ..vocabulary import InviteState
from ..webhooks.services import queue_event

#: The event when a coachee's nominations start waiting for the coach.
PENDING_APPROVAL = "nomination.pending_approval"
#: The event when invitations bounce.
INVITE_BOUNCED = "invite.bounced"


def init_app(app: Flask) -> None:
    """Tell the coach's webhooks when invitations bounce."""
    invites_bounced.connect(announce_bounces, sender=app)


def nominate_by_coachee(
    cycle: Cycle, nominations: list[raters.Nomination]
) -> tuple[list[Invite], list[tuple[raters.Nomination, str]]]:
    """The coachee's nominations (:func:`feedback.raters.services.nominate`): invited at
    once, or, when the cycle asks for the coach's approval, left waiting, and the coach's
    webhooks hear how many wait."""
    wait = cycle.approve_nominations
    created, refused = raters.nominate(cycle, nominations, wait_for_coach=wait)
    if wait and created:
        queue_event(
            cycle.coachee.coach_id,
            PENDING_APPROVAL,
            {
                "cycle_id": cycle.id,
                "added": len(created),
                "waiting": len(raters.awaiting_approval(cycle)),
            },
        )
    return created, refused


def correct_nominee(invite: Invite, *, email: str, group: str, by_coach: bool) -> Invite | None:
    """Correct a nominee's address or group (:func:`feedback.raters.services.correct`).
    A correction by the coachee on a cycle whose nominations the coach approves waits
    for the coach like any nomination; the coach's own is invited at once."""
    cycle = invite.cycle
    wait = cycle.approve_nominations and not by_coach
    created = raters.correct(invite, email=email, group=group, wait_for_coach=wait)
    if created is not None and created.state is InviteState.AWAITING:
        queue_event(
            cycle.coachee.coach_id,
            PENDING_APPROVAL,
            {"cycle_id": cycle.id, "added": 1, "waiting": len(raters.awaiting_approval(cycle))},
        )
    return created


def announce_bounces(_app: Flask, bounced: Counter) -> None:
    """Queue ``invite.bounced`` for each cycle with bounced invitations, in the
    transaction that records the bounce: the cycle's id and how many bounced, never
    whose."""
    cycles = {c.id: c for c in db.session.scalars(select(Cycle).where(Cycle.id.in_(list(bounced))))}
    for cycle_id, count in sorted(bounced.items()):
        cycle = cycles.get(cycle_id)
        if cycle is not None:
            queue_event(
                cycle.coachee.coach_id, INVITE_BOUNCED, {"cycle_id": cycle_id, "bounced": count}
            )
