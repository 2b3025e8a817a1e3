"""``feedback pulse create|close``: a pulse from the command line. Bad input exits
with status 2 and a message (click's UsageError)."""

from datetime import date

import click
from flask.cli import with_appcontext

from ..accounts.services import coach_by_email
from ..coaching.models import Cycle
from ..database import commit
from ..extensions import db
from . import services
from .models import Pulse


@click.group("pulse")
def pulse_group() -> None:
    """Re-check a few statements of a closed cycle with its raters."""


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use the form YYYY-MM-DD") from exc


@pulse_group.command("create")
@click.argument("cycle_id", type=int)
@click.option(
    "--statements",
    required=True,
    help=f"Item keys to re-check, separated by commas (1 to {services.MAX_STATEMENTS}).",
)
@click.option("--closes", callback=_parse_date, help="Last day for answers, YYYY-MM-DD.")
@click.option(
    "--coach",
    "coach_email",
    help="The coach's email: the cycle must be theirs.",
)
@click.option(
    "--add",
    "added",
    type=click.File("r"),
    help="A file of raters to ask as well, lines 'email, group[, name]'.",
)
@with_appcontext
def create_pulse_command(
    cycle_id: int, statements: str, closes: date | None, coach_email: str | None, added
) -> None:
    """Send a pulse on CYCLE_ID to every rater who answered it (and those added); print
    the pulse's id and how many were asked."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.UsageError(f"no cycle {cycle_id}")
    if coach_email is not None:
        coach = coach_by_email(coach_email)
        if coach is None or cycle.coachee.coach_id != coach.id:
            raise click.UsageError(f"no cycle {cycle_id} for coach {coach_email}")
    try:
        pulse = services.create_pulse(
            cycle, statements.split(","), closes, added.read() if added else ""
        )
    except services.PulseError as exc:
        raise click.UsageError(str(exc)) from None
    asked = sum(p["asked"] for p in services.progress(pulse).values())
    commit()
    click.echo(
        f"Pulse {pulse.id} on cycle {cycle_id} asks {asked} rater{'' if asked == 1 else 's'} "
        f"until the end of {pulse.closes_on.isoformat()}; their invitations are queued."
    )


@pulse_group.command("close")
@click.argument("pulse_id", type=int)
@with_appcontext
def close_pulse_command(pulse_id: int) -> None:
    """Close a pulse now: no more answers; its results show."""
    pulse = db.session.get(Pulse, pulse_id)
    if pulse is None:
        raise click.UsageError(f"no pulse {pulse_id}")
    try:
        services.close_pulse(pulse)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    commit()
    click.echo(f"Pulse {pulse_id} closed.")
