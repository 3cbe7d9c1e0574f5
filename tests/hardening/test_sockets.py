"""What a real socket sees from `intake api` (uvicorn with httptools): huge headers, slow
bodies, and bodies too big to read. Each gets an answer or a closed connection, and the
server goes on serving everyone else.

The body and header timeouts are 1 s here so that a stall is answered soon; the tests
wait for the answer however long it takes, and assert only what it is.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from itertools import chain

import httpx2
import pytest

from intake.config import Settings
from tests.conftest import SmtpSink, wipe_database
from tests.documents.upload_support import (
    MULTIPART,
    MiB,
    field_part,
    file_head,
    open_request,
    stream_over_socket,
)
from tests.hardening.support import intake_count
from tests.live_api import LiveApi, live_api_process

INTAKES = "/api/v1/intakes"


@pytest.fixture(scope="module")
def live_api(
    database_url: str, smtp_server: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    with live_api_process(
        database_url=database_url,
        smtp_url=smtp_server.url,
        var_dir=tmp_path_factory.mktemp("live-hardening"),
        env={"REQUEST_BODY_TIMEOUT_SECONDS": "1", "REQUEST_HEADER_TIMEOUT_SECONDS": "1"},
    ) as api:
        yield api


@pytest.fixture
def live(live_api: LiveApi, settings: Settings, database_url: str) -> Iterator[LiveApi]:
    """The live API, and this process's settings on its database (to count what it stored)."""
    yield live_api
    wipe_database(database_url)


def _answer(sock: socket.socket) -> tuple[int | None, bytes]:
    """The status line's code (None if the server hung up first) and everything it sent."""
    sock.settimeout(60)
    received = b""
    try:
        while data := sock.recv(65536):
            received += data
    except (ConnectionResetError, TimeoutError):
        pass
    if not received.startswith(b"HTTP/1.1 "):
        return None, received
    return int(received.split(b" ", 2)[1]), received


def _still_serving(live: LiveApi) -> None:
    assert httpx2.get(f"{live.base}/healthz", timeout=30).status_code == 200


def test_a_1_mb_header_is_refused_and_the_server_keeps_serving(live: LiveApi) -> None:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
    with sock:
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * MiB + b"\r\n\r\n"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)  # it may hang up before the end: refused too
        status, _ = _answer(sock)

    assert status in (None, 431)
    _still_serving(live)


def test_headers_over_the_limit_get_a_431_and_under_it_are_served(
    live: LiveApi, settings: Settings
) -> None:
    limit = settings.max_request_header_bytes
    for size, expected in ((limit // 2, 200), (limit + 1, 431)):
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
        with sock:
            sock.sendall(
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + b"X-Big: "
                + b"a" * size
                + b"\r\n\r\n"
            )
            status, _ = _answer(sock)
        assert status == expected, size


def test_a_client_that_connects_and_says_nothing_is_closed(live: LiveApi) -> None:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
    with sock:
        _still_serving(live)
        status, _ = _answer(sock)  # returns once the server has closed

    assert status == 408


def test_headers_that_trickle_get_a_408(live: LiveApi) -> None:
    """Classic slowloris: a request line, then a header that never ends."""
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=30)
    with sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        status, _ = _answer(sock)

    assert status == 408
    _still_serving(live)


def test_many_headers_are_refused_or_served_never_a_500(live: LiveApi) -> None:
    headers = {f"X-Header-{n}": "v" * 100 for n in range(2000)}
    try:
        response = httpx2.get(f"{live.base}/healthz", headers=headers, timeout=30)
        assert response.status_code in (200, 400, 431)
    except httpx2.RemoteProtocolError:
        pass  # closed without an answer: refused
    _still_serving(live)


def test_a_stalled_json_body_gets_a_408_and_the_connection_closes(live: LiveApi) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": "100"}
    sock = open_request(live.port, INTAKES, headers)
    with sock:
        sock.sendall(b'{"patient": {')  # and then nothing
        _still_serving(live)  # meanwhile, everyone else is served
        status, received = _answer(sock)  # returns once the server has closed

    assert status == 408
    assert b"connection: close" in received.lower()
    assert intake_count() == 0
    _still_serving(live)


def test_a_body_that_trickles_is_cut_off_when_it_stalls(live: LiveApi) -> None:
    """A byte now and then resets nothing but the gap: the stall is what is timed."""
    headers = {"Content-Type": "application/json", "Content-Length": "1000"}
    sock = open_request(live.port, INTAKES, headers)
    with sock:
        for byte in b'{"pat':
            sock.sendall(bytes([byte]))
        status, _ = _answer(sock)

    assert status == 408
    assert intake_count() == 0


def test_a_stalled_upload_gets_a_408_and_leaves_no_file(live: LiveApi) -> None:
    started = live.start_intake()
    path = f"{INTAKES}/{started.id}/documents"
    headers = {**started.auth, "Content-Type": MULTIPART, "Content-Length": str(10 * MiB)}
    sock = open_request(live.port, path, headers)
    with sock:
        sock.sendall(
            field_part("kind", "operative_note") + file_head() + b"%PDF-1.4\n" + b"0" * MiB
        )
        status, _ = _answer(sock)

    assert status == 408
    assert live.documents(started) == []
    assert [p for p in live.storage.rglob("*") if p.is_file()] == []


def test_a_declared_1_gb_json_body_is_refused_before_any_of_it_is_read(live: LiveApi) -> None:
    """413 at once: with nothing sent, a server that waited to read it would answer 408."""
    headers = {"Content-Type": "application/json", "Content-Length": str(1024 * MiB)}
    sock = open_request(live.port, INTAKES, headers)
    with sock:
        status, received = _answer(sock)

    assert status == 413
    assert str(1024 * 1024).encode() in received  # the limit, named
    _still_serving(live)


def test_a_chunked_json_body_is_cut_off_at_the_cap_not_read_to_the_end(live: LiveApi) -> None:
    body = chain([b'{"patient": {"first_name": "'], (b"a" * MiB for _ in range(1024)))

    answer = stream_over_socket(
        live.port, INTAKES, body, headers={"Content-Type": "application/json"}
    )

    assert answer.status == 413
    # The cap (1 MiB) plus what socket buffers on both sides held: far from 1 GiB.
    assert answer.sent < 64 * MiB
    assert intake_count() == 0
    _still_serving(live)
