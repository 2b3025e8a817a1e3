"""Questionnaires as stored: versioned and immutable once a cycle uses them.

A questionnaire belongs to a coach (``coach_id``) or, with no owner, is shipped with
the service (the default). Its key is unique across owners; each version is its own
row, and a version a cycle uses is never changed again (:mod:`.store`).
"""

import json

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Questionnaire(db.Model):
    """A stored copy of one version of a questionnaire file."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    #: The coach who wrote it; None for a questionnaire shipped with the service.
    #: (No cascade: SQLite reflects none on a column added later, and the cycles that
    #: use a questionnaire must go before it anyway.)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coaches.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Labels of the points 1..A (A from 4 to 7), joined by newlines.
    scale_labels: Mapped[str] = mapped_column(Text)
    #: The label of the "Don't know" choice; empty when the scale offers none.
    dont_know_label: Mapped[str] = mapped_column(String(60))
    #: The questionnaire in other languages (JSON: code -> every text, keyed as the
    #: questionnaire is; see ``loader.Translation``); None: English only.
    translations: Mapped[str | None] = mapped_column(Text)

    competencies: Mapped[list["Competency"]] = relationship(
        order_by="Competency.position", cascade="all, delete-orphan"
    )
    items: Mapped[list["Item"]] = relationship(
        order_by="Item.position", cascade="all, delete-orphan", viewonly=False
    )
    open_questions: Mapped[list["OpenQuestion"]] = relationship(
        order_by="OpenQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def scale(self) -> list[tuple[int, str]]:
        """The scale as (value, label) pairs, 1 first."""
        return list(enumerate(self.scale_labels.split("\n"), start=1))

    @property
    def scale_points(self) -> int:
        """A, the number of points of the scale (its top score)."""
        return len(self.scale_labels.split("\n"))

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages it can be answered in, English (its own texts) first."""
        return ("en", *sorted(self.translation_data()))

    def translation_data(self) -> dict:
        """The stored translations as JSON values, by language code (read once)."""
        cached = self.__dict__.get("_translation_data")
        if cached is None:
            cached = json.loads(self.translations) if self.translations else {}
            self.__dict__["_translation_data"] = cached
        return cached

    def translated(self, language: str) -> dict | None:
        """Every text in ``language`` (as ``loader.Translation.to_json`` gives them), or
        None for English and for a language it has no translation into."""
        return self.translation_data().get(language)

    def questions_for(self, audience: str) -> list["OpenQuestion"]:
        """Open questions asked of ``"self"`` or of ``"rater"``."""
        return [q for q in self.open_questions if q.audience in (audience, "both")]


class Competency(db.Model):
    """A group of rated items, such as "Working with people"."""

    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    items: Mapped[list["Item"]] = relationship(
        order_by="Item.position", back_populates="competency", viewonly=True
    )


class Item(db.Model):
    """A rated statement, with the coachee's and the raters' wording."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    #: Order within the whole questionnaire.
    position: Mapped[int]
    #: "I …"
    self_text: Mapped[str] = mapped_column(Text)
    #: "{name} …"
    rater_text: Mapped[str] = mapped_column(Text)

    competency: Mapped[Competency] = relationship(back_populates="items")


class OpenQuestion(db.Model):
    """A free-text question; ``headline`` is the 140-character description."""

    __tablename__ = "open_questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    #: "self", "rater" or "both".
    audience: Mapped[str] = mapped_column(String(8))
    self_text: Mapped[str | None] = mapped_column(Text)
    rater_text: Mapped[str | None] = mapped_column(Text)
    max_length: Mapped[int]
