"""Signed links: one salt per purpose, an opaque key as payload, errors of our own.

A link proves only that we issued it; whether it still works (revoked, already used)
is decided by the database row its key points to.
"""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

#: The coachee's private portal.
PORTAL = "coachee-portal"
#: A rater's invitation to answer.
RATER_INVITE = "rater-invite"
#: A rater's invitation to answer a pulse (a short re-check after a cycle).
PULSE_INVITE = "pulse-invite"

_MAX_AGE_SETTING = {
    PORTAL: "PORTAL_LINK_MAX_AGE",
    RATER_INVITE: "INVITE_LINK_MAX_AGE",
    PULSE_INVITE: "INVITE_LINK_MAX_AGE",
}


class LinkError(Exception):
    """A link that is not ours, was altered, or is for something else."""


class LinkExpired(LinkError):
    """A genuine link that is older than its purpose allows."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    config = current_app.config
    # itsdangerous signs with the last key and accepts every key in the list.
    keys = (*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"])
    # Kept per app and keys: building one for each of 10,000 invitation links was a
    # fifth of the signing time.
    cache = current_app.extensions.setdefault("link_serializers", {})
    serializer = cache.get((purpose, keys))
    if serializer is None:
        serializer = cache[(purpose, keys)] = URLSafeTimedSerializer(list(keys), salt=purpose)
    return serializer


def sign(purpose: str, key: str) -> str:
    """A URL-safe token carrying ``key`` for ``purpose``."""
    if purpose not in _MAX_AGE_SETTING:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return _serializer(purpose).dumps(key)


def unsign(purpose: str, token: str) -> str:
    """The key inside ``token``; raises :class:`LinkExpired` or :class:`LinkError`."""
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        key = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise LinkExpired("this link has expired") from exc
    except BadSignature as exc:
        raise LinkError("this link is not valid") from exc
    if not isinstance(key, str):
        raise LinkError("this link is not valid")
    return key


def external_url(endpoint: str, **values: object) -> str:
    """An absolute URL to ``endpoint`` built from FEEDBACK_BASE_URL, never from the
    request's Host header; works outside requests too (commands, the mail worker)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path
