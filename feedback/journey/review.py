""" "How will I know I made the right decision?": success criteria with a review date.
On that date the scheduled round emails the coachee and the coach to look back, once;
the coachee's look back is kept beside the criterion. Services flush."""

from datetime import date, timedelta
from typing import Any

from flask_babel import format_date, gettext
from sqlalchemy import select, update

from .. import links
from ..coaching.models import Coachee, Cycle
from ..extensions import db
from ..i18n import speaking
from ..mail.outbox import queue_message
from ..timeutil import today, utcnow
from .models import SuccessCriterion
from .stages import SELECT_STAGE

#: The kinds of mail on the review date: to the coach, and to the coachee.
REVIEW_COACH_MAIL, REVIEW_COACHEE_MAIL = "journey_review_coach", "journey_review_coachee"
#: The longest criterion and look back.
MAX_CRITERION, MAX_LOOK_BACK = 500, 4000
#: A review date from tomorrow to this far ahead.
MAX_AHEAD = timedelta(days=2 * 365)


class ReviewError(ValueError):
    """Something that cannot be saved; the message is for the user."""


def criteria_of(coachee: Coachee) -> list[SuccessCriterion]:
    """``coachee``'s success criteria, by review date."""
    return list(
        db.session.scalars(
            select(SuccessCriterion)
            .where(SuccessCriterion.coachee_id == coachee.id)
            .order_by(SuccessCriterion.review_on, SuccessCriterion.id)
        )
    )


def add_criterion(coachee: Coachee, *, criterion: str, review_on: date) -> SuccessCriterion:
    """A success criterion and the day to look back at it.

    Raises:
        ReviewError: empty, too long, or a review date not from tomorrow to two years on.
    """
    criterion = criterion.strip()
    if not criterion:
        raise ReviewError(gettext("please say how you will know"))
    if len(criterion) > MAX_CRITERION:
        raise ReviewError(
            gettext("a criterion holds at most %(most)s characters", most=MAX_CRITERION)
        )
    if review_on <= today() or review_on > today() + MAX_AHEAD:
        raise ReviewError(gettext("the review date must be from tomorrow to two years from now"))
    created = SuccessCriterion(coachee_id=coachee.id, criterion=criterion, review_on=review_on)
    db.session.add(created)
    db.session.flush()
    return created


def look_back(coachee: Coachee, criterion_id: int, text: str) -> SuccessCriterion:
    """Keep the coachee's look back beside one of their criteria, from its review date.

    Raises:
        NotFound: not one of ``coachee``'s criteria.
        ReviewError: before the review date, or too long.
    """
    row = SuccessCriterion.of(coachee.id, criterion_id, "criterion")
    if row.review_on > today():
        raise ReviewError(
            gettext("you look back on %(date)s", date=format_date(row.review_on, "long"))
        )
    if len(text) > MAX_LOOK_BACK:
        raise ReviewError(
            gettext("a look back holds at most %(most)s characters", most=MAX_LOOK_BACK)
        )
    row.look_back = text.strip()
    db.session.flush()
    return row


def _latest_cycle(coachee_id: int) -> Cycle | None:
    return db.session.scalar(
        select(Cycle)
        .where(Cycle.coachee_id == coachee_id)
        .order_by(Cycle.created_at.desc(), Cycle.id.desc())
        .limit(1)
    )


def queue_due_reviews() -> int:
    """Email coach and coachee about every criterion whose review date has come and
    that was not mailed yet; returns how many criteria. Safe in several processes at
    once: a criterion is claimed by one conditional UPDATE before its mail is queued."""
    due = db.session.execute(
        select(SuccessCriterion.id, SuccessCriterion.coachee_id).where(
            SuccessCriterion.review_on <= today(), SuccessCriterion.reminded_at.is_(None)
        )
    ).all()
    queued = 0
    for criterion_id, coachee_id in due:
        cycle = _latest_cycle(coachee_id)
        if cycle is None:
            continue  # no portal to point to; looked at again next round
        claimed = db.session.execute(
            update(SuccessCriterion)
            .where(SuccessCriterion.id == criterion_id, SuccessCriterion.reminded_at.is_(None))
            .values(reminded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        criterion = db.session.get(SuccessCriterion, criterion_id)
        coachee = cycle.coachee
        params = {"criterion": criterion.criterion, "review_on": criterion.review_on.isoformat()}
        with speaking(coachee.speaks):
            subject = gettext("Time to look back: did you make the right decision?")
        queue_message(
            REVIEW_COACHEE_MAIL,
            to=coachee.email,
            to_name=coachee.name,
            reply_to=coachee.coach.email,
            subject=subject,
            template="journey_review_coachee",
            cycle_id=cycle.id,
            params={**params, "language": coachee.speaks},
        )
        coach_language = coachee.coach.language
        with speaking(coach_language):
            subject = gettext("Time to look back with %(coachee)s", coachee=coachee.name)
        queue_message(
            REVIEW_COACH_MAIL,
            to=coachee.coach.email,
            to_name=coachee.coach.name,
            subject=subject,
            template="journey_review_coach",
            cycle_id=cycle.id,
            params={**params, "language": coach_language},
        )
        queued += 1
    db.session.flush()
    return queued


def coachee_review_link(context: dict[str, Any]) -> str:
    """The coachee's stage five in their portal, through the latest cycle's link."""
    token = links.sign(links.PORTAL, context["cycle"].portal_key)
    return links.external_url("portal_journey.portal_stage", token=token, stage_key=SELECT_STAGE)


def coach_review_link(context: dict[str, Any]) -> str:
    """The coach's page of stage five for the coachee."""
    return links.external_url(
        "journey.show_stage", coachee_id=context["coachee"].id, stage_key=SELECT_STAGE
    )
