"""SMTP servers that misbehave on purpose, for the outbox reliability tests.

Both are real servers on loopback, so the worker under test talks real SMTP (smtplib
over TCP) and fails the way it would against a real relay.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support import free_port, parse_email


class Tarpit:
    """A TCP listener that never says a word.

    The kernel completes the handshake for a listening socket, so a client's connect()
    succeeds, and smtplib then waits for the 220 greeting that never comes: the sender
    is stuck before any part of a message has left it.
    """

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.setblocking(False)
        self.port = int(self._listener.getsockname()[1])
        self._held: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def connections(self) -> int:
        """How many clients have connected so far.

        Accepting takes a connection off the backlog but sends nothing, so the client
        keeps waiting for its greeting exactly as before; we hold the socket open.
        """
        while True:
            try:
                conn, _ = self._listener.accept()
            except BlockingIOError:
                return len(self._held)
            self._held.append(conn)

    def close(self) -> None:
        for conn in self._held:
            conn.close()
        self._listener.close()


@dataclass
class RecordingSink:
    """An SMTP server that keeps every message it accepts, with a switch to stall.

    With `stall` on, DATA records the message and then does not answer until
    `release` is set: the server has the message, but the sender has no 250 yet and
    so cannot know it was delivered.
    """

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    stall: bool = False
    # Set once a message has been recorded while stalling.
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def received(self) -> list[EmailMessage]:
        with self.lock:
            return list(self.messages)

    def copies(self, message_id: str) -> int:
        """How many messages with this Message-ID arrived (a re-send keeps the id)."""
        return sum(1 for m in self.received() if m["Message-ID"] == message_id)


class _RecordingHandler:
    def __init__(self, sink: RecordingSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = parse_email(envelope.original_content or b"")
        with self.sink.lock:
            self.sink.messages.append(message)
            stall = self.sink.stall
        if stall:
            self.sink.stalled.set()
            # Poll rather than block: the server's event loop must keep serving
            # other connections (the next worker's) while this reply is held back.
            while not self.sink.release.is_set():
                await asyncio.sleep(0.05)
        return "250 Message accepted"


@contextmanager
def recording_sink(port: int | None = None) -> Iterator[RecordingSink]:
    """A RecordingSink on loopback, on `port` if given (a relay coming back up)."""
    sink = RecordingSink(host="127.0.0.1", port=port or free_port())
    controller = Controller(_RecordingHandler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        # A stalled handler would hold up the server's shutdown.
        sink.release.set()
        controller.stop()
