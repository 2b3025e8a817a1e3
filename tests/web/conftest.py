"""Fixtures of the tests of app-wide behaviour: a database that can go away."""

import pytest
from database_faults import Outage, postgres_url


@pytest.fixture
def database_url(tmp_path) -> str:
    """PostgreSQL when configured, else a SQLite file in a folder of its own, which a
    test can move away to make the database unreachable."""
    if postgres_url():
        return postgres_url()
    folder = tmp_path / "database"
    folder.mkdir()
    return f"sqlite:///{folder / 'test.sqlite3'}"


@pytest.fixture
def outage(app, database_url):
    """``outage.away()``: while inside, ``app``'s database cannot be reached."""
    faults = Outage(app, database_url)
    yield faults
    faults.close()
