"""How SQLite's write-ahead log settings change the cost of a rater's submit's rows,
with the bare ``sqlite3`` module in one process (no app, no server): a response and 35
ratings a transaction, with the app's pragmas, on a file already holding 20,000
responses, for each pair of (automatic checkpoint pages, bytes of log kept).

    .venv/bin/python bench/submit/log_settings.py [--transactions 3000]

Prints the wall and CPU time per transaction for each setting, twice, in turn. A
measurement for bench/README.md ("The write-ahead log's size"), with no goal.
"""

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from feedback.database import (
    SQLITE_AUTOCHECKPOINT_PAGES,
    SQLITE_JOURNAL_SIZE_LIMIT,
    configure_sqlite,
)

SETTINGS = (
    (1000, 1024 * 1024),  # SQLite's default checkpoint, the 1 MiB kept before
    (SQLITE_AUTOCHECKPOINT_PAGES, SQLITE_JOURNAL_SIZE_LIMIT),  # the app's settings
    (500, SQLITE_JOURNAL_SIZE_LIMIT),
    (250, SQLITE_JOURNAL_SIZE_LIMIT),
    (0, SQLITE_JOURNAL_SIZE_LIMIT),  # no automatic checkpoint at all: the log grows without end
)


def one_run(folder: Path, pages: int, kept: int, transactions: int) -> tuple[float, float]:
    """Seconds of wall and CPU time per transaction with these settings."""
    connection = sqlite3.connect(folder / f"log-{pages}-{kept}.sqlite3", isolation_level=None)
    configure_sqlite(connection, None)  # the app's pragmas, then the two compared here
    connection.execute(f"PRAGMA wal_autocheckpoint={pages}")
    connection.execute(f"PRAGMA journal_size_limit={kept}")
    connection.execute("CREATE TABLE responses (id TEXT PRIMARY KEY, cycle_id INTEGER)")
    connection.execute(
        "CREATE TABLE ratings (response_id TEXT, item_id INTEGER, score INTEGER,"
        " PRIMARY KEY (response_id, item_id)) WITHOUT ROWID"
    )

    def submits(count: int) -> None:
        for _ in range(count):
            response_id = str(random.getrandbits(62))  # random, as the app's ids are
            connection.execute("BEGIN")
            connection.execute("INSERT INTO responses VALUES (?, 1)", (response_id,))
            connection.executemany(
                "INSERT INTO ratings VALUES (?, ?, ?)",
                [(response_id, item, 3) for item in range(35)],
            )
            connection.execute("COMMIT")

    submits(20_000)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall, cpu = time.perf_counter(), time.process_time()
    submits(transactions)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    connection.close()
    return wall / transactions, cpu / transactions


def main() -> int:
    """Time each setting twice, in turn."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=3000)
    args = parser.parse_args()
    if not 100 <= args.transactions <= 100_000:
        parser.error("use 100 to 100,000 transactions")
    for attempt in (1, 2):
        for pages, kept in SETTINGS:
            with tempfile.TemporaryDirectory(prefix="bench-log-") as folder:
                wall, cpu = one_run(Path(folder), pages, kept, args.transactions)
            checkpoint = f"checkpoint every {pages} pages" if pages else "no checkpoint"
            print(
                f"run {attempt}: {checkpoint}, {kept // 1024} KiB kept: "
                f"wall {1000 * wall:.3f} ms, CPU {1000 * cpu:.3f} ms a transaction"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
