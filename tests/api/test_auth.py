"""Who may use the API: only a coach's bearer token, never a cookie; a read token
reads; a coach's token reaches only that coach's data (anything else is a 404, as on
the pages); requests are counted per token."""

from datetime import timedelta

import pytest
from api_support import Api, row_counts
from factories import ITEMS
from support import sign_in

from feedback.extensions import db
from feedback.timeutil import today

PROBLEM = "application/problem+json"


def api_rules(app):
    """Every operation of the API, from the URL map (new ones are covered as they
    appear), but the public document."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.show_openapi"
    ]


def urls(app, rule, ids: dict) -> list[str]:
    values = {}
    for name in rule.arguments:
        values[name] = ids.get(name, 1 if name.endswith("_id") else "csv")
    with app.test_request_context():
        return [app.url_map.bind("localhost").build(rule.endpoint, values)]


def valid_body(endpoint: str) -> dict | None:
    """A body each operation accepts, so that only the owner check can refuse it."""
    closes_on = (today() + timedelta(days=30)).isoformat()
    return {
        "api.edit_coachee": {"name": "Taken Over"},
        "api.start_cycle": {"closes_on": closes_on},
        "api.reopen_cycle": {"closes_on": closes_on, "understood": True},
        "api.keep_results": {"understood": True},
        "api.nominate_raters": {"raters": [{"email": "spy@example.org", "group": "peer"}]},
        "api.create_pulse": {"statements": [ITEMS[0]]},
    }.get(endpoint)


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"OPTIONS", "HEAD"})


def test_without_a_token_every_operation_is_a_401_problem(app, world):
    stranger = Api(app.test_client(), None)
    rules = api_rules(app)
    assert len(rules) >= 15
    before = row_counts(app)
    for rule in rules:
        for url in urls(
            app,
            rule,
            {
                "coachee_id": world["coachee_id"],
                "cycle_id": world["closed_cycle_id"],
                "token_id": 1,
            },
        ):
            for method in methods(rule):
                response = stranger.client.open(url, method=method, json={})
                assert response.status_code == 401, (method, url)
                assert response.mimetype == PROBLEM
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert response.json["status"] == 401
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer m360_not-a-real-token",
        "Bearer ",
        "Basic Y29hY2g6cGFzc3dvcmQ=",
        "m360_without_a_scheme",
        "Bearer " + "m360_" + "x" * 5000,
    ],
)
def test_a_bad_token_is_a_401(app, world, header):
    client = app.test_client()
    response = client.get("/api/v1/coachees", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == PROBLEM


def test_a_signed_in_coachs_cookie_does_not_authenticate(app, world):
    from support import Browser

    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com", "long enough pw")
    assert browser.get("/").status_code == 200  # the cookie works for pages
    response = browser.client.get("/api/v1/coachees")
    assert response.status_code == 401
    before = row_counts(app)
    response = browser.client.post(
        "/api/v1/coachees", json={"name": "X Y", "email": "x@example.com"}
    )
    assert response.status_code == 401
    assert row_counts(app) == before


def test_a_token_needs_no_csrf_token(api):
    response = api.post("/coachees", json={"name": "New Person", "email": "new@example.com"})
    assert response.status_code == 201


def test_a_read_token_reads_and_may_not_write(reader, world):
    assert reader.get("/coachees").status_code == 200
    assert reader.get(f"/cycles/{world['closed_cycle_id']}/results").status_code == 200
    writes = [
        ("POST", "/coachees", {"name": "New Person", "email": "new@example.com"}),
        ("PATCH", f"/coachees/{world['coachee_id']}", {"name": "Renamed"}),
        ("DELETE", f"/coachees/{world['coachee_id']}", None),
        ("POST", f"/cycles/{world['open_cycle_id']}/close", None),
        (
            "POST",
            f"/cycles/{world['open_cycle_id']}/nominations",
            {"raters": [{"email": "z@example.org", "group": "peer"}]},
        ),
    ]
    for method, path, body in writes:
        response = reader.open(method, path, json=body)
        assert response.status_code == 403, (method, path)
        assert response.mimetype == PROBLEM
        assert "write" in response.json["detail"]
    assert reader.get(f"/coachees/{world['coachee_id']}").json["name"] == "Casey Doe"


def test_another_coachs_ids_are_404_everywhere(app, world, api):
    b_ids = {
        "coachee_id": world["b_coachee_id"],
        "cycle_id": world["b_cycle_id"],
        "token_id": world["b_token_id"],
        "webhook_id": world["b_webhook_id"],
        "invite_id": world["b_invite_id"],
    }
    before = row_counts(app)
    checked = 0
    for rule in api_rules(app):
        if not set(rule.arguments) & set(b_ids):
            continue
        for url in urls(app, rule, b_ids):
            for method in methods(rule):
                body = valid_body(rule.endpoint) if method != "GET" else None
                response = api.client.open(url, method=method, json=body, headers=api.headers())
                assert response.status_code == 404, (method, url, response.status_code)
                assert response.mimetype == PROBLEM
                assert "Bruno" not in response.text and "bea@example.com" not in response.text
                checked += 1
    assert checked >= 19
    assert row_counts(app) == before
    # B's own token reaches the same URLs (the 404s are about ownership).
    b = Api(app.test_client(), world["b_write"])
    assert b.get(f"/cycles/{world['b_cycle_id']}").status_code == 200
    assert b.get(f"/coachees/{world['b_coachee_id']}").json["name"] == "Bea Bauer"
    # A's lists show nothing of B's.
    names = [c["name"] for c in api.get("/coachees").json["coachees"]]
    assert names == ["Casey Doe"]


def test_ids_beyond_any_table_are_404_not_errors(api):
    for path in ("/cycles/99999999999", "/coachees/4294967296/cycles", "/cycles/0"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == PROBLEM


def test_a_revoked_token_stops_working(app, world, api):
    tokens = api.get("/tokens").json["tokens"]
    assert {t["name"] for t in tokens} == {"CRM", "Reports"}
    assert [t["current"] for t in tokens if t["name"] == "CRM"] == [True]
    assert all(not t["prefix"] or world["write"] not in t["prefix"] for t in tokens)
    reports = next(t for t in tokens if t["name"] == "Reports")
    assert api.delete(f"/tokens/{reports['id']}").status_code == 204
    assert Api(app.test_client(), world["read"]).get("/coachees").status_code == 401
    assert api.delete(f"/tokens/{reports['id']}").status_code == 404
    assert api.get("/coachees").status_code == 200


def test_requests_are_limited_per_token(make_app, world, app):
    limited = make_app(API_RATE_LIMIT="3/minute")
    a = Api(limited.test_client(), world["write"])
    b = Api(limited.test_client(), world["b_write"])
    statuses = [a.get("/coachees").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = a.get("/coachees")
    assert response.mimetype == PROBLEM
    assert int(response.headers["Retry-After"]) >= 1
    assert b.get("/coachees").status_code == 200  # another token has its own count


def test_a_bad_rate_limit_setting_stops_the_app(make_app):
    with pytest.raises(ValueError, match="FEEDBACK_API_RATE_LIMIT"):
        make_app(API_RATE_LIMIT="many per minute")


def test_only_a_hash_of_the_secret_is_stored(app, world):
    with app.app_context():
        rows = db.session.execute(db.text("SELECT * FROM api_tokens")).all()
    stored = repr(rows)
    for secret in (world["write"], world["read"], world["b_write"]):
        assert secret not in stored
        assert secret[5:] not in stored
