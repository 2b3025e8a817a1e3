"""The anonymity guard (docs/analysis.md): which figures of a rated unit may be shown.

Every view, export, chart and comment label goes through :func:`guard` (or its array
form :func:`guard_counts`); nothing else in the project decides what is hidden. For one
unit (an item, a competency, or the respondents of a cycle when comments are labelled),
from the number of raters of each group who answered it ("Don't know" does not count):

1. "A group's figures show only when at least k of its raters answered, counted per
   statement." The boss "is shown alone while the cycle says so": from one boss.
2. "No subtraction": others' overall figures, the shown groups and the pooled "other"
   figure are sums over disjoint sets of raters, so the raters they leave uncovered
   (the *remainder*) can be worked out by subtraction. "The remainder number 0 or at
   least k; otherwise more groups are pooled into 'other raters' until that holds, the
   smallest first and the boss last (its exemption yields when nothing else can cover
   the remainder)." A tie goes to the group first in RATER_GROUPS.
3. The pooled remainder is shown as "other" only when it holds at least k raters.
4. "Others' overall figures need at least k raters in all."

Rule 2 applies even when others' overall figures are hidden: a shown boss next to a
lone hidden peer would otherwise be protected by nothing but the hiding of the total,
and the group counts a coachee sees on the progress page already tell who answered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .rules import DEFAULT_RULES, RATER_GROUPS, Rules

_BOSS = RATER_GROUPS.index("boss")
#: Added to the boss group's size when choosing whom to pool: the boss goes last.
_BOSS_LAST = np.iinfo(np.int32).max
#: The size of a group that is already pooled: never chosen again.
_POOLED = np.iinfo(np.int64).max


@dataclass(frozen=True)
class GuardDecision:
    """The guard's verdict for P units, as arrays.

    Attributes:
        shown: (P, 4) bool, in RATER_GROUPS order: the group's own figures are shown.
        other_n: (P,) int: raters in the remainder, pooled as "other" (0 if none).
        show_other: (P,) bool: the pooled "other" figures are shown (other_n >= k).
        show_others: (P,) bool: others' overall figures are shown (>= k raters in all).
    """

    shown: np.ndarray
    other_n: np.ndarray
    show_other: np.ndarray
    show_others: np.ndarray


def guard_counts(counts: np.ndarray, rules: Rules = DEFAULT_RULES) -> GuardDecision:
    """Apply the guard to a (P, 4) array of answering raters per group (RATER_GROUPS
    order), one row per unit."""
    n = np.asarray(counts, dtype=np.int64)
    if n.ndim != 2 or n.shape[1] != len(RATER_GROUPS):
        raise ValueError(f"counts must have one column per rater group {RATER_GROUPS}")
    if (n < 0).any():
        raise ValueError("rater counts cannot be negative")
    k = rules.min_group_size
    shown = _shown_alone(n, rules)
    everyone = n.sum(axis=1)
    remainder = everyone - np.where(shown, n, 0).sum(axis=1)
    for _ in RATER_GROUPS:  # each round pools one more group where needed
        exposed = (remainder > 0) & (remainder < k) & shown.any(axis=1)
        if not exposed.any():
            break
        rows = np.flatnonzero(exposed)
        group = _next_to_pool(n[rows], shown[rows])
        shown[rows, group] = False
        remainder[rows] += n[rows, group]
    return GuardDecision(
        shown=shown,
        other_n=remainder,
        show_other=remainder >= k,
        show_others=everyone >= k,
    )


def _shown_alone(n: np.ndarray, rules: Rules) -> np.ndarray:
    """Rule 1: groups of at least k raters, and the boss group while it is exempt."""
    shown = n >= rules.min_group_size
    if rules.boss_exempt:
        shown[:, _BOSS] |= n[:, _BOSS] >= 1
    return shown


def _next_to_pool(n: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Rule 2's order: for each row, the shown group with the fewest raters, the boss
    group after every other, a tie to the first in RATER_GROUPS."""
    size = n.copy()
    size[:, _BOSS] += _BOSS_LAST
    size[~shown] = _POOLED
    return size.argmin(axis=1)  # argmin takes the first of equals


def guard(counts: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> pd.DataFrame:
    """Decide which figures of each unit may be shown.

    Args:
        counts: one row per unit (item, competency, or cycle), with a column per rater
            group (boss, peer, subordinate, partner) holding how many raters of that
            group answered the unit ("Don't know" does not count). A missing column
            counts as 0.
        rules: k (``min_group_size``) and the boss policy.

    Returns:
        A frame with the same index and the columns
        ``boss``, ``peer``, ``subordinate``, ``partner`` (bool: the group's own mean and
        count are shown), ``other`` (bool: the pooled "other raters" are shown),
        ``other_n`` (int: how many raters the guard pooled into "other", shown or not)
        and ``others`` (bool: others' overall figures — mean, sd, min, max, counts,
        rwg, gap, category — are shown).
    """
    n = counts.reindex(columns=list(RATER_GROUPS), fill_value=0).fillna(0)
    decision = guard_counts(n.to_numpy(dtype=np.int64).reshape(len(n), len(RATER_GROUPS)), rules)
    out = pd.DataFrame(decision.shown, index=counts.index, columns=list(RATER_GROUPS))
    out["other"] = decision.show_other
    out["other_n"] = decision.other_n
    out["others"] = decision.show_others
    return out
