"""Sending multipart bodies that are too big to build: in-process over ASGI, or over a socket.

Both count the body bytes that actually left the sender, so a test can tell "refused
after a megabyte" from "refused after reading three gigabytes".
"""

from __future__ import annotations

import json
import select
import socket
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import anyio
from starlette.types import ASGIApp, Message

BOUNDARY = "streaming-upload-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
MiB = 1024 * 1024


def field_part(name: str, value: str | bytes, *, boundary: str = BOUNDARY) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
    return head.encode() + raw + b"\r\n"


def file_head(name: str = "file", filename: str = "scan.pdf", *, boundary: str = BOUNDARY) -> bytes:
    return (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def closing(boundary: str = BOUNDARY) -> bytes:
    return f"--{boundary}--\r\n".encode()


def form(
    before: Iterable[tuple[str, str]] = (),
    file: Iterable[bytes] | None = None,
    after: Iterable[tuple[str, str]] = (),
    *,
    filename: str = "scan.pdf",
) -> Iterator[bytes]:
    """A multipart body, lazily: text fields, then the file's chunks, then more fields."""
    for name, value in before:
        yield field_part(name, value)
    if file is not None:
        yield file_head(filename=filename)
        yield from file
        yield b"\r\n"
    for name, value in after:
        yield field_part(name, value)
    yield closing()


def filler(total: int, *, chunk: int = MiB, first: bytes = b"%PDF-1.4\n") -> Iterator[bytes]:
    """`total` bytes of a PDF-looking file, made as they are asked for."""
    yield first
    block = b"\0" * chunk
    remaining = total - len(first)
    for _ in repeat(None, remaining // chunk):
        yield block
    if remaining % chunk:
        yield block[: remaining % chunk]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    consumed: int  # body bytes the application pulled

    def json(self) -> Any:
        return json.loads(self.body)


def post_in_process(
    app: ASGIApp, path: str, body: Iterable[bytes], *, headers: Mapping[str, str]
) -> Answer:
    """POST through the ASGI app, pulling body chunks only when the app asks for them.

    Without a Content-Length the request says it is chunked, as it would on the wire.
    """
    lengths = {name.lower() for name in headers}
    framed = {**headers}
    if "content-length" not in lengths:
        framed["Transfer-Encoding"] = "chunked"

    async def run() -> Answer:
        chunks = iter(body)
        consumed = 0
        answered = anyio.Event()
        started: dict[str, Any] = {}
        parts: list[bytes] = []

        async def receive() -> Message:
            nonlocal consumed
            chunk = next(chunks, None) if not answered.is_set() else None
            if chunk is None:
                if answered.is_set():
                    return {"type": "http.disconnect"}
                return {"type": "http.request", "body": b"", "more_body": False}
            consumed += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in framed.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        await app(scope, receive, send)
        response_headers = {k.decode(): v.decode() for k, v in started.get("headers", [])}
        return Answer(started["status"], response_headers, b"".join(parts), consumed)

    return anyio.run(run)


@dataclass
class RawAnswer:
    status: int | None  # None: the connection ended without an answer
    sent: int  # body bytes the kernel accepted from us


def _read_status(sock: socket.socket) -> int | None:
    sock.setblocking(True)
    sock.settimeout(30)
    received = b""
    try:
        while b"\r\n" not in received:
            data = sock.recv(4096)
            if not data:
                break
            received += data
    except (ConnectionResetError, TimeoutError):
        pass
    if not received.startswith(b"HTTP/1.1 "):
        return None
    return int(received.split(b" ", 2)[1])


def open_request(port: int, path: str, headers: Mapping[str, str]) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def stream_over_socket(
    port: int, path: str, body: Iterable[bytes], *, headers: Mapping[str, str]
) -> RawAnswer:
    """Send `body` chunked, like most clients: without looking for an answer until done.

    So the count shows whether the *server* stopped reading: it goes on until the
    server hangs up (or nothing moves for 30 s), then the answer is read.
    """
    sock = open_request(port, path, {**headers, "Transfer-Encoding": "chunked"})
    sent = 0
    try:
        sock.setblocking(False)
        for chunk in chain(_framed(body), [b"0\r\n\r\n"]):
            view = memoryview(chunk)
            while view:
                _, writable, _ = select.select([], [sock], [], 30)
                if not writable:
                    return RawAnswer(_read_status(sock), sent)
                try:
                    accepted = sock.send(view)
                except (BrokenPipeError, ConnectionResetError):
                    return RawAnswer(_read_status(sock), sent)
                view, sent = view[accepted:], sent + accepted
        return RawAnswer(_read_status(sock), sent)
    finally:
        sock.close()


def _framed(body: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in body:
        if chunk:
            yield b"%x\r\n" % len(chunk) + chunk + b"\r\n"


def hang_up(sock: socket.socket) -> None:
    """Drop the connection the way a crashed client does: a reset, not a goodbye."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
