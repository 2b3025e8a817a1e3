"""Coachees and their cycles (the hub model every domain refers to), and finding what
belongs to which coach."""

from . import audit, voice  # noqa: F401 (their tables are part of the schema)
