"""The outbox sender: claiming with several workers, retries and giving up, bounces, and
the `feedback mail work` loop stopping on SIGTERM. On SQLite, or on PostgreSQL when
FEEDBACK_TEST_DATABASE_URL is set."""

import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import Counter
from datetime import timedelta
from pathlib import Path

import factories
import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, insert, select, update

from feedback.extensions import db
from feedback.mail.backoff import MAX_ATTEMPTS
from feedback.mail.models import MessageState, OutboxMessage
from feedback.mail.outbox import register_links
from feedback.mail.outbox import setup as mail_setup
from feedback.mail.sender import deliver_due
from feedback.mail.transports import DeliveryResult, DeliveryStatus
from feedback.timeutil import utcnow

#: A kind of message of these tests only, with its two templates.
TEST_TEMPLATES = {"email/sender-test.txt": "Hello {{ n }}", "email/sender-test.html": "<p>Hi</p>"}


def _with_test_kind(app) -> None:
    """Teach ``app`` the kind ``test``: no link, templates from ``TEST_TEMPLATES``."""
    if "test" not in mail_setup(app).links:
        register_links(app, {"test": lambda _context: ""})
        app.jinja_loader = ChoiceLoader([DictLoader(TEST_TEMPLATES), app.jinja_loader])


def _queue(app, count: int, **values) -> list[int]:
    """Insert ``count`` due messages directly; their ids."""
    _with_test_kind(app)
    rows = [
        {
            "kind": "test",
            "to_address": f"rater{n}@example.org",
            "to_name": "",
            "subject": f"Message {n}",
            "template": "sender-test",
            "params": {"n": n},
            "state": MessageState.QUEUED,
            "attempts": 0,
            "next_attempt_at": utcnow() - timedelta(seconds=1),
            "created_at": utcnow(),
            **values,
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


class RecordingTransport:
    """Sends nothing; remembers the Message-IDs it was given, from any thread."""

    def __init__(self, *, barrier: threading.Barrier | None = None) -> None:
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.barrier = barrier
        self.batches = 0
        self.largest = 0  #: the largest batch seen

    def send_batch(self, messages):
        if self.barrier is not None and self.batches == 0:
            # Both workers hold a claimed batch at this moment: the claims overlapped.
            self.barrier.wait(timeout=20)
        self.batches += 1
        self.largest = max(self.largest, len(messages))
        with self.lock:
            self.seen.extend(str(m["Message-ID"]) for m in messages)
        time.sleep(0.002)
        return [DeliveryResult(DeliveryStatus.SENT, "250 ok", 250) for _ in messages]


class ScriptedTransport:
    """Answers every message with the same result."""

    def __init__(self, result: DeliveryResult) -> None:
        self.result = result
        self.calls = 0

    def send_batch(self, messages):
        self.calls += len(messages)
        return [self.result for _ in messages]


def test_two_workers_send_each_message_exactly_once(app):
    ids = _queue(app, 300)
    barrier = threading.Barrier(2)
    transports = [RecordingTransport(barrier=barrier), RecordingTransport(barrier=barrier)]
    counts: list[Counter] = [Counter(), Counter()]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            with app.app_context():
                counts[index] = deliver_due(transports[index], batch_size=25)
                db.session.remove()
        except BaseException as exc:  # reported below, with the thread's own traceback
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert failures == []

    seen = transports[0].seen + transports[1].seen
    assert len(seen) == len(ids)
    assert len(set(seen)) == len(ids), "a message was handed to the transport twice"
    assert all(transport.seen for transport in transports), "the workers never overlapped"
    assert max(transport.largest for transport in transports) <= 25, "claimed past the batch"
    assert counts[0]["sent"] + counts[1]["sent"] == len(ids)
    with app.app_context():
        states = dict(
            db.session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
            ).all()
        )
    assert states == {MessageState.SENT: len(ids)}


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(app):
    (message_id,) = _queue(app, 1)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(state=MessageState.SENDING, next_attempt_at=utcnow() + timedelta(minutes=5))
        )
        db.session.commit()
        transport = RecordingTransport()
        assert deliver_due(transport) == Counter()
        assert transport.seen == []
        # A worker that died while sending: after the lease, another one takes over.
        db.session.execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert deliver_due(transport) == Counter(sent=1)
        assert len(transport.seen) == 1


def test_retry_backs_off_then_gives_up(app):
    (message_id,) = _queue(app, 1)
    transport = ScriptedTransport(DeliveryResult(DeliveryStatus.RETRY, "connect failed"))
    with app.app_context():
        assert deliver_due(transport) == Counter(retry=1)
        message = db.session.get(OutboxMessage, message_id)
        assert message.state is MessageState.QUEUED
        assert message.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert deliver_due(transport) == Counter()  # not due yet
        for _ in range(MAX_ATTEMPTS - 1):
            db.session.execute(
                update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            deliver_due(transport)
        db.session.expire_all()
        message = db.session.get(OutboxMessage, message_id)
        assert (message.state, message.attempts) == (MessageState.FAILED, MAX_ATTEMPTS)
        assert transport.calls == MAX_ATTEMPTS


def _invite_with_message(app, open_cycle, browser, mailbox) -> tuple[int, int]:
    """A nominated rater whose invitation is still queued: (invite id, message id)."""
    from feedback.raters.models import Invite

    app.config["MAIL_SEND_AFTER_REQUEST"] = False
    response = browser.submit(f"{open_cycle['portal']}raters", {"raters": "r@example.org, peer"})
    assert response.status_code == 302
    with app.app_context():
        invite = db.session.scalar(select(Invite))
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.invite_id.is_not(None))
        )
        assert message.state is MessageState.QUEUED
        return invite.id, message.id


@pytest.mark.parametrize(
    ("result", "rounds", "invite_state"),
    [
        (
            DeliveryResult(DeliveryStatus.FAILED, "RCPT TO: 550 5.1.1 no such user", 550),
            1,
            "bounced",
        ),
        (
            DeliveryResult(DeliveryStatus.RETRY, "RCPT TO: 452 4.2.2 mailbox full", 452),
            MAX_ATTEMPTS,
            "bounced",
        ),
        (DeliveryResult(DeliveryStatus.RETRY, "connect failed: refused"), MAX_ATTEMPTS, "pending"),
        (
            DeliveryResult(DeliveryStatus.RETRY, "421 4.3.2 shutting down", 421),
            MAX_ATTEMPTS,
            "pending",
        ),
    ],
    ids=["550", "452-until-given-up", "server-unreachable", "421-until-given-up"],
)
def test_what_a_permanent_failure_means_for_the_invite(
    app, open_cycle, browser, mailbox, result, rounds, invite_state
):
    from feedback.raters.models import Invite

    invite_id, message_id = _invite_with_message(app, open_cycle, browser, mailbox)
    transport = ScriptedTransport(result)
    with app.app_context():
        for _ in range(rounds):
            db.session.execute(
                update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()
            deliver_due(transport)
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message_id).state is MessageState.FAILED
        assert db.session.get(Invite, invite_id).state == invite_state


def test_unusable_address_fails_alone_and_bounces(app):
    ids = _queue(app, 3)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == ids[1])
            .values(to_address="not an address")
        )
        db.session.commit()
        transport = RecordingTransport()
        assert deliver_due(transport) == Counter(sent=2, failed=1)
        assert db.session.get(OutboxMessage, ids[1]).state is MessageState.FAILED


class FreedAsSentTransport:
    """Takes the messages one by one, as SMTP does, and notes, when it takes each one,
    how many of those it took before are still alive."""

    def __init__(self) -> None:
        self.alive_when_taken: list[int] = []
        self.seen: list[str] = []

    def send_batch(self, messages, observer=None):
        taken: list[weakref.ref] = []
        results = []
        for index in range(len(messages)):
            if observer is not None and not observer.handing(index):
                break
            message = messages[index]
            self.alive_when_taken.append(sum(ref() is not None for ref in taken))
            self.seen.append(str(message["Message-ID"]))
            taken.append(weakref.ref(message))
            del message
            result = DeliveryResult(DeliveryStatus.SENT, "250 ok", 250)
            results.append(result)
            if observer is not None:
                observer.answered(index, result)
        return results


def test_a_batch_does_not_hold_every_message_it_sends_at_once(app):
    # A batch's messages each made of thousands of objects, all alive until the batch
    # ended, kept the garbage collector walking them (bench/README.md, issue 21):
    # each is built when the transport takes it, and is gone once the next two are.
    ids = _queue(app, 5)
    with app.app_context():
        transport = FreedAsSentTransport()
        assert deliver_due(transport) == Counter(sent=5)
        assert len(transport.seen) == len(set(transport.seen)) == 5
        assert max(transport.alive_when_taken) <= 1
        assert {db.session.get(OutboxMessage, i).state for i in ids} == {MessageState.SENT}


# --------------------------------------------------------------------------- the worker


def _wait_for_line(stream, text: str, timeout: float) -> list[str]:
    """Read lines from ``stream`` until one contains ``text`` (on a helper thread, so a
    silent process cannot hang the test)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line)
            if text in line:
                found.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert found.wait(timeout), f"no {text!r} within {timeout} s; got {lines}"
    return lines


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM is POSIX")
def test_mail_work_sends_then_stops_cleanly_on_sigterm(make_app, tmp_path, database_url):
    app = make_app()
    with app.app_context():
        from sqlalchemy import MetaData

        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
    with app.test_request_context():  # three cycles: three portal emails, queued
        owner = factories.coachee()
        for _ in range(3):
            factories.cycle(owner)
        db.session.commit()
        db.engine.dispose()
    mail_dir = tmp_path / "worker-mail"
    env = {
        **os.environ,
        "FEEDBACK_DATABASE_URL": database_url,
        "FEEDBACK_SECRET_KEY": "test-secret-key-of-reasonable-length",
        "FEEDBACK_MAIL_BACKEND": "file",
        "FEEDBACK_MAIL_FILE_DIR": str(mail_dir),
        "PYTHONUNBUFFERED": "1",
    }
    feedback = Path(sys.executable).with_name("feedback")
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [str(feedback), "mail", "work", "--interval", "0.2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_line(process.stdout, "Sending mail every", timeout=60)
        deadline = time.monotonic() + 30
        while len(list(mail_dir.glob("*.eml"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(list(mail_dir.glob("*.eml"))) == 3
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, output
    assert "Mail worker stopped." in output
    assert "Traceback" not in output
