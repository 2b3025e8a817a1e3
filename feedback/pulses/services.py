"""What can be done with a pulse: create it (the raters who answered the cycle, and
any the coach adds, are invited through the outbox), answer or decline it through the
signed link, remind those who have not answered, close it. Services flush; the request
(or the command) commits once, and mail leaves after the commit."""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from blinker import Namespace
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import joinedload

from .. import i18n, links
from ..coaching.models import Coachee, Cycle
from ..coaching.services import lock_cycle
from ..database import owned_row
from ..extensions import db
from ..mail.models import OutboxMessage
from ..mail.outbox import outbox_row, queue_messages
from ..mail.signals import Outcome
from ..raters import erasure
from ..raters.models import Invite
from ..raters.reminders import MIN_GAP, window_start
from ..raters.services import (
    Nomination,
    language_missing,
    parse_nominations,
    reopen_declined,
)
from ..timeutil import today, utcnow
from ..vocabulary import ANSWERABLE, RATER_GROUPS, CycleState, InviteState
from .models import Pulse, PulseInvite, PulseResponse, PulseScore, new_pulse_response_id

#: The kinds of mail of a pulse (and their templates): the invitation and a reminder.
INVITE_MAIL, REMINDER_MAIL = "pulse_invite", "pulse_reminder"
#: The subjects of the pulse's emails, by kind.
SUBJECTS = {
    INVITE_MAIL: _l("A quick follow-up for %(coachee)s"),
    REMINDER_MAIL: _l("Reminder: a quick follow-up for %(coachee)s"),
}
#: How many statements a pulse re-checks at most.
MAX_STATEMENTS = 3
#: The pulse's own open question, asked of every rater.
CHANGED_QUESTION = _l("What has changed?")
#: The longest answer to it.
MAX_CHANGED = 2000
#: The deadline when none is given, and the latest allowed.
DEFAULT_LENGTH, MAX_LENGTH = timedelta(days=14), timedelta(days=90)
#: The most raters one pulse asks.
MAX_RATERS = 60

#: What the coach is told when the input cannot make a pulse, by field.
NO_STATEMENTS = _l("Choose the statements to re-check (one to three).")
PAST_DEADLINE = _l("The deadline must not be in the past.")
FAR_DEADLINE = _l("The deadline must be within 90 days.")
CYCLE_NOT_CLOSED = _l("A pulse re-checks a closed cycle's results; this cycle is not closed.")
ALREADY_RUNNING = _l("This cycle already has a pulse running; close it first.")
NOBODY_TO_ASK = _l("Nobody to ask: no rater of this cycle answered, and nobody was added.")
TOO_MANY = _l("A pulse re-checks at most %(count)d statements.", count=MAX_STATEMENTS)
TOO_MANY_RATERS = _l("A pulse asks at most %(count)d raters.", count=MAX_RATERS)


_signals = Namespace()

#: Sent (by the app) with ``pulse`` when a pulse closes, by the coach or at its
#: deadline, inside the transaction that closes it (the coach's webhooks hear it:
#: :mod:`feedback.cycles.nominations`).
pulse_closed = _signals.signal("pulse-closed")


class PulseError(ValueError):
    """Input that cannot make a pulse; ``field`` says which (statements, closes_on,
    raters, or None for the cycle itself)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AlreadyAnswered(Exception):
    """The pulse invite was submitted or declined meanwhile."""


def pulse_of(coach_id: int, pulse_id: int) -> Pulse:
    """The coach's pulse; raises NotFound for another coach's, which does not exist
    for them."""
    return owned_row(Pulse, pulse_id, lambda p: p.cycle.coachee.coach_id == coach_id, "pulse")


def pulses_of_cycle(cycle: Cycle) -> list[Pulse]:
    """The pulses that re-check ``cycle``, newest first."""
    return list(
        db.session.scalars(
            select(Pulse).where(Pulse.cycle_id == cycle.id).order_by(Pulse.created_at.desc())
        )
    )


def pulses_of_coachee(coachee: Coachee) -> list[Pulse]:
    """Every pulse on ``coachee``'s cycles, newest first."""
    return list(
        db.session.scalars(
            select(Pulse)
            .join(Cycle, Cycle.id == Pulse.cycle_id)
            .where(Cycle.coachee_id == coachee.id)
            .order_by(Pulse.created_at.desc(), Pulse.id.desc())
        )
    )


def check_statements(cycle: Cycle, keys: list[str]) -> list[str]:
    """The chosen item keys, each once, in order; raises PulseError for none, more than
    MAX_STATEMENTS, or a key the cycle's questionnaire does not have."""
    chosen = list(dict.fromkeys(key.strip() for key in keys if key.strip()))
    if not chosen:
        raise PulseError(str(NO_STATEMENTS), "statements")
    if len(chosen) > MAX_STATEMENTS:
        raise PulseError(str(TOO_MANY), "statements")
    known = {item.key for item in cycle.questionnaire.items}
    for key in chosen:
        if key not in known:
            raise PulseError(
                _("“%(key)s” is not a statement of this cycle's questionnaire.", key=key),
                "statements",
            )
    return chosen


def check_deadline(closes_on: date) -> None:
    """Raise PulseError unless ``closes_on`` lies from today to MAX_LENGTH ahead."""
    if closes_on < today():
        raise PulseError(str(PAST_DEADLINE), "closes_on")
    if closes_on > today() + MAX_LENGTH:
        raise PulseError(str(FAR_DEADLINE), "closes_on")


def _answered_invites(cycle: Cycle) -> list[Invite]:
    """The cycle's raters who answered and whose address we still hold."""
    return list(
        db.session.scalars(
            select(Invite)
            .where(
                Invite.cycle_id == cycle.id,
                Invite.state == InviteState.SUBMITTED,
                Invite.removed_at.is_(None),
                Invite.email.contains("@"),
            )
            .order_by(Invite.id)
        )
    )


def _languages_by_address(cycle: Cycle) -> dict[str, str]:
    """The language each of the cycle's raters was asked in, by lower-case address."""
    return {
        email.lower(): language or cycle.language or "en"
        for email, language in db.session.execute(
            select(Invite.email, Invite.language)
            .where(Invite.cycle_id == cycle.id, Invite.email.contains("@"))
            .order_by(Invite.id)
        )
    }


def parse_added(text: str) -> list[Nomination]:
    """The raters a coach adds to a pulse, from lines ``email, group[, name[,
    language]]`` as a cycle's nominations are pasted; PulseError (at ``raters``)
    naming each bad line."""
    nominations, problems = parse_nominations(text or "")
    if problems:
        raise PulseError(
            " ".join(
                _("Line %(number)s: %(problem)s", number=p.line_number, problem=p.message)
                for p in problems
            ),
            "raters",
        )
    return nominations


def create_pulse(
    cycle: Cycle,
    statements: list[str],
    closes_on: date | None = None,
    added: str | Sequence[Nomination] = "",
) -> Pulse:
    """A pulse on ``cycle``: the ``statements`` (item keys) again, asked of every rater
    who answered the cycle and of the ``added`` raters (lines as pasted, read by
    :func:`parse_added` once the statements and the deadline are checked, or
    nominations) until ``closes_on`` (default: two weeks); their invitations are queued.

    Raises:
        PulseError: the cycle is not closed or has a pulse running, bad statements, a
            past or far deadline, a bad line, an added rater in a language the
            questionnaire lacks, or nobody to ask.
    """
    if cycle.state is not CycleState.CLOSED:
        raise PulseError(str(CYCLE_NOT_CLOSED))
    keys = check_statements(cycle, statements)
    closes_on = closes_on or today() + DEFAULT_LENGTH
    check_deadline(closes_on)
    nominations = parse_added(added) if isinstance(added, str) else list(added)
    # One pulse at a time: two requests at once must not both find none running.
    lock_cycle(cycle)
    if any(p.is_open for p in pulses_of_cycle(cycle)):
        raise PulseError(str(ALREADY_RUNNING))
    languages = cycle.questionnaire.languages
    for nomination in nominations:
        if nomination.language and nomination.language not in languages:
            problem = language_missing(nomination.language, languages)
            raise PulseError(
                _("%(email)s: %(problem)s", email=nomination.email, problem=problem), "raters"
            )
    spoken = _languages_by_address(cycle)
    rows: dict[str, dict] = {}
    for invite in _answered_invites(cycle):
        rows[invite.email] = {
            "group": invite.group,
            "email": invite.email,
            "name": invite.name,
            "from_cycle": True,
            "language": spoken.get(invite.email.lower(), cycle.language or "en"),
        }
    for nomination in nominations:
        rows.setdefault(
            nomination.email,
            {
                "group": nomination.group,
                "email": nomination.email,
                "name": nomination.name,
                "from_cycle": False,
                "language": nomination.language
                or spoken.get(nomination.email.lower(), cycle.language or "en"),
            },
        )
    if not rows:
        raise PulseError(str(NOBODY_TO_ASK), "raters")
    if len(rows) > MAX_RATERS:
        raise PulseError(str(TOO_MANY_RATERS), "raters")
    pulse = Pulse(cycle_id=cycle.id, statements=keys, closes_on=closes_on)
    db.session.add(pulse)
    db.session.flush()
    invites = [PulseInvite(pulse_id=pulse.id, **row) for row in rows.values()]
    db.session.add_all(invites)
    db.session.flush()
    queue_messages(_mail(invite, pulse, INVITE_MAIL, today()) for invite in invites)
    return pulse


def _mail(invite: PulseInvite, pulse: Pulse, kind: str, on: date) -> dict:
    """One pulse email as an outbox row; the link is signed when it is sent."""
    cycle = pulse.cycle
    coachee = cycle.coachee
    with i18n.speaking(invite.language):
        subject = str(SUBJECTS[kind]) % {"coachee": coachee.name}
    return outbox_row(
        kind,
        to=invite.email,
        to_name=invite.name,
        # Replies go to the coach, never to the coachee (as for the cycle's mail).
        reply_to=coachee.coach.email,
        subject=subject,
        template=kind,
        params={
            "pulse_invite_id": invite.id,
            "rater_name": invite.name,
            "language": invite.language,
            "boss": invite.group == "boss",
            "closes_on": pulse.closes_on.isoformat(),
            "days_left": (pulse.closes_on - on).days,
            "statements": len(pulse.statements),
        },
        cycle_id=cycle.id,
    )


def rater_url(invite: PulseInvite) -> str:
    """The rater's signed link to the pulse, absolute."""
    token = links.sign(links.PULSE_INVITE, invite.link_key)
    return links.external_url("pulse_form.show_form", token=token)


def mail_link(context: dict) -> str:
    """The link of a pulse invitation or reminder, signed when it is sent (the pulse
    invite is named in the message's params)."""
    invite = db.session.get(PulseInvite, context["pulse_invite_id"])
    if invite is None:  # erased meanwhile (retention deletes its mail too)
        return current_app.config["BASE_URL"]
    return rater_url(invite)


_BY_KEY = (
    select(PulseInvite)
    .where(PulseInvite.link_key == bindparam("key"))
    .options(
        joinedload(PulseInvite.pulse)
        .joinedload(Pulse.cycle)
        .joinedload(Cycle.coachee)
        .joinedload(Coachee.coach)
    )
)


def invite_for_token(token: str) -> PulseInvite:
    """The pulse invite a link points to; raises links.LinkError for a bad or revoked
    link."""
    key = links.unsign(links.PULSE_INVITE, token)
    invite = db.session.scalar(_BY_KEY, {"key": key})
    if invite is None:
        raise links.LinkError("revoked")
    return invite


@dataclass
class PulseAnswers:
    """A rater's answers to a pulse: a score (None: "Don't know") per statement, and
    what has changed."""

    scores: dict[str, int | None]
    changed: str = ""

    def to_json(self) -> dict:
        """JSON-ready, for a draft."""
        return {"scores": self.scores, "changed": self.changed}

    @classmethod
    def from_json(cls, data: dict | None) -> "PulseAnswers":
        """From :meth:`to_json` output; no draft gives no answers."""
        data = data or {}
        return cls(scores=dict(data.get("scores", {})), changed=str(data.get("changed", "")))


def saved_draft(invite: PulseInvite) -> PulseAnswers:
    """The rater's saved answers, if any."""
    return PulseAnswers.from_json(json.loads(invite.draft) if invite.draft else None)


def save_draft(invite: PulseInvite, answers: PulseAnswers) -> None:
    """Keep the rater's answers with the invite until they submit."""
    if invite.state not in ANSWERABLE:
        raise AlreadyAnswered
    invite.draft = json.dumps(answers.to_json())
    invite.state = InviteState.OPENED
    db.session.flush()


_CLAIM = (
    update(PulseInvite.__table__)
    .where(
        PulseInvite.__table__.c.id == bindparam("invite_id"),
        PulseInvite.__table__.c.state.in_(ANSWERABLE),
    )
    .values(state=bindparam("new_state"), draft=None)
)


def _claim(invite: PulseInvite, new_state: InviteState) -> None:
    """Move the invite out of the answerable states with one conditional UPDATE (two
    simultaneous submits cannot both succeed) and erase its draft."""
    result = db.session.execute(_CLAIM, {"invite_id": invite.id, "new_state": new_state})
    db.session.expire(invite)
    if result.rowcount != 1:
        raise AlreadyAnswered


def submit(invite: PulseInvite, answers: PulseAnswers) -> None:
    """Record the rater's answers as an anonymous response, once."""
    pulse, group = invite.pulse, invite.group
    _claim(invite, InviteState.SUBMITTED)
    response = PulseResponse(pulse_id=pulse.id, group=group, changed=answers.changed.strip())
    db.session.add(response)
    db.session.flush()
    db.session.execute(
        insert(PulseScore),
        [
            {"response_id": response.id, "item_key": key, "score": answers.scores.get(key)}
            for key in pulse.statements
        ],
    )


def decline(invite: PulseInvite) -> None:
    """The rater chooses not to answer; their draft is erased."""
    _claim(invite, InviteState.DECLINED)


def undo_decline(invite: PulseInvite) -> None:
    """The rater changes their mind while the pulse is open; raises NotDeclined when
    it is not declined or takes no answers."""
    reopen_declined(invite, taking_answers=invite.pulse.is_open)


def progress(pulse: Pulse) -> dict[str, dict[str, int]]:
    """Per group: how many were asked and how many answered. Never who."""
    rows = db.session.execute(
        select(PulseInvite.group, PulseInvite.state, func.count())
        .where(PulseInvite.pulse_id == pulse.id)
        .group_by(PulseInvite.group, PulseInvite.state)
    ).all()
    table = {group: Counter() for group in RATER_GROUPS}
    for group, state, count in rows:
        table[group]["asked"] += count
        if state is InviteState.SUBMITTED:
            table[group]["answered"] += count
        elif state is InviteState.BOUNCED:
            table[group]["bounced"] += count
    return {
        group: {k: c[k] for k in ("asked", "answered", "bounced")} for group, c in table.items()
    }


def note_outcomes(app, outcomes: list[Outcome]) -> None:
    """What a pulse email's delivery means for its rater, as for a cycle's invites
    (:func:`feedback.raters.mailing.note_outcomes`): still pending, the rater becomes
    ``sent`` when the mail was accepted (or is uncertain) and ``bounced`` when their
    address was refused for good; a bounced reminder leaves an invitation that arrived
    as it is. The message's rater is in its ``params`` (pulse mail has no cycle invite)."""
    ours = [o for o in outcomes if o.kind in (INVITE_MAIL, REMINDER_MAIL)]
    if not ours:
        return
    rater_of = {
        message_id: (params or {}).get("pulse_invite_id")
        for message_id, params in db.session.execute(
            select(OutboxMessage.id, OutboxMessage.params).where(
                OutboxMessage.id.in_([o.message_id for o in ours])
            )
        )
    }
    sent = {rater_of.get(o.message_id) for o in ours if o.status in ("sent", "uncertain")}
    bounced = {
        rater_of.get(o.message_id) for o in ours if o.status == "failed" and o.refused_recipient
    }
    sent.discard(None)
    bounced -= sent | {None}
    pending = PulseInvite.state == InviteState.PENDING
    for ids, state in ((sent, InviteState.SENT), (bounced, InviteState.BOUNCED)):
        if ids:
            db.session.execute(
                update(PulseInvite)
                .where(PulseInvite.id.in_(ids), pending)
                .values(state=state)
                .execution_options(synchronize_session=False)
            )


def close_pulse(pulse: Pulse, now: datetime | None = None) -> None:
    """Stop taking answers; the results show from now on. The responses are written
    again under new random ids, in id order, and the invites in the order they were
    made, so that neither the rows' order nor their transactions tell in which order
    the answers came (as a cycle does when it closes). Heard by :data:`pulse_closed`'s
    listeners in the same transaction. Raises ValueError when the pulse is closed
    already."""
    if pulse.closed_at is not None:
        raise ValueError("this pulse is closed already")
    pulse.closed_at = now or utcnow()
    _unlink_order(pulse)
    db.session.flush()
    pulse_closed.send(current_app._get_current_object(), pulse=pulse)


def _unlink_order(pulse: Pulse) -> None:
    db.session.flush()
    responses = db.session.execute(
        select(PulseResponse.id, PulseResponse.group, PulseResponse.changed).where(
            PulseResponse.pulse_id == pulse.id
        )
    ).all()
    scores = db.session.execute(
        select(PulseScore.response_id, PulseScore.item_key, PulseScore.score).where(
            PulseScore.response_id.in_([r.id for r in responses])
        )
    ).all()
    if responses:
        new_ids = {r.id: new_pulse_response_id() for r in responses}
        db.session.execute(
            delete(PulseResponse)
            .where(PulseResponse.pulse_id == pulse.id)
            .execution_options(synchronize_session=False)
        )
        ordered = sorted(responses, key=lambda r: new_ids[r.id])
        db.session.execute(
            insert(PulseResponse),
            [
                {"id": new_ids[r.id], "pulse_id": pulse.id, "group": r.group, "changed": r.changed}
                for r in ordered
            ],
        )
        new_scores = sorted(
            (
                {"response_id": new_ids[s.response_id], "item_key": s.item_key, "score": s.score}
                for s in scores
            ),
            key=lambda s: (s["response_id"], s["item_key"]),
        )
        if new_scores:
            db.session.execute(insert(PulseScore), new_scores)
    for invite_id in db.session.scalars(
        select(PulseInvite.id).where(PulseInvite.pulse_id == pulse.id).order_by(PulseInvite.id)
    ):
        db.session.execute(
            update(PulseInvite)
            .where(PulseInvite.id == invite_id)
            .values(state=PulseInvite.state)
            .execution_options(synchronize_session=False)
        )
    db.session.expire_all()


def close_due_pulses(now: datetime | None = None) -> int:
    """Close every pulse whose deadline has passed (the scheduled round); returns how
    many were closed (flushed, not committed)."""
    due = db.session.scalars(
        select(Pulse)
        .where(Pulse.closed_at.is_(None), Pulse.closes_on < today())
        .order_by(Pulse.id)
        .with_for_update(skip_locked=True)
    ).all()
    for pulse in due:
        close_pulse(pulse, now)
    return len(due)


def _claim_reminder(invite_id: int, now: datetime, not_since: datetime) -> bool:
    result = db.session.execute(
        update(PulseInvite)
        .where(
            PulseInvite.id == invite_id,
            PulseInvite.state.in_(ANSWERABLE),
            or_(PulseInvite.last_reminded_at.is_(None), PulseInvite.last_reminded_at < not_since),
        )
        .values(last_reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _unanswered(*conditions) -> list[PulseInvite]:
    return list(
        db.session.scalars(
            select(PulseInvite)
            .join(Pulse, Pulse.id == PulseInvite.pulse_id)
            .where(PulseInvite.state.in_(ANSWERABLE), *conditions)
            .options(joinedload(PulseInvite.pulse))
            .order_by(PulseInvite.id)
        )
    )


def send_due_reminders(days: tuple[int, ...], now: datetime | None = None) -> int:
    """Queue the automatic reminders due now for open pulses, on the cycle's reminder
    days and with the same gentleness (one per window, never within MIN_GAP of the
    last mail); returns how many were queued (flushed, not committed)."""
    if not days:
        return 0
    now = now or utcnow()
    on = now.date()
    queued = 0
    for invite in _unanswered(
        Pulse.closed_at.is_(None),
        Pulse.closes_on >= on,
        Pulse.closes_on <= on + timedelta(days=max(days)),
        PulseInvite.created_at < now - MIN_GAP,
    ):
        start = window_start(invite.pulse.closes_on, days, on)
        if start is None or invite.created_at >= start:
            continue
        if _claim_reminder(invite.id, now, min(start, now - MIN_GAP)):
            queue_messages([_mail(invite, invite.pulse, REMINDER_MAIL, on)])
            queued += 1
    db.session.flush()
    return queued


def remind_unanswered(pulse: Pulse, now: datetime | None = None) -> int:
    """ "Remind everyone who has not answered" the pulse; returns only how many. Raises
    ValueError when the pulse takes no answers any more."""
    if not pulse.is_open:
        raise ValueError("this pulse is closed, so nobody can answer any more")
    now = now or utcnow()
    queued = 0
    for invite in _unanswered(
        PulseInvite.pulse_id == pulse.id, PulseInvite.created_at < now - MIN_GAP
    ):
        if _claim_reminder(invite.id, now, now - MIN_GAP):
            queue_messages([_mail(invite, pulse, REMINDER_MAIL, now.date())])
            queued += 1
    db.session.flush()
    return queued


#: What an erased pulse rater's address becomes: no "@", so it is never mailed.
ERASED_EMAIL = "erased-pulse-{id}"


def erase_raters(closed_before: datetime) -> int:
    """Erase the addresses, names, drafts and links of the raters of pulses closed
    before ``closed_before``, and the pulse's mail to them; what the figures need
    (group, state, whether they answered the cycle) stays. Returns how many raters
    were erased (flushed, not committed)."""
    pulses = db.session.scalars(
        select(Pulse).where(Pulse.closed_at.is_not(None), Pulse.closed_at < closed_before)
    ).all()
    erased = 0
    for pulse in pulses:
        ids = list(
            db.session.scalars(
                select(PulseInvite.id).where(
                    PulseInvite.pulse_id == pulse.id, PulseInvite.email.contains("@")
                )
            )
        )
        if not ids:
            continue
        # The pulse's mail names its raters: it goes. A cycle runs one pulse at a time,
        # so its mail is what was queued from its creation to the next pulse's.
        later = db.session.scalar(
            select(func.min(Pulse.created_at)).where(
                Pulse.cycle_id == pulse.cycle_id, Pulse.created_at > pulse.created_at
            )
        )
        db.session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.cycle_id == pulse.cycle_id,
                OutboxMessage.kind.in_((INVITE_MAIL, REMINDER_MAIL)),
                OutboxMessage.created_at >= pulse.created_at,
                *([OutboxMessage.created_at < later] if later is not None else []),
            )
            .execution_options(synchronize_session=False)
        )
        erased += erasure.erase_raters(PulseInvite, ids, ERASED_EMAIL)
    db.session.expire_all()
    return erased
