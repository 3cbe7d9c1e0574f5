"""Backup, then restore into a fresh database and folder: every file and intake comes back.

The commands run as the operator runs them (`python -m intake.cli backup|restore`, real
pg_dump/pg_restore or the SQLite backup API); the checks after the restore recompute
every SHA-256 themselves and read every intake back through the API as its patient.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.config import Settings
from intake.db import create_db_engine
from intake.documents.models import Document
from intake.main import create_app
from tests import samples
from tests.conftest import (
    StartedIntake,
    apply_env,
    complete_answers,
    scratch_postgres_database,
    start_intake,
)


def _intake_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def scratch_database_url(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A database that does not hold anything yet, on the backend under test."""
    if settings.database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'intake.db'}"
        return
    with scratch_postgres_database("intake_restore") as url:
        yield url


def _seed(client: TestClient) -> tuple[list[StartedIntake], dict[str, bytes]]:
    """Three intakes: answered and submitted, half answered, just started; five files."""
    contents: dict[str, bytes] = {}
    intakes = []
    for n, answers in enumerate((complete_answers(), {"pain": complete_answers()["pain"]}, {})):
        started = start_intake(client, email=f"backup{n}@example.com", answers=answers)
        intakes.append(started)
        for kind in ("operative_note", "current_mri")[: 2 - n // 2]:
            content = samples.pdf(f"backup-{n}-{kind}")
            response = client.post(
                f"/api/v1/intakes/{started.id}/documents",
                headers=started.auth,
                data={"kind": kind, "report_date": "2026-10-01"},
                files={"file": (f"{kind}.pdf", content, "application/pdf")},
            )
            assert response.status_code == 201, response.text
            contents[response.json()["id"]] = content
    submitted = client.post(f"/api/v1/intakes/{intakes[0].id}/submit", headers=intakes[0].auth)
    assert submitted.status_code == 200, submitted.text
    return intakes, contents


def _as_patient(client: TestClient, started: StartedIntake) -> dict[str, Any]:
    intake = client.get(f"/api/v1/intakes/{started.id}", headers=started.auth)
    documents = client.get(f"/api/v1/intakes/{started.id}/documents", headers=started.auth)
    assert intake.status_code == 200, intake.text
    assert documents.status_code == 200, documents.text
    return {"intake": intake.json(), "documents": documents.json()}


def _stored_documents(database_url: str) -> list[tuple[str, str, str]]:
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(select(Document.id, Document.storage_key, Document.sha256))
            return sorted((str(i), key, sha) for i, key, sha in rows)
    finally:
        engine.dispose()


def test_backup_restores_into_a_fresh_database_and_folder(
    client: TestClient,
    settings: Settings,
    scratch_database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intakes, contents = _seed(client)
    before = {started.id: _as_patient(client, started) for started in intakes}
    backup_dir = tmp_path / "backup"

    taken = _intake_cli("backup", str(backup_dir))
    assert taken.returncode == 0, taken.stdout + taken.stderr

    restored_uploads = tmp_path / "restored-uploads"
    target = {"DATABASE_URL": scratch_database_url, "STORAGE_DIR": str(restored_uploads)}
    restored = _intake_cli("restore", str(backup_dir), env=target)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "verified 5 documents: 0 missing, 0 not matching" in restored.stdout

    # Every document's file, recomputed here, matches its row and the bytes uploaded.
    documents = _stored_documents(scratch_database_url)
    assert [doc_id for doc_id, _, _ in documents] == sorted(contents)
    for doc_id, key, sha in documents:
        data = (restored_uploads / key).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        assert data == contents[doc_id]

    # The app on the restored pair reads every intake back, answers and all.
    apply_env(monkeypatch, target)
    with TestClient(create_app()) as restored_client:
        after = {started.id: _as_patient(restored_client, started) for started in intakes}
    assert after == before


def test_a_damaged_backup_is_refused_and_a_damaged_file_is_found(
    client: TestClient,
    settings: Settings,
    scratch_database_url: str,
    tmp_path: Path,
) -> None:
    _seed(client)
    backup_dir = tmp_path / "backup"
    assert _intake_cli("backup", str(backup_dir)).returncode == 0
    restored_uploads = tmp_path / "restored-uploads"
    target = {"DATABASE_URL": scratch_database_url, "STORAGE_DIR": str(restored_uploads)}

    tar = backup_dir / "uploads.tar"
    original = tar.read_bytes()
    tar.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    refused = _intake_cli("restore", str(backup_dir), env=target)
    assert refused.returncode == 1
    assert "does not match the manifest" in refused.stdout
    tar.write_bytes(original)

    assert _intake_cli("restore", str(backup_dir), env=target).returncode == 0
    _, key, _ = _stored_documents(scratch_database_url)[0]
    (restored_uploads / key).write_bytes(b"%PDF-1.4 not what was uploaded")
    checked = _intake_cli("verify", env=target)
    assert checked.returncode == 1
    assert "1 not matching their SHA-256" in checked.stdout
