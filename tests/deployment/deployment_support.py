"""The pieces of a real deployment on 127.0.0.1, for tests/deployment: a PostgreSQL
cluster of the test's own (so that it may be restarted), Redis, an SMTP server that
records every message, gunicorn masters and `feedback mail work` workers.

Each process runs in its own process group, its output in a log file; `Processes`
kills every group it started (SIGTERM, then SIGKILL) and gives the tail of every log
for a failure's message. Ports are chosen free at run time. Where a program is
missing the test is skipped with a message, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import http.client
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def in_ci() -> bool:
    """Whether the CI variable is set: then a test that cannot run must fail."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason`` here; fail with it in CI."""
    if in_ci():
        pytest.fail(f"CI is set, so the deployment test must run: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], seconds: float, what: str) -> float:
    """Poll ``condition`` until it is true; the seconds it took. Fails with ``what``
    when the deadline passes first."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file (or why there are none)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------- processes


@dataclass
class Service:
    """A process the test started, in its own process group."""

    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


class Processes:
    """Starts processes in their own process groups and ends every one of them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.services: list[Service] = []
        self.extra_logs: dict[str, Path] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> Service:
        """Start ``argv`` with its output in ``<folder>/<name>.log``."""
        log = self.folder / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own programs, fixed arguments
                argv,
                cwd=cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def stop(self, service: Service, grace: float = 10.0) -> None:
        """SIGTERM to the service's process group, SIGKILL after ``grace`` seconds."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, sig)
            try:
                service.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # The group may outlive its leader (gunicorn's workers): make sure.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, signal.SIGKILL)
            return

    def stop_all(self) -> None:
        """End every process started, the last started first."""
        for service in reversed(self.services):
            self.stop(service)

    def logs(self) -> dict[str, Path]:
        """Every log file: the processes' and the extra ones (PostgreSQL's)."""
        return {**{service.name: service.log for service in self.services}, **self.extra_logs}

    def tails(self, lines: int = 40) -> str:
        """The tail of every log, for a failure's message."""
        return "\n".join(
            f"----- {name} (last {lines} lines of {path.name})\n{tail(path, lines)}"
            for name, path in self.logs().items()
        )


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux's /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and brackets.
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.append(int(entry))
    return sorted(found)


def connection_owner(local_port: int, remote_port: int | None, pids: list[int]) -> int | None:
    """Which of ``pids`` holds an established TCP connection from ``local_port`` to
    ``remote_port`` (None: to any port) on this machine (Linux's /proc), if any."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state != "01":  # ESTABLISHED
                continue
            if int(local.rsplit(":", 1)[1], 16) != local_port:
                continue
            if remote_port is None or int(remote.rsplit(":", 1)[1], 16) == remote_port:
                inodes.add(f"socket:[{inode}]")
    for pid in pids:
        try:
            descriptors = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{pid}/fd/{descriptor}") in inodes:
                    return pid
            except OSError:
                continue
    return None


# ---------------------------------------------------------------- PostgreSQL


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are (Debian keeps them out of PATH, by version)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in versions:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


class Postgres:
    """A cluster of the test's own in a temporary folder, on 127.0.0.1 and a free port,
    with a password role and a database for the app. Run as the ``postgres`` user when
    the test runs as root (PostgreSQL refuses root)."""

    USER = "mirror360"
    DATABASE = "mirror360_deploy"

    def __init__(self) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            unavailable("PostgreSQL's initdb and pg_ctl are not installed (Debian: postgresql)")
        self.bin = bindir
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            try:
                import pwd

                pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root, and there is no postgres user to run PostgreSQL")
            if runuser is None:
                unavailable("running as root, and runuser is missing")
            self.as_user = [runuser, "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="mirror360-deploy-pg-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.socket = self.folder / "socket"
        self.log = self.folder / "server.log"
        self.port = 0
        self.password = os.urandom(16).hex()

    def _pg(self, *args: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - PostgreSQL's own programs, fixed arguments
            [*self.as_user, *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _ctl(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        return self._pg(str(self.bin / "pg_ctl"), "-D", str(self.data), *args, timeout=timeout)

    def start(self) -> None:
        """initdb, start on a free port (three tries), create the role and database."""
        self.socket.mkdir()
        if self.as_user:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket, "postgres")
        done = self._pg(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-locale",
            timeout=120,
        )
        assert done.returncode == 0, f"initdb failed:\n{done.stdout}\n{done.stderr}"
        base = (self.data / "postgresql.conf").read_text()
        for _attempt in range(3):
            self.port = free_port()
            # In the configuration file, so that a restart keeps them.
            settings = (
                f"\nlisten_addresses = '{HOST}'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket}'\nmax_connections = 100\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
            (self.data / "postgresql.conf").write_text(base + settings)
            started = self._ctl("-l", str(self.log), "-w", "-t", "60", "start")
            if started.returncode == 0:
                break
        else:
            raise AssertionError(f"PostgreSQL did not start:\n{tail(self.log)}")
        with self.admin() as admin:
            admin.execute(f"CREATE ROLE {self.USER} LOGIN PASSWORD '{self.password}'")
            admin.execute(f"CREATE DATABASE {self.DATABASE} OWNER {self.USER}")

    def admin(self):
        """A connection as the superuser over the cluster's own socket."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def connect(self):
        """A connection as the app's role to the app's database."""
        import psycopg

        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=self.USER,
            password=self.password,
            dbname=self.DATABASE,
            autocommit=True,
            connect_timeout=10,
        )

    @property
    def url(self) -> str:
        """The app's FEEDBACK_DATABASE_URL."""
        return (
            f"postgresql+psycopg://{self.USER}:{self.password}@{HOST}:{self.port}/{self.DATABASE}"
        )

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session ended, the server down and up."""
        done = self._ctl("-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart")
        assert done.returncode == 0, f"pg_ctl restart failed:\n{done.stderr}\n{tail(self.log)}"

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            self._ctl("-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
        if pidfile.exists():  # pg_ctl could not stop it: its process group goes
            with contextlib.suppress(ValueError, IndexError, ProcessLookupError, PermissionError):
                os.killpg(int(pidfile.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- Redis


def start_redis(processes: Processes) -> int:
    """Debian's redis-server on 127.0.0.1 and a free port, nothing kept on disk."""
    program = shutil.which("redis-server")
    if program is None:
        unavailable("redis-server is not installed (Debian: redis-server)")
    port = free_port()
    processes.start(
        "redis",
        [program, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"],
        env=dict(os.environ),
        cwd=processes.folder,
    )
    wait_until(lambda: redis_command(port, "PING") == "+PONG", 30, "Redis answers PING")
    return port


def redis_command(port: int, command: str) -> str | None:
    """Send one inline command to Redis; its first line of reply (None: no answer)."""
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            connection.sendall(command.encode() + b"\r\n")
            return connection.recv(256).decode(errors="replace").split("\r\n")[0]
    except OSError:
        return None


# ---------------------------------------------------------------- SMTP


@dataclass
class Delivered:
    """One message the SMTP server accepted."""

    message_id: str
    recipients: tuple[str, ...]
    text: str  #: the plain-text body


class MailRecorder:
    """aiosmtpd handler that records every message as soon as its content is in, then
    answers after ``reply_after`` seconds (a slow server, so that a batch takes time).

    `hold_next` keeps the next message's answer back until `release`: the moment a
    worker that is killed then has handed the message over without hearing that it
    arrived, the case that sends a message twice when handled naively."""

    def __init__(self, reply_after: float) -> None:
        self.reply_after = reply_after
        self._lock = threading.Lock()
        self._messages: list[Delivered] = []
        self._hold = False
        self._released = threading.Event()
        self.held_peer: tuple[str, int] | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        delivered = Delivered(
            message_id=str(message["Message-ID"]),
            recipients=tuple(address.lower() for address in envelope.rcpt_tos),
            text=body.get_content() if body is not None else "",
        )
        with self._lock:
            self._messages.append(delivered)
            hold, self._hold = self._hold, False
            if hold:
                self.held_peer = session.peer
        if hold:
            deadline = time.monotonic() + 20
            while not self._released.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        await asyncio.sleep(self.reply_after)
        return "250 2.0.0 Message accepted"

    def messages(self) -> list[Delivered]:
        """Every message accepted so far, in order."""
        with self._lock:
            return list(self._messages)

    def hold_next(self) -> None:
        """Keep the next message's answer back until `release`."""
        self._released.clear()
        with self._lock:
            self.held_peer = None
            self._hold = True

    def release(self) -> None:
        """Answer the held message."""
        self._released.set()


class _Controller(Controller):
    """aiosmtpd's controller on port 0, learning the port it got."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A real SMTP server on 127.0.0.1 in this process (its own thread)."""

    def __init__(self, reply_after: float) -> None:
        self.recorder = MailRecorder(reply_after)
        self._controller = _Controller(self.recorder, hostname=HOST, port=0, ready_timeout=10)
        self._controller.start()
        self.port: int = self._controller.port

    def stop(self) -> None:
        self.recorder.release()
        self._controller.stop()


# ---------------------------------------------------------------- HTTP, as a browser


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):
        return None


@dataclass
class Reply:
    """An HTTP answer, or a failure to get one (``status`` 0)."""

    status: int
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class Seen:
    """What a client saw once: for the assertions on statuses."""

    who: str
    method: str
    path: str
    status: int
    retry_after: str | None
    error: str
    began: float  #: time.monotonic() when the request was sent
    took: float  #: seconds until the answer (or the failure)


class Browser:
    """A person's browser: its own cookies (a cookie of 127.0.0.1 goes to either app
    process, as behind a load balancer), no redirects followed, a timeout, and every
    answer noted in ``seen``."""

    def __init__(self, who: str, seen: list[Seen], lock: threading.Lock, timeout: float = 20):
        self.who = who
        self._seen = seen
        self._lock = lock
        self.timeout = timeout
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, port: int, path: str, data: dict[str, str] | None = None) -> Reply:
        """GET (or POST ``data``) ``path`` on the app process at ``port``."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        url = f"http://{HOST}:{port}{path}"
        began = time.monotonic()
        try:
            with self._opener.open(url, data=body, timeout=self.timeout) as response:
                reply = Reply(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode(errors="replace"), dict(error.headers))
        except (OSError, http.client.HTTPException) as error:
            reply = Reply(0, error=f"{type(error).__name__}: {error}")
        with self._lock:
            self._seen.append(
                Seen(
                    self.who,
                    "POST" if data is not None else "GET",
                    path,
                    reply.status,
                    reply.headers.get("Retry-After"),
                    reply.error,
                    began,
                    time.monotonic() - began,
                )
            )
        return reply
