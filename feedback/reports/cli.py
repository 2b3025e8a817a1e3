"""``feedback report CYCLE_ID --format html|csv|xlsx [--output DIR]``."""

import click
from flask.cli import with_appcontext

from .exports import EXPORT_FORMATS


@click.command("report")
@click.argument("cycle_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="html",
    show_default=True,
    help="html: a self-contained report; csv: the gap table; xlsx: a workbook.",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="The folder to write into (created if missing).",
)
@with_appcontext
def report_command(cycle_id: int, fmt: str, output: str) -> None:
    """Write the report of a closed cycle; prints the file's path."""
    from ..cli.commands import fail
    from ..coaching.models import Cycle
    from ..extensions import db
    from .exports import ExportError, write_report

    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        fail(f"no cycle {cycle_id}")
    try:
        path = write_report(cycle, fmt, output)
    except ExportError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write to {output}: {exc.strerror or exc}")
    click.echo(str(path))
