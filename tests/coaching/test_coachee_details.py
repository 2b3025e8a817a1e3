"""A coachee's name and address as the coach types them: an address the coach already
uses for another coachee is refused with a message (per coach: another coach may coach
the same person), a name too long for the database is refused, never cut; and what the
coach's pages say of a cycle's state is true (issue 17, items 5 and 6)."""

import re

import pytest
from babel.dates import format_date
from sqlalchemy import func, select
from support import TEST_PASSWORD, Browser, sign_in

from feedback.accounts.services import create_coach
from feedback.coaching import services
from feedback.coaching.models import Coachee, Cycle
from feedback.extensions import db
from feedback.timeutil import today

LONG_NAME = "Bartholomew " * 24 + "Bartholomews"  # 300 characters


def coachee_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Coachee))


def test_an_address_already_used_by_another_coachee_is_refused(open_cycle, coach_browser, app):
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Again", "email": "Casey@Example.com "}, page="/"
    )
    assert response.status_code == 400
    assert "Casey Doe already has this address" in response.text
    assert coachee_count(app) == 1


def test_editing_a_coachee_to_another_coachees_address_is_refused(open_cycle, coach_browser, app):
    response = coach_browser.submit(
        "/coachees", {"name": "Robin", "email": "robin@example.com"}, page="/"
    )
    assert response.status_code == 302
    with app.app_context():
        robin = db.session.scalar(select(Coachee).where(Coachee.name == "Robin"))
    edit = f"/coachees/{robin.id}/edit"
    response = coach_browser.submit(edit, {"name": "Robin", "email": "casey@example.com"})
    assert response.status_code == 400
    assert "Casey Doe already has this address" in response.text
    # Keeping one's own address is no conflict.
    response = coach_browser.submit(edit, {"name": "Robin R.", "email": "robin@example.com"})
    assert response.status_code == 302


def test_another_coach_may_use_the_same_address(open_cycle, app):
    with app.app_context():
        create_coach(email="other@example.com", name="Otto Other", password=TEST_PASSWORD)
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com")
    page = other.get("/").text
    assert "Casey" not in page  # nothing of the first coach's coachees shows
    response = other.submit(
        "/coachees", {"name": "Casey D.", "email": "casey@example.com"}, page="/"
    )
    assert response.status_code == 302
    assert coachee_count(app) == 2


def test_the_database_refuses_a_second_coachee_with_the_address(open_cycle, app, monkeypatch):
    """Two requests that both checked before either wrote: the unique key decides."""
    with app.test_request_context():
        coachee = db.session.scalar(select(Coachee))
        coach = coachee.coach
        monkeypatch.setattr(services, "coachee_with_email", lambda *_: None)
        with pytest.raises(Exception) as raised:
            services.add_coachee(coach, name="Twin", email="casey@example.com")
        assert "UNIQUE" in str(raised.value).upper() or "unique" in str(raised.value)
        db.session.rollback()
        monkeypatch.undo()
        # With the check in place the service says who has the address.
        with pytest.raises(services.EmailTaken, match="Casey Doe"):
            services.add_coachee(coach, name="Twin", email="CASEY@example.com")


def test_a_name_too_long_is_refused_with_a_message_not_cut(coach_browser, app):
    page = coach_browser.get("/").text
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', page).group(0)
    assert "maxlength" not in name_input  # a browser would cut a pasted name silently
    response = coach_browser.submit(
        "/coachees", {"name": LONG_NAME, "email": "long@example.com"}, page="/"
    )
    assert response.status_code == 400
    assert "The name has 300 characters; please shorten it to 120." in response.text
    assert coachee_count(app) == 0
    response = coach_browser.submit(
        "/coachees", {"name": LONG_NAME[:120], "email": "long@example.com"}, page="/"
    )
    assert response.status_code == 302


def test_a_coach_or_cli_coachee_name_too_long_is_refused(app, runner, coach):
    with app.app_context(), pytest.raises(ValueError, match="300 characters"):
        create_coach(email="x@example.com", name=LONG_NAME, password=TEST_PASSWORD)
    result = runner.invoke(
        args=[
            "cycle",
            "create",
            "--coach",
            "coach@example.com",
            "--coachee-name",
            LONG_NAME,
            "--coachee-email",
            "long@example.com",
        ]
    )
    assert result.exit_code == 2
    assert "300 characters" in result.output
    assert coachee_count(app) == 0


def english_day(day) -> str:
    """A day as English pages write it: "January 15, 2027" (Babel's long form)."""
    return format_date(day, "long", locale="en")


def test_the_state_of_a_cycle_is_said_with_the_date_that_matters(open_cycle, coach_browser, app):
    with app.app_context():
        closes_on = english_day(db.session.get(Cycle, open_cycle["cycle_id"]).closes_on)
    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    listing = coach_browser.get("/").text
    assert f"open until the end of {closes_on}" in listing
    assert "closes after" not in listing
    page = coach_browser.get(cycle_url).text
    assert f"Open: answers are accepted until the end of {closes_on}." in page

    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    closed_on = english_day(today())
    listing = coach_browser.get("/").text
    assert f"closed {closed_on}" in listing
    assert "closes after" not in listing and "closed, closes" not in listing
    page = coach_browser.get(cycle_url).text
    # Closed early: the actual day, and the deadline it came before.
    assert f"Closed on {closed_on}, before its deadline of {closes_on}." in page
    assert "Cycle closed, closed" not in page
    coachee_page = coach_browser.get(f"/coachees/{_coachee_id(app)}").text
    assert f"closed {closed_on}" in coachee_page
    assert "Closes after" not in coachee_page


def _coachee_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Coachee.id))


def test_a_cycle_closed_at_its_deadline_says_only_when_it_closed(open_cycle, coach_browser, app):
    with app.app_context():
        db.session.get(Cycle, open_cycle["cycle_id"]).closes_on = today()
        db.session.commit()
    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    page = coach_browser.get(cycle_url).text
    assert f"Closed on {english_day(today())}." in page
    assert f"Closed on {today().isoformat()}" not in page  # English pages too, through Babel
    assert "before its deadline" not in page
