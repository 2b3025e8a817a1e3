"""Queue mail inside the current transaction; it leaves only after the commit.

A queued message holds what it takes to write it, not its text: the template, a few
plain parameters, and the invite and cycle it is about. The sender renders it when it
sends (`render`), so queueing thousands of invitations renders nothing, and the outbox
never stores a working link: links are signed at send time.

The mail package knows no domain. Each domain tells it, when the app is built, how the
kinds of message it queues get their link (:func:`register_links`), and one loader
says what a message is about (:func:`register_context_loader`): the template context
is what that loader returns for the message (for Mirror 360: ``invite``, ``cycle``,
``coachee`` and ``coach`` as they are when the message is sent), the message's
``params`` as they were when it was queued, and ``url`` from the kind's link maker.
What an outcome means for a domain (an invitation delivered, an address refused) it
learns from the :data:`feedback.mail.signals.outcomes_recorded` signal.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import insert

from ..extensions import db
from ..i18n import speaking
from ..timeutil import utcnow
from .models import OutboxMessage

#: A function that makes the link of one kind of message from its template context.
LinkMaker = Callable[[dict[str, Any]], str]
#: What a batch of messages is about: their template contexts by message id.
ContextLoader = Callable[[list[OutboxMessage]], dict[int, dict[str, Any]]]

_EXTENSION = "mail"


@dataclass
class MailSetup:
    """What the domains registered with one app's mail."""

    links: dict[str, LinkMaker] = field(default_factory=dict)
    context_loader: ContextLoader | None = None


def setup(app: Flask | None = None) -> MailSetup:
    """The mail set-up of ``app`` (default: the current app), created when missing."""
    app = app or current_app
    return app.extensions.setdefault(_EXTENSION, MailSetup())


def register_links(app: Flask, makers: Mapping[str, LinkMaker]) -> None:
    """Register the link maker of each kind of message in ``makers``; a kind has one."""
    known = setup(app).links
    for kind, make in makers.items():
        if known.setdefault(kind, make) is not make:
            raise ValueError(f"mail of kind {kind!r} already has a link maker")


def register_context_loader(app: Flask, loader: ContextLoader) -> None:
    """Register what tells the sender what a batch of messages is about."""
    setup(app).context_loader = loader


def link_maker(kind: str) -> LinkMaker:
    """The link maker registered for ``kind``; raises LookupError if none is."""
    try:
        return setup().links[kind]
    except KeyError:
        raise LookupError(f"no link maker is registered for mail of kind {kind!r}") from None


def contexts_of(messages: list[OutboxMessage]) -> dict[int, dict[str, Any]]:
    """The registered loader's template contexts of ``messages``, by message id."""
    loader = setup().context_loader
    return loader(messages) if loader is not None else {}


def outbox_row(
    kind: str,
    *,
    to: str,
    subject: str,
    template: str,
    cycle_id: int | None,
    invite_id: int | None = None,
    params: Mapping[str, Any] | None = None,
    to_name: str = "",
    reply_to: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    """One message as a row for `queue_messages`.

    ``template`` names ``email/<template>.txt`` and ``.html``; ``params`` are plain
    JSON values for it (never a link or token); ``reply_to`` is where a recipient's
    answer goes (the coach, never the coachee on a rater's mail); ``not_before``
    (naive UTC) holds the message back until then. Raises LookupError when ``kind``
    has no link maker, so a message that could not be written is never queued.
    """
    link_maker(kind)
    return {
        "kind": kind,
        "to_address": to,
        "to_name": to_name,
        "reply_to": reply_to,
        "subject": subject,
        "template": template,
        "params": dict(params or {}),
        "invite_id": invite_id,
        "cycle_id": cycle_id,
        # Always named, so that rows of one INSERT have the same columns.
        "next_attempt_at": not_before or utcnow(),
    }


#: Built once; the rows name the table's columns (the model's attributes have the same
#: names).
_INSERT_MESSAGES = insert(OutboxMessage.__table__)


def queue_messages(rows: Iterable[dict[str, Any]]) -> None:
    """Add the messages (rows from `outbox_row`) to the outbox in the current
    transaction, in one INSERT (executed, not committed). A Core INSERT of the table:
    the ORM's bulk path, which nothing here needs (no objects come back), cost twice as
    much for 10,000 invitations."""
    rows = list(rows)
    if rows:
        db.session.flush()  # as the ORM's INSERT would: what the rows point to is written
        db.session.execute(_INSERT_MESSAGES, rows)
        g.mail_queued = True


def queue_message(kind: str, **fields: Any) -> None:
    """Queue one message: `outbox_row`'s arguments, `queue_messages`' effect."""
    queue_messages([outbox_row(kind, **fields)])


def render(message: OutboxMessage, context: dict[str, Any]) -> tuple[str, str]:
    """The text and HTML bodies of ``message`` (queued with a template) in
    ``context`` (invite, cycle, coachee, coach: see the module docstring), with its
    params and its link, signed now, added; in the recipient's language when the
    context or the params name one (``language``), else English."""
    context = {**context, **(message.params or {})}
    context["url"] = link_maker(message.kind)(context)
    with speaking(context.get("language")):
        return (
            _render(f"email/{message.template}.txt", context),
            _render(f"email/{message.template}.html", context),
        )


def _render(name: str, context: dict) -> str:
    """Render an email template with ``context`` only. Unlike ``render_template`` it
    runs no context processors: an email has no request, session or CSRF token, and
    skipping them makes rendering thousands of invitations a third cheaper."""
    return current_app.jinja_env.get_template(name).render(context)
