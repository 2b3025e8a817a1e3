"""The app sending real mail to a real SMTP server (aiosmtpd on 127.0.0.1): what arrives,
what its links do when followed, and what happens when the server refuses, stalls or is
not there. Mail leaves after the response closes, as in production."""

import re
import time

from flask import got_request_exception
from sqlalchemy import select
from support import csrf_token

from feedback.extensions import db

LINK = re.compile(r"https?://[^\s<>\"']+")
RATER = "rita@example.org"


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _link(message) -> str:
    match = LINK.search(_text(message))
    assert match, _text(message)
    return match.group(0)


def _to(server, address: str) -> list:
    return [m for m in server.messages if address in m.envelope_to]


def _errors(app) -> list:
    """Exceptions that reached Flask's error handling (a 500) during the test."""
    seen: list = []
    got_request_exception.connect(lambda _sender, exception, **_: seen.append(exception), app)
    return seen


def test_invite_arrives_well_formed_and_its_link_works(smtp_server, smtp_app, loop_for):
    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()

    (portal_mail,) = _to(smtp_server, "casey@example.com")
    assert portal_mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in portal_mail.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert portal_mail["Message-ID"].startswith("<outbox-")
    assert portal_mail["Date"]
    assert portal_mail["From"] == "Mirror 360 <no-reply@mirror360.local>"
    assert portal_mail["Reply-To"].addresses[0].addr_spec == "coach@example.com"
    assert portal_mail["Reply-To"].addresses[0].display_name == "Clara Coach"
    portal = _link(portal_mail)
    assert portal.startswith("http://localhost/p/")
    assert loop.visitor.get(portal).status_code == 200

    response = loop.nominate(portal, f"{RATER}, peer, Rita Rater")
    assert response.status_code == 302, response.text

    (invite,) = _to(smtp_server, RATER)
    assert invite["To"] == f"Rita Rater <{RATER}>"
    assert invite["Subject"] == "Casey Doe asks for your feedback"
    # Replies reach the coach; nothing in the headers leads back to the coachee.
    assert [a.addr_spec for a in invite["Reply-To"].addresses] == ["coach@example.com"]
    assert invite["Reply-To"].addresses[0].display_name == "Clara Coach"
    headers = "\n".join(f"{name}: {value}" for name, value in invite.items())
    assert "casey@example.com" not in headers
    html = invite.get_body(preferencelist=("html",)).get_content()
    link = _link(invite)
    assert link in html
    assert loop.invites(cycle_id) == {RATER: "sent"}

    form = loop.visitor.get(link)
    assert form.status_code == 200
    assert "Casey" in form.text
    response = loop.visitor.submit(link, {"action": "decline"})
    assert response.status_code == 302
    assert loop.invites(cycle_id) == {RATER: "declined"}


def test_links_come_from_base_url_never_from_the_host_header(smtp_server, smtp_app, loop_for):
    # An app that answers to any host name, so a forged Host header does get through.
    app = smtp_app(smtp_server.port, BASE_URL="http://feedback.example.com", TRUSTED_HOSTS="*")
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    portal = loop.portal(cycle_id).replace("http://feedback.example.com", "http://localhost")

    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = loop.visitor.get(f"{portal}raters", headers=forged)
    assert page.status_code == 200
    response = loop.visitor.post(
        f"{portal}raters",
        data={"csrf_token": csrf_token(page.text), "raters": f"{RATER}, peer"},
        headers=forged,
    )
    assert response.status_code == 302, response.text
    (invite,) = _to(smtp_server, RATER)
    body = _text(invite) + invite.get_body(preferencelist=("html",)).get_content()
    links = LINK.findall(body)
    assert links
    assert all(link.startswith("http://feedback.example.com/r/") for link in links), links
    assert "evil.example" not in invite.raw.decode()


def test_crlf_in_a_coachee_name_never_reaches_a_header(smtp_server, smtp_app, loop_for):
    from feedback.coaching.models import Coachee

    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    with app.app_context():
        coachee = db.session.scalar(select(Coachee))
        coachee.name = "Casey\r\nBcc: victim@example.net\r\nX-Evil: 1"
        db.session.commit()

    assert loop.nominate(loop.portal(cycle_id), f"{RATER}, peer").status_code == 302
    (invite,) = _to(smtp_server, RATER)
    assert invite.envelope_to == (RATER,)
    assert "X-Evil" not in invite
    assert "Bcc" not in invite
    assert invite["Subject"] == "Casey Bcc: victim@example.net X-Evil: 1 asks for your feedback"
    assert not _to(smtp_server, "victim@example.net")


def test_550_marks_the_invite_bounced_for_coachee_and_coach(smtp_server, smtp_app, loop_for):
    app = smtp_app(smtp_server.port)
    errors = _errors(app)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    portal = loop.portal(cycle_id)
    smtp_server.reject_recipient("gone@example.org", "550 5.1.1 No such user here")

    response = loop.nominate(portal, f"gone@example.org, peer, Gone Person\n{RATER}, peer")
    assert response.status_code == 302

    assert loop.invites(cycle_id) == {"gone@example.org": "bounced", RATER: "sent"}
    failed = [m for m in loop.outbox() if m["to"] == "gone@example.org"]
    assert [(m["state"], m["attempts"]) for m in failed] == [("failed", 1)]
    assert "550 5.1.1 No such user here" in failed[0]["last_error"]
    assert not _to(smtp_server, "gone@example.org")
    assert len(_to(smtp_server, RATER)) == 1

    raters_page = loop.visitor.get(f"{portal}raters").text
    row = re.search(r"<tr><td[^>]*>Gone Person[^\n]*</tr>", raters_page)
    assert row and "email bounced" in row.group(0)
    assert "email bounced" not in re.search(r"<tr><td[^>]*>rita[^\n]*</tr>", raters_page).group(0)

    dashboard = loop.coach.get(f"/cycles/{cycle_id}").text
    assert "Bounced" in dashboard
    peers = re.search(r"<tr><td>Peers</td>(.*?)</tr>", dashboard, re.S)
    assert peers, "no Peers row on the dashboard"
    assert re.findall(r">(\d*)</td>", peers.group(1)) == ["2", "0", "1"]
    assert errors == []


def test_a_bounced_portal_link_is_shown_to_the_coach_who_corrects_the_address(
    smtp_server, smtp_app, loop_for
):
    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    smtp_server.reject_recipient("casey@exmaple.com", "550 5.1.1 No such user here")
    cycle_id = loop.start_cycle(email="casey@exmaple.com")  # a typo in the domain
    dashboard = loop.coach.get(f"/cycles/{cycle_id}").text
    assert "could not be delivered to casey@exmaple.com" in dashboard
    assert "550 5.1.1 No such user here" in dashboard
    old_portal = loop.portal(cycle_id)

    coachee_page = re.search(r'href="(/coachees/\d+/edit)"', dashboard).group(1)
    bad = loop.coach.submit(coachee_page, {"name": "Casey Doe", "email": "not an address"})
    assert bad.status_code == 400
    done = loop.coach.submit(coachee_page, {"name": "Casey Doe", "email": "Casey@Example.com"})
    assert done.status_code == 302
    assert "on its way to casey@example.com" in loop.coach.get(done.headers["Location"]).text

    (mail,) = _to(smtp_server, "casey@example.com")
    new_portal = _link(mail)
    assert loop.visitor.get(new_portal).status_code == 200
    assert loop.visitor.get(old_portal).status_code == 404
    assert "could not be delivered" not in loop.coach.get(f"/cycles/{cycle_id}").text


def test_451_then_250_sends_exactly_once(smtp_server, smtp_app, loop_for):
    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    smtp_server.reply_next("451 4.3.0 Try again later", "DATA")

    assert loop.nominate(loop.portal(cycle_id), f"{RATER}, peer").status_code == 302
    assert _to(smtp_server, RATER) == []
    (queued,) = [m for m in loop.outbox() if m["to"] == RATER]
    assert (queued["state"], queued["attempts"]) == ("queued", 1)
    assert "451" in queued["last_error"]
    assert loop.invites(cycle_id) == {RATER: "pending"}

    runner = app.test_cli_runner()
    assert "sent 0," in runner.invoke(args=["mail", "send"]).output  # not due yet
    loop.make_due()
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, to retry 0, failed 0" in result.output
    assert "sent 0, to retry 0, failed 0" in runner.invoke(args=["mail", "send"]).output

    assert len(_to(smtp_server, RATER)) == 1
    assert loop.invites(cycle_id) == {RATER: "sent"}
    (sent,) = [m for m in loop.outbox() if m["to"] == RATER]
    assert (sent["state"], sent["attempts"], sent["last_error"]) == ("sent", 2, None)


def test_silent_server_times_out_and_the_mail_waits_for_a_retry(
    silent_smtp_server, smtp_app, loop_for
):
    app = smtp_app(silent_smtp_server.port, SMTP_TIMEOUT=0.5)
    errors = _errors(app)
    loop = loop_for(app)
    started = time.monotonic()
    cycle_id = loop.start_cycle()
    response = loop.nominate(loop.portal(cycle_id), f"{RATER}, peer")
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 15, f"a silent server held the requests for {elapsed:.1f} s"
    assert silent_smtp_server.connections >= 1
    assert loop.invites(cycle_id) == {RATER: "pending"}
    rows = loop.outbox()
    assert [(m["kind"], m["state"], m["attempts"]) for m in rows] == [
        ("portal", "queued", 1),
        ("invite", "queued", 1),
    ]
    assert all("timeout" in m["last_error"].lower() for m in rows), rows
    assert errors == []


def test_smtp_down_keeps_the_nomination_pending_and_no_page_fails(
    refusing_port, smtp_app, loop_for, smtp_server
):
    app = smtp_app(refusing_port)
    errors = _errors(app)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    portal = loop.portal(cycle_id)

    assert loop.visitor.get(portal).status_code == 200
    response = loop.nominate(portal, f"{RATER}, peer, Rita")
    assert response.status_code == 302
    assert loop.visitor.get(response.headers["Location"]).status_code == 200
    assert loop.coach.get(f"/cycles/{cycle_id}").status_code == 200
    assert loop.invites(cycle_id) == {RATER: "pending"}
    rows = loop.outbox()
    assert [(m["kind"], m["state"], m["attempts"]) for m in rows] == [
        ("portal", "queued", 1),
        ("invite", "queued", 1),
    ]
    assert all("connect to 127.0.0.1" in m["last_error"] for m in rows)
    assert errors == []

    # The server comes back: the next round delivers both, once each.
    app.config["SMTP_PORT"] = smtp_server.port
    loop.make_due()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "sent 2, to retry 0, failed 0" in result.output
    assert len(_to(smtp_server, RATER)) == 1
    assert len(_to(smtp_server, "casey@example.com")) == 1
    assert loop.invites(cycle_id) == {RATER: "sent"}


def test_a_bounced_reminder_does_not_take_the_link_away(smtp_server, smtp_app, loop_for):
    from datetime import timedelta

    from sqlalchemy import update

    from feedback.raters.models import Invite
    from feedback.timeutil import utcnow

    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    cycle_id = loop.start_cycle()
    portal = loop.portal(cycle_id)
    assert loop.nominate(portal, f"{RATER}, peer").status_code == 302
    (invite,) = _to(smtp_server, RATER)
    with app.app_context():
        db.session.execute(update(Invite).values(created_at=utcnow() - timedelta(days=2)))
        db.session.commit()
    smtp_server.reject_recipient(RATER, "552 5.2.2 Mailbox full for good")

    response = loop.visitor.submit(f"{portal}remind", {}, page=portal)
    assert response.status_code == 302
    reminders = [m for m in loop.outbox() if m["kind"] == "reminder"]
    assert [(m["state"], m["attempts"]) for m in reminders] == [("failed", 1)]
    assert loop.invites(cycle_id) == {RATER: "sent"}
    assert loop.visitor.get(_link(invite)).status_code == 200


def test_a_bounced_pulse_email_is_counted_for_the_coach(smtp_server, smtp_app, loop_for):
    """A pulse's invitation refused for good (550) marks its rater bounced, as a
    cycle's does; the others are sent, and the pulse's page counts the bounce."""
    import factories

    from feedback.accounts.models import Coach
    from feedback.pulses.models import PulseInvite
    from feedback.raters import services as raters

    app = smtp_app(smtp_server.port)
    loop = loop_for(app)
    with app.test_request_context():
        coach = db.session.scalar(select(Coach))
        cycle = factories.closed_cycle(factories.coachee(coach), {"peer": 3})
        db.session.commit()
        cycle_id = cycle.id
        peers = sorted(invite.email for invite in raters.invites_of(cycle))
    smtp_server.reject_recipient(peers[0], "550 5.1.1 No such user here")

    page = f"/cycles/{cycle_id}/pulses/new"
    response = loop.coach.submit(page, {"statements": [factories.ITEMS[0]]}, page=page)
    assert response.status_code == 302, response.text

    with app.app_context():
        states = dict(db.session.execute(select(PulseInvite.email, PulseInvite.state)).all())
    assert {email: str(state) for email, state in states.items()} == {
        peers[0]: "bounced",
        peers[1]: "sent",
        peers[2]: "sent",
    }
    pulse_page = loop.coach.get(response.headers["Location"]).text
    row = re.search(r"<tr><td>Peers</td>(.*?)</tr>", pulse_page, re.S)
    assert row, "no Peers row on the pulse's page"
    assert re.findall(r">(\d*)</td>", row.group(1)) == ["3", "0", "1"]
