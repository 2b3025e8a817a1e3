"""Engine settings, the one-commit-per-request rule, telling a database that is away
from a statement that failed, and SQLite files that keep no erased text.

Connections to a database server are checked before use, so a connection that a
restart cut is replaced instead of failing a request: psycopg's by a look at their
socket (:func:`_drop_a_connection_the_server_closed`), other drivers' with
SQLAlchemy's ``pool_pre_ping`` (set in :func:`feedback.settings.init_app`).
A PostgreSQL connection is given up after :data:`CONNECT_TIMEOUT` seconds
(:data:`PROBE_CONNECT_TIMEOUT` for the health check's probe), so a database that does
not answer costs a request seconds, not the minutes of a TCP timeout.
:func:`unreachable` tells the errors of a database that cannot be reached (refused,
restarting, the connection lost) from the others; the web layer answers those with a
503 (:mod:`feedback.web.unavailable`). :func:`claim_rows` is how workers share a queue
(the outbox, the webhooks' deliveries) without two of them taking one row.

On SQLite every connection has ``secure_delete`` on (deleted and overwritten content is
zeroed in the database file) and a ``journal_size_limit``; a closed cycle's drafts are
also flushed out of the write-ahead log: :func:`erase_old_versions_after_commit` asks
for a truncating checkpoint once the transaction that closed the cycle has committed.
"""

import logging
import sqlite3
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, TypeVar

try:
    import fcntl
except ImportError:  # not on Windows: no line for SQLite's writers there
    fcntl = None
try:
    from select import POLLIN, poll
except ImportError:  # not on Windows: pooled connections are checked with a query there
    poll = None

from flask import Flask
from sqlalchemy import ColumnElement, event, exc, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from .errors import NotFound
from .extensions import db

Row = TypeVar("Row")

#: Milliseconds a SQLite writer waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 5000
#: Bytes of write-ahead log kept after a checkpoint resets it (the rest is truncated).
SQLITE_JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024
#: Pages of write-ahead log after which a commit runs SQLite's automatic checkpoint
#: (SQLite's own default is 1,000). With 4 KiB pages, 900 pages and their frame
#: headers fit under :data:`SQLITE_JOURNAL_SIZE_LIMIT`, so the log starts again from
#: its beginning in the file it has, instead of being cut to the limit and grown again
#: after every checkpoint, a few times a minute under raters' submits (bench/README.md,
#: "The write-ahead log's size").
SQLITE_AUTOCHECKPOINT_PAGES = 900
_CHECKPOINT_WANTED = "wal_checkpoint_after_commit"
#: Where a session keeps its place in the line of a SQLite file's writers (the open
#: lock file), from :func:`wait_in_line_to_write` to the transaction's end.
_PLACE_IN_LINE = "sqlite_writers_line"
#: Added to a SQLite file's name for the file its writers line up on.
WRITERS_LINE_SUFFIX = "-writers"
#: Seconds to wait for PostgreSQL to accept a new connection (unless the URL says
#: ``connect_timeout``): a database host that does not answer fails the request soon.
CONNECT_TIMEOUT = 5
#: The same for the health check's probe, which must answer quickly (libpq's least is 2).
PROBE_CONNECT_TIMEOUT = 2
_probing = ContextVar("database_probing", default=False)
log = logging.getLogger(__name__)


@event.listens_for(Engine, "do_connect")
def _bounded_connect(dialect, _record, _cargs, cparams) -> None:
    """Give every new PostgreSQL connection a connect timeout: :data:`CONNECT_TIMEOUT`
    unless the URL sets one, and never more than :data:`PROBE_CONNECT_TIMEOUT` for the
    health check's probe."""
    if dialect.name != "postgresql":
        return
    given = cparams.get("connect_timeout")
    timeout = CONNECT_TIMEOUT if given is None else int(given)
    if _probing.get():
        timeout = min(timeout, PROBE_CONNECT_TIMEOUT)
    cparams["connect_timeout"] = timeout


def sees_closed_connections(driver: str) -> bool:
    """Whether a pooled connection of ``driver`` (``psycopg``) that the server closed is
    told, before it is lent, without a query (:func:`_drop_a_connection_the_server_closed`);
    the other drivers of a database server need ``pool_pre_ping``."""
    return driver == "psycopg" and poll is not None


@event.listens_for(Pool, "checkout")
def _drop_a_connection_the_server_closed(dbapi_connection, _record, _proxy) -> None:
    """Before a pooled psycopg connection is lent: when its socket has something to read
    while no query runs, the server has closed it (PostgreSQL says why, a restart or
    an administrator, then hangs up), and the pool opens a new one instead. One
    ``poll()`` without waiting, where ``pool_pre_ping``'s ``SELECT 1`` costs a round
    trip to the server on every request (bench/README.md, "A connection checked
    without a query")."""
    if poll is None or type(dbapi_connection).__module__.partition(".")[0] != "psycopg":
        return
    try:
        socket = dbapi_connection.fileno()
    except Exception as error:  # psycopg's own error: the connection is closed already
        raise exc.DisconnectionError(str(error)) from error
    poller = poll()
    poller.register(socket, POLLIN)
    if poller.poll(0):
        raise exc.DisconnectionError("the database server closed this connection")


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached — down, restarting,
    refusing connections, the connection lost mid-request, no pooled connection free —
    rather than that a statement failed (a constraint, a syntax error, a lock
    timeout), which stays an error of the code or the data."""
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:  # the driver saw the connection drop
            return True
        # No statement: it failed while connecting (refused, starting up, no such file).
        return error.statement is None and isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    return isinstance(error, exc.DisconnectionError | exc.TimeoutError)


def database_answers() -> bool:
    """Whether the database answers ``SELECT 1`` now, on a pooled connection (checked
    before use) or a new one given at most :data:`PROBE_CONNECT_TIMEOUT` seconds. Uses
    no ORM session, so it holds no transaction and waits on no lock."""
    probing = _probing.set(True)
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.SQLAlchemyError as error:
        log.warning("the database does not answer: %s", describe(error))
        return False
    finally:
        _probing.reset(probing)
    return True


def describe(error: BaseException) -> str:
    """A one-line account of a database error for a log: the driver's class and the
    first line of its message, without the statement or its parameters."""
    origin = getattr(error, "orig", None) or error
    lines = str(origin).strip().splitlines()
    return f"{type(origin).__name__}: {lines[0] if lines else ''}"


@event.listens_for(Engine, "connect")
def configure_sqlite(dbapi_connection, _record) -> None:
    """Turn on WAL, foreign keys, a busy timeout, zeroing of deleted content, a limit
    on the size the write-ahead log keeps and a checkpoint before the log reaches it,
    for every SQLite connection."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute(f"PRAGMA journal_size_limit={SQLITE_JOURNAL_SIZE_LIMIT}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
    cursor.close()


def drop_pooled_connections(app: Flask, *, close: bool) -> None:
    """Empty the connection pools of ``app``'s engines. ``close=True`` closes the
    connections (a process about to fork, so that no child inherits a live one);
    ``close=False`` only forgets them (a forked child, where they are the parent's:
    closing them would end the parent's sessions)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=close)


def wait_in_line_to_write() -> None:
    """On a SQLite file, wait for this request's turn among the processes about to write
    to it, and keep the turn until the session's transaction ends (its commit or
    rollback). Call it just before a short transaction's first write, with everything it
    writes already at hand. Nothing on other databases, on a database in memory, or
    where ``fcntl`` is missing.

    SQLite lets one writer in at a time; one that finds another writing sleeps (1 ms,
    then 2, then 5: SQLite's busy handler) and tries again, a long wait next to a
    rater's submit of about 2 ms, so with two gunicorn workers a tenth of the submits'
    throughput went to sleeping (bench/README.md, "Issue 21, third session: submit").
    Here a writer waits on an exclusive ``flock`` on a file beside the database
    (:data:`WRITERS_LINE_SUFFIX`), and the kernel wakes it as soon as the one before it
    is done. The line only spares the sleeps: SQLite's own locking still decides who
    writes, and a writer that does not line up is served as before."""
    session = db.session()
    if fcntl is None or _PLACE_IN_LINE in session.info:
        return
    bind = session.get_bind()
    path = bind.url.database if bind.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        place = open(path + WRITERS_LINE_SUFFIX, "ab")  # noqa: SIM115 (closed at the end)
    except OSError as error:  # a folder it cannot write in: no line, SQLite still locks
        log.warning("no line for the database's writers: %s", error)
        return
    session.connection()  # the transaction whose end gives the turn back
    try:
        fcntl.flock(place, fcntl.LOCK_EX)
    except BaseException:
        place.close()
        raise
    session.info[_PLACE_IN_LINE] = place


@event.listens_for(Session, "after_transaction_end")
def _leave_the_line(session: Session, transaction) -> None:
    """The session's transaction ended: give the writers' line its turn back (closing
    the lock file releases the ``flock``)."""
    if transaction.parent is None:
        place = session.info.pop(_PLACE_IN_LINE, None)
        if place is not None:
            place.close()


def commit() -> None:
    """Commit the request's unit of work. Views call this once, after their services."""
    db.session.commit()


def owned_row(model: type[Row], row_id: int, belongs: Callable[[Row], bool], what: str) -> Row:
    """The ``model`` row of id ``row_id`` when ``belongs(row)`` says it is the asker's;
    raises NotFound (``"no {what} {row_id}"``) otherwise, so that another coach's data
    looks exactly like data that does not exist. The one lookup behind every
    ``*_of(owner, id)`` service."""
    row = db.session.get(model, row_id)
    if row is None or not belongs(row):
        raise NotFound(f"no {what} {row_id}")
    return row


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


def claim_rows(
    model: type, conditions: Sequence[ColumnElement[bool]], *, limit: int, values: dict[str, Any]
) -> list[int]:
    """Set ``values`` (a claim and its lease) on up to ``limit`` rows of ``model`` that
    meet ``conditions``, oldest id first, and commit, so that no other worker takes
    them; returns their ids. The outbox's sender and the webhooks' deliverer claim
    their work this way, and their ``conditions`` must exclude a row claimed and not
    yet expired (typically: due, where a claim pushes the due time past its lease).

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` locks rows no other worker holds,
    then they are updated in the same transaction. (Not one ``UPDATE … WHERE id IN
    (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)``: the planner may run that subquery once
    per row and claim far more than ``n``.) SQLite: one ``UPDATE … WHERE id IN
    (SELECT … LIMIT n)``, which runs under SQLite's single write lock, so a worker that
    loses a race takes the next rows instead of none. Either way the conditions are
    checked again on the rows updated, so two workers never claim one row.
    """
    pk = model.id
    wanted = select(pk).where(*conditions).order_by(pk).limit(limit)
    if db.engine.dialect.name == "postgresql":
        ids = list(db.session.scalars(wanted.with_for_update(skip_locked=True)))
        if not ids:
            db.session.rollback()
            return []
        chosen = pk.in_(ids)
    else:
        chosen = pk.in_(wanted.scalar_subquery())
    claimed = db.session.scalars(
        update(model)
        .where(chosen, *conditions)
        .values(**values)
        .returning(pk)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)
