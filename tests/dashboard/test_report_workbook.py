"""The XLSX for people (README "Reports"): a sheet per view with headers in words,
widths that fit, figures rounded to two places with number formats, the header row
frozen; the raw figures last, unrounded. Read back with openpyxl."""

import io

import pytest
from dashboard_support import PARTNER_WORD

from feedback import analysis
from feedback.coaching.models import Cycle
from feedback.extensions import db
from feedback.ratings.frames import ratings_frame
from feedback.ratings.results import rules_for

openpyxl = pytest.importorskip("openpyxl")

PEOPLE_SHEETS = [
    "Summary",
    "Top statements",
    "By competency",
    "By statement",
    "Groups compared",
    "Spread of answers",
    "Comments",
]


@pytest.fixture
def book(closed_cycle, coach_browser):
    response = coach_browser.get(f"/cycles/{closed_cycle['cycle_id']}/report.xlsx")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def engine_items(app, cycle_id):
    with app.app_context():
        cycle = db.session.get(Cycle, cycle_id)
        return analysis.item_stats(ratings_frame(cycle), rules_for(cycle))


def rows(sheet) -> list[dict]:
    """A sheet's rows as header → cell."""
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=False)) for row in sheet.iter_rows(min_row=2)]


def test_a_sheet_per_view_then_the_raw_figures_last(book):
    assert book.sheetnames == [*PEOPLE_SHEETS, "items", "competencies"]
    for name in PEOPLE_SHEETS:
        sheet = book[name]
        headers = [cell.value for cell in sheet[1]]
        assert all(headers), name
        # Headers in words: no machine names like others_mean.
        assert not any("_" in header for header in headers), (name, headers)
        assert all(cell.font.bold for cell in sheet[1]), name
        assert sheet.freeze_panes in ("A2", "B2"), name
    assert book["items"]["A1"].value == "coachee_id"
    assert "others_mean" in [cell.value for cell in book["items"][1]]


def test_figures_are_rounded_with_number_formats_and_the_raw_sheet_keeps_full_precision(
    app, closed_cycle, book
):
    items = engine_items(app, closed_cycle["cycle_id"])
    by_statement = rows(book["By statement"])
    assert len(by_statement) == len(items)
    for row, (_, expected) in zip(by_statement, items.iterrows(), strict=True):
        others, gap = row["Others"], row["Gap (self − others)"]
        assert others.number_format == "0.00"
        assert others.value == round(expected["others_mean"], 2)
        assert gap.number_format == "+0.00;-0.00;0.00"
        assert gap.value == round(expected["gap"], 2)
        assert row["Answers"].number_format == "0"
    raw = rows(book["items"])
    for row, (_, expected) in zip(raw, items.iterrows(), strict=True):
        assert row["others_mean"].value == pytest.approx(expected["others_mean"], abs=1e-12)
        assert row["gap"].value == pytest.approx(expected["gap"], abs=1e-12)


def shown(cell) -> str:
    """The text a cell shows: text as it is, a number in its format's places."""
    if cell.data_type == "s":
        return cell.value
    if cell.is_date:
        return cell.value.date().isoformat()
    return f"{cell.value:+.2f}" if "0.00" in cell.number_format else f"{cell.value:g}"


def widths(sheet) -> dict[int, float]:
    """Each column's width by number (openpyxl keeps equal neighbours as one range)."""
    return {
        number: dimension.width
        for dimension in sheet.column_dimensions.values()
        for number in range(dimension.min, dimension.max + 1)
    }


def test_columns_fit_their_content_and_long_text_wraps(book):
    for name in PEOPLE_SHEETS:
        sheet = book[name]
        width_of = widths(sheet)
        for column in sheet.iter_cols(min_row=1):
            width = width_of[column[0].column]
            header, cells = column[0], [cell for cell in column[1:] if cell.value is not None]
            longest_word = max(len(word) for word in header.value.split())
            assert width >= longest_word, (name, header.value, width)
            longest = max((len(shown(cell)) for cell in cells), default=0)
            if longest > width:  # long text wraps in a column of a readable width
                assert all(c.alignment.wrap_text for c in cells if c.data_type == "s"), name
                assert 38 <= width <= 72, (name, header.value, width)
                continue
            assert longest <= width <= max(longest, len(header.value)) + 3, (
                name,
                header.value,
                width,
                longest,
            )


def test_the_summary_names_the_coachee_and_the_agreement(book, app, closed_cycle):
    with app.app_context():
        cycle = db.session.get(Cycle, closed_cycle["cycle_id"])
        agreement = analysis.self_other_agreement(ratings_frame(cycle), rules_for(cycle)).iloc[0]
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Coachee"].value == "Casey Doe"
    assert summary["Closed on"].is_date and summary["Closed on"].number_format == "yyyy-mm-dd"
    assert summary["Self–other agreement"].value == agreement["category"]
    # 3.548387… (the example's self-ratings) is held as 3.55, shown with two places.
    assert agreement["self_overall"] != round(agreement["self_overall"], 2)
    assert summary["Self, overall"].value == round(agreement["self_overall"], 2)
    assert summary["Self, overall"].number_format == "0.00"
    assert summary["Difference (self − others)"].value == round(agreement["difference"], 2)
    assert summary["Difference (self − others)"].number_format == "+0.00;-0.00;0.00"


def test_what_the_guard_hides_is_in_no_sheet(book):
    # The lone partner (below k) is no column of any sheet for people, and no answer is
    # labelled with their group; their comment word appears only unlabelled.
    for name in PEOPLE_SHEETS:
        sheet = book[name]
        assert not any("Partner" in str(cell.value) for cell in sheet[1]), name
    for row in rows(book["Comments"]):
        if PARTNER_WORD in str(row["Answer"].value):
            assert row["Group"].value is None
    for row in rows(book["items"]):
        assert row["partner_mean"].value is None and row["partner_n"].value is None
    formulas = [row["Answer"].value for row in rows(book["Comments"])]
    assert any(str(text).startswith("'=HYPERLINK") for text in formulas)
    assert not any(str(text).startswith("=") for text in formulas)
