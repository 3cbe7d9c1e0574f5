"""Booking an intake's consultation from the console, or offering the patient a choice.

The page lists the free slots of the intake's route for the next two weeks, in clinic
time. Each slot can be booked at once, or ticked to be offered (up to three) by email.
A refusal (the checklist is incomplete, the slot was just taken, the role may not book)
is shown on the same page under the error's status, never as a server error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from intake.cases.service import READ_ACTION
from intake.config import Settings
from intake.console.calendar_pages import STRICT_CSP, Where, clinic_today
from intake.console.session import ConsoleRoute, FormDep, SessionDep, error_messages, render
from intake.db import UnitOfWork, utcnow
from intake.deps import SettingsDep
from intake.errors import IntakeError, InvalidInput, problem
from intake.intakes.models import Intake
from intake.scheduling import booking, offers, repository, service
from intake.scheduling.booking import Caller
from intake.scheduling.models import ConsultationKind, OfferStatus, SlotOffer
from intake.scheduling.schemas import AppointmentOut, SlotOut
from intake.scheduling.slots import parse_slot_id
from intake.staff.permissions import Permission, allows
from intake.staff.reads import read_intake

router = APIRouter(route_class=ConsoleRoute)

DAYS_AHEAD: Final = 14
NOTICES: Final = {"offered": "The patient has been emailed the slots to choose from."}


@dataclass(frozen=True)
class SlotDay:
    """Free slots that start on one clinic-local day."""

    label: str
    slots: list[tuple[SlotOut, datetime]]  # each with its start in clinic time


@dataclass(frozen=True)
class OpenOffer:
    expires_at: datetime
    starts: list[datetime]


def route_of(intake: Intake, active: AppointmentOut | None) -> ConsultationKind | None:
    """The consultation the intake's route leads to. Booking takes an intake off its
    queue, so once booked the appointment's own type says it."""
    if intake.queue in {kind.value for kind in ConsultationKind}:
        return ConsultationKind(str(intake.queue))
    return active.consultation_type if active else None


def _by_day(found: list[SlotOut], tz: ZoneInfo) -> list[SlotDay]:
    days: dict[str, list[tuple[SlotOut, datetime]]] = {}
    for slot in found:
        local = slot.starts_at.astimezone(tz)
        days.setdefault(local.strftime("%A %d %B %Y"), []).append((slot, local))
    return [SlotDay(label, slots) for label, slots in days.items()]


def _open_offers(uow: UnitOfWork, intake_id: uuid.UUID, tz: ZoneInfo) -> list[OpenOffer]:
    stmt = select(SlotOffer).where(
        SlotOffer.intake_id == intake_id,
        SlotOffer.status == OfferStatus.OPEN,
        SlotOffer.expires_at > utcnow(),
    )
    return [
        OpenOffer(
            expires_at=row.expires_at.astimezone(tz),
            starts=[parse_slot_id(slot_id)[2].astimezone(tz) for slot_id in row.slot_ids],
        )
        for row in uow.session.scalars(stmt)
    ]


def booking_page(
    request: Request,
    session: SessionDep,
    settings: Settings,
    intake_id: uuid.UUID,
    *,
    notice: str | None = None,
    error: IntakeError | None = None,
) -> HTMLResponse:
    tz = ZoneInfo(settings.clinic_timezone)
    # Its own unit of work: after a refused booking the request's one has rolled back.
    with UnitOfWork() as uow:
        intake = read_intake(uow, intake_id, staff=session.user, action=READ_ACTION)
        active_row = repository.active_appointment(uow.session, intake.id)
        caller = Caller.member(session.user)
        active = service.view_for(uow, active_row, caller, settings) if active_row else None
        kind = route_of(intake, active)
        found: list[SlotOut] = []
        if kind is not None and active is None:
            today = clinic_today(settings)
            end = today + timedelta(days=DAYS_AHEAD - 1)
            found = service.slots(
                uow,
                kind=kind,
                start=today,
                end=end,
                clinician_id=None,
                settings=settings,
                now=utcnow(),
            )
        context = {
            "intake_id": intake.id,
            "patient": intake.patient,
            "queue": intake.queue,
            "kind": kind,
            "active": active,
            "active_starts": active.starts_at.astimezone(tz) if active else None,
            "calendar_url": _calendar_url(active, settings) if active else None,
            # Said before anyone tries, so a refusal is no surprise; the booking checks again.
            "blockers": booking.bookable(intake, kind) if kind and not active else [],
            "days": _by_day(found, tz),
            "open_offers": _open_offers(uow, intake.id, tz),
            "may_book": allows(session.user, Permission.BOOK_APPOINTMENTS),
            "max_offered": offers.MAX_OFFERED,
            "days_ahead": DAYS_AHEAD,
            "notice": notice,
            "problems": error_messages(error.detail) if error else [],
        }
    status_code = error.status_code if error else status.HTTP_200_OK
    response = render(
        request, "calendar_booking.html", context, session=session, status_code=status_code
    )
    response.headers["Content-Security-Policy"] = STRICT_CSP
    return response


def _calendar_url(appointment: AppointmentOut, settings: Settings, **changes: str) -> str:
    """The clinician's week with the appointment in it."""
    day = appointment.starts_at.astimezone(ZoneInfo(settings.clinic_timezone)).date()
    where = Where(appointment.clinician_id, "week", day)
    return f"{where.url(**changes)}#appointment-{appointment.id}"


@router.get("/intakes/{intake_id}/book", response_class=HTMLResponse)
def book_page(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    done: str | None = None,
) -> HTMLResponse:
    """The intake's bookable slots for the next two weeks (an audited read of the intake)."""
    return booking_page(request, session, settings, intake_id, notice=NOTICES.get(done or ""))


def _required_slot(value: str | None) -> str:
    if not value:
        raise InvalidInput([problem(["body", "slot_id"], "choose a slot")])
    return value


@router.post("/intakes/{intake_id}/book", response_model=None)
def book(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    fields: FormDep,
    settings: SettingsDep,
) -> Response:
    """Book the chosen slot, then show it in its clinician's week."""
    try:
        with UnitOfWork() as uow:
            appointment = booking.book(
                uow,
                intake_id=intake_id,
                slot_id=_required_slot(fields.get("slot_id")),
                caller=Caller.member(session.user),
                settings=settings,
                now=utcnow(),
            )
            booked = service.view_for(uow, appointment, Caller.member(session.user), settings)
    except IntakeError as error:
        return booking_page(request, session, settings, intake_id, error=error)
    target = _calendar_url(booked, settings, done="booked")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


async def offered_slots(request: Request, _fields: FormDep) -> list[str]:
    """Every ticked slot: a form field that repeats, which FormDep's dict would collapse.
    Starlette keeps the parsed form, so this reads the same body FormDep checked."""
    form = await request.form()
    return [value for value in form.getlist("slot_ids") if isinstance(value, str)]


@router.post("/intakes/{intake_id}/offer", response_model=None)
def offer(
    request: Request,
    intake_id: uuid.UUID,
    session: SessionDep,
    chosen: Annotated[list[str], Depends(offered_slots)],
    settings: SettingsDep,
) -> Response:
    """Email the patient the ticked slots (one to three) to pick from by a signed link."""
    try:
        with UnitOfWork() as uow:
            offers.offer_slots(
                uow, intake_id, slot_ids=chosen, staff=session.user, settings=settings, now=utcnow()
            )
    except IntakeError as error:
        return booking_page(request, session, settings, intake_id, error=error)
    url = f"/staff/intakes/{intake_id}/book?done=offered"
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)
