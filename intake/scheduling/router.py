"""Scheduling API: consultation types, clinicians and their hours, slots, appointments
and offers. Services check permissions; routes only translate HTTP to calls and back."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Query, status

from intake.db import UnitOfWork, utcnow
from intake.deps import PatientTokenDep, SettingsDep, UowDep
from intake.intakes.service import intake_for_token
from intake.openapi_errors import errors
from intake.scheduling import booking, clinicians, offers, repository, service
from intake.scheduling.booking import Caller
from intake.scheduling.models import AppointmentStatus, Clinician, ConsultationKind
from intake.scheduling.schemas import (
    AppointmentOut,
    AvailabilityIn,
    BookingIn,
    CancelIn,
    ClinicianIn,
    ClinicianOut,
    ClinicianPatch,
    CloseIn,
    ConsultationTypeIn,
    ConsultationTypeOut,
    ExceptionIn,
    ExceptionOut,
    OfferIn,
    OfferOut,
    PickIn,
    RescheduleIn,
    SlotOut,
    WeeklyBlockIn,
)
from intake.scheduling.slots import Span
from intake.staff.deps import StaffDep

router = APIRouter(prefix="/api/v1", tags=["scheduling"])

StartDay = Query(description="First clinic-local day")
EndDay = Query(description="Last clinic-local day (inclusive)")


def _clinician_out(uow: UnitOfWork, clinician: Clinician) -> ClinicianOut:
    blocks = repository.weekly_blocks(uow.session, [clinician.id]).get(clinician.id, [])
    return ClinicianOut(
        id=clinician.id,
        display_name=clinician.display_name,
        offers=[ConsultationKind(k) for k in clinician.offers],
        active=clinician.active,
        staff_user_id=clinician.staff_user_id,
        weekly=[WeeklyBlockIn(weekday=b.weekday, starts=b.starts, ends=b.ends) for b in blocks],
    )


@router.get("/consultation-types")
def list_consultation_types(staff: StaffDep, uow: UowDep) -> list[ConsultationTypeOut]:  # noqa: ARG001
    with uow:
        return [
            ConsultationTypeOut.model_validate(row)
            for row in repository.consultation_types(uow.session)
        ]


@router.put("/consultation-types/{code}")
def set_consultation_type(
    code: ConsultationKind, body: ConsultationTypeIn, staff: StaffDep, uow: UowDep
) -> ConsultationTypeOut:
    with uow:
        row = clinicians.set_consultation_type(
            uow,
            code,
            staff=staff,
            name=body.name,
            duration_minutes=body.duration_minutes,
            modality=body.modality,
        )
        return ConsultationTypeOut.model_validate(row)


@router.get("/clinicians")
def list_clinicians(staff: StaffDep, uow: UowDep) -> list[ClinicianOut]:  # noqa: ARG001
    with uow:
        return [_clinician_out(uow, c) for c in repository.clinicians(uow.session)]


@router.post("/clinicians", status_code=status.HTTP_201_CREATED, responses=errors(409))
def create_clinician(body: ClinicianIn, staff: StaffDep, uow: UowDep) -> ClinicianOut:
    with uow:
        clinician = clinicians.create(
            uow,
            staff=staff,
            display_name=body.display_name,
            offers=body.offers,
            staff_user_id=body.staff_user_id,
        )
        return _clinician_out(uow, clinician)


@router.get("/clinicians/{clinician_id}")
def read_clinician(clinician_id: uuid.UUID, staff: StaffDep, uow: UowDep) -> ClinicianOut:  # noqa: ARG001
    with uow:
        clinician = clinicians.get(uow, clinician_id)
        out = _clinician_out(uow, clinician)
        out.exceptions = [
            ExceptionOut.model_validate(row)
            for row in repository.upcoming_exceptions(uow.session, clinician.id, utcnow())
        ]
        return out


@router.patch("/clinicians/{clinician_id}")
def update_clinician(
    clinician_id: uuid.UUID, body: ClinicianPatch, staff: StaffDep, uow: UowDep
) -> ClinicianOut:
    with uow:
        clinician = clinicians.update(
            uow,
            clinician_id,
            staff=staff,
            display_name=body.display_name,
            offers=body.offers,
            active=body.active,
        )
        return _clinician_out(uow, clinician)


@router.put("/clinicians/{clinician_id}/availability")
def set_availability(
    clinician_id: uuid.UUID, body: AvailabilityIn, staff: StaffDep, uow: UowDep
) -> ClinicianOut:
    """Replace the clinician's weekly hours (local clinic time). Bookings stay as they are."""
    with uow:
        clinicians.set_weekly_hours(
            uow,
            clinician_id,
            staff=staff,
            blocks=[(b.weekday, b.starts, b.ends) for b in body.weekly],
        )
        return _clinician_out(uow, clinicians.get(uow, clinician_id))


@router.post("/clinicians/{clinician_id}/exceptions", status_code=status.HTTP_201_CREATED)
def add_exception(
    clinician_id: uuid.UUID, body: ExceptionIn, staff: StaffDep, uow: UowDep
) -> ExceptionOut:
    """Leave (`unavailable`) or extra hours (`extra`), as UTC-aware times."""
    with uow:
        row = clinicians.add_exception(
            uow,
            clinician_id,
            staff=staff,
            kind=body.kind,
            span=Span(body.starts_at, body.ends_at),
            note=body.note,
        )
        return ExceptionOut.model_validate(row)


@router.delete(
    "/clinicians/{clinician_id}/exceptions/{exception_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def remove_exception(
    clinician_id: uuid.UUID, exception_id: uuid.UUID, staff: StaffDep, uow: UowDep
) -> None:
    with uow:
        clinicians.remove_exception(uow, clinician_id, exception_id, staff=staff)


@router.get("/slots")
def list_slots(
    staff: StaffDep,  # noqa: ARG001 (signed-in staff only; slots hold no patient data)
    uow: UowDep,
    settings: SettingsDep,
    consultation_type: ConsultationKind,
    start: date = StartDay,
    end: date = EndDay,
    clinician_id: uuid.UUID | None = None,
) -> list[SlotOut]:
    """Free slots of one consultation type, earliest first, in clinic-local days."""
    with uow:
        return service.slots(
            uow,
            kind=consultation_type,
            start=start,
            end=end,
            clinician_id=clinician_id,
            settings=settings,
            now=utcnow(),
        )


@router.post("/appointments", status_code=status.HTTP_201_CREATED, responses=errors(404, 409))
def book(body: BookingIn, staff: StaffDep, uow: UowDep, settings: SettingsDep) -> AppointmentOut:
    """Book a slot: the intake's checklist must be complete and its route the slot's type."""
    caller = Caller.member(staff)
    with uow:
        appointment = booking.book(
            uow,
            intake_id=body.intake_id,
            slot_id=body.slot_id,
            caller=caller,
            settings=settings,
            now=utcnow(),
        )
        return service.view_for(uow, appointment, caller, settings)


@router.get("/appointments")
def list_appointments(
    staff: StaffDep,
    uow: UowDep,
    settings: SettingsDep,
    start: date = StartDay,
    end: date = EndDay,
    clinician_id: uuid.UUID | None = None,
) -> list[AppointmentOut]:
    """Every appointment in the days, any status, in clinic time (an audited read)."""
    with uow:
        return service.calendar(
            uow, staff=staff, start=start, end=end, clinician_id=clinician_id, settings=settings
        )


@router.get("/me/appointments")
def my_appointments(
    token: PatientTokenDep, uow: UowDep, settings: SettingsDep
) -> list[AppointmentOut]:
    """The patient's own appointments, newest first, in their timezone."""
    with uow:
        intake = intake_for_token(uow, token)
        return service.my_appointments(uow, intake.id, settings)


@router.get("/appointments/{appointment_id}")
def read_appointment(
    appointment_id: uuid.UUID, token: PatientTokenDep, uow: UowDep, settings: SettingsDep
) -> AppointmentOut:
    with uow:
        caller = service.caller_for(uow, token, settings)
        return service.read_appointment(uow, appointment_id, caller, settings)


@router.get("/appointments/{appointment_id}/alternatives")
def alternatives(
    appointment_id: uuid.UUID,
    token: PatientTokenDep,
    uow: UowDep,
    settings: SettingsDep,
    start: date = StartDay,
    end: date = EndDay,
) -> list[SlotOut]:
    """Free slots the appointment could move to (same consultation type)."""
    with uow:
        caller = service.caller_for(uow, token, settings)
        return service.alternatives(
            uow, appointment_id, caller, start=start, end=end, settings=settings, now=utcnow()
        )


@router.post("/appointments/{appointment_id}/confirm", responses=errors(403, 409))
def confirm(
    appointment_id: uuid.UUID, token: PatientTokenDep, uow: UowDep, settings: SettingsDep
) -> AppointmentOut:
    with uow:
        caller = service.caller_for(uow, token, settings)
        row = booking.confirm(uow, appointment_id, caller=caller, settings=settings, now=utcnow())
        return service.view_for(uow, row, caller, settings)


@router.post("/appointments/{appointment_id}/cancel", responses=errors(403, 409))
def cancel(
    appointment_id: uuid.UUID,
    token: PatientTokenDep,
    uow: UowDep,
    settings: SettingsDep,
    body: CancelIn | None = None,
) -> AppointmentOut:
    with uow:
        caller = service.caller_for(uow, token, settings)
        row = booking.cancel(
            uow,
            appointment_id,
            caller=caller,
            reason=body.reason if body else None,
            settings=settings,
            now=utcnow(),
        )
        return service.view_for(uow, row, caller, settings)


@router.post("/appointments/{appointment_id}/reschedule", responses=errors(403, 409))
def reschedule(
    appointment_id: uuid.UUID,
    body: RescheduleIn,
    token: PatientTokenDep,
    uow: UowDep,
    settings: SettingsDep,
) -> AppointmentOut:
    with uow:
        caller = service.caller_for(uow, token, settings)
        row = booking.reschedule(
            uow,
            appointment_id,
            slot_id=body.slot_id,
            caller=caller,
            settings=settings,
            now=utcnow(),
        )
        return service.view_for(uow, row, caller, settings)


@router.post("/appointments/{appointment_id}/close", responses=errors(409))
def close(
    appointment_id: uuid.UUID, body: CloseIn, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> AppointmentOut:
    """Record the outcome once it has started: `completed` or `no_show`."""
    with uow:
        row = booking.close(
            uow, appointment_id, outcome=AppointmentStatus(body.outcome), staff=staff, now=utcnow()
        )
        return service.view_for(uow, row, Caller.member(staff), settings)


@router.post(
    "/intakes/{intake_id}/offers", status_code=status.HTTP_201_CREATED, responses=errors(409)
)
def offer_slots(
    intake_id: uuid.UUID, body: OfferIn, staff: StaffDep, uow: UowDep, settings: SettingsDep
) -> OfferOut:
    """Email the patient up to three slots to pick from by a signed link."""
    with uow:
        offer = offers.offer_slots(
            uow, intake_id, slot_ids=body.slot_ids, staff=staff, settings=settings, now=utcnow()
        )
        return OfferOut(
            id=offer.id,
            intake_id=offer.intake_id,
            slot_ids=offer.slot_ids,
            status=offer.status.value,
            expires_at=offer.expires_at,
        )


@router.post("/offers/{token}/pick", status_code=status.HTTP_201_CREATED, responses=errors(410))
def pick(token: str, body: PickIn, uow: UowDep, settings: SettingsDep) -> AppointmentOut:
    """The patient's choice from an offer; the link is the credential."""
    with uow:
        row = offers.pick(uow, token, slot_id=body.slot_id, settings=settings, now=utcnow())
        return service.view_for(uow, row, Caller.patient(row.intake_id), settings)
