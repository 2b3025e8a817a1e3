"""Trend: how a coachee's figures moved between two cycles of the same questionnaire.

docs/analysis.md, "Above the item level": "for the same questionnaire in two cycles,
the change of self, others and gap per competency and statement". Both tables are
guarded already, so a hidden figure leaves its change empty.
"""

from __future__ import annotations

import pandas as pd

_FIGURES = ("self", "others_mean", "gap")


def trend(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Compare two gap tables of the same coachee(s): item_stats frames (matched by
    ``coachee_id`` and ``item_key``) or competency_stats frames (matched by
    ``coachee_id`` and ``competency``).

    Returns:
        One row per matched key, in the order of ``after``, then the keys found only in
        ``before``: the key columns (and ``competency`` for items), then for each of
        ``self``, ``others_mean`` and ``gap``: ``<figure>_before``, ``<figure>_after``
        and ``<figure>_change`` (after - before; NaN when either is missing or hidden),
        then ``category_before`` and ``category_after``. A key present in one cycle
        only has NaN (and <NA> categories) for the other.
    """
    by_item = "item_key" in before.columns and "item_key" in after.columns
    keys = ["coachee_id", "item_key"] if by_item else ["coachee_id", "competency"]
    carried = [*_FIGURES, "category"]
    old = before[[*keys, *carried]].rename(columns={c: f"{c}_before" for c in carried})
    new = after[[*keys, *carried]].rename(columns={c: f"{c}_after" for c in carried})
    if by_item:
        old = old.join(before["competency"].rename("competency_before"))
        new = new.join(after["competency"])
    matched = new.merge(old, on=keys, how="left", validate="one_to_one")
    gone = old.merge(new[keys], on=keys, how="left", indicator=True)
    gone = gone[gone["_merge"] == "left_only"].drop(columns="_merge")
    if by_item:
        gone = gone.rename(columns={"competency_before": "competency"})
        matched = matched.drop(columns="competency_before")
    table = pd.concat([matched, gone], ignore_index=True)
    for figure in _FIGURES:
        table[f"{figure}_change"] = table[f"{figure}_after"] - table[f"{figure}_before"]
    columns = ["coachee_id", "competency", *(["item_key"] if by_item else [])]
    for figure in _FIGURES:
        columns += [f"{figure}_before", f"{figure}_after", f"{figure}_change"]
    return table[[*columns, "category_before", "category_after"]]
