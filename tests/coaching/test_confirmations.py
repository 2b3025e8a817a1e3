"""Confirmation before what cannot be undone: closing a cycle and releasing its report
(a page that says what it means, then a form with CSRF), and a rater's decline (a
confirm step, and "I'd like to answer after all" while the cycle is open). All of it
works without JavaScript: every step is a page and a form."""

from datetime import timedelta

import pytest
from factories import answered, self_assessment
from sqlalchemy import select, update

from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.timeutil import today
from feedback.vocabulary import CycleState, InviteState


def _state(app, cycle_id: int) -> CycleState:
    with app.app_context():
        return db.session.get(Cycle, cycle_id).state


def test_closing_asks_first_and_says_what_it_means(coach_browser, open_cycle, app):
    page = f"/cycles/{open_cycle['cycle_id']}"
    dashboard = coach_browser.get(page).text
    assert f'href="{page}/close"' in dashboard
    assert f'action="{page}/close"' not in dashboard  # no one-click close
    confirm = coach_browser.get(f"{page}/close")
    assert confirm.status_code == 200
    assert "Close the 360 for Casey Doe now?" in confirm.text
    assert "No more answers are taken" in confirm.text
    assert "Casey sees nothing until you release the report" in confirm.text
    assert _state(app, open_cycle["cycle_id"]) is CycleState.OPEN  # the GET changed nothing
    coach_browser.client.head(f"{page}/close")  # a HEAD is a GET without the page
    assert _state(app, open_cycle["cycle_id"]) is CycleState.OPEN
    # Without the form's CSRF token nothing happens.
    assert coach_browser.post(f"{page}/close").status_code == 400
    assert _state(app, open_cycle["cycle_id"]) is CycleState.OPEN
    response = coach_browser.submit(f"{page}/close", {})
    assert response.status_code == 302
    assert _state(app, open_cycle["cycle_id"]) is CycleState.CLOSED
    # A closed cycle's confirm page sends the coach back to the dashboard.
    again = coach_browser.get(f"{page}/close")
    assert again.status_code == 302


@pytest.fixture
def closed(open_cycle, app):
    with app.test_request_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        self_assessment(cycle)
        answered(cycle, {"boss": 1, "peer": 3})
        lifecycle.close_cycle(cycle)
        db.session.commit()
    return open_cycle


def test_releasing_asks_first_and_says_what_it_means(coach_browser, closed, app):
    page = f"/cycles/{closed['cycle_id']}"
    dashboard = coach_browser.get(page).text
    assert f'href="{page}/release"' in dashboard
    assert f'action="{page}/release"' not in dashboard
    confirm = coach_browser.get(f"{page}/release")
    assert confirm.status_code == 200
    assert "Release the report to Casey Doe?" in confirm.text
    assert "An email tells Casey (casey@example.com) that it is ready" in confirm.text
    assert "It cannot be taken back" in confirm.text
    coach_browser.client.head(f"{page}/release")
    with app.app_context():
        assert db.session.scalar(select(Cycle.released_at)) is None
    assert coach_browser.post(f"{page}/release").status_code == 400
    response = coach_browser.submit(f"{page}/release", {})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Cycle.released_at)) is not None


def test_an_open_cycles_release_page_sends_the_coach_back(coach_browser, open_cycle):
    page = f"/cycles/{open_cycle['cycle_id']}"
    assert coach_browser.get(f"{page}/release").status_code == 302


@pytest.fixture
def rater_link(open_cycle, browser, mailbox):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters", {"raters": "rita@example.com, peer, Rita"}
    )
    return mailbox.link_for("rita@example.com")


def _invite_state(app) -> InviteState:
    with app.app_context():
        return db.session.scalar(select(Invite.state))


def test_a_decline_asks_first_and_can_be_undone_while_the_cycle_is_open(rater_link, browser, app):
    form = browser.get(rater_link).text
    assert 'value="ask_decline"' in form
    confirm = browser.submit(rater_link, {"action": "ask_decline"})
    assert confirm.status_code == 200
    assert "Decline to give feedback to Casey Doe?" in confirm.text
    assert "nobody is told that you declined" in confirm.text
    assert _invite_state(app) is not InviteState.DECLINED

    response = browser.post(
        rater_link,
        data={"csrf_token": _csrf(confirm.text), "action": "decline"},
    )
    assert response.status_code == 302
    assert _invite_state(app) is InviteState.DECLINED
    thanks = browser.get(response.headers["Location"]).text
    assert 'value="undo_decline"' in thanks

    page = browser.get(rater_link)
    assert "You declined this request" in page.text
    response = browser.post(
        rater_link, data={"csrf_token": _csrf(page.text), "action": "undo_decline"}
    )
    assert response.status_code == 302
    assert _invite_state(app) is InviteState.SENT
    form = browser.get(rater_link)
    assert "Welcome back" in form.text
    assert 'value="submit"' in form.text
    # Pressed twice (a second tab): nothing changes, the form is there.
    again = browser.post(
        rater_link, data={"csrf_token": _csrf(form.text), "action": "undo_decline"}
    )
    assert again.status_code == 302
    assert _invite_state(app) is InviteState.SENT


def test_undo_decline_needs_csrf(rater_link, browser, app):
    browser.submit(rater_link, {"action": "decline"})
    assert browser.post(rater_link, data={"action": "undo_decline"}).status_code == 400
    assert _invite_state(app) is InviteState.DECLINED


def test_no_way_back_once_the_cycle_is_closed_or_past_its_deadline(
    rater_link, browser, app, open_cycle
):
    token = _csrf(browser.get(rater_link).text)
    browser.submit(rater_link, {"action": "decline"})
    with app.app_context():
        db.session.execute(update(Cycle).values(closes_on=today() - timedelta(days=1)))
        db.session.commit()
    page = browser.get(rater_link)
    assert "You declined this request" in page.text
    assert "answer after all" not in page.text
    response = browser.post(rater_link, data={"csrf_token": token, "action": "undo_decline"})
    assert response.status_code == 200
    assert "You declined this request" in response.text
    assert _invite_state(app) is InviteState.DECLINED


def test_a_submitted_answer_cannot_be_turned_into_an_open_form(rater_link, browser, app):
    from factories import ITEMS

    token = _csrf(browser.get(rater_link).text)
    browser.submit(rater_link, {**{f"item-{k}": "4" for k in ITEMS}, "action": "submit"})
    assert _invite_state(app) is InviteState.SUBMITTED
    response = browser.post(rater_link, data={"csrf_token": token, "action": "undo_decline"})
    assert response.status_code == 200
    assert "Your answers arrived" in response.text
    assert _invite_state(app) is InviteState.SUBMITTED


def _csrf(html: str) -> str:
    from support import csrf_token

    return csrf_token(html)
