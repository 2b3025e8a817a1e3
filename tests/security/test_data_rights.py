"""Data rights: deleting a coachee removes every row about them (and nothing else),
the export holds the coachee's own data but no rater's answers and not who answered,
and retention erases raters' addresses of long-closed cycles."""

import json
from datetime import timedelta

import pytest
from security_support import build_world, row_counts
from sqlalchemy import select, update
from support import Browser, csrf_token, sign_in

from feedback.accounts.models import Coach
from feedback.coaching.audit import AuditEvent
from feedback.coaching.models import Coachee, Cycle
from feedback.cycles.jobs import run_round
from feedback.cycles.notes import note_cycle_closed
from feedback.extensions import db
from feedback.mail.models import OutboxMessage
from feedback.raters.models import Invite
from feedback.timeutil import utcnow


def signed_in(app, email: str) -> Browser:
    browser = Browser(app.test_client())
    sign_in(browser, email, "long enough pw")
    return browser


def test_deleting_a_coachee_removes_every_row_about_them(app):
    keep = build_world(app, "keep@example.com", name="Kept Person")
    only_keep = row_counts(app)
    gone = build_world(app, "gone@example.com", name="Gone Person")
    with app.app_context():
        # A note to the coach: about the cycle, to no rater and not to the coachee.
        assert note_cycle_closed(db.session.get(Cycle, gone["cycle_id"]), by_deadline=False)
        db.session.commit()
    coach = signed_in(app, "gone@example.com")
    before = row_counts(app)

    page = coach.get(f"/coachees/{gone['coachee_id']}/delete")
    assert page.status_code == 200
    assert "Gone Person" in page.text and "4 sets" not in page.text  # counts are shown
    assert "5 sets of answers" in page.text  # four raters and the self-assessment
    # Two portal emails, five invitations and the note to the coach.
    assert "8 emails sent or waiting" in page.text
    response = coach.post(
        f"/coachees/{gone['coachee_id']}/delete", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    after = row_counts(app)

    with app.app_context():
        assert db.session.get(Coachee, gone["coachee_id"]) is None
        assert (
            db.session.scalar(
                select(Invite).where(Invite.cycle_id.in_([gone["cycle_id"], gone["open_cycle_id"]]))
            )
            is None
        )
        leftovers = db.session.scalars(
            select(OutboxMessage.to_address).where(
                OutboxMessage.to_address.like("%gone@example.com")
            )
        ).all()
        assert leftovers == []
        about_them = db.session.scalars(
            select(OutboxMessage.subject).where(OutboxMessage.subject.like("%Gone Person%"))
        ).all()
        assert about_them == []
    # Every table is back to what it held before the coachee existed, but for their
    # coach's account and its audit trail's one line that a coachee was deleted, which
    # names nobody.
    assert {
        **after,
        "coaches": after["coaches"] - 1,
        "audit_events": after["audit_events"] - 1,
    } == only_keep
    with app.app_context():
        (line,) = db.session.scalars(
            select(AuditEvent)
            .join(Coach, Coach.id == AuditEvent.coach_id)
            .where(Coach.email == "gone@example.com")
        ).all()
        assert (line.action, line.coachee_id, line.cycle_id) == ("delete", None, None)
        assert "Gone" not in line.detail and "@" not in line.detail
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    for table in ("coachees", "cycles", "invites", "responses", "ratings", "open_answers"):
        assert table in changed, table
    assert "coaches" not in changed  # the coach stays
    assert "questionnaires" not in changed and "items" not in changed  # shared
    # Deleting the same coachee built again gives the same counts as before it existed:
    # every table shrinks exactly by what the coachee's world added.
    rebuilt = build_world(app, "again@example.com", name="Gone Again")
    with_again = row_counts(app)
    coach = signed_in(app, "again@example.com")
    page = coach.get(f"/coachees/{rebuilt['coachee_id']}/delete")
    coach.post(
        f"/coachees/{rebuilt['coachee_id']}/delete", data={"csrf_token": csrf_token(page.text)}
    )
    final = row_counts(app)
    for table in final:
        if table in ("coaches",):
            assert final[table] == with_again[table]
        elif table == "audit_events":  # one more line: a coachee was deleted
            assert final[table] == after[table] + 1
        elif table not in ("questionnaires", "competencies", "items", "open_questions"):
            assert final[table] == after[table], (table, final[table], after[table])
    # The other coach's coachee is untouched.
    keeper = signed_in(app, "keep@example.com")
    assert keeper.get(f"/cycles/{keep['cycle_id']}").status_code == 200


def test_the_export_holds_the_coachees_data_and_no_rater_answers(app):
    world = build_world(app, "exp@example.com", name="Ex Porter")
    coach = signed_in(app, "exp@example.com")
    response = coach.get(f"/coachees/{world['coachee_id']}/export.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["coachee"] == {
        "name": "Ex Porter",
        "email": "coachee.exp@example.com",
        "added_at": data["coachee"]["added_at"],
    }
    assert len(data["cycles"]) == 2
    first = data["cycles"][0]
    assert {r["email"] for r in first["raters_asked"]} == {
        "boss.exp@example.com",
        *{f"peer{n}.exp@example.com" for n in range(3)},
    }
    assert all(set(r) == {"email", "name", "group"} for r in first["raters_asked"])  # no state
    assert first["self_assessment"]["submitted"] is True
    assert {a["text"] for a in first["self_assessment"]["answers"]} == {"Me."}
    dumped = json.dumps(data)
    assert "Fine." not in dumped  # the raters' headlines stay theirs
    assert "submitted" not in json.dumps(first["raters_asked"])
    # Another coach gets nothing.
    build_world(app, "other@example.com")
    other = signed_in(app, "other@example.com")
    assert other.get(f"/coachees/{world['coachee_id']}/export.json").status_code == 404


def closed_days_ago(app, cycle_id: int, days: int) -> None:
    """Date the close of ``cycle_id`` back by ``days``."""
    with app.app_context():
        db.session.execute(
            update(Cycle)
            .where(Cycle.id == cycle_id)
            .values(closed_at=utcnow() - timedelta(days=days))
        )
        db.session.commit()


def test_retention_erases_rater_addresses_of_long_closed_cycles(app):
    old = build_world(app, "old@example.com")
    recent = build_world(app, "new@example.com")
    closed_days_ago(app, old["cycle_id"], 40)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["retention", "apply"]).exit_code == 2  # no setting
    assert runner.invoke(args=["retention", "apply", "--days", "0"]).exit_code == 2
    assert runner.invoke(args=["retention", "apply", "--days", "x"]).exit_code == 2
    result = runner.invoke(args=["retention", "apply", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "erased 4 raters" in result.output
    with app.app_context():
        erased = db.session.scalars(select(Invite).where(Invite.cycle_id == old["cycle_id"])).all()
        assert all("@" not in i.email and i.name == "" and i.draft is None for i in erased)
        assert {i.state for i in erased} == {"submitted"}  # the counts stay right
        assert (
            db.session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.invite_id.in_([i.id for i in erased]))
            )
            is None
        )
        kept = db.session.scalars(
            select(Invite.email).where(
                Invite.cycle_id.in_(
                    [recent["cycle_id"], old["open_cycle_id"], recent["open_cycle_id"]]
                )
            )
        ).all()
        assert all("@" in email for email in kept) and len(kept) == 6
    # The old rater links are dead; the dashboard still has its figures.
    assert app.test_client().get(old["rater_links"][0]).status_code == 404
    assert signed_in(app, "old@example.com").get(f"/cycles/{old['cycle_id']}").status_code == 200
    again = runner.invoke(args=["retention", "apply", "--days", "30"])
    assert "erased 0 raters" in again.output
    app.config["RETENTION_DAYS"] = 30
    assert runner.invoke(args=["retention", "apply"]).exit_code == 0


def test_the_mail_round_applies_the_retention_when_it_is_set(app, make_app):
    world = build_world(app, "old@example.com")

    def emails() -> list[str]:
        with app.app_context():
            query = select(Invite.email).where(Invite.cycle_id == world["cycle_id"])
            return db.session.scalars(query).all()

    closed_days_ago(app, world["cycle_id"], 40)
    with app.app_context():
        assert run_round()["erased"] == 0  # no retention set: nothing erased
    assert all("@" in email for email in emails())
    app.config["RETENTION_DAYS"] = 60
    with app.app_context():
        assert run_round()["erased"] == 0  # closed 40 days ago, kept 60
    app.config["RETENTION_DAYS"] = 30
    with app.app_context():
        assert run_round()["erased"] == 4
    assert not any("@" in email for email in emails())
    with pytest.raises(ValueError, match="FEEDBACK_RETENTION_DAYS"):
        make_app(RETENTION_DAYS="a month")
