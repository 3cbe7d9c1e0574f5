"""What a patient's export holds: their details, answers, documents and what was done."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from intake.documents.schemas import DocumentOut
from intake.intakes.schemas import IntakeOut

EXPORT_FORMAT = "fbss-intake-export/1"


class PatientExport(BaseModel):
    first_name: str
    last_name: str
    email: str
    date_of_birth: date
    timezone: str
    phone: str | None
    reminders_opted_out_at: datetime | None


class DocumentExport(DocumentOut):
    archive_path: str | None = Field(
        description="Where the file is in export.zip; null if the file could not be read"
    )


class ChecklistExport(BaseModel):
    version: int
    ruleset_version: str
    complete: bool
    computed_at: datetime
    items: list[dict[str, Any]]


class AppointmentExport(BaseModel):
    id: uuid.UUID
    clinician_name: str
    consultation_type: str
    modality: str
    status: str
    starts_at: datetime
    ends_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None


class EmailExport(BaseModel):
    template: str
    status: str
    created_at: datetime
    sent_at: datetime | None


class AccessExport(BaseModel):
    """One audit event on the patient's intake or documents."""

    at: datetime
    actor_type: Literal["staff", "patient", "system"]
    actor_name: str | None = Field(description="The staff member's name, for staff")
    action: str
    object_type: str | None
    object_id: str | None


class IntakeExport(BaseModel):
    format: str = EXPORT_FORMAT
    exported_at: datetime
    patient: PatientExport
    intake: IntakeOut
    documents: list[DocumentExport]
    checklist: ChecklistExport | None
    appointments: list[AppointmentExport]
    emails: list[EmailExport]
    access_log: list[AccessExport]
