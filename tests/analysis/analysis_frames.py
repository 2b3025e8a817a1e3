"""Builders of small literal ratings frames for the analysis tests (no app needed)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

NA = math.nan  # "Don't know"

Rater = tuple[str, str, Sequence[float]]


def build_ratings(
    raters: Sequence[Rater],
    items: Sequence[str] = ("q1",),
    coachee: str = "c1",
    competencies: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per rater x item: ``raters`` are (rater_id, group, scores in item order)."""
    rows = []
    for rater_id, group, scores in raters:
        assert len(scores) == len(items), rater_id
        for item, score in zip(items, scores, strict=True):
            competency = (competencies or {}).get(item, "general")
            rows.append((coachee, rater_id, group, item, competency, float(score)))
    return pd.DataFrame(
        rows, columns=["coachee_id", "rater_id", "group", "item_key", "competency", "score"]
    )


def panel(self_score: float | None, **groups: Sequence[float]) -> list[Rater]:
    """Raters of one item: a self score (None: no self rater) and each group's scores,
    e.g. ``panel(4, peer=[3, 4, 5], boss=[2])``."""
    raters: list[Rater] = []
    if self_score is not None:
        raters.append(("self", "self", [self_score]))
    for group, scores in groups.items():
        raters += [(f"{group}{i}", group, [s]) for i, s in enumerate(scores, 1)]
    return raters
