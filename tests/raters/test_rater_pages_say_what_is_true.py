"""What a rater reads is true for them: the boss of a cycle that shows the boss alone is
not told their answers are pooled; a round closed early says when it closed; a submit
with statements left out opens at the first of them; the one-rater form's errors speak
of that rater; a name too long is refused, not cut (issue 17, items 5 and 6)."""

import re

from babel.dates import format_date
from sqlalchemy import select

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters.models import Invite

ITEMS = [item.key for item in default_questionnaire().items]


def all_answers(score: str = "4") -> dict[str, str]:
    return {f"item-{key}": score for key in ITEMS}


def invite(browser, mailbox, open_cycle, line: str, email: str) -> str:
    response = browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": line})
    assert response.status_code == 302, response.text
    return mailbox.link_for(email)


def test_the_boss_is_told_their_answers_show_as_the_boss_s(open_cycle, browser, mailbox):
    boss = invite(browser, mailbox, open_cycle, "bo@example.com, boss, Bo", "bo@example.com")
    response = browser.submit(boss, {**all_answers(), "action": "submit"})
    thanks = browser.get(response.headers["Location"]).text
    assert "pooled" not in thanks
    assert "your answers are shown as the boss's, even if you are the only one" in thanks
    assert "Your name is not shown with them." in thanks
    again = browser.get(boss).text  # the link after the answers arrived
    assert "pooled" not in again and "shown as the boss's" in again


def test_a_peer_is_told_their_answers_are_pooled(open_cycle, browser, mailbox):
    peer = invite(browser, mailbox, open_cycle, "pia@example.com, peer, Pia", "pia@example.com")
    response = browser.submit(peer, {**all_answers(), "action": "submit"})
    thanks = browser.get(response.headers["Location"]).text
    assert "pooled with other raters' answers and without your name" in thanks
    assert "boss" not in thanks


def test_the_boss_of_a_cycle_that_pools_the_boss_is_told_it_is_pooled(
    open_cycle, browser, mailbox, app
):
    with app.app_context():
        db.session.get(Cycle, open_cycle["cycle_id"]).boss_exempt = False
        db.session.commit()
    boss = invite(browser, mailbox, open_cycle, "bo@example.com, boss, Bo", "bo@example.com")
    response = browser.submit(boss, {**all_answers(), "action": "submit"})
    thanks = browser.get(response.headers["Location"]).text
    assert "pooled with other raters' answers" in thanks


def test_a_round_closed_early_says_when_it_closed(open_cycle, browser, mailbox, coach_browser, app):
    link = invite(browser, mailbox, open_cycle, "li@example.com, peer", "li@example.com")
    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    with app.app_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        closed, deadline = cycle.closed_at, cycle.closes_on
    page = browser.get(link)
    assert page.status_code == 410
    assert f"was closed on {format_date(closed, 'long', locale='en')}" in page.text
    assert "accepted until" not in page.text
    assert format_date(deadline, "long", locale="en") not in page.text


def test_an_incomplete_submit_opens_at_the_first_statement_left_out(open_cycle, browser, mailbox):
    link = invite(browser, mailbox, open_cycle, "li@example.com, peer", "li@example.com")
    form = browser.get(link).text
    # Without any script: the form's address carries the anchor of the first problem.
    assert re.search(r'<form method="post" action="#first-problem"', form)
    assert 'id="first-problem"' not in form
    posted = {**all_answers(), "action": "submit"}
    del posted[f"item-{ITEMS[3]}"], posted[f"item-{ITEMS[7]}"]
    page = browser.submit(link, posted).text
    first = re.search(
        r'<fieldset class="question invalid" id="first-problem"[^>]*>(.*?)</fieldset>', page, re.S
    )
    assert first and f'name="item-{ITEMS[3]}"' in first.group(1)
    assert "Please choose an answer, or “Don" in first.group(1)
    assert page.count('id="first-problem"') == 1
    assert page.count('class="question invalid"') == 2  # both statements left out


def test_the_self_assessment_opens_at_its_first_problem_too(open_cycle, browser):
    url = open_cycle["portal"].rstrip("/") + "/self"
    page = browser.submit(url, {**all_answers(), f"item-{ITEMS[0]}": "", "action": "submit"}).text
    assert 'id="first-problem"' in page
    first = page[page.index('id="first-problem"') :]
    assert f'name="item-{ITEMS[0]}"' in first[: first.index("</fieldset>")]


def test_the_one_rater_form_speaks_of_one_rater(open_cycle, browser, mailbox):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    response = browser.submit(url, {"email": "not-an-address", "group": "peer", "name": "Li Wei"})
    assert response.status_code == 422
    page = response.text
    assert "Li Wei is not invited:</strong> “not-an-address” is not an email address." in page
    assert "line" not in page.split('role="alert"')[1].split("</div>")[0].lower()
    # The one-rater form is open again, with what was typed; the paste box stays empty.
    assert '<details class="card" open>' in page
    assert 'value="not-an-address"' in page and 'value="Li Wei"' in page
    assert re.search(r'<textarea id="raters"[^>]*></textarea>', page)

    invite(browser, mailbox, open_cycle, "li@example.com, peer, Li Wei", "li@example.com")
    response = browser.submit(url, {"email": "li@example.com", "group": "peer", "name": ""})
    assert response.status_code == 422
    assert "li@example.com is not invited:</strong> li@example.com is already invited." in (
        response.text
    )


def test_a_pasted_rater_name_too_long_is_refused_not_cut(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    long_name = "Maximiliane " * 24 + "Maximilianes"  # 300 characters
    response = browser.submit(
        url, {"raters": f"max@example.com, peer, {long_name}\nok@example.com, peer, Ok"}
    )
    assert response.status_code == 422
    assert "the name has 300 characters; please shorten it to 120" in response.text
    with app.app_context():
        names = db.session.scalars(select(Invite.name)).all()
    assert names == ["Ok"]
    # The one-rater form takes a long name whole, to refuse it too (no maxlength).
    page = browser.get(url).text
    assert "maxlength" not in re.search(r'<input id="name"[^>]*>', page).group(0)
