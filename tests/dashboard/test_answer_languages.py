"""Open answers each with its language marked (issue 18, item 3): told from the text
itself, never from the invite, on the dashboard, the HTML report, the released report
and the XLSX; the element holding an answer says its language (``lang``)."""

import html
import re

import factories
import pytest
from dashboard_support import read_xlsx
from support import Browser, sign_in

from feedback.cycles import lifecycle
from feedback.extensions import db
from feedback.raters import services as raters

GERMAN = "Sie hört zu und entscheidet dann mit dem ganzen Team."
FRENCH = "Elle écoute avant de décider et nous fait confiance."
ENGLISH = "She listens first and then decides with the whole team."


@pytest.fixture
def written(app):
    """A closed cycle whose raters write in other languages than they were invited in:
    three peers invited in German (one writes English), a boss invited in English who
    writes German, and the coachee's own description in French. Returns the cycle's id
    and a browser signed in as its coach."""
    with app.test_request_context():
        coach = factories.coach()
        cycle = factories.cycle(factories.coachee(coach))
        factories.self_assessment(cycle, 4, headline=FRENCH)
        nominations = [
            raters.Nomination(f"peer{n}@example.org", "peer", language="de") for n in range(3)
        ] + [raters.Nomination("boss@example.org", "boss", language="en")]
        invites, refused = raters.nominate(cycle, nominations)
        assert not refused
        texts = [
            {"keep": GERMAN, "headline": "Ruhig und klar, auch unter Druck."},
            {"keep": ENGLISH},
            {"keep": GERMAN + " Immer."},
            {"keep": "Bleiben Sie bei den wöchentlichen Gesprächen mit allen."},
        ]
        for invite, given in zip(invites, texts, strict=True):
            raters.submit(invite, factories.answers(4, **given))
        lifecycle.close_cycle(cycle)
        db.session.commit()
        cycle_id = cycle.id
    browser = Browser(app.test_client())
    sign_in(browser, "coach@example.com", "long enough pw")
    return cycle_id, browser


def marked(page: str) -> dict[str, str]:
    """Each answer shown on ``page`` with the language its element says, and the
    marker beside it."""
    found = {}
    answer = r'<span lang="([a-z]{2})">([^<]*)</span> '
    tag = r'<span class="language-tag" lang="([a-z]{2})"[^>]*>([^<]*)</span>'
    for code, text, tag_code, name in re.findall(answer + tag, page):
        assert code == tag_code
        found[html.unescape(text)] = (code, name)
    return found


def test_each_answer_is_marked_with_the_language_of_its_text(written):
    cycle_id, coach = written
    page = coach.get(f"/cycles/{cycle_id}")
    assert page.status_code == 200
    shown = marked(page.text)
    assert shown[GERMAN] == ("de", "Deutsch")
    assert shown[GERMAN + " Immer."] == ("de", "Deutsch")
    # Invited in German, written in English: marked English, as the text is.
    assert shown[ENGLISH] == ("en", "English")
    # Invited in English, written in German.
    assert shown["Bleiben Sie bei den wöchentlichen Gesprächen mit allen."] == ("de", "Deutsch")
    assert shown["Ruhig und klar, auch unter Druck."] == ("de", "Deutsch")
    assert shown[FRENCH] == ("fr", "Français")  # the coachee's own description

    report = coach.get(f"/cycles/{cycle_id}/report.html")
    assert report.status_code == 200
    assert marked(report.text) == shown


def test_the_workbook_names_each_answers_language(written):
    cycle_id, coach = written
    response = coach.get(f"/cycles/{cycle_id}/report.xlsx")
    assert response.status_code == 200
    comments = read_xlsx(response.data)["Comments"]
    assert comments[0] == ["Question", "Answer", "Group", "Language"]
    languages = {row[1]: row[3] for row in comments[1:]}
    assert languages[GERMAN] == "Deutsch"
    assert languages[ENGLISH] == "English"
    assert languages["Ruhig und klar, auch unter Druck."] == "Deutsch"
