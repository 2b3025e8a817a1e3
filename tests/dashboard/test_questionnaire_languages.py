"""The coach's pages name the questionnaire's statements, competencies and scale in the
coach's language when the questionnaire has a translation into it (else as written),
while open answers stay as written and the machine-facing exports stay as they are."""

import html
import io
import json

import pytest
from dashboard_support import QUESTIONNAIRE, figures_of
from sqlalchemy import update

from feedback.accounts.models import Coach
from feedback.extensions import db
from feedback.questionnaires.models import Questionnaire
from feedback.ratings.results import clear_cache

GERMAN = QUESTIONNAIRE.translations["de"]


def _set_language(app, code: str | None) -> None:
    with app.app_context():
        db.session.execute(update(Coach).values(language=code))
        db.session.commit()


def _statements(language: str | None) -> dict[str, str]:
    """Each statement as a rater read it about Casey, in ``language`` (None: as written)."""
    if language is None:
        return {i.key: i.rater_text.replace("{name}", "Casey") for i in QUESTIONNAIRE.items}
    translation = QUESTIONNAIRE.translations[language]
    return {key: texts[1].replace("{name}", "Casey") for key, texts in translation.items.items()}


def _titles(language: str | None) -> dict[str, str]:
    if language is None:
        return {c.key: c.title for c in QUESTIONNAIRE.competencies}
    return dict(QUESTIONNAIRE.translations[language].competencies)


def test_the_dashboard_shows_the_questionnaire_in_the_coachs_language(
    app, closed_cycle, coach_browser
):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    english = html.unescape(coach_browser.get(url).text)
    _set_language(app, "de")
    page = coach_browser.get(url).text
    german = html.unescape(page)
    english_statements, german_statements = _statements(None), _statements("de")
    assert all(text in english for text in english_statements.values())
    for key, text in german_statements.items():
        assert text in german, key
        assert english_statements[key] not in german, key
    for key, title in _titles("de").items():
        assert title in german
        if title != _titles(None)[key]:
            assert f">{_titles(None)[key]}<" not in german, key
    # The answer spread names the scale's points as the German form did.
    for label in GERMAN.scale.values():
        assert label in german
    assert GERMAN.dont_know in german
    # The charts too: the competencies by their German titles.
    chart = json.loads(html.unescape(figures_of(page)["competencies"]))
    chart = json.dumps(chart, ensure_ascii=False)
    assert all(title in chart for title in _titles("de").values())
    # Open answers as written (not translated), each marked with the language of its
    # own words (test_answer_languages.py has the rule).
    assert '<span lang="en">Calm under pressure</span>' in page
    assert '<span lang="en">Keep the weekly one-to-ones.</span>' in page
    # The results cached for the German page are not the English page's.
    _set_language(app, None)
    assert html.unescape(coach_browser.get(url).text).count(english_statements["listens"]) >= 1


def test_a_questionnaire_without_the_coachs_language_shows_as_written(
    app, closed_cycle, coach_browser
):
    with app.app_context():
        db.session.execute(update(Questionnaire).values(translations=None))
        db.session.commit()
    clear_cache()
    _set_language(app, "de")
    german = html.unescape(coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}").text)
    assert "Differenz je Aussage" in german  # the page's own texts are German
    for text in _statements(None).values():
        assert text in german
    for title in _titles(None).values():
        assert title in german


def test_the_workbooks_human_sheets_name_the_questionnaire_in_german(
    app, closed_cycle, coach_browser
):
    openpyxl = pytest.importorskip("openpyxl")
    _set_language(app, "de")
    url = f"/cycles/{closed_cycle['cycle_id']}/report.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(coach_browser.get(url).data))
    by_competency = {row[0].value for row in book["Nach Kompetenz"].iter_rows(min_row=2)}
    assert set(_titles("de").values()) <= by_competency
    statements = {cell.value for row in book.worksheets[3].iter_rows() for cell in row}
    assert set(_statements("de").values()) & statements
    assert not set(_statements(None).values()) & statements
    # The analysts' sheets keep the competencies as the questionnaire's file names them.
    header = [cell.value for cell in book["competencies"][1]]
    column = header.index("competency")
    raw = {row[column].value for row in book["competencies"].iter_rows(min_row=2)}
    assert raw == set(_titles(None).values())
