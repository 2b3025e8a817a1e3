"""Where every answer is written: the one write path for the coachee's self-assessment
and for raters' responses (README "Anonymity").

A response holds a group and answers, nothing that says who: no invite id, email,
address or time, and a random id. A rater's response is written once, when they
submit (their draft lives on their invite until then), and held until the cycle's
next close decides whether it can join the results (:mod:`.held`); the coachee's
self-assessment is one response per cycle, rewritten on every save until it is
submitted.
"""

from flask import current_app
from sqlalchemy import (
    Integer,
    SmallInteger,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm.util import identity_key

from ..coaching.models import Cycle
from ..extensions import db
from ..questionnaires.models import Item, OpenQuestion
from ..vocabulary import GROUPS, SELF
from .answers import Answers
from .models import OpenAnswer, Rating, Response, new_response_id


def store_answers(cycle: Cycle, group: str, answers: Answers, *, submit: bool = True) -> str:
    """Write ``answers`` from ``group`` as a response of ``cycle``; return its id.

    For ``self`` the cycle's one self-assessment is replaced (a draft until ``submit``,
    and it stays submitted once it was). For a rater group a new, submitted response
    is written every time (raters' drafts stay on their invite): ``submit`` must be
    true. Executed, not committed: the request commits.
    """
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    if group == SELF:
        response_id = _replace_self_assessment(cycle, submit)
    elif not submit:
        raise ValueError("a rater's answers are stored only when they submit")
    else:
        response_id = new_response_id()
        db.session.execute(
            _INSERT_RESPONSE,
            {
                "id": response_id,
                "cycle_id": cycle.id,
                "group": group,
                "submitted": True,
                "held": True,  # until a close lets it into the results
            },
        )
    _insert_answers(cycle, response_id, answers)
    return response_id


def _replace_self_assessment(cycle: Cycle, submit: bool) -> str:
    """The id of the cycle's self-assessment, emptied of its answers (or new)."""
    existing = db.session.execute(
        select(Response.id, Response.submitted).where(
            Response.cycle_id == cycle.id, Response.group == SELF
        )
    ).first()
    if existing is None:
        response_id = new_response_id()
        db.session.execute(
            _INSERT_RESPONSE,
            {
                "id": response_id,
                "cycle_id": cycle.id,
                "group": SELF,
                "submitted": submit,
                "held": False,
            },
        )
        return response_id
    response_id = existing.id
    db.session.execute(delete(Rating).where(Rating.response_id == response_id))
    db.session.execute(delete(OpenAnswer).where(OpenAnswer.response_id == response_id))
    if submit and not existing.submitted:
        db.session.execute(
            update(Response).where(Response.id == response_id).values(submitted=True)
        )
    loaded = db.session.identity_map.get(identity_key(Response, response_id))
    if loaded is not None:
        db.session.expire(loaded)  # read again: it was rewritten under the ORM
    return response_id


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


# Core INSERTs, built once (their cache keys are computed once per object): building
# and flushing ~40 ORM objects was a third of a submit's time, the ORM's bulk path
# another fifth.
_INSERT_RESPONSE = insert(Response.__table__)
_INSERT_RATINGS = insert(Rating.__table__)
_INSERT_OPEN_ANSWERS = insert(OpenAnswer.__table__)
#: PostgreSQL: every rating of a response in one statement, from two arrays, instead of
#: one INSERT per rating, which the server parses and runs one by one (10 % more
#: submits per second there).
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


#: SQLite: the ratings' and open answers' INSERTs as the driver takes them (``qmark``).
_SQLITE_INSERT_RATINGS = "INSERT INTO ratings (response_id, item_id, score) VALUES (?, ?, ?)"
_SQLITE_INSERT_OPEN_ANSWERS = (
    "INSERT INTO open_answers (response_id, question_id, text) VALUES (?, ?, ?)"
)


def _insert_answers(cycle: Cycle, response_id: str, answers: Answers) -> None:
    """The response's ratings and open answers; keys the questionnaire does not have
    are left out."""
    items, questions = _ids_by_key(cycle.questionnaire_id)
    scores = [(items[key], score) for key, score in answers.scores.items() if key in items]
    texts = [(questions[key], text) for key, text in answers.texts.items() if key in questions]
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        # The driver's own executemany, its rows as tuples: SQLAlchemy's executemany
        # builds and checks each row's parameters (for 35 ratings, about a twentieth
        # of a rater's submit), and these columns have no type that converts a value.
        connection = db.session.connection()
        if scores:
            connection.exec_driver_sql(
                _SQLITE_INSERT_RATINGS, [(response_id, *pair) for pair in scores]
            )
        if texts:
            connection.exec_driver_sql(
                _SQLITE_INSERT_OPEN_ANSWERS, [(response_id, *pair) for pair in texts]
            )
        return
    if scores and dialect == "postgresql":
        db.session.execute(
            _INSERT_RATINGS_FROM_ARRAYS,
            {
                "response_id": response_id,
                "item_ids": [item_id for item_id, _ in scores],
                "scores": [score for _, score in scores],
            },
        )
    elif scores:
        db.session.execute(
            _INSERT_RATINGS,
            [
                {"response_id": response_id, "item_id": item_id, "score": score}
                for item_id, score in scores
            ],
        )
    if texts:
        db.session.execute(
            _INSERT_OPEN_ANSWERS,
            [
                {"response_id": response_id, "question_id": question_id, "text": text}
                for question_id, text in texts
            ],
        )


#: PostgreSQL: a rater's whole submit in one statement, one round trip instead of four:
#: the claim given by the caller (an UPDATE … RETURNING of the row that says who was
#: asked), then, only when it claimed a row, the response, its ratings and its open
#: answers. The response takes nothing from the claimed row: it holds the cycle, the
#: group and the answers, never who. Foreign keys are checked at the statement's end,
#: when the response is there.
_CLAIM_AND_STORE = """
WITH claimed AS ({claim}),
response AS (
    INSERT INTO responses (id, cycle_id, "group", submitted, held)
    SELECT :response_id, :cycle_id, :group, true, true FROM claimed
    RETURNING id
),
ratings AS (
    INSERT INTO ratings (response_id, item_id, score)
    SELECT response.id, pairs.item_id, pairs.score
    FROM response, unnest(CAST(:item_ids AS integer[]), CAST(:scores AS smallint[]))
        AS pairs (item_id, score)
),
texts AS (
    INSERT INTO open_answers (response_id, question_id, text)
    SELECT response.id, pairs.question_id, pairs.text
    FROM response, unnest(CAST(:question_ids AS integer[]), CAST(:texts AS text[]))
        AS pairs (question_id, text)
)
SELECT count(*) FROM claimed
"""
_CLAIMS_AND_STORES: dict[str, object] = {}


def claim_and_store(claim_sql: str, claim_params: dict, cycle: Cycle, group: str, answers) -> bool:
    """PostgreSQL only: run ``claim_sql`` (an UPDATE … RETURNING one column, whose bound
    parameters are ``claim_params``) and, when it claimed a row, write ``answers`` from
    rater ``group`` as a new held response of ``cycle``, all in one statement; whether
    it claimed one (nothing is written when it did not). Executed, not committed."""
    if group not in GROUPS or group == SELF:
        raise ValueError(f"not a rater group: {group!r}")
    statement = _CLAIMS_AND_STORES.get(claim_sql)
    if statement is None:
        statement = _CLAIMS_AND_STORES[claim_sql] = text(_CLAIM_AND_STORE.format(claim=claim_sql))
    items, questions = _ids_by_key(cycle.questionnaire_id)
    scores = [(items[key], score) for key, score in answers.scores.items() if key in items]
    texts = [(questions[key], body) for key, body in answers.texts.items() if key in questions]
    claimed = db.session.execute(
        statement,
        {
            **claim_params,
            "response_id": new_response_id(),
            "cycle_id": cycle.id,
            "group": group,
            "item_ids": [item_id for item_id, _ in scores],
            "scores": [score for _, score in scores],
            "question_ids": [question_id for question_id, _ in texts],
            "texts": [body for _, body in texts],
        },
    ).scalar_one()
    return claimed == 1
