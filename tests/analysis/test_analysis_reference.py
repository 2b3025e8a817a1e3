"""The engine against the plain reference of ``reference.py``, on random cycles.

Random raters in random groups, "Don't know" holes and missing rows, one or two
coachees, k of 2..4, the boss exemption on or off: the engine's item and competency
tables equal the reference's, value for value and dtype for dtype.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analysis_frames import NA, build_ratings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from reference import (
    design_competency_stats,
    reference_competency_stats,
    reference_guard,
    reference_item_stats,
    rwg_j,
)

from feedback.analysis import RATER_GROUPS, Rules, competency_stats, guard, item_stats

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WHOLE = st.one_of(st.integers(1, 5).map(float), st.just(math.nan))
#: Scores between two points (imported means) take the engine's other tally path.
ANY = st.one_of(WHOLE, st.sampled_from([1.5, 2.5, 3.25, 4.5]))


@st.composite
def cycles(draw: st.DrawFn) -> tuple[pd.DataFrame, Rules]:
    """Ratings of one or two coachees (1-4 items in one or two competencies, 0-5 raters
    per group, a self rater or none, some rows left out) and random rules."""
    scores = ANY if draw(st.integers(0, 4)) == 0 else WHOLE
    frames = []
    for coachee in ("c1", "c2")[: draw(st.integers(1, 2))]:
        order = draw(st.permutations(["q1", "q2", "q3", "q4"]))
        items = order[: draw(st.integers(1, 4))]
        competency = {item: draw(st.sampled_from(["care", "drive"])) for item in items}
        answers = st.lists(scores, min_size=len(items), max_size=len(items))
        raters = [("me", "self", draw(answers))] if draw(st.booleans()) else []
        for group in RATER_GROUPS:
            size = draw(st.integers(0, 5))
            raters += [(f"{group}{i}", group, draw(answers)) for i in range(size)]
        frames.append(build_ratings(raters, items=items, coachee=coachee, competencies=competency))
    ratings = pd.concat(frames, ignore_index=True)
    kept = draw(st.lists(st.integers(0, 9), min_size=len(ratings), max_size=len(ratings)))
    ratings = ratings[np.array(kept, dtype=int) > 0].reset_index(drop=True)  # ~10 % missing
    rules = Rules(min_group_size=draw(st.integers(2, 4)), boss_exempt=draw(st.booleans()))
    return ratings, rules


def assert_tables_equal(engine: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert_frame_equal(engine, reference, check_exact=False, rtol=1e-9, atol=1e-12)


@SETTINGS
@given(cycles())
def test_item_stats_equal_the_reference(cycle):
    ratings, rules = cycle
    assert_tables_equal(item_stats(ratings, rules), reference_item_stats(ratings, rules))


@SETTINGS
@given(cycles())
def test_competency_stats_equal_the_reference(cycle):
    # docs/analysis.md "Above the item level": the competency table is a function of
    # the guarded item table alone, as design_competency_stats computes it.
    ratings, rules = cycle
    assert_tables_equal(
        competency_stats(ratings, rules), design_competency_stats(item_stats(ratings, rules), rules)
    )


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(RATER_GROUPS), st.integers(0, 7)),
    st.integers(2, 4),
    st.booleans(),
)
def test_guard_equals_the_reference(counts, k, boss_exempt):
    rules = Rules(min_group_size=k, boss_exempt=boss_exempt)
    row = guard(pd.DataFrame([counts], columns=list(RATER_GROUPS)).fillna(0), rules).iloc[0]
    verdict = reference_guard(counts, rules)
    assert {g for g in RATER_GROUPS if row[g]} == verdict.shown
    assert (row["other_n"], row["other"], row["others"]) == (
        verdict.other_n,
        verdict.show_other,
        verdict.show_others,
    )


# --- across levels --------------------------------------------------------------------
# docs/analysis.md, "Across levels": "Two sets of answers that no shown statement
# figure can tell apart (say one hidden peer's 2 and one pooled subordinate's 4 trading
# places) give identical pages, charts and exports."


def trade_places(ratings: pd.DataFrame, item: str, first: str, second: str) -> pd.DataFrame:
    """The ratings with the scores of two raters on one item swapped."""
    traded = ratings.copy()
    on_item = traded["item_key"] == item
    at = {r: traded.index[on_item & (traded["rater_id"] == r)][0] for r in (first, second)}
    traded.loc[at[first], "score"], traded.loc[at[second], "score"] = (
        ratings.loc[at[second], "score"],
        ratings.loc[at[first], "score"],
    )
    return traded


def indistinguishable_pairs(ratings: pd.DataFrame, items: pd.DataFrame):
    """(item, rater, rater) of one coachee whose answers no shown item figure tells
    apart: both answered, and they are in the same group or both in groups the guard
    does not show on their own."""
    shown = items.set_index(["coachee_id", "item_key"])
    answered = ratings[(ratings["group"] != "self") & ratings["score"].notna()]
    for (coachee, item), raters in answered.groupby(["coachee_id", "item_key"], sort=False):
        row = shown.loc[(coachee, item)]
        hidden = {g for g in RATER_GROUPS if pd.isna(row[f"{g}_mean"])}
        listed = list(raters.itertuples(index=False))
        for i, a in enumerate(listed):
            for b in listed[i + 1 :]:
                if a.group == b.group or {a.group, b.group} <= hidden:
                    yield coachee, item, a.rater_id, b.rater_id


@SETTINGS
@given(cycles(), st.integers(0, 10_000))
def test_trading_indistinguishable_answers_changes_no_shown_figure(cycle, pick):
    ratings, rules = cycle
    items = item_stats(ratings, rules)
    pairs = list(indistinguishable_pairs(ratings, items))
    if not pairs:
        return
    coachee, item, first, second = pairs[pick % len(pairs)]
    own = ratings[ratings["coachee_id"] == coachee]
    traded = pd.concat(
        [ratings[ratings["coachee_id"] != coachee], trade_places(own, item, first, second)]
    ).sort_index()
    # Nothing shown at item level tells the two apart; so nothing built from those
    # figures alone (the competency figures of docs/analysis.md) can.
    assert_frame_equal(item_stats(traded, rules), items)
    assert_frame_equal(competency_stats(traded, rules), competency_stats(ratings, rules))


def _hidden_peer_and_pooled_subordinate() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The example of docs/analysis.md: on q2 two peers (hidden, k = 3) and one
    subordinate are pooled as "other"; one peer's 2 and the subordinate's 4 trade
    places there."""
    raters = [
        ("me", "self", [4, 4]),
        ("p1", "peer", [3, 2]),
        ("p2", "peer", [3, 3]),
        ("p3", "peer", [3, NA]),
        ("s1", "subordinate", [NA, 4]),
    ]
    before = build_ratings(raters, items=("q1", "q2"), competencies={"q1": "c", "q2": "c"})
    return before, trade_places(before, "q2", "p1", "s1")


def test_the_example_trade_is_invisible_at_item_level():
    before, after = _hidden_peer_and_pooled_subordinate()
    shown = item_stats(before).set_index("item_key")
    assert pd.isna(shown.loc["q2", "peer_mean"]) and shown.loc["q2", "other_n"] == 3
    assert_frame_equal(item_stats(after), item_stats(before))
    assert_frame_equal(
        design_competency_stats(item_stats(after), Rules()),
        design_competency_stats(item_stats(before), Rules()),
    )


def test_engine_competencies_hold_across_levels():
    before, after = _hidden_peer_and_pooled_subordinate()
    assert_frame_equal(competency_stats(after), competency_stats(before))
    # ... and the old per-rater rule would have told them apart (p1's competency mean
    # is (3 + 2) / 2 = 2.5 before and (3 + 4) / 2 = 3.5 after).
    old = reference_competency_stats(before, Rules())
    assert not old.equals(reference_competency_stats(after, Rules()))


def test_rwg_j_hand_values():
    rules = Rules()  # sigma^2_EU = 2
    assert rwg_j(0.0, 3, rules) == 1.0  # complete agreement
    assert rwg_j(1.0, 1, rules) == pytest.approx(0.5)  # one item: rwg itself
    assert rwg_j(1.0, 4, rules) == pytest.approx(4 * 0.5 / (4 * 0.5 + 0.5))  # 0.8
    assert rwg_j(3.0, 4, rules) == 0.0  # beyond chance
