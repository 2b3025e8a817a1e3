"""The method's six stages and their questions, read once from ``stages.toml``."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


@dataclass(frozen=True)
class Question:
    """One question of a stage: shipped (``own`` False) or the coach's own for one
    coachee (``key`` is then ``own-<id>``)."""

    key: str
    text: str
    hint: str = ""
    #: The self-assessment's question that asks the same (stage one only).
    reuses: str = ""
    own: bool = False


@dataclass(frozen=True)
class Stage:
    """One conversation of the journey."""

    number: int
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...]


def parse_stages(text: str) -> tuple[Stage, ...]:
    """The stages of a TOML text; raises ValueError when a key is missing or repeats."""
    data = tomllib.loads(text)
    stages: list[Stage] = []
    seen_keys: set[str] = set()
    for number, entry in enumerate(data.get("stages", []), start=1):
        try:
            questions = tuple(
                Question(
                    key=q["key"], text=q["text"], hint=q.get("hint", ""), reuses=q.get("reuses", "")
                )
                for q in entry["questions"]
            )
            stage = Stage(number, entry["key"], entry["title"], entry["intro"], questions)
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
