"""Queue mail inside the current transaction; it leaves only after the commit."""

from flask import g, render_template

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
) -> OutboxMessage:
    """Render ``email/<template>.txt`` and ``.html`` with ``context`` and add the
    message to the outbox in the current transaction (flushed, not committed)."""
    message = OutboxMessage(
        kind=kind,
        to_address=to,
        to_name=to_name,
        reply_to=reply_to,
        subject=subject,
        text_body=render_template(f"email/{template}.txt", **context),
        html_body=render_template(f"email/{template}.html", **context),
        invite_id=invite_id,
    )
    db.session.add(message)
    db.session.flush()
    g.mail_queued = True
    return message
