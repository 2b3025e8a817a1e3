"""``feedback analyze``: the gap analysis on ratings collected anywhere (README "Command line")."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from feedback.analysis.formats import FORMATS

if TYPE_CHECKING:
    from feedback.analysis.rules import Rules

#: Files from this size get a progress indication (when stderr is a terminal).
PROGRESS_FROM_BYTES = 50 * 1024 * 1024
_SUFFIXES = {".csv": "csv", ".html": "html", ".htm": "html", ".xlsx": "xlsx"}


class BadInput(click.ClickException):
    """Input that cannot be analysed: the message goes to stderr, the exit code is 2."""

    exit_code = 2


class _Progress:
    """Percent read, rewritten in place on stderr, at most a few times a second."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._shown = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._shown < 0.2 and done < total:
            return
        self._shown = now
        percent = 100 * done // max(total, 1)
        click.echo(f"\r{self._label}: {percent:3d}%", err=True, nl=False)

    def step(self, text: str) -> None:
        click.echo(f"\r{self._label}: done.\n{text}", err=True, nl=False)
        self._label = text


def wants_progress(source: Path) -> bool:
    """Progress is worth showing for a large file when someone watches stderr."""
    return sys.stderr.isatty() and source.stat().st_size >= PROGRESS_FROM_BYTES


def format_for(output: Path, fmt: str | None) -> str:
    """The output format: as given, else from the output's suffix, else csv."""
    return fmt or _SUFFIXES.get(output.suffix.lower(), "csv")


@contextlib.contextmanager
def small_pages() -> Iterator[None]:
    """NumPy without its advice to the kernel to back large arrays with huge pages,
    while the block runs.

    The analysis writes each large array once and reads it a few times in order, so
    huge pages save it little, while on Linux with transparent huge pages on request
    (``madvise``, the common setting) the kernel has to find and clear 2 MB pages
    whenever one is first touched: that cost 0.35-0.45 s of system time in a run over
    ten million ratings (bench/README.md, "Issue 21, third session: analyze"). The
    switch is a private NumPy function: where it is missing, nothing changes.
    """
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        yield
        return
    before = _set_madvise_hugepage(False)
    try:
        yield
    finally:
        _set_madvise_hugepage(before)


#: glibc's mallopt parameters, and what they are when a process starts.
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_GLIBC_TRIM_THRESHOLD, _GLIBC_MMAP_MAX = 128 * 1024, 65536


@contextlib.contextmanager
def freed_memory_reused() -> Iterator[None]:
    """glibc's malloc keeping the memory freed while the block runs, to serve the next
    allocations from it.

    By default glibc gives every allocation of 32 MB or more its own mapping, returned
    to the system when freed, so the next array of that size is faulted in and cleared
    by the kernel page by page all over again; the analysis makes and drops dozens of
    them (80 MB a column of ten million ratings). Served from the heap instead, a run
    over ten million ratings took about 0.3 s less system time, for up to a tenth more
    peak memory (bench/README.md, "Issue 21, third session: analyze"). The defaults are set
    back afterwards, so the next free gives the heap's unused top back to the system as
    usual; not trimmed at once, which cost 0.05 s when the process ends anyway (glibc
    also stops tuning its mapping threshold to the process, which only a long-lived
    process calling the command would notice). Nothing changes with another C library.
    """
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), or not glibc
        glibc = None
    if not glibc:
        yield
        return
    libc = ctypes.CDLL(None)
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)  # mallopt takes an int: the most, 2 GB
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_MAX, _GLIBC_MMAP_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_TRIM_THRESHOLD)


@contextlib.contextmanager
def arrow_on_malloc() -> Iterator[None]:
    """pyarrow allocating through the C library's malloc while the block runs, instead
    of through an allocator of its own (mimalloc or jemalloc, as the wheels have it).

    The parsed CSV's columns are freed once the ratings frame is made of them. Freed
    into malloc's heap, which :func:`freed_memory_reused` keeps, that memory serves the
    analysis's NumPy arrays next; freed into pyarrow's own, it cannot, and the arrays
    are faulted in afresh. Over ten million ratings that took 0.15-0.3 s off a run of
    2.5-2.7 s, for a fifth more peak memory (bench/README.md, "Issue 21, fifth session:
    analyze").
    """
    import pyarrow

    before = pyarrow.default_memory_pool()
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    try:
        yield
    finally:
        pyarrow.set_memory_pool(before)


@click.command("analyze")
@click.argument(
    "input_csv",
    metavar="INPUT.csv",
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The gap table to write (one row per coachee x item).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="csv, html or xlsx; default: from the output's suffix, else csv.",
)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=2),
    envvar="FEEDBACK_MIN_GROUP_SIZE",
    show_envvar=True,
    help="k of the anonymity guard: figures of fewer raters stay hidden (default 3).",
)
def analyze_command(
    input_csv: Path, output: Path, fmt: str | None, min_group_size: int | None
) -> None:
    """Analyse perception gaps in INPUT.csv and write the gap table.

    INPUT.csv has the columns coachee_id (optional), rater_id, group (self, boss, peer,
    subordinate, partner), item_key, competency and score (1-5; empty or "na" for
    don't know), one row per rater and item.
    """
    # Imported here, not at the top: the web app registers this command, and its
    # workers need no pandas (bench/README.md, "A worker's memory").
    from feedback.analysis import Rules

    rules = Rules() if min_group_size is None else Rules(min_group_size=min_group_size)
    if not output.parent.is_dir():
        raise click.BadParameter(
            f"the folder {str(output.parent)!r} does not exist", param_hint="--output"
        )
    with small_pages(), freed_memory_reused(), arrow_on_malloc():
        _analyze(input_csv, output, format_for(output, fmt), rules)


def _analyze(input_csv: Path, output: Path, fmt: str, rules: Rules) -> None:
    """Read and check INPUT.csv, compute the gap table, write it; bad input is BadInput.
    The checks run while the gap table is computed (:func:`analyse_ratings_csv`)."""
    from feedback.analysis import item_stats
    from feedback.analysis.io import analyse_ratings_csv, write_gap_table

    progress = None
    if wants_progress(input_csv):
        progress = _Progress(f"Reading {input_csv.name}")

    def gap_table(ratings):
        if progress is not None:
            progress.step("Analysing")
        return item_stats(ratings, rules)

    try:
        items = analyse_ratings_csv(input_csv, gap_table, progress=progress)
    except ValueError as error:  # RatingsInputError is one too
        if progress is not None:
            click.echo(err=True)
        raise BadInput(f"{input_csv}: {error}") from None
    if progress is not None:
        progress.step(f"Writing {output.name}")
    try:
        write_gap_table(items, output, fmt)
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot write {output}: {error}") from None
    if progress is not None:
        click.echo(" done.", err=True)


if __name__ == "__main__":
    analyze_command()
