"""Predictions (what the coachee expects each group to say) and development goals."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..coaching.models import Cycle
from ..extensions import db
from ..timeutil import utcnow

#: Who wrote a goal.
AUTHORS = ("coach", "coachee")


class Prediction(db.Model):
    """The coachee's guess, before seeing any result, of how one group will rate them
    on one competency (the group's mean on the cycle's scale, in steps of a half)."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "competency_key", "group"),
        CheckConstraint("score >= 1 AND score <= 7 AND score * 2 = ROUND(score * 2)", name="score"),
        CheckConstraint("\"group\" IN ('boss', 'peer', 'subordinate', 'partner')", name="group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    #: The competency's key in the cycle's questionnaire.
    competency_key: Mapped[str] = mapped_column(String(40))
    #: boss, peer, subordinate or partner.
    group: Mapped[str] = mapped_column(String(12))
    #: The expected mean, 1 to the top of the scale in steps of a half (3.5: between 3 and 4).
    score: Mapped[float] = mapped_column(Float)

    cycle: Mapped[Cycle] = relationship()


class Goal(db.Model):
    """One goal of the development plan agreed after a cycle's debrief, tied to a rated
    statement, so that the next cycle can show how others' view of it changed."""

    __tablename__ = "goals"
    __table_args__ = (CheckConstraint("author IN ('coach', 'coachee')", name="author"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The cycle whose results the goal answers.
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    #: The statement the goal is about (an item key of the cycle's questionnaire).
    item_key: Mapped[str] = mapped_column(String(40))
    #: What the coachee will do, in their words.
    goal: Mapped[str] = mapped_column(Text)
    #: How coach and coachee will know the goal is reached: what others will notice.
    success_criteria: Mapped[str] = mapped_column(Text)
    #: When coach and coachee look at it again.
    review_on: Mapped[date]
    #: "coach" or "coachee".
    author: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[Cycle] = relationship()
