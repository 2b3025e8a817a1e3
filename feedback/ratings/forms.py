"""The answer form shared by the self-assessment and the raters: built from the questionnaire.

Field names are part of the stable interface: ``item-<item_key>`` with ``1``…``5`` or
``na``, ``text-<question_key>``, and ``action`` (``save``, ``submit`` or ``decline``).
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..questionnaires.models import Questionnaire

DONT_KNOW = "na"


@dataclass
class Answers:
    """What someone answered: scores by item key (``None`` = don't know) and texts."""

    scores: dict[str, int | None] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-ready copy, for drafts."""
        return {"scores": self.scores, "texts": self.texts}

    @classmethod
    def from_json(cls, data: dict | None) -> "Answers":
        """Answers from :meth:`to_json` output; tolerates an empty draft."""
        data = data or {}
        return cls(scores=dict(data.get("scores", {})), texts=dict(data.get("texts", {})))


class ScoreField(RadioField):
    """One statement's answer: a point of the scale or "Don't know", or nothing yet.

    RadioField checks a posted value by building every choice anew for each field; with
    35 statements that was a fifth of a rater's submit. The allowed values are fixed
    when the class is built, so this checks a set instead. An empty answer passes here:
    whether one is needed depends on the action (see :func:`form_problem`)."""

    def __init__(self, *, choices: list[SelectChoice], **kwargs):
        super().__init__(choices=choices, **kwargs)
        self.allowed = frozenset(choice.value for choice in choices)

    def pre_validate(self, form) -> None:
        """Refuse a posted value that is not one of the choices."""
        if self.raw_data and self.data not in self.allowed:
            raise ValidationError(self.gettext("Not a valid choice."))


class AnswerForm(FlaskForm):
    """Base of the generated forms. A generated class also knows its item and question
    keys, so reading a posted form needs no database."""

    class Meta:
        # The app-wide CSRFProtect has checked the token before the view runs; checking
        # it again in the form (a second itsdangerous unsign) was a tenth of a submit.
        csrf = False

    item_keys: tuple[str, ...] = ()
    question_keys: tuple[str, ...] = ()

    def answers(self) -> Answers:
        """The answers given, skipping unanswered items and empty texts."""
        result = Answers()
        for key in self.item_keys:
            value = self[f"item-{key}"].data
            if value == DONT_KNOW:
                result.scores[key] = None
            elif value:
                result.scores[key] = int(value)
        for key in self.question_keys:
            text = (self[f"text-{key}"].data or "").strip()
            if text:
                result.texts[key] = text
        return result

    def unanswered(self) -> list[str]:
        """Keys of the items with no choice, not even "Don't know"."""
        return [key for key in self.item_keys if not self[f"item-{key}"].data]


def answer_form(
    questionnaire: Questionnaire, audience: str, answers: Answers | None = None, **kwargs
) -> AnswerForm:
    """A form for ``audience`` (``"self"`` or ``"rater"``) prefilled from ``answers``
    when the request carries no form data."""
    data = {}
    if answers is not None:
        for key, score in answers.scores.items():
            data[f"item-{key}"] = DONT_KNOW if score is None else str(score)
        for key, text in answers.texts.items():
            data[f"text-{key}"] = text
    return _form_class(questionnaire, audience)(data=data, **kwargs)


def _form_class(questionnaire: Questionnaire, audience: str) -> type[AnswerForm]:
    """The form class of ``questionnaire`` for ``audience``, built once per app: a stored
    questionnaire version never changes, and building the class (and WTForms binding
    its 40-odd fields on first use) was a tenth of a rater's submit."""
    cache = current_app.extensions.setdefault("answer_form_classes", {})
    key = (questionnaire.id, questionnaire.key, questionnaire.version, audience)
    form_class = cache.get(key)
    if form_class is None:
        form_class = cache[key] = _build_form_class(questionnaire, audience)
    return form_class


def _build_form_class(questionnaire: Questionnaire, audience: str) -> type[AnswerForm]:
    choices = [SelectChoice(str(point), label) for point, label in questionnaire.scale]
    choices.append(SelectChoice(DONT_KNOW, questionnaire.dont_know_label))

    class Form(AnswerForm):
        item_keys = tuple(item.key for item in questionnaire.items)
        question_keys = tuple(q.key for q in questionnaire.questions_for(audience))

    for item in questionnaire.items:
        setattr(
            Form,
            f"item-{item.key}",
            ScoreField(choices=choices),
        )
    for question in questionnaire.questions_for(audience):
        setattr(
            Form,
            f"text-{question.key}",
            TextAreaField(
                validators=[
                    Optional(),
                    Length(
                        max=question.max_length,
                        message=f"Please keep this under {question.max_length} characters.",
                    ),
                ]
            ),
        )
    return Form


def form_problem(form: AnswerForm, questionnaire: Questionnaire, action: str) -> str | None:
    """A message for the person answering when the posted form cannot be taken as it is:
    an unknown action, a value off the scale, a text too long, or (on submit only)
    statements left without any answer."""
    if action not in ("save", "submit"):
        return "Unknown action."
    if not form.validate():
        return "Some answers need your attention (marked below)."
    if action == "submit" and (missing := form.unanswered()):
        count = len(missing)
        return (
            f"{count} statement{'s' if count > 1 else ''} still need an answer "
            "(“Don't know” is fine). Or save and come back later."
        )
    return None
