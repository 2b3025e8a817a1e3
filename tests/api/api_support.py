"""Helpers of the API's tests: a client that sends a token, counts of rows, and a
local receiver of webhooks."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


class Receiver:
    """A local HTTP server (one thread per request) that answers 500 to the first
    ``failures`` requests, then ``answer`` (a redirect to itself for a 3xx), and keeps
    every request's headers and body. With
    ``overlap`` the first two requests wait for each other (up to 20 s), so it holds
    both only when two senders were sending at the same moment."""

    def __init__(self, failures: int = 0, *, overlap: bool = False, answer: int = 200):
        self.failures = failures
        self.requests: list[tuple[dict, bytes, int]] = []
        self.overlapped = threading.Barrier(2) if overlap else None
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    status = 500 if len(receiver.requests) < receiver.failures else answer
                    receiver.requests.append((dict(self.headers), body, status))
                    first_two = len(receiver.requests) <= 2
                if receiver.overlapped is not None and first_two:
                    receiver.overlapped.wait(timeout=20)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url + "/elsewhere")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self) -> list[str]:
        """The ``webhook-id`` of every request, in the order they came."""
        return [{k.lower(): v for k, v in h.items()}["webhook-id"] for h, _, _ in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
