"""The questionnaire file format as pydantic models, and its errors in plain words.

A questionnaire file (UTF-8 TOML) describes one version of a questionnaire::

    key = "career-360"           # a key: see "Keys" below
    version = 1                  # a positive integer; a stored version never changes:
                                 # importing a changed file stores the next version
    title = "Career 360"         # one line, at most 200 characters
    description = "..."          # shown to the coachee and to every rater, <= 5000

    [scale]                      # the rating scale: the points 1..A, A from 4 to 7
    labels = { "1" = "Strongly disagree", "2" = "...", "3" = "...",
               "4" = "...", "5" = "Strongly agree" }   # one line, <= 60 characters each
    dont_know = "Don't know"     # the "no answer" choice, <= 60 characters; leave the
                                 # key out to offer no such choice

    [[competencies]]             # at least one; shown in this order
    key = "results"
    title = "Getting results"    # one line, at most 200 characters
    description = "..."          # at most 2000 characters

    [[competencies.items]]       # at least one per competency; shown in this order
    key = "delivers_on_time"
    self = "I deliver what I promise by the agreed date."        # the coachee's wording
    rater = "{name} delivers what they promise by the agreed date."  # the raters' wording

    [[open_questions]]           # free-text questions, all optional to answer
    key = "keep"
    audience = "rater"           # "self", "rater" or "both"
    rater = "What should {name} keep doing?"
    max_length = 2000            # a positive integer, at most 10000

Rules beyond the shape above, each enforced by the model or validator named:

- Every text is stripped of surrounding whitespace and must not be empty; titles,
  labels and wordings are one line; wordings are at most 300 characters (the
  ``Annotated`` text types below).
- Keys (of the questionnaire, competencies, items and open questions) are 1 to 40
  characters of ``a-z``, ``0-9``, ``_`` and ``-``, starting with a letter or a digit
  (:data:`Key`). Competency keys are unique among competencies, item keys among all
  items of the questionnaire (not only within their competency), open question keys
  among open questions (:meth:`QuestionnaireFile.keys_are_unique`,
  :meth:`QuestionnaireFile.open_questions_are_usable`). They become form field names
  (``item-<key>``, ``text-<key>``) and stay stable across versions so trends can
  compare them.
- Between 1 and 200 rated items in total (:meth:`QuestionnaireFile.item_count_in_range`).
- The scale labels exactly the points "1" to "A" for a size A from 4 to 7, each point
  with its own label, and "Don't know", when offered, differs from all of them
  (:class:`ScaleTable`).
- ``{name}`` is the only placeholder. An item's rater wording must contain it
  (:data:`RaterWording`); an open question's rater wording may
  (:data:`OpenRaterWording`). Self wordings speak to the coachee and contain none
  (:data:`SelfWording`).
- An open question has exactly the wordings its audience needs: ``self`` for "self",
  ``rater`` for "rater", both for "both" (:meth:`OpenQuestionEntry.wordings_match_audience`).
- The open question ``headline`` (the 140-character description) must exist, be asked
  of both audiences and have a ``max_length`` of at most 140
  (:meth:`QuestionnaireFile.open_questions_are_usable`).
- Unknown keys are errors, so a typo never silently drops a setting; so are values of
  the wrong type: the models are strict, ``"2"`` is not a number and ``true`` not 1.

Checks that compare entries with each other (unique keys, the headline, the number of
items) run once every entry on its own is valid, so a file with a broken entry reports
that entry first.

:func:`problems` turns a pydantic ``ValidationError`` into :class:`Problem` entries
worded like the rest of the service: ``must be a string, not an integer``,
``missing key "title"``. Their locations are paths of keys and indices into the file,
such as ``("competencies", 2, "items", 4, "rater")``; :func:`place_name` writes one as
``competencies[2].items[4].rater``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

Audience = Literal["self", "rater", "both"]
Location = tuple[str | int, ...]

#: The placeholder that stands for the coachee's name in rater wordings.
NAME_PLACEHOLDER = "{name}"
#: The key of the 140-character description asked of everyone.
HEADLINE_KEY = "headline"
HEADLINE_MAX_LENGTH = 140
MIN_ITEMS = 1
MAX_ITEMS = 200
MAX_ANSWER_LENGTH = 10_000
#: The sizes a scale may have (its points are 1..A).
MIN_SCALE_POINTS = 4
MAX_SCALE_POINTS = 7

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def _error(kind: str, message: str, at: Location = ()) -> PydanticCustomError:
    """A validation error of type ``kind``; ``at`` is its place below the validated value.

    A validator of a list or a model reports on the whole value; ``at`` (such as
    ``(1, "key")``) lets it point at the entry the problem is about. ``message`` is
    final: it goes in as the only field of the template, so braces a file's text
    brings into it (``{nme}``) are never taken for fields.
    """
    return PydanticCustomError(kind, "{message}", {"at": at, "message": message})


# --- texts and keys -----------------------------------------------------------------


def _single_line(text: str) -> str:
    if "\n" in text:
        raise _error("single_line", _("must be a single line"))
    return text


def _valid_key(value: str) -> str:
    if not _KEY_RE.fullmatch(value):
        raise _error(
            "key_syntax",
            _(
                '"%(value)s" is not a valid key: use 1 to 40 characters of a-z, 0-9, "_" and '
                '"-", starting with a letter or a digit',
                value=value,
            ),
        )
    return value


def _known_placeholders(text: str) -> str:
    for placeholder in _PLACEHOLDER_RE.findall(text):
        if placeholder != "name":
            raise _error(
                "placeholder",
                _(
                    "unknown placeholder %(placeholder)s; only %(name)s is allowed",
                    placeholder="{" + placeholder + "}",
                    name=NAME_PLACEHOLDER,
                ),
            )
    return text


def _with_name(text: str) -> str:
    if NAME_PLACEHOLDER not in text:
        raise _error("name_missing", _("must contain %(name)s", name=NAME_PLACEHOLDER))
    return text


def _without_name(text: str) -> str:
    if NAME_PLACEHOLDER in text:
        raise _error(
            "name_in_self",
            _("is addressed to the coachee and must not contain %(name)s", name=NAME_PLACEHOLDER),
        )
    return text


def _stripped(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Key = Annotated[str, AfterValidator(_valid_key)]
Title = Annotated[str, _stripped(200), AfterValidator(_single_line)]
Label = Annotated[str, _stripped(60), AfterValidator(_single_line)]
_Wording = Annotated[
    str, _stripped(300), AfterValidator(_single_line), AfterValidator(_known_placeholders)
]
#: Addressed to the coachee: no ``{name}``.
SelfWording = Annotated[_Wording, AfterValidator(_without_name)]
#: An item as raters read it: ``{name}`` is required.
RaterWording = Annotated[_Wording, AfterValidator(_with_name)]
#: An open question as raters read it: ``{name}`` is allowed.
OpenRaterWording = _Wording
PositiveInt = Annotated[int, Field(gt=0)]


#: A translation's key that the questionnaire does not have, by the part it is in.
_NOT_ONE_OF = {
    "scale": _l('"%(key)s" is not one of the questionnaire\'s scale points'),
    "competencies": _l('"%(key)s" is not one of the questionnaire\'s competencies'),
    "items": _l('"%(key)s" is not one of the questionnaire\'s items'),
    "open_questions": _l('"%(key)s" is not one of the questionnaire\'s open questions'),
}
#: A key used twice, by what it is the key of.
_DUPLICATE = {
    "competency": _l('duplicate competency key "%(key)s" (first used at %(place)s)'),
    "item": _l('duplicate item key "%(key)s" (first used at %(place)s)'),
    "open question": _l('duplicate open question key "%(key)s" (first used at %(place)s)'),
}


# --- the file -----------------------------------------------------------------------


class _Table(BaseModel):
    """A TOML table: only the listed keys, values of exactly the declared types."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class ScaleTable(_Table):
    """``[scale]``: a label for each point "1".."A" and, when offered, "Don't know"."""

    labels: dict[str, Label]
    dont_know: Label | None = None

    @field_validator("labels")
    @classmethod
    def labels_every_point_once(cls, labels: dict[str, str]) -> dict[str, str]:
        """The points "1" to "A" (A from 4 to 7), and no two with the same label."""
        size = len(labels)
        if not (
            MIN_SCALE_POINTS <= size <= MAX_SCALE_POINTS
            and set(labels) == {str(point) for point in range(1, size + 1)}
        ):
            found = ", ".join(f'"{point}"' for point in labels) or _("none")
            raise _error(
                "scale_points",
                _(
                    'must label the points "1" to "A" for a scale of A = %(least)s to '
                    "%(most)s points, each once (found %(found)s)",
                    least=MIN_SCALE_POINTS,
                    most=MAX_SCALE_POINTS,
                    found=found,
                ),
            )
        if len(set(labels.values())) != len(labels):
            raise _error("scale_labels", _("each point needs its own label"))
        return labels

    @model_validator(mode="after")
    def dont_know_stands_out(self) -> ScaleTable:
        """The "Don't know" label is none of the points' labels."""
        if self.dont_know is not None and self.dont_know in self.labels.values():
            raise _error(
                "dont_know", _("must differ from the labels of the points"), at=("dont_know",)
            )
        return self


class ItemEntry(_Table):
    """``[[competencies.items]]``: a rated statement in the coachee's and raters' words."""

    key: Key
    self_text: SelfWording = Field(alias="self")
    rater_text: RaterWording = Field(alias="rater")


class CompetencyEntry(_Table):
    """``[[competencies]]``: a titled group of items."""

    key: Key
    title: Title
    description: Annotated[str, _stripped(2_000)]
    items: Annotated[list[ItemEntry], Field(min_length=1)]


class OpenQuestionEntry(_Table):
    """``[[open_questions]]``: a free-text question with the wordings its audience needs."""

    key: Key
    audience: Audience
    self_text: SelfWording | None = Field(default=None, alias="self")
    rater_text: OpenRaterWording | None = Field(default=None, alias="rater")
    max_length: Annotated[PositiveInt, Field(le=MAX_ANSWER_LENGTH)]

    @model_validator(mode="after")
    def wordings_match_audience(self) -> OpenQuestionEntry:
        """``self`` exactly when the coachee is asked, ``rater`` exactly when raters are."""
        wanted = {"self": self.audience in ("self", "both"), "rater": self.audience != "self"}
        given = {"self": self.self_text is not None, "rater": self.rater_text is not None}
        for wording in ("self", "rater"):
            if wanted[wording] and not given[wording]:
                raise _error(
                    "wording_missing",
                    _(
                        'missing key "%(key)s" (audience is "%(audience)s")',
                        key=wording,
                        audience=self.audience,
                    ),
                )
            if given[wording] and not wanted[wording]:
                raise _error(
                    "wording_not_asked",
                    _(
                        'not asked: audience is "%(audience)s"; remove it or change the audience',
                        audience=self.audience,
                    ),
                    at=(wording,),
                )
        return self


class ItemTranslation(_Table):
    """An item in another language: ``key = { self = "…", rater = "…" }``."""

    self_text: SelfWording = Field(alias="self")
    rater_text: RaterWording = Field(alias="rater")


class QuestionTranslation(_Table):
    """An open question in another language, with the wordings its audience needs."""

    self_text: SelfWording | None = Field(default=None, alias="self")
    rater_text: OpenRaterWording | None = Field(default=None, alias="rater")


#: The languages a questionnaire may be translated into (its own texts are English).
TRANSLATION_LANGUAGES = ("de", "fr", "es")


class TranslationTable(_Table):
    """``[translations.<code>]``: every text of the questionnaire in one other language,
    keyed like the file (competencies and items by key, the scale by point)."""

    title: Title
    description: Annotated[str, _stripped(5_000)]
    scale: dict[str, Label]
    dont_know: Label | None = None
    competencies: dict[str, Title]
    items: dict[str, ItemTranslation]
    open_questions: dict[str, QuestionTranslation]


class QuestionnaireFile(_Table):
    """A whole questionnaire file, validated; see the module docstring for the rules."""

    key: Key
    version: PositiveInt
    title: Title
    description: Annotated[str, _stripped(5_000)]
    scale: ScaleTable
    competencies: Annotated[list[CompetencyEntry], Field(min_length=1)]
    open_questions: Annotated[list[OpenQuestionEntry], Field(min_length=1)]
    translations: dict[str, TranslationTable] = Field(default_factory=dict)

    @model_validator(mode="after")
    def translations_match(self) -> QuestionnaireFile:
        """Each translation is into a language the service speaks and translates every
        text of the file, nothing more: no key the file does not have, none left out,
        and an open question's wordings as its audience needs them."""
        for code, table in self.translations.items():
            at: Location = (code,)
            if code not in TRANSLATION_LANGUAGES:
                raise _error(
                    "translation_language",
                    _(
                        '"%(code)s" is not a language to translate into; use %(codes)s (the '
                        "questionnaire's own texts are English)",
                        code=code,
                        codes=", ".join(f'"{c}"' for c in TRANSLATION_LANGUAGES),
                    ),
                    at=("translations", *at),
                )
            expected = {
                "scale": {str(point) for point in range(1, len(self.scale.labels) + 1)},
                "competencies": {c.key for c in self.competencies},
                "items": {i.key for c in self.competencies for i in c.items},
                "open_questions": {q.key for q in self.open_questions},
            }
            for part, keys in expected.items():
                given = getattr(table, part)
                for key in given:
                    if key not in keys:
                        raise _error(
                            "translation_unknown",
                            str(_NOT_ONE_OF[part]) % {"key": key},
                            at=("translations", code, part, key),
                        )
                if missing := [key for key in keys if key not in given]:
                    keys = ", ".join(sorted(missing)[:3])
                    if len(missing) > 3:
                        message = _(
                            "no %(code)s translation of %(keys)s and more", code=code, keys=keys
                        )
                    else:
                        message = _("no %(code)s translation of %(keys)s", code=code, keys=keys)
                    raise _error(
                        "translation_missing",
                        message,
                        at=("translations", code, part),
                    )
            if (table.dont_know is None) != (self.scale.dont_know is None):
                raise _error(
                    "translation_dont_know",
                    _('"dont_know" must be translated exactly when the scale has one'),
                    at=("translations", code),
                )
            for question in self.open_questions:
                wording = table.open_questions[question.key]
                for side, own in (("self", question.self_text), ("rater", question.rater_text)):
                    translated = getattr(wording, f"{side}_text")
                    if (own is None) != (translated is None):
                        raise _error(
                            "translation_wording",
                            _(
                                '"%(side)s" must be given exactly when the question has it',
                                side=side,
                            ),
                            at=("translations", code, "open_questions", question.key),
                        )
        return self

    @field_validator("competencies")
    @classmethod
    def keys_are_unique(cls, competencies: list[CompetencyEntry]) -> list[CompetencyEntry]:
        """Competency keys among competencies, item keys among all items of the file."""
        competency_places: dict[str, Location] = {}
        item_places: dict[str, Location] = {}
        for index, competency in enumerate(competencies):
            place = ("competencies", index, "key")
            _unique(competency.key, place, competency_places, "competency")
            for item_index, item in enumerate(competency.items):
                place = ("competencies", index, "items", item_index, "key")
                _unique(item.key, place, item_places, "item")
        return competencies

    @field_validator("competencies")
    @classmethod
    def item_count_in_range(cls, competencies: list[CompetencyEntry]) -> list[CompetencyEntry]:
        """Between MIN_ITEMS and MAX_ITEMS rated items in all competencies together."""
        count = sum(len(competency.items) for competency in competencies)
        if not MIN_ITEMS <= count <= MAX_ITEMS:
            raise _error(
                "item_count",
                _(
                    "must hold %(least)s to %(most)s items in all, not %(count)s",
                    least=MIN_ITEMS,
                    most=MAX_ITEMS,
                    count=count,
                ),
            )
        return competencies

    @field_validator("open_questions")
    @classmethod
    def open_questions_are_usable(
        cls, questions: list[OpenQuestionEntry]
    ) -> list[OpenQuestionEntry]:
        """Unique keys, and a ``headline`` asked of both audiences in at most 140 characters."""
        places: dict[str, Location] = {}
        for index, question in enumerate(questions):
            _unique(question.key, ("open_questions", index, "key"), places, "open question")
        if HEADLINE_KEY not in places:
            raise _error(
                "headline_missing",
                _('missing the question "%(key)s" (the short description)', key=HEADLINE_KEY),
            )
        index = places[HEADLINE_KEY][1]
        headline = questions[index]
        if headline.audience != "both":
            raise _error(
                "headline_audience",
                _(
                    '"%(key)s" is asked of the coachee and of raters: audience must be "both"',
                    key=HEADLINE_KEY,
                ),
                at=(index, "audience"),
            )
        if headline.max_length > HEADLINE_MAX_LENGTH:
            raise _error(
                "headline_length",
                _(
                    '"%(key)s" must be at most %(most)s, not %(length)s',
                    key=HEADLINE_KEY,
                    most=HEADLINE_MAX_LENGTH,
                    length=headline.max_length,
                ),
                at=(index, "max_length"),
            )
        return questions


def _unique(key: str, place: Location, seen: dict[str, Location], what: str) -> None:
    """Remember where ``key`` is used; an error if it was used before.

    ``place`` is the key's place in the file, starting with the name of the list being
    checked, such as ``("competencies", 1, "key")``.
    """
    if key in seen:
        raise _error(
            "duplicate_key",
            str(_DUPLICATE[what]) % {"key": key, "place": place_name(seen[key])},
            at=place[1:],  # the validator's own location is the list
        )
    seen[key] = place


# --- errors in plain words ----------------------------------------------------------

#: pydantic's own error types, as the schema meets them, in the words of the service.
#: Fields: ``value`` (as given), ``kind`` (what it is: "an integer"), ``quoted`` (a text
#: in quotes, anything else its kind), ``length`` (of a text once stripped) and the
#: error's context (``le``, ``max_length``, ``expected``).
_MESSAGES = {
    "string_type": _l("must be a string, not %(kind)s"),
    # Every number of the file is a version or a count (PositiveInt); strict, so neither
    # "2", 2.0 nor true is one.
    "int_type": _l("must be a positive integer, not %(kind)s"),
    "greater_than": _l("must be a positive integer, not %(value)s"),
    "less_than_equal": _l("must be at most %(le)s, not %(value)s"),
    "string_too_short": _l("must not be empty"),
    "too_short": _l("must not be empty"),
    "string_too_long": _l("must be at most %(max_length)s characters, not %(length)s"),
    "dict_type": _l("must be a table, not %(kind)s"),
    "model_type": _l("must be a table, not %(kind)s"),
    # Every array of the file holds tables.
    "list_type": _l("must be an array of tables, not %(kind)s"),
    "literal_error": _l("must be %(expected)s, not %(quoted)s"),
}


class Problem(NamedTuple):
    """One problem of a questionnaire file, in the words of the service."""

    #: The place the message is about: for a missing or an unknown key the table
    #: holding it, otherwise the value itself.
    where: Location
    #: The most precise place of the problem, such as the unknown key itself; the one
    #: to look up the line of.
    at: Location
    message: str


def problems(error: ValidationError) -> list[Problem]:
    """Each problem of ``error``, in pydantic's order (the order of the schema).

    Error types the schema does not expect keep pydantic's own message.
    """
    found = []
    for details in error.errors(include_url=False):
        at = (*details["loc"], *details.get("ctx", {}).get("at", ()))
        kind = details["type"]
        if kind in ("missing", "extra_forbidden"):
            if kind == "missing":
                message = _('missing key "%(key)s"', key=at[-1])
            else:
                message = _('unknown key "%(key)s"', key=at[-1])
            found.append(Problem(at[:-1], at, message))
        else:
            found.append(Problem(at, at, _message(details)))
    return found


def _message(details: ErrorDetails) -> str:
    template = _MESSAGES.get(details["type"])
    if template is None:
        return details["msg"]
    value = details["input"]
    context = dict(details.get("ctx", {}))
    if "expected" in context:  # Literal choices: pydantic quotes them '...', TOML "...".
        context["expected"] = str(context["expected"]).replace("'", '"')
    return str(template) % {
        **context,
        "value": value,
        "kind": _kind(value),
        "quoted": f'"{value}"' if isinstance(value, str) else _kind(value),
        "length": len(value.strip()) if isinstance(value, str) else "",
    }


def _kind(value: object) -> str:
    """What a TOML value is, with its article: "an integer", "a table"."""
    kinds = [
        (bool, _l("a boolean")),  # before int: bool is a subclass of int
        (int, _l("an integer")),
        (float, _l("a float")),
        (str, _l("a string")),
        (dict, _l("a table")),
        (list, _l("an array")),
    ]
    for kind, name in kinds:
        if isinstance(value, kind):
            return str(name)
    return _("a date or time")


def place_name(location: Location) -> str:
    """A location as written in messages: ``competencies[2].items[4].rater``.

    Indices count from 0. Keys that are not plain names are quoted, as TOML does:
    ``scale.labels."5"``. The empty location (the whole file) is the empty string.
    """
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            shown = part if part.isidentifier() else f'"{part}"'
            name += f".{shown}" if name else shown
    return name
