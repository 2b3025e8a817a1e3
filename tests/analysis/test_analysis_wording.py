"""Pure functions behind the words a page shows: the word panes never count typed
markup nor words of time; the agreement explained to the coachee in the second person;
a predictions row without a prediction says so (issue 17, items 5 and 6)."""

import math

import pandas as pd

from feedback.analysis import (
    DEFAULT_RULES,
    EXPLANATIONS,
    EXPLANATIONS_TO_COACHEE,
    explanation_to_coachee,
    word_panes,
)
from feedback.analysis.words import strip_markup, words_of
from feedback.plans.insights import DOES_NOT_KNOW, KNOWS, NO_PREDICTION, SAME_VIEW, prediction_table


def test_markup_is_taken_out_before_words_are_counted():
    texts = pd.Series(
        [
            "<b>Calm</b> &amp; <a href='https://example.org/x'>kind</a>",
            '<script>alert(document.cookie)</script><div class="red">Brave</div>',
            "See [notes](https://example.org/notes) or www.example.org, mail a.b@example.com",
            "<!-- hidden comment --><img src=x onerror=alert(1)>Fair",
            "3 < 4 and 5 > 2",
        ]
    )
    assert strip_markup(texts).str.split().tolist() == [
        ["Calm", "kind"],
        ["Brave"],
        ["See", "[notes", "or", "mail"],
        ["Fair"],
        ["3", "<", "4", "and", "5", ">", "2"],
    ]
    words = set(words_of(texts))
    assert words == {"calm", "kind", "brave", "see", "notes", "mail", "fair"}
    for markup in (
        "b",
        "script",
        "alert",
        "div",
        "class",
        "red",
        "href",
        "https",
        "example",
        "org",
        "img",
        "src",
        "onerror",
        "amp",
        "comment",
        "www",
        "cookie",
    ):
        assert markup not in words, markup


def test_words_of_time_and_number_are_not_shown():
    texts = pd.DataFrame(
        {
            "source": ["self", "others", "others"],
            "text": [
                "Last month, two engineers and I redesigned the release in one long afternoon.",
                "Calm under pressure; warns two weeks early.",
                "Calm, and redesigned our <i>release</i> process.",
            ],
        }
    )
    panes = word_panes(texts).set_index("word")["pane"].to_dict()
    for filler in ("last", "month", "two", "long", "afternoon", "weeks", "i"):
        assert filler not in panes, filler
    assert panes["release"] == "open" and panes["redesigned"] == "open"
    assert panes["calm"] == "blind" and panes["engineers"] == "hidden"


def test_the_agreement_is_explained_to_the_coachee_in_the_second_person():
    row = {
        "category": "over-estimator, poor",
        "self_overall": 4.2,
        "others_overall": 3.1,
        "difference": 1.1,
    }
    text = explanation_to_coachee(row)
    assert text.startswith("You 4.2, others 3.1 (difference +1.1). You rate yourself")
    assert set(EXPLANATIONS_TO_COACHEE) == set(EXPLANATIONS)
    for explanation in EXPLANATIONS_TO_COACHEE.values():
        for word in ("They ", "They'", "their ", "them ", "themself"):
            assert word not in explanation, (word, explanation)
    missing = {
        "category": "not enough data",
        "self_overall": math.nan,
        "others_overall": math.nan,
        "difference": math.nan,
    }
    assert explanation_to_coachee(missing) == EXPLANATIONS_TO_COACHEE["not enough data"]


def test_a_row_without_a_prediction_says_no_prediction():
    competencies = pd.DataFrame(
        {
            "competency": ["Drive", "Results", "People", "Growth"],
            "self": [4.0, 4.5, 2.0, 4.0],
            "peer_mean": [4.1, 3.0, 4.0, 3.0],
            "peer_n": [4, 4, 4, 4],
        }
    )
    keys = {"Drive": "drive", "Results": "results", "People": "people", "Growth": "growth"}
    predictions = {("drive", "peer"): 4.0, ("results", "peer"): 3.5, ("people", "peer"): 2.5}
    table = prediction_table(competencies, predictions, keys, DEFAULT_RULES)
    assert table[["competency", "predicted", "insight"]].to_dict("records")[:3] == [
        {"competency": "Drive", "predicted": 4.0, "insight": SAME_VIEW},
        # self 4.5, actual 3.0: differ; predicted 3.5 is within 1 of actual
        {"competency": "Results", "predicted": 3.5, "insight": KNOWS},
        # self 2.0, actual 4.0: differ; predicted 2.5 misses by 1.5
        {"competency": "People", "predicted": 2.5, "insight": DOES_NOT_KNOW},
    ]
    # Self 4.0 and actual 3.0 differ, but nothing was predicted: nothing to say about it.
    growth = table.iloc[3]
    assert math.isnan(growth["predicted"]) and growth["insight"] == NO_PREDICTION
    same_without_prediction = prediction_table(competencies.iloc[:1], {}, keys, DEFAULT_RULES)
    assert same_without_prediction["insight"].tolist() == [NO_PREDICTION]
