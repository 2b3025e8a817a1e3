"""Coachees and cycles through the API: the same services and rules as the pages."""

from datetime import timedelta

from api_support import row_counts

from feedback.extensions import db
from feedback.raters.models import Invite
from feedback.timeutil import today

PROBLEM = "application/problem+json"


def later(days: int = 21) -> str:
    return (today() + timedelta(days=days)).isoformat()


def test_add_read_list_and_correct_a_coachee(api, mailbox):
    response = api.post("/coachees", json={"name": "  Ann Lee ", "email": "Ann@Example.com"})
    assert response.status_code == 201
    added = response.json
    assert (added["name"], added["email"], added["cycle_ids"]) == ("Ann Lee", "ann@example.com", [])
    assert api.get(f"/coachees/{added['id']}").json == added
    assert [c["name"] for c in api.get("/coachees").json["coachees"]] == ["Ann Lee", "Casey Doe"]

    cycle = api.post(f"/coachees/{added['id']}/cycles", json={"closes_on": later()}).json
    first_link = mailbox.link_for("ann@example.com")
    response = api.patch(f"/coachees/{added['id']}", json={"email": "ann.lee@example.com"})
    assert response.status_code == 200
    assert response.json["email"] == "ann.lee@example.com"
    assert response.json["name"] == "Ann Lee"  # not given, so kept
    assert response.json["cycle_ids"] == [cycle["id"]]
    # As on the page: the open cycle's portal link goes to the new address, the old stops.
    new_link = mailbox.link_for("ann.lee@example.com")
    assert new_link != first_link
    assert api.client.get(first_link).status_code == 404
    assert api.client.get(new_link).status_code == 200


def test_bad_coachees_are_422_problems_with_their_fields(api, app):
    before = row_counts(app)
    cases = [
        ({"name": "", "email": "x@example.com"}, {"body.name"}),
        ({"name": "   ", "email": "x@example.com"}, {"body.name"}),
        ({"name": "X", "email": "not an address"}, {"body.email"}),
        ({"email": "x@example.com"}, {"body.name"}),
        ({"name": "X" * 121, "email": "x@example.com"}, {"body.name"}),
        ({"name": "X", "email": "x@example.com", "coach_id": 2}, {"body.coach_id"}),
        ({"name": "N\x00ul", "email": "x@example.com"}, {"body.name"}),
        ([], {"body"}),
    ]
    for body, fields in cases:
        response = api.post("/coachees", json=body)
        assert response.status_code == 422, body
        assert response.mimetype == PROBLEM
        problem = response.json
        assert problem["status"] == 422 and problem["title"]
        assert {error["field"] for error in problem["errors"]} == fields, body
        assert all(error["message"] for error in problem["errors"])
    response = api.post(
        "/coachees", data="name=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and response.mimetype == PROBLEM
    response = api.post("/coachees", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM
    assert row_counts(app) == before


def test_delete_a_coachee_with_everything_of_theirs(api, app, world):
    export = api.get(f"/coachees/{world['coachee_id']}/export")
    assert export.status_code == 200
    assert export.json["coachee"]["email"] == "casey@example.com"
    assert len(export.json["cycles"]) == 2
    assert "score" not in str(export.json["cycles"][0]["raters_asked"])  # who, never what
    response = api.delete(f"/coachees/{world['coachee_id']}")
    assert response.status_code == 204
    assert api.get(f"/coachees/{world['coachee_id']}").status_code == 404
    assert api.get(f"/cycles/{world['closed_cycle_id']}").status_code == 404
    with app.app_context():
        left = db.session.scalars(db.select(Invite.cycle_id)).all()
    assert set(left) == {world["b_cycle_id"]}  # only coach B's raters remain


def test_start_a_cycle(api, world, mailbox):
    response = api.post(
        f"/coachees/{world['coachee_id']}/cycles",
        json={"closes_on": later(10), "welcome_note": "Hello.", "boss_exempt": False},
    )
    assert response.status_code == 201
    cycle = response.json
    assert cycle["state"] == "open" and cycle["closes_on"] == later(10)
    assert cycle["boss_exempt"] is False and cycle["welcome_note"] == "Hello."
    assert cycle["questionnaire"].startswith("career-360")
    assert len(mailbox.to("casey@example.com")) >= 3  # a portal link per cycle
    listed = api.get(f"/coachees/{world['coachee_id']}/cycles").json["cycles"]
    assert [c["id"] for c in listed][-1] == cycle["id"]


def test_a_cycle_needs_a_deadline_within_a_year_and_a_known_questionnaire(api, world, app):
    before = row_counts(app)
    path = f"/coachees/{world['coachee_id']}/cycles"
    for body, field in [
        ({"closes_on": (today() - timedelta(days=1)).isoformat()}, "body.closes_on"),
        ({"closes_on": later(400)}, "body.closes_on"),
        ({"closes_on": "next week"}, "body.closes_on"),
        ({}, "body.closes_on"),
        ({"closes_on": later(), "questionnaire": "other"}, "body.questionnaire"),
        ({"closes_on": later(), "welcome_note": "x" * 2001}, "body.welcome_note"),
    ]:
        response = api.post(path, json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json["errors"]] == [field], body
    assert row_counts(app) == before


def test_close_reopen_and_close_again(api, world):
    cycle_id = world["open_cycle_id"]
    assert api.get(f"/cycles/{cycle_id}/results").status_code == 409
    response = api.post(f"/cycles/{cycle_id}/close")
    assert response.status_code == 200 and response.json["state"] == "closed"
    assert response.json["closed_at"]
    again = api.post(f"/cycles/{cycle_id}/close")
    assert again.status_code == 409 and again.mimetype == PROBLEM

    # Reopening asks, as the page does, for the coach's word that they read the warning.
    for body in ({"closes_on": later(7)}, {"closes_on": later(7), "understood": False}):
        response = api.post(f"/cycles/{cycle_id}/reopen", json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == ["body.understood"]
    response = api.post(
        f"/cycles/{cycle_id}/reopen", json={"closes_on": later(7), "understood": True}
    )
    assert response.status_code == 200
    assert (response.json["state"], response.json["closes_on"]) == ("open", later(7))
    assert response.json["closed_at"] is None
    assert api.get(f"/cycles/{cycle_id}/results").status_code == 409  # hidden again
    response = api.post(
        f"/cycles/{cycle_id}/reopen", json={"closes_on": later(7), "understood": True}
    )
    assert response.status_code == 409
    response = api.post(f"/cycles/{cycle_id}/keep-results", json={"understood": True})
    assert response.status_code == 409


def test_release_only_a_closed_cycle_with_answers(api, world, app):
    response = api.post(f"/cycles/{world['open_cycle_id']}/release")
    assert response.status_code == 409
    response = api.post(f"/cycles/{world['closed_cycle_id']}/release")
    assert response.status_code == 200 and response.json["released_at"]
    empty = api.post(f"/coachees/{world['coachee_id']}/cycles", json={"closes_on": later()}).json
    api.post(f"/cycles/{empty['id']}/close", json={"below_minimum": True})
    response = api.post(f"/cycles/{empty['id']}/release")
    assert response.status_code == 409
    assert "no rater has answered" in response.json["detail"]
    results = api.get(f"/cycles/{empty['id']}/results")
    assert results.status_code == 200 and results.json["results"] is None
