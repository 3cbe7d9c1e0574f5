"""Booking, and every later change to an appointment. Each change is audited.

The database has the last word on double booking: the slot search says a slot is free,
but two coordinators can both be told so. The exclusion constraint (PostgreSQL) or the
overlap trigger (SQLite) refuses the second insert, and that refusal becomes a 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from intake import audit
from intake.audit import Actor
from intake.config import Settings
from intake.db import UnitOfWork
from intake.errors import Conflict, Forbidden, InvalidInput, NotFound, problem
from intake.intakes import repository as intakes
from intake.intakes.models import Intake, IntakeStatus
from intake.queues import placement
from intake.scheduling import notices, repository
from intake.scheduling.models import (
    ACTIVE,
    Appointment,
    AppointmentStatus,
    ConsultationKind,
    Modality,
)
from intake.scheduling.search import SlotTaken, free_slot
from intake.scheduling.slots import Slot
from intake.staff.models import StaffUser
from intake.staff.permissions import Permission, authorize


@dataclass(frozen=True)
class Caller:
    """Who acts: a staff member, or the patient whose intake it is."""

    staff: StaffUser | None = None
    patient_intake_id: uuid.UUID | None = None

    @classmethod
    def patient(cls, intake_id: uuid.UUID) -> Caller:
        return cls(patient_intake_id=intake_id)

    @classmethod
    def member(cls, staff: StaffUser) -> Caller:
        return cls(staff=staff)

    def actor(self, intake: Intake) -> Actor:
        return Actor.staff(self.staff.id) if self.staff else Actor.patient(intake.patient_id)


def bookable(intake: Intake, kind: ConsultationKind) -> list[str]:
    """Why `intake` cannot have a `kind` consultation booked now; empty when it can."""
    if intake.status != IntakeStatus.ROUTED:
        return [f"the intake is {intake.status.value}; consultations are booked once routed"]
    reasons = []
    if intake.checklist_dirty or intake.checklist_missing != []:
        reasons.append("the document checklist is not complete")
    if intake.queue != kind.value:
        route = intake.queue or "none"
        reasons.append(f"the intake's route is {route}, not {kind.value}")
    return reasons


def _appointment_for(
    uow: UnitOfWork, appointment_id: uuid.UUID, caller: Caller
) -> tuple[Appointment, Intake]:
    """The appointment, locked; a patient reaches only their own (else a 404)."""
    if caller.staff is not None:
        authorize(uow, caller.staff, Permission.BOOK_APPOINTMENTS)
    appointment = repository.appointment(uow.session, appointment_id, for_update=True)
    if appointment is None or (
        caller.staff is None and appointment.intake_id != caller.patient_intake_id
    ):
        raise NotFound("No such appointment")
    intake = intakes.get(uow.session, appointment.intake_id, for_update=True)
    assert intake is not None  # the foreign key says so
    return appointment, intake


def _record(
    uow: UnitOfWork, caller: Caller, intake: Intake, action: str, appointment: Appointment
) -> None:
    audit.record(
        uow,
        actor=caller.actor(intake),
        action=action,
        object_type="appointment",
        object_id=appointment.id,
    )


def _flush_or_conflict(uow: UnitOfWork) -> None:
    try:
        uow.session.flush()
    except IntegrityError as exc:
        if "uq_appointments_intake_active" in str(exc.orig):
            raise Conflict("This intake already has an appointment; reschedule it") from None
        raise SlotTaken() from None


def _mark_reminders_moot(appointment: Appointment, now: datetime) -> None:
    """A reminder whose moment has already passed at booking time is not sent."""
    until = appointment.starts_at - now
    appointment.reminded_72h_at = now if until <= timedelta(hours=72) else None
    appointment.reminded_24h_at = now if until <= timedelta(hours=24) else None


def book(
    uow: UnitOfWork,
    *,
    intake_id: uuid.UUID,
    slot_id: str,
    caller: Caller,
    settings: Settings,
    now: datetime,
) -> Appointment:
    """Book the slot for the intake: its checklist complete, its route the slot's type."""
    if caller.staff is not None:
        authorize(uow, caller.staff, Permission.BOOK_APPOINTMENTS)
    intake = intakes.get(uow.session, intake_id, for_update=True)
    if intake is None or (caller.staff is None and intake.id != caller.patient_intake_id):
        raise NotFound("No such intake")
    slot = free_slot(uow.session, settings, slot_id, now=now)
    if repository.active_appointment(uow.session, intake.id) is not None:
        raise Conflict("This intake already has an appointment; reschedule it")
    reasons = bookable(intake, slot.consultation_type)
    if reasons:
        raise Conflict("Cannot book: " + "; ".join(reasons))
    appointment = Appointment(
        id=uuid.uuid4(),
        intake_id=intake.id,
        clinician_id=slot.clinician_id,
        consultation_type=slot.consultation_type,
        modality=_modality(uow, slot),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        status=AppointmentStatus.BOOKED,
        booked_by_id=caller.staff.id if caller.staff else None,
    )
    _mark_reminders_moot(appointment, now)
    uow.session.add(appointment)
    _flush_or_conflict(uow)
    # Booked: off the work queue. A cancellation puts it back (see `cancel`).
    placement.place(intake, None, now=now)
    repository.withdraw_open_offers(uow.session, intake.id)
    _record(uow, caller, intake, "appointment.book", appointment)
    notices.booked(uow, appointment, intake, settings)
    return appointment


def _modality(uow: UnitOfWork, slot: Slot) -> Modality:
    consultation = repository.consultation_type(uow.session, slot.consultation_type)
    assert consultation is not None  # the slot search found it
    return consultation.modality


def _require_active(appointment: Appointment) -> None:
    if appointment.status not in ACTIVE:
        raise Conflict(f"The appointment is {appointment.status.value}")


def _require_before_cutoff(
    appointment: Appointment, caller: Caller, settings: Settings, now: datetime
) -> None:
    """Patients change an appointment only up to the cutoff; staff until it starts."""
    if now >= appointment.starts_at:
        raise Conflict("The appointment has already started")
    cutoff = appointment.starts_at - timedelta(hours=settings.appointment_change_cutoff_hours)
    if caller.staff is None and now >= cutoff:
        hours = f"{settings.appointment_change_cutoff_hours:g}"
        raise Forbidden(
            f"Changes online close {hours} hours before the appointment; please call the clinic"
        )


def confirm(
    uow: UnitOfWork, appointment_id: uuid.UUID, *, caller: Caller, settings: Settings, now: datetime
) -> Appointment:
    """The patient will come. Confirming twice changes nothing the second time."""
    appointment, intake = _appointment_for(uow, appointment_id, caller)
    _require_active(appointment)
    _require_before_cutoff(appointment, caller, settings, now)
    if appointment.status == AppointmentStatus.CONFIRMED:
        return appointment
    appointment.status = AppointmentStatus.CONFIRMED
    appointment.confirmed_at = now
    _record(uow, caller, intake, "appointment.confirm", appointment)
    return appointment


def cancel(
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    *,
    caller: Caller,
    reason: str | None,
    settings: Settings,
    now: datetime,
) -> Appointment:
    """Cancel: the time is free at once, and the intake goes back to its route's queue."""
    appointment, intake = _appointment_for(uow, appointment_id, caller)
    _require_active(appointment)
    _require_before_cutoff(appointment, caller, settings, now)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancel_reason = reason
    appointment.sequence += 1
    _back_to_queue(intake, appointment, now)
    _record(uow, caller, intake, "appointment.cancel", appointment)
    notices.cancelled(uow, appointment, intake, settings)
    return appointment


def reschedule(
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    *,
    slot_id: str,
    caller: Caller,
    settings: Settings,
    now: datetime,
) -> Appointment:
    """Move to another free slot of the same type; the calendar UID stays, SEQUENCE rises."""
    appointment, intake = _appointment_for(uow, appointment_id, caller)
    _require_active(appointment)
    _require_before_cutoff(appointment, caller, settings, now)
    slot = free_slot(uow.session, settings, slot_id, now=now)
    problems = []
    if slot.consultation_type != appointment.consultation_type:
        problems.append(problem(["body", "slot_id"], "choose a slot of the same consultation type"))
    cutoff = timedelta(hours=settings.appointment_change_cutoff_hours)
    if caller.staff is None and slot.starts_at < now + cutoff:
        # Otherwise a patient could move into a time they could then no longer change.
        hours = f"{settings.appointment_change_cutoff_hours:g}"
        problems.append(
            problem(["body", "slot_id"], f"choose a time at least {hours} hours from now")
        )
    if problems:
        raise InvalidInput(problems)
    appointment.clinician_id = slot.clinician_id
    appointment.starts_at = slot.starts_at
    appointment.ends_at = slot.ends_at
    appointment.status = AppointmentStatus.BOOKED  # the new time has not been confirmed
    appointment.confirmed_at = None
    appointment.sequence += 1
    _mark_reminders_moot(appointment, now)
    _flush_or_conflict(uow)
    _record(uow, caller, intake, "appointment.reschedule", appointment)
    notices.rescheduled(uow, appointment, intake, settings)
    return appointment


def close(
    uow: UnitOfWork,
    appointment_id: uuid.UUID,
    *,
    outcome: AppointmentStatus,
    staff: StaffUser,
    now: datetime,
) -> Appointment:
    """Staff record what happened: completed, or a no-show (who then goes back to the queue)."""
    if outcome not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        raise InvalidInput([problem(["body", "outcome"], "must be completed or no_show")])
    caller = Caller.member(staff)
    appointment, intake = _appointment_for(uow, appointment_id, caller)
    _require_active(appointment)
    if now < appointment.starts_at:
        raise Conflict("The appointment has not started yet")
    appointment.status = outcome
    if outcome == AppointmentStatus.NO_SHOW:
        _back_to_queue(intake, appointment, now)
    _record(uow, caller, intake, f"appointment.{outcome.value}", appointment)
    return appointment


def _back_to_queue(intake: Intake, appointment: Appointment, now: datetime) -> None:
    # Only a routed intake waits for a new booking; a withdrawn one stays out of sight.
    if intake.status == IntakeStatus.ROUTED:
        placement.place(intake, appointment.consultation_type.value, now=now)
