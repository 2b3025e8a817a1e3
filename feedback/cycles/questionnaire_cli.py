"""``feedback questionnaire import|export|list``: a coach's own questionnaires as TOML.

Bad input exits with status 2 and a message that names the field and the line
(click's UsageError)."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..accounts.models import Coach
from ..accounts.services import coach_by_email
from ..coaching.questionnaires import (
    KeyTaken,
    SavedMeanwhile,
    in_use,
    own_questionnaires,
    save_questionnaire,
)
from ..database import commit
from ..extensions import db
from ..questionnaires import QuestionnaireError, default_questionnaire, load_questionnaire
from ..questionnaires.models import Questionnaire
from ..questionnaires.store import latest_version, spec_of
from ..questionnaires.writer import to_toml


@click.group("questionnaire")
def questionnaire_group() -> None:
    """A coach's own questionnaires: import, export and list them as TOML."""


def _coach(email: str) -> Coach:
    coach = coach_by_email(email)
    if coach is None:
        raise click.UsageError(f"no coach with email {email}")
    return coach


@questionnaire_group.command("import")
@click.argument("toml_file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--coach", "coach_email", required=True, help="Email of the coach it belongs to.")
@with_appcontext
def import_command(toml_file: str, coach_email: str) -> None:
    """Store a questionnaire file as the coach's own (a new version when it changed)."""
    coach = _coach(coach_email)
    try:
        spec = load_questionnaire(toml_file)
    except QuestionnaireError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        saved = save_questionnaire(spec, coach)
    except KeyTaken as exc:
        raise click.UsageError(f"{toml_file}: key: {exc}") from None
    except SavedMeanwhile as exc:
        raise click.UsageError(str(exc)) from None
    commit()
    stored = saved.questionnaire
    what = {
        "new": "is stored",
        "unchanged": "is unchanged",
        "new version": "is stored as a new version; cycles started before keep theirs",
    }[saved.outcome]
    click.echo(f'"{stored.key}" version {stored.version} ({stored.title}) {what}.')


@questionnaire_group.command("export")
@click.argument("key")
@click.option("--version", type=click.IntRange(min=1), help="A version other than the latest.")
@with_appcontext
def export_command(key: str, version: int | None) -> None:
    """Write a stored questionnaire as TOML on standard output."""
    if version is None:
        stored = latest_version(key)
    else:
        stored = db.session.scalar(
            select(Questionnaire).where(Questionnaire.key == key, Questionnaire.version == version)
        )
    if stored is not None:
        click.echo(to_toml(spec_of(stored)), nl=False)
    elif key == default_questionnaire().key and version in (None, default_questionnaire().version):
        click.echo(to_toml(default_questionnaire()), nl=False)
    else:
        which = f"version {version} of " if version else ""
        raise click.UsageError(f'no {which}questionnaire "{key}"')


@questionnaire_group.command("list")
@click.option("--coach", "coach_email", required=True, help="Email of the coach.")
@with_appcontext
def list_command(coach_email: str) -> None:
    """The questionnaires the coach can start a cycle on: the default and their own."""
    coach = _coach(coach_email)
    default = default_questionnaire()
    click.echo(
        f"{default.key}\tversion {default.version}\t{default.scale.size} points\t"
        f"{default.title} (the default)"
    )
    for questionnaire in own_questionnaires(coach):
        used = "used by a cycle" if in_use(questionnaire) else "not used yet"
        click.echo(
            f"{questionnaire.key}\tversion {questionnaire.version}\t"
            f"{questionnaire.scale_points} points\t{questionnaire.title} ({used})"
        )


COMMANDS = (questionnaire_group,)
