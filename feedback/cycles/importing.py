"""Starting many cycles at once from a CSV file (``feedback cycle import FILE.csv``).

The file has a header line naming the columns ``coach_email``, ``coachee_name``,
``coachee_email`` and optionally ``closes`` (YYYY-MM-DD; empty means three weeks from
today). Every line is checked before anything is written: one bad line and nothing is
imported, and each bad line is reported with its number.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..accounts.models import Coach
from ..coaching.models import Coachee, Cycle
from ..coaching.services import add_coachee
from ..extensions import db
from ..raters.services import normalise_email
from ..timeutil import today
from .lifecycle import MAX_CYCLE_LENGTH, start_cycle

REQUIRED_COLUMNS = ("coach_email", "coachee_name", "coachee_email")
OPTIONAL_COLUMNS = ("closes",)
#: Deadline of a line whose ``closes`` is empty.
DEFAULT_CYCLE_LENGTH = timedelta(days=21)
#: Most lines one file may have; larger cohorts are imported in several files.
MAX_LINES = 20_000


@dataclass(frozen=True)
class CycleRow:
    """One checked line: whose cycle, for whom, until when."""

    line_number: int
    coach_id: int
    coachee_name: str
    coachee_email: str
    closes_on: date


@dataclass(frozen=True)
class ImportProblem:
    """A line that cannot be imported, and why (line 1 is the header)."""

    line_number: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.message}"


def read_cycle_csv(text: str) -> tuple[list[CycleRow], list[ImportProblem]]:
    """Check every line of ``text``; return the usable rows and the problems found.

    Blank lines are skipped. A coach must exist (by email, case-insensitively); a
    coachee may appear only once per coach in the file; deadlines must lie between
    today and a year from now. Nothing is written.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header_row = next(reader, None)
    if header_row is None or not any(cell.strip() for cell in header_row):
        return [], [ImportProblem(1, f"the file is empty; expected {_header_hint()}")]
    header = [cell.strip().lower() for cell in header_row]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        details = []
        if missing:
            details.append("missing " + ", ".join(missing))
        if unknown:
            details.append("unknown " + ", ".join(c or "(empty)" for c in unknown))
        if len(set(header)) != len(header):
            details.append("a column appears twice")
        return [], [ImportProblem(1, f"bad header ({'; '.join(details)}); {_header_hint()}")]
    position = {column: header.index(column) for column in header}

    coaches = _coach_ids()
    first_day, last_day = today(), today() + MAX_CYCLE_LENGTH
    default_closes = today() + DEFAULT_CYCLE_LENGTH
    rows: list[CycleRow] = []
    problems: list[ImportProblem] = []
    seen: dict[tuple[int, str], int] = {}
    for line_number, cells in enumerate(reader, start=2):
        if line_number > MAX_LINES + 1:
            problems.append(ImportProblem(line_number, f"more than {MAX_LINES} lines"))
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(
                ImportProblem(line_number, f"{len(cells)} fields, the header has {len(header)}")
            )
            continue
        values = {column: _cell(cells, index) for column, index in position.items()}
        messages = []
        coach_id = coaches.get(values["coach_email"].lower())
        if coach_id is None:
            messages.append(f"no coach with email “{values['coach_email']}”")
        name = " ".join(values["coachee_name"].split())
        if not name:
            messages.append("the coachee name is empty")
        elif len(name) > 120:
            messages.append("the coachee name is longer than 120 characters")
        email = ""
        try:
            email = normalise_email(values["coachee_email"])
        except ValueError as exc:
            messages.append(str(exc))
        closes_on = default_closes
        if values.get("closes"):
            try:
                closes_on = date.fromisoformat(values["closes"])
            except ValueError:
                messages.append(f"“{values['closes']}” is not a date of the form YYYY-MM-DD")
            else:
                if not first_day <= closes_on <= last_day:
                    messages.append(
                        f"the deadline {closes_on.isoformat()} must lie between today "
                        "and a year from now"
                    )
        if coach_id is not None and email:
            earlier = seen.setdefault((coach_id, email), line_number)
            if earlier != line_number:
                messages.append(f"{email} is already listed for this coach on line {earlier}")
        if messages:
            problems.append(ImportProblem(line_number, "; ".join(messages)))
            continue
        rows.append(CycleRow(line_number, coach_id, name, email, closes_on))
    return rows, problems


def import_cycles(rows: list[CycleRow]) -> list[Cycle]:
    """Start one cycle per row on the default questionnaire and queue each coachee's
    portal email; coachees already known to the coach (same email) are reused. Flushes;
    the caller commits, or rolls back to write nothing."""
    coaches = {
        coach.id: coach
        for coach in db.session.scalars(
            select(Coach).where(Coach.id.in_({row.coach_id for row in rows}))
        )
    }
    known = {
        (coachee.coach_id, coachee.email.lower()): coachee
        for coachee in db.session.scalars(
            select(Coachee).where(Coachee.coach_id.in_(list(coaches)))
        )
    }
    cycles = []
    for row in rows:
        coachee = known.get((row.coach_id, row.coachee_email))
        if coachee is None:
            coachee = add_coachee(
                coaches[row.coach_id], name=row.coachee_name, email=row.coachee_email
            )
            known[(row.coach_id, row.coachee_email)] = coachee
        cycles.append(start_cycle(coachee, closes_on=row.closes_on))
    return cycles


def _coach_ids() -> dict[str, int]:
    """Every coach's id by lower-case email (a few hundred at most)."""
    return {
        email: coach_id
        for coach_id, email in db.session.execute(select(Coach.id, func.lower(Coach.email)))
    }


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _header_hint() -> str:
    return (
        "the first line must name the columns "
        + ", ".join(REQUIRED_COLUMNS)
        + " and optionally "
        + ", ".join(OPTIONAL_COLUMNS)
    )
