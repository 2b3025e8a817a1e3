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

Importing this package is cheap: pandas, NumPy and the rule modules load on first use
of a name (``analysis.item_stats``, ``from feedback.analysis import guard``), so a web
worker that only serves raters' forms never holds them (bench/README.md, "A worker's
memory"). ``Rules`` and the other settings of :mod:`.rules` need no pandas.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and readers see; at run time, loaded on first use
    from .agreement import (
        EXPLANATIONS,
        EXPLANATIONS_TO_COACHEE,
        agreement_from_items,
        explanation_to_coachee,
        self_other_agreement,
    )
    from .cohort import cohort_summary
    from .comments import comment_groups, shuffle_comments
    from .formats import FORMATS
    from .guard import GuardDecision, guard, guard_counts
    from .io import RatingsInputError, analyse_ratings_csv, read_ratings_csv, write_gap_table
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
    from .words import STOP_WORDS, text_languages, word_panes

#: Each public name -> the module of this package that defines it.
_HOMES = {
    "EXPLANATIONS": "agreement",
    "EXPLANATIONS_TO_COACHEE": "agreement",
    "agreement_from_items": "agreement",
    "explanation_to_coachee": "agreement",
    "self_other_agreement": "agreement",
    "cohort_summary": "cohort",
    "comment_groups": "comments",
    "shuffle_comments": "comments",
    "GuardDecision": "guard",
    "guard": "guard",
    "guard_counts": "guard",
    "FORMATS": "formats",
    "RatingsInputError": "io",
    "read_ratings_csv": "io",
    "analyse_ratings_csv": "io",
    "write_gap_table": "io",
    "HIDDEN_ACROSS_TIME": "pulse",
    "POOLED_ACROSS_TIME": "pulse",
    "pulse_shown": "pulse",
    "blind_spots": "rankings",
    "hidden_strengths": "rankings",
    "highest_items": "rankings",
    "lowest_items": "rankings",
    "CATEGORIES": "rules",
    "DEFAULT_RULES": "rules",
    "DIRECTIONS": "rules",
    "GROUPS": "rules",
    "LEVELS": "rules",
    "RATER_GROUPS": "rules",
    "SHOWN_GROUPS": "rules",
    "Rules": "rules",
    "rules_for_scale": "rules",
    "RESPONDENTS": "showings",
    "late_answer_shortfalls": "showings",
    "RATING_COLUMNS": "stats",
    "competency_stats": "stats",
    "item_stats": "stats",
    "stat_columns": "stats",
    "trend": "trend",
    "STOP_WORDS": "words",
    "text_languages": "words",
    "word_panes": "words",
}

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
    "analyse_ratings_csv",
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
    "text_languages",
    "trend",
    "word_panes",
    "write_gap_table",
]


class _LazyPackage(types.ModuleType):
    """This package's module: a public name is imported from its home on first use."""

    def __getattr__(self, name: str) -> Any:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{self.__name__}.{home}"), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the submodule ``guard`` or ``trend`` would set the package's
        # attribute to the module; the public name is the function of that name.
        if name in _HOMES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *_HOMES})


sys.modules[__name__].__class__ = _LazyPackage
