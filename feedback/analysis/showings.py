"""Across time (docs/analysis.md "Across time"): may answers that arrived after a cycle
was reopened join the results that were shown before?

A coach who saw the results of a closed cycle, reopened it and sees them again can
subtract the first showing from the second. The guard makes each showing safe on its
own; this rule makes the pair safe. For one unit (a statement, or the respondents of
the cycle, whose counts label the comments), each showing splits the raters who
answered it into *cells*: every group shown on its own, and the pooled remainder (its
sum is others' overall figure less the shown groups, so it counts as shown too). The
late answers may join only when, for every cell of the new showing,

1. its earlier raters are exactly a cell of the earlier showing (or none): the cells do
   not regroup, so no earlier cell is cut in two by a subtraction; and
2. it gains no late answer, or at least k of them, so the difference between the two
   showings is a set of at least k raters, never one person. A boss shown alone while
   the cycle says so may appear from a single late boss, as in any first showing.

A unit of which the earlier showing showed nothing at all is free: there is nothing
to subtract from. Otherwise any cell that breaks a rule holds every late answer back
(a response is shown whole or not at all), and the caller says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .guard import guard_counts
from .rules import DEFAULT_RULES, RATER_GROUPS, Rules

#: The unit that stands for the cycle's respondents (what labels comments).
RESPONDENTS = "respondents"
#: Why late answers are held back: too few of them in a cell, or the cells regroup.
TOO_FEW, REGROUPED = "too few", "regrouped"
SHORTFALL_COLUMNS = ["unit", "groups", "pooled", "late_n", "reason"]

_BOSS = RATER_GROUPS.index("boss")


def late_answer_shortfalls(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """Where showing the late answers would single someone out.

    Args:
        ratings: one cycle's ratings in the long format of docs/analysis.md "Input"
            with a boolean column ``late``: true for the raters whose answers arrived
            after the results were last shown. The coachee's own rows are ignored.
        rules: k and the boss policy the cycle is shown with.

    Returns:
        One row per unit and cell of the new showing that breaks a rule: ``unit`` (a
        statement's key, or ``RESPONDENTS``), ``groups`` (the rater groups of the cell,
        a tuple in RATER_GROUPS order), ``pooled`` (the cell is the pooled remainder),
        ``late_n`` (late raters in the cell) and ``reason`` (``TOO_FEW`` or
        ``REGROUPED``). Empty when the late answers may be shown, or when there are
        none.
    """
    others = ratings[ratings["group"].astype(str) != "self"]
    late = others["late"].astype(bool)
    if not late.any():
        return pd.DataFrame(columns=SHORTFALL_COLUMNS)
    answered = others["score"].notna()
    units = list(pd.unique(others["item_key"]))
    earlier = _counts(others[answered & ~late], units)
    arrived = _counts(others[answered & late], units)
    respondents = others.drop_duplicates("rater_id")
    earlier.loc[RESPONDENTS] = _counts_of_raters(respondents[~respondents["late"].astype(bool)])
    arrived.loc[RESPONDENTS] = _counts_of_raters(respondents[respondents["late"].astype(bool)])
    rows = _shortfalls(earlier.to_numpy(), arrived.to_numpy(), rules)
    return pd.DataFrame(
        [(earlier.index[unit], *rest) for unit, *rest in rows], columns=SHORTFALL_COLUMNS
    )


def _counts(answers: pd.DataFrame, units: list) -> pd.DataFrame:
    """Raters per unit and group (one column per rater group, every unit a row)."""
    return (
        answers.groupby(["item_key", answers["group"].astype(str)])["rater_id"]
        .nunique()
        .unstack(fill_value=0)
        .reindex(index=units, columns=list(RATER_GROUPS), fill_value=0)
        .astype(np.int64)
    )


def _counts_of_raters(raters: pd.DataFrame) -> list[int]:
    by_group = raters["group"].astype(str).value_counts()
    return [int(by_group.get(group, 0)) for group in RATER_GROUPS]


def _cells(n: np.ndarray, shown: np.ndarray, pool_shown: bool) -> list[tuple[frozenset, bool]]:
    """A showing's cells for one unit: each shown group, then the pooled remainder
    when others' overall figures show (which makes it derivable); each cell as the
    groups that have raters in it, and whether it is the pool."""
    cells = [(frozenset({g}), False) for g in range(len(RATER_GROUPS)) if shown[g]]
    rest = frozenset(g for g in range(len(RATER_GROUPS)) if not shown[g] and n[g] > 0)
    if pool_shown and rest:
        cells.append((rest, True))
    return cells


def _shortfalls(earlier: np.ndarray, arrived: np.ndarray, rules: Rules) -> list[tuple]:
    k = rules.min_group_size
    before = guard_counts(earlier, rules)
    after = guard_counts(earlier + arrived, rules)
    found = []
    for unit in range(len(earlier)):
        if not (before.shown[unit].any() or before.show_others[unit]):
            continue  # nothing of this unit was shown: nothing to subtract from
        shown_before = _cells(earlier[unit], before.shown[unit], bool(before.show_others[unit]))
        old = {cell for cell, _ in shown_before}
        total = earlier[unit] + arrived[unit]
        for cell, pooled in _cells(total, after.shown[unit], bool(after.show_others[unit])):
            old_part = frozenset(g for g in cell if earlier[unit, g] > 0)
            late_n = int(sum(arrived[unit, g] for g in cell))
            lone_new_boss = cell == {_BOSS} and not pooled and not old_part
            if old_part and old_part not in old:
                reason = REGROUPED
            elif 0 < late_n < k and not lone_new_boss:
                reason = TOO_FEW
            else:
                continue
            groups = tuple(RATER_GROUPS[g] for g in sorted(cell))
            found.append((unit, groups, pooled, late_n, reason))
    return found
