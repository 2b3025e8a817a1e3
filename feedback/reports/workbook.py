"""The XLSX workbook of a closed cycle's report: one sheet per view of the dashboard,
written for people, then the raw figures for analysts.

The sheets for people have headers in words, columns as wide as their content (long
text wraps), figures rounded to two places and shown with a number format (a gap with
its sign), the header row frozen and filterable, and print settings (landscape, one
page wide, the header row on every page). Their values are rounded, not only shown
rounded: what a coach copies or sums is what they see.

The last two sheets, ``items`` and ``competencies``, are the engine's tables as they
were (machine column names such as ``others_mean``, the figures at full precision),
for scripts and analysts; their names and columns stay stable.

Every sheet is built from the same guarded results as the dashboard: a figure the
anonymity guard hides is an empty cell everywhere, and no text cell starts with a
character a spreadsheet would run as a formula.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..coaching.models import Cycle
from ..i18n import LANGUAGES, group_name
from ..web.terms import explain_agreement, term

if TYPE_CHECKING:
    import pandas as pd


#: Places that figures for people are rounded to.
PLACES = 2
#: Text cells starting with one of these would run as a formula in a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: How each kind of column is written: its number format and the widths it may take.
NUMBER_FORMATS = {
    "mean": "0.00",
    "gap": "+0.00;-0.00;0.00",
    "count": "0",
    "date": "yyyy-mm-dd",
}
#: The widest a column grows (in characters); wider text wraps.
MAX_WIDTH = {"text": 40, "long": 70}
MIN_WIDTH = 6
#: The widest a numeric column's header may make it: longer headers wrap.
NUMBER_HEADER_WIDTH = 12


def neutral(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection): a leading
    apostrophe before = + - @ tab or carriage return."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def missing(value) -> bool:
    """True for an empty figure: None, pandas' NA, NaN (a hidden or undefined figure)."""
    import pandas as pd

    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Column:
    """A column of a sheet for people: its header in words and what it holds
    (``text``, ``long`` text that wraps, a ``mean``, a signed ``gap``, a ``count``)."""

    header: str
    kind: str = "text"


@dataclass
class Sheet:
    """A sheet for people: a frozen header row, then rows of values (None is empty)."""

    name: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    #: Columns kept in view when scrolling sideways (the statement or competency).
    frozen_columns: int = 0


def rounded(value, kind: str):
    """A value as the sheets for people hold it: numbers rounded to two places (no
    negative zero), counts whole, text as it is, an empty figure None."""
    if missing(value):
        return None
    if kind in ("mean", "gap"):
        return round(float(value), PLACES) + 0.0
    if kind == "count":
        return int(value)
    return value


# ---------------------------------------------------------------- the sheets for people


def summary_sheet(cycle: Cycle, report) -> Sheet:
    """The cycle and the overall self–other agreement, one fact a row."""
    results = report.results
    sheet = Sheet(_("Summary"), [Column(_("About this report")), Column(_("Value"), "long")])
    facts: list[tuple[str, object, str]] = [
        (_("Coachee"), cycle.coachee.name, "text"),
        (_("Coach"), cycle.coachee.coach.name, "text"),
        (_("Closed on"), cycle.closed_at.date(), "date"),
        (_("Smallest group shown (answers)"), cycle.min_group_size, "count"),
        (_("Boss shown alone"), _("yes") if cycle.boss_exempt else _("no"), "text"),
    ]
    agreement = results.agreement
    if agreement is not None:
        facts += [
            (_("Self–other agreement"), term(agreement["category"]), "text"),
            (_("Self, overall"), agreement["self_overall"], "mean"),
            (_("Others, overall"), agreement["others_overall"], "mean"),
            (_("Difference (self − others)"), agreement["difference"], "gap"),
            (_("Other raters"), agreement["others_n"], "count"),
            (_("What it means"), explain_agreement(agreement), "long"),
        ]
    facts += [
        (
            "Empty cells",
            _(
                "A figure left empty is hidden to keep raters anonymous: a group's figures "
                "show only from %(count)s answers, and smaller groups are pooled as “other "
                "raters”.",
                count=cycle.min_group_size,
            ),
            "long",
        ),
        (
            "The sheets",
            _(
                "One sheet for each part of the report, figures rounded to two places; the "
                "last two sheets, items and competencies, hold the same figures unrounded, "
                "with the column names of the gap CSV, for analysis."
            ),
            "long",
        ),
    ]
    sheet.rows = [[label, (value, kind)] for label, value, kind in facts]
    return sheet


RANKINGS = (
    ("strengths", _l("Strength in others' eyes")),
    ("development_areas", _l("Development area in others' eyes")),
    ("blind_spots", _l("Blind spot")),
    ("hidden_strengths", _l("Hidden strength")),
)


def top_sheet(report) -> Sheet:
    """The top five strengths and development areas, the largest blind spots and
    hidden strengths."""
    sheet = Sheet(
        _("Top statements"),
        [
            Column(_("List")),
            Column(_("Rank"), "count"),
            Column(_("Statement"), "long"),
            Column(_("Competency")),
            Column(_("Others"), "mean"),
            Column(_("Self"), "count"),
            Column(_("Gap (self − others)"), "gap"),
        ],
    )
    for key, title in RANKINGS:
        for rank, row in enumerate(report.rankings.get(key, []), start=1):
            sheet.rows.append(
                [
                    str(title),
                    rank,
                    report.item_texts.get(row["item_key"], row["item_key"]),
                    row["competency"],
                    row["others_mean"],
                    row["self"],
                    row["gap"],
                ]
            )
    return sheet


def _group_columns(groups, suffix: str = "") -> list[Column]:
    return [Column(group_name(g) + suffix, "mean") for g in groups]


def competency_sheet(report) -> Sheet:
    """Self and others by competency, with each shown group's mean."""
    groups = report.results.shown_groups
    sheet = Sheet(
        _("By competency"),
        [
            Column(_("Competency")),
            Column(_("Self"), "mean"),
            Column(_("Others"), "mean"),
            Column(_("Answers"), "count"),
            Column(_("Gap (self − others)"), "gap"),
            *_group_columns(groups),
            Column(_("Category")),
        ],
        frozen_columns=1,
    )
    for row in report.competency_rows:
        sheet.rows.append(
            [
                row["competency"],
                row["self"],
                row["others_mean"],
                row["others_n"],
                row["gap"],
                *(row.get(f"{g}_mean") for g in groups),
                term(row["category"]),
            ]
        )
    return sheet


def prediction_sheet(predictions: dict | None) -> Sheet | None:
    """The coachee's predictions against self and the actual mean, when they made any."""
    if not predictions:
        return None
    sheet = Sheet(
        _("Predictions"),
        [
            Column(_("Competency")),
            Column(_("Group")),
            Column(_("Self"), "mean"),
            Column(_("Predicted"), "mean"),
            Column(_("Actual"), "mean"),
            Column(_("Answers"), "count"),
            Column(_("What it tells")),
        ],
        frozen_columns=1,
    )
    for row in predictions["rows"]:
        sheet.rows.append(
            [
                row["competency"],
                group_name(row["group_name"]),
                row["self"],
                row["predicted"],
                row["actual"],
                row["n"],
                term(row["insight"]),
            ]
        )
    return sheet


def statement_sheet(report) -> Sheet:
    """The gap per statement, in the questionnaire's order, with each shown group."""
    groups = report.results.shown_groups
    sheet = Sheet(
        _("By statement"),
        [
            Column(_("Statement"), "long"),
            Column(_("Competency")),
            Column(_("Self"), "count"),
            Column(_("Others"), "mean"),
            Column(_("Answers"), "count"),
            Column(_("Gap (self − others)"), "gap"),
            Column(_("Agreement among others (rwg)"), "mean"),
            *_group_columns(groups),
            Column(_("Category")),
        ],
        frozen_columns=1,
    )
    for row in report.item_rows:
        sheet.rows.append(
            [
                report.item_texts.get(row["item_key"], row["item_key"]),
                row["competency"],
                row["self"],
                row["others_mean"],
                row["others_n"],
                row["gap"],
                row["rwg"],
                *(row.get(f"{g}_mean") for g in groups),
                term(row["category"]),
            ]
        )
    return sheet


def groups_sheet(report) -> Sheet:
    """Each group's mean per competency with its number of answers, as the heatmap."""
    groups = report.results.shown_groups
    columns = [Column(_("Competency")), Column(_("Self"), "mean")]
    for g in groups:
        columns += [
            Column(group_name(g), "mean"),
            Column(_("%(group)s: answers", group=group_name(g)), "count"),
        ]
    columns += [Column(_("All others"), "mean"), Column(_("All others: answers"), "count")]
    sheet = Sheet(_("Groups compared"), columns, frozen_columns=1)
    for row in report.competency_rows:
        values = [row["competency"], row["self"]]
        for g in groups:
            values += [row.get(f"{g}_mean"), row.get(f"{g}_n")]
        values += [row["others_mean"], row["others_n"]]
        sheet.rows.append(values)
    return sheet


def spread_sheet(report) -> Sheet:
    """How many raters gave each answer, per statement (where the counts are shown)."""
    scale = report.scale
    sheet = Sheet(
        _("Spread of answers"),
        [
            Column(_("Statement"), "long"),
            *(Column(f"{value}: {label}", "count") for value, label in scale),
            Column(_("Answers"), "count"),
        ],
        frozen_columns=1,
    )
    for row in report.item_rows:
        if missing(row.get("count_1")):
            continue
        sheet.rows.append(
            [
                report.item_texts.get(row["item_key"], row["item_key"]),
                *(row[f"count_{value}"] for value, _label in scale),
                row["others_n"],
            ]
        )
    return sheet


def comment_sheet(report) -> Sheet:
    """The 140-character descriptions and the comments, in the dashboard's random
    order, with a group only where the guard names it, and each answer's language as
    told from its text (as the dashboard marks it)."""
    results = report.results
    sheet = Sheet(
        _("Comments"),
        [
            Column(_("Question")),
            Column(_("Answer"), "long"),
            Column(_("Group")),
            Column(_("Language")),
        ],
    )

    def language(text: str) -> str:
        return LANGUAGES[report.text_languages.get(text, "en")]

    headline = report.question_texts.get("headline", "headline")
    sheet.rows += [[headline, text, None, language(text)] for text in results.others_headlines]
    for row in results.comments.to_dict("records"):
        label = row["group_label"]
        sheet.rows.append(
            [
                report.question_texts.get(row["question_key"], row["question_key"]),
                row["text"],
                None if missing(label) else group_name(label),
                language(row["text"]),
            ]
        )
    return sheet


def plan_sheet(goals, report, first_name: str) -> Sheet | None:
    """The development plan's goals, when there are any."""
    if not goals:
        return None
    sheet = Sheet(
        _("Development plan"),
        [
            Column(_("Statement"), "long"),
            Column(_("Goal"), "long"),
            Column(_("How we will know"), "long"),
            Column(_("Review on")),
            Column(_("Written by")),
        ],
    )
    for goal in goals:
        sheet.rows.append(
            [
                report.item_texts.get(goal.item_key, goal.item_key),
                goal.goal,
                goal.success_criteria,
                (goal.review_on, "date"),
                _("the coach") if goal.author == "coach" else first_name,
            ]
        )
    return sheet


def people_sheets(cycle: Cycle, report, predictions: dict | None, goals) -> list[Sheet]:
    """The sheets for people, in the order of the report."""
    sheets = [
        summary_sheet(cycle, report),
        top_sheet(report),
        competency_sheet(report),
        prediction_sheet(predictions),
        statement_sheet(report),
        groups_sheet(report),
        spread_sheet(report),
        comment_sheet(report),
        plan_sheet(goals, report, cycle.coachee.first_name),
    ]
    return [sheet for sheet in sheets if sheet is not None]


# ---------------------------------------------------------------- writing


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, workbook) -> None:
        base = {"valign": "top"}
        self.header = workbook.add_format(
            {**base, "bold": True, "text_wrap": True, "bg_color": "#E8EEF4", "bottom": 1}
        )
        self.raw_header = workbook.add_format({"bold": True, "bottom": 1})
        # Text wraps: a value longer than its column's cap goes on in the next line.
        self.text = workbook.add_format({**base, "text_wrap": True})
        self.long = self.text
        self.numbers = {
            kind: workbook.add_format({**base, "num_format": code})
            for kind, code in NUMBER_FORMATS.items()
        }


def _shown(value, kind: str) -> str:
    """The text a cell shows, to size its column."""
    if value is None:
        return ""
    if kind in ("mean", "gap"):
        return f"{value:+.2f}" if kind == "gap" else f"{value:.2f}"
    if kind == "date":
        return "2000-01-01"
    return str(value)


def _write_cell(sheet, r: int, c: int, value, kind: str, formats: _Formats) -> str:
    """Write one value of a sheet for people; the text it shows."""
    if isinstance(value, tuple):  # (value, kind): a cell whose kind is its own
        value, kind = value
    value = rounded(value, kind)
    if value is None:
        return ""
    if kind == "date":
        if isinstance(value, datetime):
            value = value.date()
        sheet.write_datetime(r, c, value, formats.numbers["date"])
    elif kind in formats.numbers and isinstance(value, int | float):
        sheet.write_number(r, c, value, formats.numbers[kind])
    elif isinstance(value, int | float) and not isinstance(value, bool):
        sheet.write_number(r, c, value, formats.text)
    else:
        sheet.write_string(r, c, neutral(str(value)), formats.text)
    return _shown(value, kind)


def _width(column: Column, texts: list[str]) -> float:
    """A column's width in characters: its longest value (long text wraps at a cap),
    and its header's longest word, or the whole header for a text column."""
    longest = max((len(line) for text in texts for line in text.splitlines()), default=0)
    if column.kind in ("text", "long"):
        header = len(column.header)
        cap = MAX_WIDTH[column.kind]
    else:
        header = min(len(column.header), NUMBER_HEADER_WIDTH)
        header = max(header, *(len(word) for word in column.header.split()))
        cap = MAX_WIDTH["text"]
    return max(MIN_WIDTH, min(cap, max(longest, header) + 2))


def write_people_sheet(workbook, sheet: Sheet, formats: _Formats) -> None:
    """Write ``sheet``: the header row (wrapped, frozen, filterable), the values with
    their number formats, columns as wide as their content, print settings."""
    page = workbook.add_worksheet(sheet.name)
    shown: list[list[str]] = [[] for _ in sheet.columns]
    for c, column in enumerate(sheet.columns):
        page.write_string(0, c, column.header, formats.header)
    for r, row in enumerate(sheet.rows, start=1):
        for c, (value, column) in enumerate(zip(row, sheet.columns, strict=True)):
            shown[c].append(_write_cell(page, r, c, value, column.kind, formats))
    widths = [_width(column, texts) for column, texts in zip(sheet.columns, shown, strict=True)]
    for c, width in enumerate(widths):
        page.set_column(c, c, width)
    header_lines = max(
        math.ceil(len(column.header) / max(width - 1, 1))
        for column, width in zip(sheet.columns, widths, strict=True)
    )
    page.set_row(0, 15 * max(header_lines, 1))
    page.freeze_panes(1, sheet.frozen_columns)
    if sheet.rows:
        page.autofilter(0, 0, len(sheet.rows), len(sheet.columns) - 1)
    page.set_landscape()
    page.set_paper(9)  # A4
    page.fit_to_pages(1, 0)
    page.repeat_rows(0)


def write_raw_sheet(workbook, name: str, frame: pd.DataFrame, formats: _Formats) -> None:
    """Write ``frame`` as it is: machine column names, every figure at full precision,
    an empty cell for a hidden figure."""
    page = workbook.add_worksheet(name)
    for c, header in enumerate(frame.columns):
        page.write_string(0, c, str(header), formats.raw_header)
        page.set_column(c, c, max(MIN_WIDTH, min(MAX_WIDTH["text"], len(str(header)) + 2)))
    for r, row in enumerate(frame.astype(object).itertuples(index=False, name=None), start=1):
        for c, value in enumerate(row):
            if missing(value):
                continue
            if isinstance(value, bool):
                page.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                page.write_number(r, c, float(value))
            elif hasattr(value, "item") and not isinstance(value, str):
                page.write_number(r, c, float(value.item()))
            elif isinstance(value, date):
                page.write_string(r, c, value.isoformat())
            else:
                page.write_string(r, c, neutral(str(value)))
    page.freeze_panes(1, 0)


def write_workbook(cycle: Cycle, report, path: str, *, predictions=None, goals=()) -> None:
    """Write the workbook of ``cycle``'s report to ``path``: the sheets for people, then
    ``items`` (the gap table with each statement's wording) and ``competencies`` as
    the engine computed them."""
    items = report.results.items.copy()
    items.insert(3, "statement", items["item_key"].map(report.item_texts))
    workbook = xlsxwriter.Workbook(
        path, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    try:
        formats = _Formats(workbook)
        for sheet in people_sheets(cycle, report, predictions, goals):
            write_people_sheet(workbook, sheet, formats)
        write_raw_sheet(workbook, "items", items, formats)
        write_raw_sheet(workbook, "competencies", report.results.competencies, formats)
    finally:
        workbook.close()
