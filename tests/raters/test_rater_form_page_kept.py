"""A rater's form GET is joined from pieces kept per questionnaire version, language
and group (feedback/raters/page.py). The page must be exactly the one the template
draws for that rater, and one rater's values must never reach another's page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from support import Browser

from feedback.coaching.models import Coachee, Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters import page as kept_page
from feedback.timeutil import today

ITEMS = [item.key for item in default_questionnaire().items]
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def whole(browser, link, monkeypatch) -> str:
    """The page as the template draws it whole."""
    with monkeypatch.context() as patch:
        patch.setattr(kept_page, "_pieces", lambda *_: None)
        patch.setitem(browser.client.application.extensions, "rater_form_pages", {})
        return browser.get(link).text


def same_but_token(kept: str, drawn: str) -> None:
    assert TOKEN.sub("TOKEN", kept) == TOKEN.sub("TOKEN", drawn)


@pytest.mark.parametrize(
    "line",
    ["rita@example.com, peer, Rita", "bo@example.com, boss, Bo", "uli@example.com, peer, Uli, de"],
)
def test_the_kept_page_is_the_drawn_page(open_cycle, browser, app, mailbox, monkeypatch, line):
    browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": line})
    link = mailbox.link_for(line.split(",")[0])
    browser.get(open_cycle["portal"])  # the flashed "invited" message is shown there
    other = Browser(app.test_client())
    with app.app_context():  # names and a deadline that need escaping and translating
        db.session.execute(update(Coachee).values(name="Zoë <O'Brien> & Co"))
        db.session.execute(
            update(Cycle).values(min_group_size=4, closes_on=today() + timedelta(days=9))
        )
        db.session.commit()
    first = other.get(link).text  # draws and keeps the pieces
    assert app.extensions["rater_form_pages"], "the page was not kept"
    same_but_token(other.get(link).text, whole(other, link, monkeypatch))
    same_but_token(first, whole(other, link, monkeypatch))
    assert "Zoë &lt;O&#39;Brien&gt; &amp; Co" in first and "<O'Brien>" not in first

    # A saved draft (and its flashed message, read once) on the same kept pieces.
    other.submit(link, {f"item-{ITEMS[1]}": "2", "text-keep": "Keep <calm>", "action": "save"})
    assert "flash success" in other.get(link).text  # drawn whole: a message was waiting
    kept = other.get(link).text
    assert 'value="2" checked' in kept and "Keep &lt;calm&gt;</textarea>" in kept
    same_but_token(kept, whole(other, link, monkeypatch))

    # The note to a boss follows the cycle's setting, whatever pieces were kept before.
    with app.app_context():
        db.session.execute(update(Cycle).values(boss_exempt=False))
        db.session.commit()
    same_but_token(other.get(link).text, whole(other, link, monkeypatch))


def test_each_raters_values_stay_on_their_page(open_cycle, coach_browser, browser, app, mailbox):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "rita@example.com, peer, Rita\nsam@example.com, peer, Sam"},
    )
    rita, sam = mailbox.link_for("rita@example.com"), mailbox.link_for("sam@example.com")
    browser.submit(rita, {f"item-{ITEMS[0]}": "5", "action": "save"})
    with app.app_context():
        db.session.execute(update(Cycle).values(closes_on=today() + timedelta(days=3)))
        db.session.commit()
    rita_browser, sam_browser = Browser(app.test_client()), Browser(app.test_client())
    for _ in range(2):
        rita_page, sam_page = rita_browser.get(rita).text, sam_browser.get(sam).text
    assert len(app.extensions["rater_form_pages"]) == 1  # one set of pieces for both
    assert 'value="5" checked' in rita_page and "checked" not in sam_page
    assert TOKEN.search(rita_page).group(1) != TOKEN.search(sam_page).group(1)
    # The coach signed in in this browser sees their menu: that page is drawn whole.
    coach_page = coach_browser.get(sam).text
    assert "Sign out" in coach_page and "Sign out" not in sam_page
