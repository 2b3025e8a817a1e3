"""The API's blueprint and its answers to errors (:mod:`.problems`)."""

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from ..errors import NotFound
from .auth import authenticate
from .problems import PREFIX, Problem, from_http_exception
from .spec import document

bp = Blueprint("api", __name__, url_prefix=PREFIX)

#: Endpoints that need no token: the document that says how to use the others.
PUBLIC_ENDPOINTS = frozenset({"api.show_openapi"})
#: The largest id a table holds (a 32-bit integer); a larger one is a 404, never a
#: database error.
LARGEST_ID = 2**31 - 1


@bp.before_request
def _authenticate() -> None:
    """Every operation but the document needs a coach's bearer token."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 < value <= LARGEST_ID:
            raise Problem(404, "No such id.")


@bp.get("/openapi.json")
def show_openapi():
    """The OpenAPI 3.1 document of this API, generated from the models that validate
    its requests."""
    return document()


@bp.errorhandler(Problem)
def _problem(problem: Problem):
    return problem.response()


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return Problem(404, f"{error.args[0] if error.args else 'Not found'}.").response()


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return from_http_exception(error).response()
