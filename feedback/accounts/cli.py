"""``feedback create-coach``."""

import click
from flask.cli import with_appcontext

from ..database import commit
from .services import create_coach


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
    try:
        coach = create_coach(email=email, name=name, password=password)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    commit()
    click.echo(f"Coach {coach.email} created.")
