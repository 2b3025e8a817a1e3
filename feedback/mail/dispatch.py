"""Deliver mail queued by a request once its response has gone out, without holding up
the process that served it.

The response's close hands the work to a courier: one thread per app and process
(started on first use, again in each process a pre-forking server makes), which sends
what is due. A gunicorn sync worker therefore goes back to serving at once, and a
health check or any other request never waits on a slow mail server. Under TESTING
the close waits for the courier to finish, so a test reads the mail at once; the
courier sends it either way.
"""

import logging
import os
import threading
import weakref

from flask import Flask, Response, current_app, g

from ..extensions import db
from .sender import deliver_due

log = logging.getLogger(__name__)

_EXTENSION = "mail_courier"
_start_lock = threading.Lock()
#: Seconds a test's response waits for its mail before it goes on anyway.
TESTING_WAIT = 60.0


class Courier:
    """A thread that sends due mail whenever it is woken. Holds the app weakly."""

    def __init__(self, app: Flask) -> None:
        self._app = weakref.ref(app)
        self.pid = os.getpid()
        self._changed = threading.Condition()
        self._asked = 0  #: wake-ups so far
        self._done = 0  #: wake-ups served by a finished round
        self._stopped = False
        self.thread = threading.Thread(target=self._run, name="mail-courier", daemon=True)
        self.thread.start()
        weakref.finalize(app, self.stop)  # a discarded app ends the thread

    @property
    def alive(self) -> bool:
        """Running in this very process."""
        return self.pid == os.getpid() and self.thread.is_alive()

    def wake(self) -> int:
        """Ask for a round of sending; returns a ticket for :meth:`wait_for`."""
        with self._changed:
            self._asked += 1
            self._changed.notify_all()
            return self._asked

    def wait_for(self, ticket: int, timeout: float) -> bool:
        """Wait until a round that started after ``ticket`` was asked has finished."""
        with self._changed:
            return self._changed.wait_for(lambda: self._done >= ticket, timeout)

    def stop(self) -> None:
        """End the thread after its current round."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._stopped or self._asked > self._done)
                if self._stopped:
                    return
                ticket = self._asked
            app = self._app()
            if app is None:
                return
            _deliver(app)
            del app
            with self._changed:
                self._done = ticket
                self._changed.notify_all()


def courier(app: Flask) -> Courier:
    """The app's courier in this process, started if it is not running."""
    with _start_lock:
        existing = app.extensions.get(_EXTENSION)
        if existing is None or not existing.alive:
            existing = app.extensions[_EXTENSION] = Courier(app)
        return existing


def init_app(app: Flask) -> None:
    """After a request that queued mail, have this process's courier send it (unless
    MAIL_SEND_AFTER_REQUEST is off, for deployments that run ``feedback mail work``)."""

    @app.after_request
    def _send_after_commit(response: Response) -> Response:
        if g.pop("mail_queued", False) and app.config["MAIL_SEND_AFTER_REQUEST"]:
            real_app = current_app._get_current_object()
            response.call_on_close(lambda: _hand_over(real_app))
        return response


def _hand_over(app: Flask) -> None:
    ticket = courier(app).wake()
    if app.testing and not courier(app).wait_for(ticket, TESTING_WAIT):
        log.warning("queued mail was not sent within %s s", TESTING_WAIT)


def _deliver(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due()
        except Exception:  # the worker or the next request will try again
            log.exception("sending queued mail failed; it stays queued")
        finally:
            db.session.remove()
