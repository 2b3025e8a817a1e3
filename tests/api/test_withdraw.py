"""Removing a nomination: one whose invitation has not reached the rater is deleted
with its mail; one it reached is removed the same way whether or not the rater
answered, so nobody learns who answered."""

from api_support import row_counts
from sqlalchemy import func, select, update

from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.raters.models import Invite
from feedback.vocabulary import InviteState


def invites_by_state(app, cycle_id: int) -> dict[InviteState, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Invite.state, Invite.id).where(Invite.cycle_id == cycle_id)
        )
        return dict(rows.all())


def set_state(app, invite_id: int, state: InviteState) -> None:
    with app.app_context():
        db.session.execute(update(Invite).where(Invite.id == invite_id).values(state=state))
        db.session.commit()


def test_a_nomination_not_yet_sent_or_bounced_is_withdrawn_with_its_mail(api, app, world):
    cycle_id = world["open_cycle_id"]
    pending = invites_by_state(app, cycle_id)[InviteState.PENDING]
    with app.app_context():
        queued = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.invite_id == pending)
        )
    assert queued == 1  # its invitation, not sent yet
    response = api.delete(f"/cycles/{cycle_id}/nominations/{pending}")
    assert response.status_code == 204
    listed = [n["id"] for n in api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]]
    assert pending not in listed and len(listed) == 1
    assert api.get(f"/cycles/{cycle_id}/progress").json["groups"]["peer"]["invited"] == 1
    with app.app_context():
        left = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.invite_id == pending)
        )
    assert left == 0
    assert api.delete(f"/cycles/{cycle_id}/nominations/{pending}").status_code == 404

    bounced = api.post(
        f"/cycles/{cycle_id}/nominations",
        json={"raters": [{"email": "typo@exmaple.org", "group": "peer"}]},
    ).json["invited"][0]["id"]
    set_state(app, bounced, InviteState.BOUNCED)
    assert api.get(f"/cycles/{cycle_id}/nominations").json["nominations"][-1]["bounced"] is True
    assert api.delete(f"/cycles/{cycle_id}/nominations/{bounced}").status_code == 204


def test_a_reached_rater_is_removed_alike_whether_they_answered_or_not(api, app, world):
    cycle_id = world["open_cycle_id"]
    states = invites_by_state(app, cycle_id)
    answered, unanswered = states[InviteState.SUBMITTED], states[InviteState.PENDING]
    set_state(app, unanswered, InviteState.SENT)
    progress = api.get(f"/cycles/{cycle_id}/progress").json
    before = row_counts(app)
    answers = []
    for invite_id in (answered, unanswered):
        response = api.delete(f"/cycles/{cycle_id}/nominations/{invite_id}")
        answers.append((response.status_code, response.get_data()))
    assert answers[0] == answers[1] == (204, b"")
    # Both stay as rows, so the counts per group do not move and nothing tells who
    # had answered (their queued mail, never sent here, is withdrawn with them); the
    # list shows both alike, without address or name.
    after = row_counts(app)
    assert after["outbox_messages"] == before["outbox_messages"] - 2
    assert {k: v for k, v in after.items() if k != "outbox_messages"} == {
        k: v for k, v in before.items() if k != "outbox_messages"
    }
    assert api.get(f"/cycles/{cycle_id}/progress").json == progress
    listed = api.get(f"/cycles/{cycle_id}/nominations").json["nominations"]
    shown = [{k: v for k, v in n.items() if k != "id"} for n in listed]
    removed = {"email": "", "name": "", "group": "peer", "language": "en", "state": "removed"}
    assert shown == [{**removed, "bounced": False}] * 2
    assert api.delete(f"/cycles/{cycle_id}/nominations/{answered}").status_code == 404


def test_withdrawing_needs_an_open_cycle_of_ones_own(api, app, world):
    closed = world["closed_cycle_id"]
    with app.app_context():
        invite_id = db.session.scalar(select(Invite.id).where(Invite.cycle_id == closed))
    assert api.delete(f"/cycles/{closed}/nominations/{invite_id}").status_code == 409
    # An invite of another cycle under this cycle's URL, and another coach's, are 404.
    other = invites_by_state(app, world["open_cycle_id"])[InviteState.PENDING]
    assert api.delete(f"/cycles/{closed}/nominations/{other}").status_code == 404
    with app.app_context():
        b_invite = db.session.scalar(
            select(Invite.id).where(Invite.cycle_id == world["b_cycle_id"])
        )
    assert api.delete(f"/cycles/{world['b_cycle_id']}/nominations/{b_invite}").status_code == 404
