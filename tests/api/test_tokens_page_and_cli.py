"""API tokens made and revoked on the coach's settings page and with
``feedback api-token``: the secret shown once, only its digest stored."""

import re

from api_support import Api
from support import Browser, csrf_token, sign_in

from feedback.accounts.models import ApiToken
from feedback.extensions import db

SECRET = re.compile(r"m360_[A-Za-z0-9_-]{40,}")


def test_make_use_and_revoke_a_token_on_the_settings_page(app, coach):
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com")
    page = browser.get("/settings")
    assert page.status_code == 200 and "No tokens yet" in page.text
    response = browser.post(
        "/settings/api-tokens",
        data={"csrf_token": csrf_token(page.text), "name": "CRM sync", "scope": "read"},
    )
    assert response.status_code == 200
    secret = SECRET.search(response.text).group(0)
    api = Api(app.test_client(), secret)
    assert api.get("/coachees").status_code == 200
    assert api.post("/coachees", json={"name": "A B", "email": "a@example.com"}).status_code == 403

    page = browser.get("/settings")
    assert "CRM sync" in page.text and secret not in page.text  # shown once only
    with app.app_context():
        token_id = db.session.scalar(db.select(ApiToken.id))
    response = browser.post(
        f"/settings/api-tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert api.get("/coachees").status_code == 401
    assert "No tokens yet" in browser.get("/settings").text


def test_the_settings_page_refuses_a_bad_form(app, coach):
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com")
    token = csrf_token(browser.get("/settings").text)
    for data in ({"scope": "admin"}, {"scope": "write", "name": "n" * 81}):
        response = browser.post("/settings/api-tokens", data={"csrf_token": token, **data})
        assert response.status_code == 400, data
    response = browser.post("/settings/api-tokens", data={"scope": "write"})
    assert response.status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def test_the_command_prints_the_secret_once_and_revokes(app, runner, coach):
    result = runner.invoke(
        args=[
            "api-token",
            "create",
            "--coach",
            "Coach@Example.com",
            "--name",
            "Sync",
            "--scope",
            "write",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = SECRET.search(result.stdout).group(0)
    assert result.stdout.strip() == secret  # stdout is the secret alone, for scripts
    api = Api(app.test_client(), secret)
    assert api.post("/coachees", json={"name": "A B", "email": "a@example.com"}).status_code == 201

    listed = runner.invoke(args=["api-token", "list", "--coach", "coach@example.com"])
    assert "Sync" in listed.output and secret not in listed.output
    token_id = listed.output.split("\t")[0]
    result = runner.invoke(args=["api-token", "revoke", "--coach", "coach@example.com", token_id])
    assert result.exit_code == 0 and "revoked" in result.output
    assert api.get("/coachees").status_code == 401


def test_the_command_refuses_bad_input(runner, coach):
    for args, message in [
        (["create", "--coach", "nobody@example.com"], "no coach"),
        (["create", "--coach", "coach@example.com", "--scope", "admin"], "admin"),
        (["create", "--coach", "coach@example.com", "--name", "n" * 81], "at most 80"),
        (["revoke", "--coach", "coach@example.com", "99"], "no API token 99"),
    ]:
        result = runner.invoke(args=["api-token", *args])
        assert result.exit_code == 2, args
        assert message in result.output, result.output
        assert "Traceback" not in result.output
