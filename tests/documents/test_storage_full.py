"""A full disk refuses the upload with 503 and Retry-After: nothing kept, nothing left behind.

The disk is the one boundary faked here, and not by a mock: the temporary file's writes go
to Linux's /dev/full, so the kernel itself answers ENOSPC, at whichever write or flush
first reaches it, exactly as a full filesystem would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake.config import Settings
from intake.db import UnitOfWork
from intake.deps import get_storage
from intake.documents.models import Document
from intake.documents.storage import IncomingFile, LocalStorage
from tests import samples
from tests.conftest import PATIENT, start_intake
from tests.documents.upload_support import MULTIPART, MiB, filler, form, post_in_process
from tests.support import form_token

pytestmark = pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux /dev/full")


class _FullDiskFile(IncomingFile):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._out.close()
        self._out = Path("/dev/full").open("wb")  # noqa: SIM115 (closed by finish/abort)


class _FullDisk(LocalStorage):
    def incoming(self) -> IncomingFile:
        return _FullDiskFile(self._incoming)


@pytest.fixture
def full_disk(client: TestClient, settings: Settings) -> Iterator[Path]:
    app = client.app
    app.dependency_overrides[get_storage] = lambda: _FullDisk(settings.storage_path)  # type: ignore[attr-defined]
    yield settings.storage_path
    app.dependency_overrides.clear()  # type: ignore[attr-defined]


def _documents() -> int:
    with UnitOfWork() as uow:
        return uow.session.scalar(select(func.count()).select_from(Document)) or 0


@pytest.mark.parametrize(
    "size", [10 * 1024, 12 * MiB], ids=["small-fails-at-flush", "big-fails-mid-body"]
)
def test_a_full_disk_refuses_the_upload_with_503_and_keeps_nothing(
    client: TestClient, full_disk: Path, size: int
) -> None:
    started = start_intake(client)
    body = form([("kind", "operative_note")], filler(size, first=samples.pdf("note")[:9]))

    answer = post_in_process(
        client.app,
        f"/api/v1/intakes/{started.id}/documents",
        body,
        headers={**started.auth, "Content-Type": MULTIPART},
    )

    assert answer.status == 503, answer.body
    assert answer.headers["retry-after"] == "600"
    assert "try again later" in answer.json()["detail"]
    assert list((full_disk / ".incoming").iterdir()) == []
    assert _documents() == 0


def test_the_web_upload_page_names_the_problem_instead_of_failing(
    client: TestClient, full_disk: Path
) -> None:
    started = client.post("/start", data={**PATIENT, "csrf_token": form_token(client, "/")})
    assert started.status_code == 201

    answer = client.post(
        "/intake/documents",
        data={
            "csrf_token": form_token(client, "/intake/documents"),
            "kind": "operative_note",
            "field": "file-op",
        },
        files={"file": ("note.pdf", samples.pdf("note"), "application/pdf")},
        follow_redirects=False,
    )

    assert answer.status_code == 503
    assert "try again later" in answer.text
    assert list((full_disk / ".incoming").iterdir()) == []
    assert _documents() == 0
