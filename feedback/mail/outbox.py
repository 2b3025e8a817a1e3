"""Queue mail inside the current transaction; it leaves only after the commit."""

from datetime import datetime

from flask import current_app, g

from ..extensions import db
from .models import OutboxMessage


def queue_message(
    kind: str,
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    to_name: str = "",
    reply_to: str | None = None,
    invite_id: int | None = None,
    not_before: datetime | None = None,
    flush: bool = True,
) -> OutboxMessage:
    """Render ``email/<template>.txt`` and ``.html`` with ``context`` and add the
    message to the outbox in the current transaction (flushed, not committed).

    ``reply_to`` is where a recipient's answer goes (the coach, never the coachee on
    a rater's mail); ``not_before`` (naive UTC) holds the message back until then.
    ``flush=False`` leaves the flush to a caller queueing many messages, which then go
    in one batched INSERT instead of one each.
    """
    message = OutboxMessage(
        kind=kind,
        to_address=to,
        to_name=to_name,
        reply_to=reply_to,
        subject=subject,
        text_body=_render(f"email/{template}.txt", context),
        html_body=_render(f"email/{template}.html", context),
        invite_id=invite_id,
    )
    if not_before is not None:
        message.next_attempt_at = not_before
    db.session.add(message)
    if flush:
        db.session.flush()
    g.mail_queued = True
    return message


def _render(name: str, context: dict) -> str:
    """Render an email template with ``context`` only. Unlike ``render_template`` it
    runs no context processors: an email has no request, session or CSRF token, and
    skipping them makes queueing thousands of invitations a third cheaper."""
    return current_app.jinja_env.get_template(name).render(context)
