"""The commands of ``feedback``; each runs inside the app's context."""

import json
import signal
import sys
import time
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def fail(message: str) -> None:
    """Print ``message`` and exit with status 2, the code for bad input."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.command("create-coach")
@click.option("--email", required=True, help="The coach's login email.")
@click.option("--name", required=True, help="The coach's name, as shown in emails.")
@click.option(
    "--password",
    envvar="FEEDBACK_COACH_PASSWORD",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 8 characters; also read from FEEDBACK_COACH_PASSWORD or a prompt.",
)
@with_appcontext
def create_coach_command(email: str, name: str, password: str) -> None:
    """Create a coach account."""
    from ..accounts.services import create_coach
    from ..database import commit

    try:
        coach = create_coach(email=email, name=name, password=password)
    except ValueError as exc:
        fail(str(exc))
    commit()
    click.echo(f"Coach {coach.email} created.")


@click.group("cycle")
def cycle_group() -> None:
    """Start and close feedback cycles."""


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use the form YYYY-MM-DD") from exc


@cycle_group.command("create")
@click.option("--coach", "coach_email", required=True, help="Email of the coach.")
@click.option("--coachee-name", required=True)
@click.option("--coachee-email", required=True)
@click.option("--closes", callback=_parse_date, help="Last day for answers, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def create_cycle_command(
    coach_email: str, coachee_name: str, coachee_email: str, closes: date | None, as_json: bool
) -> None:
    """Start a cycle for a coachee (added if new) and queue their portal email."""
    from datetime import timedelta

    from sqlalchemy import select

    from ..accounts.services import coach_by_email
    from ..coaching import services
    from ..coaching.models import Coachee
    from ..database import commit
    from ..extensions import db
    from ..raters.services import normalise_email
    from ..timeutil import today

    coach = coach_by_email(coach_email)
    if coach is None:
        fail(f"no coach with email {coach_email}")
    try:
        email = normalise_email(coachee_email)
    except ValueError as exc:
        fail(str(exc))
    if not coachee_name.strip():
        fail("the coachee name must not be empty")
    closes = closes or today() + timedelta(days=21)
    coachee = db.session.scalar(
        select(Coachee).where(Coachee.coach_id == coach.id, Coachee.email == email)
    ) or services.add_coachee(coach, name=coachee_name, email=email)
    try:
        cycle = services.start_cycle(coachee, closes_on=closes)
    except ValueError as exc:
        fail(str(exc))
    result = {
        "cycle_id": cycle.id,
        "coachee_url": services.portal_url(cycle),
        "dashboard_url": services.dashboard_url(cycle),
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
@with_appcontext
def close_cycle_command(cycle_id: int) -> None:
    """Close a cycle now, as the coach's button does."""
    from ..coaching.models import Cycle, CycleStateError
    from ..coaching.notes import note_cycle_closed
    from ..coaching.services import close_cycle
    from ..database import commit
    from ..extensions import db

    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        fail(f"no cycle {cycle_id}")
    try:
        close_cycle(cycle)
    except CycleStateError as exc:
        fail(str(exc))
    note_cycle_closed(cycle, by_deadline=False)  # the coach did not press the button
    commit()
    click.echo(f"Cycle {cycle_id} closed.")


@cycle_group.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=str))
@with_appcontext
def import_cycles_command(csv_file: str) -> None:
    """Start one cycle per line of CSV_FILE (columns coach_email, coachee_name,
    coachee_email[, closes]); with any bad line nothing is imported (exit 2)."""
    from ..coaching.importing import import_cycles, read_cycle_csv
    from ..database import commit
    from ..extensions import db

    try:
        with open(csv_file, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except OSError as exc:
        fail(f"cannot read {csv_file}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{csv_file} is not UTF-8 text")
    rows, problems = read_cycle_csv(text)
    if problems:
        for problem in problems:
            click.echo(f"{csv_file}: {problem}", err=True)
        fail(f"{len(problems)} bad line(s); nothing was imported")
    if not rows:
        fail(f"{csv_file} has no cycles to import")
    try:
        cycles = import_cycles(rows)
    except ValueError as exc:
        db.session.rollback()
        fail(f"{exc}; nothing was imported")
    commit()
    click.echo(f"Imported {len(cycles)} cycles; each coachee's portal email is queued.")


@click.group("mail")
def mail_group() -> None:
    """Send queued mail."""


def _send_once() -> dict:
    """One worker round: close cycles past their deadline, queue due reminders and
    notes, send what is due."""
    from ..mail.worker import run_round

    return dict(run_round())


@mail_group.command("send")
@with_appcontext
def mail_send_command() -> None:
    """Send every due message once, print counts, exit."""
    counts = _send_once()
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
    """Keep sending due mail until stopped (SIGTERM or Ctrl-C finish the current round)."""
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Sending mail every {interval:g} s; stop with SIGTERM or Ctrl-C.")
    while not stopping:
        try:
            counts = _send_once()
        except Exception as exc:  # keep the worker alive through a database hiccup
            current_app.logger.exception("mail round failed")
            counts = {"error": str(exc)}
            from ..extensions import db

            db.session.rollback()
        if any(counts.values()):
            click.echo(json.dumps(counts))
        deadline = time.monotonic() + interval
        while not stopping and time.monotonic() < deadline:
            time.sleep(0.2)
    click.echo("Mail worker stopped.")


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Only seed the demo data.")
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def demo_command(no_serve: bool, port: int) -> None:
    """Migrate, seed a demo coach, coachee and complete cycle, and serve on 127.0.0.1."""
    from flask_migrate import upgrade

    from ..demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    upgrade()
    summary = seed_demo()
    base = current_app.config["BASE_URL"]
    click.echo(summary)
    click.echo(f"Sign in at {base}/login as {DEMO_EMAIL} with password {DEMO_PASSWORD}")
    click.echo(f"Mail the service sends is readable at {base}/dev/mail")
    if not no_serve:
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", port, current_app._get_current_object(), threaded=True)


def register_commands(app: Flask) -> None:
    """Add the commands to ``app.cli``, so ``feedback …`` and ``flask --app wsgi …`` agree."""
    from ..reports.cli import report_command
    from .analyze import analyze_command
    from .retention import retention_group

    for command in (
        create_coach_command,
        cycle_group,
        mail_group,
        demo_command,
        analyze_command,
        report_command,
        retention_group,
    ):
        app.cli.add_command(command)
