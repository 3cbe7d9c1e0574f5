"""Streaming multipart uploads: the file goes to disk as it arrives, capped while reading.

FastAPI's `UploadFile` spools the whole body to a temporary file before the route runs,
so a cap checked afterwards has already let a client send (and us store) everything.
Here python-multipart's push parser is fed straight from `request.stream()`: the one
file part is written, hashed and counted as it arrives, every limit is checked on the
bytes as they come, and on any failure the partial file is deleted.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from contextlib import aclosing, suppress
from dataclasses import dataclass

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.routing import APIRoute
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from intake.config import Settings
from intake.documents.storage import IncomingWriter, LocalStorage, ReceivedBlob, Storage
from intake.documents.upload_form import (
    MAX_BOUNDARY_BYTES,
    MAX_FORM_OVERHEAD_BYTES,
    FileStartHook,
    FormReader,
    NoFilePart,
    too_large,
)
from intake.errors import BadRequest, ServiceUnavailable, UnsupportedMediaType

__all__ = ["NoFilePart", "ReceivedUpload", "UploadInterrupted", "UploadRoute", "receive_upload"]

# File bytes are gathered (as views of the received chunks, no copy) into blocks this
# big, and each block is hashed and written in a worker thread while the next one is
# read. Measured on the bench machine (bench/README.md, "Write strategy"), 1 GiB over
# loopback: a thread hop per network chunk ran at ~190 MB/s; 1 MiB blocks ~330 MB/s,
# 4 MiB ~375 MB/s, with the event loop's p99 lag at 1-4 ms and its worst ~15 ms either
# way. Writing on the loop itself (320-350 MB/s) stalled it 14-26 ms at worst, and a
# slow disk would stall every other request with it.
WRITE_BLOCK_BYTES = 4 * 1024 * 1024

# A full disk (or quota) is ours to fix, not the patient's: they are told to try again
# later, and operators see it in the log. Other disk errors stay unexpected (a 500).
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_FULL_RETRY_AFTER_SECONDS = 600

log = logging.getLogger(__name__)


class UploadInterrupted(BadRequest):
    """The client went away before the body was complete."""

    def __init__(self) -> None:
        super().__init__("The upload was interrupted before it was complete")


@dataclass(frozen=True)
class ReceivedUpload:
    fields: dict[str, str]  # the text fields (e.g. "kind", "report_date", "csrf_token")
    filename: str | None  # the client's filename, raw (the service sanitises it)
    content_type: str | None  # the file part's declared Content-Type; checked, never trusted
    blob: ReceivedBlob  # temp_path, sha256, size, head (first 132 bytes)


def _boundary(content_type: str | None) -> bytes:
    media_type, options = parse_options_header(content_type)
    if media_type != b"multipart/form-data":
        raise UnsupportedMediaType("Send the upload as multipart/form-data")
    boundary = options.get(b"boundary", b"")
    if not boundary:
        raise BadRequest("The multipart/form-data Content-Type has no boundary")
    if len(boundary) > MAX_BOUNDARY_BYTES:
        raise BadRequest(f"The multipart boundary is longer than {MAX_BOUNDARY_BYTES} bytes")
    return boundary


def _refuse_declared_oversize(content_length: str | None, settings: Settings) -> None:
    """A body that says up front it is too big is refused before a byte of it is read."""
    if content_length is None:
        return
    try:
        declared = int(content_length)
    except ValueError as exc:
        raise BadRequest("Content-Length is not a number") from exc
    if declared > settings.max_upload_bytes + MAX_FORM_OVERHEAD_BYTES:
        raise too_large(settings.max_upload_bytes)


def _write_all(writer: IncomingWriter, views: list[memoryview]) -> None:
    for view in views:
        writer.write(view)


class _FileSink:
    """The incoming file, created on first use; every disk call runs in a worker thread.

    One block is written while the next is read: `write` hands a block to a thread and
    returns, and only waits for the block before it. Reading and disk writes overlap
    instead of taking turns, and at most two blocks are in memory.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._writer: IncomingWriter | None = None
        # asyncio (not an anyio task group): the await below is the only join we need,
        # and a task group would wrap every refusal in an ExceptionGroup.
        self._in_flight: asyncio.Task[None] | None = None

    async def _opened(self) -> IncomingWriter:
        await self._settle()
        if self._writer is None:
            self._writer = await anyio.to_thread.run_sync(self._storage.incoming)
        return self._writer

    async def _settle(self) -> None:
        """Wait for the block being written; a disk error surfaces here."""
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            await in_flight

    async def write(self, block: list[memoryview]) -> None:
        writer = await self._opened()
        if block:
            self._in_flight = asyncio.ensure_future(
                anyio.to_thread.run_sync(_write_all, writer, block)
            )

    async def finish(self) -> ReceivedBlob:
        writer = await self._opened()
        return await anyio.to_thread.run_sync(writer.finish)

    async def abort(self) -> None:
        # Shielded: a cancelled request must still delete its partial file.
        with anyio.CancelScope(shield=True):
            # The caller re-raises what went wrong first; the block's own fate is moot.
            with suppress(BaseException):
                await self._settle()
            if self._writer is not None:
                await anyio.to_thread.run_sync(self._writer.abort)


async def receive_upload(
    request: Request,
    *,
    storage: LocalStorage | Storage,
    settings: Settings,
    file_field: str = "file",
    on_file_start: FileStartHook | None = None,
) -> ReceivedUpload:
    """Read a multipart form with one file; the caller then keeps or discards the blob.

    `on_file_start`, if given, sees the text fields that came before the file, before
    any file byte is read: raising there (a bad CSRF token, an unknown kind) refuses the
    upload without reading it. Raises `PayloadTooLarge` (413), `BadRequest` (400, which
    names the problem), `UnsupportedMediaType` (415), `NoFilePart` (422) or what the
    hook raises; in every such case no temporary file is left behind.
    """
    boundary = _boundary(request.headers.get("content-type"))
    _refuse_declared_oversize(request.headers.get("content-length"), settings)
    reader = FormReader(
        boundary, file_field=file_field, settings=settings, on_file_start=on_file_start
    )
    sink = _FileSink(storage)
    try:
        async with aclosing(request.stream()) as body:
            async for chunk in body:
                reader.feed(chunk)
                if reader.pending_bytes >= WRITE_BLOCK_BYTES:
                    await sink.write(reader.take_file_data())
        reader.close()
        await sink.write(reader.take_file_data())
        blob = await sink.finish()
    except ClientDisconnect as exc:
        await sink.abort()
        raise UploadInterrupted from exc
    except OSError as exc:
        await sink.abort()
        if exc.errno not in _NO_SPACE:
            raise
        log.error(
            "upload refused: document storage is out of space (%s)", errno.errorcode[exc.errno]
        )
        raise ServiceUnavailable(
            "The clinic cannot store files right now; nothing was kept. Please try again later.",
            retry_after=STORAGE_FULL_RETRY_AFTER_SECONDS,
        ) from exc
    except BaseException:
        await sink.abort()
        raise
    return ReceivedUpload(
        fields=reader.fields,
        filename=reader.filename,
        content_type=reader.content_type,
        blob=blob,
    )


def _declares_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class UploadRoute(APIRoute):
    """A route that closes the connection when it answers before reading the whole body.

    On a kept-alive connection uvicorn would otherwise go on reading, and dropping, the
    rest of a refused body: up to gigabytes for nothing, and a client cannot be told to
    stop. `Connection: close` makes uvicorn close the socket once the answer is out.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _declares_body(scope):
            await super().handle(scope, receive, send)
            return
        body_read = False

        async def tracking_receive() -> Message:
            nonlocal body_read
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_read = True
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_read:
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await super().handle(scope, tracking_receive, closing_send)
