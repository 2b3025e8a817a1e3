"""Pulses through the API (the issue-20 follow-up): made, listed, closed and read as
the pulse's page does, with the same refusals, the same anonymity, and a `pulse.closed`
webhook event carrying counts only."""

import json
from datetime import timedelta

import factories
from sqlalchemy import select

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.pulses import services as pulses
from feedback.pulses.models import PulseInvite
from feedback.timeutil import today
from feedback.webhooks.models import WebhookDelivery

FIRST, SECOND = factories.ITEMS[0], factories.ITEMS[1]


def _answer_as_the_cycles_raters(app, pulse_id: int, score: int) -> None:
    """Every rater who answered the cycle answers the pulse with ``score``; the rater
    added through the API does not answer."""
    with app.test_request_context():
        for invite in db.session.scalars(
            select(PulseInvite).where(
                PulseInvite.pulse_id == pulse_id, PulseInvite.from_cycle.is_(True)
            )
        ).all():
            pulses.submit(invite, pulses.PulseAnswers({FIRST: score, SECOND: score}))
        db.session.commit()


def test_a_pulse_from_creation_to_its_results(app, api, world):
    cycle_id = world["closed_cycle_id"]
    hook = api.post(
        "/webhooks", json={"url": "https://crm.example.com/hook", "events": ["pulse.closed"]}
    )
    assert hook.status_code == 201, hook.json
    made = api.post(
        f"/cycles/{cycle_id}/pulses",
        json={
            "statements": [FIRST, SECOND],
            "raters": [{"email": "New.Peer@Example.org", "group": "peer", "name": "Nia"}],
        },
    )
    assert made.status_code == 201, made.json
    pulse = made.json
    assert pulse["state"] == "open" and pulse["statements"] == [FIRST, SECOND]
    assert pulse["closes_on"] == (today() + timedelta(days=14)).isoformat()
    asked = {group: counts["asked"] for group, counts in pulse["groups"].items()}
    assert asked == {"boss": 1, "peer": 4, "subordinate": 2, "partner": 0}
    with app.app_context():
        queued = db.session.scalars(
            select(OutboxMessage.to_address).where(OutboxMessage.kind == pulses.INVITE_MAIL)
        ).all()
    assert len(queued) == 7 and "new.peer@example.org" in queued

    again = api.post(f"/cycles/{cycle_id}/pulses", json={"statements": [FIRST]})
    assert again.status_code == 409 and "already has a pulse running" in again.json["detail"]
    assert api.get(f"/pulses/{pulse['id']}/results").status_code == 409
    listed = api.get(f"/cycles/{cycle_id}/pulses").json["pulses"]
    assert [p["id"] for p in listed] == [pulse["id"]]

    _answer_as_the_cycles_raters(app, pulse["id"], 5)
    closed = api.post(f"/pulses/{pulse['id']}/close")
    assert closed.status_code == 200 and closed.json["state"] == "closed"
    answered = {group: counts["answered"] for group, counts in closed.json["groups"].items()}
    assert answered == {"boss": 1, "peer": 3, "subordinate": 2, "partner": 0}
    assert api.post(f"/pulses/{pulse['id']}/close").status_code == 409

    with app.app_context():
        (delivery,) = db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event == "pulse.closed")
        ).all()
        body = json.loads(delivery.body)
    assert body["data"] == {
        "pulse_id": pulse["id"],
        "cycle_id": cycle_id,
        "coachee_id": world["coachee_id"],
        "answered": answered,
    }

    results = api.get(f"/pulses/{pulse['id']}/results")
    assert results.status_code == 200, results.json
    assert results.json["answered"] == 6
    for statement in results.json["statements"]:
        every = next(row for row in statement["rows"] if row["group"] == "all")
        # The cycle's six raters gave 4 (factories.closed_cycle), the pulse's six gave 5.
        assert every["baseline"] == {"mean": 4.0, "n": 6}
        assert every["pulse"] == {"mean": 5.0, "n": 6}
        assert every["change"] == 1.0
        # Two subordinates are too few to show on their own, in the cycle and the pulse.
        for row in statement["rows"]:
            if row["group"] == "subordinate":
                assert row["pulse"]["mean"] is None and row["baseline"]["mean"] is None


def test_refusals_at_the_field_and_for_the_cycle(app, api, reader, world):
    closed = world["closed_cycle_id"]
    unknown = api.post(f"/cycles/{closed}/pulses", json={"statements": ["no_such_statement"]})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json["errors"]] == ["body.statements"]
    past = (today() - timedelta(days=1)).isoformat()
    late = api.post(f"/cycles/{closed}/pulses", json={"statements": [FIRST], "closes_on": past})
    assert late.status_code == 422
    assert [e["field"] for e in late.json["errors"]] == ["body.closes_on"]
    too_many = api.post(f"/cycles/{closed}/pulses", json={"statements": [FIRST] * 4})
    assert too_many.status_code == 422
    opened = api.post(f"/cycles/{world['open_cycle_id']}/pulses", json={"statements": [FIRST]})
    assert opened.status_code == 409 and "not closed" in opened.json["detail"]
    assert reader.post(f"/cycles/{closed}/pulses", json={"statements": [FIRST]}).status_code == 403
    others = api.post(f"/cycles/{world['b_cycle_id']}/pulses", json={"statements": [FIRST]})
    assert others.status_code == 404
    with app.app_context():
        assert db.session.get(Cycle, closed).state == "closed"
        assert db.session.scalars(select(PulseInvite)).all() == []


def test_another_coachs_pulse_is_not_found(app, api, world):
    with app.test_request_context():
        b_cycle = db.session.get(Cycle, world["b_cycle_id"])
        pulse = pulses.create_pulse(b_cycle, [FIRST])
        db.session.commit()
        pulse_id = pulse.id
    for path in (f"/pulses/{pulse_id}", f"/pulses/{pulse_id}/results"):
        assert api.get(path).status_code == 404
    assert api.post(f"/pulses/{pulse_id}/close").status_code == 404
    assert api.get(f"/cycles/{world['b_cycle_id']}/pulses").status_code == 404
