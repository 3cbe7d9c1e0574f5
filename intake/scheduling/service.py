"""Reads: slots, appointments for the patient and for staff, and who is asking."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from intake import audit
from intake.audit import Actor
from intake.config import Settings
from intake.db import UnitOfWork
from intake.errors import InvalidInput, NotFound, Unauthorized, problem
from intake.intakes.models import Intake
from intake.intakes.service import intake_for_token
from intake.scheduling import repository
from intake.scheduling.booking import Caller
from intake.scheduling.models import Appointment, Clinician, ConsultationKind
from intake.scheduling.schemas import AppointmentOut, SlotOut
from intake.scheduling.search import check_window, find_slots
from intake.scheduling.slots import Slot, Span
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize
from intake.staff.service import authenticate


def caller_for(uow: UnitOfWork, token: str | None, settings: Settings) -> Caller:
    """The patient a token opens, else the staff member it signs in (401 if neither)."""
    try:
        return Caller.patient(intake_for_token(uow, token).id)
    except Unauthorized:
        return Caller.member(authenticate(uow, token=token, settings=settings))


# The days a search may name. Python's dates stop at years 1 and 9999, and the search steps
# a day past each end: "end=9999-12-31" was a 500 (OverflowError) until this check.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)


def local_days(start: date, end: date, settings: Settings) -> Span:
    """Clinic-local calendar days start..end inclusive, as one UTC span."""
    outside = [
        problem(["query", name], f"must be between {FIRST_DAY} and {LAST_DAY}")
        for name, day in (("start", start), ("end", end))
        if not FIRST_DAY <= day <= LAST_DAY
    ]
    if outside:
        raise InvalidInput(outside)
    tz = ZoneInfo(settings.clinic_timezone)
    return Span(
        datetime.combine(start, time(), tzinfo=tz).astimezone(UTC),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC),
    )


def slots(
    uow: UnitOfWork,
    *,
    kind: ConsultationKind,
    start: date,
    end: date,
    clinician_id: uuid.UUID | None,
    settings: Settings,
    now: datetime,
) -> list[SlotOut]:
    """Free slots; no patient data, so any staff member may look."""
    window = local_days(start, end, settings)
    check_window(window, settings)
    return _slot_views(
        uow,
        find_slots(
            uow.session, settings, kind=kind, window=window, now=now, clinician_id=clinician_id
        ),
        settings.clinic_timezone,
    )


def _slot_views(uow: UnitOfWork, found: list[Slot], timezone: str) -> list[SlotOut]:
    if not found:
        return []
    kind = found[0].consultation_type
    consultation = repository.consultation_type(uow.session, kind)
    assert consultation is not None
    names = {c.id: c.display_name for c in repository.clinicians(uow.session)}
    return [
        SlotOut.of(
            slot, name=names[slot.clinician_id], modality=consultation.modality, timezone=timezone
        )
        for slot in found
    ]


def view(
    uow: UnitOfWork, appointment: Appointment, *, timezone: str, settings: Settings
) -> AppointmentOut:
    clinician = uow.session.get(Clinician, appointment.clinician_id)
    return AppointmentOut.of(
        appointment,
        clinician_name=clinician.display_name if clinician else "",
        timezone=timezone,
        cutoff_hours=settings.appointment_change_cutoff_hours,
    )


def view_for(
    uow: UnitOfWork, appointment: Appointment, caller: Caller, settings: Settings
) -> AppointmentOut:
    """Patients see their own timezone; staff the clinic's."""
    timezone = settings.clinic_timezone
    if caller.staff is None:
        intake = uow.session.get(Intake, appointment.intake_id)
        assert intake is not None
        timezone = intake.patient.timezone
    return view(uow, appointment, timezone=timezone, settings=settings)


def read_appointment(
    uow: UnitOfWork, appointment_id: uuid.UUID, caller: Caller, settings: Settings
) -> AppointmentOut:
    """One appointment: the patient's own, or any for staff (an audited read)."""
    if caller.staff is not None:
        authorize(uow, caller.staff, Permission.READ_PATIENT_DATA)
    appointment = repository.appointment(uow.session, appointment_id)
    if appointment is None or (
        caller.staff is None and appointment.intake_id != caller.patient_intake_id
    ):
        raise NotFound("No such appointment")
    if caller.staff is not None:
        audit.record(
            uow,
            actor=Actor.staff(caller.staff.id),
            action="appointment.read",
            object_type="appointment",
            object_id=appointment.id,
        )
    return view_for(uow, appointment, caller, settings)


def my_appointments(
    uow: UnitOfWork, intake_id: uuid.UUID, settings: Settings
) -> list[AppointmentOut]:
    caller = Caller.patient(intake_id)
    return [
        view_for(uow, row, caller, settings)
        for row in repository.appointments_of_intake(uow.session, intake_id)
    ]


def calendar(
    uow: UnitOfWork,
    *,
    staff: StaffUser,
    start: date,
    end: date,
    clinician_id: uuid.UUID | None,
    settings: Settings,
) -> list[AppointmentOut]:
    """Appointments in clinic-local days start..end, for the console's calendar; audited."""
    authorize(uow, staff, Permission.READ_PATIENT_DATA)
    window = local_days(start, end, settings)
    check_window(window, settings)
    rows = repository.appointments_between(uow.session, window, clinician_id=clinician_id)
    audit.record(
        uow,
        actor=Actor.staff(staff.id),
        action="appointment.list",
        object_type="clinician" if clinician_id else None,
        object_id=clinician_id,
    )
    return [view(uow, row, timezone=settings.clinic_timezone, settings=settings) for row in rows]


def alternatives(
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    caller: Caller,
    *,
    start: date,
    end: date,
    settings: Settings,
    now: datetime,
) -> list[SlotOut]:
    """Free slots of the appointment's type to move it to, in the reader's timezone."""
    current = read_appointment(uow, appointment_id, caller, settings)
    window = local_days(start, end, settings)
    check_window(window, settings)
    found = find_slots(
        uow.session, settings, kind=current.consultation_type, window=window, now=now
    )
    return _slot_views(uow, found, current.timezone)
