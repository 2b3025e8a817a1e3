"""``feedback check``: what a production instance is missing or has wrong, one line per
finding with what to do (README "Running it for real"). Exits 1 when there is any
finding, 0 when there is none; a setting that cannot be used at all exits 2 before
(``feedback.__main__``).

Run it with the settings of the instance (the environment file of ``deploy/``). It
assumes production: a development setup gets findings, which is the point.

How many web processes will serve the app is not something a command in another
process can know; it is read from ``WEB_CONCURRENCY``, which gunicorn reads for its
number of workers and ``deploy/gunicorn.conf.py`` too (2 when it is unset). So
anything but ``WEB_CONCURRENCY=1`` counts as several processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from feedback.extensions import db
from feedback.security import login_guard

#: Shorter than this, or of fewer different characters, a secret key is guessable in
#: principle; token_urlsafe(48) is 64 characters of about 50 different ones.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_CHARACTERS = 12
#: A key that contains one of these was typed by a person or copied from an example.
PLACEHOLDER_WORDS = ("change", "replace", "secret", "example", "default", "password")
NEW_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def several_web_processes() -> bool:
    """Whether several web processes are likely: unless WEB_CONCURRENCY says 1."""
    return os.environ.get("WEB_CONCURRENCY", "").strip() != "1"


def _secret_key(app: Flask) -> Iterator[str]:
    key = app.config["SECRET_KEY"] or ""
    development_key = Path(app.instance_path) / "secret_key"
    if development_key.is_file() and development_key.read_text().strip() == key:
        yield (
            "FEEDBACK_SECRET_KEY is not set: sessions and links are signed with a "
            f"development key from {development_key}, which a copy of the folder reveals. "
            f"Set it to a long random value ({NEW_KEY})."
        )
    elif any(word in key.lower() for word in PLACEHOLDER_WORDS):
        yield (
            "FEEDBACK_SECRET_KEY is a placeholder or a word, which anyone may guess. "
            f"Set it to a long random value ({NEW_KEY})."
        )
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        yield (
            f"FEEDBACK_SECRET_KEY is weak ({len(key)} characters, {len(set(key))} different): "
            f"anyone who guesses it can forge links and sessions. Set it to a long random "
            f"value ({NEW_KEY})."
        )


def _base_url(app: Flask) -> Iterator[str]:
    url = app.config["BASE_URL"]
    if url.startswith("http://"):
        yield (
            f"FEEDBACK_BASE_URL is {url}, on http: links in emails travel and open "
            "unencrypted, and cookies are not marked Secure. Set it to the https:// "
            "address people use (TLS at the proxy: deploy/nginx/)."
        )


def _mail(app: Flask) -> Iterator[str]:
    if app.config["MAIL_BACKEND"] == "file":
        folder = app.config["MAIL_FILE_DIR"] or Path(app.instance_path) / "mail"
        yield (
            f"FEEDBACK_MAIL_BACKEND is file: emails are written to {folder} and never "
            "sent. Set it to "
            "smtp, with FEEDBACK_SMTP_HOST, _PORT, _USERNAME, _PASSWORD and _STARTTLS."
        )
    if app.config["DEV_MAILBOX"]:
        yield (
            "FEEDBACK_DEV_MAILBOX is on: /dev/mail/ lists every working link to requests "
            "from this machine, which behind a proxy is everyone. Remove it."
        )


def _sign_in_counting(app: Flask) -> Iterator[str]:
    uri = app.config["RATELIMIT_STORAGE_URI"]
    guard = login_guard(app)
    if uri.startswith("memory://"):
        if several_web_processes():
            processes = os.environ.get("WEB_CONCURRENCY") or "unset: 2 with deploy/"
            yield (
                "FEEDBACK_RATELIMIT_STORAGE_URI is memory://: each web process counts "
                f"sign-in attempts on its own (WEB_CONCURRENCY {processes}), so every "
                "guessing limit is multiplied by the number of workers. Set it to "
                "redis://127.0.0.1:6379/0 (pip install 'mirror360[server]'), or run one "
                "worker with WEB_CONCURRENCY=1."
            )
    elif problem := guard.problem():
        yield (
            f"FEEDBACK_RATELIMIT_STORAGE_URI: {guard.store} does not answer ({problem}); "
            "until it does, nobody can sign in. Start Redis, or correct the address."
        )


def _database(app: Flask) -> Iterator[str]:
    url = db.engine.url
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite" and several_web_processes():
        yield (
            f"FEEDBACK_DATABASE_URL is SQLite ({shown}), for one process: several web and "
            "mail worker processes wait on its single write lock. Use PostgreSQL "
            "(postgresql+psycopg://USER:PASSWORD@HOST/DB), or WEB_CONCURRENCY=1."
        )
    script = ScriptDirectory(app.extensions["migrate"].directory)  # Flask-Migrate's
    heads = set(script.get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        yield f"FEEDBACK_DATABASE_URL: {shown} does not answer ({text}). Start it, or correct it."
        return
    finally:
        db.engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    if current - known:
        yield (
            f"The database is at revision {', '.join(sorted(current - known))}, which this "
            "code does not know: it was migrated by a newer version. Deploy that version."
        )
    elif current != heads:
        at = ", ".join(sorted(current)) or "nothing (no tables)"
        yield (
            f"The database is at {at}, not at the code's {', '.join(sorted(heads))}. "
            "Run `feedback db upgrade`."
        )


#: Every check, in the order of its lines.
CHECKS: tuple[Callable[[Flask], Iterator[str]], ...] = (
    _secret_key,
    _base_url,
    _mail,
    _sign_in_counting,
    _database,
)


def findings(app: Flask) -> list[str]:
    """Every finding about ``app``'s settings and services, one sentence or two each."""
    return [line for check in CHECKS for line in check(app)]


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Say what this instance is missing or has wrong for production; exit 1 if anything."""
    found = findings(current_app)
    for line in found:
        click.echo(line)
    if found:
        click.echo(f"{len(found)} finding{'s' if len(found) > 1 else ''}.", err=True)
        click.get_current_context().exit(1)
    click.echo("All well: nothing found missing or wrong for production.")
