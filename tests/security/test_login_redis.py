"""Sign-in counts in Redis (FEEDBACK_RATELIMIT_STORAGE_URI=redis://…): one count for every
process that serves the app, kept across a restart of the app, and sign-in refused,
not uncounted, while Redis does not answer (issue 14 item 5, issue 15 item 2).

Two apps built side by side stand for two processes: they share nothing but the
database and the store. One test runs the real thing, gunicorn with two workers."""

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from http_support import Tab, all_at_once
from redis_support import free_port, unreachable_redis_url
from support import TEST_PASSWORD
from test_login_guesses import try_login

from feedback import security

ROOT = Path(__file__).resolve().parents[2]
COACH = "coach@example.com"


def wrong(app, address: str = "127.0.0.1") -> int:
    return try_login(app.test_client(), COACH, "wrong guess", address).status_code


@pytest.mark.redis
def test_two_processes_share_one_count(make_app, coach, redis_url):
    first = make_app(RATELIMIT_STORAGE_URI=redis_url)
    second = make_app(RATELIMIT_STORAGE_URI=redis_url)
    # "5 per minute" per account and address, whichever process takes the attempt.
    assert [wrong(first), wrong(second), wrong(first), wrong(second), wrong(first)] == [401] * 5
    assert wrong(second) == 429
    assert wrong(first) == 429
    # The control: in memory, each process has an allowance of its own.
    alone, other = make_app(), make_app()
    assert [wrong(alone) for _ in range(5)] == [401] * 5
    assert wrong(other) == 401


@pytest.mark.redis
def test_the_back_off_per_account_holds_across_processes(make_app, coach, redis_url):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "LOGIN_ACCOUNT_FREE_ATTEMPTS": 4}
    processes = [make_app(**settings), make_app(**settings)]
    statuses = [
        wrong(processes[n % 2], f"198.51.100.{n}")  # a fresh address every time
        for n in range(7)
    ]
    # 4 free, 1 let through after the first wait, then waits: counted once for both.
    assert statuses == [401] * 5 + [429, 429]
    refused = try_login(processes[0].test_client(), COACH, TEST_PASSWORD, "192.0.2.1")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


@pytest.mark.redis
def test_the_counts_survive_a_restart_of_the_app(make_app, coach, redis_url):
    before = make_app(RATELIMIT_STORAGE_URI=redis_url)
    assert [wrong(before) for _ in range(5)] == [401] * 5
    assert wrong(before) == 429
    security.login_guard(before).storage.get_connection().close()
    del before
    after = make_app(RATELIMIT_STORAGE_URI=redis_url)  # a new process, the same store
    assert wrong(after) == 429
    assert try_login(after.test_client(), COACH, TEST_PASSWORD).status_code == 429


@pytest.mark.redis
def test_a_success_in_one_process_clears_the_count_in_the_other(make_app, coach, redis_url):
    first = make_app(RATELIMIT_STORAGE_URI=redis_url)
    second = make_app(RATELIMIT_STORAGE_URI=redis_url)
    assert [wrong(first) for _ in range(4)] == [401] * 4
    assert try_login(second.test_client(), COACH, TEST_PASSWORD).status_code == 302
    assert [wrong(first) for _ in range(5)] == [401] * 5
    assert wrong(second) == 429


def test_sign_in_fails_closed_while_the_store_does_not_answer(make_app, coach, caplog):
    store = unreachable_redis_url().replace("redis://", "redis://:hunter22@")
    app = make_app(RATELIMIT_STORAGE_URI=store)
    client = app.test_client()
    assert client.get("/login").status_code == 200  # nothing else needs the store
    assert client.get("/healthz").status_code == 200
    with caplog.at_level(logging.ERROR):
        started = time.monotonic()
        response = try_login(client, COACH, TEST_PASSWORD)
        took = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Signing in is not possible for a moment" in response.text
    assert took < 5 * security.STORE_TIMEOUT
    # The right password was not checked uncounted: nobody is signed in.
    assert client.get("/").status_code == 302
    assert "SIGN-IN REFUSED" in caplog.text
    assert store.split("@")[1] in caplog.text  # the store, named without its password
    assert "ConnectionError" in caplog.text
    assert "hunter22" not in caplog.text


def test_a_server_says_at_start_up_that_the_store_does_not_answer(make_app, monkeypatch, caplog):
    monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")  # as gunicorn's master sets it
    store = unreachable_redis_url()
    with caplog.at_level(logging.ERROR):
        make_app(TESTING=False, RATELIMIT_STORAGE_URI=store)
    assert f"the sign-in counter {store} does not answer" in caplog.text


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (127.0.0.1)
            return response.status
    except OSError:
        return 0


@pytest.mark.redis
def test_gunicorn_with_two_workers_counts_simultaneous_guesses_once(
    app, coach, database_url, redis_url, tmp_path
):
    """deploy/gunicorn.conf.py, two workers, one Redis: 20 simultaneous wrong passwords
    from one address, of which 5 are checked, whichever worker takes them."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("FEEDBACK_")},
        "FEEDBACK_DATABASE_URL": database_url,
        "FEEDBACK_SECRET_KEY": secrets.token_urlsafe(48),
        "FEEDBACK_BASE_URL": url,
        "FEEDBACK_RATELIMIT_STORAGE_URI": redis_url,
        "FEEDBACK_MAIL_FILE_DIR": str(tmp_path / "mail"),
        "FEEDBACK_MAIL_BACKGROUND": "false",
        "WEB_CONCURRENCY": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "deploy/gunicorn.conf.py",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while _get(url + "/healthz") != 200:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        tabs = [Tab(url + "/login") for _ in range(20)]
        results = all_at_once(tabs, lambda n: {"email": COACH, "password": f"guess {n}"})
        statuses = sorted(status for status, _page in results)
        assert statuses == [401] * 5 + [429] * 15, log.read_text()[-3000:]
        assert "Booting worker" in log.read_text()
        assert log.read_text().count("Booting worker") == 2
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
