"""Webhooks: endpoints, events queued in the transaction that causes them, and their
delivery, signed as the Standard Webhooks specification says.

An event is written as one delivery row per endpoint that hears it, in the same
transaction as the change (a close that is rolled back tells nobody). The scheduled
round (``feedback mail work``, or the web process's background round) sends what is
due (:func:`deliver_due`), claiming it first as the outbox does, so that workers
running the round at once never send one delivery twice. Each attempt checks the URL
again and connects to the address checked (:mod:`.addresses`: never a host inside the
server's network), follows no redirect, and is a POST of the fixed body with the
headers ``webhook-id`` (the same on every attempt), ``webhook-timestamp`` (seconds, of
this attempt) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body`` under the endpoint's secret). A 2xx answer delivers it; anything
else is tried again after 30 s, 1, 2, 4 … minutes, then hourly
(:mod:`feedback.mail.backoff`), and given up after :data:`MAX_ATTEMPTS`.

Bodies carry ids and counts, never a rater's identity or answer. The events about
results fire only when a cycle closes or is released, moments the coach or the deadline
chose, never as an answer arrives.
"""

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from ..accounts.models import Coach
from ..database import claim_rows, owned_row
from ..extensions import db
from ..mail.backoff import next_attempt_delay
from ..timeutil import utcnow
from . import addresses
from .models import WebhookDelivery, WebhookEndpoint

#: The events a coach can hear.
EVENTS = (
    "cycle.closed",
    "cycle.results_ready",
    "cycle.released",
    "invite.bounced",
    "nomination.pending_approval",
    "pulse.closed",
)
MAX_ATTEMPTS = 10
#: Seconds to wait for a receiver's answer.
TIMEOUT = 10
#: Seconds an attempt may take in all: TIMEOUT bounds each wait for a packet, so a
#: receiver trickling its answer a byte at a time would otherwise hold the worker, and
#: outlive the claim's lease, for as long as it liked. Past it the connection is cut.
ATTEMPT_DEADLINE = 30
#: Deliveries claimed at a time.
BATCH = 50
#: How long a worker's claim on a delivery holds: renewed just before each attempt,
#: and far longer than an attempt may take (ATTEMPT_DEADLINE).
CLAIM_LEASE = timedelta(minutes=2)
#: Bytes of a receiver's answer read (and ignored) before the connection is closed.
ANSWER_READ = 4096
SECRET_PREFIX = "whsec_"  # noqa: S105  (a public marker, not a secret)
log = logging.getLogger(__name__)

#: Sends one request: (url, body, headers) -> the receiver's HTTP status; raises
#: OSError (or http.client's errors) when no proper answer came.
Send = Callable[[str, bytes, dict[str, str]], int]


def check_url(url: str) -> str:
    """``url`` if a webhook may go there now: https to a host on the public internet,
    or http to this machine (for development); raises ValueError
    (:class:`~.addresses.UnsafeURL`) with the reason otherwise."""
    addresses.check(url)
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
    return owned_row(
        WebhookEndpoint, endpoint_id, lambda row: row.coach_id == coach.id, "webhook endpoint"
    )


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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to the address that was checked, whatever the name resolves to now."""

    def __init__(self, target: addresses.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._create_connection = _connect_to(target)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to the address that was checked; the certificate is still verified for
    the URL's host name (sent as SNI)."""

    def __init__(self, target: addresses.Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._create_connection = _connect_to(target)


def _connect_to(target: addresses.Target):
    def connect(_address, timeout, source_address=None):
        return socket.create_connection((str(target.address), target.port), timeout, source_address)

    return connect


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST ``body`` to ``url`` once it passes the check again (addresses change),
    connected to the very address checked; no redirect is followed. The receiver's
    status, also of an error answer. Raises :class:`~.addresses.UnsafeURL` when the URL
    may not be used now, OSError or http.client's errors when no proper answer came."""
    target = addresses.check(url)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, TIMEOUT)
    cut = threading.Event()
    watchdog = threading.Timer(ATTEMPT_DEADLINE, _cut, args=(connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(ANSWER_READ)
        if cut.is_set():
            raise TimeoutError(f"no whole answer within {ATTEMPT_DEADLINE} s")
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        if cut.is_set():
            raise TimeoutError(f"no whole answer within {ATTEMPT_DEADLINE} s") from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End an attempt past its deadline: shutting the socket down wakes the thread
    that waits on it, which then fails with the error the attempt records."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _claimable(now: datetime) -> tuple:
    """Due: pending, and either never claimed or claimed by a worker whose lease ran
    out (a claim pushes ``next_attempt_at`` to the end of its lease)."""
    return (WebhookDelivery.state == "pending", WebhookDelivery.next_attempt_at <= now)


def _update_if_ours(delivery_id: int, claim: str, values: dict) -> bool:
    """Update the delivery while it is still pending under ``claim``; whether it did."""
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.claim == claim,
            WebhookDelivery.state == "pending",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _headers(delivery: WebhookDelivery, secret: str) -> dict[str, str]:
    timestamp = int(utcnow().replace(tzinfo=UTC).timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Mirror360-Webhooks/1",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, delivery.message_id, timestamp, delivery.body),
    }


def _attempt(delivery_id: int, claim: str, send: Send) -> str | None:
    """Send one claimed delivery and record what became of it; the outcome
    (``webhooks_delivered``, ``webhooks_retry``, ``webhooks_failed``), or None when the
    claim was no longer ours (a worker took it over after the lease ran out)."""
    # Renew the lease just before sending, committed: from here the delivery is ours
    # for CLAIM_LEASE, longer than an attempt can take.
    renewed = _update_if_ours(delivery_id, claim, {"next_attempt_at": utcnow() + CLAIM_LEASE})
    db.session.commit()
    if not renewed:
        log.warning("webhook delivery %s was taken over by another worker", delivery_id)
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:  # its endpoint was removed meanwhile
        return None
    endpoint = delivery.endpoint
    attempts = delivery.attempts + 1
    try:
        status: int | None = send(
            endpoint.url, delivery.body.encode(), _headers(delivery, endpoint.secret)
        )
        error = None if 200 <= status < 300 else f"the receiver answered {status}"
    except addresses.UnsafeURL as exc:  # the host moved inside a private network
        status, error = None, f"not sent: {exc}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        status, error = None, f"no answer: {type(exc).__name__}"
    now = utcnow()
    values = {
        "attempts": attempts,
        "last_status": status,
        "last_error": error[:300] if error else None,
        "claim": None,
    }
    if error is None:
        values.update(state="delivered", delivered_at=now)
        outcome = "webhooks_delivered"
    elif attempts >= MAX_ATTEMPTS:
        values.update(state="failed")
        outcome = "webhooks_failed"
        log.warning(
            "webhook %s to endpoint %s given up: %s", delivery.message_id, endpoint.id, error
        )
    else:
        values.update(next_attempt_at=now + timedelta(seconds=next_attempt_delay(attempts)))
        outcome = "webhooks_retry"
    recorded = _update_if_ours(delivery_id, claim, values)
    db.session.commit()
    if not recorded:
        log.warning("webhook delivery %s was taken over while it was sent", delivery_id)
        return None
    return outcome


def deliver_due(send: Send = _post, *, batch_size: int = BATCH) -> Counter:
    """Send every due delivery once, in claimed batches, recording each outcome as it
    comes; returns the counts (``webhooks_delivered``, ``webhooks_retry``,
    ``webhooks_failed``).

    Safe with several workers (gunicorn's, ``feedback mail work`` in several
    processes): a batch is claimed and committed before anything is sent
    (:func:`feedback.database.claim_rows`, as the outbox does), so two workers never
    send one delivery; each delivery's lease is renewed and committed just before its
    attempt, and the outcome is recorded only while the claim is still this worker's.
    A worker that dies leaves its claims to run out after :data:`CLAIM_LEASE`; the
    deliveries are then sent again (at least once: the ``webhook-id`` lets a receiver
    drop a repeat). Commits the session.
    """
    counts: Counter = Counter()
    while True:
        claim = secrets.token_hex(16)
        now = utcnow()
        ids = claim_rows(
            WebhookDelivery,
            _claimable(now),
            limit=batch_size,
            values={"claim": claim, "next_attempt_at": now + CLAIM_LEASE},
        )
        for delivery_id in ids:
            outcome = _attempt(delivery_id, claim, send)
            if outcome is not None:
                counts[outcome] += 1
        if len(ids) < batch_size:
            return counts
