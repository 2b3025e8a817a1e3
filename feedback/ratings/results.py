"""Everything the cycle dashboard (and the exports, and the coachee's released report)
shows, computed through the analysis engine and its anonymity guard. Nothing here
computes a figure of its own: it calls the engine and keeps the answers.

A closed cycle cannot change (no answer is accepted after closing), so its results are
kept in memory, keyed by the cycle, its closing time and its rules.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from .. import analysis, charts
from ..coaching.models import Cycle
from ..i18n import page_language
from ..vocabulary import RATER_GROUPS, CycleState
from .frames import comments_frame, ratings_frame

if TYPE_CHECKING:
    import pandas as pd


HEADLINE = "headline"
#: How many closed cycles' results each process keeps.
CACHE_SIZE = 64


@dataclass
class CycleResults:
    """The guarded results of one closed cycle.

    ``items`` and ``competencies`` are the engine's item_stats and competency_stats;
    ``agreement`` one row of self_other_agreement; the rankings are the engine's top 5;
    ``comments`` come from shuffle_comments (labelled only for groups that
    comment_groups allows); ``words`` from word_panes; ``shown_groups`` are the groups
    (of SHOWN_GROUPS) with a shown mean on at least one competency.
    """

    items: pd.DataFrame
    competencies: pd.DataFrame
    agreement: pd.Series | None
    strengths: pd.DataFrame
    development_areas: pd.DataFrame
    blind_spots: pd.DataFrame
    hidden_strengths: pd.DataFrame
    comments: pd.DataFrame
    self_headline: str | None
    others_headlines: list[str]
    words: pd.DataFrame
    shown_groups: tuple[str, ...]
    rules: analysis.Rules = field(default_factory=analysis.Rules)


@dataclass
class CycleReport:
    """A closed cycle's results with what every page and export draws from them: the
    statements' and questions' wording and the plotly figures as JSON."""

    results: CycleResults
    item_texts: dict[str, str]
    question_texts: dict[str, str]
    competency_keys: dict[str, str]
    scale: list[tuple[int, str]]
    figures: dict[str, str]
    #: Each competency's title as written (as the results' frames name it) -> as the
    #: page shows it.
    competency_titles: dict[str, str]
    #: The figures' records for the templates, so a view does not convert frames.
    competency_rows: list[dict]
    item_rows: list[dict]
    #: strengths, development_areas, blind_spots, hidden_strengths as records.
    rankings: dict[str, list[dict]] = field(default_factory=dict)
    #: Shuffled comments per question key, as records (text, group_label, language).
    comments_by_question: dict[str, list[dict]] = field(default_factory=dict)
    #: The language of each open answer and description shown (text -> "en", "de",
    #: "fr" or "es"), told from the text itself: never stored with an answer, so it
    #: says nothing the text does not (docs/analysis.md, "Comments").
    text_languages: dict[str, str] = field(default_factory=dict)
    #: Up to 15 words per pane of the word panes (open, blind, hidden).
    word_lists: dict[str, list[str]] = field(default_factory=dict)
    #: On how many statements each rater group is shown on its own (the guard's
    #: verdict), so the page can say why a group that answered is not in a chart.
    shown_statements: dict[str, int] = field(default_factory=dict)
    #: The label of the scale's "Don't know" choice as the page shows it ("": none).
    dont_know: str = ""
    #: What this report is cached under (the cycle, its closing time, its rules).
    key: tuple = ()
    #: The dashboard's tables as rendered for this report, by name (the dashboard's
    #: ``once``): they draw only from what the report is kept for.
    html: dict[str, Any] = field(default_factory=dict)


def rules_for(cycle: Cycle) -> analysis.Rules:
    """The anonymity and category rules a cycle was run with, on its questionnaire's
    scale: its size A sets rwg's σ²_EU = (A² − 1) / 12, the range of a score, and
    where the category thresholds lie (:func:`feedback.analysis.rules_for_scale`)."""
    return analysis.rules_for_scale(
        cycle.questionnaire.scale_points,
        min_group_size=cycle.min_group_size,
        boss_exempt=cycle.boss_exempt,
    )


def comment_seed(cycle: Cycle) -> int:
    """The shuffle of a cycle's comments: fixed, so the dashboard and every export show
    one order, yet derived from the secret key, so nobody can undo it from the id."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, f"comments-{cycle.id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def cycle_results(cycle: Cycle, *, seed: int | None = None) -> CycleResults | None:
    """Compute the dashboard's figures for ``cycle`` (guarded, ready to show); None when
    no rater answered, as there is then nothing to compare."""
    import pandas as pd

    rules = rules_for(cycle)
    ratings = ratings_frame(cycle)
    if not (ratings["group"] != "self").any():
        return None
    items = analysis.item_stats(ratings, rules)
    competencies = analysis.competency_stats(ratings, rules)
    agreement_frame = analysis.self_other_agreement(ratings, rules)
    agreement = agreement_frame.iloc[0] if len(agreement_frame) else None

    comments = comments_frame(cycle)
    label_groups = analysis.comment_groups(ratings, rules)
    self_texts = comments[comments["group"] == "self"]
    others = comments[comments["group"] != "self"]
    self_headline = next(iter(self_texts.loc[self_texts["question_key"] == HEADLINE, "text"]), None)
    others_headlines = analysis.shuffle_comments(
        others[others["question_key"] == HEADLINE], frozenset(), seed=seed
    )["text"].tolist()
    words = analysis.word_panes(
        pd.DataFrame(
            {
                "source": ["self"] * len(self_texts) + ["others"] * len(others),
                "text": [*self_texts["text"], *others["text"]],
            }
        )
    )
    shown = tuple(
        group
        for group in analysis.SHOWN_GROUPS
        if f"{group}_n" in competencies and competencies[f"{group}_n"].notna().any()
    )
    return CycleResults(
        items=items,
        competencies=competencies,
        agreement=agreement,
        strengths=analysis.highest_items(items),
        development_areas=analysis.lowest_items(items),
        blind_spots=analysis.blind_spots(items),
        hidden_strengths=analysis.hidden_strengths(items),
        comments=analysis.shuffle_comments(
            others[others["question_key"] != HEADLINE], label_groups, seed=seed
        ),
        self_headline=self_headline,
        others_headlines=others_headlines,
        words=words,
        shown_groups=shown,
        rules=rules,
    )


def wording(cycle: Cycle) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The statements as raters read them (with the coachee's first name) and the open
    questions, in the page's language when ``cycle``'s questionnaire has a translation
    into it, else as written; and each competency's key by its title as written (as the
    analysis' frames name it)."""
    questionnaire = cycle.questionnaire
    name = cycle.coachee.first_name
    translated = questionnaire.translated(page_language()) or {}
    items = {key: texts[1] for key, texts in translated.get("items", {}).items()}
    questions = translated.get("open_questions", {})
    item_texts = {
        item.key: (items.get(item.key) or item.rater_text).replace("{name}", name)
        for item in questionnaire.items
    }
    question_texts = {}
    for q in questionnaire.open_questions:
        self_text, rater_text = questions.get(q.key) or (None, None)
        shown = rater_text or self_text or q.rater_text or q.self_text or q.key
        question_texts[q.key] = shown.replace("{name}", name)
    competency_keys = {c.title: c.key for c in questionnaire.competencies}
    return item_texts, question_texts, competency_keys


def competency_titles(cycle: Cycle) -> dict[str, str]:
    """Each competency's title as written (as the analysis' frames name it) -> as the
    page shows it: the questionnaire's translation into the page's language, else the
    same title."""
    questionnaire = cycle.questionnaire
    translated = (questionnaire.translated(page_language()) or {}).get("competencies", {})
    titles = {c.title: translated.get(c.key) or c.title for c in questionnaire.competencies}
    if len(set(titles.values())) < len(titles):  # two would merge into one: as written
        return {title: title for title in titles}
    return titles


def shown_titles(frame: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """``frame`` with its ``competency`` column as the page names them (``titles``: as
    written -> as shown), a copy; ``frame`` itself when it has no such column."""
    if "competency" not in frame:
        return frame
    return frame.assign(competency=frame["competency"].map(lambda t: titles.get(t, t)))


def dont_know_of(cycle: Cycle) -> str:
    """The label of the scale's "Don't know" choice in the page's language when the
    questionnaire has a translation into it, else as written; "" when it offers none."""
    questionnaire = cycle.questionnaire
    if not questionnaire.dont_know_label:
        return ""
    translated = questionnaire.translated(page_language()) or {}
    return translated.get("dont_know") or questionnaire.dont_know_label


def scale_of(cycle: Cycle) -> list[tuple[int, str]]:
    """The questionnaire's scale as (value, label) pairs, labelled in the page's language
    when the questionnaire has a translation into it."""
    questionnaire = cycle.questionnaire
    labels = (questionnaire.translated(page_language()) or {}).get("scale", {})
    return [(value, labels.get(str(value)) or label) for value, label in questionnaire.scale]


_cache: LRUCache = LRUCache(maxsize=CACHE_SIZE)
_cache_lock = threading.Lock()


def cache_scope() -> tuple:
    """What keeps one app's cached figures apart from another's in the same process
    (tests, or two apps served together): its database and its secret key."""
    config = current_app.config
    return (config["SQLALCHEMY_DATABASE_URI"], config["SECRET_KEY"])


def _cache_key(cycle: Cycle) -> tuple:
    return (
        *cache_scope(),
        cycle.id,
        cycle.closed_at,
        cycle.min_group_size,
        cycle.boss_exempt,
        cycle.coachee.name,
        # The figures' texts and numbers are in the language of the page they are for.
        page_language(),
    )


def cycle_report(cycle: Cycle) -> CycleReport | None:
    """The results of a closed cycle with their wording and figures, from the cache
    when this process has computed them before; None while the cycle is not closed or
    when no rater answered. Every page and export of a cycle draws from this one
    object, so they all show the same figures (and the same comment order)."""
    if cycle.state is not CycleState.CLOSED or cycle.closed_at is None:
        return None
    key = _cache_key(cycle)
    report = remembered(key, lambda: _build_report(cycle))
    if report is not None:
        report.key = key
    return report


def remembered(key: tuple, build: Callable[[], Any]) -> Any:
    """``build()``, kept in the per-process cache of closed cycles' results under
    ``key`` (the least recently used entries go first)."""
    with _cache_lock:
        if key in _cache:
            return _cache[key]  # reading an entry makes it the most recently used
    value = build()
    with _cache_lock:
        _cache[key] = value
    return value


def _build_report(cycle: Cycle) -> CycleReport | None:
    import pandas as pd

    results = cycle_results(cycle, seed=comment_seed(cycle))
    if results is None:
        return None
    written = [*results.comments["text"], *results.others_headlines]
    if results.self_headline:
        written.append(results.self_headline)
    text_languages = dict(
        zip(written, analysis.text_languages(pd.Series(written, dtype=object)), strict=True)
    )
    item_texts, question_texts, competency_keys = wording(cycle)
    scale = scale_of(cycle)
    # What the pages show names the competencies in the page's language; the results'
    # frames (the machine-facing exports) keep the titles as written.
    titles = competency_titles(cycle)
    competencies, items = (
        shown_titles(frame, titles) for frame in (results.competencies, results.items)
    )
    figures = {
        "competencies": charts.self_vs_others(competencies, results.shown_groups, scale),
        "gaps": charts.gap_by_item(
            items, item_texts, results.rules.agreement_threshold, len(scale)
        ),
        "groups": charts.group_heatmap(competencies, results.shown_groups, len(scale)),
        "spread": charts.answer_spread(items, item_texts, scale),
    }
    return CycleReport(
        results=results,
        item_texts=item_texts,
        question_texts=question_texts,
        competency_keys=competency_keys,
        scale=scale,
        figures={name: safe_json(figure) for name, figure in figures.items()},
        competency_titles=titles,
        competency_rows=competencies.to_dict("records"),
        item_rows=items.to_dict("records"),
        rankings={
            name: shown_titles(getattr(results, name), titles).to_dict("records")
            for name in ("strengths", "development_areas", "blind_spots", "hidden_strengths")
        },
        comments_by_question={
            key: [
                {
                    "text": text,
                    "group_label": None if pd.isna(label) else label,
                    "language": text_languages[text],
                }
                for text, label in zip(part["text"], part["group_label"], strict=True)
            ]
            for key, part in results.comments.groupby("question_key", sort=False)
        },
        text_languages=text_languages,
        word_lists={
            # A word used in two languages is two rows of the panes; it is shown once.
            pane: results.words.loc[results.words["pane"] == pane, "word"]
            .drop_duplicates()
            .head(15)
            .tolist()
            for pane in ("open", "blind", "hidden")
        },
        shown_statements={
            group: int(results.items[f"{group}_n"].notna().sum())
            for group in RATER_GROUPS
            if f"{group}_n" in results.items
        },
        dont_know=dont_know_of(cycle),
    )


def clear_cache() -> None:
    """Forget every cached result (tests; a changed questionnaire wording)."""
    with _cache_lock:
        _cache.clear()


def safe_json(figure) -> Markup:
    """A figure's JSON, safe inside a ``<script type="application/json">`` element:
    Jinja's escaping of ``<``, ``>``, ``&`` and ``'`` (as for ``|tojson``) over
    plotly's own JSON encoder, which knows numpy arrays."""
    import plotly.io

    return htmlsafe_json_dumps(figure, dumps=plotly.io.to_json)
