"""The answer form shared by the self-assessment and the raters: built from the questionnaire.

Field names are part of the stable interface: ``item-<item_key>`` with a point of the
questionnaire's scale (``1``…``A``, A from 4 to 7) or ``na`` (when the scale offers
"Don't know"), ``text-<question_key>``, and ``action`` (``save``, ``submit`` or ``decline``).
"""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import Field, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import Length, Optional, ValidationError

from ..questionnaires.models import Questionnaire
from .answers import Answers
from .grid import OpenQuestion, open_questions, statement_grid

DONT_KNOW = "na"


class ScoresField(Field):
    """The answers to every statement, posted as one radio group per statement
    (``item-<key>``: a point of the scale or "Don't know"); ``data`` maps item keys to
    the values chosen, unanswered statements left out.

    One field for the whole grid rather than one RadioField per statement: binding,
    processing and checking 35 fields was a quarter of a rater's submit. The template
    draws each statement's radio buttons from ``choices`` and ``data``, and shows
    ``errors_by_key`` next to the statement concerned.
    """

    def __init__(self, *, keys: tuple[str, ...], choices: list[SelectChoice], **kwargs):
        super().__init__(**kwargs)
        self.keys = keys
        self.choices = choices
        self.allowed = frozenset(choice.value for choice in choices)
        self.errors_by_key: dict[str, str] = {}

    def process(self, formdata, data=unset_value, extra_filters=None) -> None:
        """Start from ``data`` (a saved draft) and take every posted ``item-<key>``
        value over it, as WTForms does for a field the post leaves out."""
        self.process_errors = []
        self.data = dict(data) if isinstance(data, dict) else {}
        self.raw_data = None
        if formdata is not None:
            posted = ((key, formdata.get(f"item-{key}")) for key in self.keys)
            self.raw_data = {key: value for key, value in posted if value}
            self.data.update(self.raw_data)

    def pre_validate(self, form) -> None:
        """Refuse posted values that are not one of the choices, statement by statement.
        A missing answer passes here: whether one is needed depends on the action (see
        :func:`form_problem`)."""
        self.errors_by_key = {
            key: self.gettext("Not a valid choice.")
            for key, value in self.data.items()
            if value not in self.allowed
        }
        if self.errors_by_key:
            raise ValidationError(_("Some answers are not on the scale."))


class AnswerForm(FlaskForm):
    """Base of the generated forms. A generated class also knows its item and question
    keys, so reading a posted form needs no database."""

    class Meta:
        # The app-wide CSRFProtect has checked the token before the view runs; checking
        # it again in the form (a second itsdangerous unsign) was a tenth of a submit.
        csrf = False

    question_keys: tuple[str, ...] = ()
    scores: ScoresField

    def answers(self) -> Answers:
        """The answers given, skipping unanswered items and empty texts."""
        result = Answers()
        for key, value in self.scores.data.items():
            result.scores[key] = None if value == DONT_KNOW else int(value)
        for key in self.question_keys:
            text = (self[f"text-{key}"].data or "").strip()
            if text:
                result.texts[key] = text
        return result

    def statement_grid(self, questionnaire: Questionnaire, audience: str, name: str, **kwargs):
        """This form's grid of statements as HTML and the first one needing attention
        (see :func:`.grid.statement_grid`)."""
        return statement_grid(self, questionnaire, audience, name, **kwargs)

    def open_questions(
        self, questionnaire: Questionnaire, audience: str
    ) -> tuple[OpenQuestion, ...]:
        """The open questions this form asks, in order, without a query once known."""
        return open_questions(self, questionnaire, audience)

    def unanswered(self) -> list[str]:
        """Keys of the items with no choice, not even "Don't know"."""
        answered = self.scores.data
        return [key for key in self.scores.keys if key not in answered]


def answer_form(
    questionnaire: Questionnaire, audience: str, answers: Answers | None = None, **kwargs
) -> AnswerForm:
    """A form for ``audience`` (``"self"`` or ``"rater"``) prefilled from ``answers``
    when the request carries no form data."""
    data: dict = {}
    if answers is not None:
        data["scores"] = {
            key: DONT_KNOW if score is None else str(score) for key, score in answers.scores.items()
        }
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
    if questionnaire.dont_know_label:  # empty: the scale offers no "Don't know"
        choices.append(SelectChoice(DONT_KNOW, questionnaire.dont_know_label))

    class Form(AnswerForm):
        question_keys = tuple(q.key for q in questionnaire.questions_for(audience))
        scores = ScoresField(keys=tuple(item.key for item in questionnaire.items), choices=choices)

    for question in questionnaire.questions_for(audience):
        setattr(
            Form,
            f"text-{question.key}",
            TextAreaField(
                validators=[
                    Optional(),
                    Length(
                        max=question.max_length,
                        # Lazy: the class is built once, its message said in each
                        # page's language.
                        message=_l(
                            "Please keep this under %(count)s characters.",
                            count=question.max_length,
                        ),
                    ),
                ]
            ),
        )
    return Form


def form_problem(form: AnswerForm, action: str) -> str | None:
    """A message for the person answering when the posted form cannot be taken as it is:
    an unknown action, a value off the scale, a text too long, or (on submit only)
    statements left without any answer."""
    if action not in ("save", "submit"):
        return _("Unknown action.")
    if not form.validate():
        return _("Some answers need your attention (marked below).")
    if action == "submit" and (missing := form.unanswered()):
        return ngettext(
            "%(num)d statement still needs an answer (“Don't know” is fine). "
            "Or save and come back later.",
            "%(num)d statements still need an answer (“Don't know” is fine). "
            "Or save and come back later.",
            len(missing),
        )
    return None
