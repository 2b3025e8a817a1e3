"""Invites: who was asked for feedback. An invite never points to an answer."""

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coaching.models import Cycle, new_link_key
from ..extensions import db
from ..timeutil import utcnow
from ..vocabulary import InviteState


class Invite(db.Model):
    """One rater nomination. Knows who; the answer is stored apart, without a link back."""

    __tablename__ = "invites"
    __table_args__ = (UniqueConstraint("cycle_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    #: boss, peer, subordinate or partner.
    group: Mapped[str] = mapped_column(String(12))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    #: The language of this rater's emails and form; none: the cycle's.
    language: Mapped[str | None] = mapped_column(String(8))
    state: Mapped[InviteState] = mapped_column(
        Enum(
            InviteState,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=InviteState.PENDING,
    )
    #: What the signed link carries; a new key revokes the old link.
    link_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_link_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_reminded_at: Mapped[datetime | None]
    #: Answers saved but not yet submitted (JSON). Erased on submit or decline, so the
    #: invite never keeps what the rater said once it becomes an anonymous response.
    draft: Mapped[str | None] = mapped_column(Text)
    #: When the coachee or the coach removed a nominee their invitation had reached
    #: (whatever the rater did): the row stays, so the counts per group do not change
    #: and tell nobody whether that rater had answered; the link no longer works.
    removed_at: Mapped[datetime | None]

    cycle: Mapped[Cycle] = relationship()

    @property
    def speaks(self) -> str:
        """The language of this rater's emails and form: their own, else the cycle's."""
        return self.language or self.cycle.language or "en"

    @property
    def display_name(self) -> str:
        """The name when given, else the email address."""
        return self.name or self.email
