"""Faults of the database for tests that must survive them, on SQLite and PostgreSQL.

- :class:`PostgresAdmin`: a connection to the server's ``postgres`` database (a database
  may not bar connections to itself) that drops other connections
  (``pg_terminate_backend``) and bars or admits new ones to a database
  (``ALLOW_CONNECTIONS``): together, what clients see of a restart.
- :class:`Outage`: the database of an app going away and coming back, by whichever
  means its backend has: on PostgreSQL the above; on SQLite the folder of the database
  file moved away (no connection can open it) and the app's pooled connections closed.
"""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

#: How long :class:`PostgresAdmin` waits for a connection it terminated to end.
TERMINATION_WAIT_MS = 5000


def postgres_url() -> str:
    """The PostgreSQL database of the tests, or "" when they run on SQLite."""
    url = os.environ.get("FEEDBACK_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else ""


class PostgresAdmin:
    """Drops and bars connections to one database of the server of ``url``."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = make_url(url)
        self.connection = psycopg.connect(
            host=self.url.host,
            port=self.url.port,
            user=self.url.username,
            password=self.url.password,
            dbname="postgres",
            autocommit=True,
        )

    def drop_connections(self, application_name: str | None = None) -> int:
        """Terminate the connections to the database (only those of
        ``application_name`` when given) and wait until each has ended, as they have by
        the time a restarted server answers again; how many there were."""
        query = (
            "SELECT pg_terminate_backend(pid, %s) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()"
            # Clients only: an autovacuum worker on the database is the server's own
            # (a superuser's), which this role may not terminate.
            " AND backend_type = 'client backend'"
        )
        parameters: tuple = (TERMINATION_WAIT_MS, self.url.database)
        if application_name is not None:
            query += " AND application_name = %s"
            parameters += (application_name,)
        return len(self.connection.execute(query, parameters).fetchall())

    def terminate(self, pid: int) -> None:
        """Terminate one server process (one client's connection) and wait until it
        has ended."""
        self.connection.execute("SELECT pg_terminate_backend(%s, %s)", (pid, TERMINATION_WAIT_MS))

    def allow_connections(self, allowed: bool) -> None:
        """Let new connections to the database in, or refuse them."""
        flag = "true" if allowed else "false"
        self.connection.execute(
            f'ALTER DATABASE "{self.url.database}" WITH ALLOW_CONNECTIONS {flag}'
        )

    @contextlib.contextmanager
    def refusing(self) -> Iterator[None]:
        """While inside: every connection dropped and new ones refused, as while the
        server restarts."""
        self.allow_connections(False)
        try:
            self.drop_connections()
            yield
        finally:
            self.allow_connections(True)

    def close(self) -> None:
        """Close the admin connection."""
        self.connection.close()


class Outage:
    """The database of ``app`` (an app of the test fixtures) going away and back."""

    def __init__(self, app, database_url: str) -> None:
        self.app = app
        self.url = database_url
        self.admin = PostgresAdmin(database_url) if database_url.startswith("postgresql") else None
        if self.admin is None:
            self.folder = Path(make_url(database_url).database).parent

    @contextlib.contextmanager
    def away(self) -> Iterator[None]:
        """While inside, the app cannot reach its database; after, it can again."""
        if self.admin is not None:
            with self.admin.refusing():
                yield
            return
        from feedback.extensions import db

        with self.app.app_context():
            db.engine.dispose()  # SQLite keeps an open file; a restart would close it
        moved = self.folder.with_name(self.folder.name + "-away")
        self.folder.rename(moved)
        try:
            yield
        finally:
            moved.rename(self.folder)

    def cut(self, dbapi_connection) -> None:
        """Cut one of the app's connections as a failing server would: its server
        process terminated on PostgreSQL, the connection closed under it on SQLite."""
        if self.admin is not None:
            self.admin.terminate(dbapi_connection.info.backend_pid)
        else:
            dbapi_connection.close()

    def close(self) -> None:
        """Close the admin connection, if any."""
        if self.admin is not None:
            self.admin.close()
