"""A receiver that trickles its answer cannot hold a webhook worker: an attempt has a
deadline as a whole, not only per packet, and past it the attempt fails and is retried."""

import socket
import threading
import time

import pytest

from feedback.webhooks import services


class Trickle:
    """A loopback receiver that reads the request, then sends its status line one byte
    every ``pause`` seconds, for at most ``limit`` seconds, then hangs up."""

    def __init__(self, pause: float = 0.2, limit: float = 8.0) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"
        self.pause, self.limit = pause, limit
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            connection.recv(65536)
            started = time.monotonic()
            answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10_000
            for byte in answer:
                if self.stop.is_set() or time.monotonic() - started > self.limit:
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the sender cut the connection
                time.sleep(self.pause)

    def close(self) -> None:
        self.stop.set()
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def trickle():
    receiver = Trickle()
    yield receiver
    receiver.close()


def test_an_attempt_past_its_deadline_is_cut_and_fails(trickle, monkeypatch):
    monkeypatch.setattr(services, "ATTEMPT_DEADLINE", 1)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="within 1 s"):
        services._post(trickle.url, b"{}", {"Content-Type": "application/json"})
    # Each byte came well within TIMEOUT (10 s), so only the deadline ended it; the
    # receiver would have gone on for 8 s.
    assert time.monotonic() - started < 5


def test_the_deadline_leaves_a_prompt_receiver_alone(monkeypatch):
    monkeypatch.setattr(services, "ATTEMPT_DEADLINE", 1)
    server = socket.create_server(("127.0.0.1", 0))

    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    assert services._post(url, b"{}", {"Content-Type": "application/json"}) == 204
    thread.join(5)
    server.close()
