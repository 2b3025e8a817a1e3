"""A health check never waits on mail (issue 14): with gunicorn's sync workers a worker that
sends a request's mail while the SMTP server stalls used to answer ``/healthz`` only
after the mail timeout (8.4 s in the review).

The app is served by a single-threaded server, as a sync worker serves it; the mail
server accepts connections and never says a word.
"""

import threading
import time
import urllib.parse
from urllib.request import urlopen

import pytest
from http_support import Tab
from werkzeug.serving import make_server

SMTP_TIMEOUT = 3


@pytest.fixture
def one_worker(app):
    """``app`` served by one thread, one request after the other."""
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=30)
    server.server_close()


def test_healthz_answers_at_once_while_the_mail_server_stalls(
    app, open_cycle, silent_port, one_worker
):
    app.config.update(
        TESTING=False,  # as in production: nothing waits for the mail to leave
        MAIL_BACKEND="smtp",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=silent_port,
        SMTP_TIMEOUT=SMTP_TIMEOUT,
    )
    path = urllib.parse.urlsplit(open_cycle["portal"]).path.rstrip("/") + "/raters"
    tab = Tab(one_worker + path)
    status, _page = tab.post(["rita@example.com, boss, Rita"])  # queues an invitation
    assert status == 302
    started = time.monotonic()
    with urlopen(one_worker + "/healthz", timeout=30) as response:  # noqa: S310
        assert response.status == 200
    assert time.monotonic() - started < 1.0
