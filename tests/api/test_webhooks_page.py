"""The coach's webhooks page: an endpoint registered through the real form (CSRF on),
its secret shown once, a URL that may not be used refused at the field with a 400 and
nothing saved, its last delivery shown, removal; another coach's endpoint is a 404."""

import html
import re

from api_support import Receiver
from babel.dates import format_date
from markupsafe import escape
from support import Browser, csrf_token, sign_in

from feedback.accounts.services import create_coach
from feedback.extensions import db
from feedback.webhooks import services
from feedback.webhooks.forms import EVENT_LABELS
from feedback.webhooks.models import WebhookDelivery, WebhookEndpoint

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(WebhookEndpoint))


def test_add_see_and_remove_a_webhook_on_the_page(app, coach_browser):
    page = coach_browser.get("/settings")
    assert 'href="/settings/webhooks"' in page.text
    page = coach_browser.get("/settings/webhooks")
    assert page.status_code == 200 and "No webhooks yet" in page.text
    assert "cycle.results_ready" in page.text
    response = coach_browser.post(
        "/settings/webhooks",
        data={
            "csrf_token": csrf_token(page.text),
            "url": "https://crm.example.com/mirror",
            "events": ["cycle.closed", "cycle.released"],
        },
    )
    assert response.status_code == 200
    secret = SECRET.search(response.text).group(0)
    with app.app_context():
        (endpoint,) = db.session.scalars(db.select(WebhookEndpoint)).all()
        assert (endpoint.url, endpoint.events) == (
            "https://crm.example.com/mirror",
            ["cycle.closed", "cycle.released"],
        )
        assert endpoint.secret == secret
        endpoint_id = endpoint.id
        services.queue_event(endpoint.coach_id, "cycle.closed", {"cycle_id": 1})
        db.session.commit()

    page = coach_browser.get("/settings/webhooks")
    assert "https://crm.example.com/mirror" in page.text
    assert secret not in page.text  # shown once only
    assert "waiting to be sent" in page.text
    response = coach_browser.post(
        f"/settings/webhooks/{endpoint_id}/remove", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert "No webhooks yet" in coach_browser.get("/settings/webhooks").text
    assert _count(app) == 0


def test_a_url_that_may_not_be_used_is_refused_at_the_field(app, coach_browser, dns):
    dns.records["inside.example.com"] = ["10.0.0.7"]
    token = csrf_token(coach_browser.get("/settings/webhooks").text)
    for url, message in [
        ("https://169.254.169.254/latest/meta-data", "is an internal address"),
        ("https://inside.example.com/hook", "inside.example.com is an internal address"),
        ("http://crm.example.com/hook", "use https"),
        ("https://nowhere.invalid/", "could not be found"),
        ("crm.example.com/hook", "absolute https URL"),
        ("", "Give the URL of your tool."),
    ]:
        response = coach_browser.post(
            "/settings/webhooks",
            data={"csrf_token": token, "url": url, "events": ["cycle.closed"]},
        )
        assert response.status_code == 400, url
        errors = re.findall(r'<p class="errors">(.*?)</p>', response.text)
        assert any(message in html.unescape(e) for e in errors), (url, errors)
        assert html.escape(url) in response.text  # what was typed stays in the field
    for events in (["cycle.opened"], []):
        response = coach_browser.post(
            "/settings/webhooks",
            data={"csrf_token": token, "url": "https://crm.example.com/", "events": events},
        )
        assert response.status_code == 400, events
        assert "https://crm.example.com/" in response.text
    assert "Choose at least one event." in response.text
    response = coach_browser.post(
        "/settings/webhooks", data={"url": "https://crm.example.com/", "events": ["cycle.closed"]}
    )
    assert response.status_code == 400  # no CSRF token
    assert _count(app) == 0


def test_the_page_shows_the_last_delivery(app, coach_browser):
    receiver = Receiver()
    try:
        page = coach_browser.get("/settings/webhooks")
        coach_browser.post(
            "/settings/webhooks",
            data={
                "csrf_token": csrf_token(page.text),
                "url": receiver.url,
                "events": ["cycle.closed"],
            },
        )
        with app.app_context():
            coach_id = db.session.scalar(db.select(WebhookEndpoint.coach_id))
            services.queue_event(coach_id, "cycle.closed", {"cycle_id": 1})
            db.session.commit()
            assert services.deliver_due()["webhooks_delivered"] == 1
    finally:
        receiver.close()
    with app.app_context():
        delivered_at = db.session.scalar(db.select(WebhookDelivery.delivered_at))
    day = format_date(delivered_at.date(), "long", locale="en")  # as English pages write it
    page = coach_browser.get("/settings/webhooks").text
    assert f"delivered {day} {delivered_at:%H:%M} UTC" in page


def test_another_coachs_webhook_is_not_found(app, coach_browser):
    with app.test_request_context():
        other = create_coach(email="b@example.com", name="Bruno Berg", password="long enough pw")
        url = "https://b.example.com/h"
        hook = services.create_endpoint(other, url=url, events=["cycle.closed"])
        db.session.commit()
        hook_id = hook.id
    page = coach_browser.get("/settings/webhooks")
    assert "b.example.com" not in page.text
    response = coach_browser.post(
        f"/settings/webhooks/{hook_id}/remove", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 404
    assert _count(app) == 1
    stranger = Browser(app.test_client())
    assert stranger.get("/settings/webhooks").status_code == 302  # to the sign-in page
    sign_in(stranger, "b@example.com", "long enough pw")
    assert "b.example.com/h" in stranger.get("/settings/webhooks").text


def test_every_event_is_offered_in_words(coach_browser):
    page = coach_browser.get("/settings/webhooks")
    for event in services.EVENTS:
        assert event in EVENT_LABELS, f"{event} has no words on the page"
        assert str(escape(EVENT_LABELS[event])) in page.text
