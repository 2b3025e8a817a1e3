"""The coachee's nominations in the coachee's language (issue 18): each refused line's
reason, the groups in the portal's tables and selects, and what the cycle still lacks
of its minimums (shared with the coach's dashboard, there in the coach's language)."""

import re

import factories
import pytest
from sqlalchemy import update
from support import Browser

from feedback.accounts.models import Coach
from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import portal_url
from feedback.extensions import db
from feedback.raters.services import parse_nominations


def set_language(app, cycle_id: int, language: str | None) -> None:
    with app.app_context():
        coachee_id = db.session.get(Cycle, cycle_id).coachee_id
        db.session.execute(
            update(Coachee).where(Coachee.id == coachee_id).values(language=language)
        )
        db.session.commit()


#: Lines the portal refuses, each for another reason, and one it takes.
LINES = "\n".join(
    [
        "not-an-address, peer",
        "x@example.com, stranger",
        "y@example.com, peer, Yann, Klingon",
        "z@example.com",
        "casey@example.com, peer",
        "ok@example.com, peer, Olga",
    ]
)


def test_refused_lines_are_explained_in_the_coachees_language(app, browser, open_cycle):
    portal = open_cycle["portal"].rstrip("/")
    english = browser.submit(f"{portal}/raters", {"raters": LINES})
    assert english.status_code == 422
    english_reasons = [
        "“not-an-address” is not an email address",
        "“stranger” is not a group; use one of Boss, Peers, Subordinates, Partners",
        "“Klingon” is not a language we speak",
        "expected “email, group” or “email, group, name”",
        "that is your own address; the self-assessment is yours",
    ]
    for reason in english_reasons:
        assert reason in english.text, reason

    set_language(app, open_cycle["cycle_id"], "de")
    german = browser.submit(f"{portal}/raters", {"raters": LINES.replace("ok@", "ok2@")})
    assert german.status_code == 422
    text = german.text.replace("&#34;", '"')
    for reason in [
        "Zeile 1:",
        "„not-an-address“ ist keine E-Mail-Adresse",
        "„stranger“ ist keine Gruppe; verwenden Sie eine von: Führungskraft, Kollegen, "
        "Mitarbeitende, Partner",
        "„Klingon“ ist keine Sprache, die wir anbieten",
        "erwartet wird „E-Mail, Gruppe“ oder „E-Mail, Gruppe, Name“",
        "das ist Ihre eigene Adresse",
    ]:
        assert reason in text, reason
    for reason in english_reasons:
        assert reason not in text, reason
    # The same address again: refused as already invited, in German.
    again = browser.submit(f"{portal}/raters", {"raters": "ok@example.com, peer"})
    assert "ok@example.com ist bereits eingeladen" in again.text
    assert "is already invited" not in again.text


def test_a_questionnaire_language_refusal_in_spanish(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        nominations, problems = parse_nominations("a@example.com, peer, Ana, Klingon")
    assert not nominations
    assert problems[0].message.startswith("«Klingon» no es un idioma que ofrezcamos")


def test_the_portal_names_groups_in_the_coachees_language(app, browser, open_cycle):
    portal = open_cycle["portal"].rstrip("/")
    browser.submit(
        f"{portal}/raters", {"raters": "anna@example.com, peer, Anna\nbo@example.com, boss"}
    )
    english = browser.get(f"{portal}/raters").text
    assert re.search(r"<td>Peers</td>", english)
    assert ">Subordinates</option>" in english
    set_language(app, open_cycle["cycle_id"], "de")
    raters = browser.get(f"{portal}/raters").text
    assert re.search(r"<td>Kollegen</td>", raters) and re.search(r"<td>Führungskraft</td>", raters)
    assert ">Mitarbeitende</option>" in raters and ">Partner</option>" in raters
    assert "<td>Peers</td>" not in raters and ">Subordinates</option>" not in raters
    home = browser.get(f"{portal}/").text
    assert "<td>Kollegen</td>" in home and "<td>Peers</td>" not in home


@pytest.fixture
def short_cycle(app, coach):
    """A cycle that asks for at least one boss and three peers and has one peer; returns
    its id and the portal's path."""
    with app.test_request_context():
        cycle = factories.cycle(
            factories.coachee(db.session.get(Coach, coach)),
            minimums={"min_boss": 1, "min_peers": 3},
        )
        factories.invites(cycle, {"peer": 1})
        db.session.commit()
        return cycle.id, portal_url(cycle).removeprefix("http://localhost")


def test_what_is_still_missing_in_german_on_the_portal_and_the_dashboard(
    app, client, coach, coach_browser, short_cycle
):
    cycle_id, portal = short_cycle
    browser = Browser(client)
    english = browser.get(portal).text
    assert "Still needed: 1 more boss and 2 more peers." in english
    set_language(app, cycle_id, "de")
    german = browser.get(portal).text
    assert "Noch benötigt:" in german and "Still needed" not in german
    assert "Noch benötigt: 1 weitere Führungskraft und 2 weitere Kollegen." in german
    raters = browser.get(portal.rstrip("/") + "/raters").text
    assert "Mindestens 1 Führungskraft, 3 Kollegen." in raters
    assert "At least" not in raters

    dashboard = f"/cycles/{cycle_id}"
    assert "Still needed" in coach_browser.get(dashboard).text
    with app.app_context():
        db.session.get(Coach, coach).language = "de"
        db.session.commit()
    page = coach_browser.get(dashboard).text
    assert "Noch benötigt" in page and "Still needed" not in page
