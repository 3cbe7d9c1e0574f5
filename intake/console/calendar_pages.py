"""The clinicians' calendar: one clinician's day or week, in clinic time.

Appointments come from scheduling's calendar read, which checks the role and leaves an
audit event; free slots from the slot search, which holds no patient data. Cancelling
and recording an outcome are forms that post back here and return to the same view, so
a reload never repeats them; a refusal is shown on the calendar itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Final, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from intake.config import Settings
from intake.console import forms
from intake.console.session import ConsoleRoute, FormDep, SessionDep, error_messages, render
from intake.db import UnitOfWork, utcnow
from intake.deps import SettingsDep
from intake.errors import IntakeError, NotFound
from intake.intakes.models import Intake, Patient
from intake.scheduling import booking, repository, service
from intake.scheduling.booking import Caller
from intake.scheduling.models import ACTIVE, AppointmentStatus, Clinician, ConsultationKind
from intake.scheduling.schemas import AppointmentOut, CancelIn, CloseIn, SlotOut

router = APIRouter(route_class=ConsoleRoute)

View = Literal["day", "week"]
CALENDAR_URL: Final = "/staff/calendar"
# Page headers a browser honours: no scripts of any origin, and forms post only here.
STRICT_CSP: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

NOTICES: Final = {
    "booked": "Appointment booked; the patient has been emailed.",
    "cancelled": "Appointment cancelled; the intake is back in its queue.",
    "completed": "Appointment marked as completed.",
    "no_show": "Marked as a no-show; the intake is back in its queue.",
}


def clinic_today(settings: Settings) -> date:
    return utcnow().astimezone(ZoneInfo(settings.clinic_timezone)).date()


@dataclass(frozen=True)
class Where:
    """Which calendar page: a clinician (the first one when none is named), the view,
    and any day inside it."""

    clinician_id: uuid.UUID | None
    view: View
    day: date

    @property
    def days(self) -> list[date]:
        if self.view == "day":
            return [self.day]
        monday = self.day - timedelta(days=self.day.weekday())
        return [monday + timedelta(days=n) for n in range(7)]

    def moved(self, steps: int) -> Where:
        span = 1 if self.view == "day" else 7
        return replace(self, day=self.day + timedelta(days=span * steps))

    def url(self, **changes: Any) -> str:
        """This page's address; `changes` swap the view or the day, or add a notice."""
        query: dict[str, str] = {"view": self.view, "date": self.day.isoformat()}
        if self.clinician_id is not None:
            query["clinician"] = str(self.clinician_id)
        query.update({key: str(value) for key, value in changes.items()})
        return f"{CALENDAR_URL}?{urlencode(query)}"


def where_from(fields: Mapping[str, str], settings: Settings) -> Where:
    """The view an action form came from; anything unreadable falls back to this week, so
    a bad field costs the user their place in the calendar, never the error message."""
    try:
        clinician_id: uuid.UUID | None = uuid.UUID(fields.get("clinician", ""))
    except ValueError:
        clinician_id = None
    try:
        day = date.fromisoformat(fields.get("date", ""))
    except ValueError:
        day = clinic_today(settings)
    view: View = "day" if fields.get("view") == "day" else "week"
    return Where(clinician_id, view, day)


@dataclass(frozen=True)
class Booked:
    """An appointment as the calendar lists it, with who it is for."""

    appointment: AppointmentOut
    patient_name: str
    starts: datetime  # clinic time
    ends: datetime
    # What staff may do now: cancel before the start, record the outcome after it.
    can_cancel: bool
    can_close: bool


@dataclass(frozen=True)
class FreeTimes:
    """One consultation type's free slots on one day."""

    name: str
    minutes: int
    starts: list[datetime]  # clinic time


@dataclass(frozen=True)
class Day:
    day: date
    booked: list[Booked]
    free: list[FreeTimes]


def _patient_names(uow: UnitOfWork, intake_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names for the appointments the calendar read returned (that read was audited)."""
    if not intake_ids:
        return {}
    stmt = (
        select(Intake.id, Patient.first_name, Patient.last_name)
        .join(Patient, Intake.patient_id == Patient.id)
        .where(Intake.id.in_(intake_ids))
    )
    return {row.id: f"{row.first_name} {row.last_name}" for row in uow.session.execute(stmt)}


def _chosen(uow: UnitOfWork, where: Where, clinicians: list[Clinician]) -> Clinician | None:
    if where.clinician_id is None:
        return clinicians[0] if clinicians else None
    # By id, not from the list: an inactive clinician's appointments still need a home.
    chosen = uow.session.get(Clinician, where.clinician_id)
    if chosen is None:
        raise NotFound("No such clinician")
    return chosen


def _booked(
    appointments: list[AppointmentOut], names: dict[uuid.UUID, str], tz: ZoneInfo
) -> list[Booked]:
    now = utcnow()
    return [
        Booked(
            appointment=row,
            patient_name=names.get(row.intake_id, "—"),
            starts=row.starts_at.astimezone(tz),
            ends=row.ends_at.astimezone(tz),
            can_cancel=row.status in ACTIVE and now < row.starts_at,
            can_close=row.status in ACTIVE and now >= row.starts_at,
        )
        for row in appointments
    ]


def _free(
    uow: UnitOfWork, clinician: Clinician, where: Where, settings: Settings
) -> dict[str, list[SlotOut]]:
    """Each offered type's free slots in the view, keyed by the type's code."""
    return {
        code: service.slots(
            uow,
            kind=ConsultationKind(code),
            start=where.days[0],
            end=where.days[-1],
            clinician_id=clinician.id,
            settings=settings,
            now=utcnow(),
        )
        for code in clinician.offers
    }


def _days(
    where: Where,
    booked: list[Booked],
    free: dict[str, list[SlotOut]],
    types: Mapping[str, tuple[str, int]],
    tz: ZoneInfo,
) -> list[Day]:
    days = []
    for day in where.days:
        times = []
        for code, found in free.items():
            starts = [s.starts_at.astimezone(tz) for s in found]
            on_day = [moment for moment in starts if moment.date() == day]
            if on_day:
                name, minutes = types[code]
                times.append(FreeTimes(name=name, minutes=minutes, starts=on_day))
        days.append(Day(day, [b for b in booked if b.starts.date() == day], times))
    return days


def calendar_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    where: Where,
    *,
    notice: str | None = None,
    error: IntakeError | None = None,
) -> HTMLResponse:
    tz = ZoneInfo(settings.clinic_timezone)
    # A unit of work of its own: after a failed action, that one has rolled back.
    with UnitOfWork() as uow:
        clinicians = repository.clinicians(uow.session)
        chosen = _chosen(uow, where, clinicians)
        days: list[Day] = []
        if chosen is not None:
            where = replace(where, clinician_id=chosen.id)
            appointments = service.calendar(
                uow,
                staff=session.user,
                start=where.days[0],
                end=where.days[-1],
                clinician_id=chosen.id,
                settings=settings,
            )
            names = _patient_names(uow, {row.intake_id for row in appointments})
            types = {
                row.code.value: (row.name, row.duration_minutes)
                for row in repository.consultation_types(uow.session)
            }
            free = _free(uow, chosen, where, settings)
            days = _days(where, _booked(appointments, names, tz), free, types, tz)
    if chosen is not None and chosen not in clinicians:
        clinicians.append(chosen)
    context = {
        "where": where,
        "clinicians": clinicians,
        "chosen": chosen,
        "days": days,
        "today": clinic_today(settings),
        "notice": notice,
        "problems": error_messages(error.detail) if error else [],
    }
    status_code = error.status_code if error else status.HTTP_200_OK
    response = render(request, "calendar.html", context, session=session, status_code=status_code)
    response.headers["Content-Security-Policy"] = STRICT_CSP
    return response


@router.get("/calendar", response_class=HTMLResponse)
def calendar(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clinician: uuid.UUID | None = None,
    view: View = "week",
    day: Annotated[date | None, Query(alias="date")] = None,
    done: str | None = None,
) -> HTMLResponse:
    """A clinician's day or week (Monday to Sunday): appointments and free slots."""
    where = Where(clinician, view, day or clinic_today(settings))
    return calendar_page(request, session, settings, where, notice=NOTICES.get(done or ""))


class AppointmentForm(BaseModel):
    appointment_id: uuid.UUID


def _act(
    request: Request,
    session: SessionDep,
    settings: Settings,
    fields: Mapping[str, str],
    action: Callable[[UnitOfWork, uuid.UUID], object],
    *,
    done: str,
) -> Response:
    where = where_from(fields, settings)
    try:
        appointment_id = forms.parse(AppointmentForm, fields).appointment_id
        with UnitOfWork() as uow:
            action(uow, appointment_id)
    except IntakeError as error:
        return calendar_page(request, session, settings, where, error=error)
    return RedirectResponse(where.url(done=done), status_code=status.HTTP_303_SEE_OTHER)


@router.post("/calendar/cancel", response_model=None)
def cancel(
    request: Request, session: SessionDep, fields: FormDep, settings: SettingsDep
) -> Response:
    """Cancel before the start; the patient is emailed and the intake is queued again."""

    def action(uow: UnitOfWork, appointment_id: uuid.UUID) -> object:
        body = forms.parse(CancelIn, {"reason": fields.get("reason")})
        return booking.cancel(
            uow,
            appointment_id,
            caller=Caller.member(session.user),
            reason=body.reason,
            settings=settings,
            now=utcnow(),
        )

    return _act(request, session, settings, fields, action, done="cancelled")


@router.post("/calendar/close", response_model=None)
def close(
    request: Request, session: SessionDep, fields: FormDep, settings: SettingsDep
) -> Response:
    """Once it has started: record that the consultation happened, or that nobody came."""
    body = {"outcome": fields.get("outcome")}

    def action(uow: UnitOfWork, appointment_id: uuid.UUID) -> object:
        outcome = AppointmentStatus(forms.parse(CloseIn, body).outcome)
        return booking.close(uow, appointment_id, outcome=outcome, staff=session.user, now=utcnow())

    outcome = fields.get("outcome", "")
    done = outcome if outcome in ("completed", "no_show") else "completed"
    return _act(request, session, settings, fields, action, done=done)
