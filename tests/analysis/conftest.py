"""Fixtures of the analysis tests: small literal ratings frames, no app."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import pytest
from analysis_frames import build_ratings, panel


@pytest.fixture
def ratings() -> Callable[..., pd.DataFrame]:
    """:func:`build_ratings` as a fixture."""
    return build_ratings


@pytest.fixture
def one_item() -> Callable[..., pd.DataFrame]:
    """A one-item frame from :func:`panel`'s arguments."""

    def make(self_score: float | None, coachee: str = "c1", **groups: Sequence[float]):
        return build_ratings(panel(self_score, **groups), coachee=coachee)

    return make
