"""Open answers as the coach (and coachee) see them: shuffled, labelled only when safe.

Order and style identify people as surely as figures do: answers are shuffled within
each question, their original order (and index) is dropped, and long answers can be cut
into sentences that are shuffled separately.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .guard import guard
from .rules import DEFAULT_RULES, RATER_GROUPS, Rules

#: Answers longer than this many characters are split into sentences.
SPLIT_ABOVE = 300
_SENTENCE_END = r"(?<=[.!?\u2026\u3002\uff01\uff1f])\s+"


def comment_groups(ratings: pd.DataFrame, rules: Rules = DEFAULT_RULES) -> frozenset[str]:
    """The groups whose open answers may carry their group's name.

    A respondent is a rater with at least one row in ``ratings`` (a submitted form,
    even if every item was "Don't know"). The counts of respondents per group go through
    the same :func:`~feedback.analysis.guard.guard` as the figures: a group with at least
    k respondents, the boss group when exempt; and the unlabelled respondents must
    number 0 or at least k, or more groups lose their label (smallest first, the boss
    last), since unlabelled answers would otherwise point at a few people. With several
    coachees in ``ratings``, a group qualifies only when it qualifies for every one.
    """
    others = ratings[ratings["group"].astype(str) != "self"]
    if "coachee_id" in others.columns:
        coachee = others["coachee_id"].astype(str)
        all_coachees = pd.unique(ratings["coachee_id"].astype(str))
    else:
        coachee = pd.Series("1", index=others.index)
        all_coachees = np.array(["1"])
    respondents = (
        pd.DataFrame(
            {
                "coachee": coachee.to_numpy(),
                "group": others["group"].astype(str).to_numpy(),
                "rater": others["rater_id"].astype(str).to_numpy(),
            }
        )
        .drop_duplicates()
        .groupby(["coachee", "group"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=all_coachees, columns=list(RATER_GROUPS), fill_value=0)
    )
    if len(respondents) == 0:
        return frozenset()
    shown = guard(respondents, rules)[list(RATER_GROUPS)]
    return frozenset(g for g in RATER_GROUPS if bool(shown[g].all()))


def shuffle_comments(
    comments: pd.DataFrame,
    shown_groups: Iterable[str],
    seed: int | None = None,
    split_above: int | None = SPLIT_ABOVE,
) -> pd.DataFrame:
    """Shuffle open answers and label them with their group only where that is safe.

    Args:
        comments: one row per answer: ``group`` (the rater's group), ``question_key``,
            ``text``. Empty answers are dropped.
        shown_groups: the groups that may be named, normally :func:`comment_groups`.
        seed: fixes the shuffle (for tests and for a report that must not change
            between two downloads); None shuffles afresh.
        split_above: answers longer than this many characters are cut into sentences,
            each shuffled on its own; None keeps answers whole.

    Returns:
        ``question_key`` (questions in their order of first appearance), ``text``, and
        ``group_label`` (the group when it is in shown_groups, else None), shuffled
        within each question, on a fresh 0..n-1 index.
    """
    allowed = set(shown_groups)
    text = comments["text"].fillna("").astype(str).str.strip()
    frame = pd.DataFrame(
        {
            "question_key": comments["question_key"].astype(str).to_numpy(),
            "text": text.to_numpy(),
            "group": comments["group"].astype(str).to_numpy(),
        }
    )
    if split_above is not None:
        long = frame["text"].str.len() > split_above
        pieces = frame["text"].where(~long, frame["text"].str.split(_SENTENCE_END, regex=True))
        frame = frame.assign(text=pieces).explode("text")
        frame["text"] = frame["text"].astype(str).str.strip()
    frame = frame[frame["text"] != ""]
    rng = np.random.default_rng(seed)
    frame = frame.iloc[rng.permutation(len(frame))]
    question_order = {q: i for i, q in enumerate(pd.unique(comments["question_key"].astype(str)))}
    frame = frame.assign(order=frame["question_key"].map(question_order)).sort_values(
        "order", kind="stable"
    )
    group = frame["group"].to_numpy(dtype=object)
    label = np.where(frame["group"].isin(allowed).to_numpy(), group, None)
    return pd.DataFrame(
        {
            "question_key": frame["question_key"].to_numpy(),
            "text": frame["text"].to_numpy(),
            "group_label": pd.Series(label, dtype=object),
        }
    )
