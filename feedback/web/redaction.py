"""No working link and no person's address in any log line.

Every log record is redacted once, when it is made, by :class:`RedactSecrets`: its
message with its arguments, its exception text and its stack text. Signed link tokens
(after URL-decoding, so ``/p/%49kNw…`` is caught like ``/p/IkNw…``) become ``…``,
and the local part of an email address becomes ``…`` (the domain stays, so a mail
problem can still be told apart by provider).

It is installed in two ways that together leave no gap:

- as the process's log record factory, so a record is redacted wherever it is made
  (the app's logger, werkzeug, SQLAlchemy, gunicorn's error and access logs, any
  library) and whatever handler later writes it, including handlers added after the
  app was built;
- as a filter on the root logger's handlers and on werkzeug's and gunicorn's loggers
  and handlers, for records that were not made by the factory (``makeLogRecord``,
  records sent between processes).

SQL parameters never reach a log at all: the engine hides them
(``hide_parameters``, set in :mod:`feedback.settings`).
"""

import logging
import re
import traceback
from urllib.parse import unquote

#: Loggers that write lines of their own, with their own handlers (gunicorn's do not
#: propagate to the root logger).
SERVER_LOGGERS = ("werkzeug", "gunicorn", "gunicorn.error", "gunicorn.access")
REDACTED = "…"

# A portal or rater link: /p/<token> or /r/<token>.
_LINK_PATH = re.compile(r"/([pr])/[A-Za-z0-9_.~\-]{12,}")
# An itsdangerous token anywhere: payload.timestamp.signature in URL-safe base64.
_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}")
# An email address (not the service's own Message-IDs, <outbox-N.time@domain>).
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])(?!outbox-)"
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_DONE = "_feedback_redacted"


def redact(text: str) -> str:
    """``text`` with link tokens and the local parts of email addresses replaced by
    ``…``. Percent-encoding is undone first (up to three times, as a client could stack
    it), so an encoded token is found; text with nothing to hide comes back unchanged."""
    decoded = text
    for _ in range(3):
        if not _PERCENT.search(decoded):
            break
        decoded = unquote(decoded)
    redacted = _LINK_PATH.sub(rf"/\1/{REDACTED}", decoded)
    redacted = _SIGNED_TOKEN.sub(REDACTED, redacted)
    redacted = _EMAIL.sub(f"{REDACTED}@", redacted)
    return text if redacted == decoded else redacted


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record`` in place, once: the message is formatted with its arguments
    and stored whole; an exception and a stack are turned into redacted text (the
    traceback objects are dropped, so no handler formats them again unredacted)."""
    if getattr(record, _DONE, False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the pieces, redacted
        message = f"{record.msg!r} % {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        if not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    setattr(record, _DONE, True)
    return record


class RedactSecrets(logging.Filter):
    """A logging filter that redacts every record it sees (and never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record``; always let it through."""
        redact_record(record)
        return True


class _RedactingFactory:
    """A log record factory that makes records with the previous factory and redacts
    them at once."""

    def __init__(self, previous) -> None:
        self.previous = previous

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        return redact_record(self.previous(*args, **kwargs))


def _add_filter(target: logging.Filterer) -> None:
    if not any(isinstance(existing, RedactSecrets) for existing in target.filters):
        target.addFilter(RedactSecrets())


def install() -> None:
    """Redact every log record of this process (idempotent): the record factory, and
    the filter on the root logger's handlers and the servers' loggers and handlers."""
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(factory))
    for handler in logging.getLogger().handlers:
        _add_filter(handler)
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        _add_filter(logger)
        for handler in logger.handlers:
            _add_filter(handler)
