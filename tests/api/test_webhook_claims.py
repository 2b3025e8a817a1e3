"""Deliveries are claimed before they are sent: two workers (two apps on one database,
as two gunicorn workers or two ``feedback mail work`` processes) running at once send
each delivery exactly once, and a claim whose worker died runs out and is sent again."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from api_support import Receiver
from factories import coach
from sqlalchemy import select, update

from feedback.database import claim_rows
from feedback.extensions import db
from feedback.timeutil import utcnow
from feedback.webhooks import services
from feedback.webhooks.models import WebhookDelivery

EVENTS = 40


@pytest.fixture
def receiver():
    started = Receiver(overlap=True)
    yield started
    started.close()


def _queue(app, url: str, count: int = EVENTS) -> list[str]:
    """``count`` events for one coach's two endpoints at ``url``; their webhook-ids."""
    with app.test_request_context():
        owner = coach()
        services.create_endpoint(owner, url=url, events=["cycle.closed"])
        services.create_endpoint(owner, url=url + "?second", events=["cycle.closed"])
        for number in range(count // 2):
            services.queue_event(owner.id, "cycle.closed", {"cycle_id": number})
        db.session.commit()
        return list(db.session.scalars(select(WebhookDelivery.message_id)))


def test_two_workers_deliver_each_event_exactly_once(app, make_app, receiver):
    ids = _queue(app, receiver.url)
    assert len(ids) == EVENTS
    other = make_app()  # a second process's app: its own engine, its own connections
    counts: list[Counter] = [Counter(), Counter()]
    failures: list[BaseException] = []

    def work(index: int, worker) -> None:
        try:
            with worker.app_context():
                counts[index] = services.deliver_due(batch_size=4)
                db.session.remove()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate([app, other])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    with other.app_context():
        db.engine.dispose()
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert failures == []

    assert not receiver.overlapped.broken, "the two workers never sent at the same moment"
    assert sorted(receiver.ids()) == sorted(ids), "an event was lost or sent twice"
    assert all(c["webhooks_delivered"] for c in counts), "one worker did everything"
    assert counts[0]["webhooks_delivered"] + counts[1]["webhooks_delivered"] == EVENTS
    with app.app_context():
        rows = db.session.execute(select(WebhookDelivery.state, WebhookDelivery.attempts)).all()
    assert Counter(rows) == Counter({("delivered", 1): EVENTS})


def test_a_dead_workers_claim_holds_until_its_lease_runs_out(app):
    with app.test_request_context():
        owner = coach()
        services.create_endpoint(owner, url="http://127.0.0.1:9/hook", events=["cycle.closed"])
        services.queue_event(owner.id, "cycle.closed", {"cycle_id": 1})
        db.session.commit()
        # A worker claims it and dies before sending.
        now = utcnow()
        dead = "a" * 32
        (claimed,) = claim_rows(
            WebhookDelivery,
            services._claimable(now),
            limit=10,
            values={"claim": dead, "next_attempt_at": now + services.CLAIM_LEASE},
        )
        sent: list[str] = []

        def send(url, body, headers):
            sent.append(headers["webhook-id"])
            return 204

        assert services.deliver_due(send) == Counter()  # still claimed: nobody sends it
        assert sent == []
        db.session.execute(
            update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert services.deliver_due(send) == Counter(webhooks_delivered=1)  # lease ran out
        assert len(sent) == 1
        # The first worker comes back: its claim is gone, so it sends and records nothing.
        assert services._attempt(claimed, dead, send) is None
        assert len(sent) == 1
        delivery = db.session.get(WebhookDelivery, claimed, populate_existing=True)
        assert (delivery.state, delivery.attempts, delivery.claim) == ("delivered", 1, None)


def test_a_worker_whose_claim_was_taken_over_while_sending_records_nothing(app):
    with app.test_request_context():
        owner = coach()
        services.create_endpoint(owner, url="http://127.0.0.1:9/hook", events=["cycle.closed"])
        services.queue_event(owner.id, "cycle.closed", {"cycle_id": 1})
        db.session.commit()

        def slow_send(url, body, headers):
            # The attempt outlived the lease: another worker took the delivery over.
            db.session.execute(update(WebhookDelivery).values(claim="b" * 32))
            db.session.commit()
            return 500

        assert services.deliver_due(slow_send) == Counter()
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        db.session.refresh(delivery)
        # The other worker's claim stands; this worker's failure is not written over it.
        assert (delivery.claim, delivery.attempts, delivery.last_status) == ("b" * 32, 0, None)
