"""Send what the outbox holds: claim, deliver, record each outcome as it comes.

Safe with several workers, and against a worker (or its database connection) that
goes away at any moment:

1. **Claim.** A batch of due messages is marked ``sending`` with a random ``claim``
   and a short lease (``CLAIM_LEASE``) and committed before anything is sent, so two
   workers never hold one message.
2. **Hand over.** Just before the end of a message's content goes to the server (the
   final "." of SMTP's DATA, the rename of an ``.eml`` file), one commit records the
   outcomes heard since the last commit, renews the batch's lease when
   ``RENEW_EVERY`` has passed (the heartbeat), and marks this message ``handed_at`` —
   only while the claim is still the batch's. When that commit fails (the database is
   away) or the claim was taken over, the message is held back: the server never gets
   its end, so it never has it, and the batch stops; what was not sent is put back
   in the queue.
3. **Record.** Each outcome is recorded with that next commit (or at the end of the
   batch), with :data:`.signals.outcomes_recorded` sent for it, so a crash leaves at
   most the message in flight unrecorded. A worker that knows outcomes keeps trying to
   record them while the database is away (``RECORD_PATIENCE``).
4. **After a crash.** When the lease of a message runs out: a message never handed
   over is claimed and sent again; a message handed over without a recorded outcome
   may have arrived, so it becomes ``uncertain`` and is **not** sent again (at most
   once), and the domains hear ``uncertain``. The same holds for a connection that
   broke after the end of the content, with no answer (`DeliveryResult.maybe_delivered`).

Because the mark is committed after the content and before its final ".", a message
that was marked but never reached the server is one whose worker died within that one
write; a message that reached the server is always marked first. Every attempt of a
message carries the same Message-ID, so a receiver can drop a copy all the same.
"""

import functools
import inspect
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..database import claim_rows
from ..extensions import db
from ..timeutil import utcnow
from .backoff import MAX_ATTEMPTS, next_attempt_delay
from .message import build_message, normalize_address
from .models import MessageState, OutboxMessage
from .outbox import contexts_of, render
from .signals import Outcome, outcomes_recorded
from .transports import DeliveryResult, DeliveryStatus, Transport, transport_from_settings

log = logging.getLogger(__name__)

#: A claimed message whose lease has run out is claimed again (or, when it was handed
#: to the server, marked uncertain). A live worker renews its lease every RENEW_EVERY.
CLAIM_LEASE = timedelta(seconds=30)
#: How often a worker renews the lease of the batch it is sending (between messages).
RENEW_EVERY = timedelta(seconds=10)
#: Messages claimed and sent over one connection.
DEFAULT_BATCH = 200
#: Seconds a worker keeps trying to record outcomes it knows while the database is away.
RECORD_PATIENCE = 60.0

_SETTLED_NOTE = (
    "uncertain: handed to the server at {at:%Y-%m-%d %H:%M:%S} UTC by a worker that "
    "stopped before its answer was recorded; not sent again, it most likely arrived"
)


def current_transport() -> Transport:
    """The transport the settings choose (file or smtp)."""
    return transport_from_settings(current_app.config, current_app.instance_path)


def _claimable(now: datetime) -> tuple:
    """Due and never handed over: queued, or claimed by a worker whose lease ran out."""
    return (
        OutboxMessage.state.in_([MessageState.QUEUED, MessageState.SENDING]),
        OutboxMessage.handed_at.is_(None),
        OutboxMessage.next_attempt_at <= now,
    )


def _claim(limit: int, claim: str) -> list[int]:
    """Mark up to ``limit`` due messages as ours (``claim``) and commit, so no other
    worker sends them (:func:`feedback.database.claim_rows`)."""
    now = utcnow()
    return claim_rows(
        OutboxMessage,
        _claimable(now),
        limit=limit,
        values={
            "state": MessageState.SENDING,
            "claim": claim,
            "next_attempt_at": now + CLAIM_LEASE,
        },
    )


def settle_abandoned() -> Counter:
    """Mark ``uncertain`` every message that a worker handed to the server and whose
    lease then ran out without an outcome (the worker died, or lost its database for
    longer than the lease): it may have arrived, so it is not sent again. The domains
    hear it (status ``uncertain``); commits. Returns ``Counter(uncertain=n)``."""
    now = utcnow()
    rows = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.state == MessageState.SENDING,
            OutboxMessage.handed_at.is_not(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(state=MessageState.UNCERTAIN, attempts=OutboxMessage.attempts + 1)
        .returning(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.invite_id,
            OutboxMessage.cycle_id,
            OutboxMessage.handed_at,
        )
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return Counter()
    for row in rows:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id)
            .values(last_error=_SETTLED_NOTE.format(at=row.handed_at))
            .execution_options(synchronize_session=False)
        )
    log.warning(
        "%d outbox message(s) were handed to the server by a worker that stopped before "
        "hearing back; marked uncertain, not sent again: %s",
        len(rows),
        ", ".join(str(row.id) for row in rows),
    )
    outcomes = [
        Outcome(
            message_id=row.id,
            kind=row.kind,
            invite_id=row.invite_id,
            cycle_id=row.cycle_id,
            status="uncertain",
        )
        for row in rows
    ]
    outcomes_recorded.send(current_app._get_current_object(), outcomes=outcomes)
    db.session.commit()
    return Counter(uncertain=len(rows))


def _reply_to_name(message: OutboxMessage, context: dict) -> str | None:
    """The name the context gives for the Reply-To address (the coach's, when replies
    go to the coach), so the recipient sees who will read their answer."""
    names = context.get("reply_to_names") or {}
    return names.get((message.reply_to or "").lower())


def _as_email(
    message: OutboxMessage,
    text: str,
    html: str | None,
    reply_to_name: str | None = None,
    mail_from: tuple[str, str] | None = None,
) -> EmailMessage:
    """The message to send; ``mail_from``: MAIL_FROM as (name, address), read once for
    a batch (by default from the settings)."""
    sender_name, sender = mail_from or parseaddr(current_app.config["MAIL_FROM"])
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


def _check_addresses(message: OutboxMessage, mail_from: tuple[str, str]) -> None:
    """Raise ValueError, as building the message would, when one of its addresses is
    one no server would take (checked before anything is sent)."""
    normalize_address(mail_from[1])
    normalize_address(message.to_address)
    if message.reply_to:
        normalize_address(message.reply_to)


class _BuiltWhenTaken(Sequence[EmailMessage]):
    """A batch's messages, each built (`_as_email`) only when the transport takes it.

    Built up front, a batch's two hundred messages, each a tree of a few thousand
    header and MIME objects, lived together until the batch ended: the garbage
    collector's full passes, which walk every object of the process, ran again and
    again over them (bench/README.md, "Issue 21, second session"). Built one at a time,
    each message is freed once sent, as a plain sending loop's is. The last one built is
    kept, so asking for the same message again (after a reconnect) gives the same one.
    """

    def __init__(self, builders: list[Callable[[], EmailMessage]]) -> None:
        self._builders = builders
        self._last: tuple[int, EmailMessage] | None = None

    def __len__(self) -> int:
        return len(self._builders)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return _BuiltWhenTaken(self._builders[index])
        index = range(len(self._builders))[index]  # negative indexes, IndexError
        if self._last is None or self._last[0] != index:
            self._last = (index, self._build(index))
        return self._last[1]

    def _build(self, index: int) -> EmailMessage:
        try:
            return self._builders[index]()
        except ValueError:  # checked before (`_check_addresses`): a bug, not an address
            log.exception("could not build outbox message %d of its batch", index)
            return EmailMessage()  # no addresses: every transport answers it "failed"


@dataclass(frozen=True, slots=True)
class _Claimed:
    """What the sender needs of a claimed message once its row has been committed."""

    id: int
    kind: str
    invite_id: int | None
    cycle_id: int | None
    attempts: int

    @classmethod
    def of(cls, message: OutboxMessage) -> "_Claimed":
        return cls(message.id, message.kind, message.invite_id, message.cycle_id, message.attempts)


def _outcome_values(
    message: _Claimed, result: DeliveryResult, now: datetime
) -> tuple[dict[str, Any], Outcome]:
    """The row's new values for one attempt's ``result``, and the Outcome the domains
    hear. Absolute values (never ``attempts + 1`` in SQL), so that recording the same
    result again after a commit whose answer was lost changes nothing."""
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": result.detail[:500]}
    refused = False
    if result.status is DeliveryStatus.SENT:
        status = "sent"
        values.update(state=MessageState.SENT, sent_at=now, last_error=None, handed_at=None)
    elif result.maybe_delivered:
        # The content went out and no answer came: it may have arrived. At most once.
        status = "uncertain"
        values.update(
            state=MessageState.UNCERTAIN,
            last_error=f"uncertain: {result.detail}; not sent again"[:500],
        )
    elif result.status is DeliveryStatus.RETRY and attempts < MAX_ATTEMPTS:
        status = "retry"
        delay = timedelta(seconds=next_attempt_delay(attempts))
        values.update(state=MessageState.QUEUED, next_attempt_at=now + delay, handed_at=None)
    else:
        status = "failed"
        values.update(state=MessageState.FAILED, handed_at=None)
        # A 5xx (or an address no server would take) is the recipient's problem. Running
        # out of retries is too only when the server kept refusing this message (450,
        # 451, 452); an unreachable or closing server (no code, 421) is ours to fix.
        code = result.code
        refused = result.status is DeliveryStatus.FAILED or (
            code is not None and 400 <= code < 500 and code != 421
        )
    outcome = Outcome(
        message_id=message.id,
        kind=message.kind,
        invite_id=message.invite_id,
        cycle_id=message.cycle_id,
        status=status,
        refused_recipient=refused,
    )
    return values, outcome


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # a connection that is gone; the next use gets a new one
        log.debug("rollback failed", exc_info=True)


@functools.lru_cache(maxsize=64)
def _row_update(columns: tuple[str, ...], states: tuple[MessageState, ...]) -> Update:
    """``UPDATE outbox_messages SET <columns> WHERE id, claim and state are as given``,
    with bound parameters (``new_<column>``, ``row_id``, ``row_claim``): built once for
    each set of columns, so the sender's two statements a message are not built and
    looked up in SQLAlchemy's cache again and again."""
    table = OutboxMessage.__table__
    return (
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            table.c.claim == bindparam("row_claim"),
            table.c.state.in_(states),
        )
        .values({name: bindparam(f"new_{name}") for name in columns})
    )


@dataclass
class _Batch:
    """One claimed batch while it is sent: the transport's `DeliveryObserver`.

    ``sendable[i]`` is the message of the transport's message ``i``. Outcomes wait in
    ``pending`` until the next commit (the next hand-over, or the end of the batch).
    """

    app: Flask
    claim: str
    sendable: list[_Claimed] = field(default_factory=list)
    pending: list[tuple[_Claimed, DeliveryResult]] = field(default_factory=list)
    unsent: list[_Claimed] = field(default_factory=list)
    held_back_at: int | None = None
    renewed: float = field(default_factory=time.monotonic)
    counts: Counter = field(default_factory=Counter)

    # -- DeliveryObserver
    def handing(self, index: int) -> bool:
        """Record what is pending and mark message ``index`` handed over, in one commit;
        whether it may go (False: the database is away, or the claim is no longer ours)."""
        for attempt in (1, 2):  # a connection the database dropped: once more, on a new one
            try:
                if self._commit(hand=self.sendable[index]):
                    return True
                log.warning(
                    "outbox message %s is no longer claimed by this worker; held back",
                    self.sendable[index].id,
                )
                break
            except SQLAlchemyError as error:
                _rollback()
                log.warning(
                    "could not mark outbox message %s handed over (attempt %d): %s",
                    self.sendable[index].id,
                    attempt,
                    type(error).__name__,
                )
        self.held_back_at = index
        return False

    def answered(self, index: int, result: DeliveryResult) -> None:
        """Keep ``result`` for the next commit; a message held back (or not attempted
        after one was) goes back to the queue as it was, with no attempt counted."""
        if self.held_back_at is not None and index >= self.held_back_at:
            self.unsent.append(self.sendable[index])
        else:
            self.pending.append((self.sendable[index], result))

    # -- recording
    def _commit(self, hand: _Claimed | None = None) -> bool:
        """One transaction: the pending outcomes (and their signal), the lease when it is
        time, the messages to put back, and the hand-over of ``hand``. Commits; returns
        whether ``hand`` (if any) is still ours and now marked."""
        now = utcnow()
        outcomes: list[Outcome] = []
        for message, result in self.pending:
            values, outcome = _outcome_values(message, result, now)
            if self._update(message, values, MessageState.SENDING, MessageState.UNCERTAIN):
                outcomes.append(outcome)
        renew = time.monotonic() - self.renewed >= RENEW_EVERY.total_seconds()
        if renew:
            db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.claim == self.claim,
                    OutboxMessage.state == MessageState.SENDING,
                )
                .values(next_attempt_at=now + CLAIM_LEASE)
                .execution_options(synchronize_session=False)
            )
        for message in self.unsent:
            back = {"state": MessageState.QUEUED, "next_attempt_at": now, "handed_at": None}
            self._update(message, {**back, "claim": None}, MessageState.SENDING)
        ours = True
        if hand is not None:
            ours = self._update(
                hand, {"handed_at": now, "next_attempt_at": now + CLAIM_LEASE}, MessageState.SENDING
            )
        if outcomes:
            outcomes_recorded.send(self.app, outcomes=outcomes)
        db.session.commit()
        if renew:
            self.renewed = time.monotonic()
        self.counts.update(outcome.status for outcome in outcomes)
        self.pending.clear()
        self.unsent.clear()
        return ours

    def _update(self, message: _Claimed, values: dict[str, Any], *states: MessageState) -> bool:
        """Update ``message``'s row while this batch's claim holds it in one of
        ``states``; whether it did."""
        # On the session's connection, without the ORM's bulk-update machinery: this
        # runs twice a message, and the rows in the session are expired at the end.
        statement = _row_update(tuple(values), states)
        parameters = {f"new_{name}": value for name, value in values.items()}
        result = db.session.connection().execute(
            statement, {**parameters, "row_id": message.id, "row_claim": self.claim}
        )
        return result.rowcount == 1

    def finish(self) -> None:
        """Record every outcome still pending and put back what was not sent, trying
        for up to RECORD_PATIENCE seconds while the database is away; raises the
        database's error after that (the leases then decide, as after a crash)."""
        deadline = time.monotonic() + RECORD_PATIENCE
        delay = 0.25
        while self.pending or self.unsent:
            try:
                self._commit()
            except SQLAlchemyError as error:
                _rollback()
                if time.monotonic() + delay > deadline:
                    raise
                log.warning(
                    "could not record %d mail outcome(s) yet (%s); trying again in %.2g s",
                    len(self.pending) + len(self.unsent),
                    type(error).__name__,
                    delay,
                )
                time.sleep(delay)
                delay = min(delay * 2, 5.0)


def _observes(transport: Transport) -> bool:
    """Whether the transport's ``send_batch`` takes an observer."""
    try:
        return "observer" in inspect.signature(transport.send_batch).parameters
    except (TypeError, ValueError):
        return False


def _send(transport: Transport, emails: Sequence[EmailMessage], batch: _Batch) -> None:
    """Send ``emails`` through ``transport``, telling ``batch`` as it goes. A transport
    that takes no observer gets its messages after each was marked handed over."""
    if _observes(transport):
        transport.send_batch(emails, observer=batch)
        return
    count = 0
    while count < len(emails) and batch.handing(count):
        count += 1
    results = transport.send_batch(emails[:count]) if count else []
    for index, result in enumerate(results):
        batch.answered(index, result)
    for index in range(count, len(emails)):
        batch.answered(index, DeliveryResult(DeliveryStatus.RETRY, "held back"))


def deliver_due(transport: Transport | None = None, *, batch_size: int = DEFAULT_BATCH) -> Counter:
    """Send every message that is due once, in batches; return counts by outcome
    (``sent``, ``retry``, ``failed``, ``uncertain``).

    First marks ``uncertain`` what dead workers had handed over (`settle_abandoned`).
    Each batch is claimed and committed before anything is sent, then sent over one
    connection, each outcome committed as soon as it is known (see the module
    docstring), so it is safe to run in several processes at once and a crash loses at
    most the message in flight. Commits the session (call it after the caller's own
    commit).
    """
    transport = transport or current_transport()
    app = current_app._get_current_object()
    counts: Counter = settle_abandoned()
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    mail_from = (name, address)
    while True:
        claim = secrets.token_hex(16)
        ids = _claim(batch_size, claim)
        if not ids:
            break
        messages = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
            )
        )
        contexts = contexts_of(messages)
        batch = _Batch(app, claim)
        builders: list[Callable[[], EmailMessage]] = []
        for message in messages:
            claimed = _Claimed.of(message)
            context = contexts.get(message.id, {})
            try:
                bodies = render(message, context)
            except Exception as exc:  # one message must not hold up the whole batch
                # A template or link maker this code does not have (a newer worker may),
                # or a bug: logged, tried again later, never counted against the rater.
                log.exception("could not render outbox message %s (%s)", message.id, message.kind)
                not_rendered = DeliveryResult(DeliveryStatus.RETRY, f"not rendered: {exc!r}")
                batch.pending.append((claimed, not_rendered))
                continue
            try:
                _check_addresses(message, mail_from)
            except ValueError as exc:  # an address no server would take
                batch.pending.append((claimed, DeliveryResult(DeliveryStatus.FAILED, str(exc))))
                continue
            reply_to_name = _reply_to_name(message, context)
            builders.append(
                functools.partial(_as_email, message, *bodies, reply_to_name, mail_from)
            )
            batch.sendable.append(claimed)
        emails = _BuiltWhenTaken(builders)
        # The batch commits once a message: expiring every loaded row (the batch and
        # what it is about) at each commit would cost the square of the batch. The rows
        # are written with UPDATE statements, so they are expired once, at the end.
        session = db.session()
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            if emails:
                _send(transport, emails, batch)
        finally:
            try:
                # Even when the transport broke its promise and raised: what is known
                # is kept.
                batch.finish()
            finally:
                session.expire_on_commit = expire_on_commit
                session.expire_all()
            counts.update(batch.counts)
        if len(ids) < batch_size:
            break
    return counts
