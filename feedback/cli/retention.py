"""``feedback retention apply``: erase raters' addresses and names of cycles closed more
than FEEDBACK_RETENTION_DAYS days ago (the mail worker does the same on every round)."""

import click
from flask.cli import with_appcontext

from .commands import fail


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
    from ..coaching.data_rights import apply_retention, retention_days
    from ..database import commit

    try:
        limit = retention_days(days)
    except ValueError as exc:
        fail(str(exc))
    if limit is None:
        fail("no retention is set: set FEEDBACK_RETENTION_DAYS or pass --days")
    erased = apply_retention(limit)
    commit()
    click.echo(
        f"erased {erased} rater{'' if erased == 1 else 's'} of cycles closed over {limit} days ago"
    )
