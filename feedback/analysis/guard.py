"""The anonymity guard of DESIGN §3: which figures of a rated unit may be shown.

Every view, export, chart and comment label goes through :func:`guard` (or its array
form :func:`guard_counts`, which is the same rule on NumPy arrays); nothing else in
the project decides what is hidden.

The rule, for one unit (an item, a competency, or the respondents of a cycle when
comments are labelled), from the number of raters of each group who answered it:

1. A group is shown on its own when at least k raters in it answered; the boss group
   also below k when the rules exempt it (and at least one boss answered).
2. No subtraction attack. Others' overall figures, the shown groups and the pooled
   "other" figure are sums over disjoint sets of raters, so whatever set of raters they
   leave uncovered (the *remainder*) can be worked out by subtraction. The remainder
   must therefore number 0 or at least k. While it does not, the shown group with the
   fewest raters is pooled into the remainder; the boss group goes last, so its
   exemption yields only when nothing else can cover the remainder.
3. The pooled remainder is shown as "other" only when it holds at least k raters.
4. Others' overall figures need at least k raters in all.

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
    order), one row per unit. Vectorised: at most four pooling rounds over all rows."""
    n = np.asarray(counts, dtype=np.int64)
    if n.ndim != 2 or n.shape[1] != len(RATER_GROUPS):
        raise ValueError(f"counts must have one column per rater group {RATER_GROUPS}")
    if (n < 0).any():
        raise ValueError("rater counts cannot be negative")
    k = rules.min_group_size
    shown = n >= k
    if rules.boss_exempt:
        shown[:, _BOSS] |= n[:, _BOSS] >= 1
    total = n.sum(axis=1)
    remainder = total - np.where(shown, n, 0).sum(axis=1)
    # Pooling order: fewest raters first, the boss group after every other group; a
    # tie goes to the group that comes first in RATER_GROUPS.
    boss_last = np.zeros(len(RATER_GROUPS), dtype=np.int64)
    boss_last[_BOSS] = np.iinfo(np.int32).max
    for _ in range(len(RATER_GROUPS)):
        unsafe = (remainder > 0) & (remainder < k) & shown.any(axis=1)
        if not unsafe.any():
            break
        rows = np.flatnonzero(unsafe)
        priority = np.where(shown[rows], n[rows] + boss_last, np.iinfo(np.int64).max)
        pooled = priority.argmin(axis=1)
        shown[rows, pooled] = False
        remainder[rows] += n[rows, pooled]
    return GuardDecision(
        shown=shown,
        other_n=remainder,
        show_other=remainder >= k,
        show_others=total >= k,
    )


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
    matrix = np.column_stack(
        [
            counts[g].fillna(0).to_numpy(dtype=np.int64)
            if g in counts
            else np.zeros(len(counts), dtype=np.int64)
            for g in RATER_GROUPS
        ]
    ).reshape(len(counts), len(RATER_GROUPS))
    decision = guard_counts(matrix, rules)
    out = pd.DataFrame(decision.shown, index=counts.index, columns=list(RATER_GROUPS))
    out["other"] = decision.show_other
    out["other_n"] = decision.other_n
    out["others"] = decision.show_others
    return out
