"""The coach's account."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow


class Coach(UserMixin, db.Model):
    """A coach logs in with email and password and owns coachees."""

    __tablename__ = "coaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: How the coach signs emails to coachees and raters.
    name: Mapped[str] = mapped_column(String(120))
    #: scrypt hash from Werkzeug; never the password itself.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Part of what the session cookie holds; replaced at sign-out, which ends every
    #: session of this coach, including copies of an old cookie.
    session_key: Mapped[str] = mapped_column(
        String(32), default=lambda: secrets.token_hex(16), server_default=""
    )
    #: The language of the coach's pages (a code of ``i18n.LANGUAGES``); none: the
    #: browser's ``Accept-Language`` decides.
    language: Mapped[str | None] = mapped_column(String(8))

    def get_id(self) -> str:
        """The session's user id: ``<id>:<session_key>`` (Flask-Login)."""
        return f"{self.id}:{self.session_key}"

    def end_sessions(self) -> None:
        """Invalidate every session of this coach, on every device."""
        self.session_key = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of ``password``."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash (constant-time compare)."""
        return check_password_hash(self.password_hash, password)


class ApiToken(db.Model):
    """A key with which a coach's own tools reach the API (``Authorization: Bearer``).
    The secret is shown once when it is made; only its SHA-256 digest is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('read', 'write')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"), index=True)
    #: What the coach calls it ("CRM sync"), to tell their tokens apart.
    name: Mapped[str] = mapped_column(String(80))
    #: ``read`` sees; ``write`` also adds, changes and deletes.
    scope: Mapped[str] = mapped_column(String(5))
    #: The first characters of the secret, shown in lists so the coach can recognise it.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole secret, hex; the secret itself is never stored.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the coach revokes it; a revoked token authenticates nothing.
    revoked_at: Mapped[datetime | None]
