"""Agreement among others: rwg (James, Demaree & Wolf 1984).

docs/analysis.md, "Item figures": "1 − s² / σ²_EU, where σ²_EU = (A² − 1) / 12 is the
variance of answers spread evenly over the A points of the scale (2.0 on a 1–5 scale);
clipped to [0, 1]; undefined for fewer than two raters." s² is the sample variance of
the other raters' scores, so rwg is 1 when all gave the same score and 0 when they are
as spread as chance.
"""

from __future__ import annotations

import numpy as np
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


def rwg_j(mean_variance, items, rules: Rules):
    """rwg(J) of J items (James, Demaree & Wolf 1984) from the mean of their variances
    s̄²: J (1 − s̄²/σ²_EU) / (J (1 − s̄²/σ²_EU) + s̄²/σ²_EU), with s̄²/σ²_EU capped at 1
    (beyond chance: no agreement); NaN for J = 0. Works on arrays or numbers."""
    j = np.asarray(items, dtype=np.float64)
    ratio = np.minimum(np.asarray(mean_variance, dtype=np.float64) / rules.uniform_variance, 1.0)
    agreement = j * (1.0 - ratio)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(j > 0, agreement / (agreement + ratio), np.nan)
