"""The rule across time for a pulse beside its baseline (feedback.analysis.pulse), on
literal counts whose answers were worked out by hand (k = 3, the boss exempt)."""

import pandas as pd

from feedback.analysis import HIDDEN_ACROSS_TIME, POOLED_ACROSS_TIME, Rules, pulse_shown

RULES = Rules(min_group_size=3, boss_exempt=True)
NOBODY: dict[str, int] = {}


def counts(**groups: int) -> pd.DataFrame:
    """One statement, ``s1``, answered by this many raters per group."""
    return pd.DataFrame([groups], index=["s1"])


def verdict(baseline, pulse, left=NOBODY, joined=NOBODY, rules=RULES) -> pd.Series:
    return pulse_shown(baseline, pulse, left, joined, rules).loc["s1"]


def test_the_same_raters_again_show_as_the_guard_allows():
    row = verdict(counts(boss=1, peer=3, subordinate=3), counts(boss=1, peer=3, subordinate=3))
    assert row[["boss", "peer", "subordinate", "others"]].tolist() == [True, True, True, True]
    assert row["across_time"] is None


def test_one_peer_who_answered_the_cycle_and_not_the_pulse_hides_everything():
    # Four peers answered the cycle, three of them the pulse: with opinions that did
    # not move, cycle minus pulse is the fourth peer's answer, for the peers and for
    # all raters alike.
    row = verdict(counts(peer=4), counts(peer=3), left={"peer": 1})
    assert not row["peer"] and not row["others"]
    assert row["across_time"] == HIDDEN_ACROSS_TIME


def test_one_peer_added_by_the_coach_hides_everything_too():
    row = verdict(counts(peer=3), counts(peer=4), joined={"peer": 1})
    assert not row["peer"] and not row["others"]
    assert row["across_time"] == HIDDEN_ACROSS_TIME


def test_three_new_peers_are_a_set_of_k_and_show():
    row = verdict(counts(peer=3), counts(peer=6), joined={"peer": 3})
    assert row["peer"] and row["others"]
    assert row["across_time"] is None


def test_a_lone_peer_who_left_hides_everything_though_three_joined():
    # Peers: 3 in the cycle, one left and three joined (5 in the pulse); subordinates
    # unchanged. The peer cell lost one rater: group figures go. In all, 1 left and
    # 3 joined: still one rater leaving, so the overall figure goes too.
    row = verdict(
        counts(peer=3, subordinate=3),
        counts(peer=5, subordinate=3),
        left={"peer": 1},
        joined={"peer": 3},
    )
    assert not row[["peer", "subordinate", "others"]].any()
    assert row["across_time"] == HIDDEN_ACROSS_TIME


def test_cells_that_regroup_leave_the_overall_figure_only():
    # The cycle showed peers (3) and subordinates (3) apart. In the pulse four partners
    # joined and one subordinate said "Don't know", so the guard pools peers and
    # subordinates: that pool, next to the cycle's separate groups, could cut a cell in
    # two. Others' overall figure gained a set of k (4 joined, 3 more ratings): it stays.
    row = verdict(
        counts(peer=3, subordinate=3),
        counts(peer=3, subordinate=2, partner=4),
        joined={"partner": 4},
    )
    assert not row["peer"] and not row["subordinate"] and not row["partner"]
    assert row["others"]
    assert row["across_time"] == POOLED_ACROSS_TIME


def test_a_dont_know_that_regroups_the_cells_hides_the_overall_figure_too():
    # The same raters answered both, one subordinate "Don't know" in the pulse: the
    # cells regroup, and all raters' figure, six ratings against five, would give that
    # subordinate's cycle answer (the rule counts per statement, as the guard does).
    row = verdict(counts(peer=3, subordinate=3), counts(peer=3, subordinate=2))
    assert not row[["peer", "subordinate", "others"]].any()
    assert row["across_time"] == HIDDEN_ACROSS_TIME


def test_a_new_boss_shows_alone_while_the_boss_is_exempt():
    # The boss changed; the peers did not. Each cell passes on its own (the boss was
    # told their answers show alone), and others' overall figure is the sum of the
    # shown cells, so it tells nothing more.
    row = verdict(
        counts(boss=1, peer=3), counts(boss=1, peer=3), left={"boss": 1}, joined={"boss": 1}
    )
    assert row[["boss", "peer", "others"]].tolist() == [True, True, True]


def test_a_new_boss_is_not_exempt_when_the_cycle_says_so():
    rules = Rules(min_group_size=3, boss_exempt=False)
    row = verdict(
        counts(boss=3, peer=3),
        counts(boss=3, peer=3),
        left={"boss": 1},
        joined={"boss": 1},
        rules=rules,
    )
    assert not row["boss"] and not row["peer"] and not row["others"]


def test_a_statement_the_cycle_showed_nothing_of_is_free():
    row = verdict(counts(peer=2), counts(peer=3), joined={"peer": 1})
    assert row["peer"] and row["others"]
    assert row["across_time"] is None


def test_the_guard_still_hides_a_small_pulse_group():
    row = verdict(
        counts(peer=3, subordinate=3),
        counts(peer=3, subordinate=3, partner=1),
        joined={"partner": 1},
    )
    assert not row["partner"]


def test_a_dont_know_in_the_pulse_alone_hides_the_statement():
    # The same four peers answered both; one of them said "Don't know" on s1 in the
    # pulse only. With opinions that did not move, four peers' mean in the cycle and
    # three peers' in the pulse give that peer's cycle answer: the peers' figure and the
    # overall one go, though nobody left or joined.
    row = verdict(counts(peer=4, subordinate=3), counts(peer=3, subordinate=3))
    assert not row[["peer", "subordinate", "others"]].any()
    assert row["across_time"] == HIDDEN_ACROSS_TIME


def test_a_dont_know_in_both_showings_changes_nothing():
    # One peer of four said "Don't know" in the cycle and again in the pulse: the same
    # three rated the statement both times.
    row = verdict(counts(peer=3, subordinate=3), counts(peer=3, subordinate=3))
    assert row[["peer", "subordinate", "others"]].all()
    assert row["across_time"] is None


def test_three_dont_knows_are_a_set_of_k():
    row = verdict(counts(peer=6), counts(peer=3))
    assert row["peer"] and row["others"]
    assert row["across_time"] is None
