"""Fixtures for the browser tests: the real app served over HTTP on 127.0.0.1, a real
SMTP server (aiosmtpd) catching its mail, and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium the tests are skipped, unless the CI variable is set: there
a missing browser fails the run."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from flask import got_request_exception
from sqlalchemy import MetaData
from werkzeug.serving import WSGIRequestHandler, make_server

from feedback.extensions import db

HOST = "127.0.0.1"
SCREENSHOTS = Path(__file__).parent / "screenshots"
COACH_EMAIL = "coach@example.com"
COACH_PASSWORD = "correct horse battery"
MAIL_WAIT_SECONDS = 10.0


# ---------------------------------------------------------------- mail


class Collector:
    """aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[tuple[tuple[str, ...], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self._lock:
            self._messages.append((tuple(r.lower() for r in envelope.rcpt_tos), message))
        return "250 2.0.0 Message accepted"

    def messages(self) -> list[tuple[tuple[str, ...], EmailMessage]]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, address: str, count: int = 1, timeout: float = MAIL_WAIT_SECONDS):
        """The messages to ``address`` once there are ``count`` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for rcpt, m in self.messages() if address.lower() in rcpt]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                got = sorted({r for rcpt, _ in self.messages() for r in rcpt})
                raise AssertionError(
                    f"no mail to {address} within {timeout:.0f}s; mail went to {got}"
                )
            time.sleep(0.1)


class _Controller(Controller):
    """Controller on port 0 that learns the port the system gave it."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    controller = _Controller(collector, hostname=HOST, port=0, ready_timeout=10.0)
    controller.start()
    try:
        yield collector, controller.port
    finally:
        controller.stop()


# ---------------------------------------------------------------- the app, served


class _ResetTolerantInput:
    """The socket's read side, where a reset by the client reads as the end of data."""

    def __init__(self, raw) -> None:
        self._raw = raw

    def read(self, *args):
        try:
            return self._raw.read(*args)
        except ConnectionResetError:
            return b""

    def __getattr__(self, name):
        return getattr(self._raw, name)


class _RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, closing every response as production servers do.

    After a response, werkzeug's development server drains the socket and only then
    calls the response's close(), which is where the app sends the mail a request
    queued. Chromium resets the connection once it has read a redirect, the drain
    raises ConnectionResetError and close() is skipped, so that mail would stay queued
    (werkzeug 3.1, serving.py, ``execute``). Reading a reset as the end of data lets
    close() run, as it does under gunicorn.
    """

    def setup(self) -> None:
        super().setup()
        self.rfile = _ResetTolerantInput(self.rfile)


@dataclass
class LiveServer:
    url: str
    app: object
    mail: Collector
    coach_email: str = COACH_EMAIL
    coach_password: str = COACH_PASSWORD
    errors: list[BaseException] = field(default_factory=list)

    def outbox(self) -> list[str]:
        """What the app's outbox holds, for a message when mail does not arrive."""
        from feedback.mail.models import OutboxMessage

        with self.app.app_context():
            rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
            lines = [
                f"{m.id} {m.kind} to={m.to_address} state={m.state} attempts={m.attempts} "
                f"next={m.next_attempt_at} error={m.last_error}"
                for m in rows
            ]
            db.session.remove()
        return lines

    def link_in_mail(self, address: str, count: int = 1) -> str:
        """The link to this server in the newest message to ``address``."""
        try:
            message = self.mail.wait_for(address, count)[-1]
        except AssertionError as exc:
            outbox = "\n".join(self.outbox()) or "(empty)"
            raise AssertionError(f"{exc}\nthe outbox:\n{outbox}") from None
        text = message.get_body(preferencelist=("plain",)).get_content()
        links = [word for word in text.split() if word.startswith(self.url + "/")]
        assert links, f"no link to {self.url} in the mail to {address}:\n{text}"
        return links[0]


@pytest.fixture
def live_server(make_app, smtp) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 and a free port, with mail going to ``smtp`` and a
    coach account; on a fresh database (FEEDBACK_TEST_DATABASE_URL or SQLite)."""
    collector, smtp_port = smtp
    holder: dict[str, Callable] = {}

    def dispatch(environ, start_response):
        return holder["app"](environ, start_response)

    server = make_server(HOST, 0, dispatch, threaded=True, request_handler=_RequestHandler)
    url = f"http://{HOST}:{server.server_port}"
    app = make_app(
        TESTING=False,
        BASE_URL=url,
        MAIL_BACKEND="smtp",
        SMTP_HOST=HOST,
        SMTP_PORT=smtp_port,
        SMTP_STARTTLS=False,
        SMTP_SSL=False,
        SMTP_TIMEOUT=5.0,
        MAIL_SEND_AFTER_REQUEST=True,
    )
    live = LiveServer(url=url, app=app, mail=collector)

    def remember(_sender, exception, **_extra):
        live.errors.append(exception)

    got_request_exception.connect(remember, app)
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        db.create_all()
        from feedback.accounts.services import create_coach

        create_coach(email=COACH_EMAIL, name="Clara Coach", password=COACH_PASSWORD)
        db.session.commit()
        db.session.remove()
    holder["app"] = app

    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(remember, app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser(chromium):
    """The session's Chromium (tests/conftest.py), under the name these tests use."""
    return chromium


class Watch:
    """Every request and console error of the browser contexts of one test; any
    request for a host other than 127.0.0.1 is aborted and remembered."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.foreign: list[str] = []
        self.console_errors: list[str] = []

    def attach(self, context) -> None:
        def route(route):
            url = route.request.url
            self.requests.append(url)
            if urlsplit(url).hostname != HOST and not url.startswith(("data:", "blob:")):
                self.foreign.append(url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", route)
        context.on("request", lambda request: self._seen(request.url))
        context.on("page", self.attach_page)

    def _seen(self, url: str) -> None:
        if urlsplit(url).hostname != HOST and not url.startswith(("data:", "blob:")):
            self.foreign.append(url)

    def attach_page(self, page) -> None:
        def console(message):
            if message.type == "error":
                self.console_errors.append(f"{page.url}: {message.text}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: {error}"))


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_context(browser, watch):
    """Open a browser context (a person's own browser), watched; all closed at the end."""
    contexts = []

    def open_context(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        context.set_default_navigation_timeout(30_000)
        watch.attach(context)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def _screenshot_folder() -> Path:
    """tests/e2e/screenshots/ (git-ignored), emptied of the last run's pictures."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


@pytest.fixture
def screenshots(request, _screenshot_folder) -> Callable:
    """Save a full-page screenshot as screenshots/<test>-NN-<step>.png."""
    test = request.node.name.removeprefix("test_")
    counter = iter(range(1, 100))

    def shoot(page, step: str) -> Path:
        path = _screenshot_folder / f"{test}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot
