"""Stage three: what to keep and what to change of one's work, what stands in the way
(lists, one entry each), and the gap to the dream job: each skill gap with how the
coachee plans to tackle it, optionally tied to a goal of the development plan.
Services flush."""

from flask_babel import gettext
from sqlalchemy import select

from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..plans.models import Goal
from .models import ASPECT_KINDS, Aspect, SkillGap

#: The longest gap and plan.
MAX_GAP, MAX_PLAN = 300, 4000
#: A gap list that helps stays short.
MAX_GAPS = 10
#: The longest entry of a list, and the most entries a list holds.
MAX_ASPECT, MAX_ASPECTS = 300, 15


class GapError(ValueError):
    """Something that cannot be saved; the message is for the user."""


def gaps_of(coachee: Coachee) -> list[SkillGap]:
    """``coachee``'s skill gaps, in the order they were written."""
    return list(
        db.session.scalars(
            select(SkillGap).where(SkillGap.coachee_id == coachee.id).order_by(SkillGap.id)
        )
    )


def goals_for(coachee: Coachee) -> list[Goal]:
    """The goals of every development plan of ``coachee``, newest cycle first."""
    return list(
        db.session.scalars(
            select(Goal)
            .join(Cycle, Cycle.id == Goal.cycle_id)
            .where(Cycle.coachee_id == coachee.id)
            .order_by(Cycle.created_at.desc(), Goal.id)
        )
    )


def add_gap(coachee: Coachee, *, gap: str, plan: str, goal_id: int | None) -> SkillGap:
    """A skill gap, how to tackle it, and the plan's goal it belongs to (or none).

    Raises:
        GapError: no gap named, too long, already the most, or a goal not theirs.
    """
    gap, plan = gap.strip(), plan.strip()
    if not gap:
        raise GapError(gettext("please name the skill gap"))
    if len(gap) > MAX_GAP or len(plan) > MAX_PLAN:
        raise GapError(
            gettext(
                "a gap holds at most %(gap)s characters, a plan %(plan)s",
                gap=MAX_GAP,
                plan=MAX_PLAN,
            )
        )
    if len(gaps_of(coachee)) >= MAX_GAPS:
        raise GapError(gettext("at most %(most)s gaps; remove one first", most=MAX_GAPS))
    if goal_id is not None and goal_id not in {g.id for g in goals_for(coachee)}:
        raise GapError(gettext("choose one of the development plan's goals, or none"))
    created = SkillGap(coachee_id=coachee.id, gap=gap, plan=plan, goal_id=goal_id)
    db.session.add(created)
    db.session.flush()
    return created


def remove_gap(coachee: Coachee, gap_id: int) -> None:
    """Remove one of ``coachee``'s gaps; raises NotFound for another's."""
    db.session.delete(SkillGap.of(coachee.id, gap_id, "gap"))
    db.session.flush()


def aspects_of(coachee: Coachee) -> dict[str, list[Aspect]]:
    """``coachee``'s stage-three lists by kind (keep, change, in_the_way), each in the
    order written."""
    lists: dict[str, list[Aspect]] = {kind: [] for kind in ASPECT_KINDS}
    for row in db.session.scalars(
        select(Aspect).where(Aspect.coachee_id == coachee.id).order_by(Aspect.id)
    ):
        lists[row.kind].append(row)
    return lists


def add_aspect(coachee: Coachee, *, kind: str, text: str) -> Aspect:
    """One entry of a stage-three list.

    Raises:
        GapError: an unknown list, nothing written, too long, or the list is full.
    """
    text = text.strip()
    if kind not in ASPECT_KINDS:
        raise GapError(gettext("choose keep, change or what stands in the way"))
    if not text:
        raise GapError(gettext("please write the aspect"))
    if len(text) > MAX_ASPECT:
        raise GapError(gettext("an entry holds at most %(most)s characters", most=MAX_ASPECT))
    if len(aspects_of(coachee)[kind]) >= MAX_ASPECTS:
        raise GapError(
            gettext("at most %(most)s entries in a list; remove one first", most=MAX_ASPECTS)
        )
    created = Aspect(coachee_id=coachee.id, kind=kind, text=text)
    db.session.add(created)
    db.session.flush()
    return created


def remove_aspect(coachee: Coachee, aspect_id: int) -> None:
    """Remove one of ``coachee``'s entries; raises NotFound for another's."""
    db.session.delete(Aspect.of(coachee.id, aspect_id, "entry"))
    db.session.flush()
