"""Across time (docs/analysis.md "Across time"): when late answers may join a showing.

The rule is checked against what an attacker can do with two showings: every figure
of a statement is a sum over a set of raters (a group shown on its own, the pooled
"other raters", all others), so anything that can be worked out from both showings
is a linear combination of those sets. Late answers the rule lets in must leave no
set of fewer than k raters within reach (but a boss shown alone, as the cycle allows).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from analysis_frames import NA, build_ratings
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference_guard

from feedback.analysis import RATER_GROUPS, RESPONDENTS, Rules, late_answer_shortfalls
from feedback.analysis.showings import REGROUPED, TOO_FEW


def frame(earlier: dict[str, int], late: dict[str, int], score: float = 3.0) -> pd.DataFrame:
    """One statement answered by ``earlier`` and ``late`` raters per group, and a self."""
    raters = [("me", "self", [4.0])]
    for when, counts in (("old", earlier), ("late", late)):
        raters += [
            (f"{group}-{when}-{i}", group, [score])
            for group in RATER_GROUPS
            for i in range(counts.get(group, 0))
        ]
    ratings = build_ratings(raters)
    ratings["late"] = ratings["rater_id"].str.contains("-late-")
    return ratings


def shown_sets(counts: dict[str, list[str]], rules: Rules) -> list[frozenset[str]]:
    """The sets of raters whose sums one showing of a statement gives away, by the
    reference guard: each group shown on its own, the shown "other raters", all others."""
    verdict = reference_guard({g: len(ids) for g, ids in counts.items()}, rules)
    sets = [frozenset(counts[g]) for g in verdict.shown]
    pooled = frozenset(r for g in RATER_GROUPS if g not in verdict.shown for r in counts[g])
    if verdict.show_other:
        sets.append(pooled)
    if verdict.show_others:
        sets.append(frozenset(r for ids in counts.values() for r in ids))
    return [s for s in sets if s]


def exposed_sets(earlier: dict[str, int], late: dict[str, int], rules: Rules) -> list[set[str]]:
    """Every set of fewer than k raters whose sum the two showings together give away,
    other than a boss shown alone by the cycle's rule."""
    old = {g: [f"{g}-old-{i}" for i in range(earlier.get(g, 0))] for g in RATER_GROUPS}
    new = {g: old[g] + [f"{g}-late-{i}" for i in range(late.get(g, 0))] for g in RATER_GROUPS}
    sets = shown_sets(old, rules) + shown_sets(new, rules)
    raters = sorted({r for ids in new.values() for r in ids})
    if not sets:
        return []
    position = {r: i for i, r in enumerate(raters)}
    known = np.zeros((len(sets), len(raters)))
    for row, members in enumerate(sets):
        known[row, [position[r] for r in members]] = 1
    projection = np.linalg.pinv(known) @ known  # onto the span of what is shown
    allowed = {s for s in sets if s <= frozenset(new["boss"]) and rules.boss_exempt}
    found = []
    for size in range(1, rules.min_group_size):
        for members in itertools.combinations(raters, size):
            vector = np.zeros(len(raters))
            vector[[position[r] for r in members]] = 1
            if np.allclose(vector @ projection, vector) and frozenset(members) not in allowed:
                found.append(set(members))
    return found


GROUP_SIZES = st.fixed_dictionaries({g: st.integers(0, 4) for g in RATER_GROUPS})
LATE_SIZES = st.fixed_dictionaries({g: st.integers(0, 3) for g in RATER_GROUPS})
RULES = st.builds(Rules, min_group_size=st.integers(2, 4), boss_exempt=st.booleans())


@settings(max_examples=300, deadline=None)
@given(GROUP_SIZES, LATE_SIZES, RULES)
def test_late_answers_let_in_expose_no_small_set(earlier, late, rules):
    if late_answer_shortfalls(frame(earlier, late), rules).empty:
        assert exposed_sets(earlier, late, rules) == []


def test_letting_every_late_answer_in_would_expose_one_rater():
    # The second attack: seven raters, the cycle reopened, one more peer.
    earlier, late = {"boss": 1, "peer": 3, "subordinate": 3}, {"peer": 1}
    assert {"peer-late-0"} in exposed_sets(earlier, late, Rules())
    shortfalls = late_answer_shortfalls(frame(earlier, late))
    assert set(shortfalls["unit"]) == {"q1", RESPONDENTS}
    assert set(shortfalls["reason"]) == {TOO_FEW}
    assert shortfalls["groups"].tolist() == [("peer",), ("peer",)]
    assert shortfalls["late_n"].tolist() == [1, 1]


def test_k_late_answers_of_one_group_join():
    earlier = {"boss": 1, "peer": 3, "subordinate": 3}
    assert late_answer_shortfalls(frame(earlier, {"peer": 3})).empty
    assert late_answer_shortfalls(frame(earlier, {"partner": 3})).empty  # a new group


def test_late_answers_that_would_take_an_earlier_pool_apart_wait():
    # Two peers were pooled with three subordinates; three more peers would show the
    # peers on their own, and the earlier "other raters" less the subordinates would
    # give away the first two peers' sum.
    earlier, late = {"peer": 2, "subordinate": 3}, {"peer": 3}
    assert exposed_sets(earlier, late, Rules())
    shortfalls = late_answer_shortfalls(frame(earlier, late))
    assert REGROUPED in set(shortfalls["reason"])


def test_a_lone_boss_may_appear_late_but_not_a_second_one():
    earlier = {"peer": 3, "subordinate": 3}
    assert late_answer_shortfalls(frame(earlier, {"boss": 1})).empty
    second = late_answer_shortfalls(frame({**earlier, "boss": 1}, {"boss": 1}))
    assert second[second["unit"] == "q1"]["groups"].tolist() == [("boss",)]


def test_a_statement_nobody_was_shown_on_is_free():
    # Two peers only (k = 3): nothing of the statement showed; one more peer may join.
    shortfalls = late_answer_shortfalls(frame({"peer": 2}, {"peer": 1}))
    assert "q1" not in set(shortfalls["unit"])


def test_dont_know_thins_the_late_answers_per_statement():
    # Three late peers, one of whom says "Don't know" on the second statement: there
    # only two late answers would change the peers' figures.
    raters = [("me", "self", [4, 4])]
    raters += [(f"old-{g}-{i}", g, [3, 3]) for g in ("peer", "subordinate") for i in range(3)]
    raters += [("late-1", "peer", [2, 2]), ("late-2", "peer", [2, 2]), ("late-3", "peer", [2, NA])]
    ratings = build_ratings(raters, items=("q1", "q2"))
    ratings["late"] = ratings["rater_id"].str.startswith("late")
    shortfalls = late_answer_shortfalls(ratings)
    assert shortfalls[["unit", "late_n", "reason"]].values.tolist() == [["q2", 2, TOO_FEW]]


def test_no_late_answers_no_shortfall():
    assert late_answer_shortfalls(frame({"peer": 3}, {})).empty
