"""``feedback create-coach`` and ``feedback api-token``."""

import click
from flask.cli import with_appcontext

from ..database import commit
from ..errors import NotFound
from .services import coach_by_email, create_coach
from .tokens import SCOPES, create_token, revoke_token, token_of, tokens_of


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


@click.group("api-token")
def api_token_command() -> None:
    """A coach's tokens for the JSON API (README "API")."""


@api_token_command.command("create")
@click.option("--coach", "email", required=True, help="The coach's login email.")
@click.option("--name", default="", help="What the token is for, e.g. “CRM sync”.")
@click.option(
    "--scope",
    type=click.Choice(SCOPES),
    default="read",
    show_default=True,
    help="read: see the coach's data; write: also change it.",
)
@with_appcontext
def create_api_token_command(email: str, name: str, scope: str) -> None:
    """Make a token and print its secret, once: only a digest of it is kept."""
    coach = coach_by_email(email)
    if coach is None:
        raise click.UsageError(f"no coach with email {email.strip().lower()}")
    try:
        token, secret = create_token(coach, name=name, scope=scope)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    commit()
    click.echo(f"Token {token.id} ({token.scope}) for {coach.email}: {token.name}", err=True)
    click.echo("Keep the secret now; it is not shown again:", err=True)
    click.echo(secret)


@api_token_command.command("list")
@click.option("--coach", "email", required=True, help="The coach's login email.")
@with_appcontext
def list_api_tokens_command(email: str) -> None:
    """The coach's live tokens: id, scope, the secret's first characters, name."""
    coach = coach_by_email(email)
    if coach is None:
        raise click.UsageError(f"no coach with email {email.strip().lower()}")
    for token in tokens_of(coach):
        click.echo(f"{token.id}\t{token.scope}\t{token.prefix}…\t{token.name}")


@api_token_command.command("revoke")
@click.option("--coach", "email", required=True, help="The coach's login email.")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_api_token_command(email: str, token_id: int) -> None:
    """Revoke one of the coach's tokens; it stops working at once."""
    coach = coach_by_email(email)
    if coach is None:
        raise click.UsageError(f"no coach with email {email.strip().lower()}")
    try:
        token = token_of(coach, token_id)
    except NotFound:
        raise click.UsageError(f"{coach.email} has no API token {token_id}") from None
    if revoke_token(token):
        commit()
        click.echo(f"Token {token.id} is revoked.")
    else:
        click.echo(f"Token {token.id} was revoked before.")
