"""Engine settings, the one-commit-per-request rule, and SQLite files that keep no
erased text.

On SQLite every connection has ``secure_delete`` on (deleted and overwritten content is
zeroed in the database file) and a ``journal_size_limit``; a closed cycle's drafts are
also flushed out of the write-ahead log: :func:`erase_old_versions_after_commit` asks
for a truncating checkpoint once the transaction that closed the cycle has committed.
"""

import logging
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .extensions import db

#: Milliseconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000
#: Bytes of write-ahead log kept after a checkpoint resets it (the rest is truncated).
SQLITE_JOURNAL_SIZE_LIMIT = 1024 * 1024
_CHECKPOINT_WANTED = "wal_checkpoint_after_commit"
log = logging.getLogger(__name__)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """Turn on WAL, foreign keys, a busy timeout, zeroing of deleted content and a limit
    on the size the write-ahead log keeps, for every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
    cursor.close()


def commit() -> None:
    """Commit the request's unit of work. Views call this once, after their services."""
    db.session.commit()


def erase_old_versions_after_commit() -> None:
    """Once the current transaction commits, copy SQLite's write-ahead log into the
    database file and truncate it (``wal_checkpoint(TRUNCATE)``), so old row versions
    (a rater's email beside their draft) leave the log; with ``secure_delete`` the
    copied pages carry no erased text either. Nothing on PostgreSQL, whose WAL is the
    server's (README, Security)."""
    if db.engine.dialect.name == "sqlite":
        db.session.info[_CHECKPOINT_WANTED] = True


@event.listens_for(Session, "after_commit")
def _checkpoint_if_wanted(session: Session) -> None:
    if not session.info.pop(_CHECKPOINT_WANTED, False):
        return
    engine = session.get_bind()
    with engine.connect() as connection:
        busy, _log_frames, _copied = connection.exec_driver_sql(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        ).one()
    if busy:
        # A reader held the log; the next truncating checkpoint (the next close) or
        # SQLite's own when the log is reset finishes the job.
        log.warning("the write-ahead log could not be truncated now; a reader held it")


@event.listens_for(Session, "after_rollback")
def _no_checkpoint_after_rollback(session: Session) -> None:
    session.info.pop(_CHECKPOINT_WANTED, None)
