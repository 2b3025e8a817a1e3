"""Nominations the coach approves, removing and correcting nominees, and the minimum
raters per group: through the real forms (CSRF on), the portal and the commands."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import NO_MINIMUMS, csrf_token

from feedback.coaching.audit import AuditEvent
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters.models import Invite
from feedback.timeutil import today
from feedback.vocabulary import CycleState, InviteState
from feedback.webhooks.models import WebhookDelivery
from feedback.webhooks.services import create_endpoint

ITEMS = [item.key for item in default_questionnaire().items]
TEAM = "boss@example.org, boss, Bo Boss\npeer1@example.org, peer\npeer2@example.org, peer"


def start(coach_browser, mailbox, **fields) -> tuple[int, str]:
    """A coachee and a cycle through the coach's forms, with the new-cycle form's
    ``fields``; the cycle id and the portal link from the coachee's email."""
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    assert response.status_code == 302
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        response.headers["Location"], {"closes_on": closes_on, "boss_exempt": "y", **fields}
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return cycle_id, mailbox.link_for("casey@example.com").rstrip("/")


def states(app, cycle_id: int) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(
            select(Invite.email, Invite.state).where(Invite.cycle_id == cycle_id)
        ).all()
        return {email: str(state) for email, state in rows}


def invite_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Invite.id).where(Invite.email == email))


def deliveries(app, event: str) -> list[dict]:
    with app.app_context():
        bodies = db.session.scalars(
            select(WebhookDelivery.body).where(WebhookDelivery.event == event)
        ).all()
        return [json.loads(body) for body in bodies]


def hook(app, *events: str) -> None:
    """A webhook endpoint of the coach for ``events``."""
    from feedback.accounts.services import coach_by_email

    with app.app_context():
        create_endpoint(
            coach_by_email("coach@example.com"), url="https://crm.example.com/h", events=[*events]
        )
        db.session.commit()


def answer(browser, link: str) -> None:
    scores = {f"item-{k}": "4" for k in ITEMS}
    response = browser.submit(link, {**scores, "text-headline": "Steady.", "action": "submit"})
    assert response.status_code == 302, response.text


# ---------------------------------------------------------------- approval


def test_nominations_wait_for_the_coach_who_approves_some_then_all(
    app, coach_browser, browser, mailbox
):
    cycle_id, portal = start(coach_browser, mailbox, approve_nominations="y", **NO_MINIMUMS)
    hook(app, "nomination.pending_approval")

    response = browser.submit(f"{portal}/raters", {"raters": TEAM})
    assert response.status_code == 302
    page = browser.get(f"{portal}/raters").text
    assert "approves the list before anyone is invited" in page
    assert page.count("waiting for approval") == 3
    assert "3 waiting for" in browser.get(f"{portal}/").text
    assert set(states(app, cycle_id).values()) == {"awaiting"}
    assert not mailbox.to("peer1@example.org")  # no mail leaves before the approval
    # Waiting nominations are not counted as invited.
    assert '<td>Peers</td><td class="num">0</td>' in browser.get(f"{portal}/").text

    # The coach's webhooks hear how many wait, never who.
    (event,) = deliveries(app, "nomination.pending_approval")
    assert event["data"] == {"cycle_id": cycle_id, "added": 3, "waiting": 3}
    assert "example.org" not in json.dumps(event)

    dashboard = coach_browser.get(f"/cycles/{cycle_id}").text
    assert "3 waiting for your approval" in dashboard
    assert "peer1@example.org" in dashboard
    approve = f"/cycles/{cycle_id}/nominations/approve"
    boss = invite_id(app, "boss@example.org")
    response = coach_browser.submit(
        approve, {"invite": str(boss), "selected": "1"}, page=f"/cycles/{cycle_id}"
    )
    assert response.status_code == 302
    assert len(mailbox.to("boss@example.org")) == 1  # left after the commit
    assert not mailbox.to("peer1@example.org")
    assert states(app, cycle_id)["peer1@example.org"] == "awaiting"

    response = coach_browser.submit(approve, {"all": "1"}, page=f"/cycles/{cycle_id}")
    assert response.status_code == 302
    assert len(mailbox.to("peer1@example.org")) == len(mailbox.to("peer2@example.org")) == 1
    assert len(mailbox.to("boss@example.org")) == 1  # approving again sends nothing twice
    assert "waiting" not in browser.get(f"{portal}/raters").text
    answer(browser, mailbox.link_for("peer1@example.org"))

    # Nothing left: approving again says so and sends nothing.
    response = coach_browser.submit(approve, {"all": "1"}, page=f"/cycles/{cycle_id}")
    assert "Nobody was waiting" in coach_browser.get(f"/cycles/{cycle_id}").text
    assert len(mailbox.messages()) == 1 + 3  # the portal link and three invitations
    with app.app_context():  # two approvals in the coach's trail, naming nobody
        trail = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "approve").order_by(AuditEvent.id)
        ).all()
        assert [(event.cycle_id, event.detail) for event in trail] == [
            (cycle_id, "1 nomination"),
            (cycle_id, "2 nominations"),
        ]


def test_without_approval_nominations_are_invited_at_once(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(coach_browser, mailbox, **NO_MINIMUMS)
    hook(app, "nomination.pending_approval")
    assert browser.submit(f"{portal}/raters", {"raters": TEAM}).status_code == 302
    assert set(states(app, cycle_id).values()) == {"sent"}
    assert deliveries(app, "nomination.pending_approval") == []


def test_approving_needs_the_form_token_and_an_open_cycle(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(coach_browser, mailbox, approve_nominations="y", **NO_MINIMUMS)
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    approve = f"/cycles/{cycle_id}/nominations/approve"
    assert coach_browser.post(approve, data={"all": "1"}).status_code == 400  # no CSRF token
    response = coach_browser.submit(approve, {"selected": "1"}, page=f"/cycles/{cycle_id}")
    assert response.status_code == 302
    assert "Tick the raters" in coach_browser.get(f"/cycles/{cycle_id}").text
    response = coach_browser.submit(
        approve, {"invite": "x", "selected": "1"}, page=f"/cycles/{cycle_id}"
    )
    assert response.status_code == 400
    assert set(states(app, cycle_id).values()) == {"awaiting"}
    coach_browser.submit(f"/cycles/{cycle_id}/close", {}, page=f"/cycles/{cycle_id}")
    response = coach_browser.submit(approve, {"all": "1"}, page=f"/cycles/{cycle_id}")
    assert response.status_code == 409
    assert set(states(app, cycle_id).values()) == {"awaiting"}


# ---------------------------------------------------------------- remove and correct


def test_the_coachee_removes_a_nominee_whose_link_stops_working(
    app, coach_browser, browser, mailbox
):
    _, portal = start(coach_browser, mailbox, **NO_MINIMUMS)
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    link = mailbox.link_for("peer1@example.org")
    assert browser.get(link).status_code == 200
    answered_link = mailbox.link_for("peer2@example.org")
    answer(browser, answered_link)
    before = browser.get(f"{portal}/").text

    for email in ("peer1@example.org", "peer2@example.org"):
        response = browser.submit(
            f"{portal}/raters/{invite_id(app, email)}/remove", {}, page=f"{portal}/raters"
        )
        assert response.status_code == 302
    listed = re.search(r"<tbody>.*</tbody>", browser.get(f"{portal}/raters").text, re.S).group(0)
    assert "boss@example.org" not in listed and "Bo Boss" in listed
    assert "peer1@example.org" not in listed and "peer2@example.org" not in listed
    # The counts per group do not move, whoever had answered: removing tells nothing.
    peers = re.compile(r"<td>Peers</td>.*?</tr>", re.S)
    assert peers.search(browser.get(f"{portal}/").text).group(0) == peers.search(before).group(0)

    for old in (link, answered_link):
        response = browser.get(old)
        assert response.status_code == 404
        assert "This link does not work" in response.text
        assert "the request it was for has been withdrawn" in response.text
    with app.app_context():
        removed = db.session.scalars(
            select(Invite).where(Invite.removed_at.is_not(None)).order_by(Invite.id)
        ).all()
        assert [(i.state, i.name, "@" in i.email) for i in removed] == [
            (InviteState.REMOVED, "", False),
            (InviteState.SUBMITTED, "", False),
        ]
        coachee_id = db.session.scalars(select(Cycle.coachee_id)).one()
    # The coachee's data export lists who is asked, without the removed (erased) rows.
    exported = coach_browser.get(f"/coachees/{coachee_id}/export.json").json
    (asked,) = [c["raters_asked"] for c in exported["cycles"]]
    assert sorted(r["email"] for r in asked) == ["boss@example.org"]
    # The address can be nominated again, and gets a new link.
    assert (
        browser.submit(f"{portal}/raters", {"raters": "peer1@example.org, peer"}).status_code == 302
    )
    fresh = mailbox.link_for("peer1@example.org")
    assert fresh != link and browser.get(fresh).status_code == 200


def test_the_coach_corrects_an_address_and_the_new_one_gets_a_fresh_link(
    app, coach_browser, browser, mailbox
):
    cycle_id, portal = start(coach_browser, mailbox, **NO_MINIMUMS)
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    old_link = mailbox.link_for("peer1@example.org")
    url = f"/cycles/{cycle_id}/nominations/{invite_id(app, 'peer1@example.org')}/correct"

    response = coach_browser.submit(url, {"email": "not an address", "group": "peer"})
    assert response.status_code == 400
    assert "is not an email address" in response.text
    response = coach_browser.submit(url, {"email": "peer2@example.org", "group": "peer"})
    assert response.status_code == 400
    assert "already invited" in response.text
    assert browser.get(old_link).status_code == 200  # nothing changed on a refusal

    response = coach_browser.submit(url, {"email": "Peer.One@Example.org", "group": "subordinate"})
    assert response.status_code == 302
    assert states(app, cycle_id)["peer.one@example.org"] == "sent"
    assert browser.get(old_link).status_code == 404
    with app.app_context():
        assert db.session.get(Invite, invite_id(app, "peer.one@example.org")).group == "subordinate"
    assert browser.get(mailbox.link_for("peer.one@example.org")).status_code == 200
    assert "peer.one@example.org" in coach_browser.get(f"/cycles/{cycle_id}").text


def test_a_correction_by_the_coachee_waits_for_the_coach(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(coach_browser, mailbox, approve_nominations="y", **NO_MINIMUMS)
    hook(app, "nomination.pending_approval")
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    url = f"{portal}/raters/{invite_id(app, 'peer1@example.org')}/correct"
    response = browser.submit(url, {"email": "peer9@example.org", "group": "peer"})
    assert response.status_code == 302
    assert states(app, cycle_id)["peer9@example.org"] == "awaiting"
    assert "peer1@example.org" not in states(app, cycle_id)  # never invited: deleted
    assert not mailbox.to("peer9@example.org")
    assert [e["data"]["waiting"] for e in deliveries(app, "nomination.pending_approval")] == [3, 3]


def test_nominees_of_another_cycle_or_a_closed_one_cannot_be_changed(
    app, coach_browser, browser, mailbox
):
    cycle_id, portal = start(coach_browser, mailbox, **NO_MINIMUMS)
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    peer = invite_id(app, "peer1@example.org")
    assert browser.get(f"{portal}/raters/999999/correct").status_code == 404
    token = csrf_token(browser.get(f"{portal}/raters").text)
    coach_browser.submit(f"/cycles/{cycle_id}/close", {}, page=f"/cycles/{cycle_id}")
    response = browser.post(f"{portal}/raters/{peer}/remove", data={"csrf_token": token})
    assert response.status_code == 409
    assert "This cycle is closed; your list of raters stays as it is." in response.text
    response = coach_browser.submit(
        f"/cycles/{cycle_id}/nominations/{peer}/remove", {}, page=f"/cycles/{cycle_id}"
    )
    assert response.status_code == 409
    assert "This cycle is closed; its list of raters stays as it is." in response.text
    assert states(app, cycle_id)["peer1@example.org"] == "sent"


# ---------------------------------------------------------------- minimums


def test_the_new_cycle_form_offers_the_default_minimums_and_refuses_bad_ones(
    app, coach_browser, mailbox
):
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    new_cycle = response.headers["Location"]
    form = coach_browser.get(new_cycle).text
    for name, value in [
        ("min_boss", 1),
        ("min_peers", 3),
        ("min_subordinates", 3),
        ("min_raters", 8),
    ]:
        assert re.search(rf'name="{name}"[^>]*value="{value}"', form), name
    closes_on = (today() + timedelta(days=14)).isoformat()
    for bad in ("-1", "61", "three", ""):
        response = coach_browser.submit(new_cycle, {"closes_on": closes_on, "min_peers": bad})
        assert response.status_code == 400, bad
        assert "Give a number from 0 to 60." in response.text, bad
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cycle)) == 0

    response = coach_browser.submit(
        new_cycle, {"closes_on": closes_on, "min_subordinates": "0", "approve_nominations": "y"}
    )
    assert response.status_code == 302
    with app.app_context():
        cycle = db.session.scalars(select(Cycle)).one()
        assert (cycle.min_boss, cycle.min_peers, cycle.min_subordinates, cycle.min_raters) == (
            1,
            3,
            0,
            8,
        )
        assert cycle.approve_nominations


def test_the_portal_and_the_coach_see_what_is_still_missing(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(coach_browser, mailbox, approve_nominations="y")
    home = browser.get(f"{portal}/").text
    assert (
        "Still needed: 1 more boss, 3 more peers, 3 more subordinates and 1 more from any group"
        in home
    )
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    raters_page = browser.get(f"{portal}/raters").text
    assert "Still needed: 1 more peer, 3 more subordinates and 1 more from any group" in raters_page
    dashboard = coach_browser.get(f"/cycles/{cycle_id}").text
    assert (
        "Still needed on the list: 1 more peer, 3 more subordinates and 1 more from any group"
        in dashboard
    )
    lines = (
        "\n".join(f"s{i}@example.org, subordinate" for i in range(3))
        + "\nx@example.org, partner\np3@example.org, peer"
    )
    browser.submit(f"{portal}/raters", {"raters": lines})
    assert "Still needed" not in browser.get(f"{portal}/").text
    assert "Still needed" not in coach_browser.get(f"/cycles/{cycle_id}").text


def test_closing_below_the_minimum_asks_the_coach_first(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(
        coach_browser, mailbox, min_boss="0", min_subordinates="0", min_raters="2"
    )
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    answer(browser, mailbox.link_for("peer1@example.org"))
    url = f"/cycles/{cycle_id}"

    response = coach_browser.submit(f"{url}/close", {}, page=url)
    assert response.status_code == 200
    assert "below the minimum" in response.text
    assert "still needed, 2 more peers." in response.text
    response = coach_browser.submit(f"{url}/close", {"below_minimum": ""}, page=url)
    assert response.status_code == 400
    assert "Please confirm" in response.text
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).state is CycleState.OPEN

    response = coach_browser.submit(f"{url}/close", {"below_minimum": "y"}, page=url)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).state is CycleState.CLOSED


def test_a_cycle_that_meets_its_minimum_closes_without_asking(app, coach_browser, browser, mailbox):
    cycle_id, portal = start(
        coach_browser, mailbox, min_boss="1", min_peers="0", min_subordinates="0", min_raters="1"
    )
    browser.submit(f"{portal}/raters", {"raters": TEAM})
    answer(browser, mailbox.link_for("boss@example.org"))
    url = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).state is CycleState.CLOSED


def test_the_minimum_never_lowers_k(app, coach_browser, browser, mailbox):
    """A minimum of one peer asks for one peer; a lone peer's answers still hide."""
    cycle_id, portal = start(
        coach_browser, mailbox, min_boss="0", min_peers="1", min_subordinates="0", min_raters="1"
    )
    with app.app_context():
        assert db.session.get(Cycle, cycle_id).min_group_size == app.config["MIN_GROUP_SIZE"] == 3
    scores = {f"item-{k}": "4" for k in ITEMS}
    self_form = {**scores, "text-headline": "I listen.", "action": "submit"}
    assert browser.submit(f"{portal}/self", self_form).status_code == 302
    browser.submit(f"{portal}/raters", {"raters": "peer1@example.org, peer"})
    answer(browser, mailbox.link_for("peer1@example.org"))
    url = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    dashboard = coach_browser.get(url).text
    assert (
        "<strong>Peers</strong> (1 answered): not shown on their own on any statement" in dashboard
    )


# ---------------------------------------------------------------- commands


@pytest.fixture
def run(app, coach):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=[str(a) for a in args])


CREATE = (
    "cycle",
    "create",
    "--coach",
    "coach@example.com",
    "--coachee-name",
    "Kim Park",
    "--coachee-email",
    "kim@example.com",
    "--json",
)


def test_cycle_create_takes_approval_and_minimums(app, run):
    result = run(*CREATE, "--approve-nominations", "--min-peers", "2", "--min-subordinates", "0")
    assert result.exit_code == 0, result.output
    cycle_id = json.loads(result.output)["cycle_id"]
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        assert cycle.approve_nominations
        assert (cycle.min_boss, cycle.min_peers, cycle.min_subordinates, cycle.min_raters) == (
            1,
            2,
            0,
            8,
        )
        assert cycle.min_group_size == app.config["MIN_GROUP_SIZE"]


@pytest.mark.parametrize("value", ["-1", "61", "two"])
def test_cycle_create_refuses_a_bad_minimum(app, run, value):
    result = run(*CREATE, "--min-peers", value)
    assert result.exit_code == 2
    assert "--min-peers" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cycle)) == 0


def test_cycle_approve_sends_what_waits(app, run, browser, mailbox):
    cycle_id = json.loads(run(*CREATE, "--approve-nominations").output)["cycle_id"]
    run("mail", "send")
    portal = mailbox.link_for("kim@example.com").rstrip("/")
    assert browser.submit(f"{portal}/raters", {"raters": TEAM}).status_code == 302
    run("mail", "send")
    assert not mailbox.to("peer1@example.org")

    result = run("cycle", "approve", cycle_id)
    assert result.exit_code == 0, result.output
    assert "Approved 3 raters" in result.output
    assert "Still needed for the cycle's minimum: 1 more peer, 3 more subordinates" in result.output
    run("mail", "send")
    assert len(mailbox.to("peer1@example.org")) == 1
    assert "Nothing was waiting" in run("cycle", "approve", cycle_id).output

    assert run("cycle", "approve", 999).exit_code == 2
    assert run("cycle", "close", cycle_id, "--below-minimum").exit_code == 0
    closed = run("cycle", "approve", cycle_id)
    assert closed.exit_code == 2 and "closed" in closed.output


def test_a_group_of_removed_or_waiting_nominees_does_not_hold_back_the_ready_note(app):
    import factories

    from feedback.cycles.notes import queue_ready_notes
    from feedback.raters import services as raters
    from feedback.timeutil import utcnow

    with app.app_context():
        cycle = factories.cycle(approve_nominations=True)
        factories.answered(cycle, {"peer": 3})
        (partner,) = factories.invites(cycle, {"partner": 1})
        raters.nominate(
            cycle, [raters.Nomination("sub@example.org", "subordinate")], wait_for_coach=True
        )
        later = utcnow() + timedelta(hours=3)
        assert queue_ready_notes(later) == 0  # the partner could still answer
        partner.state = InviteState.SENT
        raters.remove(partner)
        assert db.session.get(Invite, partner.id).state is InviteState.REMOVED  # a row stays
        assert queue_ready_notes(later) == 1
