"""Uploads stream to disk under their cap: refused early, never whole in memory, never left behind.

In-process tests drive the ASGI app directly, pulling body chunks only when it asks, so
"how much did the server read" is exact. Live tests run `intake api` (uvicorn) to show
what a socket sees: the server stops reading, hangs up, and keeps its memory flat.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from tests import samples
from tests.conftest import PATIENT, SmtpSink, StartedIntake, start_intake, wipe_database
from tests.documents.upload_support import (
    BOUNDARY,
    MULTIPART,
    MiB,
    closing,
    field_part,
    file_head,
    filler,
    form,
    hang_up,
    open_request,
    post_in_process,
    stream_over_socket,
)
from tests.live_api import LiveApi, live_api_process
from tests.support import form_token, reset_caches, wait_for

GiB = 1024 * MiB


def _path(started: StartedIntake) -> str:
    return f"/api/v1/intakes/{started.id}/documents"


def _headers(started: StartedIntake, content_type: str = MULTIPART) -> dict[str, str]:
    return {**started.auth, "Content-Type": content_type}


def _incoming(storage_root: Path) -> list[Path]:
    incoming = storage_root / ".incoming"
    return list(incoming.iterdir()) if incoming.exists() else []


def _no_documents() -> bool:
    with UnitOfWork() as uow:
        return not uow.session.scalars(select(Document)).all()


def _cap_operative_notes(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    monkeypatch.setenv("UPLOAD_LIMITS", json.dumps({"operative_note": cap}))
    reset_caches()


# --- in-process: exact byte counts, on SQLite and PostgreSQL ---------------------------


def test_a_3_gb_body_without_length_is_refused_just_past_its_kinds_cap(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    _cap_operative_notes(monkeypatch, MiB)
    body = form([("kind", "operative_note")], filler(3 * GiB))

    answer = post_in_process(client.app, _path(started), body, headers=_headers(started))

    assert answer.status == 413, answer.body
    assert "larger than the 1048576 byte limit" in answer.json()["detail"]
    assert answer.consumed < 3 * MiB  # the cap plus one chunk, not 3 GB
    assert answer.headers["connection"] == "close"
    assert _incoming(settings.storage_path) == []
    assert _no_documents()


def test_without_the_kind_first_the_overall_cap_holds_and_the_kinds_is_checked_after(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    _cap_operative_notes(monkeypatch, MiB)
    monkeypatch.setenv("MAX_UPLOAD_BYTES", str(4 * MiB))
    reset_caches()

    huge = form([], filler(3 * GiB), [("kind", "operative_note")])
    over_kind_cap = form([], filler(2 * MiB), [("kind", "operative_note")])
    first = post_in_process(client.app, _path(started), huge, headers=_headers(started))
    second = post_in_process(client.app, _path(started), over_kind_cap, headers=_headers(started))

    assert (first.status, second.status) == (413, 413)
    assert first.consumed < 6 * MiB
    assert "larger than the 1048576 byte limit" in second.json()["detail"]
    assert _incoming(settings.storage_path) == []
    assert _no_documents()


def test_a_declared_length_over_the_cap_is_refused_without_reading(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    monkeypatch.setenv("MAX_UPLOAD_BYTES", str(MiB))
    reset_caches()
    headers = {**_headers(started), "Content-Length": str(3 * GiB)}

    answer = post_in_process(client.app, _path(started), filler(3 * GiB), headers=headers)

    assert answer.status == 413
    assert answer.consumed == 0


@pytest.mark.parametrize("token", ["wrong", None])
def test_a_wrong_token_is_refused_before_the_body_is_read(
    client: TestClient, token: str | None
) -> None:
    started = start_intake(client)
    theirs = start_intake(client, email="grace@example.com")
    headers = {"Content-Type": MULTIPART}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = form([("kind", "other")], filler(GiB))

    wrong = post_in_process(client.app, _path(started), body, headers=headers)
    not_theirs = post_in_process(client.app, _path(theirs), body, headers=_headers(started))

    assert (wrong.status, not_theirs.status) == (401, 404)
    assert (wrong.consumed, not_theirs.consumed) == (0, 0)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([*(field_part(f"f{i}", "x") for i in range(1001)), closing()], "Too many form fields"),
        ([field_part("note", "x" * (2 * MiB)), closing()], "longer than 8192 bytes"),
        ([b"\r\n" * (10 * MiB), b"\r\n" * (10 * MiB), closing()], "No multipart boundary"),
        (
            [file_head(), samples.pdf("a"), b"\r\n", file_head(), samples.pdf("b"), b"\r\n"],
            "More than one 'file' part",
        ),
        ([file_head(name="photo"), samples.PNG, b"\r\n"], "Unexpected file in field 'photo'"),
        ([file_head(), samples.pdf("cut short")], "ended before its closing boundary"),
        ([f"--{BOUNDARY}\r\nX-Junk".encode() + b"x" * 9000], "Maximum header size"),
    ],
    ids=["1001-fields", "2mb-field", "crlf-flood", "two-files", "other-file", "cut", "header"],
)
def test_malformed_forms_get_a_400_that_names_the_problem(
    client: TestClient, settings: Settings, body: list[bytes], problem: str
) -> None:
    started = start_intake(client)
    sent_in_64k = (c[i : i + 65536] for c in body for i in range(0, len(c), 65536))

    answer = post_in_process(client.app, _path(started), sent_in_64k, headers=_headers(started))

    assert answer.status == 400, answer.body
    assert problem in answer.json()["detail"]
    assert answer.consumed < 2 * MiB + 128 * 1024  # the CR/LF flood stops after 64 KiB
    assert _incoming(settings.storage_path) == []
    assert _no_documents()


def test_a_boundary_over_256_bytes_is_refused_before_reading(client: TestClient) -> None:
    started = start_intake(client)
    content_type = f"multipart/form-data; boundary={'b' * 300}"

    answer = post_in_process(
        client.app, _path(started), [b"x" * 1024], headers=_headers(started, content_type)
    )

    assert answer.status == 400
    assert "longer than 256 bytes" in answer.json()["detail"]
    assert answer.consumed == 0


def test_missing_and_bad_fields_are_all_named_and_a_bad_kind_stops_the_file(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    nothing = form([("report_date", "soon")])
    bad_kind_first = form([("kind", "selfie")], filler(GiB))

    empty = post_in_process(client.app, _path(started), nothing, headers=_headers(started))
    refused = post_in_process(client.app, _path(started), bad_kind_first, headers=_headers(started))

    assert empty.status == 422
    locations = [p["loc"] for p in empty.json()["detail"]]
    assert locations == [["body", "kind"], ["body", "report_date"], ["body", "file"]]
    assert refused.status == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "kind"]
    assert refused.consumed < MiB
    assert _incoming(settings.storage_path) == []


def test_fields_may_follow_the_file_and_the_stored_bytes_are_the_sent_ones(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    content = samples.pdf("streamed") + bytes(range(256)) * 20_000  # ~5 MB, several blocks
    chunks = [content[i : i + 70_000] for i in range(0, len(content), 70_000)]
    body = form([], chunks, [("kind", "operative_note"), ("report_date", "2024-03-01")])

    answer = post_in_process(client.app, _path(started), body, headers=_headers(started))

    assert answer.status == 201, answer.body
    assert answer.json()["report_date"] == "2024-03-01"
    assert answer.json()["size_bytes"] == len(content)
    with UnitOfWork() as uow:
        document = uow.session.scalars(select(Document)).one()
    assert (settings.storage_path / document.storage_key).read_bytes() == content
    assert _incoming(settings.storage_path) == []


def test_the_web_form_needs_its_csrf_token_before_the_file(client: TestClient) -> None:
    started = client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    assert started.status_code == 201
    cookie = f"patient_token={client.cookies['patient_token']}"
    body = form([("csrf_token", "0" * 64), ("kind", "other")], filler(GiB))
    headers = {"Content-Type": MULTIPART, "Cookie": cookie}

    answer = post_in_process(client.app, "/intake/documents", body, headers=headers)

    assert answer.status == 403
    assert answer.consumed < MiB


# --- a live server: what a socket sees ----------------------------------------------


@pytest.fixture(scope="module")
def live_api(
    database_url: str, smtp_server: SmtpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApi]:
    """`intake api` in its own process: imaging up to 300 MiB, operative notes 1 MiB."""
    caps = {
        "MAX_UPLOAD_BYTES": str(300 * MiB),
        "UPLOAD_LIMITS": json.dumps({"operative_note": MiB}),
    }
    with live_api_process(
        database_url=database_url,
        smtp_url=smtp_server.url,
        var_dir=tmp_path_factory.mktemp("live-uploads"),
        env=caps,
    ) as api:
        yield api


@pytest.fixture
def live(live_api: LiveApi, database_url: str) -> Iterator[LiveApi]:
    """The live API for one test; the rows it made are gone before the next test."""
    yield live_api
    wipe_database(database_url)


def test_live_a_3_gb_chunked_body_gets_413_and_the_server_stops_reading(
    live: LiveApi,
) -> None:
    started = live.start_intake()
    body = form([("kind", "operative_note")], filler(3 * GiB))

    answer = stream_over_socket(live.port, _path(started), body, headers=_headers(started))

    assert answer.status == 413
    # The cap (1 MiB) plus what socket buffers on both sides held: far from 3 GB.
    assert answer.sent < 64 * MiB
    assert _incoming(live.storage) == []
    assert live.documents(started) == []


def test_live_a_client_that_hangs_up_mid_upload_leaves_no_temp_file(live: LiveApi) -> None:
    started = live.start_intake()
    headers = {**_headers(started), "Content-Length": str(200 * MiB)}
    sock = open_request(live.port, _path(started), headers)
    sock.sendall(field_part("kind", "current_mri") + file_head())
    for chunk in filler(8 * MiB):
        sock.sendall(chunk)
    wait_for(lambda: _incoming(live.storage), timeout=30, what="the upload's temp file")

    hang_up(sock)

    wait_for(lambda: not _incoming(live.storage), timeout=30, what="the temp file to go")
    assert live.documents(started) == []


def test_live_memory_stays_flat_while_256_mb_stream_through(live: LiveApi) -> None:
    started = live.start_intake()
    server = psutil.Process(live.pid)
    url = f"{live.base}{_path(started)}"
    with httpx.Client(headers=started.auth, timeout=120) as client:
        warm_up = client.post(
            url, data={"kind": "current_mri"}, files={"file": ("a.pdf", samples.pdf("warm"))}
        )
        assert warm_up.status_code == 201, warm_up.text
        time.sleep(0.5)  # let the warm-up's garbage settle
        idle = server.memory_info().rss
        peak = idle
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, server.memory_info().rss)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        body = form([("kind", "current_mri")], filler(256 * MiB))
        try:
            response = client.post(url, content=body, headers={"Content-Type": MULTIPART})
        finally:
            done.set()
            sampler.join()

    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == 256 * MiB
    assert peak - idle < 64 * MiB, f"RSS grew by {(peak - idle) / MiB:.1f} MiB"
