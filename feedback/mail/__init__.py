"""Mail as infrastructure: the outbox table, rendering from template pairs at send
time, transports, the sender and the loops that run it.

It imports no domain: the domains register how their messages get links and what a
message is about (:mod:`.outbox`), and hear what became of them (:mod:`.signals`).
"""

from flask import Flask

from . import background, dispatch
from .background import Round


def init_app(app: Flask, run_round: Round) -> None:
    """Send queued mail after the requests that queued it, and run ``run_round`` (the
    scheduled work, which ends by sending) in a background thread when enabled."""
    dispatch.init_app(app)
    background.init_app(app, run_round)
