"""A coachee's data rights, exercised by their coach: a copy of their data (export) and
erasure (delete); and retention: raters' addresses and names are erased a set number of
days after a cycle closes (``FEEDBACK_RETENTION_DAYS``).

The export holds what is the coachee's own: who they are, their cycles, whom they asked
for feedback and their own self-assessment. It holds neither raters' individual answers
(those are the raters' words, promised to be pooled and anonymous; the coachee sees
them only as the released report) nor which rater answered or declined (the coachee is
told how many answered per group, never who).
"""

import json
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import delete, func, or_, select, update

from ..database import commit
from ..extensions import db
from ..mail.models import OutboxMessage
from ..raters.models import Invite
from ..ratings.models import Response as RatingResponse
from ..ratings.services import answers_of, self_response
from ..timeutil import utcnow
from .models import Coachee, Cycle, CycleState, new_link_key
from .services import coachee_of

bp = Blueprint("data_rights", __name__)

#: What an erased rater's address becomes: no "@", so it is never mailed.
ERASED_EMAIL = "erased-{id}"


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here is the coach's."""


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
    invites = db.session.scalars(
        select(Invite).where(Invite.cycle_id == cycle.id).order_by(Invite.id)
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
    }


@bp.get("/coachees/<int:coachee_id>/export.json")
def export_coachee(coachee_id: int):
    """Download the coachee's data as a JSON file."""
    coachee = coachee_of(current_user, coachee_id)
    body = json.dumps(coachee_export(coachee), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="coachee-{coachee.id}.json"',
        },
    )


# ---------------------------------------------------------------- erasure


def _messages_of(coachee: Coachee, cycle_ids: list[int], invite_ids: list[int]):
    """The outbox rows about this coachee: every message about one of their cycles
    (invitations and reminders to their raters, their portal mail, notes to the coach),
    and, for rows queued before messages named their cycle, those about their invites
    and mail to the coachee from their coach."""
    about = [OutboxMessage.cycle_id.in_(cycle_ids)] if cycle_ids else []
    if invite_ids:
        about.append(OutboxMessage.invite_id.in_(invite_ids))
    about.append(
        (func.lower(OutboxMessage.to_address) == coachee.email.lower())
        & (func.lower(OutboxMessage.reply_to) == coachee.coach.email.lower())
    )
    return or_(*about)


def erasure_counts(coachee: Coachee) -> dict[str, int]:
    """How many cycles, invites, responses and messages deleting ``coachee`` removes."""
    cycle_ids = [cycle.id for cycle in coachee.cycles]
    invite_ids = list(db.session.scalars(select(Invite.id).where(Invite.cycle_id.in_(cycle_ids))))
    count = db.session.scalar
    return {
        "cycles": len(cycle_ids),
        "invites": len(invite_ids),
        "responses": count(
            select(func.count())
            .select_from(RatingResponse)
            .where(RatingResponse.cycle_id.in_(cycle_ids))
        ),
        "messages": count(
            select(func.count())
            .select_from(OutboxMessage)
            .where(_messages_of(coachee, cycle_ids, invite_ids))
        ),
    }


def delete_coachee(coachee: Coachee) -> None:
    """Erase the coachee with every cycle, invite, response (with its ratings and
    answers) and message about them. Everything hanging off a cycle goes with it
    (foreign keys cascade); the outbox rows are removed here."""
    cycle_ids = [cycle.id for cycle in coachee.cycles]
    invite_ids = list(db.session.scalars(select(Invite.id).where(Invite.cycle_id.in_(cycle_ids))))
    db.session.execute(
        delete(OutboxMessage)
        .where(_messages_of(coachee, cycle_ids, invite_ids))
        .execution_options(synchronize_session=False)
    )
    db.session.delete(coachee)
    db.session.flush()


@bp.route("/coachees/<int:coachee_id>/delete", methods=["GET", "POST"])
def delete_coachee_page(coachee_id: int):
    """GET asks to confirm and says what goes; POST deletes."""
    coachee = coachee_of(current_user, coachee_id)
    if request.method == "POST":
        name = coachee.name
        delete_coachee(coachee)
        commit()
        flash(f"{name} and all their data are deleted.", "success")
        return redirect(url_for("coaching.list_coachees"))
    return render_template(
        "coaching/delete_coachee.html", coachee=coachee, counts=erasure_counts(coachee)
    )


# ---------------------------------------------------------------- retention


def retention_days(days: int | None = None) -> int | None:
    """``days``, else FEEDBACK_RETENTION_DAYS; None when retention is off. Raises
    ValueError for anything but a whole number of at least 1."""
    value = days if days is not None else current_app.config.get("RETENTION_DAYS")
    if value in (None, "", 0, "0"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the retention must be a whole number of days, not {value!r}") from exc
    if number < 1:
        raise ValueError("the retention must be at least 1 day")
    return number


def apply_retention(days: int) -> int:
    """Erase raters' addresses and names, drafts and links, and their mail, in cycles
    closed more than ``days`` days ago; return how many invites were erased. What the
    cycle's figures need (group and state) stays."""
    cutoff = utcnow() - timedelta(days=days)
    invite_ids = list(
        db.session.scalars(
            select(Invite.id)
            .join(Cycle, Cycle.id == Invite.cycle_id)
            .where(
                Cycle.state == CycleState.CLOSED,
                Cycle.closed_at < cutoff,
                Invite.email.contains("@"),
            )
        )
    )
    if not invite_ids:
        return 0
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.invite_id.in_(invite_ids))
        .execution_options(synchronize_session=False)
    )
    for invite_id in invite_ids:
        db.session.execute(
            update(Invite)
            .where(Invite.id == invite_id)
            .values(
                email=ERASED_EMAIL.format(id=invite_id),
                name="",
                draft=None,
                link_key=new_link_key(),
            )
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()
    return len(invite_ids)
