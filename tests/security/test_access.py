"""Access: coach A gets a 404 for every page and action of coach B's (enumerated from the
URL map, so new routes are covered as they appear); a coachee's link reaches only their
own cycle; fields a form does not have are ignored."""

import json
from urllib.parse import urlsplit

import pytest
from security_support import ITEMS, answers, build_world, row_counts
from sqlalchemy import MetaData, func, select
from support import Browser, csrf_token, sign_in

from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.ratings.models import OpenAnswer, Rating, Response

#: Values tried for string arguments (formats and the like).
STRING_VALUES = ("html", "csv", "xlsx", "json", "pdf", "png", "x")


@pytest.fixture
def two_coaches(app):
    """Coach A (signed in) and coach B, each with a coachee, a closed and an open cycle."""
    a = build_world(app, "a@example.com", name="Alice Anders")
    b = build_world(app, "b@example.com", name="Bruno Berg")
    browser = Browser(app.test_client())
    sign_in(browser, "a@example.com", "long enough pw")
    return a, b, browser


def table_for(argument: str, tables: list[str]) -> str | None:
    """The table an ``<x>_id`` argument points to: ``goal_id`` → ``goals``."""
    stem = argument.removesuffix("_id")
    for name in (stem + "s", stem + "es", stem):
        if name in tables:
            return name
    candidates = [name for name in tables if name.endswith(stem + "s")]
    return candidates[0] if len(candidates) == 1 else None


def ids_in(app, table: str) -> list[int]:
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine, only=[table])
        rows = db.session.execute(select(metadata.tables[table].c.id)).scalars().all()
        db.session.remove()
    return list(rows) or [1]


def coach_rules(app):
    """Rules behind the coach's sign-in that take an id: everything but link pages and
    the API, whose tokens tests/api/test_auth.py checks the same way."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "token" not in rule.arguments
        and any(name.endswith("_id") for name in rule.arguments)
        and rule.endpoint != "static"
        and not rule.endpoint.startswith("api.")
    ]


def urls_with_ids_of(app, rule, owner: dict) -> list[str]:
    """Every URL of ``rule`` filled with ``owner``'s ids (both cycles for a cycle id),
    the rows of the table an unknown ``<x>_id`` names, and strings to try."""
    with app.app_context():
        tables = db.inspect(db.engine).get_table_names()
    options: dict[str, list] = {}
    for name in rule.arguments:
        if name == "cycle_id":
            options[name] = [owner["cycle_id"], owner["open_cycle_id"]]
        elif name == "coachee_id":
            options[name] = [owner["coachee_id"]]
        elif name == "invite_id":
            options[name] = [owner["invite_id"]]
        elif name.endswith("_id"):
            table = table_for(name, tables)
            options[name] = ids_in(app, table) if table else [1, 2, 3]
        else:
            options[name] = list(STRING_VALUES)
    combos = [{}]
    for name, values in options.items():
        combos = [{**combo, name: value} for combo in combos for value in values]
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return [adapter.build(rule.endpoint, combo) for combo in combos]


def test_coach_a_gets_404_for_everything_of_coach_b(app, two_coaches):
    a, b, browser = two_coaches
    rules = coach_rules(app)
    endpoints = {rule.endpoint for rule in rules}
    assert {"dashboard.show_cycle", "coaching.close_cycle", "coaching.show_coachee"} <= endpoints
    token = csrf_token(browser.get("/").text)
    checked = []
    for rule in rules:
        for url in urls_with_ids_of(app, rule, b):
            before = row_counts(app)
            for method in sorted(rule.methods - {"OPTIONS"}):
                data = {"csrf_token": token, "action": "submit"} if method == "POST" else None
                response = browser.client.open(url, method=method, data=data, buffered=True)
                assert response.status_code == 404, (method, url, response.status_code)
                if method != "HEAD":
                    body = response.text
                    assert "b@example.com" not in body and "Bruno" not in body, url
                checked.append((method, url))
            assert row_counts(app) == before, url
    assert len(checked) >= 15

    # The same URLs with A's own ids work for A (the test is not just seeing 404s).
    assert browser.get(f"/cycles/{a['cycle_id']}").status_code == 200
    assert browser.get(f"/coachees/{a['coachee_id']}").status_code == 200
    # A's lists show none of B's data.
    for page in ("/", "/cohort"):
        response = browser.get(page)
        if response.status_code == 200:
            assert "b@example.com" not in response.text and "Bruno" not in response.text


def test_signed_out_visitors_reach_no_coach_page(app, two_coaches):
    _a, b, _browser = two_coaches
    stranger = app.test_client()
    for rule in coach_rules(app):
        for url in urls_with_ids_of(app, rule, b):
            response = stranger.get(url) if "GET" in rule.methods else stranger.post(url)
            assert response.status_code in (302, 400, 401, 404, 405), (url, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"]


def test_a_coachees_link_reaches_only_their_own_cycle(app, two_coaches):
    a, b, _browser = two_coaches
    coachee = Browser(app.test_client())
    portal = urlsplit(a["portal"]).path
    page = coachee.get(portal)
    assert page.status_code == 200
    assert "Alice" in page.text and "b@example.com" not in page.text
    for path in ("self", "raters", "report", "plan", "predictions"):
        response = coachee.get(portal + path)
        assert response.status_code < 500
        assert "b@example.com" not in response.text and "Bruno" not in response.text
    # Another cycle's ids in the form or the query change nothing of it.
    open_portal = urlsplit(a["open_portal"]).path
    token = csrf_token(coachee.get(open_portal + "raters").text)
    before = row_counts(app)
    response = coachee.post(
        open_portal + f"raters?cycle_id={b['open_cycle_id']}",
        data={
            "csrf_token": token,
            "raters": "new.rater@example.com, peer",
            "cycle_id": str(b["open_cycle_id"]),
            "coachee_id": str(b["coachee_id"]),
        },
    )
    assert response.status_code in (302, 409, 422)
    with app.app_context():
        invited = db.session.scalar(select(Invite).where(Invite.email == "new.rater@example.com"))
        assert invited is not None and invited.cycle_id == a["open_cycle_id"]
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(Invite)
                .where(Invite.cycle_id == b["open_cycle_id"])
            )
            == 1
        )
    if response.status_code != 302:
        assert row_counts(app) == before


def test_fields_a_form_does_not_have_are_ignored(rater_link, browser, app, open_cycle):
    page = browser.get(rater_link)
    response = browser.post(
        rater_link,
        data={
            "csrf_token": csrf_token(page.text),
            **answers("3"),
            "text-headline": "Steady.",
            "group": "subordinate",
            "cycle_id": "999",
            "id": "0" * 32,
            "submitted": "false",
            "email": "someone@example.com",
            "item-not_a_real_item": "5",
            "text-not_a_question": "injected",
            "text-strengths": "a question for the coachee only",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        response_row = db.session.scalar(select(Response).where(Response.group != "self"))
        assert response_row.group == "boss"  # the invite's group, not the form's
        assert response_row.cycle_id == open_cycle["cycle_id"]
        assert response_row.id != "0" * 32 and response_row.submitted is True
        assert db.session.scalar(select(func.count()).select_from(Rating)) == len(ITEMS)
        texts = db.session.scalars(select(OpenAnswer.text)).all()
        assert texts == ["Steady."]
        assert "someone@example.com" not in json.dumps(
            [str(v) for v in db.session.execute(select(Invite.email)).scalars()]
        )
