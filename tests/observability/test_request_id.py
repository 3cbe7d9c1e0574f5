"""The request-id middleware: the id in the header, in the context, and one access line."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intake.config import Settings
from intake.http.request_id import HEADER, UNMATCHED
from intake.main import create_app

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def client(pg_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [
        record.msg
        for record in caplog.records
        if record.name == "intake.access" and isinstance(record.msg, dict)
    ]


def _server_text(caplog: pytest.LogCaptureFixture) -> str:
    """What the service logged; the test client (httpx2) logs its own request lines."""
    return "\n".join(
        f"{record.msg} {record.getMessage()}"
        for record in caplog.records
        if not record.name.startswith("httpx")
    )


def test_each_request_gets_an_id_and_one_access_line_without_the_query(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="intake.access")
    response = client.get("/healthz", params={"email": "ada@example.com"})
    assert response.status_code == 200
    request_id = response.headers[HEADER]
    assert GENERATED.fullmatch(request_id)
    [line] = _access_lines(caplog)
    assert {k: line[k] for k in ("method", "path", "status", "request_id")} == {
        "method": "GET",
        "path": "/healthz",
        "status": 200,
        "request_id": request_id,
    }
    assert line["duration_ms"] >= 0
    assert "ada@example.com" not in _server_text(caplog)
    assert client.get("/healthz").headers[HEADER] != request_id


@pytest.mark.parametrize("incoming", ["proxy-abc12345", "a1b2c3d4.e5_F6-7", "x" * 64])
def test_a_plain_incoming_id_is_kept(client: TestClient, incoming: str) -> None:
    assert client.get("/healthz", headers={HEADER: incoming}).headers[HEADER] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 65, "has spaces in it", 'quote"d-123456', "-leading-dash", "ada@example.com"],
)
def test_anything_else_is_replaced(
    client: TestClient, caplog: pytest.LogCaptureFixture, incoming: str
) -> None:
    caplog.set_level(logging.INFO, logger="intake.access")
    response = client.get("/healthz", headers={HEADER: incoming})
    assert GENERATED.fullmatch(response.headers[HEADER])
    assert incoming not in _server_text(caplog)


def test_the_access_line_names_the_route_template_or_none(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="intake.access")
    intake_id = uuid.uuid4()
    assert client.get(f"/api/v1/intakes/{intake_id}").status_code == 401
    assert client.get("/no/such/page", params={"token": "secret-token"}).status_code == 404
    lines = _access_lines(caplog)
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/api/v1/intakes/{intake_id}", 401),
        (UNMATCHED, 404),
    ]
    assert str(intake_id) not in _server_text(caplog)
    assert "secret-token" not in _server_text(caplog)
