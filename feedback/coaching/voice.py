"""Emails in the coach's voice: the coach's own subject and body for the invitation
and the reminder raters receive.

A coach writes plain text with three placeholders — ``{coachee}``, ``{deadline}`` and
``{coach}`` — and nothing else is read in it: no template language ever runs on what a
coach wrote (:func:`fill` only swaps the three names for their values), so ``{{ }}``
and ``{% %}`` are text, not code. ``{{`` and ``}}`` stand for a literal brace; a lone
brace or any other name in braces is refused with a message (:func:`check`).

What the coach writes replaces only the middle of the email. The service always adds
the rater's link, what anonymity means for them and how to decline (the templates
``email/invite`` and ``email/reminder``), so a coach's text can neither drop the link
nor weaken the promise.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .. import i18n
from ..extensions import db
from ..timeutil import utcnow

#: The kinds of email a coach may write: raters' invitation and reminder.
KINDS = ("invite", "reminder")
#: How the kinds are called on the pages.
KIND_LABELS = {"invite": "Invitation", "reminder": "Reminder"}
#: The placeholders, with what each stands for.
PLACEHOLDERS = {
    "coachee": "the coachee's name",
    "deadline": "the last day raters can answer",
    "coach": "your name",
}
#: The longest subject and body a coach may write.
MAX_SUBJECT = 150
MAX_BODY = 4000

#: The texts raters get when the coach wrote none (the same words as the built-in
#: templates, which are what is sent while these are untouched).
DEFAULTS = {
    "invite": (
        "{coachee} asks for your feedback",
        "{coachee} is working with a career coach, {coach}, and asks for your honest "
        "view of how they work: about 30 short statements and four open questions, "
        "10 to 15 minutes.\n\n"
        "Please answer by {deadline}. You can save and come back through the same link.",
    ),
    "reminder": (
        "Reminder: {coachee} asks for your feedback",
        "A friendly reminder: {coachee} would value your view of how they work, as part "
        "of their coaching with {coach}.\n\n"
        "Answers are open until the end of {deadline}. It takes 10 to 15 minutes.",
    ),
}

#: The default subjects in the rater's language: the service's words, translated (a
#: coach's own subject is sent as they wrote it).
DEFAULT_SUBJECTS = {
    "invite": _l("{coachee} asks for your feedback"),
    "reminder": _l("Reminder: {coachee} asks for your feedback"),
}

# A doubled brace, a name in braces, or a brace on its own (in this order).
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class MailText(db.Model):
    """A coach's own subject and body for one kind of email to raters."""

    __tablename__ = "coach_mail_texts"
    __table_args__ = (CheckConstraint("kind IN ('invite', 'reminder')", name="kind"),)

    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coaches.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``invite`` or ``reminder``.
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    #: As the coach wrote it, placeholders included.
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TextProblem(ValueError):
    """What is wrong with a coach's text, said so that they can fix it."""


def _names_hint() -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def check(text: str) -> None:
    """Raise TextProblem unless ``text`` uses only the known placeholders and every
    other brace is doubled."""
    for match in _TOKEN.finditer(text):
        piece, name = match.group(0), match.group(1)
        if piece in ("{{", "}}"):
            continue
        if name is None:
            raise TextProblem(
                _(
                    "a single “%(piece)s” is not allowed: write “%(doubled)s” for a brace, "
                    "or use a placeholder (%(names)s)",
                    piece=piece,
                    doubled=piece * 2,
                    names=_names_hint(),
                )
            )
        if name.strip() == "link" or name.strip() == "url":
            raise TextProblem(
                _(
                    "the rater's link is added below your text for you; remove “%(placeholder)s”",
                    placeholder="{" + name + "}",
                )
            )
        if name not in PLACEHOLDERS:
            raise TextProblem(
                _(
                    "“%(placeholder)s” is not a placeholder; use %(names)s",
                    placeholder="{" + name + "}",
                    names=_names_hint(),
                )
            )


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value and doubled braces made
    single. Nothing else is interpreted. Raises TextProblem as :func:`check` does."""
    check(text)

    def swap(match: re.Match) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        return values[match.group(1)]

    return _TOKEN.sub(swap, text)


def deadline_words(closes_on: date) -> str:
    """The deadline as raters read it, in the current language: "June 14, 2026",
    "14. Juni 2026"."""
    return i18n.format_deadline(closes_on)


def values_for(*, coachee_name: str, closes_on: date, coach_name: str) -> dict[str, str]:
    """The placeholders' values for one cycle."""
    return {
        "coachee": coachee_name,
        "deadline": deadline_words(closes_on),
        "coach": coach_name,
    }


def paragraphs(text: str) -> list[list[str]]:
    """``text`` as paragraphs (split at blank lines) of lines, for the HTML part: each
    line is escaped by the template, never trusted as markup."""
    text = text.replace("\r\n", "\n").strip()
    return [block.split("\n") for block in re.split(r"\n\s*\n", text) if block.strip()]


@dataclass(frozen=True)
class Wording:
    """A coach's subject and body for one kind, and whether they are the coach's own."""

    subject: str
    body: str
    own: bool


def wording(coach_id: int, kind: str) -> Wording:
    """What the coach's ``kind`` of email says: their own text, or the default."""
    row = db.session.get(MailText, (coach_id, kind))
    if row is None:
        return Wording(*DEFAULTS[kind], own=False)
    return Wording(row.subject, row.body, own=True)


def own_texts(coach_ids: set[int]) -> dict[tuple[int, str], MailText]:
    """The coaches' own texts by (coach id, kind), in one query."""
    if not coach_ids:
        return {}
    rows = db.session.scalars(select(MailText).where(MailText.coach_id.in_(coach_ids)))
    return {(row.coach_id, row.kind): row for row in rows}


def save(coach_id: int, kind: str, *, subject: str, body: str) -> MailText:
    """Keep the coach's own text for ``kind``; raises TextProblem (naming ``subject``
    or ``body``) when either is not usable, and then nothing changes."""
    if kind not in KINDS:
        raise ValueError(f"no email of kind {kind!r}")
    subject, body = " ".join(subject.split()), body.replace("\r\n", "\n").strip()
    for field, text, longest in (("subject", subject, MAX_SUBJECT), ("body", body, MAX_BODY)):
        if not text:
            raise FieldProblem(field, _("this cannot be empty"))
        if len(text) > longest:
            raise FieldProblem(field, _("at most %(most)s characters, please", most=longest))
        try:
            check(text)
        except TextProblem as exc:
            raise FieldProblem(field, str(exc)) from None
    row = db.session.get(MailText, (coach_id, kind))
    if row is None:
        row = MailText(coach_id=coach_id, kind=kind, subject=subject, body=body)
        db.session.add(row)
    else:
        row.subject, row.body = subject, body
    db.session.flush()
    return row


class FieldProblem(TextProblem):
    """A TextProblem in one field of the form (``subject`` or ``body``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def reset(coach_id: int, kind: str) -> bool:
    """Go back to the default text for ``kind``; True when there was an own text."""
    row = db.session.get(MailText, (coach_id, kind))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True


def subject_for(coach_id: int, kind: str, values: dict[str, str]) -> str:
    """The subject of a ``kind`` email, filled in, as it is queued: the coach's own as
    written, else the default in the current language."""
    chosen = wording(coach_id, kind)
    return fill(chosen.subject if chosen.own else str(DEFAULT_SUBJECTS[kind]), values)
