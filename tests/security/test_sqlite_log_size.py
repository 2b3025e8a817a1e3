"""SQLite's write-ahead log is checkpointed before it outgrows the size it keeps, so
under a steady stream of writes the log starts again inside the file it has instead of
being cut back and grown again after every checkpoint."""

import os
from pathlib import Path

from sqlalchemy import text

from feedback import database
from feedback.extensions import db


def test_every_connection_checkpoints_at_the_set_number_of_pages(app, sqlite_file):
    with app.app_context():
        pages = db.session.scalar(text("PRAGMA wal_autocheckpoint"))
        assert pages == database.SQLITE_AUTOCHECKPOINT_PAGES


def test_the_log_stays_under_its_size_limit_through_many_checkpoints(app, sqlite_file):
    """Writes of about four times the checkpoint's number of pages: the log is reset
    several times and its file never grows past the limit (past it, each reset would
    cut it back, and the next writes would grow it again)."""
    wal = Path(f"{sqlite_file}-wal")
    row = os.urandom(1500).hex()  # two rows a page
    largest = 0
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE log_size_probe (body TEXT)")
        for _ in range(4 * database.SQLITE_AUTOCHECKPOINT_PAGES // 10):
            with db.engine.begin() as connection:
                connection.exec_driver_sql(
                    "INSERT INTO log_size_probe (body) VALUES (?)", [(row,)] * 20
                )
            largest = max(largest, wal.stat().st_size)
        page_size = db.session.scalar(text("PRAGMA page_size"))
    # The log did reach a checkpoint's worth of pages ...
    assert largest >= database.SQLITE_AUTOCHECKPOINT_PAGES * page_size
    # ... and never more than the size it keeps.
    assert largest <= database.SQLITE_JOURNAL_SIZE_LIMIT
