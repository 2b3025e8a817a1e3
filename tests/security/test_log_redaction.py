"""No working link, SQL parameter or address in any log (issue 14, item 3).

Each test writes through a real logging path and reads what a handler wrote: Flask's
"Exception on …" line for a 500 on a link route, a database error with its
parameters, werkzeug's access log for a token whose first character is
percent-encoded, and gunicorn's error and access loggers, which keep handlers of
their own and do not propagate to the root logger.
"""

import io
import logging
from urllib.request import urlopen

import pytest
from sqlalchemy import text
from support import csrf_token

from feedback.extensions import db
from feedback.raters import services as raters
from feedback.raters.models import Invite


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def logged_500s(app):
    """The app as in production: an unhandled error is a 500 page and a log line."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _post_form(browser, link: str):
    page = browser.get(link)
    assert page.status_code == 200
    return browser.post(link, data={"csrf_token": csrf_token(page.text), "action": "decline"})


def test_a_500_on_a_rater_link_logs_neither_the_token_nor_the_address(
    logged_500s, rater_link, browser, monkeypatch, caplog
):
    token = _token(rater_link)

    def broken(invite):
        raise RuntimeError(f"could not decline {invite.email} at /r/{token}/ ({token})")

    monkeypatch.setattr(raters, "decline", broken)
    with caplog.at_level(logging.ERROR):
        response = _post_form(browser, rater_link)
    assert response.status_code == 500
    assert "Exception on /r/…/ [POST]" in caplog.text
    assert "RuntimeError: could not decline …@example.com at /r/…/ (…)" in caplog.text
    assert token not in caplog.text
    assert token[:20] not in caplog.text
    assert "rita@example.com" not in caplog.text


def test_a_database_error_logs_no_sql_parameters(
    logged_500s, rater_link, browser, monkeypatch, caplog
):
    with logged_500s.app_context():
        link_key = db.session.scalar(db.select(Invite.link_key))

    def broken(invite):
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE key = :key"), {"key": invite.link_key}
        )

    monkeypatch.setattr(raters, "decline", broken)
    with caplog.at_level(logging.ERROR):
        response = _post_form(browser, rater_link)
    assert response.status_code == 500
    assert "no_such_table" in caplog.text
    assert link_key not in caplog.text
    assert "parameters hidden" in caplog.text


def test_the_access_log_hides_a_percent_encoded_token(app, open_cycle, serve, caplog):
    token = _token(open_cycle["portal"])
    assert token[0] == "I"
    served = serve(app)
    encoded = f"{served.url}/p/%49{token[1:]}/"
    with caplog.at_level(logging.INFO, logger="werkzeug"), urlopen(encoded, timeout=10) as response:  # noqa: S310
        assert response.status == 200  # the encoded link works
    assert "GET /p/…/ HTTP" in caplog.text
    assert token[1:21] not in caplog.text


def _own_handler(name: str) -> tuple[logging.Logger, io.StringIO]:
    """A logger set up as gunicorn sets up its own: a handler, no propagation."""
    logger = logging.getLogger(name)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


@pytest.fixture
def gunicorn_loggers():
    made = {name: _own_handler(name) for name in ("gunicorn.error", "gunicorn.access")}
    yield made
    for logger, _stream in made.values():
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_gunicorn_logs_hold_no_token(app, open_cycle, gunicorn_loggers):
    token = _token(open_cycle["portal"])
    error_log, errors = gunicorn_loggers["gunicorn.error"]
    access_log, access = gunicorn_loggers["gunicorn.access"]
    # What gunicorn writes at debug level, on a worker error and for each request.
    error_log.debug("GET /p/%s/self", token)
    try:
        raise ValueError(f"bad request line /r/{token}")
    except ValueError:
        error_log.exception("Error handling request /p/%s/", token)
    access_log.info(
        '%(h)s "%(r)s" %(s)s',
        {"h": "127.0.0.1", "r": f"GET /p/%49{token[1:]}/ HTTP/1.1", "s": "200"},
    )
    written = errors.getvalue() + access.getvalue()
    assert "GET /p/…/self" in written
    assert "Error handling request /p/…/" in written
    assert "ValueError: bad request line /r/…" in written
    assert '"GET /p/…/ HTTP/1.1" 200' in written
    assert token[1:21] not in written
