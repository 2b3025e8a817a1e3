"""The development mailbox: with the file backend, read the mail the service wrote, so one
person on one machine can play coach, coachee and every rater."""

import email
import email.policy
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")

_LINK = re.compile(r"https?://[^\s<>\"']+")
_LOOPBACK = {"127.0.0.1", "::1"}


def _mail_dir() -> Path:
    return Path(current_app.config.get("MAIL_FILE_DIR") or Path(current_app.instance_path) / "mail")


@bp.before_request
def _only_for_development() -> None:
    """Only with the file backend, and only for a browser on this machine."""
    if current_app.config["MAIL_BACKEND"] != "file" or request.remote_addr not in _LOOPBACK:
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
