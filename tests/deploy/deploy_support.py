"""Helpers of the deployment tests."""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from feedback.extensions import db


def stamp(app, revision: str) -> None:
    """Mark ``app``'s database as migrated to ``revision`` (its tables exist already),
    as `feedback db upgrade` would, without running Alembic's env.py and its logging."""
    script = ScriptDirectory(app.extensions["migrate"].directory)
    with app.app_context(), db.engine.begin() as connection:
        MigrationContext.configure(connection).stamp(script, revision)
