"""Reading ratings from CSV and writing gap tables (csv, html, xlsx).

The reader is built for large cohort files: pyarrow parses the CSV on every core into
dictionary-encoded (categorical) columns, and every check is vectorised. Only when
something is wrong does it read the file again line by line, to name the line.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from .checks import Problem, find_problem
from .formats import FORMATS
from .tallies import DEFAULT_COACHEE, RATING_COLUMNS

if TYPE_CHECKING:
    import jinja2

#: Reports progress: (bytes read so far, bytes in all).
Progress = Callable[[int, int], None]
#: Score cells meaning "Don't know" (compared case-insensitively, spaces stripped).
DONT_KNOW: tuple[str, ...] = ("", "na", "n/a", "nan")
#: Decimal places of the figures in a written gap table.
DECIMALS = 4
#: Text cells starting with one of these would run as a formula in a spreadsheet.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: The most rows an xlsx sheet holds (Excel's limit, header included).
XLSX_MAX_ROWS = 1_048_576

_LABEL_COLUMNS = ("coachee_id", "rater_id", "group", "item_key", "competency")
_REQUIRED = RATING_COLUMNS[1:]
_BLOCK = 1 << 22


class RatingsInputError(ValueError):
    """A ratings file that cannot be analysed; ``line`` (1-based) says where, if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


Source = str | os.PathLike[str] | BinaryIO | bytes
T = TypeVar("T")


def read_ratings_csv(source: Source, *, progress: Progress | None = None) -> pd.DataFrame:
    """Read and check a ratings CSV, as ``feedback analyze`` takes it.

    Args:
        source: a path, an open binary file, or the bytes of the file. UTF-8 (a byte
            order mark is fine), comma-separated (a header with semicolons or tabs and
            no comma switches to that delimiter). Header names are matched
            case-insensitively; columns other than the six below are ignored.
        progress: called now and then with (bytes read, bytes in all) while parsing.

    Returns:
        One row per rating: ``coachee_id`` (categorical; "1" when the file has no such
        column), ``rater_id``, ``group``, ``item_key``, ``competency`` (categoricals;
        surrounding spaces stripped, groups lower-cased) and ``score`` (float64, NaN
        for "Don't know": an empty cell, ``na``, ``n/a`` or ``nan``).

    Raises:
        RatingsInputError: with the line (1-based, the header is line 1) of the first
            problem: an empty file, missing columns, bytes that are not UTF-8, a row
            with the wrong number of cells, an unknown group, a score that is not a
            number or is outside 1..5, a rater rating an item twice, a rater in two
            groups, two self raters for one coachee, an item in two competencies.
    """
    read = _read(source, progress)
    read.raise_problem(find_problem(read.ratings, codes=read.codes))
    return read.ratings


def analyse_ratings_csv(
    source: Source, compute: Callable[[pd.DataFrame], T], *, progress: Progress | None = None
) -> T:
    """Read and check a ratings CSV as :func:`read_ratings_csv` does, and run
    ``compute`` on the ratings while they are being checked; what ``compute`` returned.

    The checks run on a second thread beside ``compute`` (the gap table, say) on this
    one. Both are mostly NumPy work that lets the other thread run, so on a machine
    with two cores the checks of a large file cost little of its time (bench/README.md,
    "Issue 21, fifth session: analyze").

    Raises:
        RatingsInputError: as :func:`read_ratings_csv` raises it, whatever ``compute``
            made of the ratings meanwhile (its result, or its error, is dropped).
        Exception: whatever ``compute`` raised, for ratings the checks found sound.
    """
    read = _read(source, progress)
    with ThreadPoolExecutor(1) as pool:
        checks = pool.submit(find_problem, read.ratings, codes=read.codes)
        try:
            result = compute(read.ratings)
        except Exception:
            # A problem the checks found comes first: what compute made of unsound
            # ratings says nothing about the file.
            read.raise_problem(checks.result())
            raise
        read.raise_problem(checks.result())
    return result


@dataclass
class _Read:
    """A ratings file parsed into a frame, not yet checked."""

    ratings: pd.DataFrame
    #: Each label column's codes and labels, for the checks.
    codes: dict[str, tuple[np.ndarray, np.ndarray]]
    opener: Callable[[], IO[bytes]]
    delimiter: str

    def raise_problem(self, problem: Problem | None) -> None:
        """Raise RatingsInputError for ``problem``, found by the checks, with its line
        in the file (read again to find it); nothing when there is none."""
        if problem is not None:
            line = _line_of_row(self.opener, self.delimiter, problem.row)
            raise RatingsInputError(problem.message, line)


def _read(source: Source, progress: Progress | None) -> _Read:
    """Parse ``source`` into the ratings frame; RatingsInputError when it cannot be
    parsed or holds no ratings."""
    opener, size = _opener(source)
    with opener() as stream:
        head = stream.read(1 << 16)
    delimiter, names = _header(head)
    try:
        path = Path(source) if isinstance(source, str | os.PathLike) else None
        table = _parse(opener, size, delimiter, names, progress, path)
    except pa.ArrowInvalid as error:
        raise _explain(opener, delimiter, names, error) from None
    ratings, codes = _to_frame(table)
    del table
    if len(ratings) == 0:
        raise RatingsInputError("the file has a header but no ratings", line=2)
    return _Read(ratings, codes, opener, delimiter)


def _opener(source: Source) -> tuple[Callable[[], IO[bytes]], int]:
    """A function that opens the source afresh, and the source's size in bytes."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
        return (lambda: io.BytesIO(data)), len(data)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return (lambda: path.open("rb")), path.stat().st_size
    data = source.read()
    return (lambda: io.BytesIO(data)), len(data)


def _header(head: bytes) -> tuple[str, list[str]]:
    """The delimiter and the normalised column names from the file's first bytes."""
    if not head.strip():
        raise RatingsInputError("the file is empty: expected a header line", line=1)
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RatingsInputError(_not_utf8(error), line=1) from None
    delimiter = ","
    if "," not in text:
        delimiter = next((d for d in (";", "\t") if d in text), ",")
    names = [n.strip().lower() for n in next(csv.reader([text], delimiter=delimiter))]
    missing = [c for c in _REQUIRED if c not in names]
    if missing:
        raise RatingsInputError(
            f"missing column(s) {', '.join(missing)}: the header must name "
            f"{', '.join(RATING_COLUMNS)} (coachee_id is optional); it has "
            f"{', '.join(repr(n) for n in names)}",
            line=1,
        )
    twice = sorted({n for n in names if names.count(n) > 1 and n in RATING_COLUMNS})
    if twice:
        raise RatingsInputError(f"column(s) {', '.join(twice)} appear twice", line=1)
    return delimiter, names


class _Counting(io.RawIOBase):
    """A binary stream that reports how much of it has been read."""

    def __init__(self, raw: IO[bytes], size: int, progress: Progress) -> None:
        self._raw = raw
        self._size = size
        self._done = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer)[:_BLOCK]
        count = self._raw.readinto(view)  # type: ignore[attr-defined]
        self._done += count
        self._progress(self._done, self._size)
        return count


def _parse(
    opener: Callable[[], IO[bytes]],
    size: int,
    delimiter: str,
    names: list[str],
    progress: Progress | None,
    path: Path | None,
) -> pa.Table:
    """Parse the CSV with pyarrow into dictionary-encoded label columns."""
    wanted = [c for c in RATING_COLUMNS if c in names]
    dictionary = pa.dictionary(pa.int32(), pa.string())
    types = {c: dictionary for c in wanted if c != "score"}
    types["score"] = pa.float64()
    read = pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK)
    parse = pa_csv.ParseOptions(delimiter=delimiter)
    convert = pa_csv.ConvertOptions(
        include_columns=wanted,
        column_types=types,
        null_values=[v for s in DONT_KNOW for v in {s, s.upper(), s.capitalize()}],
        strings_can_be_null=False,
    )
    options = {"read_options": read, "parse_options": parse, "convert_options": convert}
    if progress is None and path is not None:
        return pa_csv.read_csv(str(path), **options)
    with opener() as raw:
        stream: IO[bytes] = raw
        if progress is not None:
            stream = io.BufferedReader(_Counting(raw, size, progress), _BLOCK)
        return pa_csv.read_csv(stream, **options)


def _to_frame(table: pa.Table) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The parsed table as a ratings frame of categoricals and a float score, and each
    label column's codes and labels (for the checks, which need not work them out
    again)."""
    data: dict[str, object] = {}
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in RATING_COLUMNS:
        if name == "score":
            data[name] = table.column(name).to_numpy()
            continue
        if name in table.column_names:
            column = _categorical(table.column(name), lower=name == "group")
        else:
            zeros = np.zeros(table.num_rows, dtype=np.int8)
            column = pd.Categorical.from_codes(zeros, [DEFAULT_COACHEE], validate=False)
        data[name] = column
        codes[name] = (column.codes, np.asarray(column.categories, dtype=object))
    return pd.DataFrame(data, copy=False), codes


def _categorical(column: pa.ChunkedArray, *, lower: bool) -> pd.Categorical:
    """One categorical from pyarrow's per-block dictionaries, categories in order of
    first appearance, surrounding spaces stripped (and lower-cased if ``lower``).

    Each block's dictionary is small: all of them, one after the other, are numbered in
    one ``factorize`` (in order of first appearance, as the blocks are in order); the
    rows themselves are touched once, by one ``take`` per block.
    """
    chunks = column.chunks
    words = [w for chunk in chunks for w in chunk.dictionary.to_pylist()]
    words = [w.strip().lower() if lower else w.strip() for w in words]
    numbers, labels = pd.factorize(np.array(words, dtype=object), sort=False)
    n_labels = len(labels)
    dtype = np.int8 if n_labels < 2**7 else np.int16 if n_labels < 2**15 else np.int32
    numbers = numbers.astype(dtype)
    codes = np.empty(len(column), dtype=dtype)
    start = first_word = 0
    for chunk in chunks:
        mapping = numbers[first_word : first_word + len(chunk.dictionary)]
        first_word += len(chunk.dictionary)
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        # "clip" (the indices are in range): "raise" would write through a buffer
        np.take(mapping, indices, out=codes[start : start + len(indices)], mode="clip")
        start += len(indices)
    categories = pd.Index(list(labels), dtype="str")
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _not_utf8(error: UnicodeDecodeError) -> str:
    bad = error.object[error.start : error.start + 4]
    return (
        f"bytes that are not UTF-8 ({bad!r} at character {error.start + 1}): "
        "save the file as UTF-8 CSV"
    )


def _records(opener: Callable[[], IO[bytes]], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Every non-blank record after the header, with the line it starts on.

    Raises RatingsInputError for bytes that are not UTF-8 and for malformed quoting.
    """
    line = 0

    def lines() -> Iterator[str]:
        nonlocal line
        with opener() as stream:
            for raw in stream:
                line += 1
                try:
                    yield raw.decode("utf-8-sig" if line == 1 else "utf-8")
                except UnicodeDecodeError as error:
                    raise RatingsInputError(_not_utf8(error), line=line) from None

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        next(reader)
        while True:
            start = line + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            if record:
                yield start, record
    except csv.Error as error:
        raise RatingsInputError(f"the CSV is malformed: {error}", line=line) from None


def _line_of_row(opener: Callable[[], IO[bytes]], delimiter: str, row: int) -> int | None:
    """The line on which data row ``row`` (0-based, blank lines skipped) starts."""
    for index, (line, _record) in enumerate(_records(opener, delimiter)):
        if index == row:
            return line
    return None


def _explain(
    opener: Callable[[], IO[bytes]],
    delimiter: str,
    names: list[str],
    error: pa.ArrowInvalid,
) -> RatingsInputError:
    """Find the line that pyarrow could not read, and say what is wrong with it."""
    score_at = names.index("score")
    try:
        for line, record in _records(opener, delimiter):
            if len(record) != len(names):
                return RatingsInputError(
                    f"expected {len(names)} cells as in the header, found {len(record)}",
                    line=line,
                )
            cell = record[score_at].strip()
            if cell.lower() in DONT_KNOW:
                continue
            try:
                float(cell)
            except ValueError:
                return RatingsInputError(
                    f"score {cell!r} is not a number: expected 1 to 5, "
                    "or empty / na for don't know",
                    line=line,
                )
    except RatingsInputError as found:
        return found
    return RatingsInputError(f"the CSV cannot be read: {error}")


def _neutral(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_gap_table(items: pd.DataFrame, path: str | os.PathLike[str], fmt: str) -> None:
    """Write a gap table (an item_stats- or competency_stats-shaped frame) to ``path``.

    Args:
        items: the frame; hidden figures (NaN / <NA>) become empty cells.
        path: the file to write. It is written to a temporary file beside it and
            renamed into place, so an error leaves no partial file behind.
        fmt: ``csv`` (UTF-8, the gap CSV of README.md), ``html`` (one self-contained
            page, no scripts, no external resources) or ``xlsx`` (one sheet; text
            cells starting with = + - @ get a leading apostrophe so that they never
            run as formulas).

    Figures are rounded to 4 decimals.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    target = Path(path)
    rounded = items.round(DECIMALS)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    os.close(descriptor)
    try:
        if fmt == "csv":
            _write_csv(rounded, temporary)
        elif fmt == "html":
            _write_html(rounded, temporary)
        else:
            _write_xlsx(rounded, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _write_csv(items: pd.DataFrame, path: str) -> None:
    """pyarrow's CSV writer, on every core: the table is cut into slices formatted
    side by side (pyarrow releases the GIL) and written one after the other."""
    table = pa.Table.from_pandas(items, preserve_index=False)
    slices = max(1, min(os.cpu_count() or 1, 8, table.num_rows // 50_000))
    size = -(-table.num_rows // slices)

    def formatted(number: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        options = pa_csv.WriteOptions(quoting_style="needed", include_header=number == 0)
        pa_csv.write_csv(table.slice(number * size, size), sink, write_options=options)
        return sink.getvalue()

    with open(path, "wb") as out:
        if slices == 1:
            out.write(formatted(0))
            return
        with ThreadPoolExecutor(slices) as pool:
            for buffer in pool.map(formatted, range(slices)):
                out.write(buffer)


_GAP_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Perception gaps</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Perception gaps</h1>
<p>gap = self &minus; others' mean. An empty cell is a figure hidden to keep the
raters anonymous (too few of them answered).</p>
<table>
<thead><tr>{% for name in columns %}<th>{{ name }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in rows %}
<tr>{% for text, number in row -%}
<td{% if number %} class="number"{% endif %}>{{ text }}</td>
{%- endfor %}</tr>
{% endfor %}
</tbody>
</table>
</body>
</html>
"""


@cache
def _gap_page() -> jinja2.Template:
    """The page's template, compiled on first use: reading and writing CSV need no
    Jinja (its import was 12 ms of CPU a run)."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, trim_blocks=True, keep_trailing_newline=True)
    return environment.from_string(_GAP_PAGE)


def _write_html(items: pd.DataFrame, path: str) -> None:
    """One self-contained page (no scripts, no external resources): a Jinja template
    that escapes every header and cell; numbers are right-aligned, hidden figures are
    empty cells."""
    numeric = [pd.api.types.is_numeric_dtype(items[c]) for c in items.columns]
    columns = [items[c].astype(object).to_numpy() for c in items.columns]

    def rows() -> Iterator[list[tuple[str, bool]]]:
        for row in range(len(items)):
            yield [
                ("" if _is_missing(column[row]) else _html_text(column[row]), is_number)
                for is_number, column in zip(numeric, columns, strict=True)
            ]

    with open(path, "w", encoding="utf-8") as out:
        _gap_page().stream(columns=[str(c) for c in items.columns], rows=rows()).dump(out)


def _html_text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _write_xlsx(items: pd.DataFrame, path: str) -> None:
    import xlsxwriter

    if len(items) + 1 > XLSX_MAX_ROWS:
        raise ValueError(
            f"{len(items)} rows do not fit in one xlsx sheet (at most "
            f"{XLSX_MAX_ROWS - 1}); write csv instead"
        )
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        sheet = workbook.add_worksheet("gaps")
        bold = workbook.add_format({"bold": True})
        for col, name in enumerate(items.columns):
            sheet.write_string(0, col, _neutral(str(name)), bold)
        sheet.freeze_panes(1, 0)
        columns = [items[c].astype(object).to_numpy() for c in items.columns]
        for row in range(len(items)):
            for col, column in enumerate(columns):
                value = column[row]
                if _is_missing(value):
                    continue
                if isinstance(value, bool | np.bool_):
                    sheet.write_boolean(row + 1, col, bool(value))
                elif isinstance(value, int | float | np.integer | np.floating):
                    sheet.write_number(row + 1, col, float(value))
                else:
                    sheet.write_string(row + 1, col, _neutral(str(value)))
    finally:
        workbook.close()
