"""The category of a statement (docs/analysis.md, "Item figures"): where self and
others meet, or not.

With T the gap threshold (1.0 scale point), R the agreement threshold (rwg 0.5), and
others' mean compared with high (4.0) and low (3.0), tested in this order:

- "not enough data": "no self score, or fewer others than the guard needs";
- "blind spot": gap ≥ T and rwg ≥ R (they see themself higher, and others agree);
- "hidden strength": gap ≤ −T and rwg ≥ R (others, agreeing, see them higher);
- "others disagree": |gap| ≥ T and rwg < R;
- "agreed strength": |gap| < T and others ≥ high;
- "agreed development area": |gap| < T and others ≤ low;
- "aligned" otherwise.

Every comparison allows :data:`~feedback.analysis.rules.TOLERANCE` of rounding slack,
so 10/3 − 7/3 reaches a threshold of 1.0 as a coach would expect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .rules import CATEGORIES, TOLERANCE, Rules


def at_least(value: pd.Series, threshold: float) -> pd.Series:
    """value ≥ threshold, with rounding slack (False where value is NaN)."""
    return value >= threshold - TOLERANCE


def at_most(value: pd.Series, threshold: float) -> pd.Series:
    """value ≤ threshold, with rounding slack (False where value is NaN)."""
    return value <= threshold + TOLERANCE


def item_category(
    gap: pd.Series, rwg: pd.Series, others_mean: pd.Series, rules: Rules
) -> pd.Series:
    """The category of each row (a pandas "str" Series on ``gap``'s index)."""
    t = rules.gap_threshold
    others_agree = at_least(rwg, rules.agreement_threshold)
    higher = at_least(gap, t)  # self higher than others by at least T
    lower = at_most(gap, -t)
    tests = {
        "not enough data": gap.isna(),
        "blind spot": higher & others_agree,
        "hidden strength": lower & others_agree,
        "others disagree": higher | lower,  # the cases where others agree are taken
        "agreed strength": at_least(others_mean, rules.high),
        "agreed development area": at_most(others_mean, rules.low),
    }
    first_true = np.select(
        list(tests.values()),
        [CATEGORIES.index(name) for name in tests],
        default=CATEGORIES.index("aligned"),
    )
    names = pd.Index(CATEGORIES, dtype="str").take(first_true)
    return pd.Series(names.array, index=gap.index)
