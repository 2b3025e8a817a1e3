"""competency_stats: built from the shown item figures, shown on at least half of the items."""

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
    # docs/analysis.md "Above the item level": a competency figure is built from the
    # items where the group is shown (k = 3), and shown only when that is at least half
    # of the competency's items. care has 4 items, drive 3.
    raters = [
        ("me", "self", [4, 4, 4, 4, 2, NA, NA]),  # care 4 of 4 scored; drive 1 of 3
        ("p1", "peer", [5, 5, NA, NA, 3, 4, NA]),
        ("p2", "peer", [3, NA, NA, NA, 2, 2, 2]),
        ("p3", "peer", [2, 3, 4, 3, NA, 5, NA]),
        ("p4", "peer", [4, 4, 4, NA, 4, NA, 5]),
    ]
    table = competency_stats(frame(raters)).set_index("competency")
    assert list(table.index) == ["care", "drive"]
    care = table.loc["care"]
    # care: c1 has 4 answers (5, 3, 2, 4; sum 14, s^2 = (2.25+.25+2.25+.25)/3 = 5/3),
    # c2 has 3 (5, 3, 4; sum 12, s^2 = (1 + 1 + 0) / 2 = 1); c3 (2 answers) and c4 (1)
    # are hidden. Shown on 2 of 4 items: enough. Mean 26/7, n 7.
    assert care["self"] == 4  # (4 + 4 + 4 + 4) / 4
    assert care["others_mean"] == pytest.approx(26 / 7)
    assert care["others_n"] == 7
    # pooled variance (3 * 5/3 + 2 * 1) / (3 + 2) = 7/5
    assert care["others_sd"] == pytest.approx((7 / 5) ** 0.5)
    # rwg(J), J = 2, mean variance (5/3 + 1) / 2 = 4/3, ratio 4/3 / 2 = 2/3:
    # 2 * (1/3) / (2 * (1/3) + 2/3) = 0.5
    assert care["rwg"] == pytest.approx(0.5)
    assert care["gap"] == pytest.approx(4 - 26 / 7)  # 2/7
    assert care["category"] == "aligned"  # |gap| < 1, 3 < others 3.71 < 4
    assert care["peer_mean"] == pytest.approx(26 / 7) and care["peer_n"] == 7
    assert (care["others_min"], care["others_max"]) == (2, 5)
    # answers on c1 and c2: 5, 3, 2, 4, 5, 3, 4
    assert [care[f"count_{s}"] for s in range(1, 6)] == [0, 1, 2, 2, 2]
    drive = table.loc["drive"]
    # drive: d1 3, 2, 4 (sum 9) and d2 4, 2, 5 (sum 11) shown; d3 (2 answers) hidden.
    # Shown on 2 of 3: enough. Mean (9 + 11) / 6 = 10/3. Self scored 1 of 3: none.
    assert pd.isna(drive["self"])
    assert drive["others_mean"] == pytest.approx(10 / 3)
    assert drive["others_n"] == 6
    assert (drive["others_min"], drive["others_max"]) == (2, 5)
    # answers 3, 2, 4, 4, 2, 5
    assert [drive[f"count_{s}"] for s in range(1, 6)] == [0, 2, 1, 2, 1]
    assert drive["category"] == "not enough data"


def test_columns_are_those_of_items_without_item_key():
    raters = [("me", "self", [4] * 7), ("p1", "peer", [3] * 7)]
    table = competency_stats(frame(raters))
    assert "item_key" not in table.columns
    assert list(table.columns[:3]) == ["coachee_id", "competency", "self"]
    assert table["others_mean"].isna().all()  # one peer: hidden


def test_guard_counts_raters_with_a_competency_score():
    # care: three peers answered c1, but only two c2 and one c3 and c4: the peer
    # group is shown on 1 of 4 items, fewer than half, so hidden at competency level.
    raters = [
        ("p1", "peer", [4, 4, NA, NA, 4, 4, 4]),
        ("p2", "peer", [4, 4, 4, 4, 4, 4, 4]),
        ("p3", "peer", [4, NA, NA, NA, 4, 4, 4]),
    ]
    table = competency_stats(frame(raters)).set_index("competency")
    assert pd.isna(table.loc["care", "peer_n"])
    # drive: shown on all 3 items, 3 answers each: 3 + 3 + 3 = 9 answers
    assert table.loc["drive", "peer_n"] == 9


def test_a_rater_in_two_groups_is_rejected():
    raters = [("x", "peer", [4] * 7), ("x", "boss", [4] * 7)]
    with pytest.raises(ValueError, match="more than one group"):
        competency_stats(frame(raters))
