"""The printable journey summary for the coachee: their answers per stage, what their
released 360 showed, the decision matrix, the success criteria, the development plan
and the first steps. The coach's session notes are never part of it. The coach shares
it in the portal, and can take it back."""

from dataclasses import dataclass

from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..plans.models import Goal
from ..plans.services import goals_of
from . import decision, review, services
from .gaps import aspects_of, gaps_of
from .models import Aspect, FirstStep, SharedSummary, SkillGap, SuccessCriterion
from .seen import Seen
from .stages import KEEP_STAGE


@dataclass(frozen=True)
class StageSummary:
    """One stage's questions and answers, as the summary prints them."""

    view: services.StageView
    #: (question, answer) pairs, answers from the journey or the self-assessment.
    answers: list[tuple[str, str]]
    seen: Seen | None


@dataclass(frozen=True)
class Summary:
    """Everything the printed summary holds."""

    coachee: Coachee
    stages: list[StageSummary]
    reflections: dict[str, str]
    matrix: decision.Matrix
    criteria: list[SuccessCriterion]
    plan_cycle: Cycle | None
    goals: list[Goal]
    statements: dict[str, str]
    steps: list[FirstStep]
    gaps: list[SkillGap]
    #: Stage three's lists by kind (keep, change, in_the_way).
    aspects: dict[str, list[Aspect]]


def _latest_plan(coachee: Coachee) -> tuple[Cycle | None, list[Goal]]:
    for cycle in reversed(coachee.cycles):
        goals = goals_of(cycle)
        if goals:
            return cycle, goals
    return None, []


def summary_of(coachee: Coachee) -> Summary:
    """The coachee's journey as the summary prints it: only stages with an answer, a
    skill gap or opened as homework, and only what the coachee may see."""
    answers = services.answers_for(coachee)
    reused = services.reused_answers(coachee)
    aspects = aspects_of(coachee)
    stages = []
    for view in services.journey_of(coachee):
        given = [
            (q.text, reused.get(q.key) or answers.get(q.key, ""))
            for q in view.questions
            if reused.get(q.key) or answers.get(q.key)
        ]
        seen = services.seen_for(coachee, view)
        has_gaps = view.stage.key == KEEP_STAGE and (
            bool(gaps_of(coachee)) or any(aspects.values())
        )
        if given or seen is not None or view.homework is not None or has_gaps:
            stages.append(StageSummary(view, given, seen))
    cycle, goals = _latest_plan(coachee)
    statements = {}
    if cycle is not None:
        statements = {item.key: item.self_text for item in cycle.questionnaire.items}
    return Summary(
        coachee=coachee,
        stages=stages,
        reflections=answers,
        matrix=decision.matrix_of(coachee),
        criteria=review.criteria_of(coachee),
        plan_cycle=cycle,
        goals=goals,
        statements=statements,
        steps=services.steps_of(coachee),
        gaps=gaps_of(coachee),
        aspects=aspects,
    )


def is_shared(coachee: Coachee) -> bool:
    """Whether the coach has shared the summary in the portal."""
    return db.session.get(SharedSummary, coachee.id) is not None


def share(coachee: Coachee, shared: bool) -> None:
    """Share the summary in the portal, or take it back."""
    row = db.session.get(SharedSummary, coachee.id)
    if shared and row is None:
        db.session.add(SharedSummary(coachee_id=coachee.id))
    elif not shared and row is not None:
        db.session.delete(row)
    db.session.flush()
