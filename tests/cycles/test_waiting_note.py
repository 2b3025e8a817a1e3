"""The coach hears, by email, that nominations wait for their approval: one note while
any wait, and again for the next ones once the coach has dealt with them."""

from support import NO_MINIMUMS
from test_nominations import TEAM, start

from feedback.cycles.jobs import run_round


def notes(mailbox) -> list:
    return [m for m in mailbox.to("coach@example.com") if "wait for your approval" in m["Subject"]]


def round_(app) -> None:
    with app.app_context():
        run_round()


def test_one_note_while_nominations_wait_and_another_for_the_next_ones(
    app, coach_browser, browser, mailbox
):
    cycle_id, portal = start(coach_browser, mailbox, approve_nominations="y", **NO_MINIMUMS)
    assert browser.submit(f"{portal}/raters", {"raters": TEAM}).status_code == 302
    round_(app)
    (note,) = notes(mailbox)
    assert note["Subject"] == "Casey Doe's nominations wait for your approval"
    text = note.get_body(preferencelist=("plain",)).get_content()
    assert "3 nominations wait for your approval" in text
    assert mailbox.link_for("coach@example.com") == f"http://localhost/cycles/{cycle_id}"
    assert "example.org" not in note.as_string()  # the note names no nominee

    # More nominations while the first still wait: no second note.
    more = {"raters": "peer3@example.org, peer"}
    assert browser.submit(f"{portal}/raters", more).status_code == 302
    round_(app)
    assert len(notes(mailbox)) == 1

    # The coach approves them all; nothing waits, nothing is noted.
    approve = f"/cycles/{cycle_id}/nominations/approve"
    response = coach_browser.submit(approve, {"all": "1"}, page=f"/cycles/{cycle_id}")
    assert response.status_code == 302
    round_(app)
    assert len(notes(mailbox)) == 1

    # The next nomination is noted again.
    more = {"raters": "partner@example.org, partner"}
    assert browser.submit(f"{portal}/raters", more).status_code == 302
    round_(app)
    assert len(notes(mailbox)) == 2
    text = notes(mailbox)[-1].get_body(preferencelist=("plain",)).get_content()
    assert "1 nomination waits for your approval" in text


def test_no_note_when_the_cycle_invites_at_once(app, coach_browser, browser, mailbox):
    _cycle_id, portal = start(coach_browser, mailbox, **NO_MINIMUMS)
    assert browser.submit(f"{portal}/raters", {"raters": TEAM}).status_code == 302
    round_(app)
    assert notes(mailbox) == []
    assert len(mailbox.to("peer1@example.org")) == 1
