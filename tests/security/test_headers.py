"""Response headers: a strict Content-Security-Policy, nosniff, no framing, same-origin
referrers, no caching of anything personal, and only trusted Host headers."""

from flask import redirect
from support import csrf_token

from feedback.security import CONTENT_SECURITY_POLICY, PROTECTIVE_HEADERS


def directives(policy: str) -> dict[str, str]:
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


def test_the_policy_is_strict():
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline script, no eval
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_every_page_has_the_headers(app, coach_browser, open_cycle, browser):
    pages = [
        (coach_browser, "/"),
        (coach_browser, f"/cycles/{open_cycle['cycle_id']}"),
        (browser, open_cycle["portal"]),
        (browser, open_cycle["portal"] + "self"),
        (browser, "/login"),
        (browser, "/no-such-page"),
        (browser, "/healthz"),
    ]
    for who, url in pages:
        response = who.get(url)
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store", url


def test_pages_with_personal_data_are_not_stored(rater_link, coach_browser, open_cycle, browser):
    for who, url in (
        (browser, rater_link),
        (browser, open_cycle["portal"]),
        (browser, open_cycle["portal"] + "raters"),
        (coach_browser, f"/cycles/{open_cycle['cycle_id']}"),
        (coach_browser, "/coachees/1"),
        (coach_browser, "/coachees/1/export.json"),
    ):
        response = who.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    # A redirect that carries a link is not cached either.
    page = browser.get(rater_link)
    saved = browser.post(rater_link, data={"csrf_token": csrf_token(page.text), "action": "save"})
    assert saved.status_code == 302 and saved.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_only_trusted_hosts_are_answered(make_app):
    app = make_app(BASE_URL="https://mirror.example.org")
    assert app.config["TRUSTED_HOSTS"] == ["mirror.example.org", "localhost", "127.0.0.1"]
    client = app.test_client()
    assert client.get("/login", base_url="https://mirror.example.org").status_code == 200
    assert client.get("/login", base_url="http://127.0.0.1:5000").status_code == 200
    evil = client.get("/login", base_url="https://evil.example.net")
    assert evil.status_code == 400
    assert "evil.example.net" not in evil.text

    configured = make_app(TRUSTED_HOSTS="a.example.org, b.example.org")
    assert configured.config["TRUSTED_HOSTS"] == ["a.example.org", "b.example.org"]
    assert configured.test_client().get("/login").status_code == 400  # localhost not listed
    anything = make_app(TRUSTED_HOSTS="*")
    assert anything.config["TRUSTED_HOSTS"] is None
    assert anything.test_client().get("/login", base_url="http://x.test").status_code == 200


def test_each_protective_header_once_and_a_views_own_kept(make_app):
    """A view that sets one of the headers itself (in any case) keeps its value, and no
    second copy is added; the others are added once each, on redirects too."""
    app = make_app()

    @app.get("/framed-by-us")
    def framed():
        return "ok", {"x-frame-options": "SAMEORIGIN"}

    @app.get("/elsewhere")
    def elsewhere():
        return redirect("/login")

    client = app.test_client()
    own = client.get("/framed-by-us").headers
    assert own.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    moved = client.get("/elsewhere")
    assert moved.status_code == 302
    for response in (own, moved.headers):
        for name, value in PROTECTIVE_HEADERS:
            if name != "X-Frame-Options" or response is moved.headers:
                assert response.getlist(name) == [value], name
    # A redirect's body is not read: it says no language.
    assert "Content-Language" not in moved.headers
