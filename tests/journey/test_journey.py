"""The coaching journey through the real forms (CSRF on): the six stages and their
questions, homework in the portal, the coach's private session notes, stage two
answered by the released 360, and first steps."""

import json
import re
from datetime import timedelta
from pathlib import Path

import factories
import pytest
from babel.dates import format_date
from sqlalchemy import func, select, update
from support import Browser, sign_in

from feedback.accounts.models import Coach
from feedback.coaching.models import Coachee, Cycle
from feedback.coaching.services import portal_url
from feedback.cycles import lifecycle
from feedback.cycles.jobs import run_round
from feedback.extensions import db
from feedback.journey import stages
from feedback.journey.models import (
    Aspect,
    FirstStep,
    Homework,
    JourneyAnswer,
    SessionNote,
    SuccessCriterion,
)
from feedback.journey.seen import read_released
from feedback.plans.models import Goal
from feedback.ratings.results import clear_cache, cycle_report
from feedback.timeutil import today

SEED = Path(__file__).resolve().parents[2] / "feedback" / "journey" / "stages.toml"
DUE = (today() + timedelta(days=7)).isoformat()


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def casey(app, open_cycle):
    """Casey's coachee id, coach's journey URL and portal link."""
    with app.app_context():
        coachee_id = db.session.get(Cycle, open_cycle["cycle_id"]).coachee_id
    portal = open_cycle["portal"].rstrip("/")
    return {
        **open_cycle,
        "id": coachee_id,
        "journey": f"/coachees/{coachee_id}/journey",
        "portal": portal,
        "portal_journey": f"{portal}/journey",
    }


def open_stage(coach_browser, casey, stage_key, note="Think it over.", due=DUE):
    url = f"{casey['journey']}/{stage_key}"
    return coach_browser.submit(f"{url}/homework", {"note": note, "due_on": due}, page=url)


def test_the_six_stages_hold_the_methods_questions_in_order():
    shipped = stages.stages()
    assert [s.title for s in shipped] == [
        "Who are you in your professional life?",
        "How are you seen by others?",
        "What do you keep and what do you lose?",
        "What is out there?",
        "How do you select the right opportunity?",
        "How do I start?",
    ]
    assert [len(s.questions) for s in shipped] == [9, 3, 3, 4, 4, 3]
    texts = [q.text for s in shipped for q in s.questions]
    assert texts.index("What is your dream job, and why?") < texts.index(
        "What is the mission of your professional life?"
    )
    assert "How will you know you made the right decision?" in [
        q.text for q in shipped[4].questions
    ]


def test_a_stage_file_with_a_key_used_twice_is_refused():
    text = SEED.read_text(encoding="utf-8").replace('key = "change"', 'key = "keep"')
    with pytest.raises(ValueError, match="used twice"):
        stages.parse_stages(text)


def test_the_journey_is_linked_from_the_coachee_page_and_the_portal(casey, coach_browser, browser):
    assert casey["journey"] in coach_browser.get(f"/coachees/{casey['id']}").text
    assert "/journey" in browser.get(casey["portal"] + "/").text
    page = coach_browser.get(casey["journey"] + "/")
    assert page.status_code == 200
    for stage in stages.stages():
        assert f"{stage.number}. {stage.title}" in page.text.replace("&#39;", "'")


def test_another_coachs_coachee_is_not_found(casey, app, browser):
    with app.app_context():
        factories.coach("other@example.com", "Olga Other")
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com", "long enough pw")
    assert other.get(casey["journey"] + "/").status_code == 404
    assert other.get(casey["journey"] + "/keep_lose").status_code == 404
    page = other.get("/")  # a page of theirs, for a CSRF token
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = other.post(
        casey["journey"] + "/keep_lose/homework",
        data={"csrf_token": token, "note": "x", "due_on": DUE},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Homework)) is None


def test_the_coach_hides_a_question_and_adds_their_own(casey, coach_browser, browser):
    url = f"{casey['journey']}/keep_lose"
    response = coach_browser.submit(f"{url}/questions/change/hide", {}, page=url)
    assert response.status_code == 302
    response = coach_browser.submit(
        f"{url}/questions", {"text": "Which meeting would you drop first?"}, page=url
    )
    assert response.status_code == 302
    assert open_stage(coach_browser, casey, "keep_lose").status_code == 302
    portal = browser.get(casey["portal_journey"] + "/keep_lose").text
    assert "Which meeting would you drop first?" in portal
    assert "want to keep?" in portal
    assert "want to change?" not in portal
    # Shown again, it is asked again.
    response = coach_browser.submit(f"{url}/questions/change/show", {}, page=url)
    assert response.status_code == 302
    assert "want to change?" in browser.get(casey["portal_journey"] + "/keep_lose").text
    # A question of another stage, or none at all, is not found here.
    for key in ("strengths", "nonsense"):
        response = coach_browser.submit(f"{url}/questions/{key}/hide", {}, page=url)
        assert response.status_code == 404, key


def test_an_empty_own_question_is_refused_at_its_field(casey, coach_browser):
    url = f"{casey['journey']}/keep_lose"
    response = coach_browser.submit(f"{url}/questions", {"text": "   "}, page=url)
    assert response.status_code == 400
    assert "Please write the question." in response.text


def test_a_past_due_date_is_refused_at_its_field(casey, coach_browser, app):
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = open_stage(coach_browser, casey, "keep_lose", due=yesterday)
    assert response.status_code == 400
    assert "the due date must be between today and two years from now" in response.text
    response = open_stage(coach_browser, casey, "keep_lose", due="not a date")
    assert response.status_code == 400
    assert "Please give a valid date." in response.text
    with app.app_context():
        assert db.session.scalar(select(Homework)) is None


def test_a_stage_not_opened_is_not_in_the_portal(casey, browser):
    assert browser.get(casey["portal_journey"] + "/keep_lose").status_code == 404
    assert "Nothing to do yet" in browser.get(casey["portal_journey"] + "/").text


def test_homework_from_draft_to_hand_in_and_the_coach_is_told(
    casey, coach_browser, browser, mailbox
):
    assert open_stage(coach_browser, casey, "keep_lose", note="Bring examples.").status_code == 302
    home = browser.get(casey["portal_journey"] + "/").text
    assert "What do you keep and what do you lose?" in home
    stage = casey["portal_journey"] + "/keep_lose"
    assert "Bring examples." in browser.get(stage).text
    response = browser.submit(stage, {"answer-keep": "The workshops.", "action": "save"})
    assert response.status_code == 302
    coach_page = coach_browser.get(f"{casey['journey']}/keep_lose").text
    assert "The workshops." in coach_page and "Draft" in coach_page
    before = len(mailbox.to("coach@example.com"))
    response = browser.submit(
        stage,
        {"answer-keep": "The workshops.", "answer-change": "Fewer reports.", "action": "submit"},
    )
    assert response.status_code == 302
    messages = mailbox.to("coach@example.com")
    assert len(messages) == before + 1
    text = messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "Casey Doe has handed in" in text
    assert f"/coachees/{casey['id']}/journey/keep_lose" in mailbox.link_for("coach@example.com")
    coach_page = coach_browser.get(f"{casey['journey']}/keep_lose").text
    assert "Fewer reports." in coach_page and "Handed in on" in coach_page
    # Handed in: the form is gone, and a late post changes nothing.
    page = browser.get(stage)
    assert "Fewer reports." in page.text and 'name="answer-keep"' not in page.text
    from support import csrf_token

    late = browser.post(
        stage,
        data={"csrf_token": csrf_token(page.text), "answer-keep": "Changed", "action": "save"},
    )
    assert late.status_code == 409
    assert "The workshops." in coach_browser.get(f"{casey['journey']}/keep_lose").text


def test_a_too_long_answer_is_refused_and_nothing_is_lost(casey, coach_browser, browser, app):
    open_stage(coach_browser, casey, "keep_lose")
    stage = casey["portal_journey"] + "/keep_lose"
    browser.submit(stage, {"answer-keep": "The workshops.", "action": "save"})
    response = browser.submit(
        stage, {"answer-keep": "Something new", "answer-change": "x" * 4001, "action": "save"}
    )
    assert response.status_code == 400
    assert "Please keep this to 4000 characters (4001 now)." in response.text
    assert "Something new" in response.text  # what was typed is shown again
    with app.app_context():
        kept = db.session.scalars(select(JourneyAnswer.text)).all()
    assert kept == ["The workshops."]


def test_session_notes_stay_with_the_coach(casey, coach_browser, browser):
    response = coach_browser.submit(
        casey["journey"] + "/notes",
        {
            "held_on": today().isoformat(),
            "discussed": "Tension with the sponsor",
            "agreed": "Casey drafts the memo",
        },
        page=casey["journey"] + "/",
    )
    assert response.status_code == 302
    assert "Tension with the sponsor" in coach_browser.get(casey["journey"] + "/").text
    for stage in stages.stages():
        open_stage(coach_browser, casey, stage.key)
    pages = [casey["portal"] + "/", casey["portal_journey"] + "/"] + [
        f"{casey['portal_journey']}/{stage.key}" for stage in stages.stages()
    ]
    for url in pages:
        page = browser.get(url)
        assert page.status_code == 200, url
        assert "Tension with the sponsor" not in page.text, url
        assert "drafts the memo" not in page.text, url


def test_a_session_note_needs_what_was_discussed(casey, coach_browser):
    response = coach_browser.submit(
        casey["journey"] + "/notes",
        {"held_on": today().isoformat(), "discussed": "", "agreed": "Kept"},
        page=casey["journey"] + "/",
    )
    assert response.status_code == 400
    assert "Please note what was discussed." in response.text
    assert "Kept" in response.text


def test_stage_one_shows_the_self_assessment_instead_of_asking_again(casey, coach_browser, browser):
    response = browser.submit(
        casey["portal"] + "/self",
        {"text-strengths": "Patience with people.", "action": "save"},
    )
    assert response.status_code == 302
    open_stage(coach_browser, casey, "who")
    page = browser.get(casey["portal_journey"] + "/who").text
    assert "Patience with people." in page
    assert 'name="answer-strengths"' not in page
    assert 'name="answer-like"' in page and 'name="answer-motivation"' in page
    assert "Patience with people." in coach_browser.get(f"{casey['journey']}/who").text


def test_a_portal_link_sees_only_its_own_journey(casey, coach_browser, browser, mailbox, app):
    open_stage(coach_browser, casey, "keep_lose")
    browser.submit(
        casey["portal_journey"] + "/keep_lose", {"answer-keep": "Casey's secret", "action": "save"}
    )
    response = coach_browser.submit(
        "/coachees", {"name": "Robin Roe", "email": "robin@example.com"}, page="/"
    )
    closes_on = (today() + timedelta(days=14)).isoformat()
    coach_browser.submit(response.headers["Location"], {"closes_on": closes_on})
    robin = mailbox.link_for("robin@example.com").rstrip("/")
    assert "Nothing to do yet" in browser.get(robin + "/journey/").text
    assert browser.get(robin + "/journey/keep_lose").status_code == 404
    assert "Casey's secret" not in browser.get(robin + "/journey/").text
    # Robin's link cannot change Casey's step, even with stage six open to Robin.
    url = f"{casey['journey']}/start"
    coach_browser.submit(
        f"{casey['journey']}/steps", {"step": "Call Dana", "due_on": DUE}, page=url
    )
    with app.app_context():
        step = db.session.scalar(select(FirstStep.id))
        robin_id = db.session.scalar(select(Coachee.id).where(Coachee.name == "Robin Roe"))
    robin_stage = f"/coachees/{robin_id}/journey/start"
    coach_browser.submit(f"{robin_stage}/homework", {"note": "", "due_on": DUE}, page=robin_stage)
    response = browser.submit(
        f"{robin}/journey/steps/{step}/status", {"status": "done"}, page=robin + "/journey/start"
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(FirstStep, step).status == "planned"
    assert browser.get(casey["portal"] + "-x/journey/").status_code in (403, 404)


def test_first_steps_and_overdue_ones_on_the_coachs_home(casey, coach_browser, browser, app):
    assert browser.get(casey["portal_journey"] + "/start").status_code == 404
    open_stage(coach_browser, casey, "start")
    stage = casey["portal_journey"] + "/start"
    response = browser.submit(
        casey["portal_journey"] + "/steps", {"step": "Call Dana", "due_on": DUE}, page=stage
    )
    assert response.status_code == 302
    response = browser.submit(
        casey["portal_journey"] + "/steps",
        {"step": "Update the CV", "due_on": (today() - timedelta(days=1)).isoformat()},
        page=stage,
    )
    assert response.status_code == 400  # a new step is not due in the past
    url = f"{casey['journey']}/start"
    response = coach_browser.submit(
        f"{casey['journey']}/steps", {"step": "Update the CV", "due_on": DUE}, page=url
    )
    assert response.status_code == 302
    assert "Call Dana" in coach_browser.get(url).text
    assert "overdue" not in coach_browser.get("/").text.lower()
    with app.app_context():
        db.session.execute(update(FirstStep).values(due_on=today() - timedelta(days=3)))
        db.session.commit()
        cv = db.session.scalar(select(FirstStep.id).where(FirstStep.step == "Update the CV"))
    home = coach_browser.get("/").text
    assert "Overdue first steps" in home and "Call Dana" in home and "Update the CV" in home
    response = browser.submit(
        f"{casey['portal_journey']}/steps/{cv}/status", {"status": "done"}, page=stage
    )
    assert response.status_code == 302
    home = coach_browser.get("/").text
    assert "Call Dana" in home and "Update the CV" not in home
    # Another coachee's step is not theirs to change.
    with app.app_context():
        assert db.session.get(FirstStep, cv).status == "done"


def test_an_unknown_status_is_refused(casey, coach_browser, app):
    url = f"{casey['journey']}/start"
    coach_browser.submit(
        f"{casey['journey']}/steps", {"step": "Call Dana", "due_on": DUE}, page=url
    )
    with app.app_context():
        step = db.session.scalar(select(FirstStep.id))
    response = coach_browser.submit(
        f"{casey['journey']}/steps/{step}/status", {"status": "lost"}, page=url
    )
    assert response.status_code == 400


@pytest.fixture
def released(app, coach, coach_browser):
    """Robin's closed cycle (self 5, a boss and three peers 4 on every statement),
    released through the coach's form; the portal link and the coachee's id."""
    with app.test_request_context():
        owner = db.session.get(Coach, coach)
        robin = factories.coachee(owner, name="Robin Roe", email="robin@example.com")
        cycle = factories.closed_cycle(robin)
        db.session.commit()
        cycle_id, coachee_id, portal = cycle.id, robin.id, portal_url(cycle).rstrip("/")
    dashboard = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{dashboard}/release", {}, page=dashboard).status_code == 302
    return {
        "id": coachee_id,
        "cycle_id": cycle_id,
        "portal": portal,
        "journey": f"/coachees/{coachee_id}/journey",
    }


def _report_rows(html: str, title: str) -> list[str]:
    card = html.split(title)[1].split("</table>")[0]
    return re.findall(r"<tr><td>([^<]+)</td>", card)


def test_stage_two_shows_the_released_findings_with_room_to_reflect(
    released, coach_browser, browser, app
):
    open_stage(coach_browser, released, "seen")
    stage = released["portal"] + "/journey/seen"
    report = browser.get(released["portal"] + "/report").text
    blind = _report_rows(report, "Blind spots:")
    assert blind  # self 5 against others 4 on every statement
    page = browser.get(stage).text
    for statement in blind:
        assert statement in page
    assert page.count("Your reflection") == len(blind) + 1  # and one on the descriptions
    # The descriptions as the report showed them, each with its language's marker.
    for text in ("Me.", "Fine."):
        assert re.search(
            rf'<blockquote><span lang="en">{re.escape(text)}</span> '
            r'<span class="language-tag" lang="en"[^>]*>English</span></blockquote>',
            page,
        )
    # A reflection is kept with the homework, and the coach reads it.
    key = re.search(r'name="(answer-r\d+-blind-[0-9a-f]+)"', page).group(1)
    response = browser.submit(stage, {key: "I overrate my listening.", "action": "submit"})
    assert response.status_code == 302
    assert "I overrate my listening." in coach_browser.get(released["journey"] + "/seen").text


def test_stage_two_and_the_summary_mark_each_descriptions_language(
    app, coach, coach_browser, browser
):
    """A description written in German keeps the report's marker on stage two and in
    the summary, for the coachee and for the coach."""
    with app.test_request_context():
        owner = db.session.get(Coach, coach)
        robin = factories.coachee(owner, name="Robin Roe", email="robin@example.com")
        made = factories.cycle(robin)
        factories.self_assessment(made, 5, headline="I listen well and stay calm.")
        german = "Sie hört genau zu und entscheidet klar, auch wenn es schwierig wird."
        factories.answered(made, {"boss": 1, "peer": 3}, headline=german)
        lifecycle.close_cycle(made)
        db.session.commit()
        cycle_id, coachee_id, portal = made.id, robin.id, portal_url(made).rstrip("/")
    dashboard = f"/cycles/{cycle_id}"
    assert coach_browser.submit(f"{dashboard}/release", {}, page=dashboard).status_code == 302
    robin = {"id": coachee_id, "journey": f"/coachees/{coachee_id}/journey"}
    open_stage(coach_browser, robin, "seen")
    coach_browser.submit(
        robin["journey"] + "/summary/share", {}, page=robin["journey"] + "/summary"
    )
    marked = (
        rf'<blockquote><span lang="de">{re.escape(german)}</span> '
        r'<span class="language-tag" lang="de"[^>]*>Deutsch</span></blockquote>'
    )
    for page in (
        browser.get(portal + "/journey/seen").text,
        browser.get(portal + "/journey/summary").text,
        coach_browser.get(robin["journey"] + "/seen").text,
        coach_browser.get(robin["journey"] + "/summary").text,
    ):
        assert len(re.findall(marked, page)) == 4  # a boss and three peers wrote it
        assert '<span lang="en">I listen well and stay calm.</span>' in page


def test_a_report_released_before_the_markers_shows_its_descriptions_plainly():
    """A released report stored before answers carried a language has no markers to
    read: its descriptions come back without a language, and none is made up."""
    html = (
        '<div class="headlines"><div class="card"><div class="muted">You</div>'
        "<blockquote>Me.</blockquote></div>"
        '<div class="card"><div class="muted">Others</div>'
        "<blockquote>Fine.</blockquote><blockquote>Calm.</blockquote></div></div>"
    )
    seen = read_released(Cycle(id=7), html)
    assert seen.self_headline == "Me." and seen.others_headlines == ["Fine.", "Calm."]
    assert seen.languages == {}


def test_stage_two_shows_what_was_released_not_what_came_later(
    released, coach_browser, browser, app
):
    """After a reopening with answers that change the results, the coachee keeps
    seeing the released report's findings until the coach releases again."""
    open_stage(coach_browser, released, "seen")
    before = re.findall(
        r"<strong>([^<]+)</strong> <span", browser.get(released["portal"] + "/journey/seen").text
    )
    assert before
    with app.test_request_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.coachee_id == released["id"]))
        lifecycle.reopen_cycle(cycle, closes_on=today() + timedelta(days=7))
        factories.answered(cycle, {"peer": 6, "subordinate": 3}, score=5)
        lifecycle.close_cycle(cycle)
        db.session.commit()
        clear_cache()
        live = cycle_report(cycle)
        assert live is not None and len(live.rankings["blind_spots"]) < len(before)
    after = re.findall(
        r"<strong>([^<]+)</strong> <span", browser.get(released["portal"] + "/journey/seen").text
    )
    assert after == before


def test_stage_two_waits_for_the_release(casey, coach_browser, browser):
    open_stage(coach_browser, casey, "seen")
    page = browser.get(casey["portal_journey"] + "/seen").text
    assert "This part opens once your coach has shared your 360 report with you." in page
    assert "Your reflection" not in page


def test_the_journey_is_exported_and_deleted_with_the_coachee(casey, coach_browser, browser, app):
    open_stage(coach_browser, casey, "keep_lose")
    browser.submit(
        casey["portal_journey"] + "/keep_lose", {"answer-keep": "The workshops.", "action": "save"}
    )
    url = f"{casey['journey']}/start"
    coach_browser.submit(
        f"{casey['journey']}/steps", {"step": "Call Dana", "due_on": DUE}, page=url
    )
    coach_browser.submit(
        casey["journey"] + "/notes",
        {"held_on": today().isoformat(), "discussed": "Tension with the sponsor"},
        page=casey["journey"] + "/",
    )
    data = json.loads(coach_browser.get(f"/coachees/{casey['id']}/export.json").data)
    [stage] = data["journey"]["stages"]
    assert stage["stage"] == "What do you keep and what do you lose?"
    assert stage["homework"]["due_on"] == DUE and stage["homework"]["handed_in_at"] is None
    assert stage["answers"] == [
        {
            "question": "What are the key aspects of your work you want to keep?",
            "text": "The workshops.",
        }
    ]
    assert data["journey"]["first_steps"] == [
        {"step": "Call Dana", "due_on": DUE, "status": "planned"}
    ]
    assert "Tension with the sponsor" not in json.dumps(data)

    delete = f"/coachees/{casey['id']}/delete"
    assert coach_browser.submit(delete, {}).status_code == 302
    with app.app_context():
        for model in (Homework, JourneyAnswer, FirstStep, SessionNote):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def test_the_decision_matrix_ranks_the_options_by_weighted_score(
    casey, coach_browser, browser, app
):
    assert browser.get(casey["portal_journey"] + "/select").status_code == 404
    open_stage(coach_browser, casey, "select")
    stage = casey["portal_journey"] + "/select"
    page = browser.get(stage).text
    assert "more than one option is the hardest place to be" in page.lower()
    for name, learnt in (("Team lead at Acme", "Long hours."), ("Product role", "")):
        response = browser.submit(
            casey["portal_journey"] + "/matrix/options",
            {"name": name, "learnt": learnt},
            page=stage,
        )
        assert response.status_code == 302
    for name, weight in (("Growth", "5"), ("Commute", "1")):
        response = browser.submit(
            casey["portal_journey"] + "/matrix/criteria",
            {"name": name, "weight": weight},
            page=stage,
        )
        assert response.status_code == 302
    page = browser.get(stage).text
    selects = re.findall(r'name="(score-\d+-\d+)"', page)
    assert len(selects) == 4  # two options by two criteria
    # Acme: growth 2, commute 5 -> 15 of 30; Product: growth 4, commute 1 -> 21 of 30.
    values = dict(zip(selects, ["2", "5", "4", "1"], strict=True))
    response = browser.submit(casey["portal_journey"] + "/matrix/scores", values, page=stage)
    assert response.status_code == 302
    ranking = browser.get(stage).text.split('<ol class="ranking">')[1].split("</ol>")[0]
    assert re.findall(
        r"<strong>([^<]+)</strong> <span class=\"muted\">(\d+) of (\d+)", ranking
    ) == [
        ("Product role", "21", "30"),
        ("Team lead at Acme", "15", "30"),
    ]
    # The coach sees the same matrix, ranked the same way.
    coach_page = coach_browser.get(f"{casey['journey']}/select").text
    assert coach_page.index("Product role</strong>") < coach_page.index(
        "Team lead at Acme</strong>"
    )


def test_bad_matrix_input_is_refused_and_nothing_is_lost(casey, coach_browser, browser, app):
    open_stage(coach_browser, casey, "select")
    stage = casey["portal_journey"] + "/select"
    browser.submit(casey["portal_journey"] + "/matrix/options", {"name": "Acme"}, page=stage)
    browser.submit(
        casey["portal_journey"] + "/matrix/criteria", {"name": "Growth", "weight": "4"}, page=stage
    )
    response = browser.submit(
        casey["portal_journey"] + "/matrix/criteria", {"name": "Pay", "weight": "9"}, page=stage
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
    response = browser.submit(
        casey["portal_journey"] + "/matrix/options", {"name": " "}, page=stage
    )
    assert response.status_code == 400 and "Please name the option." in response.text
    select = re.search(r'name="(score-\d+-\d+)"', browser.get(stage).text).group(1)
    response = browser.submit(casey["portal_journey"] + "/matrix/scores", {select: "7"}, page=stage)
    assert response.status_code == 400
    data = json.loads(coach_browser.get(f"/coachees/{casey['id']}/export.json").data)
    assert data["journey"]["decision"] == {
        "options": [{"name": "Acme", "learnt": ""}],
        "criteria": [{"name": "Growth", "weight": 4}],
        "scores": [],
    }


def test_success_criteria_are_looked_back_at_on_their_review_date(
    casey, coach_browser, browser, mailbox, app
):
    open_stage(coach_browser, casey, "select")
    stage = casey["portal_journey"] + "/select"
    add = casey["portal_journey"] + "/matrix/success"
    response = browser.submit(
        add,
        {"criterion": "I look forward to Mondays", "review_on": today().isoformat()},
        page=stage,
    )
    assert response.status_code == 400
    assert "the review date must be from tomorrow to two years from now" in response.text
    assert "I look forward to Mondays" in response.text  # what was typed stays
    in_90_days = (today() + timedelta(days=90)).isoformat()
    response = browser.submit(
        add, {"criterion": "I look forward to Mondays", "review_on": in_90_days}, page=stage
    )
    assert response.status_code == 302
    with app.app_context():
        criterion = db.session.scalar(select(SuccessCriterion.id))
        assert run_round()["reviews"] == 0  # not yet
    page = browser.get(stage).text
    assert "I look forward to Mondays" in page and 'name="look_back"' not in page
    from support import csrf_token

    early = browser.post(
        f"{casey['portal_journey']}/success/{criterion}/look-back",
        data={"csrf_token": csrf_token(page), "look_back": "Too soon"},
    )
    assert early.status_code == 400

    with app.app_context():
        db.session.execute(update(SuccessCriterion).values(review_on=today()))
        db.session.commit()
        assert run_round()["reviews"] == 1
        assert run_round()["reviews"] == 0  # once
    [to_coachee] = mailbox.to("casey@example.com")[-1:]
    assert (
        "I look forward to Mondays" in to_coachee.get_body(preferencelist=("plain",)).get_content()
    )
    assert to_coachee["Subject"] == "Time to look back: did you make the right decision?"
    link = mailbox.link_for("casey@example.com")
    assert link.rstrip("/").endswith("/journey/select")
    page = browser.get(link).text
    assert 'name="look_back"' in page
    response = browser.submit(
        f"{casey['portal_journey']}/success/{criterion}/look-back",
        {"look_back": "Mostly, yes."},
        page=link,
    )
    assert response.status_code == 302
    coach_link = mailbox.link_for("coach@example.com")
    assert coach_link.endswith(f"/coachees/{casey['id']}/journey/select")
    coach_page = coach_browser.get(coach_link).text
    assert "I look forward to Mondays" in coach_page and "Mostly, yes." in coach_page


def test_the_summary_reaches_the_portal_only_when_shared(casey, coach_browser, browser):
    open_stage(coach_browser, casey, "keep_lose")
    browser.submit(
        casey["portal_journey"] + "/keep_lose", {"answer-keep": "The workshops.", "action": "save"}
    )
    url = f"{casey['journey']}/start"
    coach_browser.submit(
        f"{casey['journey']}/steps", {"step": "Call Dana", "due_on": DUE}, page=url
    )
    coach_browser.submit(
        casey["journey"] + "/notes",
        {"held_on": today().isoformat(), "discussed": "Tension with the sponsor"},
        page=casey["journey"] + "/",
    )
    summary = casey["portal_journey"] + "/summary"
    assert browser.get(summary).status_code == 404
    assert "/journey/summary" not in browser.get(casey["portal_journey"] + "/").text
    coach_page = coach_browser.get(casey["journey"] + "/summary")
    assert coach_page.status_code == 200 and "The workshops." in coach_page.text
    share = casey["journey"] + "/summary/share"
    assert coach_browser.submit(share, {}, page=casey["journey"] + "/summary").status_code == 302
    assert "/journey/summary" in browser.get(casey["portal_journey"] + "/").text
    page = browser.get(summary)
    assert page.status_code == 200
    for shown in (
        "What do you keep and what do you lose?",
        "What are the key aspects of your work you want to keep?",
        "The workshops.",
        "Call Dana",
    ):
        assert shown in page.text, shown
    assert "Tension with the sponsor" not in page.text
    assert "What is out there?" not in page.text  # a stage neither opened nor answered
    unshare = casey["journey"] + "/summary/unshare"
    assert coach_browser.submit(unshare, {}, page=casey["journey"] + "/summary").status_code == 302
    assert browser.get(summary).status_code == 404


def test_the_summary_holds_the_released_findings_and_the_plan(
    released, coach_browser, browser, app
):
    open_stage(coach_browser, released, "seen")
    stage = released["portal"] + "/journey/seen"
    page = browser.get(stage).text
    key = re.search(r'name="(answer-r\d+-blind-[0-9a-f]+)"', page).group(1)
    browser.submit(stage, {key: "I overrate my listening.", "action": "save"})
    report = browser.get(released["portal"] + "/report").text
    blind = _report_rows(report, "Blind spots:")
    plan = f"/cycles/{released['cycle_id']}/plan"
    goal = {
        "item_key": factories.ITEMS[0],
        "goal": "Ask before telling",
        "success_criteria": "Peers notice it",
        "review_on": (today() + timedelta(days=60)).isoformat(),
    }
    assert coach_browser.submit(plan, goal).status_code == 302
    coach_browser.submit(
        released["journey"] + "/summary/share", {}, page=released["journey"] + "/summary"
    )
    text = browser.get(released["portal"] + "/journey/summary").text
    assert "Ask before telling" in text and "Peers notice it" in text
    for statement in blind:
        assert statement in text
    assert "I overrate my listening." in text


def test_skill_gaps_tie_to_the_plans_goals(released, coach_browser, browser, app):
    plan = f"/cycles/{released['cycle_id']}/plan"
    goal = {
        "item_key": factories.ITEMS[0],
        "goal": "Ask before telling",
        "success_criteria": "Peers notice it",
        "review_on": (today() + timedelta(days=60)).isoformat(),
    }
    assert coach_browser.submit(plan, goal).status_code == 302
    with app.app_context():
        goal_id = db.session.scalar(select(Goal.id))
    open_stage(coach_browser, released, "keep_lose")
    stage = released["portal"] + "/journey/keep_lose"
    add = released["portal"] + "/journey/gaps"
    page = browser.get(stage).text
    assert "Ask before telling" in page.split('name="goal_id"')[1].split("</select>")[0]
    response = browser.submit(
        add, {"gap": "Budgeting", "plan": "A finance course", "goal_id": str(goal_id)}, page=stage
    )
    assert response.status_code == 302
    response = browser.submit(add, {"gap": "Public speaking", "goal_id": ""}, page=stage)
    assert response.status_code == 302
    response = browser.submit(add, {"gap": "Negotiation", "goal_id": "999"}, page=stage)
    assert response.status_code == 400 and "Not a valid choice" in response.text
    response = browser.submit(add, {"gap": " ", "goal_id": ""}, page=stage)
    assert response.status_code == 400 and "Please name the skill gap." in response.text
    coach_page = coach_browser.get(released["journey"] + "/keep_lose").text
    assert "Budgeting" in coach_page and "A finance course" in coach_page
    assert "Goal of the plan: Ask before telling" in coach_page
    assert "Negotiation" not in coach_page
    coach_browser.submit(
        released["journey"] + "/summary/share", {}, page=released["journey"] + "/summary"
    )
    printed = browser.get(released["portal"] + "/journey/summary").text
    assert "Budgeting" in printed and "A finance course" in printed
    # The goal leaves the plan: the gap stays, without its goal.
    response = coach_browser.submit(f"{plan}/{goal_id}/remove", {}, page=plan)
    assert response.status_code == 302
    coach_page = coach_browser.get(released["journey"] + "/keep_lose").text
    assert "Budgeting" in coach_page and "Goal of the plan" not in coach_page


def test_stage_fours_opportunities_are_stage_fives_options_typed_once(
    casey, coach_browser, browser
):
    stage_four = casey["portal_journey"] + "/out_there"
    assert browser.get(stage_four).status_code == 404  # not opened yet
    open_stage(coach_browser, casey, "out_there")
    added = browser.submit(
        casey["portal_journey"] + "/options",
        {"name": "Product role at Beta", "learnt": "They hire in spring."},
        page=stage_four,
    )
    assert added.status_code == 302
    empty = browser.submit(
        casey["portal_journey"] + "/options", {"name": "", "learnt": ""}, page=stage_four
    )
    assert empty.status_code == 400 and "Please name the option." in empty.text
    assert "Product role at Beta" in empty.text  # what was saved before is still there
    coach_page = f"{casey['journey']}/out_there"
    by_coach = coach_browser.submit(
        f"{casey['journey']}/options", {"name": "Team lead at Acme", "learnt": ""}, page=coach_page
    )
    assert by_coach.status_code == 302
    # Stage five's matrix lists both, without anyone typing them again.
    select_page = coach_browser.get(f"{casey['journey']}/select").text
    matrix = select_page[select_page.index("The decision matrix") :]
    assert "Product role at Beta" in matrix and "Team lead at Acme" in matrix
    assert "They hire in spring." in matrix


def test_stage_three_keeps_lists_of_what_to_keep_change_and_what_stands_in_the_way(
    casey, coach_browser, browser
):
    stage = casey["portal_journey"] + "/keep_lose"
    open_stage(coach_browser, casey, "keep_lose")
    for kind, text in (
        ("keep", "Running workshops"),
        ("keep", "The team"),
        ("change", "Endless status meetings"),
        ("in_the_way", "No budget experience"),
    ):
        added = browser.submit(
            casey["portal_journey"] + "/aspects", {"kind": kind, "text": text}, page=stage
        )
        assert added.status_code == 302, added.text
    empty = browser.submit(
        casey["portal_journey"] + "/aspects", {"kind": "change", "text": "  "}, page=stage
    )
    assert empty.status_code == 400 and "Please write the aspect." in empty.text
    unknown = browser.submit(
        casey["portal_journey"] + "/aspects", {"kind": "dream", "text": "x"}, page=stage
    )
    assert unknown.status_code == 400
    page = browser.get(stage).text
    keep = page[page.index('id="aspects-keep"') : page.index('id="aspects-change"')]
    assert "Running workshops" in keep and "The team" in keep
    assert "Endless status meetings" not in keep
    coach_page = f"{casey['journey']}/keep_lose"
    by_coach = coach_browser.submit(
        f"{casey['journey']}/aspects", {"kind": "change", "text": "Travel"}, page=coach_page
    )
    assert by_coach.status_code == 302
    data = json.loads(coach_browser.get(f"/coachees/{casey['id']}/export.json").data)
    assert data["journey"]["keep_and_change"] == {
        "keep": ["Running workshops", "The team"],
        "change": ["Endless status meetings", "Travel"],
        "in_the_way": ["No budget experience"],
    }
    summary = coach_browser.get(f"{casey['journey']}/summary").text
    assert "No budget experience" in summary and "Travel" in summary


def test_the_coachs_journey_speaks_the_coachs_language(casey, coach_browser, app):
    """Every flash of the coach's journey pages follows the coach's setting (issue 18):
    opening a stage (its due date in the language's own form), adding and removing
    entries, a step, an opportunity, a question, the shared summary."""
    with app.app_context():
        db.session.execute(update(Coach).values(language="de"))
        db.session.commit()
    due = today() + timedelta(days=7)
    journey = casey["journey"]

    def flashed(url: str, data: dict, page: str) -> str:
        response = coach_browser.submit(url, data, page=page)
        assert response.status_code == 302, response.text
        return coach_browser.get(response.headers["Location"]).text

    keep = f"{journey}/keep_lose"
    page = flashed(f"{keep}/homework", {"note": "", "due_on": due.isoformat()}, keep)
    german_day = format_date(due, format="long", locale="de")
    assert f"Die Etappe ist im Portal von Casey geöffnet, fällig am {german_day}." in page
    assert "The stage is open" not in page
    page = flashed(f"{journey}/aspects", {"kind": "keep", "text": "Das Team"}, keep)
    assert "Der Eintrag ist hinzugefügt." in page and "The entry is added." not in page
    with app.app_context():
        aspect = db.session.scalar(select(func.max(Aspect.id)))
    page = flashed(f"{journey}/aspects/{aspect}/remove", {}, keep)
    assert "Der Eintrag ist entfernt." in page and "The entry is removed." not in page
    start = f"{journey}/start"
    page = flashed(f"{journey}/steps", {"step": "Dana anrufen", "due_on": due.isoformat()}, start)
    assert "Der Schritt ist hinzugefügt." in page and "The step is added." not in page
    out_there = f"{journey}/out_there"
    page = flashed(f"{journey}/options", {"name": "Beratung", "learnt": ""}, out_there)
    assert "Die Möglichkeit ist hinzugefügt" in page and "is added" not in page
    page = flashed(f"{keep}/questions", {"text": "Was gibt Ihnen Energie?"}, keep)
    assert "Ihre Frage ist hinzugefügt." in page
    summary = f"{journey}/summary"
    page = flashed(f"{summary}/share", {}, summary)
    assert "Casey kann die Zusammenfassung jetzt im Portal öffnen und drucken." in page
    page = flashed(f"{summary}/unshare", {}, summary)
    assert "Die Zusammenfassung ist nicht mehr im Portal." in page


def test_removing_an_unknown_kind_of_matrix_row_is_not_found(casey, coach_browser, browser):
    """Neither the coach nor the coachee gets an error page for a made-up row kind."""
    open_stage(coach_browser, casey, "select")
    page = f"{casey['journey']}/select"
    assert (
        coach_browser.submit(f"{casey['journey']}/matrix/dream/1/remove", {}, page=page).status_code
        == 404
    )
    stage = casey["portal_journey"] + "/select"
    assert (
        browser.submit(
            casey["portal_journey"] + "/matrix/dream/1/remove", {}, page=stage
        ).status_code
        == 404
    )
