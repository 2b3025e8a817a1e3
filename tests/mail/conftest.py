"""SMTP servers for the mail tests, all on 127.0.0.1 and a free port.

- `smtp_server`: a real aiosmtpd server whose replies can be scripted.
- `smtp_server_auth`: the same, requiring AUTH LOGIN as `.username` / `.password`.
- `smtp_server_starttls`, `smtp_server_ssl`: the same behind STARTTLS or implicit
  TLS, with a throw-away self-signed certificate (skipped without `openssl`).
- `silent_smtp_server`: accepts connections and never says a word.
- `refusing_port`: a port that refuses connections (bound, never listening).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"
SCRIPTABLE = ("MAIL", "RCPT", "DATA")


class ReceivedMessage(EmailMessage):
    """A message the test server accepted, parsed, with its SMTP envelope."""

    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()
    connection: int = 0  #: which connection (1, 2, ...) carried it
    raw: bytes = b""  #: exactly the bytes received after DATA


class ScriptedHandler:
    """aiosmtpd handler that stores what it accepts and answers as a test tells it.

    Hooks are called on the server's event-loop thread while tests run on the main
    thread, so every piece of shared state sits behind one lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.connections = 0
        self.logins: list[str] = []
        self._replies: dict[str, deque[str]] = {command: deque() for command in SCRIPTABLE}
        self._drops: dict[str, int] = dict.fromkeys(SCRIPTABLE, 0)
        self._rejected: dict[str, str] = {}
        self._stalls: dict[str, deque[float]] = {command: deque() for command in SCRIPTABLE}
        self._close_after_data = 0

    # -- scripting, called from tests
    def reply_next(self, reply: str, command: str = "DATA") -> None:
        """Answer the next `command` (MAIL, RCPT or DATA) with `reply`, once."""
        with self._lock:
            self._replies[command.upper()].append(reply)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        """Answer every RCPT TO for `address` with `reply`."""
        with self._lock:
            self._rejected[address.lower()] = reply

    def drop_next(self, command: str = "DATA") -> None:
        """Close the connection instead of answering the next `command`, once."""
        with self._lock:
            self._drops[command.upper()] += 1

    def close_after_next_data(self) -> None:
        """Accept the next message, answer 250, then close the connection at once."""
        with self._lock:
            self._close_after_data += 1

    def stall_next(self, seconds: float, command: str = "DATA") -> None:
        """Wait `seconds` before handling the next `command`, once."""
        with self._lock:
            self._stalls[command.upper()].append(seconds)

    # -- bookkeeping
    def count_connection(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def reset_counts(self) -> None:
        with self._lock:
            self.connections = 0

    async def _scripted(self, server: SMTP, command: str) -> str | None:
        with self._lock:
            stall = self._stalls[command].popleft() if self._stalls[command] else 0.0
        if stall:
            await asyncio.sleep(stall)
        with self._lock:
            if self._drops[command]:
                self._drops[command] -= 1
                assert server.transport is not None
                server.transport.close()  # what is pushed after this is dropped
                return "421 4.4.2 (never seen: connection already closed)"
            if self._replies[command]:
                return self._replies[command].popleft()
        return None

    # -- aiosmtpd hooks
    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if scripted := await self._scripted(server, "MAIL"):
            return scripted
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if scripted := await self._scripted(server, "RCPT"):
            return scripted
        with self._lock:
            rejected = self._rejected.get(address.lower())
        if rejected:
            return rejected
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if scripted := await self._scripted(server, "DATA"):
            return scripted
        raw = envelope.original_content or b""
        msg = BytesParser(_class=ReceivedMessage, policy=policy.default).parsebytes(raw)
        assert isinstance(msg, ReceivedMessage)
        msg.envelope_from = envelope.mail_from or ""
        msg.envelope_to = tuple(envelope.rcpt_tos)
        msg.connection = getattr(server, "connection_number", 0)
        msg.raw = raw
        with self._lock:
            self.messages.append(msg)
            close = self._close_after_data > 0
            if close:
                self._close_after_data -= 1
        if close:
            assert server.transport is not None
            server.loop.call_soon(server.transport.close)  # after the 250 is written
        return "250 2.0.0 Message accepted"


class _CountingController(Controller):
    """Controller on an ephemeral port that numbers every connection it accepts."""

    handler: ScriptedHandler

    def factory(self) -> SMTP:
        server = super().factory()
        server.connection_number = self.handler.count_connection()  # type: ignore[attr-defined]
        return server

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # we asked for port 0
        super()._trigger_server()


@dataclass
class SmtpServer:
    """A running test server: where it listens, what it received, how to script it."""

    host: str
    port: int
    handler: ScriptedHandler
    username: str | None = None
    password: str | None = None
    cafile: Path | None = None  #: the certificate to trust, for TLS servers

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self.handler.messages

    @property
    def connections(self) -> int:
        """Connections accepted so far (the server's own start-up probe excluded)."""
        return self.handler.connections

    def reply_next(self, reply: str, command: str = "DATA") -> None:
        self.handler.reply_next(reply, command)

    def reject_recipient(self, address: str, reply: str = "550 5.1.1 No such user") -> None:
        self.handler.reject_recipient(address, reply)

    def drop_next(self, command: str = "DATA") -> None:
        self.handler.drop_next(command)

    def close_after_next_data(self) -> None:
        self.handler.close_after_next_data()

    def stall_next(self, seconds: float, command: str = "DATA") -> None:
        self.handler.stall_next(seconds, command)

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's certificate (TLS servers only)."""
        assert self.cafile is not None, "not a TLS server"
        return ssl.create_default_context(cafile=str(self.cafile))


def _start(**smtp_parameters: Any) -> tuple[_CountingController, ScriptedHandler]:
    handler = ScriptedHandler()
    controller = _CountingController(
        handler, hostname=HOST, port=0, ready_timeout=5.0, **smtp_parameters
    )
    controller.start()
    handler.reset_counts()  # forget the controller's own start-up probe
    return controller, handler


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server that accepts everything unless scripted otherwise."""
    controller, handler = _start()
    try:
        yield SmtpServer(HOST, controller.port, handler)
    finally:
        controller.stop()


AUTH_USERNAME = "mirror360-mailer"
AUTH_PASSWORD = "correct horse battery staple"


def _authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == AUTH_USERNAME.encode()
        and auth_data.password == AUTH_PASSWORD.encode()
    )
    if ok:
        server.event_handler.logins.append(AUTH_USERNAME)
    return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 535 on failure


@pytest.fixture
def smtp_server_auth() -> Iterator[SmtpServer]:
    """A server that refuses mail until the client logs in with AUTH LOGIN."""
    controller, handler = _start(
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["PLAIN"],
    )
    try:
        yield SmtpServer(HOST, controller.port, handler, AUTH_USERNAME, AUTH_PASSWORD)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, valid for a day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments, the tool found on PATH
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp_server_starttls(tls_certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A server that insists on STARTTLS before anything else."""
    controller, handler = _start(
        tls_context=_server_context(tls_certificate), require_starttls=True
    )
    try:
        yield SmtpServer(HOST, controller.port, handler, cafile=tls_certificate[0])
    finally:
        controller.stop()


@pytest.fixture
def smtp_server_ssl(tls_certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    """A server that speaks TLS from the first byte (SMTPS)."""
    controller, handler = _start(ssl_context=_server_context(tls_certificate))
    try:
        yield SmtpServer(HOST, controller.port, handler, cafile=tls_certificate[0])
    finally:
        controller.stop()


class SilentServer:
    """Accepts TCP connections on a thread and never sends a byte."""

    def __init__(self) -> None:
        self.host = HOST
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-smtp", daemon=True)
        self._thread.start()

    @property
    def connections(self) -> int:
        return len(self._accepted)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._accepted.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for connection in self._accepted:
            connection.close()


@pytest.fixture
def silent_smtp_server() -> Iterator[SilentServer]:
    """A server that accepts the connection and then never answers."""
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 where connections are refused: bound, but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as reserved:
        reserved.bind((HOST, 0))
        yield reserved.getsockname()[1]


# --------------------------------------------------------------------------- app-level


@pytest.fixture
def fresh_app(make_app) -> Iterator[Any]:
    """Build apps on a freshly created schema: ``fresh_app(**settings)``. Stops any
    background sender and disposes of the engines afterwards."""
    from sqlalchemy import MetaData

    from feedback.extensions import db
    from feedback.mail import background

    apps: list[Any] = []

    def make(**overrides: Any) -> Any:
        app = make_app(**overrides)
        with app.app_context():
            metadata = MetaData()
            metadata.reflect(bind=db.engine)
            metadata.drop_all(bind=db.engine)
            db.create_all()
        apps.append(app)
        return app

    yield make
    for app in apps:
        background.stop(app, timeout=15)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def smtp_app(fresh_app) -> Any:
    """``smtp_app(port, **settings)``: an app that sends to an SMTP server on 127.0.0.1."""

    def make(port: int, **overrides: Any) -> Any:
        settings = {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": HOST,
            "SMTP_PORT": port,
            "SMTP_TIMEOUT": 3.0,
        }
        settings.update(overrides)
        return fresh_app(**settings)

    return make


class Loop:
    """Drives an app the way people do: a coach signs in and starts a cycle, the coachee
    nominates raters through the portal form; plus read-outs of the database."""

    def __init__(self, app: Any) -> None:
        from support import TEST_PASSWORD, Browser, sign_in

        from feedback.accounts.services import create_coach
        from feedback.extensions import db

        self.app = app
        with app.app_context():
            create_coach(email="coach@example.com", name="Clara Coach", password=TEST_PASSWORD)
            db.session.commit()
        self.coach = Browser(app.test_client())
        sign_in(self.coach, "coach@example.com")
        self.visitor = Browser(app.test_client())

    def start_cycle(
        self, name: str = "Casey Doe", email: str = "casey@example.com", days: int = 14
    ) -> int:
        """Add a coachee and open a cycle through the coach's forms; the cycle id."""
        from datetime import timedelta

        from feedback.timeutil import today

        response = self.coach.submit("/coachees", {"name": name, "email": email}, page="/")
        assert response.status_code == 302, response.status_code
        closes_on = (today() + timedelta(days=days)).isoformat()
        response = self.coach.submit(
            response.headers["Location"], {"closes_on": closes_on, "boss_exempt": "y"}
        )
        assert response.status_code == 302, response.text
        return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    def portal(self, cycle_id: int) -> str:
        """The coachee's current portal link (as the email carries it)."""
        from feedback.coaching.models import Cycle
        from feedback.coaching.services import portal_url
        from feedback.extensions import db

        with self.app.app_context():
            return portal_url(db.session.get(Cycle, cycle_id))

    def nominate(self, portal: str, lines: str, **kwargs: Any) -> Any:
        """Post the portal's nomination form."""
        return self.visitor.submit(f"{portal}raters", {"raters": lines}, **kwargs)

    def invites(self, cycle_id: int) -> dict[str, str]:
        """email -> invite state."""
        from sqlalchemy import select

        from feedback.extensions import db
        from feedback.raters.models import Invite

        with self.app.app_context():
            rows = db.session.scalars(select(Invite).where(Invite.cycle_id == cycle_id))
            return {invite.email: str(invite.state) for invite in rows}

    def outbox(self) -> list[dict[str, Any]]:
        """Every outbox row as a dict, oldest first."""
        from sqlalchemy import select

        from feedback.extensions import db
        from feedback.mail.models import OutboxMessage

        with self.app.app_context():
            rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "to": m.to_address,
                    "state": str(m.state),
                    "attempts": m.attempts,
                    "next_attempt_at": m.next_attempt_at,
                    "last_error": m.last_error,
                }
                for m in rows
            ]

    def make_due(self) -> None:
        """Let every queued message be tried again now (skip the backoff wait)."""
        from datetime import timedelta

        from sqlalchemy import update

        from feedback.extensions import db
        from feedback.mail.models import MessageState, OutboxMessage
        from feedback.timeutil import utcnow

        with self.app.app_context():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == MessageState.QUEUED)
                .values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            db.session.commit()


@pytest.fixture
def loop_for() -> Any:
    """``loop_for(app)``: a `Loop` with a coach account on ``app``."""
    return Loop
