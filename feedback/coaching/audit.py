"""The audit trail: what was done with a coachee's data that matters — a cycle
started, closed, reopened or released, data deleted or downloaded, nominations
approved, a questionnaire changed — with when and by whom.

It says what the coach (or their API token, the command line, or the deadline) did,
never anything a rater did: no rater's name, address or answer is ever written here
(:func:`record` refuses a detail with an address in it). It is shown to the coach on
the coachee's page and is part of the coachee's data export.

Call :func:`record` in the service that does the action, so that the pages, the
commands and the API are all covered; it adds a row to the current transaction.
"""

from datetime import datetime

from flask import g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import Coach
from ..extensions import db
from ..timeutil import utcnow
from .models import Coachee, Cycle

#: The actions recorded, with how the coach's page says them.
ACTIONS = {
    "start": _l("started a cycle"),
    "close": _l("closed a cycle"),
    "reopen": _l("reopened a cycle"),
    "release": _l("released the report"),
    "delete": _l("deleted data"),
    "export": _l("downloaded"),
    "approve": _l("approved nominations"),
    "questionnaire": _l("changed a questionnaire"),
}
#: Who acted, besides the coach signed in on the pages.
COMMAND_LINE = "command line"
DEADLINE = "deadline"
COACH = "coach"


class AuditEvent(db.Model):
    """One action on a coachee's data (or, with no coachee, on the coach's own)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"), index=True)
    #: The coachee it concerns; their trail goes when they are deleted.
    coachee_id: Mapped[int | None] = mapped_column(
        ForeignKey("coachees.id", ondelete="CASCADE"), index=True
    )
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    #: One of :data:`ACTIONS`.
    action: Mapped[str] = mapped_column(String(20))
    #: ``coach``, ``api token NAME``, ``command line`` or ``deadline``.
    actor: Mapped[str] = mapped_column(String(120))
    #: What exactly (a format, a date, a count); never a rater's name or address.
    detail: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def acting_as(actor: str) -> None:
    """Say who acts for the rest of this request or command (e.g. ``api token CRM``)."""
    g.audit_actor = actor[:120]


def current_actor() -> str:
    """Who is acting: what :func:`acting_as` said, else the signed-in coach in a
    request, else the command line."""
    actor = g.get("audit_actor")
    if actor:
        return actor
    return COACH if has_request_context() else COMMAND_LINE


def record(
    coach: Coach | int,
    action: str,
    *,
    coachee: Coachee | None = None,
    cycle: Cycle | None = None,
    detail: str = "",
    actor: str | None = None,
) -> AuditEvent:
    """Add ``action`` by ``actor`` (default :func:`current_actor`) to the trail of
    ``coach`` about ``coachee`` (default: the cycle's), in the current transaction.
    Raises ValueError for an unknown action or a detail holding an address."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if "@" in detail:
        raise ValueError("an audit detail never holds an email address")
    if coachee is None and cycle is not None:
        coachee = cycle.coachee
    event = AuditEvent(
        coach_id=coach if isinstance(coach, int) else coach.id,
        coachee_id=coachee.id if coachee is not None else None,
        cycle_id=cycle.id if cycle is not None else None,
        action=action,
        actor=(actor or current_actor())[:120],
        detail=detail[:200],
        at=utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def record_download(
    coach: Coach, *, detail: str, coachee: Coachee | None = None, cycle: Cycle | None = None
) -> None:
    """Record that ``coach`` downloaded something (an ``export``); a HEAD request, which
    carries no file, is not a download and records nothing."""
    if has_request_context() and request.method == "HEAD":
        return
    record(coach, "export", coachee=coachee, cycle=cycle, detail=detail)


def trail_of(coachee: Coachee) -> list[AuditEvent]:
    """The coachee's trail, newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.coachee_id == coachee.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )


def coach_trail(coach: Coach, limit: int = 20) -> list[AuditEvent]:
    """The coach's latest actions that concern no coachee (a coachee deleted, a
    questionnaire changed), newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.coach_id == coach.id, AuditEvent.coachee_id.is_(None))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def describe_actor(actor: str) -> str:
    """How the coach's page names who acted."""
    if actor == COACH:
        return _("you")
    if actor == DEADLINE:
        return _("the deadline (scheduled round)")
    if actor == COMMAND_LINE:
        return _("command line")
    if actor.startswith("api token "):
        return _("API token %(name)s", name=actor.removeprefix("api token "))
    return actor
