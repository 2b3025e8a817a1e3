"""Questionnaires as TOML files: the schema, the loader and its validator.

A questionnaire file describes one version of a questionnaire. Everything in it is
checked when it is loaded, so the rest of the service can trust what it gets.

The schema::

    key = "career-360"           # a key: see "Keys" below
    version = 1                  # a positive integer; bump it for every change
    title = "Career 360"         # one line, at most 200 characters
    description = "..."          # shown to the coachee and to every rater

    [scale]                      # the rating scale: exactly the points 1..5
    labels = { "1" = "Strongly disagree", "2" = "...", "3" = "...",
               "4" = "...", "5" = "Strongly agree" }   # one line, <= 60 characters each
    dont_know = "Don't know"     # the label of the "no answer" choice, <= 60 characters

    [[competencies]]             # at least one; shown in this order
    key = "results"
    title = "Getting results"
    description = "..."

    [[competencies.items]]       # at least one per competency; shown in this order
    key = "delivers_on_time"
    self = "I deliver what I promise by the agreed date."        # the coachee's wording
    rater = "{name} delivers what they promise by the agreed date."  # the raters' wording

    [[open_questions]]           # free-text questions, all optional to answer
    key = "keep"
    audience = "rater"           # "self", "rater" or "both"
    rater = "What should {name} keep doing?"
    max_length = 2000            # a positive integer, at most 10000

Rules beyond the shape above:

- Keys (of the questionnaire, competencies, items and open questions) are 1 to 40
  characters of ``a-z``, ``0-9``, ``_`` and ``-``, starting with a letter or a digit.
  Competency keys are unique among competencies, item keys among all items of the
  questionnaire (not only within their competency), open question keys among open
  questions. They become form field names (``item-<key>``, ``text-<key>``) and stay
  stable across versions so trends can compare them.
- Between 1 and 200 rated items in total.
- ``{name}`` is the only placeholder. An item's rater wording must contain it; an open
  question's rater wording may. Self wordings speak to the coachee and contain none.
  Texts are filled in with :func:`render`, a plain replace, never ``str.format``.
- An open question has exactly the wordings its audience needs: ``self`` for "self",
  ``rater`` for "rater", both for "both".
- The open question ``headline`` (the 140-character description) must exist, be asked
  of both audiences and have a ``max_length`` of at most 140.
- Unknown keys are errors, so a typo never silently drops a setting.

Errors are :class:`QuestionnaireError` with a message that names the file and the place,
such as ``default.toml: competencies[2].items[4].rater: must contain {name}``. Indices
count from 0, in the order the file lists the entries.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Audience = Literal["self", "rater", "both"]

#: The placeholder that stands for the coachee's name in rater wordings.
NAME_PLACEHOLDER = "{name}"
#: The key of the questionnaire shipped as ``default.toml``.
DEFAULT_KEY = "career-360"
#: The key of the 140-character description asked of everyone.
HEADLINE_KEY = "headline"
HEADLINE_MAX_LENGTH = 140
MIN_ITEMS = 1
MAX_ITEMS = 200
MAX_ANSWER_LENGTH = 10_000
SCALE_POINTS = (1, 2, 3, 4, 5)

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_AUDIENCES = ("self", "rater", "both")
_MAX_TITLE = 200
_MAX_LABEL = 60
_MAX_WORDING = 300
_PACKAGE_DIR = Path(__file__).resolve().parent


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used, with where and why.

    ``source`` names the file, ``where`` the place in it (empty for the whole file,
    otherwise a path such as ``competencies[0].items[3].rater``), ``problem`` the reason.
    """

    def __init__(self, source: str, where: str, problem: str) -> None:
        self.source = source
        self.where = where
        self.problem = problem
        place = f"{source}: {where}" if where else source
        super().__init__(f"{place}: {problem}")


@dataclass(frozen=True)
class Scale:
    """The rating scale: a label for each point 1..5 and the "Don't know" label."""

    #: Point -> label, 1 first. Treat as read-only; the object may be shared.
    labels: dict[int, str] = field(hash=False)
    dont_know: str

    @property
    def points(self) -> tuple[int, ...]:
        """The valid scores, lowest first (1..5)."""
        return tuple(sorted(self.labels))


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
class QuestionnaireSpec:
    """One validated version of a questionnaire, as read from its TOML file."""

    key: str
    version: int
    title: str
    description: str
    scale: Scale
    competencies: tuple[Competency, ...]
    open_questions: tuple[OpenQuestion, ...]

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

    Stops at the first problem found and raises QuestionnaireError for it. Wordings and
    titles are returned with surrounding whitespace removed.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuestionnaireError(source, "", f"invalid TOML: {error}") from None
    try:
        return _questionnaire(data)
    except _Invalid as invalid:
        raise QuestionnaireError(source, invalid.where, invalid.problem) from None


@functools.cache
def default_questionnaire() -> QuestionnaireSpec:
    """The questionnaire shipped as ``default.toml``, parsed once per process."""
    return load_questionnaire(_PACKAGE_DIR / "default.toml")


def shipped_questionnaires() -> list[Path]:
    """The questionnaire files installed with the package, sorted by file name.

    These are only paths; load each with load_questionnaire().
    """
    return sorted(_PACKAGE_DIR.glob("*.toml"))


# --- validation --------------------------------------------------------------------


class _Invalid(Exception):
    """A problem at one place of the parsed data; the caller adds the file name."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where, problem)
        self.where = where
        self.problem = problem


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    kinds = [
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a float"),
        (str, "a string"),
        (dict, "a table"),
        (list, "an array"),
    ]
    for kind, name in kinds:
        if isinstance(value, kind):
            return name
    return "a date or time"


def _table(
    value: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Check that ``value`` is a table with exactly the allowed keys."""
    if not isinstance(value, dict):
        raise _Invalid(where, f"must be a table, not {_kind(value)}")
    allowed = set(required) | set(optional)
    unknown = [key for key in value if key not in allowed]
    if unknown:
        raise _Invalid(where, f'unknown key "{unknown[0]}"')
    for key in required:
        if key not in value:
            raise _Invalid(where, f'missing key "{key}"')
    return value


def _string(value: object, where: str, max_length: int, *, one_line: bool = True) -> str:
    if not isinstance(value, str):
        raise _Invalid(where, f"must be a string, not {_kind(value)}")
    value = value.strip()
    if not value:
        raise _Invalid(where, "must not be empty")
    if len(value) > max_length:
        raise _Invalid(where, f"must be at most {max_length} characters, not {len(value)}")
    if one_line and "\n" in value:
        raise _Invalid(where, "must be a single line")
    return value


def _key(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(where, f"must be a string, not {_kind(value)}")
    if not _KEY_RE.fullmatch(value):
        raise _Invalid(
            where,
            f'"{value}" is not a valid key: use 1 to 40 characters of a-z, 0-9, "_" '
            'and "-", starting with a letter or a digit',
        )
    return value


def _positive_int(value: object, where: str, maximum: int | None = None) -> int:
    # bool is a subclass of int; `true` is not a number in a questionnaire.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(where, f"must be a positive integer, not {_kind(value)}")
    if value < 1:
        raise _Invalid(where, f"must be a positive integer, not {value}")
    if maximum is not None and value > maximum:
        raise _Invalid(where, f"must be at most {maximum}, not {value}")
    return value


def _array(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(where, f"must be an array of tables, not {_kind(value)}")
    if not value:
        raise _Invalid(where, "must not be empty")
    return value


def _wording(value: object, where: str, *, rater: bool, name_required: bool) -> str:
    """A question's wording; only {name} may appear, and only in rater wordings."""
    text = _string(value, where, _MAX_WORDING)
    for placeholder in _PLACEHOLDER_RE.findall(text):
        if placeholder != "name":
            raise _Invalid(
                where, f"unknown placeholder {{{placeholder}}}; only {NAME_PLACEHOLDER} is allowed"
            )
    if rater and name_required and NAME_PLACEHOLDER not in text:
        raise _Invalid(where, f"must contain {NAME_PLACEHOLDER}")
    if not rater and NAME_PLACEHOLDER in text:
        raise _Invalid(
            where, f"is addressed to the coachee and must not contain {NAME_PLACEHOLDER}"
        )
    return text


def _questionnaire(data: dict[str, Any]) -> QuestionnaireSpec:
    _table(
        data,
        "",
        ("key", "version", "title", "description", "scale", "competencies", "open_questions"),
    )
    key = _key(data["key"], "key")
    version = _positive_int(data["version"], "version")
    title = _string(data["title"], "title", _MAX_TITLE)
    description = _string(data["description"], "description", 5_000, one_line=False)
    scale = _scale(data["scale"], "scale")
    competencies = _competencies(data["competencies"], "competencies")
    open_questions = _open_questions(data["open_questions"], "open_questions")
    return QuestionnaireSpec(
        key=key,
        version=version,
        title=title,
        description=description,
        scale=scale,
        competencies=competencies,
        open_questions=open_questions,
    )


def _scale(value: object, where: str) -> Scale:
    table = _table(value, where, ("labels", "dont_know"))
    labels_where = _at(where, "labels")
    raw = table["labels"]
    if not isinstance(raw, dict):
        raise _Invalid(labels_where, f"must be a table, not {_kind(raw)}")
    expected = [str(point) for point in SCALE_POINTS]
    if sorted(raw) != expected:
        found = ", ".join(f'"{k}"' for k in raw) or "none"
        raise _Invalid(labels_where, f'must label exactly the points "1" to "5" (found {found})')
    labels = {
        int(point): _string(raw[point], f'{labels_where}."{point}"', _MAX_LABEL)
        for point in expected
    }
    if len(set(labels.values())) != len(labels):
        raise _Invalid(labels_where, "each point needs its own label")
    dont_know = _string(table["dont_know"], _at(where, "dont_know"), _MAX_LABEL)
    if dont_know in labels.values():
        raise _Invalid(_at(where, "dont_know"), "must differ from the labels of the points")
    return Scale(labels=labels, dont_know=dont_know)


def _competencies(value: object, where: str) -> tuple[Competency, ...]:
    entries = _array(value, where)
    competency_places: dict[str, str] = {}
    item_places: dict[str, str] = {}
    competencies = []
    for index, entry in enumerate(entries):
        place = f"{where}[{index}]"
        table = _table(entry, place, ("key", "title", "description", "items"))
        key = _key(table["key"], _at(place, "key"))
        _unique(key, competency_places, _at(place, "key"), "competency")
        items_place = _at(place, "items")
        items = []
        for item_index, item_entry in enumerate(_array(table["items"], items_place)):
            item = _item(item_entry, f"{items_place}[{item_index}]", key)
            _unique(item.key, item_places, f"{items_place}[{item_index}].key", "item")
            items.append(item)
        competencies.append(
            Competency(
                key=key,
                title=_string(table["title"], _at(place, "title"), _MAX_TITLE),
                description=_string(
                    table["description"], _at(place, "description"), 2_000, one_line=False
                ),
                items=tuple(items),
            )
        )
    if not MIN_ITEMS <= len(item_places) <= MAX_ITEMS:
        raise _Invalid(
            where,
            f"must hold {MIN_ITEMS} to {MAX_ITEMS} items in all, not {len(item_places)}",
        )
    return tuple(competencies)


def _item(value: object, place: str, competency_key: str) -> Item:
    table = _table(value, place, ("key", "self", "rater"))
    return Item(
        key=_key(table["key"], _at(place, "key")),
        competency_key=competency_key,
        self_text=_wording(table["self"], _at(place, "self"), rater=False, name_required=False),
        rater_text=_wording(table["rater"], _at(place, "rater"), rater=True, name_required=True),
    )


def _unique(key: str, seen: dict[str, str], place: str, what: str) -> None:
    if key in seen:
        raise _Invalid(place, f'duplicate {what} key "{key}" (first used at {seen[key]})')
    seen[key] = place


def _open_questions(value: object, where: str) -> tuple[OpenQuestion, ...]:
    entries = _array(value, where)
    seen: dict[str, str] = {}
    questions = []
    for index, entry in enumerate(entries):
        place = f"{where}[{index}]"
        question = _open_question(entry, place)
        _unique(question.key, seen, _at(place, "key"), "open question")
        questions.append(question)
    headline = next((q for q in questions if q.key == HEADLINE_KEY), None)
    if headline is None:
        raise _Invalid(where, f'missing the question "{HEADLINE_KEY}" (the short description)')
    place = seen[HEADLINE_KEY].removesuffix(".key")
    if headline.audience != "both":
        raise _Invalid(
            _at(place, "audience"),
            f'"{HEADLINE_KEY}" is asked of the coachee and of raters: audience must be "both"',
        )
    if headline.max_length > HEADLINE_MAX_LENGTH:
        raise _Invalid(
            _at(place, "max_length"),
            f'"{HEADLINE_KEY}" must be at most {HEADLINE_MAX_LENGTH}, not {headline.max_length}',
        )
    return tuple(questions)


def _open_question(value: object, place: str) -> OpenQuestion:
    table = _table(value, place, ("key", "audience", "max_length"), ("self", "rater"))
    key = _key(table["key"], _at(place, "key"))
    audience = table["audience"]
    if audience not in _AUDIENCES:
        shown = f'"{audience}"' if isinstance(audience, str) else _kind(audience)
        raise _Invalid(_at(place, "audience"), f'must be "self", "rater" or "both", not {shown}')
    wants = {"self": audience in ("self", "both"), "rater": audience in ("rater", "both")}
    for wording, wanted in wants.items():
        if wanted and wording not in table:
            raise _Invalid(place, f'missing key "{wording}" (audience is "{audience}")')
        if not wanted and wording in table:
            raise _Invalid(
                _at(place, wording),
                f'not asked: audience is "{audience}"; remove it or change the audience',
            )
    self_text = rater_text = None
    if wants["self"]:
        self_text = _wording(table["self"], _at(place, "self"), rater=False, name_required=False)
    if wants["rater"]:
        rater_text = _wording(table["rater"], _at(place, "rater"), rater=True, name_required=False)
    return OpenQuestion(
        key=key,
        audience=audience,
        self_text=self_text,
        rater_text=rater_text,
        max_length=_positive_int(table["max_length"], _at(place, "max_length"), MAX_ANSWER_LENGTH),
    )
