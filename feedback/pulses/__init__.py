"""Pulses: a short re-check, between cycles, of a few statements of a closed cycle,
sent to the raters who answered it (and any the coach adds), and set beside the
cycle's figures once it closes.

- :mod:`.models` — the pulse, whom it asks, and their anonymous answers;
- :mod:`.services` — create, answer, decline, remind, close (services flush);
- :mod:`.results` — the pulse beside its baseline, through the guard and the rule
  across time (:mod:`feedback.analysis.pulse`);
- :mod:`.views` — the coach's pages and the rater's short form;
- :mod:`.cli` — ``feedback pulse create|close``.

A domain above plans (the development plan suggests the statements), below reports,
the journey and the cycle's life (docs/architecture.md).
"""

from flask import Flask

from ..mail.outbox import register_links
from ..mail.signals import outcomes_recorded
from . import views
from .services import (
    INVITE_MAIL,
    REMINDER_MAIL,
    mail_link,
    note_outcomes,
    pulses_of_coachee,
    pulses_of_cycle,
)


def init_app(app: Flask) -> None:
    """Register the pulse's pages, its kinds of mail and what their delivery means, and
    what the plan's page and the coachee's page list of it (template globals, as the
    plans domain may not import this one)."""
    register_links(app, {INVITE_MAIL: mail_link, REMINDER_MAIL: mail_link})
    outcomes_recorded.connect(note_outcomes, sender=app)
    app.add_template_global(pulses_of_cycle, "pulses_of_cycle")
    app.add_template_global(pulses_of_coachee, "pulses_of_coachee")
    app.register_blueprint(views.bp)
    app.register_blueprint(views.form_bp)
