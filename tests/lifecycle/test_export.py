"""A patient downloads their own data: JSON, and a ZIP with their documents as uploaded."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

from fastapi.testclient import TestClient

from intake.config import Settings
from intake.db import UnitOfWork
from intake.documents.models import Document, DocumentKind
from intake.documents.storage import CHUNK_BYTES, LocalStorage
from intake.intakes.models import Intake
from intake.lifecycle import export
from tests import samples
from tests.conftest import complete_answers, start_intake
from tests.lifecycle.support import upload
from tests.staff.support import audit_events, staff_auth

NOTE_NAME = "../../etc/op note (final).pdf"


def test_the_export_holds_the_patients_record(client: TestClient, settings: Settings) -> None:
    started = start_intake(client, phone="+44 20 7946 0000")
    saved = client.patch(
        f"/api/v1/intakes/{started.id}",
        headers=started.auth,
        json={"answers": complete_answers()},
    )
    assert saved.status_code == 200, saved.text
    note = upload(client, started, "operative_note", "export-note")
    staff = staff_auth(client)
    assert client.get(f"/api/v1/intakes/{started.id}/checklist", headers=staff).status_code == 200

    response = client.get(f"/api/v1/intakes/{started.id}/export", headers=started.auth)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "fbss-intake-export/1"
    assert body["patient"]["email"] == "ada@example.com"
    assert body["patient"]["phone"] == "+44 20 7946 0000"
    assert body["intake"]["answers"] == saved.json()["answers"]
    assert body["intake"]["status"] == "draft"
    assert "scores" in body["intake"]
    [document] = body["documents"]
    assert (document["id"], document["sha256"]) == (note["id"], note["sha256"])
    assert document["archive_path"] == f"documents/operative_note-{note['id']}-export-note.pdf"
    assert [e["template"] for e in body["emails"]] == ["intake_started"]
    # The coordinator's checklist read is in the access log, by name.
    reads = [e for e in body["access_log"] if e["action"] == "checklist.read"]
    assert [(e["actor_type"], e["actor_name"]) for e in reads] == [("staff", "Casey Coordinator")]
    assert [e.object_id for e in audit_events("intake.exported")] == [started.id]


def test_only_the_patient_gets_it(client: TestClient, settings: Settings) -> None:
    mine = start_intake(client)
    stranger = start_intake(client, email="stranger@example.com")
    staff = staff_auth(client)
    for suffix in ("export", "export.zip"):
        url = f"/api/v1/intakes/{mine.id}/{suffix}"
        assert client.get(url, headers=mine.auth).status_code == 200
        assert client.get(url, headers=stranger.auth).status_code == 404
        assert client.get(url).status_code == 401
        assert client.get(url, headers=staff).status_code == 401
    assert len(audit_events("intake.exported")) == 2


def test_the_zip_holds_the_json_and_each_file_byte_for_byte(
    client: TestClient, settings: Settings
) -> None:
    started = start_intake(client)
    bodies = {
        "operative_note": samples.pdf("zip-note"),
        "current_mri": samples.PNG + b"zip-mri",
    }
    names = {"operative_note": NOTE_NAME, "current_mri": "mri.png"}
    ids = {}
    for kind, content in bodies.items():
        response = client.post(
            f"/api/v1/intakes/{started.id}/documents",
            headers=started.auth,
            data={"kind": kind},
            files={"file": (names[kind], content)},
        )
        assert response.status_code == 201, response.text
        ids[kind] = response.json()["id"]

    response = client.get(f"/api/v1/intakes/{started.id}/export.zip", headers=started.auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    exported = json.loads(archive.read("export.json"))
    paths = {d["kind"]: d["archive_path"] for d in exported["documents"]}
    # No directory climbing: the uploaded name is reduced to a safe file name.
    assert (
        paths["operative_note"]
        == f"documents/operative_note-{ids['operative_note']}-op note (final).pdf"
    )
    assert sorted(archive.namelist()) == sorted(["export.json", *paths.values()])
    for kind, content in bodies.items():
        stored = archive.read(paths[kind])
        assert stored == content
        sha = next(d["sha256"] for d in exported["documents"] if d["kind"] == kind)
        assert hashlib.sha256(stored).hexdigest() == sha


def test_a_missing_file_is_left_out_and_said_so(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    upload(client, started, "operative_note", "lost")
    for path in settings.storage_path.glob("??/*"):
        path.unlink()

    response = client.get(f"/api/v1/intakes/{started.id}/export.zip", headers=started.auth)

    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["export.json"]
    [document] = json.loads(archive.read("export.json"))["documents"]
    assert document["archive_path"] is None


def test_the_zip_streams_files_in_chunks(client: TestClient, settings: Settings) -> None:
    started = start_intake(client)
    big = samples.pdf("big") + bytes(range(256)) * (5 * CHUNK_BYTES // 256)
    response = client.post(
        f"/api/v1/intakes/{started.id}/documents",
        headers=started.auth,
        data={"kind": "operative_note"},
        files={"file": ("big.pdf", big)},
    )
    assert response.status_code == 201, response.text
    storage = LocalStorage(settings.storage_path)
    with UnitOfWork() as uow:
        intake = uow.session.get(Intake, uuid.UUID(started.id))
        assert intake is not None
        built = export.build(uow, intake, storage=storage)

    chunks = list(export.stream_zip(built, storage))

    # Never more than one read's worth (plus headers) at a time, yet the whole file.
    assert max(len(chunk) for chunk in chunks) <= CHUNK_BYTES + 4096
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read(built.files[0].path) == big


def test_archive_paths_stay_in_the_documents_folder() -> None:
    """Names are cleaned on upload already; the archive does not rely on it."""
    for name in ("../../etc/passwd", "..\\..\\boot.ini", "..", "a/../../b.pdf", None):
        document = Document(id=uuid.uuid4(), kind=DocumentKind.OTHER, original_filename=name)
        path = export.archive_path(document)
        folder, file_name = path.split("/", 1)
        assert folder == "documents"
        assert "/" not in file_name
        assert file_name.startswith(f"other-{document.id}-")
        assert ".." not in file_name.removeprefix(f"other-{document.id}-").strip(".")
