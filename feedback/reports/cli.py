"""``feedback report CYCLE_ID --format html|pdf|csv|xlsx [--output DIR]``."""

import click
from flask.cli import with_appcontext

from ..coaching import audit
from ..coaching.models import Cycle
from ..extensions import db
from .exports import EXPORT_FORMATS, ExportError, write_report
from .pdf import PdfFailed, PdfUnavailable


@click.command("report")
@click.argument("cycle_id", type=int)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(EXPORT_FORMATS),
    default="html",
    show_default=True,
    help=(
        "html: a self-contained report; pdf: the same report printed by Chromium; "
        "csv: the gap table; xlsx: a workbook, a sheet per view and the raw figures."
    ),
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
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise click.UsageError(f"no cycle {cycle_id}")
    try:
        path = write_report(cycle, fmt, output)
    except (ExportError, PdfUnavailable) as exc:
        raise click.UsageError(str(exc)) from None
    except PdfFailed as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.UsageError(f"cannot write to {output}: {exc.strerror or exc}") from None
    audit.record(
        cycle.coachee.coach, "export", cycle=cycle, detail=f"report ({fmt}) of cycle {cycle.id}"
    )
    db.session.commit()
    click.echo(str(path))
