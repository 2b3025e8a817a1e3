"""The reference for the rater submit benchmark: a bare Flask route doing one SELECT
and one INSERT on a SQLite file (WAL, the app's pragmas), one commit per request.

Served by ``gunicorn -w 2 reference:app`` from this folder; the database file comes from
``BENCH_REFERENCE_DB`` and must have been made with :func:`create_schema`.
"""

import os
import sqlite3

from flask import Flask, request
from sqlalchemy import create_engine, event, text

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL)",
    "CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL "
    "REFERENCES items (id), score INTEGER)",
)


def make_engine(path: str):
    """A SQLAlchemy engine on ``path`` with the pragmas the app sets on SQLite."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_schema(path: str, items: int = 35) -> None:
    """Create the two tables and ``items`` rows to select from."""
    engine = make_engine(path)
    with engine.begin() as connection:
        for statement in SCHEMA:
            connection.execute(text(statement))
        connection.execute(
            text("INSERT INTO items (key) VALUES (:key)"),
            [{"key": f"item_{n}"} for n in range(items)],
        )
    engine.dispose()


app = Flask(__name__)
_engine = make_engine(os.environ.get("BENCH_REFERENCE_DB", "reference.sqlite3"))


@app.post("/ref/<token>/")
def answer(token: str):
    """Read one item by key, insert one answer, commit; the token is ignored."""
    key = request.form.get("key", "item_0")
    with _engine.begin() as connection:
        item_id = connection.execute(
            text("SELECT id FROM items WHERE key = :key"), {"key": key}
        ).scalar_one()
        connection.execute(
            text("INSERT INTO answers (item_id, score) VALUES (:item, :score)"),
            {"item": item_id, "score": int(request.form.get("score", "3"))},
        )
    return "ok\n"
