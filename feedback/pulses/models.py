"""A pulse: a short re-check of a few statements of a closed cycle, sent to the raters
who answered it (and any the coach adds), with its own deadline.

As for a cycle, who was asked (:class:`PulseInvite`) and what was said
(:class:`PulseResponse`) live apart: a response holds no invite id, address or time,
its id is random, and on SQLite it is stored WITHOUT ROWID, so the order of rows does
not follow the order of answers either. Everything goes with the cycle (and so with the
coachee) it re-checks."""

import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Enum,
    ForeignKey,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coaching.models import Cycle, new_link_key
from ..extensions import db
from ..timeutil import today, utcnow
from ..vocabulary import InviteState


def new_pulse_response_id() -> str:
    """A random id, so ids do not reveal the order of answers."""
    return secrets.token_hex(16)


class Pulse(db.Model):
    """A re-check of one to three statements of a closed cycle (the baseline), plus the
    open question "What has changed?"."""

    __tablename__ = "pulses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The closed cycle whose results are the baseline.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    #: The item keys re-checked, in the order the coach chose them.
    statements: Mapped[list] = mapped_column(JSON)
    #: Last day on which answers are accepted.
    closes_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it closed (by the coach, or by the scheduled round after its deadline);
    #: results show only from then on.
    closed_at: Mapped[datetime | None]

    cycle: Mapped[Cycle] = relationship()

    @property
    def is_open(self) -> bool:
        """Not closed and not past its deadline: raters can answer."""
        return self.closed_at is None and today() <= self.closes_on

    @property
    def is_closed(self) -> bool:
        """Closed for good: its results may be shown."""
        return self.closed_at is not None


class PulseInvite(db.Model):
    """One rater asked to answer a pulse. Knows who; never what they answered."""

    __tablename__ = "pulse_invites"
    __table_args__ = (UniqueConstraint("pulse_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pulse_id: Mapped[int] = mapped_column(ForeignKey("pulses.id", ondelete="CASCADE"), index=True)
    #: boss, peer, subordinate or partner: the group they answered the cycle in, or the
    #: coach's choice for a rater added to the pulse.
    group: Mapped[str] = mapped_column(String(12))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    #: The language of this rater's pulse emails and form: their cycle invite's, else
    #: the cycle's (a rater the coach adds gets the cycle's).
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    #: Asked because they answered the cycle (False: added by the coach). What the
    #: comparison with the baseline needs to know about who answered both.
    from_cycle: Mapped[bool] = mapped_column(default=True)
    state: Mapped[InviteState] = mapped_column(
        Enum(
            InviteState,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=InviteState.PENDING,
    )
    #: What the signed link carries.
    link_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_link_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reminded_at: Mapped[datetime | None]
    #: Answers saved but not submitted (JSON); erased on submit or decline.
    draft: Mapped[str | None] = mapped_column(Text)

    pulse: Mapped[Pulse] = relationship()

    @property
    def display_name(self) -> str:
        """The name when given, else the email address."""
        return self.name or self.email


class PulseResponse(db.Model):
    """One rater's answers to a pulse: their group, scores and what has changed. Never
    who."""

    __tablename__ = "pulse_responses"
    __table_args__ = (
        CheckConstraint("\"group\" IN ('boss', 'peer', 'subordinate', 'partner')", name="group"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_pulse_response_id)
    pulse_id: Mapped[int] = mapped_column(ForeignKey("pulses.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(12))
    #: The answer to "What has changed?" (may be empty).
    changed: Mapped[str] = mapped_column(Text, default="")

    scores: Mapped[list["PulseScore"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class PulseScore(db.Model):
    """A score for one re-checked statement; empty means "Don't know"."""

    __tablename__ = "pulse_scores"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 7", name="score"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(
        ForeignKey("pulse_responses.id", ondelete="CASCADE"), primary_key=True
    )
    item_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[int | None] = mapped_column(SmallInteger)
