"""An invitation refused by the rater's mail server tells the coach's webhooks: the
cycle's id and how many bounced, in the transaction that records the bounce, once."""

import json

from sqlalchemy import select

from feedback.accounts.services import coach_by_email
from feedback.extensions import db
from feedback.webhooks.models import WebhookDelivery
from feedback.webhooks.services import create_endpoint

RATER = "rita@example.org"


def _events(app, event: str) -> list[dict]:
    with app.app_context():
        bodies = db.session.scalars(
            select(WebhookDelivery.body).where(WebhookDelivery.event == event)
        ).all()
        return [json.loads(body) for body in bodies]


def test_a_bounce_queues_invite_bounced_with_a_count_only(smtp_server, smtp_app, loop_for):
    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    with app.app_context():
        create_endpoint(
            coach_by_email("coach@example.com"),
            url="https://crm.example.com/hook",
            events=["invite.bounced"],
        )
        db.session.commit()
    cycle_id = loop.start_cycle()
    portal = loop.portal(cycle_id)
    smtp_server.reject_recipient("gone@example.org", "550 5.1.1 No such user here")
    smtp_server.reject_recipient("lost@example.org", "550 5.1.1 No such user here")

    lines = f"gone@example.org, peer, Gone Person\nlost@example.org, peer\n{RATER}, peer"
    assert loop.nominate(portal, lines).status_code == 302
    assert loop.invites(cycle_id) == {
        "gone@example.org": "bounced",
        "lost@example.org": "bounced",
        RATER: "sent",
    }

    events = _events(app, "invite.bounced")
    assert sum(e["data"]["bounced"] for e in events) == 2
    assert {e["data"]["cycle_id"] for e in events} == {cycle_id}
    assert all(set(e["data"]) == {"cycle_id", "bounced"} for e in events)
    text = json.dumps(events)
    assert "example.org" not in text and "Gone" not in text

    # Another round hears nothing new: a bounce is announced once.
    loop.nominate(portal, "new@example.org, peer")
    assert sum(e["data"]["bounced"] for e in _events(app, "invite.bounced")) == 2
