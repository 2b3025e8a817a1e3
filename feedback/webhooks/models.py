"""Webhook endpoints a coach registers, and each delivery to them."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class WebhookEndpoint(db.Model):
    """A URL of the coach's own tools that hears about their cycles."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"), index=True)
    #: https, or http to this machine (development).
    url: Mapped[str] = mapped_column(String(2000))
    #: The event types it hears, e.g. ``["cycle.closed"]``.
    events: Mapped[list] = mapped_column(JSON)
    #: The signing secret (``whsec_`` and base64), shown to the coach once; kept,
    #: since every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(db.Model):
    """One event for one endpoint: its body, fixed when the event happened, and what
    became of sending it."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (CheckConstraint("state IN ('pending', 'delivered', 'failed')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    #: ``webhook-id``: the same on every attempt, so a receiver drops repeats.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    #: The JSON body, as signed: ids and counts only, never a rater or an answer.
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    #: When a pending delivery is due; while a worker sends it, when its claim runs out.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The claim of the worker sending it (random per round), so that a worker whose
    #: claim ran out and was taken over records nothing for it any more.
    claim: Mapped[str | None] = mapped_column(String(32))
    #: The receiver's HTTP status of the last attempt (None: no answer).
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
