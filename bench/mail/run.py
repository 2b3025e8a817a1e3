"""Sending queued invites through the outbox against a plain smtplib loop.

Both send the same number of invitation-sized messages (text and HTML, about 3 kB) to
the same aiosmtpd sink on 127.0.0.1, which runs in its own process so it does not share
the GIL with the sender being measured:

- outbox: N invitations to N real invites (over cycles of 60 raters) inserted into
  ``outbox_messages`` in bulk as the app queues them: template, invite and cycle, no
  text (not timed); then ``deliver_due`` timed until the outbox is empty: claiming,
  loading the batch's invites and cycles, rendering each invitation's text and HTML
  templates and signing its link, building it with ``build_message``, one SMTP
  connection per batch, recording every outcome (each invite becomes "sent");
- plain: one ``smtplib.SMTP`` connection and a loop that builds each message with
  ``email.message.EmailMessage`` (same headers and parts) and calls ``send_message``.

Each round runs both (alternating which goes first); the rates reported are medians
over the rounds. Exits 1 when outbox / plain is below the goal (0.70 by default).

    .venv/bin/python bench/mail/run.py [--messages 10000] [--rounds 3] [--batch-size N]
        [--database-url URL] [--goal 0.7]
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

HOST = "127.0.0.1"

TEXT = """Hello {name},

Casey Doe is working with a career coach, Clara Coach, and asks for your honest view of
how they work: about 30 short statements and four open questions, 10 to 15 minutes.

Answer here:
{url}

Please answer by 18 December 2026. You can save and come back through the same link.

Your answers are anonymous: they are pooled with others in your group and shown only
once at least 3 people in that group have answered. Nobody sees who said what.

If you would rather not answer, the page has a button for that too.

-- Mirror 360, for Clara Coach
"""

HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"></head>
<body style="margin:0;padding:24px;background:#f7f9fb;font-family:system-ui,sans-serif">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #d9e2ec">
<p>Hello {name},</p>
<p>Casey Doe is working with a career coach, Clara Coach, and asks for your honest view
of how they work: about 30 short statements and four open questions, 10 to 15 minutes.</p>
<p><a href="{url}" style="display:inline-block;background:#0b6e99;color:#ffffff;
padding:12px 18px;border-radius:8px;text-decoration:none;font-weight:600">Give feedback
to Casey</a></p>
<p style="font-size:13px;color:#616e7c">Or copy this link: {url}</p>
<p>Please answer by 18 December 2026. You can save and come back through the same
link.</p>
<p>Your answers are anonymous: they are pooled with others in your group and shown only
once at least 3 people in that group have answered. Nobody sees who said what.</p>
<p>If you would rather not answer, the page has a button for that too.</p>
</div>
<p style="max-width:560px;margin:12px auto;color:#616e7c;font-size:13px">Sent by Mirror
360 on behalf of Clara Coach.</p>
</body></html>
"""


def invitation(n: int) -> dict[str, str]:
    """The n-th message's varying parts."""
    name = f"Rater {n}"
    url = f"http://127.0.0.1:5000/r/bench-token-{n:06d}.abcdefghijklmnopqrstuvwxyz0123456789/"
    return {
        "to": f"rater{n}@example.org",
        "name": name,
        "subject": "Casey Doe asks for your feedback",
        "text": TEXT.format(name=name, url=url),
        "html": HTML.format(name=name, url=url),
    }


# --------------------------------------------------------------------------- the sink


def _serve_sink(ready, port_value, received, stop) -> None:
    """Run an aiosmtpd server that accepts and counts everything, until ``stop``."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return "250 2.0.0 OK"

    class AnyPortController(Controller):
        def _trigger_server(self) -> None:
            self.port = self.server.sockets[0].getsockname()[1]  # we asked for port 0
            super()._trigger_server()

    controller = AnyPortController(Sink(), hostname=HOST, port=0, ready_timeout=10)
    controller.start()
    port_value.value = controller.port
    ready.set()
    stop.wait()
    controller.stop()


class SinkProcess:
    """The sink in a child process; ``received`` counts accepted messages."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.ready = context.Event()
        self.stop_event = context.Event()
        self.port = context.Value("i", 0)
        self.received = context.Value("l", 0)
        self.process = context.Process(
            target=_serve_sink,
            args=(self.ready, self.port, self.received, self.stop_event),
            daemon=True,
        )

    def __enter__(self) -> SinkProcess:
        self.process.start()
        if not self.ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(self, *_exc) -> None:
        self.stop_event.set()
        self.process.join(15)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)

    def count(self) -> int:
        """Messages accepted so far."""
        with self.received.get_lock():
            return self.received.value


# --------------------------------------------------------------------------- the two senders


def plain_loop(port: int, count: int) -> float:
    """Seconds for a plain smtplib loop to build and send ``count`` messages."""
    started = time.perf_counter()
    with smtplib.SMTP(HOST, port, timeout=30) as conn:
        for n in range(count):
            parts = invitation(n)
            msg = EmailMessage()
            msg["From"] = "Mirror 360 <no-reply@mirror360.local>"
            msg["To"] = f"{parts['name']} <{parts['to']}>"
            msg["Subject"] = parts["subject"]
            msg["Date"] = format_datetime(datetime.now(UTC))
            msg["Message-ID"] = make_msgid(domain="mirror360.local")
            msg.set_content(parts["text"])
            msg.add_alternative(parts["html"], subtype="html")
            conn.send_message(msg)
    return time.perf_counter() - started


def make_app(database_url: str, instance: Path, port: int):
    """The app on a fresh schema, sending to the sink."""
    from sqlalchemy import MetaData

    from feedback import create_app
    from feedback.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-secret-key-of-reasonable-length",
            "BASE_URL": "http://127.0.0.1:5000",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": HOST,
            "SMTP_PORT": port,
            "SMTP_TIMEOUT": 30.0,
            "MAIL_BACKGROUND": False,
        },
        instance_path=str(instance),
    )
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
    return app


def seed_invites(app, count: int) -> None:
    """A coach, ``count`` // 60 + 1 open cycles and ``count`` invites (not timed)."""
    from sqlalchemy import insert

    from feedback.accounts.services import create_coach
    from feedback.coaching import services as coaching
    from feedback.coaching.models import new_link_key
    from feedback.cycles import lifecycle
    from feedback.extensions import db
    from feedback.raters.models import Invite
    from feedback.raters.services import MAX_RATERS_PER_CYCLE
    from feedback.timeutil import today, utcnow

    with app.app_context():
        coach = create_coach(email="coach@example.com", name="Clara Coach", password="x" * 12)
        cycle_ids = []
        for number in range((count + MAX_RATERS_PER_CYCLE - 1) // MAX_RATERS_PER_CYCLE):
            coachee = coaching.add_coachee(
                coach, name=f"Casey Doe {number}", email=f"casey{number}@example.com"
            )
            cycle = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=14))
            cycle_ids.append(cycle.id)
        now = utcnow()
        rows = [
            {
                "cycle_id": cycle_ids[n // MAX_RATERS_PER_CYCLE],
                "group": "peer",
                "email": invitation(n)["to"],
                "name": invitation(n)["name"],
                "state": "pending",
                "link_key": new_link_key(),
                "created_at": now,
            }
            for n in range(count)
        ]
        db.session.execute(insert(Invite), rows)
        db.session.commit()
        db.session.remove()


def fill_outbox(app) -> int:
    """Empty the outbox, set every invite back to pending, and queue one invitation per
    invite as ``nominate`` does (template, invite, cycle; no text); how many."""
    from sqlalchemy import delete, select, update

    from feedback.coaching.models import Cycle
    from feedback.extensions import db
    from feedback.mail.models import OutboxMessage
    from feedback.mail.outbox import queue_messages
    from feedback.raters.models import Invite
    from feedback.raters.services import invitation as invitation_row
    from feedback.vocabulary import InviteState

    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.execute(update(Invite).values(state=InviteState.PENDING, sent_at=None))
        cycles = {cycle.id: cycle for cycle in db.session.scalars(select(Cycle))}
        invites = db.session.scalars(select(Invite).order_by(Invite.id)).all()
        queue_messages(invitation_row(invite, cycles[invite.cycle_id]) for invite in invites)
        db.session.commit()
        db.session.remove()
    return len(invites)


def outbox_run(app, count: int, batch_size: int | None) -> float:
    """Seconds for ``deliver_due`` to send ``count`` queued messages."""
    from feedback.extensions import db
    from feedback.mail.sender import deliver_due

    with app.app_context():
        started = time.perf_counter()
        counts = deliver_due(**({"batch_size": batch_size} if batch_size else {}))
        elapsed = time.perf_counter() - started
        db.session.remove()
    if counts.get("sent") != count or set(counts) != {"sent"}:
        raise SystemExit(f"the outbox did not send everything: {dict(counts)}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None, help="deliver_due's batch")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--goal", type=float, default=0.70)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.rounds < 1:
        parser.error("--messages and --rounds must be at least 1")

    with tempfile.TemporaryDirectory(prefix="mail-bench-") as tmp, SinkProcess() as sink:
        database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = make_app(database_url, Path(tmp) / "instance", sink.port.value)
        seed_invites(app, args.messages)
        plain_rates, outbox_rates = [], []
        for round_number in range(args.rounds):
            if fill_outbox(app) != args.messages:
                raise SystemExit("the outbox was not filled")
            order = ("plain", "outbox") if round_number % 2 == 0 else ("outbox", "plain")
            for which in order:
                before = sink.count()
                if which == "plain":
                    seconds = plain_loop(sink.port.value, args.messages)
                    plain_rates.append(args.messages / seconds)
                else:
                    seconds = outbox_run(app, args.messages, args.batch_size)
                    outbox_rates.append(args.messages / seconds)
                received = sink.count() - before
                if received != args.messages:
                    raise SystemExit(f"{which}: the sink got {received} of {args.messages}")
                print(
                    f"round {round_number + 1} {which:>6}: {seconds:6.2f} s, "
                    f"{args.messages / seconds:7.0f} messages/s",
                    flush=True,
                )
    plain = statistics.median(plain_rates)
    outbox = statistics.median(outbox_rates)
    ratio = outbox / plain
    verdict = "ok" if ratio >= args.goal else "MISSED"
    print(f"plain smtplib loop: {plain:.0f} messages/s (median of {args.rounds})")
    print(f"outbox deliver_due: {outbox:.0f} messages/s (median of {args.rounds})")
    print(f"ratio: {ratio:.2f} (goal >= {args.goal:.2f}): {verdict}")
    return 0 if ratio >= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
