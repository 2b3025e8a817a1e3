"""Webhooks: endpoints, events queued in the transaction that causes them, and their
delivery, signed as the Standard Webhooks specification says.

An event is written as one delivery row per endpoint that hears it, in the same
transaction as the change (a close that is rolled back tells nobody). The scheduled
round (``feedback mail work``, or the web process's background round) sends what is
due (:func:`deliver_due`): each attempt is a POST of the fixed body with the headers
``webhook-id`` (the same on every attempt), ``webhook-timestamp`` (seconds, of this
attempt) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body`` under the endpoint's secret). A 2xx answer delivers it; anything
else is tried again after 30 s, 1, 2, 4 … minutes, then hourly
(:mod:`feedback.mail.backoff`), and given up after :data:`MAX_ATTEMPTS`.

Bodies carry ids and counts, never a rater's identity or answer. The events about
results fire only when a cycle closes or is released, moments the coach or the deadline
chose, never as an answer arrives.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..accounts.models import Coach
from ..errors import NotFound
from ..extensions import db
from ..mail.backoff import next_attempt_delay
from ..timeutil import utcnow
from .models import WebhookDelivery, WebhookEndpoint

#: The events a coach can hear.
EVENTS = (
    "cycle.closed",
    "cycle.results_ready",
    "cycle.released",
    "invite.bounced",
    "nomination.pending_approval",
)
MAX_ATTEMPTS = 10
#: Seconds to wait for a receiver's answer.
TIMEOUT = 10
#: Deliveries sent per round.
BATCH = 50
SECRET_PREFIX = "whsec_"  # noqa: S105  (a public marker, not a secret)
log = logging.getLogger(__name__)

#: Sends one request: (url, body, headers) -> the receiver's HTTP status; raises
#: OSError (or http.client's errors) when no proper answer came.
Send = Callable[[str, bytes, dict[str, str]], int]


def check_url(url: str) -> str:
    """``url`` if a webhook may go there: https, or http to this machine (for
    development); raises ValueError otherwise."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https") or parts.username or parts.password:
        raise ValueError("give an absolute https URL, without a user name or password")
    if parts.scheme == "http":
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("use https; plain http only to this machine (localhost)")
    return url.strip()


def create_endpoint(coach: Coach, *, url: str, events: list[str]) -> WebhookEndpoint:
    """A new endpoint of ``coach``; its secret is on the returned row and is shown to
    the coach once. Raises ValueError for a URL or event that cannot be used."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise ValueError(f"events are some of {', '.join(EVENTS)}")
    endpoint = WebhookEndpoint(
        coach_id=coach.id,
        url=check_url(url),
        events=sorted(set(events)),
        secret=SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode(),
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def endpoints_of(coach: Coach) -> list[WebhookEndpoint]:
    """``coach``'s endpoints, oldest first."""
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.coach_id == coach.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def endpoint_of(coach: Coach, endpoint_id: int) -> WebhookEndpoint:
    """``coach``'s endpoint; NotFound for another coach's."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.coach_id != coach.id:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def remove_endpoint(endpoint: WebhookEndpoint) -> None:
    """Stop sending to ``endpoint``; its deliveries go with it."""
    db.session.delete(endpoint)
    db.session.flush()


def deliveries_of(endpoint: WebhookEndpoint, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def queue_event(coach_id: int, event: str, data: dict) -> int:
    """Queue ``event`` with ``data`` (ids and counts) for every endpoint of the coach
    that hears it, in the current transaction; returns how many."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.coach_id == coach_id)
    ).all()
    queued = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        message_id = "msg_" + secrets.token_urlsafe(18)
        body = {
            "type": event,
            "timestamp": utcnow().isoformat(timespec="seconds") + "Z",
            "data": data,
        }
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                message_id=message_id,
                event=event,
                body=json.dumps(body, separators=(",", ":"), sort_keys=True),
            )
        )
        queued += 1
    db.session.flush()
    return queued


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header's value: ``v1,`` and the base64 HMAC-SHA256 of
    ``id.timestamp.body`` under the secret's key (the part after ``whsec_``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST with urllib (no redirects followed); the status, also of an error answer."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args, **_kwargs):
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (check_url allows https, or http to this machine only)
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def deliver_due(send: Send = _post) -> Counter:
    """Send every due delivery once, recording each outcome as it comes (one commit
    per delivery, so a crash loses at most the one in flight); returns the counts
    (``webhooks_delivered``, ``webhooks_retry``, ``webhooks_failed``)."""
    counts: Counter = Counter()
    moment = utcnow()
    due = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= moment)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    for delivery in due:
        endpoint = delivery.endpoint
        timestamp = int(utcnow().replace(tzinfo=UTC).timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Mirror360-Webhooks/1",
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                endpoint.secret, delivery.message_id, timestamp, delivery.body
            ),
        }
        delivery.attempts += 1
        try:
            status: int | None = send(endpoint.url, delivery.body.encode(), headers)
            error = None if 200 <= status < 300 else f"the receiver answered {status}"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            status, error = None, f"no answer: {type(exc).__name__}"
        delivery.last_status = status
        delivery.last_error = error
        if error is None:
            delivery.state, delivery.delivered_at = "delivered", utcnow()
            counts["webhooks_delivered"] += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.state = "failed"
            counts["webhooks_failed"] += 1
            log.warning(
                "webhook %s to endpoint %s given up: %s", delivery.message_id, endpoint.id, error
            )
        else:
            wait = next_attempt_delay(delivery.attempts)
            delivery.next_attempt_at = moment + timedelta(seconds=wait)
            counts["webhooks_retry"] += 1
        db.session.commit()
    return counts
