"""The coachee's side says what is true, and plans and predictions work as a coach
expects: the self-assessment's introduction is written for the coachee, predictions
take halves, the released report speaks to the coachee, the plan asks how success
shows and lists the development areas first (issue 17, items 5 and 6)."""

import re

import pytest
from sqlalchemy import select
from support import Browser, sign_in

from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import portal_url
from feedback.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from feedback.extensions import db
from feedback.plans.models import Prediction
from feedback.vocabulary import CycleState


def test_the_self_assessment_introduction_is_for_the_coachee(open_cycle, browser):
    page = browser.get(open_cycle["portal"].rstrip("/") + "/self").text
    intro = page.split("<form")[0]
    assert "Rate yourself on the statements your raters will see about you." in intro
    assert "Rate it by what you have actually seen" not in intro  # the raters' words
    rater_words = "Rate it by what you have actually seen"
    assert rater_words not in page


def test_predictions_take_halves(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/predictions"
    page = browser.get(url).text
    assert '<option value="3.5">3.5, between 3 and 4</option>' in page
    assert '<option value="4">4 Agree</option>' in page
    with app.app_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        first, second = [c.key for c in cycle.questionnaire.competencies][:2]
    response = browser.submit(url, {f"predict-{first}-peer": "3.5", f"predict-{second}-boss": "4"})
    assert response.status_code == 302
    with app.app_context():
        saved = {
            (p.competency_key, p.group): p.score for p in db.session.scalars(select(Prediction))
        }
    assert saved == {(first, "peer"): 3.5, (second, "boss"): 4.0}
    page = browser.get(url).text
    assert re.search(rf'name="predict-{first}-peer".*?<option value="3.5" selected>', page, re.S)

    response = browser.submit(url, {f"predict-{first}-peer": "3.25"})
    assert response.status_code == 400
    assert "choose 1 to 5, or a half" in response.text


def test_the_database_takes_only_whole_and_half_points(open_cycle, app):
    from feedback.plans.services import PlanError, save_predictions

    with app.app_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        key = cycle.questionnaire.competencies[0].key
        with pytest.raises(PlanError, match="a half between two"):
            save_predictions(cycle, {(key, "peer"): 2.7})
        db.session.add(Prediction(cycle_id=cycle.id, competency_key=key, group="peer", score=2.7))
        with pytest.raises(Exception, match=r"(?i)check"):
            db.session.flush()
        db.session.rollback()


@pytest.fixture
def demo(app):
    """The demo's data; the coach signed in; the closed cycle, with one prediction and
    released."""
    with app.test_request_context():
        seed_demo()
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
        key = cycle.questionnaire.competencies[0].key
        from feedback.plans.services import save_predictions

        save_predictions(cycle, {(key, "peer"): 3.5})
        db.session.commit()
        portal = portal_url(cycle)
        cycle_id = cycle.id
    coach = Browser(app.test_client())
    sign_in(coach, DEMO_EMAIL, DEMO_PASSWORD)
    return {"coach": coach, "cycle_id": cycle_id, "portal": portal}


def test_the_predictions_table_says_no_prediction_where_none_was_made(demo):
    page = demo["coach"].get(f"/cycles/{demo['cycle_id']}").text
    table = page.split('aria-label="Table: self, predicted and actual"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    assert rows
    for row in rows:
        predicted = re.findall(r'<td class="num">([^<]*)</td>', row)[1]
        if predicted == "–":
            assert "no prediction" in row, row
            assert "sees it as this group does" not in row
    assert any(">3.5<" in row for row in rows)  # a half shows as one


def test_the_released_report_speaks_to_the_coachee(demo):
    cycle_url = f"/cycles/{demo['cycle_id']}"
    response = demo["coach"].submit(f"{cycle_url}/release", {}, page=cycle_url)
    assert response.status_code == 302
    page = Browser(demo["coach"].client.application.test_client()).get(
        demo["portal"].rstrip("/") + "/report"
    )
    assert page.status_code == 200
    text = page.text
    summary = text.split("In short")[1].split("By competency")[0]
    assert re.search(r"You \d\.\d+, others \d\.\d+ \(difference [+-]?\d", summary)
    assert "You rate yourself" in summary or "Your view of yourself" in summary
    for third_person in ("themself", "Their view", "They rate", "Others about Alex"):
        assert third_person not in text
    assert "Others about you" in text


def test_the_plan_asks_how_success_shows_and_lists_development_areas_first(demo, app):
    page = demo["coach"].get(f"/cycles/{demo['cycle_id']}/plan").text
    assert "How will you know the goal is reached?" in page
    assert "right decision" not in page
    select_html = page.split('name="item_key"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">', select_html)
    assert groups[0] == "Development areas: others rate these lowest"
    assert groups[-1] == "Every other statement"
    dashboard = demo["coach"].get(f"/cycles/{demo['cycle_id']}").text
    lowest = dashboard.split("Top 5 development areas in others' eyes")[1].split("</table>")[0]
    first_lowest = re.findall(r"<tr><td>([^<]+)</td>", lowest)[0]
    first_option = re.findall(r"<option[^>]*>([^<]+)</option>", select_html)[0]
    assert first_option.endswith(first_lowest)
    # Every statement is still there, once.
    options = re.findall(r'<option value="([^"]+)"', select_html)
    with app.app_context():
        cycle = db.session.get(Cycle, demo["cycle_id"])
        assert sorted(options) == sorted(item.key for item in cycle.questionnaire.items)


def test_the_coachees_plan_lists_their_blind_spots_first(demo):
    cycle_url = f"/cycles/{demo['cycle_id']}"
    demo["coach"].submit(f"{cycle_url}/release", {}, page=cycle_url)
    coachee = Browser(demo["coach"].client.application.test_client())
    page = coachee.get(demo["portal"].rstrip("/") + "/plan").text
    select_html = page.split('name="item_key"')[1].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">', select_html)
    assert groups == [
        "Your blind spots: you rate these higher than others do",
        "Every other statement",
    ]
    assert "Development areas" not in page  # not in the report they were given


def test_sam_has_no_results_so_the_plan_list_is_flat(app):
    with app.test_request_context():
        seed_demo()
        sam = db.session.scalar(select(Coachee).where(Coachee.name == "Sam Lee"))
        from feedback.plans.views import _statement_choices

        choices = _statement_choices(sam.cycles[0], "coach")
    assert isinstance(choices, list) and len(choices) > 20
