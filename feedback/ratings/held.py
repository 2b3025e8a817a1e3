"""Answers held back after a reopen (docs/analysis.md "Across time").

Every rater's response is stored *held*. A close lets the held responses into the
results only when the showing after it differs from the one before by sets of at least
k raters per statement and shown group (:func:`feedback.analysis.late_answer_shortfalls`);
on a cycle's first close that always holds. Otherwise they wait, all of them, and the
coach's dashboard says how many and why, until a later close can show them or the coach
keeps the results as they were (:func:`discard_held_answers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select, update

from .. import analysis
from ..coaching.models import Cycle
from ..extensions import db
from ..vocabulary import RATER_GROUPS
from .frames import ratings_frame
from .models import OpenAnswer, Rating, Response
from .results import rules_for


def shown_rater_answers(cycle: Cycle) -> int:
    """How many raters' answers the closed cycle's results are made of (held ones
    wait, and do not count)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Response)
        .where(
            Response.cycle_id == cycle.id,
            Response.group != "self",
            Response.submitted.is_(True),
            Response.held.is_(False),
        )
    )


@dataclass(frozen=True)
class Shortfall:
    """Why some held answers cannot be shown yet, for one cell of the new showing."""

    groups: tuple[str, ...]  # the rater groups of the cell
    pooled: bool  # the cell is the pooled "other raters"
    reason: str  # analysis.showings.TOO_FEW or REGROUPED
    statements: int  # on how many statements
    in_comments: bool  # also (or only) in who may label comments
    late_n: tuple[int, ...]  # the held answers in the cell, each count that occurs


@dataclass(frozen=True)
class HeldAnswers:
    """The answers of a closed cycle that wait, and why."""

    count: int
    by_group: dict[str, int]
    shortfalls: list[Shortfall] = field(default_factory=list)


def admit_held_answers(cycle: Cycle) -> bool:
    """Let ``cycle``'s held answers into its results when showing them singles nobody
    out; return whether they were let in (true too when none waited). Run by the
    close, before the results are computed."""
    ratings = ratings_frame(cycle, with_held=True)
    if analysis.late_answer_shortfalls(ratings, rules_for(cycle)).empty:
        db.session.execute(
            update(Response)
            .where(Response.cycle_id == cycle.id, Response.held.is_(True))
            .values(held=False)
            .execution_options(synchronize_session=False)
        )
        return True
    return False


def held_answers(cycle: Cycle) -> HeldAnswers | None:
    """What waits in closed ``cycle`` and why; None when nothing does."""
    counts = dict(
        db.session.execute(
            select(Response.group, func.count())
            .where(Response.cycle_id == cycle.id, Response.held.is_(True))
            .group_by(Response.group)
        ).all()
    )
    if not counts:
        return None
    shortfalls = analysis.late_answer_shortfalls(
        ratings_frame(cycle, with_held=True), rules_for(cycle)
    )
    return HeldAnswers(
        count=sum(counts.values()),
        by_group={g: counts[g] for g in RATER_GROUPS if g in counts},
        shortfalls=[
            Shortfall(
                groups=groups,
                pooled=pooled,
                reason=reason,
                statements=int((part["unit"] != analysis.RESPONDENTS).sum()),
                in_comments=bool((part["unit"] == analysis.RESPONDENTS).any()),
                late_n=tuple(sorted(set(part["late_n"]))),
            )
            for (groups, pooled, reason), part in shortfalls.groupby(
                ["groups", "pooled", "reason"], sort=False
            )
        ],
    )


def discard_held_answers(cycle: Cycle) -> int:
    """Delete ``cycle``'s held answers, so the results stay as they were for good (the
    coach's choice); return how many responses went."""
    held = select(Response.id).where(Response.cycle_id == cycle.id, Response.held.is_(True))
    ids = list(db.session.scalars(held))
    if ids:
        db.session.execute(delete(Rating).where(Rating.response_id.in_(ids)))
        db.session.execute(delete(OpenAnswer).where(OpenAnswer.response_id.in_(ids)))
        db.session.execute(delete(Response).where(Response.id.in_(ids)))
    return len(ids)
