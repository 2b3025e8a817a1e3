"""Whose language a page is in is what the request said (``i18n.use``): the signed-in
coach's setting before any view runs, a view that knows whose page it is after that;
choosing reads nothing else (no database, no Flask-Login internals)."""

from types import SimpleNamespace

from flask import g
from sqlalchemy import update

from feedback.accounts.models import Coach
from feedback.extensions import db
from feedback.i18n import select_locale


def _coach_speaks(app, code) -> None:
    with app.app_context():
        db.session.execute(update(Coach).values(language=code))
        db.session.commit()


def test_choosing_reads_only_what_the_request_said(app):
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        g._login_user = SimpleNamespace(language="de", is_authenticated=True)
        assert select_locale() == "fr"
        g.page_language = "es"
        assert select_locale() == "es"


def test_a_signed_in_coach_sees_every_page_in_their_language_until_a_view_says_otherwise(
    app, coach_browser, browser, open_cycle, mailbox
):
    response = browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters", {"raters": "rita@example.com, peer, Rita"}
    )
    assert response.status_code == 302
    rater_link = mailbox.link_for("rita@example.com")
    _coach_speaks(app, "de")
    # Pages no blueprint of the coach's answers: the coach's language all the same.
    missing = coach_browser.get("/nowhere", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404 and missing.headers["Content-Language"] == "de"
    assert (
        coach_browser.get("/", headers={"Accept-Language": "fr"}).headers["Content-Language"]
        == "de"
    )
    # The rater's form knows whose page it is: the rater's language (the cycle's), even
    # in the coach's browser.
    form = coach_browser.get(rater_link, headers={"Accept-Language": "fr"})
    assert form.status_code == 200 and form.headers["Content-Language"] == "en"
    # A visitor without a session: the browser's language.
    assert (
        browser.get("/login", headers={"Accept-Language": "fr"}).headers["Content-Language"] == "fr"
    )
    # The coach's setting "the browser's language" follows the browser.
    _coach_speaks(app, None)
    assert (
        coach_browser.get("/", headers={"Accept-Language": "es"}).headers["Content-Language"]
        == "es"
    )
