"""The coachee's portal: self-assessment and nominations, through the signed link."""

from sqlalchemy import select

from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters.models import Invite
from feedback.ratings.models import Rating, Response

ITEMS = [item.key for item in default_questionnaire().items]


def all_items(score="4") -> dict:
    return {f"item-{key}": score for key in ITEMS}


def test_self_assessment_saves_a_draft_then_submits(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/self"
    page = browser.get(url)
    assert page.status_code == 200
    assert default_questionnaire().items[0].self_text in page.text
    assert "Describe yourself in 140 characters" in page.text

    partial = {f"item-{ITEMS[0]}": "5", f"item-{ITEMS[1]}": "na", "text-mission": "Grow people"}
    response = browser.submit(url, {**partial, "action": "save"})
    assert response.status_code == 302
    page = browser.get(url)
    assert 'value="5" checked' in page.text
    assert "Grow people" in page.text

    response = browser.submit(
        url, {**all_items("3"), "text-headline": "Builder.", "action": "submit"}
    )
    assert response.status_code == 302
    with app.app_context():
        response_row = db.session.scalar(select(Response).where(Response.group == "self"))
        assert response_row.submitted
        scores = db.session.scalars(
            select(Rating.score).where(Rating.response_id == response_row.id)
        ).all()
        assert sorted(set(scores)) == [3]
        assert len(scores) == len(ITEMS)


def test_submitting_with_unanswered_items_keeps_the_saved_draft(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/self"
    browser.submit(url, {f"item-{ITEMS[0]}": "2", "action": "save"})
    response = browser.submit(url, {f"item-{ITEMS[1]}": "4", "action": "submit"})
    assert response.status_code == 400
    # The saved answer to the first item counts too: the page showed it checked.
    assert f"{len(ITEMS) - 2} statements still need an answer" in response.text
    with app.app_context():
        row = db.session.scalar(select(Response).where(Response.group == "self"))
        assert not row.submitted
        assert [r.score for r in row.ratings] == [2]


def test_scores_off_the_scale_and_long_texts_are_refused(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/self"
    for bad in ("0", "6", "-1", "3.5", "NaN", "abc"):
        response = browser.submit(url, {f"item-{ITEMS[0]}": bad, "action": "save"})
        assert response.status_code == 400, bad
        assert "Not a valid choice" in response.text
    response = browser.submit(url, {"text-headline": "x" * 141, "action": "save"})
    assert response.status_code == 400
    assert "under 140 characters" in response.text
    with app.app_context():
        assert db.session.scalar(select(Response)) is None


def test_pasted_nominations_keep_good_lines_and_explain_each_bad_one(open_cycle, browser, app):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    pasted = "\n".join(
        [
            "boss@example.com, boss, Bo Boss",
            "not-an-email, peer",
            "",
            "peer1@example.com, Peers",
            "peer2@example.com, colleague, Pat",
            "x@example.com, friend",
            "casey@example.com, peer",
            "peer1@example.com, peer",
            "sub@example.com",
        ]
    )
    response = browser.submit(url, {"raters": pasted})
    assert response.status_code == 422
    text = response.text
    assert "3 raters invited" in text
    assert "Line 2" in text and "is not an email address" in text
    assert "Line 6" in text and "“friend” is not a group" in text
    assert "your own address" in text
    assert "peer1@example.com is already invited" in text
    assert "Line 9" in text and "expected “email, group”" in text
    with app.app_context():
        invites = db.session.scalars(select(Invite).order_by(Invite.email)).all()
        assert [(i.email, i.group, i.name) for i in invites] == [
            ("boss@example.com", "boss", "Bo Boss"),
            ("peer1@example.com", "peer", ""),
            ("peer2@example.com", "peer", "Pat"),
        ]


def test_one_at_a_time_nomination_sends_an_invite(open_cycle, browser, mailbox):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    response = browser.submit(url, {"email": "Ann@Example.com", "group": "partner", "name": "Ann"})
    assert response.status_code == 302
    message = mailbox.to("ann@example.com")[-1]
    assert message["Subject"] == "Casey Doe asks for your feedback"
    assert "/r/" in mailbox.link_for("ann@example.com")


def test_an_empty_nomination_is_a_400_with_a_message(open_cycle, browser):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    response = browser.submit(url, {"raters": "  \n "})
    assert response.status_code == 400
    assert "Please give at least one rater" in response.text


def test_portal_shows_counts_per_group_never_who_answered(open_cycle, browser, mailbox):
    url = open_cycle["portal"].rstrip("/") + "/raters"
    browser.submit(url, {"raters": "p1@example.com, peer, Pia\np2@example.com, peer, Paul"})
    rater = mailbox.link_for("p1@example.com")
    browser.submit(rater, {**all_items("4"), "action": "submit"})
    home = browser.get(open_cycle["portal"]).text
    assert '<td>Peers</td><td class="num">2</td><td class="num">1</td>' in home
    raters_page = browser.get(url).text
    assert "Pia" in raters_page and "Paul" in raters_page
    assert "submitted" not in raters_page.lower()


def test_a_tampered_or_foreign_link_is_refused(open_cycle, browser, mailbox):
    token = open_cycle["portal"].rstrip("/").rsplit("/", 1)[1]
    assert browser.get(f"/p/{token[:-3]}abc/").status_code == 404
    # A rater link signed with the invite salt does not open a portal.
    browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": "r@example.com, peer"})
    rater_token = mailbox.link_for("r@example.com").rstrip("/").rsplit("/", 1)[1]
    assert browser.get(f"/p/{rater_token}/").status_code == 404
    assert "does not work" in browser.get(f"/p/{rater_token}/").text
