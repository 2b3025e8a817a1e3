"""The development mailbox: with the file backend, read the mail the service wrote, so one
person on one machine can play coach, coachee and every rater.

It lists every working rater and portal link, so it is served only when the server was
started for development: ``feedback demo`` turns it on (:func:`enable`), or the setting
``FEEDBACK_DEV_MAILBOX`` (off by default). Never with SMTP, and only to requests from
this machine. Behind a reverse proxy on the same host every client comes from this
machine, which is why the address alone is not enough. When it is on, a warning says
so at start-up.
"""

import email
import email.policy
import logging
import re
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template, request

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")

_LINK = re.compile(r"https?://[^\s<>\"']+")
_LOOPBACK = {"127.0.0.1", "::1"}
log = logging.getLogger(__name__)
WARNING = (
    "The development mailbox is on: %s/dev/mail/ lists every email with its working "
    "links to anyone whose request comes from this machine (a reverse proxy on this host "
    "included). Never use it where others can reach the server."
)


def init_app(app: Flask) -> None:
    """Register the mailbox's pages; warn when they are served."""
    app.register_blueprint(bp)
    if serving(app):
        log.warning(WARNING, app.config["BASE_URL"])


def serving(app: Flask) -> bool:
    """Whether the app serves the mailbox: asked for, and the file backend."""
    return bool(app.config["DEV_MAILBOX"]) and app.config["MAIL_BACKEND"] == "file"


def enable(app: Flask) -> None:
    """Serve the mailbox from ``app`` (``feedback demo``), with the start-up warning."""
    app.config["DEV_MAILBOX"] = True
    if serving(app):
        log.warning(WARNING, app.config["BASE_URL"])


def _mail_dir() -> Path:
    return Path(current_app.config.get("MAIL_FILE_DIR") or Path(current_app.instance_path) / "mail")


@bp.before_request
def _only_for_development() -> None:
    """Only when turned on, with the file backend, and for a browser on this machine."""
    if not serving(current_app) or request.remote_addr not in _LOOPBACK:
        abort(404)


def _read(path: Path) -> dict:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return {
        "name": path.name,
        "to": message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "text": text,
        "links": _LINK.findall(text),
    }


@bp.get("/")
def list_messages():
    """The newest messages first, with the links they carry."""
    folder = _mail_dir()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:200] if folder.is_dir() else []
    return render_template("mail/mailbox.html", messages=[_read(path) for path in paths])


@bp.get("/<name>")
def show_message(name: str):
    """One message as text."""
    path = _mail_dir() / name
    if not name.endswith(".eml") or path.parent != _mail_dir() or not path.is_file():
        abort(404)
    return render_template("mail/message.html", message=_read(path))
