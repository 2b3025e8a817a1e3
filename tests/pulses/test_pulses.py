"""The pulse between cycles through the real forms (CSRF on): created from a closed
cycle's plan, answered through its own signed link, reminded, closed, and set beside
the cycle per statement under the guard and the rule across time; bad input on the
page and on the command line; retention and erasure."""

import contextlib
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import factories
import pytest
from sqlalchemy import func, select, update
from support import TEST_PASSWORD, Browser, csrf_token, sign_in

from feedback import links
from feedback.accounts.models import Coach
from feedback.accounts.services import create_coach
from feedback.coaching.models import Coachee, Cycle
from feedback.cycles import lifecycle
from feedback.cycles.data_rights import delete_coachee
from feedback.cycles.jobs import run_round
from feedback.cycles.retention import apply_retention
from feedback.extensions import db
from feedback.journey import decision, gaps, review
from feedback.journey import services as journey
from feedback.journey.models import (
    Aspect,
    FirstStep,
    Homework,
    Option,
    SessionNote,
    SkillGap,
    SuccessCriterion,
)
from feedback.mail.models import OutboxMessage
from feedback.pulses import services
from feedback.pulses.models import Pulse, PulseInvite, PulseResponse, PulseScore
from feedback.pulses.results import WHY_HIDDEN
from feedback.ratings.results import clear_cache
from feedback.timeutil import today, utcnow

FIRST, SECOND = factories.ITEMS[0], factories.ITEMS[1]
PULSE_LINK = re.compile(r"https?://[^\s<>\"']+/pulse/[^\s<>\"'/]+/?")


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def make_baseline(app, coach_id: int, groups: dict[str, int], score: int = 2) -> int:
    """A closed cycle of the signed-in coach: a self-assessment of 5, and ``groups``
    of raters who all gave ``score``; returns its id."""
    with app.test_request_context():
        coach = db.session.get(Coach, coach_id)
        cycle = factories.cycle(factories.coachee(coach))
        factories.self_assessment(cycle, 5)
        factories.answered(cycle, groups, score)
        lifecycle.close_cycle(cycle)
        db.session.commit()
        return cycle.id


def raters_of(app, cycle_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(PulseInvite.email)
                .join(Pulse)
                .where(Pulse.cycle_id == cycle_id)
                .order_by(PulseInvite.id)
            )
        )


def pulse_link(mailbox, address: str) -> str:
    messages = [m for m in mailbox.to(address) if "follow-up" in str(m["Subject"])]
    assert messages, f"no pulse mail to {address}"
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    return PULSE_LINK.search(text).group(0).removeprefix("http://localhost")


def create(coach_browser, cycle_id: int, data: dict):
    return coach_browser.submit(
        f"/cycles/{cycle_id}/pulses/new", data, page=f"/cycles/{cycle_id}/pulses/new"
    )


def answer(client, link: str, scores: dict[str, str], changed: str = "", action="submit"):
    browser = Browser(client)
    data = {f"item-{key}": value for key, value in scores.items()}
    return browser.submit(link, {**data, "changed": changed, "action": action})


def pulses_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Pulse))


def test_a_pulse_from_the_plan_to_its_results(app, coach, coach_browser, mailbox, client):
    cycle_id = make_baseline(app, coach, {"boss": 1, "peer": 3}, score=2)
    plan = coach_browser.get(f"/cycles/{cycle_id}/plan")
    assert f"/cycles/{cycle_id}/pulses/new" in plan.text

    closes = (today() + timedelta(days=7)).isoformat()
    created = create(coach_browser, cycle_id, {"statements": [FIRST, SECOND], "closes_on": closes})
    assert created.status_code == 302, created.text
    page_url = created.headers["Location"]
    raters = raters_of(app, cycle_id)
    assert len(raters) == 4

    for address in raters:
        link = pulse_link(mailbox, address)
        form = client.get(link)
        assert form.status_code == 200
        assert "What has changed?" in form.text
        sent = answer(client, link, {FIRST: "4", SECOND: "na"}, changed="Listens more.")
        assert sent.status_code == 302, sent.text
        assert sent.headers["Location"].endswith("/thanks")

    before = coach_browser.get(page_url)
    assert "Results show once the pulse is closed" in before.text
    assert "+2.0" not in before.text and "4.0" not in before.text

    page = coach_browser.get(page_url)
    closed = coach_browser.post(f"{page_url}/close", data={"csrf_token": csrf_token(page.text)})
    assert closed.status_code == 302
    after = coach_browser.get(page_url).text
    first = after[after.index(f'id="statement-{FIRST}"') : after.index(f'id="statement-{SECOND}"')]
    # All raters: 2.0 in the cycle, 4.0 in the pulse; the peers (3) and the boss (shown
    # alone while the cycle says so) likewise.
    assert re.search(r"All raters</td>\s*<td[^>]*>2\.0 <span[^>]*>\(4\)", first)
    assert re.search(r"4\.0 <span[^>]*>\(4\)</span></td>\s*<td[^>]*>\+2\.0", first)
    assert re.search(
        r"Peers</td>\s*<td[^>]*>2\.0 <span[^>]*>\(3\)</span></td>\s*<td[^>]*>4\.0", first
    )
    # "Don't know" on the second statement: the pulse has no figure there.
    second = after[after.index(f'id="statement-{SECOND}"') :]
    assert "+2.0" not in second.split("</section>")[0]
    assert "Listens more." in after

    # A closed pulse takes no more answers; its link says so.
    late = client.get(pulse_link(mailbox, raters[0]))
    assert "have arrived" in late.text
    # The coachee's page links to it.
    with app.app_context():
        coachee_id = db.session.get(Cycle, cycle_id).coachee_id
    assert page_url.split("localhost")[-1] in coach_browser.get(f"/coachees/{coachee_id}").text
    # The coachee's data holds the pulse and whom it asked, never who answered or what.
    exported = json.loads(coach_browser.get(f"/coachees/{coachee_id}/export.json").data)
    [pulse] = exported["cycles"][0]["pulses"]
    assert pulse["statements"] == [FIRST, SECOND]
    assert sorted(r["email"] for r in pulse["raters_asked"]) == sorted(raters)
    assert "Listens more." not in json.dumps(exported)
    assert "submitted" not in json.dumps(pulse)


def test_one_rater_fewer_in_the_pulse_shows_nothing_beside_the_cycle(
    app, coach, coach_browser, mailbox, client
):
    cycle_id = make_baseline(app, coach, {"peer": 4}, score=2)
    assert create(coach_browser, cycle_id, {"statements": [FIRST]}).status_code == 302
    raters = raters_of(app, cycle_id)
    for address in raters[:3]:  # the fourth peer does not answer
        assert answer(client, pulse_link(mailbox, address), {FIRST: "5"}).status_code == 302
    with app.app_context():
        pulse = db.session.scalar(select(Pulse))
        services.close_pulse(pulse)
        db.session.commit()
        pulse_id = pulse.id
    page = coach_browser.get(f"/pulses/{pulse_id}").text
    assert WHY_HIDDEN.split(":")[0] in page
    # Three peers gave 5: a figure of 5.0 would let the coach subtract the fourth.
    assert "5.0" not in page


def test_nothing_shows_and_nothing_is_stored_with_who(app, coach, coach_browser, mailbox, client):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    create(coach_browser, cycle_id, {"statements": [FIRST]})
    address = raters_of(app, cycle_id)[0]
    answer(client, pulse_link(mailbox, address), {FIRST: "3"}, changed="More calm.")
    with app.app_context():
        response = db.session.scalar(select(PulseResponse))
        columns = set(PulseResponse.__table__.columns.keys())
        assert columns == {"id", "pulse_id", "group", "changed"}
        assert len(response.id) == 32
        invite = db.session.scalar(select(PulseInvite).where(PulseInvite.email == address))
        assert invite.draft is None and invite.state == "submitted"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, services.NO_STATEMENTS),
        ({"statements": factories.ITEMS[:4]}, services.TOO_MANY),
        ({"statements": ["no-such-statement"]}, "is not a statement of this cycle"),
        (
            {"statements": [FIRST], "closes_on": (today() - timedelta(days=1)).isoformat()},
            services.PAST_DEADLINE,
        ),
        ({"statements": [FIRST], "closes_on": "next week"}, "YYYY-MM-DD"),
        ({"statements": [FIRST], "raters": "not an address, peer"}, "Line 1"),
    ],
)
def test_bad_input_on_the_page_is_a_400_at_its_field(app, coach, coach_browser, data, message):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    response = create(coach_browser, cycle_id, {"raters": "", **data})
    assert response.status_code == 400
    assert message.replace("'", "&#39;") in response.text or message in response.text
    assert 'class="errors"' in response.text
    assert pulses_count(app) == 0


def test_a_cycle_not_closed_or_another_coachs_cycle_gets_no_pulse(app, coach, coach_browser):
    with app.test_request_context():
        coach_row = db.session.get(Coach, coach)
        open_one = factories.cycle(factories.coachee(coach_row, email="o@example.com"))
        other = factories.closed_cycle(factories.coachee(factories.coach("x@example.com")))
        db.session.commit()
        open_id, other_id = open_one.id, other.id
    response = create(coach_browser, open_id, {"statements": [FIRST]})
    assert response.status_code == 400
    assert "this cycle is not closed" in response.text
    assert coach_browser.get(f"/cycles/{other_id}/pulses/new").status_code == 404
    assert pulses_count(app) == 0


def test_a_second_pulse_waits_until_the_first_closes(app, coach, coach_browser):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    assert create(coach_browser, cycle_id, {"statements": [FIRST]}).status_code == 302
    again = create(coach_browser, cycle_id, {"statements": [SECOND]})
    assert again.status_code == 400 and "already has a pulse running" in again.text
    assert pulses_count(app) == 1


def test_the_rater_form_saves_asks_for_what_is_missing_and_declines(
    app, coach, coach_browser, mailbox, client
):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    create(coach_browser, cycle_id, {"statements": [FIRST, SECOND]})
    link = pulse_link(mailbox, raters_of(app, cycle_id)[0])

    saved = answer(client, link, {FIRST: "3"}, changed="Half done.", action="save")
    assert saved.status_code == 302
    form = client.get(link).text
    assert "Half done." in form and re.search(rf'name="item-{FIRST}" value="3" checked', form)

    missing = answer(client, link, {FIRST: "3"})
    assert missing.status_code == 400
    assert "Please choose an answer." in missing.text
    off_scale = answer(client, link, {FIRST: "9", SECOND: "2"})
    assert off_scale.status_code == 400

    declined = answer(client, link, {}, action="decline")
    assert declined.status_code == 302
    with app.app_context():
        invite = db.session.scalar(select(PulseInvite).order_by(PulseInvite.id))
        assert invite.state == "declined" and invite.draft is None
    back = answer(client, link, {}, action="undo_decline")
    assert back.status_code == 302
    assert answer(client, link, {FIRST: "4", SECOND: "na"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PulseScore)) == 2


def test_the_pulse_link_has_its_own_salt(app, coach, coach_browser, mailbox, client):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    create(coach_browser, cycle_id, {"statements": [FIRST]})
    with app.test_request_context():
        invite = db.session.scalar(select(PulseInvite))
        as_cycle_link = links.sign(links.RATER_INVITE, invite.link_key)
        right = links.sign(links.PULSE_INVITE, invite.link_key)
    assert client.get(f"/pulse/{as_cycle_link}/").status_code == 404
    assert client.get(f"/r/{right}/").status_code == 404
    assert client.get(f"/pulse/{right}/").status_code == 200


def test_reminders_on_demand_and_by_the_round_then_the_round_closes_it(
    app, coach, coach_browser, mailbox, client
):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    created = create(
        coach_browser,
        cycle_id,
        {"statements": [FIRST], "closes_on": (today() + timedelta(days=2)).isoformat()},
    )
    page_url = created.headers["Location"]
    page = coach_browser.get(page_url)
    too_soon = coach_browser.post(
        f"{page_url}/remind", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True
    )
    assert "Nobody was reminded" in too_soon.text
    with app.app_context():
        db.session.execute(update(PulseInvite).values(created_at=utcnow() - timedelta(days=3)))
        db.session.commit()
    with app.app_context():
        assert run_round()["pulses_reminded"] == 3
        assert run_round()["pulses_reminded"] == 0  # once per window
    reminded = [m for m in mailbox.messages() if str(m["Subject"]).startswith("Reminder: a quick")]
    assert len(reminded) == 3
    with app.app_context():
        db.session.execute(update(Pulse).values(closes_on=today() - timedelta(days=1)))
        db.session.commit()
        assert run_round()["pulses_closed"] == 1
        assert db.session.scalar(select(Pulse)).closed_at is not None


def test_the_command_line(app, coach, runner, tmp_path):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    past = (today() - timedelta(days=1)).isoformat()
    for args in (
        ["--statements", ""],
        ["--statements", ",".join(factories.ITEMS[:4])],
        ["--statements", "nope"],
        ["--statements", FIRST, "--closes", past],
        ["--statements", FIRST, "--closes", "soon"],
        ["--statements", FIRST, "--coach", "someone.else@example.com"],
    ):
        result = runner.invoke(args=["pulse", "create", str(cycle_id), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    assert runner.invoke(args=["pulse", "create", "9999", "--statements", FIRST]).exit_code == 2
    assert pulses_count(app) == 0

    added = tmp_path / "more.txt"
    added.write_text("new.peer@example.org, peer, Nia\n")
    result = runner.invoke(
        args=[
            "pulse",
            "create",
            str(cycle_id),
            "--statements",
            f"{FIRST},{SECOND}",
            "--coach",
            "coach@example.com",
            "--add",
            str(added),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "asks 4 raters" in result.output
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert kinds.count(services.INVITE_MAIL) == 4
        new = db.session.scalar(
            select(PulseInvite).where(PulseInvite.email == "new.peer@example.org")
        )
        assert new.from_cycle is False and new.group == "peer"
        pulse_id = db.session.scalar(select(Pulse.id))
    assert runner.invoke(args=["pulse", "close", str(pulse_id)]).exit_code == 0
    assert runner.invoke(args=["pulse", "close", str(pulse_id)]).exit_code == 2


def test_retention_erases_pulse_raters_and_erasure_removes_pulses(
    app, coach, coach_browser, mailbox
):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    create(coach_browser, cycle_id, {"statements": [FIRST]})
    with app.app_context():
        pulse = db.session.scalar(select(Pulse))
        services.close_pulse(pulse, utcnow() - timedelta(days=40))
        db.session.commit()
        assert apply_retention(30) >= 3
        db.session.commit()
        emails = db.session.scalars(select(PulseInvite.email)).all()
        assert emails and all("@" not in e for e in emails)
        assert not db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == services.INVITE_MAIL)
        ).all()
        coachee = db.session.scalar(select(Coachee).join(Cycle).where(Cycle.id == cycle_id))
        # The coachee's journey goes with them too.
        soon = today() + timedelta(days=5)
        journey.open_homework(coachee, "keep_lose", note="Think.", due_on=soon)
        journey.add_session_note(coachee, held_on=today(), discussed="The sponsor.", agreed="")
        journey.add_step(coachee, step="Call Dana", due_on=soon)
        review.add_criterion(coachee, criterion="A calmer week.", review_on=soon)
        gaps.add_gap(coachee, gap="Budgeting", plan="A course.", goal_id=None)
        decision.add_option(coachee, name="Team lead", learnt="Long hours.")
        gaps.add_aspect(coachee, kind="keep", text="The workshops.")
        db.session.commit()
        delete_coachee(coachee)
        db.session.commit()
        for model in (
            Pulse,
            PulseInvite,
            PulseResponse,
            Homework,
            SessionNote,
            FirstStep,
            SuccessCriterion,
            SkillGap,
            Option,
            Aspect,
        ):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def test_another_coach_cannot_see_the_pulse(app, coach, coach_browser):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    created = create(coach_browser, cycle_id, {"statements": [FIRST]})
    page_url = created.headers["Location"]
    with app.app_context():
        create_coach(email="other@example.com", name="Otto Other", password=TEST_PASSWORD)
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com")
    assert other.get(page_url).status_code == 404


def test_posts_without_the_csrf_token_are_refused(app, coach, coach_browser, mailbox, client):
    cycle_id = make_baseline(app, coach, {"peer": 3})
    bare = coach_browser.post(f"/cycles/{cycle_id}/pulses/new", data={"statements": [FIRST]})
    assert bare.status_code == 400
    assert pulses_count(app) == 0
    create(coach_browser, cycle_id, {"statements": [FIRST]})
    link = pulse_link(mailbox, raters_of(app, cycle_id)[0])
    refused = client.post(link, data={f"item-{FIRST}": "4", "action": "submit"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PulseResponse)) == 0


def test_a_second_pulse_is_set_beside_the_first_as_beside_the_cycle(app, coach, coach_browser):
    cycle_id = make_baseline(app, coach, {"peer": 3}, score=2)
    new_peers = "\n".join(f"new{n}@example.org, peer" for n in range(3))
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        first = services.create_pulse(cycle, [FIRST], added=new_peers)
        for invite in db.session.scalars(select(PulseInvite)).all():
            services.submit(invite, services.PulseAnswers({FIRST: 4}))
        services.close_pulse(first)
        db.session.commit()
        first_id = first.id
        # The second pulse: the same six peers and one more. Beside the cycle, four
        # raters joined (a set of k); beside the first pulse, one did.
        second = services.create_pulse(cycle, [FIRST], added=new_peers + "\nlate@example.org, peer")
        for invite in db.session.scalars(
            select(PulseInvite).where(PulseInvite.pulse_id == second.id)
        ).all():
            services.submit(invite, services.PulseAnswers({FIRST: 4}))
        services.close_pulse(second)
        db.session.commit()
        second_id = second.id
    shown_first = coach_browser.get(f"/pulses/{first_id}").text
    assert re.search(r"4\.0 <span[^>]*>\(6\)", shown_first)
    shown_second = coach_browser.get(f"/pulses/{second_id}").text
    assert "(7)" not in shown_second
    assert WHY_HIDDEN.split(":")[0] in shown_second


def test_two_pulses_asked_for_at_once_make_one(app, coach, monkeypatch):
    """Two requests that create a pulse on one cycle at the same moment: the cycle's
    lock makes the second wait for the first, find its pulse running and refuse. The
    two meet at a barrier right after the lock, so without the lock both would find
    no pulse running (the barrier times out while one of them waits for the lock)."""
    cycle_id = make_baseline(app, coach, {"peer": 3})
    barrier = threading.Barrier(2)
    look_up = services.pulses_of_cycle

    def after_a_meeting(cycle):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return look_up(cycle)

    monkeypatch.setattr(services, "pulses_of_cycle", after_a_meeting)

    def create_one(statement: str) -> str:
        with app.test_request_context():
            try:
                services.create_pulse(db.session.get(Cycle, cycle_id), [statement])
                db.session.commit()
                return "created"
            except services.PulseError as exc:
                db.session.rollback()
                return str(exc)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(create_one, [FIRST, SECOND]))
    assert outcomes[1] == "created", outcomes
    assert "already has a pulse running" in outcomes[0], outcomes
    assert pulses_count(app) == 1
