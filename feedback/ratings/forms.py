"""The answer form shared by the self-assessment and the raters: built from the questionnaire.

Field names are part of the stable interface: ``item-<item_key>`` with a point of the
questionnaire's scale (``1``…``A``, A from 4 to 7) or ``na`` (when the scale offers
"Don't know"), ``text-<question_key>``, and ``action`` (``save``, ``submit`` or ``decline``).

A plain parse of the posted form, not a WTForms form: what a form of a questionnaire
version asks (its statements, its choices, its open questions and their lengths) is
worked out once per app (a stored version never changes), and a request only reads its
own values and checks them, with the messages WTForms gave. Binding a WTForms form
and loading WTForms' catalogue for each request were a fifth of a rater's visit.
The CSRF token is checked app-wide (``CSRFProtect``) before the view runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from babel import support
from flask import current_app, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

from ..questionnaires.models import Questionnaire
from .answers import Answers
from .grid import OpenQuestion, open_questions, open_questions_html, statement_grid

DONT_KNOW = "na"
#: Methods whose request carries the form's values (as Flask-WTF reads them).
_POSTED = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Choice(NamedTuple):
    """One choice at a statement: its posted value and its label."""

    value: str
    label: str


def _wtforms_catalogue(language: str) -> support.Translations:
    """WTForms' own catalogue in ``language`` (for "Not a valid choice."), read once
    per language and process (Flask-WTF reads the file again for every request)."""
    catalogue = _WTFORMS_CATALOGUES.get(language)
    if catalogue is None:
        catalogue = support.Translations.load(messages_path(), [language], domain="wtforms")
        _WTFORMS_CATALOGUES[language] = catalogue
    return catalogue


_WTFORMS_CATALOGUES: dict[str, support.Translations] = {}


def _not_a_choice() -> str:
    """WTForms' message for a value off the choices, in the page's language."""
    return _wtforms_catalogue(str(get_locale() or "en")).ugettext("Not a valid choice.")


@dataclass(frozen=True, slots=True)
class _Spec:
    """What a questionnaire version's form asks of one audience, worked out once."""

    item_keys: tuple[str, ...]
    choices: tuple[Choice, ...]
    allowed: frozenset[str]
    #: (key, longest text) of each open question asked, in order.
    questions: tuple[tuple[str, int], ...]


class Scores:
    """The answers to every statement, posted as one radio group per statement
    (``item-<key>``: a point of the scale or "Don't know"); ``data`` maps item keys to
    the values chosen, unanswered statements left out. The grid draws each statement's
    radio buttons from ``choices`` and ``data``, and shows ``errors_by_key`` next to
    the statement concerned."""

    __slots__ = ("allowed", "choices", "data", "errors", "errors_by_key", "keys")

    def __init__(self, spec: _Spec, draft: dict[str, str], formdata) -> None:
        self.keys = spec.item_keys
        self.choices = spec.choices
        self.allowed = spec.allowed
        self.data = dict(draft)
        self.errors: list[str] = []
        self.errors_by_key: dict[str, str] = {}
        if formdata is not None:
            # Every posted value over the draft, as a form field takes what is posted.
            for key in self.keys:
                value = formdata.get(f"item-{key}")
                if value:
                    self.data[key] = value

    def validate(self) -> bool:
        """Refuse values that are not one of the choices, statement by statement. A
        missing answer passes here: whether one is needed depends on the action (see
        :func:`form_problem`)."""
        wrong = [key for key, value in self.data.items() if value not in self.allowed]
        self.errors_by_key = dict.fromkeys(wrong, _not_a_choice()) if wrong else {}
        self.errors = [_("Some answers are not on the scale.")] if wrong else []
        return not wrong


class TextAnswer:
    """One open question's text field (``text-<key>``), drawn as a ``<textarea>``."""

    __slots__ = ("data", "errors", "max_length", "name", "posted")

    def __init__(self, name: str, max_length: int, data: str | None, posted: str | None):
        self.name = name
        self.max_length = max_length
        #: The draft's text, or what was posted (even an empty text) when it was.
        self.data = posted if posted is not None else data
        self.posted = posted
        self.errors: list[str] = []

    @property
    def id(self) -> str:
        """The element's id, which its label points to."""
        return self.name

    def validate(self) -> bool:
        """A posted text (not only spaces) may hold at most ``max_length`` characters."""
        self.errors = []
        if self.posted and self.posted.strip() and len(self.posted) > self.max_length:
            self.errors.append(
                _("Please keep this under %(count)s characters.", count=self.max_length)
            )
        return not self.errors

    def __call__(self, *, maxlength: int, rows: int, disabled: bool = False) -> Markup:
        """The field's HTML (the same markup WTForms drew: attributes in name order)."""
        name = escape(self.name)
        value = escape(self.data) if self.data is not None else ""
        # The name and the text went through ``escape``; the rest are numbers.
        return Markup(  # noqa: S704  # nosec B704
            f'<textarea{" disabled" if disabled else ""} id="{name}" '
            f'maxlength="{int(maxlength)}" name="{name}" rows="{int(rows)}">\r\n'
            f"{value}</textarea>"
        )


class AnswerForm:
    """A questionnaire's answer form for one audience, filled from a saved draft and,
    on a POST, from what was posted."""

    __slots__ = ("_texts", "question_keys", "scores")

    def __init__(self, spec: _Spec, data: dict, formdata) -> None:
        self.scores = Scores(spec, data.get("scores") or {}, formdata)
        self.question_keys = tuple(key for key, _ in spec.questions)
        self._texts = {
            f"text-{key}": TextAnswer(
                f"text-{key}",
                length,
                data.get(f"text-{key}"),
                None if formdata is None else formdata.get(f"text-{key}"),
            )
            for key, length in spec.questions
        }

    def __getitem__(self, name: str) -> TextAnswer:
        return self._texts[name]

    def validate(self) -> bool:
        """Check every field (each keeps its own errors); true when all are fine."""
        valid = self.scores.validate()
        for field in self._texts.values():
            valid = field.validate() and valid
        return valid

    def answers(self) -> Answers:
        """The answers given, skipping unanswered items and empty texts."""
        result = Answers()
        for key, value in self.scores.data.items():
            result.scores[key] = None if value == DONT_KNOW else int(value)
        for key in self.question_keys:
            text = (self._texts[f"text-{key}"].data or "").strip()
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

    def open_questions_html(
        self, questionnaire: Questionnaire, audience: str, name: str, first: str | None, **kwargs
    ) -> Markup:
        """The open questions with this form's fields (see :func:`.grid.open_questions_html`)."""
        return open_questions_html(self, questionnaire, audience, name, first, **kwargs)

    def unanswered(self) -> list[str]:
        """Keys of the items with no choice, not even "Don't know"."""
        answered = self.scores.data
        return [key for key in self.scores.keys if key not in answered]


def answer_form(
    questionnaire: Questionnaire, audience: str, answers: Answers | None = None
) -> AnswerForm:
    """A form for ``audience`` (``"self"`` or ``"rater"``) prefilled from ``answers``;
    on a POST, what was posted is taken over them."""
    data: dict = {}
    if answers is not None:
        data["scores"] = {
            key: DONT_KNOW if score is None else str(score) for key, score in answers.scores.items()
        }
        for key, text in answers.texts.items():
            data[f"text-{key}"] = text
    formdata = request.form if request.method in _POSTED else None
    return AnswerForm(_spec(questionnaire, audience), data, formdata)


def _spec(questionnaire: Questionnaire, audience: str) -> _Spec:
    """What the form of ``questionnaire`` for ``audience`` asks, worked out once per
    app: a stored questionnaire version never changes."""
    cache = current_app.extensions.setdefault("answer_form_specs", {})
    key = (questionnaire.id, questionnaire.key, questionnaire.version, audience)
    spec = cache.get(key)
    if spec is None:
        choices = [Choice(str(point), label) for point, label in questionnaire.scale]
        if questionnaire.dont_know_label:  # empty: the scale offers no "Don't know"
            choices.append(Choice(DONT_KNOW, questionnaire.dont_know_label))
        spec = cache[key] = _Spec(
            item_keys=tuple(item.key for item in questionnaire.items),
            choices=tuple(choices),
            allowed=frozenset(choice.value for choice in choices),
            questions=tuple((q.key, q.max_length) for q in questionnaire.questions_for(audience)),
        )
    return spec


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
