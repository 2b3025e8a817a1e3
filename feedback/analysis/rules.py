"""The vocabulary and the thresholds of the gap analysis (docs/analysis.md).

Every threshold is a field of :class:`Rules`, with the documented default, so a cycle
(or the ``feedback analyze`` command) can change one without touching the code.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

#: Every rater group, the coachee's own ("self") first.
GROUPS: tuple[str, ...] = ("self", "boss", "peer", "subordinate", "partner")
#: The groups whose raters count as "others".
RATER_GROUPS: tuple[str, ...] = GROUPS[1:]
#: The columns a gap table can show per group: the four rater groups, then "other",
#: the pooled raters of the groups that the anonymity guard does not show on their own.
SHOWN_GROUPS: tuple[str, ...] = (*RATER_GROUPS, "other")

#: The item (and competency) categories, in the order docs/analysis.md tests them.
CATEGORIES: tuple[str, ...] = (
    "blind spot",
    "hidden strength",
    "others disagree",
    "agreed strength",
    "agreed development area",
    "aligned",
    "not enough data",
)
NOT_ENOUGH_DATA = CATEGORIES[-1]

#: The self-other agreement directions of Brutus, Fleenor & Taylor (1996).
DIRECTIONS: tuple[str, ...] = ("over-estimator", "under-estimator", "in agreement")
#: The levels that split each direction by how well others rate the coachee.
LEVELS: tuple[str, ...] = ("good", "poor")

#: Floating-point slack when a figure is compared with a threshold: 10/3 - 7/3 is
#: 0.9999999999999996 in binary, but a coach reads it as exactly 1.0.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rules:
    """The thresholds of the analysis; the defaults are those of docs/analysis.md.

    Attributes:
        min_group_size: k of the anonymity guard: a group's figures, the pooled "other"
            raters and the overall figures of others are shown only when at least k
            raters answered the item (or rated the competency). Never below 2.
        boss_exempt: show the boss group even below k (boss raters are told so).
        gap_threshold: T, the gap (in scale points) from which self and others disagree.
        agreement_threshold: R, the rwg from which others agree among themselves.
        high: others' mean from which an item is an agreed strength.
        low: others' mean up to which an item is an agreed development area.
        scale_points: A, the number of points on the rating scale (1..A).
        overall_threshold: the overall |self - others| from which a coachee is an
            over- or under-estimator rather than in agreement.
        overall_good: others' overall mean from which a coachee's level is "good".
        cohort_median_from: from this many coachees in one input, the level splits at
            the cohort's median of others' overall mean instead of ``overall_good``.
    """

    min_group_size: int = 3
    boss_exempt: bool = True
    gap_threshold: float = 1.0
    agreement_threshold: float = 0.5
    high: float = 4.0
    low: float = 3.0
    scale_points: int = 5
    overall_threshold: float = 0.5
    overall_good: float = 3.5
    cohort_median_from: int = 20

    def __post_init__(self) -> None:
        if int(self.min_group_size) != self.min_group_size or self.min_group_size < 2:
            raise ValueError(
                f"min_group_size must be a whole number of at least 2, "
                f"not {self.min_group_size!r}: one rater alone would be identifiable"
            )
        if int(self.scale_points) != self.scale_points or self.scale_points < 2:
            raise ValueError(f"scale_points must be at least 2, not {self.scale_points!r}")
        if self.cohort_median_from < 1:
            raise ValueError("cohort_median_from must be at least 1")

    @property
    def uniform_variance(self) -> float:
        """sigma^2_EU = (A^2 - 1) / 12, the variance of ratings spread evenly over the
        scale: the "no agreement at all" reference of rwg (2.0 on a 1-5 scale)."""
        return (self.scale_points**2 - 1) / 12


#: The rules of docs/analysis.md, unchanged: the default of every function with rules.
DEFAULT_RULES = Rules()

#: The thresholds that are points of the 1–5 scale, and those that are distances on it.
_SCALE_POINTS = ("high", "low", "overall_good")
_SCALE_DISTANCES = ("gap_threshold", "overall_threshold")


def rules_for_scale(scale_points: int, **overrides) -> Rules:
    """The documented rules on a scale of ``scale_points`` points (1..A): the thresholds
    that docs/analysis.md gives on the 1–5 scale are moved to the same place on 1..A
    (a point v becomes 1 + (v − 1)(A − 1) / 4, a distance d becomes d (A − 1) / 4), so
    that "high" is three quarters of the way up whatever the scale. On 5 points these
    are the defaults, unchanged. ``overrides`` set any other field (k, the boss)."""
    stretch = (scale_points - 1) / 4
    defaults = {f.name: getattr(DEFAULT_RULES, f.name) for f in fields(Rules)}
    values = {name: 1 + (defaults[name] - 1) * stretch for name in _SCALE_POINTS}
    values |= {name: defaults[name] * stretch for name in _SCALE_DISTANCES}
    return Rules(**{**values, "scale_points": scale_points, **overrides})
