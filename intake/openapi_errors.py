"""The error answers in /openapi.json, true to what intake/errors.py renders.

Errors a route's shape implies are added to every such operation here: a token means 401
(and 403 for staff routes), a path id means 404, a body means 400, any input means 422.
Errors only some routes raise (409, 410, 429 ...) are declared on the route with
`responses=errors(...)`.
Clients and the fuzzer (tests/fuzz) read the document, so it must list every status the
API really answers, each with its body's schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from intake.openapi_links import add_links


class ErrorMessage(BaseModel):
    """`{"detail": "..."}`: one sentence for the caller."""

    detail: str


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problems(BaseModel):
    """`{"detail": [{"loc", "msg", "type"}]}`: every problem at once, by field path."""

    detail: list[Problem]


DESCRIPTIONS = {
    400: "Malformed request",
    408: "The body stopped arriving (REQUEST_BODY_TIMEOUT_SECONDS between chunks)",
    401: "No valid token for this route",
    403: "Signed in, but this role may not do this",
    404: "No such record, or not the caller's",
    409: "Conflicts with the record's current state",
    410: "Expired, or already used",
    413: "Too large",
    415: "Not a supported type",
    422: "Invalid input: every problem, by field path",
    429: "Too many requests: Retry-After says when to try again",
    503: "Our storage is full: nothing was kept; Retry-After says when to try again",
}

_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
_WITH_RETRY_AFTER = frozenset({429, 503})
_STAFF_SCHEME = "StaffToken"


def errors(*codes: int, described: dict[int, str] | None = None) -> dict[int | str, Any]:
    """`responses=` for a route: these statuses, with the bodies errors.py renders.

    `described` replaces the generic description where the route can say more.
    """
    return {code: _response(code, (described or {}).get(code)) for code in codes}


def _response(code: int, description: str | None) -> dict[str, Any]:
    model = Problems if code == 422 else ErrorMessage
    response: dict[str, Any] = {"model": model, "description": description or DESCRIPTIONS[code]}
    if code in _WITH_RETRY_AFTER:
        response["headers"] = _RETRY_AFTER
    return response


def document_responses(app: FastAPI) -> None:
    """When the schema is first built: the errors each operation's shape implies, and links."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _add_implied_errors(schema)
            add_links(schema)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_implied_errors(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorMessage, Problem, Problems):
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(found.pop("$defs", {}))
        components.setdefault(model.__name__, found)
    for operation in _operations(schema):
        responses = operation.setdefault("responses", {})
        for code in _implied(operation):
            if str(code) not in responses:
                responses[str(code)] = _rendered(code)


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    methods = ("get", "put", "post", "patch", "delete")
    return [ops[m] for ops in schema.get("paths", {}).values() for m in methods if m in ops]


def _implied(operation: dict[str, Any]) -> list[int]:
    schemes = {name for requirement in operation.get("security", []) for name in requirement}
    parameters = operation.get("parameters", [])
    codes = []
    if schemes:
        codes.append(401)
    if _STAFF_SCHEME in schemes:
        codes.append(403)
    if any(parameter["in"] == "path" for parameter in parameters):
        codes.append(404)
    if "requestBody" in operation:
        codes.append(400)  # FastAPI's answer to a body it cannot decode (not UTF-8)
        codes.extend((408, 413))  # intake/http/body_limits.py: too slow, too big
    if parameters or "requestBody" in operation:
        codes.append(422)
    return codes


def _rendered(code: int) -> dict[str, Any]:
    name = "Problems" if code == 422 else "ErrorMessage"
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }
    if code in _WITH_RETRY_AFTER:
        response["headers"] = _RETRY_AFTER
    return response
