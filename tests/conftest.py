"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL when
FEEDBACK_TEST_DATABASE_URL is set), its client and CLI runner, and helpers that drive
the real forms with CSRF on, as in production."""

import ipaddress
import os
import smtplib
import socket
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from browser_support import demo_server  # noqa: F401  (the fixture, for every folder)
from sqlalchemy import MetaData
from support import NO_MINIMUMS, TEST_PASSWORD, Browser, Mailbox, sign_in

from feedback import create_app
from feedback.extensions import db
from feedback.mail import background
from feedback.timeutil import today
from feedback.webhooks import addresses as webhook_addresses


@pytest.fixture(autouse=True)
def _no_mail_to_the_outside(monkeypatch):
    """Fail any SMTP connection to a host other than this machine."""
    original = smtplib.SMTP.connect

    def guarded(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"a test tried to send mail to {host}")
        return original(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


class FakeDNS:
    """A resolver for tests: names map to addresses in ``records`` (the example
    domains to a public address, localhost to loopback); any other name is not found.
    No test looks a name up on the internet."""

    PUBLIC = "93.184.215.14"

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {"localhost": ["127.0.0.1"]}
        self.asked: list[str] = []

    def __call__(self, host: str, _port: int) -> list:
        self.asked.append(host)
        host = host.lower().rstrip(".")
        if host in self.records:
            found = self.records[host]
        elif host.rpartition(".")[0] and host.endswith(("example.com", "example.org")):
            found = [self.PUBLIC]
        else:
            raise OSError(f"test resolver: no such host {host}")
        return [ipaddress.ip_address(address) for address in found]


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDNS:
    """The webhooks' resolver in every test (:class:`FakeDNS`), and a guard that fails
    any TCP connection a test opens to a host other than this machine."""
    fake = FakeDNS()
    monkeypatch.setattr(webhook_addresses, "resolve", fake)
    original = socket.create_connection

    def guarded(address, *args, **kwargs):
        host = str(address[0]).strip("[]")
        try:
            local = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = False
        if not local:
            raise AssertionError(f"a test tried to connect to {host}")
        return original(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return fake


def _wipe(engine) -> None:
    """Drop everything in the database, including Alembic's version table."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


@pytest.fixture
def database_url(tmp_path) -> str:
    """PostgreSQL when configured (wiped before each test), else a new SQLite file."""
    return os.environ.get("FEEDBACK_TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path / 'test.sqlite3'}"
    )


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build an app with the test settings plus ``overrides``. Each app's background
    mail round is stopped when the test ends: an app kept alive by a reference cycle
    would otherwise go on claiming and sending the next tests' mail from the PostgreSQL
    database they all share."""
    made = []

    def make(**overrides):
        settings = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key-of-reasonable-length",
            "BASE_URL": "http://localhost",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
        settings.update(overrides)
        made.append(create_app(settings, instance_path=str(tmp_path / "instance")))
        return made[-1]

    yield make
    for app in made:
        background.stop(app, timeout=15)


@pytest.fixture
def empty_app(make_app):
    """An app on an empty database (no tables), for tests of migrations and the demo."""
    app = make_app()
    with app.app_context():
        _wipe(db.engine)
        db.engine.dispose()
    return app


@pytest.fixture
def app(make_app):
    """The app on an empty, freshly created schema."""
    app = make_app()
    with app.app_context():
        _wipe(db.engine)
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def mailbox(app) -> Mailbox:
    return Mailbox(Path(app.config["MAIL_FILE_DIR"]))


@pytest.fixture
def browser(client) -> Browser:
    """Anonymous visitor (coachee or rater) using the forms."""
    return Browser(client)


@pytest.fixture
def coach(app):
    """A coach account in the database (email coach@example.com)."""
    from feedback.accounts.services import create_coach

    with app.app_context():
        created = create_coach(
            email="coach@example.com", name="Clara Coach", password=TEST_PASSWORD
        )
        db.session.commit()
        return created.id


@pytest.fixture
def coach_browser(app, coach) -> Browser:
    """A separate browser signed in as the coach (coach@example.com)."""
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com")
    return browser


@pytest.fixture
def open_cycle(coach_browser, mailbox):
    """A coachee (Casey Doe) and an open cycle started through the coach's forms; returns
    the cycle id and the portal link from the coachee's email."""
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    assert response.status_code == 302
    new_cycle = response.headers["Location"]
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        new_cycle,
        {
            "closes_on": closes_on,
            "welcome_note": "Let us learn.",
            "boss_exempt": "y",
            # A small team: no minimum number of raters (tests/cycles/test_nominations.py
            # covers the minimums), so the tests' few raters close without a warning.
            **NO_MINIMUMS,
        },
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return {"cycle_id": cycle_id, "portal": mailbox.link_for("casey@example.com")}


CHROMIUM = Path("/usr/bin/chromium")
#: Headless, sandbox off (CI runs as root), and none of the background traffic with
#: which Chromium tries to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


def in_ci() -> bool:
    """Whether the CI variable is set (browser tests must then run, not skip)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> None:
    """Skip locally; in CI a browser test that cannot run is a failure."""
    if in_ci():
        pytest.fail(f"CI is set, so the browser tests must run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright, one per test session (Playwright's sync
    API allows one running instance per thread)."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"Playwright for Python is not installed: {exc}")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
    except Exception as exc:
        playwright.stop()
        unavailable(f"Chromium did not start: {exc}")
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()


@pytest.fixture
def silent_port():
    """A port on 127.0.0.1 whose server accepts connections and never says a word
    (a stalled mail or database server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for connection in accepted:
        connection.close()
    listener.close()
