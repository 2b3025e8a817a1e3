"""Helpers of the API's tests: a client that sends a token, and counts of rows."""

from sqlalchemy import MetaData, func, select

from feedback.extensions import db


def row_counts(app) -> dict[str, int]:
    """The number of rows in every table."""
    with app.app_context():
        metadata = MetaData()
        metadata.reflect(bind=db.engine)
        counts = {
            name: db.session.scalar(select(func.count()).select_from(table))
            for name, table in metadata.tables.items()
        }
        db.session.remove()
    return counts


class Api:
    """A test client that sends ``Authorization: Bearer <secret>`` on every request."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"} if self.secret else {}

    def open(self, method: str, path: str, **kwargs):
        """A request, read to the end and closed as a server does (when queued mail
        leaves)."""
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return self.client.open(
            "/api/v1" + path, method=method, headers=headers, buffered=True, **kwargs
        )

    def get(self, path: str, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open("DELETE", path, **kwargs)
