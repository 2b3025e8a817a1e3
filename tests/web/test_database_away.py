"""While the database restarts (issue 15, item 3): a 503 with ``Retry-After`` and a page
in the product's words, never a 500 or a traceback; a read is served once more, a post
never; pooled connections that a restart cut are replaced before use; the health check
says so at once. On SQLite and PostgreSQL: the database goes away (connections dropped
and refused, or the SQLite file's folder moved) and comes back, or one connection is cut
in the middle of a request.
"""

import html
import logging
import re
import threading

import pytest
from database_faults import postgres_url
from flask import Flask
from sqlalchemy import event, func, select
from support import csrf_token

from feedback import settings
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.ratings.models import Response
from feedback.vocabulary import InviteState
from feedback.web import unavailable

RESTARTING = "Mirror 360 is restarting; your answers are safe — try again in a moment"
ITEMS_PATTERN = re.compile(r'name="(item-[^"]+)"')


@pytest.fixture(autouse=True)
def _short_pause(monkeypatch):
    """The retry's pause, shortened: the tests count retries, they do not time them."""
    monkeypatch.setattr(unavailable, "RETRY_PAUSE", 0.05)


@pytest.fixture
def rater_link(open_cycle, browser, mailbox) -> str:
    """One peer invited through the portal; their link."""
    response = browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters", {"raters": "rita@example.com, peer, Rita"}
    )
    assert response.status_code == 302, response.text
    return mailbox.link_for("rita@example.com")


@pytest.fixture
def calls(app):
    """How often each view ran, by endpoint."""
    counted: dict[str, int] = {}

    def counting(endpoint, view):
        def run(*args, **kwargs):
            counted[endpoint] = counted.get(endpoint, 0) + 1
            return view(*args, **kwargs)

        return run

    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = counting(endpoint, view)
    return counted


def _answers(page: str) -> dict[str, str]:
    return dict.fromkeys(ITEMS_PATTERN.findall(page), "4")


def _responses(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Response))
        db.session.remove()
    return count


def _invite_state(app) -> InviteState:
    with app.app_context():
        state = db.session.scalar(select(Invite.state))
        db.session.remove()
    return state


def _assert_restarting_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(unavailable.RETRY_AFTER)
    assert response.headers["Cache-Control"] == "no-store"
    page = response.text
    assert RESTARTING in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_reads_while_the_database_is_away_get_a_503_page_and_work_when_it_is_back(
    app, outage, open_cycle, rater_link, browser, coach_browser, calls, caplog
):
    dashboard = f"/cycles/{open_cycle['cycle_id']}"
    with outage.away(), caplog.at_level(logging.INFO):
        for who, path in (
            (browser, rater_link),
            (browser, open_cycle["portal"]),
            (coach_browser, dashboard),  # its header would show the coach, from the database
        ):
            _assert_restarting_page(who.get(path))
        head = browser.client.head(rater_link)
        assert head.status_code == 503
        assert head.headers["Retry-After"] == str(unavailable.RETRY_AFTER)
    # Each read was served twice (once more after a pause), then answered 503.
    assert calls["raters.show_form"] == 2 + 2
    assert "Exception on" not in caplog.text  # a warning, not a 500's traceback
    assert "the database is away: GET /r/…/ answered 503" in caplog.text
    assert _token(rater_link) not in caplog.text

    page = browser.get(rater_link)
    assert page.status_code == 200
    assert 'name="action" value="submit"' in page.text
    assert coach_browser.get(dashboard).status_code == 200


def test_a_post_while_the_database_is_away_is_not_repeated_and_can_be_sent_again(
    app, outage, rater_link, browser, calls
):
    form = browser.get(rater_link)
    answers = {**_answers(form.text), "text-headline": "Calm & kind <b>."}
    assert answers
    with outage.away():
        response = browser.post(
            rater_link,
            data={"csrf_token": csrf_token(form.text), **answers, "action": "submit"},
        )
        _assert_restarting_page(response)
    assert calls["raters.show_form"] == 2  # the form's GET, then the POST once
    assert _responses(app) == 0
    assert _invite_state(app) is not InviteState.SUBMITTED
    # What was sent comes back on the page, unchanged, ready to be sent again.
    page = response.text
    assert 'value="Calm &amp; kind &lt;b&gt;."' in page
    sent_again = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert sent_again.pop("action") == "submit"
    assert set(sent_again) == {"csrf_token", *answers}

    # Back: the button sends it, and it is taken once.
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)
    data = {name: html.unescape(value) for name, value in fields}
    again = browser.post(rater_link, data=data)
    assert again.status_code == 302
    assert _responses(app) == 1
    assert _invite_state(app) is InviteState.SUBMITTED


def _cut_once(app, outage, table: str):
    """Cut the app's connection the first time a statement reads ``table``."""
    cut: list[str] = []

    def before(conn, _cursor, statement, *_args):
        if not cut and table in statement:
            cut.append(statement)
            outage.cut(conn.connection.dbapi_connection)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    return cut


def test_a_read_whose_connection_is_cut_mid_request_is_served_again(
    app, outage, rater_link, browser, calls
):
    cut = _cut_once(app, outage, "invites")
    page = browser.get(rater_link)
    assert cut, "the connection was not cut"
    assert page.status_code == 200
    assert 'name="action" value="submit"' in page.text
    assert calls["raters.show_form"] == 2  # cut, then served again


def test_a_post_whose_connection_is_cut_is_a_503_and_not_repeated(
    app, outage, rater_link, browser, calls
):
    form = browser.get(rater_link)
    cut = _cut_once(app, outage, "invites")
    response = browser.post(
        rater_link,
        data={"csrf_token": csrf_token(form.text), **_answers(form.text), "action": "submit"},
    )
    assert cut
    _assert_restarting_page(response)
    assert calls["raters.show_form"] == 2
    assert _responses(app) == 0


def test_a_statement_that_fails_is_still_a_500_not_a_restart(app, rater_link, browser):
    """Only errors of reaching the database are a 503: a broken statement is a bug."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    renamed = "invites_renamed_by_the_test"

    def rename(old: str, new: str) -> None:
        with app.app_context():
            db.session.execute(db.text(f"ALTER TABLE {old} RENAME TO {new}"))
            db.session.commit()
            db.session.remove()

    rename("invites", renamed)
    try:
        response = browser.get(rater_link)
    finally:
        rename(renamed, "invites")
    assert response.status_code == 500
    assert RESTARTING not in response.text
    assert browser.get(rater_link).status_code == 200


@pytest.mark.skipif(not postgres_url(), reason="PostgreSQL only (FEEDBACK_TEST_DATABASE_URL)")
def test_pooled_connections_cut_by_a_restart_are_replaced_before_use(
    app, outage, rater_link, browser, calls
):
    assert browser.get(rater_link).status_code == 200  # the pool holds a connection now
    assert outage.admin.drop_connections() >= 1
    page = browser.get(rater_link)
    assert page.status_code == 200
    # Checked before use (pool_pre_ping): the view ran once, no retry was needed.
    assert calls["raters.show_form"] == 2


def test_healthz_says_the_database_is_away_and_then_back(app, outage, client):
    assert client.get("/healthz").status_code == 200
    with outage.away():
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json == {"status": "unavailable"}
        assert response.headers["Retry-After"] == str(unavailable.RETRY_AFTER)
    assert client.get("/healthz").json == {"status": "ok"}


def test_healthz_does_not_wait_on_a_lock_held_on_the_outbox(app, rater_link, client):
    """A mail sender holding the outbox (rows claimed, the write lock on SQLite) does not
    hold up the health check."""
    with app.app_context():
        engine = db.engine
    with engine.connect() as other:
        if engine.dialect.name == "postgresql":
            other.exec_driver_sql("LOCK TABLE outbox_messages IN ACCESS EXCLUSIVE MODE")
        else:
            other.exec_driver_sql("BEGIN IMMEDIATE")
            other.exec_driver_sql("DELETE FROM outbox_messages")
        try:
            response = client.get("/healthz")
        finally:
            other.rollback()
    assert response.status_code == 200


def test_healthz_gives_up_on_a_database_server_that_never_answers(make_app, silent_port):
    pytest.importorskip("psycopg")
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://user:pw@127.0.0.1:{silent_port}/db"
    )
    result: list = []
    thread = threading.Thread(target=lambda: result.append(app.test_client().get("/healthz")))
    thread.start()
    # Without a connect timeout the probe would wait for the server for ever.
    thread.join(timeout=30)
    assert not thread.is_alive(), "the health check was still waiting after 30 s"
    assert result[0].status_code == 503


@pytest.fixture
def pings(app, monkeypatch) -> list:
    """Every ``SELECT 1`` that the pool sends to check a connection before lending it."""
    sent: list = []
    with app.app_context():
        dialect = db.engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection):
        sent.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def _server_process(app) -> int | None:
    """The PostgreSQL server process of the connection a request would be lent."""
    with app.app_context(), db.engine.connect() as connection:
        return connection.scalar(select(func.pg_backend_pid()))


def test_pooled_connections_are_checked_without_a_query(app, rater_link, browser, pings):
    """On PostgreSQL (psycopg) a pooled connection is checked by a look at its socket,
    not with a round trip to the server; a SQLite file has no connection to cut, and no
    check either."""
    for _ in range(3):
        assert browser.get(rater_link).status_code == 200
    assert pings == []


@pytest.mark.skipif(not postgres_url(), reason="PostgreSQL only (FEEDBACK_TEST_DATABASE_URL)")
def test_a_pooled_connection_the_server_kept_open_is_lent_again(app, rater_link, browser):
    """The check lets a live connection through: the requests share one server process
    instead of connecting anew each time."""
    assert browser.get(rater_link).status_code == 200
    first = _server_process(app)
    for _ in range(3):
        assert browser.get(rater_link).status_code == 200
    assert _server_process(app) == first


def test_other_drivers_of_a_server_are_checked_with_a_query(tmp_path):
    """Where the driver's socket cannot be looked at, SQLAlchemy's ``SELECT 1`` checks
    each pooled connection; psycopg's and SQLite's need none."""
    for url, pinged in (
        (f"sqlite:///{tmp_path / 'checked.sqlite3'}", False),
        ("postgresql+psycopg://user:pw@127.0.0.1:1/db", False),
        ("postgresql+pg8000://user:pw@127.0.0.1:1/db", True),
    ):
        app = Flask(__name__, instance_path=str(tmp_path))
        app.config.update(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="test")
        settings.init_app(app)  # the engine options, without making the engine
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping", False) is pinged, url
