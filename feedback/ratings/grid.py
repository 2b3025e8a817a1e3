"""The answer form's grid of statements, drawn from pieces made once per questionnaire
version, audience and language.

A stored questionnaire version never changes once a cycle uses it, so each statement's
wording and radio buttons are escaped and joined once (per app, like the form class in
:mod:`.forms`); a request only adds what is its own: the coachee's first name, the
answers chosen (a saved draft or what was just posted), the errors, the first statement
that needs an answer, and whether the form is read-only. Drawing the grid with Jinja,
statement by statement, was most of the time of a rater's form GET.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from ..questionnaires.models import Questionnaire

#: The placeholder for the coachee's first name in a statement's rater wording.
NAME = "{name}"


@dataclass(frozen=True, slots=True)
class _Choice:
    value: str
    #: Up to the end of the radio button's value, and from there to the label's end.
    head: str
    tail: str


@dataclass(frozen=True, slots=True)
class _Statement:
    key: str
    #: The wording, escaped; the rater's still holds ``{name}``.
    legend: str


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """What the form shows of an open question (plain text: the template escapes it)."""

    key: str
    self_text: str
    rater_text: str
    max_length: int


@dataclass(frozen=True, slots=True)
class _Grid:
    competencies: tuple[tuple[str, tuple[_Statement, ...]], ...]
    #: Per statement key, its radio buttons.
    choices: dict[str, tuple[_Choice, ...]]
    scale_ends: str
    questions: tuple[OpenQuestion, ...]
    #: The opening tag of a statement's row of buttons (its class says how many).
    scale_open: str
    #: Shown at a statement left without an answer when the form was submitted.
    needs_answer: str


def _build(questionnaire: Questionnaire, audience: str, choices, language: str) -> _Grid:
    """The pieces of the grid in ``language``: the questionnaire's translation into it
    when it has one, else its own texts."""
    translated = questionnaire.translated(language)
    side = 0 if audience == "self" else 1
    scale = questionnaire.scale
    labels = {str(point): label for point, label in scale}
    dont_know = questionnaire.dont_know_label
    titles: dict[str, str] = {}
    wordings: dict[str, str] = {}
    questions_in: dict[str, list] = {}
    if translated is not None:
        labels = dict(translated["scale"])
        dont_know = translated["dont_know"] or ""
        titles = translated["competencies"]
        wordings = {key: texts[side] for key, texts in translated["items"].items()}
        questions_in = translated["open_questions"]
    statements = []
    for competency in questionnaire.competencies:
        rows = tuple(
            _Statement(
                item.key,
                str(
                    escape(
                        wordings.get(item.key)
                        or (item.self_text if audience == "self" else item.rater_text)
                    )
                ),
            )
            for item in competency.items
        )
        statements.append((str(escape(titles.get(competency.key, competency.title))), rows))
    buttons = {}
    for _title, rows in statements:
        for row in rows:
            name = escape(f"item-{row.key}")
            buttons[row.key] = tuple(
                _Choice(
                    choice.value,
                    f'<label class="{"na" if choice.value == "na" else ""}"><input type="radio" '
                    f'name="{name}" value="{escape(choice.value)}" ',
                    "><span>"
                    + (
                        f"<b>{escape(choice.value)}</b>"
                        f"<small>{escape(labels.get(choice.value, choice.label))}</small>"
                        if choice.value != "na"
                        else str(escape(dont_know or choice.label))
                    )
                    + "</span></label>",
                )
                for choice in choices
            )
    low, high = scale[0][0], scale[-1][0]
    ends = (
        f'<div class="scale-ends" aria-hidden="true"><span>{low} = '
        f"{escape(labels[str(low)])}</span><span>{high} = {escape(labels[str(high)])}</span></div>"
    )
    questions = tuple(
        OpenQuestion(
            q.key,
            (questions_in.get(q.key) or (None, None))[0] or q.self_text,
            (questions_in.get(q.key) or (None, None))[1] or q.rater_text,
            q.max_length,
        )
        for q in questionnaire.questions_for(audience)
    )
    scale_open = f'<div class="scale cols-{len(choices)} points-{questionnaire.scale_points}">'
    needs_answer = (
        _("Please choose an answer, or “%(dont_know)s”.", dont_know=dont_know)
        if dont_know
        else _("Please choose an answer.")
    )
    return _Grid(tuple(statements), buttons, ends, questions, scale_open, needs_answer)


def _grid(questionnaire: Questionnaire, audience: str, choices) -> _Grid:
    cache = current_app.extensions.setdefault("answer_grids", {})
    # The pieces are in the page's language: one grid per language.
    language = str(get_locale() or "en")
    key = (questionnaire.id, questionnaire.key, questionnaire.version, audience, language)
    grid = cache.get(key)
    if grid is None:
        grid = cache[key] = _build(questionnaire, audience, choices, language)
    return grid


def open_questions(form, questionnaire: Questionnaire, audience: str) -> tuple[OpenQuestion, ...]:
    """The open questions ``form`` asks of ``audience``, in order, kept with the grid."""
    return _grid(questionnaire, audience, form.scores.choices).questions


def statement_grid(
    form, questionnaire: Questionnaire, audience: str, name: str, *, check: bool, read_only: bool
) -> tuple[Markup, str | None]:
    """The grid of ``form`` (an answer form of ``questionnaire`` for ``audience``), and
    the field name of the first statement that needs attention (None when none does).

    ``name`` is the coachee's first name, put into the raters' wording; ``check`` marks
    every statement still without an answer (a submit); ``read_only`` disables every
    statement (an answered self-assessment).
    """
    grid = _grid(questionnaire, audience, form.scores.choices)
    chosen_by_key = form.scores.data
    errors = form.scores.errors_by_key
    first = None
    name_html = str(escape(name))
    disabled = " disabled>" if read_only else " >"
    parts: list[str] = []
    add = parts.append
    for title, rows in grid.competencies:
        add(f'<h2 class="competency-title">{title}</h2>')
        for row in rows:
            chosen = chosen_by_key.get(row.key)
            error = errors.get(row.key) or (grid.needs_answer if check and not chosen else None)
            if error:
                add('<fieldset class="question invalid"')
                if first is None:
                    first = f"item-{row.key}"
                    add(' id="first-problem" tabindex="-1"')
            else:
                add('<fieldset class="question"')
            add(disabled)
            legend = row.legend.replace(NAME, name_html) if audience != "self" else row.legend
            add(f"<legend>{legend}</legend>")
            add(grid.scale_open)
            for choice in grid.choices[row.key]:
                add(choice.head)
                if choice.value == chosen:
                    add("checked")
                add(choice.tail)
            add("</div>")
            add(grid.scale_ends)
            if error:
                add(f'<p class="errors">{escape(error)}</p>')
            add("</fieldset>")
    # Every piece of text in ``parts`` went through ``escape`` (when made or just now).
    return Markup("".join(parts)), first  # noqa: S704  # nosec B704


def open_questions_html(
    form,
    questionnaire: Questionnaire,
    audience: str,
    name: str,
    first: str | None,
    *,
    disabled: bool,
) -> Markup:
    """The open questions of ``form`` with their text fields, as the form's page shows
    them: the labels in the page's language (the raters' with the coachee's first name
    ``name``), each field's text and errors; the first field with an error takes the
    ``first-problem`` mark unless a statement (``first``) took it."""
    parts: list[str] = []
    add = parts.append
    for question in _grid(questionnaire, audience, form.scores.choices).questions:
        field = form[f"text-{question.key}"]
        errors = field.errors
        mark = ""
        if errors and first is None:
            first = field.name
            mark = ' id="first-problem" tabindex="-1"'
        label = (
            question.self_text if audience == "self" else question.rater_text.replace(NAME, name)
        )
        rows = 2 if question.max_length <= 140 else 4
        add('\n    \n    \n    <div class="question')
        add(" invalid" if errors else "")
        add(f'"{mark}>\n      <label class="prompt" for="{escape(field.id)}">{escape(label)}')
        add("</label>\n      ")
        add(field(maxlength=question.max_length, rows=rows, disabled=disabled))
        add("\n      ")
        for error in errors:
            add(f'<p class="errors">{escape(error)}</p>')
        add("\n    </div>\n  ")
    # Every piece of text in ``parts`` went through ``escape`` or is a field's markup.
    return Markup("".join(parts))  # noqa: S704  # nosec B704
