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
- ``RATELIMIT_STORAGE_URI``: where login attempts are counted (``memory://`` by default,
  one count per process; ``redis://host:6379`` when several processes serve the app).
- ``LOGIN_LIMIT_PER_ACCOUNT`` and ``LOGIN_LIMIT_PER_ADDRESS``: failed sign-ins allowed per
  email and address, and per address alone (Flask-Limiter's notation).
"""

import hashlib
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, flash, render_template, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import logout_user
from flask_wtf.csrf import CSRFError
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

#: Endpoints whose responses are the same for everyone and may be cached.
CACHEABLE_ENDPOINTS = frozenset({"static", "plotly_js"})

#: Endpoints reached through a signed link (portal, rater form), where the link itself
#: is the secret, so a post whose session ran out is shown again instead of lost.
LINK_ENDPOINT_ARG = "token"

NUL_MESSAGE = (
    "The text you sent contains a NUL character (\\0), which cannot be stored. "
    "Please remove it and try again."
)
LOGIN_LIMIT_MESSAGE = "Too many sign-in attempts. Please wait a few minutes and try again."

limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    """Register the guards, with the settings :mod:`feedback.settings` checked."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    limiter.init_app(app)
    app.before_request(_refuse_nul_characters)
    app.before_request(_sign_out_idle_coach)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(SecurityError, _untrusted_host)


# ---------------------------------------------------------------- headers


def _security_headers(response: Response) -> Response:
    """The same protective headers on every response; no caching of anything that is
    not the same for everyone (pages, exports, redirects carrying links)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
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
        raise BadRequest(NUL_MESSAGE)


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
            f"You were signed out after {idle_limit // 60} minutes without activity. "
            "Please sign in again.",
            "info",
        )
        return
    session["last_seen"] = int(now)


def _account_and_address() -> str:
    """The rate-limit key of one person's attempts: the email tried (hashed, so the
    counter store holds no addresses) and where the attempt came from."""
    email = request.form.get("email", "").strip().lower()[:254]
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{digest}@{get_remote_address()}"


def _failed_sign_in(response: Response) -> bool:
    """Only failed attempts count; a successful sign-in redirects."""
    return response.status_code != 302


def limit_login(view: Callable) -> Callable:
    """Rate-limit failed sign-ins on ``view``: strictly per email and address, loosely
    per address alone, so one office behind one address is not locked out by one
    person's typos, and guessing many passwords for one account is slow."""
    per_address = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        key_func=get_remote_address,
        scope="login-address",
        methods=["POST"],
        deduct_when=_failed_sign_in,
        error_message=LOGIN_LIMIT_MESSAGE,
    )
    per_account = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=_account_and_address,
        scope="login-account",
        methods=["POST"],
        deduct_when=_failed_sign_in,
        error_message=LOGIN_LIMIT_MESSAGE,
    )
    return per_address(per_account(view))


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
