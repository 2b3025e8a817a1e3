"""The anonymity guard: hand-worked cases and a property-based subtraction attack."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analysis_frames import build_ratings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.analysis import RATER_GROUPS, Rules, guard, item_stats

EXEMPT = Rules()
NOT_EXEMPT = Rules(boss_exempt=False)


def decide(rules: Rules = EXEMPT, **counts: int) -> dict[str, object]:
    """The guard's verdict for one unit with these answering raters per group."""
    frame = pd.DataFrame([{g: counts.get(g, 0) for g in RATER_GROUPS}])
    row = guard(frame, rules).iloc[0]
    return {
        "shown": {g for g in RATER_GROUPS if row[g]},
        "other": int(row["other_n"]) if row["other"] else None,
        "others": bool(row["others"]),
    }


# (rules, counts, groups shown alone, pooled "other" shown with n / None, overall shown)
CASES = {
    "group exactly at k": (EXEMPT, {"peer": 3}, {"peer"}, None, True),
    "group at k - 1": (EXEMPT, {"peer": 2}, set(), None, False),
    "boss alone, exempt": (EXEMPT, {"boss": 1}, {"boss"}, None, False),
    "boss alone, not exempt": (NOT_EXEMPT, {"boss": 1}, set(), None, False),
    "boss and k peers": (EXEMPT, {"boss": 1, "peer": 3}, {"boss", "peer"}, None, True),
    # remainder = 1 subordinate: the smallest non-boss group (peers, 3) is pooled with
    # it, 4 >= k; the boss keeps its exemption.
    "lone subordinate pools peers": (
        EXEMPT,
        {"boss": 1, "peer": 3, "subordinate": 1},
        {"boss"},
        4,
        True,
    ),
    # remainder = 1 partner; shown peers (4) and subordinates (3): the smaller, the
    # subordinates, are pooled: 3 + 1 = 4 >= k, peers stay.
    "smallest first": (
        EXEMPT,
        {"peer": 4, "subordinate": 3, "partner": 1},
        {"peer"},
        4,
        True,
    ),
    # remainder = 2 partners; the boss (1) is smaller than the peers (3) but goes last:
    # peers pooled, 3 + 2 = 5.
    "boss pooled last": (
        EXEMPT,
        {"boss": 1, "peer": 3, "partner": 2},
        {"boss"},
        5,
        True,
    ),
    # remainder = 2 partners and only the boss is shown: its exemption yields, 1 + 2.
    "boss exemption yields": (EXEMPT, {"boss": 1, "partner": 2}, set(), 3, True),
    # remainder = 1 partner, boss only shown: pooling the boss gives 2 < 3, so nothing
    # is shown at all (others 2 < k too).
    "nothing can cover": (EXEMPT, {"boss": 1, "partner": 1}, set(), None, False),
    "everybody in one group": (EXEMPT, {"subordinate": 6}, {"subordinate"}, None, True),
    "everybody in one small group": (EXEMPT, {"partner": 2}, set(), None, False),
    "one rater": (EXEMPT, {"peer": 1}, set(), None, False),
    "nobody": (EXEMPT, {}, set(), None, False),
    # k bosses are a group like any other, also without the exemption; the lone peer
    # then needs the bosses pooled: 3 + 1.
    "three bosses, not exempt": (NOT_EXEMPT, {"boss": 3, "peer": 1}, set(), 4, True),
    # tie between peers and subordinates (3 each): the first in RATER_GROUPS goes.
    "tie": (EXEMPT, {"peer": 3, "subordinate": 3, "partner": 1}, {"subordinate"}, 4, True),
    # k = 2: boss shown, a lone peer would be exposed; pooled: 1 + 1 = 2 >= k.
    "k two": (Rules(min_group_size=2), {"boss": 1, "peer": 1}, set(), 2, True),
    # k = 4: 3 subordinates < 4 form the remainder; the peers (4) are pooled: 7.
    "k four": (
        Rules(min_group_size=4),
        {"boss": 1, "peer": 4, "subordinate": 3},
        {"boss"},
        7,
        True,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_guard_cases(name):
    rules, counts, shown, other, others = CASES[name]
    verdict = decide(rules, **counts)
    assert verdict == {"shown": shown, "other": other, "others": others}


def test_guard_in_the_gap_table():
    # Boss 2, peers 3, 4, 4, one subordinate 5 (k = 3, boss exempt): the subordinate
    # would be exposed by others_mean*n - boss - peers, so peers are pooled with them:
    # other = (3 + 4 + 4 + 5) / 4 = 4.
    raters = [("s", "self", [4]), ("b", "boss", [2]), ("u", "subordinate", [5])]
    raters += [("p1", "peer", [3]), ("p2", "peer", [4]), ("p3", "peer", [4])]
    row = item_stats(build_ratings(raters)).iloc[0]
    assert (row["boss_mean"], row["boss_n"]) == (2, 1)
    assert pd.isna(row["peer_mean"]) and pd.isna(row["peer_n"])
    assert pd.isna(row["subordinate_mean"]) and pd.isna(row["subordinate_n"])
    assert (row["other_mean"], row["other_n"]) == (4, 4)
    assert (row["others_mean"], row["others_n"]) == (18 / 5, 5)


def test_guard_frame_shape():
    frame = pd.DataFrame({"peer": [3, 0], "boss": [0, 1]}, index=["a", "b"])
    verdict = guard(frame)
    assert list(verdict.index) == ["a", "b"]
    assert list(verdict.columns) == [*RATER_GROUPS, "other", "other_n", "others"]
    assert verdict.loc["a", "peer"] and not verdict.loc["a", "boss"]
    assert verdict.loc["b", "boss"] and not verdict.loc["b", "others"]


# --- property: no subtraction attack --------------------------------------------------

scores = st.one_of(st.integers(1, 5).map(float), st.just(math.nan))


@st.composite
def cycles(draw):
    """A random cycle of one coachee: 1-3 items, 0-6 raters per group, random scores
    with "Don't know", random k (2-4) and boss policy, a self rating or none."""
    n_items = draw(st.integers(1, 3))
    items = [f"q{i}" for i in range(n_items)]
    raters = []
    if draw(st.booleans()):
        raters.append(("self", "self", draw(st.lists(scores, min_size=n_items, max_size=n_items))))
    for group in RATER_GROUPS:
        for i in range(draw(st.integers(0, 6))):
            marks = draw(st.lists(scores, min_size=n_items, max_size=n_items))
            raters.append((f"{group}{i}", group, marks))
    rules = Rules(min_group_size=draw(st.integers(2, 4)), boss_exempt=draw(st.booleans()))
    return build_ratings(raters, items=items), rules


def _in_span(matrix: np.ndarray, vector: np.ndarray) -> bool:
    """Whether ``vector`` is a linear combination of the rows of ``matrix``."""
    if len(matrix) == 0:
        return not vector.any()
    rank = np.linalg.matrix_rank(matrix)
    return np.linalg.matrix_rank(np.vstack([matrix, vector])) == rank


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cycles())
def test_no_hidden_score_can_be_recovered_by_subtraction(cycle):
    ratings, rules = cycle
    k = rules.min_group_size
    table = item_stats(ratings, rules).set_index("item_key")
    others = ratings[(ratings["group"] != "self") & ratings["score"].notna()]
    for item, row in table.iterrows():
        answered = others[others["item_key"] == item]
        raters = list(answered["rater_id"])
        score = dict(zip(answered["rater_id"], answered["score"], strict=True))
        group_of = dict(zip(answered["rater_id"], answered["group"], strict=True))
        index = {r: i for i, r in enumerate(raters)}

        # What an attacker sees: a sum (mean * n) over each shown set of raters. The
        # score counts of all others add nothing beyond the same sets, one-hot coded.
        shown_sets: list[set[str]] = []
        covered: set[str] = set()
        for group in RATER_GROUPS:
            members = {r for r in raters if group_of[r] == group}
            if pd.isna(row[f"{group}_mean"]):
                assert pd.isna(row[f"{group}_n"])
                continue
            # a shown group figure is exactly that group's raters...
            assert row[f"{group}_n"] == len(members)
            assert row[f"{group}_mean"] == pytest.approx(np.mean([score[r] for r in members]))
            # ...and has k of them, or is the boss group under the exemption
            assert len(members) >= k or (group == "boss" and rules.boss_exempt)
            shown_sets.append(members)
            covered |= members
        pooled = set(raters) - covered
        if pd.notna(row["other_mean"]):
            assert row["other_n"] == len(pooled) >= k
            assert row["other_mean"] == pytest.approx(np.mean([score[r] for r in pooled]))
            shown_sets.append(pooled)
        else:
            assert pd.isna(row["other_n"])
        total_shown = pd.notna(row["others_mean"])
        if total_shown:
            assert row["others_n"] == len(raters) >= k
            shown_sets.append(set(raters))
            # the remainder: raters in the total but in no other shown figure
            remainder = set(raters) - covered - (pooled if pd.notna(row["other_mean"]) else set())
            assert len(remainder) == 0 or len(remainder) >= k
        else:
            assert pd.isna(row["others_n"]) and row["category"] == "not enough data"
        # the raters that no shown group covers are 0 or at least k whenever any shown
        # figure (the pooled "other" or the total) includes them
        if total_shown or pd.notna(row["other_mean"]):
            assert len(pooled) == 0 or len(pooled) >= k

        # Linear algebra: no combination of the shown sums isolates a hidden rater, and
        # every set of raters that the shown sums single out has k raters, except a
        # boss group shown under its exemption.
        matrix = np.array([[1.0 if r in s else 0.0 for r in raters] for s in shown_sets]).reshape(
            len(shown_sets), len(raters)
        )
        exempt = {r for r in raters if group_of[r] == "boss" and pd.notna(row["boss_mean"])}
        for rater in raters:
            if rater in exempt:
                continue
            unit = np.zeros(len(raters))
            unit[index[rater]] = 1.0
            assert not _in_span(matrix, unit), f"{rater}'s score on {item} is recoverable"
        # classes of raters covered by exactly the same shown sets
        signature: dict[tuple[float, ...], set[str]] = {}
        for rater in raters:
            signature.setdefault(tuple(matrix[:, index[rater]]), set()).add(rater)
        for key, members in signature.items():
            if not any(key):
                continue
            vector = np.array([1.0 if r in members else 0.0 for r in raters])
            if _in_span(matrix, vector):
                assert len(members) >= k or members == exempt, (item, members)
