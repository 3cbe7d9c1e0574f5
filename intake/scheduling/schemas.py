"""Request and response bodies for scheduling. Times go out in UTC with a local twin."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from intake.scheduling.models import (
    Appointment,
    AppointmentStatus,
    ConsultationKind,
    ExceptionKind,
    Modality,
)
from intake.scheduling.slots import Slot

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
# A wall-clock time in the clinic's zone. JSON Schema's "time" format demands a UTC offset
# (RFC 3339), which these never carry: the answer "09:00:00" broke its own schema.
LocalTime = Annotated[
    time,
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$"}),
]


class ConsultationTypeIn(BaseModel):
    name: Name
    duration_minutes: int = Field(ge=5, le=480)
    modality: Modality


class ConsultationTypeOut(ConsultationTypeIn):
    model_config = ConfigDict(from_attributes=True)

    code: ConsultationKind


class ClinicianIn(BaseModel):
    display_name: Name
    offers: list[ConsultationKind] = Field(min_length=1)
    staff_user_id: uuid.UUID | None = None


class ClinicianPatch(BaseModel):
    display_name: Name | None = None
    offers: list[ConsultationKind] | None = Field(default=None, min_length=1)
    active: bool | None = None


class WeeklyBlockIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    starts: LocalTime = Field(description="Local clinic time, e.g. 09:00")
    ends: LocalTime


class AvailabilityIn(BaseModel):
    weekly: list[WeeklyBlockIn] = Field(max_length=70)


class ExceptionIn(BaseModel):
    kind: ExceptionKind
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: Annotated[str, StringConstraints(max_length=200)] | None = None


class ExceptionOut(ExceptionIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID


class ClinicianOut(BaseModel):
    id: uuid.UUID
    display_name: str
    offers: list[ConsultationKind]
    active: bool
    staff_user_id: uuid.UUID | None
    weekly: list[WeeklyBlockIn] = []
    exceptions: list[ExceptionOut] = []


def local(moment: datetime, timezone: str) -> str:
    """The same instant as wall-clock time with its offset, for a reader in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).isoformat()


class SlotOut(BaseModel):
    id: str
    clinician_id: uuid.UUID
    clinician_name: str
    consultation_type: ConsultationKind
    modality: Modality
    starts_at: datetime
    ends_at: datetime
    starts_local: str = Field(description="Start in `timezone`, with its UTC offset")
    timezone: str

    @classmethod
    def of(cls, slot: Slot, *, name: str, modality: Modality, timezone: str) -> SlotOut:
        return cls(
            id=slot.id,
            clinician_id=slot.clinician_id,
            clinician_name=name,
            consultation_type=slot.consultation_type,
            modality=modality,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            starts_local=local(slot.starts_at, timezone),
            timezone=timezone,
        )


class BookingIn(BaseModel):
    intake_id: uuid.UUID
    slot_id: str = Field(max_length=120)


class RescheduleIn(BaseModel):
    slot_id: str = Field(max_length=120)


class CancelIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None


class CloseIn(BaseModel):
    outcome: Literal["completed", "no_show"]


class OfferIn(BaseModel):
    slot_ids: list[Annotated[str, StringConstraints(max_length=120)]] = Field(
        min_length=1, max_length=3
    )


class OfferOut(BaseModel):
    id: uuid.UUID
    intake_id: uuid.UUID
    slot_ids: list[str]
    status: str
    expires_at: datetime


class PickIn(BaseModel):
    slot_id: str = Field(max_length=120)


class AppointmentOut(BaseModel):
    id: uuid.UUID
    intake_id: uuid.UUID
    clinician_id: uuid.UUID
    clinician_name: str
    consultation_type: ConsultationKind
    modality: Modality
    status: AppointmentStatus
    starts_at: datetime
    ends_at: datetime
    starts_local: str = Field(description="Start in `timezone`, with its UTC offset")
    ends_local: str
    timezone: str = Field(description="The patient's own for patients; the clinic's for staff")
    sequence: int
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    changes_close_at: datetime = Field(description="Patients may change it online until then")

    @classmethod
    def of(
        cls, row: Appointment, *, clinician_name: str, timezone: str, cutoff_hours: float
    ) -> AppointmentOut:
        return cls(
            id=row.id,
            intake_id=row.intake_id,
            clinician_id=row.clinician_id,
            clinician_name=clinician_name,
            consultation_type=row.consultation_type,
            modality=row.modality,
            status=row.status,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            starts_local=local(row.starts_at, timezone),
            ends_local=local(row.ends_at, timezone),
            timezone=timezone,
            sequence=row.sequence,
            confirmed_at=row.confirmed_at,
            cancelled_at=row.cancelled_at,
            changes_close_at=row.starts_at - timedelta(hours=cutoff_hours),
        )
