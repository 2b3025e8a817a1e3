"""gunicorn's logs without link tokens or addresses: the logger class that
``gunicorn.conf.py`` names (``logger_class``). Imported only by gunicorn's
configuration: it imports gunicorn, which the app itself does not need.

gunicorn's error log (``gunicorn.error``) and access log (``gunicorn.access``) keep
handlers of their own, which gunicorn sets up when it starts (in the master, before any
worker or app exists) and again on a reload. Each time, :class:`RedactingLogger`
installs the redaction of :mod:`.redaction` on them (the record factory, and the filter
on the new handlers). Its access log's atoms — the request line, path, query,
referrer, and any header or environ value a format may name — are redacted before they
are formatted, so no ``access_log_format`` can print a rater's token.
"""

from gunicorn.glogging import Logger

from . import redaction


class RedactingLogger(Logger):
    """gunicorn's logger, with link tokens and addresses redacted in both logs."""

    def setup(self, cfg) -> None:
        """gunicorn's set-up of its loggers and handlers, then the redaction on them."""
        super().setup(cfg)
        redaction.install()

    def atoms(self, resp, req, environ, request_time) -> dict:
        """The access log's fields, every text redacted (``/r/…/`` for a rater link)."""
        return {
            key: redaction.redact(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
