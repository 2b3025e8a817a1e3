"""The reference for the rater submit benchmark: a bare Flask route doing one SELECT
and one INSERT, one commit per request, on a SQLite file (WAL, the app's pragmas) or on
the app's PostgreSQL database (tables of its own, ``ref_``). For bench/flow, a GET on
the same address reads the items with one SELECT and answers a bare form (one radio
group per item, a random token in a hidden field), built with string joins.

Served by ``gunicorn -w 2 reference:app`` from this folder; the database URL comes from
``BENCH_REFERENCE_DB`` and must have been prepared with :func:`create_schema`.
"""

import html
import os
import secrets
import sqlite3

from flask import Flask, request
from sqlalchemy import create_engine, event, text

SCHEMA = {
    "sqlite": (
        "CREATE TABLE ref_items (id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL)",
        "CREATE TABLE ref_answers (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL "
        "REFERENCES ref_items (id), score INTEGER)",
    ),
    "postgresql": (
        "CREATE TABLE ref_items (id SERIAL PRIMARY KEY, key TEXT UNIQUE NOT NULL)",
        "CREATE TABLE ref_answers (id SERIAL PRIMARY KEY, item_id INTEGER NOT NULL "
        "REFERENCES ref_items (id), score INTEGER)",
    ),
}


def make_engine(url: str):
    """A SQLAlchemy engine on ``url``, with the pragmas the app sets on SQLite."""
    engine = create_engine(url)
    if engine.dialect.name != "sqlite":
        return engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def create_schema(url: str, items: int = 35) -> None:
    """Create the two tables and ``items`` rows to select from."""
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in SCHEMA[engine.dialect.name]:
            connection.execute(text(statement))
        connection.execute(
            text("INSERT INTO ref_items (key) VALUES (:key)"),
            [{"key": f"item_{n}"} for n in range(items)],
        )
    engine.dispose()


app = Flask(__name__)
_engine = make_engine(os.environ.get("BENCH_REFERENCE_DB", "sqlite:///reference.sqlite3"))


@app.post("/ref/<token>/")
def answer(token: str):
    """Read one item by key, insert one answer, commit; the token is ignored."""
    key = request.form.get("key", "item_0")
    with _engine.begin() as connection:
        item_id = connection.execute(
            text("SELECT id FROM ref_items WHERE key = :key"), {"key": key}
        ).scalar_one()
        connection.execute(
            text("INSERT INTO ref_answers (item_id, score) VALUES (:item, :score)"),
            {"item": item_id, "score": int(request.form.get("score", "3"))},
        )
    return "ok\n"


@app.get("/ref/<token>/")
def form(token: str):
    """Read every item with one SELECT and answer a bare form for them."""
    with _engine.connect() as connection:
        keys = connection.execute(text("SELECT key FROM ref_items ORDER BY id")).scalars().all()
    rows = "".join(
        f"<fieldset><legend>{html.escape(key)}</legend>"
        + "".join(f'<input type="radio" name="item-{key}" value="{v}">' for v in "12345")
        + "</fieldset>"
        for key in keys
    )
    return (
        "<!doctype html><form method=post>"
        f'<input type="hidden" name="csrf_token" value="{secrets.token_urlsafe(16)}">'
        f"{rows}<button>Send</button></form>"
    )
