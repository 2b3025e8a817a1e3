"""Who asks: the coach of the bearer token, its scope, and how often it may ask.

Only ``Authorization: Bearer <secret>`` authenticates the API; a session cookie never
does (so a page that a signed-in coach opens cannot make their browser call the API,
and CSRF does not apply). Requests are counted per token in moving windows with the
``limits`` library, in the store of ``FEEDBACK_RATELIMIT_STORAGE_URI`` that counts
sign-in attempts (memory per process, or Redis shared by all), under
``FEEDBACK_API_RATE_LIMIT`` (``limits``' notation; 600 a minute and 20 000 an hour by
default). Requests without a valid token are counted per address, under
``FEEDBACK_API_UNAUTHENTICATED_LIMIT`` (60 a minute).
"""

import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..accounts.models import ApiToken, Coach
from ..accounts.tokens import token_for_secret
from ..coaching.audit import acting_as
from ..extensions import db
from .problems import Problem

#: Methods that change something: a ``read`` token may not use them.
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_LIMITER = "api_rate_limiter"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="Mirror 360 API"'}


@dataclass
class ApiLimiter:
    """The per-token and per-address windows of one app."""

    windows: MovingWindowRateLimiter
    per_token: list[RateLimitItem]
    unauthenticated: list[RateLimitItem]

    @classmethod
    def from_config(cls, config) -> "ApiLimiter":
        """The limiter of the app's settings; raises ValueError for a setting that
        cannot be used."""
        try:
            storage = storage_from_string(config["RATELIMIT_STORAGE_URI"])
        except ConfigurationError as error:
            raise ValueError(f"FEEDBACK_RATELIMIT_STORAGE_URI: {error}") from None
        limits = {}
        for name in ("API_RATE_LIMIT", "API_UNAUTHENTICATED_LIMIT"):
            try:
                limits[name] = parse_many(str(config[name]))
            except ValueError as error:
                raise ValueError(f"FEEDBACK_{name}: {error}") from None
        return cls(
            windows=MovingWindowRateLimiter(storage),
            per_token=limits["API_RATE_LIMIT"],
            unauthenticated=limits["API_UNAUTHENTICATED_LIMIT"],
        )

    def admit(self, items: list[RateLimitItem], *identifiers: str) -> int:
        """Count one request; 0 when it may go on, else the seconds to wait."""
        for item in items:
            if not self.windows.hit(item, "api", *identifiers):
                reset = self.windows.get_window_stats(item, "api", *identifiers).reset_time
                return max(1, math.ceil(reset - time.time()))
        return 0


def init_app(app: Flask) -> None:
    """Attach the rate limiter built from the app's settings."""
    app.config.setdefault("API_RATE_LIMIT", "600/minute;20000/hour")
    app.config.setdefault("API_UNAUTHENTICATED_LIMIT", "60/minute")
    app.extensions[_LIMITER] = ApiLimiter.from_config(app.config)


def _too_many(wait: int) -> Problem:
    return Problem(
        429,
        f"Too many requests; try again in {wait} seconds.",
        headers={"Retry-After": str(wait)},
    )


def authenticate() -> None:
    """Find the request's coach from its bearer token (401 without a valid one), refuse
    a write with a read token (403), and count the request (429 beyond the limit).
    Sets ``g.api_token`` and ``g.coach``."""
    limiter: ApiLimiter = current_app.extensions[_LIMITER]
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = token_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        wait = limiter.admit(limiter.unauthenticated, "address", request.remote_addr or "?")
        if wait:
            raise _too_many(wait)
        detail = (
            "This API takes a coach's token in the header `Authorization: Bearer <token>`."
            if not secret
            else "The token is not valid, or it was revoked."
        )
        raise Problem(401, detail, headers=CHALLENGE)
    wait = limiter.admit(limiter.per_token, "token", str(token.id))
    if wait:
        raise _too_many(wait)
    if request.method in WRITES and token.scope != "write":
        raise Problem(403, "This token may only read; a write token is needed to change data.")
    g.api_token = token
    acting_as(f"api token {token.name or token.prefix}")
    g.coach = db.session.get(Coach, token.coach_id)


def current_coach() -> Coach:
    """The coach whose token this request carries."""
    return g.coach


def current_token() -> ApiToken:
    """The token this request carries."""
    return g.api_token
