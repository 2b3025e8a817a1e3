"""Store answers anonymously and read them back for the analysis."""

import pandas as pd
from flask import current_app
from sqlalchemy import Integer, SmallInteger, String, bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql

from ..coaching.models import Cycle
from ..extensions import db
from ..questionnaires.models import Competency, Item, OpenQuestion
from .forms import Answers
from .models import OpenAnswer, Rating, Response, new_response_id


def _fill(response: Response, cycle: Cycle, answers: Answers) -> None:
    questionnaire = cycle.questionnaire
    items = {item.key: item for item in questionnaire.items}
    questions = {question.key: question for question in questionnaire.open_questions}
    for key, score in answers.scores.items():
        if key in items:
            response.ratings.append(Rating(item_id=items[key].id, score=score))
    for key, text in answers.texts.items():
        if key in questions:
            response.answers.append(OpenAnswer(question_id=questions[key].id, text=text))


def _ids_by_key(questionnaire_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Item and open-question ids by key of a stored questionnaire, read once per app:
    a stored version never changes."""
    cache = current_app.extensions.setdefault("questionnaire_ids", {})
    ids = cache.get(questionnaire_id)
    if ids is None:
        ids = cache[questionnaire_id] = tuple(
            dict(
                db.session.execute(
                    select(model.key, model.id).where(model.questionnaire_id == questionnaire_id)
                ).all()
            )
            for model in (Item, OpenQuestion)
        )
    return ids


# Core INSERTs, built once (their cache keys are computed once per object).
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_RATINGS = insert(Rating.__table__)
_INSERT_OPEN_ANSWERS = insert(OpenAnswer.__table__)
#: PostgreSQL: every rating of a response in one statement, from two arrays, instead of
#: one INSERT per rating (which the server parses and runs one by one).
_PAIRS = (
    func.unnest(
        bindparam("item_ids", type_=postgresql.ARRAY(Integer)),
        bindparam("scores", type_=postgresql.ARRAY(SmallInteger)),
    )
    .table_valued("item_id", "score")
    .render_derived(name="pairs")
)
_INSERT_RATINGS_FROM_ARRAYS = insert(Rating.__table__).from_select(
    ["response_id", "item_id", "score"],
    select(bindparam("response_id", type_=String), _PAIRS.c.item_id, _PAIRS.c.score),
)


def record_response(cycle: Cycle, group: str, answers: Answers) -> str:
    """A submitted rater response: group and answers, nothing that says who. Returns
    the response's random id.

    Three Core INSERTs (the response, its ratings, its open answers), not the unit of
    work: building and flushing ~40 ORM objects was a third of a submit's time, and the
    ORM's bulk path another fifth. On PostgreSQL the ratings go in as one INSERT from
    two arrays (10 % more submits per second there than 35 pipelined INSERTs)."""
    items, questions = _ids_by_key(cycle.questionnaire_id)
    response_id = new_response_id()
    db.session.execute(
        _INSERT_RESPONSE,
        {"id": response_id, "cycle_id": cycle.id, "group": group, "submitted": True},
    )
    ratings = [
        {"response_id": response_id, "item_id": items[key], "score": score}
        for key, score in answers.scores.items()
        if key in items
    ]
    texts = [
        {"response_id": response_id, "question_id": questions[key], "text": text}
        for key, text in answers.texts.items()
        if key in questions
    ]
    if ratings and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            _INSERT_RATINGS_FROM_ARRAYS,
            {
                "response_id": response_id,
                "item_ids": [row["item_id"] for row in ratings],
                "scores": [row["score"] for row in ratings],
            },
        )
    elif ratings:
        db.session.execute(_INSERT_RATINGS, ratings)
    if texts:
        db.session.execute(_INSERT_OPEN_ANSWERS, texts)
    return response_id


def self_response(cycle: Cycle) -> Response | None:
    """The coachee's self-assessment, draft or submitted."""
    return db.session.scalar(
        select(Response).where(Response.cycle_id == cycle.id, Response.group == "self")
    )


def save_self_assessment(cycle: Cycle, answers: Answers, *, submit: bool) -> Response:
    """Replace the coachee's saved answers; ``submit`` marks them final."""
    response = self_response(cycle)
    if response is None:
        response = Response(cycle_id=cycle.id, group="self", submitted=False)
        db.session.add(response)
        db.session.flush()
    else:
        db.session.execute(delete(Rating).where(Rating.response_id == response.id))
        db.session.execute(delete(OpenAnswer).where(OpenAnswer.response_id == response.id))
        db.session.expire(response, ["ratings", "answers"])
    _fill(response, cycle, answers)
    response.submitted = response.submitted or submit
    db.session.flush()
    return response


def answers_of(response: Response) -> Answers:
    """The answers stored in ``response``, keyed by item and question keys."""
    scores = db.session.execute(
        select(Item.key, Rating.score)
        .join(Rating, Rating.item_id == Item.id)
        .where(Rating.response_id == response.id)
    ).all()
    texts = db.session.execute(
        select(OpenQuestion.key, OpenAnswer.text)
        .join(OpenAnswer, OpenAnswer.question_id == OpenQuestion.id)
        .where(OpenAnswer.response_id == response.id)
    ).all()
    return Answers(scores=dict(scores), texts=dict(texts))


def ratings_frame(cycle: Cycle) -> pd.DataFrame:
    """Submitted ratings of ``cycle`` in the analysis's long format: coachee_id,
    rater_id (the random response id), group, item_key, competency (its title), score."""
    rows = db.session.execute(
        select(
            Response.id,
            Response.group,
            Item.key,
            Competency.title,
            Rating.score,
        )
        .join(Rating, Rating.response_id == Response.id)
        .join(Item, Item.id == Rating.item_id)
        .join(Competency, Competency.id == Item.competency_id)
        .where(Response.cycle_id == cycle.id, Response.submitted.is_(True))
        .order_by(Item.position, Response.id)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["rater_id", "group", "item_key", "competency", "score"]
    ).astype({"score": "float64"})
    frame.insert(0, "coachee_id", str(cycle.coachee_id))
    return frame


def comments_frame(cycle: Cycle) -> pd.DataFrame:
    """Submitted open answers of ``cycle``: group, question_key, text."""
    rows = db.session.execute(
        select(Response.group, OpenQuestion.key, OpenAnswer.text)
        .join(OpenAnswer, OpenAnswer.response_id == Response.id)
        .join(OpenQuestion, OpenQuestion.id == OpenAnswer.question_id)
        .where(Response.cycle_id == cycle.id, Response.submitted.is_(True))
    ).all()
    return pd.DataFrame(rows, columns=["group", "question_key", "text"])
