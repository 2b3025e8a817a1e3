"""A coach's own practice through the API, with the pages' rules: the questionnaire,
the approval of nominations and the minimum raters when a cycle starts; closing below
the minimum; approving, removing and correcting nominees."""

from dataclasses import replace
from datetime import timedelta

import pytest
from api_support import row_counts
from sqlalchemy import select

from feedback.accounts.services import coach_by_email
from feedback.coaching.audit import AuditEvent
from feedback.coaching.models import Cycle
from feedback.coaching.questionnaires import save_questionnaire
from feedback.cycles.nominations import nominate_by_coachee
from feedback.extensions import db
from feedback.questionnaires import default_questionnaire
from feedback.raters import services as raters
from feedback.raters.models import Invite
from feedback.timeutil import today

PROBLEM = "application/problem+json"
NO_MINIMUMS = {"min_boss": 0, "min_peers": 0, "min_subordinates": 0, "min_raters": 0}
TEAM = ["boss@example.org", "peer1@example.org", "peer2@example.org"]


def later(days: int = 14) -> str:
    return (today() + timedelta(days=days)).isoformat()


def own_questionnaire(app, coach_email: str, key: str) -> None:
    with app.test_request_context():
        spec = replace(default_questionnaire(), key=key, title=f"Own {key}", version=1)
        save_questionnaire(spec, coach_by_email(coach_email))
        db.session.commit()


def waiting_cycle(api, world, app) -> int:
    """A cycle whose nominations wait for the coach, and three that the coachee made."""
    response = api.post(
        f"/coachees/{world['coachee_id']}/cycles",
        json={"closes_on": later(), "approve_nominations": True, **NO_MINIMUMS},
    )
    assert response.status_code == 201, response.json
    cycle_id = response.json["id"]
    with app.test_request_context():
        cycle = db.session.get(Cycle, cycle_id)
        team = [raters.Nomination(email, email.split("@")[0].rstrip("12")) for email in TEAM]
        nominate_by_coachee(cycle, team)
        db.session.commit()
    return cycle_id


def ids_by_email(api, cycle_id: int) -> dict[str, int]:
    listed = api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]
    return {n["email"]: n["id"] for n in listed}


def test_a_cycle_starts_with_the_pages_defaults(api, world):
    response = api.post(f"/coachees/{world['coachee_id']}/cycles", json={"closes_on": later()})
    assert response.status_code == 201
    cycle = response.json
    assert (cycle["min_boss"], cycle["min_peers"], cycle["min_subordinates"]) == (1, 3, 3)
    assert cycle["min_raters"] == 8 and cycle["approve_nominations"] is False
    assert cycle["questionnaire_key"] == default_questionnaire().key
    assert cycle["questionnaire_version"] >= 1
    assert api.get(f"/cycles/{cycle['id']}").json == cycle


def test_a_cycle_takes_an_own_questionnaire_approval_and_minimums(api, world, app):
    own_questionnaire(app, "coach@example.com", "mine-360")
    body = {
        "closes_on": later(),
        "questionnaire": "mine-360",
        "approve_nominations": True,
        "min_boss": 0,
        "min_peers": 2,
        "min_subordinates": 0,
        "min_raters": 60,
    }
    response = api.post(f"/coachees/{world['coachee_id']}/cycles", json=body)
    assert response.status_code == 201
    cycle = api.get(f"/cycles/{response.json['id']}").json
    assert (cycle["questionnaire_key"], cycle["questionnaire_version"]) == ("mine-360", 1)
    assert cycle["approve_nominations"] is True
    assert [cycle[k] for k in ("min_boss", "min_peers", "min_subordinates", "min_raters")] == [
        0,
        2,
        0,
        60,
    ]
    assert cycle["min_group_size"] == 3  # the minimums never lower k
    with app.app_context():
        stored = db.session.get(Cycle, cycle["id"])
        assert stored.questionnaire.key == "mine-360" and stored.approve_nominations


def test_another_coachs_or_an_unknown_questionnaire_and_bad_minimums_are_422(api, world, app):
    own_questionnaire(app, "b@example.com", "theirs-360")
    before = row_counts(app)
    path = f"/coachees/{world['coachee_id']}/cycles"
    for extra, field in [
        ({"questionnaire": "theirs-360"}, "body.questionnaire"),
        ({"questionnaire": "nothing-like-it"}, "body.questionnaire"),
        ({"questionnaire": ""}, "body.questionnaire"),
        ({"min_peers": 61}, "body.min_peers"),
        ({"min_boss": -1}, "body.min_boss"),
        ({"min_raters": "eight"}, "body.min_raters"),
        ({"approve_nominations": "perhaps"}, "body.approve_nominations"),
    ]:
        response = api.post(path, json={"closes_on": later(), **extra})
        assert response.status_code == 422 and response.mimetype == PROBLEM, extra
        assert [e["field"] for e in response.json["errors"]] == [field], extra
    assert row_counts(app) == before


def test_closing_below_the_minimum_needs_the_coachs_word(api, world, app):
    cycle_id = api.post(
        f"/coachees/{world['coachee_id']}/cycles", json={"closes_on": later()}
    ).json["id"]
    for body in (None, {}, {"below_minimum": False}):
        response = api.post(f"/cycles/{cycle_id}/close", json=body)
        assert response.status_code == 409 and response.mimetype == PROBLEM, body
        assert (
            "still needed: 1 more boss, 3 more peers, 3 more subordinates and 1 more from"
            in (response.json["detail"])
        )
        assert '"below_minimum": true' in response.json["detail"]
    assert api.get(f"/cycles/{cycle_id}").json["state"] == "open"
    response = api.post(f"/cycles/{cycle_id}/close", json={"below_minimum": "yes please"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["body.below_minimum"]

    response = api.post(f"/cycles/{cycle_id}/close", json={"below_minimum": True})
    assert response.status_code == 200 and response.json["state"] == "closed"
    again = api.post(f"/cycles/{cycle_id}/close", json={"below_minimum": True})
    assert again.status_code == 409 and "already closed" in again.json["detail"]


def test_the_document_says_which_bodies_may_be_left_out(api):
    paths = api.get("/openapi.json").json["paths"]
    close = paths["/api/v1/cycles/{cycle_id}/close"]["post"]
    approve = paths["/api/v1/cycles/{cycle_id}/nominations/approve"]["post"]
    correct = paths["/api/v1/cycles/{cycle_id}/nominations/{invite_id}"]["patch"]
    assert close["requestBody"]["required"] is False
    assert approve["requestBody"]["required"] is False
    assert correct["requestBody"]["required"] is True


def test_a_cycle_that_meets_its_minimums_closes_without_asking(api, world):
    # The open cycle of the world has one peer's answer and no minimums.
    response = api.post(f"/cycles/{world['open_cycle_id']}/close")
    assert response.status_code == 200 and response.json["state"] == "closed"


def test_the_coach_approves_some_then_all_and_the_invitations_leave(api, world, app, mailbox):
    cycle_id = waiting_cycle(api, world, app)
    listed = api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]
    assert [n["state"] for n in listed] == ["awaiting"] * 3
    assert not any(mailbox.to(email) for email in TEAM)
    ids = ids_by_email(api, cycle_id)
    approve = f"/cycles/{cycle_id}/nominations/approve"

    for body, field in [
        ({"ids": []}, "body.ids"),
        ({"ids": ["x"]}, "body.ids.0"),
        ({"ids": [1, 2**40]}, "body.ids.1"),  # beyond any id a column holds
    ]:
        response = api.post(approve, json=body)
        assert response.status_code == 422
        assert [e["field"] for e in response.json["errors"]] == [field]

    response = api.post(approve, json={"ids": [ids["boss@example.org"], world["b_invite_id"]]})
    assert response.status_code == 200
    assert [n["email"] for n in response.json["approved"]] == ["boss@example.org"]
    assert response.json["approved"][0]["state"] == "invited"
    assert response.json["still_missing"] is None  # no minimums on this cycle
    assert len(mailbox.to("boss@example.org")) == 1
    assert not mailbox.to("peer1@example.org")

    response = api.post(approve)  # no body: all that wait
    assert response.status_code == 200
    assert sorted(n["email"] for n in response.json["approved"]) == TEAM[1:]
    assert len(mailbox.to("peer1@example.org")) == len(mailbox.to("peer2@example.org")) == 1
    assert api.post(approve, json={}).json["approved"] == []
    assert len(mailbox.to("boss@example.org")) == 1  # nothing sent twice
    states = [n["state"] for n in api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]]
    assert states == ["invited"] * 3
    with app.app_context():
        trail = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "approve").order_by(AuditEvent.id)
        ).all()
        assert [(e.cycle_id, e.detail, e.actor) for e in trail] == [
            (cycle_id, "1 nomination", "api token CRM"),
            (cycle_id, "2 nominations", "api token CRM"),
        ]


def test_still_missing_names_what_the_list_lacks(api, world, app):
    response = api.post(
        f"/coachees/{world['coachee_id']}/cycles",
        json={"closes_on": later(), "approve_nominations": True},
    )
    cycle_id = response.json["id"]
    with app.test_request_context():
        nominate_by_coachee(
            db.session.get(Cycle, cycle_id), [raters.Nomination("p@example.org", "peer")]
        )
        db.session.commit()
    response = api.post(f"/cycles/{cycle_id}/nominations/approve")
    assert response.json["still_missing"] == (
        "1 more boss, 2 more peers, 3 more subordinates and 1 more from any group"
    )


def test_the_coachs_own_nominations_are_invited_at_once(api, world, app, mailbox):
    cycle_id = waiting_cycle(api, world, app)
    response = api.post(
        f"/cycles/{cycle_id}/nominations",
        json={"raters": [{"email": "dana@example.org", "group": "peer"}]},
    )
    assert response.status_code == 201
    assert response.json["invited"][0]["state"] == "invited"
    assert len(mailbox.to("dana@example.org")) == 1


def test_approving_needs_a_write_token_an_open_cycle_and_ones_own(api, reader, world, app, mailbox):
    cycle_id = waiting_cycle(api, world, app)
    approve = f"/cycles/{cycle_id}/nominations/approve"
    assert reader.get(f"/cycles/{cycle_id}/nominations").status_code == 200
    assert reader.post(approve).status_code == 403
    assert api.post(f"/cycles/{world['b_cycle_id']}/nominations/approve").status_code == 404
    assert [n["state"] for n in api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]] == [
        "awaiting"
    ] * 3
    assert api.post(f"/cycles/{cycle_id}/close", json={"below_minimum": True}).status_code == 200
    response = api.post(approve)
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert not any(mailbox.to(email) for email in TEAM)


def test_the_coach_removes_a_waiting_or_an_invited_nominee(api, world, app, mailbox):
    cycle_id = waiting_cycle(api, world, app)
    ids = ids_by_email(api, cycle_id)
    waiting = ids["peer2@example.org"]
    assert api.delete(f"/cycles/{cycle_id}/nominations/{waiting}").status_code == 204
    api.post(f"/cycles/{cycle_id}/nominations/approve")
    assert not mailbox.to("peer2@example.org")  # removed before approval: never invited

    # An invited nominee (whose mail left) stays as a removed row; the link stops working.
    link = mailbox.link_for("peer1@example.org")
    assert api.delete(f"/cycles/{cycle_id}/nominations/{ids['peer1@example.org']}").status_code == (
        204
    )
    assert app.test_client().get(link).status_code == 404
    listed = api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]
    assert [(n["email"], n["state"]) for n in listed] == [
        ("boss@example.org", "invited"),
        ("", "removed"),
    ]
    again = api.delete(f"/cycles/{cycle_id}/nominations/{ids['peer1@example.org']}")
    assert again.status_code == 404 and again.mimetype == PROBLEM


def test_the_coach_corrects_an_address_or_a_group(api, world, app, mailbox):
    cycle_id = waiting_cycle(api, world, app)
    ids = ids_by_email(api, cycle_id)
    path = f"/cycles/{cycle_id}/nominations/{ids['peer1@example.org']}"
    before = row_counts(app)
    for body, field in [
        ({"email": "not an address"}, "body.email"),
        ({"group": "manager"}, "body.group"),
        ({"email": "peer2@example.org"}, "body.email"),  # already on the list
        ({"email": "casey@example.com"}, "body.email"),  # the coachee's own
        ({"name": "Pat"}, "body.name"),
    ]:
        response = api.patch(path, json=body)
        assert response.status_code == 422 and response.mimetype == PROBLEM, body
        assert [e["field"] for e in response.json["errors"]] == [field], body
    assert row_counts(app) == before

    unchanged = api.patch(path, json={"email": "PEER1@example.org", "group": "peer"})
    assert unchanged.status_code == 200 and unchanged.json["id"] == ids["peer1@example.org"]
    assert unchanged.json["state"] == "awaiting"

    # The coach's correction is the coach's own: invited at once, under a new id.
    response = api.patch(path, json={"email": "Pat@Example.org", "group": "subordinate"})
    assert response.status_code == 200
    corrected = response.json
    assert (corrected["email"], corrected["group"], corrected["state"]) == (
        "pat@example.org",
        "subordinate",
        "invited",
    )
    assert corrected["id"] != ids["peer1@example.org"]
    assert len(mailbox.to("pat@example.org")) == 1
    assert api.patch(path, json={"group": "peer"}).status_code == 404  # no longer listed
    with app.app_context():
        assert db.session.get(Invite, ids["peer1@example.org"]) is None  # never reached

    # A group alone.
    path = f"/cycles/{cycle_id}/nominations/{corrected['id']}"
    response = api.patch(path, json={"group": "peer"})
    assert response.status_code == 200 and response.json["email"] == "pat@example.org"
    assert response.json["group"] == "peer"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_changing_a_nominee_needs_a_write_token_an_open_cycle_and_ones_own(
    api, reader, world, app, method
):
    cycle_id = world["open_cycle_id"]
    with app.app_context():
        invite_id = db.session.scalar(select(Invite.id).where(Invite.cycle_id == cycle_id))
        closed_invite = db.session.scalar(
            select(Invite.id).where(Invite.cycle_id == world["closed_cycle_id"])
        )
    body = {"json": {"group": "boss"}} if method == "patch" else {}
    before = row_counts(app)
    mine = f"/cycles/{cycle_id}/nominations/{invite_id}"
    assert getattr(reader, method)(mine, **body).status_code == 403
    theirs = f"/cycles/{world['b_cycle_id']}/nominations/{world['b_invite_id']}"
    assert getattr(api, method)(theirs, **body).status_code == 404
    crossed = f"/cycles/{cycle_id}/nominations/{world['b_invite_id']}"
    assert getattr(api, method)(crossed, **body).status_code == 404
    closed = f"/cycles/{world['closed_cycle_id']}/nominations/{closed_invite}"
    response = getattr(api, method)(closed, **body)
    assert response.status_code == 409 and response.mimetype == PROBLEM
    assert row_counts(app) == before
