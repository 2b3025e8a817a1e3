"""Queued mail is stored as a template with what it is about, and written when it is
sent: the outbox holds no working link, a reminder counts days from the day it was
queued, what a batch is about is loaded in a fixed number of queries, and a message
that cannot be written waits without holding up the others."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, insert, select, update

from feedback import links
from feedback.accounts.services import create_coach
from feedback.coaching import services as coaching
from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.cycles.notes import note_cycle_closed, queue_ready_notes
from feedback.extensions import db
from feedback.mail.models import MessageState, OutboxMessage
from feedback.mail.outbox import outbox_row, queue_message
from feedback.mail.sender import deliver_due
from feedback.mail.transports import MemoryTransport
from feedback.raters.models import Invite
from feedback.raters.reminders import remind_unanswered
from feedback.raters.services import Nomination, nominate
from feedback.timeutil import today, utcnow
from feedback.vocabulary import InviteState

LINK = re.compile(r"https?://[^\s<>\"']+")


def _cycle(name: str = "Casey Doe", raters: int = 2, closes_in: int = 10) -> Cycle:
    """A coachee with an open cycle (its portal mail queued) and ``raters`` peers
    invited; flushed, not sent. Call inside an app context."""
    slug = name.split()[0].lower()
    coach = create_coach(email=f"coach.{slug}@example.com", name="Clara Coach", password="x" * 12)
    coachee = coaching.add_coachee(coach, name=name, email=f"{slug}@example.com")
    cycle = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=closes_in))
    nominate(cycle, [Nomination(f"rater{n}.{slug}@example.org", "peer") for n in range(raters)])
    return cycle


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_outbox_holds_no_link_and_every_message_names_its_cycle(app):
    with app.app_context():
        cycle = _cycle()
        lifecycle.send_portal_link(cycle, renew=True)
        db.session.execute(update(Invite).values(created_at=utcnow() - timedelta(days=2)))
        assert remind_unanswered(cycle) == 2
        db.session.execute(update(Invite).values(state=InviteState.SUBMITTED))
        cycle.min_group_size = 2
        assert queue_ready_notes(utcnow() - timedelta(hours=3)) == 1
        cycle.close()  # not the service, which withdraws a waiting groups_ready note
        assert note_cycle_closed(cycle, by_deadline=False)
        db.session.commit()

        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert sorted({row.kind for row in rows}) == [
            "cycle_closed",
            "groups_ready",
            "invite",
            "portal",
            "reminder",
        ]
        keys = [cycle.portal_key] + [
            invite.link_key for invite in db.session.scalars(select(Invite))
        ]
        # The table has no place for a rendered text: only templates and parameters.
        assert not {"text_body", "html_body"} & set(OutboxMessage.__table__.columns.keys())
        for row in rows:
            assert row.template
            assert row.cycle_id == cycle.id, row.kind
            stored = " ".join(str(value) for value in row.__dict__.values())
            assert "http" not in stored and "/r/" not in stored and "/p/" not in stored
            assert not any(key in stored for key in keys), f"a link key in {row.kind}"

        transport = MemoryTransport()
        assert deliver_due(transport) == {"sent": len(rows)}
        by_kind = {row.kind: message for row, message in zip(rows, transport.outbox, strict=True)}
        # The links were signed when sent and lead where they should.
        for kind in ("invite", "reminder"):
            token = urlsplit(LINK.search(_text(by_kind[kind])).group(0)).path.split("/")[2]
            assert db.session.scalar(
                select(Invite).where(Invite.link_key == links.unsign(links.RATER_INVITE, token))
            )
        portal_token = urlsplit(LINK.search(_text(by_kind["portal"])).group(0)).path.split("/")[2]
        assert links.unsign(links.PORTAL, portal_token) == cycle.portal_key
        for kind in ("groups_ready", "cycle_closed"):
            assert f"http://localhost/cycles/{cycle.id}" in _text(by_kind[kind])
        assert "4 raters" not in _text(by_kind["cycle_closed"])
        assert "2 raters answered" in _text(by_kind["cycle_closed"])
        assert "no longer works" in _text(by_kind["portal"])  # the renewed link, sent last
        assert "has started a 360" in _text(transport.outbox[0])


def test_a_reminder_counts_the_days_left_from_the_day_it_was_queued(app):
    with app.app_context():
        cycle = _cycle(raters=1, closes_in=10)
        transport = MemoryTransport()
        deliver_due(transport)
        db.session.execute(update(Invite).values(created_at=utcnow() - timedelta(days=3)))
        yesterday = utcnow() - timedelta(days=1)
        assert remind_unanswered(db.session.get(Cycle, cycle.id), now=yesterday) == 1
        db.session.commit()
        # Sent today, written today, but it says what held on the day it was queued.
        deliver_due(transport)
        (reminder,) = [m for m in transport.outbox if m["Subject"].startswith("Reminder")]
        assert "(11 days from now)" in _text(reminder)


def _selects(app, run) -> list[str]:
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            run()
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    return statements


def test_a_batch_loads_what_its_messages_are_about_in_as_many_queries_for_3_or_60(app):
    with app.app_context():
        _cycle("Ann Small", raters=2)
        db.session.commit()
    small = _selects(app, lambda: deliver_due(MemoryTransport()))
    with app.app_context():
        for name in ("Ben Big", "Cal Big", "Dee Big"):
            _cycle(name, raters=19)
        db.session.commit()
    transport = MemoryTransport()
    large = _selects(app, lambda: deliver_due(transport))
    assert len(transport.outbox) == 60
    assert len(large) == len(small), "\n".join(large)


def test_a_message_that_cannot_be_written_waits_and_the_others_go(app):
    with app.app_context():
        cycle = _cycle(raters=1)
        (invite,) = db.session.scalars(select(Invite)).all()
        bad = outbox_row(
            "invite",
            to="someone@example.org",
            subject="From a newer version",
            template="not_a_template_here",
            cycle_id=cycle.id,
            invite_id=invite.id,
        )
        db.session.execute(insert(OutboxMessage), [bad])
        db.session.commit()

        assert deliver_due(MemoryTransport()) == {"sent": 2, "retry": 1}
        waiting = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.template == "not_a_template_here")
        )
        assert waiting.state is MessageState.QUEUED
        assert waiting.next_attempt_at > utcnow()
        assert "not rendered" in waiting.last_error
        assert db.session.get(Invite, invite.id).state is InviteState.SENT  # not bounced


def test_a_kind_without_a_link_maker_is_refused_when_queued(app):
    with app.app_context(), pytest.raises(LookupError, match="no_such_kind"):
        queue_message(
            "no_such_kind", to="a@example.org", subject="s", template="invite", cycle_id=None
        )
