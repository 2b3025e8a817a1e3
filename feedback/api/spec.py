"""The validator that is also the OpenAPI 3.1 document: spectree over pydantic.

Each view declares its body, query and answers with pydantic models
(``@spec.validate(...)``); spectree checks every request against them before the view
runs and writes the document at ``/api/v1/openapi.json`` from the same declarations.
A request that does not fit becomes a 422 problem with a list of fields
(:func:`_refuse_invalid`); errors are documented as ``application/problem+json``.
"""

import copy
import json
from typing import Any

from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData

from .problems import MEDIA_TYPE, Problem, validation_problem
from .schemas import ExportFormat, ProblemDetails

#: The statuses every operation may answer with a problem: a body that is not JSON
#: (400), no or a bad token (401), a
#: read token asking to write (403), another coach's id (404), too many requests (429).
COMMON_PROBLEMS = (400, 401, 403, 404, 429)


def _refuse_invalid(request, _response, error, _instance, _adapter) -> None:
    """Turn spectree's validation error into the API's problem: 400 for a body that is
    not JSON at all, else 422 with the fields at fault (a body that is JSON but not an
    object is one fault, of the body itself)."""
    if error is None:
        return
    if request.is_json and request.get_data():
        try:
            body = json.loads(request.get_data())
        except ValueError:
            raise Problem(400, "The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise validation_problem(
                [{"loc": (), "msg": "Input should be a JSON object", "type": "dict_type"}]
            )
    raise validation_problem(error.errors(include_url=False, include_context=False))


spec = SpecTree(
    "flask",
    mode="strict",
    title="Mirror 360 API",
    version="1",
    description=(
        "The coach's coachees, cycles, raters, progress and results. Every request "
        "carries `Authorization: Bearer <token>` (a coach's API token, made on their "
        "settings page or with `feedback api-token create`). A token sees only its "
        "coach's data: anything else is a 404. Errors are RFC 9457 problem details."
    ),
    path="api/v1/docs",
    page_templates={},
    annotations=True,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    validation_error_status=422,
    validation_error_model=ProblemDetails,
    before=_refuse_invalid,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="A coach's API token."
            ),
        )
    ],
    security={"bearer": []},
)


def answers(*problems: int, **successes: Any) -> Response:
    """The answers of an operation: its successes (``HTTP_200=Model``, ``HTTP_204=None``)
    and the problems it may give besides the common ones."""
    codes = {f"HTTP_{status}": ProblemDetails for status in (*COMMON_PROBLEMS, *problems)}
    return Response(**successes, **codes)


def operation(**declared: Any):
    """``spec.validate`` with the view's own name as the operation's id, so a client
    generated from the document has methods named as the coach would say them."""

    def decorate(view):
        return spec.validate(operation_id=view.__name__, **declared)(view)

    return decorate


#: Operations that answer with a file, and its media types (the document cannot say
#: it through a pydantic model).
FILE_ANSWERS = {
    "download_report": (
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "text/html",
    ),
}


#: Operations whose body may be left out (closing without it is `{}`; approving
#: without it approves all that wait); spectree marks every declared body required.
OPTIONAL_BODIES = frozenset({"close_cycle", "approve_nominations"})


#: Path parameters that take one of a few words (the URL rule takes any, so that a
#: wrong word is the API's own 404 problem).
PATH_CHOICES = {"fmt": [choice.value for choice in ExportFormat]}


def document() -> dict:
    """The OpenAPI document, with every error answer's media type the one it is sent
    with (``application/problem+json``)."""
    generated = copy.deepcopy(spec.spec)
    for operations in generated.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter["name"] in PATH_CHOICES:
                    parameter["schema"] = {
                        "type": "string",
                        "enum": PATH_CHOICES[parameter["name"]],
                    }
            if operation.get("operationId") in OPTIONAL_BODIES and "requestBody" in operation:
                operation["requestBody"]["required"] = False
            files = FILE_ANSWERS.get(operation.get("operationId", ""))
            if files and "200" in operation.get("responses", {}):
                operation["responses"]["200"]["content"] = {
                    media_type: {"schema": {"type": "string", "contentMediaType": media_type}}
                    for media_type in files
                }
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content") or {}
                if status.isdigit() and int(status) >= 400 and "application/json" in content:
                    answer["content"] = {MEDIA_TYPE: content["application/json"]}
    return generated
