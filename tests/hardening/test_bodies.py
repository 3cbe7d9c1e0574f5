"""Hostile bodies through the ASGI app: too big, too deep, not UTF-8, NUL bytes.

Each one gets a clean 4xx and stores nothing; none is a 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from tests import samples
from tests.conftest import PATIENT, start_intake
from tests.hardening.support import intake_count
from tests.support import form_token

INTAKES = "/api/v1/intakes"
CHUNK = 64 * 1024
JSON = {"Content-Type": "application/json"}
# A valid medication answer (tests/questionnaire/fixtures.py): only its name is bad.
_TRAMADOL = {"name": "Tramadol", "drug_class": "opioid analgesic", "opioid": True, "current": True}


def _ascii_json(body: object) -> bytes:
    """JSON as a client may send it: a lone surrogate goes as its `\\ud800` escape."""
    return json.dumps(body).encode()


def _padded_start(size: int) -> bytes:
    """A start request `size` bytes long (its padding is refused, but only once parsed)."""
    head = b'{"patient": {"first_name": "Ada"}, "padding": "'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_json_body_over_the_limit_is_refused_naming_the_limit(
    client: TestClient, settings: Settings
) -> None:
    limit = settings.max_json_body_bytes
    at_the_limit = client.post(INTAKES, content=_padded_start(limit), headers=JSON)
    assert at_the_limit.status_code == 422  # read and judged: the cap let it through

    response = client.post(INTAKES, content=_padded_start(limit + 1), headers=JSON)

    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]
    assert response.headers["connection"] == "close"
    assert intake_count() == 0


def test_a_chunked_body_over_the_limit_is_refused(client: TestClient) -> None:
    """No Content-Length: the cap is counted on the bytes as they come.

    That reading stops at the cap, rather than after the whole body, needs a real socket:
    tests/hardening/test_sockets.py.
    """

    def chunks() -> Iterator[bytes]:
        yield b'{"patient": {"first_name": "'
        for _ in range(32):  # 2 MiB
            yield b"a" * CHUNK
        yield b'"}}'

    response = client.post(INTAKES, content=chunks(), headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    assert intake_count() == 0


def test_an_oversized_web_form_is_refused_too(client: TestClient, settings: Settings) -> None:
    token = form_token(client, "/")
    huge = "x" * (settings.max_json_body_bytes + 1)

    response = client.post("/start", data={**PATIENT, "csrf_token": token, "last_name": huge})

    assert response.status_code == 413
    assert intake_count() == 0


def test_uploads_keep_their_own_limit_not_the_json_one(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    monkeypatch.setattr(settings, "max_json_body_bytes", 1024)
    note = samples.pdf("operative_note") + b"%" * 4096  # PDF readers skip trailing bytes

    response = client.post(
        f"{INTAKES}/{started.id}/documents",
        headers=started.auth,
        data={"kind": "operative_note"},
        files={"file": ("note.pdf", note, "application/pdf")},
    )

    assert response.status_code == 201, response.text
    assert len(note) > 1024


@pytest.mark.parametrize("depth", [200, 5_000, 100_000])
def test_deeply_nested_json_is_a_4xx_not_a_recursion_error(client: TestClient, depth: int) -> None:
    started = start_intake(client)
    nested = "[" * depth + "]" * depth
    body = '{"answers": {"medications": ' + nested + "}}"

    response = client.patch(
        f"{INTAKES}/{started.id}",
        content=body.encode(),
        headers={**started.auth, "Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500, response.text
    reread = client.get(f"{INTAKES}/{started.id}", headers=started.auth).json()
    assert "medications" not in reread["answers"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"patient": {"first_name": "\xff\xfe", "last_name": "L"}, "answers": {}}',
        b"\xef\xbb\xbf\xc3\x28",  # a BOM, then a broken two-byte sequence
        b'{"patient": {"first_name": "\xed\xa0\x80"}}',  # an encoded surrogate
    ],
)
def test_json_that_is_not_utf8_is_a_4xx(client: TestClient, body: bytes) -> None:
    response = client.post(INTAKES, content=body, headers={"Content-Type": "application/json"})

    assert 400 <= response.status_code < 500, response.text
    assert intake_count() == 0


def test_a_web_form_that_is_not_utf8_is_a_4xx(client: TestClient) -> None:
    token = form_token(client, "/")
    body = f"first_name=%FF%FE&last_name=\xff&csrf_token={token}".encode("latin-1")

    response = client.post(
        "/start", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert 400 <= response.status_code < 500, response.text
    assert intake_count() == 0


@pytest.mark.parametrize(
    ("first_name", "answer"),
    [
        ("A\u0000da", None),
        ("\ud800", None),
        (None, {"medications": [{**_TRAMADOL, "name": "Tra\u0000madol"}]}),
        (None, {"medications": [{**_TRAMADOL, "name": "Tramadol \udc00"}]}),
    ],
)
def test_text_the_database_cannot_store_is_a_422_naming_the_field(
    client: TestClient, first_name: str | None, answer: dict[str, Any] | None
) -> None:
    """PostgreSQL keeps neither U+0000 nor a lone surrogate: refused before it is tried."""
    if first_name is not None:
        patient = {**PATIENT, "first_name": first_name}
        body = {"patient": patient, "answers": {}}
        response = client.post(INTAKES, content=_ascii_json(body), headers=JSON)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "patient", "first_name"]
        assert intake_count() == 0
        return
    started = start_intake(client)
    response = client.patch(
        f"{INTAKES}/{started.id}",
        content=_ascii_json({"answers": answer}),
        headers={**started.auth, **JSON},
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:3] == ["body", "answers", "medications"]
    reread = client.get(f"{INTAKES}/{started.id}", headers=started.auth).json()
    assert "medications" not in reread["answers"]


@pytest.mark.parametrize(
    "body",
    [
        '{"patient": {"first_name": "\ud800"}}'.encode("utf-8", "surrogatepass"),
        '{"patient": {"first_name": "\ud800"}}'.encode("utf-16-le", "surrogatepass"),
    ],
    ids=["utf-8 bytes", "utf-16"],
)
def test_a_surrogate_sent_raw_is_refused_too(client: TestClient, body: bytes) -> None:
    """json.loads reads these bytes (surrogatepass, UTF-16 detection): no escape needed."""
    response = client.post(INTAKES, content=body, headers=JSON)

    assert 400 <= response.status_code < 500, response.text
    assert intake_count() == 0


@pytest.mark.parametrize("name", ["Tramadol \\u0000", "Tramadol \\ud800", "Tramadol \U0001f600"])
def test_text_that_only_looks_like_an_escape_is_stored(client: TestClient, name: str) -> None:
    """A backslash before "u0000" (or an emoji's surrogate pair) is ordinary text."""
    started = start_intake(client)
    answer = {"medications": [{**_TRAMADOL, "name": name}]}

    response = client.patch(
        f"{INTAKES}/{started.id}",
        content=_ascii_json({"answers": answer}),
        headers={**started.auth, **JSON},
    )

    assert response.status_code == 200, response.text
    reread = client.get(f"{INTAKES}/{started.id}", headers=started.auth).json()
    assert reread["answers"]["medications"][0]["name"] == name


def test_a_nul_in_a_web_form_is_a_4xx(client: TestClient) -> None:
    token = form_token(client, "/")

    response = client.post("/start", data={**PATIENT, "first_name": "A\x00da", "csrf_token": token})

    assert response.status_code == 422
    assert intake_count() == 0


def test_a_path_or_query_that_is_not_utf8_is_a_4xx(client: TestClient) -> None:
    started = start_intake(client)

    for url in (f"{INTAKES}/%FF%FE", "/auth/magic?token=%FF%FE", "/unsubscribe/%FF.%FE"):
        response = client.get(url, headers=started.auth)
        assert 400 <= response.status_code < 500, (url, response.status_code)
    with UnitOfWork() as uow:
        assert uow.session.query(Document).count() == 0
