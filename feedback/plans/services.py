"""Predictions and development goals. Services flush; the calling view commits."""

from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import delete, select

from ..coaching.models import Cycle
from ..errors import NotFound
from ..extensions import db
from ..timeutil import today
from ..vocabulary import RATER_GROUPS, CycleState
from .models import AUTHORS, Goal, Prediction

#: Groups a coachee can predict, in the order the forms show them.
PREDICTED_GROUPS = RATER_GROUPS
#: What a prediction can be on the shipped 1–5 scale: a point or a half between two (3.5).
PREDICTION_VALUES: tuple[float, ...] = tuple(half / 2 for half in range(2, 11))


def prediction_values(scale_points: int) -> tuple[float, ...]:
    """What a prediction can be on a scale of ``scale_points`` points: a point of it or
    a half between two."""
    return tuple(half / 2 for half in range(2, 2 * scale_points + 1))


#: A plan holds one to three goals per cycle.
MAX_GOALS = 3
#: A review date no later than this after today.
MAX_REVIEW_AHEAD = timedelta(days=2 * 365)


class PlanError(ValueError):
    """A prediction or goal that cannot be saved; the message is for the user."""


def can_predict(cycle: Cycle) -> bool:
    """Predictions are taken until the report is released (before any result is seen)."""
    return cycle.released_at is None


def prediction_text(score: float) -> str:
    """A prediction as the form shows and posts it: "4", "3.5"."""
    return f"{score:g}"


def predictions_of(cycle: Cycle) -> dict[tuple[str, str], float]:
    """The coachee's predictions: (competency key, group) -> expected mean, 1 to 5 in
    steps of a half."""
    rows = db.session.execute(
        select(Prediction.competency_key, Prediction.group, Prediction.score).where(
            Prediction.cycle_id == cycle.id
        )
    ).all()
    return {(key, group): float(score) for key, group, score in rows}


def save_predictions(cycle: Cycle, scores: dict[tuple[str, str], float]) -> None:
    """Replace the coachee's predictions with ``scores`` (an empty dict clears them).

    Raises:
        PlanError: the report is released, or a competency, group or score is unknown.
    """
    if not can_predict(cycle):
        raise PlanError(gettext("the report is already released, so predictions are closed"))
    known = {c.key for c in cycle.questionnaire.competencies}
    top = cycle.questionnaire.scale_points
    for (key, group), score in scores.items():
        if key not in known or group not in PREDICTED_GROUPS:
            raise PlanError(f"unknown competency or group: {key}, {group}")
        if isinstance(score, bool) or not isinstance(score, int | float):
            raise PlanError(gettext("each prediction is a number from 1 to %(top)s", top=top))
        if float(score) not in prediction_values(top):
            raise PlanError(
                gettext(
                    "each prediction is a point from 1 to %(top)s or a half between two", top=top
                )
            )
    db.session.execute(delete(Prediction).where(Prediction.cycle_id == cycle.id))
    for (key, group), score in scores.items():
        db.session.add(
            Prediction(cycle_id=cycle.id, competency_key=key, group=group, score=float(score))
        )
    db.session.flush()


def goals_of(cycle: Cycle) -> list[Goal]:
    """The development goals recorded after ``cycle``, oldest first."""
    return list(
        db.session.scalars(
            select(Goal).where(Goal.cycle_id == cycle.id).order_by(Goal.created_at, Goal.id)
        )
    )


def can_plan(cycle: Cycle, author: str) -> bool:
    """The coach plans once the cycle is closed; the coachee once it is released."""
    if cycle.state is not CycleState.CLOSED:
        return False
    return author == "coach" or cycle.released_at is not None


def add_goal(
    cycle: Cycle,
    *,
    author: str,
    item_key: str,
    goal: str,
    success_criteria: str,
    review_on: date,
) -> Goal:
    """Record one goal of the plan, tied to one of the cycle's statements.

    Raises:
        PlanError: too early (see :func:`can_plan`), already three goals, an unknown
            statement, empty text, or a review date in the past or over two years ahead.
    """
    if author not in AUTHORS:
        raise PlanError(f"unknown author {author!r}")
    if not can_plan(cycle, author):
        raise PlanError(
            gettext("the plan opens once the cycle is closed")
            if author == "coach"
            else gettext("the plan opens once your coach has shared the report")
        )
    if len(goals_of(cycle)) >= MAX_GOALS:
        raise PlanError(
            gettext("a plan holds at most %(most)s goals; remove one first", most=MAX_GOALS)
        )
    if item_key not in {item.key for item in cycle.questionnaire.items}:
        raise PlanError(gettext("choose one of the statements of this questionnaire"))
    goal, success_criteria = goal.strip(), success_criteria.strip()
    if not goal or not success_criteria:
        raise PlanError(gettext("give both the goal and how you will know it is reached"))
    if review_on < today() or review_on > today() + MAX_REVIEW_AHEAD:
        raise PlanError(gettext("the review date must be between today and two years from now"))
    created = Goal(
        cycle_id=cycle.id,
        item_key=item_key,
        goal=goal,
        success_criteria=success_criteria,
        review_on=review_on,
        author=author,
    )
    db.session.add(created)
    db.session.flush()
    return created


def remove_goal(cycle: Cycle, goal_id: int, *, author: str) -> None:
    """Remove a goal of ``cycle``'s plan. The coach may remove any; the coachee only
    their own (and only once the plan is theirs to edit).

    Raises:
        NotFound: no such goal in this cycle (or not the coachee's).
        PlanError: the plan is not open to ``author``.
    """
    goal = db.session.get(Goal, goal_id)
    if goal is None or goal.cycle_id != cycle.id or (author == "coachee" and goal.author != author):
        raise NotFound("no such goal")
    if not can_plan(cycle, author):
        raise PlanError(gettext("the plan is not open yet"))
    db.session.delete(goal)
    db.session.flush()


def previous_plan(cycle: Cycle) -> tuple[Cycle, list[Goal]] | None:
    """The latest earlier closed cycle of the same coachee that has a plan, with its
    goals: what ``cycle`` is the follow-up of. None when there is none."""
    earlier = [
        c
        for c in cycle.coachee.cycles
        if c.id != cycle.id and c.state is CycleState.CLOSED and c.created_at <= cycle.created_at
    ]
    for candidate in sorted(earlier, key=lambda c: (c.created_at, c.id), reverse=True):
        goals = goals_of(candidate)
        if goals:
            return candidate, goals
    return None
