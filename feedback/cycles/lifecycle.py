"""A cycle's life: open, close, reopen, release (README "How it works"; "Across time"
in docs/analysis.md).

Every way in goes through here — the coach's buttons, ``feedback cycle create`` and
``close``, the import of many cycles, and the scheduled job that closes cycles whose
deadline has passed — so each step happens the same way whoever asks for it.

What happens when a cycle closes (:func:`close_cycle`), in one transaction:

1. its state becomes ``closed`` and ``closed_at`` is set: no answer is taken any more;
2. the answers that arrived since the results were last shown join them, unless that
   would single someone out (:mod:`feedback.ratings.held`: on a first close they
   always join; after a reopen they may have to wait);
3. the order in which answers arrived is forgotten (:mod:`.unlink`): responses are
   rewritten under new random ids, invites in nomination order;
4. the "every group has enough answers" note still waiting in the outbox is withdrawn
   (the results are there now), and, unless the coach closed it with their own
   button, a note that it closed is queued to the coach (:mod:`.notes`), and the
   coach's webhooks hear of it (:func:`announce`);
5. from then on :mod:`feedback.ratings.results` computes the guarded results, which the
   dashboard, the exports and (once released) the coachee's report show.

Services flush; the request (or the command, or the job) commits once.
"""

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .. import i18n
from ..coaching import audit
from ..coaching.models import Coachee, Cycle
from ..coaching.services import portal_url
from ..extensions import db
from ..i18n import speaking
from ..mail.models import MessageState, OutboxMessage
from ..mail.outbox import queue_message
from ..pulses import services as pulses
from ..pulses.models import Pulse
from ..questionnaires.models import Questionnaire
from ..questionnaires.store import stored_questionnaire
from ..raters.services import MAX_RATERS_PER_CYCLE, language_missing, progress
from ..ratings.held import admit_held_answers, discard_held_answers, shown_rater_answers
from ..ratings.shown import forget_shown_results, store_shown_results
from ..reports.released import release as release_report
from ..timeutil import today
from ..vocabulary import CycleState, CycleStateError
from ..webhooks.services import queue_event
from .notes import forget_cycle_closed, note_cycle_closed, withdraw_groups_ready
from .unlink import unlink_submission_order

#: The kind of the coachee's email with their portal link.
PORTAL_MAIL = "portal"
#: The kind of the coachee's email that their report is ready (with the portal link).
REPORT_MAIL = "report"
#: The longest a cycle may stay open.
MAX_CYCLE_LENGTH = timedelta(days=365)

__all__ = [
    "MAX_CYCLE_LENGTH",
    "PORTAL_MAIL",
    "REPORT_MAIL",
    "close_cycle",
    "close_due_cycles",
    "keep_results",
    "portal_link_problem",
    "release",
    "reopen_cycle",
    "send_portal_link",
    "start_cycle",
    "update_coachee",
]


def check_deadline(closes_on: date) -> None:
    """Raise ValueError unless ``closes_on`` lies between today and a year from now."""
    if closes_on < today():
        raise ValueError("the deadline must not be in the past")
    if closes_on > today() + MAX_CYCLE_LENGTH:
        raise ValueError("the deadline must be within a year")


def start_cycle(
    coachee: Coachee,
    *,
    closes_on: date,
    welcome_note: str = "",
    boss_exempt: bool = True,
    questionnaire: Questionnaire | None = None,
    approve_nominations: bool = False,
    minimums: dict[str, int] | None = None,
    language: str = "en",
) -> Cycle:
    """Open a cycle on ``questionnaire`` (default: the shipped one; the caller checks it
    is the coach's, see ``coaching.questionnaires.questionnaire_for_cycle``) and queue
    the coachee's portal link. ``approve_nominations``: the coachee's nominations wait
    for the coach. ``minimums`` (``min_boss``, ``min_peers``, ``min_subordinates``,
    ``min_raters``; none when not given) never change ``min_group_size``, the anonymity
    threshold. ``language``: what raters are invited in unless nominated in another."""
    check_deadline(closes_on)
    if not i18n.known(language):
        spoken = ", ".join(i18n.LANGUAGES)
        raise ValueError(f"“{language}” is not a language we speak; use {spoken}")
    questionnaire = questionnaire or stored_questionnaire()
    if language not in questionnaire.languages:
        raise ValueError(language_missing(language, questionnaire.languages))
    minimums = minimums or {}
    unknown = set(minimums) - {"min_boss", "min_peers", "min_subordinates", "min_raters"}
    if unknown or any(not 0 <= value <= MAX_RATERS_PER_CYCLE for value in minimums.values()):
        raise ValueError(f"a minimum is a number of raters from 0 to {MAX_RATERS_PER_CYCLE}")
    cycle = Cycle(
        coachee=coachee,
        questionnaire=questionnaire,
        closes_on=closes_on,
        welcome_note=welcome_note.strip(),
        boss_exempt=boss_exempt,
        min_group_size=current_app.config["MIN_GROUP_SIZE"],
        approve_nominations=approve_nominations,
        language=language,
        **minimums,
        state=CycleState.OPEN,
    )
    db.session.add(cycle)
    db.session.flush()
    send_portal_link(cycle)
    audit.record(coachee.coach, "start", cycle=cycle, detail=f"cycle {cycle.id}")
    return cycle


def send_portal_link(cycle: Cycle, *, renew: bool = False) -> None:
    """Queue the coachee's email with their portal link; ``renew`` revokes the old link."""
    if renew:
        cycle.renew_portal_key()
        db.session.flush()
    coachee = cycle.coachee
    coach = coachee.coach
    with speaking(coachee.speaks):
        subject = (
            _("Your new link for your 360 feedback")
            if renew
            else _("%(coach)s has started your 360 feedback", coach=coach.name)
        )
    queue_message(
        PORTAL_MAIL,
        to=coachee.email,
        to_name=coachee.name,
        reply_to=coach.email,
        subject=subject,
        template="portal_link",
        params={"renewed": renew, "language": coachee.speaks},
        cycle_id=cycle.id,
    )


def portal_link(context: dict) -> str:
    """The portal email carries the coachee's link as it is when the email is sent."""
    return portal_url(context["cycle"])


def update_coachee(coachee: Coachee, *, name: str, email: str) -> list[Cycle]:
    """Correct a coachee's name or address. When the address changes, each open cycle's
    portal link goes to the new address (the link sent before stops working); returns
    those cycles."""
    email = email.strip().lower()
    moved = email != coachee.email
    coachee.name, coachee.email = name.strip(), email
    db.session.flush()
    if not moved:
        return []
    cycles = [cycle for cycle in coachee.cycles if cycle.state is CycleState.OPEN]
    for cycle in cycles:
        send_portal_link(cycle, renew=True)
    return cycles


def portal_link_problem(cycle: Cycle) -> str | None:
    """Why the coachee's latest portal email could not be delivered (the server's
    reply), or None when it went, is on its way, or was never sent."""
    latest = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.cycle_id == cycle.id, OutboxMessage.kind == PORTAL_MAIL)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.state is not MessageState.FAILED:
        return None
    return latest.last_error or "the mail server refused it"


def close_cycle(cycle: Cycle, *, by_coach: bool = True, by_deadline: bool = False) -> None:
    """Close ``cycle`` now (see the module docstring for what that does). The coach who
    pressed the button is not sent a note; anyone else's close (``feedback cycle
    close``, the deadline) tells the coach. Raises CycleStateError unless it is open."""
    cycle.close()
    admit_held_answers(cycle)
    unlink_submission_order(cycle)
    withdraw_groups_ready(cycle)
    if not by_coach:
        note_cycle_closed(cycle, by_deadline=by_deadline)
    audit.record(
        cycle.coachee.coach,
        "close",
        cycle=cycle,
        detail=f"cycle {cycle.id}",
        actor=audit.DEADLINE if by_deadline else None,
    )
    db.session.flush()
    # Every worker shows the dashboard from this document, without the engine.
    store_shown_results(cycle)
    closed_by = "coach" if by_coach else ("deadline" if by_deadline else "command")
    announce(cycle, "cycle.closed", closed_by=closed_by)
    if shown_rater_answers(cycle):
        announce(cycle, "cycle.results_ready")


def release(cycle: Cycle) -> None:
    """Show the coachee the current results of closed ``cycle`` in their portal
    (:func:`feedback.reports.released.release`), email them that it is ready with
    their portal link, and tell the coach's webhooks."""
    again = cycle.released_at is not None
    release_report(cycle)
    coachee = cycle.coachee
    coach = coachee.coach
    with speaking(coachee.speaks):
        subject = (
            _("Your updated 360 report is ready")
            if again
            else _("Your 360 feedback report is ready")
        )
    queue_message(
        REPORT_MAIL,
        to=coachee.email,
        to_name=coachee.name,
        reply_to=coach.email,
        subject=subject,
        template="report_released",
        params={"again": again, "language": coachee.speaks},
        cycle_id=cycle.id,
    )
    audit.record(
        coach, "release", cycle=cycle, detail=f"cycle {cycle.id}" + (" (again)" if again else "")
    )
    announce(cycle, "cycle.released")


def announce(cycle: Cycle, event: str, **data) -> None:
    """Queue a webhook ``event`` about ``cycle`` for the coach's endpoints: ids and
    the answers counted per group (as the pages show them), never who. Called only
    when a cycle closes or is released, moments that date nobody's answer."""
    answered = {group: counts["answered"] for group, counts in progress(cycle).items()}
    queue_event(
        cycle.coachee.coach_id,
        event,
        {"cycle_id": cycle.id, "coachee_id": cycle.coachee_id, "answered": answered, **data},
    )


#: The event when a pulse closes.
PULSE_CLOSED = "pulse.closed"


def announce_pulse_closed(_app, pulse: Pulse) -> None:
    """Queue ``pulse.closed`` for the coach's endpoints when a pulse closes (by the
    coach or at its deadline), in that transaction: ids and the answers counted per
    group, never who."""
    cycle = pulse.cycle
    answered = {group: counts["answered"] for group, counts in pulses.progress(pulse).items()}
    queue_event(
        cycle.coachee.coach_id,
        PULSE_CLOSED,
        {
            "pulse_id": pulse.id,
            "cycle_id": cycle.id,
            "coachee_id": cycle.coachee_id,
            "answered": answered,
        },
    )


def close_due_cycles() -> int:
    """Close every open cycle whose deadline has passed, telling each coach; return how
    many. The scheduled job's work: pages never close a cycle (a GET writes nothing)."""
    due = db.session.scalars(
        select(Cycle).where(Cycle.state == CycleState.OPEN, Cycle.closes_on < today())
    ).all()
    for cycle in due:
        close_cycle(cycle, by_coach=False, by_deadline=True)
    return len(due)


def keep_results(cycle: Cycle) -> int:
    """The coach keeps closed ``cycle``'s results as they were: the late answers that
    wait to be shown are deleted; return how many. Raises CycleStateError unless the
    cycle is closed (an open cycle's answers are not held for good yet)."""
    if cycle.state is not CycleState.CLOSED:
        raise CycleStateError(f"a {cycle.state} cycle's answers are still coming in")
    deleted = discard_held_answers(cycle)
    audit.record(
        cycle.coachee.coach,
        "delete",
        cycle=cycle,
        detail=f"{deleted} late answer{'' if deleted == 1 else 's'} of cycle {cycle.id}, "
        "to keep its results as they were",
    )
    db.session.flush()
    return deleted


def reopen_cycle(cycle: Cycle, *, closes_on: date) -> None:
    """Take answers again until ``closes_on``: raters who have not answered can, the
    coachee can invite more. The results hide again until the cycle closes (when the
    late answers join them only if that singles nobody out), and a report already
    released stays as it was until the coach releases the new one.

    Raises CycleStateError unless the cycle is closed, ValueError for a bad deadline."""
    check_deadline(closes_on)
    if cycle.state is not CycleState.CLOSED:
        raise CycleStateError(f"a {cycle.state} cycle cannot be reopened")
    cycle.reopen()
    cycle.closes_on = closes_on
    forget_cycle_closed(cycle)  # closing again tells the coach again
    forget_shown_results(cycle)  # the results hide until the next close
    audit.record(
        cycle.coachee.coach,
        "reopen",
        cycle=cycle,
        detail=f"cycle {cycle.id}, until {closes_on.isoformat()}",
    )
    db.session.flush()
