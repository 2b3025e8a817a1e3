"""Coachees and their feedback cycles."""

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Coach
from ..extensions import db
from ..questionnaires.models import Questionnaire
from ..timeutil import today, utcnow
from ..vocabulary import CycleState, CycleStateError


def new_link_key() -> str:
    """An opaque, unguessable id that a signed link carries instead of a database id."""
    return secrets.token_urlsafe(18)


class Coachee(db.Model):
    """The person receiving feedback. Reaches the service only through the portal link."""

    __tablename__ = "coachees"
    #: One coachee per address for each coach (the address is how the coach's commands
    #: and imports find a coachee again); two coaches may coach the same person.
    __table_args__ = (UniqueConstraint("coach_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"), index=True)
    #: Shown to raters as "{name} asks for your feedback".
    name: Mapped[str] = mapped_column(String(120))
    #: Lower-case (see :func:`feedback.coaching.services.add_coachee`).
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The language of the coachee's portal and emails; none: the coach's.
    language: Mapped[str | None] = mapped_column(String(8))

    coach: Mapped[Coach] = relationship()
    cycles: Mapped[list["Cycle"]] = relationship(
        back_populates="coachee",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Cycle.created_at",
    )

    @property
    def speaks(self) -> str | None:
        """The language the coachee's portal and emails are in: their own setting, else
        their coach's (None when neither is set: English, the source language)."""
        return self.language or self.coach.language

    @property
    def first_name(self) -> str:
        """The first word of the name, for friendly wording in forms."""
        return self.name.split()[0] if self.name.split() else self.name


class Cycle(db.Model):
    """One 360 round for one coachee."""

    __tablename__ = "cycles"
    __table_args__ = (CheckConstraint("min_group_size >= 2", name="min_group_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coachee_id: Mapped[int] = mapped_column(
        ForeignKey("coachees.id", ondelete="CASCADE"), index=True
    )
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    state: Mapped[CycleState] = mapped_column(
        Enum(
            CycleState, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]
        ),
        default=CycleState.OPEN,
    )
    #: Last day on which answers are accepted; the cycle closes after it.
    closes_on: Mapped[date]
    #: The coach's note to the coachee, shown in the portal.
    welcome_note: Mapped[str] = mapped_column(Text, default="")
    #: The language a rater is invited in unless the coachee picks another for them.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    #: A group's figures show only from this many answers.
    min_group_size: Mapped[int] = mapped_column(default=3)
    #: The boss group is shown even alone; boss raters are told so on their form.
    boss_exempt: Mapped[bool] = mapped_column(default=True)
    #: The coachee's nominations wait for the coach's approval before anyone is invited.
    approve_nominations: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The fewest raters the coach asks for, per group (0: no minimum, e.g. a coachee
    #: without subordinates) and in all. They never lower ``min_group_size``.
    min_boss: Mapped[int] = mapped_column(default=0, server_default="0")
    min_peers: Mapped[int] = mapped_column(default=0, server_default="0")
    min_subordinates: Mapped[int] = mapped_column(default=0, server_default="0")
    min_raters: Mapped[int] = mapped_column(default=0, server_default="0")
    #: What the coachee's portal link carries; replacing it revokes old links.
    portal_key: Mapped[str] = mapped_column(String(32), unique=True, default=new_link_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    #: When the coach released the report to the coachee.
    released_at: Mapped[datetime | None]

    coachee: Mapped[Coachee] = relationship(back_populates="cycles")
    questionnaire: Mapped[Questionnaire] = relationship()

    def close(self) -> None:
        """Stop collecting answers; results become visible to the coach."""
        if self.state is not CycleState.OPEN:
            raise CycleStateError(f"a {self.state} cycle cannot be closed")
        self.state = CycleState.CLOSED
        self.closed_at = utcnow()

    def renew_portal_key(self) -> None:
        """A new key for the coachee's portal link: the links sent before stop working."""
        self.portal_key = new_link_key()

    def reopen(self) -> None:
        """Take answers again after a close; results hide until the next close."""
        if self.state is not CycleState.CLOSED:
            raise CycleStateError(f"a {self.state} cycle cannot be reopened")
        self.state = CycleState.OPEN
        self.closed_at = None

    @property
    def is_open(self) -> bool:
        """Open and not past its deadline."""
        return self.state is CycleState.OPEN and today() <= self.closes_on

    @property
    def is_past_deadline(self) -> bool:
        """Open in the database but the deadline has passed: nobody can answer any more,
        and the scheduled job closes it for good on its next round (pages never do)."""
        return self.state is CycleState.OPEN and today() > self.closes_on
