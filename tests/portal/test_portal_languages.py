"""The coachee's side in the coachee's language (issue 18): the coach chooses it on the
coachee's page (default: the coach's own), and the portal, the plan, the released
report, the journey and the coachee's emails follow it, with no English sentence of the
English page left and dates written as the language writes them."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from babel.dates import format_date
from sqlalchemy import select, update
from support import NO_MINIMUMS, Browser, sign_in

from feedback.accounts.models import Coach
from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import portal_url
from feedback.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from feedback.extensions import db
from feedback.i18n import LANGUAGES
from feedback.journey import stages
from feedback.mail.models import OutboxMessage
from feedback.timeutil import today
from feedback.vocabulary import GROUP_LABELS, CycleState

# Reading what a person sees --------------------------------------------------------------


class _Text(HTMLParser):
    """The text nodes of a page's <main> (or the whole document when it has none),
    without scripts and styles, each with its white space collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and not self._skip:
            self.nodes.append(text)


def text_nodes(html: str) -> list[str]:
    """What a reader sees of ``html``: its main part's text, node by node."""
    if "<main" in html:
        html = html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0]
    parser = _Text()
    parser.feed(html)
    return parser.nodes


def english_left(english: str, translated: str, allowed: list[str]) -> list[str]:
    """The English page's sentences (text nodes of two words or more, once the
    ``allowed`` names, addresses and texts other parts translate are taken out) that
    the translated page still shows."""
    shown = " ".join(text_nodes(translated))
    allowed = sorted({a for a in allowed if a}, key=len, reverse=True)
    left = []
    for node in text_nodes(english):
        rest = node
        for text in allowed:
            rest = rest.replace(text, " ")
        if len(re.findall(r"[A-Za-z]{2,}", rest)) < 2:
            continue  # a name, a number, an address, a single word
        if node in shown:
            left.append(node)
    return left


def questionnaire_texts(app, cycle_id: int) -> list[str]:
    """The cycle's statements, competencies and scale: the questionnaire's own
    translations are another part of issue 18, not the portal's."""
    with app.app_context():
        questionnaire = db.session.get(Cycle, cycle_id).questionnaire
        texts = [c.title for c in questionnaire.competencies]
        for item in questionnaire.items:
            texts += [item.self_text, item.rater_text, item.competency.title]
        texts += [label for _point, label in questionnaire.scale]
        texts += [q.self_text for q in getattr(questionnaire, "open_questions", [])]
    return [*texts, *GROUP_LABELS.values()]


def set_language(app, coachee_id: int, language: str | None) -> None:
    with app.app_context():
        db.session.execute(
            update(Coachee).where(Coachee.id == coachee_id).values(language=language)
        )
        db.session.commit()


def coachee_id_of(app, cycle_id: int) -> int:
    with app.app_context():
        return db.session.get(Cycle, cycle_id).coachee_id


# The coach's choice ----------------------------------------------------------------------


def test_the_coach_chooses_the_coachees_language_and_a_bad_one_is_refused(
    app, coach_browser, open_cycle
):
    coachee_id = coachee_id_of(app, open_cycle["cycle_id"])
    edit = f"/coachees/{coachee_id}/edit"
    page = coach_browser.get(edit).text
    assert '<option selected value="">The coach\'s language</option>' in page
    assert '<option value="en">English</option><option value="de">Deutsch</option>' in page
    assert '<option value="es">Español</option>' in page

    details = {"name": "Casey Doe", "email": "casey@example.com"}
    response = coach_browser.submit(edit, {**details, "language": "de"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Coachee, coachee_id).language == "de"
    assert '<option selected value="de">Deutsch</option>' in coach_browser.get(edit).text

    refused = coach_browser.submit(edit, {**details, "name": "Casey X", "language": "nl"})
    assert refused.status_code == 400
    assert "Not a valid choice" in refused.text.split('name="language"')[1]
    with app.app_context():
        coachee = db.session.get(Coachee, coachee_id)
        assert (coachee.language, coachee.name) == ("de", "Casey Doe")  # nothing saved

    response = coach_browser.submit(edit, {**details, "language": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Coachee, coachee_id).language is None


def test_the_portal_follows_the_coachee_then_the_coach(app, browser, open_cycle):
    portal = open_cycle["portal"].rstrip("/") + "/"
    assert browser.get(portal).headers["Content-Language"] == "en"
    with app.app_context():
        db.session.execute(update(Coach).values(language="fr"))
        db.session.commit()
    french = browser.get(portal)
    assert french.headers["Content-Language"] == "fr"
    assert '<html lang="fr">' in french.text
    assert "Votre feedback à 360°, Casey" in french.text
    set_language(app, coachee_id_of(app, open_cycle["cycle_id"]), "es")
    spanish = browser.get(portal)
    assert spanish.headers["Content-Language"] == "es"
    assert "Su evaluación 360, Casey" in spanish.text


# The portal's pages ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_portal_pages_are_in_the_coachees_language(app, browser, open_cycle, language):
    portal = open_cycle["portal"].rstrip("/")
    browser.submit(f"{portal}/raters", {"raters": "anna@example.com, peer, Anna Smith"})
    pages = [f"{portal}/", f"{portal}/raters", f"{portal}/predictions", f"{portal}/journey/"]
    english = {url: browser.get(url).text for url in pages}
    coachee_id = coachee_id_of(app, open_cycle["cycle_id"])
    set_language(app, coachee_id, language)
    allowed = [
        "Casey Doe",
        "Casey",
        "Clara Coach",
        "Anna Smith",
        "anna@example.com",
        "Mirror 360",
        "Let us learn.",
        *questionnaire_texts(app, open_cycle["cycle_id"]),
        *LANGUAGES.values(),  # each language named in itself, in every language
    ]
    with app.app_context():
        closes_on = db.session.get(Cycle, open_cycle["cycle_id"]).closes_on
    for url in pages:
        translated = browser.get(url)
        assert translated.headers["Content-Language"] == language
        assert english_left(english[url], translated.text, allowed) == [], url
    home = browser.get(f"{portal}/").text
    assert format_date(closes_on, "full", locale=language) in home
    if language == "de":
        assert "Ihr 360-Grad-Feedback, Casey" in home
        assert "Bisher 1 Person auf Ihrer Liste." in home
        raters = browser.get(f"{portal}/raters").text
        assert "Eingeladen (1)" in raters and "Fügen Sie einen Feedbackgeber pro Zeile" in raters
    else:
        assert "Votre feedback à 360°, Casey" in home
        assert "1 personne sur votre liste pour l'instant." in home


def test_a_nomination_problem_and_its_flash_are_in_the_coachees_language(app, browser, open_cycle):
    portal = open_cycle["portal"].rstrip("/")
    set_language(app, coachee_id_of(app, open_cycle["cycle_id"]), "de")
    response = browser.submit(
        f"{portal}/raters", {"raters": "li@example.com, peer\nnot-an-address, peer"}
    )
    assert response.status_code == 422
    assert "1 Zeile konnte nicht verwendet werden" in response.text
    assert "(die anderen wurden gespeichert):" in response.text
    assert "1 Feedbackgeber eingeladen." in response.text


# The plan and the released report --------------------------------------------------------


@pytest.fixture
def released(app):
    """The demo's closed cycle, its coach signed in, and a function that releases the
    report again and reads the coachee's report and plan pages."""
    with app.test_request_context():
        seed_demo()
        cycle = db.session.scalar(select(Cycle).where(Cycle.state == CycleState.CLOSED))
        portal, cycle_id, coachee_id = portal_url(cycle), cycle.id, cycle.coachee_id
        coachee = cycle.coachee
        names = [coachee.name, coachee.first_name, coachee.coach.name]
    coach = Browser(app.test_client())
    sign_in(coach, DEMO_EMAIL, DEMO_PASSWORD)
    reader = Browser(app.test_client())
    cycle_url = f"/cycles/{cycle_id}"

    def release_and_read(language):
        set_language(app, coachee_id, language)
        response = coach.submit(f"{cycle_url}/release", {}, page=cycle_url)
        assert response.status_code == 302
        base = portal.rstrip("/")
        return {
            "report": reader.get(f"{base}/report"),
            "plan": reader.get(f"{base}/plan"),
        }

    return {"read": release_and_read, "cycle_id": cycle_id, "names": names}


def _report_part(html: str) -> str:
    """The released report's own words and the portal's around them: the dashboard's
    sections it reuses (tables, charts, comments) are translated with the dashboard."""
    html = re.sub(r'<div class="explain" id="why-not-shown">.*?</div>', "", html, flags=re.S)
    return "\n".join(
        re.findall(r"<h1>.*?</h1>\s*<p>.*?</p>|<h2>.*?</h2>|<div class=\"muted\">.*?</div>", html)
    )


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_plan_and_the_released_report_are_in_the_coachees_language(app, released, language):
    english = released["read"](None)
    translated = released["read"](language)
    allowed = [*released["names"], *questionnaire_texts(app, released["cycle_id"])]
    plan = translated["plan"]
    assert plan.status_code == 200 and plan.headers["Content-Language"] == language
    assert english_left(english["plan"].text, plan.text, allowed) == []
    report = translated["report"]
    assert report.status_code == 200 and report.headers["Content-Language"] == language
    assert (
        english_left(_report_part(english["report"].text), _report_part(report.text), allowed) == []
    )
    if language == "de":
        assert "Ihre 360-Grad-Ergebnisse" in report.text
        assert "Blinde Flecken: Sie bewerten sich höher als andere" in report.text
        assert "Ihr Entwicklungsplan" in plan.text
        assert "Woran werden Sie erkennen, dass das Ziel erreicht ist?" in plan.text
    else:
        assert "Sus resultados 360" in report.text
        assert "Fortalezas ocultas" in report.text
        assert "Su plan de desarrollo" in plan.text


def test_the_released_report_keeps_the_language_it_was_released_in(app, released):
    released["read"]("de")
    with app.app_context():
        db.session.execute(update(Coachee).values(language=None))
        db.session.commit()
    from feedback.reports.models import ReleasedReport

    with app.app_context():
        kept = db.session.get(ReleasedReport, released["cycle_id"]).html
    assert "Ihre 360-Grad-Ergebnisse" in kept  # written at release, as the coachee read it


# The journey -----------------------------------------------------------------------------


def test_every_stage_is_translated_and_a_missing_translation_is_refused():
    for stage in stages.stages():
        for code in ("de", "fr", "es"):
            assert stage.title_in(code) != stage.english_title
            for question in stage.questions:
                assert question.text_in(code) != question.english
    text = stages.STAGES_FILE.read_text(encoding="utf-8")
    without = re.sub(r'\nes = \{ text = "[^"]*" \}', "", text, count=1)
    with pytest.raises(ValueError, match="no 'es' translation"):
        stages.parse_stages(without)
    partial = text.replace('es = { title = "¿Quién es usted', 'es = { titel = "¿Quién es usted', 1)
    with pytest.raises(ValueError, match="must give title, intro"):
        stages.parse_stages(partial)


@pytest.mark.parametrize("language", ["de", "es"])
def test_a_journey_stage_is_in_the_coachees_language(
    app, coach_browser, browser, open_cycle, language
):
    coachee_id = coachee_id_of(app, open_cycle["cycle_id"])
    for key in ("keep_lose", "out_there", "select"):
        url = f"/coachees/{coachee_id}/journey/{key}"
        due = (today() + timedelta(days=7)).isoformat()
        response = coach_browser.submit(f"{url}/homework", {"note": "", "due_on": due}, page=url)
        assert response.status_code == 302
    journey = open_cycle["portal"].rstrip("/") + "/journey"
    summary = f"/coachees/{coachee_id}/journey/summary"
    assert coach_browser.submit(f"{summary}/share", {}, page=summary).status_code == 302
    browser.submit(
        f"{journey}/matrix/options", {"name": "Team lead", "learnt": ""}, page=f"{journey}/select"
    )
    pages = [
        f"{journey}/",
        f"{journey}/keep_lose",
        f"{journey}/out_there",
        f"{journey}/select",
        f"{journey}/summary",
    ]
    english = {url: browser.get(url).text for url in pages}
    set_language(app, coachee_id, language)
    allowed = ["Casey Doe", "Casey", "Clara Coach", "Mirror 360", "Team lead"]
    for url in pages:
        translated = browser.get(url)
        assert translated.status_code == 200
        assert english_left(english[url], translated.text, allowed) == [], url
    stage = browser.get(f"{journey}/select").text
    select_stage = stages.stage("select")
    assert select_stage.title_in(language) in stage
    for question in select_stage.questions:
        assert question.text_in(language).replace("'", "&#39;") in stage
    due_on = today() + timedelta(days=7)
    assert format_date(due_on, "full", locale=language) in stage
    assert "Team lead" in stage  # the coachee's own words, as written
    printable = browser.get(f"{journey}/summary").text
    assert select_stage.title_in(language) in printable
    assert format_date(today(), "long", locale=language) in printable


# The coachee's emails --------------------------------------------------------------------


def test_the_coachees_emails_are_in_the_coachees_language(app, coach_browser, mailbox):
    response = coach_browser.submit(
        "/coachees", {"name": "Jonas Berg", "email": "jonas@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    coachee_id = int(new_cycle.split("/coachees/")[1].split("/")[0])
    response = coach_browser.submit(
        f"/coachees/{coachee_id}/edit",
        {"name": "Jonas Berg", "email": "jonas@example.com", "language": "de"},
    )
    assert response.status_code == 302
    closes_on = today() + timedelta(days=14)
    response = coach_browser.submit(
        new_cycle, {"closes_on": closes_on.isoformat(), "welcome_note": "", **NO_MINIMUMS}
    )
    assert response.status_code == 302
    (message,) = mailbox.to("jonas@example.com")
    assert message["Subject"] == "Clara Coach hat Ihr 360-Grad-Feedback gestartet"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    german_date = format_date(closes_on, "long", locale="de")  # "21. Dezember 2026"
    assert re.fullmatch(r"\d{1,2}\. \w+ \d{4}", german_date)
    for body in (text, html):
        assert "Guten Tag Jonas," in body
        assert f"Antworten sind bis einschließlich {german_date} möglich." in body
        for english in ("Hello", "Answers are open", "Raters answer anonymously", "Sent by"):
            assert english not in body
    assert '<html lang="de">' in html
    assert "Gesendet von Mirror 360 im Auftrag von Clara Coach." in html

    # A renewed link (a corrected address) goes out in German too.
    coach_browser.submit(
        f"/coachees/{coachee_id}/edit",
        {"name": "Jonas Berg", "email": "jonas.berg@example.com", "language": "de"},
    )
    (renewed,) = mailbox.to("jonas.berg@example.com")
    assert renewed["Subject"] == "Ihr neuer Link zu Ihrem 360-Grad-Feedback"
    assert "Hier ist ein neuer Link" in renewed.get_body(("plain",)).get_content()
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.params)).all()
    assert all(params.get("language") == "de" for params in kinds)


def test_the_report_email_is_in_the_coachees_language(app, released, mailbox):
    released["read"]("de")
    with app.app_context():
        address = db.session.get(Cycle, released["cycle_id"]).coachee.email
    message = mailbox.to(address)[-1]
    assert message["Subject"] == "Ihr 360-Grad-Feedbackbericht ist fertig"
    text = message.get_body(("plain",)).get_content()
    assert "hat Ihren 360-Grad-Feedbackbericht freigegeben" in text
    assert "Raters' answers" not in text and "Hello" not in text


def test_the_look_back_email_and_a_refusal_are_in_the_coachees_language(
    app, coach_browser, browser, open_cycle, mailbox
):
    from feedback.cycles.jobs import run_round
    from feedback.journey.models import SuccessCriterion

    coachee_id = coachee_id_of(app, open_cycle["cycle_id"])
    url = f"/coachees/{coachee_id}/journey/select"
    due = (today() + timedelta(days=7)).isoformat()
    coach_browser.submit(f"{url}/homework", {"note": "", "due_on": due}, page=url)
    set_language(app, coachee_id, "de")
    stage = open_cycle["portal"].rstrip("/") + "/journey/select"
    add = open_cycle["portal"].rstrip("/") + "/journey/matrix/success"
    criterion = {"criterion": "Ich freue mich auf Montage", "review_on": today().isoformat()}
    refused = browser.submit(add, criterion, page=stage)
    assert refused.status_code == 400
    assert (
        "Nicht hinzugefügt: das Überprüfungsdatum muss zwischen morgen und zwei Jahren"
        in refused.text
    )
    later = {**criterion, "review_on": (today() + timedelta(days=90)).isoformat()}
    assert browser.submit(add, later, page=stage).status_code == 302
    with app.app_context():
        db.session.execute(update(SuccessCriterion).values(review_on=today()))
        db.session.commit()
        assert run_round()["reviews"] == 1
    [to_coachee] = mailbox.to("casey@example.com")[-1:]
    assert to_coachee["Subject"] == (
        "Zeit für einen Rückblick: Haben Sie die richtige Entscheidung getroffen?"
    )
    text = to_coachee.get_body(("plain",)).get_content()
    assert "Guten Tag Casey," in text and "Ich freue mich auf Montage" in text
    assert "Today is the day" not in text and "Heute ist der Tag" in text
    [to_coach] = mailbox.to("coach@example.com")[-1:]
    assert to_coach["Subject"] == "Time to look back with Casey Doe"  # the coach's language
