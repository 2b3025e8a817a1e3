"""A coachee's journey through the method's six stages: the coach's changes to the
questions, homework, answers, private session notes and first steps.

Every row belongs to one coachee and goes with them (``ondelete="CASCADE"``). The
stages and their shipped questions are not stored: they are ``stages.toml``."""

from datetime import date, datetime
from typing import Self

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import owned_row
from ..extensions import db
from ..plans.models import Goal
from ..timeutil import utcnow

#: The states of a first step, in the order a step goes through them.
STEP_STATUSES = ("planned", "doing", "done")
#: Stage three's lists: aspects of work to keep, aspects to change, what stands in the
#: way (each the key of the method's question it answers).
ASPECT_KINDS = ("keep", "change", "in_the_way")


class CoacheeRow:
    """An id and the coachee the row belongs to (indexed; the row goes with them):
    what every row of the journey but the two keyed by coachee alone begins with."""

    # sort_order keeps them the first columns, as the migrations create them.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    coachee_id: Mapped[int] = mapped_column(
        ForeignKey("coachees.id", ondelete="CASCADE"), index=True, sort_order=-1
    )

    @classmethod
    def of(cls, coachee_id: int, row_id: int, what: str) -> Self:
        """The row ``row_id`` when it is the coachee's; NotFound (``"no {what} {id}"``)
        for another's or none, so another coachee's rows look like rows that do not
        exist."""
        return owned_row(cls, row_id, lambda row: row.coachee_id == coachee_id, what)


class OwnQuestion(CoacheeRow, db.Model):
    """A question the coach added to one stage for one coachee."""

    __tablename__ = "journey_own_questions"

    stage_key: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def key(self) -> str:
        """How answers and hidden questions refer to it."""
        return f"own-{self.id}"


class HiddenQuestion(db.Model):
    """A question (shipped or the coach's own) the coach does not ask this coachee."""

    __tablename__ = "journey_hidden_questions"

    coachee_id: Mapped[int] = mapped_column(
        ForeignKey("coachees.id", ondelete="CASCADE"), primary_key=True
    )
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)


class Homework(CoacheeRow, db.Model):
    """A stage the coach opened for the coachee to answer in the portal before the
    next session."""

    __tablename__ = "journey_homework"
    __table_args__ = (UniqueConstraint("coachee_id", "stage_key"),)

    stage_key: Mapped[str] = mapped_column(String(20))
    #: The coach's note to the coachee about this homework.
    note: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the coachee submitted their answers; None while they are drafts.
    submitted_at: Mapped[datetime | None]


class JourneyAnswer(CoacheeRow, db.Model):
    """The coachee's answer to one question, or their reflection on one finding of the
    released 360 (``question_key`` ``reflect-…``): a draft until the stage's homework
    is submitted."""

    __tablename__ = "journey_answers"
    __table_args__ = (UniqueConstraint("coachee_id", "question_key"),)

    stage_key: Mapped[str] = mapped_column(String(20))
    question_key: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SessionNote(CoacheeRow, db.Model):
    """The coach's private notes of one session. Never shown in the portal."""

    __tablename__ = "journey_session_notes"

    held_on: Mapped[date]
    discussed: Mapped[str] = mapped_column(Text)
    agreed: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FirstStep(CoacheeRow, db.Model):
    """One of the first steps of stage six, with its due date and status."""

    __tablename__ = "journey_first_steps"
    __table_args__ = (CheckConstraint("status IN ('planned', 'doing', 'done')", name="status"),)

    step: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="planned")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Option(CoacheeRow, db.Model):
    """A realistic opportunity the coachee is weighing (stages four and five)."""

    __tablename__ = "journey_options"

    name: Mapped[str] = mapped_column(String(200))
    #: What the coachee learnt about it.
    learnt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Criterion(CoacheeRow, db.Model):
    """A criterion of the decision, with how much it weighs (1 to 5)."""

    __tablename__ = "journey_criteria"
    __table_args__ = (CheckConstraint("weight >= 1 AND weight <= 5", name="weight"),)

    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptionScore(db.Model):
    """How well one option meets one criterion, 1 (poorly) to 5 (fully)."""

    __tablename__ = "journey_option_scores"
    __table_args__ = (CheckConstraint("score >= 1 AND score <= 5", name="score"),)

    option_id: Mapped[int] = mapped_column(
        ForeignKey("journey_options.id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("journey_criteria.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int]


class SuccessCriterion(CoacheeRow, db.Model):
    """How the coachee will know they made the right decision, and when to look back;
    on that date both are emailed, and the coachee's look back is kept beside it."""

    __tablename__ = "journey_success_criteria"

    criterion: Mapped[str] = mapped_column(String(500))
    review_on: Mapped[date] = mapped_column(index=True)
    #: When the scheduled round emailed coach and coachee to look back (once).
    reminded_at: Mapped[datetime | None]
    #: The coachee's answer on looking back.
    look_back: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedSummary(db.Model):
    """The coach has shared the printable journey summary in the coachee's portal."""

    __tablename__ = "journey_shared_summaries"

    coachee_id: Mapped[int] = mapped_column(
        ForeignKey("coachees.id", ondelete="CASCADE"), primary_key=True
    )
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillGap(CoacheeRow, db.Model):
    """A skill that stands between the coachee and their dream job (stage three), how
    they plan to tackle it, and the development plan's goal it belongs to, if any."""

    __tablename__ = "journey_skill_gaps"

    gap: Mapped[str] = mapped_column(String(300))
    plan: Mapped[str] = mapped_column(Text, default="")
    #: The development plan's goal that tackles it; the link goes if the goal does.
    goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("goals.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    goal: Mapped[Goal | None] = relationship()


class Aspect(CoacheeRow, db.Model):
    """One entry of stage three's lists: an aspect of work to keep, one to change, or
    something that stands in the way of the dream job."""

    __tablename__ = "journey_aspects"
    __table_args__ = (CheckConstraint("kind IN ('keep', 'change', 'in_the_way')", name="kind"),)

    #: keep, change or in_the_way.
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
