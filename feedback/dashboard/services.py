"""Everything the cycle dashboard shows, computed once per view through the analysis
engine and its anonymity guard. Nothing here computes a figure of its own."""

from dataclasses import dataclass

import pandas as pd

from .. import analysis
from ..coaching.models import Cycle
from ..ratings.services import comments_frame, ratings_frame

HEADLINE = "headline"


@dataclass
class CycleResults:
    """The guarded results of one closed cycle."""

    items: pd.DataFrame
    competencies: pd.DataFrame
    agreement: pd.Series | None
    strengths: pd.DataFrame
    development_areas: pd.DataFrame
    blind_spots: pd.DataFrame
    hidden_strengths: pd.DataFrame
    comments: pd.DataFrame
    self_headline: str | None
    others_headlines: list[str]
    words: pd.DataFrame
    shown_groups: tuple[str, ...]


def rules_for(cycle: Cycle) -> analysis.Rules:
    """The anonymity and category rules a cycle was run with."""
    return analysis.Rules(min_group_size=cycle.min_group_size, boss_exempt=cycle.boss_exempt)


def cycle_results(cycle: Cycle, *, seed: int | None = None) -> CycleResults | None:
    """Compute the dashboard's figures for ``cycle`` (guarded, ready to show); None when
    no rater answered, as there is then nothing to compare."""
    rules = rules_for(cycle)
    ratings = ratings_frame(cycle)
    if not (ratings["group"] != "self").any():
        return None
    items = analysis.item_stats(ratings, rules)
    competencies = analysis.competency_stats(ratings, rules)
    agreement_frame = analysis.self_other_agreement(ratings, rules)
    agreement = agreement_frame.iloc[0] if len(agreement_frame) else None

    comments = comments_frame(cycle)
    label_groups = analysis.comment_groups(ratings, rules)
    self_texts = comments[comments["group"] == "self"]
    others = comments[comments["group"] != "self"]
    self_headline = next(iter(self_texts.loc[self_texts["question_key"] == HEADLINE, "text"]), None)
    others_headlines = analysis.shuffle_comments(
        others[others["question_key"] == HEADLINE], frozenset(), seed=seed
    )["text"].tolist()
    words = analysis.word_panes(
        pd.DataFrame(
            {
                "source": ["self"] * len(self_texts) + ["others"] * len(others),
                "text": [*self_texts["text"], *others["text"]],
            }
        )
    )
    shown = tuple(
        group
        for group in analysis.SHOWN_GROUPS
        if f"{group}_n" in competencies and competencies[f"{group}_n"].notna().any()
    )
    return CycleResults(
        items=items,
        competencies=competencies,
        agreement=agreement,
        strengths=analysis.highest_items(items),
        development_areas=analysis.lowest_items(items),
        blind_spots=analysis.blind_spots(items),
        hidden_strengths=analysis.hidden_strengths(items),
        comments=analysis.shuffle_comments(
            others[others["question_key"] != HEADLINE], label_groups, seed=seed
        ),
        self_headline=self_headline,
        others_headlines=others_headlines,
        words=words,
        shown_groups=shown,
    )
