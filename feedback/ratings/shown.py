"""A closed cycle's dashboard kept as plain data in the database, so that every worker
of every server shows it without pandas or plotly.

The close computes the cycle's guarded results (:mod:`.results`) once, in the coach's
language, and keeps what the dashboard shows of them — the rows of its tables, the
rankings, the shuffled comments, the word panes and the figures' JSON, nothing the
guard hides — as one JSON document (:class:`ShownResults`). A dashboard view reads that
document (once per process: it is parsed into a :class:`ShownReport` and kept in the
per-process cache) instead of running the engine, so a worker that only shows
dashboards never imports pandas, NumPy, pyarrow or plotly's figures.

What the document was made from is in its key, an HMAC under the secret key of the
cycle, its closing time, its rules, the coachee's name and the page's language: a
view whose key differs (the cycle reopened and closed again, the coachee renamed, a
page in another language) does not find it and computes the results as before
(:func:`.results.cycle_report`), in that process. Reopening deletes the cycle's
documents and each close replaces them; deleting a cycle deletes them (cascade). A GET
never writes one (tests/security/test_no_get_writes.py).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app, has_request_context
from sqlalchemy import delete, select

from ..analysis.rules import Rules
from ..coaching.models import Cycle
from ..extensions import db
from ..i18n import SOURCE_LANGUAGE, known, page_language, speaking
from ..vocabulary import CycleState
from .models import ShownResults
from .results import cache_scope, cycle_report, remembered

if TYPE_CHECKING:
    from .results import CycleReport

#: The form of the document; a change of it makes every stored one unread (recomputed).
FORMAT = 2


@dataclass
class ShownCycleResults:
    """The few fields of :class:`.results.CycleResults` that a page reads directly."""

    agreement: dict | None
    shown_groups: tuple[str, ...]
    rules: Rules
    self_headline: str | None
    others_headlines: list[str]


@dataclass
class ShownReport:
    """What a page draws of a :class:`.results.CycleReport`, without its frames."""

    results: ShownCycleResults
    item_texts: dict[str, str]
    question_texts: dict[str, str]
    competency_keys: dict[str, str]
    scale: list[tuple[int, str]]
    figures: dict[str, str]
    competency_titles: dict[str, str]
    competency_rows: list[dict]
    item_rows: list[dict]
    rankings: dict[str, list[dict]] = field(default_factory=dict)
    comments_by_question: dict[str, list[dict]] = field(default_factory=dict)
    word_lists: dict[str, list[str]] = field(default_factory=dict)
    shown_statements: dict[str, int] = field(default_factory=dict)
    dont_know: str = ""
    #: Each open answer's language, told from its own words (never from who wrote it).
    text_languages: dict[str, str] = field(default_factory=dict)
    key: tuple = ()
    #: The dashboard's tables as rendered for this report, by name (the dashboard's
    #: ``once``): they draw only from what the report is kept for.
    html: dict[str, Any] = field(default_factory=dict)


def _plain(value):
    """A value of a frame's record as JSON can hold it: NumPy's scalars as Python's,
    pandas' missing values (NA, NaT) as None."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    raise TypeError(f"{type(value).__name__} cannot be kept in a shown report")


def document(report: CycleReport) -> str:
    """The JSON document of what ``report``'s pages show."""
    results = report.results
    agreement = None if results.agreement is None else dict(results.agreement.items())
    return json.dumps(
        {
            "format": FORMAT,
            "results": {
                "agreement": agreement,
                "shown_groups": list(results.shown_groups),
                "rules": dataclasses.asdict(results.rules),
                "self_headline": results.self_headline,
                "others_headlines": list(results.others_headlines),
            },
            "item_texts": report.item_texts,
            "question_texts": report.question_texts,
            "competency_keys": report.competency_keys,
            "scale": report.scale,
            "figures": {name: str(figure) for name, figure in report.figures.items()},
            "competency_titles": report.competency_titles,
            "competency_rows": report.competency_rows,
            "item_rows": report.item_rows,
            "rankings": report.rankings,
            "comments_by_question": report.comments_by_question,
            "word_lists": report.word_lists,
            "shown_statements": report.shown_statements,
            "dont_know": report.dont_know,
            "text_languages": report.text_languages,
        },
        default=_plain,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def read_document(body: str, key: tuple = ()) -> ShownReport | None:
    """The :class:`ShownReport` of a document, or None when it is of another format. A
    hidden figure was written as NaN (or null) and is read back as NaN (or None): the
    pages' filters show both as a dash, as they did the frame's."""
    data = json.loads(body)
    if data.get("format") != FORMAT:
        return None
    results = data["results"]
    return ShownReport(
        results=ShownCycleResults(
            agreement=results["agreement"],
            shown_groups=tuple(results["shown_groups"]),
            rules=Rules(**results["rules"]),
            self_headline=results["self_headline"],
            others_headlines=results["others_headlines"],
        ),
        item_texts=data["item_texts"],
        question_texts=data["question_texts"],
        competency_keys=data["competency_keys"],
        scale=[(value, label) for value, label in data["scale"]],
        # As the close wrote them with safe_json; the chart macro marks them safe.
        figures=data["figures"],
        competency_titles=data["competency_titles"],
        competency_rows=data["competency_rows"],
        item_rows=data["item_rows"],
        rankings=data["rankings"],
        comments_by_question=data["comments_by_question"],
        word_lists=data["word_lists"],
        shown_statements=data["shown_statements"],
        dont_know=data["dont_know"],
        text_languages=data["text_languages"],
        key=key,
    )


def document_key(cycle: Cycle, language: str) -> str:
    """The key of ``cycle``'s document in ``language`` (see the module's docstring)."""
    return _digest(
        str(current_app.config["SECRET_KEY"]),
        (
            FORMAT,
            cycle.id,
            cycle.closed_at.isoformat() if cycle.closed_at else None,
            cycle.min_group_size,
            cycle.boss_exempt,
            cycle.coachee.name,
            language,
        ),
    )


@functools.lru_cache(maxsize=1024)
def _digest(secret: str, made_of: tuple) -> str:
    # Kept: a warm dashboard view asks for the same key every time.
    message = json.dumps(made_of).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def shown_report(cycle: Cycle) -> ShownReport | CycleReport | None:
    """What the dashboard of ``cycle`` shows: its stored document when there is one for
    this page (read once per process), else the results computed here
    (:func:`.results.cycle_report`); None while the cycle is open or when no rater
    answered."""
    if cycle.state is not CycleState.CLOSED or cycle.closed_at is None:
        return None
    digest = document_key(cycle, page_language())
    key = ("shown", *cache_scope(), digest)
    stored = remembered(key, lambda: _read(cycle.id, digest, key))
    return stored if stored is not None else cycle_report(cycle)


def _read(cycle_id: int, digest: str, key: tuple) -> ShownReport | None:
    body = db.session.scalar(
        select(ShownResults.body).where(
            ShownResults.cycle_id == cycle_id, ShownResults.key == digest
        )
    )
    return None if body is None else read_document(body, key)


def forget_shown_results(cycle: Cycle) -> None:
    """Delete ``cycle``'s documents (it reopens, or closes again)."""
    db.session.execute(delete(ShownResults).where(ShownResults.cycle_id == cycle.id))


def store_shown_results(cycle: Cycle) -> bool:
    """Compute closed ``cycle``'s results and keep its dashboard's document, in the
    coach's language (else the page's, else English), in place of any before; return
    whether one was kept (none when no rater answered). Run by the close."""
    forget_shown_results(cycle)
    coach_language = known(cycle.coachee.coach.language)
    if coach_language:
        language = coach_language
    elif has_request_context():
        language = page_language()
    else:
        language = SOURCE_LANGUAGE
    if has_request_context():
        with speaking(language):
            report = cycle_report(cycle)
    else:
        # The figures' numbers are written as a page writes them only within a request.
        with current_app.test_request_context(), speaking(language):
            report = cycle_report(cycle)
    if report is None:
        return False
    db.session.add(
        ShownResults(cycle_id=cycle.id, key=document_key(cycle, language), body=document(report))
    )
    return True
