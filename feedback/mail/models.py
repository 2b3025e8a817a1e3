"""The outbox: messages written in the same transaction as what caused them."""

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class MessageState(enum.StrEnum):
    """queued → sending → sent | failed (sending goes back to queued on a retry)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    """One email waiting to leave, or a record of one that left."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the message is for: portal, invite, reminder, … (for counts and tests).
    kind: Mapped[str] = mapped_column(String(30))
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    reply_to: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    #: The invite this message is for, so a permanent failure marks it bounced.
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("invites.id", ondelete="CASCADE"), index=True
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
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The server's last reply, never the message body.
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class CycleNote(db.Model):
    """A note that goes at most once per cycle (to the coach: every group has enough
    answers; the cycle closed). The unique key makes "queue it once" hold even when
    several workers look at the same cycle at the same moment."""

    __tablename__ = "cycle_notes"
    __table_args__ = (UniqueConstraint("cycle_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    #: groups_ready or cycle_closed.
    kind: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
