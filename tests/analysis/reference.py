"""A plain, slow reference of the gap table, written straight from docs/analysis.md.

One coachee x unit at a time, with ``groupby``, ``mean`` and ``std`` and an ``if``
per rule: no codes, no tallies, nothing shared with the engine but the thresholds in
:class:`~feedback.analysis.Rules`. The property tests prove the engine equal to it.

- :func:`reference_guard`: "a group's figures are shown only when at least k raters in
  it answered", the boss exemption, and the pooling of the remainder "the smallest
  first, the boss group last" until it numbers 0 or at least k.
- :func:`reference_item_stats`: the item figures, the guard applied.
- :func:`design_competency_stats`: the competency figures as docs/analysis.md ("Above
  the item level") describes them, built only from the shown item figures; the engine
  equals it (see ``test_analysis_reference.py``).
- :func:`reference_competency_stats`: the competency figures as the engine built them
  before: each rater's competency score under the half-of-the-items rule, then the item
  figures over those scores. Kept as the "mutation" the across-levels tests must catch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback.analysis import RATER_GROUPS, SHOWN_GROUPS, Rules, stat_columns
from feedback.analysis.rules import TOLERANCE


@dataclass(frozen=True)
class Verdict:
    """The guard's decision for one unit."""

    shown: frozenset[str]  # rater groups shown on their own
    other_n: int  # raters pooled into "other"
    show_other: bool
    show_others: bool  # others' overall figures


def reference_guard(answered: dict[str, int], rules: Rules) -> Verdict:
    """The anonymity guard for one unit, from the answering raters per group."""
    k = rules.min_group_size
    n = {g: answered.get(g, 0) for g in RATER_GROUPS}
    shown = {g for g in RATER_GROUPS if n[g] >= k}
    if rules.boss_exempt and n["boss"] >= 1:
        shown.add("boss")

    def remainder() -> int:
        return sum(n[g] for g in RATER_GROUPS if g not in shown)

    while shown and 0 < remainder() < k:
        # the smallest first, the boss group last; a tie to the first in RATER_GROUPS
        pooled = min(shown, key=lambda g: (g == "boss", n[g], RATER_GROUPS.index(g)))
        shown.remove(pooled)
    return Verdict(
        shown=frozenset(shown),
        other_n=remainder(),
        show_other=remainder() >= k,
        show_others=sum(n.values()) >= k,
    )


def category(gap: float, rwg: float, others_mean: float, rules: Rules) -> str:
    """The item category, tested in the order docs/analysis.md lists them."""
    t, r = rules.gap_threshold, rules.agreement_threshold
    if math.isnan(gap):
        return "not enough data"
    agree = not math.isnan(rwg) and rwg >= r - TOLERANCE
    if gap >= t - TOLERANCE and agree:
        return "blind spot"
    if gap <= -t + TOLERANCE and agree:
        return "hidden strength"
    if abs(gap) >= t - TOLERANCE:
        return "others disagree"  # rwg < R
    if others_mean >= rules.high - TOLERANCE:
        return "agreed strength"
    if others_mean <= rules.low + TOLERANCE:
        return "agreed development area"
    return "aligned"


def rwg(scores: pd.Series, rules: Rules) -> float:
    """1 - s^2 / sigma^2_EU, clipped to [0, 1]; undefined below 2 scores."""
    if len(scores) < 2:
        return math.nan
    return min(1.0, max(0.0, 1 - scores.var(ddof=1) / rules.uniform_variance))


def _nearest_point(score: float) -> int:
    """A score between two points counts at the nearer one, halves up."""
    return math.floor(score + 0.5)


def _unit_figures(unit: pd.DataFrame, rules: Rules) -> dict[str, object]:
    """Every figure of one coachee x unit: ``unit`` holds its ratings (group, score)."""
    answered = unit.dropna(subset=["score"])
    mine = answered.loc[answered["group"] == "self", "score"]
    others = answered[answered["group"] != "self"]
    scores = others["score"]
    by_group = {g: others.loc[others["group"] == g, "score"] for g in RATER_GROUPS}
    verdict = reference_guard({g: len(s) for g, s in by_group.items()}, rules)
    hide = not verdict.show_others
    nan = math.nan
    row: dict[str, object] = {"self": mine.iloc[0] if len(mine) else nan}
    row["others_mean"] = nan if hide else scores.mean()
    row["others_n"] = pd.NA if hide else len(scores)
    row["others_sd"] = nan if hide or len(scores) < 2 else scores.std(ddof=1)
    row["others_min"] = nan if hide else scores.min()
    row["others_max"] = nan if hide else scores.max()
    points = scores.map(_nearest_point).clip(1, rules.scale_points)
    for s in range(1, rules.scale_points + 1):
        row[f"count_{s}"] = pd.NA if hide else int((points == s).sum())
    row["gap"] = row["self"] - row["others_mean"]
    row["rwg"] = nan if hide else rwg(scores, rules)
    row["category"] = category(row["gap"], row["rwg"], row["others_mean"], rules)
    for g in RATER_GROUPS:
        shown = g in verdict.shown
        row[f"{g}_mean"] = by_group[g].mean() if shown else nan
        row[f"{g}_n"] = len(by_group[g]) if shown else pd.NA
    pooled = scores[~others["group"].isin(verdict.shown)]
    row["other_mean"] = pooled.mean() if verdict.show_other else nan
    row["other_n"] = verdict.other_n if verdict.show_other else pd.NA
    return row


def _with_coachee(ratings: pd.DataFrame) -> pd.DataFrame:
    ratings = ratings.copy()
    if "coachee_id" not in ratings.columns:
        ratings["coachee_id"] = "1"
    for name in ("coachee_id", "rater_id", "group", "item_key", "competency"):
        if name in ratings.columns:
            ratings[name] = ratings[name].astype(str)
    return ratings


def _table(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """The rows as a gap table with the engine's dtypes."""
    table = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if name in ("coachee_id", "competency", "item_key", "category"):
            table[name] = table[name].astype("str")
        elif name.endswith("_n") or name.startswith("count_"):
            table[name] = table[name].astype("Int64")
        else:
            table[name] = table[name].astype(float)
    return table


def _in_order(frame: pd.DataFrame, ratings: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Coachees, then units, each in order of first appearance in ``ratings``."""
    coachee_at = {c: i for i, c in enumerate(pd.unique(ratings["coachee_id"]))}
    unit_at = {u: i for i, u in enumerate(pd.unique(ratings[unit]))}
    position = frame["coachee_id"].map(coachee_at) * len(unit_at) + frame[unit].map(unit_at)
    order = np.argsort(position.to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def reference_item_stats(ratings: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The gap table of :func:`feedback.analysis.item_stats`, the slow way."""
    ratings = _with_coachee(ratings)
    rows = []
    for (coachee, item), unit in ratings.groupby(["coachee_id", "item_key"], sort=False):
        head = {"coachee_id": coachee, "competency": unit["competency"].iloc[0], "item_key": item}
        rows.append(head | _unit_figures(unit, rules))
    table = _table(rows, stat_columns("item_key", rules))
    return _in_order(table, ratings, "item_key")


def rater_competency_scores(ratings: pd.DataFrame) -> pd.DataFrame:
    """Each rater's competency score: the mean of the competency's items they answered,
    counted only when they answered at least half of its items (those that appear for
    the coachee)."""
    ratings = _with_coachee(ratings)
    items = ratings.groupby(["coachee_id", "competency"])["item_key"].nunique()
    rows = []
    keys = ["coachee_id", "rater_id", "competency"]
    for (coachee, rater, competency), own in ratings.groupby(keys, sort=False):
        answered = own["score"].dropna()
        enough = len(answered) > 0 and 2 * len(answered) >= items[(coachee, competency)]
        score = answered.mean() if enough else math.nan
        rows.append((coachee, rater, own["group"].iloc[0], competency, score))
    return pd.DataFrame(rows, columns=["coachee_id", "rater_id", "group", "competency", "score"])


def reference_competency_stats(ratings: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The table of :func:`feedback.analysis.competency_stats`, the slow way: the item
    figures over each rater's competency score."""
    scores = rater_competency_scores(ratings)
    rows = []
    for (coachee, competency), unit in scores.groupby(["coachee_id", "competency"], sort=False):
        rows.append({"coachee_id": coachee, "competency": competency} | _unit_figures(unit, rules))
    table = _table(rows, stat_columns("", rules))
    return _in_order(table, _with_coachee(ratings), "competency")


def rwg_j(mean_variance: float, items: int, rules: Rules) -> float:
    """rwg(J) (James, Demaree & Wolf 1984) of J items from the mean of their variances:
    J (1 - s^2/sigma^2) / (J (1 - s^2/sigma^2) + s^2/sigma^2), clipped to [0, 1]."""
    if items == 0 or math.isnan(mean_variance):
        return math.nan
    ratio = min(mean_variance / rules.uniform_variance, 1.0)  # beyond chance: no agreement
    agreement = items * (1 - ratio)
    return agreement / (agreement + ratio)


def design_competency_stats(items: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The competency table as docs/analysis.md ("Above the item level") describes it,
    from an item table the guard has been applied to, and from nothing else.

    For each coachee x competency of J items and each group (and others pooled): the
    items where the group is shown; the group's figure is shown only when that is at
    least half of the J items. Its mean is the mean of the answers on those items (from
    their counts and means), n the number of those answers, the spread the pooled
    within-item variance, min and max the extremes, counts the sums; agreement is
    rwg(J) from the mean of the shown items' variances. self is the mean of the self
    scores, under the same half-of-the-items rule.
    """
    rows = []
    for (coachee, competency), unit in items.groupby(["coachee_id", "competency"], sort=False):
        half = len(unit) / 2
        row: dict[str, object] = {"coachee_id": coachee, "competency": competency}
        mine = unit["self"].dropna()
        row["self"] = mine.mean() if len(mine) and len(mine) >= half else math.nan
        shown = unit[unit["others_mean"].notna()]
        visible = len(shown) > 0 and len(shown) >= half
        n = shown["others_n"].astype(float)
        variance = shown["others_sd"].astype(float) ** 2
        row["others_mean"] = (shown["others_mean"] * n).sum() / n.sum() if visible else math.nan
        row["others_n"] = int(n.sum()) if visible else pd.NA
        pooled = ((n - 1) * variance).sum() / (n - 1).sum() if visible else math.nan
        row["others_sd"] = math.sqrt(pooled) if visible else math.nan
        row["others_min"] = shown["others_min"].min() if visible else math.nan
        row["others_max"] = shown["others_max"].max() if visible else math.nan
        for s in range(1, rules.scale_points + 1):
            row[f"count_{s}"] = int(shown[f"count_{s}"].sum()) if visible else pd.NA
        row["gap"] = row["self"] - row["others_mean"]
        row["rwg"] = rwg_j(variance.mean(), len(shown), rules) if visible else math.nan
        row["category"] = category(row["gap"], row["rwg"], row["others_mean"], rules)
        for g in SHOWN_GROUPS:
            seen = unit[unit[f"{g}_mean"].notna()]
            if len(seen) and len(seen) >= half:
                answers = seen[f"{g}_n"].astype(float)
                row[f"{g}_mean"] = (seen[f"{g}_mean"] * answers).sum() / answers.sum()
                row[f"{g}_n"] = int(answers.sum())
            else:
                row[f"{g}_mean"], row[f"{g}_n"] = math.nan, pd.NA
        rows.append(row)
    return _table(rows, stat_columns("", rules))
