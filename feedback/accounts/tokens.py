"""A coach's API tokens: made (the secret shown once), found by their secret, revoked.

A token's secret is 32 random bytes with a recognisable prefix (``m360_``); the
database keeps only its SHA-256 digest, which is enough for a secret that cannot be
guessed (a slow password hash protects guessable secrets, which these are not).
Services flush; the request or the command commits.
"""

import hashlib
import hmac
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from ..database import owned_row
from ..extensions import db
from ..timeutil import utcnow
from .models import ApiToken, Coach

#: What every secret starts with, so a leaked one is recognised (secret scanners).
SECRET_PREFIX = "m360_"  # noqa: S105  (a public marker, not a secret)
#: The scopes: ``read`` sees everything of the coach's; ``write`` may also change it.
SCOPES = ("read", "write")
#: Characters of the secret kept to show which token is which.
SHOWN_CHARACTERS = 12
MAX_NAME_LENGTH = 80


def digest_of(secret: str) -> str:
    """The SHA-256 of ``secret``, hex: what the database holds instead of it."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(coach: Coach, *, name: str = "", scope: str = "read") -> tuple[ApiToken, str]:
    """A new token of ``coach`` and its secret, which is never shown again. Raises
    ValueError for an unknown scope or a name that is too long."""
    if scope not in SCOPES:
        raise ValueError(f"the scope is {' or '.join(SCOPES)}, not {scope!r}")
    name = " ".join(name.split()) or "API token"
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(_("the name must have at most %(most)s characters", most=MAX_NAME_LENGTH))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        coach_id=coach.id,
        name=name,
        scope=scope,
        prefix=secret[:SHOWN_CHARACTERS],
        digest=digest_of(secret),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token whose secret this is; None for an unknown or revoked one."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    digest = digest_of(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.digest == digest))
    if token is None or token.revoked_at is not None:
        return None
    # The lookup was by digest; compare again in constant time all the same.
    return token if hmac.compare_digest(token.digest, digest) else None


def tokens_of(coach: Coach, *, revoked: bool = False) -> list[ApiToken]:
    """``coach``'s tokens, newest first; the revoked ones only when asked."""
    query = select(ApiToken).where(ApiToken.coach_id == coach.id)
    if not revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def token_of(coach: Coach, token_id: int) -> ApiToken:
    """``coach``'s token; raises NotFound for another coach's, as for any of their data."""
    return owned_row(ApiToken, token_id, lambda row: row.coach_id == coach.id, "API token")


def revoke_token(token: ApiToken) -> bool:
    """Stop ``token`` from working; False when it was revoked before."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    return True
