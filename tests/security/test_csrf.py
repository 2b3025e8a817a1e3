"""CSRF: every rule of the URL map that accepts POST refuses a post without a valid
token and writes nothing; no GET writes anything; a rater who takes hours, or whose
session is gone, keeps their answers."""

import re
import time
from urllib.parse import urlsplit

import pytest
from security_support import answers, build_world, row_counts
from sqlalchemy import event, func, select
from support import TEST_PASSWORD, Browser, csrf_token, sign_in

from feedback.extensions import db
from feedback.ratings.models import Response

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|REPLACE)\b", re.IGNORECASE)
#: The one write a GET may make: the audit trail's record of a download the coach made
#: (docs/architecture.md), and only on a download's URL.
AUDIT_INSERT = re.compile(r"^\s*INSERT INTO audit_events\b")
DOWNLOADS = re.compile(r"/(report\.\w+|export\.json)$")
#: Values tried for string arguments other than link tokens (formats and the like).
STRING_VALUES = ("html", "csv", "xlsx", "json", "x")


@pytest.fixture
def world(app):
    """The signed-in coach's own data: every id and link is valid for them."""
    built = build_world(app, "owner@example.com")
    browser = Browser(app.test_client())
    sign_in(browser, "owner@example.com", "long enough pw")
    built["browser"] = browser
    return built


def urls_for(app, rule, world) -> list[str]:
    """URLs of ``rule`` filled with the world's own ids and links."""
    values: dict[str, list] = {}
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if name == "token":
            prefix = rule.rule.strip("/").split("/")[0]
            link = world["open_portal"] if prefix == "p" else world["open_rater"]
            values[name] = [urlsplit(link).path.strip("/").split("/")[1]]
        elif name == "cycle_id":
            values[name] = [world["open_cycle_id"]]
        elif name == "coachee_id":
            values[name] = [world["coachee_id"]]
        elif converter == "IntegerConverter":
            values[name] = [1]
        elif name == "filename":
            values[name] = ["css/app.css"]
        else:
            values[name] = list(STRING_VALUES)
    urls = [{}]
    for name, options in values.items():
        urls = [{**url, name: option} for url in urls for option in options]
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return [adapter.build(rule.endpoint, url) for url in urls]


def post_rules(app):
    """Every POST route of the pages. The API (``api.*``) is exempt from CSRF because
    only a bearer token authenticates it, never a cookie: tests/api/test_auth.py shows
    that a signed-in browser's cookie reaches nothing there."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api.")
    ]


def test_every_post_route_is_csrf_protected(app, world):
    rules = post_rules(app)
    assert len(rules) >= 8, "the URL map looks incomplete"
    exempt = app.extensions["csrf"]._exempt_views | app.extensions["csrf"]._exempt_blueprints
    assert {getattr(view, "name", view) for view in exempt} == {"api"}, exempt
    browser = world["browser"]
    for rule in rules:
        for url in urls_for(app, rule, world):
            before = row_counts(app)
            for data in ({}, {"csrf_token": "forged"}, {"csrf_token": ""}):
                response = browser.post(url, data={**answers(), **data, "action": "submit"})
                assert response.status_code == 400, (url, data, response.status_code)
            response = browser.post(url, json={"action": "submit"})
            assert response.status_code == 400, (url, "json", response.status_code)
            assert row_counts(app) == before, url


def test_no_get_route_writes(app, world):
    statements: list[str] = []

    downloading = [False]

    def remember(_conn, _cursor, statement, *_args):
        if WRITES.match(statement) and not (downloading[0] and AUDIT_INSERT.match(statement)):
            statements.append(statement)

    browser = world["browser"]
    checked = 0
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            for url in urls_for(app, rule, world):
                downloading[0] = bool(DOWNLOADS.search(url))
                before = row_counts(app)
                response = browser.get(url)
                assert response.status_code < 500, (url, response.status_code)
                browser.client.head(url)
                after = row_counts(app)
                if downloading[0] and response.status_code == 200:
                    # The download is on record (the GET; a HEAD carries no file), nothing
                    # else.
                    assert after.pop("audit_events") == before.pop("audit_events") + 1, url
                assert after == before, url
                checked += 1
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert checked >= 15
    assert statements == []


def submitted(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Response).where(Response.group != "self")
        )


def test_a_rater_who_takes_hours_still_submits(rater_link, browser, app, monkeypatch):
    page = browser.get(rater_link)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 5 * 3600)  # five hours later
    before = submitted(app)
    response = browser.post(
        rater_link, data={"csrf_token": csrf_token(page.text), **answers("2"), "action": "submit"}
    )
    assert response.status_code == 302
    assert submitted(app) == before + 1


@pytest.mark.parametrize("how", ["cookie lost", "session expired"])
def test_a_rater_whose_session_is_gone_keeps_their_answers(
    rater_link, browser, app, monkeypatch, how
):
    page = browser.get(rater_link)
    form = {
        "csrf_token": csrf_token(page.text),
        **answers("2"),
        "text-headline": 'Calm & <b>"clear"</b>',
        "action": "submit",
    }
    if how == "cookie lost":  # the browser was closed and reopened
        browser.client.delete_cookie("session")
    else:  # past the session's lifetime, days later
        real = time.time
        lifetime = app.permanent_session_lifetime.total_seconds()
        monkeypatch.setattr(time, "time", lambda: real() + lifetime + 3600)
    before = row_counts(app)
    refused = browser.post(rater_link, data=form)
    assert refused.status_code == 400
    assert row_counts(app) == before  # nothing saved without a valid token
    assert "send your answers again" in refused.text.lower()
    assert "&lt;b&gt;&#34;clear&#34;&lt;/b&gt;" in refused.text  # kept, and inert
    assert "<b>" not in refused.text

    # The page carries every answer and a fresh token: one press sends them.
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', refused.text)
    import html

    resent = {name: html.unescape(value) for name, value in fields}
    assert resent["text-headline"] == 'Calm & <b>"clear"</b>'
    assert {k: v for k, v in resent.items() if k != "csrf_token"} == {
        k: v for k, v in form.items() if k != "csrf_token"
    }
    response = browser.post(rater_link, data=resent)
    assert response.status_code == 302
    assert submitted(app) == 1


def test_the_coach_forms_still_refuse_an_expired_session(app, coach):
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com", TEST_PASSWORD)
    page = browser.get("/")
    browser.client.delete_cookie("session")
    response = browser.post(
        "/coachees", data={"csrf_token": csrf_token(page.text), "name": "X", "email": "x@e.com"}
    )
    assert response.status_code == 400
    assert 'type="hidden" name="name"' not in response.text  # no resend page for coaches
