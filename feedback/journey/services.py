"""A coachee's journey: the questions asked, homework, answers, session notes and
first steps. Services flush; the calling view commits, and mail leaves after it."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import select

from ..accounts.models import Coach
from ..coaching.models import Coachee, Cycle
from ..errors import NotFound
from ..extensions import db
from ..i18n import speaking
from ..mail.outbox import queue_message
from ..ratings.frames import answers_of, self_response
from ..timeutil import today, utcnow
from . import stages as shipped
from .decision import matrix_of
from .gaps import aspects_of, gaps_of
from .models import (
    STEP_STATUSES,
    FirstStep,
    HiddenQuestion,
    Homework,
    JourneyAnswer,
    OwnQuestion,
    SessionNote,
)
from .review import criteria_of
from .seen import Seen, latest_release

#: The longest answer, reflection or note the forms take.
MAX_ANSWER = 4000
#: The longest question a coach adds.
MAX_QUESTION = 500
#: A due date no later than this after today.
MAX_AHEAD = timedelta(days=2 * 365)
#: The kind of mail that tells the coach the homework is in.
HOMEWORK_MAIL = "journey_homework"


class JourneyError(ValueError):
    """Something that cannot be saved; the message is for the user."""


@dataclass(frozen=True)
class StageView:
    """One stage as one coachee meets it: the questions asked, those hidden, the
    homework (None until the coach opens it)."""

    stage: shipped.Stage
    questions: tuple[shipped.Question, ...]
    hidden: tuple[shipped.Question, ...]
    homework: Homework | None

    @property
    def submitted(self) -> bool:
        """Whether the coachee has handed this stage's homework in."""
        return self.homework is not None and self.homework.submitted_at is not None


def _stage_or_404(key: str) -> shipped.Stage:
    found = shipped.stage(key)
    if found is None:
        raise NotFound(f"no stage {key!r}")
    return found


def own_questions(coachee: Coachee) -> list[OwnQuestion]:
    """The coach's own questions for ``coachee``, oldest first."""
    return list(
        db.session.scalars(
            select(OwnQuestion)
            .where(OwnQuestion.coachee_id == coachee.id)
            .order_by(OwnQuestion.created_at, OwnQuestion.id)
        )
    )


def hidden_keys(coachee: Coachee) -> set[str]:
    """The keys of the questions the coach does not ask ``coachee``."""
    return set(
        db.session.scalars(
            select(HiddenQuestion.question_key).where(HiddenQuestion.coachee_id == coachee.id)
        )
    )


def homework_of(coachee: Coachee) -> dict[str, Homework]:
    """The stages opened as homework for ``coachee``, by stage key."""
    rows = db.session.scalars(select(Homework).where(Homework.coachee_id == coachee.id))
    return {row.stage_key: row for row in rows}


def journey_of(coachee: Coachee) -> list[StageView]:
    """Every stage as ``coachee`` meets it, in the method's order."""
    own = own_questions(coachee)
    hidden = hidden_keys(coachee)
    homework = homework_of(coachee)
    views = []
    for stage in shipped.stages():
        questions = [*stage.questions] + [
            shipped.Question(key=q.key, english=q.text, own=True)
            for q in own
            if q.stage_key == stage.key
        ]
        views.append(
            StageView(
                stage=stage,
                questions=tuple(q for q in questions if q.key not in hidden),
                hidden=tuple(q for q in questions if q.key in hidden),
                homework=homework.get(stage.key),
            )
        )
    return views


def stage_of(coachee: Coachee, key: str) -> StageView:
    """One stage as ``coachee`` meets it; raises NotFound for an unknown stage."""
    _stage_or_404(key)
    return next(view for view in journey_of(coachee) if view.stage.key == key)


def _question_of(coachee: Coachee, key: str) -> str:
    """The stage key of a question ``coachee`` may be asked (shipped or own)."""
    for stage in shipped.stages():
        if any(q.key == key for q in stage.questions):
            return stage.key
    for own in own_questions(coachee):
        if own.key == key:
            return own.stage_key
    raise NotFound(f"no question {key!r}")


def set_hidden(coachee: Coachee, stage_key: str, question_key: str, hidden: bool) -> None:
    """Stop (``hidden``) or start again asking ``coachee`` a question of one stage;
    answers given before stay. Raises NotFound for a question that is not theirs or
    not of that stage."""
    if _question_of(coachee, question_key) != stage_key:
        raise NotFound(f"no question {question_key!r} in stage {stage_key!r}")
    row = db.session.get(HiddenQuestion, (coachee.id, question_key))
    if hidden and row is None:
        db.session.add(HiddenQuestion(coachee_id=coachee.id, question_key=question_key))
    elif not hidden and row is not None:
        db.session.delete(row)
    db.session.flush()


def add_own_question(coachee: Coachee, stage_key: str, text: str) -> OwnQuestion:
    """The coach's own question at the end of one stage, for ``coachee`` only.

    Raises:
        NotFound: no such stage.
        JourneyError: empty or too long.
    """
    _stage_or_404(stage_key)
    text = text.strip()
    if not text:
        raise JourneyError(gettext("please write the question"))
    if len(text) > MAX_QUESTION:
        raise JourneyError(
            gettext("a question holds at most %(most)s characters", most=MAX_QUESTION)
        )
    question = OwnQuestion(coachee_id=coachee.id, stage_key=stage_key, text=text)
    db.session.add(question)
    db.session.flush()
    return question


def _check_due(due_on: date) -> None:
    if due_on < today() or due_on > today() + MAX_AHEAD:
        raise JourneyError(gettext("the due date must be between today and two years from now"))


def open_homework(coachee: Coachee, stage_key: str, *, note: str, due_on: date) -> Homework:
    """Open a stage for ``coachee`` to answer in the portal, with a note and a due
    date; opening it again changes both and lets the coachee change their answers.

    Raises:
        NotFound: no such stage.
        JourneyError: a due date in the past or over two years ahead, a note too long.
    """
    _stage_or_404(stage_key)
    _check_due(due_on)
    if len(note) > MAX_ANSWER:
        raise JourneyError(gettext("a note holds at most %(most)s characters", most=MAX_ANSWER))
    homework = homework_of(coachee).get(stage_key)
    if homework is None:
        homework = Homework(coachee_id=coachee.id, stage_key=stage_key)
        db.session.add(homework)
    homework.note, homework.due_on = note.strip(), due_on
    homework.opened_at, homework.submitted_at = utcnow(), None
    db.session.flush()
    return homework


def answers_for(coachee: Coachee) -> dict[str, str]:
    """The coachee's answers and reflections, drafts included, by question key."""
    rows = db.session.execute(
        select(JourneyAnswer.question_key, JourneyAnswer.text).where(
            JourneyAnswer.coachee_id == coachee.id
        )
    ).all()
    return dict(rows)


def reused_answers(coachee: Coachee) -> dict[str, str]:
    """Stage one's questions already answered in a self-assessment: the answers of
    the coachee's latest cycle whose self-assessment has any, by journey question key.
    A submitted self-assessment counts before a draft."""
    reuses = {q.reuses: q.key for s in shipped.stages() for q in s.questions if q.reuses}
    responses = [r for c in reversed(coachee.cycles) if (r := self_response(c)) is not None]
    responses.sort(key=lambda r: not r.submitted)  # stable: newest first within each
    for response in responses:
        texts = {
            reuses[key]: text.strip()
            for key, text in answers_of(response).texts.items()
            if key in reuses and text and text.strip()
        }
        if texts:
            return texts
    return {}


def asked_questions(coachee: Coachee, view: StageView) -> list[shipped.Question]:
    """The questions of ``view`` the coachee answers in the journey: not hidden, not
    already answered in the self-assessment, and, in stage two, not the one the
    released 360 answers (its reflections are asked instead)."""
    reused = reused_answers(coachee) if view.stage.number == 1 else {}
    return [
        q
        for q in view.questions
        if q.key not in reused
        and not (view.stage.key == shipped.SEEN_STAGE and q.key == shipped.SEEN_BY_DATA)
    ]


def seen_for(coachee: Coachee, view: StageView) -> Seen | None:
    """Stage two's 360 findings, when the stage asks for them and a report is out."""
    if view.stage.key != shipped.SEEN_STAGE or shipped.SEEN_BY_DATA not in {
        q.key for q in view.questions
    }:
        return None
    return latest_release(coachee)


def save_answers(
    coachee: Coachee, stage_key: str, texts: dict[str, str], *, submit: bool, cycle: Cycle
) -> None:
    """Keep the coachee's answers to one stage's homework (blank ones removed); on
    ``submit`` hand the homework in and tell the coach by email (queued, so it leaves
    after the commit). ``cycle`` is the one whose portal link the coachee used.

    Raises:
        NotFound: the stage is not open to the coachee.
        JourneyError: already submitted, an answer to a question not asked, too long.
    """
    view = stage_of(coachee, stage_key)
    if view.homework is None:
        raise NotFound("this stage is not open to you yet")
    if view.submitted:
        raise JourneyError(gettext("this homework is already handed in"))
    allowed = {q.key for q in asked_questions(coachee, view)}
    seen = seen_for(coachee, view)
    if seen is not None:
        allowed.update(seen.reflection_keys)
    unknown = set(texts) - allowed
    if unknown:
        raise JourneyError(gettext("an answer to a question that is not asked here"))
    if any(len(text) > MAX_ANSWER for text in texts.values()):
        raise JourneyError(gettext("an answer holds at most %(most)s characters", most=MAX_ANSWER))
    kept = {
        row.question_key: row
        for row in db.session.scalars(
            select(JourneyAnswer).where(
                JourneyAnswer.coachee_id == coachee.id, JourneyAnswer.question_key.in_(allowed)
            )
        )
    }
    for key in allowed:
        text = texts.get(key, "").strip()
        row = kept.get(key)
        if not text:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                JourneyAnswer(
                    coachee_id=coachee.id, stage_key=stage_key, question_key=key, text=text
                )
            )
        elif row.text != text:
            row.text = text
    if submit:
        view.homework.submitted_at = utcnow()
        coach = coachee.coach
        # The coachee hands in on a page in their language; the coach reads theirs.
        title = view.stage.title_in(coach.language)
        with speaking(coach.language):
            subject = gettext("%(coachee)s handed in: %(stage)s", coachee=coachee.name, stage=title)
        queue_message(
            HOMEWORK_MAIL,
            to=coach.email,
            to_name=coach.name,
            subject=subject,
            template="journey_homework_in",
            cycle_id=cycle.id,
            params={"stage": stage_key, "stage_title": title, "language": coach.language},
        )
    db.session.flush()


def add_session_note(
    coachee: Coachee, *, held_on: date, discussed: str, agreed: str
) -> SessionNote:
    """The coach's private notes of one session.

    Raises:
        JourneyError: nothing discussed, a date in the future, too long.
    """
    discussed, agreed = discussed.strip(), agreed.strip()
    if not discussed:
        raise JourneyError(gettext("please note what was discussed"))
    if held_on > today():
        raise JourneyError(gettext("a session note is for a session that took place"))
    if max(len(discussed), len(agreed)) > MAX_ANSWER:
        raise JourneyError(gettext("a note holds at most %(most)s characters", most=MAX_ANSWER))
    note = SessionNote(coachee_id=coachee.id, held_on=held_on, discussed=discussed, agreed=agreed)
    db.session.add(note)
    db.session.flush()
    return note


def session_notes_of(coachee: Coachee) -> list[SessionNote]:
    """The coach's session notes on ``coachee``, latest session first."""
    return list(
        db.session.scalars(
            select(SessionNote)
            .where(SessionNote.coachee_id == coachee.id)
            .order_by(SessionNote.held_on.desc(), SessionNote.id.desc())
        )
    )


def steps_of(coachee: Coachee) -> list[FirstStep]:
    """The first steps, by due date."""
    return list(
        db.session.scalars(
            select(FirstStep)
            .where(FirstStep.coachee_id == coachee.id)
            .order_by(FirstStep.due_on, FirstStep.id)
        )
    )


def add_step(coachee: Coachee, *, step: str, due_on: date) -> FirstStep:
    """One first step of stage six.

    Raises:
        JourneyError: empty, too long, or a due date in the past or over two years ahead.
    """
    step = step.strip()
    if not step:
        raise JourneyError(gettext("please describe the step"))
    if len(step) > 300:
        raise JourneyError(gettext("a step holds at most 300 characters"))
    _check_due(due_on)
    created = FirstStep(coachee_id=coachee.id, step=step, due_on=due_on, status="planned")
    db.session.add(created)
    db.session.flush()
    return created


def set_step_status(coachee: Coachee, step_id: int, status: str) -> FirstStep:
    """Move one of ``coachee``'s steps to ``status``.

    Raises:
        NotFound: not a step of ``coachee``.
        JourneyError: an unknown status.
    """
    step = FirstStep.of(coachee.id, step_id, "step")
    if status not in STEP_STATUSES:
        raise JourneyError(gettext("choose planned, doing or done"))
    step.status = status
    db.session.flush()
    return step


def overdue_steps(coach: Coach) -> list[tuple[Coachee, FirstStep]]:
    """The first steps of ``coach``'s coachees that are past their due date and not
    done, the most overdue first."""
    rows = db.session.execute(
        select(Coachee, FirstStep)
        .join(FirstStep, FirstStep.coachee_id == Coachee.id)
        .where(
            Coachee.coach_id == coach.id,
            FirstStep.due_on < today(),
            FirstStep.status != "done",
        )
        .order_by(FirstStep.due_on, FirstStep.id)
    ).all()
    return [(coachee, step) for coachee, step in rows]


def journey_export(coachee: Coachee) -> dict:
    """The coachee's own part of the journey, JSON-ready, for their copy of their data:
    per stage the homework and their answers and reflections (drafts included), and
    their first steps. The coach's private session notes are the coach's working notes
    and stay out, as they stay out of the portal."""
    answers = {
        row.question_key: row
        for row in db.session.scalars(
            select(JourneyAnswer).where(JourneyAnswer.coachee_id == coachee.id)
        )
    }
    exported = []
    for view in journey_of(coachee):
        texts = {q.key: q.text for q in (*view.questions, *view.hidden)}
        given = [row for row in answers.values() if row.stage_key == view.stage.key]
        if view.homework is None and not given:
            continue
        homework = view.homework
        exported.append(
            {
                "stage": view.stage.title,
                "homework": None
                if homework is None
                else {
                    "note": homework.note,
                    "due_on": homework.due_on.isoformat(),
                    "handed_in_at": homework.submitted_at.isoformat(timespec="seconds")
                    if homework.submitted_at
                    else None,
                },
                "answers": [
                    {
                        "question": texts.get(row.question_key, "Reflection on your 360"),
                        "text": row.text,
                    }
                    for row in sorted(given, key=lambda r: r.id)
                ],
            }
        )
    matrix = matrix_of(coachee)
    return {
        "stages": exported,
        "decision": {
            "options": [{"name": o.name, "learnt": o.learnt} for o in matrix.options],
            "criteria": [{"name": c.name, "weight": c.weight} for c in matrix.criteria],
            "scores": [
                {"option": o.name, "criterion": c.name, "score": matrix.scores[(o.id, c.id)]}
                for o in matrix.options
                for c in matrix.criteria
                if (o.id, c.id) in matrix.scores
            ],
        },
        "keep_and_change": {
            kind: [row.text for row in rows] for kind, rows in aspects_of(coachee).items()
        },
        "skill_gaps": [
            {"gap": g.gap, "plan": g.plan, "goal": g.goal.goal if g.goal else None}
            for g in gaps_of(coachee)
        ],
        "success_criteria": [
            {
                "criterion": c.criterion,
                "review_on": c.review_on.isoformat(),
                "look_back": c.look_back,
            }
            for c in criteria_of(coachee)
        ],
        "first_steps": [
            {"step": s.step, "due_on": s.due_on.isoformat(), "status": s.status}
            for s in steps_of(coachee)
        ],
    }
