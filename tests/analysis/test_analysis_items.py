"""item_stats: every figure and category of the gap table, worked out by hand."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
from analysis_frames import NA, build_ratings, panel

from feedback.analysis import CATEGORIES, Rules, item_stats


def only_row(frame: pd.DataFrame) -> pd.Series:
    assert len(frame) == 1
    return frame.iloc[0]


# Each case: self, peers -> category. With 3 peers (= k) the peer group and others'
# overall figures are shown. s^2 is the sample variance, rwg = 1 - s^2 / 2.
CATEGORY_CASES = [
    # mean 10/3, gap 5 - 10/3 = 1.67; s^2 = (1/9 + 1/9 + 4/9) / 2 = 1/3, rwg = 5/6
    (5, [3, 3, 4], "blind spot"),
    # mean 13/3, gap 2 - 13/3 = -2.33; s^2 = 1/3, rwg = 5/6
    (2, [4, 4, 5], "hidden strength"),
    # mean 3, gap 2; s^2 = (4 + 0 + 4) / 2 = 4, rwg = 1 - 2 = -1 -> clipped to 0 < 0.5
    (5, [1, 3, 5], "others disagree"),
    # mean 13/3 >= 4, gap 4 - 13/3 = -0.33
    (4, [4, 4, 5], "agreed strength"),
    # mean 8/3 <= 3, gap 3 - 8/3 = 0.33
    (3, [2, 3, 3], "agreed development area"),
    # mean 11/3 between 3 and 4, gap 4 - 11/3 = 0.33
    (4, [3, 4, 4], "aligned"),
    # no self score
    (None, [3, 4, 4], "not enough data"),
    # others_n 2 < k = 3: others' overall figures hidden
    (4, [3, 4], "not enough data"),
]


@pytest.mark.parametrize(("self_score", "peers", "category"), CATEGORY_CASES)
def test_each_category(one_item, self_score, peers, category):
    row = only_row(item_stats(one_item(self_score, peer=peers)))
    assert row["category"] == category


def test_every_category_is_covered_by_the_cases():
    assert {case[2] for case in CATEGORY_CASES} == set(CATEGORIES)


def test_blind_spot_figures(one_item):
    row = only_row(item_stats(one_item(5, peer=[3, 3, 4])))
    assert row["self"] == 5
    assert row["others_mean"] == pytest.approx(10 / 3)
    assert row["others_n"] == 3
    assert row["gap"] == pytest.approx(5 / 3)
    assert row["rwg"] == pytest.approx(5 / 6)
    assert row["others_sd"] == pytest.approx(math.sqrt(1 / 3))
    assert (row["others_min"], row["others_max"]) == (3, 4)
    assert [row[f"count_{s}"] for s in range(1, 6)] == [0, 0, 2, 1, 0]
    assert (row["peer_mean"], row["peer_n"]) == (pytest.approx(10 / 3), 3)


def test_thresholds_are_inclusive(one_item):
    # gap exactly T = 1 (5 - 4) with rwg exactly R = 0.5: peers 3, 4, 5 have s^2 = 1,
    # so rwg = 1 - 1/2 = 0.5, and mean 4: a blind spot (both thresholds reached).
    row = only_row(item_stats(one_item(5, peer=[3, 4, 5])))
    assert row["gap"] == 1.0
    assert row["rwg"] == 0.5
    assert row["category"] == "blind spot"
    # gap just below T: 4.9 is not a valid score, so use T = 1.5 and gap 1 instead
    row = only_row(item_stats(one_item(5, peer=[3, 4, 5]), Rules(gap_threshold=1.5)))
    assert row["category"] == "agreed strength"  # |gap| < T and others 4 >= high


def test_counts_min_max_sd_with_a_boss(one_item):
    # others 1, 3, 5 (peers) and 5 (boss): mean 14/4 = 3.5, deviations -2.5, -0.5, 1.5,
    # 1.5, squares 6.25 + 0.25 + 2.25 + 2.25 = 11, s^2 = 11/3
    row = only_row(item_stats(one_item(4, peer=[1, 3, 5], boss=[5])))
    assert row["others_mean"] == 3.5
    assert row["others_n"] == 4
    assert row["others_sd"] == pytest.approx(math.sqrt(11 / 3))
    assert (row["others_min"], row["others_max"]) == (1, 5)
    assert [row[f"count_{s}"] for s in range(1, 6)] == [1, 0, 1, 0, 2]
    assert row["rwg"] == 0.0  # 1 - (11/3)/2 < 0, clipped
    assert (row["boss_mean"], row["boss_n"]) == (5, 1)
    assert (row["peer_mean"], row["peer_n"]) == (3, 3)
    assert pd.isna(row["other_mean"]) and pd.isna(row["other_n"])


@pytest.mark.parametrize(
    ("peers", "points", "expected"),
    [
        ([2, 3, 4], 5, 0.5),  # s^2 = 1, sigma^2_EU = (25 - 1) / 12 = 2
        ([3, 3, 4], 5, 5 / 6),  # s^2 = 1/3
        ([4, 4, 4], 5, 1.0),  # s^2 = 0: complete agreement
        ([1, 3, 5], 5, 0.0),  # s^2 = 4 > 2: clipped
        ([2, 3, 4], 7, 0.75),  # sigma^2_EU = (49 - 1) / 12 = 4
        ([1, 1, 5, 5], 5, 0.0),  # s^2 = 16/3: clipped
    ],
)
def test_rwg_hand_values(one_item, peers, points, expected):
    row = only_row(item_stats(one_item(3, peer=peers), Rules(scale_points=points)))
    assert row["rwg"] == pytest.approx(expected)


def test_rwg_against_the_formula_on_many_items():
    # rwg = 1 - s^2 / ((A^2 - 1) / 12), clipped to [0, 1], computed here with the
    # statistics module, independently of the engine's bincount tallies.
    rng = np.random.default_rng(7)
    items = [f"q{i}" for i in range(30)]
    scores = rng.integers(1, 6, size=(6, len(items))).astype(float)
    scores[rng.random(scores.shape) < 0.2] = NA
    raters = [(f"p{r}", "peer", list(scores[r])) for r in range(6)]
    table = item_stats(build_ratings(raters, items=items), Rules(min_group_size=2))
    for item, column in zip(items, scores.T, strict=True):
        answered = [s for s in column if not math.isnan(s)]
        row = table.set_index("item_key").loc[item]
        if len(answered) < 2:
            assert math.isnan(row["rwg"])
            continue
        expected = min(1.0, max(0.0, 1 - statistics.variance(answered) / 2.0))
        assert row["rwg"] == pytest.approx(expected), item
        assert row["others_mean"] == pytest.approx(statistics.fmean(answered))
        assert row["others_sd"] == pytest.approx(statistics.stdev(answered))


def test_columns_order_and_types(one_item):
    table = item_stats(one_item(4, peer=[3, 4, 5]))
    assert list(table.columns) == [
        "coachee_id",
        "competency",
        "item_key",
        "self",
        "others_mean",
        "others_n",
        "others_sd",
        "others_min",
        "others_max",
        "count_1",
        "count_2",
        "count_3",
        "count_4",
        "count_5",
        "gap",
        "rwg",
        "category",
        "boss_mean",
        "boss_n",
        "peer_mean",
        "peer_n",
        "subordinate_mean",
        "subordinate_n",
        "partner_mean",
        "partner_n",
        "other_mean",
        "other_n",
    ]
    for name in ("others_n", "count_1", "boss_n", "other_n"):
        assert str(table[name].dtype) == "Int64"
    assert table["gap"].dtype == np.float64


def test_questionnaire_order_and_coachee_order_are_kept():
    first = build_ratings(panel(4, peer=[3, 4, 5]) * 1, items=("q1",), coachee="zed")
    items = ("zeta", "alpha", "mid")
    second = build_ratings(
        [("s", "self", [1, 2, 3]), ("p1", "peer", [3, 3, 3])], items=items, coachee="amy"
    )
    table = item_stats(pd.concat([first, second], ignore_index=True))
    assert list(table["coachee_id"]) == ["zed", "amy", "amy", "amy"]
    assert list(table["item_key"]) == ["q1", "zeta", "alpha", "mid"]


def test_one_rater_only(one_item):
    row = only_row(item_stats(one_item(None, peer=[4])))
    assert pd.isna(row["others_mean"]) and pd.isna(row["others_n"])
    assert pd.isna(row["peer_mean"]) and pd.isna(row["peer_n"])
    assert pd.isna(row["rwg"]) and pd.isna(row["others_sd"])
    assert row["category"] == "not enough data"


def test_all_dont_know(one_item):
    row = only_row(item_stats(one_item(NA, peer=[NA, NA, NA], boss=[NA])))
    assert pd.isna(row["self"])
    assert pd.isna(row["others_n"])
    assert all(pd.isna(row[f"count_{s}"]) for s in range(1, 6))
    assert pd.isna(row["boss_mean"]) and pd.isna(row["boss_n"])
    assert row["category"] == "not enough data"


def test_no_self_rating_keeps_others_figures(one_item):
    row = only_row(item_stats(one_item(None, peer=[2, 3, 4])))
    assert pd.isna(row["self"]) and pd.isna(row["gap"])
    assert row["others_mean"] == 3 and row["others_n"] == 3
    assert row["category"] == "not enough data"


def test_dont_know_thins_a_group_per_item():
    # Three peers; one says "Don't know" on q2, so on q2 only two peers answered.
    raters = [("s", "self", [4, 4]), ("a", "peer", [3, 3]), ("b", "peer", [4, 4])]
    raters.append(("c", "peer", [5, NA]))
    table = item_stats(build_ratings(raters, items=("q1", "q2"))).set_index("item_key")
    assert table.loc["q1", "peer_n"] == 3 and table.loc["q1", "peer_mean"] == 4
    assert pd.isna(table.loc["q2", "peer_n"]) and pd.isna(table.loc["q2", "peer_mean"])
    assert pd.isna(table.loc["q2", "others_mean"])


def test_non_whole_scores_take_the_same_figures(one_item):
    # The float path (any score not whole) must agree with the whole-number path.
    whole = item_stats(one_item(4, peer=[1, 3, 5], boss=[5]))
    halves = item_stats(one_item(4, peer=[1, 3, 5], boss=[5], subordinate=[2.5]))
    # others 1, 3, 5, 5, 2.5: mean 16.5 / 5 = 3.3; 2.5 counts at 3 (halves up)
    row = only_row(halves)
    assert row["others_mean"] == pytest.approx(3.3)
    assert [row[f"count_{s}"] for s in range(1, 6)] == [1, 0, 2, 0, 2]
    assert (row["others_min"], row["others_max"]) == (1, 5)
    assert row["others_sd"] == pytest.approx(statistics.stdev([1, 3, 5, 5, 2.5]))
    assert only_row(whole)["others_mean"] == 3.5


def test_several_coachees_are_independent(one_item):
    both = pd.concat(
        [one_item(5, coachee="a", peer=[3, 3, 4]), one_item(2, coachee="b", peer=[4, 4, 5])],
        ignore_index=True,
    )
    table = item_stats(both).set_index("coachee_id")
    assert table.loc["a", "category"] == "blind spot"
    assert table.loc["b", "category"] == "hidden strength"


def test_bad_frames_raise_value_errors(one_item):
    frame = one_item(4, peer=[3, 4, 5])
    with pytest.raises(ValueError, match="unknown group"):
        item_stats(frame.assign(group="manager"))
    with pytest.raises(ValueError, match=r"outside 1\.\.5"):
        item_stats(frame.assign(score=6.0))
    with pytest.raises(ValueError, match="score"):
        item_stats(frame.drop(columns="score"))
    two_selves = pd.concat([frame, frame[frame["group"] == "self"]], ignore_index=True)
    with pytest.raises(ValueError, match="more than one self"):
        item_stats(two_selves)


def test_coachee_id_is_optional(one_item):
    table = item_stats(one_item(4, peer=[3, 4, 5]).drop(columns="coachee_id"))
    assert list(table["coachee_id"]) == ["1"]


def test_min_group_size_is_at_least_two():
    with pytest.raises(ValueError, match="at least 2"):
        Rules(min_group_size=1)
    assert Rules(min_group_size=2).min_group_size == 2


def test_empty_input_gives_an_empty_table(one_item):
    table = item_stats(one_item(4, peer=[3]).iloc[0:0])
    assert len(table) == 0
    assert "category" in table.columns


def test_categorical_input_keeps_order_of_appearance():
    # Categories listed alphabetically (and one unused) must not reorder the items.
    raters = [("s", "self", [4, 4, 4])] + [(f"p{i}", "peer", [5, 3, 4]) for i in range(3)]
    frame = build_ratings(raters, items=("zeta", "alpha", "mid"))
    frame["item_key"] = pd.Categorical(
        frame["item_key"], categories=["alpha", "mid", "unused", "zeta"]
    )
    frame["group"] = pd.Categorical(frame["group"], categories=["boss", "peer", "self"])
    table = item_stats(frame)
    assert list(table["item_key"]) == ["zeta", "alpha", "mid"]
    assert list(table["others_mean"]) == [5, 3, 4]


def test_categorical_input_whose_last_category_comes_early_keeps_order_of_appearance():
    # Only the rows up to the first use of the last category are walked to tell whether
    # the categories are in order of appearance; one used after it must still count.
    raters = [("s", "self", [4, 4, 4])] + [(f"p{i}", "peer", [5, 3, 4]) for i in range(3)]
    frame = build_ratings(raters, items=("alpha", "zeta", "mid"))
    frame["item_key"] = pd.Categorical(frame["item_key"], categories=["alpha", "mid", "zeta"])
    table = item_stats(frame)
    assert list(table["item_key"]) == ["alpha", "zeta", "mid"]
    assert list(table["others_mean"]) == [5, 3, 4]
