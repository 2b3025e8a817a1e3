"""A pulse in each rater's language: the language of their cycle invite (else the
cycle's), for its invitation, reminder, form and pages; the coach's pulse pages in the
coach's language; the answers counted whatever the language."""

import html
import re
from datetime import timedelta

import factories
import pytest
from sqlalchemy import select, update
from support import Browser, csrf_token, left_in_english

from feedback.accounts.models import Coach
from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.pulses.models import Pulse, PulseInvite, PulseResponse, PulseScore
from feedback.questionnaires import default_questionnaire
from feedback.raters.models import Invite
from feedback.ratings.results import clear_cache
from feedback.timeutil import utcnow

FIRST, SECOND = factories.ITEMS[0], factories.ITEMS[1]
PULSE_LINK = re.compile(r"https?://[^\s<>\"']+/pulse/[^\s<>\"'/]+/?")
#: The people the tests name, not the service's wording.
NAMES = ("Casey Doe", "Casey", "Clara Coach", "Nina", "Greta")


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def english_left(english: str, other: str) -> set[str]:
    """The sentences (three words or more) of ``english`` that ``other`` still shows."""
    return left_in_english(english, other, names=NAMES)


def body(message, kind: str = "plain") -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


@pytest.fixture
def pulse(app, coach, coach_browser, mailbox):
    """A closed cycle (English) whose second peer was invited in German; a pulse on it,
    with a rater the coach adds. Returns the cycle's id, its raters' addresses by
    language and the pulse's page."""
    with app.test_request_context():
        cycle = factories.cycle(factories.coachee(db.session.get(Coach, coach)))
        factories.self_assessment(cycle, 5)
        invites = factories.answered(cycle, {"peer": 3}, 2)
        db.session.execute(update(Invite).where(Invite.id == invites[1].id).values(language="de"))
        lifecycle.close_cycle(cycle)
        db.session.commit()
        cycle_id = cycle.id
        english, german = invites[0].email, invites[1].email
    created = coach_browser.submit(
        f"/cycles/{cycle_id}/pulses/new",
        {"statements": [FIRST, SECOND], "raters": "nina@example.com, peer, Nina"},
        page=f"/cycles/{cycle_id}/pulses/new",
    )
    assert created.status_code == 302, created.text
    return {"cycle_id": cycle_id, "en": english, "de": german, "page": created.headers["Location"]}


def pulse_mail(mailbox, address: str, word: str):
    messages = [m for m in mailbox.to(address) if word in str(m["Subject"])]
    assert messages, f"no pulse mail to {address}"
    return messages[-1]


def test_each_pulse_rater_gets_their_cycle_invite_language(app, pulse):
    with app.app_context():
        spoken = dict(db.session.execute(select(PulseInvite.email, PulseInvite.language)).all())
    assert spoken[pulse["de"]] == "de"
    assert spoken[pulse["en"]] == "en"
    assert spoken["nina@example.com"] == "en"  # added by the coach: the cycle's language


def test_a_rater_the_coach_adds_gets_the_cycles_language(app, coach, coach_browser, mailbox):
    with app.test_request_context():
        cycle = factories.cycle(factories.coachee(db.session.get(Coach, coach)), language="es")
        factories.self_assessment(cycle, 5)
        factories.answered(cycle, {"peer": 3}, 2)
        lifecycle.close_cycle(cycle)
        db.session.commit()
        cycle_id = cycle.id
    created = coach_browser.submit(
        f"/cycles/{cycle_id}/pulses/new",
        {"statements": [FIRST], "raters": "nina@example.com, peer, Nina"},
        page=f"/cycles/{cycle_id}/pulses/new",
    )
    assert created.status_code == 302, created.text
    with app.app_context():
        languages = set(db.session.scalars(select(PulseInvite.language)))
    assert languages == {"es"}
    mail = pulse_mail(mailbox, "nina@example.com", "seguimiento")
    assert mail["Subject"] == "Un breve seguimiento sobre Casey Doe"
    assert "Hola, Nina:" in body(mail)
    assert "¿qué ha cambiado?" in body(mail)


def test_a_german_rater_gets_a_german_pulse_invitation(pulse, mailbox):
    english = pulse_mail(mailbox, pulse["en"], "follow-up")
    german = pulse_mail(mailbox, pulse["de"], "Nachbefragung")
    assert english["Subject"] == "A quick follow-up for Casey Doe"
    assert german["Subject"] == "Eine kurze Nachbefragung zu Casey Doe"
    text = body(german)
    assert "stellt Clara Coach 2 der Aussagen erneut" in text
    assert re.search(r"Bitte antworten Sie bis zum \d{1,2}\. [A-Z][a-zä]+ \d{4}\.", text)
    for kind in ("plain", "html"):
        assert len(english_left(body(english, kind), body(english, kind))) >= 5
        assert not english_left(body(english, kind), body(german, kind)), kind


def test_a_german_rater_answers_a_german_form_and_counts(
    app, pulse, mailbox, client, coach_browser
):
    questionnaire = default_questionnaire()
    link = PULSE_LINK.search(body(pulse_mail(mailbox, pulse["de"], "Nachbefragung")))[0]
    english_link = PULSE_LINK.search(body(pulse_mail(mailbox, pulse["en"], "follow-up")))[0]
    english_page = client.get(english_link.removeprefix("http://localhost")).text
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200
    assert page.headers["Content-Language"] == "de"
    assert '<html lang="de">' in page.text
    statement = questionnaire.translations["de"].items[FIRST][1].replace("{name}", "Casey")
    assert html.escape(statement, quote=False) in page.text or statement in page.text
    assert "Was hat sich verändert?" in page.text
    assert "Sie antworten als: Kollegen." in page.text
    english_statement = next(i.rater_text for i in questionnaire.items if i.key == FIRST)
    assert "Casey" + english_statement.removeprefix("{name}") in html.unescape(english_page)
    assert len(english_left(english_page, english_page)) >= 8  # sentences to look for
    left = english_left(english_page, page.text)
    assert not left, left

    browser = Browser(client)
    # A wrong answer is refused in German, at the statement.
    refused = browser.submit(link, {f"item-{FIRST}": "9", "changed": "", "action": "submit"})
    assert refused.status_code == 400
    assert "Bitte wählen Sie eine der angezeigten Antworten." in refused.text
    sent = browser.submit(
        link, {f"item-{FIRST}": "4", f"item-{SECOND}": "na", "changed": "Hört mehr zu."}
    )
    assert sent.status_code == 302, sent.text
    thanks = client.get(sent.headers["Location"].removeprefix("http://localhost"))
    assert "Vielen Dank" in thanks.text and "Thank you" not in thanks.text

    with app.app_context():
        scores = db.session.scalars(select(PulseScore.score).where(PulseScore.item_key == FIRST))
        assert list(scores) == [4]
        assert db.session.scalar(select(PulseResponse.changed)) == "Hört mehr zu."
    page = coach_browser.get(pulse["page"])
    assert re.search(r"Peers</td>\s*<td[^>]*>4</td>\s*<td[^>]*>1</td>", page.text)


def test_the_german_reminder_and_the_coachs_page_in_german(
    app, pulse, mailbox, coach, coach_browser
):
    with app.app_context():
        db.session.execute(update(PulseInvite).values(created_at=utcnow() - timedelta(days=3)))
        db.session.get(Coach, coach).language = "de"
        db.session.commit()
    page = coach_browser.get(pulse["page"])
    assert page.headers["Content-Language"] == "de"
    assert "Wer geantwortet hat" in page.text and "Puls-Check für Casey Doe" in page.text
    reminded = coach_browser.post(
        f"{pulse['page']}/remind", data={"csrf_token": csrf_token(page.text)}
    )
    assert reminded.status_code == 302
    german = pulse_mail(mailbox, pulse["de"], "Erinnerung")
    english = pulse_mail(mailbox, pulse["en"], "Reminder")
    assert german["Subject"] == "Erinnerung: eine kurze Nachbefragung zu Casey Doe"
    assert "Diese Erinnerung geht an alle" in body(german)
    for kind in ("plain", "html"):
        assert not english_left(body(english, kind), body(german, kind)), kind
    with app.app_context():
        db.session.get(Coach, coach).language = None
        db.session.commit()
    english_page = coach_browser.get(pulse["page"]).text
    assert "Who answered" in english_page
    assert len(english_left(english_page, english_page)) >= 5
    left = english_left(english_page, page.text)
    assert not left, left


def test_the_new_pulse_page_and_its_refusals_in_french(app, coach, coach_browser):
    with app.test_request_context():
        cycle = factories.closed_cycle(factories.coachee(db.session.get(Coach, coach)))
        db.session.commit()
        cycle_id = cycle.id
    url = f"/cycles/{cycle_id}/pulses/new"
    english = coach_browser.get(url).text
    with app.app_context():
        db.session.get(Coach, coach).language = "fr"
        db.session.commit()
    assert len(english_left(english, english)) >= 5
    french = coach_browser.get(url).text
    assert "Envoyer le sondage de suivi" in french
    left = english_left(english, french)
    assert not left, left
    refused = coach_browser.submit(url, {"statements": [], "raters": "x, peer"}, page=url)
    assert refused.status_code == 400
    assert "Choisissez les énoncés à revérifier (un à trois)." in refused.text
    with app.app_context():
        assert db.session.scalar(select(Pulse.id).where(Pulse.cycle_id == cycle_id)) is None
        assert db.session.get(Cycle, cycle_id) is not None
