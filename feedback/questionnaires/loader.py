"""Questionnaires as TOML files: loaded, validated and returned as frozen dataclasses.

A questionnaire file describes one version of a questionnaire. Everything in it is
checked when it is loaded, so the rest of the service can trust what it gets. The
format and its rules are in :mod:`.schema`, as pydantic models; this module reads the
file, has it validated and hands out :class:`QuestionnaireSpec` and the dataclasses it
is made of (plain frozen dataclasses, so ``dataclasses.replace`` makes variants).

Errors are :class:`QuestionnaireError` with a message that names the file, the line
and the place, such as
``default.toml:110: competencies[2].items[4].rater: must contain {name}``. Indices count
from 0, in the order the file lists the entries.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import schema
from .schema import NAME_PLACEHOLDER, Audience
from .toml_lines import key_lines, line_of

#: The key of the questionnaire shipped as ``default.toml``.
DEFAULT_KEY = "career-360"
_PACKAGE_DIR = Path(__file__).resolve().parent


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used, with where and why.

    ``source`` names the file, ``where`` the place in it (empty for the whole file,
    otherwise a path such as ``competencies[0].items[3].rater``), ``problem`` the reason
    and ``line`` the line of the file it is on (from 1; None when no line fits, as for
    a key missing at the top level). The message reads
    ``source:line: where: problem``, leaving out what is empty.

    One error stands for every problem found in one pass: the attributes describe the
    first, ``others`` holds an error for each further one, and the message has a line
    for each.
    """

    def __init__(
        self,
        source: str,
        where: str,
        problem: str,
        line: int | None = None,
        others: tuple[QuestionnaireError, ...] = (),
    ) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        self.line = line
        self.others = others
        place = source if line is None else f"{source}:{line}"
        first = f"{place}: {where}: {problem}" if where else f"{place}: {problem}"
        super().__init__("\n".join([first, *(str(other) for other in others)]))


@dataclass(frozen=True)
class Scale:
    """The rating scale: a label for each point 1..A and the "Don't know" label."""

    #: Point -> label, 1 first. Treat as read-only; the object may be shared.
    labels: dict[int, str] = field(hash=False)
    #: None when the scale offers no "Don't know".
    dont_know: str | None

    @property
    def points(self) -> tuple[int, ...]:
        """The valid scores, lowest first (1..A)."""
        return tuple(sorted(self.labels))

    @property
    def size(self) -> int:
        """A, the number of points (the top score)."""
        return len(self.labels)


@dataclass(frozen=True)
class Item:
    """A rated statement, worded once for the coachee and once for the raters."""

    key: str
    competency_key: str
    #: First person, as the coachee reads it: "I …".
    self_text: str
    #: As a rater reads it, with the placeholder: "{name} …". Fill in with render().
    rater_text: str


@dataclass(frozen=True)
class Competency:
    """A group of items whose scores are averaged together in the report."""

    key: str
    title: str
    description: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class OpenQuestion:
    """A free-text question; its audience decides which wordings it has."""

    key: str
    audience: Audience
    #: Wording for the coachee; None unless the audience is "self" or "both".
    self_text: str | None
    #: Wording for raters, may contain {name}; None unless the audience is "rater" or "both".
    rater_text: str | None
    max_length: int

    def for_self(self) -> bool:
        """Whether the coachee is asked this question in the self-assessment."""
        return self.audience in ("self", "both")

    def for_raters(self) -> bool:
        """Whether raters (of every group) are asked this question."""
        return self.audience in ("rater", "both")


@dataclass(frozen=True)
class Translation:
    """Every text of a questionnaire in one other language, keyed as the questionnaire
    is (answers stay stored by statement key, whatever language they were given in)."""

    title: str
    description: str
    #: Point -> label.
    scale: dict[int, str] = field(hash=False)
    dont_know: str | None
    #: Competency key -> title.
    competencies: dict[str, str] = field(hash=False)
    #: Item key -> (self wording, rater wording).
    items: dict[str, tuple[str, str]] = field(hash=False)
    #: Open question key -> (self wording, rater wording), None where not asked.
    open_questions: dict[str, tuple[str | None, str | None]] = field(hash=False)

    def to_json(self) -> dict[str, Any]:
        """As plain JSON values, to be stored with a questionnaire version."""
        return {
            "title": self.title,
            "description": self.description,
            "scale": {str(point): label for point, label in self.scale.items()},
            "dont_know": self.dont_know,
            "competencies": self.competencies,
            "items": {key: list(texts) for key, texts in self.items.items()},
            "open_questions": {key: list(texts) for key, texts in self.open_questions.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Translation:
        """The inverse of :meth:`to_json`."""
        return cls(
            title=data["title"],
            description=data["description"],
            scale={int(point): label for point, label in data["scale"].items()},
            dont_know=data["dont_know"],
            competencies=dict(data["competencies"]),
            items={key: tuple(texts) for key, texts in data["items"].items()},
            open_questions={key: tuple(texts) for key, texts in data["open_questions"].items()},
        )


@dataclass(frozen=True)
class QuestionnaireSpec:
    """One validated version of a questionnaire, as read from its TOML file."""

    key: str
    version: int
    title: str
    description: str
    scale: Scale
    competencies: tuple[Competency, ...]
    open_questions: tuple[OpenQuestion, ...]
    #: Language code -> the questionnaire in that language (its own texts are English).
    translations: dict[str, Translation] = field(default_factory=dict, hash=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the questionnaire can be answered in, English first."""
        return ("en", *sorted(self.translations))

    @property
    def items(self) -> tuple[Item, ...]:
        """Every rated item, competency by competency, in the order of the file."""
        return tuple(item for competency in self.competencies for item in competency.items)

    def self_questions(self) -> tuple[OpenQuestion, ...]:
        """The open questions of the self-assessment (audience "self" or "both"), in order."""
        return tuple(q for q in self.open_questions if q.for_self())

    def rater_questions(self) -> tuple[OpenQuestion, ...]:
        """The open questions of the rater form (audience "rater" or "both"), in order."""
        return tuple(q for q in self.open_questions if q.for_raters())

    def item(self, key: str) -> Item:
        """The item with this key, from any competency; KeyError if there is none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def open_question(self, key: str) -> OpenQuestion:
        """The open question with this key; KeyError if there is none."""
        for question in self.open_questions:
            if question.key == key:
                return question
        raise KeyError(key)


def render(text: str, name: str) -> str:
    """Put ``name`` in place of every ``{name}`` in ``text``.

    A plain string replace: braces in ``name`` or elsewhere in ``text`` are left as
    they are, so a name typed by a user can never act as a format directive.
    """
    return text.replace(NAME_PLACEHOLDER, name)


def load_questionnaire(path: str | Path) -> QuestionnaireSpec:
    """Read and validate a questionnaire file (UTF-8 TOML).

    Error messages name the file by its base name. Raises QuestionnaireError for a
    file that is missing, unreadable, not valid TOML or not a valid questionnaire.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionnaireError(path.name, "", f"cannot be read ({error})") from None
    return parse_questionnaire(text, source=path.name)


def parse_questionnaire(text: str, source: str = "<string>") -> QuestionnaireSpec:
    """Validate questionnaire TOML given as a string; ``source`` names it in errors.

    Raises QuestionnaireError for the problems found (see its ``others``); the
    rules are in :mod:`.schema`. Wordings and titles are returned with surrounding
    whitespace removed.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message names the line
        raise QuestionnaireError(source, "", f"invalid TOML: {error}") from None
    try:
        questionnaire = schema.QuestionnaireFile.model_validate(data)
    except ValidationError as invalid:
        raise _error(source, text, invalid) from None
    return spec_of_file(questionnaire)


@functools.cache
def default_questionnaire() -> QuestionnaireSpec:
    """The questionnaire shipped as ``default.toml``, parsed once per process."""
    return load_questionnaire(_PACKAGE_DIR / "default.toml")


def shipped_questionnaires() -> list[Path]:
    """The questionnaire files installed with the package, sorted by file name.

    These are only paths; load each with load_questionnaire().
    """
    return sorted(_PACKAGE_DIR.glob("*.toml"))


# --- from the validated file to the dataclasses -----------------------------------


def _error(source: str, text: str, invalid: ValidationError) -> QuestionnaireError:
    """One QuestionnaireError for every problem pydantic found, each with its line."""
    lines = key_lines(text)
    errors = [
        QuestionnaireError(source, schema.place_name(where), message, line_of(lines, at))
        for where, at, message in schema.problems(invalid)
    ]
    first = errors[0]
    return QuestionnaireError(
        source, first.where, first.problem, first.line, others=tuple(errors[1:])
    )


def spec_of_file(questionnaire: schema.QuestionnaireFile) -> QuestionnaireSpec:
    """The spec of a validated questionnaire file (or of the editor's validated form)."""
    labels = questionnaire.scale.labels
    scale = Scale(
        labels={point: labels[str(point)] for point in range(1, len(labels) + 1)},
        dont_know=questionnaire.scale.dont_know,
    )
    return spec_from_parts(
        questionnaire,
        scale,
        ((competency, competency.items) for competency in questionnaire.competencies),
        translations={
            code: _translation(table) for code, table in questionnaire.translations.items()
        },
    )


def _translation(table: schema.TranslationTable) -> Translation:
    return Translation(
        title=table.title,
        description=table.description,
        scale={int(point): label for point, label in table.scale.items()},
        dont_know=table.dont_know,
        competencies=dict(table.competencies),
        items={key: (t.self_text, t.rater_text) for key, t in table.items.items()},
        open_questions={
            key: (t.self_text, t.rater_text) for key, t in table.open_questions.items()
        },
    )


def spec_from_parts(
    source: Any,
    scale: Scale,
    items_by_competency: Iterable[tuple[Any, Iterable[Any]]],
    *,
    translations: dict[str, Translation] | None = None,
) -> QuestionnaireSpec:
    """A spec from anything laid out like one: ``source`` gives the key, version,
    title, description and open questions (key, audience, self_text, rater_text,
    max_length); ``items_by_competency`` pairs each competency (key, title,
    description) with its items (key, self_text, rater_text), in their order. A file
    (:func:`spec_of_file`) and a stored version (``store.spec_of``) are both read back
    through it, so the two cannot differ in what they copy. ``translations``: the
    questionnaire in other languages, by code."""
    return QuestionnaireSpec(
        key=source.key,
        version=source.version,
        title=source.title,
        description=source.description,
        scale=scale,
        competencies=tuple(
            Competency(
                key=competency.key,
                title=competency.title,
                description=competency.description,
                items=tuple(
                    Item(
                        key=item.key,
                        competency_key=competency.key,
                        self_text=item.self_text,
                        rater_text=item.rater_text,
                    )
                    for item in items
                ),
            )
            for competency, items in items_by_competency
        ),
        open_questions=tuple(
            OpenQuestion(
                key=question.key,
                audience=question.audience,
                self_text=question.self_text,
                rater_text=question.rater_text,
                max_length=question.max_length,
            )
            for question in source.open_questions
        ),
        translations=dict(translations or {}),
    )
