"""Security settings and guards for the whole app: response headers, cookies, trusted
hosts, the coach's idle timeout, login rate limits, refusing NUL characters, and a
second chance for a rater whose session ran out while their form was open.

Settings (all optional, ``FEEDBACK_`` prefix in the environment; checked, with their
defaults, in :mod:`feedback.settings`):

- ``BASE_URL`` starting with ``https://`` marks the session cookie ``Secure`` and turns
  on HSTS; ``SESSION_COOKIE_SECURE`` may also be set directly.
- ``PROXY_FIX_HOPS``: how many reverse proxies sit in front of the app (0 by default).
  With 1 or more, ``X-Forwarded-For/-Proto/-Host`` from that many proxies are trusted
  (werkzeug's ProxyFix), so rate limits see the client's address.
- ``TRUSTED_HOSTS``: host names the app answers to (a list, or names separated by
  commas; ``*`` for any). By default the host of ``BASE_URL`` plus ``localhost`` and
  ``127.0.0.1``; any other ``Host`` header gets a 400.
- ``SESSION_IDLE_TIMEOUT``: seconds without a request after which a coach is signed out
  (3600 by default). ``PERMANENT_SESSION_LIFETIME`` stays the cookie's longest life.
- ``RATELIMIT_STORAGE_URI``: where sign-in attempts are counted (``memory://`` by
  default, one count per process, which a server of several processes multiplies: a
  warning says so at start-up; ``redis://host:6379`` when several processes serve the
  app). The counting is the ``limits`` library's (Flask-Limiter's engine); Redis needs
  the ``redis`` package (``pip install 'mirror360[server]'``). When the store does not
  answer (within ``STORE_TIMEOUT`` seconds), sign-in **fails closed**: the sign-in page
  answers 503 with a message and nobody's password is checked, while everything else
  (signed-in coaches, coachees' and raters' links) goes on; the error log names the
  store. Checking passwords uncounted would switch the guessing limits off exactly when
  the store is down, which an attacker may have caused.
- ``LOGIN_LIMIT_PER_ACCOUNT`` and ``LOGIN_LIMIT_PER_ADDRESS``: sign-in attempts allowed
  per email and address, and per address alone (``limits``' notation). Every attempt
  is counted before its password is checked; a successful sign-in clears its email
  and address's count.
- ``LOGIN_ACCOUNT_FREE_ATTEMPTS`` and ``LOGIN_ACCOUNT_MAX_WAIT``: failed attempts on
  one account from anywhere before it backs off (10), and the longest wait between two
  attempts then (900 seconds): the wait doubles with each attempt, so guessing from
  many addresses is slow, and no attacker can lock a coach out for longer than the
  longest wait. A browser that signed in to the account before (a signed cookie) is
  not slowed down by others' failures.
"""

import functools
import hashlib
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

#: Every page's policy. Scripts only from this site (app.js and the locally served
#: plotly.js; figures travel as JSON data, never as inline script). Styles allow
#: 'unsafe-inline' because plotly.js writes <style> rules and style attributes while it
#: draws; CSS cannot run script, and with images, fonts and connections limited to this
#: site an injected style has nowhere to send what it could read.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)

#: The protective headers of every response, unless the view set its own.
PROTECTIVE_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)

#: Endpoints whose responses are the same for everyone and may be cached.
CACHEABLE_ENDPOINTS = frozenset({"static", "plotly_js"})

#: Endpoints reached through a signed link (portal, rater form), where the link itself
#: is the secret, so a post whose session ran out is shown again instead of lost.
LINK_ENDPOINT_ARG = "token"

NUL_MESSAGE = _l(
    "The text you sent contains a NUL character (\\0), which cannot be stored. "
    "Please remove it and try again."
)
LOGIN_LIMIT_MESSAGE = _l("Too many sign-in attempts. Please wait a few minutes and try again.")
MEMORY_STORE_WARNING = (
    "SIGN-IN LIMITS ARE PER PROCESS: this app runs under a server of several processes "
    "(%s) but counts sign-in attempts in memory, so each process keeps its own count and "
    "a password guesser gets one allowance per process. Set "
    "FEEDBACK_RATELIMIT_STORAGE_URI=redis://HOST:6379 (README, Security)."
)
SIGN_IN_UNAVAILABLE_MESSAGE = _l(
    "Signing in is not possible for a moment: the service cannot count sign-in attempts "
    "right now. Nothing is lost. Please try again in a minute."
)
STORE_UNREACHABLE_LOG = (
    "SIGN-IN REFUSED: the sign-in counter %s does not answer (%s); coaches cannot sign "
    "in until it does (README, Running it for real)."
)
#: Seconds a sign-in waits for a Redis store to connect or answer (loopback answers in
#: well under a millisecond).
STORE_TIMEOUT = 1.0
#: Schemes of the ``limits`` Redis store that take redis-py's connection options.
REDIS_SCHEMES = frozenset({"redis", "rediss", "redis+unix"})
#: How long failed attempts on one account are remembered for the back-off.
BACKOFF_MEMORY_SECONDS = 24 * 3600
#: The cookie of a browser that signed in to an account before, and its life.
KNOWN_DEVICE_COOKIE = "known_device"
KNOWN_DEVICE_SALT = "known-device"
KNOWN_DEVICE_MAX_AGE = 180 * 24 * 3600
_GUARD = "login_guard"
log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the guards, with the settings :mod:`feedback.settings` checked."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.extensions[_GUARD] = LoginGuard.from_config(app.config)
    server = multi_process_server()
    if server and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        log.warning(MEMORY_STORE_WARNING, server)
    elif server and (problem := login_guard(app).problem()):
        log.error(STORE_UNREACHABLE_LOG, login_guard(app).store, problem)
    app.before_request(_refuse_nul_characters)
    app.before_request(_sign_out_idle_coach)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)


def login_guard(app: Flask) -> "LoginGuard":
    """The app's sign-in counter, with its store (``feedback check`` asks it)."""
    return app.extensions[_GUARD]


# ---------------------------------------------------------------- headers


def _security_headers(response: Response) -> Response:
    """The same protective headers on every response; no caching of anything that is
    not the same for everyone (pages, exports, redirects carrying links)."""
    headers = response.headers
    # One pass over the response's headers, not one for each header added.
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 (Headers yield pairs)
    headers.extend(
        [(name, value) for name, value in PROTECTIVE_HEADERS if name.lower() not in present]
    )
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _untrusted_host(_error: SecurityError) -> Response:
    """A Host header not in TRUSTED_HOSTS: a plain answer, built without URLs (there is
    no URL adapter for an unknown host) and without repeating the host."""
    return Response(
        "This server does not answer for that host name.\n",
        status=400,
        mimetype="text/plain",
    )


# ---------------------------------------------------------------- input


def _has_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


def _refuse_nul_characters() -> None:
    """Refuse text with NUL characters in any form field or query parameter: PostgreSQL
    cannot store them, and no person types one."""
    if _has_nul(request.args.items(multi=True)) or (
        request.method in ("POST", "PUT", "PATCH") and _has_nul(request.form.items(multi=True))
    ):
        raise BadRequest(str(NUL_MESSAGE))


# ---------------------------------------------------------------- sessions


def _sign_out_idle_coach() -> None:
    """Sign a coach out when their last request is older than SESSION_IDLE_TIMEOUT."""
    if request.endpoint in CACHEABLE_ENDPOINTS or "_user_id" not in session:
        return
    now = time.time()
    idle_limit = current_app.config["SESSION_IDLE_TIMEOUT"]
    last_seen = session.get("last_seen")
    if idle_limit and isinstance(last_seen, int | float) and now - last_seen > idle_limit:
        logout_user()
        session.clear()
        flash(
            _(
                "You were signed out after %(minutes)s minutes without activity. Please "
                "sign in again.",
                minutes=idle_limit // 60,
            ),
            "info",
        )
        return
    session["last_seen"] = int(now)


# ---------------------------------------------------------------- sign-in limits


def multi_process_server() -> str | None:
    """The name of a server that runs the app in several processes (gunicorn, uWSGI, or
    WEB_CONCURRENCY above 1), when this process runs under one; else None. gunicorn's
    master sets SERVER_SOFTWARE before it loads the app (merely importing gunicorn, as
    a test or a tool may, is not running under it); uWSGI's module exists only inside
    the server."""
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn/"):
        return "gunicorn"
    if "uwsgi" in sys.modules:
        return "uwsgi"
    concurrency = os.environ.get("WEB_CONCURRENCY", "").strip()
    if concurrency.isdigit() and int(concurrency) > 1:
        return f"WEB_CONCURRENCY={concurrency}"
    return None


def _redis_options() -> dict:
    """redis-py's options for a sign-in that waits at most about 2 x STORE_TIMEOUT: one
    retry at once (a pooled connection may have died with a Redis restart), not the
    default's three with back-off."""
    try:
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError:
        raise ValueError(
            "FEEDBACK_RATELIMIT_STORAGE_URI: a Redis store needs the redis package, "
            "which is not installed: pip install 'mirror360[server]'"
        ) from None
    return {
        "socket_connect_timeout": STORE_TIMEOUT,
        "socket_timeout": STORE_TIMEOUT,
        "retry": Retry(NoBackoff(), 1),
    }


def shown_store(uri: str) -> str:
    """A store's URI fit for a log or a message: its password replaced by ``***``."""
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


@dataclass
class LoginGuard:
    """Counts sign-in attempts of one app in its store (memory or Redis)."""

    storage: Storage
    #: The store's URI without its password, for logs and messages.
    store: str
    #: What the store raises when it cannot be reached or fails.
    failures: tuple[type[Exception], ...]
    windows: MovingWindowRateLimiter
    per_address: list[RateLimitItem]
    per_account_and_address: list[RateLimitItem]
    free_attempts: int
    max_wait: int

    @classmethod
    def from_config(cls, config) -> "LoginGuard":
        """The guard of the checked settings; raises ValueError for a store that cannot
        be used (an unknown scheme, or Redis without the ``redis`` package)."""
        uri = config["RATELIMIT_STORAGE_URI"]
        # Nothing connects here: a store that is down stops no command, only sign-in.
        options = _redis_options() if urlsplit(uri).scheme in REDIS_SCHEMES else {}
        try:
            storage = storage_from_string(uri, wrap_exceptions=True, **options)
        except ConfigurationError as error:
            raise ValueError(f"FEEDBACK_RATELIMIT_STORAGE_URI: {error}") from None
        failures: tuple[type[Exception], ...] = (StorageError,)
        if not uri.startswith("memory://"):  # the moving windows' scripts are not wrapped
            failures += (storage.base_exceptions,)
        limits = {}
        for name in ("LOGIN_LIMIT_PER_ADDRESS", "LOGIN_LIMIT_PER_ACCOUNT"):
            try:
                limits[name] = parse_many(config[name])
            except ValueError as error:
                raise ValueError(f"FEEDBACK_{name}: {error}") from None
        return cls(
            storage=storage,
            store=shown_store(uri),
            failures=failures,
            windows=MovingWindowRateLimiter(storage),
            per_address=limits["LOGIN_LIMIT_PER_ADDRESS"],
            per_account_and_address=limits["LOGIN_LIMIT_PER_ACCOUNT"],
            free_attempts=config["LOGIN_ACCOUNT_FREE_ATTEMPTS"],
            max_wait=config["LOGIN_ACCOUNT_MAX_WAIT"],
        )

    def problem(self) -> str | None:
        """None when the store answers; else what is wrong, in a few words."""
        connection = getattr(self.storage, "get_connection", None)
        if connection is None:  # memory: nothing to reach
            return None
        try:
            connection().ping()
        except self.failures as error:
            return _described(error)
        return None

    def admit(self, account: str, address: str, *, known_device: bool) -> int:
        """Count one attempt on ``account`` (a digest) from ``address`` before it is
        checked; 0 when it may be checked, else the seconds to wait. Each count is one
        atomic step of the store, so simultaneous attempts cannot all slip through."""
        for items, identifiers in (
            (self.per_address, ("login-address", address)),
            (self.per_account_and_address, ("login-account", account, address)),
        ):
            for item in items:
                if not self.windows.hit(item, *identifiers):
                    reset = self.windows.get_window_stats(item, *identifiers).reset_time
                    return max(1, math.ceil(reset - time.time()))
        if known_device:
            return 0
        attempts = self.storage.incr(f"login-backoff/{account}", BACKOFF_MEMORY_SECONDS)
        if attempts <= self.free_attempts:
            return 0
        # Beyond the free attempts, one attempt per wait, and each attempt (let through
        # or not) doubles the next wait, up to max_wait.
        wait = min(2 ** min(attempts - self.free_attempts, 30), self.max_wait)
        gate = f"login-backoff-gate/{account}"
        if self.storage.incr(gate, wait) == 1:
            return 0
        return max(1, math.ceil(self.storage.get_expiry(gate) - time.time()))

    def forget(self, account: str, address: str) -> None:
        """A successful sign-in: clear the account's back-off and its count from
        ``address`` (the address's own count stays: it is everyone's there)."""
        for item in self.per_account_and_address:
            self.windows.clear(item, "login-account", account, address)
        self.storage.clear(f"login-backoff/{account}")
        self.storage.clear(f"login-backoff-gate/{account}")


def _posted_account() -> tuple[str, str]:
    """The email tried, as typed and trimmed, and its digest (the store holds no
    addresses)."""
    email = request.form.get("email", "").strip().lower()[:254]
    return email, hashlib.sha256(email.encode()).hexdigest()[:32]


def _device_serializer() -> URLSafeTimedSerializer:
    config = current_app.config
    keys = [*config["SECRET_KEY_FALLBACKS"], config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=KNOWN_DEVICE_SALT)


def _known_device(account: str) -> bool:
    """Whether this browser signed in to ``account`` before (its signed cookie)."""
    cookie = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not cookie:
        return False
    try:
        return _device_serializer().loads(cookie, max_age=KNOWN_DEVICE_MAX_AGE) == account
    except BadSignature:
        return False


def _remember_device(response: Response, account: str) -> None:
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        _device_serializer().dumps(account),
        max_age=KNOWN_DEVICE_MAX_AGE,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
        path="/login",
    )


def _described(error: Exception) -> str:
    """A store's error in a few words, by its cause (limits wraps the client's)."""
    cause = error.__cause__ or error
    return f"{type(cause).__name__}: {cause}"


def _sign_in_unavailable(guard: LoginGuard, error: Exception) -> Response:
    """The store does not answer: no password is checked uncounted (fail closed)."""
    log.error(STORE_UNREACHABLE_LOG, guard.store, _described(error))
    response = make_response(
        render_template("errors/error.html", code=503, message=str(SIGN_IN_UNAVAILABLE_MESSAGE)),
        503,
    )
    response.headers["Retry-After"] = "30"
    return response


def _too_many(wait: int) -> Response:
    response = make_response(
        render_template("errors/error.html", code=429, message=str(LOGIN_LIMIT_MESSAGE)), 429
    )
    response.headers["Retry-After"] = str(wait)
    return response


def limit_login(view: Callable) -> Callable:
    """Limit sign-in attempts on ``view`` (a POST with ``email`` and ``password``):
    counted before the password is checked, strictly per email and address, loosely
    per address alone (one office behind one address is not locked out by one person's
    typos), and per account from anywhere with a doubling wait (:class:`LoginGuard`).
    A sign-in that succeeds (the view signed in the coach of that email) clears its
    counts and marks the browser as known to the account."""

    @functools.wraps(view)
    def limited(*args, **kwargs):
        if request.method != "POST":
            return view(*args, **kwargs)
        guard = login_guard(current_app)
        email, account = _posted_account()
        address = request.remote_addr or "unknown"
        try:
            wait = guard.admit(account, address, known_device=_known_device(account))
        except guard.failures as error:
            return _sign_in_unavailable(guard, error)
        if wait:
            return _too_many(wait)
        response = make_response(view(*args, **kwargs))
        signed_in = getattr(current_user, "email", "") or ""
        if current_user.is_authenticated and email and signed_in.lower() == email:
            try:
                guard.forget(account, address)
            except guard.failures as error:  # signed in; the counts run out on their own
                log.error(STORE_UNREACHABLE_LOG, guard.store, _described(error))
            _remember_device(response, account)
        return response

    return limited


# ---------------------------------------------------------------- CSRF


def _csrf_error(error: CSRFError):
    """A refused form. On pages behind a signed link (raters, coachees), whose session
    may have run out while they wrote, the answers come back on a page that sends them
    again with a fresh token: nothing is saved without that second, deliberate post."""
    view_args = request.view_args or {}
    if request.method == "POST" and LINK_ENDPOINT_ARG in view_args:
        fields = [
            (name, value) for name, value in request.form.items(multi=True) if name != "csrf_token"
        ]
        return render_template("security/resend.html", fields=fields, action=request.path), 400
    return render_template("errors/error.html", code=400, message=error.description), 400
