"""Notes to the coach: every rater group has enough answers; the cycle closed;
nominations wait for the coach's approval.

Each goes at most once per cycle (a row in ``cycle_notes`` with a unique key says it
was queued). Notes carry counts, never a rater: the "groups ready" note is found by the
worker's housekeeping rather than by the submit that completes a group, and leaves
after a random delay, so its arrival does not pin down when somebody answered.
"""

import random
from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from ..coaching.models import Cycle
from ..coaching.services import dashboard_url
from ..extensions import db
from ..i18n import speaking
from ..mail.models import MessageState, OutboxMessage
from ..mail.outbox import queue_message
from ..raters.models import Invite
from ..timeutil import utcnow
from ..vocabulary import CycleState, InviteState
from .models import CycleNote

GROUPS_READY = "groups_ready"
CYCLE_CLOSED = "cycle_closed"
NOMINATIONS_WAITING = "nominations_waiting"


#: INSERT … ON CONFLICT DO NOTHING, on the two databases Mirror 360 runs on.
_INSERT_IF_NEW = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _mark_once(cycle_id: int, kind: str) -> bool:
    """Record that ``kind`` was noted for the cycle; False when it already was (also when
    another worker recorded it a moment ago: the unique key decides)."""
    insert_if_new = _INSERT_IF_NEW[db.engine.dialect.name]
    statement = (
        insert_if_new(CycleNote)
        .values(cycle_id=cycle_id, kind=kind, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["cycle_id", "kind"])
        .returning(CycleNote.id)
    )
    # A row comes back only when this statement inserted it (rowcount is not reliable
    # here: psycopg reports -1).
    return db.session.execute(statement).first() is not None


def _answer_counts(cycle_ids: list[int]) -> dict[int, dict[str, tuple[int, int]]]:
    """Per cycle and group: (invited, answered). Nominations waiting for the coach and
    nominees removed before answering are nobody who could still answer, so a group of
    only those has no raters."""
    rows = db.session.execute(
        select(
            Invite.cycle_id,
            Invite.group,
            func.count(),
            func.sum(case((Invite.state == InviteState.SUBMITTED, 1), else_=0)),
        )
        .where(
            Invite.cycle_id.in_(cycle_ids),
            Invite.state.not_in([InviteState.AWAITING, InviteState.REMOVED]),
        )
        .group_by(Invite.cycle_id, Invite.group)
    ).all()
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for cycle_id, group, invited, answered in rows:
        counts[cycle_id][group] = (int(invited), int(answered or 0))
    return counts


def groups_ready(cycle: Cycle, counts: dict[str, tuple[int, int]]) -> bool:
    """Whether every group that has raters has reached the cycle's k answers (one for
    the boss when the boss is shown alone). False while nobody is invited."""
    if not counts:
        return False
    for group, (_invited, answered) in counts.items():
        needed = 1 if group == "boss" and cycle.boss_exempt else cycle.min_group_size
        if answered < needed:
            return False
    return True


def _note_coach(
    cycle: Cycle,
    kind: str,
    subject: LazyString,
    params: dict,
    not_before: datetime | None = None,
) -> None:
    """Queue the note ``kind`` (its template has the same name) to the coach of
    ``cycle``, in the coach's language: the subject is translated here, the body when
    the outbox renders it."""
    coach = cycle.coachee.coach
    with speaking(coach.language):
        subject_text = str(subject)
    queue_message(
        kind,
        to=coach.email,
        to_name=coach.name,
        subject=subject_text,
        template=kind,
        params={**params, "language": coach.language},
        cycle_id=cycle.id,
        not_before=not_before,
    )


def _delay() -> timedelta:
    """Between one and two times READY_NOTE_DELAY (seconds), at random."""
    seconds = current_app.config["READY_NOTE_DELAY"]
    return timedelta(seconds=seconds * (1 + random.random()))


def queue_ready_notes(now: datetime | None = None) -> int:
    """Tell coaches whose open cycles have just got enough answers in every group that
    has raters; once per cycle. Returns how many notes were queued (flushed)."""
    now = now or utcnow()
    candidates = list(
        db.session.scalars(
            select(Cycle).where(
                Cycle.state == CycleState.OPEN,
                ~exists().where(CycleNote.cycle_id == Cycle.id, CycleNote.kind == GROUPS_READY),
                exists().where(Invite.cycle_id == Cycle.id),
            )
        )
    )
    if not candidates:
        return 0
    counts = _answer_counts([cycle.id for cycle in candidates])
    queued = 0
    for cycle in candidates:
        cycle_counts = counts.get(cycle.id, {})
        if not groups_ready(cycle, cycle_counts) or not _mark_once(cycle.id, GROUPS_READY):
            continue
        _note_coach(
            cycle,
            GROUPS_READY,
            _l("Enough answers for %(coachee)s's 360", coachee=cycle.coachee.name),
            {"groups": len(cycle_counts)},
            not_before=now + _delay(),
        )
        queued += 1
    db.session.flush()
    return queued


def queue_waiting_notes() -> int:
    """Tell coaches whose open cycles have nominations waiting for their approval: one
    note while any wait, however many the coachee adds meanwhile; once the coach has
    dealt with them all (approved or removed), the next nomination is noted again.
    Returns how many notes were queued (flushed)."""
    waiting = (
        select(Invite.cycle_id, func.count().label("waiting"))
        .where(Invite.state == InviteState.AWAITING)
        .group_by(Invite.cycle_id)
        .subquery()
    )
    # Nothing waits any more: forget the note, so that the next batch is noted.
    db.session.execute(
        delete(CycleNote).where(
            CycleNote.kind == NOMINATIONS_WAITING,
            CycleNote.cycle_id.not_in(select(waiting.c.cycle_id)),
        )
    )
    rows = db.session.execute(
        select(Cycle, waiting.c.waiting)
        .join(waiting, waiting.c.cycle_id == Cycle.id)
        .where(
            Cycle.state == CycleState.OPEN,
            ~exists().where(CycleNote.cycle_id == Cycle.id, CycleNote.kind == NOMINATIONS_WAITING),
        )
    ).all()
    queued = 0
    for cycle, count in rows:
        if not _mark_once(cycle.id, NOMINATIONS_WAITING):
            continue
        _note_coach(
            cycle,
            NOMINATIONS_WAITING,
            _l("%(coachee)s's nominations wait for your approval", coachee=cycle.coachee.name),
            {"waiting": int(count)},
        )
        queued += 1
    db.session.flush()
    return queued


def note_cycle_closed(cycle: Cycle, *, by_deadline: bool) -> bool:
    """Tell the coach that ``cycle`` closed (its deadline passed, or someone other than
    the coach closed it, e.g. ``feedback cycle close``); once per cycle. The coach's own
    button sends nothing: they know. Returns whether a note was queued (flushed)."""
    if not _mark_once(cycle.id, CYCLE_CLOSED):
        return False
    answered = sum(answered for _i, answered in _answer_counts([cycle.id])[cycle.id].values())
    _note_coach(
        cycle,
        CYCLE_CLOSED,
        _l("The 360 for %(coachee)s has closed", coachee=cycle.coachee.name),
        {"answered": answered, "by_deadline": by_deadline},
    )
    return True


def dashboard_link(context: dict) -> str:
    """Notes to the coach link to the cycle's dashboard (behind the coach's sign-in)."""
    return dashboard_url(context["cycle"])


def forget_cycle_closed(cycle: Cycle) -> None:
    """Forget that the coach was told ``cycle`` closed (it was reopened), so that its
    next close is noted again."""
    db.session.execute(
        delete(CycleNote).where(CycleNote.cycle_id == cycle.id, CycleNote.kind == CYCLE_CLOSED)
    )


def withdraw_groups_ready(cycle: Cycle) -> None:
    """Take back the note that every group of ``cycle`` has enough answers while it
    still waits in the outbox (it is held back an hour or two): once the cycle has
    closed, the results are there and the note would only be noise."""
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.cycle_id == cycle.id,
            OutboxMessage.kind == GROUPS_READY,
            OutboxMessage.state == MessageState.QUEUED,
        )
    )
