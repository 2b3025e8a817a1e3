"""Time helpers: the database stores naive UTC."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC, which deadlines are compared with."""
    return datetime.now(UTC).date()
