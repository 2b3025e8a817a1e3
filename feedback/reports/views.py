"""Downloads of a cycle's report (the coach's) and the released report (the coachee's)."""

from flask import Blueprint, Response, abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..coaching import audit
from ..coaching.services import cycle_for_portal_token, cycle_of
from ..database import commit
from ..plans.services import goals_of
from ..ratings.results import wording
from .exports import EXPORT_FORMATS, MEDIA_TYPES, ExportError, filename, report_bytes
from .pdf import PdfFailed, PdfUnavailable, pdf_available
from .released import released_html

#: The coach's downloads.
bp = Blueprint("reports", __name__)
#: The coachee's released report, behind the portal link.
portal_bp = Blueprint("portal_reports", __name__, url_prefix="/p/<token>")


@bp.before_request
@login_required
def _require_login() -> None:
    """Every download of ``bp`` is the coach's."""


@bp.app_context_processor
def _pdf_offered() -> dict:
    """``pdf_available()`` for the dashboard: the PDF button shows only where a
    browser can print it."""
    return {"pdf_available": pdf_available}


@bp.get("/cycles/<int:cycle_id>/report.<fmt>")
def download_report(cycle_id: int, fmt: str):
    """The report as a file: ``html`` (self-contained), ``pdf`` (the same report
    printed), ``csv`` (the gap table) or ``xlsx`` (a sheet per view, then the raw
    figures). Only for a closed cycle; 503 when no browser can print the PDF."""
    cycle = cycle_of(current_user, cycle_id)
    if fmt not in EXPORT_FORMATS:
        abort(404)
    try:
        body = report_bytes(cycle, fmt)
    except ExportError as exc:
        abort(409, _("No report: %(problem)s.", problem=exc))
    except PdfUnavailable as exc:
        abort(
            503,
            _(
                "No PDF here: %(problem)s. The HTML report prints to PDF from a browser.",
                problem=exc,
            ),
        )
    except PdfFailed as exc:
        abort(
            503,
            _(
                "The PDF could not be made: %(problem)s. Please try again, or print the HTML "
                "report.",
                problem=exc,
            ),
        )
    # The one write of a GET: the audit trail's record of what left (docs/architecture.md).
    audit.record_download(current_user, cycle=cycle, detail=f"report ({fmt}) of cycle {cycle.id}")
    commit()
    return Response(
        body,
        mimetype=MEDIA_TYPES[fmt].split(";")[0],
        headers={
            "Content-Type": MEDIA_TYPES[fmt],
            "Content-Disposition": f'attachment; filename="{filename(cycle, fmt)}"',
            "Cache-Control": "private, no-store",
        },
    )


@portal_bp.get("/report")
def show_released_report(token: str):
    """The coachee's report, once the coach has released it: the summary, the
    competencies, blind spots and hidden strengths, the descriptions and the comments."""
    cycle = cycle_for_portal_token(token)
    released = released_html(cycle)
    if released is None:
        abort(
            404,
            _("Your report is not shared yet. Your coach will release it after the debrief."),
        )
    return render_template(
        "reports/portal.html",
        cycle=cycle,
        token=token,
        released=released,
        item_texts=wording(cycle)[0],
        goals=goals_of(cycle),
    )
