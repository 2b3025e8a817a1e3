"""Self-other agreement (Brutus, Fleenor & Taylor 1996) and the cohort overview."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_frames import NA, build_ratings, panel

from feedback.analysis import EXPLANATIONS, Rules, cohort_summary, self_other_agreement


def cohort(spec: dict[str, tuple[float | None, list[float]]]) -> pd.DataFrame:
    """One item per coachee: coachee -> (self score, peer scores)."""
    frames = [build_ratings(panel(s, peer=p), coachee=c) for c, (s, p) in spec.items()]
    return pd.concat(frames, ignore_index=True)


SIX = {
    # self, peers: difference = self - others mean; level by others >= 3.5
    "over-good": (5, [4, 4, 4]),  # +1, others 4
    "over-poor": (4, [3, 3, 3]),  # +1, others 3
    "under-good": (3, [4, 4, 4]),  # -1, others 4
    "under-poor": (2, [3, 3, 3]),  # -1, others 3
    "agree-good": (4, [4, 4, 4]),  # 0, others 4
    "agree-poor": (3, [3, 3, 3]),  # 0, others 3
    "edge": (4, [3, 4, 4, 3]),  # +0.5 exactly, others 3.5 exactly: over, good
    "no-self": (None, [4, 4, 4]),
}
EXPECTED = {
    "over-good": "over-estimator, good",
    "over-poor": "over-estimator, poor",
    "under-good": "under-estimator, good",
    "under-poor": "under-estimator, poor",
    "agree-good": "in agreement, good",
    "agree-poor": "in agreement, poor",
    "edge": "over-estimator, good",
    "no-self": "not enough data",
}


def test_the_six_groups():
    table = self_other_agreement(cohort(SIX)).set_index("coachee_id")
    assert table["category"].to_dict() == EXPECTED
    assert table.loc["over-poor", "difference"] == 1
    assert table.loc["under-good", "direction"] == "under-estimator"
    assert table.loc["agree-poor", "level"] == "poor"
    assert table.loc["edge", "others_overall"] == 3.5
    assert table.loc["over-good", "others_n"] == 3
    assert pd.isna(table.loc["no-self", "direction"])
    for coachee, category in EXPECTED.items():
        assert table.loc[coachee, "explanation"].endswith(EXPLANATIONS[category])
    assert table.loc["over-poor", "explanation"].startswith(
        "Self 4.0, others 3.0 (difference +1.0)"
    )


def test_overall_means_use_matched_items_only():
    # q1: self 5 but only two peers answered -> hidden, left out of both means.
    # q2: self 4, peers 2, 3, 4 -> 3. q3: self 2, peers 4, 4, 4 -> 4.
    # self_overall (4 + 2) / 2 = 3; others_overall (3 + 4) / 2 = 3.5; difference -0.5.
    raters = [
        ("me", "self", [5, 4, 2]),
        ("a", "peer", [1, 2, 4]),
        ("b", "peer", [1, 3, 4]),
        ("c", "peer", [NA, 4, 4]),
    ]
    row = self_other_agreement(build_ratings(raters, items=("q1", "q2", "q3"))).iloc[0]
    assert row["self_overall"] == 3
    assert row["others_overall"] == 3.5
    assert row["difference"] == -0.5
    assert row["category"] == "under-estimator, good"
    assert row["others_n"] == 3


def test_cohort_median_replaces_the_fixed_level_from_enough_coachees():
    # others 3, 3, 3, 4: the median is 3, so others 3 is "good" in this cohort,
    # although it is below the fixed 3.5.
    spec = {"a": (3, [3, 3, 3]), "b": (3, [3, 3, 3]), "c": (3, [3, 3, 3]), "d": (4, [4, 4, 4])}
    fixed = self_other_agreement(cohort(spec)).set_index("coachee_id")
    assert fixed.loc["a", "level"] == "poor"
    median = self_other_agreement(cohort(spec), Rules(cohort_median_from=4))
    assert median.set_index("coachee_id").loc["a", "level"] == "good"


def test_cohort_summary_percentiles_and_largest_gap():
    # others_overall 2, 3, 3, 5 -> at-or-below percentages 25, 75, 75, 100.
    # differences: a 4 - 2 = 2, b 3 - 3 = 0, c 1 - 3 = -2, d 5 - 5 = 0
    #   -> sorted -2, 0, 0, 2: c 25, b and d 75, a 100.
    spec = {"a": (4, [2, 2, 2]), "b": (3, [3, 3, 3]), "c": (1, [3, 3, 3]), "d": (5, [5, 5, 5])}
    summary = cohort_summary(cohort(spec)).set_index("coachee_id")
    assert summary["others_overall_percentile"].to_dict() == {
        "a": 25.0,
        "b": 75.0,
        "c": 75.0,
        "d": 100.0,
    }
    assert summary["difference_percentile"].to_dict() == {
        "a": 100.0,
        "b": 75.0,
        "c": 25.0,
        "d": 75.0,
    }
    assert summary.loc["a", "category"] == "over-estimator, poor"
    assert summary.loc["a", "largest_gap_item"] == "q1"
    assert summary.loc["a", "largest_gap"] == 2
    assert summary.loc["a", "others_n"] == 3


def test_cohort_summary_largest_gap_is_by_size_not_sign():
    # q1 gap 5 - 4 = +1; q2 gap 1 - 3 = -2: q2 is the largest.
    raters = [("me", "self", [5, 1]), ("a", "peer", [4, 3]), ("b", "peer", [4, 3])]
    raters.append(("c", "peer", [4, 3]))
    row = cohort_summary(build_ratings(raters, items=("q1", "q2"))).iloc[0]
    assert row["largest_gap_item"] == "q2"
    assert row["largest_gap"] == -2
    assert row["largest_gap_competency"] == "general"


def test_cohort_summary_columns():
    summary = cohort_summary(cohort({"a": (4, [2, 2, 2])}))
    assert list(summary.columns) == [
        "coachee_id",
        "others_n",
        "self_overall",
        "others_overall",
        "difference",
        "category",
        "largest_gap_item",
        "largest_gap_competency",
        "largest_gap",
        "others_overall_percentile",
        "difference_percentile",
    ]


@pytest.mark.parametrize("threshold", [0.5, 1.5])
def test_overall_threshold_is_a_rule(threshold):
    spec = {"a": (5, [4, 4, 4])}  # difference 1
    row = self_other_agreement(cohort(spec), Rules(overall_threshold=threshold)).iloc[0]
    assert row["direction"] == ("over-estimator" if threshold <= 1 else "in agreement")
