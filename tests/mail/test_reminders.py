"""Reminders (automatic and "remind everyone who has not answered"), notes to the coach,
and the deadline: through the forms and the worker's round, with mail written to files."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from feedback.coaching.models import Cycle
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.mail.sender import deliver_due
from feedback.raters.models import Invite
from feedback.raters.reminders import send_due_reminders
from feedback.settings import parse as parse_settings
from feedback.timeutil import today, utcnow

RATERS = {
    "ann@example.org": "boss",
    "ben@example.org": "peer",
    "cid@example.org": "peer",
    "dee@example.org": "peer",
}


def _nominate(browser, open_cycle, raters=RATERS) -> None:
    lines = "\n".join(f"{email}, {group}" for email, group in raters.items())
    response = browser.submit(f"{open_cycle['portal']}raters", {"raters": lines})
    assert response.status_code == 302, response.text


def _answer(browser, mailbox, email: str, action: str = "submit") -> None:
    link = mailbox.link_for(email)
    page = browser.get(link)
    items = sorted(set(re.findall(r'name="(item-[\w.-]+)"', page.text)))
    assert items
    response = browser.submit(link, {"action": action, **dict.fromkeys(items, "4")})
    assert response.status_code == 302, response.text


def _set(app, cycle_id: int, *, closes_in: int | None = None, invited_ago: int | None = None):
    """Move the deadline to ``closes_in`` days from today and the invitations back."""
    with app.app_context():
        if closes_in is not None:
            db.session.execute(
                update(Cycle)
                .where(Cycle.id == cycle_id)
                .values(closes_on=today() + timedelta(days=closes_in))
            )
        if invited_ago is not None:
            db.session.execute(
                update(Invite).values(created_at=utcnow() - timedelta(days=invited_ago))
            )
        db.session.commit()


def _kinds(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(m.kind, m.to_address) for m in rows]


def reminder_days(value) -> tuple[int, ...]:
    """FEEDBACK_REMINDER_DAYS as the settings read it."""
    return parse_settings({"REMINDER_DAYS": value}).reminder_days


def _reminded(app) -> list[str]:
    return sorted(to for kind, to in _kinds(app) if kind == "reminder")


@pytest.mark.parametrize(
    ("value", "days"),
    [("7,2", (7, 2)), (" 2, 7 ,7", (7, 2)), (7, (7,)), ([2, 7], (7, 2)), ("", ()), ("0", (0,))],
)
def test_reminder_days_setting(value, days):
    assert reminder_days(value) == days


@pytest.mark.parametrize("value", ["seven", "-1", "7;2", [7, "x"], True, 2.5, "400"])
def test_bad_reminder_days_are_refused_by_name(value):
    with pytest.raises(ValueError, match="REMINDER_DAYS"):
        reminder_days(value)


def test_bad_reminder_days_stop_the_app_at_start_up(make_app):
    with pytest.raises(ValueError, match="FEEDBACK_REMINDER_DAYS"):
        make_app(REMINDER_DAYS="weekly")


def test_automatic_reminders_go_once_per_reminder_day_to_those_who_have_not_answered(
    app, open_cycle, browser, mailbox
):
    _nominate(browser, open_cycle)
    _answer(browser, mailbox, "ann@example.org")  # submitted
    _answer(browser, mailbox, "ben@example.org", action="decline")
    _answer(browser, mailbox, "cid@example.org", action="save")  # opened, a draft
    # dee@example.org never opened the link: sent
    cycle_id = open_cycle["cycle_id"]
    _set(app, cycle_id, closes_in=9, invited_ago=3)

    with app.app_context():
        assert send_due_reminders() == 0  # 9 days before: no window has started
        _set(app, cycle_id, closes_in=7)
        assert send_due_reminders() == 2
        assert send_due_reminders() == 0  # the worker running twice changes nothing
        db.session.commit()
        deliver_due()
    assert _reminded(app) == ["cid@example.org", "dee@example.org"]
    reminder = mailbox.to("dee@example.org")[-1]
    assert reminder["Subject"] == "Reminder: Casey Doe asks for your feedback"
    assert [a.addr_spec for a in reminder["Reply-To"].addresses] == ["coach@example.com"]
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    assert "(7 days from now)" in text
    assert "ann@example.org" not in text and "cid@example.org" not in text
    assert "Your saved answers are waiting" in (
        mailbox.to("cid@example.org")[-1].get_body(preferencelist=("plain",)).get_content()
    )
    # The reminder link is the invitation's link, and it works.
    assert mailbox.link_for("dee@example.org") == re.search(r"http\S+", text).group(0)
    assert browser.get(mailbox.link_for("dee@example.org")).status_code == 200

    with app.app_context():
        later = utcnow() + timedelta(days=1)
        assert send_due_reminders(now=later) == 0  # still the 7-day window
        two_days_before = utcnow() + timedelta(days=5)
        assert send_due_reminders(now=two_days_before) == 2
        assert send_due_reminders(now=two_days_before + timedelta(hours=3)) == 0
        db.session.commit()
    assert _reminded(app) == ["cid@example.org"] * 2 + ["dee@example.org"] * 2


def test_a_worker_that_was_down_reminds_once_not_for_every_missed_day(app, open_cycle, browser):
    _nominate(browser, open_cycle, {"ann@example.org": "boss"})
    _set(app, open_cycle["cycle_id"], closes_in=1, invited_ago=20)  # both windows passed
    with app.app_context():
        assert send_due_reminders() == 1
        assert send_due_reminders() == 0
        db.session.commit()


def test_fresh_invitations_and_no_reminder_days_mean_no_reminders(app, open_cycle, browser):
    _nominate(browser, open_cycle)
    _set(app, open_cycle["cycle_id"], closes_in=2)  # invited just now
    with app.app_context():
        assert send_due_reminders() == 0
        _set(app, open_cycle["cycle_id"], invited_ago=3)
        app.config["REMINDER_DAYS"] = ()  # typed, as feedback.settings leaves it
        assert send_due_reminders() == 0
        app.config["REMINDER_DAYS"] = (2,)
        assert send_due_reminders() == len(RATERS)


def test_two_workers_at_once_remind_each_rater_once(app, open_cycle, browser):
    _nominate(browser, open_cycle)
    _set(app, open_cycle["cycle_id"], closes_in=2, invited_ago=3)
    counts: list[int] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=20)
                counts.append(send_due_reminders())
                db.session.commit()
                db.session.remove()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert sum(counts) == len(RATERS)
    assert _reminded(app) == sorted(RATERS)


def _flash(page: str) -> str:
    match = re.search(r'<div class="flash [^"]*"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no message on the page"
    return match.group(1)


def test_remind_everyone_from_the_portal_and_the_dashboard_tells_a_count_only(
    app, open_cycle, browser, coach_browser, mailbox
):
    portal = open_cycle["portal"]
    cycle_id = open_cycle["cycle_id"]
    _nominate(browser, open_cycle)
    _answer(browser, mailbox, "ann@example.org")

    home = browser.get(portal).text
    assert "Remind everyone who has not answered" in home
    response = browser.submit(f"{portal}remind", {}, page=portal)
    assert response.status_code == 302
    message = _flash(browser.get(response.headers["Location"]).text)
    assert message.startswith("Nobody was reminded")  # they were invited a moment ago
    assert _reminded(app) == []

    _set(app, cycle_id, invited_ago=2)
    response = browser.submit(f"{portal}remind", {}, page=portal)
    page = browser.get(response.headers["Location"]).text
    assert _flash(page) == "3 reminders sent to raters who have not answered."
    for email in RATERS:
        assert email not in page
    assert _reminded(app) == ["ben@example.org", "cid@example.org", "dee@example.org"]
    assert len(mailbox.to("ben@example.org")) == 2  # the invitation, then the reminder

    # The coach's button the same day reminds nobody a second time.
    dashboard = f"/cycles/{cycle_id}"
    assert "Remind everyone who has not answered" in coach_browser.get(dashboard).text
    response = coach_browser.submit(f"/cycles/{cycle_id}/remind", {}, page=dashboard)
    assert response.status_code == 302
    assert _flash(coach_browser.get(dashboard).text).startswith("Nobody was reminded")
    assert len(_reminded(app)) == 3

    # A day later the coach's press reminds them again.
    with app.app_context():
        db.session.execute(update(Invite).values(last_reminded_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    coach_browser.submit(f"/cycles/{cycle_id}/remind", {}, page=dashboard)
    assert _flash(coach_browser.get(dashboard).text) == (
        "3 reminders sent to raters who have not answered."
    )
    assert len(_reminded(app)) == 6


def test_remind_without_a_csrf_token_or_on_a_closed_cycle_is_refused(
    app, open_cycle, browser, coach_browser
):
    portal = open_cycle["portal"]
    cycle_id = open_cycle["cycle_id"]
    _nominate(browser, open_cycle)
    assert browser.post(f"{portal}remind").status_code == 400
    assert coach_browser.post(f"/cycles/{cycle_id}/remind").status_code == 400

    _set(app, cycle_id, invited_ago=3)
    dashboard = f"/cycles/{cycle_id}"
    coach_browser.submit(f"/cycles/{cycle_id}/close", {}, page=dashboard)
    assert "Remind everyone" not in coach_browser.get(dashboard).text
    assert "Remind everyone" not in browser.get(portal).text
    response = coach_browser.submit(
        f"/cycles/{cycle_id}/remind", {}, page=f"/coachees/{_coachee_id(app)}"
    )
    assert response.status_code == 302
    assert "No reminders sent: this cycle is closed" in coach_browser.get(dashboard).text
    assert _reminded(app) == []


def _coachee_id(app) -> int:
    from feedback.coaching.models import Coachee

    with app.app_context():
        return db.session.scalar(select(Coachee.id))


def test_deadline_closes_the_cycle_notes_the_coach_once_and_late_links_say_so(
    app, open_cycle, browser, mailbox, runner
):
    _nominate(browser, open_cycle, {"ann@example.org": "boss", "ben@example.org": "peer"})
    _answer(browser, mailbox, "ann@example.org")
    late_link = mailbox.link_for("ben@example.org")
    _set(app, open_cycle["cycle_id"], closes_in=-1)

    page = browser.get(late_link)
    assert page.status_code == 410
    assert "This feedback round has closed" in page.text
    assert "Thank you all the same" in page.text

    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "closed 1 cycles" in result.output
    notes = mailbox.to("coach@example.com")
    assert [m["Subject"] for m in notes] == ["The 360 for Casey Doe has closed"]
    text = notes[0].get_body(preferencelist=("plain",)).get_content()
    assert "1 rater answered" in text
    assert "ann@example.org" not in text
    assert f"http://localhost/cycles/{open_cycle['cycle_id']}" in text

    runner.invoke(args=["mail", "send"])
    assert len(mailbox.to("coach@example.com")) == 1
    submitted = browser.get(mailbox.link_for("ann@example.org"))
    assert "Your answers arrived" in submitted.text


def test_closing_by_hand_sends_no_note_but_the_command_line_does(
    app, open_cycle, coach_browser, runner, mailbox
):
    cycle_id = open_cycle["cycle_id"]
    coach_browser.submit(f"/cycles/{cycle_id}/close", {}, page=f"/cycles/{cycle_id}")
    runner.invoke(args=["mail", "send"])
    assert mailbox.to("coach@example.com") == []

    other = runner.invoke(
        args=[
            "cycle",
            "create",
            "--coach",
            "coach@example.com",
            "--coachee-name",
            "Kim Park",
            "--coachee-email",
            "kim@example.com",
            "--json",
        ]
    )
    new_id = int(re.search(r'"cycle_id": (\d+)', other.output).group(1))
    assert runner.invoke(args=["cycle", "close", str(new_id), "--below-minimum"]).exit_code == 0
    runner.invoke(args=["mail", "send"])
    (note,) = mailbox.to("coach@example.com")
    assert note["Subject"] == "The 360 for Kim Park has closed"
    assert "deadline" not in note.get_body(preferencelist=("plain",)).get_content()


def test_coach_is_told_once_when_every_group_with_raters_has_k_answers(
    app, open_cycle, browser, mailbox
):
    app.config["READY_NOTE_DELAY"] = 0
    _nominate(browser, open_cycle)  # a boss (shown alone) and three peers; k = 3
    for email in ("ann@example.org", "ben@example.org", "cid@example.org"):
        _answer(browser, mailbox, email)
        with app.app_context():
            assert run_round()["noted"] == 0
        assert mailbox.to("coach@example.com") == []
    _answer(browser, mailbox, "dee@example.org")  # the third peer
    with app.app_context():
        assert run_round()["noted"] == 1
        assert run_round()["noted"] == 0
    (note,) = mailbox.to("coach@example.com")
    assert note["Subject"] == "Enough answers for Casey Doe's 360"
    text = note.get_body(preferencelist=("plain",)).get_content()
    for email in RATERS:
        assert email not in text
    assert "Reply-To" not in note

    # More raters and answers later: still the one note.
    _nominate(browser, open_cycle, {"eve@example.org": "partner"})
    _answer(browser, mailbox, "eve@example.org")
    with app.app_context():
        run_round()
    assert len(mailbox.to("coach@example.com")) == 1


def test_the_groups_ready_note_waits_a_while(app, open_cycle, browser, mailbox):
    _nominate(browser, open_cycle, {"ann@example.org": "boss"})
    _answer(browser, mailbox, "ann@example.org")
    with app.app_context():
        assert run_round()["noted"] == 1
        (row,) = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "groups_ready")
        ).all()
        assert row.next_attempt_at >= utcnow() + timedelta(minutes=59)
        assert str(row.state) == "queued"
    assert mailbox.to("coach@example.com") == []


def test_a_waiting_groups_ready_note_is_withdrawn_when_the_cycle_closes(
    app, open_cycle, coach_browser, browser, mailbox
):
    _nominate(browser, open_cycle, {"ann@example.org": "boss"})
    _answer(browser, mailbox, "ann@example.org")
    with app.app_context():
        assert run_round()["noted"] == 1
    url = f"/cycles/{open_cycle['cycle_id']}"
    assert coach_browser.submit(f"{url}/close", {}, page=url).status_code == 302
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind)).all()
        assert "groups_ready" not in kinds and "invite" in kinds  # other mail is kept
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        run_round()
    assert mailbox.to("coach@example.com") == []


def test_renewed_portal_link_says_so_and_the_old_one_stops_working(
    app, open_cycle, coach_browser, browser, mailbox
):
    old = open_cycle["portal"]
    cycle_id = open_cycle["cycle_id"]
    response = coach_browser.submit(
        f"/cycles/{cycle_id}/portal-link", {}, page=f"/cycles/{cycle_id}"
    )
    assert response.status_code == 302
    newest = mailbox.to("casey@example.com")[-1]
    assert newest["Subject"] == "Your new link for your 360 feedback"
    assert "no longer works" in newest.get_body(preferencelist=("plain",)).get_content()
    new = mailbox.link_for("casey@example.com")
    assert new != old
    assert browser.get(new).status_code == 200
    assert browser.get(old).status_code == 404
