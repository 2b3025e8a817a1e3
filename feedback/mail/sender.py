"""Send what the outbox holds: claim, deliver, record. Safe with several workers."""

from collections import Counter
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..raters.models import Invite, InviteState
from ..timeutil import utcnow
from .backoff import MAX_ATTEMPTS, next_attempt_delay
from .message import build_message
from .models import MessageState, OutboxMessage
from .transports import Transport, transport_from_settings

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


def _record(
    message: OutboxMessage, invite: Invite | None, status: str, detail: str, code: int | None
) -> None:
    """Write down what became of one delivery attempt (and what it means for its invite)."""
    now = utcnow()
    message.attempts += 1
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
    # A 5xx (or an address no server would take) is the recipient's problem: the invite
    # bounced. Running out of retries bounces it only when the server kept refusing
    # this message (450, 451, 452); an unreachable or closing server (no code, 421) is
    # ours to fix, not the rater's fault, and leaves the invite pending.
    # Only an invitation that never arrived bounces the invite: when a later reminder
    # bounces, the rater still has the link from the invitation and may answer.
    bounced = status == "failed" or (code is not None and 400 <= code < 500 and code != 421)
    if bounced and invite is not None and invite.state is InviteState.PENDING:
        invite.state = InviteState.BOUNCED


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
        invite_ids = {message.invite_id for message in messages if message.invite_id}
        invites = (
            {
                invite.id: invite
                for invite in db.session.scalars(select(Invite).where(Invite.id.in_(invite_ids)))
            }
            if invite_ids
            else {}
        )
        emails, sendable = [], []
        for message in messages:
            try:
                emails.append(_as_email(message))
                sendable.append(message)
            except ValueError as exc:  # an address no server would take
                _record(message, invites.get(message.invite_id), "failed", str(exc), None)
                counts["failed"] += 1
        results = transport.send_batch(emails) if emails else []
        for message, result in zip(sendable, results, strict=True):
            invite = invites.get(message.invite_id)
            _record(message, invite, str(result.status), result.detail, result.code)
            counts[str(result.status)] += 1
        db.session.commit()
        if len(ids) < batch_size:
            break
    return counts
