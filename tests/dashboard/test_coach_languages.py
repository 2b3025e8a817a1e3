"""The coach's pages in German, French and Spanish: the coach's setting (or the browser's
Accept-Language) puts every text of the page in that language, figures get the
language's decimal sign, and the language select on the settings page saves."""

import io
import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from dashboard_support import PARTNER_WORD, RATERS, figures_of
from sqlalchemy import select, update
from support import csrf_token

from feedback import i18n
from feedback.accounts.models import Coach
from feedback.coaching import voice
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire

#: The text the closed cycle's raters put in a comment (tests/dashboard/dashboard_support.py).
HYPERLINK = '=HYPERLINK("http://127.0.0.1/x","click")'
#: Attributes a person reads (or hears, with a screen reader).
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class _Texts(HTMLParser):
    """The texts a person reads on a page: text nodes outside scripts and styles, and
    the attributes above."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def texts_of(html: str) -> set[str]:
    """Each text of the page, whitespace folded, cut at the "·" that joins texts."""
    parser = _Texts()
    parser.feed(html)
    parts = {part for text in parser.texts for part in text.split("·")}
    return {" ".join(part.split()).strip("←→ ") for part in parts} - {""}


#: Texts that a language writes as English does, around a name or inside a sentence.
SAME_WORDS = {
    "de": set(),
    "fr": {"invitation", "coach Clara Coach", "5 points"},
    "es": {"coach Clara Coach"},
}


def _same_in(code: str) -> set[str]:
    """Texts whose translation is the text itself (Name, Webhooks, Partner, …)."""
    with (i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=code)
    same = {m.id for m in catalogue if m.id and isinstance(m.id, str) and m.string == m.id}
    return same | SAME_WORDS[code]


def _data() -> set[str]:
    """What the coach's pages show as it was written, in whatever language: names,
    addresses, the questionnaire's texts and the raters' and coachee's answers."""
    questionnaire = default_questionnaire()
    data = {"Casey Doe", "Casey", "Clara Coach", "casey@example.com", "Mirror 360"}
    data.add("Authorization: Bearer …")  # an HTTP header, as the API takes it
    # A file format and commands, written as they are typed.
    data |= {"TOML", "feedback questionnaire export KEY"}
    data.add("feedback questionnaire import FILE --coach EMAIL")
    data.add(questionnaire.title)
    data |= set(i18n.LANGUAGES.values())
    for item in questionnaire.items:
        data |= {item.self_text, item.rater_text.format(name="Casey")}
        data.add(item.key.replace("_", " "))  # the cohort names a statement by its key
    for competency in questionnaire.competencies:
        data |= {competency.title, competency.description}
    for question in questionnaire.open_questions:
        data |= {
            (text or "").format(name="Casey") for text in (question.self_text, question.rater_text)
        }
    data |= {*questionnaire.scale.labels.values(), questionnaire.scale.dont_know}
    written = [
        "I build teams that listen.",
        "Calm under pressure",
        f"Calm under pressure and {PARTNER_WORD}",
        "Keep the weekly one-to-ones.",
        f"Keep the {PARTNER_WORD} spirit.",
        HYPERLINK,
    ]
    data |= set(written)
    # The word panes: the words of what was written.
    data |= {word.lower() for text in written for word in re.findall(r"\w+", text)}
    data |= set(RATERS)
    # The raters' emails in the coach's words start from a default text, which the
    # coach edits as their own (the emails' languages are the raters').
    for subject, body in voice.DEFAULTS.values():
        data |= {subject, " ".join(body.split())}
    data |= {"{" + name + "}" for name in voice.PLACEHOLDERS}  # written as they are
    return data


def english_left(english_html: str, other_html: str, code: str) -> set[str]:
    """The sentences and words of the English page that the page in ``code`` still
    shows, besides names, addresses, numbers, what people wrote and the questionnaire."""
    exempt = _data() | _same_in(code)
    left = texts_of(english_html) & texts_of(other_html)
    return {
        text
        for text in left
        if text not in exempt
        and re.search(r"[A-Za-z]{3}", text)  # numbers, dates, signs and "n" are not English
        and not re.fullmatch(r"[\w.+-]+@[\w.-]+", text)
    }


def _set_language(app, code: str | None) -> None:
    with app.app_context():
        db.session.execute(update(Coach).values(language=code))
        db.session.commit()


def _pages(coach_browser, closed_cycle) -> list[str]:
    coachee = re.search(r'href="(/coachees/\d+)"', coach_browser.get("/").text).group(1)
    cycle = f"/cycles/{closed_cycle['cycle_id']}"
    return [
        *("/", coachee, cycle, "/settings"),
        *(f"{cycle}/release", f"{cycle}/reopen", f"{coachee}/edit", f"{coachee}/delete"),
        *("/settings/emails/", "/settings/emails/invite", "/settings/webhooks"),
        *("/cohort", f"{coachee}/trend", "/questionnaires/"),
    ]


@pytest.mark.parametrize("code", ["de", "fr"])
def test_the_coachs_pages_show_no_english_in_german_and_french(
    app, closed_cycle, coach_browser, code
):
    english = {url: coach_browser.get(url) for url in _pages(coach_browser, closed_cycle)}
    assert all(page.status_code == 200 for page in english.values())
    english["/nowhere"] = coach_browser.get("/nowhere")
    assert english["/nowhere"].status_code == 404
    assert "Your coachees" in english["/"].text
    _set_language(app, code)
    for url, page in english.items():
        translated = coach_browser.get(url)
        assert translated.status_code == page.status_code
        assert translated.headers["Content-Language"] == code
        left = english_left(page.text, translated.text, code)
        assert not left, (url, sorted(left))
    home = coach_browser.get("/").text
    assert {"de": "Ihre Coachees", "fr": "Vos coachés"}[code] in home
    dashboard = coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}").text
    assert {"de": "Differenz je Aussage", "fr": "Écart par affirmation"}[code] in dashboard


def test_the_browser_language_is_followed_without_a_setting(closed_cycle, coach_browser):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    english = coach_browser.get(url)
    spanish = coach_browser.get(url, headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert spanish.headers["Content-Language"] == "es"
    assert "Diferencia por afirmación" in spanish.text
    assert english_left(english.text, spanish.text, "es") == set()


_CELL = re.compile(r'<td class="num">(?:<strong>)?([+-]?\d+[.,]\d+)')


def test_the_dashboards_figures_are_the_same_numbers_with_a_decimal_comma(
    app, closed_cycle, coach_browser
):
    url = f"/cycles/{closed_cycle['cycle_id']}"
    english = _CELL.findall(coach_browser.get(url).text)
    _set_language(app, "de")
    german = _CELL.findall(coach_browser.get(url).text)
    assert len(english) > 20
    assert all("." in figure and "," not in figure for figure in english)
    assert german == [figure.replace(".", ",") for figure in english]
    # The charts' data stay machine numbers; their texts are the page's language.
    assert "Differenz" in figures_of(coach_browser.get(url).text)["gaps"]


def test_a_german_deadline_reads_as_a_german_date(app, open_cycle, coach_browser):
    _set_language(app, "de")
    page = coach_browser.get(f"/cycles/{open_cycle['cycle_id']}").text
    assert re.search(r"bis zum Ende des \d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}", page), page
    url = f"/cycles/{open_cycle['cycle_id']}"
    reminded = coach_browser.submit(f"{url}/remind", {}, page=url)
    assert reminded.status_code == 302
    assert "Niemand wurde erinnert" in coach_browser.get(url).text


def test_the_language_select_saves_with_csrf_and_refuses_a_bad_value(app, coach, coach_browser):
    page = coach_browser.get("/settings")
    assert "Your browser&#39;s language" in page.text or "Your browser's language" in page.text
    token = csrf_token(page.text)

    refused = coach_browser.post("/settings/language", data={"csrf_token": token, "language": "xx"})
    assert refused.status_code == 400
    assert re.search(r'<select[^>]*id="language"', refused.text)
    assert 'class="errors"' in refused.text and "Not a valid choice" in refused.text

    no_token = coach_browser.post("/settings/language", data={"language": "fr"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Coach.language)) is None

    saved = coach_browser.post("/settings/language", data={"csrf_token": token, "language": "fr"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Coach.language)) == "fr"
    settings = coach_browser.get("/settings", headers={"Accept-Language": "de"})
    assert settings.headers["Content-Language"] == "fr"
    assert "Vos pages sont désormais dans la langue choisie." in settings.text
    assert re.search(r'<option selected value="fr">|<option value="fr" selected', settings.text)

    back = coach_browser.post("/settings/language", data={"csrf_token": token, "language": ""})
    assert back.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Coach.language)) is None
    assert (
        coach_browser.get("/settings", headers={"Accept-Language": "es"}).headers[
            "Content-Language"
        ]
        == "es"
    )


def test_the_html_report_is_in_the_coachs_language(app, closed_cycle, coach_browser):
    url = f"/cycles/{closed_cycle['cycle_id']}/report.html"
    english = coach_browser.get(url)
    _set_language(app, "es")
    spanish = coach_browser.get(url)
    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.text
    assert "Feedback 360 de Casey Doe" in spanish.text
    assert '"P\\e1 gina "' in spanish.text or "counter(page)" in spanish.text
    assert english_left(english.text, spanish.text, "es") == set()


def test_the_workbooks_words_follow_the_coach_and_its_machine_parts_stay(
    app, closed_cycle, coach_browser
):
    openpyxl = pytest.importorskip("openpyxl")
    url = f"/cycles/{closed_cycle['cycle_id']}"
    english_csv = coach_browser.get(f"{url}/report.csv").data
    _set_language(app, "de")
    book = openpyxl.load_workbook(io.BytesIO(coach_browser.get(f"{url}/report.xlsx").data))
    assert book.sheetnames[:3] == ["Überblick", "Wichtigste Aussagen", "Nach Kompetenz"]
    assert book.sheetnames[-2:] == ["items", "competencies"]  # for analysts, unchanged
    headers = [cell.value for cell in book["Nach Kompetenz"][1]]
    assert headers[:5] == [
        "Kompetenz",
        "Selbstbild",
        "Andere",
        "Antworten",
        "Differenz (Selbstbild − andere)",
    ]
    assert "others_mean" in [cell.value for cell in book["items"][1]]
    summary = {row[0].value: row[1].value for row in book["Überblick"].iter_rows(min_row=2)}
    assert summary["Coachee"] == "Casey Doe"
    assert summary["Führungskraft allein gezeigt"] == "ja"
    # The gap table is a stable interface: the same bytes whatever the coach's language.
    assert coach_browser.get(f"{url}/report.csv").data == english_csv
