"""Send what the outbox holds: claim, deliver, record. Safe with several workers."""

import logging
from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..timeutil import utcnow
from .backoff import MAX_ATTEMPTS, next_attempt_delay
from .message import build_message
from .models import MessageState, OutboxMessage
from .outbox import contexts_of, render
from .signals import Outcome, outcomes_recorded
from .transports import Transport, transport_from_settings

log = logging.getLogger(__name__)

#: A claimed message that is still "sending" after this long is claimed again.
CLAIM_LEASE = timedelta(minutes=10)
#: Messages claimed, sent over one connection and recorded together.
DEFAULT_BATCH = 200


def current_transport() -> Transport:
    """The transport the settings choose (file or smtp)."""
    return transport_from_settings(current_app.config, current_app.instance_path)


def _claim(limit: int) -> list[int]:
    """Mark up to ``limit`` due messages as ours and commit, so no other worker sends them.

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` locks due rows no other worker
    holds, then they are updated in the same transaction. (Not one ``UPDATE … WHERE id
    IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``: the planner may run that subquery
    once per row and claim far more than ``n``.) SQLite: one ``UPDATE … WHERE id IN
    (SELECT … LIMIT n)``, which runs under SQLite's single write lock, so a worker that
    loses a race takes the next due messages instead of none. Either way the conditions
    are checked again on the rows updated, and two workers never claim one message.
    """
    now = utcnow()
    claimable = (
        OutboxMessage.state.in_([MessageState.QUEUED, MessageState.SENDING]),
        OutboxMessage.next_attempt_at <= now,
    )
    due = select(OutboxMessage.id).where(*claimable).order_by(OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            db.session.rollback()
            return []
        chosen = OutboxMessage.id.in_(ids)
    else:
        chosen = OutboxMessage.id.in_(due.scalar_subquery())
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(chosen, *claimable)
        .values(state=MessageState.SENDING, next_attempt_at=now + CLAIM_LEASE)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _reply_to_name(message: OutboxMessage, context: dict) -> str | None:
    """The name the context gives for the Reply-To address (the coach's, when replies
    go to the coach), so the recipient sees who will read their answer."""
    names = context.get("reply_to_names") or {}
    return names.get((message.reply_to or "").lower())


def _as_email(
    message: OutboxMessage, text: str, html: str | None, reply_to_name: str | None = None
) -> EmailMessage:
    sender_name, sender = parseaddr(current_app.config["MAIL_FROM"])
    domain = sender.rpartition("@")[2] or "mirror360.local"
    return build_message(
        sender=sender,
        sender_name=sender_name or None,
        # The same Message-ID on every attempt, so a receiver can drop a duplicate.
        message_id=f"<outbox-{message.id}.{message.created_at:%Y%m%d%H%M%S}@{domain}>",
        to=message.to_address,
        to_name=message.to_name or None,
        subject=message.subject,
        text=text,
        html=html,
        reply_to=message.reply_to,
        reply_to_name=reply_to_name,
    )


def _record(message: OutboxMessage, status: str, detail: str, code: int | None) -> Outcome:
    """Write down what became of one delivery attempt; return it as an Outcome."""
    now = utcnow()
    message.attempts += 1
    if status == "sent":
        message.state = MessageState.SENT
        message.sent_at = now
        message.last_error = None
        return _outcome(message, "sent")
    message.last_error = detail[:500]
    if status == "retry" and message.attempts < MAX_ATTEMPTS:
        message.state = MessageState.QUEUED
        message.next_attempt_at = now + timedelta(seconds=next_attempt_delay(message.attempts))
        return _outcome(message, "retry")
    message.state = MessageState.FAILED
    # A 5xx (or an address no server would take) is the recipient's problem. Running out
    # of retries is too only when the server kept refusing this message (450, 451,
    # 452); an unreachable or closing server (no code, 421) is ours to fix.
    refused = status == "failed" or (code is not None and 400 <= code < 500 and code != 421)
    return _outcome(message, "failed", refused_recipient=refused)


def _outcome(message: OutboxMessage, status: str, *, refused_recipient: bool = False) -> Outcome:
    return Outcome(
        message_id=message.id,
        kind=message.kind,
        invite_id=message.invite_id,
        cycle_id=message.cycle_id,
        status=status,
        refused_recipient=refused_recipient,
    )


def deliver_due(transport: Transport | None = None, *, batch_size: int = DEFAULT_BATCH) -> Counter:
    """Send every message that is due once, in batches; return counts by outcome
    (``sent``, ``retry``, ``failed``).

    Each batch is claimed and committed before anything is sent, then sent over one
    connection, then its outcomes are committed, so it is safe to run in several
    processes at once: a message is handed to the transport by one of them only.
    Commits the session (call it after the caller's own commit).
    """
    transport = transport or current_transport()
    counts: Counter = Counter()
    while ids := _claim(batch_size):
        messages = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
            )
        )
        contexts = contexts_of(messages)
        outcomes: list[Outcome] = []
        emails, sendable = [], []
        for message in messages:
            context = contexts.get(message.id, {})
            try:
                bodies = render(message, context)
            except Exception as exc:  # one message must not hold up the whole batch
                # A template or link maker this code does not have (a newer worker may),
                # or a bug: logged, tried again later, never counted against the rater.
                log.exception("could not render outbox message %s (%s)", message.id, message.kind)
                outcomes.append(_record(message, "retry", f"not rendered: {exc!r}", None))
                continue
            try:
                emails.append(_as_email(message, *bodies, _reply_to_name(message, context)))
                sendable.append(message)
            except ValueError as exc:  # an address no server would take
                outcomes.append(_record(message, "failed", str(exc), None))
        results = transport.send_batch(emails) if emails else []
        for message, result in zip(sendable, results, strict=True):
            outcomes.append(_record(message, str(result.status), result.detail, result.code))
        counts.update(outcome.status for outcome in outcomes)
        outcomes_recorded.send(current_app._get_current_object(), outcomes=outcomes)
        db.session.commit()
        if len(ids) < batch_size:
            break
    return counts
