"""Fixtures: an app on a fresh database per test (SQLite, or PostgreSQL when
FEEDBACK_TEST_DATABASE_URL is set), its client and CLI runner, and helpers that drive
the real forms with CSRF on, as in production."""

import email
import email.policy
import os
import re
import smtplib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from feedback import create_app
from feedback.extensions import db
from feedback.timeutil import today

TEST_PASSWORD = "correct horse battery"
LINK = re.compile(r"https?://[^\s<>\"']+")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(autouse=True)
def _no_mail_to_the_outside(monkeypatch):
    """Fail any SMTP connection to a host other than this machine."""
    original = smtplib.SMTP.connect

    def guarded(self, host="localhost", port=0, source_address=None):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"a test tried to send mail to {host}")
        return original(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


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
    """Build an app with the test settings plus ``overrides``."""

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
        return create_app(settings, instance_path=str(tmp_path / "instance"))

    return make


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


class Mailbox:
    """The .eml files the file transport wrote, parsed."""

    def __init__(self, folder: Path):
        self.folder = folder

    def messages(self) -> list[email.message.EmailMessage]:
        if not self.folder.is_dir():
            return []
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def link_for(self, address: str) -> str:
        """The first link in the newest message to ``address``."""
        messages = self.to(address)
        assert messages, f"no mail to {address}"
        text = messages[-1].get_body(preferencelist=("plain",)).get_content()
        return LINK.search(text).group(0)


@pytest.fixture
def mailbox(app) -> Mailbox:
    return Mailbox(Path(app.config["MAIL_FILE_DIR"]))


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Browser:
    """Drives the real forms: reads the CSRF token from the page, then posts. Responses
    are read to the end and closed, as a server does, which is when queued mail leaves."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kwargs):
        return self.client.get(url, buffered=True, **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, buffered=True, **kwargs)

    def submit(self, url: str, data: dict, *, page: str | None = None, **kwargs):
        """GET ``page`` (default ``url``), then POST ``data`` with its CSRF token."""
        form_page = self.get(page or url)
        assert form_page.status_code == 200, form_page.status_code
        return self.post(url, data={"csrf_token": csrf_token(form_page.text), **data}, **kwargs)


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


def sign_in(browser: Browser, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form."""
    response = browser.submit("/login", {"email": email, "password": password})
    assert response.status_code == 302, response.text


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
        new_cycle, {"closes_on": closes_on, "welcome_note": "Let us learn.", "boss_exempt": "y"}
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return {"cycle_id": cycle_id, "portal": mailbox.link_for("casey@example.com")}
