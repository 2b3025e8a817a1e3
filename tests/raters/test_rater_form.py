"""The rater's form: GET never consumes, drafts, decline, exactly-once submit."""

import pytest
from sqlalchemy import func, select

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.questionnaires.models import Item, OpenQuestion
from feedback.raters.models import Invite
from feedback.ratings.models import OpenAnswer, Rating, Response
from feedback.vocabulary import InviteState

ITEMS = [item.key for item in default_questionnaire().items]


@pytest.fixture
def rater_link(open_cycle, browser, mailbox):
    browser.submit(
        open_cycle["portal"].rstrip("/") + "/raters",
        {"raters": "rita@example.com, boss, Rita"},
    )
    return mailbox.link_for("rita@example.com")


def answers(score="4"):
    return {f"item-{key}": score for key in ITEMS}


def count_responses(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Response).where(Response.group != "self")
        )


def invite_state(app) -> InviteState:
    with app.app_context():
        return db.session.scalar(select(Invite.state))


def test_get_shows_the_form_and_changes_nothing(rater_link, browser, app):
    before = invite_state(app)
    for _ in range(3):
        page = browser.get(rater_link)
        assert page.status_code == 200
    assert "Casey Doe asks for your feedback" in page.text
    assert "Casey starts improvements without waiting to be asked." in page.text
    assert "shown as the boss's" in page.text  # the boss is told
    assert invite_state(app) == before


def test_draft_is_kept_and_restored(rater_link, browser, app):
    response = browser.submit(
        rater_link, {f"item-{ITEMS[2]}": "2", "text-keep": "Your calm", "action": "save"}
    )
    assert response.status_code == 302
    page = browser.get(rater_link).text
    assert 'value="2" checked' in page
    assert "Your calm" in page
    assert invite_state(app) is InviteState.OPENED
    assert count_responses(app) == 0


def test_submit_once_and_a_second_post_creates_nothing(rater_link, browser, app):
    browser.submit(rater_link, {f"item-{ITEMS[0]}": "1", "action": "save"})
    response = browser.submit(
        rater_link, {**answers("5"), "text-headline": "Kind.", "action": "submit"}
    )
    assert response.status_code == 302
    assert "Thank you" in browser.get(response.headers["Location"]).text
    assert count_responses(app) == 1
    with app.app_context():
        invite = db.session.scalar(select(Invite))
        assert invite.state is InviteState.SUBMITTED
        assert invite.draft is None  # nothing of the answers stays with the invite

    # The form page no longer carries a token, so post directly with one from elsewhere.
    token_page = browser.get(open_cycle_portal(app) + "raters")
    from support import csrf_token

    again = browser.post(
        rater_link, data={"csrf_token": csrf_token(token_page.text), **answers("1")}
    )
    assert again.status_code == 200
    assert "Your answers had already arrived" in again.text
    assert count_responses(app) == 1


def open_cycle_portal(app) -> str:
    """Any page with a CSRF token in this session."""
    with app.app_context():
        cycle = db.session.scalar(select(Cycle))
        from feedback.coaching.services import portal_url

        with app.test_request_context():
            return portal_url(cycle)


def test_missing_answers_keep_the_draft_and_say_what_is_missing(rater_link, browser, app):
    browser.submit(rater_link, {f"item-{ITEMS[0]}": "3", "action": "save"})
    response = browser.submit(rater_link, {f"item-{ITEMS[0]}": "3", "action": "submit"})
    assert response.status_code == 400
    assert "still need an answer" in response.text
    assert count_responses(app) == 0
    assert 'value="3" checked' in browser.get(rater_link).text


def test_bad_values_are_refused_and_the_draft_survives(rater_link, browser, app):
    browser.submit(rater_link, {f"item-{ITEMS[0]}": "3", "action": "save"})
    response = browser.submit(rater_link, {**answers("7"), "action": "submit"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
    response = browser.submit(rater_link, {**answers("4"), "action": "launch"})
    assert response.status_code == 400
    assert "Unknown action" in response.text
    assert count_responses(app) == 0
    assert 'value="3" checked' in browser.get(rater_link).text


def test_decline_erases_the_draft_and_ends_the_invite(rater_link, browser, app):
    browser.submit(rater_link, {f"item-{ITEMS[0]}": "3", "action": "save"})
    response = browser.submit(rater_link, {"action": "decline"})
    assert response.status_code == 302
    assert "Understood" in browser.get(response.headers["Location"]).text
    with app.app_context():
        invite = db.session.scalar(select(Invite))
        assert invite.state is InviteState.DECLINED
        assert invite.draft is None
    assert "declined" in browser.get(rater_link).text
    assert count_responses(app) == 0


def test_a_closed_cycle_shows_a_clear_page(rater_link, browser, app, coach_browser, open_cycle):
    cycle_url = f"/cycles/{open_cycle['cycle_id']}"
    coach_browser.submit(f"{cycle_url}/close", {}, page=cycle_url)
    page = browser.get(rater_link)
    assert page.status_code == 410
    assert "This feedback round has closed" in page.text


def test_invite_link_does_not_work_as_a_portal_link_and_tampering_fails(
    rater_link, browser, open_cycle
):
    portal_token = open_cycle["portal"].rstrip("/").rsplit("/", 1)[1]
    assert browser.get(f"/r/{portal_token}/").status_code == 404
    token = rater_link.rstrip("/").rsplit("/", 1)[1]
    # Change the signature's first character: the last one carries bits that base64
    # decoding ignores, so "…xx" at the end could leave the signature as it was.
    payload, signature = token.rsplit(".", 1)
    changed = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert browser.get(f"/r/{payload}.{changed}/").status_code == 404


def _statement(page: str, key: str) -> str:
    """The HTML of one statement's fieldset on the form."""
    start = page.index(f'name="item-{key}"')
    return page[page.rindex("<fieldset", 0, start) : page.index("</fieldset>", start)]


def test_a_value_off_the_scale_is_marked_at_its_statement(rater_link, browser, app):
    response = browser.submit(
        rater_link, {**answers("3"), f"item-{ITEMS[1]}": "7", "action": "submit"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    wrong, right = _statement(page, ITEMS[1]), _statement(page, ITEMS[2])
    assert 'class="question invalid"' in wrong and "Not a valid choice." in wrong
    assert "invalid" not in right and "Not a valid choice." not in right
    assert 'value="3" checked' in right  # what was posted is shown again
    assert count_responses(app) == 0


def test_a_post_keeps_the_draft_for_statements_it_leaves_out(rater_link, browser, app):
    browser.submit(rater_link, {f"item-{ITEMS[0]}": "2", "action": "save"})
    rest = {key: value for key, value in answers("4").items() if key != f"item-{ITEMS[0]}"}
    response = browser.submit(rater_link, {**rest, "action": "submit"})
    assert response.status_code == 302
    with app.app_context():
        scores = db.session.execute(select(Rating.score)).scalars().all()
    assert sorted(scores) == [2] + [4] * (len(ITEMS) - 1)


def test_open_answers_are_stored_as_written(rater_link, browser, app):
    written = {
        "headline": 'Calm under pressure; says "no" when it matters.',
        "keep": "Zoë's 1:1s\nand the weekly notes — both, please.",
    }
    form = {f"text-{key}": text for key, text in written.items()}
    assert (
        browser.submit(rater_link, {**answers("3"), **form, "action": "submit"}).status_code == 302
    )
    with app.app_context():
        stored = dict(
            db.session.execute(
                select(OpenQuestion.key, OpenAnswer.text).join(
                    OpenAnswer, OpenAnswer.question_id == OpenQuestion.id
                )
            ).all()
        )
    assert stored == written


def test_scores_and_dont_know_are_stored_as_given(rater_link, browser, app):
    given = {key: ("na" if n % 3 == 0 else str(n % 5 + 1)) for n, key in enumerate(ITEMS)}
    form = {f"item-{key}": value for key, value in given.items()}
    assert browser.submit(rater_link, {**form, "action": "submit"}).status_code == 302
    with app.app_context():
        stored = dict(
            db.session.execute(
                select(Item.key, Rating.score).join(Rating, Rating.item_id == Item.id)
            ).all()
        )
    assert stored == {key: None if value == "na" else int(value) for key, value in given.items()}
