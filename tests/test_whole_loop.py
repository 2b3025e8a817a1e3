"""The whole 360 loop through the real forms: coach, coachee, raters, dashboard."""

import json
import re

import pandas as pd
from sqlalchemy import inspect, select
from support import RATERS_WITH_LONE_PARTNER

from feedback import analysis
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.ratings.frames import ratings_frame
from feedback.ratings.models import Response
from feedback.ratings.results import rules_for

QUESTIONNAIRE = default_questionnaire()
ITEMS = [item.key for item in QUESTIONNAIRE.items]

RATERS = RATERS_WITH_LONE_PARTNER


def test_the_whole_loop(open_cycle, browser, coach_browser, mailbox, app):
    portal = open_cycle["portal"].rstrip("/")
    # The coachee rates themself 5 on the first half, 2 on the second.
    self_scores = {key: ("5" if i < len(ITEMS) // 2 else "2") for i, key in enumerate(ITEMS)}
    response = browser.submit(
        f"{portal}/self",
        {
            **{f"item-{k}": v for k, v in self_scores.items()},
            "text-headline": "I build teams that listen.",
            "action": "submit",
        },
    )
    assert response.status_code == 302

    lines = "\n".join(f"{email}, {group}" for email, (group, _) in RATERS.items())
    assert browser.submit(f"{portal}/raters", {"raters": lines}).status_code == 302

    for email, (group, score) in RATERS.items():
        link = mailbox.link_for(email)
        response = browser.submit(
            link,
            {
                **{f"item-{k}": str(score) for k in ITEMS},
                "text-headline": f"Seen by a {group} rater",
                "text-keep": "Keep the weekly one-to-ones.",
                "action": "submit",
            },
        )
        assert response.status_code == 302, email

    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    open_page = coach_browser.get(cycle_url).text
    assert "Results appear when the cycle closes" in open_page
    assert "figure-competencies" not in open_page

    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    page = coach_browser.get(cycle_url)
    assert page.status_code == 200
    html = page.text

    with app.app_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        ratings = ratings_frame(cycle)
        competencies = analysis.competency_stats(ratings, rules_for(cycle))
        items = analysis.item_stats(ratings, rules_for(cycle))

    # Others' mean is the mean of the eight raters: (5+4+3+4+2+3+2+1)/8 = 3.0.
    assert (items["others_mean"] == 3.0).all()
    assert (items["others_n"] == 8).all()
    # The boss is shown alone; the single partner never is.
    assert (items["boss_mean"] == 5.0).all()
    assert items["partner_mean"].isna().all()
    # A first-half item: gap = self 5 − others 3 = +2. Others' scores 5,4,3,4,2,3,2,1
    # deviate by 2,1,0,1,1,0,1,2: s² = 12/7, rwg = 1 − (12/7)/2 = 1/7 < 0.5, so the
    # large gap is "others disagree", not a blind spot.
    first = items.iloc[0]
    assert first["gap"] == 2.0
    assert abs(first["rwg"] - 1 / 7) < 1e-9
    assert first["category"] == "others disagree"

    # Every competency figure on the page equals the engine's.
    for row in competencies.itertuples():
        cells = re.search(rf"<td>{re.escape(row.competency)}</td>(.*?)</tr>", html, re.S)
        assert cells, row.competency
        numbers = re.findall(r'<td class="num">([^<]*)</td>', cells.group(1))
        assert numbers[0] == f"{row.self:.2f}"
        assert numbers[1] == f"{row.others_mean:.2f}"
        assert numbers[2] == str(row.others_n)
        assert numbers[3] == f"{row.gap:+.2f}"

    # Charts: the figure JSON carries no trace of the hidden partner group.
    figures = re.findall(
        r'<script type="application/json" id="figure-(?:competencies|gaps)">(.*?)</script>',
        html,
        re.S,
    )
    assert len(figures) == 2
    for figure in map(json.loads, figures):
        names = {trace.get("name") for trace in figure["data"]}
        assert "Partners" not in names
        assert 1.0 not in [x for trace in figure["data"] for x in (trace.get("x") or [])]
    assert "Boss" in {t.get("name") for t in json.loads(figures[0])["data"]}
    assert '<th class="num">Partners</th>' not in html

    # Headlines side by side, shuffled, never with a name.
    assert "I build teams that listen." in html
    assert html.count("Seen by a ") == len(RATERS)
    assert "partner@example.com" not in html.split("Answers per group")[1]
    # plotly.js comes from this app.
    assert re.search(r'<meta name="plotly-js" content="/vendor/plotly-[^"]+\.min\.js"', html)


def test_responses_cannot_be_tied_to_invites(app):
    """No invite id, email, address or time on a response; random ids (docs/analysis.md,
    "In the database")."""
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("responses", "ratings", "open_answers"):
            columns = {c["name"] for c in inspector.get_columns(table)}
            for forbidden in ("invite_id", "email", "ip", "created_at", "submitted_at", "name"):
                assert forbidden not in columns, (table, forbidden)
            foreign = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
            assert "invites" not in foreign


def test_response_ids_are_random(open_cycle, browser, mailbox, app):
    portal = open_cycle["portal"].rstrip("/")
    browser.submit(f"{portal}/raters", {"raters": "a@example.com, peer\nb@example.com, peer"})
    for email in ("a@example.com", "b@example.com"):
        browser.submit(mailbox.link_for(email), {**{f"item-{k}": "3" for k in ITEMS}})
    with app.app_context():
        ids = db.session.scalars(select(Response.id)).all()
    assert len(ids) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert pd.Series(ids).nunique() == 2
