"""Reopening a closed cycle: only with the coach's confirmation, results hidden while
answers come in, and what was released to the coachee kept as it was."""

from datetime import timedelta

from dashboard_support import ITEMS, figures_of
from sqlalchemy import func, select, update

from feedback.coaching.models import Cycle
from feedback.cycles.jobs import run_round
from feedback.cycles.notes import note_cycle_closed
from feedback.extensions import db
from feedback.ratings.models import Response
from feedback.ratings.results import cycle_report
from feedback.timeutil import today
from feedback.vocabulary import CycleState


def cycle_state(app, cycle_id: int) -> tuple[CycleState, object]:
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        return cycle.state, cycle.closes_on


def test_reopen_asks_first_and_keeps_the_released_report(
    closed_cycle, browser, coach_browser, mailbox, app
):
    cycle_id = closed_cycle["cycle_id"]
    url, portal = f"/cycles/{cycle_id}", closed_cycle["portal"].rstrip("/")
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    released = browser.get(f"{portal}/report").text
    assert "Partners" not in figures_of(released)["competencies"]  # the lone partner is pooled

    # Reopening needs a deadline ahead and the coach's confirmation.
    page = coach_browser.get(f"{url}/reopen")
    assert page.status_code == 200 and "stays as it was" in page.text
    new_deadline = (today() + timedelta(days=5)).isoformat()
    refused = [
        {"closes_on": new_deadline},
        {"closes_on": (today() - timedelta(days=1)).isoformat(), "understood": "y"},
        {"closes_on": "soon", "understood": "y"},
    ]
    for form in refused:
        response = coach_browser.submit(f"{url}/reopen", form)
        assert response.status_code == 400, form
        assert cycle_state(app, cycle_id)[0] is CycleState.CLOSED
    response = coach_browser.submit(f"{url}/reopen", {"closes_on": new_deadline, "understood": "y"})
    assert response.status_code == 302
    assert cycle_state(app, cycle_id) == (CycleState.OPEN, today() + timedelta(days=5))

    # While open: counts only for the coach, the released report unchanged for the coachee.
    dashboard = coach_browser.get(url).text
    assert not figures_of(dashboard) and "Close the cycle now" in dashboard
    assert browser.get(f"{portal}/report").text == released

    # Raters who answered cannot answer again; new partners can.
    again = browser.get(mailbox.link_for("peer1@example.com"))
    assert 'name="item-' not in again.text
    answer_late(browser, mailbox, portal, ["partner2@example.com", "partner3@example.com"])
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302

    # Closed again, but the two partners wait: showing the partners on their own, where
    # the first showing pooled the lone partner with the peers, would give away the
    # first partner's answers (the earlier "other raters" less the peers).
    dashboard = coach_browser.get(url).text
    assert "Partners" not in figures_of(dashboard)["groups"]
    assert "2 late answers waiting" in dashboard and "Partners: 2" in dashboard
    assert (
        f"would show them on their own on {len(ITEMS)} statements and in the comments" in dashboard
    )
    assert browser.get(f"{portal}/report").text == released
    assert shown_counts(app, cycle_id)["subordinate_n"] == 3
    # Nothing the coachee would see has changed, so there is nothing new to release.
    assert "Release the new results" not in dashboard
    assert "Release the report" not in dashboard

    # Keeping the results as they were needs the coach's word, then deletes the two.
    keep = f"{url}/keep-results"
    assert coach_browser.submit(keep, {}, page=url).status_code == 400
    assert "late answers waiting" in coach_browser.get(url).text
    response = coach_browser.submit(keep, {"understood": "y"}, page=url)
    assert response.status_code == 302
    dashboard = coach_browser.get(url).text
    assert "late answers waiting" not in dashboard
    assert "Release the new results" not in dashboard
    assert shown_counts(app, cycle_id)["responses"] == 8

    # Three more subordinates change the subordinates' figures by three answers: shown.
    reopen(coach_browser, url)
    answer_late(
        browser, mailbox, portal, [f"sub{n}@example.com" for n in (4, 5, 6)], group="subordinate"
    )
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    dashboard = coach_browser.get(url).text
    assert "late answers waiting" not in dashboard
    assert shown_counts(app, cycle_id) == {"subordinate_n": 6, "responses": 11}
    assert "Release the new results" in dashboard
    assert browser.get(f"{portal}/report").text == released
    assert coach_browser.submit(f"{url}/release", {}, page=url).status_code == 302
    assert browser.get(f"{portal}/report").text != released
    assert "Release the new results" not in coach_browser.get(url).text


def reopen(coach_browser, url: str) -> None:
    deadline = (today() + timedelta(days=5)).isoformat()
    response = coach_browser.submit(f"{url}/reopen", {"closes_on": deadline, "understood": "y"})
    assert response.status_code == 302


def answer_late(browser, mailbox, portal: str, emails: list[str], group: str = "partner") -> None:
    """The coachee invites ``emails`` and each answers 2 on every statement."""
    lines = "\n".join(f"{email}, {group}" for email in emails)
    assert browser.submit(f"{portal}/raters", {"raters": lines}).status_code == 302
    for email in emails:
        scores = {f"item-{key}": "2" for key in ITEMS}
        response = browser.submit(mailbox.link_for(email), {**scores, "action": "submit"})
        assert response.status_code == 302, email


def shown_counts(app, cycle_id: int) -> dict[str, int]:
    """The subordinates' count on the first statement, and the responses kept."""
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        items = cycle_report(cycle).results.items
        responses = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.cycle_id == cycle_id)
        )
        return {"subordinate_n": int(items["subordinate_n"].iloc[0]), "responses": responses - 1}


def test_only_a_closed_cycle_reopens(open_cycle, coach_browser, app):
    url = f"/cycles/{open_cycle['cycle_id']}"
    deadline = (today() + timedelta(days=5)).isoformat()
    response = coach_browser.submit(
        f"{url}/reopen", {"closes_on": deadline, "understood": "y"}, page=url
    )
    assert response.status_code == 302
    assert coach_browser.get(url).status_code == 200
    assert cycle_state(app, open_cycle["cycle_id"])[0] is CycleState.OPEN


def test_a_reopened_cycle_closing_at_its_deadline_tells_the_coach_again(
    closed_cycle, coach_browser, mailbox, app
):
    cycle_id = closed_cycle["cycle_id"]
    url = f"/cycles/{cycle_id}"
    with app.app_context():  # the first close was noted (as if by its deadline)
        assert note_cycle_closed(db.session.get(Cycle, cycle_id), by_deadline=True)
        db.session.commit()
        run_round()
    closed_notes = [m for m in mailbox.to("coach@example.com") if "has closed" in m["Subject"]]
    assert len(closed_notes) == 1

    deadline = (today() + timedelta(days=2)).isoformat()
    response = coach_browser.submit(f"{url}/reopen", {"closes_on": deadline, "understood": "y"})
    assert response.status_code == 302
    with app.app_context():  # the new deadline passes
        db.session.execute(
            update(Cycle).where(Cycle.id == cycle_id).values(closes_on=today() - timedelta(days=1))
        )
        db.session.commit()
        assert run_round()["closed"] == 1
    closed_notes = [m for m in mailbox.to("coach@example.com") if "has closed" in m["Subject"]]
    assert len(closed_notes) == 2
    assert cycle_state(app, cycle_id)[0] is CycleState.CLOSED
