"""Across time, for a pulse (docs/analysis.md "A pulse against its baseline"): which of
a pulse's figures may stand beside the cycle's figures they re-check.

A pulse asks the raters who answered a cycle (and any the coach adds) a few of its
statements again. Each showing is safe on its own through the guard; the pair is
another matter. Opinions often do not move, so a pulse answered by the same raters as
the cycle, less one, shows the cycle's figures less that one rater's answer: the
difference singles them out. The coach knows who was asked and who answered (as they
do for a cycle), so the rule works on who answered both, counted per group:

- *left*: raters who answered the cycle and not the pulse;
- *joined*: raters who answered the pulse and not the cycle (the coach's additions).

For one statement, the pulse's showing splits its raters into *cells* (each group
shown on its own, and the pooled remainder when others' overall figures show). The
pulse's figures may stand as they are when every cell

1. holds cycle raters that were exactly one cell of the cycle's showing (or none): the
   cells do not regroup, so no earlier cell is cut in two by a subtraction; and
2. lost no rater, or at least k, and gained no rater, or at least k; and, counted per
   statement as the guard counts ("Don't know" thins a cell as it thins a group), the
   number who rated the statement changed by none or at least k. The same raters
   answering both, one of them "Don't know" on the statement in one showing only,
   would otherwise single out that rater's answer (who it was the coach cannot tell,
   but the answer shows). A boss shown alone while the cycle says so may change: the
   boss was told their answers show alone.

Otherwise only others' overall figure may show, when both showings showed it and the
raters who left and joined in all number 0 or at least k; else nothing of the pulse
shows on that statement. A statement of which the cycle showed nothing is free.

The same holds between two pulses of one cycle (the earlier one as the baseline, who
answered both read off their invitations): :mod:`feedback.pulses.results` applies the
rule to the cycle and to every earlier closed pulse, and shows what passes them all.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .guard import guard_counts
from .rules import DEFAULT_RULES, RATER_GROUPS, Rules

#: Why a pulse's group figures do not show beside the baseline's.
POOLED_ACROSS_TIME = "pooled"
HIDDEN_ACROSS_TIME = "hidden"
_BOSS = RATER_GROUPS.index("boss")


def _counts(frame: pd.DataFrame, units: list) -> np.ndarray:
    return (
        frame.reindex(index=units, columns=list(RATER_GROUPS), fill_value=0)
        .fillna(0)
        .to_numpy(dtype=np.int64)
    )


def _per_group(values: Mapping[str, int]) -> np.ndarray:
    return np.array([int(values.get(group, 0)) for group in RATER_GROUPS], dtype=np.int64)


def _cells(n: np.ndarray, shown: np.ndarray, others_shown: bool) -> list[tuple[frozenset, bool]]:
    cells = [(frozenset({g}), False) for g in range(len(RATER_GROUPS)) if shown[g]]
    rest = frozenset(g for g in range(len(RATER_GROUPS)) if not shown[g] and n[g] > 0)
    if others_shown and rest:
        cells.append((rest, True))
    return cells


def _few(count: int, k: int) -> bool:
    return 0 < count < k


def pulse_shown(
    baseline: pd.DataFrame,
    pulse: pd.DataFrame,
    left: Mapping[str, int],
    joined: Mapping[str, int],
    rules: Rules = DEFAULT_RULES,
) -> pd.DataFrame:
    """Which of a pulse's figures may be shown beside its baseline's.

    Args:
        baseline: one row per statement (index: item key), a column per rater group:
            how many raters of the group answered the statement in the cycle, as its
            results count them ("Don't know" does not count).
        pulse: the same for the pulse; its index gives the statements to decide.
        left: per rater group, the cycle's respondents who did not answer the pulse.
        joined: per rater group, the pulse's respondents who had not answered the
            cycle.
        rules: k and the boss policy of the cycle.

    Returns:
        Indexed like ``pulse``: ``boss``, ``peer``, ``subordinate``, ``partner`` (bool:
        the pulse shows the group's own figures), ``others`` (bool: the pulse shows
        others' overall figures), ``others_alone`` (bool: others' overall figure on
        its own, without any group, would pass; what a caller comparing with several
        earlier showings combines) and ``across_time`` (None, or POOLED_ACROSS_TIME
        when only others' overall figures may show, HIDDEN_ACROSS_TIME when nothing
        may, because of this rule rather than the guard).
    """
    units = list(pulse.index)
    before_n = _counts(baseline, units)
    after_n = _counts(pulse, units)
    left_n, joined_n = _per_group(left), _per_group(joined)
    k = rules.min_group_size
    before = guard_counts(before_n, rules)
    after = guard_counts(after_n, rules)
    shown = after.shown.copy()
    others = after.show_others.copy()
    # Whether others' overall figure, shown alone, passes (free where nothing of the
    # earlier showing was shown).
    alone = after.show_others.copy()
    reasons: list[str | None] = [None] * len(units)
    for unit in range(len(units)):
        if not (shown[unit].any() or others[unit]):
            continue  # the guard shows nothing of the pulse here anyway
        if not (before.shown[unit].any() or before.show_others[unit]):
            continue  # nothing of the cycle was shown: nothing to subtract from
        old = {
            cell for cell, _ in _cells(before_n[unit], before.shown[unit], before.show_others[unit])
        }
        safe = True
        for cell, pooled in _cells(after_n[unit], shown[unit], bool(others[unit])):
            old_part = frozenset(g for g in cell if before_n[unit, g] > 0)
            lone_boss = cell == {_BOSS} and not pooled and rules.boss_exempt
            groups = list(cell)
            gone = int(left_n[groups].sum())
            new = int(joined_n[groups].sum())
            moved = abs(int(after_n[unit, groups].sum()) - int(before_n[unit, groups].sum()))
            if (old_part and old_part not in old) or (
                not lone_boss and (_few(gone, k) or _few(new, k) or _few(moved, k))
            ):
                safe = False
                break
        alone[unit] = (
            bool(after.show_others[unit])
            and bool(before.show_others[unit])
            and not _few(int(left_n.sum()), k)
            and not _few(int(joined_n.sum()), k)
            and not _few(abs(int(after_n[unit].sum()) - int(before_n[unit].sum())), k)
        )
        if safe:
            continue
        shown[unit] = False
        others[unit] = alone[unit]
        reasons[unit] = POOLED_ACROSS_TIME if alone[unit] else HIDDEN_ACROSS_TIME
    out = pd.DataFrame(shown, index=pulse.index, columns=list(RATER_GROUPS))
    out["others"] = others
    out["others_alone"] = alone
    out["across_time"] = pd.Series(reasons, index=pulse.index, dtype=object)
    return out
