"""Reading answers back: the coachee's own, and every submitted one in the analysis's
long format (docs/analysis.md "Input"), which :mod:`.results` hands to the guarded engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from ..coaching.models import Cycle
from ..extensions import db
from ..questionnaires.models import Competency, Item, OpenQuestion
from ..vocabulary import SELF
from .answers import Answers
from .models import OpenAnswer, Rating, Response

if TYPE_CHECKING:
    import pandas as pd


def self_response(cycle: Cycle) -> Response | None:
    """The coachee's self-assessment, draft or submitted."""
    return db.session.scalar(
        select(Response).where(Response.cycle_id == cycle.id, Response.group == SELF)
    )


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


def ratings_frame(cycle: Cycle, *, with_held: bool = False) -> pd.DataFrame:
    """Submitted ratings of ``cycle`` in the analysis's long format: coachee_id,
    rater_id (the random response id), group, item_key, competency (its title), score.

    Only the answers in the results, unless ``with_held``: then the held ones too, and
    a column ``late`` that is true for them (what :mod:`.held` weighs at a close)."""
    import pandas as pd

    rows = db.session.execute(
        select(
            Response.id,
            Response.group,
            Item.key,
            Competency.title,
            Rating.score,
            Response.held,
        )
        .join(Rating, Rating.response_id == Response.id)
        .join(Item, Item.id == Rating.item_id)
        .join(Competency, Competency.id == Item.competency_id)
        .where(_answers_of(cycle, with_held))
        .order_by(Item.position, Response.id)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["rater_id", "group", "item_key", "competency", "score", "late"]
    ).astype({"score": "float64", "late": bool})
    frame.insert(0, "coachee_id", str(cycle.coachee_id))
    return frame if with_held else frame.drop(columns="late")


def comments_frame(cycle: Cycle) -> pd.DataFrame:
    """Submitted open answers of ``cycle`` that are in the results: group,
    question_key, text."""
    import pandas as pd

    rows = db.session.execute(
        select(Response.group, OpenQuestion.key, OpenAnswer.text)
        .join(OpenAnswer, OpenAnswer.response_id == Response.id)
        .join(OpenQuestion, OpenQuestion.id == OpenAnswer.question_id)
        .where(_answers_of(cycle, with_held=False))
    ).all()
    return pd.DataFrame(rows, columns=["group", "question_key", "text"])


def _answers_of(cycle: Cycle, with_held: bool):
    """The responses of ``cycle`` that count: submitted, and not held unless asked."""
    condition = (Response.cycle_id == cycle.id) & Response.submitted.is_(True)
    return condition if with_held else condition & Response.held.is_(False)
