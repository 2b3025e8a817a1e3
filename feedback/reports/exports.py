"""Build a closed cycle's report as HTML, PDF, CSV or XLSX, from the same cached,
guarded results the dashboard shows (:func:`feedback.ratings.results.cycle_report`).
The PDF is the HTML report printed by a browser (:mod:`.pdf`); the XLSX is written by
:mod:`.workbook`."""

import os
import re
import tempfile
from functools import cache
from pathlib import Path

from flask import render_template
from flask_babel import gettext as _

from .. import analysis
from ..coaching.models import Cycle
from ..plans.follow_up import follow_up, predictions_view
from ..plans.services import goals_of
from ..raters.services import progress
from ..ratings.results import CycleReport, cycle_report
from ..timeutil import utcnow
from ..vocabulary import GROUP_LABELS, CycleState
from ..web import format_day
from ..web.assets import plotly_bundle
from .pdf import html_to_pdf
from .workbook import write_workbook

#: The formats of ``feedback report`` and of the dashboard's downloads.
EXPORT_FORMATS = ("html", "pdf", "csv", "xlsx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportError(ValueError):
    """A report that cannot be written; the message is for the user."""


@cache
def plotly_source() -> str:
    """plotly.js as the pages load it (:mod:`feedback.web.assets`), for the report's
    own copy: a downloaded report draws its charts offline."""
    return plotly_bundle().data.decode("utf-8")


def report_of(cycle: Cycle) -> CycleReport:
    """The cycle's results, or ExportError when there is nothing that may be exported."""
    if cycle.state is not CycleState.CLOSED:
        raise ExportError(
            _(
                "cycle %(id)s is %(state)s; only a closed cycle is exported",
                id=cycle.id,
                state=cycle.state,
            )
        )
    report = cycle_report(cycle)
    if report is None:
        raise ExportError(_("cycle %(id)s closed without answers from raters", id=cycle.id))
    return report


def filename(cycle: Cycle, fmt: str) -> str:
    """A file name that says whose report it is: ``mirror360-<name>-cycle-<id>.<fmt>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", cycle.coachee.name.casefold()).strip("-") or "coachee"
    return f"mirror360-{slug}-cycle-{cycle.id}.{fmt}"


def write_report(cycle: Cycle, fmt: str, folder: str | os.PathLike[str]) -> Path:
    """Write the cycle's report in ``fmt`` into ``folder`` (created if missing) and
    return its path. Raises ExportError for an unknown format or a cycle that cannot be
    exported."""
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    report = report_of(cycle)
    # Printed first: without a browser nothing is written, not even the folder.
    pdf = html_to_pdf(render_html(cycle, report)) if fmt == "pdf" else b""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / filename(cycle, fmt)
    if fmt == "csv":
        analysis.write_gap_table(report.results.items, path, "csv")
    elif fmt == "xlsx":
        _atomic(path, lambda part: write_workbook_of(cycle, report, part))
    elif fmt == "pdf":
        _atomic(path, lambda part: Path(part).write_bytes(pdf))
    else:
        html = render_html(cycle, report)
        _atomic(path, lambda part: Path(part).write_text(html, encoding="utf-8"))
    return path


def report_bytes(cycle: Cycle, fmt: str) -> bytes:
    """The report as bytes, for a download."""
    if fmt == "html":
        return render_html(cycle, report_of(cycle)).encode("utf-8")
    if fmt == "pdf":
        return html_to_pdf(render_html(cycle, report_of(cycle)))
    with tempfile.TemporaryDirectory() as folder:
        return write_report(cycle, fmt, folder).read_bytes()


def _atomic(path: Path, write) -> None:
    """Write through a temporary file beside ``path``, renamed into place."""
    descriptor, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(descriptor)
    try:
        write(part)
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def write_workbook_of(cycle: Cycle, report: CycleReport, path: str) -> None:
    """The XLSX workbook (:mod:`.workbook`), with the predictions and the plan."""
    write_workbook(
        cycle, report, path, predictions=predictions_view(cycle, report), goals=goals_of(cycle)
    )


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string for the report's <style>: every character but
    ASCII letters, digits and spaces escaped, so that no quote, backslash, angle
    bracket or ``</style>`` gets through; the template writes it as it is."""
    escaped = "".join(
        char if char.isascii() and (char.isalnum() or char == " ") else f"\\{ord(char):x} "
        for char in text
    )
    return f'"{escaped}"'


def page_counter() -> str:
    """The printed page's "Page 2 of 5" in the page's language, as CSS content: the
    words as escaped strings around CSS's page counters."""
    page, pages = "\x00", "\x01"
    text = _("Page %(page)s of %(pages)s", page=page, pages=pages)
    counters = {page: "counter(page)", pages: "counter(pages)"}
    parts = re.split(f"([{page}{pages}])", text)
    return " ".join(counters.get(part) or css_string(part) for part in parts if part)


def render_html(cycle: Cycle, report: CycleReport) -> str:
    """The self-contained report: one page, plotly.js inlined once, the figures as
    JSON, no link to anything outside the file; prints on A4 with a running header
    (the coachee, the cycle) and page numbers."""
    generated_at = utcnow()
    closed = format_day(cycle.closed_at)
    return render_template(
        "reports/report.html",
        cycle=cycle,
        coachee=cycle.coachee,
        report=report,
        results=report.results,
        progress=progress(cycle),
        group_labels=GROUP_LABELS,
        predictions=predictions_view(cycle, report),
        goals=goals_of(cycle),
        follow_up=follow_up(cycle),
        plotly_js=plotly_source(),
        generated_at=generated_at,
        running_header=css_string(_("360 feedback for %(name)s", name=cycle.coachee.name)),
        running_date=css_string(_("Cycle closed %(day)s", day=closed)),
        page_counter=page_counter(),
    )
