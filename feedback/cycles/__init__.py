"""The cycle's life, above the domains: what happens to a cycle from the day it opens
to the day its report is released, and the pages that span domains.

- :mod:`.lifecycle` — start, close (and what closing does), reopen, release;
- :mod:`.erasure` — a closed cycle's drafts out of SQLite's write-ahead log;
- :mod:`.unlink` — forgetting the order in which answers arrived, when a cycle closes;
- :mod:`.nominations` — the coachee's nominations that wait for the coach, approving
  them, and what the coach's webhooks hear of nominations and bounces;
- :mod:`.notes` — the notes to the coach (every group has enough answers; it closed);
- :mod:`.jobs` — the scheduled round (cycles past their deadline, reminders, notes,
  retention, sending) that ``feedback mail work`` and the background thread run;
- :mod:`.data_rights` and :mod:`.retention` — a coachee's export and erasure, and the
  erasure of raters' addresses after a cycle closed;
- :mod:`.importing` — many cycles at once from a CSV file;
- :mod:`.mailing` — what a message is about, for the mail sender;
- pages: :mod:`.coach_pages` (coachees and cycles), :mod:`.voice_pages` (the coach's
  own wording of the raters' emails), :mod:`.dashboard` (a cycle's
  results, the cohort, the trend), :mod:`.portal` (the coachee's portal),
  :mod:`.questionnaire_pages` (the coach's own questionnaires: editor and preview);
- :mod:`.cli` — ``feedback cycle``, ``feedback mail`` and ``feedback retention``;
  :mod:`.questionnaire_cli` — ``feedback questionnaire import|export|list``;
- :mod:`.warm` — a new gunicorn worker runs the dashboard's code once before it serves.

Dependencies point down: this package uses the domains (coaching, raters, ratings,
plans, reports) and the infrastructure; nothing below imports it (docs/architecture.md).
"""

from flask import Flask

from ..mail.outbox import register_context_loader, register_links
from ..pulses.services import pulse_closed
from . import (  # noqa: F401 (erasure listens)
    coach_pages,
    dashboard,
    erasure,
    nominations,
    portal,
    questionnaire_pages,
    voice_pages,
)
from .lifecycle import PORTAL_MAIL, REPORT_MAIL, announce_pulse_closed, portal_link
from .mailing import message_contexts
from .notes import CYCLE_CLOSED, GROUPS_READY, NOMINATIONS_WAITING, dashboard_link


def init_app(app: Flask) -> None:
    """Register the cycle's kinds of mail and what a message is about, the pages, and
    what the coach's webhooks hear of nominations, bounces and pulses."""
    register_links(
        app,
        {
            PORTAL_MAIL: portal_link,
            REPORT_MAIL: portal_link,
            GROUPS_READY: dashboard_link,
            CYCLE_CLOSED: dashboard_link,
            NOMINATIONS_WAITING: dashboard_link,
        },
    )
    register_context_loader(app, message_contexts)
    nominations.init_app(app)
    pulse_closed.connect(announce_pulse_closed, sender=app)
    for module in (coach_pages, dashboard, portal, voice_pages, questionnaire_pages):
        app.register_blueprint(module.bp)
