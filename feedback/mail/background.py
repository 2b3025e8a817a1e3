"""A thread in the web process that runs the scheduled round every few seconds.

Mail queued by a request leaves when the response has gone out (`dispatch`); this
covers the rest when no `feedback mail work` runs: mail queued by a command (such as
`feedback cycle create`), and whatever the round given to :func:`init_app` does (for
Mirror 360, :func:`feedback.cycles.jobs.run_round`: deadlines that pass, reminders and
notes that fall due, then sending).
One thread per app and process, started by the first request (never by a command,
and again in each process a pre-forking server makes), daemonic, and it survives
any error in a round: the next round tries again.
"""

import logging
import os
import threading
import weakref
from collections import Counter
from collections.abc import Callable

from flask import Flask

from ..extensions import db

log = logging.getLogger(__name__)

_EXTENSION = "mail_background"
_ROUND = "mail_background_round"
#: One round of scheduled work; returns counts of what it did.
Round = Callable[[], Counter]
_start_lock = threading.Lock()


def enabled(app: Flask) -> bool:
    """Whether the app runs the background thread: MAIL_BACKGROUND on or off, or
    "auto" (the default): on with the file backend outside tests, off with SMTP, where
    production runs `feedback mail work`."""
    value = app.config["MAIL_BACKGROUND"]
    if value == "auto":
        return (
            app.config["MAIL_BACKEND"] == "file"
            and app.config["MAIL_SEND_AFTER_REQUEST"]
            and not app.testing
        )
    return bool(value)


class BackgroundSender:
    """The thread and how to stop it. Holds the app weakly: a discarded app stops it."""

    def __init__(self, app: Flask, seconds: float, run_round: Round) -> None:
        self._app = weakref.ref(app)
        self.interval = seconds
        self.run_round = run_round
        self.pid = os.getpid()
        self.rounds = 0  #: rounds finished, for tests and debugging
        self.stopped = False  #: stopped on purpose: the next request does not restart it
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mail-background", daemon=True)

    @property
    def alive(self) -> bool:
        """Running in this very process."""
        return self.pid == os.getpid() and self.thread.is_alive()

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after its current round and wait up to ``timeout``."""
        self.stopped = True
        self._stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            app = self._app()
            if app is None:
                return
            try:
                with app.app_context():
                    try:
                        counts = self.run_round()
                        if any(counts.values()):
                            log.info("background mail round: %s", dict(counts))
                    finally:
                        db.session.remove()
            except Exception:  # never let the thread die; the next round tries again
                log.exception("background mail round failed")
            self.rounds += 1
            del app
            self._stop.wait(self.interval)


def ensure_started(app: Flask, run_round: Round | None = None) -> BackgroundSender:
    """The app's background sender in this process, started if it is not running;
    ``run_round`` defaults to the round given to :func:`init_app`."""
    with _start_lock:
        sender = app.extensions.get(_EXTENSION)
        if sender is None or not sender.alive:
            run_round = run_round or app.extensions[_ROUND]
            sender = BackgroundSender(app, app.config["MAIL_BACKGROUND_INTERVAL"], run_round)
            app.extensions[_EXTENSION] = sender
            sender.start()
        return sender


def stop(app: Flask, timeout: float = 30.0) -> None:
    """Stop the app's background sender, if one runs."""
    sender = app.extensions.get(_EXTENSION)
    if sender is not None:
        sender.stop(timeout)


def init_app(app: Flask, run_round: Round) -> None:
    """Keep ``run_round`` as the app's round, and start the thread with the first
    request when it is enabled."""
    app.extensions[_ROUND] = run_round
    if not enabled(app):
        return

    @app.before_request
    def _start_background_sender() -> None:
        sender = app.extensions.get(_EXTENSION)
        if sender is None or not (sender.alive or sender.stopped):
            ensure_started(app)
