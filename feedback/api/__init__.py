"""The JSON API under ``/api/v1`` (README "API"): the coach's coachees, cycles, raters,
progress, results and exports for a practice's own tools, with per-coach bearer tokens
(:mod:`.auth`), an OpenAPI 3.1 document generated from the request models
(:mod:`.spec`, :mod:`.schemas`) and errors as RFC 9457 problem details
(:mod:`.problems`). The operations (:mod:`.views`) call the services the pages call.
"""

from flask import Flask, request

from ..extensions import csrf
from . import auth, views, webhook_views  # noqa: F401  (they register the operations on bp)
from .blueprint import bp
from .problems import as_problem, from_http_exception, in_api


def _routing_problem():
    """A URL under the API that matches no operation (404), or a method it does not
    take (405), answered as a problem: routing errors never reach a blueprint's own
    error handlers."""
    error = request.routing_exception
    if error is not None and in_api() and hasattr(error, "get_headers"):
        return from_http_exception(error).response()
    return None


def init_app(app: Flask) -> None:
    """Register the API: its blueprint (exempt from CSRF, since only a bearer token
    authenticates it, never a cookie), its rate limiter, and problems for every error
    under ``/api/v1``."""
    auth.init_app(app)
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.before_request(_routing_problem)
    app.after_request(as_problem)
