"""Text the database cannot store is refused on the way in, with a 422 naming each field.

PostgreSQL keeps neither the NUL character (U+0000) nor a lone UTF-16 surrogate (JSON's
`"\\ud800"`) in text or jsonb, so such a value would get as far as the INSERT and fail
there as a 500, or be echoed back in a validation error that cannot be encoded (another
500); SQLite would keep it. Checking the body once, here, covers every field of every API
body and form, including the free-form answers.

JSON bodies are read whole before the app sees them, which is what FastAPI does with them
anyway (and BodyLimitMiddleware caps them). NUL can only arrive as a JSON escape
(backslash-u 0000; raw, it is invalid JSON), a surrogate as its escape or as its own
UTF-8 bytes (invalid UTF-8, but `json.loads` decodes bytes with "surrogatepass"). So a
body with none of these passes on a byte search, and only one with them is decoded and
walked, to name the fields (and to tell an escaped backslash followed by "u0000" from
the real thing). Urlencoded forms are scanned as they stream. Multipart uploads carry
file bytes, not text, and their few text fields are validated by the upload code, so
they pass untouched.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.documents.upload import UploadRoute

_FORM = b"application/x-www-form-urlencoded"
# What can spell NUL or a surrogate in a JSON body; its absence settles it.
_SUSPECT = re.compile(
    rb"\\u(?:0000|[dD][89a-fA-F])"  # the JSON escapes
    rb"|\xed[\xa0-\xbf]"  # a surrogate's own UTF-8 bytes, which json.loads lets through
    rb"|\x00"  # UTF-16 or UTF-32, which json.loads also reads: decode and walk those
)
# Enough of the last chunk to see a `%00` split across two chunks.
_CARRY = 2


class UnstorableText(HTTPException):
    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(status_code=422, detail=problems, headers={"Connection": "close"})


def _problem(loc: list[str | int], what: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": f"Text may not contain {what}.", "type": "text_invalid"}


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return "the NUL character (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "an unpaired surrogate (U+D800 to U+DFFF)"
    return None


def json_problems(document: Any) -> list[dict[str, Any]]:
    """Every string, key or value, that cannot be stored; iterative, so any depth is safe."""
    problems = []
    pending: list[tuple[list[str | int], Any]] = [([], document)]
    while pending:
        loc, value = pending.pop()
        if isinstance(value, str):
            if what := _unstorable(value):
                problems.append(_problem(loc, what))
        elif isinstance(value, dict):
            for key, item in value.items():
                if what := _unstorable(key):
                    problems.append(_problem(loc, f"{what} in a name"))
                    key = key.encode("utf-8", "backslashreplace").decode()
                pending.append(([*loc, key], item))
        elif isinstance(value, list):
            pending.extend(([*loc, index], item) for index, item in enumerate(value))
    return sorted(problems, key=lambda problem: [str(part) for part in problem["loc"]])


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower()
    return b""


class StorableTextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, _checked(scope, receive), send)


def _checked(scope: Scope, receive: Receive) -> Receive:
    """The right check for the body, chosen at its first read: by then the route is known."""
    chosen: Receive | None = None

    async def checked() -> Message:
        nonlocal chosen
        if chosen is None:
            content_type = _content_type(scope)
            if isinstance(scope.get("route"), UploadRoute):
                chosen = receive  # never held whole: an upload may be gigabytes
            # FastAPI parses a body without a Content-Type as JSON too.
            elif not content_type or content_type.endswith((b"/json", b"+json")):
                chosen = _whole_json(receive)
            elif content_type == _FORM:
                chosen = _scanned_form(receive)
            else:
                chosen = receive
        return await chosen()

    return checked


def _whole_json(receive: Receive) -> Receive:
    done = False

    async def whole() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                done = True
                return message
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        done = True
        body = b"".join(chunks)
        whole_body: Message = {"type": "http.request", "body": body, "more_body": False}
        if not _SUSPECT.search(body):
            return whole_body
        try:
            document = json.loads(body) if body else None
        except (ValueError, RecursionError):
            document = None  # not JSON: FastAPI says so, with its own 4xx
        if problems := json_problems(document):
            raise UnstorableText(problems)
        return whole_body

    return whole


def _scanned_form(receive: Receive) -> Receive:
    tail = b""

    async def scanned() -> Message:
        nonlocal tail
        message = await receive()
        if message["type"] == "http.request":
            window = tail + message.get("body", b"")
            tail = window[-_CARRY:]
            if b"\x00" in window or b"%00" in window:
                raise UnstorableText([_problem([], "the NUL character (U+0000)")])
        return message

    return scanned
