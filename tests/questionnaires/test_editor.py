"""The coach's questionnaire editor in the browser, through the real forms (CSRF on):
creating from scratch and from a copy, field-level messages with a 400, versions kept
once a cycle uses them, the preview of the rater's form, and another coach's refused."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support import TEST_PASSWORD, Browser, sign_in

from feedback.accounts.services import create_coach
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.questionnaires.models import Questionnaire
from feedback.questionnaires.store import latest_version, spec_of
from feedback.timeutil import today

#: Two competencies, five statements, a 4-point scale, one open question.
SHORT = {
    "title": "Team lead",
    "description": "How you lead your team.",
    "points": "4",
    "label-1": "Never",
    "label-2": "Sometimes",
    "label-3": "Often",
    "label-4": "Always",
    "dont_know_label": "Don't know",
    "c-0-title": "Listening",
    "c-0-description": "Hearing people out.",
    "c-0-s-0-self": "I let people finish.",
    "c-0-s-0-rater": "{name} lets people finish.",
    "c-0-s-1-self": "I ask questions.",
    "c-0-s-1-rater": "{name} asks questions.",
    "c-1-title": "Deciding",
    "c-1-description": "Making the call.",
    "c-1-s-0-self": "I decide in time.",
    "c-1-s-0-rater": "{name} decides in time.",
    "c-1-s-1-self": "I explain my decisions.",
    "c-1-s-1-rater": "{name} explains their decisions.",
    "c-1-s-2-self": "I revisit a decision when facts change.",
    "c-1-s-2-rater": "{name} revisits a decision when facts change.",
    "q-0-key": "headline",
    "q-0-audience": "both",
    "q-0-self": "Describe yourself in 140 characters.",
    "q-0-rater": "Describe {name} in 140 characters.",
    "q-0-max_length": "140",
    "q-1-audience": "rater",
    "q-1-rater": "One piece of advice for {name}?",
    "q-1-max_length": "1000",
}


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Questionnaire))


def create(coach_browser, data=SHORT):
    return coach_browser.submit("/questionnaires/new", data)


def field_error(page: str, name: str) -> list[str]:
    """The messages shown under the field ``name``."""
    return [html.unescape(m) for m in re.findall(rf'id="{name}-error">([^<]*)<', page)]


def test_a_coach_builds_a_short_questionnaire_from_scratch(app, coach_browser):
    page = coach_browser.get("/questionnaires/new")
    assert page.status_code == 200
    assert 'name="q-0-key" value="headline"' in page.text
    response = create(coach_browser)
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/questionnaires/team-lead")
    with app.app_context():
        spec = spec_of(latest_version("team-lead"))
    assert spec.version == 1
    assert spec.scale.labels == {1: "Never", 2: "Sometimes", 3: "Often", 4: "Always"}
    assert spec.scale.dont_know is None  # the box was not ticked
    assert [c.title for c in spec.competencies] == ["Listening", "Deciding"]
    assert [i.key for i in spec.items] == [
        "i_let_people_finish",
        "i_ask_questions",
        "i_decide_in_time",
        "i_explain_my_decisions",
        "i_revisit_a_decision_when_facts_chan",  # cut at 36 characters
    ]
    assert [(q.key, q.audience) for q in spec.open_questions] == [
        ("headline", "both"),
        ("one_piece_of_advice_for_name", "rater"),
    ]
    listed = coach_browser.get("/questionnaires/").text
    assert "Team lead" in listed and "4 points, no “Don&#39;t know”" in listed

    # The preview is the rater's form: four points, a sample name, nothing to send.
    preview = coach_browser.get("/questionnaires/team-lead/preview").text
    assert re.findall(r'name="item-i_ask_questions" value="([^"]+)"', preview) == [*"1234"]
    assert "Alex asks questions." in preview
    assert "Alex Sample asks for your feedback" in preview
    assert '<button type="submit" disabled>Submit</button>' in preview
    assert 'value="submit"' not in preview and "I&#39;d rather not answer" not in preview

    # The TOML download reads back as the same questionnaire.
    toml = coach_browser.get("/questionnaires/team-lead/export.toml")
    assert toml.status_code == 200
    assert 'key = "team-lead"' in toml.text and 'labels = { "1" = "Never"' in toml.text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"c-1-s-2-rater": "Revisits decisions."}, "c-1-s-2-rater", "Must contain {name}."),
        ({"c-0-s-1-self": "{name} asks."}, "c-0-s-1-self", "Is addressed to the coachee"),
        ({"label-4": ""}, "label-4", "Must not be empty."),
        ({"label-4": "Never"}, "points", "Each point needs its own label."),
        ({"points": "9"}, "points", "Choose 4 to 7 points."),
        ({"dont_know": "y", "dont_know_label": "Often"}, "dont_know_label", "Must differ"),
        ({"q-0-rater": ""}, "q-0-rater", "Must not be empty."),
        ({"q-1-max_length": "a lot"}, "q-1-max_length", "Give a whole number."),
        ({"c-0-title": ""}, "c-0-title", "Must not be empty."),
        ({"title": "x" * 201}, "title", "Must be at most 200 characters, not 201."),
        ({"key": "Team Lead!"}, "key", "is not a valid key"),
    ],
)
def test_bad_fields_get_a_message_at_the_field_and_a_400(
    app, coach_browser, change, field, message
):
    response = create(coach_browser, {**SHORT, **change})
    assert response.status_code == 400
    assert any(message in shown for shown in field_error(response.text, field)), field_error(
        response.text, field
    )
    # What was typed is still there, and nothing was saved.
    assert "{name} explains their decisions." in response.text
    assert count(app) == 0


def test_a_used_version_stays_and_the_edit_makes_the_next(app, coach_browser, mailbox):
    assert create(coach_browser).status_code == 302
    response = coach_browser.submit(
        "/coachees", {"name": "Casey Doe", "email": "casey@example.com"}, page="/"
    )
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = coach_browser.submit(
        response.headers["Location"],
        {"closes_on": closes_on, "boss_exempt": "y", "questionnaire": "team-lead"},
    )
    assert response.status_code == 302, response.text

    page = coach_browser.get("/questionnaires/team-lead").text
    assert "used by a cycle: saving a change makes version 2" in page
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', page)
    }
    form |= {
        name: html.unescape(value)
        for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    }
    form.pop("csrf_token")
    form["points"] = "4"
    form["c-0-s-0-rater"] = "{name} lets everyone finish."
    form["c-0-s-2-self"] = "I listen first."  # an empty row filled in
    form["c-0-s-2-rater"] = "{name} listens first."
    response = coach_browser.submit("/questionnaires/team-lead", form)
    assert response.status_code == 302, response.text
    with app.app_context():
        cycle = db.session.scalars(select(Cycle)).one()
        assert cycle.questionnaire.version == 1
        assert cycle.questionnaire.items[0].rater_text == "{name} lets people finish."
        latest = latest_version("team-lead")
        assert latest.version == 2
        assert latest.items[0].rater_text == "{name} lets everyone finish."
        # Statements keep their keys across versions, so the trend can match them.
        assert [i.key for i in latest.items][:2] == ["i_let_people_finish", "i_ask_questions"]
        assert len(latest.items) == 6
    # The rater of the running cycle still reads version 1.
    form_page = coach_browser.get(mailbox.link_for("casey@example.com").rstrip("/") + "/self")
    assert "I let people finish." in form_page.text and "I listen first." not in form_page.text
    # Saving without a change makes no version.
    response = coach_browser.submit("/questionnaires/team-lead", {**form, "points": "4"})
    assert response.status_code == 302
    with app.app_context():
        assert latest_version("team-lead").version == 2


def test_a_copy_of_the_default_keeps_its_statements_and_keys(app, coach_browser):
    page = coach_browser.get("/questionnaires/new?from=career-360").text
    assert 'value="Copy of Career 360"' in page
    form = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input[^>]*name="([^"]+)" value="([^"]*)"', page)
    }
    form |= {
        name: html.unescape(value)
        for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page)
    }
    form.pop("csrf_token")
    form["points"] = "5"
    form["dont_know"] = "y"
    for index, question in enumerate(default_questionnaire().open_questions):
        form[f"q-{index}-audience"] = question.audience
    response = coach_browser.submit("/questionnaires/new", form, page="/questionnaires/new")
    assert response.status_code == 302, response.text
    with app.app_context():
        copy = spec_of(latest_version("copy-of-career-360"))
    default = default_questionnaire()
    assert [i.key for i in copy.items] == [i.key for i in default.items]
    assert copy.scale == default.scale
    assert copy.open_questions == default.open_questions


def test_another_coachs_questionnaire_is_not_there(app, coach_browser):
    assert create(coach_browser).status_code == 302
    with app.app_context():
        create_coach(email="other@example.com", name="Otto Other", password=TEST_PASSWORD)
        db.session.commit()
    other = Browser(app.test_client())
    sign_in(other, "other@example.com")
    for url in (
        "/questionnaires/team-lead",
        "/questionnaires/team-lead/preview",
        "/questionnaires/team-lead/export.toml",
        "/questionnaires/new?from=team-lead",
    ):
        assert other.get(url).status_code == 404, url
    assert "Team lead" not in other.get("/questionnaires/").text
    response = other.submit("/questionnaires/team-lead", {**SHORT}, page="/questionnaires/new")
    assert response.status_code == 404
    # Nor can they start a cycle on it: not one of the form's choices.
    response = other.submit("/coachees", {"name": "Sam Roe", "email": "sam@example.com"}, page="/")
    new_cycle = response.headers["Location"]
    assert "team-lead" not in other.get(new_cycle).text
    closes_on = (today() + timedelta(days=14)).isoformat()
    response = other.submit(new_cycle, {"closes_on": closes_on, "questionnaire": "team-lead"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cycle)) == 0
    # Their own questionnaire may not take the key either.
    response = other.submit("/questionnaires/new", {**SHORT, "key": "team-lead"})
    assert response.status_code == 400
    assert field_error(response.text, "key") == [
        'The key "team-lead" belongs to another questionnaire; choose another key.'
    ]


def test_the_editor_refuses_a_post_without_its_csrf_token(app, coach_browser):
    response = coach_browser.post("/questionnaires/new", data=SHORT)
    assert response.status_code == 400
    assert count(app) == 0
