"""Appointment emails, written to the outbox with the change that causes them.

Each names the time, the place and a link, nothing clinical. Keys include the
appointment's SEQUENCE, so each version of an appointment is announced once, however
often a request or sweep is retried.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from emails.messages import (
    VIDEO_PLACE,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMessage,
    AppointmentReminder,
    AppointmentRescheduled,
)
from emails.timefmt import iso_utc
from intake.config import Settings
from intake.db import UnitOfWork
from intake.intakes.models import Intake
from intake.notifications.service import queue_email
from intake.scheduling import links
from intake.scheduling.models import Appointment, Modality

# A manage link stays usable a day past the appointment, for "did I go?" questions.
_LINK_GRACE = timedelta(days=1)


def manage_url(settings: Settings, appointment: Appointment) -> str:
    token = links.sign(
        settings.secret_key, links.MANAGE, appointment.id, appointment.ends_at + _LINK_GRACE
    )
    return f"{settings.public_base_url.rstrip('/')}/appointment/{token}"


def calendar_uid(settings: Settings, appointment: Appointment) -> str:
    """Stable for the appointment's whole life, so calendars update one event in place."""
    host = urlsplit(settings.public_base_url).hostname or "clinic.invalid"
    return f"appointment-{appointment.id}@{host}"


def _fields(appointment: Appointment, intake: Intake, settings: Settings) -> dict[str, Any]:
    in_person = appointment.modality == Modality.IN_PERSON
    return {
        "first_name": intake.patient.first_name,
        "starts_at": iso_utc(appointment.starts_at),
        "ends_at": iso_utc(appointment.ends_at),
        "patient_timezone": intake.patient.timezone,
        "clinic_timezone": settings.clinic_timezone,
        "modality": appointment.modality.value,
        "location": settings.clinic_address if in_person else VIDEO_PLACE,
        "manage_url": manage_url(settings, appointment),
        "uid": calendar_uid(settings, appointment),
        "sequence": appointment.sequence,
    }


def _send(
    uow: UnitOfWork,
    kind: str,
    message: AppointmentMessage,
    appointment: Appointment,
    intake: Intake,
    *,
    quiet: bool = False,
) -> None:
    queue_email(
        uow,
        key=f"appointment:{appointment.id}:{appointment.sequence}:{kind}",
        to=intake.patient.email,
        message=message,
        intake_id=intake.id,
        # A reminder can wait for the morning; news of a booking should not.
        quiet_hours_timezone=intake.patient.timezone if quiet else None,
    )


def booked(uow: UnitOfWork, appointment: Appointment, intake: Intake, settings: Settings) -> None:
    message = AppointmentBooked(**_fields(appointment, intake, settings))
    _send(uow, "booked", message, appointment, intake)


def rescheduled(
    uow: UnitOfWork, appointment: Appointment, intake: Intake, settings: Settings
) -> None:
    message = AppointmentRescheduled(**_fields(appointment, intake, settings))
    _send(uow, "rescheduled", message, appointment, intake)


def cancelled(
    uow: UnitOfWork, appointment: Appointment, intake: Intake, settings: Settings
) -> None:
    message = AppointmentCancelled(**_fields(appointment, intake, settings))
    _send(uow, "cancelled", message, appointment, intake)


def reminder(
    uow: UnitOfWork,
    appointment: Appointment,
    intake: Intake,
    settings: Settings,
    *,
    hours_before: int,
) -> None:
    message = AppointmentReminder(
        **_fields(appointment, intake, settings),
        hours_before=hours_before,
    )
    _send(uow, f"reminder{hours_before}", message, appointment, intake, quiet=True)
