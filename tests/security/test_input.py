"""Bad input: scores off the scale, duplicated and unknown fields, oversized texts and
bodies, markup and script in every text a person can type (pages and plotly figures),
odd Unicode and NUL bytes, and line breaks in names that could reach mail headers."""

import json
import logging
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from security_support import ITEMS, answers, build_world, row_counts
from sqlalchemy import select
from support import Browser, csrf_token, sign_in

from feedback.extensions import db
from feedback.ratings.models import OpenAnswer, Rating
from feedback.security import NUL_MESSAGE
from feedback.timeutil import today

XSS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">click</a>',
    "</script><script>alert(2)</script>",
    "<b onmouseover=alert(3)>bold</b>",
]


@pytest.mark.parametrize("value", ["0", "6", "-1", "3.5", "", "NaN", "nan", "five", "4 ", "١"])
def test_scores_off_the_scale_are_refused_clearly(rater_link, browser, app, value):
    before = row_counts(app)
    page = browser.get(rater_link)
    form = {"csrf_token": csrf_token(page.text), **answers(), "action": "submit"}
    form[f"item-{ITEMS[0]}"] = value
    response = browser.post(rater_link, data=form)
    assert response.status_code == 400
    assert "need" in response.text  # "... need your attention" or "... still need an answer"
    assert row_counts(app) == before


def test_duplicated_fields_store_one_valid_score(rater_link, browser, app):
    page = browser.get(rater_link)
    data = [("csrf_token", csrf_token(page.text)), ("action", "submit")]
    data += [(f"item-{key}", "4") for key in ITEMS]
    data += [(f"item-{ITEMS[0]}", "1"), (f"item-{ITEMS[0]}", "9"), ("text-headline", "A")]
    data += [("text-headline", "B"), ("action", "save")]
    from werkzeug.datastructures import MultiDict

    response = browser.post(rater_link, data=MultiDict(data))
    assert response.status_code in (302, 400)
    with app.app_context():
        scores = db.session.execute(select(Rating.item_id, Rating.score)).all()
        assert len(scores) in (0, len(ITEMS))  # all or nothing, one score per item
        assert all(score in (1, 2, 3, 4, 5, None) for _, score in scores)
        assert len(db.session.scalars(select(OpenAnswer.text)).all()) <= 1


def test_oversized_texts_get_a_clear_limit(rater_link, browser, app):
    before = row_counts(app)
    page = browser.get(rater_link)
    response = browser.post(
        rater_link,
        data={
            "csrf_token": csrf_token(page.text),
            **answers(),
            "text-headline": "x" * 141,
            "action": "submit",
        },
    )
    assert response.status_code == 400
    assert "under 140 characters" in response.text
    assert row_counts(app) == before


def test_a_one_megabyte_body_is_refused_with_413(rater_link, browser, coach_browser, app):
    before = row_counts(app)
    big = "x" * (1024 * 1024)
    for who, url in ((browser, rater_link), (coach_browser, "/coachees"), (browser, "/login")):
        response = who.post(url, data={"text-headline": big})
        assert response.status_code == 413
        assert "Traceback" not in response.text
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "text",
    [
        "Great 👍🏽 colleague 🇳🇱",
        "abc\u202edcba",  # right-to-left override
        "zero\u200bwidth\u200d\ufeff",
        "combining e\u0301 and \U0001d518",
        "\x01\x07 control \x1b[31m",
    ],
)
def test_odd_unicode_never_breaks_anything(open_cycle, browser, mailbox, coach_browser, app, text):
    portal = open_cycle["portal"]
    response = browser.submit(portal + "raters", {"raters": f"u@example.com, peer, {text}"})
    assert response.status_code in (302, 422)
    link = mailbox.link_for("u@example.com")
    response = browser.submit(link, {**answers(), "text-headline": text[:140], "action": "submit"})
    assert response.status_code == 302
    assert coach_browser.get(f"/cycles/{open_cycle['cycle_id']}").status_code == 200
    added = coach_browser.submit("/coachees", {"name": text, "email": "n@example.com"}, page="/")
    assert added.status_code in (302, 400)
    assert coach_browser.get("/").status_code == 200


def test_nul_bytes_are_refused_with_a_message(open_cycle, rater_link, browser, coach_browser, app):
    before = row_counts(app)
    page = browser.get(rater_link)
    refused = browser.post(
        rater_link,
        data={"csrf_token": csrf_token(page.text), **answers(), "text-headline": "a\x00b"},
    )
    assert refused.status_code == 400
    assert "NUL character" in refused.text
    for who, url, data in (
        (browser, open_cycle["portal"] + "raters", {"raters": "n\x00@example.com, peer"}),
        (browser, open_cycle["portal"] + "self", {"text-headline": "\x00"}),
        (coach_browser, "/coachees", {"name": "A\x00", "email": "a@example.com"}),
        (browser, "/login", {"email": "coach@example.com\x00", "password": "x" * 10}),
    ):
        response = who.submit(url, data, page=url if url != "/coachees" else "/")
        assert response.status_code == 400, url
        assert NUL_MESSAGE.split(" (")[0] in response.text
    assert browser.get("/login?next=%00").status_code == 400
    assert browser.get("/r/%00/").status_code == 404
    assert row_counts(app) == before


class _Tags(HTMLParser):
    """Every element a browser would build from a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag in ("img", "iframe", "object", "embed") and attrs:
            self.found.append(f"<{tag} {attrs}>")
        self.inline_script = (
            tag == "script" and "type" not in dict(attrs) and not dict(attrs).get("src")
        )

    def handle_data(self, data):
        # Inline scripts exist only in the downloadable report (a file opened offline);
        # what matters is that no typed text ends up inside one.
        if getattr(self, "inline_script", False) and "alert(" in data:
            self.found.append(f"typed text inside an inline <script>: {data[:80]}")

    def handle_endtag(self, tag):
        self.inline_script = False


def live_markup(page: str) -> list[str]:
    """Elements in ``page`` that could run script: event attributes, javascript:
    links, inline scripts, typed-in images and frames."""
    parser = _Tags()
    parser.feed(page)
    return parser.found


def figure_blocks(page: str) -> list[str]:
    """The JSON data blocks (plotly figures) a page embeds, as written in the page."""
    return re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)


def test_markup_renders_inert_everywhere(app, mailbox, tmp_path):
    """Script, javascript: links and HTML typed as a name, a headline or a comment
    appear as text on every page, in figures and in exports."""
    from feedback.coaching.models import Cycle
    from feedback.cycles import lifecycle
    from feedback.raters import services as raters
    from feedback.ratings.answers import Answers

    world = build_world(app, "x@example.com", name=XSS[0] + " Doe", closed=False)
    with app.test_request_context():
        cycle = db.session.get(Cycle, world["cycle_id"])
        texts = {"headline": XSS[1][:140], "keep": " ".join(XSS), "change": XSS[4]}
        for n in range(3):
            (invite,), _ = raters.nominate(
                cycle, [raters.Nomination(f"x{n}@example.com", "subordinate", XSS[n])]
            )
            raters.submit(invite, Answers(scores=dict.fromkeys(ITEMS, 2), texts=texts))
        lifecycle.close_cycle(cycle)
        db.session.commit()
    coach = Browser(app.test_client())
    sign_in(coach, "x@example.com", "long enough pw")
    pages = [
        f"/cycles/{world['cycle_id']}",
        f"/coachees/{world['coachee_id']}",
        "/",
        "/cohort",
        f"/coachees/{world['coachee_id']}/trend",
        f"/cycles/{world['cycle_id']}/report.html",
        f"/cycles/{world['cycle_id']}/plan",
        f"/coachees/{world['coachee_id']}/delete",
    ]
    seen = 0
    for url in pages:
        response = coach.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        seen += 1
        body = response.get_data(as_text=True)
        assert live_markup(body) == [], url
        for block in figure_blocks(body):
            assert "<" not in block and ">" not in block, url  # cannot end its <script>
            json.loads(block)  # and still the same data
    assert seen >= 4
    # The dashboard shows the texts, escaped.
    dashboard = coach.get(f"/cycles/{world['cycle_id']}").text
    assert "&lt;script&gt;alert" in dashboard
    # The JSON export keeps them as data.
    export = coach.get(f"/coachees/{world['coachee_id']}/export.json")
    assert export.headers["Content-Type"].startswith("application/json")
    assert json.loads(export.data)["coachee"]["name"].startswith("<script>")
    # The portal page and released report.
    released = coach.submit(
        f"/cycles/{world['cycle_id']}/release", {}, page=f"/cycles/{world['cycle_id']}"
    )
    assert released.status_code == 302
    for path in ("", "report"):
        response = app.test_client().get(world["portal"] + path)
        assert response.status_code < 500
        assert live_markup(response.text) == [], path


def test_line_breaks_in_names_reach_no_header_and_no_log_line(
    coach_browser, browser, mailbox, caplog, app
):
    caplog.set_level(logging.DEBUG)
    evil = "Eve\r\nBcc: victim@example.net\r\nX-Injected: 1"
    response = coach_browser.submit(
        "/coachees", {"name": evil, "email": "eve@example.com"}, page="/"
    )
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        closes_on = (today() + timedelta(days=7)).isoformat()
        started = coach_browser.submit(response.headers["Location"], {"closes_on": closes_on})
        assert started.status_code == 302
        portal = mailbox.link_for("eve@example.com")
        nominated = browser.submit(
            portal + "raters", {"raters": "r@example.com, peer, Rob\rBcc: victim@example.net"}
        )
        assert nominated.status_code in (302, 422)
    for message in mailbox.messages():
        assert message["Bcc"] is None and message["X-Injected"] is None
        for name, value in message.items():
            assert "\r" not in str(value) and "\n" not in str(value), name
    for record in caplog.records:
        line = record.getMessage()
        assert "\r" not in line and "Bcc: victim" not in line, line
