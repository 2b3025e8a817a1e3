"""Transports: hand built messages to an SMTP server, to `.eml` files or to a list.

A transport never raises for a delivery problem; it answers every message with a
`DeliveryResult` that tells the outbox what to do next: forget it (sent), try again
later (retry) or give up and mark the invite bounced (failed). Results only ever
carry server replies and error descriptions, never message bodies.

A `DeliveryObserver` passed to ``send_batch`` hears, message by message, the moment
just before a message becomes the server's (``handing``: the end of its content is
about to go out; the observer may hold it back) and each result as soon as it is known
(``answered``), so the sender can record every outcome while the batch goes on.
"""

from __future__ import annotations

import copy
import enum
import io
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.utils import getaddresses
from pathlib import Path
from typing import Literal, Protocol, get_args

from ..settings import parse as parse_settings
from .message import normalize_address

__all__ = [
    "DeliveryObserver",
    "DeliveryResult",
    "DeliveryStatus",
    "FileTransport",
    "MemoryTransport",
    "SmtpTransport",
    "Transport",
    "message_envelope",
    "transport_from_settings",
]

log = logging.getLogger(__name__)

Security = Literal["none", "starttls", "ssl"]


class DeliveryStatus(enum.StrEnum):
    """What became of one message; compares equal to its plain string value."""

    SENT = "sent"  #: accepted by the server (or written); never send it again
    RETRY = "retry"  #: temporary trouble (4xx, connection, timeout); try again later
    FAILED = "failed"  #: permanent refusal (5xx) or an unusable message; give up


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The outcome for one message of a batch.

    `detail` is the server's reply prefixed with the SMTP stage (e.g.
    "RCPT TO: 550 5.1.1 No such user") or a short error description; `code` is
    the SMTP reply code when there was one. `maybe_delivered` marks a retry whose
    content went out in full and whose answer never came (the connection broke after
    the end of DATA): the server may have the message, so sending it again may
    deliver it twice.
    """

    status: DeliveryStatus
    detail: str
    code: int | None = None
    maybe_delivered: bool = False


class DeliveryObserver(Protocol):
    """Hears how a batch goes, message by message (indexes into the batch)."""

    def handing(self, index: int) -> bool:
        """Message ``index`` is about to become the server's: everything but the end of
        its content has gone out. Return False to hold it back: it is not sent (the
        connection is dropped, so the server discards it) and the batch stops."""
        ...

    def answered(self, index: int, result: DeliveryResult) -> None:
        """Message ``index`` has its result (called once per message, in order)."""
        ...


class Transport(Protocol):
    """Anything that can deliver a batch of messages."""

    def send_batch(
        self, messages: Sequence[EmailMessage], observer: DeliveryObserver | None = None
    ) -> list[DeliveryResult]:
        """Deliver `messages`; return one result per message, in the same order,
        telling `observer` (when given) as it goes."""
        ...


class _Results(list[DeliveryResult]):
    """A batch's results, each told to the observer as it is added."""

    def __init__(self, observer: DeliveryObserver | None) -> None:
        super().__init__()
        self.observer = observer

    def add(self, result: DeliveryResult) -> None:
        index = len(self)
        self.append(result)
        if self.observer is not None:
            self.observer.answered(index, result)

    def handing(self) -> bool:
        """Whether the next message may become the server's (ask the observer)."""
        if self.observer is None:
            return True
        try:
            return self.observer.handing(len(self))
        except Exception:  # an observer that cannot say yes says no
            log.exception("the delivery observer failed; the message is held back")
            return False


def message_envelope(msg: Message) -> tuple[str, list[str]]:
    """Return the SMTP envelope (sender, recipients) that a message's headers imply.

    The sender is the Sender header, else the single From address; recipients are
    To, Cc and Bcc, without duplicates (compared ignoring case). Every address goes through
    `normalize_address`, so a ValueError here means the message cannot be sent.
    """
    sender_header = "Sender" if "Sender" in msg else "From"
    senders = _header_addresses(msg, sender_header)
    if len(senders) != 1:
        raise ValueError(f"need exactly one {sender_header} address, found {len(senders)}")
    recipients: list[str] = []
    seen: set[str] = set()
    for name in ("To", "Cc", "Bcc"):
        for address in _header_addresses(msg, name):
            normalized = normalize_address(address)
            if normalized.lower() not in seen:
                seen.add(normalized.lower())
                recipients.append(normalized)
    if not recipients:
        raise ValueError("message has no recipients")
    return normalize_address(senders[0]), recipients


def _header_addresses(msg: Message, name: str) -> list[str]:
    addresses: list[str] = []
    for value in msg.get_all(name, []):
        parsed = getattr(value, "addresses", None)  # headerregistry.AddressHeader
        if parsed is not None:
            addresses.extend(address.addr_spec for address in parsed)
        else:
            addresses.extend(addr for _name, addr in getaddresses([str(value)]) if addr)
    return addresses


def _flatten(msg: Message, *, linesep: str) -> bytes:
    """Serialize a message as it travels, without any Bcc header."""
    if "Bcc" in msg or "Resent-Bcc" in msg:
        msg = _without_bcc(msg)
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=msg.policy).flatten(msg, linesep=linesep)
    return buffer.getvalue()


def _without_bcc(msg: Message) -> Message:
    stripped = copy.copy(msg)
    del stripped["Bcc"]
    del stripped["Resent-Bcc"]
    return stripped


def _message_id(msg: Message) -> str:
    return str(msg.get("Message-ID", "<no Message-ID>"))


# --------------------------------------------------------------------------- SMTP


# 5xx replies that mean "your client is set up wrong" (RFC 4954: authentication or
# encryption required), not "this recipient is wrong": never bounce an invite for them.
_CLIENT_SETUP_CODES = frozenset({530, 538})


def _status_for_code(code: int) -> DeliveryStatus:
    if 200 <= code < 300:
        return DeliveryStatus.SENT
    if code in _CLIENT_SETUP_CODES:
        return DeliveryStatus.RETRY
    if 500 <= code < 600:
        return DeliveryStatus.FAILED
    return DeliveryStatus.RETRY  # 4xx, and anything unexpected is worth another try


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return " ".join(text.split())


def _is_timeout(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(5):  # smtplib wraps socket errors; look a few links down the chain
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_reply_text(error.smtp_error)}"
    kind = "timeout" if _is_timeout(error) else type(error).__name__
    return f"{kind}: {error}" if str(error) else kind


def _decisive_refusal(refused: Mapping[str, tuple[int, bytes]]) -> tuple[int, bytes]:
    """The RCPT TO reply that decides a message smtplib gave up on: a 421 (the server is
    closing the connection), else a temporary refusal (the message is worth another
    try), else the first refusal."""

    def rank(reply: tuple[int, bytes]) -> int:
        code = reply[0]
        return 0 if code == 421 else 1 if _status_for_code(code) is DeliveryStatus.RETRY else 2

    return min(refused.values(), key=rank)  # the first of the best rank


class _HeldBack(Exception):
    """The observer held a message back before the end of its content went out."""


class _StageTracking:
    """Mixin for smtplib's SMTP classes: remembers how far `send_message` got.

    `stage` names the last of MAIL FROM, RCPT TO and DATA that was started and
    `end_of_data_sent` whether the final "." went out, so that a lost connection can be
    placed (only after the end of the content may the server have the message), and
    `data_reply` keeps the server's answer to the content. `before_end_of_data`, when
    set, is asked just before the final "." and may hold the message back (False).
    """

    stage = "MAIL FROM"
    end_of_data_sent = False
    data_reply: tuple[int, bytes] = (250, b"")
    before_end_of_data: Callable[[], bool] | None = None

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.stage = "MAIL FROM"
        return super().mail(sender, options)  # type: ignore[misc]

    def rcpt(self, recip: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.stage = "RCPT TO"
        return super().rcpt(recip, options)  # type: ignore[misc]

    def data(self, msg: bytes | str) -> tuple[int, bytes]:
        """smtplib's DATA, with the final "." sent on its own after asking
        `before_end_of_data`, so the server gets the message only once it says yes."""
        self.stage = "DATA"
        self.end_of_data_sent = False
        self.putcmd("data")  # type: ignore[attr-defined]
        code, reply = self.getreply()  # type: ignore[attr-defined]
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        content = msg if isinstance(msg, bytes) else _crlf(msg).encode("ascii")
        content = _DOT_AT_LINE_START.sub(b"..", content)
        if not content.endswith(b"\r\n"):
            content += b"\r\n"
        if self.before_end_of_data is None:
            self.end_of_data_sent = True
            self.send(content + b".\r\n")  # type: ignore[attr-defined]
        else:
            self.send(content)  # type: ignore[attr-defined]
            if not self.before_end_of_data():
                raise _HeldBack
            self.end_of_data_sent = True
            self.send(b".\r\n")  # type: ignore[attr-defined]
        self.data_reply = self.getreply()  # type: ignore[attr-defined]
        return self.data_reply


_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _crlf(text: str) -> str:
    return re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", text)


class _SMTP(_StageTracking, smtplib.SMTP):
    pass


class _SMTPSSL(_StageTracking, smtplib.SMTP_SSL):
    pass


_Connection = _SMTP | _SMTPSSL


class _ConnectionLost(Exception):
    """The connection broke (or the server closed it) in the middle of a message."""

    def __init__(
        self,
        detail: str,
        *,
        payload_sent: bool,
        timeout: bool = False,
        code: int | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.payload_sent = payload_sent  #: the server may have the message: never resend now
        self.timeout = timeout
        self.code = code
        self.maybe_delivered = maybe_delivered  #: no answer to the end of the content


class SmtpTransport:
    """Delivers batches over one SMTP connection, classifying every server reply.

    Each message goes out with smtplib's `send_message`, to the envelope that
    `message_envelope` finds in its headers. Per message: accepted after DATA → sent
    (even if QUIT or anything later fails, so a retry can never send it twice), also
    when some of its recipients were refused (the detail names them); a 4xx on MAIL,
    RCPT or DATA → retry; a 5xx → failed; when every recipient is refused, any
    temporary refusal makes it retry. After a refusal the session is RSET and the batch
    goes on. When the connection breaks (or the server answers 421) before the end of a
    message's content went out, that message goes on a new connection; once the content
    may have reached the server, it gets retry, marked `maybe_delivered` when no answer
    came at all. The final "." of each message goes out only after the observer's
    ``handing`` said yes; when it says no, the connection is dropped (the server
    discards the unfinished message) and the batch ends. A new connection is opened after one that
    answered at least one message, plus one spare; never after a timeout, which ends
    the batch so a stalled server costs about one `timeout`. Messages not attempted get
    retry. Connection-level trouble — refused, TLS or LOGIN errors — is always retry,
    and so are 530/538 ("authentication/encryption required"), so a configuration
    mistake never bounces invites.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        security: Security = "none",
        timeout: float = 10.0,
        local_hostname: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in get_args(Security):
            raise ValueError(f"security must be one of {get_args(Security)}, not {security!r}")
        if not 0 < port < 65536:
            raise ValueError(f"port out of range: {port}")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        self.host = host
        self.port = port
        self.username = username or None
        self.password = password
        self.security: Security = security
        self.timeout = float(timeout)
        self.local_hostname = local_hostname
        self.ssl_context = ssl_context

    def __repr__(self) -> str:
        user = f", username={self.username!r}" if self.username else ""
        return (
            f"SmtpTransport({self.host!r}, {self.port}, security={self.security!r}{user}, "
            f"timeout={self.timeout})"
        )

    def send_batch(
        self, messages: Sequence[EmailMessage], observer: DeliveryObserver | None = None
    ) -> list[DeliveryResult]:
        """Send `messages` in order over one connection; one result per message, each
        told to `observer` as soon as it is known."""
        results = _Results(observer)
        conn: _Connection | None = None
        connected_before = False
        progress = False  # whether the current connection has answered any message
        spare_reconnects = 1
        not_sent = "not attempted"
        index = 0
        try:
            while index < len(messages):
                msg = messages[index]
                try:
                    sender, recipients = message_envelope(msg)
                except ValueError as error:
                    results.add(DeliveryResult(DeliveryStatus.FAILED, f"unusable: {error}"))
                    index += 1
                    continue
                if conn is None:
                    # A connection that answered something earns a reconnect; one that
                    # answered nothing uses up the single spare one.
                    if connected_before and not progress:
                        if spare_reconnects == 0:
                            break
                        spare_reconnects -= 1
                    try:
                        conn = self._connect()
                    except OSError as error:  # includes every smtplib and ssl error
                        not_sent = f"connect to {self.host}:{self.port} failed: {_describe(error)}"
                        log.warning("SMTP %s", not_sent)
                        break
                    connected_before, progress = True, False
                conn.before_end_of_data = results.handing if observer is not None else None
                try:
                    result, usable = self._deliver(conn, msg, sender, recipients)
                except _HeldBack:
                    conn.close()  # never QUIT: mid-DATA it would be read as content
                    conn = None
                    not_sent = "held back before the end of DATA"
                    results.add(DeliveryResult(DeliveryStatus.RETRY, not_sent))
                    break
                except _ConnectionLost as lost:
                    log.warning("SMTP %s while sending %s", lost.detail, _message_id(msg))
                    conn.close()
                    conn = None
                    not_sent = lost.detail
                    if lost.payload_sent or lost.timeout:
                        results.add(
                            DeliveryResult(
                                DeliveryStatus.RETRY,
                                lost.detail,
                                lost.code,
                                maybe_delivered=lost.maybe_delivered,
                            )
                        )
                        index += 1
                    if lost.timeout:
                        break  # a stalled server would stall every further message too
                    continue  # nothing of this message was sent: it may go on a new connection
                except Exception:
                    log.exception("unexpected error while sending %s", _message_id(msg))
                    maybe = conn.end_of_data_sent
                    results.add(
                        DeliveryResult(
                            DeliveryStatus.RETRY, "unexpected error", maybe_delivered=maybe
                        )
                    )
                    not_sent = "batch stopped after an unexpected error"
                    break
                log.info("SMTP %s: %s (%s)", _message_id(msg), result.status, result.detail)
                results.add(result)
                index += 1
                progress = True
                if not usable:
                    not_sent = f"connection closed after {result.detail}"
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                self._quit(conn)
        for _ in messages[len(results) :]:
            results.add(DeliveryResult(DeliveryStatus.RETRY, not_sent))
        return list(results)

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> _Connection:
        conn: _Connection
        if self.security == "ssl":
            conn = _SMTPSSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname,
                timeout=self.timeout,
                context=self._context(),
            )
        else:
            conn = _SMTP(
                self.host, self.port, local_hostname=self.local_hostname, timeout=self.timeout
            )
        try:
            # The final "." of a message goes out in a write of its own: never wait
            # for the acknowledgement of the content before sending it.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                conn.starttls(context=self._context())
                conn.ehlo()
            if self.username is not None:
                conn.login(self.username, self.password or "")
        except BaseException:
            conn.close()
            raise
        return conn

    def _deliver(
        self, conn: _Connection, msg: EmailMessage, sender: str, recipients: list[str]
    ) -> tuple[DeliveryResult, bool]:
        """Send one message with `send_message` and turn smtplib's answer into a result.

        Returns the result and whether the connection can carry the next message;
        raises _ConnectionLost when the connection fails or the server closes it.
        """
        conn.stage = "MAIL FROM"
        conn.end_of_data_sent = False
        try:
            refused = conn.send_message(msg, sender, recipients)
        except smtplib.SMTPRecipientsRefused as error:  # all of them, or a 421 to one
            code, reply = _decisive_refusal(error.recipients)
            return self._refused(conn, "RCPT TO", code, reply)
        except smtplib.SMTPSenderRefused as error:
            return self._refused(conn, "MAIL FROM", error.smtp_code, error.smtp_error)
        except smtplib.SMTPDataError as error:  # to the DATA command or to the content
            return self._refused(conn, "DATA", error.smtp_code, error.smtp_error)
        except smtplib.SMTPResponseException as error:  # any other reply smtplib raises for
            return self._refused(conn, conn.stage, error.smtp_code, error.smtp_error)
        except OSError as error:  # SMTPServerDisconnected, timeouts, resets
            raise _ConnectionLost(
                f"{conn.stage}: connection lost: {_describe(error)}",
                payload_sent=conn.end_of_data_sent,
                timeout=_is_timeout(error),
                maybe_delivered=conn.end_of_data_sent,
            ) from error
        except ValueError as error:  # smtplib found the message unusable before MAIL FROM
            return DeliveryResult(DeliveryStatus.FAILED, f"unusable: {error}"), self._reset(conn)
        code, reply = conn.data_reply
        detail = f"{code} {_reply_text(reply)}"
        if refused:
            listed = "; ".join(f"{to}: {c} {_reply_text(r)}" for to, (c, r) in refused.items())
            detail += f" (some recipients refused: {listed})"
        return DeliveryResult(DeliveryStatus.SENT, detail, code), True

    def _refused(
        self, conn: _Connection, stage: str, code: int, reply: bytes | str
    ) -> tuple[DeliveryResult, bool]:
        detail = f"{stage}: {code} {_reply_text(reply)}"
        if code == 421:  # the server is closing the connection
            raise _ConnectionLost(detail, payload_sent=conn.end_of_data_sent, code=code)
        return DeliveryResult(_status_for_code(code), detail, code), self._reset(conn)

    @staticmethod
    def _reset(conn: smtplib.SMTP) -> bool:
        """RSET after a refusal; whether the connection can carry the next message.

        smtplib resets after most refusals itself but not after a refused DATA command,
        and a second RSET is harmless.
        """
        try:
            return conn.rset()[0] == 250
        except OSError:
            return False

    @staticmethod
    def _quit(conn: smtplib.SMTP) -> None:
        try:
            conn.quit()
        except OSError:
            conn.close()


# --------------------------------------------------------------------------- files


class FileTransport:
    """Writes each message to `<directory>/<UTC time>-<random>.eml` instead of sending.

    File names sort in the order the messages were written (the timestamp has
    microseconds and never repeats within a process). Each file appears atomically
    (written to a hidden temporary file, then renamed), so a viewer never reads half
    a message. A write error gives retry; a message without usable addresses gives
    failed, exactly as SMTP would.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._last_stamp: datetime | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FileTransport({str(self.directory)!r})"

    def send_batch(
        self, messages: Sequence[EmailMessage], observer: DeliveryObserver | None = None
    ) -> list[DeliveryResult]:
        """Write `messages` as `.eml` files; one result per message, same order. A file
        appears only after `observer` agreed (``handing``); held back, it never does
        and the batch stops."""
        results = _Results(observer)
        for msg in messages:
            try:
                message_envelope(msg)
                data = _flatten(msg, linesep="\n")
            except ValueError as error:
                results.add(DeliveryResult(DeliveryStatus.FAILED, f"unusable: {error}"))
                continue
            try:
                path = self._write(data, results.handing)
            except _HeldBack:
                break
            except OSError as error:
                results.add(DeliveryResult(DeliveryStatus.RETRY, f"write failed: {error}"))
            else:
                results.add(DeliveryResult(DeliveryStatus.SENT, f"written to {path.name}"))
        for _ in messages[len(results) :]:
            results.add(DeliveryResult(DeliveryStatus.RETRY, "held back before writing"))
        return list(results)

    def _stamp(self) -> str:
        with self._lock:
            now = datetime.now(UTC)
            if self._last_stamp is not None and now <= self._last_stamp:
                now = self._last_stamp + timedelta(microseconds=1)
            self._last_stamp = now
        return now.strftime("%Y%m%dT%H%M%S.%fZ")

    def _write(self, data: bytes, handing: Callable[[], bool]) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            if not handing():
                raise _HeldBack
            final = self.directory / f"{self._stamp()}-{secrets.token_hex(4)}.eml"
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return final


class MemoryTransport:
    """Keeps sent messages in `outbox` (for tests and previews); everything is sent."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    def send_batch(
        self, messages: Sequence[EmailMessage], observer: DeliveryObserver | None = None
    ) -> list[DeliveryResult]:
        """Append `messages` to `outbox`; one "sent" result per message, or "retry" for
        the one `observer` held back and those after it."""
        results = _Results(observer)
        for msg in messages:
            if not results.handing():
                break
            self.outbox.append(msg)
            results.add(DeliveryResult(DeliveryStatus.SENT, "kept in memory"))
        for _ in messages[len(results) :]:
            results.add(DeliveryResult(DeliveryStatus.RETRY, "held back"))
        return list(results)


# --------------------------------------------------------------------------- settings


def transport_from_settings(
    settings: Mapping[str, object], instance_path: str | os.PathLike[str]
) -> Transport:
    """Build the transport that the ``MAIL_*`` and ``SMTP_*`` keys of ``settings`` ask
    for (``app.config``, or any mapping of those keys), checked and typed by
    :mod:`feedback.settings`: files under MAIL_FILE_DIR (default
    ``<instance_path>/mail``), or SMTP to SMTP_HOST:SMTP_PORT with STARTTLS or SSL,
    a login when SMTP_USERNAME is set, and SMTP_TIMEOUT. Raises ValueError naming the
    setting for any value it cannot use."""
    mail = parse_settings(
        {key: value for key, value in settings.items() if key.startswith(("MAIL_", "SMTP_"))}
    )
    if mail.mail_backend == "file":
        return FileTransport(mail.mail_file_dir or Path(instance_path) / "mail")
    security: Security = "ssl" if mail.smtp_ssl else "starttls" if mail.smtp_starttls else "none"
    return SmtpTransport(
        mail.smtp_host,
        mail.smtp_port,
        username=mail.smtp_username,
        password=mail.smtp_password,
        security=security,
        timeout=mail.smtp_timeout,
        local_hostname=mail.smtp_local_hostname,
    )
