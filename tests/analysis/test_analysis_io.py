"""read_ratings_csv: every input error names its line; analyse_ratings_csv: the checks
beside the analysis; write_gap_table: formats, safety."""

from __future__ import annotations

import csv
import io
import math
import re
import threading
import zipfile

import pandas as pd
import pytest
from analysis_frames import build_ratings, panel

from feedback.analysis import io as analysis_io
from feedback.analysis import item_stats
from feedback.analysis.io import (
    RatingsInputError,
    analyse_ratings_csv,
    read_ratings_csv,
    write_gap_table,
)

HEADER = "coachee_id,rater_id,group,item_key,competency,score\n"
GOOD = [
    "a,me,self,q1,care,4",
    "a,p1,peer,q1,care,3",
    "a,p2,peer,q1,care,na",
    "a,p3,peer,q1,care,",
    "b,me,self,q1,care,2",
]


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode()


def error_of(data: bytes) -> RatingsInputError:
    with pytest.raises(RatingsInputError) as caught:
        read_ratings_csv(data)
    return caught.value


def test_reads_a_good_file(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes(*GOOD))
    ratings = read_ratings_csv(path)
    assert list(ratings.columns) == [
        "coachee_id",
        "rater_id",
        "group",
        "item_key",
        "competency",
        "score",
    ]
    assert list(ratings["coachee_id"].astype(str)) == ["a", "a", "a", "a", "b"]
    assert ratings["score"].tolist()[:2] == [4.0, 3.0]
    assert ratings["score"].isna().tolist() == [False, False, True, True, False]
    assert isinstance(ratings["group"].dtype, pd.CategoricalDtype)


def test_coachee_id_is_optional():
    data = csv_bytes("me,self,q1,care,4", header="rater_id,group,item_key,competency,score\n")
    ratings = read_ratings_csv(data)
    assert list(ratings["coachee_id"].astype(str)) == ["1"]


def test_bom_semicolons_case_and_spaces_are_tolerated():
    data = "\ufeffRater_ID;Group;Item_Key;Competency;Score;comment\n me ; Peer ;q1;care; 4 ;x\n"
    ratings = read_ratings_csv(data.encode())
    assert ratings["group"].astype(str).tolist() == ["peer"]
    assert ratings["rater_id"].astype(str).tolist() == ["me"]
    assert ratings["score"].tolist() == [4.0]


def test_file_object_and_progress(tmp_path):
    seen = []
    ratings = read_ratings_csv(
        io.BytesIO(csv_bytes(*GOOD)), progress=lambda d, t: seen.append((d, t))
    )
    assert len(ratings) == len(GOOD)
    assert seen and seen[-1][0] == seen[-1][1] == len(csv_bytes(*GOOD))


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        (["a,me,self,q1,care,4", "a,p1,manager,q1,care,3"], 3, "unknown group 'manager'"),
        (["a,me,self,q1,care,4", "a,p1,peer,q1,care,7"], 3, "score 7 is out of range"),
        (["a,me,self,q1,care,0"], 2, "score 0 is out of range"),
        (["a,me,self,q1,care,4", "a,p1,peer,q1,care,good"], 3, "score 'good' is not a number"),
        (["a,me,self,q1,care,4", "a,me,self,q1,care,5"], 3, "rater 'me' rated item 'q1' twice"),
        (
            ["a,p1,peer,q1,care,4", "a,p1,boss,q2,care,5"],
            3,
            "rater 'p1' is in group 'boss' here but in 'peer'",
        ),
        (
            ["a,me,self,q1,care,4", "a,me2,self,q2,care,5"],
            3,
            "coachee 'a' has a second self rater 'me2'",
        ),
        (["a,me,self,q1,care,4", "a,p1,peer,q1,drive,4"], 3, "item 'q1' is in competency 'drive'"),
        (["a,me,self,q1,care,4", "a,p1,peer,q1,care"], 3, "expected 6 cells"),
        (["a,me,self,q1,care,4", "a,,peer,q1,care,4"], 3, "rater_id is empty"),
    ],
)
def test_input_errors_name_their_line(lines, line, message):
    error = error_of(csv_bytes(*lines))
    assert error.line == line
    assert message in error.message
    assert str(error).startswith(f"line {line}: ")


def test_same_rater_id_may_appear_for_two_coachees():
    data = csv_bytes("a,r1,peer,q1,care,4", "b,r1,boss,q1,care,2", "a,me,self,q1,care,3")
    ratings = read_ratings_csv(data)
    assert len(ratings) == 3


def test_missing_columns():
    error = error_of(b"rater_id,group,item_key,score\nme,self,q1,4\n")
    assert error.line == 1
    assert "missing column(s) competency" in error.message


def test_empty_file_and_header_only():
    assert error_of(b"").line == 1
    assert "empty" in error_of(b"\n  \n").message
    header_only = error_of(HEADER.encode())
    assert header_only.line == 2
    assert "no ratings" in header_only.message


def test_bytes_that_are_not_utf8():
    data = csv_bytes("a,me,self,q1,care,4", "a,p1,peer,q1,care,3") + b"a,p\xe9,peer,q1,care,3\n"
    error = error_of(data)
    assert error.line == 4
    assert "not UTF-8" in error.message


def test_non_utf8_header():
    error = error_of(b"rater_id,gr\xfcoup,item_key,competency,score\n")
    assert error.line == 1 and "not UTF-8" in error.message


def test_line_numbers_count_blank_lines_and_quoted_newlines():
    data = (
        HEADER
        + "a,me,self,q1,care,4\n"
        + "\n"
        + 'a,p1,peer,q1,"care",3\n'
        + 'a,p2,peer,"q\n2",care,3\n'
        + "a,p3,peer,q1,care,9\n"
    ).encode()
    error = error_of(data)
    assert error.line == 7
    assert "out of range" in error.message


def test_input_error_is_a_value_error():
    assert issubclass(RatingsInputError, ValueError)
    assert str(RatingsInputError("no line")) == "no line"


@pytest.fixture
def gaps():
    raters = panel(5, peer=[3, 3, 4], boss=[2])
    frame = build_ratings(raters)
    frame.loc[:, "item_key"] = '=HYPERLINK("http://x")'
    frame.loc[:, "competency"] = "<b>care</b>"
    return item_stats(frame)


def test_write_csv_hidden_cells_are_empty(gaps, tmp_path):
    target = tmp_path / "gaps.csv"
    write_gap_table(gaps, target, "csv")
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 1
    row = rows[0]
    assert row["coachee_id"] == "c1"
    assert row["category"] == "blind spot"
    # others 3, 3, 4, 2: mean 3, gap 2
    assert float(row["others_mean"]) == 3 and float(row["gap"]) == 2
    assert row["peer_n"] == "3" and row["boss_n"] == "1"
    assert row["subordinate_mean"] == "" and row["other_n"] == ""
    assert list(tmp_path.iterdir()) == [target]


def test_write_csv_rounds_to_four_decimals(tmp_path, one_item):
    table = item_stats(one_item(5, peer=[3, 3, 4]))
    write_gap_table(table, tmp_path / "g.csv", "csv")
    row = next(csv.DictReader((tmp_path / "g.csv").open()))
    assert row["others_mean"] == "3.3333"
    assert row["rwg"] == "0.8333"


def test_write_html_is_self_contained_and_escaped(gaps, tmp_path):
    target = tmp_path / "gaps.html"
    write_gap_table(gaps, target, "html")
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http-equiv" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "&lt;b&gt;care&lt;/b&gt;" in page and "<b>care" not in page
    assert "<td>blind spot</td>" in page


def test_write_xlsx_neutralises_formulas(gaps, tmp_path):
    target = tmp_path / "gaps.xlsx"
    write_gap_table(gaps, target, "xlsx")
    with zipfile.ZipFile(target) as book:
        names = book.namelist()
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in names else ""
        )
    text = sheet + strings
    assert "<f>" not in sheet  # no formula cell at all
    assert "&apos;=HYPERLINK" in text or "'=HYPERLINK" in text
    assert "blind spot" in text


def test_nothing_is_written_on_error(gaps, tmp_path):
    class Exploding:
        def __str__(self):
            raise RuntimeError("boom")

    broken = gaps.astype({"category": object})
    broken.loc[0, "category"] = Exploding()
    for fmt in ("xlsx", "html"):
        target = tmp_path / f"gaps.{fmt}"
        with pytest.raises(RuntimeError, match="boom"):
            write_gap_table(broken, target, fmt)
        assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_write(gaps, tmp_path):
    target = tmp_path / "gaps.html"
    target.write_text("old")
    broken = gaps.astype({"category": object})
    broken.loc[0, "category"] = type("X", (), {"__str__": lambda self: 1 / 0})()
    with pytest.raises(ZeroDivisionError):
        write_gap_table(broken, target, "html")
    assert target.read_text() == "old"


def test_unknown_format(gaps, tmp_path):
    with pytest.raises(ValueError, match="unknown format"):
        write_gap_table(gaps, tmp_path / "x.pdf", "pdf")


def test_round_trip_from_csv_to_gaps(tmp_path):
    lines = ["a,me,self,q1,care,5"] + [f"a,p{i},peer,q1,care,{s}" for i, s in enumerate([3, 3, 4])]
    row = item_stats(read_ratings_csv(csv_bytes(*lines))).iloc[0]
    assert row["category"] == "blind spot"
    assert row["gap"] == pytest.approx(5 - 10 / 3)
    assert not math.isnan(row["rwg"])


def test_analyse_computes_from_the_ratings_as_read_ratings_csv_gives_them():
    data = csv_bytes(*GOOD)
    pd.testing.assert_frame_equal(analyse_ratings_csv(data, lambda r: r), read_ratings_csv(data))
    gaps = analyse_ratings_csv(data, item_stats)
    pd.testing.assert_frame_equal(gaps, item_stats(read_ratings_csv(data)))


def test_analyse_checks_on_another_thread_while_computing(monkeypatch):
    """The checks and the computation run at the same time: each waits for the other
    at a barrier, which breaks (after 10 s) if they ran one after the other."""
    meeting = threading.Barrier(2, timeout=10)
    threads = {}
    check = analysis_io.find_problem

    def checks(*args, **kwargs):
        threads["checks"] = threading.get_ident()
        meeting.wait()
        return check(*args, **kwargs)

    def compute(ratings):
        threads["compute"] = threading.get_ident()
        meeting.wait()
        return len(ratings)

    monkeypatch.setattr(analysis_io, "find_problem", checks)
    assert analyse_ratings_csv(csv_bytes(*GOOD), compute) == len(GOOD)
    assert threads["compute"] == threading.get_ident() != threads["checks"]


@pytest.mark.parametrize("outcome", ["returns", "raises"])
def test_analyse_reports_the_checks_problem_whatever_the_computation_did(outcome):
    lines = ["a,me,self,q1,care,4", "a,p1,peer,q1,care,3", "a,p1,peer,q1,care,2"]

    def compute(ratings):
        if outcome == "raises":
            raise ValueError("a computation confused by the repeated rating")
        return "a table that must not be used"

    with pytest.raises(RatingsInputError) as caught:
        analyse_ratings_csv(csv_bytes(*lines), compute)
    assert caught.value.line == 4
    assert "rater 'p1' rated item 'q1' twice" in str(caught.value)


def test_analyse_lets_an_interruption_through_whatever_the_checks_find():
    class Interrupted(BaseException):
        """Like KeyboardInterrupt, without stopping pytest."""

    def compute(ratings):
        raise Interrupted

    repeated = ["a,me,self,q1,care,4", "a,p1,peer,q1,care,3", "a,p1,peer,q1,care,2"]
    with pytest.raises(Interrupted):
        analyse_ratings_csv(csv_bytes(*repeated), compute)


def test_analyse_raises_the_computations_own_error_on_sound_ratings():
    def compute(ratings):
        raise ValueError("not enough raters for this figure")

    with pytest.raises(ValueError, match="not enough raters") as caught:
        analyse_ratings_csv(csv_bytes(*GOOD), compute)
    assert not isinstance(caught.value, RatingsInputError)


def test_analyse_reports_a_file_that_cannot_be_parsed_without_computing():
    def compute(ratings):
        raise AssertionError("nothing to compute from a file that cannot be read")

    with pytest.raises(RatingsInputError) as caught:
        analyse_ratings_csv(csv_bytes("a,me,self,q1,care,4", "a,p1,peer,q1,care,six"), compute)
    assert caught.value.line == 3
