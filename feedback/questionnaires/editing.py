"""The browser editor's form, read and written without Flask: posted fields to the
questionnaire file's data (validated by the same :mod:`.schema` as a TOML file), a
spec to the fields, and every problem mapped to the field it is about.

Field names: ``key``, ``title``, ``description``; ``points`` (4 to 7), ``label-1`` ..
``label-7``, ``dont_know`` (a checkbox) and ``dont_know_label``; per competency ``i``
(from 0, in the order shown) ``c-i-key``, ``c-i-title``, ``c-i-description`` and per
statement ``j`` ``c-i-s-j-key``, ``c-i-s-j-self``, ``c-i-s-j-rater``; per open question
``q-i-key``, ``q-i-audience``, ``q-i-self``, ``q-i-rater``, ``q-i-max_length``.

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
from .loader import QuestionnaireSpec, spec_of_file
from .schema import HEADLINE_KEY, HEADLINE_MAX_LENGTH, MAX_SCALE_POINTS, MIN_SCALE_POINTS

#: Empty rows the form offers to fill in: statements per competency, competencies,
#: open questions.
BLANK_STATEMENTS = 2
BLANK_COMPETENCIES = 1
BLANK_QUESTIONS = 1
#: The most rows read from a post (the schema allows 200 statements in all).
MAX_ROWS = 200
DEFAULT_MAX_LENGTH = 2000
_FIELD = re.compile(r"(c|q)-(\d+)-(?:s-(\d+)-)?([a-z_]+)")


@dataclass
class Statement:
    key: str = ""
    self_text: str = ""
    rater_text: str = ""

    def blank(self) -> bool:
        """Nothing typed (the key alone is not the coach's)."""
        return not (self.self_text.strip() or self.rater_text.strip())


@dataclass
class CompetencyRow:
    key: str = ""
    title: str = ""
    description: str = ""
    statements: list[Statement] = field(default_factory=list)

    def blank(self) -> bool:
        """No title, no description and no statement typed."""
        return not (
            self.title.strip()
            or self.description.strip()
            or any(not s.blank() for s in self.statements)
        )


@dataclass
class QuestionRow:
    key: str = ""
    audience: str = "rater"
    self_text: str = ""
    rater_text: str = ""
    max_length: str = str(DEFAULT_MAX_LENGTH)

    def blank(self) -> bool:
        """Neither wording typed (the headline is never blank: it is always kept)."""
        return self.key != HEADLINE_KEY and not (self.self_text.strip() or self.rater_text.strip())


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
    """A spec as the editor's rows."""
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
                statements=[Statement(i.key, i.self_text, i.rater_text) for i in c.items],
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
            )
            for q in spec.open_questions
        ],
    )


def blank_draft() -> Draft:
    """A questionnaire from scratch: a 5-point agreement scale and the headline."""
    return Draft(
        labels={
            1: "Strongly disagree",
            2: "Disagree",
            3: "Neither agree nor disagree",
            4: "Agree",
            5: "Strongly agree",
            6: "",
            7: "",
        },
        questions=[
            QuestionRow(
                key=HEADLINE_KEY,
                audience="both",
                self_text="Describe yourself in 140 characters or less.",
                rater_text="Describe {name} in 140 characters or less.",
                max_length=str(HEADLINE_MAX_LENGTH),
            )
        ],
    )


def draft_from_form(form: Mapping[str, str]) -> Draft:
    """The rows as posted (strings as typed; rows in the order of their numbers)."""
    competencies: dict[int, CompetencyRow] = {}
    statements: dict[tuple[int, int], Statement] = {}
    questions: dict[int, QuestionRow] = {}
    for name in form:
        match = _FIELD.fullmatch(name)
        if not match:
            continue
        kind, index, sub, attribute = match[1], int(match[2]), match[3], match[4]
        if index >= MAX_ROWS or (sub is not None and int(sub) >= MAX_ROWS):
            continue
        value = form.get(name, "")
        if kind == "c" and sub is not None:
            row = statements.setdefault((index, int(sub)), Statement())
            competencies.setdefault(index, CompetencyRow())
            attribute = {"self": "self_text", "rater": "rater_text"}.get(attribute, attribute)
            if attribute in ("key", "self_text", "rater_text"):
                setattr(row, attribute, value)
        elif kind == "c":
            row = competencies.setdefault(index, CompetencyRow())
            if attribute in ("key", "title", "description"):
                setattr(row, attribute, value)
        else:
            row = questions.setdefault(index, QuestionRow(max_length=""))
            attribute = {"self": "self_text", "rater": "rater_text"}.get(attribute, attribute)
            if attribute in ("key", "audience", "self_text", "rater_text", "max_length"):
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
            for part, name in (("key", "self"), ("self", "self"), ("rater", "rater")):
                places[(*item_at, part)] = f"c-{index}-s-{number}-{name}"
            places[item_at] = f"c-{index}-s-{number}-self"
        competency_key = row.key or slug(row.title, taken_competencies, "competency")
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


def _field_for(location: tuple, places: dict[tuple, str]) -> str | None:
    """The field of the most precise place of ``location`` that the form has."""
    for end in range(len(location), 0, -1):
        if location[:end] in places:
            return places[location[:end]]
    return None
