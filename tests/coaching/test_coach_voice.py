"""Emails in the coach's voice: the invitation and reminder texts the coach writes in
their settings, safely filled in, with the rater's link always added; and the email
that tells the coachee their report is ready."""

from datetime import timedelta

import pytest
from factories import answered, self_assessment
from sqlalchemy import select, update

from feedback.coaching import voice
from feedback.coaching.models import Cycle
from feedback.cycles import lifecycle
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.raters.models import Invite
from feedback.raters.reminders import remind_unanswered
from feedback.timeutil import today, utcnow

INVITE_PAGE = "/settings/emails/invite"


def _save(coach_browser, subject: str, body: str, page: str = INVITE_PAGE):
    return coach_browser.submit(page, {"subject": subject, "body": body, "action": "save"})


def _nominate(browser, open_cycle, line: str) -> None:
    response = browser.submit(open_cycle["portal"].rstrip("/") + "/raters", {"raters": line})
    assert response.status_code == 302


def _parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_the_settings_page_leads_to_both_texts_and_shows_the_default(coach_browser):
    settings = coach_browser.get("/settings").text
    assert 'href="/settings/emails/invite"' in settings
    assert 'href="/settings/emails/reminder"' in settings
    page = coach_browser.get(INVITE_PAGE)
    assert page.status_code == 200
    assert "This is the default text" in page.text
    assert "{coachee} asks for your feedback" in page.text
    assert coach_browser.get("/settings/emails/digest").status_code == 404


def test_an_invitation_in_the_coachs_words_reaches_the_rater_with_the_link(
    coach_browser, open_cycle, browser, mailbox, app
):
    response = _save(
        coach_browser,
        "A favour for {coachee}, please",
        "Dear colleague,\n\n{coachee} and I ({coach}) work together.\n"
        "Please answer by {deadline}. <b>Thanks</b> & {{cheers}}",
    )
    assert response.status_code == 302
    assert "This is your own text" in coach_browser.get(INVITE_PAGE).text

    _nominate(browser, open_cycle, "rita@example.com, peer, Rita")
    (message,) = mailbox.to("rita@example.com")
    assert message["Subject"] == "A favour for Casey Doe, please"
    text, html = _parts(message)
    deadline = voice.deadline_words(today() + timedelta(days=14))
    assert "Casey Doe and I (Clara Coach) work together." in text
    assert f"Please answer by {deadline}. <b>Thanks</b> & {{cheers}}" in text
    # The HTML part escapes what the coach wrote; it never becomes markup.
    assert "&lt;b&gt;Thanks&lt;/b&gt; &amp; {cheers}" in html
    assert "<b>Thanks</b>" not in html
    assert "<p>Dear colleague,</p>" in html
    # The service's parts stay: the link, what anonymity means, how to decline.
    link = mailbox.link_for("rita@example.com")
    assert "/r/" in link
    assert link in text and link in html
    assert "Your answers are anonymous" in text
    assert "rather not answer" in text
    # The link works.
    assert "Casey Doe asks for your feedback" in browser.get(link).text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hello {{ coachee }}", None),  # doubled braces are text: shown literally
        ("Hello {% if 1 %}x{% endif %}", "“{% if 1 %}” is not a placeholder"),
        ("Hello {coachee.__class__}", "“{coachee.__class__}” is not a placeholder"),
        ("Hello {name}", "“{name}” is not a placeholder"),
        ("Hello {coachee!r}", "is not a placeholder"),
        ("Hello {0}", "“{0}” is not a placeholder"),
        ("Hello {link}", "link is added below your text for you"),
        ("Hello } there", "single “}” is not allowed"),
    ],
)
def test_template_language_never_reaches_the_coachs_text(
    coach_browser, open_cycle, browser, mailbox, body, message
):
    _save(coach_browser, "Before", "The text saved before, {coachee}.")
    response = _save(coach_browser, "Please answer", body)
    if message is None:
        assert response.status_code == 302
        _nominate(browser, open_cycle, "rita@example.com, peer")
        text, html = _parts(mailbox.to("rita@example.com")[0])
        assert "Hello { coachee }" in text
        assert "Hello { coachee }" in html
        return
    assert response.status_code == 400
    assert message in response.text
    assert 'class="errors"' in response.text
    # Nothing saved before is lost: the invitation still goes in the saved words.
    _nominate(browser, open_cycle, "rita@example.com, peer")
    (sent,) = mailbox.to("rita@example.com")
    assert sent["Subject"] == "Before"
    assert "The text saved before, Casey Doe." in _parts(sent)[0]


def test_a_bad_subject_is_refused_at_its_field(coach_browser):
    response = _save(coach_browser, "Hi {coachee.name}", "Fine.")
    assert response.status_code == 400
    assert "“{coachee.name}” is not a placeholder" in response.text
    response = _save(coach_browser, "x" * 151, "Fine.")
    assert response.status_code == 400
    assert "At most 150 characters" in response.text
    response = _save(coach_browser, "", "Fine.")
    assert response.status_code == 400
    assert "Please write a subject" in response.text
    assert "This is the default text" in coach_browser.get(INVITE_PAGE).text


def test_a_long_subject_with_long_names_still_goes(coach_browser, open_cycle, browser, app):
    long_name = "Casey " + "Longname" * 14  # 118 characters, within the 120 allowed
    with app.app_context():
        db.session.get(Cycle, open_cycle["cycle_id"]).coachee.name = long_name
        db.session.commit()
    subject = "{coachee} / {coachee} / {coach} / {deadline} " + "x" * 90
    assert _save(coach_browser, subject, "Text.").status_code == 302
    _nominate(browser, open_cycle, "rita@example.com, peer")
    with app.app_context():
        queued = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invite"))
        assert len(queued.subject) == 300
        assert queued.subject.startswith(f"{long_name} / {long_name}")


def test_a_coachee_name_with_braces_is_not_read_as_a_placeholder(app):
    values = voice.values_for(coachee_name="{coach} {{x}}", closes_on=today(), coach_name="C")
    assert voice.fill("{coachee} by {coach}", values) == "{coach} {{x}} by C"


def test_the_preview_shows_the_email_with_sample_values_and_saves_nothing(coach_browser):
    response = coach_browser.submit(
        INVITE_PAGE,
        {"subject": "For {coachee}", "body": "From {coach}: <i>hi</i>", "action": "preview"},
    )
    assert response.status_code == 200
    assert "Subject:</strong> For Alex Morgan" in response.text
    assert "From Clara Coach: &lt;i&gt;hi&lt;/i&gt;" in response.text
    assert "each rater&#39;s own link" in response.text  # the link is always there
    assert "Your answers are anonymous" in response.text
    assert "This is the default text" in coach_browser.get(INVITE_PAGE).text


def test_reset_goes_back_to_the_default(coach_browser, open_cycle, browser, mailbox):
    _save(coach_browser, "Mine", "My own words.")
    page = coach_browser.get(INVITE_PAGE)
    assert "Go back to the default text" in page.text
    response = coach_browser.submit(f"{INVITE_PAGE}/reset", {}, page=INVITE_PAGE)
    assert response.status_code == 302
    assert "This is the default text" in coach_browser.get(INVITE_PAGE).text
    _nominate(browser, open_cycle, "rita@example.com, peer")
    (message,) = mailbox.to("rita@example.com")
    assert message["Subject"] == "Casey Doe asks for your feedback"
    assert "My own words." not in _parts(message)[0]
    # Without its CSRF token the reset is refused.
    assert coach_browser.post(f"{INVITE_PAGE}/reset").status_code == 400


def test_a_reminder_in_the_coachs_words(coach_browser, open_cycle, browser, mailbox, app):
    response = _save(
        coach_browser,
        "Still time for {coachee}",
        "Only until {deadline}, says {coach}.",
        page="/settings/emails/reminder",
    )
    assert response.status_code == 302
    _nominate(browser, open_cycle, "rita@example.com, peer")
    link = mailbox.link_for("rita@example.com")
    with app.test_request_context():
        db.session.execute(update(Invite).values(created_at=utcnow() - timedelta(days=3)))
        assert remind_unanswered(db.session.get(Cycle, open_cycle["cycle_id"])) == 1
        db.session.commit()
    with app.app_context():
        run_round()
    reminder = mailbox.to("rita@example.com")[-1]
    assert reminder["Subject"] == "Still time for Casey Doe"
    text, html = _parts(reminder)
    deadline = voice.deadline_words(today() + timedelta(days=14))
    assert f"Only until {deadline}, says Clara Coach." in text
    # The reminder signs the rater's link afresh: the same rater (the token's
    # payload), perhaps another second (its timestamp), and it opens the form.
    again = mailbox.link_for("rita@example.com")
    assert again.split(".")[0] == link.split(".")[0]
    assert again in text and again in html
    assert "Casey Doe asks for your feedback" in browser.get(again).text


def test_releasing_emails_the_coachee_their_portal_link(
    coach_browser, open_cycle, browser, mailbox, app
):
    with app.test_request_context():
        cycle = db.session.get(Cycle, open_cycle["cycle_id"])
        self_assessment(cycle)
        answered(cycle, {"boss": 1, "peer": 3})
        lifecycle.close_cycle(cycle)
        db.session.commit()
    page = f"/cycles/{open_cycle['cycle_id']}"
    before = len(mailbox.to("casey@example.com"))
    response = coach_browser.submit(f"{page}/release", {}, page=f"{page}/release")
    assert response.status_code == 302
    mail = mailbox.to("casey@example.com")
    assert len(mail) == before + 1
    assert mail[-1]["Subject"] == "Your 360 feedback report is ready"
    link = mailbox.link_for("casey@example.com")
    assert "/p/" in link
    text, html = _parts(mail[-1])
    assert link in text and link in html
    assert "Clara Coach has released your 360 feedback report" in text
    page = browser.get(link)
    assert page.status_code == 200
    assert "Your 360 feedback, Casey" in page.text
    with app.app_context():
        assert db.session.scalar(select(Cycle.released_at)) is not None
