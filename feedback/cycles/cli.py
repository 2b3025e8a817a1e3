"""The cycle's commands: ``feedback cycle create|approve|close|import``, ``feedback mail
send|work`` (the scheduled round) and ``feedback retention apply``. Bad input exits
with status 2 and a message (click's UsageError)."""

import json
import signal
import time
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import i18n
from ..accounts.services import coach_by_email
from ..coaching.models import Coachee, Cycle
from ..coaching.questionnaires import questionnaire_for_cycle
from ..coaching.services import add_coachee, dashboard_url, portal_url
from ..database import commit
from ..errors import NotFound
from ..extensions import db
from ..raters.services import (
    DEFAULT_MINIMUM_IN_ALL,
    DEFAULT_MINIMUMS,
    MAX_RATERS_PER_CYCLE,
    answer_shortfall,
    approve,
    nomination_shortfall,
    normalise_email,
)
from ..timeutil import today
from ..vocabulary import CycleState, CycleStateError, name_too_long
from . import lifecycle
from .importing import import_cycles, read_cycle_csv
from .jobs import run_round
from .retention import apply_retention, retention_days


@click.group("cycle")
def cycle_group() -> None:
    """Start and close feedback cycles."""


#: A minimum number of raters: 0 (none) to the most a cycle can have.
_MINIMUM = click.IntRange(0, MAX_RATERS_PER_CYCLE)


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use the form YYYY-MM-DD") from exc


def _parse_language(_ctx, _param, value: str) -> str:
    try:
        return i18n.parse_language(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@cycle_group.command("create")
@click.option("--coach", "coach_email", required=True, help="Email of the coach.")
@click.option("--coachee-name", required=True)
@click.option("--coachee-email", required=True)
@click.option("--closes", callback=_parse_date, help="Last day for answers, YYYY-MM-DD.")
@click.option(
    "--approve-nominations",
    is_flag=True,
    help="The coachee's nominations wait for the coach's approval (feedback cycle approve).",
)
@click.option("--min-boss", type=_MINIMUM, default=DEFAULT_MINIMUMS["boss"], show_default=True)
@click.option("--min-peers", type=_MINIMUM, default=DEFAULT_MINIMUMS["peer"], show_default=True)
@click.option(
    "--min-subordinates",
    type=_MINIMUM,
    default=DEFAULT_MINIMUMS["subordinate"],
    show_default=True,
    help="0 when the coachee has none.",
)
@click.option(
    "--min-raters",
    type=_MINIMUM,
    default=DEFAULT_MINIMUM_IN_ALL,
    show_default=True,
    help="The fewest raters in all.",
)
@click.option(
    "--questionnaire",
    "questionnaire_key",
    help="Key of the default or of one of the coach's questionnaires (its latest version).",
)
@click.option(
    "--language",
    default="en",
    show_default=True,
    callback=_parse_language,
    help="The language raters are invited in unless nominated in another (de, fr, es, en).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def create_cycle_command(
    coach_email: str,
    coachee_name: str,
    coachee_email: str,
    closes: date | None,
    approve_nominations: bool,
    min_boss: int,
    min_peers: int,
    min_subordinates: int,
    min_raters: int,
    questionnaire_key: str | None,
    language: str,
    as_json: bool,
) -> None:
    """Start a cycle for a coachee (added if new) and queue their portal email. The
    minimums (0: none) never lower the number of answers a group needs to be shown."""
    coach = coach_by_email(coach_email)
    if coach is None:
        raise click.UsageError(f"no coach with email {coach_email}")
    try:
        questionnaire = questionnaire_for_cycle(coach, questionnaire_key)
    except NotFound as exc:
        raise click.UsageError(str(exc)) from None
    try:
        email = normalise_email(coachee_email)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not coachee_name.strip():
        raise click.UsageError("the coachee name must not be empty")
    if problem := name_too_long(coachee_name):
        raise click.UsageError(problem)
    closes = closes or today() + timedelta(days=21)
    coachee = db.session.scalar(
        select(Coachee).where(Coachee.coach_id == coach.id, Coachee.email == email)
    ) or add_coachee(coach, name=coachee_name, email=email)
    try:
        cycle = lifecycle.start_cycle(
            coachee,
            closes_on=closes,
            questionnaire=questionnaire,
            approve_nominations=approve_nominations,
            language=language,
            minimums={
                "min_boss": min_boss,
                "min_peers": min_peers,
                "min_subordinates": min_subordinates,
                "min_raters": min_raters,
            },
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    result = {
        "cycle_id": cycle.id,
        "coachee_url": portal_url(cycle),
        "dashboard_url": dashboard_url(cycle),
    }
    commit()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"Cycle {result['cycle_id']} is open until the end of {closes.isoformat()}.")
        click.echo(f"Coachee's portal: {result['coachee_url']}")
        click.echo(f"Dashboard:        {result['dashboard_url']}")


@cycle_group.command("close")
@click.argument("cycle_id", type=int)
@click.option(
    "--below-minimum",
    is_flag=True,
    help="Close even with fewer answers than the cycle's minimum raters.",
)
@with_appcontext
def close_cycle_command(cycle_id: int, below_minimum: bool) -> None:
    """Close a cycle now, as the coach's button does (and tell the coach). A cycle with
    fewer answers than its minimums closes only with --below-minimum."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.UsageError(f"no cycle {cycle_id}")
    missing = answer_shortfall(cycle) if cycle.state is CycleState.OPEN else None
    if missing and not below_minimum:
        raise click.UsageError(
            f"cycle {cycle_id} has fewer answers than its minimum (still needed: "
            f"{missing.describe()}); add --below-minimum to close it anyway"
        )
    try:
        lifecycle.close_cycle(cycle, by_coach=False)
    except CycleStateError as exc:
        raise click.UsageError(str(exc)) from None
    commit()
    click.echo(f"Cycle {cycle_id} closed.")


@cycle_group.command("approve")
@click.argument("cycle_id", type=int)
@with_appcontext
def approve_cycle_command(cycle_id: int) -> None:
    """Approve every nomination of CYCLE_ID that waits for the coach; their invitations
    are queued (``feedback mail send`` sends them)."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.UsageError(f"no cycle {cycle_id}")
    if not cycle.is_open:
        raise click.UsageError(f"cycle {cycle_id} is closed; nobody can be invited any more")
    approved = approve(cycle)
    missing = nomination_shortfall(cycle)
    commit()
    count = len(approved)
    click.echo(
        f"Approved {count} rater{'' if count == 1 else 's'}; their invitations are queued."
        if count
        else "Nothing was waiting for approval."
    )
    if missing:
        click.echo(f"Still needed for the cycle's minimum: {missing.describe()}.")


@cycle_group.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=str))
@with_appcontext
def import_cycles_command(csv_file: str) -> None:
    """Start one cycle per line of CSV_FILE (columns coach_email, coachee_name,
    coachee_email[, closes]); with any bad line nothing is imported (exit 2)."""
    try:
        with open(csv_file, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        raise click.UsageError(f"cannot read {csv_file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise click.UsageError(f"{csv_file} is not UTF-8 text") from None
    rows, problems = read_cycle_csv(text)
    if problems:
        for problem in problems:
            click.echo(f"{csv_file}: {problem}", err=True)
        raise click.UsageError(f"{len(problems)} bad line(s); nothing was imported")
    if not rows:
        raise click.UsageError(f"{csv_file} has no cycles to import")
    try:
        cycles = import_cycles(rows)
    except ValueError as exc:
        db.session.rollback()
        raise click.UsageError(f"{exc}; nothing was imported") from None
    commit()
    click.echo(f"Imported {len(cycles)} cycles; each coachee's portal email is queued.")


@click.group("mail")
def mail_group() -> None:
    """Send queued mail (and run the rest of the scheduled round)."""


@mail_group.command("send")
@with_appcontext
def mail_send_command() -> None:
    """One round: close cycles past their deadline, queue due reminders and notes,
    send every due message once; print counts, exit."""
    counts = run_round()
    click.echo(
        f"sent {counts.get('sent', 0)}, to retry {counts.get('retry', 0)}, "
        f"failed {counts.get('failed', 0)}"
    )
    if any(counts.get(key) for key in ("closed", "reminded", "noted")):
        click.echo(
            f"closed {counts.get('closed', 0)} cycles, queued {counts.get('reminded', 0)} "
            f"reminders and {counts.get('noted', 0)} notes"
        )


@mail_group.command("work")
@click.option(
    "--interval",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between rounds.",
)
@with_appcontext
def mail_work_command(interval: float) -> None:
    """Keep running rounds until stopped (SIGTERM or Ctrl-C finish the current round)."""
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Sending mail every {interval:g} s; stop with SIGTERM or Ctrl-C.")
    while not stopping:
        try:
            counts = dict(run_round())
        except Exception as exc:  # keep the worker alive through a database hiccup
            current_app.logger.exception("mail round failed")
            counts = {"error": str(exc)}
            db.session.rollback()
        if any(counts.values()):
            click.echo(json.dumps(counts))
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
    click.echo("Mail worker stopped.")


@click.group("retention")
def retention_group() -> None:
    """Erase personal data that is no longer needed."""


@retention_group.command("apply")
@click.option(
    "--days",
    type=int,
    default=None,
    help="Erase after this many days instead of FEEDBACK_RETENTION_DAYS.",
)
@with_appcontext
def retention_apply_command(days: int | None) -> None:
    """Erase raters' emails and names in cycles closed more than N days ago."""
    try:
        limit = retention_days(days)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if limit is None:
        raise click.UsageError("no retention is set: set FEEDBACK_RETENTION_DAYS or pass --days")
    erased = apply_retention(limit)
    commit()
    click.echo(
        f"erased {erased} rater{'' if erased == 1 else 's'} of cycles closed over {limit} days ago"
    )


#: The commands this package adds to ``feedback``.
COMMANDS = (cycle_group, mail_group, retention_group)
