"""Time ``feedback analyze`` against DuckDB on the same cohort CSV, in one run.

Both run as child processes, one after the other, in each of ``--rounds`` rounds:

- ``feedback analyze COHORT.csv --output GAPS.csv``: the click command of the console
  script, run in a fresh Python (``--console-script`` runs the ``feedback`` script
  itself): reading and checking the file, every figure of the gap table, the anonymity
  guard, categories, the gap CSV.
- DuckDB (``duckdb`` Python package, all cores) reading the same CSV and writing, per
  coachee x item, the self score, others' mean, n, sd, counts of each score, each
  group's mean and n, and the gap: the same figures without the guard and categories.

Peak memory is each child's maximum resident set size (``os.wait4``). The ratio that
counts is the larger of best time over best time and the median over the rounds of
(feedback analyze's time / DuckDB's time in the same round). Exits 1 when
feedback analyze takes more than ``--max-ratio`` (1.5, issue 21; it was 2.5) times
DuckDB's time or peaks at ``--max-memory-gb`` (2, issue 21; it was 4) or more; exits 2
when a child fails or times out. At the end the two outputs are compared on the figures
both have, as a sanity check.

    python bench/analyze/run.py [--input bench/data/cohort.csv] [--rounds 3]

Generate the input first with ``python bench/analyze/generate.py``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

HERE = Path(__file__).resolve().parent
DEFAULT_INPUT = HERE.parent / "data" / "cohort.csv"
TIMEOUT_SECONDS = 600

DUCKDB_SCRIPT = """
import sys
import duckdb

source, target = sys.argv[1], sys.argv[2]
others = "\\"group\\" <> 'self'"
groups = ("boss", "peer", "subordinate", "partner")
per_group = ",\\n".join(
    f"avg(score) FILTER (WHERE \\"group\\" = '{g}') AS {g}_mean, "
    f"count(score) FILTER (WHERE \\"group\\" = '{g}') AS {g}_n"
    for g in groups
)
counts = ",\\n".join(
    f"count(*) FILTER (WHERE {others} AND score = {s}) AS count_{s}" for s in range(1, 6)
)
query = f'''
COPY (
    SELECT
        coachee_id,
        any_value(competency) AS competency,
        item_key,
        max(score) FILTER (WHERE "group" = 'self') AS self,
        avg(score) FILTER (WHERE {others}) AS others_mean,
        count(score) FILTER (WHERE {others}) AS others_n,
        stddev_samp(score) FILTER (WHERE {others}) AS others_sd,
        min(score) FILTER (WHERE {others}) AS others_min,
        max(score) FILTER (WHERE {others}) AS others_max,
        {counts},
        self - others_mean AS gap,
        {per_group}
    FROM read_csv(?, header = true, nullstr = ['', 'na'],
                  columns = {{'coachee_id': 'VARCHAR', 'rater_id': 'VARCHAR',
                             'group': 'VARCHAR', 'item_key': 'VARCHAR',
                             'competency': 'VARCHAR', 'score': 'DOUBLE'}})
    GROUP BY coachee_id, item_key
) TO '{target}' (HEADER, DELIMITER ',')
'''
duckdb.execute("SET enable_progress_bar = false")
duckdb.execute(query, [source])
"""

COMPARE_SCRIPT = """
import sys
import duckdb

ours, theirs = sys.argv[1], sys.argv[2]
duckdb.execute("SET enable_progress_bar = false")
row = duckdb.execute(f'''
    SELECT count(*) AS matched,
           count(*) FILTER (WHERE abs(o.others_mean - t.others_mean) > 1e-3) AS mean_off,
           count(*) FILTER (WHERE o.others_n <> t.others_n) AS n_off,
           count(*) FILTER (WHERE abs(o.gap - t.gap) > 1e-3) AS gap_off,
           (SELECT count(*) FROM read_csv('{ours}')) AS our_rows,
           (SELECT count(*) FROM read_csv('{theirs}')) AS their_rows
    FROM read_csv('{ours}') o
    JOIN read_csv('{theirs}') t USING (coachee_id, item_key)
''').fetchone()
print("compared: %d pairs matched; others_mean differs on %d, others_n on %d, gap on %d; "
      "rows: ours %d, DuckDB %d" % row)
sys.exit(0 if row[1] == row[2] == row[3] == 0 and row[4] == row[5] else 1)
"""


@dataclass(frozen=True)
class Measure:
    """One child run: wall-clock seconds, CPU seconds (user + system), peak resident
    memory in bytes."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int


def run_child(command: list[str], timeout: float) -> Measure:
    """Run a child to the end (killing it after ``timeout``), measuring time and peak
    memory; exit 2 if it fails."""
    with tempfile.TemporaryFile() as errors:
        return _wait(command, timeout, errors)


def _wait(command: list[str], timeout: float, errors: BinaryIO) -> Measure:
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.send_signal(signal.SIGKILL)
            os.wait4(child.pid, 0)
            sys.exit(f"timed out after {timeout:.0f} s: {' '.join(command)}")
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    errors.seek(0)
    stderr = errors.read().decode(errors="replace")
    if child.returncode != 0:
        print(stderr, file=sys.stderr)
        print(f"failed ({child.returncode}): {' '.join(command)}", file=sys.stderr)
        sys.exit(2)
    return Measure(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


def analyze_command(source: Path, target: Path, console_script: bool) -> list[str]:
    """The click command behind ``feedback analyze``, in a fresh Python; or the console
    script itself, which adds the Flask command group's start-up (about half a second)."""
    script = Path(sys.executable).with_name("feedback")
    if console_script and script.exists():
        return [str(script), "analyze", str(source), "--output", str(target)]
    call = "from feedback.cli.analyze import analyze_command; analyze_command()"
    return [sys.executable, "-c", call, str(source), "--output", str(target)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 10))
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--max-memory-gb", type=float, default=2.0)
    parser.add_argument(
        "--console-script",
        action="store_true",
        help="run the feedback console script instead of its click command",
    )
    args = parser.parse_args()
    if not args.input.exists():
        sys.exit(f"{args.input} is missing: run python bench/analyze/generate.py first")
    size_mb = args.input.stat().st_size / 1e6
    print(f"input: {args.input} ({size_mb:.0f} MB)")
    work = Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    try:
        ours_out, duck_out = work / "gaps.csv", work / "duckdb.csv"
        ours: list[Measure] = []
        duck: list[Measure] = []
        for round_number in range(1, args.rounds + 1):
            command = analyze_command(args.input, ours_out, args.console_script)
            ours.append(run_child(command, TIMEOUT_SECONDS))
            duck.append(
                run_child(
                    [sys.executable, "-c", DUCKDB_SCRIPT, str(args.input), str(duck_out)],
                    TIMEOUT_SECONDS,
                )
            )
            print(
                f"round {round_number}: feedback analyze {ours[-1].seconds:.2f} s, "
                f"DuckDB {duck[-1].seconds:.2f} s"
            )
        # Both run back to back in each round, under the same load from whatever else the
        # machine does. Two ratios: the median of the rounds' ratios, and best time over
        # best time; the larger (the less flattering) is the one that counts.
        paired = statistics.median(o.seconds / d.seconds for o, d in zip(ours, duck, strict=True))
        best = min(m.seconds for m in ours) / min(m.seconds for m in duck)
        ratio = max(paired, best)
        cpu_ratio = statistics.median(
            o.cpu_seconds / d.cpu_seconds for o, d in zip(ours, duck, strict=True)
        )
        peak = max(m.peak_bytes for m in ours)
        today = datetime.datetime.now(tz=datetime.UTC).date().isoformat()
        print(f"date: {today}, cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
        for name, runs in (("feedback analyze", ours), ("DuckDB", duck)):
            fastest = min(runs, key=lambda m: m.seconds)
            print(
                f"{name + ':':18s}best {fastest.seconds:.2f} s "
                f"(cpu {fastest.cpu_seconds:.2f} s), "
                f"median {statistics.median(m.seconds for m in runs):.2f} s, "
                f"peak memory {max(m.peak_bytes for m in runs) / 2**30:.2f} GiB"
            )
        print(
            f"ratio: {ratio:.2f} (limit {args.max_ratio}); best/best {best:.2f}, "
            f"median of rounds {paired:.2f}, cpu time {cpu_ratio:.2f}"
        )
        compared = subprocess.run(
            [sys.executable, "-c", COMPARE_SCRIPT, str(ours_out), str(duck_out)],
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = False
    if ratio > args.max_ratio:
        print(f"FAIL: ratio {ratio:.2f} > {args.max_ratio}")
        failed = True
    if peak >= args.max_memory_gb * 2**30:
        print(f"FAIL: peak memory {peak / 2**30:.2f} GiB >= {args.max_memory_gb} GiB")
        failed = True
    if compared.returncode != 0:
        print("FAIL: the two outputs disagree")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
