"""Errors of the API as RFC 9457 problem details (``application/problem+json``).

Every answer under ``/api/v1`` that is not a success is a problem: the API's own
(:class:`Problem`, raised by the views), a request body or query that does not fit its
schema (422, with one entry per field in ``errors``), an id of nothing the coach owns
(404, as on the pages), the routing's 404 and 405, a refused token (401, 403), too many
requests (429), and anything the app-wide guards answer (a NUL character, a body too
large, the database away). A response that the app built as an HTML error page is
turned into a problem on its way out (:func:`as_problem`), so no page of HTML, and no
traceback, ever reaches an API client.
"""

from http import HTTPStatus

from flask import Response, json, request
from werkzeug.exceptions import HTTPException

#: Where the API lives; everything below it answers errors as problems.
PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"
#: A problem's ``type`` when no page describes it further (RFC 9457, section 4.2.1).
BLANK = "about:blank"


class Problem(Exception):
    """An error for the API's client: an HTTP status, a short ``title`` that is the same
    for every occurrence of that kind of problem, and a ``detail`` about this one.
    ``errors`` lists the fields at fault (validation), ``headers`` go with the answer."""

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        title: str | None = None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.title = title or HTTPStatus(status).phrase
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> Response:
        """The problem as an ``application/problem+json`` response."""
        body: dict = {"type": BLANK, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = request.path
        if self.errors is not None:
            body["errors"] = self.errors
        response = Response(json.dumps(body), status=self.status, mimetype=MEDIA_TYPE)
        response.headers.extend(self.headers)
        return response


def field_errors(errors: list[dict]) -> list[dict]:
    """Pydantic's errors as the problem's field list: where (``body.email``,
    ``query.format``), what is wrong in plain words, and pydantic's code for it."""
    listed = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ())) or "body"
        listed.append(
            {
                "field": location,
                "message": str(error.get("msg", "is not valid")),
                "code": str(error.get("type", "invalid")),
            }
        )
    return listed


def validation_problem(errors: list[dict], where: str = "body") -> Problem:
    """422 for a request whose ``where`` (body, query) does not fit its schema."""
    listed = field_errors(errors)
    for entry in listed:
        if not entry["field"].startswith(f"{where}.") and entry["field"] != where:
            entry["field"] = f"{where}.{entry['field']}"
    return Problem(
        422,
        f"The request's {where} has {len(listed)} "
        f"problem{'s' if len(listed) != 1 else ''}; see errors.",
        title="The request is not valid",
        errors=listed,
    )


def from_http_exception(error: HTTPException) -> Problem:
    """A werkzeug error (404, 405, 413, …) as a problem, with its headers (``Allow``
    for a 405, ``Retry-After`` where it has one)."""
    status = error.code or 500
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    return Problem(status, error.description or "", headers=headers)


def in_api() -> bool:
    """Whether this request is for the API."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def as_problem(response: Response) -> Response:
    """An error answer under the API that is not a problem yet (an app-wide guard's or
    error page's HTML) as a problem of the same status and headers; other answers as
    they are."""
    if response.status_code < 400 or response.mimetype == MEDIA_TYPE or not in_api():
        return response
    status = response.status_code
    kept = {
        name: value
        for name, value in response.headers.items()
        if name.lower() in ("retry-after", "allow", "www-authenticate")
    }
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    problem = Problem(status, title=phrase, headers=kept).response()
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length") and name not in problem.headers:
            problem.headers[name] = value
    return problem
