"""A coachee's data rights, exercised by their coach: a copy of their data (export) and
erasure (delete). Retention, the erasure of raters' addresses some days after a cycle
closes, is in :mod:`.retention`.

The export holds what is the coachee's own: who they are, their cycles, whom they asked
for feedback and their own self-assessment. It holds neither raters' individual answers
(those are the raters' words, promised to be pooled and anonymous; the coachee sees
them only as the released report) nor which rater answered or declined (the coachee is
told how many answered per group, never who).
"""

from sqlalchemy import delete, func, select

from ..coaching import audit
from ..coaching.models import Coachee, Cycle
from ..database import erase_old_versions_after_commit
from ..extensions import db
from ..journey.services import journey_export
from ..mail.models import OutboxMessage
from ..pulses.models import Pulse, PulseInvite
from ..pulses.services import pulses_of_cycle
from ..raters.models import Invite
from ..ratings.frames import answers_of, self_response
from ..ratings.models import Response
from ..timeutil import utcnow

# ---------------------------------------------------------------- export


def coachee_export(coachee: Coachee) -> dict:
    """Everything the service holds that is the coachee's own, as JSON-ready data."""
    return {
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "coachee": {
            "name": coachee.name,
            "email": coachee.email,
            "added_at": coachee.created_at.isoformat(timespec="seconds"),
        },
        "coach": {"name": coachee.coach.name, "email": coachee.coach.email},
        "cycles": [_cycle_export(cycle) for cycle in coachee.cycles],
        "audit_trail": [
            {
                "at": _when(event.at),
                "action": event.action,
                "by": event.actor,
                "cycle_id": event.cycle_id,
                "detail": event.detail,
            }
            for event in audit.trail_of(coachee)
        ],
        "journey": journey_export(coachee),
        "not_included": (
            "Raters' individual answers belong to the raters, who were promised that "
            "their answers are pooled and shown only in groups; which rater answered or "
            "declined is not shown either. The report released to the coachee holds "
            "what can be shown."
        ),
    }


def _when(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _cycle_export(cycle: Cycle) -> dict:
    questionnaire = cycle.questionnaire
    response = self_response(cycle)
    self_assessment = None
    if response is not None:
        answers = answers_of(response)
        items = {item.key: item for item in questionnaire.items}
        questions = {question.key: question for question in questionnaire.open_questions}
        self_assessment = {
            "submitted": response.submitted,
            "ratings": [
                {
                    "item_key": key,
                    "statement": items[key].self_text if key in items else None,
                    "score": score,
                }
                for key, score in answers.scores.items()
            ],
            "answers": [
                {
                    "question_key": key,
                    "question": questions[key].self_text if key in questions else None,
                    "text": text,
                }
                for key, text in answers.texts.items()
            ],
        }
    # Removed nominees are left out: their address and name were erased when removed.
    invites = db.session.scalars(
        select(Invite)
        .where(Invite.cycle_id == cycle.id, Invite.removed_at.is_(None))
        .order_by(Invite.id)
    ).all()
    return {
        "id": cycle.id,
        "state": str(cycle.state),
        "questionnaire": f"{questionnaire.title} (version {questionnaire.version})",
        "started_at": _when(cycle.created_at),
        "closes_on": cycle.closes_on.isoformat(),
        "closed_at": _when(cycle.closed_at),
        "released_at": _when(cycle.released_at),
        "welcome_note": cycle.welcome_note,
        "raters_asked": [
            {"email": invite.email, "name": invite.name, "group": invite.group}
            for invite in invites
        ],
        "self_assessment": self_assessment,
        "pulses": [_pulse_export(pulse) for pulse in pulses_of_cycle(cycle)],
    }


def _pulse_export(pulse: Pulse) -> dict:
    """A pulse on the cycle: what it re-checked, when, and whom it asked (as for the
    cycle's raters: never whether each answered, never what they said)."""
    asked = db.session.scalars(
        select(PulseInvite).where(PulseInvite.pulse_id == pulse.id).order_by(PulseInvite.id)
    ).all()
    return {
        "statements": list(pulse.statements),
        "started_at": _when(pulse.created_at),
        "closes_on": pulse.closes_on.isoformat(),
        "closed_at": _when(pulse.closed_at),
        "raters_asked": [
            {"email": invite.email, "name": invite.name, "group": invite.group} for invite in asked
        ],
    }


# ---------------------------------------------------------------- erasure


def _messages_of(cycle_ids: list[int]):
    """The outbox rows about the coachee's cycles: invitations and reminders to their
    raters, their portal mail, notes to the coach (every message names its cycle)."""
    return OutboxMessage.cycle_id.in_(cycle_ids)


def erasure_counts(coachee: Coachee) -> dict[str, int]:
    """How many cycles, invites, responses, messages and pulses deleting ``coachee``
    removes."""
    cycle_ids = [cycle.id for cycle in coachee.cycles]
    count = db.session.scalar
    return {
        "cycles": len(cycle_ids),
        "invites": count(
            select(func.count()).select_from(Invite).where(Invite.cycle_id.in_(cycle_ids))
        ),
        "responses": count(
            select(func.count()).select_from(Response).where(Response.cycle_id.in_(cycle_ids))
        ),
        "messages": count(
            select(func.count()).select_from(OutboxMessage).where(_messages_of(cycle_ids))
        ),
        "pulses": count(
            select(func.count()).select_from(Pulse).where(Pulse.cycle_id.in_(cycle_ids))
        ),
    }


def delete_coachee(coachee: Coachee) -> None:
    """Erase the coachee with every cycle, invite, response (with its ratings and
    answers) and message about them. Everything hanging off a cycle goes with it
    (foreign keys cascade: its pulses, with whom they asked and their answers), and so
    does everything hanging off the coachee (their journey: answers, homework, the
    coach's session notes, skill gaps, options, success criteria, first steps); the
    outbox rows are removed here."""
    cycle_ids = [cycle.id for cycle in coachee.cycles]
    coach = coachee.coach
    db.session.execute(
        delete(audit.AuditEvent)
        .where(audit.AuditEvent.coachee_id == coachee.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(_messages_of(cycle_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.delete(coachee)
    db.session.flush()
    # The coachee's own trail goes with them; what remains says only that a coachee
    # was deleted, never who.
    audit.record(
        coach,
        "delete",
        detail=f"a coachee and their {len(cycle_ids)} cycle{'' if len(cycle_ids) == 1 else 's'}",
    )
    erase_old_versions_after_commit()
