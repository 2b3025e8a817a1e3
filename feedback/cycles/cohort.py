"""The coach's cohort overview and a coachee's trend, through the analysis engine."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import analysis
from ..accounts.models import Coach
from ..coaching.models import Coachee, Cycle
from ..coaching.services import coachees_of
from ..raters.services import progress
from ..ratings.frames import ratings_frame
from ..ratings.results import CycleReport, cache_scope, cycle_report, remembered, rules_for
from ..vocabulary import CycleState

#: Columns the cohort table can be sorted by, with their labels.
SORTS = {
    "name": _l("Name"),
    "response_rate": _l("Response rate"),
    "category": _l("Agreement"),
    "others_overall": _l("Others' overall mean"),
    "difference": _l("Self − others"),
    "largest_gap": _l("Largest gap"),
    "others_overall_percentile": _l("Percentile (others' mean)"),
    "difference_percentile": _l("Percentile (self − others)"),
}


@dataclass
class CohortRow:
    """One coachee on the cohort page: their latest cycle's response rate and, when a
    cycle of theirs is closed with answers, the engine's cohort_summary row of it."""

    coachee: Coachee
    cycle: Cycle | None
    answered: int
    invited: int
    analysed: Cycle | None
    summary: dict

    @property
    def response_rate(self) -> float:
        """Answered of invited on the latest cycle, as a fraction; NaN without invites."""
        return self.answered / self.invited if self.invited else math.nan


def strictest_rules(cycles: list[Cycle]) -> analysis.Rules:
    """One set of rules for several cycles: the largest k, and the boss exemption only
    when every cycle grants it. Stricter rules only ever hide more."""
    if not cycles:
        return analysis.DEFAULT_RULES
    rules = [rules_for(c) for c in cycles]
    # On the largest scale among the cycles (4 to 7 points), which every score fits.
    return analysis.rules_for_scale(
        max(r.scale_points for r in rules),
        min_group_size=max(r.min_group_size for r in rules),
        boss_exempt=all(r.boss_exempt for r in rules),
    )


def cohort(coach: Coach) -> tuple[list[CohortRow], bool]:
    """Every coachee of ``coach`` with the figures of their latest closed cycle, from
    one call of the engine's cohort_summary over all of them (so the percentiles place
    each coachee in this coach's cohort). Returns the rows (by name) and whether the
    cycles' rules differed (then the strictest applied to all)."""
    rows: list[CohortRow] = []
    analysed: list[Cycle] = []
    for coachee in coachees_of(coach):
        cycles = list(coachee.cycles)
        latest = cycles[-1] if cycles else None
        counts = progress(latest) if latest is not None else {}
        closed = [c for c in cycles if c.state is CycleState.CLOSED and c.closed_at]
        last_closed = max(closed, key=lambda c: c.closed_at) if closed else None
        rows.append(
            CohortRow(
                coachee=coachee,
                cycle=latest,
                answered=sum(c["answered"] for c in counts.values()),
                invited=sum(c["invited"] for c in counts.values()),
                analysed=last_closed,
                summary={},
            )
        )
        if last_closed is not None:
            analysed.append(last_closed)
    mixed = len({(c.min_group_size, c.boss_exempt) for c in analysed}) > 1
    by_coachee = _summaries(analysed)
    for row in rows:
        if row.analysed is not None:
            row.summary = by_coachee.get(str(row.coachee.id), {})
    return rows, mixed


def _summaries(analysed: list[Cycle]) -> dict[str, dict]:
    """The engine's cohort_summary rows by coachee id, for these closed cycles. Closed
    cycles do not change, so the summary is kept (in the cycle reports' cache) until
    one of them is closed again or another coachee's cycle closes."""
    import pandas as pd

    rules = strictest_rules(analysed)
    key = (
        "cohort",
        cache_scope(),
        rules,
        tuple(sorted((c.id, c.closed_at) for c in analysed)),
    )

    def build() -> dict[str, dict]:
        frames = [ratings_frame(c) for c in analysed]
        frames = [f for f in frames if (f["group"] != "self").any()]
        if not frames:
            return {}
        summary = analysis.cohort_summary(pd.concat(frames, ignore_index=True), rules)
        return {str(r["coachee_id"]): r for r in summary.to_dict("records")}

    return remembered(key, build)


def _sort_value(row: CohortRow, key: str):
    import pandas as pd

    if key == "name":
        return row.coachee.name.casefold()
    if key == "response_rate":
        return row.response_rate
    if key == "category":
        return row.summary.get("category") or ""
    if key == "largest_gap":
        value = row.summary.get("largest_gap")
        return abs(value) if value is not None and not pd.isna(value) else math.nan
    value = row.summary.get(key)
    return math.nan if value is None or pd.isna(value) else float(value)


def sort_and_filter(
    rows: list[CohortRow], *, sort: str, descending: bool, category: str, query: str
) -> list[CohortRow]:
    """The rows whose name contains ``query`` and whose agreement category is
    ``category`` (empty: any), sorted by ``sort``; rows without the figure go last."""
    if sort not in SORTS:
        raise ValueError(f"cannot sort by {sort!r}")
    needle = query.strip().casefold()
    kept = [
        r
        for r in rows
        if needle in r.coachee.name.casefold()
        and (not category or r.summary.get("category") == category)
    ]

    def missing(row: CohortRow) -> bool:
        value = _sort_value(row, sort)
        return isinstance(value, float) and math.isnan(value)

    present = [r for r in kept if not missing(r)]
    absent = [r for r in kept if missing(r)]
    present.sort(key=lambda r: _sort_value(r, sort), reverse=descending)
    return present + absent


def closed_reports(coachee: Coachee) -> list[tuple[Cycle, CycleReport]]:
    """The coachee's closed cycles that have results, oldest first, with them."""
    closed = sorted(
        (c for c in coachee.cycles if c.state is CycleState.CLOSED and c.closed_at),
        key=lambda c: c.closed_at,
    )
    pairs = [(c, cycle_report(c)) for c in closed]
    return [(c, r) for c, r in pairs if r is not None]
