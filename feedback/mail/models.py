"""The outbox: messages written in the same transaction as what caused them."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class MessageState(enum.StrEnum):
    """queued → sending → sent | failed | uncertain (sending goes back to queued on a
    retry). ``uncertain``: the message's content went to the server and its answer was
    never recorded (the worker died, or the connection broke after the end of the
    content), so it may have arrived; it is not sent again (see `sender`)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


class OutboxMessage(db.Model):
    """One email waiting to leave, or a record of one that left.

    A message is stored as what it takes to write it, not as its text: a template, a
    few plain parameters and the invite and cycle it is about. The sender renders it,
    signing any link, when it sends (see `outbox`), so the table holds no working link.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is for: portal, invite, reminder, … Chooses how its link is made.
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    #: ``email/<template>.txt`` and ``.html`` are rendered when the message is sent.
    template: Mapped[str] = mapped_column(String(40))
    #: Plain values the template needs beyond the invite and cycle, as they were when
    #: the message was queued (e.g. ``days_left`` of a reminder). Never a link.
    params: Mapped[dict | None] = mapped_column(JSON)
    #: The invite this message is for, so a permanent failure marks it bounced.
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("invites.id", ondelete="CASCADE"), index=True
    )
    #: The cycle this message is about: its mail goes when the cycle is deleted.
    cycle_id: Mapped[int | None] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[MessageState] = mapped_column(
        Enum(
            MessageState,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=MessageState.QUEUED,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: When a queued message is due; while it is being sent, when its claim runs out.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The claim of the worker sending it (random per batch), so that a worker whose
    #: claim was taken over sends and records nothing for it any more.
    claim: Mapped[str | None] = mapped_column(String(32))
    #: Set, in its own commit, just before the end of the content goes to the server;
    #: cleared when the answer is recorded. A message claimed by a worker that died
    #: with this set may have arrived: it becomes ``uncertain``, never sent again.
    handed_at: Mapped[datetime | None]
    #: The server's last reply, never the message body.
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
