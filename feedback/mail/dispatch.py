"""Deliver mail queued by a request once its response has gone out."""

import logging

from flask import Flask, Response, current_app, g

from .sender import deliver_due

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """After a request that queued mail, send it from this process (unless
    MAIL_SEND_AFTER_REQUEST is off, for deployments that run ``feedback mail work``)."""

    @app.after_request
    def _send_after_commit(response: Response) -> Response:
        if g.pop("mail_queued", False) and app.config["MAIL_SEND_AFTER_REQUEST"]:
            real_app = current_app._get_current_object()
            response.call_on_close(lambda: _deliver(real_app))
        return response


def _deliver(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due()
        except Exception:  # the worker or the next request will try again
            log.exception("sending queued mail failed; it stays queued")
