"""Anonymity in the database and the logs: a response cannot be tied to its invite
(columns, ids, transaction ids and physical order), logs hold no token and no rater's
address next to an answer, results wait for the close, and hide again when it reopens."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from security_support import answers, build_world, invite_raters
from sqlalchemy import DateTime, func, inspect, select, text
from support import csrf_token

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.ratings.models import Response
from feedback.timeutil import today
from feedback.vocabulary import CycleState, CycleStateError

ANSWER_TABLES = ("responses", "ratings", "open_answers")


def test_answer_tables_hold_nothing_about_who_or_when(app):
    with app.app_context():
        inspector = inspect(db.engine)
        columns = {t: {c["name"]: c for c in inspector.get_columns(t)} for t in ANSWER_TABLES}
        foreign = {
            t: {fk["referred_table"] for fk in inspector.get_foreign_keys(t)} for t in ANSWER_TABLES
        }
    # "held" says only that a response waits for a close that may show it (README
    # "Anonymity"); every response a close lets in loses it (test_reopen_rule.py).
    assert set(columns["responses"]) == {"id", "cycle_id", "group", "submitted", "held"}
    assert set(columns["ratings"]) == {"response_id", "item_id", "score"}
    assert set(columns["open_answers"]) == {"response_id", "question_id", "text"}
    for table, cols in columns.items():
        for name, column in cols.items():
            assert not isinstance(column["type"], DateTime), (table, name)
            assert not re.search(r"invite|email|ip|addr|time|_at$|created|agent", name)
        assert "invites" not in foreign[table]
    # ... and nothing about an invite points to an answer.
    with app.app_context():
        invite_fks = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("invites")}
    assert not invite_fks & set(ANSWER_TABLES)


def test_response_ids_are_random_and_drafts_leave_the_invite(rater_link, browser, app):
    browser.submit(rater_link, {**answers(), "text-keep": "Draft words", "action": "save"})
    with app.app_context():
        assert "Draft words" in db.session.scalar(select(Invite.draft))
    browser.submit(rater_link, {**answers(), "text-keep": "Final words", "action": "submit"})
    with app.app_context():
        invite = db.session.scalar(select(Invite))
        assert invite.draft is None
        response_id = db.session.scalar(select(Response.id).where(Response.group != "self"))
    assert re.fullmatch(r"[0-9a-f]{32}", response_id)
    assert response_id != invite.link_key and not response_id.isdigit()


def _ordered_ids(cycle_id: int) -> list[str]:
    """Rater responses of a cycle in the order the database stores them."""
    # SQLite stores these tables WITHOUT ROWID, that is in primary-key order.
    order = "ctid" if db.engine.dialect.name == "postgresql" else "id"
    rows = db.session.execute(
        text(
            f"SELECT id FROM responses WHERE cycle_id = :c AND \"group\" <> 'self' ORDER BY {order}"  # noqa: S608
        ),
        {"c": cycle_id},
    )
    return [row[0] for row in rows]


def test_closing_forgets_the_order_and_transactions_of_submits(app):
    world = build_world(app, "anon@example.com", closed=False)
    with app.app_context():
        before = set(
            db.session.scalars(
                select(Response.id).where(
                    Response.cycle_id == world["cycle_id"], Response.group != "self"
                )
            )
        )
        postgres = db.engine.dialect.name == "postgresql"
        if postgres:  # the link this closes: one transaction wrote both rows
            invite_xmins = set(
                db.session.scalars(
                    text("SELECT xmin::text FROM invites WHERE cycle_id = :c"),
                    {"c": world["cycle_id"]},
                )
            )
            response_xmins = set(
                db.session.scalars(
                    text("SELECT xmin::text FROM responses WHERE cycle_id = :c"),
                    {"c": world["cycle_id"]},
                )
            )
            assert invite_xmins & response_xmins
        db.session.remove()
    with app.test_request_context():
        from feedback.cycles.lifecycle import close_cycle

        cycle = db.session.get(Cycle, world["cycle_id"])
        scores_before = db.session.scalar(select(func.count()).select_from(Response))
        close_cycle(cycle)
        db.session.commit()
        ids = _ordered_ids(world["cycle_id"])
        assert len(ids) == len(before) == 4
        assert not set(ids) & before  # every answer has a new random id
        assert ids == sorted(ids)  # stored in the order of those random ids
        assert db.session.scalar(select(func.count()).select_from(Response)) == scores_before
        if postgres:
            xmins = set(
                db.session.scalars(
                    text(
                        "SELECT xmin::text FROM invites WHERE cycle_id = :c UNION "
                        "SELECT xmin::text FROM responses WHERE cycle_id = :c "
                        "AND \"group\" <> 'self'"
                    ),
                    {"c": world["cycle_id"]},
                )
            )
            assert len(xmins) == 1  # all written by the closing transaction
            invite_order = db.session.scalars(
                text("SELECT id FROM invites WHERE cycle_id = :c ORDER BY ctid"),
                {"c": world["cycle_id"]},
            ).all()
            assert invite_order == sorted(invite_order)
    # The analysis still sees every answer.
    with app.test_request_context():
        from feedback.ratings.frames import ratings_frame

        frame = ratings_frame(db.session.get(Cycle, world["cycle_id"]))
        assert frame["rater_id"].nunique() == 5  # four raters and the self-assessment


def test_logs_hold_no_token_and_no_rater_address(
    make_app, serve, caplog, open_cycle, browser, mailbox
):
    """The whole rater flow against a real server, its access log captured."""
    caplog.set_level(logging.DEBUG)
    links = invite_raters(
        browser, mailbox, open_cycle["portal"], ["logged.rater@example.com, peer, Lara"]
    )
    served = serve(make_app(TESTING=False))
    from http.cookiejar import CookieJar
    from urllib.parse import urlencode
    from urllib.request import HTTPCookieProcessor, build_opener

    opener = build_opener(HTTPCookieProcessor(CookieJar()))
    url = served.url + urlsplit(links[0]).path
    caplog.clear()
    with opener.open(url, timeout=30) as page:
        token = csrf_token(page.read().decode())
    form = {"csrf_token": token, **answers(), "text-headline": "Very kind", "action": "submit"}
    with opener.open(url, data=urlencode(form).encode(), timeout=30) as done:
        assert done.status == 200 and "Thank" in done.read().decode()
    lines = [record.getMessage() for record in caplog.records]
    assert any("POST /r/" in line for line in lines), lines  # the access log was captured
    tokens = [urlsplit(link).path.split("/")[2] for link in (*links, open_cycle["portal"])]
    for line in lines:
        for secret in tokens:
            assert secret not in line
            assert secret.split(".")[0] not in line
        assert "logged.rater" not in line and "Lara" not in line and "Very kind" not in line


def test_results_wait_for_the_close_and_late_answers_are_refused(
    open_cycle, coach_browser, browser, mailbox, app
):
    links = invite_raters(
        browser,
        mailbox,
        open_cycle["portal"],
        [f"p{n}@example.com, peer" for n in range(4)],
    )
    for link in links[:3]:
        assert browser.submit(link, {**answers("2"), "action": "submit"}).status_code == 302
    dashboard = coach_browser.get(f"/cycles/{open_cycle['cycle_id']}").text
    assert "data-figure" not in dashboard and "Results appear when the cycle closes" in dashboard
    page = coach_browser.get(f"/cycles/{open_cycle['cycle_id']}")
    coach_browser.post(
        f"/cycles/{open_cycle['cycle_id']}/close", data={"csrf_token": csrf_token(page.text)}
    )
    shown = coach_browser.get(f"/cycles/{open_cycle['cycle_id']}").text
    late_page = browser.get(links[3])
    late = browser.post(
        links[3],
        data={"csrf_token": csrf_token(browser.get("/login").text), **answers("5")},
    )
    assert late.status_code == 410 and "closed" in late.text.lower()
    assert late_page.status_code == 410
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Response).where(Response.group != "self")
            )
            == 3
        )
    assert "data-figure" in shown  # results now, from the three answers on time


def test_a_reopened_cycle_hides_its_results_and_asks_first(
    open_cycle, coach_browser, browser, mailbox, app
):
    url = f"/cycles/{open_cycle['cycle_id']}"
    links = invite_raters(
        browser, mailbox, open_cycle["portal"], [f"p{n}@example.com, peer" for n in range(4)]
    )
    for link in links[:3]:
        assert browser.submit(link, {**answers("2"), "action": "submit"}).status_code == 302
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    assert "data-figure" in coach_browser.get(url).text

    deadline = (today() + timedelta(days=3)).isoformat()
    assert coach_browser.submit(f"{url}/reopen", {"closes_on": deadline}).status_code == 400
    with app.app_context():
        assert db.session.get(Cycle, open_cycle["cycle_id"]).state is CycleState.CLOSED
        with pytest.raises(CycleStateError):  # only the reopen step leaves "closed"
            db.session.get(Cycle, open_cycle["cycle_id"]).close()
    response = coach_browser.submit(f"{url}/reopen", {"closes_on": deadline, "understood": "y"})
    assert response.status_code == 302

    # The fourth rater answers late: the coach sees counts, never figures moving.
    assert browser.submit(links[3], {**answers("5"), "action": "submit"}).status_code == 302
    dashboard = coach_browser.get(url).text
    assert "data-figure" not in dashboard and "Results appear when the cycle closes" in dashboard
    for fmt in ("html", "csv", "xlsx"):
        assert coach_browser.get(f"{url}/report.{fmt}").status_code == 409
