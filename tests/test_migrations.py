"""The migrations on the configured database (SQLite, or PostgreSQL when
FEEDBACK_TEST_DATABASE_URL is set): `feedback db upgrade` builds the whole schema from
empty, a second upgrade changes nothing, and the models and the migrations agree."""

import logging

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, column, event, inspect, table

from feedback import MIGRATIONS_DIR
from feedback.extensions import db
from feedback.timeutil import utcnow

#: Statements that would change a database; a no-op upgrade sends none of them.
WRITES = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def _keep_logging():
    """Alembic's env.py runs logging.config.fileConfig, which disables every logger
    it does not name; put them back so later tests still see their log records."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    states = {logger: (logger.disabled, logger.level) for logger in loggers}
    yield
    for logger, (disabled, logger_level) in states.items():
        logger.disabled, logger.level = disabled, logger_level
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def empty_app(make_app):
    """An app on a database with no table at all (not even Alembic's)."""
    app = make_app()
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        metadata.drop_all(bind=db.engine)
        assert inspect(db.engine).get_table_names() == []
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def upgrade(app) -> None:
    """`feedback db upgrade`, through the app's own command line."""
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"


def head_revision() -> str:
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def current_revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema(engine) -> dict[str, list[tuple]]:
    """Every table's columns, comparable between two inspections."""
    inspector = inspect(engine)
    return {
        name: [
            (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
            for c in inspector.get_columns(name)
        ]
        for name in sorted(inspector.get_table_names())
    }


def test_upgrade_from_empty_creates_every_table(empty_app):
    upgrade(empty_app)

    with empty_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        model_tables = set(db.metadata.tables)
    assert model_tables, "no model is registered"
    assert tables == model_tables | {"alembic_version"}
    assert current_revision(empty_app) == head_revision()


def test_second_upgrade_changes_nothing(empty_app):
    upgrade(empty_app)
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with empty_app.app_context():
        engine = db.engine
        before = schema(engine)
        event.listen(engine, "before_cursor_execute", remember)
        try:
            upgrade(empty_app)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        after = schema(engine)

    writes = [s for s in statements if s.lstrip().upper().startswith(WRITES)]
    assert writes == [], f"a second upgrade changed the database: {writes}"
    assert statements, "the second upgrade did not even look at the database"
    assert after == before
    assert current_revision(empty_app) == head_revision()


def test_models_and_migrations_agree(empty_app):
    """What `flask db migrate` would generate after the upgrade: nothing."""
    upgrade(empty_app)

    with empty_app.app_context(), db.engine.connect() as connection:
        options = dict(empty_app.extensions["migrate"].configure_args)
        assert options.get("compare_type"), "the app should compare column types"
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": options["compare_type"],
                "compare_server_default": options.get("compare_server_default", False),
                "render_as_batch": options.get("render_as_batch", False),
            },
        )
        differences = compare_metadata(context, db.metadata)

    assert differences == [], "models and migrations differ:\n" + "\n".join(
        repr(difference) for difference in differences
    )


def test_0007_removes_text_queued_before_templates_and_its_columns(empty_app):
    """Rows that carried their rendered text (with a working link) are not sent under
    the new code: the upgrade removes them, keeps every templated message, and drops
    the columns that held text."""
    result = empty_app.test_cli_runner().invoke(args=["db", "upgrade", "0006"])
    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        names = ("kind", "to_address", "to_name", "subject", "template", "text_body", "state")
        names += ("attempts", "next_attempt_at", "created_at")
        outbox = table("outbox_messages", *(column(name) for name in names))
        now = utcnow()
        row = {"kind": "invite", "to_address": "a@example.org"}
        row |= {"to_name": "", "subject": "s", "state": "queued", "attempts": 0}
        row |= {"next_attempt_at": now, "created_at": now}
        with db.engine.begin() as connection:
            connection.execute(
                outbox.insert(),
                [
                    row | {"template": "invite", "text_body": None},
                    row | {"template": None, "text_body": "Hello from before"},
                ],
            )
        db.engine.dispose()
    upgrade(empty_app)
    with empty_app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("outbox_messages")}
        assert not {"text_body", "html_body"} & columns
        with db.engine.connect() as connection:
            kept = connection.exec_driver_sql("SELECT template FROM outbox_messages").all()
        assert kept == [("invite",)]
