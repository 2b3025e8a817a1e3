"""The audit trail: what was done with a coachee's data, when and by whom — through the
pages, the API, the command line and the scheduled round — shown on the coachee's page
and in their data export, and never a word about any rater."""

import json
from datetime import timedelta

import pytest
from babel.dates import format_date
from factories import answered, answers, self_assessment
from sqlalchemy import select, update

from feedback.accounts.models import Coach
from feedback.accounts.tokens import create_token
from feedback.coaching import audit
from feedback.coaching.audit import AuditEvent
from feedback.coaching.models import Coachee, Cycle
from feedback.cycles import lifecycle
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.raters import services as raters
from feedback.raters.models import Invite
from feedback.timeutil import today

RATERS = {
    "rita@example.com": "Rita Boss",
    "pete@example.com": "Pete Peer",
    "paula@example.com": "Paula Peer",
    "pia@example.com": "Pia Peer",
}


def _events(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(row.action, row.actor, row.detail) for row in rows]


def _rater_words(app) -> set[str]:
    with app.app_context():
        words = set(RATERS) | set(RATERS.values())
        for invite in db.session.scalars(select(Invite)):
            words |= {invite.email, invite.name} - {""}
        return words


def _assert_no_rater_in(app, text: str) -> None:
    for word in _rater_words(app):
        assert word not in text, word


@pytest.fixture
def answered_cycle(open_cycle, browser, mailbox, app):
    """The open cycle with four named raters who answered, through the portal's form."""
    lines = "\n".join(
        f"{email}, {'boss' if name.endswith('Boss') else 'peer'}, {name}"
        for email, name in RATERS.items()
    )
    response = browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": lines})
    assert response.status_code == 302
    with app.test_request_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        self_assessment(cycle)
        for invite in raters.invites_of(cycle):
            raters.submit(invite, answers(4, headline="Keeps calm."))
        db.session.commit()
    return open_cycle


def test_the_coachs_actions_on_the_pages_are_recorded_and_shown(coach_browser, answered_cycle, app):
    cycle_id = answered_cycle["cycle_id"]
    page = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{page}/close", {}).status_code == 302
    assert coach_browser.submit(f"{page}/release", {}).status_code == 302
    assert coach_browser.get(f"/cycles/{cycle_id}/report.csv").status_code == 200
    assert coach_browser.get(f"/cycles/{cycle_id}/report.xlsx").status_code == 200
    closes = (today() + timedelta(days=7)).isoformat()
    response = coach_browser.submit(f"{page}/reopen", {"closes_on": closes, "understood": "y"})
    assert response.status_code == 302

    events = _events(app)
    assert [action for action, _actor, _detail in events] == [
        "start",
        "close",
        "release",
        "export",
        "export",
        "reopen",
    ]
    assert {actor for _action, actor, _detail in events} == {"coach"}
    assert ("export", "coach", f"report (csv) of cycle {cycle_id}") in events
    assert ("reopen", "coach", f"cycle {cycle_id}, until {closes}") in events

    with app.app_context():
        coachee_id = db.session.get(Cycle, cycle_id).coachee_id
    coachee_page = coach_browser.get(f"/coachees/{coachee_id}").text
    assert "What was done" in coachee_page
    assert "Released the report: cycle" in coachee_page
    assert "Downloaded: report (xlsx)" in coachee_page
    assert "<td>you</td>" in coachee_page
    section = coachee_page.split('id="audit"', 1)[1]
    _assert_no_rater_in(app, section)

    export = coach_browser.get(f"/coachees/{coachee_id}/export.json")
    data = json.loads(export.data)
    trail = data["audit_trail"]
    assert [entry["action"] for entry in trail] == [
        "reopen",
        "export",
        "export",
        "release",
        "close",
        "start",
    ]
    assert all(entry["by"] == "coach" and entry["at"] for entry in trail)
    _assert_no_rater_in(app, json.dumps(trail))
    # The data download itself is recorded (after the copy was made).
    assert _events(app)[-1] == ("export", "coach", "the coachee's data (JSON)")


def test_no_audit_row_names_a_rater_or_what_they_said(coach_browser, answered_cycle, app):
    cycle_id = answered_cycle["cycle_id"]
    page = f"/cycles/{cycle_id}"
    coach_browser.submit(f"{page}/close", {})
    coach_browser.submit(f"{page}/release", {})
    coach_browser.get(f"{page}/report.html")
    everything = json.dumps(_events(app))
    _assert_no_rater_in(app, everything)
    assert "Keeps calm" not in everything
    with app.app_context():
        with pytest.raises(ValueError, match="never holds an email address"):
            audit.record(1, "approve", detail="rita@example.com")
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(1, "answered")


def test_deleting_a_coachee_takes_their_trail_and_leaves_only_that_someone_was_deleted(
    coach_browser, answered_cycle, app
):
    with app.app_context():
        coachee_id = db.session.get(Cycle, answered_cycle["cycle_id"]).coachee_id
    delete_page = f"/coachees/{coachee_id}/delete"
    assert coach_browser.submit(delete_page, {}).status_code == 302
    with app.app_context():
        assert db.session.get(Coachee, coachee_id) is None
        rows = db.session.scalars(select(AuditEvent)).all()
        assert [(row.action, row.coachee_id, row.detail) for row in rows] == [
            ("delete", None, "a coachee and their 1 cycle")
        ]
    assert "Casey" not in json.dumps(_events(app))
    listing = coach_browser.get("/").text
    assert "Deleted data: a coachee and their 1 cycle" in listing
    assert "Casey" not in listing.split('id="audit"', 1)[1]


def test_the_api_the_command_line_and_the_deadline_are_named_as_actors(
    answered_cycle, app, runner, client
):
    cycle_id = answered_cycle["cycle_id"]
    with app.app_context():
        coach = db.session.get(Cycle, cycle_id).coachee.coach
        _token, secret = create_token(coach, name="CRM sync", scope="write")
        db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post(f"/api/v1/cycles/{cycle_id}/close", headers=headers)
    assert response.status_code == 200, response.text
    response = client.get(f"/api/v1/cycles/{cycle_id}/exports/csv", headers=headers)
    assert response.status_code == 200
    response = client.post(f"/api/v1/cycles/{cycle_id}/release", headers=headers)
    assert response.status_code == 200, response.text
    assert _events(app)[-3:] == [
        ("close", "api token CRM sync", f"cycle {cycle_id}"),
        ("export", "api token CRM sync", f"report (csv) of cycle {cycle_id}"),
        ("release", "api token CRM sync", f"cycle {cycle_id}"),
    ]

    with app.test_request_context():
        coachee = db.session.get(Cycle, cycle_id).coachee
        second = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=3))
        answered(second, {"peer": 3})
        db.session.commit()
        second_id = second.id
    result = runner.invoke(args=["cycle", "close", str(second_id)])
    assert result.exit_code == 0, result.output
    assert _events(app)[-1] == ("close", "command line", f"cycle {second_id}")

    with app.test_request_context():
        coachee = db.session.get(Cycle, cycle_id).coachee
        third = lifecycle.start_cycle(coachee, closes_on=today() + timedelta(days=3))
        db.session.commit()
        third_id = third.id
    with app.app_context():
        db.session.execute(
            update(Cycle).where(Cycle.id == third_id).values(closes_on=today() - timedelta(days=1))
        )
        db.session.commit()
        run_round()
    assert ("close", "deadline", f"cycle {third_id}") in _events(app)


def test_the_trail_writes_its_days_in_the_coachs_language(app, coach, coach_browser):
    """The trail's times read as the page's days do (issue 18): a German coach's trail
    says "7. Dezember 2026 09:15", not the ISO form."""
    created = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@x.com"}, page="/"
    )
    assert created.status_code == 302
    with app.test_request_context():
        db.session.execute(update(Coach).values(language="de"))
        coachee = db.session.scalars(select(Coachee)).one()
        audit.record(coachee.coach, "export", coachee=coachee, detail="report (csv)")
        db.session.commit()
        events = audit.trail_of(coachee)
    assert events
    page = coach_browser.get(f"/coachees/{coachee.id}").text
    for event in events:
        assert f"{format_date(event.at, format='long', locale='de')} {event.at:%H:%M}" in page
        assert f"{event.at:%Y-%m-%d %H:%M}" not in page
