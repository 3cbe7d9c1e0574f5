"""A patient's appointment: see it, confirm, cancel or move it, or pick from an offer.

Two ways in, one page. Signed in (the patient cookie) at /intake/appointment; or by the
signed link in every appointment email, /appointment/{token}, which needs no session:
the link is the credential, and it opens that one appointment only. Times are in the
patient's own timezone, and the page names nothing clinical.

Every form carries a CSRF token. Signed in, it is the cookie's (web/csrf.py). On a link
page it is an HMAC of the link under a purpose of its own: a POST must come from a page
rendered for that very link, not from a form another site made up.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from emails.messages import VIDEO_PLACE
from emails.timefmt import format_clock, format_day, format_moment
from intake.config import Settings
from intake.db import UnitOfWork, utcnow
from intake.deps import SettingsDep
from intake.errors import Forbidden, Gone, IntakeError, InvalidInput, NotFound, problem
from intake.intakes.models import Intake
from intake.intakes.service import intake_for_token
from intake.scheduling import booking, links, notices, offers, repository, search, service
from intake.scheduling.booking import Caller
from intake.scheduling.models import (
    ACTIVE,
    Appointment,
    AppointmentStatus,
    ConsultationKind,
    Modality,
    SlotOffer,
)
from intake.scheduling.schemas import AppointmentOut
from intake.scheduling.slots import parse_slot_id
from intake.web.session import CheckedFormDep, PageRoute, SessionDep
from intake.web.templating import templates

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SIGNED_IN_URL: Final = "/intake/appointment"
ALTERNATIVE_DAYS: Final = 21
_LINK_CSRF_PURPOSE: Final = b"intake-appointment-link-csrf\x00"
_HEADERS: Final = {
    # Health-adjacent and reached by a secret link: no caches, no Referer carrying it away.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}
NOTICES: Final = {
    "confirmed": "Thank you: your appointment is confirmed.",
    "cancelled": "Your appointment is cancelled. We have emailed you to say so.",
    "moved": "Your appointment has moved. We have emailed you the new time.",
    "booked": "Your appointment is booked. We have emailed you the details.",
}
_STALE_FORM: Final = (
    "This form was out of date, so nothing was changed. Please reload the page and try again."
)


def link_csrf(token: str, settings: Settings) -> str:
    key = settings.secret_key.encode()
    digest = hmac.new(key, _LINK_CSRF_PURPOSE + token.encode(), hashlib.sha256)
    return digest.hexdigest()


def _link_csrf_ok(submitted: str, token: str, settings: Settings) -> bool:
    # Bytes: compare_digest raises TypeError on a str with non-ASCII characters.
    expected = link_csrf(token, settings).encode()
    return bool(submitted) and hmac.compare_digest(submitted.encode(), expected)


def _path(url: str) -> str:
    """A link we email, as a path here: redirects stay on this site whatever host the
    link was built with (PUBLIC_BASE_URL)."""
    return urlsplit(url).path


# --- what the page shows ----------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str  # what the form posts to choose it
    clock: str  # "2:00 PM GMT", in the patient's zone
    available: bool = True


def slot_value(slot_id: str) -> str:
    """A slot as a patient's form carries it. Slot ids name the consultation type, which
    the page must not give away, even in its source: keep the clinician and the time."""
    clinician_id, _kind, starts = slot_id.split(".")
    return f"{clinician_id}.{starts}"


def slot_from_value(value: str, kind: ConsultationKind) -> str:
    """The slot id a form's value stands for; anything else stays unreadable (a 404)."""
    parts = value.split(".")
    return f"{parts[0]}.{kind.value}.{parts[1]}" if len(parts) == 2 else value


@dataclass(frozen=True)
class ChoiceDay:
    day: str  # "Tuesday 24 November 2026"
    choices: list[Choice]


def choice_days(slots: Iterable[tuple[str, datetime, bool]], tz: ZoneInfo) -> list[ChoiceDay]:
    """(form value, start, free?) grouped by the patient's calendar day, in order."""
    days: dict[str, list[Choice]] = {}
    for value, starts_at, available in sorted(slots, key=lambda item: item[1]):
        days.setdefault(format_day(starts_at, tz), []).append(
            Choice(value, format_clock(starts_at, tz), available)
        )
    return [ChoiceDay(day, choices) for day, choices in days.items()]


@dataclass(frozen=True)
class Shown:
    """The appointment as the patient reads it."""

    id: uuid.UUID
    status: AppointmentStatus
    when: str
    ends: str
    minutes: int
    place: str
    timezone: str
    changes_close: str
    active: bool
    changeable: bool  # active, and before the cutoff for changes online

    @classmethod
    def of(cls, out: AppointmentOut, settings: Settings) -> Shown:
        tz = ZoneInfo(out.timezone)
        active = out.status in ACTIVE
        in_person = out.modality == Modality.IN_PERSON
        return cls(
            id=out.id,
            status=out.status,
            when=format_moment(out.starts_at, tz),
            ends=format_clock(out.ends_at, tz),
            minutes=int((out.ends_at - out.starts_at).total_seconds() // 60),
            place=settings.clinic_address if in_person else VIDEO_PLACE,
            timezone=out.timezone,
            changes_close=format_moment(out.changes_close_at, tz),
            active=active,
            changeable=active and utcnow() < out.changes_close_at,
        )


def _current(appointments: list[AppointmentOut]) -> AppointmentOut | None:
    """The live appointment, else the latest (so a cancellation is still explained)."""
    live = [row for row in appointments if row.status in ACTIVE]
    shown = live or appointments
    return shown[0] if shown else None


def _alternatives(
    uow: UnitOfWork, out: AppointmentOut, caller: Caller, settings: Settings
) -> list[ChoiceDay]:
    today = utcnow().astimezone(ZoneInfo(settings.clinic_timezone)).date()
    found = service.alternatives(
        uow,
        out.id,
        caller,
        start=today,
        end=today + timedelta(days=ALTERNATIVE_DAYS - 1),
        settings=settings,
        now=utcnow(),
    )
    choices = ((slot_value(s.id), s.starts_at, True) for s in found)
    return choice_days(choices, ZoneInfo(out.timezone))


def _render(
    request: Request, name: str, context: Mapping[str, Any], settings: Settings, status_code: int
) -> HTMLResponse:
    page = {"clinic_name": settings.clinic_name, "clinic_phone": settings.clinic_phone}
    return templates.TemplateResponse(
        request, name, {**page, **context}, status_code=status_code, headers=_HEADERS
    )


def _messages(error: IntakeError | None) -> list[str]:
    if error is None:
        return []
    if isinstance(error.detail, str):
        return [error.detail]
    return [str(item.get("msg")) for item in error.detail]


@dataclass(frozen=True)
class PageState:
    """What the last request left to say, and whether the patient asked to cancel."""

    notice: str | None = None
    error: IntakeError | None = None
    asking_to_cancel: bool = False


def appointment_page(
    request: Request,
    uow: UnitOfWork,
    out: AppointmentOut | None,
    caller: Caller,
    settings: Settings,
    *,
    base: str,
    csrf_token: str,
    state: PageState,
) -> HTMLResponse:
    shown = Shown.of(out, settings) if out else None
    alternatives: list[ChoiceDay] = []
    if out is not None and shown is not None and shown.changeable:
        alternatives = _alternatives(uow, out, caller, settings)
    context = {
        "appointment": shown,
        "alternatives": alternatives,
        "base": base,
        "csrf_token": csrf_token,
        "notice": state.notice,
        "problems": _messages(state.error),
        "asking_to_cancel": state.asking_to_cancel and shown is not None and shown.changeable,
    }
    status_code = state.error.status_code if state.error else status.HTTP_200_OK
    return _render(request, "appointment.html", context, settings, status_code)


def problem_page(
    request: Request, settings: Settings, status_code: int, title: str, message: str
) -> HTMLResponse:
    context = {"title": title, "message": message}
    return _render(request, "appointment_problem.html", context, settings, status_code)


def _bad_link(request: Request, settings: Settings) -> HTMLResponse:
    message = "It may have expired. Please use the link in your most recent email from us."
    return problem_page(request, settings, 404, "This link does not work", message)


# --- changing an appointment ----------------------------------------------------------------

Change = Callable[[UnitOfWork, uuid.UUID, Caller, str, Settings], Appointment]


def _confirm(
    uow: UnitOfWork, appointment_id: uuid.UUID, caller: Caller, _slot: str, settings: Settings
) -> Appointment:
    return booking.confirm(uow, appointment_id, caller=caller, settings=settings, now=utcnow())


def _cancel(
    uow: UnitOfWork, appointment_id: uuid.UUID, caller: Caller, _slot: str, settings: Settings
) -> Appointment:
    return booking.cancel(
        uow, appointment_id, caller=caller, reason=None, settings=settings, now=utcnow()
    )


def _reschedule(
    uow: UnitOfWork, appointment_id: uuid.UUID, caller: Caller, value: str, settings: Settings
) -> Appointment:
    if not value:
        raise InvalidInput([problem(["body", "slot_id"], "Please choose a new time")])
    # Only to spell the slot id: the booking itself checks whose appointment it is.
    current = repository.appointment(uow.session, appointment_id)
    if current is None:
        raise NotFound("No such appointment")
    slot_id = slot_from_value(value, current.consultation_type)
    return booking.reschedule(
        uow, appointment_id, slot_id=slot_id, caller=caller, settings=settings, now=utcnow()
    )


# action -> (what it does, the notice once done)
CHANGES: Final[dict[str, tuple[Change, str]]] = {
    "confirm": (_confirm, "confirmed"),
    "cancel": (_cancel, "cancelled"),
    "reschedule": (_reschedule, "moved"),
}


# --- signed in ------------------------------------------------------------------------------


def _signed_in_page(
    request: Request, settings: Settings, session: SessionDep, state: PageState
) -> HTMLResponse:
    with UnitOfWork() as uow:
        intake = intake_for_token(uow, session.token)
        caller = Caller.patient(intake.id)
        out = _current(service.my_appointments(uow, intake.id, settings))
        return appointment_page(
            request,
            uow,
            out,
            caller,
            settings,
            base=SIGNED_IN_URL,
            csrf_token=session.csrf_token,
            state=state,
        )


@router.get(SIGNED_IN_URL, response_class=HTMLResponse)
def my_appointment(
    request: Request,
    settings: SettingsDep,
    session: SessionDep,
    done: str | None = None,
    cancel: bool = False,
) -> HTMLResponse:
    """The signed-in patient's appointment; `cancel` asks them to make sure first."""
    state = PageState(notice=NOTICES.get(done or ""), asking_to_cancel=cancel)
    return _signed_in_page(request, settings, session, state)


def _field(fields: Mapping[str, Sequence[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


def _change_signed_in(action: str) -> Callable[..., Response]:
    change, done = CHANGES[action]

    def handle(
        request: Request, settings: SettingsDep, session: SessionDep, fields: CheckedFormDep
    ) -> Response:
        try:
            appointment_id = uuid.UUID(_field(fields, "appointment_id"))
        except ValueError:
            raise NotFound("No such appointment") from None
        try:
            with UnitOfWork() as uow:
                caller = Caller.patient(intake_for_token(uow, session.token).id)
                change(uow, appointment_id, caller, _field(fields, "slot_id"), settings)
        except IntakeError as error:
            return _signed_in_page(request, settings, session, PageState(error=error))
        url = f"{SIGNED_IN_URL}?done={done}"
        return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)

    return handle


# --- choosing from an offer -------------------------------------------------------------------


def _offered(
    uow: UnitOfWork, offer: SlotOffer, settings: Settings
) -> tuple[Intake, list[ChoiceDay]]:
    """The offered slots in the patient's zone; a slot taken since is shown as such."""
    intake = uow.session.get_one(Intake, offer.intake_id)
    now = utcnow()
    slots = []
    # Each offered slot is chosen by its place in the offer: a number names nothing.
    for index, slot_id in enumerate(offer.slot_ids):
        try:
            search.free_slot(uow.session, settings, slot_id, now=now)
            available = True
        except (search.SlotTaken, NotFound):
            available = False
        slots.append((str(index), parse_slot_id(slot_id)[2], available))
    return intake, choice_days(slots, ZoneInfo(intake.patient.timezone))


def offer_page(
    request: Request, token: str, settings: Settings, *, error: IntakeError | None = None
) -> HTMLResponse:
    try:
        with UnitOfWork() as uow:
            offer = offers.open_offer(uow, token, settings=settings, now=utcnow())
            intake, days = _offered(uow, offer, settings)
            expires = format_moment(offer.expires_at, ZoneInfo(intake.patient.timezone))
    except NotFound:
        return _bad_link(request, settings)
    except Gone:
        message = (
            "These times are no longer on offer. If you chose one, your booking email has "
            "the details; otherwise we will be in touch."
        )
        return problem_page(request, settings, 410, "This offer has closed", message)
    context = {
        "first_name": intake.patient.first_name,
        "days": days,
        "any_available": any(c.available for day in days for c in day.choices),
        "expires": expires,
        "timezone": intake.patient.timezone,
        "token": token,
        "csrf_token": link_csrf(token, settings),
        "problems": _messages(error),
    }
    status_code = error.status_code if error else status.HTTP_200_OK
    return _render(request, "appointment_offer.html", context, settings, status_code)


@router.get("/appointment/offer/{token}", response_class=HTMLResponse)
def show_offer(request: Request, token: str, settings: SettingsDep) -> HTMLResponse:
    """The times a coordinator offered, to choose one; the link is the credential."""
    return offer_page(request, token, settings)


@router.post("/appointment/offer/{token}", response_model=None)
def pick_offered(
    request: Request,
    token: str,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()] = "",
    choice: Annotated[str, Form()] = "",
) -> Response:
    """Book the chosen time; a time taken meanwhile is said on the page, to pick another."""
    if not _link_csrf_ok(csrf_token, token, settings):
        return offer_page(request, token, settings, error=Forbidden(_STALE_FORM))
    try:
        with UnitOfWork() as uow:
            offered = offers.open_offer(uow, token, settings=settings, now=utcnow()).slot_ids
            chosen = {str(place): slot for place, slot in enumerate(offered)}.get(choice, "")
            row = offers.pick(uow, token, slot_id=chosen, settings=settings, now=utcnow())
            target = f"{_path(notices.manage_url(settings, row))}?done=booked"
    except (NotFound, Gone):
        return offer_page(request, token, settings)  # shows why the link no longer works
    except IntakeError as error:
        return offer_page(request, token, settings, error=error)
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


# --- by the link in an email ----------------------------------------------------------------


def _linked_id(token: str, settings: Settings) -> uuid.UUID | None:
    try:
        return links.verify(settings.secret_key, links.MANAGE, token, now=utcnow())
    except links.BadLink:
        return None


def _linked_page(request: Request, token: str, settings: Settings, state: PageState) -> Response:
    appointment_id = _linked_id(token, settings)
    with UnitOfWork() as uow:
        row = repository.appointment(uow.session, appointment_id) if appointment_id else None
        if row is None:
            return _bad_link(request, settings)
        caller = Caller.patient(row.intake_id)
        out = service.read_appointment(uow, row.id, caller, settings)
        base = f"/appointment/{token}"
        csrf_token = link_csrf(token, settings)
        return appointment_page(
            request, uow, out, caller, settings, base=base, csrf_token=csrf_token, state=state
        )


@router.get("/appointment/{token}", response_class=HTMLResponse, response_model=None)
def linked_appointment(
    request: Request,
    token: str,
    settings: SettingsDep,
    done: str | None = None,
    cancel: bool = False,
) -> Response:
    """The appointment a manage link names: the same page as when signed in."""
    state = PageState(notice=NOTICES.get(done or ""), asking_to_cancel=cancel)
    return _linked_page(request, token, settings, state)


def _change_by_link(action: str) -> Callable[..., Response]:
    change, done = CHANGES[action]

    def handle(
        request: Request,
        token: str,
        settings: SettingsDep,
        csrf_token: Annotated[str, Form()] = "",
        slot_id: Annotated[str, Form()] = "",
    ) -> Response:
        appointment_id = _linked_id(token, settings)
        if appointment_id is None:
            return _bad_link(request, settings)
        if not _link_csrf_ok(csrf_token, token, settings):
            return _linked_page(request, token, settings, PageState(error=Forbidden(_STALE_FORM)))
        try:
            with UnitOfWork() as uow:
                row = repository.appointment(uow.session, appointment_id)
                if row is None:
                    raise NotFound("No such appointment")
                row = change(uow, row.id, Caller.patient(row.intake_id), slot_id, settings)
                # A new time gets a fresh link, valid as long as the new time needs it.
                target = _path(notices.manage_url(settings, row))
        except IntakeError as error:
            return _linked_page(request, token, settings, PageState(error=error))
        return RedirectResponse(f"{target}?done={done}", status_code=status.HTTP_303_SEE_OTHER)

    return handle


for _action in CHANGES:
    router.add_api_route(
        f"{SIGNED_IN_URL}/{_action}",
        _change_signed_in(_action),
        methods=["POST"],
        response_model=None,
        name=f"appointment_{_action}",
    )
    router.add_api_route(
        f"/appointment/{{token}}/{_action}",
        _change_by_link(_action),
        methods=["POST"],
        response_model=None,
        name=f"appointment_link_{_action}",
    )
