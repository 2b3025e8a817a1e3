"""Build a closed cycle's report as HTML, CSV or XLSX, from the same cached, guarded
results the dashboard shows (:func:`feedback.ratings.results.cycle_report`)."""

import math
import os
import re
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import xlsxwriter
from flask import render_template

from .. import analysis
from ..analysis.io import DECIMALS
from ..coaching.models import Cycle
from ..plans.follow_up import follow_up, predictions_view
from ..plans.services import goals_of
from ..raters.services import progress
from ..ratings.results import CycleReport, cycle_report
from ..timeutil import utcnow
from ..vocabulary import GROUP_LABELS, CycleState
from ..web.assets import plotly_bundle

#: The formats of ``feedback report`` and of the dashboard's downloads.
EXPORT_FORMATS = ("html", "csv", "xlsx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Text cells starting with one of these would run as a formula in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
        raise ExportError(f"cycle {cycle.id} is {cycle.state}; only a closed cycle is exported")
    report = cycle_report(cycle)
    if report is None:
        raise ExportError(f"cycle {cycle.id} closed without answers from raters")
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
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / filename(cycle, fmt)
    if fmt == "csv":
        analysis.write_gap_table(report.results.items, path, "csv")
    elif fmt == "xlsx":
        _atomic(path, lambda part: write_workbook(cycle, report, part))
    else:
        html = render_html(cycle, report)
        _atomic(path, lambda part: Path(part).write_text(html, encoding="utf-8"))
    return path


def report_bytes(cycle: Cycle, fmt: str) -> bytes:
    """The report as bytes, for a download."""
    if fmt == "html":
        return render_html(cycle, report_of(cycle)).encode("utf-8")
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


def render_html(cycle: Cycle, report: CycleReport) -> str:
    """The self-contained report: one page, plotly.js inlined once, the figures as
    JSON, no link to anything outside the file; prints on A4."""
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
        generated_at=utcnow(),
    )


def neutral(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection): a leading
    apostrophe before = + - @ tab or carriage return."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _write_rows(sheet, rows: list[list], bold, start: int = 0) -> None:
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row):
            if _missing(value):
                continue
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, float(value))
            elif hasattr(value, "item") and not isinstance(value, str):
                sheet.write_number(r, c, float(value.item()))
            else:
                sheet.write_string(r, c, neutral(str(value)), bold if r == 0 else None)


def _frame_rows(frame: pd.DataFrame) -> list[list]:
    rounded = frame.round(DECIMALS)
    return [list(rounded.columns), *rounded.astype(object).itertuples(index=False, name=None)]


def summary_rows(cycle: Cycle, report: CycleReport) -> list[list]:
    """The summary sheet: the cycle, the agreement, the top statements."""
    results = report.results
    rows: list[list] = [
        ["what", "value", "others_mean", "self", "gap"],
        ["coachee", cycle.coachee.name],
        ["cycle", cycle.id],
        ["closed", cycle.closed_at.date().isoformat()],
        ["smallest group shown (k)", cycle.min_group_size],
        ["boss shown alone", "yes" if cycle.boss_exempt else "no"],
    ]
    if results.agreement is not None:
        a = results.agreement
        rows += [
            ["agreement category", a["category"]],
            ["self overall", a["self_overall"]],
            ["others overall", a["others_overall"]],
            ["difference", a["difference"]],
            ["other raters", a["others_n"]],
            ["explanation", a["explanation"]],
        ]
    for title, frame in (
        ("strength", results.strengths),
        ("development area", results.development_areas),
        ("blind spot", results.blind_spots),
        ("hidden strength", results.hidden_strengths),
    ):
        for rank, row in enumerate(frame.to_dict("records"), start=1):
            rows.append(
                [
                    f"{title} {rank}",
                    report.item_texts.get(row["item_key"], row["item_key"]),
                    round(row["others_mean"], DECIMALS),
                    row["self"],
                    None if _missing(row["gap"]) else round(row["gap"], DECIMALS),
                ]
            )
    return rows


def comment_rows(report: CycleReport) -> list[list]:
    """The comments sheet: question, answer, group (only where the guard names it)."""
    results = report.results
    rows: list[list] = [["question", "answer", "group"]]
    headline = report.question_texts.get("headline", "headline")
    rows += [[headline, text, None] for text in results.others_headlines]
    for row in results.comments.to_dict("records"):
        label = row["group_label"]
        rows.append(
            [
                report.question_texts.get(row["question_key"], row["question_key"]),
                row["text"],
                None if _missing(label) else GROUP_LABELS.get(label, label),
            ]
        )
    return rows


def write_workbook(cycle: Cycle, report: CycleReport, path: str) -> None:
    """The XLSX workbook: sheets summary, items (the gap table with each statement's
    wording), competencies and comments. Hidden figures are empty cells; no text cell
    starts with a formula character."""
    items = report.results.items.copy()
    items.insert(3, "statement", items["item_key"].map(report.item_texts))
    workbook = xlsxwriter.Workbook(
        path, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    try:
        bold = workbook.add_format({"bold": True})
        for name, rows in (
            ("summary", summary_rows(cycle, report)),
            ("items", _frame_rows(items)),
            ("competencies", _frame_rows(report.results.competencies)),
            ("comments", comment_rows(report)),
        ):
            sheet = workbook.add_worksheet(name)
            _write_rows(sheet, rows, bold)
            sheet.freeze_panes(1, 0)
    finally:
        workbook.close()
