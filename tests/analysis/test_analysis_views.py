"""Rankings, trend, word panes and comments."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_frames import build_ratings

from feedback.analysis import (
    blind_spots,
    comment_groups,
    hidden_strengths,
    highest_items,
    item_stats,
    lowest_items,
    shuffle_comments,
    trend,
    word_panes,
)
from feedback.analysis.words import text_languages

ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7")


@pytest.fixture
def items():
    # Three peers (k = 3) give the same scores, so others_mean is that score and rwg 1.
    peers = [5, 4, 2, 1, 3, 4, 2]
    me = [2, 5, 5, 4, 3, 2, 3]
    # gaps (self - others): q1 -3 hidden strength, q2 +1 blind spot, q3 +3 blind spot,
    # q4 +3 blind spot, q5 0 aligned, q6 -2 hidden strength, q7 +1 blind spot
    raters = [("me", "self", me)] + [(f"p{i}", "peer", peers) for i in range(3)]
    return item_stats(build_ratings(raters, items=ITEMS))


def test_highest_and_lowest(items):
    assert list(highest_items(items, 3)["item_key"]) == ["q1", "q2", "q6"]  # 5, 4, 4
    assert list(lowest_items(items, 3)["item_key"]) == ["q4", "q3", "q7"]  # 1, 2, 2
    assert list(highest_items(items).columns) == list(items.columns)


def test_blind_spots_and_hidden_strengths(items):
    assert list(blind_spots(items)["item_key"]) == ["q3", "q4", "q2", "q7"]  # 3, 3, 1, 1
    assert list(hidden_strengths(items)["item_key"]) == ["q1", "q6"]  # |-3|, |-2|
    assert list(blind_spots(items, 1)["item_key"]) == ["q3"]


def test_rankings_are_per_coachee_and_skip_hidden(items):
    other = items.assign(
        coachee_id="zz", others_mean=items["others_mean"].where(items["item_key"] != "q1")
    )
    both = pd.concat([items, other], ignore_index=True)
    top = highest_items(both, 1)
    assert list(zip(top["coachee_id"], top["item_key"], strict=True)) == [
        ("c1", "q1"),
        ("zz", "q2"),  # q1 hidden for zz; q2 and q6 tie at 4: questionnaire order
    ]


def test_trend_items():
    before = item_stats(
        build_ratings(
            [("me", "self", [4, 3, 5])] + [(f"p{i}", "peer", [3, 3, 2]) for i in range(3)],
            items=("a", "b", "gone"),
        )
    )
    after = item_stats(
        build_ratings(
            [("me", "self", [4, 2, 3])] + [(f"p{i}", "peer", [4, 3, 3]) for i in range(3)],
            items=("a", "b", "new"),
        )
    )
    table = trend(before, after).set_index("item_key")
    assert list(table.index) == ["a", "b", "new", "gone"]
    a = table.loc["a"]
    # self 4 -> 4; others 3 -> 4; gap 1 -> 0
    assert (a["self_before"], a["self_after"], a["self_change"]) == (4, 4, 0)
    assert (a["others_mean_before"], a["others_mean_after"], a["others_mean_change"]) == (3, 4, 1)
    assert (a["gap_before"], a["gap_after"], a["gap_change"]) == (1, 0, -1)
    assert (a["category_before"], a["category_after"]) == ("blind spot", "agreed strength")
    b = table.loc["b"]
    assert b["self_change"] == -1 and b["gap_change"] == -1
    assert pd.isna(table.loc["new", "self_before"]) and pd.isna(table.loc["new", "gap_change"])
    assert table.loc["gone", "gap_before"] == 3 and pd.isna(table.loc["gone", "gap_after"])
    assert table.loc["gone", "competency"] == "general"


def test_trend_competencies():
    from feedback.analysis import competency_stats

    def cycle(self_score, peer_score):
        raters = [("me", "self", [self_score])] + [
            (f"p{i}", "peer", [peer_score]) for i in range(3)
        ]
        return competency_stats(build_ratings(raters))

    table = trend(cycle(5, 3), cycle(4, 4))
    row = table.iloc[0]
    assert "item_key" not in table.columns
    assert (row["gap_before"], row["gap_after"], row["gap_change"]) == (2, 0, -2)


def test_word_panes():
    texts = pd.DataFrame(
        {
            "source": ["self", "others", "others"],
            "text": [
                "Calm, caring leader. I'm CALM!",
                "A calm and decisive leader",
                "Decisive; the team's rock. 100%",
            ],
        }
    )
    panes = word_panes(texts)
    assert list(panes.columns) == ["word", "self_count", "others_count", "pane", "language"]
    rows = [tuple(r) for r in panes.itertuples(index=False)]
    assert rows == [
        ("calm", 2, 1, "open", "en"),
        ("leader", 1, 1, "open", "en"),
        ("decisive", 0, 2, "blind", "en"),
        ("rock", 0, 1, "blind", "en"),
        ("team", 0, 1, "blind", "en"),
        ("caring", 1, 0, "hidden", "en"),
    ]


def test_word_panes_other_scripts():
    texts = pd.DataFrame(
        {
            "source": ["self", "others"],
            "text": ["Über-kind, STRASSE", "über, Straße — Привет! हिन्दी"],
        }
    )
    panes = word_panes(texts).set_index("word")
    assert panes.loc["über", "pane"] == "open"
    assert panes.loc["strasse", "pane"] == "open"  # casefold: ß -> ss
    assert panes.loc["привет", "pane"] == "blind"
    assert panes.loc["हिन्दी", "pane"] == "blind"  # vowel signs stay inside the word
    assert panes.loc["kind", "pane"] == "hidden"


def test_each_text_is_read_in_its_own_language():
    texts = pd.Series(
        [
            "Ich bin ruhig und entschlossen, aber manchmal ungeduldig mit dem Team.",
            "Il est calme et très à l'écoute de son équipe.",
            "Es tranquilo y muy decidido con el equipo.",
            "Calm and decisive with the team.",
            "über, Straße",  # one common German word is not enough to tell
            "Привет",
            "",
        ],
        index=[10, 11, 12, 13, 14, 15, 16],
    )
    assert text_languages(texts).tolist() == ["de", "fr", "es", "en", "en", "en", "en"]
    assert text_languages(texts).index.tolist() == texts.index.tolist()


def test_word_panes_drop_each_languages_stop_words_and_compare_within_a_language():
    texts = pd.DataFrame(
        {
            "source": ["self", "others", "others", "others"],
            "text": [
                "Ich bin ruhig und entschlossen, aber mit dem Team oft ungeduldig.",
                "Sie ist ruhig und hilfsbereit, aber oft ungeduldig mit dem Team.",
                "Calm and steady; the team trusts her.",
                "Elle est calme et à l'écoute de son équipe.",
            ],
        }
    )
    panes = word_panes(texts)
    found = {(r.language, r.word): r.pane for r in panes.itertuples()}
    assert found == {
        ("de", "ruhig"): "open",
        ("de", "team"): "open",
        ("de", "ungeduldig"): "open",
        ("de", "hilfsbereit"): "blind",
        ("de", "entschlossen"): "hidden",
        ("en", "calm"): "blind",
        ("en", "steady"): "blind",
        ("en", "team"): "blind",  # the German "Team" is another word
        ("en", "trusts"): "blind",
        ("fr", "calme"): "blind",
        ("fr", "écoute"): "blind",
        ("fr", "équipe"): "blind",
    }


def test_word_panes_rejects_unknown_sources():
    with pytest.raises(ValueError, match="source"):
        word_panes(pd.DataFrame({"source": ["boss"], "text": ["x"]}))


def respondents(**groups: int) -> pd.DataFrame:
    raters = [("me", "self", [4])]
    for group, count in groups.items():
        raters += [(f"{group}{i}", group, [3]) for i in range(count)]
    return build_ratings(raters)


@pytest.mark.parametrize(
    ("groups", "exempt", "expected"),
    [
        ({"peer": 3, "boss": 1}, True, {"peer", "boss"}),
        # a lone subordinate would be the author of every unlabelled answer: the peers
        # lose their label too (smallest first, boss last)
        ({"peer": 3, "boss": 1, "subordinate": 1}, True, {"boss"}),
        # boss not exempt: its answer would be the only unlabelled one -> peers pooled
        ({"peer": 3, "boss": 1}, False, set()),
        ({"peer": 2}, True, set()),
        ({"peer": 4, "subordinate": 3}, True, {"peer", "subordinate"}),
    ],
)
def test_comment_groups(groups, exempt, expected):
    from feedback.analysis import Rules

    assert comment_groups(respondents(**groups), Rules(boss_exempt=exempt)) == expected


def test_shuffle_comments():
    comments = pd.DataFrame(
        {
            "group": ["peer", "boss", "subordinate", "peer", "peer"] + ["peer"] * 10,
            "question_key": ["keep", "keep", "change", "keep", "change"] + ["keep"] * 10,
            "text": ["A", "B", "C", "  ", "D"] + [f"n{i}" for i in range(10)],
        },
        index=range(100, 115),
    )
    result = shuffle_comments(comments, {"peer"}, seed=3)
    assert list(result.columns) == ["question_key", "text", "group_label"]
    assert list(result.index) == list(range(14))  # fresh index: no original order
    assert list(result["question_key"]) == ["keep"] * 12 + ["change"] * 2
    keep = result[result["question_key"] == "keep"]
    assert sorted(keep["text"]) == sorted(["A", "B", *[f"n{i}" for i in range(10)]])
    assert list(keep["text"]) != ["A", "B", *[f"n{i}" for i in range(10)]]  # shuffled
    labels = dict(zip(result["text"], result["group_label"], strict=True))
    assert labels["A"] == "peer" and labels["D"] == "peer"
    assert labels["B"] is None and labels["C"] is None
    again = shuffle_comments(comments, {"peer"}, seed=3)
    pd.testing.assert_frame_equal(result, again)


def test_long_answers_are_split_into_sentences():
    long = "First point here. " + "x" * 290 + ". Third one! And a fourth?"
    comments = pd.DataFrame({"group": ["peer"], "question_key": ["keep"], "text": [long]})
    pieces = shuffle_comments(comments, set(), seed=1)
    assert sorted(pieces["text"]) == sorted(
        ["First point here.", "x" * 290 + ".", "Third one!", "And a fourth?"]
    )
    whole = shuffle_comments(comments, set(), seed=1, split_above=None)
    assert list(whole["text"]) == [long]
    short = comments.assign(text="Short. Two sentences.")
    assert list(shuffle_comments(short, set())["text"]) == ["Short. Two sentences."]
