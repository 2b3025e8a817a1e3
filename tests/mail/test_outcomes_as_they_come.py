"""Each outcome recorded as soon as the server answered, the claim's lease renewed while
the batch goes on, and a message that may have reached the server never sent twice:
held back when the database is away at the hand-over, ``uncertain`` when its worker
died after handing it over or its connection broke after the end of the content. In
one process, against a real SMTP server on 127.0.0.1 (tests/mail/conftest.py); the
worker killed for real is in test_worker_faults.py."""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from feedback.accounts.services import create_coach
from feedback.coaching import services as coaching
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.mail import sender
from feedback.mail.models import MessageState, OutboxMessage
from feedback.mail.sender import deliver_due
from feedback.mail.transports import (
    DeliveryResult,
    DeliveryStatus,
    FileTransport,
    MemoryTransport,
    SmtpTransport,
)
from feedback.raters.models import Invite
from feedback.raters.services import Nomination, nominate
from feedback.timeutil import today, utcnow


def _queue_invitations(app, raters: int) -> list[int]:
    """A cycle with ``raters`` invited peers, committed, nothing sent: the outbox ids
    (the coachee's portal mail first, then one invitation per rater)."""
    with app.app_context():
        coach = create_coach(email="coach@example.com", name="Clara Coach", password="x" * 12)
        coachee = coaching.add_coachee(coach, name="Casey Doe", email="casey@example.com")
        cycle = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=14))
        nominate(cycle, [Nomination(f"rater{n}@example.org", "peer") for n in range(raters)])
        db.session.commit()
        return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def _rows(app) -> dict[int, OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return {row.id: row for row in rows}


def _invite_states(app) -> Counter:
    with app.app_context():
        return Counter(str(state) for state in db.session.scalars(select(Invite.state)))


def _outbox_ids(server) -> Counter:
    """How often the server received each outbox message (by its Message-ID)."""
    return Counter(
        int(str(m["Message-ID"]).split("outbox-", 1)[1].split(".", 1)[0]) for m in server.messages
    )


def _smtp(server) -> SmtpTransport:
    return SmtpTransport(server.host, server.port, timeout=3.0)


def _committed(app) -> dict[int, tuple[str, bool]]:
    """Each message's state and whether it is marked handed over, as another
    connection sees them: what is committed."""
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.handed_at)
        ).all()
    return {row.id: (str(row.state), row.handed_at is not None) for row in rows}


def test_each_outcome_is_committed_before_the_next_message_leaves(app, smtp_server, monkeypatch):
    ids = _queue_invitations(app, 5)
    seen: list[dict[int, tuple[str, bool]]] = []
    original = sender._Batch.handing

    def handing(self, index):
        allowed = original(self, index)
        seen.append(_committed(app))
        return allowed

    monkeypatch.setattr(sender._Batch, "handing", handing)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=6)
    assert len(seen) == 6
    for index, committed in enumerate(seen):
        # Before message `index` ends: the ones before it are recorded sent, it is
        # marked handed over, the ones after it wait untouched.
        assert [committed[i] for i in ids[:index]] == [("sent", False)] * index
        assert committed[ids[index]] == ("sending", True)
        assert all(committed[i] == ("sending", False) for i in ids[index + 1 :])
    assert _invite_states(app) == Counter(sent=5)
    assert _outbox_ids(smtp_server) == Counter(ids)


def test_the_lease_is_short_and_renewed_while_the_batch_goes_on(app, smtp_server, monkeypatch):
    ids = _queue_invitations(app, 4)
    monkeypatch.setattr(sender, "RENEW_EVERY", timedelta(0))
    leases: list = []
    original = sender._Batch.handing

    def handing(self, index):
        allowed = original(self, index)
        with app.app_context(), db.engine.connect() as connection:
            leases.append(
                connection.scalar(
                    select(OutboxMessage.next_attempt_at).where(OutboxMessage.id == ids[-1])
                )
            )
        return allowed

    monkeypatch.setattr(sender._Batch, "handing", handing)
    started = utcnow()
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=5)
    assert timedelta(seconds=60) >= sender.CLAIM_LEASE
    assert leases[0] <= started + sender.CLAIM_LEASE + timedelta(seconds=5)
    assert leases == sorted(leases) and leases[-1] > leases[0], "the lease was not renewed"


def test_a_message_handed_over_by_a_dead_worker_is_uncertain_and_not_sent_again(app, smtp_server):
    ids = _queue_invitations(app, 3)
    lease_gone = utcnow() - timedelta(seconds=1)
    with app.app_context():
        # A worker claimed everything, handed the second message over, and died.
        db.session.execute(
            update(OutboxMessage).values(
                state=MessageState.SENDING, claim="dead", next_attempt_at=lease_gone
            )
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(handed_at=lease_gone - timedelta(seconds=20))
        )
        db.session.commit()
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=3, uncertain=1)
        assert deliver_due(_smtp(smtp_server)) == Counter()
    assert _outbox_ids(smtp_server) == Counter([ids[0], ids[2], ids[3]])
    rows = _rows(app)
    assert rows[ids[1]].state is MessageState.UNCERTAIN
    assert "not sent again" in rows[ids[1]].last_error
    assert rows[ids[1]].attempts == 1
    # The invitation most likely arrived: its invite is sent, as the others.
    assert _invite_states(app) == Counter(sent=3)


def test_a_live_workers_claim_is_left_alone(app, smtp_server):
    ids = _queue_invitations(app, 1)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(
                state=MessageState.SENDING,
                claim="alive",
                handed_at=utcnow(),
                next_attempt_at=utcnow() + timedelta(seconds=20),
            )
        )
        db.session.commit()
        assert deliver_due(_smtp(smtp_server)) == Counter()
    assert smtp_server.messages == []
    assert {row.state for row in _rows(app).values()} == {MessageState.SENDING}
    assert len(ids) == 2


def test_the_database_away_at_the_hand_over_holds_the_message_back(app, smtp_server, monkeypatch):
    ids = _queue_invitations(app, 5)
    original = sender._Batch._commit
    failures = {"left": 2}

    def commit(self, hand=None):
        if hand is not None and hand.id == ids[2] and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        return original(self, hand)

    monkeypatch.setattr(sender._Batch, "_commit", commit)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=2)
    # The server got everything of the third message but its end: it never had it.
    assert _outbox_ids(smtp_server) == Counter(ids[:2])
    rows = _rows(app)
    for message_id in ids[2:]:
        row = rows[message_id]
        assert (row.state, row.attempts, row.handed_at, row.claim) == (
            MessageState.QUEUED,
            0,
            None,
            None,
        )
        assert row.next_attempt_at <= utcnow()
    assert _invite_states(app) == Counter(sent=1, pending=4)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=4)
    assert _outbox_ids(smtp_server) == Counter(ids)
    assert _invite_states(app) == Counter(sent=5)


def test_known_outcomes_wait_for_the_database_to_come_back(app, smtp_server, monkeypatch):
    ids = _queue_invitations(app, 2)
    original = sender._Batch._commit
    failures = {"left": 3}

    def commit(self, hand=None):
        if hand is None and failures["left"]:  # the end of the batch: record the rest
            failures["left"] -= 1
            raise OperationalError("COMMIT", {}, Exception("the database went away"))
        return original(self, hand)

    monkeypatch.setattr(sender._Batch, "_commit", commit)
    monkeypatch.setattr(sender.time, "sleep", lambda _seconds: None)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=3)
    assert failures["left"] == 0
    assert {row.state for row in _rows(app).values()} == {MessageState.SENT}
    assert _invite_states(app) == Counter(sent=2)
    assert _outbox_ids(smtp_server) == Counter(ids)


def test_a_worker_whose_claim_was_taken_over_sends_nothing_more(app, smtp_server, monkeypatch):
    ids = _queue_invitations(app, 4)
    original = sender._Batch.handing

    def handing(self, index):
        if index == 2:  # meanwhile another worker took the rest over
            with app.app_context(), db.engine.begin() as connection:
                connection.execute(
                    update(OutboxMessage).where(OutboxMessage.id >= ids[2]).values(claim="other")
                )
        return original(self, index)

    monkeypatch.setattr(sender._Batch, "handing", handing)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=2)
    assert _outbox_ids(smtp_server) == Counter(ids[:2])
    rows = _rows(app)
    # Untouched: they are the other worker's to send and to record.
    assert all(
        (rows[i].state, rows[i].claim, rows[i].handed_at) == (MessageState.SENDING, "other", None)
        for i in ids[2:]
    )


def test_no_answer_to_the_end_of_the_content_is_uncertain_and_not_sent_again(
    app, smtp_server, monkeypatch
):
    ids = _queue_invitations(app, 3)
    original = sender._Batch.handing

    def handing(self, index):
        if index == 1:  # the server takes this message's content and closes, silent
            smtp_server.drop_next("DATA")
        return original(self, index)

    monkeypatch.setattr(sender._Batch, "handing", handing)
    with app.app_context():
        assert deliver_due(_smtp(smtp_server)) == Counter(sent=3, uncertain=1)
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert deliver_due(_smtp(smtp_server)) == Counter()
    rows = _rows(app)
    assert rows[ids[1]].state is MessageState.UNCERTAIN
    assert "DATA: connection lost" in rows[ids[1]].last_error
    assert _outbox_ids(smtp_server) == Counter([ids[0], ids[2], ids[3]])
    assert _invite_states(app) == Counter(sent=3)


class _Refusing:
    """An observer that holds message ``stop`` back and remembers what it heard."""

    def __init__(self, stop: int) -> None:
        self.stop = stop
        self.handed: list[int] = []
        self.heard: list[tuple[int, DeliveryStatus]] = []

    def handing(self, index: int) -> bool:
        self.handed.append(index)
        return index != self.stop

    def answered(self, index: int, result: DeliveryResult) -> None:
        self.heard.append((index, result.status))


def _emails(count: int):
    from feedback.mail.message import build_message

    return [
        build_message(
            sender="no-reply@example.org",
            to=f"r{n}@example.org",
            subject=f"n{n}",
            text="hello",
            message_id=f"<m{n}@example.org>",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("kind", ["smtp", "file", "memory"])
def test_every_transport_asks_before_a_message_becomes_the_servers(kind, smtp_server, tmp_path):
    transport = {
        "smtp": lambda: _smtp(smtp_server),
        "file": lambda: FileTransport(tmp_path / "mail"),
        "memory": MemoryTransport,
    }[kind]()
    observer = _Refusing(stop=1)
    results = transport.send_batch(_emails(3), observer=observer)
    assert [r.status for r in results] == [
        DeliveryStatus.SENT,
        DeliveryStatus.RETRY,
        DeliveryStatus.RETRY,
    ]
    assert observer.handed == [0, 1]
    assert observer.heard == [(i, r.status) for i, r in enumerate(results)]
    delivered = {
        "smtp": lambda: [str(m["Subject"]) for m in smtp_server.messages],
        "file": lambda: [p.name for p in (tmp_path / "mail").iterdir()],
        "memory": lambda: [str(m["Subject"]) for m in transport.outbox],
    }[kind]()
    assert len(delivered) == 1
    if kind == "file":
        assert [p.name for p in (tmp_path / "mail").iterdir() if p.suffix == ".eml"] == delivered
