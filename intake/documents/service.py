"""Accepting a patient's upload: size cap, type sniffing, de-duplication, storage."""

from __future__ import annotations

import re
from collections.abc import Iterable

from intake import tasknames
from intake.db import UnitOfWork, utcnow
from intake.documents import repository
from intake.documents.models import Document, DocumentKind
from intake.documents.sniff import ALLOWED_DESCRIPTION, sniff
from intake.documents.storage import BlobTooLarge, Storage
from intake.errors import Conflict, PayloadTooLarge, UnsupportedMediaType
from intake.intakes.models import Intake, IntakeStatus

# Uploads are welcome until the intake has been routed: that is how a patient answers
# a reminder about missing documents.
_OPEN_FOR_UPLOADS = {
    IntakeStatus.DRAFT,
    IntakeStatus.SUBMITTED,
    IntakeStatus.AWAITING_INFORMATION,
}
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9 ._()-]+")


def accepts_uploads(intake: Intake) -> bool:
    """Whether the patient may still add documents to this intake."""
    return intake.status in _OPEN_FOR_UPLOADS


def sanitise_filename(name: str | None) -> str | None:
    """Keep a display name only: no directories, no control or odd characters."""
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE_FILENAME_CHARS.sub("_", base).strip(" .")
    return cleaned[:255] or None


def add_document(
    uow: UnitOfWork,
    intake: Intake,
    *,
    kind: DocumentKind,
    chunks: Iterable[bytes],
    filename: str | None,
    storage: Storage,
    max_bytes: int,
) -> tuple[Document, bool]:
    """Store an upload; returns the document and whether it is new (False: same bytes again)."""
    if not accepts_uploads(intake):
        raise Conflict("This intake no longer accepts uploads")
    try:
        blob = storage.receive(chunks, max_bytes=max_bytes)
    except BlobTooLarge as exc:
        raise PayloadTooLarge(f"File is larger than the {exc.limit} byte limit") from exc

    media_type = sniff(blob.head)
    if media_type is None:
        storage.discard(blob)
        raise UnsupportedMediaType(f"File type not accepted; upload {ALLOWED_DESCRIPTION}")

    existing = repository.by_hash(uow.session, intake.id, blob.sha256)
    if existing is not None:
        storage.discard(blob)
        return existing, False

    key = storage.keep(blob)
    uow.on_rollback(lambda: storage.delete(key))
    document = Document(
        intake_id=intake.id,
        kind=kind,
        sha256=blob.sha256,
        size_bytes=blob.size,
        media_type=media_type,
        storage_key=key,
        original_filename=sanitise_filename(filename),
    )
    uow.session.add(document)
    intake.last_patient_activity_at = utcnow()
    if intake.status == IntakeStatus.AWAITING_INFORMATION:
        intake.checklist_dirty = True
        uow.jobs.enqueue(tasknames.EVALUATE_CHECKLIST, str(intake.id))
    uow.session.flush()
    return document, True
