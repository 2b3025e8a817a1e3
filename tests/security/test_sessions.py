"""The coach's session: cookie flags, a new session at sign-in, sign-out that really ends
it, the idle timeout, rate-limited sign-in that does not lock out an office, one answer
for unknown and known emails, and password rules."""

import time

import pytest
from support import TEST_PASSWORD, Browser, csrf_token, sign_in
from werkzeug.security import check_password_hash

from feedback.accounts.models import Coach
from feedback.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, create_coach
from feedback.extensions import db


def session_cookie(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert headers, "no session cookie was set"
    return headers[-1]


def try_login(client, email: str, password: str, address: str = "127.0.0.1"):
    page = client.get("/login", environ_base={"REMOTE_ADDR": address})
    return client.post(
        "/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_session_cookie_is_httponly_and_samesite_lax(app, coach):
    response = try_login(app.test_client(), "coach@example.com", TEST_PASSWORD)
    assert response.status_code == 302
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on this machine: a Secure cookie never comes back


def test_over_https_the_cookie_is_secure(make_app):
    app = make_app(BASE_URL="https://mirror.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    page = client.get("/login", base_url="https://mirror.example.org")
    cookie = session_cookie(page)
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")


def test_behind_a_proxy_the_forwarded_address_and_scheme_count(make_app):
    app = make_app(PROXY_FIX_HOPS=1, BASE_URL="https://mirror.example.org")
    seen = {}

    @app.get("/whoami-test")
    def whoami():
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return "ok"

    app.test_client().get(
        "/whoami-test",
        base_url="http://mirror.example.org",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
    )
    assert seen == {"addr": "203.0.113.7", "secure": True}


def test_sign_in_starts_a_new_session(app, coach):
    client = app.test_client()
    with client.session_transaction() as planted:  # what an attacker could have set
        planted["planted"] = "by someone else"
    before = client.get_cookie("session").value
    response = try_login(client, "coach@example.com", TEST_PASSWORD)
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as current:
        assert "planted" not in current
        assert current["_user_id"]

    # The cookie from before sign-in does not carry the sign-in.
    attacker = app.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/").status_code == 302


def test_sign_out_ends_the_session_even_for_a_copied_cookie(app, coach):
    client = app.test_client()
    try_login(client, "coach@example.com", TEST_PASSWORD)
    page = client.get("/")
    assert page.status_code == 200
    copied = client.get_cookie("session").value  # stolen, or kept in another tab

    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # this browser is signed out

    replay = app.test_client()
    replay.set_cookie("session", copied)
    answer = replay.get("/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]

    # Signing in again works, with a new session.
    assert try_login(client, "coach@example.com", TEST_PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_an_idle_coach_is_signed_out(app, coach, monkeypatch):
    client = app.test_client()
    try_login(client, "coach@example.com", TEST_PASSWORD)
    assert client.get("/").status_code == 200
    real = time.time
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    assert 0 < idle <= 8 * 3600

    monkeypatch.setattr(time, "time", lambda: real() + idle - 60)
    assert client.get("/").status_code == 200  # active just before the limit

    monkeypatch.setattr(time, "time", lambda: real() + 2 * idle)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "without activity" in client.get("/login").text
    assert client.get("/").status_code == 302


def test_failed_sign_ins_are_limited_per_account_and_address(app, coach):
    client = app.test_client()
    statuses = [
        try_login(client, "coach@example.com", "wrong password").status_code for _ in range(8)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429
    refused = try_login(client, "coach@example.com", TEST_PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.text
    assert "Retry-After" in refused.headers

    # Someone else in the same office, behind the same address, still signs in.
    create_other = app.test_cli_runner().invoke(
        args=[
            "create-coach",
            "--email",
            "colleague@example.com",
            "--name",
            "Col",
            "--password",
            "another good one",
        ]
    )
    assert create_other.exit_code == 0, create_other.output
    office = app.test_client()
    assert try_login(office, "colleague@example.com", "another good one").status_code == 302
    # ... and the same coach from another address too.
    assert (
        try_login(
            app.test_client(), "coach@example.com", TEST_PASSWORD, address="198.51.100.9"
        ).status_code
        == 302
    )


def test_many_failures_from_one_address_are_limited_too(make_app):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="6 per hour")
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [
        try_login(client, f"guess{n}@example.com", "whatever pw", address="192.0.2.1").status_code
        for n in range(8)
    ]
    assert statuses[:6] == [401] * 6
    assert statuses[6:] == [429, 429]
    assert try_login(client, "guess@example.com", "x" * 9, address="192.0.2.2").status_code == 401


def test_successful_sign_ins_do_not_count(app, coach):
    for _ in range(8):
        client = app.test_client()
        assert try_login(client, "coach@example.com", TEST_PASSWORD).status_code == 302


def test_unknown_and_known_emails_get_the_same_answer(app, coach):
    unknown = try_login(app.test_client(), "nobody@example.com", "wrong password")
    known = try_login(app.test_client(), "coach@example.com", "wrong password")
    assert unknown.status_code == known.status_code == 401

    def visible(response) -> str:
        return response.text.replace(csrf_token(response.text), "")

    assert visible(unknown).replace("nobody@example.com", "E") == visible(known).replace(
        "coach@example.com", "E"
    )


@pytest.mark.parametrize("length", [MIN_PASSWORD_LENGTH, 64, MAX_PASSWORD_LENGTH])
def test_long_passwords_work_and_are_hashed_with_scrypt(app, length):
    password = ("pässwörd-" * 40)[:length]
    with app.app_context():
        coach = create_coach(email=f"p{length}@example.com", name="P", password=password)
        db.session.commit()
        stored = db.session.get(Coach, coach.id).password_hash
    assert stored.startswith("scrypt:")
    assert password not in stored
    assert check_password_hash(stored, password)
    client = Browser(app.test_client())
    sign_in(client, f"p{length}@example.com", password)


def test_short_passwords_are_refused(app):
    assert MAX_PASSWORD_LENGTH >= 64
    with app.app_context(), pytest.raises(ValueError, match="characters"):
        create_coach(email="s@example.com", name="S", password="x" * (MIN_PASSWORD_LENGTH - 1))
    result = app.test_cli_runner().invoke(
        args=["create-coach", "--email", "s@example.com", "--name", "S", "--password", "short"]
    )
    assert result.exit_code == 2
