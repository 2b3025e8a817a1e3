"""Copy questionnaire files into the database, once per key and version."""

from sqlalchemy import select

from ..extensions import db
from .loader import QuestionnaireSpec, default_questionnaire
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
    questionnaire = Questionnaire(
        key=spec.key,
        version=spec.version,
        title=spec.title,
        description=spec.description,
        scale_labels="\n".join(spec.scale.labels[point] for point in range(1, 6)),
        dont_know_label=spec.scale.dont_know,
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
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire
