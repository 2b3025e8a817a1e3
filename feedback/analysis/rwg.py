"""Agreement among others: rwg (James, Demaree & Wolf 1984), as DESIGN §3 defines it.

"rwg = 1 − s² / σ²_EU, with σ²_EU = (A² − 1) / 12 (A = number of scale points, 2.0 on
1–5), clipped to [0, 1], undefined for n < 2." s² is the sample variance of the other
raters' scores; σ²_EU is the variance of scores spread evenly over the scale, so rwg is
1 when all gave the same score and 0 when they are as spread as chance.
"""

from __future__ import annotations

import pandas as pd

from .rules import Rules


def sample_variance(n: pd.Series, total: pd.Series, squares: pd.Series) -> pd.Series:
    """s² = (n·Σx² − (Σx)²) / (n·(n − 1)) from the count, sum and sum of squares of the
    scores; NaN below 2 scores. Exact for whole scores (the numerator is a whole
    number); never below 0 (rounding of non-whole scores)."""
    variance = (n * squares - total * total) / (n * (n - 1.0))
    return variance.clip(lower=0.0).where(n >= 2)


def rwg(variance: pd.Series, rules: Rules) -> pd.Series:
    """1 − s² / σ²_EU, clipped to [0, 1]; NaN where s² is."""
    return (1 - variance / rules.uniform_variance).clip(0.0, 1.0)
