"""A coach's coachees and cycles: adding a coachee, and finding what belongs to whom.

Starting, closing and reopening a cycle are its life, in :mod:`feedback.cycles`.
Services flush; the request commits.
"""

import functools

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from .. import i18n, links
from ..accounts.models import Coach
from ..database import owned_row
from ..errors import NotFound
from ..extensions import db
from ..vocabulary import name_too_long
from .models import Coachee, Cycle


class EmailTaken(ValueError):
    """The coach has another coachee with that address; ``coachee`` is that one."""

    def __init__(self, coachee: Coachee) -> None:
        super().__init__(f"{coachee.name} already has the address {coachee.email}")
        self.coachee = coachee


def coachee_with_email(coach: Coach, email: str) -> Coachee | None:
    """``coach``'s coachee with this address (compared lower-case), if any. Another
    coach's coachees do not count: two coaches may coach the same person, and a coach
    learns nothing of another's coachees."""
    return db.session.scalar(
        select(Coachee).where(
            Coachee.coach_id == coach.id, func.lower(Coachee.email) == email.strip().lower()
        )
    )


def add_coachee(coach: Coach, *, name: str, email: str) -> Coachee:
    """A new coachee of ``coach``, the address stored lower-case.

    Raises:
        ValueError: the name is longer than the column holds (never cut).
        EmailTaken: the coach has a coachee with that address already (checked first,
            and by the database's unique key when two requests race).
    """
    if problem := name_too_long(name):
        raise ValueError(problem)
    email = email.strip().lower()
    if (taken := coachee_with_email(coach, email)) is not None:
        raise EmailTaken(taken)
    coachee = Coachee(coach_id=coach.id, name=name.strip(), email=email)
    try:
        with db.session.begin_nested():
            db.session.add(coachee)
    except IntegrityError:
        taken = coachee_with_email(coach, email)
        if taken is None:
            raise
        raise EmailTaken(taken) from None
    return coachee


def coachee_of(coach: Coach, coachee_id: int) -> Coachee:
    """``coach``'s coachee; raises NotFound for another coach's coachee, which does not
    exist for them."""
    return owned_row(Coachee, coachee_id, lambda row: row.coach_id == coach.id, "coachee")


@functools.cache
def _owned_cycle() -> Select:
    """A coach's cycle with its coachee (every page of a cycle shows them) in one
    query, where the lookup and then the ownership check took two. Built once (on
    first use, when the mappers are complete): SQLAlchemy then keeps its cache key."""
    return (
        select(Cycle)
        .join(Cycle.coachee)
        .where(Cycle.id == bindparam("cycle_id"), Coachee.coach_id == bindparam("coach_id"))
        .options(contains_eager(Cycle.coachee))
    )


def cycle_of(coach: Coach, cycle_id: int) -> Cycle:
    """``coach``'s cycle; raises NotFound for another coach's."""
    cycle = db.session.scalars(_owned_cycle(), {"cycle_id": cycle_id, "coach_id": coach.id}).first()
    if cycle is None:
        raise NotFound(f"no cycle {cycle_id}")
    return cycle


def coachees_of(coach: Coach) -> list[Coachee]:
    """All of ``coach``'s coachees, by name."""
    return list(
        db.session.scalars(
            select(Coachee).where(Coachee.coach_id == coach.id).order_by(Coachee.name)
        )
    )


def lock_cycle(cycle: Cycle) -> None:
    """Hold the cycle's row until the transaction ends, so that changes which count
    what a cycle has first (nominations against the cap, a pulse against the one
    running) are made one request after the other: ``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite an UPDATE of the row, which takes the database's write lock
    before anything is counted (a count read before the lock could be stale)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    else:
        db.session.execute(
            update(Cycle.__table__)
            .where(Cycle.__table__.c.id == cycle.id)
            .values(id=Cycle.__table__.c.id)
        )


def cycle_for_portal_token(token: str) -> Cycle:
    """The cycle a coachee's portal link points to; raises links.LinkError for a link
    that is not ours, altered or revoked (a new link was sent since). Every page of the
    portal finds its cycle here, so the rest of the request is in the coachee's
    language (:attr:`Coachee.speaks`)."""
    key = links.unsign(links.PORTAL, token)
    cycle = db.session.scalar(select(Cycle).where(Cycle.portal_key == key))
    if cycle is None:
        raise links.LinkError("revoked")
    i18n.use(cycle.coachee.speaks)
    return cycle


def portal_url(cycle: Cycle) -> str:
    """The coachee's private link, absolute, signed now."""
    token = links.sign(links.PORTAL, cycle.portal_key)
    return links.external_url("portal.show_portal", token=token)


def dashboard_url(cycle: Cycle) -> str:
    """The coach's dashboard of ``cycle``, absolute (behind the coach's sign-in)."""
    return links.external_url("dashboard.show_cycle", cycle_id=cycle.id)
