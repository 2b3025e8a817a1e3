"""Questionnaires in the database: copied from a spec once per key and version, read
back as a spec, and the latest version of a key.

A stored version is never changed while a cycle uses it; whether one does is for the
caller to say (cycles live above this package), see ``feedback.cycles.own_questionnaires``.
"""

import json

from sqlalchemy import select

from ..extensions import db
from .loader import (
    QuestionnaireSpec,
    Scale,
    Translation,
    default_questionnaire,
    spec_from_parts,
)
from .models import Competency, Item, OpenQuestion, Questionnaire


def stored_questionnaire(spec: QuestionnaireSpec | None = None) -> Questionnaire:
    """The stored copy of ``spec`` (default: the shipped default), created if missing.
    A stored version is never changed: a new wording needs a new version number."""
    spec = spec or default_questionnaire()
    existing = db.session.scalar(
        select(Questionnaire).where(
            Questionnaire.key == spec.key, Questionnaire.version == spec.version
        )
    )
    if existing is not None:
        return existing
    return add_version(spec, coach_id=None)


def latest_version(key: str) -> Questionnaire | None:
    """The stored version of ``key`` with the highest number; None if none is stored."""
    return db.session.scalar(
        select(Questionnaire)
        .where(Questionnaire.key == key)
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )


def add_version(spec: QuestionnaireSpec, *, coach_id: int | None) -> Questionnaire:
    """Store ``spec`` as a new row (its key and version must not be stored yet),
    owned by the coach ``coach_id`` (None: shipped with the service); flushed."""
    questionnaire = unsaved_questionnaire(spec, coach_id=coach_id)
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def stored_or_unsaved(spec: QuestionnaireSpec) -> Questionnaire:
    """The stored copy of ``spec`` if there is one, else an unsaved one (for a page
    that only reads, such as a preview: it must not write)."""
    existing = db.session.scalar(
        select(Questionnaire).where(
            Questionnaire.key == spec.key, Questionnaire.version == spec.version
        )
    )
    return existing if existing is not None else unsaved_questionnaire(spec, coach_id=None)


def unsaved_questionnaire(spec: QuestionnaireSpec, *, coach_id: int | None) -> Questionnaire:
    """``spec`` as model objects, not added to the session."""
    questionnaire = Questionnaire(
        key=spec.key,
        version=spec.version,
        coach_id=coach_id,
        title=spec.title,
        description=spec.description,
        scale_labels="\n".join(spec.scale.labels[point] for point in spec.scale.points),
        dont_know_label=spec.scale.dont_know or "",
        translations=json.dumps(
            {code: t.to_json() for code, t in sorted(spec.translations.items())},
            ensure_ascii=False,
            sort_keys=True,
        )
        if spec.translations
        else None,
    )
    position = 0
    for c_position, competency_spec in enumerate(spec.competencies):
        competency = Competency(
            key=competency_spec.key,
            position=c_position,
            title=competency_spec.title,
            description=competency_spec.description,
        )
        questionnaire.competencies.append(competency)
        for item_spec in competency_spec.items:
            questionnaire.items.append(
                Item(
                    key=item_spec.key,
                    position=position,
                    self_text=item_spec.self_text,
                    rater_text=item_spec.rater_text,
                    competency=competency,
                )
            )
            position += 1
    for q_position, question in enumerate(spec.open_questions):
        questionnaire.open_questions.append(
            OpenQuestion(
                key=question.key,
                position=q_position,
                audience=question.audience,
                self_text=question.self_text,
                rater_text=question.rater_text,
                max_length=question.max_length,
            )
        )
    return questionnaire


def spec_of(questionnaire: Questionnaire) -> QuestionnaireSpec:
    """A stored version as the spec it was made from (to export it, edit it or compare
    it with another)."""
    scale = Scale(labels=dict(questionnaire.scale), dont_know=questionnaire.dont_know_label or None)
    return spec_from_parts(
        questionnaire,
        scale,
        (
            (
                competency,
                [item for item in questionnaire.items if item.competency_id == competency.id],
            )
            for competency in questionnaire.competencies
        ),
        translations={
            code: Translation.from_json(data)
            for code, data in questionnaire.translation_data().items()
        },
    )
