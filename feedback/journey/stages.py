"""The method's six stages and their questions, read once from ``stages.toml``, with
what the coachee reads in each language of the service."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

from flask_babel import get_locale

from ..i18n import LANGUAGES, SOURCE_LANGUAGE

STAGES_FILE = Path(__file__).with_name("stages.toml")
#: The stage whose homework is answered by the released 360 (blind spots, hidden
#: strengths, descriptions), and the question it answers there.
SEEN_STAGE, SEEN_BY_DATA = "seen", "not_in_line"
#: The stage of the skill gaps.
KEEP_STAGE = "keep_lose"
#: The stage of the realistic opportunities (the matrix's options, typed here once).
OUT_THERE_STAGE = "out_there"
#: The stage of the decision matrix, and the stage of the first steps.
SELECT_STAGE, START_STAGE = "select", "start"
#: The languages a stage's texts are translated into, and what each translation holds.
TRANSLATED = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)
STAGE_TEXTS, QUESTION_TEXTS = ("title", "intro"), ("text",)

#: Per language, a translated text by its name ("title", "intro", "text").
Translations = Mapping[str, Mapping[str, str]]


def _current_language() -> str:
    """The language of the page or email being written (English outside a request)."""
    return str(get_locale() or SOURCE_LANGUAGE)


@dataclass(frozen=True)
class Question:
    """One question of a stage: shipped (``own`` False) or the coach's own for one
    coachee (``key`` is then ``own-<id>``, and ``english`` is the text as the coach
    wrote it)."""

    key: str
    #: The text in English (the source language); :attr:`text` is the reader's.
    english: str
    #: What the coach listens for, in English; :attr:`hint` is the reader's.
    english_hint: str = ""
    #: The self-assessment's question that asks the same (stage one only).
    reuses: str = ""
    own: bool = False
    translations: Translations = field(default_factory=dict, compare=False)

    @property
    def text(self) -> str:
        """The question in the language of the current page or email."""
        return self.text_in(_current_language())

    @property
    def hint(self) -> str:
        """What the coach listens for, in the language of the current page."""
        return self.translations.get(_current_language(), {}).get("hint", self.english_hint)

    def text_in(self, language: str | None) -> str:
        """The question in ``language`` (English when it has no such translation)."""
        return self.translations.get(language or "", {}).get("text", self.english)


@dataclass(frozen=True)
class Stage:
    """One conversation of the journey; :attr:`title` and :attr:`intro` are in the
    language of the current page or email."""

    number: int
    key: str
    english_title: str
    english_intro: str
    questions: tuple[Question, ...]
    translations: Translations = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        """The conversation's question, in the reader's language."""
        return self.title_in(_current_language())

    @property
    def intro(self) -> str:
        """What the stage is about, for the coachee, in the reader's language."""
        return self.translations.get(_current_language(), {}).get("intro", self.english_intro)

    def title_in(self, language: str | None) -> str:
        """The title in ``language`` (English when it has no such translation)."""
        return self.translations.get(language or "", {}).get("title", self.english_title)


def _translations(entry: dict, texts: tuple[str, ...], where: str) -> Translations:
    """The translations of one stage or question, checked: every language of the
    service with every text, nothing else; raises ValueError."""
    found = {}
    for code in TRANSLATED:
        table = entry.get(code)
        if not isinstance(table, dict):
            raise ValueError(f"{where}: no {code!r} translation ({', '.join(texts)})")
        if set(table) != set(texts) or not all(
            isinstance(table[name], str) and table[name].strip() for name in texts
        ):
            raise ValueError(f"{where}: the {code!r} translation must give {', '.join(texts)}")
        found[code] = MappingProxyType(dict(table))
    return MappingProxyType(found)


def parse_stages(text: str) -> tuple[Stage, ...]:
    """The stages of a TOML text; raises ValueError when a key is missing or repeats,
    or a stage or question lacks a translation (see ``stages.toml``)."""
    data = tomllib.loads(text)
    stages: list[Stage] = []
    seen_keys: set[str] = set()
    for number, entry in enumerate(data.get("stages", []), start=1):
        try:
            questions = tuple(
                Question(
                    key=q["key"],
                    english=q["text"],
                    english_hint=q.get("hint", ""),
                    reuses=q.get("reuses", ""),
                    translations=_translations(
                        q,
                        QUESTION_TEXTS + (("hint",) if "hint" in q else ()),
                        f"stage {number}, question {q['key']!r}",
                    ),
                )
                for q in entry["questions"]
            )
            stage = Stage(
                number,
                entry["key"],
                entry["title"],
                entry["intro"],
                questions,
                _translations(entry, STAGE_TEXTS, f"stage {number}"),
            )
        except KeyError as exc:
            raise ValueError(f"stage {number}: missing {exc}") from None
        for key in (f"stage:{stage.key}", *(q.key for q in questions)):
            if key in seen_keys:
                raise ValueError(f"stage {number}: the key {key!r} is used twice")
            seen_keys.add(key)
        stages.append(stage)
    if not stages:
        raise ValueError("no stages")
    return tuple(stages)


@cache
def stages() -> tuple[Stage, ...]:
    """The shipped stages, in the method's order."""
    return parse_stages(STAGES_FILE.read_text(encoding="utf-8"))


def stage(key: str) -> Stage | None:
    """The shipped stage of ``key``, or None."""
    return next((s for s in stages() if s.key == key), None)


def question_keys() -> set[str]:
    """Every shipped question's key."""
    return {q.key for s in stages() for q in s.questions}
