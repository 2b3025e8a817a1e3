"""`feedback mail work` as a real process, sending 61 messages (a coachee's portal mail
and 60 invitations) to a real SMTP server on 127.0.0.1, hit by the faults of a real
deployment: the worker killed with SIGKILL a few messages into its batch, and (on
PostgreSQL) its database connections dropped and the database refusing connections
for a few seconds mid-batch. Either way every message arrives exactly once (counted
by Message-ID at the server) within a minute, and every invite says sent."""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from database_faults import PostgresAdmin, postgres_url
from sqlalchemy import select
from sqlalchemy.engine import make_url

from feedback.accounts.services import create_coach
from feedback.coaching import services as coaching
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.raters.models import Invite
from feedback.raters.services import Nomination, nominate
from feedback.timeutil import today

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and processes are POSIX")

RATERS = 60
#: The time the issue allows from the fault to the last message delivered.
WITHIN = 60.0
OUTBOX_ID = re.compile(r"<outbox-(\d+)\.")


def _queue_invitations(app) -> list[int]:
    """A cycle with RATERS invited peers, committed, nothing sent: the outbox ids."""
    with app.app_context():
        coach = create_coach(email="coach@example.com", name="Clara Coach", password="x" * 12)
        coachee = coaching.add_coachee(coach, name="Casey Doe", email="casey@example.com")
        cycle = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=14))
        nominate(cycle, [Nomination(f"rater{n}@example.org", "peer") for n in range(RATERS)])
        db.session.commit()
        ids = list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
        db.session.remove()
    assert len(ids) == RATERS + 1
    return ids


def _slow_down(server, messages: int) -> None:
    """Let the server take about 40 ms a message (before the content and after it), so
    a fault lands mid-batch and on either side of a message's end."""
    for _ in range(3 * messages):
        server.stall_next(0.02, "MAIL")
        server.stall_next(0.02, "DATA")


def _start_worker(database_url: str, smtp_port: int, tmp_path: Path, name: str):
    """`feedback mail work` in its own process, its output in ``tmp_path/name.log``."""
    env = {
        **os.environ,
        "FEEDBACK_DATABASE_URL": database_url,
        "FEEDBACK_SECRET_KEY": "test-secret-key-of-reasonable-length",
        "FEEDBACK_BASE_URL": "http://localhost",
        "FEEDBACK_MAIL_BACKEND": "smtp",
        "FEEDBACK_SMTP_HOST": "127.0.0.1",
        "FEEDBACK_SMTP_PORT": str(smtp_port),
        "FEEDBACK_SMTP_TIMEOUT": "5",
        "FEEDBACK_MAIL_SEND_AFTER_REQUEST": "false",
        "FEEDBACK_MAIL_BACKGROUND": "false",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / f"{name}.log").open("w")
    feedback = Path(sys.executable).with_name("feedback")
    process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
        [str(feedback), "mail", "work", "--interval", "0.2"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log_path = tmp_path / f"{name}.log"  # type: ignore[attr-defined]
    return process


def _stop(process, sig: int = signal.SIGTERM) -> str:
    """Stop a worker (if it still runs) and return its output."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    return process.log_path.read_text(errors="replace")


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.02)


def _delivered(server) -> Counter:
    """How often the server received each outbox message (by its Message-ID)."""
    return Counter(int(OUTBOX_ID.match(str(m["Message-ID"])).group(1)) for m in server.messages)


def _states(app) -> Counter:
    with app.app_context():
        states = Counter(str(state) for state in db.session.scalars(select(OutboxMessage.state)))
        db.session.remove()
    return states


def _invites(app) -> Counter:
    with app.app_context():
        states = Counter(str(state) for state in db.session.scalars(select(Invite.state)))
        db.session.remove()
    return states


def _all_done(app, server, ids: list[int]) -> Callable[[], bool]:
    def done() -> bool:
        if set(_delivered(server)) != set(ids):
            return False
        return not {"queued", "sending"} & set(_states(app))

    return done


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    smtp_app, smtp_server, database_url, tmp_path
):
    app = smtp_app(smtp_server.port)
    ids = _queue_invitations(app)
    _slow_down(smtp_server, len(ids))

    first = _start_worker(database_url, smtp_server.port, tmp_path, "first")
    try:
        _wait(lambda: len(smtp_server.messages) >= 3, 60, "the first worker sent 3 messages")
        first.kill()  # SIGKILL: no handler, no cleanup
        killed_at = time.monotonic()
        first.wait(timeout=10)
    finally:
        first_output = _stop(first, signal.SIGKILL)
    left = _states(app)
    assert left["sending"] > 0, f"the kill did not land mid-batch: {left}"
    assert len(smtp_server.messages) < len(ids)

    second = _start_worker(database_url, smtp_server.port, tmp_path, "second")
    try:
        _wait(
            _all_done(app, smtp_server, ids),
            WITHIN - (time.monotonic() - killed_at),
            "every message delivered after the kill",
        )
        took = time.monotonic() - killed_at
    finally:
        second_output = _stop(second)
    outputs = f"first worker:\n{first_output}\nsecond worker:\n{second_output}"

    assert _delivered(smtp_server) == Counter(ids), outputs  # each exactly once
    assert took < WITHIN
    states = _states(app)
    # At most the one message in flight when the worker died is marked uncertain (its
    # content had reached the server); everything else is recorded sent.
    assert set(states) <= {"sent", "uncertain"}, states
    assert states["uncertain"] <= 1, states
    assert _invites(app) == Counter(sent=RATERS)
    assert "Traceback" not in second_output, outputs


@pytest.mark.skipif(not postgres_url(), reason="PostgreSQL only (FEEDBACK_TEST_DATABASE_URL)")
def test_the_database_going_away_mid_batch_loses_nothing_and_sends_nothing_twice(
    smtp_app, smtp_server, database_url, tmp_path
):
    app = smtp_app(smtp_server.port)
    ids = _queue_invitations(app)
    _slow_down(smtp_server, len(ids))
    url = make_url(database_url)
    name = "mirror360-mail-worker-under-test"
    worker_url = url.update_query_dict({"application_name": name})
    admin = PostgresAdmin(database_url)

    def drop_connections() -> int:
        return admin.drop_connections(application_name=name)

    worker = _start_worker(
        worker_url.render_as_string(hide_password=False), smtp_server.port, tmp_path, "worker"
    )
    try:
        _wait(lambda: len(smtp_server.messages) >= 3, 60, "the worker sent 3 messages")
        first_fault = time.monotonic()
        assert drop_connections() >= 1  # every connection of the worker, mid-batch
        _wait(lambda: len(smtp_server.messages) >= 20, 30, "the worker went on after the drop")
        # A restart: connections dropped, and new ones refused for three seconds.
        admin.allow_connections(False)
        try:
            drop_connections()
            time.sleep(3)
        finally:
            admin.allow_connections(True)
        _wait(
            _all_done(app, smtp_server, ids),
            WITHIN - (time.monotonic() - first_fault),
            "every message delivered after the database came back",
        )
        took = time.monotonic() - first_fault
        assert worker.poll() is None, "the worker died"
    finally:
        output = _stop(worker)
        admin.close()

    assert _delivered(smtp_server) == Counter(ids), output  # each exactly once
    assert took < WITHIN
    # The worker lived through it and knew every outcome: nothing is left uncertain.
    assert _states(app) == Counter(sent=len(ids)), output
    assert _invites(app) == Counter(sent=RATERS)
