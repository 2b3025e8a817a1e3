"""Default settings. Every one can be overridden by an environment variable
``FEEDBACK_<NAME>`` (Flask's ``from_prefixed_env``) or by the ``config`` mapping
passed to :func:`feedback.create_app`."""

from datetime import timedelta

DEFAULTS: dict[str, object] = {
    # A database URL; empty means SQLite in the instance folder.
    "DATABASE_URL": "",
    # Used to sign sessions and links. A development key is generated when unset.
    "SECRET_KEY": None,
    # Older keys still accepted for links and sessions during a key rotation.
    "SECRET_KEY_FALLBACKS": [],
    # Where links in emails point to.
    "BASE_URL": "http://127.0.0.1:5000",
    # "file" writes .eml files under instance/mail; "smtp" talks to a server.
    "MAIL_BACKEND": "file",
    "MAIL_FROM": "Mirror 360 <no-reply@mirror360.local>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 25,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    "SMTP_TIMEOUT": 10.0,
    # Deliver queued mail from the web process right after the request commits.
    "MAIL_SEND_AFTER_REQUEST": True,
    # A thread in the web process that runs the worker's round (close cycles past their
    # deadline, reminders, notes, sending) every MAIL_BACKGROUND_INTERVAL seconds:
    # "auto" runs it with the file backend (development, the demo), true/false decide.
    "MAIL_BACKGROUND": "auto",
    "MAIL_BACKGROUND_INTERVAL": 5.0,
    # Automatic reminders to raters who have not answered, in days before the deadline.
    "REMINDER_DAYS": "7,2",
    # The coach's "every group has enough answers" note leaves between one and two
    # times this many seconds later, so it does not tell when somebody answered.
    "READY_NOTE_DELAY": 3600,
    # A group's figures show only from this many answers (never below 2).
    "MIN_GROUP_SIZE": 3,
    # How long links in emails stay valid.
    "PORTAL_LINK_MAX_AGE": timedelta(days=180).total_seconds(),
    "INVITE_LINK_MAX_AGE": timedelta(days=120).total_seconds(),
    # Maximum request body; a rater form is a few kilobytes.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    # A rater may take their time: the CSRF token lives as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "SQLALCHEMY_ENGINE_OPTIONS": {},
}
