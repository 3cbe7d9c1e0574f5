"""uvicorn's httptools protocol with the two limits it lacks: header size and header time.

httptools (llhttp) keeps whatever request line and headers a client sends: a 1 MB header
was parsed and answered 200 here, and nothing bounds 100 MB. uvicorn has no setting for
it (only its h11 protocol does). Nor does it time the headers: a connection that sends
nothing, or a header byte a minute (classic slowloris), stays open until the client
leaves; its keep-alive timeout only runs between requests.

So `intake api` serves with this subclass: past MAX_REQUEST_HEADER_BYTES it answers 431
and closes; a request whose headers are not complete REQUEST_HEADER_TIMEOUT_SECONDS after
its first byte (or after the connection opened) gets a 408 and is closed. The body has
its own deadline, between chunks, in the app (intake/http/body_limits.py).
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from intake.config import get_settings


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self._max_header_bytes = settings.max_request_header_bytes
        self._header_timeout = settings.request_header_timeout_seconds
        self._header_bytes = 0
        self._headers_too_large = False
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()  # a client that connects and says nothing

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._header_deadline is None:
            self._arm_header_deadline()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_header_deadline()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        # Raising in a parser callback ends up here, as a parse error: say what it was.
        if self._headers_too_large:
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        else:
            super().send_400_response(msg)

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self._max_header_bytes:
            self._headers_too_large = True
            # httptools stops parsing and uvicorn calls send_400_response.
            raise ValueError("request headers too large")

    def _arm_header_deadline(self) -> None:
        self._header_deadline = self.loop.call_later(self._header_timeout, self._headers_late)

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request's headers are late while the previous answer is still
            # being written: a 408 now would land inside that answer.
            self.transport.close()
            return
        self._refuse(HTTPStatus.REQUEST_TIMEOUT)

    def _refuse(self, status: HTTPStatus) -> None:
        body = f"{status.phrase}\n".encode()
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "content-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()
