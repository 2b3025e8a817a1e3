"""The rater's form is drawn from pieces kept per questionnaire version
(feedback/ratings/grid.py): what belongs to one rater — their draft, their errors,
their coachee's name, their CSRF token — must never show on another's page."""

import re
from datetime import timedelta

from sqlalchemy import event, select
from support import Browser

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.timeutil import today

ITEMS = [item.key for item in default_questionnaire().items]


def fieldset(page: str, key: str) -> str:
    """The HTML of one statement's fieldset."""
    match = re.search(
        rf'<fieldset[^>]*>(?:(?!</fieldset>).)*name="item-{key}".*?</fieldset>', page, re.S
    )
    assert match, key
    return match.group(0)


def checked(page: str, key: str) -> list[str]:
    """The values checked at one statement."""
    return re.findall(r'value="([^"]+)" checked', fieldset(page, key))


def nominate(browser, portal: str, line: str, mailbox) -> str:
    browser.submit(portal.rstrip("/") + "/raters", {"raters": line})
    return mailbox.link_for(line.split(",")[0])


def second_cycle(coach_browser, mailbox) -> str:
    """Jordan Poe's open cycle on the same questionnaire; their portal link."""
    response = coach_browser.submit(
        "/coachees", {"name": "Jordan Poe", "email": "jordan@example.com"}, page="/"
    )
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(response.headers["Location"], {"closes_on": closes_on})
    assert response.status_code == 302, response.text
    return mailbox.link_for("jordan@example.com")


def test_each_rater_sees_their_own_draft_and_nobody_elses(open_cycle, browser, mailbox):
    rita = nominate(browser, open_cycle["portal"], "rita@example.com, peer, Rita", mailbox)
    sam = nominate(browser, open_cycle["portal"], "sam@example.com, peer, Sam", mailbox)
    for _ in range(2):  # the second time round, every piece comes from the cache
        browser.get(rita)
        browser.get(sam)
    browser.submit(
        rita, {f"item-{ITEMS[2]}": "2", "text-keep": "Rita keeps calm", "action": "save"}
    )
    browser.submit(sam, {f"item-{ITEMS[2]}": "5", f"item-{ITEMS[3]}": "na", "action": "save"})

    rita_page, sam_page = browser.get(rita).text, browser.get(sam).text
    assert checked(rita_page, ITEMS[2]) == ["2"] and checked(sam_page, ITEMS[2]) == ["5"]
    assert checked(rita_page, ITEMS[3]) == [] and checked(sam_page, ITEMS[3]) == ["na"]
    assert "Rita keeps calm" in rita_page and "Rita keeps calm" not in sam_page
    assert sum(len(checked(rita_page, key)) for key in ITEMS) == 1
    assert sum(len(checked(sam_page, key)) for key in ITEMS) == 2


def test_one_raters_errors_stay_on_their_page(open_cycle, browser, mailbox):
    rita = nominate(browser, open_cycle["portal"], "rita@example.com, peer, Rita", mailbox)
    sam = nominate(browser, open_cycle["portal"], "sam@example.com, peer, Sam", mailbox)
    wrong = browser.submit(rita, {f"item-{ITEMS[0]}": "9", "action": "submit"})
    assert wrong.status_code == 400
    assert "Not a valid choice." in fieldset(wrong.text, ITEMS[0])
    assert 'id="first-problem"' in fieldset(wrong.text, ITEMS[0])
    assert wrong.text.count('class="question invalid"') == len(ITEMS)  # the rest unanswered
    assert checked(wrong.text, ITEMS[0]) == []  # 9 is no choice, so none is checked

    page = browser.get(sam).text
    assert "invalid" not in page and 'id="first-problem"' not in page
    assert "Not a valid choice." not in page


def test_the_coachees_name_and_the_token_are_each_pages_own(
    open_cycle, coach_browser, browser, app, mailbox
):
    jordan_portal = second_cycle(coach_browser, mailbox)
    rita = nominate(browser, open_cycle["portal"], "rita@example.com, peer, Rita", mailbox)
    other = Browser(app.test_client())
    sam = nominate(other, jordan_portal, "sam@example.com, peer, Sam", mailbox)
    with app.app_context():
        assert len(set(db.session.scalars(select(Cycle.questionnaire_id)))) == 1

    for _ in range(2):
        rita_page, sam_page = browser.get(rita).text, other.get(sam).text
        assert "Casey starts improvements without waiting to be asked." in rita_page
        assert "Jordan starts improvements without waiting to be asked." in sam_page
        assert "Jordan" not in rita_page and "Casey" not in sam_page
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert token.search(rita_page).group(1) != token.search(sam_page).group(1)
    # Each page's token is good for its own session's submit.
    response = other.submit(sam, {f"item-{ITEMS[0]}": "4", "action": "save"})
    assert response.status_code == 302


def test_opening_the_form_asks_the_database_once(open_cycle, browser, app, mailbox):
    """A warm form GET reads the invite with its cycle, questionnaire, coachee and coach
    in one query; the statements and open questions come from the kept pieces (it was
    eleven queries, one more per competency)."""
    rita = nominate(browser, open_cycle["portal"], "rita@example.com, boss, Rita", mailbox)
    assert browser.get(rita).status_code == 200
    statements = []
    with app.app_context():
        engine = db.engine

    def note(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        page = browser.get(rita).text
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert "Casey Doe asks for your feedback" in page and "Coach" in page
    assert len(statements) == 1, statements


def test_a_warm_submit_reads_only_the_invite(open_cycle, browser, app, mailbox):
    """A submit reads the invite behind the link with one statement and takes the
    questionnaire version from memory (a stored version never changes): nothing of the
    questionnaire is read again, and the writes are the claim and the answers."""
    rita = nominate(browser, open_cycle["portal"], "rita@example.com, boss, Rita", mailbox)
    sam = nominate(browser, open_cycle["portal"], "sam@example.com, peer, Sam", mailbox)
    everything = {f"item-{key}": "3" for key in ITEMS}
    assert browser.submit(rita, {**everything, "action": "submit"}).status_code == 302
    page = browser.get(sam).text
    statements = []
    with app.app_context():
        engine = db.engine

    def note(conn, cursor, statement, *rest):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = browser.post(
            sam, data={"csrf_token": token, **everything, "text-keep": "Calm", "action": "submit"}
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 302
    reads = [s for s in statements if s.startswith("SELECT")]
    # One read: the invite with its cycle, coachee and coach; no statement, item or open
    # question is read again.
    assert len(reads) == 1 and reads[0].split(" FROM ")[1].startswith("invites"), statements
    writes = [s.split("(")[0].split(" SET")[0] for s in statements if not s.startswith("SELECT")]
    if engine.dialect.name == "postgresql":
        # One statement: the claim, then the response, its ratings and open answers.
        assert writes == ["WITH claimed AS "], statements
        assert all(
            part in statements[-1]
            for part in ("UPDATE invites", "INSERT INTO responses", "INSERT INTO ratings")
        )
        return
    assert writes == [
        "UPDATE invites",
        "INSERT INTO responses ",
        "INSERT INTO ratings ",
        "INSERT INTO open_answers ",
    ], statements
