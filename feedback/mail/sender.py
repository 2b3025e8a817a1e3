"""Send what the outbox holds: claim, deliver, record. Safe with several workers."""

from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..raters.models import ANSWERABLE, Invite, InviteState
from ..timeutil import utcnow
from .backoff import MAX_ATTEMPTS, next_attempt_delay
from .message import build_message
from .models import MessageState, OutboxMessage
from .transports import Transport, transport_from_settings

#: A claimed message that is still "sending" after this long is claimed again.
CLAIM_LEASE = timedelta(minutes=10)


def current_transport() -> Transport:
    """The transport the settings choose (file or smtp)."""
    return transport_from_settings(current_app.config, current_app.instance_path)


def _claim(limit: int) -> list[int]:
    """Mark up to ``limit`` due messages as ours and commit, so no other worker sends them."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            or_(
                OutboxMessage.state == MessageState.QUEUED,
                OutboxMessage.state == MessageState.SENDING,
            ),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(due))
    if not ids:
        db.session.rollback()
        return []
    # The conditional update is the claim: a row another worker took in between
    # no longer matches, and is not returned.
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.state.in_([MessageState.QUEUED, MessageState.SENDING]),
        )
        .values(state=MessageState.SENDING, next_attempt_at=now + CLAIM_LEASE)
        .returning(OutboxMessage.id)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _as_email(message: OutboxMessage) -> EmailMessage:
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
        text=message.text_body,
        html=message.html_body,
        reply_to=message.reply_to,
    )


def _record(message: OutboxMessage, status: str, detail: str) -> None:
    now = utcnow()
    message.attempts += 1
    invite = db.session.get(Invite, message.invite_id) if message.invite_id else None
    if status == "sent":
        message.state = MessageState.SENT
        message.sent_at = now
        message.last_error = None
        if invite is not None and invite.state is InviteState.PENDING:
            invite.state = InviteState.SENT
            invite.sent_at = now
        return
    message.last_error = detail[:500]
    if status == "retry" and message.attempts < MAX_ATTEMPTS:
        message.state = MessageState.QUEUED
        message.next_attempt_at = now + timedelta(seconds=next_attempt_delay(message.attempts))
        return
    message.state = MessageState.FAILED
    if invite is not None and invite.state in ANSWERABLE:
        invite.state = InviteState.BOUNCED


def deliver_due(transport: Transport | None = None, *, batch_size: int = 100) -> Counter:
    """Send every message that is due once, in batches; return counts by outcome
    (``sent``, ``retry``, ``failed``)."""
    transport = transport or current_transport()
    counts: Counter = Counter()
    while ids := _claim(batch_size):
        messages = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
            )
        )
        emails, sendable = [], []
        for message in messages:
            try:
                emails.append(_as_email(message))
                sendable.append(message)
            except ValueError as exc:  # an address no server would take
                _record(message, "failed", str(exc))
                counts["failed"] += 1
        results = transport.send_batch(emails) if emails else []
        for message, result in zip(sendable, results, strict=True):
            _record(message, str(result.status), result.detail)
            counts[str(result.status)] += 1
        db.session.commit()
        if len(ids) < batch_size:
            break
    return counts
