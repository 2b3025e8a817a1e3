"""The coach's pages: coachees, cycles, and nothing of another coach's."""

from datetime import timedelta

from babel.dates import format_date
from support import TEST_PASSWORD, Browser, sign_in

from feedback.accounts.services import create_coach
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.timeutil import today
from feedback.vocabulary import CycleState


def test_starting_a_cycle_emails_the_coachee_a_working_portal_link(open_cycle, browser, app):
    page = browser.get(open_cycle["portal"])
    assert page.status_code == 200
    assert "Your 360 feedback, Casey" in page.text
    assert "Let us learn." in page.text
    with app.app_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        assert cycle.state is CycleState.OPEN
        assert cycle.closes_on == today() + timedelta(days=14)


def test_coach_sees_the_new_coachee_in_the_list(open_cycle, coach_browser):
    page = coach_browser.get("/")
    assert "Casey Doe" in page.text
    assert "casey@example.com" in page.text


def test_adding_a_coachee_with_a_bad_email_is_refused_with_a_message(coach_browser, app):
    response = coach_browser.submit("/coachees", {"name": "X", "email": "not-an-email"}, page="/")
    assert response.status_code == 400
    assert "Invalid email address" in response.text
    assert "No coachees yet" in coach_browser.get("/").text


def test_a_deadline_in_the_past_is_refused_and_nothing_is_created(coach_browser, app):
    response = coach_browser.submit(
        "/coachees", {"name": "Pat Lee", "email": "pat@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = coach_browser.submit(new_cycle, {"closes_on": yesterday})
    assert response.status_code == 400
    assert "cannot be in the past" in response.text
    response = coach_browser.submit(new_cycle, {"closes_on": "31/02/2030"})
    assert response.status_code == 400
    assert "valid date" in response.text
    with app.app_context():
        assert db.session.query(Cycle).count() == 0


def test_another_coach_gets_404_for_everything(open_cycle, app):
    with app.app_context():
        create_coach(email="other@example.com", name="Other Coach", password=TEST_PASSWORD)
        db.session.commit()
        coachee_id = db.session.get(Cycle, open_cycle["cycle_id"]).coachee_id
    other = Browser(app.test_client())
    sign_in(other, "other@example.com")
    cycle_id = open_cycle["cycle_id"]
    assert "Casey" not in other.get("/").text
    for url in (
        f"/coachees/{coachee_id}",
        f"/coachees/{coachee_id}/cycles/new",
        f"/cycles/{cycle_id}",
    ):
        assert other.get(url).status_code == 404, url
    for url in (
        f"/cycles/{cycle_id}/close",
        f"/cycles/{cycle_id}/release",
        f"/cycles/{cycle_id}/portal-link",
    ):
        assert other.submit(url, {}, page="/").status_code == 404, url
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).state is CycleState.OPEN


def test_coach_pages_need_a_login(client, open_cycle):
    response = client.get(f"/cycles/{open_cycle['cycle_id']}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_closing_a_cycle_shows_results_and_a_new_portal_link_revokes_the_old(
    open_cycle, coach_browser, browser, mailbox
):
    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    response = coach_browser.submit(f"{cycle_url}/portal-link", {}, page=cycle_url)
    assert response.status_code == 302
    new_link = mailbox.link_for("casey@example.com")
    assert new_link != open_cycle["portal"]
    assert browser.get(open_cycle["portal"]).status_code == 404
    assert browser.get(new_link).status_code == 200

    assert "Results appear when the cycle closes" in coach_browser.get(cycle_url).text
    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    page = coach_browser.get(cycle_url)
    assert (
        f"Closed on {format_date(today(), 'long', locale='en')}, before its deadline of"
        in page.text
    )
    # Nobody answered: nothing to release, but the coach can reopen for more time.
    assert "Release the report" not in page.text and "Reopen" in page.text
