"""The gap analysis of docs/analysis.md: pandas in, pandas out, no web framework, no
database.

Input everywhere is a long "ratings" frame, one row per rater x item: ``coachee_id``,
``rater_id``, ``group`` (self, boss, peer, subordinate, partner), ``item_key``,
``competency``, ``score`` (1..5, NaN for "Don't know"). Every figure that leaves this
package has been through the anonymity guard (:func:`guard`).

One module per rule: :mod:`.guard` (anonymity), :mod:`.rwg` (agreement among others),
:mod:`.categories` (item categories), :mod:`.competencies` (competency figures from
the shown item figures), :mod:`.stats` (the gap table), :mod:`.agreement` (self-other
agreement), :mod:`.showings` (late answers after a reopen), :mod:`.cohort`,
:mod:`.pulse` (a pulse beside its baseline),
:mod:`.rankings`, :mod:`.trend`, :mod:`.words`, :mod:`.comments`. They read the sums
that :mod:`.tallies` computes, the one part written for speed.
"""

from .agreement import (
    EXPLANATIONS,
    EXPLANATIONS_TO_COACHEE,
    agreement_from_items,
    explanation_to_coachee,
    self_other_agreement,
)
from .cohort import cohort_summary
from .comments import comment_groups, shuffle_comments
from .guard import GuardDecision, guard, guard_counts
from .io import FORMATS, RatingsInputError, read_ratings_csv, write_gap_table
from .pulse import HIDDEN_ACROSS_TIME, POOLED_ACROSS_TIME, pulse_shown
from .rankings import blind_spots, hidden_strengths, highest_items, lowest_items
from .rules import (
    CATEGORIES,
    DEFAULT_RULES,
    DIRECTIONS,
    GROUPS,
    LEVELS,
    RATER_GROUPS,
    SHOWN_GROUPS,
    Rules,
    rules_for_scale,
)
from .showings import RESPONDENTS, late_answer_shortfalls
from .stats import RATING_COLUMNS, competency_stats, item_stats, stat_columns
from .trend import trend
from .words import STOP_WORDS, word_panes

__all__ = [
    "CATEGORIES",
    "DEFAULT_RULES",
    "DIRECTIONS",
    "EXPLANATIONS",
    "EXPLANATIONS_TO_COACHEE",
    "FORMATS",
    "GROUPS",
    "HIDDEN_ACROSS_TIME",
    "LEVELS",
    "POOLED_ACROSS_TIME",
    "RATER_GROUPS",
    "RATING_COLUMNS",
    "RESPONDENTS",
    "SHOWN_GROUPS",
    "STOP_WORDS",
    "GuardDecision",
    "RatingsInputError",
    "Rules",
    "agreement_from_items",
    "blind_spots",
    "cohort_summary",
    "comment_groups",
    "competency_stats",
    "explanation_to_coachee",
    "guard",
    "guard_counts",
    "hidden_strengths",
    "highest_items",
    "item_stats",
    "late_answer_shortfalls",
    "lowest_items",
    "pulse_shown",
    "read_ratings_csv",
    "rules_for_scale",
    "self_other_agreement",
    "shuffle_comments",
    "stat_columns",
    "trend",
    "word_panes",
    "write_gap_table",
]
