"""Request bodies: a byte cap counted as they arrive, and a deadline between chunks.

The cap (MAX_JSON_BODY_BYTES) covers every body but an upload's: JSON and form posts are a
few KB, and FastAPI reads a whole body into memory before parsing it, whatever its type,
so a 1 GB "JSON" post must be stopped on the way in rather than judged afterwards. Upload
routes (`UploadRoute`) stream to disk with per-kind caps of their own (documents/upload.py),
so the cap leaves them alone. Which route answers is known only after routing, so the
check happens on the first read of the body, when `scope["route"]` is set.

The deadline (REQUEST_BODY_TIMEOUT_SECONDS) covers every body, uploads included: uvicorn
has no read timeout of its own (its keep-alive timeout only runs between requests), so a
client that sends a Content-Length and then a byte a minute would hold a worker for ever.

Inside both, every JSON and form body is checked for text the database cannot store
(intake/http/storable_text.py).

Both answer from inside the app's read of the body, as HTTP errors that FastAPI passes
through, with `Connection: close` so uvicorn does not go on draining the rest.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.config import Settings, get_settings
from intake.documents.upload import UploadRoute
from intake.http.storable_text import StorableTextMiddleware

_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        detail = f"The request body is larger than the limit of {limit} bytes."
        super().__init__(status_code=413, detail=detail, headers=_CLOSE)


class BodyTimedOut(HTTPException):
    def __init__(self, seconds: float) -> None:
        detail = f"No part of the request body arrived for {seconds:g} seconds."
        super().__init__(status_code=408, detail=detail, headers=_CLOSE)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn refuses these before we see them
    return None


class BodyLimitMiddleware:
    """Caps and times the body of every HTTP request (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings] = get_settings) -> None:
        self.app = StorableTextMiddleware(app)
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = self.settings()
        limit = settings.max_json_body_bytes
        timeout = settings.request_body_timeout_seconds
        received = 0
        finished = False

        async def limited_receive() -> Message:
            nonlocal received, finished
            if finished:
                # After the body only http.disconnect comes, whenever the client leaves:
                # waiting for that is not a slow body.
                return await receive()
            capped = not isinstance(scope.get("route"), UploadRoute)
            declared = _declared_length(scope)
            if capped and declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            with anyio.move_on_after(timeout) as waited:
                message = await receive()
            if waited.cancelled_caught:
                raise BodyTimedOut(timeout)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if capped and received > limit:
                    raise BodyTooLarge(limit)
            else:
                finished = True
            return message

        await self.app(scope, limited_receive, send)
