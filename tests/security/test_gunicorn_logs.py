"""No rater link in gunicorn's logs (issue 15, item 5): the project's real
``gunicorn.conf.py`` serving the app on 127.0.0.1, at debug level, with its access log
and its error log written to files, asked for a rater's link every way a link reaches
a server — plain, percent-encoded, in the query, in the referrer, a malformed request
line, a failing request (a 500 with its traceback) — then stopped. Neither log, nor
what the process printed, holds the token or the rater's address; both show that the
requests were logged.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from support import csrf_token

from feedback.extensions import db

pytest.importorskip("gunicorn")

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
#: Seconds the server may take to start, and to stop.
START_LIMIT = 60
STOP_LIMIT = 30


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} within {seconds} s"
        time.sleep(0.05)


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """gunicorn with the repository's configuration, one worker, debug level; yields
    (base URL, the paths of its logs); stops it at the end."""
    logs = {name: tmp_path / f"{name}.log" for name in ("access", "error", "output")}
    env = {
        **os.environ,
        "FEEDBACK_DATABASE_URL": database_url,
        "FEEDBACK_SECRET_KEY": app.config["SECRET_KEY"],
        "FEEDBACK_BASE_URL": "http://localhost",
        "FEEDBACK_MAIL_BACKEND": "file",
        "FEEDBACK_MAIL_FILE_DIR": str(tmp_path / "mail"),
        "FEEDBACK_MAIL_BACKGROUND": "false",
        "FEEDBACK_MAIL_SEND_AFTER_REQUEST": "false",
        "PYTHONUNBUFFERED": "1",
    }
    output = logs["output"].open("w")
    server = subprocess.Popen(  # noqa: S603 - this interpreter's gunicorn, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--workers",
            "1",
            "--bind",
            "127.0.0.1:0",
            "--log-level",
            "debug",
            "--access-logfile",
            str(logs["access"]),
            "--error-logfile",
            str(logs["error"]),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:

        def listening():
            assert server.poll() is None, logs["output"].read_text() + _read(logs["error"])
            match = LISTENING.search(_read(logs["error"]))
            return match and f"http://127.0.0.1:{match.group(1)}"

        base = _wait(listening, START_LIMIT, "gunicorn listening")
        _wait(lambda: _status(base + "/healthz") == 200, START_LIMIT, "a worker answering")
        yield base, logs, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        output.close()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _status(url: str, **kwargs) -> int:
    request = urllib.request.Request(url, **kwargs)  # noqa: S310 - 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def _raw(base: str, request_line: str) -> None:
    """Send one raw request and read what comes back (a malformed one gets a 400)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(f"{request_line}\r\nHost: localhost\r\n\r\n".encode())
        connection.recv(65536)


def _database_handles(pid: int, database_url: str) -> int:
    """How many connections to the database process ``pid`` holds: its open files on
    the SQLite database, or its TCP sockets to PostgreSQL's port (Linux's /proc)."""
    url = make_url(database_url)
    links = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    if url.get_backend_name() == "sqlite":
        return sum(link.startswith(url.database) for link in links)
    inodes = {link[8:-1] for link in links if link.startswith("socket:[")}
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == url.port and fields[9] in inodes:
                count += 1
    return count


def _rename(app, old: str, new: str) -> None:
    with app.app_context():
        db.session.execute(db.text(f"ALTER TABLE {old} RENAME TO {new}"))
        db.session.commit()
        db.session.remove()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads Linux's /proc")
def test_the_master_holds_no_database_connection_when_its_workers_do(
    app, rater_link, gunicorn, database_url
):
    """The app is preloaded and warmed in the master; the workers it forks connect on
    their own, and the master holds nothing they could share."""
    base, _logs, server = gunicorn
    assert _status(base + "/" + rater_link.split("/", 3)[3]) == 200
    workers = [
        int(path.parent.name)
        for path in Path("/proc").glob("[0-9]*/stat")
        if path.read_text().rsplit(")", 1)[1].split()[1] == str(server.pid)
    ]
    assert len(workers) == 1
    assert _database_handles(workers[0], database_url) >= 1
    assert _database_handles(server.pid, database_url) == 0


def test_gunicorn_logs_hold_no_rater_token(app, rater_link, gunicorn):
    base, logs, server = gunicorn
    path = "/" + rater_link.split("/", 3)[3]
    token = path.rstrip("/").rsplit("/", 1)[1]
    encoded = f"/r/%{ord(token[0]):02X}{token[1:]}/"

    assert _status(base + path) == 200
    assert _status(base + encoded) == 200
    assert _status(base + f"{path}?from={token}") == 200
    assert _status(base + "/healthz", headers={"Referer": base + path}) == 200
    # A post from the form's page (the browser sends the page as referrer), refused.
    page = urllib.request.urlopen(base + path, timeout=30).read().decode()  # noqa: S310
    assert csrf_token(page)
    refused = _status(
        base + path, data=b"action=decline", headers={"Referer": base + path}, method="POST"
    )
    assert refused == 400
    _raw(base, f"GET {path} HTTP/1.1 and-more")
    # A request that fails inside the app: a 500, logged with its traceback.
    _rename(app, "invites", "invites_gone_for_the_test")
    try:
        assert _status(base + path) == 500
    finally:
        _rename(app, "invites_gone_for_the_test", "invites")
    assert _status(base + path) == 200

    server.send_signal(signal.SIGTERM)
    server.wait(timeout=STOP_LIMIT)
    access, errors, output = (_read(logs[name]) for name in ("access", "error", "output"))
    everything = access + errors + output

    # The requests were logged, with the links redacted.
    assert '"GET /r/…/ HTTP/1.1" 200' in access
    assert '"GET /r/…/ HTTP/1.1" 500' in access
    assert '"POST /r/…/ HTTP/1.1" 400' in access
    assert "Exception on /r/…/ [GET]" in errors
    assert "Traceback" in errors
    # ... and nothing of the token, whole, in part or encoded, nor the address.
    for secret in (token, token[1:21], token[-20:], encoded[3:23], "rita@example.com"):
        assert secret not in everything, secret


def test_the_access_log_atoms_are_redacted_whatever_the_format_names(rater_link):
    """Every field a format may name — request line, path, query, referrer, a header,
    an environ value — comes to the formatter without the token."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from feedback.web.gunicorn_logging import RedactingLogger

    path = "/" + rater_link.split("/", 3)[3]
    token = path.rstrip("/").rsplit("/", 1)[1]
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?again={token}",
        "PATH_INFO": path,
        "QUERY_STRING": f"again={token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://localhost{path}",
    }
    request = SimpleNamespace(headers=[("X-Original-URI", path)])
    response = SimpleNamespace(status="200 OK", sent=10, headers=[("Location", path)])
    atoms = RedactingLogger(Config()).atoms(response, request, environ, timedelta(seconds=1))
    assert atoms["r"] == "GET /r/…/?again=… HTTP/1.1"
    assert atoms["U"] == "/r/…/"
    assert atoms["f"] == "http://localhost/r/…/"
    assert atoms["{x-original-uri}i"] == "/r/…/"
    assert atoms["{location}o"] == "/r/…/"
    assert token not in repr(atoms)
    assert atoms["s"] == "200"
