"""A request id on every request, in every log line it causes, and one access line.

An incoming `X-Request-ID` is kept when it is a plain token (a proxy's id), so one id
follows the request across services; anything else is replaced, never logged: a header
is whatever the client typed. The id goes back in the response header, and the publisher
carries it into the Celery tasks the request causes (intake.logs.trace_headers).

The access line names the route template (`/api/v1/intakes/{intake_id}`), not the raw
path: paths and query strings can carry link tokens and addresses.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER: Final = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")
UNMATCHED: Final = "<unmatched>"

access_log = structlog.stdlib.get_logger("intake.access")


def incoming_or_new(value: str | None) -> str:
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The path the matched route was declared with; never the path the client sent."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(HEADER.lower().encode())
        request_id = incoming_or_new(header.decode("latin-1") if header else None)
        status = 500  # what the client gets if the app raises before responding

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                access_log.info(
                    "request",
                    method=scope["method"],
                    path=route_template(scope),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )
