"""While the database is away (restarting, refusing connections, a connection cut
mid-request), requests get a 503 with ``Retry-After`` and a page in the product's words,
never a 500 or a traceback.

- A read (GET or HEAD) is served once more, from the start, after a short pause: a
  restart's few seconds then cost a reader a slower page rather than an error. The retry
  is one whole request (:class:`RetryReadsOnce`, around the WSGI app), not a repeat of
  single queries inside a view, so it cannot half-apply anything; a read changes
  nothing (README: GET never writes), so serving it twice is safe.
- A POST is never repeated by the server: its transaction failed and wrote nothing, or
  (a connection lost during its commit) may have written; only the person can tell
  whether to send it again. On a page behind a signed link (a rater's or coachee's
  form) what they sent comes back on the 503 page with a button that sends it again; a
  submit that had in fact arrived is then taken as already submitted (it is idempotent).
- The page renders without the database: no coach is loaded for the page's header.

Only errors that say the database could not be reached are answered so
(:func:`feedback.database.unreachable`); any other database error stays a 500.
"""

import contextlib
import logging
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app, g, render_template, request
from sqlalchemy import exc

from .. import database
from ..extensions import db

#: Seconds a browser or proxy is told to wait before trying again.
RETRY_AFTER = 5
#: Seconds between a read that found the database away and its one retry.
RETRY_PAUSE = 0.5
#: Methods that only read, and so are served a second time.
READ_ONLY = frozenset({"GET", "HEAD"})
#: Keys in the WSGI environ: this request found the database away; it was retried.
_AWAY = "feedback.database_away"
_RETRIED = "feedback.database_retried"
#: The view argument of pages behind a signed link, whose posts come back to be resent.
_LINK_ARG = "token"
log = logging.getLogger(__name__)


class RetryReadsOnce:
    """WSGI middleware: a GET or HEAD whose answer was "database away" is discarded and
    served once more, after :data:`RETRY_PAUSE` seconds; the second answer is final."""

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in READ_ONLY:
            return self.wsgi_app(environ, start_response)
        again = False

        def start_unless_retried(status, headers, exc_info=None):
            nonlocal again
            if environ.get(_AWAY) and not environ.get(_RETRIED):
                again = True  # this answer is dropped: nothing reaches the client yet
                return lambda _data: None
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, start_unless_retried)
        if not again:
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        environ.pop(_AWAY, None)
        environ[_RETRIED] = True
        time.sleep(RETRY_PAUSE)
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Answer requests that find the database away with a 503, and serve reads once
    more before giving that answer."""
    app.wsgi_app = RetryReadsOnce(app.wsgi_app)
    for error in (exc.DBAPIError, exc.DisconnectionError, exc.TimeoutError):
        app.register_error_handler(error, _database_away)


def _database_away(error: Exception):
    """A 503 when ``error`` says the database cannot be reached; any other database
    error is raised again, to be the 500 it is."""
    if not database.unreachable(error):
        raise error
    with contextlib.suppress(exc.SQLAlchemyError):  # a lost connection has nothing to undo
        db.session.rollback()
    environ = request.environ
    environ[_AWAY] = True
    if request.method in READ_ONLY and not environ.get(_RETRIED):
        log.info("the database is away; %s %s tried again", request.method, request.path)
        return Response(status=503)  # never sent: RetryReadsOnce serves the read again
    log.warning(
        "the database is away: %s %s answered 503 (%s)",
        request.method,
        request.path,
        database.describe(error),
    )
    # The page's header would load the signed-in coach from the database: show it as
    # to a visitor instead.
    g._login_user = current_app.login_manager.anonymous_user()
    fields = None
    if request.method == "POST" and _LINK_ARG in (request.view_args or {}):
        fields = [
            (name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"
        ]
    page = render_template(
        "errors/unavailable.html",
        read_only=request.method in READ_ONLY,
        fields=fields,
        action=request.path,
        retry_after=RETRY_AFTER,
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER)}
