"""``feedback analyze`` through click's CliRunner, on the command object itself."""

from __future__ import annotations

import csv
import ctypes
import sys

import pytest
from click.testing import CliRunner

from feedback.analysis import io as analysis_io
from feedback.cli import analyze as analyze_module
from feedback.cli.analyze import (
    analyze_command,
    arrow_on_malloc,
    format_for,
    freed_memory_reused,
    small_pages,
)

HEADER = "coachee_id,rater_id,group,item_key,competency,score\n"
LINES = [
    "a,me,self,q1,care,5",
    "a,p1,peer,q1,care,3",
    "a,p2,peer,q1,care,3",
    "a,p3,peer,q1,care,4",
    "a,b1,boss,q1,care,2",
]


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(HEADER + "\n".join(LINES) + "\n", encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(analyze_command, list(args), catch_exceptions=False)


def test_writes_the_gap_csv(source, tmp_path):
    target = tmp_path / "gaps.csv"
    result = run(str(source), "--output", str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(target.open()))
    assert [r["item_key"] for r in rows] == ["q1"]
    # others 3, 3, 4, 2: mean 3, gap 2; peers shown (3), boss shown alone (exempt)
    assert float(rows[0]["gap"]) == 2 and rows[0]["peer_n"] == "3" and rows[0]["boss_n"] == "1"


def test_min_group_size_option(source, tmp_path):
    target = tmp_path / "gaps.csv"
    result = run(str(source), "--output", str(target), "--min-group-size", "4")
    assert result.exit_code == 0
    row = next(csv.DictReader(target.open()))
    # k = 4: peers (3) hidden; boss alone would leave 3 peers < 4 uncovered, so it is
    # pooled: other = 4 raters, mean 3
    assert row["peer_n"] == "" and row["boss_n"] == ""
    assert row["other_n"] == "4" and float(row["other_mean"]) == 3


@pytest.mark.parametrize("k", ["1", "0", "x"])
def test_bad_min_group_size_is_a_usage_error(source, tmp_path, k):
    result = run(str(source), "--output", str(tmp_path / "g.csv"), "--min-group-size", k)
    assert result.exit_code == 2
    assert not (tmp_path / "g.csv").exists()


def test_bad_input_exit_code_2_names_the_line_and_writes_nothing(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text(HEADER + "a,me,self,q1,care,5\na,p1,peer,q1,care,six\n")
    target = tmp_path / "gaps.csv"
    result = run(str(source), "--output", str(target))
    assert result.exit_code == 2
    assert "line 3" in result.stderr and "not a number" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_an_existing_output_is_kept_on_bad_input(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(HEADER.encode() + b"a,me,self,q1,care,\xff\n")
    target = tmp_path / "gaps.csv"
    target.write_text("previous")
    result = run(str(source), "--output", str(target))
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    assert target.read_text() == "previous"


def test_missing_input_and_missing_output_folder(source, tmp_path):
    assert run(str(tmp_path / "nope.csv"), "--output", str(tmp_path / "g.csv")).exit_code == 2
    result = run(str(source), "--output", str(tmp_path / "no" / "g.csv"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_format_from_suffix_or_option(source, tmp_path):
    assert run(str(source), "-o", str(tmp_path / "g.html")).exit_code == 0
    assert (tmp_path / "g.html").read_text().startswith("<!DOCTYPE html>")
    assert run(str(source), "-o", str(tmp_path / "g.xlsx")).exit_code == 0
    assert (tmp_path / "g.xlsx").read_bytes()[:2] == b"PK"
    assert run(str(source), "-o", str(tmp_path / "g.out"), "--format", "html").exit_code == 0
    assert (tmp_path / "g.out").read_text().startswith("<!DOCTYPE html>")
    assert format_for(tmp_path / "g.txt", None) == "csv"
    assert format_for(tmp_path / "G.XLSX", None) == "xlsx"


def test_no_progress_when_stderr_is_not_a_terminal(source, tmp_path):
    result = run(str(source), "-o", str(tmp_path / "g.csv"))
    assert result.stderr == ""


def test_progress_on_a_terminal(source, tmp_path, monkeypatch):
    monkeypatch.setattr("feedback.cli.analyze.wants_progress", lambda path: True)
    result = run(str(source), "-o", str(tmp_path / "g.csv"))
    assert result.exit_code == 0
    assert "Reading ratings.csv: 100%" in result.stderr
    assert "Writing g.csv" in result.stderr and result.stderr.rstrip().endswith("done.")


def _hugepage_advice() -> bool:
    """Whether NumPy currently advises huge pages for large arrays (left as it was)."""
    from numpy._core.multiarray import _set_madvise_hugepage

    now = _set_madvise_hugepage(True)
    _set_madvise_hugepage(now)
    return now


@pytest.mark.parametrize("before", [True, False])
def test_small_pages_turns_the_advice_off_and_back(before):
    from numpy._core.multiarray import _set_madvise_hugepage

    previous = _set_madvise_hugepage(before)
    try:
        with small_pages():
            assert _hugepage_advice() is False
        assert _hugepage_advice() is before
        with pytest.raises(RuntimeError), small_pages():
            raise RuntimeError("the analysis failed")
        assert _hugepage_advice() is before
    finally:
        _set_madvise_hugepage(previous)


def test_the_analysis_runs_without_the_advice_and_restores_it(source, tmp_path, monkeypatch):
    seen = []
    analyze = analyze_module._analyze
    monkeypatch.setattr(
        analyze_module, "_analyze", lambda *args: seen.append(_hugepage_advice()) or analyze(*args)
    )
    before = _hugepage_advice()
    assert run(str(source), "-o", str(tmp_path / "g.csv")).exit_code == 0
    assert run(str(tmp_path / "g.csv"), "-o", str(tmp_path / "h.csv")).exit_code == 2
    assert seen == [False, False]
    assert _hugepage_advice() is before


def test_small_pages_without_numpys_switch_changes_nothing(source, tmp_path, monkeypatch):
    assert run(str(source), "-o", str(tmp_path / "with.csv")).exit_code == 0
    monkeypatch.setitem(sys.modules, "numpy._core.multiarray", None)  # import fails
    with small_pages():
        pass
    assert run(str(source), "-o", str(tmp_path / "without.csv")).exit_code == 0
    assert (tmp_path / "without.csv").read_bytes() == (tmp_path / "with.csv").read_bytes()


_MALLINFO2_FIELDS = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS.split()]


def _mapped_alone(size: int) -> bool:
    """Whether glibc gives an allocation of ``size`` bytes a mapping of its own (the
    memory is not touched: only address space is taken)."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    before = libc.mallinfo2().hblks
    block = libc.malloc(size)
    try:
        return libc.mallinfo2().hblks == before + 1
    finally:
        libc.free(block)


#: Larger than anything the heap keeps free here: mapped on its own, unless mappings
#: are off.
LARGE = 1 << 30


glibc_only = pytest.mark.skipif(
    not hasattr(ctypes.CDLL(None), "mallinfo2"), reason="glibc 2.33 or later only"
)


@glibc_only
def test_freed_memory_reused_serves_large_blocks_from_the_heap_then_stops():
    assert _mapped_alone(LARGE)
    with freed_memory_reused():
        assert not _mapped_alone(64 << 20)
    assert _mapped_alone(LARGE)
    with pytest.raises(RuntimeError), freed_memory_reused():
        raise RuntimeError("the analysis failed")
    assert _mapped_alone(LARGE)


@glibc_only
def test_the_analysis_runs_with_freed_memory_reused(source, tmp_path, monkeypatch):
    seen = []
    analyze = analyze_module._analyze
    monkeypatch.setattr(
        analyze_module,
        "_analyze",
        lambda *args: seen.append(_mapped_alone(64 << 20)) or analyze(*args),
    )
    assert run(str(source), "-o", str(tmp_path / "g.csv")).exit_code == 0
    assert seen == [False]
    assert _mapped_alone(LARGE)


def test_freed_memory_reused_does_nothing_without_glibc(source, tmp_path, monkeypatch):
    def no_glibc(name):
        raise ValueError(f"unrecognized configuration name {name!r}")

    def no_c_library(*args):
        raise AssertionError("the C library is left alone")

    monkeypatch.setattr(analyze_module.os, "confstr", no_glibc)
    monkeypatch.setattr(analyze_module.ctypes, "CDLL", no_c_library)
    with freed_memory_reused():
        pass
    assert run(str(source), "-o", str(tmp_path / "g.csv")).exit_code == 0


@pytest.fixture
def arrow_on_its_own_allocator():
    """pyarrow's default pool set to one of its own allocators (as the Linux wheels
    have it), and set back afterwards."""
    import pyarrow

    before = pyarrow.default_memory_pool()
    for own in (pyarrow.jemalloc_memory_pool, pyarrow.mimalloc_memory_pool):
        try:
            pyarrow.set_memory_pool(own())
            break
        except NotImplementedError:  # a pyarrow built without it
            continue
    else:
        pytest.skip("this pyarrow has no allocator of its own")
    own_name = pyarrow.default_memory_pool().backend_name
    yield own_name
    pyarrow.set_memory_pool(before)


def test_arrow_on_malloc_then_back_to_its_own_allocator(arrow_on_its_own_allocator):
    import pyarrow

    with arrow_on_malloc():
        assert pyarrow.default_memory_pool().backend_name == "system"
    assert pyarrow.default_memory_pool().backend_name == arrow_on_its_own_allocator
    with pytest.raises(RuntimeError), arrow_on_malloc():
        raise RuntimeError("the analysis failed")
    assert pyarrow.default_memory_pool().backend_name == arrow_on_its_own_allocator


def test_the_csv_is_parsed_on_malloc(source, tmp_path, monkeypatch, arrow_on_its_own_allocator):
    import pyarrow

    pools = []
    parse = analysis_io._parse

    def parse_and_look(*args):
        pools.append(pyarrow.default_memory_pool().backend_name)
        return parse(*args)

    monkeypatch.setattr(analysis_io, "_parse", parse_and_look)
    assert run(str(source), "-o", str(tmp_path / "g.csv")).exit_code == 0
    assert pools == ["system"]
    assert pyarrow.default_memory_pool().backend_name == arrow_on_its_own_allocator


def test_the_console_command_analyzes_without_building_the_web_app(source, tmp_path, monkeypatch):
    """``feedback analyze`` needs no app: it runs where the service's own settings are
    broken, and never builds one (the app's imports and set-up were most of a second
    of every run)."""
    import feedback.__main__ as console

    def no_app():
        raise AssertionError("feedback analyze built the web app")

    monkeypatch.setattr(console, "create_app", no_app)
    target = tmp_path / "gaps.csv"
    result = CliRunner().invoke(
        console.cli,
        ["analyze", str(source), "--output", str(target)],
        env={"FEEDBACK_SMTP_PORT": "not a port"},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert [row["item_key"] for row in csv.DictReader(target.open())] == ["q1"]
