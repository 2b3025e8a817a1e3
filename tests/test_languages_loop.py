"""Issue 18's whole loop in four languages: a German coachee, a French boss, Spanish
peers and English subordinates each read their pages and emails in their own language,
and the coach's dashboard, in English, pools all their answers by statement."""

from datetime import timedelta

from sqlalchemy import select
from support import NO_MINIMUMS

from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.ratings.results import cycle_report
from feedback.timeutil import today

ITEMS = [item.key for item in default_questionnaire().items]
#: Who is asked, in which group and language, and the score each gives every statement.
RATERS = [
    ("bea@example.org", "boss", "Béa", "fr", 5),
    *[(f"pablo{n}@example.org", "peer", f"Pablo {n}", "es", 4) for n in range(3)],
    *[(f"sam{n}@example.org", "subordinate", f"Sam {n}", "en", 2) for n in range(3)],
]
#: A sentence of each language's invitation and of its rater form.
INVITATION_SAYS = {
    "fr": "Vos réponses sont anonymes",
    "es": "Sus respuestas son anónimas",
    "en": "Your answers are anonymous",
}


def _start(coach_browser, mailbox) -> tuple[int, str]:
    response = coach_browser.submit(
        "/coachees", {"name": "Jonas Weber", "email": "jonas@example.com"}, page="/"
    )
    assert response.status_code == 302
    new_cycle = response.headers["Location"]
    coachee_id = int(new_cycle.split("/coachees/")[1].split("/")[0])
    edit = f"/coachees/{coachee_id}/edit"
    details = {"name": "Jonas Weber", "email": "jonas@example.com", "language": "de"}
    assert coach_browser.submit(edit, details).status_code == 302
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        new_cycle, {"closes_on": closes_on, "boss_exempt": "y", **NO_MINIMUMS}
    )
    assert response.status_code == 302, response.text
    cycle_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return cycle_id, mailbox.link_for("jonas@example.com").rstrip("/")


def test_a_cycle_in_four_languages(app, coach_browser, browser, mailbox):
    cycle_id, portal = _start(coach_browser, mailbox)

    # The coachee: the portal link's email and the portal in German.
    (welcome,) = mailbox.to("jonas@example.com")
    text = welcome.get_body(preferencelist=("plain",)).get_content()
    assert "Guten Tag Jonas," in text
    home = browser.get(f"{portal}/")
    assert home.headers["Content-Language"] == "de"
    assert '<html lang="de">' in home.text

    # The coachee nominates each rater in their language (the pasted list's 4th field).
    pasted = "\n".join(
        f"{email}, {group}, {name}, {code}" for email, group, name, code, _s in RATERS
    )
    response = browser.submit(f"{portal}/raters", {"raters": pasted})
    assert response.status_code == 302, response.text
    assert browser.get(f"{portal}/raters").headers["Content-Language"] == "de"

    for email, _group, _name, code, score in RATERS:
        (invitation,) = mailbox.to(email)
        text = invitation.get_body(preferencelist=("plain",)).get_content()
        assert INVITATION_SAYS[code] in text, (email, text)
        for other, sentence in INVITATION_SAYS.items():
            if other != code:
                assert sentence not in text, (email, other)
        link = mailbox.link_for(email)
        form = browser.get(link)
        assert form.headers["Content-Language"] == code
        assert f'<html lang="{code}">' in form.text
        answers = {f"item-{key}": str(score) for key in ITEMS}
        posted = browser.submit(link, {**answers, "text-headline": "—", "action": "submit"})
        assert posted.status_code == 302, (email, posted.text)

    # The coach closes the cycle and reads it in English (no setting, no Accept-Language).
    close = f"/cycles/{cycle_id}/close"
    assert coach_browser.submit(close, {}, page=close).status_code == 302
    dashboard = coach_browser.get(f"/cycles/{cycle_id}")
    assert dashboard.headers["Content-Language"] == "en"
    assert "Subordinates" in dashboard.text and "Peers" in dashboard.text

    # Every answer counts, whatever language it was given in: per statement, the boss
    # gave 5, the three peers 4 and the three subordinates 2.
    with app.test_request_context():
        cycle = db.session.scalars(select(Cycle).where(Cycle.id == cycle_id)).one()
        items = cycle_report(cycle).results.items.set_index("item_key")
    assert len(items) == len(ITEMS)
    assert (items["boss_mean"] == 5).all()
    assert (items["peer_mean"] == 4).all() and (items["peer_n"] == 3).all()
    assert (items["subordinate_mean"] == 2).all() and (items["subordinate_n"] == 3).all()
    assert (items["others_n"] == 7).all()
