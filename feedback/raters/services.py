"""Nominating raters, inviting them, and taking their answers exactly once."""

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import (
    ColumnElement,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from .. import i18n, links
from ..coaching import audit, voice
from ..coaching.models import Cycle, new_link_key
from ..coaching.services import lock_cycle
from ..database import owned_row, wait_in_line_to_write
from ..extensions import db
from ..mail.models import MessageState, OutboxMessage
from ..mail.outbox import outbox_row, queue_messages
from ..ratings.answers import Answers
from ..ratings.store import claim_and_store, store_answers
from ..timeutil import utcnow
from ..vocabulary import (
    ANSWERABLE,
    GROUP_SYNONYMS,
    NAME_MAX_LENGTH,
    RATER_GROUPS,
    InviteState,
    name_too_long,
)
from .models import Invite
from .visit import RaterVisit, visit_for_key

#: Most raters one cycle may have; a real 360 has 8 to 20.
MAX_RATERS_PER_CYCLE = 60
#: The longest subject the outbox keeps (a coach's subject with long names filled in
#: is cut there).
MAX_SUBJECT = 300


@dataclass(frozen=True)
class Nomination:
    """One rater to invite."""

    email: str
    group: str
    name: str = ""
    #: The language of the rater's emails and form; None: the cycle's.
    language: str | None = None


@dataclass(frozen=True)
class LineProblem:
    """A pasted line that could not be used, and why."""

    line_number: int
    line: str
    message: str


class AlreadyAnswered(Exception):
    """The invite was submitted or declined before."""


#: A plain ASCII address with an unquoted (dot-atom) local part, the shape of nearly
#: every address pasted: one compiled pattern checks the local part; the domain's check
#: by email-validator is remembered (:func:`_checked_domain`). Any other address goes
#: through email-validator whole.
_PLAIN_ADDRESS = re.compile(
    r"([A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+)*)"
    r"@([A-Za-z0-9.\-]+)\Z"
)
#: The longest address email-validator accepts.
_MAX_ADDRESS = 254


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The domain as email-validator normalises it, or None when it refuses it; a list
    of thousands of raters has few domains, each checked once."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def normalise_email(raw: str) -> str:
    """The address in canonical form; raises ValueError with a readable message.
    Accepts and refuses exactly what email-validator does."""
    address = raw.strip()
    plain = _PLAIN_ADDRESS.match(address)
    if plain is not None:
        domain = _checked_domain(plain[2])
        if domain is not None and len(plain[1]) + 1 + len(domain) <= _MAX_ADDRESS:
            return f"{plain[1]}@{domain}".lower()
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(gettext("“%(address)s” is not an email address", address=address)) from exc


def parse_group(raw: str) -> str:
    """A group name from a pasted word such as "Peers" or "Kollegen"; raises ValueError
    naming the groups as the page does, in its language (each of those names parses)."""
    group = GROUP_SYNONYMS.get(" ".join(raw.lower().split()))
    if group is None:
        raise ValueError(
            gettext(
                "“%(word)s” is not a group; use one of %(groups)s",
                word=raw.strip(),
                groups=", ".join(i18n.group_name(key) for key in RATER_GROUPS),
            )
        )
    return group


def parse_nominations(text: str) -> tuple[list[Nomination], list[LineProblem]]:
    """Read lines ``email, group[, name[, language]]``; blank lines are skipped, each bad
    line is reported on its own and does not stop the others. A fourth field is the
    rater's language (a code or a name: "de", "German", "Deutsch"); a name with commas
    takes the fields between the group and the language."""
    nominations: list[Nomination] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace(";", ",").replace("\t", ",").split(",")]
        try:
            if len(parts) < 2:
                raise ValueError(gettext("expected “email, group” or “email, group, name”"))
            email = normalise_email(parts[0])
            group = parse_group(parts[1])
            language = None
            if len(parts) > 3 and parts[-1]:
                language = i18n.parse_language(parts[-1])
            name = ", ".join(part for part in parts[2 : max(3, len(parts) - 1)] if part)
            if name_too_long(name):
                raise ValueError(
                    gettext(
                        "the name has %(count)s characters; please shorten it to %(most)s",
                        count=len(name.strip()),
                        most=NAME_MAX_LENGTH,
                    )
                )
        except ValueError as exc:
            problems.append(LineProblem(number, line.strip(), str(exc)))
            continue
        nominations.append(Nomination(email=email, group=group, name=name, language=language))
    return nominations, problems


#: Many invites in one INSERT (``insertmanyvalues`` on SQLite and PostgreSQL), returned
#: as the session's objects in the order of the rows; built once.
_INSERT_INVITES = insert(Invite).returning(Invite, sort_by_parameter_order=True)


def nominate(
    cycle: Cycle, nominations: list[Nomination], *, wait_for_coach: bool = False
) -> tuple[list[Invite], list[tuple[Nomination, str]]]:
    """Create and send invites; returns the invites and the nominations refused, with why
    (already invited, the coachee themself, cycle full). The cycle is locked first
    (:func:`~feedback.coaching.services.lock_cycle`), so simultaneous requests keep the cap of
    :data:`MAX_RATERS_PER_CYCLE` and see each other's invites.

    With ``wait_for_coach`` the invites are made ``awaiting`` the coach's approval and no
    mail is queued: :func:`approve` sends their invitations."""
    lock_cycle(cycle)
    existing = set(db.session.scalars(select(Invite.email).where(Invite.cycle_id == cycle.id)))
    count = len(existing)
    own_address = cycle.coachee.email.lower()
    state = InviteState.AWAITING if wait_for_coach else InviteState.PENDING
    rows: list[dict] = []
    refused: list[tuple[Nomination, str]] = []
    languages = cycle.questionnaire.languages
    for nomination in nominations:
        if nomination.language and nomination.language not in languages:
            refused.append((nomination, language_missing(nomination.language, languages)))
        elif nomination.email == own_address:
            refused.append(
                (nomination, gettext("that is your own address; the self-assessment is yours"))
            )
        elif nomination.email in existing:
            refused.append(
                (nomination, gettext("%(email)s is already invited", email=nomination.email))
            )
        elif count >= MAX_RATERS_PER_CYCLE:
            refused.append(
                (
                    nomination,
                    gettext("a cycle can have at most %(most)s raters", most=MAX_RATERS_PER_CYCLE),
                )
            )
        else:
            rows.append(
                {
                    "cycle_id": cycle.id,
                    "group": nomination.group,
                    "email": nomination.email,
                    "name": nomination.name,
                    "language": nomination.language,
                    "state": state,
                }
            )
            existing.add(nomination.email)
            count += 1
    if not rows:
        return [], refused
    # One INSERT for all of them (the unit of work would flush object by object); the
    # invites come back in the order given, as objects of the session.
    created = list(db.session.scalars(_INSERT_INVITES, rows))
    # The invitations in one INSERT; they are written (and their links signed) when sent.
    if not wait_for_coach:
        queue_messages(invitations(created, cycle))
    return created, refused


def language_missing(language: str, languages: tuple[str, ...]) -> str:
    """Why a rater cannot be asked in ``language``: the cycle's questionnaire has only
    ``languages``."""
    names = ", ".join(i18n.LANGUAGES[code] for code in languages if code in i18n.LANGUAGES)
    return gettext(
        "this cycle's questionnaire is not written in %(language)s; it is in %(languages)s",
        language=i18n.LANGUAGES.get(language, language),
        languages=names,
    )


def awaiting_approval(cycle: Cycle) -> list[Invite]:
    """The cycle's nominations that wait for the coach, by group and name."""
    return [i for i in invites_of(cycle) if i.state is InviteState.AWAITING]


def approve(cycle: Cycle, invite_ids: list[int] | None = None) -> list[Invite]:
    """The coach approves the nominations that wait (all of them, or those of
    ``invite_ids``): they become ``pending``, their invitations are queued, to leave
    after the commit, and the coach's audit trail says how many were approved. Returns
    the invites approved; others' ids and nominations that no longer wait are passed
    over."""
    lock_cycle(cycle)
    query = select(Invite).where(Invite.cycle_id == cycle.id, Invite.state == InviteState.AWAITING)
    if invite_ids is not None:
        query = query.where(Invite.id.in_(invite_ids))
    invites = list(db.session.scalars(query.order_by(Invite.id)))
    for invite in invites:
        invite.state = InviteState.PENDING
    db.session.flush()
    if invites:
        queue_messages(invitations(invites, cycle))
        count = len(invites)
        audit.record(
            cycle.coachee.coach_id,
            "approve",
            cycle=cycle,
            detail=f"{count} nomination{'' if count == 1 else 's'}",
        )
    return invites


def rater_mail_subject(cycle: Cycle, kind: str, language: str = "en") -> str:
    """The subject of a rater's ``kind`` of email (``invite``, ``reminder``) about
    ``cycle``: the coach's own wording (:mod:`feedback.coaching.voice`) or the default
    in ``language``, filled in (the deadline as ``language`` writes dates)."""
    coachee = cycle.coachee
    with force_locale(language):
        values = voice.values_for(
            coachee_name=coachee.name, closes_on=cycle.closes_on, coach_name=coachee.coach.name
        )
        try:
            subject = voice.subject_for(coachee.coach_id, kind, values)
        except voice.TextProblem:  # saved texts are checked; this is only a safety net
            subject = voice.fill(voice.DEFAULTS[kind][0], values)
    return subject[:MAX_SUBJECT]


def rater_url(invite: Invite) -> str:
    """The rater's signed link, absolute."""
    token = links.sign(links.RATER_INVITE, invite.link_key)
    return links.external_url("raters.show_form", token=token)


def invitation_link(context: dict) -> str:
    """An invitation carries the rater's link, signed when it is sent."""
    return rater_url(context["invite"])


def invitation(invite: Invite, cycle: Cycle, *, subject: str | None = None) -> dict:
    """The invitation email for ``invite``, as an outbox row for `queue_messages`
    (``subject``: :func:`rater_mail_subject`, worked out once for many invitations)."""
    coachee = cycle.coachee
    return outbox_row(
        "invite",
        to=invite.email,
        to_name=invite.name,
        # Replies go to the coach, never to the coachee: "I have answered" sent to the
        # coachee would undo the anonymity the invitation promises.
        reply_to=coachee.coach.email,
        subject=subject or rater_mail_subject(cycle, "invite", invite.speaks),
        template="invite",
        invite_id=invite.id,
        cycle_id=cycle.id,
    )


def invitations(invites: list[Invite], cycle: Cycle) -> list[dict]:
    """The invitation emails of many of ``cycle``'s invites, as outbox rows: the subject
    (once per language), reply address and the rest worked out once, only the addressee
    differs."""
    if not invites:
        return []
    subjects = {
        language: rater_mail_subject(cycle, "invite", language)
        for language in {i.language or cycle.language or "en" for i in invites}
    }
    first = invitation(invites[0], cycle, subject=subjects[invites[0].speaks])
    return [first] + [
        {
            **first,
            "to_address": i.email,
            "to_name": i.name,
            "invite_id": i.id,
            "params": {},
            "subject": subjects[i.speaks],
        }
        for i in invites[1:]
    ]


#: The invite of a link key with what its form needs (cycle, questionnaire): one query,
#: not three; built once, like :data:`_CLAIM`.
_INVITE_BY_KEY = (
    select(Invite)
    .where(Invite.link_key == bindparam("key"))
    .options(joinedload(Invite.cycle).joinedload(Cycle.questionnaire))
)


#: The invite of an id, with its cycle and questionnaire (one query).
_INVITE_BY_ID = (
    select(Invite)
    .where(Invite.id == bindparam("invite_id"))
    .options(joinedload(Invite.cycle).joinedload(Cycle.questionnaire))
)


def invite_for_token(token: str) -> Invite | None:
    """The invite a rater link points to; raises links.LinkError for a bad link and
    returns None for a revoked one."""
    key = links.unsign(links.RATER_INVITE, token)
    return db.session.scalar(_INVITE_BY_KEY, {"key": key})


def visit_for_token(token: str) -> RaterVisit | None:
    """What a rater link leads to, read with one statement (:mod:`.visit`); raises
    links.LinkError for a bad link and returns None for a revoked one."""
    return visit_for_key(links.unsign(links.RATER_INVITE, token))


def invite_of_visit(visit: RaterVisit) -> Invite:
    """The mapped invite of ``visit``, for the pages that change it otherwise than by
    a save or a submit, or show it closed."""
    return db.session.scalar(_INVITE_BY_ID, {"invite_id": visit.id})


def saved_draft(invite: Invite) -> Answers:
    """The rater's saved answers, if any."""
    return Answers.from_json(json.loads(invite.draft) if invite.draft else None)


def _one_of(states) -> ColumnElement[bool]:
    """The invite's state is one of ``states``, each its own bound value, so that the
    statement's SQL is compiled once: a plain ``in_`` is an "expanding" parameter,
    which SQLAlchemy renders into the SQL again at every execution (the claim took
    about twice as long to execute, 22 against 12 microseconds)."""
    column = Invite.__table__.c.state
    return column.in_([literal(state, column.type) for state in states])


#: A draft saved while the invite can be answered, in one conditional UPDATE; an invite
#: whose invitation was sent (or not yet) becomes ``opened``. Built once.
_SAVE_DRAFT = (
    update(Invite.__table__)
    .where(
        Invite.__table__.c.id == bindparam("invite_id"),
        _one_of(ANSWERABLE),
    )
    .values(
        draft=bindparam("draft"),
        state=case(
            (
                _one_of((InviteState.PENDING, InviteState.SENT)),
                literal(InviteState.OPENED, Invite.__table__.c.state.type),
            ),
            else_=Invite.__table__.c.state,
        ),
    )
)


def save_draft(invite, answers: Answers) -> None:
    """Keep the rater's answers with the invite (a mapped :class:`Invite` or a
    :class:`.visit.RaterVisit`) until they submit; raises AlreadyAnswered once it can
    no longer be answered."""
    result = db.session.execute(
        _SAVE_DRAFT, {"invite_id": invite.id, "draft": json.dumps(answers.to_json())}
    )
    _forget_loaded(invite.id)
    if result.rowcount != 1:
        raise AlreadyAnswered


def choose_language(invite: Invite, language: str) -> None:
    """The rater's own choice of language for their form and the mail still to come;
    raises AlreadyAnswered once the invite can no longer be answered, and ValueError
    for a language the cycle's questionnaire is not written in."""
    if invite.state not in ANSWERABLE:
        raise AlreadyAnswered
    languages = invite.cycle.questionnaire.languages
    if language not in languages:
        raise ValueError(language_missing(language, languages))
    invite.language = language
    db.session.flush()


#: The single-use claim, built once: a Core UPDATE (the ORM's bulk-update path cost more
#: than the statement) whose cache key SQLAlchemy computes once for the object.
_CLAIM = (
    update(Invite.__table__)
    .where(
        Invite.__table__.c.id == bindparam("invite_id"),
        _one_of(ANSWERABLE),
    )
    .values(state=bindparam("new_state"), draft=None)
)


#: The claim as SQL for :func:`feedback.ratings.store.claim_and_store` (PostgreSQL).
_CLAIM_SQL = (
    "UPDATE invites SET state = :new_state, draft = NULL"
    " WHERE id = :invite_id AND state = ANY(CAST(:answerable AS varchar[])) RETURNING id"
)


def _forget_loaded(invite_id: int) -> None:
    """Have the session read the invite again, if it holds it: a statement changed it."""
    loaded = db.session.identity_map.get(identity_key(Invite, invite_id))
    if loaded is not None:
        db.session.expire(loaded)


def _claim(invite_id: int, new_state: InviteState) -> None:
    """Move the invite out of the answerable states with one conditional UPDATE, so two
    simultaneous submits cannot both succeed; erase the draft in the same statement."""
    result = db.session.execute(_CLAIM, {"invite_id": invite_id, "new_state": new_state})
    _forget_loaded(invite_id)  # read the state again, whoever won
    if result.rowcount != 1:
        raise AlreadyAnswered


def submit(invite, answers: Answers) -> None:
    """Record the rater's answers as an anonymous response, once. ``invite``: a mapped
    :class:`Invite` or a :class:`.visit.RaterVisit` (whose cycle has what the store
    needs: its id and questionnaire's)."""
    cycle = invite.cycle
    group = invite.group
    if db.session.get_bind().dialect.name == "postgresql":
        # The claim and the answers in one statement: one round trip, not four.
        claimed = claim_and_store(
            _CLAIM_SQL,
            {
                "invite_id": invite.id,
                "new_state": InviteState.SUBMITTED.value,
                "answerable": [state.value for state in ANSWERABLE],
            },
            cycle,
            group,
            answers,
        )
        _forget_loaded(invite.id)
        if not claimed:
            raise AlreadyAnswered
        return
    wait_in_line_to_write()  # SQLite: one writer at a time, woken when it is its turn
    _claim(invite.id, InviteState.SUBMITTED)
    store_answers(cycle, group, answers)


def decline(invite: Invite) -> None:
    """The rater chooses not to answer; their draft is erased."""
    _claim(invite.id, InviteState.DECLINED)


class NotDeclined(Exception):
    """The invite is not declined (any more), or its cycle (or pulse) takes no answers."""


def undo_decline(invite: Invite) -> None:
    """The rater changes their mind while the cycle is open: the invite can be answered
    again (as one whose invitation arrived; the draft erased at the decline stays
    gone). Raises NotDeclined when the invite is not declined or the cycle no longer
    takes answers."""
    reopen_declined(invite, taking_answers=invite.cycle.is_open)


def reopen_declined(invite, *, taking_answers: bool) -> None:
    """Make a declined ``invite`` (a cycle's :class:`Invite` or a pulse's) answerable
    again, as one whose invitation arrived, in one conditional UPDATE, so that a second
    press changes nothing. Raises NotDeclined when it is not declined or what it
    belongs to is not ``taking_answers``."""
    if not taking_answers:
        raise NotDeclined
    table = type(invite).__table__
    result = db.session.execute(
        update(table)
        .where(table.c.id == invite.id, table.c.state == InviteState.DECLINED)
        .values(state=InviteState.SENT)
    )
    db.session.expire(invite)
    if result.rowcount != 1:
        raise NotDeclined


#: Built once (SQLAlchemy then keeps its cache key too): every dashboard view asks.
_PROGRESS = (
    select(Invite.group, Invite.state, func.count())
    .where(Invite.cycle_id == bindparam("cycle_id"))
    .group_by(Invite.group, Invite.state)
)


def progress(cycle: Cycle) -> dict[str, dict[str, int]]:
    """Per group: how many were invited and how many answered. Never who. Nominations
    that wait for the coach are not counted; removed ones whose invitation reached them
    still are, so that removing someone never changes what was answered."""
    rows = db.session.execute(_PROGRESS, {"cycle_id": cycle.id}).all()
    table = {group: Counter() for group in RATER_GROUPS}
    for group, state, count in rows:
        if state is InviteState.AWAITING:
            continue  # not invited yet: the coach has not approved them
        table[group]["invited"] += count
        if state is InviteState.SUBMITTED:
            table[group]["answered"] += count
        elif state is InviteState.BOUNCED:
            table[group]["bounced"] += count
    return {
        group: {key: counts[key] for key in ("invited", "answered", "bounced")}
        for group, counts in table.items()
    }


def invites_of(cycle: Cycle) -> list[Invite]:
    """The cycle's nominations, by group and name, without those removed (for the
    coachee and the coach; whether each answered is never shown)."""
    order = {group: index for index, group in enumerate(RATER_GROUPS)}
    invites = db.session.scalars(
        select(Invite).where(Invite.cycle_id == cycle.id, Invite.removed_at.is_(None))
    ).all()
    return sorted(invites, key=lambda i: (order.get(i.group, 9), i.display_name.lower()))


#: Nominations that can be withdrawn: their invitation has not reached the rater (not
#: sent yet, or refused by the rater's mail server), so nobody can have answered them.
#: One that reached its rater is never withdrawn, whatever the rater did, so that a
#: refusal tells nobody whether that rater answered.
WITHDRAWABLE = (InviteState.AWAITING, InviteState.PENDING, InviteState.BOUNCED)


class NotWithdrawable(Exception):
    """The invitation has reached the rater (or is on its way out)."""


def invite_of(cycle: Cycle, invite_id: int) -> Invite:
    """``cycle``'s invite; raises NotFound for another cycle's."""
    return owned_row(Invite, invite_id, lambda row: row.cycle_id == cycle.id, "nomination")


def withdraw(invite: Invite) -> None:
    """Remove a nomination whose invitation has not reached the rater (a mistyped
    address, a bounce), with its queued mail (the outbox rows follow the invite). One
    conditional DELETE, so an invitation that goes out at the same moment stays.
    Raises NotWithdrawable for any other invite."""
    table = Invite.__table__
    result = db.session.execute(
        delete(table).where(table.c.id == invite.id, table.c.state.in_(WITHDRAWABLE))
    )
    if result.rowcount != 1:
        raise NotWithdrawable
    db.session.expunge(invite)


#: What a removed nominee's address becomes: no "@", so it is never mailed, and the
#: address can be nominated again.
REMOVED_EMAIL = "removed-{id}"


def remove(invite: Invite) -> None:
    """Take a nominee off the cycle's list, for the coachee or the coach, and stop their
    link working. One whose invitation has not reached them is deleted
    (:func:`withdraw`). One it reached stays as a row whatever they did, so the counts
    per group do not move and nothing tells whether they had answered: their address
    and name are erased, their link and any draft too, and their queued mail is
    withdrawn; one who had not answered can no longer answer. An answer already given
    stays in the results (it is anonymous, and nothing leads back to it)."""
    lock_cycle(invite.cycle)
    try:
        withdraw(invite)
        return
    except NotWithdrawable:
        pass
    table = Invite.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == invite.id, table.c.state.in_(ANSWERABLE))
        .values(state=InviteState.REMOVED)
    )
    db.session.execute(
        update(table)
        .where(table.c.id == invite.id, table.c.removed_at.is_(None))
        .values(
            removed_at=utcnow(),
            email=REMOVED_EMAIL.format(id=invite.id),
            name="",
            draft=None,
            link_key=new_link_key(),
        )
    )
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.invite_id == invite.id, OutboxMessage.state == MessageState.QUEUED
        )
    )
    db.session.expire(invite)


def correct(
    invite: Invite, *, email: str, group: str, wait_for_coach: bool = False
) -> Invite | None:
    """Correct a nominee's address or group: the nominee is removed (:func:`remove`; their
    link stops working) and the corrected one nominated in their place, with a fresh link
    (waiting for the coach when ``wait_for_coach``). Returns the new invite, or None when
    nothing changed. Raises ValueError for an address or group that cannot be used, or
    one already on the list."""
    email = normalise_email(email)
    group = parse_group(group)
    if email == invite.email and group == invite.group:
        return None
    cycle = invite.cycle
    name = invite.name
    remove(invite)
    db.session.flush()
    created, refused = nominate(
        cycle,
        [Nomination(email=email, group=group, name=name, language=invite.language)],
        wait_for_coach=wait_for_coach,
    )
    if refused:
        raise ValueError(refused[0][1])
    return created[0]


#: The minimums a new cycle suggests: one boss, three peers, three subordinates (0 where
#: the coachee has none), eight raters in all.
DEFAULT_MINIMUMS = {"boss": 1, "peer": 3, "subordinate": 3}
DEFAULT_MINIMUM_IN_ALL = 8


@dataclass(frozen=True)
class Shortfall:
    """How many raters are still needed: per group (only groups short of their minimum)
    and, beyond those, from any group to reach the minimum in all."""

    groups: dict[str, int]
    any_group: int

    @property
    def total(self) -> int:
        """How many more raters would meet every minimum."""
        return sum(self.groups.values()) + self.any_group

    def __bool__(self) -> bool:
        return self.total > 0

    def describe(self) -> str:
        """In words, e.g. "2 more peers and 1 more from any group", in the language of
        the page or email."""
        parts = [_more(group, n) for group, n in self.groups.items()]
        if self.any_group:
            parts.append(
                ngettext(
                    "%(num)d more from any group", "%(num)d more from any group", self.any_group
                )
            )
        if len(parts) > 1:
            return gettext("%(some)s and %(last)s", some=", ".join(parts[:-1]), last=parts[-1])
        return parts[0] if parts else gettext("nobody more")


def _more(group: str, n: int) -> str:
    """How a shortfall names ``n`` more raters of ``group``."""
    if group == "boss":
        return ngettext("%(num)d more boss", "%(num)d more bosses", n)
    if group == "peer":
        return ngettext("%(num)d more peer", "%(num)d more peers", n)
    return ngettext("%(num)d more subordinate", "%(num)d more subordinates", n)


def minimums_of(cycle: Cycle) -> dict[str, int]:
    """The cycle's minimum per group (0: none)."""
    return {"boss": cycle.min_boss, "peer": cycle.min_peers, "subordinate": cycle.min_subordinates}


def shortfall(cycle: Cycle, counts: dict[str, int]) -> Shortfall:
    """What ``counts`` (raters per group) lack of the cycle's minimums."""
    groups = {
        group: minimum - counts.get(group, 0)
        for group, minimum in minimums_of(cycle).items()
        if counts.get(group, 0) < minimum
    }
    beyond = cycle.min_raters - sum(counts.values()) - sum(groups.values())
    return Shortfall(groups=groups, any_group=max(0, beyond))


def nominated_counts(cycle: Cycle) -> dict[str, int]:
    """Per group, the nominees who are on the list and can be asked: waiting for the
    coach or invited, not removed and not bounced. Whether they answered does not
    matter, so these counts say nothing about it."""
    rows = db.session.execute(
        select(Invite.group, func.count())
        .where(
            Invite.cycle_id == cycle.id,
            Invite.removed_at.is_(None),
            Invite.state.not_in([InviteState.BOUNCED, InviteState.REMOVED]),
        )
        .group_by(Invite.group)
    ).all()
    counts = dict.fromkeys(RATER_GROUPS, 0)
    counts.update(dict(rows))
    return counts


def nomination_shortfall(cycle: Cycle) -> Shortfall:
    """Who is still missing from the list for the cycle's minimums (the coachee's and
    the coach's pages, before approving)."""
    return shortfall(cycle, nominated_counts(cycle))


def answer_shortfall(cycle: Cycle) -> Shortfall:
    """How many answers are still missing for the cycle's minimums (warned about before
    the cycle closes). Counts per group only, as the coach's page shows them."""
    return shortfall(cycle, {g: c["answered"] for g, c in progress(cycle).items()})
