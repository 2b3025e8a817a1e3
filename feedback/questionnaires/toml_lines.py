"""The line a value of a TOML document is written on, found by reading the source.

tomllib returns plain data without positions. To point a person at the line of a
problem, :func:`key_lines` reads the document once more, line by line, and notes the
line of each table header (``[scale]``, ``[[competencies]]``) and of each
``key = value`` under its location, the path of keys and indices that pydantic uses:
``("competencies", 1, "items", 0, "rater")``.

It knows what questionnaire files are written with (tables, arrays of tables, nested
too, bare, quoted and dotted keys, multi-line strings) and nothing more: it is a
finder of lines, not a parser, and it runs only on text tomllib has accepted.
:func:`line_of` gives a location it did not note, such as a key inside an inline table,
the line of the nearest enclosing location it did note.
"""

from __future__ import annotations

import re

Location = tuple[str | int, ...]

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_ARRAY_HEADER = re.compile(rf"\[\[\s*({_DOTTED_KEY})\s*\]\]")
_TABLE_HEADER = re.compile(rf"\[\s*({_DOTTED_KEY})\s*\]")
_KEY_VALUE = re.compile(rf"({_DOTTED_KEY})\s*=(.*)")
_PARTS = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")
_MULTILINE_QUOTES = ('"""', "'''")


def key_lines(text: str) -> dict[Location, int]:
    """Location -> line number (from 1) of every table and key written in ``text``.

    An array of tables is noted at its first entry's header, each entry at its own.
    """
    lines: dict[Location, int] = {}
    #: Location of an array of tables -> how many entries it has so far.
    arrays: dict[Location, int] = {}
    table: Location = ()
    open_quote = None  # the quotes of a multi-line string that is still open
    for number, line in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if line.count(open_quote) % 2:
                open_quote = None
            continue
        stripped = line.strip()
        if header := _ARRAY_HEADER.match(stripped):
            parts = _parts(header[1])
            array = (*_resolve(parts[:-1], arrays), parts[-1])
            arrays[array] = arrays.get(array, 0) + 1
            table = (*array, arrays[array] - 1)
            lines.setdefault(array, number)
            lines[table] = number
        elif header := _TABLE_HEADER.match(stripped):
            table = _resolve(_parts(header[1]), arrays)
            lines.setdefault(table, number)
        elif pair := _KEY_VALUE.match(stripped):
            lines.setdefault((*table, *_parts(pair[1])), number)
            open_quote = next((q for q in _MULTILINE_QUOTES if pair[2].count(q) % 2), None)
    return lines


def line_of(lines: dict[Location, int], location: Location) -> int | None:
    """The line of ``location``, or of the nearest enclosing location in ``lines``.

    None if there is none, as for a key missing from the top level of the document.
    """
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def _parts(dotted: str) -> tuple[str, ...]:
    """``a."b.c".d`` -> ``("a", "b.c", "d")``; escapes in quoted keys stay as written."""
    return tuple(
        match[1] if match[1] is not None else match[2] if match[2] is not None else match[0]
        for match in _PARTS.finditer(dotted)
    )


def _resolve(parts: tuple[str, ...], arrays: dict[Location, int]) -> Location:
    """The location a header's keys name: arrays of tables stand for their last entry."""
    location: Location = ()
    for part in parts:
        location = (*location, part)
        if location in arrays:
            location = (*location, arrays[location] - 1)
    return location
