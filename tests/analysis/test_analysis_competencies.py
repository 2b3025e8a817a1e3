"""competency_stats: the half-of-the-items rule, then the item statistics per competency."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_frames import NA, build_ratings

from feedback.analysis import competency_stats

ITEMS = ("c1", "c2", "c3", "c4", "d1", "d2", "d3")
COMPETENCY = {item: "care" if item.startswith("c") else "drive" for item in ITEMS}


def frame(raters):
    return build_ratings(raters, items=ITEMS, competencies=COMPETENCY)


def test_half_of_the_items_rule():
    # care has 4 items, drive 3. A rater counts in a competency with >= half answered:
    # 2 of 4 counts, 1 of 4 does not; 2 of 3 counts, 1 of 3 does not.
    raters = [
        ("me", "self", [4, 4, 4, 4, 2, NA, NA]),  # care 4; drive 1 of 3 -> no score
        ("p1", "peer", [5, 5, NA, NA, 3, 4, NA]),  # care 2/4 -> 5; drive 2/3 -> 3.5
        ("p2", "peer", [3, NA, NA, NA, 2, 2, 2]),  # care 1/4 -> none; drive 2
        ("p3", "peer", [2, 3, 4, 3, NA, 5, NA]),  # care 3; drive 1/3 -> none
        ("p4", "peer", [4, 4, 4, NA, 4, NA, 5]),  # care 4; drive 4.5
    ]
    table = competency_stats(frame(raters)).set_index("competency")
    assert list(table.index) == ["care", "drive"]
    care = table.loc["care"]
    # others 5, 3, 4: mean 4, s^2 = (1 + 1 + 0) / 2 = 1, rwg = 1 - 1/2 = 0.5
    assert care["self"] == 4
    assert (care["others_mean"], care["others_n"]) == (4, 3)
    assert care["rwg"] == 0.5
    assert care["gap"] == 0
    assert care["category"] == "agreed strength"  # |gap| < 1, others >= 4
    assert (care["peer_mean"], care["peer_n"]) == (4, 3)
    assert [care[f"count_{s}"] for s in range(1, 6)] == [0, 0, 1, 1, 1]
    drive = table.loc["drive"]
    # self has no drive score; others 3.5, 2, 4.5: mean 10/3
    assert pd.isna(drive["self"])
    assert drive["others_mean"] == pytest.approx(10 / 3)
    assert drive["others_n"] == 3
    assert (drive["others_min"], drive["others_max"]) == (2, 4.5)
    # 3.5 counts at 4, 4.5 at 5 (halves up), 2 at 2
    assert [drive[f"count_{s}"] for s in range(1, 6)] == [0, 1, 0, 1, 1]
    assert drive["category"] == "not enough data"


def test_columns_are_those_of_items_without_item_key():
    raters = [("me", "self", [4] * 7), ("p1", "peer", [3] * 7)]
    table = competency_stats(frame(raters))
    assert "item_key" not in table.columns
    assert list(table.columns[:3]) == ["coachee_id", "competency", "self"]
    assert table["others_mean"].isna().all()  # one peer: hidden


def test_guard_counts_raters_with_a_competency_score():
    # Three peers answered something in care, but one answered only 1 of 4 items:
    # only two competency scores, so the peer group is hidden at competency level.
    raters = [
        ("p1", "peer", [4, 4, NA, NA, 4, 4, 4]),
        ("p2", "peer", [4, 4, 4, 4, 4, 4, 4]),
        ("p3", "peer", [4, NA, NA, NA, 4, 4, 4]),
    ]
    table = competency_stats(frame(raters)).set_index("competency")
    assert pd.isna(table.loc["care", "peer_n"])
    assert table.loc["drive", "peer_n"] == 3


def test_a_rater_in_two_groups_is_rejected():
    raters = [("x", "peer", [4] * 7), ("x", "boss", [4] * 7)]
    with pytest.raises(ValueError, match="more than one group"):
        competency_stats(frame(raters))
