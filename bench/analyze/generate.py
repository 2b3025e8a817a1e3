"""Generate a cohort ratings CSV for the ``feedback analyze`` benchmark.

Defaults: 16,000 coachees x 15 raters (1 self + 14 others over boss, peer,
subordinate, partner) x 40 items = 9.6 million rows, about 400 MB, written to
bench/data/cohort.csv (git-ignored). Scores come from a simple model so that gaps,
agreement and "Don't know" look like real 360s: a coachee level, an item effect, rater
leniency, a self bias and noise, rounded to 1..5; each rater skips a few items.

    python bench/analyze/generate.py [--coachees N] [--items N] [--output PATH] [--seed S]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

GROUPS = ("self", "boss", "peer", "subordinate", "partner")
COMPETENCIES = (
    "communication",
    "leadership",
    "collaboration",
    "results",
    "strategy",
    "development",
    "integrity",
    "adaptability",
)
RATERS = 15
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "data" / "cohort.csv"


def group_sizes(rng: np.random.Generator, coachees: int) -> np.ndarray:
    """(coachees, 5) raters per group: one self, one or two bosses, the rest of the 14
    others spread over peers, subordinates and partners (some have none of a kind)."""
    bosses = 1 + (rng.random(coachees) < 0.1)
    rest = RATERS - 1 - bosses
    shares = rng.dirichlet((2.0, 1.5, 0.8), size=coachees)
    spread = np.array([rng.multinomial(n, p) for n, p in zip(rest, shares, strict=True)])
    return np.column_stack([np.ones(coachees, dtype=np.int64), bosses, spread])


def chunk(rng: np.random.Generator, first: int, coachees: int, items: int) -> pa.Table:
    """The rows of coachees first .. first + coachees - 1 as an Arrow table."""
    sizes = group_sizes(rng, coachees)
    group_of_rater = np.concatenate([np.repeat(np.arange(5), row) for row in sizes])
    coachee_of_rater = np.repeat(np.arange(coachees), RATERS)
    n_raters = coachees * RATERS
    level = rng.normal(3.6, 0.45, coachees)
    self_bias = rng.normal(0.2, 0.5, coachees)
    item_effect = rng.normal(0.0, 0.35, items)
    leniency = rng.normal(0.0, 0.4, n_raters)
    skip_rate = rng.beta(1.0, 14.0, n_raters)
    base = (
        level[coachee_of_rater]
        + leniency
        + np.where(group_of_rater == 0, self_bias[coachee_of_rater], 0.0)
    )
    raw = base[:, None] + item_effect[None, :] + rng.normal(0.0, 0.7, (n_raters, items))
    score = np.clip(np.rint(raw), 1, 5).astype(np.int8).reshape(-1)
    dont_know = (rng.random((n_raters, items)) < skip_rate[:, None]).reshape(-1)
    rater_number = first * RATERS + np.arange(n_raters)
    coachee_ids = np.char.add("C", np.char.zfill((first + coachee_of_rater).astype(str), 6))
    rater_ids = np.char.add("R", np.char.zfill(rater_number.astype(str), 7))
    item_keys = np.array([f"q{i + 1:02d}" for i in range(items)])
    competency = np.array([COMPETENCIES[i * len(COMPETENCIES) // items] for i in range(items)])

    def repeat_raters(values: np.ndarray) -> pa.Array:
        return pa.array(np.repeat(values, items))

    def tile_items(values: np.ndarray) -> pa.Array:
        return pa.array(np.tile(values, n_raters))

    return pa.table(
        {
            "coachee_id": repeat_raters(coachee_ids),
            "rater_id": repeat_raters(rater_ids),
            "group": repeat_raters(np.array(GROUPS)[group_of_rater]),
            "item_key": tile_items(item_keys),
            "competency": tile_items(competency),
            "score": pa.array(score, mask=dont_know),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coachees", type=int, default=16_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--seed", type=int, default=360)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    options = pa_csv.WriteOptions(quoting_style="none")
    step = 1000
    schema = chunk(rng, 0, 1, args.items).schema
    with pa_csv.CSVWriter(args.output, schema, write_options=options) as out:
        for first in range(0, args.coachees, step):
            out.write_table(chunk(rng, first, min(step, args.coachees - first), args.items))
    rows = args.coachees * RATERS * args.items
    size = args.output.stat().st_size
    print(
        f"wrote {rows:,} rows ({size / 1e6:.0f} MB) to {args.output} "
        f"in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
