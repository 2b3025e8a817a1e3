"""Languages through the API (issue 18): a cycle's language (refused at its field when
the questionnaire is not written in it), each nominee's language in the listing, and
the coachee's language on create and update (null: the coach's)."""

import dataclasses
from datetime import timedelta

import pytest

from feedback.coaching.models import Coachee, Cycle
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.questionnaires.writer import to_toml
from feedback.timeutil import today

PROBLEM = "application/problem+json"


def later(days: int = 21) -> str:
    return (today() + timedelta(days=days)).isoformat()


@pytest.fixture
def english_only(app, world, tmp_path) -> str:
    """A questionnaire of coach A written in English only; returns its key."""
    spec = dataclasses.replace(default_questionnaire(), key="plain-english", translations={})
    path = tmp_path / "plain.toml"
    path.write_text(to_toml(spec), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["questionnaire", "import", str(path), "--coach", "coach@example.com"]
    )
    assert result.exit_code == 0, result.output
    return "plain-english"


def test_a_cycle_in_german_and_its_raters_languages(api, app, world, mailbox):
    coachee = api.post("/coachees", json={"name": "Jo Kurz", "email": "jo@example.com"}).json
    assert coachee["language"] is None
    response = api.post(
        f"/coachees/{coachee['id']}/cycles", json={"closes_on": later(), "language": "de"}
    )
    assert response.status_code == 201, response.json
    cycle = response.json
    assert cycle["language"] == "de"
    assert api.get(f"/cycles/{cycle['id']}").json["language"] == "de"
    with app.app_context():
        assert db.session.get(Cycle, cycle["id"]).language == "de"

    invited = api.post(
        f"/cycles/{cycle['id']}/nominations",
        json={
            "raters": [
                {"email": "ute@example.com", "group": "peer", "name": "Ute"},
                {"email": "ana@example.com", "group": "peer", "name": "Ana", "language": "es"},
            ]
        },
    )
    assert invited.status_code == 201, invited.json
    listed = api.get(f"/cycles/{cycle['id']}/nominations").json["nominations"]
    assert {n["email"]: n["language"] for n in listed} == {
        "ute@example.com": "de",  # none of her own: the cycle's
        "ana@example.com": "es",
    }
    german = mailbox.to("ute@example.com")[-1]
    assert german["Subject"] == "Jo Kurz bittet Sie um Feedback"

    # Without a language, a cycle is in English, as before.
    plain = api.post(f"/coachees/{coachee['id']}/cycles", json={"closes_on": later()})
    assert plain.status_code == 201 and plain.json["language"] == "en"


def test_a_language_the_questionnaire_lacks_is_a_422_at_its_field(api, app, world, english_only):
    before = api.get(f"/coachees/{world['coachee_id']}/cycles").json["cycles"]
    response = api.post(
        f"/coachees/{world['coachee_id']}/cycles",
        json={"closes_on": later(), "questionnaire": english_only, "language": "fr"},
    )
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    errors = response.json["errors"]
    assert [e["field"] for e in errors] == ["body.language"]
    assert "not written in Français; it is in English" in errors[0]["message"]
    unknown = api.post(
        f"/coachees/{world['coachee_id']}/cycles", json={"closes_on": later(), "language": "nl"}
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json["errors"]] == ["body.language"]
    assert api.get(f"/coachees/{world['coachee_id']}/cycles").json["cycles"] == before
    fine = api.post(
        f"/coachees/{world['coachee_id']}/cycles",
        json={"closes_on": later(), "questionnaire": english_only, "language": "en"},
    )
    assert fine.status_code == 201, fine.json


def test_the_coachees_language_on_create_and_update(api, app):
    created = api.post(
        "/coachees", json={"name": "Lea Roux", "email": "lea@example.com", "language": "fr"}
    )
    assert created.status_code == 201
    lea = created.json
    assert lea["language"] == "fr"
    with app.app_context():
        assert db.session.get(Coachee, lea["id"]).language == "fr"

    renamed = api.patch(f"/coachees/{lea['id']}", json={"name": "Léa Roux"})
    assert renamed.status_code == 200
    assert renamed.json["language"] == "fr"  # left out: kept
    spanish = api.patch(f"/coachees/{lea['id']}", json={"language": "es"})
    assert spanish.json["language"] == "es"
    coachs = api.patch(f"/coachees/{lea['id']}", json={"language": None})
    assert coachs.status_code == 200 and coachs.json["language"] is None
    with app.app_context():
        assert db.session.get(Coachee, lea["id"]).language is None

    refused = api.patch(f"/coachees/{lea['id']}", json={"name": "X", "language": "klingon"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["body.language"]
    assert api.get(f"/coachees/{lea['id']}").json["name"] == "Léa Roux"  # nothing saved
    bad = api.post("/coachees", json={"name": "N", "email": "n@example.com", "language": "xx"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["body.language"]


def test_the_document_names_the_languages(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("CycleIn", "Cycle", "CoacheeIn", "CoacheeChange", "Coachee", "Nomination"):
        assert "language" in schemas[name]["properties"], name
