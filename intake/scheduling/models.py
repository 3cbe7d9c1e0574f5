"""Clinicians, their weekly hours and exceptions, appointments, and slot offers.

Availability is stored as local wall-clock hours in the clinic's timezone, because that
is how clinicians state it ("Tuesdays 9 to 5"); slots are computed from it per date, so
a daylight-saving change moves nothing. Appointments are stored in UTC.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time
from typing import Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, Timestamped, UuidPk, str_enum


class ConsultationKind(enum.StrEnum):
    """The three consultations a route leads to; each is also a work queue's name."""

    REGENERATIVE = "regenerative"
    SURGICAL_REVISION = "surgical_revision"
    CLINICIAN_TRIAGE = "clinician_triage"


class Modality(enum.StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"  # the patient said they will come
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# An appointment in one of these holds its clinician's time; any other frees it at once.
ACTIVE: Final = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
_ACTIVE_SQL: Final = "status IN ('booked', 'confirmed')"


class ConsultationType(Base):
    __tablename__ = "consultation_types"

    code: Mapped[ConsultationKind] = mapped_column(str_enum(ConsultationKind, 32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    duration_minutes: Mapped[int]
    modality: Mapped[Modality] = mapped_column(str_enum(Modality, 16))

    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_minutes"),
    )


# What the migration seeds; PUT /api/v1/consultation-types/{code} changes them.
DEFAULT_CONSULTATION_TYPES: Final = (
    (ConsultationKind.REGENERATIVE, "Regenerative consultation", 60, Modality.IN_PERSON),
    (ConsultationKind.SURGICAL_REVISION, "Surgical revision review", 45, Modality.IN_PERSON),
    (ConsultationKind.CLINICIAN_TRIAGE, "Clinician review", 30, Modality.VIDEO),
)


class Clinician(UuidPk, Timestamped, Base):
    __tablename__ = "clinicians"

    display_name: Mapped[str] = mapped_column(String(120))
    # The staff account this clinician signs in with, when they have one.
    staff_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_users.id"), unique=True
    )
    # Which consultation types they offer (a list of ConsultationKind values).
    offers: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class WeeklyHours(UuidPk, Base):
    """One block of a clinician's week: `weekday` 0 is Monday; local clinic time."""

    __tablename__ = "clinician_weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]


class ExceptionKind(enum.StrEnum):
    UNAVAILABLE = "unavailable"  # leave, a conference: no slots in the range
    EXTRA = "extra"  # hours outside the weekly pattern


class AvailabilityException(UuidPk, Timestamped, Base):
    __tablename__ = "clinician_exceptions"
    __table_args__ = (CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("clinicians.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ExceptionKind] = mapped_column(str_enum(ExceptionKind, 16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))


class Appointment(UuidPk, Timestamped, Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        # No double booking, enforced by PostgreSQL itself: two active appointments of one
        # clinician may not overlap. (SQLite: the triggers in the migration do the same.)
        ExcludeConstraint(
            (literal_column("clinician_id"), "="),
            (func.tstzrange(literal_column("starts_at"), literal_column("ends_at")), "&&"),
            name="ex_appointments_clinician_time",
            using="gist",
            where=text(_ACTIVE_SQL),
        ).ddl_if(dialect="postgresql"),
        # One live appointment per intake: a second booking is a reschedule, not a copy.
        Index(
            "uq_appointments_intake_active",
            "intake_id",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
            sqlite_where=text(_ACTIVE_SQL),
        ),
        # The sweep's reminder scan and the slot search read by clinician and time.
        Index("ix_appointments_clinician_id_starts_at", "clinician_id", "starts_at"),
        Index("ix_appointments_status_starts_at", "status", "starts_at"),
    )

    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinicians.id"))
    consultation_type: Mapped[ConsultationKind] = mapped_column(str_enum(ConsultationKind, 32))
    modality: Mapped[Modality] = mapped_column(str_enum(Modality, 16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, 16), default=AppointmentStatus.BOOKED
    )
    # The calendar identity: UID stays across reschedules, SEQUENCE counts the changes.
    sequence: Mapped[int] = mapped_column(default=0)
    booked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # Reminders already dealt with for the current time (reset by a reschedule).
    reminded_72h_at: Mapped[datetime | None]
    reminded_24h_at: Mapped[datetime | None]


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    WITHDRAWN = "withdrawn"


class SlotOffer(UuidPk, Timestamped, Base):
    """Up to three slots a coordinator offers; the patient picks one by a signed link."""

    __tablename__ = "slot_offers"
    intake_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("intakes.id"), index=True)
    slot_ids: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, 16), default=OfferStatus.OPEN)
    expires_at: Mapped[datetime]
    offered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appointments.id"))
