"""The cycle's life as services, without HTTP: what closing, the deadline and reopening
do, and what a message's outcome means for an invite."""

from datetime import timedelta

import factories
import pytest
from sqlalchemy import func, select, update

from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.cycles.models import CycleNote
from feedback.cycles.notes import GROUPS_READY, queue_ready_notes
from feedback.extensions import db
from feedback.mail.models import MessageState, OutboxMessage
from feedback.mail.outbox import register_links
from feedback.mail.signals import Outcome
from feedback.raters.mailing import note_outcomes
from feedback.ratings.models import Response
from feedback.reports.released import released_html
from feedback.timeutil import today
from feedback.vocabulary import SELF, CycleState, CycleStateError, InviteState


def _response_ids(cycle: Cycle) -> set[str]:
    return set(
        db.session.scalars(
            select(Response.id).where(Response.cycle_id == cycle.id, Response.group != SELF)
        )
    )


def _notes(cycle: Cycle, kind: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CycleNote)
        .where(CycleNote.cycle_id == cycle.id, CycleNote.kind == kind)
    )


def test_closing_forgets_the_order_of_answers_and_the_coachs_own_close_sends_no_note(app):
    with app.test_request_context():
        cycle = factories.cycle()
        factories.answered(cycle, {"peer": 3})
        before = _response_ids(cycle)
        lifecycle.close_cycle(cycle)
        assert cycle.state is CycleState.CLOSED and cycle.closed_at is not None
        after = _response_ids(cycle)
        assert len(after) == 3 and not before & after  # rewritten under new random ids
        assert _notes(cycle, "cycle_closed") == 0
        with pytest.raises(CycleStateError):
            lifecycle.close_cycle(cycle)


def test_the_scheduled_close_takes_only_cycles_past_their_deadline_and_tells_the_coach(app):
    with app.test_request_context():
        owner = factories.coachee()
        due, later = factories.cycle(owner), factories.cycle(owner)
        db.session.execute(
            update(Cycle).where(Cycle.id == due.id).values(closes_on=today() - timedelta(days=1))
        )
        db.session.expire_all()
        assert due.is_past_deadline and not due.is_open  # no answers, though still open
        assert lifecycle.close_due_cycles() == 1
        assert (due.state, later.state) == (CycleState.CLOSED, CycleState.OPEN)
        assert _notes(due, "cycle_closed") == 1
        assert lifecycle.close_due_cycles() == 0


def test_closing_withdraws_the_groups_ready_note_still_waiting(app):
    with app.test_request_context():
        cycle = factories.cycle()
        factories.answered(cycle, {"boss": 1, "peer": 3})
        assert queue_ready_notes() == 1
        waiting = select(func.count()).where(
            OutboxMessage.cycle_id == cycle.id,
            OutboxMessage.kind == GROUPS_READY,
            OutboxMessage.state == MessageState.QUEUED,
        )
        assert db.session.scalar(waiting) == 1
        lifecycle.close_cycle(cycle)
        assert db.session.scalar(waiting) == 0


def test_reopening_keeps_the_released_report_and_checks_state_and_deadline(app):
    with app.test_request_context():
        cycle = factories.closed_cycle()
        lifecycle.release(cycle)
        released = released_html(cycle)
        assert released and "Peers" in released
        with pytest.raises(ValueError, match="past"):
            lifecycle.reopen_cycle(cycle, closes_on=today() - timedelta(days=1))
        lifecycle.reopen_cycle(cycle, closes_on=today() + timedelta(days=3))
        assert cycle.state is CycleState.OPEN and cycle.closed_at is None
        factories.answered(cycle, {"subordinate": 3}, score=1)
        assert released_html(cycle) == released  # as it was released, late answers or not
        with pytest.raises(CycleStateError):
            lifecycle.reopen_cycle(cycle, closes_on=today() + timedelta(days=3))


def test_an_outcome_moves_only_a_pending_invite(app):
    with app.test_request_context():
        cycle = factories.cycle()
        delivered, refused, later = factories.invites(cycle, {"peer": 3})
        db.session.execute(
            update(type(later)).where(type(later).id == later.id).values(state=InviteState.SENT)
        )

        def outcome(invite, status, refused_recipient=False):
            return Outcome(1, "invite", invite.id, cycle.id, status, refused_recipient)

        note_outcomes(
            app,
            [
                outcome(delivered, "sent"),
                outcome(refused, "failed", refused_recipient=True),
                outcome(later, "failed", refused_recipient=True),  # a reminder bounced
            ],
        )
        db.session.expire_all()
        assert delivered.state is InviteState.SENT and delivered.sent_at is not None
        assert refused.state is InviteState.BOUNCED
        assert later.state is InviteState.SENT  # they have the invitation's link


def test_a_kind_of_mail_has_one_link_maker(app):
    def other(_context):
        return "x"

    with pytest.raises(ValueError, match="already has a link maker"):
        register_links(app, {"invite": other})
