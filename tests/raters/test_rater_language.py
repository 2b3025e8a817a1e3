"""A rater in their own language: nominated with one, invited, reminded and asked in it,
free to switch on the form (their draft kept), and counted like any other rater."""

import html
import re
from datetime import timedelta

import pytest
import support
from babel.dates import format_date
from sqlalchemy import func, select, update
from support import csrf_token

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.questionnaires.models import Item
from feedback.raters.models import Invite
from feedback.raters.services import parse_nominations
from feedback.ratings.models import Rating, Response
from feedback.timeutil import utcnow

QUESTIONNAIRE = default_questionnaire()
ITEMS = [item.key for item in QUESTIONNAIRE.items]
#: The people's names the tests' pages and messages show.
NAMES = ("Casey Doe", "Casey", "Clara Coach", "Ed", "Greta", "Fleur")


def sentences(text: str, **kwargs) -> set[str]:
    """The visible sentences of ``text`` (support.sentences, with these tests' names)."""
    return support.sentences(text, names=NAMES, **kwargs)


def left_in_english(english: str, other: str, **kwargs) -> set[str]:
    """support.left_in_english, with these tests' names."""
    return support.left_in_english(english, other, names=NAMES, **kwargs)


def body(message, kind: str = "plain") -> str:
    return message.get_body(preferencelist=(kind,)).get_content()


@pytest.fixture
def raters(open_cycle, browser, mailbox):
    """An English peer (the cycle's language) and a German one, nominated by the coachee
    through the pasted list; returns their links and the mail each got."""
    response = browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "ed@example.com, peer, Ed\ngreta@example.com, peer, Greta, Deutsch"},
    )
    assert response.status_code == 302, response.text
    return {
        "en": mailbox.link_for("ed@example.com"),
        "de": mailbox.link_for("greta@example.com"),
        "en_mail": mailbox.to("ed@example.com")[-1],
        "de_mail": mailbox.to("greta@example.com")[-1],
    }


def _closes_on(app, cycle_id):
    with app.app_context():
        return db.session.get(Cycle, cycle_id).closes_on


def test_a_german_rater_is_invited_in_german(raters, app, open_cycle):
    english, german = raters["en_mail"], raters["de_mail"]
    closes_on = _closes_on(app, open_cycle["cycle_id"])
    assert english["Subject"] == "Casey Doe asks for your feedback"
    assert german["Subject"] == "Casey Doe bittet Sie um Feedback"
    text = body(german)
    assert "Guten Tag Greta," in text
    assert f"Bitte antworten Sie bis zum {format_date(closes_on, 'long', locale='de')}." in text
    assert re.search(r"\d{1,2}\. [A-Z][a-zä]+ \d{4}", text)  # "15. Januar 2027"
    assert "Ihre Antworten sind anonym" in text
    for kind in ("plain", "html"):
        assert len(sentences(body(english, kind))) >= 5  # the check has sentences to look for
        assert not left_in_english(body(english, kind), body(german, kind)), kind
    assert '<html lang="de">' in body(german, "html")


def test_a_german_rater_answers_in_german_and_counts_like_an_english_one(
    raters, browser, app, open_cycle
):
    english_page = browser.get(raters["en"]).text
    page = browser.get(raters["de"])
    assert page.status_code == 200
    assert page.headers["Content-Language"] == "de"
    assert '<html lang="de">' in page.text
    assert "Casey Doe bittet Sie um Feedback" in page.text
    assert "Sie antworten als: Kollegen." in page.text
    # Every sentence of the English page, the questionnaire's statements too, is gone.
    assert {
        "‹name› starts improvements without waiting to be asked.",
        "Drive and ownership",
        "‹n› = Strongly agree",
        "What should ‹name› keep doing?",
    } <= sentences(english_page)
    assert not left_in_english(english_page, page.text)
    assert "Casey stößt Verbesserungen an, ohne darauf zu warten, gefragt zu werden." in page.text
    assert "<small>Stimme voll zu</small>" in page.text

    missing = browser.submit(raters["de"], {f"item-{ITEMS[0]}": "4", "action": "submit"})
    assert missing.status_code == 400
    assert f"{len(ITEMS) - 1} Aussagen brauchen noch eine Antwort" in missing.text

    answers = {f"item-{key}": "5" for key in ITEMS}
    done = browser.submit(raters["de"], {**answers, "action": "submit"})
    assert done.status_code == 302
    thanks = browser.get(done.headers["Location"])
    assert "Ihre Antworten sind angekommen." in thanks.text
    english_done = browser.submit(
        raters["en"], {**{f"item-{k}": "3" for k in ITEMS}, "action": "submit"}
    )
    assert english_done.status_code == 302
    with app.app_context():
        peer_scores = db.session.execute(
            select(Item.key, func.count(), func.sum(Rating.score))
            .join(Response)
            .join(Item, Item.id == Rating.item_id)
            .where(Response.cycle_id == open_cycle["cycle_id"], Response.group == "peer")
            .group_by(Item.key)
        ).all()
    # Both answers are stored by statement key, pooled: 5 from Greta and 3 from Ed.
    assert {key: (n, total) for key, n, total in peer_scores} == dict.fromkeys(ITEMS, (2, 8))


def test_the_switch_keeps_the_draft_and_the_choice(raters, browser, app, mailbox, open_cycle):
    page = browser.get(raters["de"]).text
    assert 'value="language-fr"' in page
    switched = browser.post(
        raters["de"],
        data={
            "csrf_token": csrf_token(page),
            f"item-{ITEMS[1]}": "2",
            "text-keep": "Sa patience",
            "action": "language-fr",
        },
    )
    assert switched.status_code == 302
    french = browser.get(raters["de"])
    assert french.headers["Content-Language"] == "fr"
    assert "Casey Doe vous demande votre avis" in french.text
    assert f'name="item-{ITEMS[1]}" value="2" checked' in french.text
    assert "Sa patience" in french.text
    with app.app_context():
        assert (
            db.session.scalar(select(Invite.language).where(Invite.email == "greta@example.com"))
            == "fr"
        )
    # An unknown language changes nothing.
    refused = browser.post(
        raters["de"], data={"csrf_token": csrf_token(french.text), "action": "language-xx"}
    )
    assert refused.status_code == 302
    again = browser.get(raters["de"])
    assert "Cette langue n'est pas proposée." in html.unescape(again.text)
    assert f'name="item-{ITEMS[1]}" value="2" checked' in again.text


def test_a_french_rater_is_reminded_in_french(open_cycle, browser, app, mailbox):
    portal = open_cycle["portal"].rstrip("/")
    # The single-rater form, with its language select.
    response = browser.submit(
        portal + "/raters",
        {"email": "fleur@example.com", "group": "boss", "name": "Fleur", "language": "fr"},
    )
    assert response.status_code == 302, response.text
    assert mailbox.to("fleur@example.com")[-1]["Subject"] == "Casey Doe vous demande votre avis"
    with app.app_context():
        db.session.execute(update(Invite).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    reminded = browser.submit(portal + "/remind", {}, page=portal + "/")
    assert reminded.status_code == 302
    reminder = mailbox.to("fleur@example.com")[-1]
    assert reminder["Subject"] == "Rappel : Casey Doe vous demande votre avis"
    closes_on = _closes_on(app, open_cycle["cycle_id"])
    text = body(reminder)
    assert "Bonjour Fleur," in text
    assert f"jusqu'au {format_date(closes_on, 'long', locale='fr')} inclus" in text
    assert "responsable de Casey" in text  # the boss is told, in French
    assert "Give feedback" not in body(reminder, "html")
    assert "Donner votre avis à Casey" in body(reminder, "html")


def test_the_coachs_own_text_stays_as_written_around_translated_parts(
    open_cycle, coach_browser, browser, mailbox
):
    own = {"subject": "Ein paar Minuten für {coachee}?", "body": "Bitte helfen Sie {coachee}."}
    saved = coach_browser.submit("/settings/emails/invite", {**own, "action": "save"})
    assert saved.status_code == 302, saved.text
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters", {"raters": "eva@example.com, peer, , es"}
    )
    invitation = mailbox.to("eva@example.com")[-1]
    assert invitation["Subject"] == "Ein paar Minuten für Casey Doe?"
    text = body(invitation)
    assert "Bitte helfen Sie Casey Doe." in text  # as the coach wrote it
    assert text.startswith("Hola:")
    assert "Sus respuestas son anónimas" in text
    assert "Responda aquí:" in text


@pytest.mark.parametrize(
    ("line", "language", "name"),
    [
        ("a@example.com, peer, Ann, de", "de", "Ann"),
        ("a@example.com, peer, Ann, German", "de", "Ann"),
        ("a@example.com, peer, Ann, deutsch", "de", "Ann"),
        ("a@example.com, peer, Ann, Français", "fr", "Ann"),
        ("a@example.com, peer, Ann, spanish", "es", "Ann"),
        ("a@example.com, peer, Ann, Español", "es", "Ann"),
        ("a@example.com, peer, Smith, Ann, EN", "en", "Smith, Ann"),
        ("a@example.com, peer, , fr", "fr", ""),
        ("a@example.com, peer, Ann", None, "Ann"),
        ("a@example.com, peer, Ann,", None, "Ann"),
    ],
)
def test_the_fourth_field_is_the_language(line, language, name):
    nominations, problems = parse_nominations(line)
    assert not problems
    assert (nominations[0].language, nominations[0].name) == (language, name)


def test_a_bad_language_is_named_with_its_line(open_cycle, browser, app):
    raters_page = open_cycle["portal"].rstrip("/") + "/raters"
    response = browser.submit(
        raters_page,
        {"raters": "ok@example.com, peer, Olga, de\nkurt@example.com, peer, Kurt, Klingon"},
    )
    assert response.status_code == 422
    assert "Line 2:" in response.text
    assert "“Klingon” is not a language we speak" in response.text
    single = browser.submit(
        raters_page, {"email": "x@example.com", "group": "peer", "name": "", "language": "xx"}
    )
    assert single.status_code == 422
    assert "x@example.com is not invited:</strong> “xx” is not a language" in single.text
    with app.app_context():
        assert db.session.scalars(select(Invite.email).order_by(Invite.email)).all() == [
            "ok@example.com"
        ]


def test_the_cycles_language_is_the_raters_default(coach_browser, browser, mailbox, app):
    response = coach_browser.submit(
        "/coachees", {"name": "Dora Dahl", "email": "dora@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    form = coach_browser.get(new_cycle).text
    assert '<option value="de">Deutsch</option>' in form
    refused = coach_browser.submit(new_cycle, {"language": "tlh", "min_raters": "0"})
    assert refused.status_code == 400
    started = coach_browser.submit(
        new_cycle,
        {
            "language": "es",
            "min_boss": "0",
            "min_peers": "0",
            "min_subordinates": "0",
            "min_raters": "0",
        },
    )
    assert started.status_code == 302, started.text
    portal = mailbox.link_for("dora@example.com").rstrip("/")
    page = browser.get(portal + "/raters").text
    assert '<option value="es" selected>Español</option>' in page
    browser.submit(portal + "/raters", {"raters": "pablo@example.com, peer, Pablo"})
    assert mailbox.to("pablo@example.com")[-1]["Subject"] == "Dora Dahl le pide su opinión"


def test_cycle_create_takes_a_language(runner, coach, app):
    result = runner.invoke(
        args=[
            *("cycle", "create", "--coach", "coach@example.com"),
            *("--coachee-name", "Lou Lang", "--coachee-email", "lou@example.com"),
            *("--language", "Deutsch"),
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Cycle.language)) == "de"
    bad = runner.invoke(
        args=[
            *("cycle", "create", "--coach", "coach@example.com"),
            *("--coachee-name", "Lou Lang", "--coachee-email", "lou@example.com"),
            *("--language", "Klingon"),
        ]
    )
    assert bad.exit_code == 2
    assert "“Klingon” is not a language we speak" in bad.output
