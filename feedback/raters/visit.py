"""What a rater's link leads to, read with one Core SELECT: the invite's state, group,
draft and language, and what the form's page says of its cycle, coachee and coach.

The form's GET and its submit need no ORM objects: loading the invite with its cycle,
questionnaire, coachee and coach as mapped objects was a fifth of a rater's visit.
The questionnaire comes from :func:`feedback.ratings.versions.kept_questionnaire`
(a stored version never changes). Pages that change the invite otherwise (decline,
undo, another language) and the closed page load the mapped invite as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select

from ..accounts.models import Coach
from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..questionnaires.models import Questionnaire
from ..vocabulary import CycleState, InviteState
from .models import Invite


@dataclass(frozen=True, slots=True)
class VisitCoach:
    """The coach, as the form names them."""

    name: str


@dataclass(frozen=True, slots=True)
class VisitCoachee:
    """The coachee, as the form names them."""

    name: str
    coach: VisitCoach

    #: The same rule as the mapped coachee's: the first word of the name.
    first_name = property(Coachee.first_name.fget)


@dataclass(frozen=True, slots=True)
class VisitCycle:
    """What the form's page and the submit need of the cycle."""

    id: int
    state: CycleState
    closes_on: date
    language: str | None
    min_group_size: int
    boss_exempt: bool
    questionnaire_id: int
    questionnaire_key: str
    questionnaire_version: int
    coachee: VisitCoachee

    #: The same rule as the mapped cycle's: open and not past its deadline.
    is_open = property(Cycle.is_open.fget)


@dataclass(frozen=True, slots=True)
class RaterVisit:
    """The invite behind a rater's link, read once for the request (never changed in
    place: the services write with statements of their own)."""

    id: int
    state: InviteState
    group: str
    draft: str | None
    language: str | None
    cycle: VisitCycle

    #: The same rule as the mapped invite's: the rater's own language, else the cycle's.
    speaks = property(Invite.speaks.fget)


_invites, _cycles = Invite.__table__, Cycle.__table__
_coachees, _coaches, _questionnaires = (
    Coachee.__table__,
    Coach.__table__,
    Questionnaire.__table__,
)
#: Built once, with a bound parameter (SQLAlchemy computes its cache key once).
_VISIT = (
    select(
        _invites.c.id,
        _invites.c.state,
        _invites.c.group,
        _invites.c.draft,
        _invites.c.language,
        _cycles.c.id,
        _cycles.c.state,
        _cycles.c.closes_on,
        _cycles.c.language,
        _cycles.c.min_group_size,
        _cycles.c.boss_exempt,
        _cycles.c.questionnaire_id,
        _questionnaires.c.key,
        _questionnaires.c.version,
        _coachees.c.name,
        _coaches.c.name,
    )
    .select_from(
        _invites.join(_cycles, _cycles.c.id == _invites.c.cycle_id)
        .join(_questionnaires, _questionnaires.c.id == _cycles.c.questionnaire_id)
        .join(_coachees, _coachees.c.id == _cycles.c.coachee_id)
        .join(_coaches, _coaches.c.id == _coachees.c.coach_id)
    )
    .where(_invites.c.link_key == bindparam("key"))
)


def visit_for_key(link_key: str) -> RaterVisit | None:
    """The invite of ``link_key`` with what its form needs; None when no invite has it
    (a revoked link)."""
    row = db.session.execute(_VISIT, {"key": link_key}).first()
    if row is None:
        return None
    (
        invite_id,
        state,
        group,
        draft,
        language,
        cycle_id,
        cycle_state,
        closes_on,
        cycle_language,
        min_group_size,
        boss_exempt,
        questionnaire_id,
        questionnaire_key,
        questionnaire_version,
        coachee_name,
        coach_name,
    ) = row
    coachee = VisitCoachee(coachee_name, VisitCoach(coach_name))
    cycle = VisitCycle(
        cycle_id,
        cycle_state,
        closes_on,
        cycle_language,
        min_group_size,
        boss_exempt,
        questionnaire_id,
        questionnaire_key,
        questionnaire_version,
        coachee,
    )
    return RaterVisit(invite_id, state, group, draft, language, cycle)
