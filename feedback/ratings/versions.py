"""Stored questionnaire versions kept in memory, for the answer forms.

A stored version never changes once a cycle uses it (:mod:`feedback.questionnaires.store`),
and every answer form is of a version some cycle uses, so a version is read once per
app, with its competencies, statements and open questions, and kept detached from any
session: a request that shows or takes a form reads none of it from the database.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..questionnaires.models import Competency, Questionnaire

_LOAD = select(Questionnaire).options(
    selectinload(Questionnaire.competencies).selectinload(Competency.items),
    selectinload(Questionnaire.items),
    selectinload(Questionnaire.open_questions),
)


def kept_questionnaire(questionnaire_id: int, key: str, version: int) -> Questionnaire:
    """The stored version ``questionnaire_id`` (which is ``key`` version ``version``),
    read once per app with everything a form shows. Read-only: it belongs to no
    session, so nothing it holds is loaded lazily or written back."""
    cache = current_app.extensions.setdefault("kept_questionnaires", {})
    ident = (questionnaire_id, key, version)
    questionnaire = cache.get(ident)
    if questionnaire is None:
        # A session of its own: the request's session never holds (or expires) it.
        with Session(db.engine) as session:
            questionnaire = session.scalars(_LOAD.where(Questionnaire.id == questionnaire_id)).one()
        cache[ident] = questionnaire
    return questionnaire
