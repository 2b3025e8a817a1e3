"""The scheduled work: one round closes cycles whose deadline has passed, queues the
reminders and notes that are due, applies the retention, then sends what is due.

``feedback mail send`` runs one round, ``feedback mail work`` runs rounds until
stopped, and in development the web process's background thread
(:mod:`feedback.mail.background`) runs them when no worker does. Every part is safe to
run in several processes at once.
"""

import logging
from collections import Counter
from datetime import datetime

from flask import current_app

from ..database import commit
from ..extensions import db
from ..journey.review import queue_due_reviews
from ..mail.sender import deliver_due
from ..mail.transports import Transport
from ..pulses import services as pulses
from ..raters.reminders import send_due_reminders
from ..webhooks.services import deliver_due as deliver_webhooks
from .lifecycle import close_due_cycles
from .notes import queue_ready_notes, queue_waiting_notes
from .retention import apply_retention, retention_days

log = logging.getLogger(__name__)


def housekeeping(now: datetime | None = None) -> Counter:
    """Close cycles whose deadline has passed (noting their coaches), queue the automatic
    reminders, the "every group has enough answers" notes, the "nominations wait for
    you" notes and the journey's review emails that are due, close the pulses past
    their deadline and remind their raters, and, when FEEDBACK_RETENTION_DAYS is set,
    erase the raters' addresses of cycles and pulses closed longer ago than that;
    flushed, not committed. Returns counts: ``closed``, ``reminded``, ``noted``,
    ``waiting``, ``reviews``, ``pulses_closed``, ``pulses_reminded``, ``erased``."""
    counts = Counter(
        closed=close_due_cycles(),
        reminded=send_due_reminders(now),
        noted=queue_ready_notes(now),
        waiting=queue_waiting_notes(),
        reviews=queue_due_reviews(),
        pulses_closed=pulses.close_due_pulses(now),
        pulses_reminded=pulses.send_due_reminders(current_app.config["REMINDER_DAYS"], now),
    )
    days = retention_days()
    if days is not None:
        counts["erased"] = apply_retention(days)
    return counts


def run_round(transport: Transport | None = None) -> Counter:
    """Housekeeping, commit, then send everything due. A failing housekeeping step is
    logged and rolled back, and what is already queued is sent all the same. Returns
    the counts of both (``sent``, ``retry``, ``failed``, ``closed``, …)."""
    counts: Counter = Counter()
    try:
        counts.update(housekeeping())
        commit()
    except Exception:
        db.session.rollback()
        log.exception("scheduled housekeeping failed; sending what is queued anyway")
        counts["errors"] += 1
    counts.update(deliver_due(transport))
    try:
        counts.update(deliver_webhooks())
    except Exception:
        db.session.rollback()
        log.exception("sending webhooks failed; they are tried again next round")
        counts["errors"] += 1
    return counts
