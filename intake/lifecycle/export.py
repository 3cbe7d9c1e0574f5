"""A patient's own data: everything we hold on their intake, as JSON and as a ZIP.

The ZIP is streamed: export.json first, then each document copied from storage in
1 MiB chunks into an unseekable stream, so no file is ever held whole in memory.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from intake import audit
from intake.checklist import repository as checklist_results
from intake.db import UnitOfWork, utcnow
from intake.documents.models import Document
from intake.documents.schemas import DocumentOut
from intake.documents.service import sanitise_filename
from intake.documents.storage import Storage, read_chunks
from intake.intakes.models import Intake
from intake.intakes.schemas import IntakeOut
from intake.lifecycle.schemas import (
    AccessExport,
    AppointmentExport,
    ChecklistExport,
    DocumentExport,
    EmailExport,
    IntakeExport,
    PatientExport,
)
from intake.notifications.models import OutboxEmail
from intake.scheduling.models import Appointment, Clinician
from intake.staff.models import StaffUser


@dataclass(frozen=True)
class ArchivedFile:
    path: str  # inside the ZIP
    storage_key: str
    size: int


@dataclass(frozen=True)
class Export:
    data: IntakeExport
    files: list[ArchivedFile]

    def json_bytes(self) -> bytes:
        return self.data.model_dump_json(indent=2).encode()


def archive_path(document: Document) -> str:
    name = sanitise_filename(document.original_filename) or "file"
    return f"documents/{document.kind.value}-{document.id}-{name}"


def _readable(storage: Storage, key: str) -> bool:
    try:
        storage.open(key).close()
    except FileNotFoundError:
        return False
    return True


def build(uow: UnitOfWork, intake: Intake, *, storage: Storage) -> Export:
    """Everything on the intake, for its own patient; the export itself is audited."""
    session = uow.session
    documents = list(
        session.scalars(
            select(Document)
            .where(Document.intake_id == intake.id)
            .order_by(Document.created_at, Document.id)
        )
    )
    files: list[ArchivedFile] = []
    document_exports: list[DocumentExport] = []
    for document in documents:
        path = archive_path(document) if _readable(storage, document.storage_key) else None
        if path is not None:
            files.append(ArchivedFile(path, document.storage_key, document.size_bytes))
        out = DocumentOut.model_validate(document).model_dump()
        document_exports.append(DocumentExport(**out, archive_path=path))
    record = checklist_results.latest(session, intake.id)
    patient = intake.patient
    data = IntakeExport(
        exported_at=utcnow(),
        patient=PatientExport(
            first_name=patient.first_name,
            last_name=patient.last_name,
            email=patient.email,
            date_of_birth=patient.date_of_birth,
            timezone=patient.timezone,
            phone=patient.phone,
            reminders_opted_out_at=patient.reminders_opted_out_at,
        ),
        intake=IntakeOut.of(intake),
        documents=document_exports,
        checklist=ChecklistExport(
            version=record.version,
            ruleset_version=record.ruleset_version,
            complete=record.complete,
            computed_at=record.computed_at,
            items=record.items,
        )
        if record
        else None,
        appointments=_appointments(uow, intake.id),
        emails=_emails(uow, intake.id),
        access_log=_access_log(uow, intake.id, [d.id for d in documents]),
    )
    audit.record(
        uow,
        actor=audit.Actor.patient(intake.patient_id),
        action="intake.exported",
        object_type="intake",
        object_id=intake.id,
    )
    return Export(data=data, files=files)


def _appointments(uow: UnitOfWork, intake_id: uuid.UUID) -> list[AppointmentExport]:
    rows = uow.session.execute(
        select(Appointment, Clinician.display_name)
        .join(Clinician, Appointment.clinician_id == Clinician.id)
        .where(Appointment.intake_id == intake_id)
        .order_by(Appointment.starts_at, Appointment.id)
    )
    return [
        AppointmentExport(
            id=row.id,
            clinician_name=name,
            consultation_type=row.consultation_type.value,
            modality=row.modality.value,
            status=row.status.value,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            confirmed_at=row.confirmed_at,
            cancelled_at=row.cancelled_at,
        )
        for row, name in rows
    ]


def _emails(uow: UnitOfWork, intake_id: uuid.UUID) -> list[EmailExport]:
    """Which messages went to the patient and when; the bodies are the templates'."""
    rows = uow.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.intake_id == intake_id)
        .order_by(OutboxEmail.created_at, OutboxEmail.id)
    )
    return [
        EmailExport(
            template=row.template,
            status=row.status.value,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )
        for row in rows
    ]


def _access_log(
    uow: UnitOfWork, intake_id: uuid.UUID, document_ids: list[uuid.UUID]
) -> list[AccessExport]:
    """Who did what on the intake and its documents (GDPR art. 15: the recipients)."""
    on_intake = and_(
        audit.AuditEvent.object_type == "intake", audit.AuditEvent.object_id == str(intake_id)
    )
    on_documents = and_(
        audit.AuditEvent.object_type == "document",
        audit.AuditEvent.object_id.in_([str(d) for d in document_ids]),
    )
    events = list(
        uow.session.scalars(
            select(audit.AuditEvent)
            .where(or_(on_intake, on_documents))
            .order_by(audit.AuditEvent.at, audit.AuditEvent.id)
        )
    )
    staff_ids = {
        uuid.UUID(e.actor_id)
        for e in events
        if e.actor_type == audit.ActorType.STAFF and e.actor_id is not None
    }
    names: dict[uuid.UUID, str] = dict(
        uow.session.execute(
            select(StaffUser.id, StaffUser.full_name).where(StaffUser.id.in_(staff_ids))
        ).all()
    )
    return [
        AccessExport(
            at=e.at,
            actor_type=e.actor_type.value,
            actor_name=names.get(uuid.UUID(e.actor_id))
            if e.actor_type == audit.ActorType.STAFF and e.actor_id
            else None,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
        )
        for e in events
    ]


class _Sink(io.RawIOBase):
    """An unseekable stream that hands back what was written since the last drain.

    zipfile sees that it cannot seek and writes sizes after each member (data
    descriptors), which is what lets the archive stream.
    """

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def stream_zip(export: Export, storage: Storage) -> Iterator[bytes]:
    """export.json, then every readable document, as ZIP bytes chunk by chunk."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.json", export.json_bytes())
        yield sink.drain()
        for file in export.files:
            info = zipfile.ZipInfo(file.path, date_time=export.data.exported_at.timetuple()[:6])
            # Scans and PDFs are compressed already: storing them costs no CPU.
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = file.size  # lets zipfile choose ZIP64 for a large scan up front
            with storage.open(file.storage_key) as source, archive.open(info, "w") as target:
                for chunk in read_chunks(source):
                    target.write(chunk)
                    yield sink.drain()
            yield sink.drain()
    yield sink.drain()
