"""The API's operations. Each one does what the coach's page of the same name does,
through the same services and the same owner check (another coach's id is a 404), and
shows what that page shows: progress counts per group, never who answered; results
only of a closed cycle, as the anonymity guard left them.

Services flush; each operation that changes something commits once, and the mail it
queued leaves after the commit, as on the pages.
"""

from datetime import UTC, datetime

from flask import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts import tokens as token_services
from ..coaching import audit
from ..coaching import services as coaching
from ..coaching.models import Coachee as CoacheeRow
from ..coaching.models import Cycle as CycleRow
from ..coaching.questionnaires import questionnaire_for_cycle
from ..cycles import lifecycle
from ..cycles.data_rights import coachee_export, delete_coachee
from ..cycles.nominations import correct_nominee
from ..database import commit
from ..errors import NotFound
from ..extensions import db
from ..i18n import known
from ..pulses import services as pulses
from ..pulses.models import Pulse as PulseRow
from ..raters import services as raters
from ..raters.models import Invite
from ..ratings.held import held_answers
from ..ratings.results import cycle_report
from ..reports.exports import MEDIA_TYPES, ExportError, filename, report_bytes
from ..reports.released import ReleaseError
from ..vocabulary import CycleState, CycleStateError, InviteState
from . import schemas as s
from .auth import current_coach, current_token
from .blueprint import bp
from .problems import Problem, validation_problem
from .spec import answers, operation

# ---------------------------------------------------------------- shapes


def utc(moment: datetime | None) -> datetime | None:
    """A stored time (naive, in UTC) as an RFC 3339 time with its offset."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _coachee(coachee: CoacheeRow) -> s.Coachee:
    return s.Coachee(
        id=coachee.id,
        name=coachee.name,
        email=coachee.email,
        language=known(coachee.language),
        added_at=utc(coachee.created_at),
        cycle_ids=[cycle.id for cycle in coachee.cycles],
    )


def _cycle(cycle: CycleRow) -> s.Cycle:
    questionnaire = cycle.questionnaire
    return s.Cycle(
        id=cycle.id,
        coachee_id=cycle.coachee_id,
        state=str(cycle.state),
        questionnaire=f"{questionnaire.key} (version {questionnaire.version})",
        questionnaire_key=questionnaire.key,
        questionnaire_version=questionnaire.version,
        closes_on=cycle.closes_on,
        past_deadline=cycle.is_past_deadline,
        welcome_note=cycle.welcome_note,
        language=known(cycle.language) or "en",
        min_group_size=cycle.min_group_size,
        boss_exempt=cycle.boss_exempt,
        approve_nominations=cycle.approve_nominations,
        **{name: getattr(cycle, name) for name in s.MINIMUMS},
        started_at=utc(cycle.created_at),
        closed_at=utc(cycle.closed_at),
        released_at=utc(cycle.released_at),
    )


def _nomination_state(invite: Invite) -> str:
    """What the list may say of a nominee: never whether they answered or declined."""
    if invite.removed_at is not None or invite.state is InviteState.REMOVED:
        return "removed"
    if invite.state is InviteState.AWAITING:
        return "awaiting"
    if invite.state is InviteState.BOUNCED:
        return "bounced"
    return "invited"


def _nomination(invite: Invite) -> s.Nomination:
    state = _nomination_state(invite)
    removed = state == "removed"
    return s.Nomination(
        id=invite.id,
        email="" if removed else invite.email,
        name="" if removed else invite.name,
        group=invite.group,
        language=known(invite.speaks) or "en",
        state=state,
        bounced=state == "bounced",
    )


def shown(value):
    """A figure as the API gives it: null where the guard hides it (NaN, NA, None),
    whole counts as integers, other figures rounded as in the gap CSV."""
    import numpy as np  # only results have figures: pandas is loaded by then
    import pandas as pd

    from ..analysis.io import DECIMALS

    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    return round(float(value), DECIMALS)


def _row(record: dict, item_texts: dict[str, str]) -> dict:
    """A results row (item or competency) with hidden figures as null."""
    row = {key: shown(value) for key, value in record.items() if key != "coachee_id"}
    if row.get("item_key"):
        row["statement"] = item_texts.get(row["item_key"])
    return row


def _results(cycle: CycleRow) -> s.Results | None:
    """The dashboard's figures of closed ``cycle`` (:func:`cycle_report`), null where
    hidden; None when no rater answered."""
    report = cycle_report(cycle)
    if report is None:
        return None
    results = report.results
    agreement = None
    if results.agreement is not None:
        agreement = {key: shown(results.agreement.get(key)) for key in s.Agreement.model_fields}
    held = held_answers(cycle)
    return s.Results(
        min_group_size=results.rules.min_group_size,
        boss_exempt=results.rules.boss_exempt,
        shown_groups=list(results.shown_groups),
        shown_statements=report.shown_statements,
        held_answers=held.count if held else 0,
        agreement=agreement,
        competencies=[_row(row, report.item_texts) for row in report.competency_rows],
        statements=[_row(row, report.item_texts) for row in report.item_rows],
        **{name: [row["item_key"] for row in rows] for name, rows in report.rankings.items()},
        self_headline=results.self_headline,
        others_headlines=list(results.others_headlines),
        comments=[
            {
                "key": key,
                "question": report.question_texts.get(key, key),
                "comments": [
                    {"text": comment["text"], "group": comment["group_label"]}
                    for comment in comments
                ],
            }
            for key, comments in report.comments_by_question.items()
        ],
        words=report.word_lists,
    )


def _cycle_of(cycle_id: int) -> CycleRow:
    return coaching.cycle_of(current_coach(), cycle_id)


# ---------------------------------------------------------------- coachees


@bp.get("/coachees")
@operation(resp=answers(HTTP_200=s.CoacheeList), tags=["coachees"])
def list_coachees():
    """The coach's coachees, by name."""
    coachees = coaching.coachees_of(current_coach())
    return s.CoacheeList(coachees=[_coachee(coachee) for coachee in coachees])


@bp.post("/coachees")
@operation(json=s.CoacheeIn, resp=answers(409, 415, HTTP_201=s.Coachee), tags=["coachees"])
def add_coachee(json: s.CoacheeIn):
    """Add a coachee (then start their first cycle)."""
    body = _body(json)
    try:
        coachee = coaching.add_coachee(current_coach(), name=body.name, email=str(body.email))
    except ValueError as exc:
        raise _coachee_problem(exc) from None
    coachee.language = body.language
    commit()
    return _coachee(coachee), 201


@bp.get("/coachees/<int:coachee_id>")
@operation(resp=answers(HTTP_200=s.Coachee), tags=["coachees"])
def show_coachee(coachee_id: int):
    """A coachee with their cycles' ids."""
    return _coachee(coaching.coachee_of(current_coach(), coachee_id))


@bp.patch("/coachees/<int:coachee_id>")
@operation(json=s.CoacheeChange, resp=answers(409, 415, HTTP_200=s.Coachee), tags=["coachees"])
def edit_coachee(coachee_id: int, json: s.CoacheeChange):
    """Correct a coachee's name or address; a new address sends each open cycle's
    portal link there, and the old link stops working."""
    body = _body(json)
    coachee = coaching.coachee_of(current_coach(), coachee_id)
    try:
        lifecycle.update_coachee(
            coachee,
            name=body.name if body.name is not None else coachee.name,
            email=str(body.email) if body.email is not None else coachee.email,
        )
    except ValueError as exc:
        db.session.rollback()
        raise _coachee_problem(exc) from None
    if "language" in body.model_fields_set:
        coachee.language = body.language
    commit()
    return _coachee(coachee)


@bp.delete("/coachees/<int:coachee_id>")
@operation(resp=answers(HTTP_204=None), tags=["coachees"])
def delete_coachee_data(coachee_id: int):
    """Delete the coachee with every cycle, invite, answer and email about them, as
    their data rights allow (the page's “delete”). It cannot be undone."""
    coachee = coaching.coachee_of(current_coach(), coachee_id)
    delete_coachee(coachee)
    commit()
    return Response(status=204)


@bp.get("/coachees/<int:coachee_id>/export")
@operation(resp=answers(HTTP_200=s.CoacheeExport), tags=["coachees"])
def export_coachee(coachee_id: int):
    """The coachee's own data, as the page's download gives it: never raters' answers,
    nor who answered."""
    coachee = coaching.coachee_of(current_coach(), coachee_id)
    export = coachee_export(coachee)
    audit.record_download(current_coach(), coachee=coachee, detail="the coachee's data (JSON)")
    commit()
    return export


# ---------------------------------------------------------------- cycles


@bp.get("/coachees/<int:coachee_id>/cycles")
@operation(resp=answers(HTTP_200=s.CycleList), tags=["cycles"])
def list_cycles(coachee_id: int):
    """A coachee's cycles, oldest first."""
    coachee = coaching.coachee_of(current_coach(), coachee_id)
    return s.CycleList(cycles=[_cycle(cycle) for cycle in coachee.cycles])


@bp.post("/coachees/<int:coachee_id>/cycles")
@operation(json=s.CycleIn, resp=answers(415, HTTP_201=s.Cycle), tags=["cycles"])
def start_cycle(coachee_id: int, json: s.CycleIn):
    """Start a cycle on the default questionnaire or one of the coach's own, with its
    minimum raters and, if asked, the coachee's nominations waiting for the coach's
    approval; the coachee is sent their portal link by email."""
    body = _body(json)
    coach = current_coach()
    coachee = coaching.coachee_of(coach, coachee_id)
    try:
        questionnaire = questionnaire_for_cycle(coach, body.questionnaire)
    except NotFound:
        raise _field_problem(
            "questionnaire", f"there is no questionnaire “{body.questionnaire}” of yours"
        ) from None
    if body.language not in questionnaire.languages:
        raise _field_problem(
            "language", raters.language_missing(body.language, questionnaire.languages)
        )
    try:
        cycle = lifecycle.start_cycle(
            coachee,
            closes_on=body.closes_on,
            welcome_note=body.welcome_note,
            boss_exempt=body.boss_exempt,
            questionnaire=questionnaire,
            approve_nominations=body.approve_nominations,
            minimums=body.minimums(),
            language=body.language,
        )
    except ValueError as exc:
        raise _field_problem("closes_on", str(exc)) from None
    commit()
    return _cycle(cycle), 201


@bp.get("/cycles/<int:cycle_id>")
@operation(resp=answers(HTTP_200=s.Cycle), tags=["cycles"])
def show_cycle(cycle_id: int):
    """A cycle: state, deadline, dates."""
    return _cycle(_cycle_of(cycle_id))


@bp.post("/cycles/<int:cycle_id>/close")
@operation(json=s.Close, resp=answers(409, 415, HTTP_200=s.Cycle), tags=["cycles"])
def close_cycle(cycle_id: int, json: s.Close = None):
    """Close the cycle now; its results show. A cycle with fewer answers than its
    minimums is refused (409, saying what is missing) unless the body says
    `{"below_minimum": true}`; no body is the same as `{}`."""
    below_minimum = json.below_minimum if json is not None else False
    cycle = _cycle_of(cycle_id)
    if cycle.state is not CycleState.OPEN:
        raise Problem(409, "This cycle is already closed.")
    missing = raters.answer_shortfall(cycle)
    if missing and not below_minimum:
        raise Problem(
            409,
            "This cycle has fewer answers than its minimum raters (still needed: "
            f"{missing.describe()}). To close it anyway, send "
            '{"below_minimum": true}.',
            title="Below the minimum raters",
        )
    try:
        lifecycle.close_cycle(cycle)
    except CycleStateError:
        raise Problem(409, "This cycle is already closed.") from None
    commit()
    return _cycle(cycle)


@bp.post("/cycles/<int:cycle_id>/reopen")
@operation(json=s.Reopen, resp=answers(409, 415, HTTP_200=s.Cycle), tags=["cycles"])
def reopen_cycle(cycle_id: int, json: s.Reopen):
    """Take answers again until a new deadline. The results hide until the cycle closes
    again; late answers join them only where that singles nobody out; what was
    released to the coachee stays as it was until the coach releases again."""
    body = _body(json)
    cycle = _cycle_of(cycle_id)
    if cycle.state is not CycleState.CLOSED:
        raise Problem(409, "Only a closed cycle can be reopened.")
    try:
        lifecycle.reopen_cycle(cycle, closes_on=body.closes_on)
    except ValueError as exc:
        raise _field_problem("closes_on", str(exc)) from None
    commit()
    return _cycle(cycle)


@bp.post("/cycles/<int:cycle_id>/keep-results")
@operation(json=s.KeepResults, resp=answers(409, 415, HTTP_200=s.Done), tags=["cycles"])
def keep_results(cycle_id: int, json: s.KeepResults):
    """Keep a closed cycle's results as they were: the late answers that wait are
    deleted."""
    _body(json)
    cycle = _cycle_of(cycle_id)
    try:
        deleted = lifecycle.keep_results(cycle)
    except CycleStateError:
        raise Problem(409, "The cycle is open: late answers are weighed when it closes.") from None
    commit()
    return s.Done(
        message=f"The results stay as they were; {deleted} waiting answer"
        f"{'s were' if deleted != 1 else ' was'} deleted."
    )


@bp.post("/cycles/<int:cycle_id>/release")
@operation(resp=answers(409, HTTP_200=s.Cycle), tags=["cycles"])
def release_report(cycle_id: int):
    """Let the coachee see their report in their portal (again, with the new results,
    after a reopened cycle closed)."""
    cycle = _cycle_of(cycle_id)
    try:
        lifecycle.release(cycle)
    except ReleaseError as exc:
        raise Problem(409, f"Not released: {exc}.") from None
    commit()
    return _cycle(cycle)


@bp.get("/cycles/<int:cycle_id>/progress")
@operation(resp=answers(HTTP_200=s.Progress), tags=["cycles"])
def show_progress(cycle_id: int):
    """How many raters were asked and answered, per group; never who."""
    cycle = _cycle_of(cycle_id)
    return s.Progress(cycle_id=cycle.id, state=str(cycle.state), groups=raters.progress(cycle))


@bp.get("/cycles/<int:cycle_id>/results")
@operation(resp=answers(409, HTTP_200=s.CycleResults), tags=["results"])
def show_results(cycle_id: int):
    """A closed cycle's results: the dashboard's figures, with what the anonymity guard
    hides as null. An open cycle has none (409): results show only once it closes."""
    cycle = _cycle_of(cycle_id)
    if cycle.state is not CycleState.CLOSED or cycle.closed_at is None:
        raise Problem(409, "Results show once the cycle is closed; until then, see progress.")
    return s.CycleResults(
        cycle_id=cycle.id, closed_at=utc(cycle.closed_at), results=_results(cycle)
    )


@bp.get("/cycles/<int:cycle_id>/exports/<fmt>")
@operation(resp=answers(409, HTTP_200=None), tags=["results"])
def download_report(cycle_id: int, fmt: str):
    """A closed cycle's report as the dashboard's downloads give it: the gap CSV, the
    XLSX workbook or the self-contained HTML report."""
    cycle = _cycle_of(cycle_id)
    if fmt not in s.ExportFormat.__members__:
        raise Problem(404, f"No export “{fmt}”; use one of {', '.join(s.ExportFormat)}.")
    try:
        body = report_bytes(cycle, fmt)
    except ExportError as exc:
        raise Problem(409, f"{exc}.") from None
    audit.record_download(
        current_coach(), cycle=cycle, detail=f"report ({fmt}) of cycle {cycle.id}"
    )
    commit()
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt].split(";")[0],
        headers={"Content-Disposition": f'attachment; filename="{filename(cycle, fmt)}"'},
    )


# ---------------------------------------------------------------- pulses


def _pulse(pulse: PulseRow) -> s.Pulse:
    state = "closed" if pulse.is_closed else "open" if pulse.is_open else "past_deadline"
    return s.Pulse(
        id=pulse.id,
        cycle_id=pulse.cycle_id,
        statements=list(pulse.statements),
        closes_on=pulse.closes_on,
        state=state,
        created_at=utc(pulse.created_at),
        closed_at=utc(pulse.closed_at),
        groups=pulses.progress(pulse),
    )


def _pulse_of(pulse_id: int) -> PulseRow:
    return pulses.pulse_of(current_coach().id, pulse_id)


@bp.get("/cycles/<int:cycle_id>/pulses")
@operation(resp=answers(HTTP_200=s.PulseList), tags=["pulses"])
def list_pulses(cycle_id: int):
    """The pulses on a cycle, newest first, each with its counts per group."""
    cycle = _cycle_of(cycle_id)
    return s.PulseList(pulses=[_pulse(pulse) for pulse in pulses.pulses_of_cycle(cycle)])


@bp.post("/cycles/<int:cycle_id>/pulses")
@operation(json=s.PulseIn, resp=answers(409, 415, HTTP_201=s.Pulse), tags=["pulses"])
def create_pulse(cycle_id: int, json: s.PulseIn):
    """Send a pulse on a closed cycle, as its page does: the statements again, with
    "What has changed?", to every rater who answered the cycle and to the raters
    given, until `closes_on`. A cycle that is not closed, or has a pulse running,
    gets a 409; bad statements, deadline or raters a 422 at the field."""
    body = _body(json)
    cycle = _cycle_of(cycle_id)
    added = _nominations(body.raters)
    try:
        pulse = pulses.create_pulse(cycle, body.statements, body.closes_on, added)
    except pulses.PulseError as exc:
        if exc.field is None:
            raise Problem(409, f"{exc}") from None
        raise _field_problem(exc.field, str(exc)) from None
    commit()
    return _pulse(pulse), 201


@bp.get("/pulses/<int:pulse_id>")
@operation(resp=answers(HTTP_200=s.Pulse), tags=["pulses"])
def show_pulse(pulse_id: int):
    """A pulse: what it asks, until when, and how many answered per group."""
    return _pulse(_pulse_of(pulse_id))


@bp.post("/pulses/<int:pulse_id>/close")
@operation(resp=answers(409, HTTP_200=s.Pulse), tags=["pulses"])
def close_pulse(pulse_id: int):
    """Close the pulse now: no more answers, and its results show."""
    pulse = _pulse_of(pulse_id)
    try:
        pulses.close_pulse(pulse)
    except ValueError:
        raise Problem(409, "This pulse is already closed.") from None
    commit()
    return _pulse(pulse)


@bp.get("/pulses/<int:pulse_id>/results")
@operation(resp=answers(409, HTTP_200=s.PulseResults), tags=["results"])
def show_pulse_results(pulse_id: int):
    """A closed pulse beside the cycle it re-checks, per statement: all raters and each
    group shown in both, with the change. What the anonymity guard or the rule across
    time leaves out is null (or the group is absent), with why in `why`. A pulse that
    is not closed has none (409)."""
    from ..pulses.results import pulse_results  # pandas: only results need it

    pulse = _pulse_of(pulse_id)
    results = pulse_results(pulse)
    if results is None:
        raise Problem(409, "Results show once the pulse is closed; until then, see the pulse.")

    def figure(value) -> s.PulseFigure:
        return s.PulseFigure(mean=shown(value.mean), n=None if value.n is None else int(value.n))

    def row(group_row) -> s.PulseRow:
        return s.PulseRow(
            group=group_row.group or "all",
            baseline=figure(group_row.baseline),
            pulse=figure(group_row.pulse),
            change=shown(group_row.change),
        )

    return s.PulseResults(
        pulse_id=pulse.id,
        closed_at=utc(pulse.closed_at),
        answered=results.answered,
        statements=[
            s.PulseStatement(
                key=statement.key,
                statement=statement.text,
                rows=[row(statement.others), *(row(g) for g in statement.groups)],
                why=statement.why,
            )
            for statement in results.statements
        ],
        changed=[s.Comment(text=text, group=group) for text, group in results.changed],
        unavailable=results.unavailable,
    )


# ---------------------------------------------------------------- raters


@bp.get("/cycles/<int:cycle_id>/nominations")
@operation(resp=answers(HTTP_200=s.NominationList), tags=["raters"])
def list_nominations(cycle_id: int):
    """Whom the coachee and the coach nominated, by group and name, then those taken
    off the list: each one's state says whether it waits for the coach's approval, was
    invited, bounced or was removed, never whether the rater answered (counts per
    group are in progress)."""
    cycle = _cycle_of(cycle_id)
    listed = raters.invites_of(cycle)
    removed = db.session.scalars(
        select(Invite)
        .where(Invite.cycle_id == cycle.id, Invite.removed_at.is_not(None))
        .order_by(Invite.id)
    ).all()
    return s.NominationList(nominations=[_nomination(i) for i in [*listed, *removed]])


@bp.post("/cycles/<int:cycle_id>/nominations")
@operation(
    json=s.NominationsIn,
    resp=answers(409, 415, HTTP_201=s.NominationResult),
    tags=["raters"],
)
def nominate_raters(cycle_id: int, json: s.NominationsIn):
    """Invite raters (each gets their link by email). Nominations made with the coach's
    token are the coach's own, so they are invited at once, even on a cycle whose
    coachee's nominations wait for approval. Nominations that cannot be made
    (already invited, the coachee's own address, the cycle full) are listed as
    refused; when none could be made, the answer is a 422 problem."""
    body = _body(json)
    cycle = _cycle_of(cycle_id)
    if not cycle.is_open:
        raise Problem(409, "This cycle is closed; no more raters can be invited.")
    nominations = _nominations(body.raters)
    try:
        created, refused = raters.nominate(cycle, nominations)
    except IntegrityError:
        # The same address added by a simultaneous writer: start again, seeing it.
        db.session.rollback()
        cycle = _cycle_of(cycle_id)
        created, refused = raters.nominate(cycle, nominations)
    if not created:
        db.session.rollback()
        raise Problem(
            422,
            "No rater could be invited.",
            title="The request is not valid",
            errors=[
                {"field": "body.raters", "message": f"{n.email}: {why}", "code": "refused"}
                for n, why in refused
            ],
        )
    commit()
    return s.NominationResult(
        invited=[_nomination(invite) for invite in created],
        refused=[s.Refusal(email=n.email, group=n.group, reason=why) for n, why in refused],
    ), 201


@bp.post("/cycles/<int:cycle_id>/nominations/approve")
@operation(json=s.Approve, resp=answers(409, 415, HTTP_200=s.Approved), tags=["raters"])
def approve_nominations(cycle_id: int, json: s.Approve = None):
    """Approve the nominations that wait for the coach: those of `ids`, or all of them
    (no body, or no `ids`). Their invitations leave after the commit, and the coach's
    audit trail records the approval, as on the cycle's page. Ids that do not wait
    (already approved, removed, another cycle's) are passed over."""
    cycle = _cycle_of(cycle_id)
    if not cycle.is_open:
        raise Problem(409, "This cycle is closed; nobody can be invited any more.")
    ids = json.ids if json is not None else None
    approved = raters.approve(cycle, ids)
    missing = raters.nomination_shortfall(cycle)
    commit()
    return s.Approved(
        approved=[_nomination(invite) for invite in approved],
        still_missing=missing.describe() if missing else None,
    )


def _nominee(cycle: CycleRow, invite_id: int) -> Invite:
    """A nominee on ``cycle``'s list (404 otherwise, or once removed) whose details can
    still change (409 once the cycle is closed), as on the coach's page."""
    invite = raters.invite_of(cycle, invite_id)
    if invite.removed_at is not None:
        raise Problem(404, "This rater is no longer on the list.")
    if not cycle.is_open:
        raise Problem(409, "This cycle is closed; its list of raters stays as it is.")
    return invite


@bp.delete("/cycles/<int:cycle_id>/nominations/<int:invite_id>")
@operation(resp=answers(409, HTTP_204=None), tags=["raters"])
def remove_nomination(cycle_id: int, invite_id: int):
    """Take a rater off the list, as the coach's page does; their link stops working.
    One whose invitation has not reached them (waiting, not sent yet, bounced) is
    deleted with its mail; one it reached stays as a removed row without address or
    name, whatever they did, so the answer is the same for everyone and never tells
    who answered (an answer already given stays, anonymous, in the results)."""
    cycle = _cycle_of(cycle_id)
    invite = _nominee(cycle, invite_id)
    raters.remove(invite)
    commit()
    return Response(status=204)


@bp.patch("/cycles/<int:cycle_id>/nominations/<int:invite_id>")
@operation(json=s.Correction, resp=answers(409, 415, HTTP_200=s.Nomination), tags=["raters"])
def correct_nomination(cycle_id: int, invite_id: int, json: s.Correction):
    """Correct a nominee's address or group, as the coach's page does: the nominee is
    taken off the list (their link stops working) and the corrected one is invited at
    once with a fresh link, under a new id, which the answer carries. Nothing to change
    answers the nominee as they are."""
    body = _body(json)
    cycle = _cycle_of(cycle_id)
    invite = _nominee(cycle, invite_id)
    email = str(body.email) if body.email is not None else invite.email
    group = body.group if body.group is not None else invite.group
    try:
        created = correct_nominee(invite, email=email, group=group, by_coach=True)
    except ValueError as exc:
        db.session.rollback()
        raise _field_problem("email", str(exc)) from None
    commit()
    return _nomination(created if created is not None else invite)


# ---------------------------------------------------------------- tokens


@bp.get("/tokens")
@operation(resp=answers(HTTP_200=s.TokenList), tags=["tokens"])
def list_tokens():
    """The coach's live API tokens (never their secrets)."""
    current = current_token()
    return s.TokenList(
        tokens=[
            s.Token(
                id=token.id,
                name=token.name,
                scope=token.scope,
                prefix=token.prefix,
                created_at=utc(token.created_at),
                current=token.id == current.id,
            )
            for token in token_services.tokens_of(current_coach())
        ]
    )


@bp.delete("/tokens/<int:token_id>")
@operation(resp=answers(HTTP_204=None), tags=["tokens"])
def revoke_token(token_id: int):
    """Revoke one of the coach's tokens (this one too); it stops working at once."""
    token = token_services.token_of(current_coach(), token_id)
    if token.revoked_at is not None:
        raise Problem(404, f"no API token {token_id}")
    token_services.revoke_token(token)
    commit()
    return Response(status=204)


# ---------------------------------------------------------------- helpers


def _nominations(given: list[s.NominationIn]) -> list[raters.Nomination]:
    """The raters of a body as the services take them, each address normalised; a 422
    naming every address that cannot be used."""
    nominations = []
    problems = []
    for index, rater in enumerate(given):
        try:
            email = raters.normalise_email(str(rater.email))
        except ValueError as exc:
            problems.append({"loc": ("raters", index, "email"), "msg": str(exc), "type": "email"})
            continue
        nominations.append(
            raters.Nomination(
                email=email, group=rater.group, name=rater.name, language=rater.language
            )
        )
    if problems:
        raise validation_problem(problems)
    return nominations


def _body(json):
    """The validated body; a request that did not send JSON gets a 415 problem."""
    if json is None:
        raise Problem(415, "Send the body as JSON (`Content-Type: application/json`).")
    return json


def _coachee_problem(error: ValueError) -> Problem:
    """What the coachee services refuse: an address another of the coach's coachees has
    (409; the service's error names that coachee), or a name that does not fit (422)."""
    if getattr(error, "coachee", None) is not None:
        return Problem(409, f"{error}.", title="The address is taken")
    return _field_problem("name", str(error))


def _field_problem(field: str, message: str) -> Problem:
    return validation_problem([{"loc": (field,), "msg": message, "type": "value_error"}])
