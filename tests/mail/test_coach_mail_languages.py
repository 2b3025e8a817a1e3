"""The notes the service sends a coach (every group has enough answers, the cycle
closed, nominations wait, homework handed in, a look back is due) are in the coach's
language: subject, text and HTML, with no sentence of the English note left; a coach
without a language gets them in English (issue 18)."""

import re
from datetime import timedelta

import factories
import pytest
from sqlalchemy import update

from feedback.cycles import notes
from feedback.extensions import db
from feedback.journey import services as journey
from feedback.journey.models import SuccessCriterion
from feedback.journey.review import add_criterion, queue_due_reviews
from feedback.mail.sender import deliver_due
from feedback.raters.models import Invite
from feedback.timeutil import today
from feedback.vocabulary import InviteState

KINDS = ("groups_ready", "cycle_closed", "nominations_waiting", "homework", "review")
#: How each note's subject starts, so that the mailbox can be sorted by kind.
SUBJECTS = {
    "en": {
        "groups_ready": "Enough answers",
        "cycle_closed": "The 360 for",
        "nominations_waiting": "Casey Doe's nominations",
        "homework": "Casey Doe handed in",
        "review": "Time to look back",
    },
    "de": {
        "groups_ready": "Genug Antworten für das 360°-Feedback von Casey Doe",
        "cycle_closed": "Das 360°-Feedback für Casey Doe ist beendet",
        "nominations_waiting": "Die Benennungen von Casey Doe warten auf Ihre Freigabe",
        "homework": "Casey Doe hat abgegeben",
        "review": "Zeit für den Rückblick mit Casey Doe",
    },
    "fr": {
        "groups_ready": "Assez de réponses pour le 360 de Casey Doe",
        "cycle_closed": "Le 360 de Casey Doe est clos",
        "nominations_waiting": "Les désignations de Casey Doe attendent votre approbation",
        "homework": "Casey Doe a rendu",
        "review": "L'heure du bilan avec Casey Doe",
    },
}
#: One sentence of each note's body, as the language writes it.
SENTENCES = {
    "de": {
        "groups_ready": "hat jetzt genug Antworten, um einzeln gezeigt zu werden",
        "cycle_closed": "Feedbackgeber haben geantwortet.",
        "nominations_waiting": "2 Benennungen warten auf Ihre Freigabe",
        "homework": "hat die Aufgabe zu",
        "review": "auf ein Erfolgskriterium zurück",
    },
    "fr": {
        "groups_ready": "a maintenant assez de réponses pour être montré à part",
        "cycle_closed": "évaluateurs ont répondu.",
        "nominations_waiting": "2 désignations attendent votre approbation",
        "homework": "a rendu le travail de",
        "review": "revient sur un critère de réussite",
    },
}


def _queue_every_note(app, language: str | None, email: str) -> None:
    """A coach speaking ``language`` and everything that writes to them: a cycle whose
    groups all have enough answers and then closes by its deadline, another whose
    nominations wait, homework handed in and a success criterion due for review."""
    app.config["READY_NOTE_DELAY"] = 0
    with app.test_request_context():
        coach = factories.coach(email=email)
        coach.language = language
        casey = factories.coachee(coach)
        cycle = factories.cycle(casey)
        factories.answered(cycle, {"peer": cycle.min_group_size})
        assert notes.queue_ready_notes() == 1
        factories.answered(cycle, {"boss": 1})
        assert notes.note_cycle_closed(cycle, by_deadline=True)

        waiting = factories.cycle(factories.coachee(coach, email=f"second.{coach.id}@example.org"))
        invites = factories.invites(waiting, {"peer": 2})
        db.session.execute(
            update(Invite)
            .where(Invite.id.in_([i.id for i in invites]))
            .values(state=InviteState.AWAITING)
        )
        assert notes.queue_waiting_notes() == 1

        journey.open_homework(casey, "keep_lose", note="", due_on=today() + timedelta(days=7))
        journey.save_answers(
            casey, "keep_lose", {"keep": "The workshops."}, submit=True, cycle=cycle
        )
        add_criterion(casey, criterion="Mondays feel good", review_on=today() + timedelta(1))
        db.session.execute(
            update(SuccessCriterion)
            .where(SuccessCriterion.coachee_id == casey.id)
            .values(review_on=today())
        )
        assert queue_due_reviews() == 1
        db.session.commit()
        deliver_due()


def _by_kind(mailbox, email: str, language: str) -> dict[str, tuple[str, str, str]]:
    """The notes to ``email`` by kind: (subject, text, HTML)."""
    found = {}
    for message in mailbox.to(email):
        subject = " ".join(str(message["Subject"]).split())
        kind = next((k for k, s in SUBJECTS[language].items() if subject.startswith(s)), subject)
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        found[kind] = (subject, text, html)
    assert sorted(found) == sorted(KINDS)
    return found


def _sentences(body: str) -> list[str]:
    """The lines of a text body that say something (two words or more once names,
    links and the criterion the coachee wrote are taken out)."""
    kept = []
    for line in body.splitlines():
        rest = line
        for name in ("Casey Doe", "Casey", "Clara Coach", "Mondays feel good", "Mirror 360"):
            rest = rest.replace(name, " ")
        rest = re.sub(r"https?://\S+", " ", rest)
        if len(re.findall(r"[A-Za-z]{2,}", rest)) >= 2:
            kept.append(line.strip())
    return kept


@pytest.fixture
def english(app, mailbox):
    _queue_every_note(app, None, "en@example.com")
    return _by_kind(mailbox, "en@example.com", "en")


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_note_to_the_coach_is_in_the_coachs_language(app, mailbox, english, language):
    _queue_every_note(app, language, f"{language}@example.com")
    translated = _by_kind(mailbox, f"{language}@example.com", language)
    for kind in KINDS:
        subject, text, html = translated[kind]
        assert subject != english[kind][0]
        assert SENTENCES[language][kind] in text, kind
        assert SENTENCES[language][kind] in html, kind
        assert f'lang="{language}"' in html
        english_sentences = _sentences(english[kind][1])
        assert english_sentences, kind
        left = [s for s in english_sentences if s in text or s in html]
        assert left == [], (kind, left)
        for words in ("Hello", "Sent by Mirror 360", "Open the dashboard"):
            assert words not in text + html, (kind, words)


def test_a_german_deadline_is_written_the_german_way(app, mailbox):
    _queue_every_note(app, "de", "de@example.com")
    _subject, text, html = _by_kind(mailbox, "de@example.com", "de")["cycle_closed"]
    with app.app_context():
        closes_on = today() + timedelta(days=14)
    from babel.dates import format_date

    day = format_date(closes_on, "long", locale="de")
    assert f"Die Frist, der {day}, ist abgelaufen." in text
    assert day in html


def test_a_coach_without_a_language_keeps_english_notes(app, english):
    assert english["groups_ready"][0] == "Enough answers for Casey Doe's 360"
    assert english["cycle_closed"][0] == "The 360 for Casey Doe has closed"
    assert english["review"][0] == "Time to look back with Casey Doe"
    assert "Hello Clara Coach," in english["cycle_closed"][1]
    answered = app.config["MIN_GROUP_SIZE"] + 1
    assert f"{answered} raters answered." in english["cycle_closed"][1]
    assert "nominations wait for your approval" in english["nominations_waiting"][1]
    assert "has handed in the homework of" in english["homework"][1]
