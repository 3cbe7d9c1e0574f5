"""Accepting, deleting and reviewing documents: caps, inspection, de-duplication, storage."""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from intake import audit
from intake.checklist.service import clinic_today, mark_dirty
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.documents import declared, repository
from intake.documents.inspection import (
    DicomStudy,
    Inspection,
    PatientIdentity,
    UploadRefused,
    inspect_file,
    sniff,
)
from intake.documents.models import Document, DocumentKind, ReviewStatus
from intake.documents.storage import ReceivedBlob, Storage
from intake.errors import (
    Conflict,
    IntakeError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem,
)
from intake.intakes.models import Intake, IntakeStatus
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize

# Uploads are welcome until the intake has been routed: that is how a patient answers
# a reminder about missing documents.
_OPEN_FOR_UPLOADS = {
    IntakeStatus.DRAFT,
    IntakeStatus.SUBMITTED,
    IntakeStatus.AWAITING_INFORMATION,
}
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9 ._()-]+")


class UploadRejected(IntakeError):
    """The inspection's refusal, with its own status (413, 415 or 422) and PHI-free text."""

    def __init__(self, refusal: UploadRefused) -> None:
        super().__init__(refusal.detail)
        self.status_code = refusal.status_code


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


def _study_json(study: DicomStudy) -> dict[str, Any]:
    data = asdict(study)
    data["study_date"] = study.study_date.isoformat() if study.study_date else None
    return data


def _primary(inspection: Inspection) -> DicomStudy | None:
    """The study the checklist judges a document by: the newest one."""
    if not inspection.studies:
        return None
    return max(inspection.studies, key=lambda s: (s.study_date or date.min, s.instance_count))


def _inspect(blob: ReceivedBlob, intake: Intake, storage: Storage) -> Inspection:
    patient = intake.patient
    identity = PatientIdentity(
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
    )
    try:
        return inspect_file(blob.temp_path, patient=identity)
    except UploadRefused as refusal:
        storage.discard(blob)
        raise UploadRejected(refusal) from refusal


def add_document(
    uow: UnitOfWork,
    intake: Intake,
    *,
    kind: DocumentKind,
    blob: ReceivedBlob,
    filename: str | None,
    storage: Storage,
    settings: Settings,
    report_date: date | None = None,
    content_type: str | None = None,
) -> tuple[Document, bool]:
    """Store a received upload; returns the document and whether it is new.

    The blob is always either kept or discarded here. `sha256` identifies the bytes as
    uploaded; a stored DICOM file differs from them only by its zeroed preamble.
    """
    refusal: IntakeError | None = None
    if not accepts_uploads(intake):
        refusal = Conflict("This intake no longer accepts uploads")
    elif blob.size > settings.upload_limit(kind.value):
        refusal = PayloadTooLarge(
            f"File is larger than the {settings.upload_limit(kind.value)} byte limit"
        )
    elif report_date is not None and report_date > clinic_today(settings):
        refusal = InvalidInput([problem(["body", "report_date"], "cannot be in the future")])
    elif claim := declared.mismatch(
        filename=filename, content_type=content_type, found=sniff(blob.head), head=blob.head
    ):
        refusal = UnsupportedMediaType(claim)
    if refusal is not None:
        storage.discard(blob)
        raise refusal

    existing = repository.by_hash(uow.session, intake.id, blob.sha256)
    if existing is not None:
        storage.discard(blob)
        return existing, False

    inspection = _inspect(blob, intake, storage)
    primary = _primary(inspection)
    key = storage.keep(blob)
    uow.on_rollback(lambda: storage.delete(key))
    document = Document(
        intake_id=intake.id,
        kind=kind,
        sha256=blob.sha256,
        size_bytes=blob.size,
        media_type=inspection.media_type,
        storage_key=key,
        original_filename=sanitise_filename(filename),
        report_date=report_date,
        modality=primary.modality if primary else None,
        study_date=primary.study_date if primary else None,
        body_part=primary.body_part if primary else None,
        studies=[_study_json(s) for s in inspection.studies],
        ignored_members=list(inspection.ignored_members),
        review_reasons=list(inspection.review_reasons),
    )
    uow.session.add(document)
    intake.last_patient_activity_at = utcnow()
    mark_dirty(uow, intake)
    uow.session.flush()
    return document, True


def delete_document(
    uow: UnitOfWork, intake: Intake, document_id: uuid.UUID, *, storage: Storage
) -> None:
    """A patient removes their own upload, before they submit."""
    document = repository.get(uow.session, document_id)
    if document is None or document.intake_id != intake.id:
        raise NotFound("Document not found")
    if intake.status != IntakeStatus.DRAFT:
        raise Conflict("Documents can be removed only before the intake is submitted")
    key = document.storage_key
    uow.session.delete(document)
    uow.after_commit(lambda: storage.delete(key))
    mark_dirty(uow, intake)


def review_document(
    uow: UnitOfWork,
    document_id: uuid.UUID,
    *,
    staff: StaffUser,
    status: ReviewStatus,
    note: str | None,
) -> Document:
    """Staff mark a document reviewed, rejected (with a reason) or from the wrong patient."""
    authorize(uow, staff, Permission.REVIEW_DOCUMENTS)
    document = repository.get(uow.session, document_id)
    if document is None:
        raise NotFound("Document not found")
    if status == ReviewStatus.PENDING:
        raise InvalidInput(
            [problem(["body", "status"], "choose reviewed, rejected or wrong_patient")]
        )
    if status == ReviewStatus.REJECTED and not (note and note.strip()):
        raise InvalidInput([problem(["body", "note"], "a rejection needs a reason")])
    document.review_status = status
    document.review_note = note.strip()[:500] if note else None
    document.reviewed_by = staff.id
    document.reviewed_at = utcnow()
    audit.record(
        uow,
        actor=audit.Actor.staff(staff.id),
        action=f"document.{status.value}",
        object_type="document",
        object_id=document.id,
    )
    intake = uow.session.get_one(Intake, document.intake_id)
    mark_dirty(uow, intake)
    uow.session.flush()
    return document
