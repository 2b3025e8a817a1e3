"""The questionnaire's own words (competency titles, statements, scale labels) on the
pages that list them outside the dashboard — the cohort, the coach's and the coachee's
plan, the coachee's predictions — come from its translation into the page's language,
as the dashboard's do (issue 18); English pages keep the questionnaire as written."""

import html

from sqlalchemy import update

from feedback.accounts.models import Coach
from feedback.coaching.models import Coachee
from feedback.extensions import db
from feedback.i18n import GROUP_NAMES
from feedback.questionnaires import default_questionnaire

DEFAULT = default_questionnaire()


def _speak(app, model, code) -> None:
    with app.app_context():
        db.session.execute(update(model).values(language=code))
        db.session.commit()


def test_the_cohort_names_the_largest_gap_in_the_coachs_language(app, closed_cycle, coach_browser):
    english = html.unescape(coach_browser.get("/cohort").text)
    english_titles = [c.title for c in DEFAULT.competencies if c.title in english]
    assert len(english_titles) == 1  # the largest gap's competency
    (competency,) = [c for c in DEFAULT.competencies if c.title in english]
    statements = [i for i in competency.items if i.rater_text.replace("{name}", "Casey") in english]
    assert len(statements) == 1  # the statement as raters read it, not its key
    (statement,) = statements
    assert statement.key.replace("_", " ") not in english

    _speak(app, Coach, "de")
    german = html.unescape(coach_browser.get("/cohort").text)
    translation = DEFAULT.translations["de"]
    assert translation.competencies[competency.key] in german
    assert translation.items[statement.key][1].replace("{name}", "Casey") in german
    assert competency.title not in german
    assert statement.rater_text.replace("{name}", "Casey") not in german


def test_the_coachs_plan_offers_statements_in_the_coachs_language(app, closed_cycle, coach_browser):
    plan = f"/cycles/{closed_cycle['cycle_id']}/plan"
    item = DEFAULT.items[0]
    competency = next(c for c in DEFAULT.competencies if item in c.items)
    english = html.unescape(coach_browser.get(plan).text)
    assert f"{competency.title}: {item.rater_text.replace('{name}', 'Casey')}" in english
    _speak(app, Coach, "fr")
    french = html.unescape(coach_browser.get(plan).text)
    translation = DEFAULT.translations["fr"]
    wording = translation.items[item.key][1].replace("{name}", "Casey")
    assert f"{translation.competencies[competency.key]} : {wording}" in french
    assert competency.title not in french and item.rater_text.split("{name}")[1] not in french


def test_the_predictions_are_in_the_coachees_language(app, open_cycle, browser):
    page = open_cycle["portal"].rstrip("/") + "/predictions"
    english = html.unescape(browser.get(page).text)
    assert all(c.title in english for c in DEFAULT.competencies)
    _speak(app, Coachee, "es")
    spanish = html.unescape(browser.get(page).text)
    translation = DEFAULT.translations["es"]
    for competency in DEFAULT.competencies:
        assert f'<th scope="row">{translation.competencies[competency.key]}</th>' in spanish
        assert competency.title not in spanish
    with app.test_request_context(headers={"Accept-Language": "es"}):
        for group in ("boss", "peer", "subordinate"):
            assert f'<th scope="col">{GROUP_NAMES[group]}</th>' in spanish
    assert f"4 {translation.scale[4]}</option>" in spanish
    assert f"4 {DEFAULT.scale.labels[4]}</option>" not in spanish
    # A prediction out of range names the competency in Spanish too.
    refused = browser.submit(page, {f"predict-{DEFAULT.competencies[0].key}-boss": "9"})
    assert refused.status_code == 400
    first = DEFAULT.competencies[0]
    assert translation.competencies[first.key] in html.unescape(refused.text)
