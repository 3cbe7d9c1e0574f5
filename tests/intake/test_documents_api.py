"""Uploads: stored under generated names with their SHA-256, refused when bad."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document
from tests import samples
from tests.conftest import StartedIntake, start_intake
from tests.documents.dicom_factory import make_dicom, make_study_zip, make_zip
from tests.support import reset_caches


def _upload(
    client: TestClient,
    started: StartedIntake,
    content: bytes,
    *,
    kind: str = "operative_note",
    filename: str = "note.pdf",
) -> tuple[int, dict[str, Any]]:
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": kind},
        files={"file": (filename, content, "application/octet-stream")},
    )
    return response.status_code, response.json()


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.storage_path
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_is_stored_with_its_hash_under_a_generated_name(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    content = samples.pdf("op note")

    status, body = _upload(client, started, content, filename="../../etc/passwd.pdf")

    assert status == 201
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["media_type"] == "application/pdf"
    assert body["original_filename"] == "passwd.pdf"
    with UnitOfWork() as uow:
        document = uow.session.scalars(select(Document)).one()
    on_disk = settings.storage_path / document.storage_key
    assert on_disk.read_bytes() == content
    assert "passwd" not in document.storage_key
    assert _stored_files(settings) == [on_disk]


def test_the_same_bytes_twice_are_one_document(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    content = samples.pdf("twice")

    first_status, first = _upload(client, started, content)
    second_status, second = _upload(client, started, content, kind="other", filename="copy.pdf")

    assert (first_status, second_status) == (201, 200)
    assert second["id"] == first["id"]
    assert len(_stored_files(settings)) == 1
    listed = client.get(f"/api/v1/intakes/{started.id}/documents", headers=started.auth)
    assert [d["id"] for d in listed.json()] == [first["id"]]


def test_an_unrecognised_type_is_refused_and_nothing_kept(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)

    status, body = _upload(client, started, samples.EXECUTABLE, filename="scan.pdf")

    assert status == 415
    assert "PDF, JPEG, PNG, DICOM or ZIP" in str(body["detail"])
    assert _stored_files(settings) == []
    with UnitOfWork() as uow:
        assert uow.session.scalars(select(Document)).all() == []


def test_a_file_over_the_cap_gets_413_and_leaves_nothing(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = start_intake(client)
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "1024")
    reset_caches()

    status, _ = _upload(client, started, samples.PDF + b"x" * 2048)

    assert status == 413
    assert _stored_files(settings) == []
    with UnitOfWork() as uow:
        assert uow.session.scalars(select(Document)).all() == []


def test_each_accepted_type_is_recognised_by_its_bytes(client: TestClient) -> None:
    started = start_intake(client)

    types = {
        _upload(client, started, content, filename="x.bin")[1]["media_type"]
        for content in (samples.PNG, make_dicom(), samples.pdf("p"))
    }

    assert types == {"image/png", "application/dicom", "application/pdf"}


def test_an_unknown_kind_is_a_422(client: TestClient) -> None:
    started = start_intake(client)

    status, body = _upload(client, started, samples.pdf("k"), kind="selfie")

    assert status == 422
    assert body["detail"][0]["loc"] == ["body", "kind"]


def test_uploads_need_the_intakes_own_token(client: TestClient) -> None:
    mine = start_intake(client)
    theirs = start_intake(client, email="grace@example.com")

    response = client.post(
        f"/api/v1/intakes/{theirs.id}/documents",
        headers=mine.auth,
        data={"kind": "other"},
        files={"file": ("a.pdf", samples.pdf("a"), "application/pdf")},
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "found"),
    [
        (samples.pdf("a"), "scan.png", "application/octet-stream", "a PDF document"),
        (samples.pdf("b"), "scan", "image/png", "a PDF document"),
        (make_study_zip(), "study.dcm", "application/dicom", "a ZIP archive"),
    ],
    ids=["pdf-named-png", "pdf-sent-as-png", "zip-renamed-dcm"],
)
def test_a_file_that_claims_another_type_is_refused_and_nothing_kept(
    client: TestClient,
    settings: Settings,
    content: bytes,
    filename: str,
    content_type: str,
    found: str,
) -> None:
    started = start_intake(client)

    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": "current_mri"},
        files={"file": (filename, content, content_type)},
    )

    assert response.status_code == 415
    assert found in response.json()["detail"]
    assert _stored_files(settings) == []
    with UnitOfWork() as uow:
        assert uow.session.scalars(select(Document)).all() == []


def test_a_generic_declaration_is_not_a_claim(client: TestClient) -> None:
    started = start_intake(client)

    status, body = _upload(client, started, make_study_zip(), kind="current_mri", filename="cd")

    assert status == 201
    assert body["media_type"] == "application/zip"
    assert len(body["studies"]) >= 1


def test_a_zip_bomb_is_refused_and_nothing_kept(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    bomb = make_zip([("scan.dcm", bytes(64 * 1024 * 1024))])  # 64 MiB of zeros, ~64 KiB zipped

    status, body = _upload(client, started, bomb, kind="current_mri", filename="cd.zip")

    assert status == 413
    assert "archive" in str(body["detail"]).lower()
    assert _stored_files(settings) == []
    with UnitOfWork() as uow:
        assert uow.session.scalars(select(Document)).all() == []
