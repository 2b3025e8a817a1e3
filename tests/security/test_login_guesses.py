"""Password guessing is slow from one address, from many addresses, and at once; and nobody
can lock a coach out (issue 14, item 5)."""

import logging
import sys
import time
import types

import pytest
from http_support import Tab, all_at_once
from support import TEST_PASSWORD, csrf_token

from feedback import security


def try_login(client, email: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_simultaneous_guesses_from_one_address_are_counted_before_they_are_checked(
    app, coach, serve
):
    served = serve(app)
    tabs = [Tab(served.url + "/login") for _ in range(30)]
    results = all_at_once(
        tabs, lambda n: {"email": "coach@example.com", "password": f"guess number {n}"}
    )
    statuses = [status for status, _page in results]
    assert statuses.count(401) == 5  # "5 per minute": the rest never reach the password
    assert statuses.count(429) == 25


def test_guesses_from_many_addresses_back_off_per_account(app, coach):
    free = app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"]
    statuses = [
        try_login(app.test_client(), "coach@example.com", "wrong guess", f"198.51.100.{n}")
        for n in range(free + 3)
    ]
    assert [r.status_code for r in statuses[:free]] == [401] * free
    # The next one from a fresh address is let through only after a wait, and the one
    # after it must wait longer.
    assert statuses[free].status_code == 401
    assert [r.status_code for r in statuses[free + 1 :]] == [429, 429]
    assert "Too many sign-in attempts" in statuses[-1].text
    assert int(statuses[-1].headers["Retry-After"]) >= 1


def test_the_back_off_ends_so_the_coach_is_never_locked_out(make_app, coach, monkeypatch):
    app = make_app(LOGIN_ACCOUNT_FREE_ATTEMPTS=2, LOGIN_ACCOUNT_MAX_WAIT=60)
    for n in range(10):  # an attacker keeps trying from everywhere
        try_login(app.test_client(), "coach@example.com", "wrong guess", f"203.0.113.{n}")
    refused = try_login(app.test_client(), "coach@example.com", TEST_PASSWORD, "192.0.2.7")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + wait + 1)
    assert (
        try_login(app.test_client(), "coach@example.com", TEST_PASSWORD, "192.0.2.7").status_code
        == 302
    )


def test_a_known_device_signs_in_while_the_account_is_attacked(app, coach):
    device = app.test_client()
    assert try_login(device, "coach@example.com", TEST_PASSWORD, "192.0.2.8").status_code == 302
    device.post("/logout", data={"csrf_token": csrf_token(device.get("/").text)})
    for n in range(app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"] + 5):
        try_login(app.test_client(), "coach@example.com", "wrong guess", f"203.0.113.{n}")
    stranger = try_login(app.test_client(), "coach@example.com", TEST_PASSWORD, "192.0.2.9")
    assert stranger.status_code == 429
    assert try_login(device, "coach@example.com", TEST_PASSWORD, "192.0.2.8").status_code == 302


def test_a_signed_in_coach_cannot_reset_another_accounts_count(app, coach):
    from feedback.accounts.services import create_coach
    from feedback.extensions import db

    with app.app_context():
        create_coach(email="other@example.com", name="Other", password="other password")
        db.session.commit()
    attacker = app.test_client()
    assert try_login(attacker, "other@example.com", "other password").status_code == 302
    free = app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"]
    token = csrf_token(attacker.get("/", environ_base={"REMOTE_ADDR": "203.0.113.1"}).text)
    for n in range(free + 2):  # signed in, /login only redirects: never a success
        attacker.post(
            "/login",
            data={"csrf_token": token, "email": "coach@example.com", "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"203.0.113.{n}"},
        )
    stranger = try_login(app.test_client(), "coach@example.com", "wrong", "192.0.2.10")
    assert stranger.status_code == 429


@pytest.mark.parametrize("server", ["gunicorn", "uwsgi"])
def test_memory_counts_under_a_multi_process_server_are_warned_about(
    make_app, monkeypatch, caplog, server
):
    if server == "gunicorn":  # what gunicorn's master sets before it loads the app
        monkeypatch.setenv("SERVER_SOFTWARE", "gunicorn/23.0.0")
    else:  # uWSGI's module, which exists only inside the server
        monkeypatch.setitem(sys.modules, server, types.ModuleType(server))
    with caplog.at_level(logging.WARNING):
        make_app(TESTING=False)
    assert "FEEDBACK_RATELIMIT_STORAGE_URI" in caplog.text
    assert security.MEMORY_STORE_WARNING.split(":")[0] in caplog.text


def test_no_warning_with_a_shared_store_or_one_process(make_app, monkeypatch, caplog):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("SERVER_SOFTWARE", raising=False)
    # gunicorn imported (by a test or a tool) is not gunicorn serving this app.
    monkeypatch.setitem(sys.modules, "gunicorn", types.ModuleType("gunicorn"))
    with caplog.at_level(logging.WARNING):
        make_app(TESTING=False)
    assert "FEEDBACK_RATELIMIT_STORAGE_URI" not in caplog.text


def test_a_store_that_cannot_be_used_stops_the_app_with_its_name(make_app):
    with pytest.raises(ValueError, match="FEEDBACK_RATELIMIT_STORAGE_URI"):
        make_app(RATELIMIT_STORAGE_URI="nonsense://somewhere")
