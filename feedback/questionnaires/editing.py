"""The browser editor's form, read and written without Flask: posted fields to the
questionnaire file's data (validated by the same :mod:`.schema` as a TOML file), a
spec to the fields, and every problem mapped to the field it is about.

Field names: ``key``, ``title``, ``description``; ``points`` (4 to 7), ``label-1`` ..
``label-7``, ``dont_know`` (a checkbox) and ``dont_know_label``; per competency ``i``
(from 0, in the order shown) ``c-i-key``, ``c-i-title``, ``c-i-description`` and per
statement ``j`` ``c-i-s-j-key``, ``c-i-s-j-self``, ``c-i-s-j-rater``; per open question
``q-i-key``, ``q-i-audience``, ``q-i-self``, ``q-i-rater``, ``q-i-max_length``.

Translations (the ``[translations.<code>]`` tables of a file): a hidden
``translate-<code>`` says the draft has that language, and every text has a field of
the same name behind ``<code>-``: ``de-title``, ``de-label-3``, ``de-dont_know_label``,
``de-c-0-title``, ``de-c-0-s-1-rater``, ``de-q-0-self``. They are checked by the same
schema as a file's translations, so a text left out is a message at its field.

Rows left blank are skipped, so a form can offer empty rows to fill in. A new row's
key (which the coach never types) is made from its wording; a row that was saved keeps
its key in a hidden field, so trends keep matching it across versions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from pydantic import ValidationError

from . import schema
from .loader import QuestionnaireSpec, default_questionnaire, spec_of_file
from .schema import (
    HEADLINE_KEY,
    HEADLINE_MAX_LENGTH,
    MAX_SCALE_POINTS,
    MIN_SCALE_POINTS,
    TRANSLATION_LANGUAGES,
)

#: Empty rows the form offers to fill in: statements per competency, competencies,
#: open questions.
BLANK_STATEMENTS = 2
BLANK_COMPETENCIES = 1
BLANK_QUESTIONS = 1
#: The most rows read from a post (the schema allows 200 statements in all).
MAX_ROWS = 200
DEFAULT_MAX_LENGTH = 2000
_FIELD = re.compile(r"(c|q)-(\d+)-(?:s-(\d+)-)?([a-z_]+)")
_TRANSLATED = re.compile(rf"({'|'.join(TRANSLATION_LANGUAGES)})-(.+)")


def _typed(*texts: str) -> bool:
    return any(text.strip() for text in texts)


@dataclass
class Statement:
    key: str = ""
    self_text: str = ""
    rater_text: str = ""
    #: Language code -> the wording in that language (as typed).
    self_in: dict[str, str] = field(default_factory=dict)
    rater_in: dict[str, str] = field(default_factory=dict)

    def blank(self) -> bool:
        """Nothing typed, in any language (the key alone is not the coach's)."""
        return not _typed(
            self.self_text, self.rater_text, *self.self_in.values(), *self.rater_in.values()
        )


@dataclass
class CompetencyRow:
    key: str = ""
    title: str = ""
    description: str = ""
    statements: list[Statement] = field(default_factory=list)
    #: Language code -> the title in that language.
    titles: dict[str, str] = field(default_factory=dict)

    def blank(self) -> bool:
        """No title (in any language), no description and no statement typed."""
        return not (
            _typed(self.title, self.description, *self.titles.values())
            or any(not s.blank() for s in self.statements)
        )


@dataclass
class QuestionRow:
    key: str = ""
    audience: str = "rater"
    self_text: str = ""
    rater_text: str = ""
    max_length: str = str(DEFAULT_MAX_LENGTH)
    self_in: dict[str, str] = field(default_factory=dict)
    rater_in: dict[str, str] = field(default_factory=dict)

    def blank(self) -> bool:
        """No wording typed in any language (the headline is never blank: it is always
        kept)."""
        return self.key != HEADLINE_KEY and not _typed(
            self.self_text, self.rater_text, *self.self_in.values(), *self.rater_in.values()
        )


@dataclass
class Heading:
    """The questionnaire's own texts in one other language: title, introduction, scale
    labels and "Don't know" (the rows carry their own translations)."""

    title: str = ""
    description: str = ""
    labels: dict[int, str] = field(default_factory=dict)
    dont_know_label: str = ""


@dataclass
class Draft:
    """What the editor shows and posts: the questionnaire as rows of fields."""

    key: str = ""
    title: str = ""
    description: str = ""
    points: str = "5"
    labels: dict[int, str] = field(default_factory=dict)
    dont_know: bool = True
    dont_know_label: str = "Don't know"
    competencies: list[CompetencyRow] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)
    #: The languages the questionnaire is translated into, by code, in the order of
    #: TRANSLATION_LANGUAGES, with their texts.
    translations: dict[str, Heading] = field(default_factory=dict)

    def in_languages(self, name: str) -> dict[str, str]:
        """One of the questionnaire's own texts by language: ``name`` is ``title``,
        ``description``, ``dont_know_label`` or ``label-<point>``, as the fields are named."""
        if name.startswith("label-"):
            return {c: h.labels.get(int(name[6:]), "") for c, h in self.translations.items()}
        return {code: getattr(heading, name) for code, heading in self.translations.items()}

    def with_language(self, code: str) -> Draft:
        """The draft with ``code`` among its translations (its texts still empty)."""
        if code in TRANSLATION_LANGUAGES and code not in self.translations:
            self.translations[code] = Heading()
            self.translations = {
                c: self.translations[c] for c in TRANSLATION_LANGUAGES if c in self.translations
            }
        return self

    def without_language(self, code: str) -> Draft:
        """The draft with no ``code`` translation (every text in it dropped)."""
        self.translations.pop(code, None)
        for competency in self.competencies:
            competency.titles.pop(code, None)
            for statement in competency.statements:
                statement.self_in.pop(code, None)
                statement.rater_in.pop(code, None)
        for question in self.questions:
            question.self_in.pop(code, None)
            question.rater_in.pop(code, None)
        return self

    def with_blank_rows(self) -> Draft:
        """The same draft with empty rows to fill in at the end of each list (one more
        competency when there is none yet)."""
        for competency in self.competencies:
            competency.statements += [Statement() for _ in range(BLANK_STATEMENTS)]
        self.competencies += [
            CompetencyRow(statements=[Statement() for _ in range(BLANK_STATEMENTS + 1)])
            for _ in range(BLANK_COMPETENCIES + (not self.competencies))
        ]
        self.questions += [QuestionRow() for _ in range(BLANK_QUESTIONS)]
        return self


def draft_of(spec: QuestionnaireSpec) -> Draft:
    """A spec as the editor's rows, with its translations."""
    languages = [code for code in TRANSLATION_LANGUAGES if code in spec.translations]
    tables = {code: spec.translations[code] for code in languages}

    def wordings(texts: dict, key: str, side: int) -> dict[str, str]:
        return {code: (texts[code].get(key) or ("", ""))[side] or "" for code in texts}

    items = {code: table.items for code, table in tables.items()}
    questions = {code: table.open_questions for code, table in tables.items()}
    return Draft(
        key=spec.key,
        title=spec.title,
        description=spec.description,
        points=str(spec.scale.size),
        labels=dict(spec.scale.labels),
        dont_know=spec.scale.dont_know is not None,
        dont_know_label=spec.scale.dont_know or "Don't know",
        competencies=[
            CompetencyRow(
                key=c.key,
                title=c.title,
                description=c.description,
                statements=[
                    Statement(
                        i.key,
                        i.self_text,
                        i.rater_text,
                        self_in=wordings(items, i.key, 0),
                        rater_in=wordings(items, i.key, 1),
                    )
                    for i in c.items
                ],
                titles={code: t.competencies.get(c.key, "") for code, t in tables.items()},
            )
            for c in spec.competencies
        ],
        questions=[
            QuestionRow(
                key=q.key,
                audience=q.audience,
                self_text=q.self_text or "",
                rater_text=q.rater_text or "",
                max_length=str(q.max_length),
                self_in=wordings(questions, q.key, 0),
                rater_in=wordings(questions, q.key, 1),
            )
            for q in spec.open_questions
        ],
        translations={
            code: Heading(
                title=t.title,
                description=t.description,
                labels=dict(t.scale),
                dont_know_label=t.dont_know or "",
            )
            for code, t in tables.items()
        },
    )


def blank_draft(language: str | None = None) -> Draft:
    """A questionnaire from scratch: the default questionnaire's 5-point agreement
    scale and its headline. The questionnaire's own texts are English; for a coach who
    works in German, French or Spanish (``language``) the draft starts with that
    translation too, its scale and headline filled in from the default's."""
    default = default_questionnaire()
    headline = default.open_question(HEADLINE_KEY)
    draft = Draft(
        labels={point: default.scale.labels.get(point, "") for point in range(1, 8)},
        dont_know_label=default.scale.dont_know or "",
        questions=[
            QuestionRow(
                key=HEADLINE_KEY,
                audience="both",
                self_text=headline.self_text or "",
                rater_text=headline.rater_text or "",
                max_length=str(HEADLINE_MAX_LENGTH),
            )
        ],
    )
    if language in TRANSLATION_LANGUAGES and language in default.translations:
        translation = default.translations[language]
        draft.translations[language] = Heading(
            labels=dict(translation.scale), dont_know_label=translation.dont_know or ""
        )
        own_self, own_rater = translation.open_questions[HEADLINE_KEY]
        draft.questions[0].self_in[language] = own_self or ""
        draft.questions[0].rater_in[language] = own_rater or ""
    return draft


def draft_from_form(form: Mapping[str, str]) -> Draft:
    """The rows as posted (strings as typed; rows in the order of their numbers), with
    the translations the form says the draft has (``translate-<code>``)."""
    languages = [code for code in TRANSLATION_LANGUAGES if form.get(f"translate-{code}")]
    headings = {code: Heading() for code in languages}
    competencies: dict[int, CompetencyRow] = {}
    statements: dict[tuple[int, int], Statement] = {}
    questions: dict[int, QuestionRow] = {}
    for name in form:
        value = form.get(name, "")
        code = None
        if translated := _TRANSLATED.fullmatch(name):
            code, name = translated[1], translated[2]
            if code not in headings:
                continue
            heading = headings[code]
            if name in ("title", "description", "dont_know_label"):
                setattr(heading, name, value)
                continue
            if name.startswith("label-") and name[6:].isdigit():
                point = int(name[6:])
                if 1 <= point <= MAX_SCALE_POINTS:
                    heading.labels[point] = value
                continue
        match = _FIELD.fullmatch(name)
        if not match:
            continue
        kind, index, sub, attribute = match[1], int(match[2]), match[3], match[4]
        if index >= MAX_ROWS or (sub is not None and int(sub) >= MAX_ROWS):
            continue
        if kind == "c" and sub is not None:
            row = statements.setdefault((index, int(sub)), Statement())
            competencies.setdefault(index, CompetencyRow())
        elif kind == "c":
            row = competencies.setdefault(index, CompetencyRow())
        else:
            row = questions.setdefault(index, QuestionRow(max_length=""))
        if code is not None:
            wanted = {"self": "self_in", "rater": "rater_in"}
            if kind == "c" and sub is None:
                wanted = {"title": "titles"}
            if attribute in wanted:
                getattr(row, wanted[attribute])[code] = value
            continue
        attribute = {"self": "self_text", "rater": "rater_text"}.get(attribute, attribute)
        allowed = {
            "statement": ("key", "self_text", "rater_text"),
            "competency": ("key", "title", "description"),
            "question": ("key", "audience", "self_text", "rater_text", "max_length"),
        }["question" if kind == "q" else "statement" if sub is not None else "competency"]
        if attribute in allowed:
            setattr(row, attribute, value)
    for (index, _sub), statement in sorted(statements.items()):
        competencies[index].statements.append(statement)
    return Draft(
        key=form.get("key", "").strip(),
        title=form.get("title", ""),
        description=form.get("description", ""),
        points=form.get("points", ""),
        labels={point: form.get(f"label-{point}", "") for point in range(1, MAX_SCALE_POINTS + 1)},
        dont_know=bool(form.get("dont_know")),
        dont_know_label=form.get("dont_know_label", ""),
        competencies=[competencies[i] for i in sorted(competencies)],
        questions=[questions[i] for i in sorted(questions)],
        translations=headings,
    )


def slug(text: str, taken: set[str], prefix: str) -> str:
    """A key made from ``text`` (a-z, 0-9 and "_", at most 40 characters) that is not in
    ``taken``; ``prefix`` and a number when the text has no such letters."""
    base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:36].rstrip("_") or prefix
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    taken.add(key)
    return key


@dataclass
class Checked:
    """The draft checked: ``spec`` when it is valid, else the problems by field name
    (``errors``) and those about no one field (``general``)."""

    spec: QuestionnaireSpec | None
    errors: dict[str, list[str]]
    general: list[str]


def check(draft: Draft, *, key: str, version: int) -> Checked:
    """Validate ``draft`` as the questionnaire ``key`` (its stored key, or one made up
    for a new questionnaire) with the rules of a questionnaire file."""
    errors: dict[str, list[str]] = {}
    places: dict[tuple, str] = {("key",): "key", ("title",): "title"}
    places[("description",)] = "description"
    if draft.points not in {str(p) for p in range(MIN_SCALE_POINTS, MAX_SCALE_POINTS + 1)}:
        errors["points"] = [
            _("Choose %(least)s to %(most)s points.", least=MIN_SCALE_POINTS, most=MAX_SCALE_POINTS)
        ]
        points = 5
    else:
        points = int(draft.points)
    labels = {str(p): draft.labels.get(p, "") for p in range(1, points + 1)}
    for point in range(1, points + 1):
        places[("scale", "labels", str(point))] = f"label-{point}"
    places[("scale", "labels")] = "points"
    places[("scale", "dont_know")] = "dont_know_label"
    scale: dict = {"labels": labels}
    if draft.dont_know:
        scale["dont_know"] = draft.dont_know_label
    taken_competencies = {c.key for c in draft.competencies if c.key}
    taken_items = {s.key for c in draft.competencies for s in c.statements if s.key}
    competencies = []
    #: The kept rows with their keys and field names, for the translations.
    kept_competencies: list[tuple[str, str, CompetencyRow]] = []
    kept_items: list[tuple[str, str, Statement]] = []
    kept_questions: list[tuple[str, str, QuestionRow]] = []
    for index, row in enumerate(draft.competencies):
        if row.blank():
            continue
        at = ("competencies", len(competencies))
        items = []
        for number, statement in enumerate(row.statements):
            if statement.blank():
                continue
            item_at = (*at, "items", len(items))
            item_key = statement.key or slug(
                statement.self_text or statement.rater_text, taken_items, "statement"
            )
            items.append(
                {"key": item_key, "self": statement.self_text, "rater": statement.rater_text}
            )
            kept_items.append((item_key, f"c-{index}-s-{number}", statement))
            for part, name in (("key", "self"), ("self", "self"), ("rater", "rater")):
                places[(*item_at, part)] = f"c-{index}-s-{number}-{name}"
            places[item_at] = f"c-{index}-s-{number}-self"
        competency_key = row.key or slug(row.title, taken_competencies, "competency")
        kept_competencies.append((competency_key, f"c-{index}", row))
        competencies.append(
            {
                "key": competency_key,
                "title": row.title,
                "description": row.description,
                "items": items,
            }
        )
        for part in ("title", "description"):
            places[(*at, part)] = f"c-{index}-{part}"
        places[(*at, "key")] = f"c-{index}-title"
        places[(*at, "items")] = f"c-{index}-title"
        places[at] = f"c-{index}-title"
    taken_questions = {q.key for q in draft.questions if q.key}
    questions = []
    for index, row in enumerate(draft.questions):
        if row.blank():
            continue
        at = ("open_questions", len(questions))
        entry: dict = {
            "key": row.key or slug(row.rater_text or row.self_text, taken_questions, "question"),
            "audience": row.audience,
        }
        if row.audience in ("self", "both"):
            entry["self"] = row.self_text
        if row.audience in ("rater", "both"):
            entry["rater"] = row.rater_text
        try:
            entry["max_length"] = int(row.max_length)
        except ValueError:
            errors.setdefault(f"q-{index}-max_length", []).append(_("Give a whole number."))
            entry["max_length"] = (
                HEADLINE_MAX_LENGTH if entry["key"] == HEADLINE_KEY else DEFAULT_MAX_LENGTH
            )
        questions.append(entry)
        kept_questions.append((entry["key"], f"q-{index}", row))
        for part in ("audience", "self", "rater", "max_length"):
            places[(*at, part)] = f"q-{index}-{part}"
        places[(*at, "key")] = f"q-{index}-rater"
        places[at] = f"q-{index}-rater"
    data = {
        "key": key,
        "version": version,
        "title": draft.title,
        "description": draft.description,
        "scale": scale,
        "competencies": competencies,
        "open_questions": questions,
    }
    translations = {}
    for code, heading in draft.translations.items():
        translations[code] = _translation_table(
            code,
            heading,
            points=points,
            dont_know=draft.dont_know,
            competencies=kept_competencies,
            items=kept_items,
            questions=kept_questions,
            places=places,
        )
    if translations:
        data["translations"] = translations
    general: list[str] = []
    try:
        questionnaire = schema.QuestionnaireFile.model_validate(data)
    except ValidationError as invalid:
        for problem in schema.problems(invalid):
            name = _field_for(problem.at, places)
            message = problem.message[0].upper() + problem.message[1:] + "."
            if name is None:
                general.append(f"{schema.place_name(problem.where)}: {message}")
            else:
                errors.setdefault(name, []).append(message)
        return Checked(None, errors, general)
    if errors:
        return Checked(None, errors, general)
    return Checked(spec_of_file(questionnaire), errors, general)


def _translation_table(
    code: str,
    heading: Heading,
    *,
    points: int,
    dont_know: bool,
    competencies: list[tuple[str, str, CompetencyRow]],
    items: list[tuple[str, str, Statement]],
    questions: list[tuple[str, str, QuestionRow]],
    places: dict[tuple, str],
) -> dict:
    """The ``[translations.<code>]`` table of the draft: every kept row's text in
    ``code`` (empty where none was typed, so the schema names the field), each text's
    place mapped to its field."""
    at = ("translations", code)
    places[at] = f"{code}-title"
    table: dict = {
        "title": heading.title,
        "description": heading.description,
        "scale": {str(p): heading.labels.get(p, "") for p in range(1, points + 1)},
        "competencies": {},
        "items": {},
        "open_questions": {},
    }
    places[(*at, "title")] = f"{code}-title"
    places[(*at, "description")] = f"{code}-description"
    places[(*at, "scale")] = f"{code}-label-1"
    for point in range(1, points + 1):
        places[(*at, "scale", str(point))] = f"{code}-label-{point}"
    if dont_know:
        table["dont_know"] = heading.dont_know_label
        places[(*at, "dont_know")] = f"{code}-dont_know_label"
    for key, name, row in competencies:
        table["competencies"][key] = row.titles.get(code, "")
        places[(*at, "competencies", key)] = f"{code}-{name}-title"
    for key, name, statement in items:
        table["items"][key] = {
            "self": statement.self_in.get(code, ""),
            "rater": statement.rater_in.get(code, ""),
        }
        places[(*at, "items", key)] = f"{code}-{name}-self"
        for side in ("self", "rater"):
            places[(*at, "items", key, side)] = f"{code}-{name}-{side}"
    for key, name, row in questions:
        wording = {}
        if row.audience in ("self", "both"):
            wording["self"] = row.self_in.get(code, "")
        if row.audience in ("rater", "both"):
            wording["rater"] = row.rater_in.get(code, "")
        table["open_questions"][key] = wording
        places[(*at, "open_questions", key)] = (
            f"{code}-{name}-{'rater' if 'rater' in wording else 'self'}"
        )
        for side in ("self", "rater"):
            places[(*at, "open_questions", key, side)] = f"{code}-{name}-{side}"
    return table


def _field_for(location: tuple, places: dict[tuple, str]) -> str | None:
    """The field of the most precise place of ``location`` that the form has."""
    for end in range(len(location), 0, -1):
        if location[:end] in places:
            return places[location[:end]]
    return None
