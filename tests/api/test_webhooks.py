"""Webhooks: endpoints registered through the API, events queued with the close or the
release that causes them (ids and counts only), deliveries signed as Standard Webhooks
says (checked with the standardwebhooks package), retried with back-off."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from api_support import Receiver
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook as Verifier

from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.timeutil import today
from feedback.webhooks.models import WebhookDelivery

EVENTS = ["cycle.closed", "cycle.results_ready", "cycle.released"]


@pytest.fixture
def receiver():
    started = Receiver(failures=2)
    yield started
    started.close()


def make_due(app) -> None:
    """Bring every pending delivery's next attempt to now (skip the back-off's wait)."""
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.state == "pending")
            .values(next_attempt_at=WebhookDelivery.created_at)
        )
        db.session.commit()


def test_register_list_and_remove_endpoints(api, world):
    response = api.post("/webhooks", json={"url": "https://crm.example.com/hook", "events": EVENTS})
    assert response.status_code == 201
    created = response.json
    assert created["secret"].startswith("whsec_") and created["events"] == sorted(EVENTS)
    listed = api.get("/webhooks").json["webhooks"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0] and created["secret"] not in str(listed)
    for body, field in [
        ({"url": "http://crm.example.com/hook", "events": EVENTS}, "body.url"),
        ({"url": "ftp://crm.example.com/", "events": EVENTS}, "body.url"),
        ({"url": "https://user:pw@crm.example.com/", "events": EVENTS}, "body.url"),
        ({"url": "https://crm.example.com/", "events": ["invite.opened"]}, "body.events.0"),
        ({"url": "https://crm.example.com/", "events": []}, "body.events"),
    ]:
        response = api.post("/webhooks", json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json["errors"]] == [field], body
    b = type(api)(api.client, world["b_write"])
    assert b.delete(f"/webhooks/{created['id']}").status_code == 404
    assert b.get(f"/webhooks/{created['id']}/deliveries").status_code == 404
    assert api.delete(f"/webhooks/{created['id']}").status_code == 204
    assert api.get("/webhooks").json["webhooks"] == []


def test_a_close_is_delivered_signed_once_after_two_failures(api, app, world, receiver):
    hook = api.post("/webhooks", json={"url": receiver.url, "events": ["cycle.closed"]}).json
    b = type(api)(api.client, world["b_write"])
    b.post("/webhooks", json={"url": receiver.url, "events": EVENTS})  # hears only B's
    # Answers arriving while the cycle is open tell nobody anything.
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(WebhookDelivery)) == 0
    assert api.post(f"/cycles/{world['open_cycle_id']}/close").status_code == 200

    rounds = []
    for _ in range(4):
        with app.app_context():
            counts = run_round()  # the scheduled round sends webhooks after the mail
        rounds.append((counts["webhooks_retry"], counts["webhooks_delivered"]))
        make_due(app)
    assert rounds == [(1, 0), (1, 0), (0, 1), (0, 0)]  # refused twice, then once, only

    assert [status for _, _, status in receiver.requests] == [500, 500, 200]
    verifier = Verifier(hook["secret"])
    for headers, body, _status in receiver.requests:
        lower = {k.lower(): v for k, v in headers.items()}
        payload = verifier.verify(body, lower)  # raises on a bad signature or a stale time
        assert payload["type"] == "cycle.closed"
        assert payload["data"]["cycle_id"] == world["open_cycle_id"]
        assert set(payload["data"]) == {"cycle_id", "coachee_id", "answered", "closed_by"}
        assert payload["data"]["answered"]["peer"] == 1
        assert "@" not in body.decode()  # no address, no name, no answer
    ids = {{k.lower(): v for k, v in h.items()}["webhook-id"] for h, _, _ in receiver.requests}
    assert len(ids) == 1  # one message, the same id on every attempt
    headers, body, _ = receiver.requests[-1]
    with pytest.raises(Exception):  # noqa: B017  (the verifier's own error class)
        verifier.verify(body + b" ", {k.lower(): v for k, v in headers.items()})

    deliveries = api.get(f"/webhooks/{hook['id']}/deliveries").json["deliveries"]
    assert [(d["state"], d["attempts"], d["last_status"]) for d in deliveries] == [
        ("delivered", 3, 200)
    ]
    assert api.get("/webhooks").json["webhooks"][0]["last_delivery"]["state"] == "delivered"


def test_results_ready_only_with_answers_and_release_tells_too(api, app, world, receiver):
    hook = api.post("/webhooks", json={"url": receiver.url, "events": EVENTS}).json
    later = (today() + timedelta(days=30)).isoformat()
    empty = api.post(f"/coachees/{world['coachee_id']}/cycles", json={"closes_on": later})
    api.post(f"/cycles/{empty.json['id']}/close", json={"below_minimum": True})
    api.post(f"/cycles/{world['closed_cycle_id']}/release")
    events = [d["event"] for d in api.get(f"/webhooks/{hook['id']}/deliveries").json["deliveries"]]
    assert sorted(events) == ["cycle.closed", "cycle.released"]  # no results: not ready
    api.post(f"/cycles/{world['open_cycle_id']}/close")
    events = [d["event"] for d in api.get(f"/webhooks/{hook['id']}/deliveries").json["deliveries"]]
    assert events[:2] == ["cycle.results_ready", "cycle.closed"]


def _readme_verifier():
    """The ``verify`` function of README.md's API section, run as written."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## API") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102  (our own README's example)
    return namespace["verify"]


def test_the_readmes_verifier_accepts_a_delivery_and_nothing_else(api, app, world):
    receiver = Receiver()
    try:
        hook = api.post("/webhooks", json={"url": receiver.url, "events": ["cycle.closed"]}).json
        api.post(f"/cycles/{world['open_cycle_id']}/close")
        with app.app_context():
            assert run_round()["webhooks_delivered"] == 1
    finally:
        receiver.close()
    verify = _readme_verifier()
    ((headers, body, _),) = receiver.requests
    headers = {k.lower(): v for k, v in headers.items()}
    assert verify(hook["secret"], headers, body)
    assert not verify(hook["secret"], headers, body.replace(b"closed", b"opened"))
    assert not verify(hook["secret"], {**headers, "webhook-id": "msg_other"}, body)
    other = api.post("/webhooks", json={"url": receiver.url, "events": ["cycle.closed"]}).json
    assert not verify(other["secret"], headers, body)
