"""Every setting of Mirror 360, typed and checked in one place, once, when the app is
built (README "Settings").

A setting comes from, in this order: the defaults below, an environment variable
``FEEDBACK_<NAME>`` (Flask's ``from_prefixed_env``, which reads JSON values such as
``25`` or ``true`` and keeps anything else as text), then the ``config`` mapping given
to :func:`feedback.create_app`. :func:`init_app` validates the result with pydantic
and writes the typed values back into ``app.config``, so the rest of the code reads
``current_app.config["SMTP_PORT"]`` as an int and never parses a setting itself. A
value that cannot be used stops the app at start-up with a message naming the
variable.
"""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from flask import Flask
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from . import database

#: Reminder days are whole numbers of days before the deadline, up to this many.
MAX_REMINDER_DAY = 365
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(value: Any) -> Any:
    """true/false as typed in an environment: true, yes, on, 1 and their opposites."""
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    return value


def _whole(value: Any) -> Any:
    """A whole number typed as digits; booleans and fractions are not numbers here."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, not {value!r}")
    return value


def _seconds(value: Any) -> Any:
    """A number of seconds, typed as a number or as text."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number of seconds, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"must be a number of seconds, not {value!r}")
    return number


def _text_list(value: Any) -> list[str]:
    """A list of names: a list, or text with the names separated by commas."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        return [str(part).strip() for part in value if str(part).strip()]
    raise ValueError(f"must be names separated by commas, not {value!r}")


def parse_reminder_days(value: Any) -> tuple[int, ...]:
    """Reminder days from ``"7,2"``, ``7``, ``[7, 2]`` or ``""`` (none): distinct whole
    days, largest first. Raises ValueError for negative numbers, words or fractions."""
    if value is None or value == "":
        return ()
    if isinstance(value, bool):
        raise ValueError(f"must be days like 7,2, not {value!r}")
    if isinstance(value, int):
        items: list[Any] = [value]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"must be days like 7,2, not {value!r}")
    days: set[int] = set()
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not (text.isascii() and text.isdigit()):
            raise ValueError(
                "must be whole days before the deadline separated by commas, like 7,2; "
                f"{item!r} is not one"
            )
        if int(text) > MAX_REMINDER_DAY:
            raise ValueError(f"{int(text)} is more than a year")
        days.add(int(text))
    return tuple(sorted(days, reverse=True))


def parse_retention_days(value: Any) -> int | None:
    """The retention in days; None when it is off (empty or 0). Raises ValueError for
    anything but a whole number of at least 1."""
    if value in (None, "", 0, "0"):
        return None
    try:
        number = _whole(value)
    except ValueError:
        raise ValueError(f"must be a whole number of days, not {value!r}") from None
    if number < 1:
        raise ValueError("must be at least 1 day")
    return number


class Settings(BaseModel):
    """The settings, by their name without the ``FEEDBACK_`` prefix (lower case here,
    upper case in ``app.config``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    # -- where things are
    #: A database URL; empty means SQLite in the instance folder.
    database_url: str = ""
    #: Signs sessions and links; a development key is kept in the instance folder.
    secret_key: str | None = None
    #: Older keys still accepted for links and sessions during a key rotation.
    secret_key_fallbacks: list[str] = Field(default_factory=list)
    #: Where links in emails point to (no trailing slash).
    base_url: str = "http://127.0.0.1:5000"

    # -- mail
    mail_backend: Literal["file", "smtp"] = "file"
    mail_from: str = "Mirror 360 <no-reply@mirror360.local>"
    #: Where the file backend writes (default: instance/mail).
    mail_file_dir: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: StrictBool = False
    smtp_ssl: StrictBool = False
    smtp_timeout: float = Field(default=10.0, gt=0)
    #: The name the service gives in EHLO (default: this machine's).
    smtp_local_hostname: str | None = None
    #: Deliver queued mail from the web process right after the request commits.
    mail_send_after_request: StrictBool = True
    #: The background round in the web process: "auto" (with the file backend
    #: outside tests), or on or off.
    mail_background: Literal["auto"] | StrictBool = "auto"
    mail_background_interval: float = Field(default=5.0, ge=0.1)
    #: Serve the development mailbox (/dev/mail/, every working link) with the file
    #: backend; off by default, on for `feedback demo`.
    dev_mailbox: StrictBool = False

    # -- the cycle's life
    #: Automatic reminders, in days before the deadline.
    reminder_days: tuple[int, ...] = (7, 2)
    #: The "every group has enough answers" note leaves between one and two times
    #: this many seconds later, so it does not tell when somebody answered.
    ready_note_delay: float = Field(default=3600.0, ge=0)
    #: Days after a cycle closes when raters' addresses are erased; None: never.
    retention_days: int | None = None
    #: A group's figures show only from this many answers (never below 2).
    min_group_size: int = Field(default=3, ge=2)
    #: How long links in emails stay valid, in seconds.
    portal_link_max_age: float = Field(default=timedelta(days=180).total_seconds(), gt=0)
    invite_link_max_age: float = Field(default=timedelta(days=120).total_seconds(), gt=0)

    # -- security (see feedback.security)
    proxy_fix_hops: int = Field(default=0, ge=0)
    session_idle_timeout: int = Field(default=3600, ge=0)
    #: Host names the app answers to; None: any ("*").
    trusted_hosts: list[str] | None = None
    ratelimit_storage_uri: str = "memory://"
    login_limit_per_account: str = "5 per minute; 30 per hour"
    login_limit_per_address: str = "200 per hour"
    #: Failed sign-ins on one account, from anywhere, before each attempt must wait.
    login_account_free_attempts: int = Field(default=10, ge=1)
    #: The longest wait (seconds) between two attempts on an account that backs off.
    login_account_max_wait: int = Field(default=900, ge=1)

    # -- reports
    #: The browser that prints PDF reports (a path or a program's name); empty: the
    #: first Chromium on PATH; "none": no PDF (feedback.reports.pdf).
    chromium: str = ""
    #: The longest a PDF may take to print, in seconds.
    pdf_timeout: float = Field(default=25.0, gt=0)

    @field_validator(
        "smtp_starttls", "smtp_ssl", "mail_send_after_request", "dev_mailbox", mode="before"
    )
    @classmethod
    def _flags(cls, value: Any) -> Any:
        return _flag(value)

    @field_validator("mail_background", mode="before")
    @classmethod
    def _background(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() == "auto":
            return "auto"
        return _flag(value)

    @field_validator(
        "smtp_port",
        "proxy_fix_hops",
        "session_idle_timeout",
        "login_account_free_attempts",
        "login_account_max_wait",
        mode="before",
    )
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        return _whole(value)

    @field_validator("min_group_size", mode="before")
    @classmethod
    def _group_size(cls, value: Any) -> Any:
        value = _whole(value)
        if value < 2:
            raise ValueError("must be at least 2 to protect anonymity")
        return value

    @field_validator(
        "smtp_timeout",
        "mail_background_interval",
        "ready_note_delay",
        "portal_link_max_age",
        "invite_link_max_age",
        "pdf_timeout",
        mode="before",
    )
    @classmethod
    def _numbers_of_seconds(cls, value: Any) -> Any:
        return _seconds(value)

    @field_validator("mail_backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "smtp_username", "smtp_password", "smtp_local_hostname", "mail_file_dir", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("secret_key_fallbacks", mode="before")
    @classmethod
    def _fallbacks(cls, value: Any) -> list[str]:
        return _text_list(value)

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> list[str] | None:
        if value is None:
            return None
        hosts = _text_list(value)
        return None if "*" in hosts else list(dict.fromkeys(hosts))

    @field_validator("base_url", mode="after")
    @classmethod
    def _base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http:// or https:// address, not {value!r}")
        return value.rstrip("/")

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _reminder_days(cls, value: Any) -> tuple[int, ...]:
        return parse_reminder_days(value)

    @field_validator("retention_days", mode="before")
    @classmethod
    def _retention_days(cls, value: Any) -> int | None:
        return parse_retention_days(value)

    @model_validator(mode="after")
    def _one_kind_of_tls(self) -> Settings:
        if self.smtp_starttls and self.smtp_ssl:
            raise ValueError(
                "FEEDBACK_SMTP_STARTTLS and FEEDBACK_SMTP_SSL cannot both be on; choose one"
            )
        return self


#: The settings' names as ``app.config`` keys, with their defaults; then the settings
#: of Flask and its extensions that Mirror 360 chooses.
DEFAULTS: dict[str, Any] = {
    **{
        name.upper(): field.get_default(call_default_factory=True)
        for name, field in Settings.model_fields.items()
    },
    # A rater form is a few kilobytes.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    # A rater may take their time: the CSRF token lives as long as the session.
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "SQLALCHEMY_ENGINE_OPTIONS": {},
}


def parse(values: dict[str, Any]) -> Settings:
    """Settings from ``values`` (``app.config``-style keys; others are ignored).
    Raises ValueError naming each setting that cannot be used, as
    ``FEEDBACK_<NAME>: <what is wrong>``."""
    fields = {key.lower(): value for key, value in values.items() if key.isupper()}
    fields = {key: value for key, value in fields.items() if key in Settings.model_fields}
    try:
        return Settings.model_validate(fields)
    except ValidationError as exc:
        raise ValueError(_message(exc)) from None


def _message(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item["loc"] if isinstance(part, str)]
        text = item["msg"].removeprefix("Value error, ")
        if location:
            problems.append(f"FEEDBACK_{location[0].upper()}: {text}")
        else:
            problems.append(text)
    return "; ".join(problems)


def init_app(app: Flask) -> Settings:
    """Check ``app.config`` and write the typed values back; fill in what depends on the
    instance folder (the SQLite file, a development key) and on BASE_URL (secure
    cookies, the default trusted hosts). Raises ValueError naming a bad setting."""
    hosts_given = app.config.get("TRUSTED_HOSTS") is not None
    settings = parse(app.config)
    config = app.config
    config.update({name.upper(): getattr(settings, name) for name in Settings.model_fields})
    instance = Path(app.instance_path)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = settings.database_url or (
            f"sqlite:///{instance / 'feedback.sqlite3'}"
        )
    if not settings.secret_key:
        config["SECRET_KEY"] = _development_secret_key(instance)
    # No SQL parameters (addresses, link keys, answers) in an error message or log.
    options = {**(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}), "hide_parameters": True}
    url = _database_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        # A server's restart cuts pooled connections: each is checked before it is
        # lent, by a look at its socket where the driver allows (feedback.database),
        # else with a SELECT 1. A SQLite file has no connection to cut.
        options.setdefault(
            "pool_pre_ping", not database.sees_closed_connections(url.get_driver_name())
        )
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    base = urlsplit(settings.base_url)
    if base.scheme == "https":
        config["SESSION_COOKIE_SECURE"] = True
    if not hosts_given:
        config["TRUSTED_HOSTS"] = [
            name for name in dict.fromkeys((base.hostname, "localhost", "127.0.0.1")) if name
        ]
    return settings


#: The databases Mirror 360 runs on: a SQLite file, or PostgreSQL for scale.
DATABASE_BACKENDS = ("sqlite", "postgresql")


def _database_url(given: str | URL) -> URL:
    """The database URL, parsed; raises ValueError naming FEEDBACK_DATABASE_URL when it
    is not one, or names a database other than SQLite or PostgreSQL (without repeating
    it: it may hold a password)."""
    try:
        url = make_url(given)
    except ArgumentError:
        raise ValueError(
            "FEEDBACK_DATABASE_URL: not a database URL; for example "
            "postgresql+psycopg://user:password@host/database"
        ) from None
    if url.get_backend_name() not in DATABASE_BACKENDS:
        raise ValueError(
            f"FEEDBACK_DATABASE_URL: {url.get_backend_name()!r} is not a database Mirror 360 "
            "runs on; use sqlite:///path/to/file.sqlite3 or postgresql+psycopg://…"
        )
    return url


def _development_secret_key(instance: Path) -> str:
    """A random key kept in the instance folder, so links survive a restart.
    Production sets FEEDBACK_SECRET_KEY instead."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
