"""Responses: what was said. A response never says who said it.

The tables below hold no invite id, email, IP address or time, their ids are random, and
on SQLite they are stored WITHOUT ROWID so that the physical order of rows does not
follow the order of submission either.
"""

import secrets

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


def new_response_id() -> str:
    """A random id, so ids do not reveal the order of submission."""
    return secrets.token_hex(16)


class Response(db.Model):
    """One answer set from the coachee (group ``self``) or from a rater."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(
            "\"group\" IN ('self', 'boss', 'peer', 'subordinate', 'partner')", name="group"
        ),
        # At most one self-assessment per cycle.
        Index(
            "uq_responses_self_per_cycle",
            "cycle_id",
            unique=True,
            sqlite_where=text("\"group\" = 'self'"),
            postgresql_where=text("\"group\" = 'self'"),
        ),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_response_id)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    group: Mapped[str] = mapped_column(String(12))
    #: Only the self-assessment has a draft stage; raters' drafts stay on their invite.
    submitted: Mapped[bool] = mapped_column(default=True)
    #: A rater's answers wait here until a close lets them into the results: at once on
    #: the first close, after a reopen only when they cannot single anyone out
    #: (docs/analysis.md "Across time"). The coachee's own are never held.
    held: Mapped[bool] = mapped_column(default=False, server_default=false())

    ratings: Mapped[list["Rating"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    answers: Mapped[list["OpenAnswer"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class Rating(db.Model):
    """A score for one item; empty score means "Don't know"."""

    __tablename__ = "ratings"
    __table_args__ = (
        # The largest scale a questionnaire may have; the form checks the cycle's own.
        CheckConstraint("score BETWEEN 1 AND 7", name="score"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    score: Mapped[int | None] = mapped_column(SmallInteger)


class OpenAnswer(db.Model):
    """The text answer to one open question."""

    __tablename__ = "open_answers"
    __table_args__ = ({"sqlite_with_rowid": False},)

    response_id: Mapped[str] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("open_questions.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class ShownResults(db.Model):
    """What the dashboard of a closed cycle shows, as one JSON document
    (:mod:`.shown`): the guarded figures, comments and charts, nothing the guard hides,
    and nothing that says who answered."""

    __tablename__ = "shown_results"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("cycles.id", ondelete="CASCADE"), primary_key=True
    )
    #: The HMAC of what the document was made from (see :mod:`.shown`).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
