"""Deliver mail queued by a request once its response has gone out."""

import logging

from flask import Flask, Response, current_app, g

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """After a request that queued mail, send it from this process (unless disabled,
    for deployments that run ``feedback mail work`` instead); start the background
    round when enabled (see `background`). Checks the mail settings, so a bad value
    stops the app at start-up with a message naming it."""
    from ..coaching.data_rights import retention_days
    from ..raters.reminders import reminder_days
    from . import background

    reminder_days(app.config.get("REMINDER_DAYS"))
    with app.app_context():
        try:
            retention_days()
        except ValueError as exc:
            raise ValueError(f"FEEDBACK_RETENTION_DAYS: {exc}") from None
    background.init_app(app)

    @app.after_request
    def _send_after_commit(response: Response) -> Response:
        if g.pop("mail_queued", False) and app.config["MAIL_SEND_AFTER_REQUEST"]:
            real_app = current_app._get_current_object()
            response.call_on_close(lambda: _deliver(real_app))
        return response


def _deliver(app: Flask) -> None:
    from .sender import deliver_due

    with app.app_context():
        try:
            deliver_due()
        except Exception:  # the worker or the next request will try again
            log.exception("sending queued mail failed; it stays queued")
